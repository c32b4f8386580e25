// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// Image ops decompose into r1 ops: Resize and Upsample into gathers and
// weighted sums per axis (tables constant when scales, sizes and roi are),
// ConvTranspose into a GEMM or a convolution, DepthToSpace and SpaceToDepth
// into a transpose between reshapes, GridSample and AffineGrid into
// arithmetic on the grid and gathers, Col2Im and MaxUnpool into scatters,
// MaxPool's taps into gathers and reductions, RoiAlign and DeformConv into
// arithmetic on the rois or offsets, gathers and (DeformConv) a matmul.

// Nearest upsampling by whole factors is one broadcast for all its axes; a
// scale of 1 leaves a dim alone, even a dynamic one.
// CHECK-LABEL: func @resize_nearest_whole_factors
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x5xf32>) -> tensor<?x3x8x15xf32>
func.func @resize_nearest_whole_factors(%x: tensor<?x3x4x5xf32>) -> !r1.unknown {
  // CHECK: %[[SPLIT:.*]] = r1.constant dense<[-1, 3, 4, 1, 5, 1]> : tensor<6xi64>
  // CHECK: %[[R:.*]] = r1.reshape %[[X]], %[[SPLIT]]
  // CHECK: %[[TIMES:.*]] = r1.constant dense<[1, 1, 1, 2, 1, 3]> : tensor<6xi64>
  // CHECK: %[[E:.*]] = r1.expand %[[R]], %[[TIMES]] : (tensor<?x3x4x1x5x1xf32>, tensor<6xi64>) -> tensor<?x3x4x2x5x3xf32>
  // CHECK: r1.reshape %[[E]], %{{.*}} : (tensor<?x3x4x2x5x3xf32>, tensor<4xi64>) -> tensor<?x3x8x15xf32>
  // CHECK-NOT: r1.gather
  %s = r1.constant dense<[1.0, 1.0, 2.0, 3.0]> : tensor<4xf32>
  %none = r1.none
  %0 = r1.onnx_node "Resize"(%x, %none, %s) {domain = "", node_name = "up", onnx_attrs = {mode = "nearest"}, opset = 19 : i64} : (tensor<?x3x4x5xf32>, none, tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Linear resizing (here to sizes, half_pixel): per axis and tap, a gather
// scaled by the tap's weights, summed over the taps. Shrinking axes go first.
// CHECK-LABEL: func @resize_linear_sizes
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>) -> tensor<1x2x2x3xf32>
func.func @resize_linear_sizes(%x: tensor<1x2x4x4xf32>) -> !r1.unknown {
  // CHECK: %[[I0:.*]] = r1.constant dense<[0, 2]> : tensor<2xi64>
  // CHECK: %[[HALF:.*]] = r1.constant dense<5.000000e-01> : tensor<2x1xf32>
  // CHECK: %[[G0:.*]] = r1.gather %[[X]], %[[I0]] {axis = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<2xi64>) -> tensor<1x2x2x4xf32>
  // CHECK: %[[M0:.*]] = r1.mul %[[G0]], %[[HALF]]
  // CHECK: %[[I1:.*]] = r1.constant dense<[1, 3]> : tensor<2xi64>
  // CHECK: %[[G1:.*]] = r1.gather %[[X]], %[[I1]] {axis = 2 : i64}
  // CHECK: %[[M1:.*]] = r1.mul %[[G1]]
  // CHECK: %[[H:.*]] = r1.add %[[M0]], %[[M1]]
  // CHECK: %[[J0:.*]] = r1.constant dense<[0, 1, 2]> : tensor<3xi64>
  // CHECK: %[[W0:.*]] = r1.constant dense<[0.833333313, 5.000000e-01, 0.166666672]> : tensor<3xf32>
  // CHECK: %[[K0:.*]] = r1.gather %[[H]], %[[J0]] {axis = 3 : i64}
  // CHECK: %[[N0:.*]] = r1.mul %[[K0]], %[[W0]]
  // CHECK: %[[J1:.*]] = r1.constant dense<[1, 2, 3]> : tensor<3xi64>
  // CHECK: %[[W1:.*]] = r1.constant dense<[0.166666672, 5.000000e-01, 0.833333313]> : tensor<3xf32>
  // CHECK: %[[K1:.*]] = r1.gather %[[H]], %[[J1]] {axis = 3 : i64}
  // CHECK: %[[N1:.*]] = r1.mul %[[K1]], %[[W1]]
  // CHECK: %[[Y:.*]] = r1.add %[[N0]], %[[N1]]
  // CHECK: return %[[Y]]
  %s = r1.constant dense<[1, 2, 2, 3]> : tensor<4xi64>
  %none = r1.none
  %0 = r1.onnx_node "Resize"(%x, %none, %none, %s) {domain = "", node_name = "down", onnx_attrs = {mode = "linear"}, opset = 19 : i64} : (tensor<1x2x4x4xf32>, none, none, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// tf_crop_and_resize: the roi picks the region; positions whose source lies
// outside the input get extrapolation_value.
// CHECK-LABEL: func @resize_crop
func.func @resize_crop(%x: tensor<1x1x4x4xf32>) -> !r1.unknown {
  // CHECK: r1.constant dense<{{\[\[}}0.799999952], [0.599999904], [1.000000e+00]]> : tensor<3x1xf32>
  // CHECK: %[[Y:.*]] = r1.add
  // CHECK: %[[Z:.*]] = r1.add
  // CHECK-DAG: %[[ROWS:.*]] = r1.constant dense<{{\[}}[false], [false], [true]]> : tensor<3x1xi1>
  // CHECK-DAG: %[[TEN:.*]] = r1.constant dense<1.000000e+01> : tensor<f32>
  // CHECK: %[[C:.*]] = r1.where %[[ROWS]], %[[TEN]], %[[Z]]
  // CHECK: %[[COLS:.*]] = r1.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK: r1.where %[[COLS]], %{{.*}}, %[[C]]
  %roi = r1.constant dense<[0.0, 0.0, 0.4, 0.6, 1.0, 1.0, 1.2, 1.7]> : tensor<8xf32>
  %sz = r1.constant dense<[1, 1, 3, 3]> : tensor<4xi64>
  %none = r1.none
  %0 = r1.onnx_node "Resize"(%x, %roi, %none, %sz) {domain = "", node_name = "crop", onnx_attrs = {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = 1.000000e+01 : f32}, opset = 13 : i64} : (tensor<1x1x4x4xf32>, tensor<8xf32>, none, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Antialiased cubic downsampling by 2 widens the kernel to 8 taps; taps
// that clamp to the same border element merge, leaving 7: more than a
// gather each is worth, so one gather of all and a sum over them.
// CHECK-LABEL: func @resize_cubic_antialias
func.func @resize_cubic_antialias(%x: tensor<1x8xf32>) -> !r1.unknown {
  // CHECK: %[[I:.*]] = r1.constant dense<{{\[}}[0, 1, 2, 3, 4, 0, 0], [0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 3, 3]]> : tensor<4x7xi64>
  // CHECK: %[[W:.*]] = r1.constant dense_resource<r1c.table.{{.*}}> : tensor<4x7xf32>
  // CHECK: %[[G:.*]] = r1.gather %{{.*}}, %[[I]] {axis = 1 : i64}
  // CHECK: %[[M:.*]] = r1.mul %[[G]], %[[W]]
  // CHECK: r1.reduce_sum %[[M]] {axes = array<i64: 2>, keepdims = false
  %s = r1.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %none = r1.none
  %0 = r1.onnx_node "Resize"(%x, %none, %s) {domain = "", node_name = "aa", onnx_attrs = {mode = "cubic", antialias = 1 : i64}, opset = 18 : i64} : (tensor<1x8xf32>, none, tensor<2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Scales known only at run time: the same formulas become ops on the scale
// (here nearest, round_prefer_floor: a gather by computed indices), and the
// output size comes from the declared type.
// CHECK-LABEL: func @resize_runtime_scales
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x2x2xf32>, %[[S:.*]]: tensor<1xf32>)
func.func @resize_runtime_scales(%x: tensor<1x1x2x2xf32>, %s: tensor<1xf32>) -> tensor<1x1x2x4xf32> {
  // CHECK: %[[SCALE:.*]] = r1.cast %[[S]] {to = f64}
  // CHECK: %[[SRC:.*]] = r1.div %{{.*}}, %[[SCALE]] : (tensor<4xf64>, tensor<1xf64>) -> tensor<4xf64>
  // CHECK: r1.ceil
  // CHECK: r1.less_equal
  // CHECK: %[[IDX:.*]] = r1.cast %{{.*}} {to = i64} : (tensor<4xf64>) -> tensor<4xi64>
  // CHECK: r1.gather %[[X]], %[[IDX]] {axis = 3 : i64} : (tensor<1x1x2x2xf32>, tensor<4xi64>) -> tensor<1x1x2x4xf32>
  %none = r1.none
  %0 = r1.onnx_node "Resize"(%x, %none, %s) {domain = "", node_name = "rt", onnx_attrs = {mode = "nearest", axes = array<i64: 3>}, opset = 19 : i64} : (tensor<1x1x2x2xf32>, none, tensor<1xf32>) -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

func.func @resize_runtime_scales_unknown_size(%x: tensor<1x1x2x2xf32>, %s: tensor<4xf32>) -> !r1.unknown {
  %none = r1.none
  // expected-error @+1 {{Resize (opset 19): needs constant scales or sizes, or a declared static output size, for dim 0}}
  %0 = r1.onnx_node "Resize"(%x, %none, %s) {domain = "", node_name = "rt", onnx_attrs = {mode = "linear"}, opset = 19 : i64} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @resize_scales_and_sizes(%x: tensor<1x1x2x2xf32>) -> !r1.unknown {
  %none = r1.none
  %s = r1.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %z = r1.constant dense<[1, 1, 4, 4]> : tensor<4xi64>
  // expected-error @+1 {{Resize (opset 13): takes scales or sizes, not both}}
  %0 = r1.onnx_node "Resize"(%x, %none, %s, %z) {domain = "", node_name = "both", onnx_attrs = {}, opset = 13 : i64} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @resize_unknown_coordinates(%x: tensor<1x1x2x2xf32>) -> !r1.unknown {
  %none = r1.none
  %s = r1.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // expected-error @+1 {{Resize (opset 13): unknown coordinate_transformation_mode "half_pixels"}}
  %0 = r1.onnx_node "Resize"(%x, %none, %s) {domain = "", node_name = "bad", onnx_attrs = {coordinate_transformation_mode = "half_pixels"}, opset = 13 : i64} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Upsample: opset 7 gives scales as an attribute, opset 9 as an input; both
// resize with asymmetric coordinates.
// CHECK-LABEL: func @upsample
func.func @upsample(%x: tensor<1x2x3xf32>, %s: tensor<3xf32>) -> (!r1.unknown, tensor<1x4x6xf32>) {
  // CHECK: r1.expand %{{.*}} : (tensor<1x2x1x3x1xf32>, tensor<5xi64>) -> tensor<1x2x2x3x2xf32>
  // CHECK: r1.cast %{{.*}} {to = f64} : (tensor<1xf32>) -> tensor<1xf64>
  // CHECK: r1.div %{{.*}}, %{{.*}} : (tensor<6xf64>, tensor<1xf64>) -> tensor<6xf64>
  // CHECK: r1.gather %{{.*}} {axis = 2 : i64} : (tensor<1x4x3xf32>, tensor<6xi64>) -> tensor<1x4x6xf32>
  %0 = r1.onnx_node "Upsample"(%x) {domain = "", node_name = "up7", onnx_attrs = {mode = "nearest", scales = array<f32: 1.0, 2.0, 2.0>}, opset = 7 : i64} : (tensor<1x2x3xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Upsample"(%x, %s) {domain = "", node_name = "up9", onnx_attrs = {mode = "linear"}, opset = 9 : i64} : (tensor<1x2x3xf32>, tensor<3xf32>) -> tensor<1x4x6xf32>
  return %0, %1 : !r1.unknown, tensor<1x4x6xf32>
}

// -----

// DepthToSpace and SpaceToDepth: a transpose between two reshapes. DCR
// takes the block offset from the high part of the channel, CRD from the low.
// CHECK-LABEL: func @depth_to_space
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x2x4xf32>)
func.func @depth_to_space(%x: tensor<?x8x2x4xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[D:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<?x2x2x2x2x4xf32>
  // CHECK: %[[DT:.*]] = r1.transpose %[[D]] {perm = array<i64: 0, 3, 4, 1, 5, 2>}
  // CHECK: r1.reshape %[[DT]], %{{.*}} -> tensor<?x2x4x8xf32>
  // CHECK: %[[C:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<?x2x2x2x2x4xf32>
  // CHECK: r1.transpose %[[C]] {perm = array<i64: 0, 1, 4, 2, 5, 3>}
  // CHECK: %[[S:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<?x8x1x2x2x2xf32>
  // CHECK: %[[ST:.*]] = r1.transpose %[[S]] {perm = array<i64: 0, 3, 5, 1, 2, 4>}
  // CHECK: r1.reshape %[[ST]], %{{.*}} -> tensor<?x32x1x2xf32>
  %0 = r1.onnx_node "DepthToSpace"(%x) {domain = "", node_name = "dcr", onnx_attrs = {blocksize = 2 : i64}, opset = 13 : i64} : (tensor<?x8x2x4xf32>) -> !r1.unknown
  %1 = r1.onnx_node "DepthToSpace"(%x) {domain = "", node_name = "crd", onnx_attrs = {blocksize = 2 : i64, mode = "CRD"}, opset = 13 : i64} : (tensor<?x8x2x4xf32>) -> !r1.unknown
  %2 = r1.onnx_node "SpaceToDepth"(%x) {domain = "", node_name = "s2d", onnx_attrs = {blocksize = 2 : i64}, opset = 13 : i64} : (tensor<?x8x2x4xf32>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// ConvTranspose with kernel == stride is one GEMM of the rearranged
// constant weight, [Cout * K, Cin], by the input, then a pixel shuffle; the
// bias is added before the last reshape (a view), in the transpose's kernel.
// CHECK-LABEL: func @conv_transpose_gemm
// CHECK-SAME: (%[[X:.*]]: tensor<?x2x3x4xf32>, %[[B:.*]]: tensor<3xf32>) -> tensor<?x3x3x8xf32>
func.func @conv_transpose_gemm(%x: tensor<?x2x3x4xf32>, %b: tensor<3xf32>) -> !r1.unknown {
  // CHECK: %[[W:.*]] = r1.constant dense<{{\[}}[1.000000e+00, 7.000000e+00], [2.000000e+00, 8.000000e+00], [3.000000e+00, 9.000000e+00], [4.000000e+00, 1.000000e+01], [5.000000e+00, 1.100000e+01], [6.000000e+00, 1.200000e+01]]> : tensor<6x2xf32>
  // CHECK: %[[XR:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<?x2x12xf32>
  // CHECK: %[[M:.*]] = r1.matmul %[[W]], %[[XR]] : (tensor<6x2xf32>, tensor<?x2x12xf32>) -> tensor<?x6x12xf32>
  // CHECK: %[[MR:.*]] = r1.reshape %[[M]], %{{.*}} -> tensor<?x3x1x2x3x4xf32>
  // CHECK: %[[T:.*]] = r1.transpose %[[MR]] {perm = array<i64: 0, 1, 4, 2, 5, 3>}
  // CHECK: %[[BU:.*]] = r1.unsqueeze %[[B]] {axes = array<i64: 1, 2, 3, 4>}
  // CHECK: %[[A:.*]] = r1.add %[[T]], %[[BU]]
  // CHECK: r1.reshape %[[A]], %{{.*}} -> tensor<?x3x3x8xf32>
  %w = r1.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]], [[[7.0, 8.0]], [[9.0, 10.0]], [[11.0, 12.0]]]]> : tensor<2x3x1x2xf32>
  %0 = r1.onnx_node "ConvTranspose"(%x, %w, %b) {domain = "", node_name = "up", onnx_attrs = {strides = array<i64: 1, 2>}, opset = 11 : i64} : (tensor<?x2x3x4xf32>, tensor<2x3x1x2xf32>, tensor<3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Otherwise a stride-1 convolution of the zero-inserted input (a gather and
// a select per strided dim), padded by the kernel's overhang less the pads;
// an overhang below zero crops (the slice). A weight known only at run time
// is flipped by a reversing slice.
// CHECK-LABEL: func @conv_transpose_conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x4xf32>, %[[W:.*]]: tensor<2x1x3x3xf32>) -> tensor<1x2x6x3xf32>
func.func @conv_transpose_conv(%x: tensor<1x2x3x4xf32>, %w: tensor<2x1x3x3xf32>) -> !r1.unknown {
  // CHECK: %[[I:.*]] = r1.constant dense<[0, 0, 1, 1, 2]> : tensor<5xi64>
  // CHECK: %[[G:.*]] = r1.gather %[[X]], %[[I]] {axis = 2 : i64}
  // CHECK: %[[KEEP:.*]] = r1.constant dense<{{\[}}[true], [false], [true], [false], [true]]> : tensor<5x1xi1>
  // CHECK: %[[Z:.*]] = r1.where %[[KEEP]], %[[G]], %{{.*}} : (tensor<5x1xi1>, tensor<1x2x5x4xf32>, tensor<f32>) -> tensor<1x2x5x4xf32>
  // CHECK: %[[C:.*]] = r1.slice %[[Z]] {axes = array<i64: 3>, ends = array<i64: 3>, starts = array<i64: 0>, steps = array<i64: 1>}
  // CHECK: %[[WT:.*]] = r1.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3, 4>}
  // CHECK: %[[WF:.*]] = r1.slice %[[WT]] {axes = array<i64: 3, 4>, ends = array<i64: -9223372036854775808, -9223372036854775808>, starts = array<i64: -1, -1>, steps = array<i64: -1, -1>}
  // CHECK: %[[WR:.*]] = r1.reshape %[[WF]], %{{.*}} -> tensor<2x1x3x3xf32>
  // CHECK: r1.conv %[[C]], %[[WR]] {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 2, 2, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x5x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x6x3xf32>
  %0 = r1.onnx_node "ConvTranspose"(%x, %w) {domain = "", node_name = "ct", onnx_attrs = {strides = array<i64: 2, 1>, pads = array<i64: 1, 0, 0, 3>, group = 2 : i64}, opset = 11 : i64} : (tensor<1x2x3x4xf32>, tensor<2x1x3x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A constant weight is flipped and transposed at compile time.
// CHECK-LABEL: func @conv_transpose_constant_weight
func.func @conv_transpose_constant_weight(%x: tensor<1x1x3xf32>) -> !r1.unknown {
  // CHECK: %[[W:.*]] = r1.constant dense<{{\[\[\[}}3.000000e+00, 2.000000e+00, 1.000000e+00]], {{\[\[}}6.000000e+00, 5.000000e+00, 4.000000e+00]]]> : tensor<2x1x3xf32>
  // CHECK: r1.conv %{{.*}}, %[[W]] {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 2, 2>, strides = array<i64: 1>} : (tensor<1x1x5xf32>, tensor<2x1x3xf32>) -> tensor<1x2x7xf32>
  %w = r1.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]> : tensor<1x2x3xf32>
  %0 = r1.onnx_node "ConvTranspose"(%x, %w) {domain = "", node_name = "ct1", onnx_attrs = {strides = array<i64: 2>}, opset = 22 : i64} : (tensor<1x1x3xf32>, tensor<1x2x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x3x4x4xf32>, %w: tensor<2x1x3x3xf32>) -> !r1.unknown {
  // expected-error @+1 {{ConvTranspose (opset 11): input has 3 channels but the weight [2, 1, 3, 3] with group 1 expects 2}}
  %0 = r1.onnx_node "ConvTranspose"(%x, %w) {domain = "", node_name = "ct", onnx_attrs = {}, opset = 11 : i64} : (tensor<1x3x4x4xf32>, tensor<2x1x3x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// GridSample: per spatial dim, the grid's coordinate (innermost dim first)
// to a pixel one and its taps; every combination of one tap per dim is an
// index tuple for one gather_nd from the input as [N, pixels, C], weighted
// and summed. Zeros padding zeroes the weight of taps outside the input.
// CHECK-LABEL: func @grid_sample_bilinear
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x5xf32>, %[[G:.*]]: tensor<?x6x7x2xf32>) -> tensor<?x3x6x7xf32>
func.func @grid_sample_bilinear(%x: tensor<?x3x4x5xf32>, %g: tensor<?x6x7x2xf32>) -> !r1.unknown {
  // CHECK: %[[GY:.*]] = r1.slice %[[G]] {axes = array<i64: 3>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>}
  // CHECK: r1.floor
  // CHECK: r1.where %{{.*}} : (tensor<?x6x7xi1>, tensor<f32>, tensor<?x6x7xf32>) -> tensor<?x6x7xf32>
  // CHECK: r1.clip %{{.*}} {max = 3.000000e+00 : f64, min = 0.000000e+00 : f64}
  // CHECK: %[[GX:.*]] = r1.slice %[[G]] {axes = array<i64: 3>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
  // CHECK: r1.clip %{{.*}} {max = 4.000000e+00 : f64, min = 0.000000e+00 : f64}
  // CHECK: %[[XT:.*]] = r1.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
  // CHECK: %[[TABLE:.*]] = r1.reshape %[[XT]], %{{.*}} -> tensor<?x20x3xf32>
  // CHECK: r1.concat %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {axis = 3 : i64} : {{.*}} -> tensor<?x6x7x4xi64>
  // CHECK: %[[IDX:.*]] = r1.reshape %{{.*}} -> tensor<?x168x1xi64>
  // CHECK: %[[PICK:.*]] = r1.gather_nd %[[TABLE]], %[[IDX]] {batch_dims = 1 : i64} : (tensor<?x20x3xf32>, tensor<?x168x1xi64>) -> tensor<?x168x3xf32>
  // CHECK: %[[W:.*]] = r1.reshape %{{.*}} -> tensor<?x42x4x1xf32>
  // CHECK: %[[TAPS:.*]] = r1.reshape %[[PICK]], %{{.*}} -> tensor<?x42x4x3xf32>
  // CHECK: %[[M:.*]] = r1.mul %[[TAPS]], %[[W]]
  // CHECK: %[[S:.*]] = r1.reduce_sum %[[M]] {axes = array<i64: 2>, keepdims = false
  // CHECK: %[[T:.*]] = r1.transpose %[[S]] {perm = array<i64: 0, 2, 1>}
  // CHECK: r1.reshape %[[T]], %{{.*}} -> tensor<?x3x6x7xf32>
  %0 = r1.onnx_node "GridSample"(%x, %g) {domain = "", node_name = "gs", onnx_attrs = {mode = "bilinear"}, opset = 16 : i64} : (tensor<?x3x4x5xf32>, tensor<?x6x7x2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Nearest rounds half to even and reads one tap: no weights with border
// padding, which clamps coordinates past the edge.
// CHECK-LABEL: func @grid_sample_nearest_border
func.func @grid_sample_nearest_border(%x: tensor<1x3x4x5xf32>, %g: tensor<1x6x7x2xf32>) -> !r1.unknown {
  // CHECK: r1.round
  // CHECK: %[[PICK:.*]] = r1.gather_nd %{{.*}} {batch_dims = 1 : i64} : (tensor<1x20x3xf32>, tensor<1x42x1xi64>) -> tensor<1x42x3xf32>
  // CHECK-NOT: r1.reduce_sum
  // CHECK: r1.transpose %[[PICK]] {perm = array<i64: 0, 2, 1>}
  %0 = r1.onnx_node "GridSample"(%x, %g) {domain = "", node_name = "gs", onnx_attrs = {mode = "nearest", padding_mode = "border"}, opset = 20 : i64} : (tensor<1x3x4x5xf32>, tensor<1x6x7x2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @grid_sample_3d_before_opset_20(%x: tensor<1x1x2x3x4xf32>, %g: tensor<1x2x2x2x3xf32>) -> !r1.unknown {
  // expected-error @+1 {{GridSample (opset 16): takes 4-D inputs before opset 20}}
  %0 = r1.onnx_node "GridSample"(%x, %g) {domain = "", node_name = "gs", onnx_attrs = {}, opset = 16 : i64} : (tensor<1x1x2x3x4xf32>, tensor<1x2x2x2x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// AffineGrid: a constant table of pixel centers (x, y, 1) times the
// transposed transforms; a size known only at run time is read from the
// declared output.
// CHECK-LABEL: func @affine_grid
// CHECK-SAME: (%[[T:.*]]: tensor<?x2x3xf32>, %[[S:.*]]: tensor<4xi64>)
func.func @affine_grid(%t: tensor<?x2x3xf32>, %s: tensor<4xi64>) -> (!r1.unknown, tensor<?x2x3x2xf32>) {
  // CHECK: %[[BASE:.*]] = r1.constant dense_resource<r1c.table.{{.*}}> : tensor<6x3xf32>
  // CHECK: %[[TT:.*]] = r1.transpose %[[T]] {perm = array<i64: 0, 2, 1>}
  // CHECK: %[[M:.*]] = r1.matmul %[[BASE]], %[[TT]] : (tensor<6x3xf32>, tensor<?x3x2xf32>) -> tensor<?x6x2xf32>
  // CHECK: r1.reshape %[[M]], %{{.*}} -> tensor<?x2x3x2xf32>
  // CHECK: r1.matmul %{{.*}} : (tensor<6x3xf32>, tensor<?x3x2xf32>) -> tensor<?x6x2xf32>
  %size = r1.constant dense<[1, 1, 2, 3]> : tensor<4xi64>
  %0 = r1.onnx_node "AffineGrid"(%t, %size) {domain = "", node_name = "ag", onnx_attrs = {align_corners = 1 : i64}, opset = 20 : i64} : (tensor<?x2x3xf32>, tensor<4xi64>) -> !r1.unknown
  %1 = r1.onnx_node "AffineGrid"(%t, %s) {domain = "", node_name = "ag2", onnx_attrs = {}, opset = 20 : i64} : (tensor<?x2x3xf32>, tensor<4xi64>) -> tensor<?x2x3x2xf32>
  return %0, %1 : !r1.unknown, tensor<?x2x3x2xf32>
}

// -----

func.func @affine_grid_unknown_size(%t: tensor<2x2x3xf32>, %s: tensor<4xi64>) -> !r1.unknown {
  // expected-error @+1 {{AffineGrid (opset 20): needs a constant size, or a declared static output shape}}
  %0 = r1.onnx_node "AffineGrid"(%t, %s) {domain = "", node_name = "ag", onnx_attrs = {}, opset = 20 : i64} : (tensor<2x2x3xf32>, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Col2Im with the block shape as data: the image comes from the declared
// output, the landing index of every column element is arithmetic on an
// iota and the block dims at run time, then one scatter-add over the padded
// image and a crop of the pads.
// CHECK-LABEL: func @col2im_block_data
// CHECK-SAME: (%[[X:.*]]: tensor<2x12x15xf32>, %{{.*}}: tensor<2xi64>, %[[B:.*]]: tensor<2xi64>) -> tensor<2x3x5x5xf32>
func.func @col2im_block_data(%x: tensor<2x12x15xf32>, %image: tensor<2xi64>, %block: tensor<2xi64>) -> tensor<2x3x5x5xf32> {
  // CHECK: r1.slice %[[B]] {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 1>
  // CHECK: r1.floor
  // CHECK: %[[U:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<2x3x60xf32>
  // CHECK: %[[I:.*]] = r1.cast %{{.*}} {to = i64} : (tensor<60xf64>) -> tensor<60xi64>
  // CHECK: %[[E:.*]] = r1.expand %{{.*}} -> tensor<2x3x60xi64>
  // CHECK: %[[Z:.*]] = r1.constant dense<0.000000e+00> : tensor<2x3x36xf32>
  // CHECK: %[[S:.*]] = r1.scatter_elements %[[Z]], %[[E]], %[[U]] {axis = 2 : i64, reduction = #r1.scatter_reduction<add>}
  // CHECK: %[[P:.*]] = r1.reshape %[[S]], %{{.*}} -> tensor<2x3x6x6xf32>
  // CHECK: r1.pad %[[P]] {mode = "constant", pads = array<i64: 0, 0, -1, 0, 0, 0, 0, -1>
  %0 = r1.onnx_node "Col2Im"(%x, %image, %block) {domain = "", node_name = "c2i", onnx_attrs = {strides = array<i64: 1, 2>, pads = array<i64: 1, 0, 0, 1>}, opset = 18 : i64} : (tensor<2x12x15xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3x5x5xf32>
  return %0 : tensor<2x3x5x5xf32>
}

// -----

// A constant block shape makes the landing indices a table.
// CHECK-LABEL: func @col2im_block_constant
func.func @col2im_block_constant(%x: tensor<1x6x3xf32>) -> !r1.unknown {
  // CHECK: r1.constant dense<{{\[\[\[}}0, 3, 6, 1, 4, 7, 2, 5, 8, 18, 21, 24, 19, 22, 25, 20, 23, 26]]]> : tensor<1x1x18xi64>
  // CHECK-NOT: r1.floor
  // CHECK: r1.scatter_elements {{.*}} -> tensor<1x1x36xf32>
  // CHECK: r1.reshape {{.*}} -> tensor<1x1x4x9xf32>
  %image = r1.constant dense<[4, 9]> : tensor<2xi64>
  %block = r1.constant dense<[2, 3]> : tensor<2xi64>
  %0 = r1.onnx_node "Col2Im"(%x, %image, %block) {domain = "", node_name = "c2i", onnx_attrs = {dilations = array<i64: 2, 1>, strides = array<i64: 2, 3>}, opset = 18 : i64} : (tensor<1x6x3xf32>, tensor<2xi64>, tensor<2xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @col2im_image_data(%x: tensor<1x4x4xf32>, %image: tensor<2xi64>, %block: tensor<2xi64>) -> !r1.unknown {
  // expected-error @+1 {{Col2Im (opset 18): image_shape is data and decides the output's shape: it needs a constant image_shape, or the output's shape [N, C, image...] declared in the model}}
  %0 = r1.onnx_node "Col2Im"(%x, %image, %block) {domain = "", node_name = "c2i", onnx_attrs = {}, opset = 18 : i64} : (tensor<1x4x4xf32>, tensor<2xi64>, tensor<2xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// MaxPool's Indices output: one gather per spatial dim reads every window's
// taps, reduce_max is the value, arg_max the tap, mapped back to the
// flattened input (here column-major, storage_order 1).
// CHECK-LABEL: func @maxpool_indices
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
func.func @maxpool_indices(%x: tensor<1x2x5x5xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[G0:.*]] = r1.gather %[[X]], %{{.*}} {axis = 2 : i64} : (tensor<1x2x5x5xf32>, tensor<2x2xi64>) -> tensor<1x2x2x2x5xf32>
  // CHECK: %[[G1:.*]] = r1.gather %[[G0]], %{{.*}} {axis = 4 : i64} : {{.*}} -> tensor<1x2x2x2x2x2xf32>
  // CHECK: %[[T:.*]] = r1.transpose %[[G1]] {perm = array<i64: 0, 1, 2, 4, 3, 5>}
  // CHECK: %[[W:.*]] = r1.reshape %[[T]], %{{.*}} -> tensor<1x2x2x2x4xf32>
  // CHECK: %[[Y:.*]] = r1.reduce_max %[[W]] {axes = array<i64: 4>, keepdims = false
  // CHECK: %[[A:.*]] = r1.arg_max %[[W]] {axis = 4 : i64, keepdims = false, select_last_index = false}
  // CHECK: r1.constant dense<{{\[\[\[\[}}0]], {{\[\[}}25]]]]> : tensor<1x2x1x1xi64>
  // CHECK: r1.div %[[A]]
  // CHECK: r1.mod
  // CHECK: %[[I:.*]] = r1.add %{{.*}}, %{{.*}} : (tensor<1x2x2x2xi64>, tensor<1x2x2x2xi64>)
  // CHECK-NEXT: return %[[Y]], %[[I]]
  %0:2 = r1.onnx_node "MaxPool"(%x) {domain = "", node_name = "mp", onnx_attrs = {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, storage_order = 1 : i64}, opset = 12 : i64} : (tensor<1x2x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// MaxPool over integers: the same taps, the pads masked to the type's
// lowest value, and reduce_max.
// CHECK-LABEL: func @maxpool_uint8
func.func @maxpool_uint8(%x: tensor<1x1x5x5xui8>) -> !r1.unknown {
  // CHECK: r1.gather {{.*}} -> tensor<1x1x5x3x5x3xui8>
  // CHECK: %[[LOW:.*]] = r1.constant dense<0> : tensor<ui8>
  // CHECK: r1.where %{{.*}}, %{{.*}}, %[[LOW]]
  // CHECK: r1.reduce_max {{.*}} : (tensor<1x1x5x5x9xui8>) -> tensor<1x1x5x5xui8>
  // CHECK-NOT: r1.max_pool
  %0 = r1.onnx_node "MaxPool"(%x) {domain = "", node_name = "mp", onnx_attrs = {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>}, opset = 12 : i64} : (tensor<1x1x5x5xui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// MaxUnpool scatters the values to their indices in zeros of the unpooled
// size, then pads to output_shape.
// CHECK-LABEL: func @maxunpool
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x2x2xf32>, %[[I:.*]]: tensor<1x1x2x2xi64>) -> tensor<1x1x5x5xf32>
func.func @maxunpool(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> !r1.unknown {
  // CHECK: %[[FI:.*]] = r1.reshape %[[I]], %{{.*}} -> tensor<4xi64>
  // CHECK: %[[Z:.*]] = r1.constant dense<0.000000e+00> : tensor<16xf32>
  // CHECK: %[[FX:.*]] = r1.reshape %[[X]], %{{.*}} -> tensor<4xf32>
  // CHECK: %[[S:.*]] = r1.scatter_elements %[[Z]], %[[FI]], %[[FX]] {axis = 0 : i64, reduction = #r1.scatter_reduction<none>}
  // CHECK: %[[U:.*]] = r1.reshape %[[S]], %{{.*}} -> tensor<1x1x4x4xf32>
  // CHECK: r1.pad %[[U]] {mode = "constant", pads = array<i64: 0, 0, 0, 0, 0, 0, 1, 1>
  %s = r1.constant dense<[1, 1, 5, 5]> : tensor<4xi64>
  %0 = r1.onnx_node "MaxUnpool"(%x, %i, %s) {domain = "", node_name = "mu", onnx_attrs = {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}, opset = 11 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// RoiAlign: coordinates per axis from the rois, the corners of every
// sample as (batch index, pixel) tuples for one gather_nd from the input as
// [N, pixels, C], weighted, summed over the samples and divided (avg).
// CHECK-LABEL: func @roi_align_avg
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x10xf32>, %{{.*}}: tensor<4x4xf32>, %{{.*}}: tensor<4xi64>) -> tensor<4x3x3x2xf32>
func.func @roi_align_avg(%x: tensor<2x3x8x10xf32>, %rois: tensor<4x4xf32>, %b: tensor<4xi64>) -> !r1.unknown {
  // CHECK: %[[XT:.*]] = r1.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
  // CHECK: %[[TABLE:.*]] = r1.reshape %[[XT]], %{{.*}} -> tensor<2x80x3xf32>
  // CHECK: %[[P:.*]] = r1.gather_nd %[[TABLE]], %{{.*}} {batch_dims = 0 : i64} : (tensor<2x80x3xf32>, tensor<4x96x2xi64>) -> tensor<4x96x3xf32>
  // CHECK: r1.reduce_sum %{{.*}} {axes = array<i64: 2, 4, 5>, keepdims = false
  // CHECK: r1.div
  // CHECK: r1.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>} : (tensor<4x3x2x3xf32>) -> tensor<4x3x3x2xf32>
  %0 = r1.onnx_node "RoiAlign"(%x, %rois, %b) {domain = "", node_name = "ra", onnx_attrs = {output_height = 3 : i64, output_width = 2 : i64, sampling_ratio = 2 : i64, spatial_scale = 5.000000e-01 : f32}, opset = 16 : i64} : (tensor<2x3x8x10xf32>, tensor<4x4xf32>, tensor<4xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @roi_align_adaptive(%x: tensor<1x1x8x8xf32>, %rois: tensor<2x4xf32>, %b: tensor<2xi64>) -> !r1.unknown {
  // expected-error @+1 {{RoiAlign (opset 16): sampling_ratio 0 (adaptive) takes ceil(roi size / bins) samples per bin, which depends on the rois' values; r1c needs a positive sampling_ratio}}
  %0 = r1.onnx_node "RoiAlign"(%x, %rois, %b) {domain = "", node_name = "ra", onnx_attrs = {}, opset = 16 : i64} : (tensor<1x1x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// DeformConv: the four corners of every offset tap, gathered per offset
// group from the input as [N, G, pixels, C / G], weighted (times the mask)
// and summed into columns, then one batched matmul per conv group.
// CHECK-LABEL: func @deform_conv_groups
func.func @deform_conv_groups(%x: tensor<1x4x6x6xf32>, %w: tensor<4x2x3x3xf32>, %off: tensor<1x36x3x3xf32>, %bias: tensor<4xf32>, %m: tensor<1x18x3x3xf32>) -> !r1.unknown {
  // CHECK: r1.gather_nd %{{.*}}, %{{.*}} {batch_dims = 2 : i64} : (tensor<1x2x36x2xf32>, tensor<1x2x324x1xi64>) -> tensor<1x2x324x2xf32>
  // CHECK: r1.reduce_sum %{{.*}} {axes = array<i64: 2>
  // CHECK: %[[C:.*]] = r1.reshape %{{.*}} -> tensor<1x2x18x9xf32>
  // CHECK: %[[F:.*]] = r1.reshape %{{.*}} -> tensor<2x2x18xf32>
  // CHECK: %[[M:.*]] = r1.matmul %[[F]], %[[C]] : (tensor<2x2x18xf32>, tensor<1x2x18x9xf32>) -> tensor<1x2x2x9xf32>
  // CHECK: r1.reshape %[[M]], %{{.*}} -> tensor<1x4x3x3xf32>
  // CHECK: r1.add
  %0 = r1.onnx_node "DeformConv"(%x, %w, %off, %bias, %m) {domain = "", node_name = "dc", onnx_attrs = {group = 2 : i64, offset_group = 2 : i64, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}, opset = 19 : i64} : (tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>, tensor<1x36x3x3xf32>, tensor<4xf32>, tensor<1x18x3x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}
