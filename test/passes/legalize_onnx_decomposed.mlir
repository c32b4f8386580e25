// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// ONNX ops that decompose into r1 ops: attention, normalizations, losses
// and index arithmetic. One case per family, and the errors that name the node.

// Grouped-query attention repeats key/value heads; a causal mask is an
// additive -inf bias above the diagonal (aligned at the top left).
// CHECK-LABEL: func @attention_gqa_causal
// CHECK: %[[K:.*]] = r1.tile %arg1, %{{.*}} -> tensor<2x8x6x16xf32>
// CHECK: %[[V:.*]] = r1.tile %arg2, %{{.*}} -> tensor<2x8x6x16xf32>
// CHECK: %[[Q:.*]] = r1.mul %arg0, %{{.*}} : (tensor<2x8x4x16xf32>, tensor<f32>)
// CHECK: %[[KT:.*]] = r1.transpose %[[K]] {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[S:.*]] = r1.matmul %[[Q]], %[[KT]] {{.*}} -> tensor<2x8x4x6xf32>
// CHECK: r1.constant dense<{{\[}}[false, true, true, true, true, true], [false, false, true, true, true, true]
// CHECK: %[[B:.*]] = r1.add %[[S]], %{{.*}} : (tensor<2x8x4x6xf32>, tensor<4x6xf32>)
// CHECK: %[[P:.*]] = r1.softmax %[[B]] {axis = -1 : i64}
// CHECK: r1.matmul %[[P]], %[[V]] {{.*}} -> tensor<2x8x4x16xf32>
func.func @attention_gqa_causal(%q: tensor<2x8x4x16xf32>, %k: tensor<2x2x6x16xf32>, %v: tensor<2x2x6x16xf32>) -> !r1.unknown {
  %0 = r1.onnx_node "Attention"(%q, %k, %v) {domain = "", node_name = "att", onnx_attrs = {is_causal = 1 : i64}, opset = 23 : i64} : (tensor<2x8x4x16xf32>, tensor<2x2x6x16xf32>, tensor<2x2x6x16xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @attention_packed_needs_heads(%q: tensor<2x4x32xf32>) -> !r1.unknown {
  // expected-error @+1 {{3-D inputs need q_num_heads and kv_num_heads}}
  %0 = r1.onnx_node "Attention"(%q, %q, %q) {domain = "", node_name = "att", onnx_attrs = {}, opset = 23 : i64} : (tensor<2x4x32xf32>, tensor<2x4x32xf32>, tensor<2x4x32xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// CHECK-LABEL: func @rms_normalization
// CHECK: %[[SQ:.*]] = r1.mul %arg0, %arg0
// CHECK: %[[MS:.*]] = r1.reduce_mean %[[SQ]] {axes = array<i64: 2>, keepdims = true
// CHECK: %[[E:.*]] = r1.add %[[MS]]
// CHECK: %[[R:.*]] = r1.sqrt %[[E]]
// CHECK: %[[N:.*]] = r1.div %arg0, %[[R]]
// CHECK: r1.mul %[[N]], %arg1
func.func @rms_normalization(%x: tensor<2x5x8xf32>, %s: tensor<8xf32>) -> !r1.unknown {
  %0 = r1.onnx_node "RMSNormalization"(%x, %s) {domain = "", node_name = "rms", onnx_attrs = {}, opset = 23 : i64} : (tensor<2x5x8xf32>, tensor<8xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// The loss picks each sample's log-probability along the class axis;
// ignored samples weigh zero and leave the mean's denominator.
// CHECK-LABEL: func @softmax_cross_entropy_ignore_index
// CHECK: %[[LP:.*]] = r1.log_softmax %arg0 {axis = 1 : i64}
// CHECK: %[[IGN:.*]] = r1.equal %arg1
// CHECK: %[[T:.*]] = r1.where %[[IGN]], %{{.*}}, %arg1
// CHECK: %[[C:.*]] = r1.unsqueeze %[[T]] {axes = array<i64: 1>}
// CHECK: r1.gather_elements %[[LP]], %[[C]] {axis = 1 : i64}
// CHECK: %[[W:.*]] = r1.where %[[IGN]]
// CHECK: %[[SUM:.*]] = r1.reduce_sum %{{.*}} -> tensor<f32>
// CHECK: %[[WS:.*]] = r1.reduce_sum %[[W]] {{.*}} -> tensor<f32>
// CHECK: r1.div %[[SUM]], %[[WS]]
func.func @softmax_cross_entropy_ignore_index(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> !r1.unknown {
  %0 = r1.onnx_node "SoftmaxCrossEntropyLoss"(%x, %t) {domain = "", node_name = "sce", onnx_attrs = {ignore_index = 1 : i64}, opset = 13 : i64} : (tensor<3x5xf32>, tensor<3xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// An axis computed at run time: every axis's sum, selected by it.
// CHECK-LABEL: func @cumsum_computed_axis
// CHECK-COUNT-2: r1.reduce_sum
// CHECK: %[[IS0:.*]] = r1.equal
// CHECK: r1.where %[[IS0]]
func.func @cumsum_computed_axis(%x: tensor<3x4xf32>, %a: tensor<i64>) -> !r1.unknown {
  %0 = r1.onnx_node "CumSum"(%x, %a) {domain = "", node_name = "cs", onnx_attrs = {}, opset = 14 : i64} : (tensor<3x4xf32>, tensor<i64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// LpPool with p = 2: the root of an average pool of squares times the window volume.
// CHECK-LABEL: func @lp_pool
// CHECK: %[[SQ:.*]] = r1.mul %arg0, %arg0
// CHECK: %[[AVG:.*]] = r1.average_pool %[[SQ]] {ceil_mode = false, count_include_pad = true
// CHECK: %[[SUM:.*]] = r1.mul %[[AVG]], %{{.*}} : (tensor<1x3x7x7xf32>, tensor<f32>)
// CHECK: r1.sqrt %[[SUM]]
func.func @lp_pool(%x: tensor<1x3x8x8xf32>) -> !r1.unknown {
  %0 = r1.onnx_node "LpPool"(%x) {domain = "", node_name = "lp", onnx_attrs = {kernel_shape = array<i64: 2, 2>, p = 2 : i64}, opset = 18 : i64} : (tensor<1x3x8x8xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @one_hot_depth_from_data(%i: tensor<3xi64>, %d: tensor<i64>, %v: tensor<2xf32>) -> !r1.unknown {
  // expected-error @+1 {{depth must be a constant}}
  %0 = r1.onnx_node "OneHot"(%i, %d, %v) {domain = "", node_name = "oh", onnx_attrs = {}, opset = 11 : i64} : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Einsum: labels both operands keep are batch dims of one matmul, the
// contracted label its inner dim.
// CHECK-LABEL: func @einsum_attention_scores
// CHECK: %[[KT:.*]] = r1.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[S:.*]] = r1.matmul %{{.*}}, %{{.*}} : (tensor<2x3x4x8xf32>, tensor<2x3x8x5xf32>) -> tensor<2x3x4x5xf32>
func.func @einsum_attention_scores(%q: tensor<2x3x4x8xf32>, %k: tensor<2x3x5x8xf32>) -> !r1.unknown {
  %0 = r1.onnx_node "Einsum"(%q, %k) {domain = "", node_name = "es", onnx_attrs = {equation = "bhqd,bhkd->bhqk"}, opset = 12 : i64} : (tensor<2x3x4x8xf32>, tensor<2x3x5x8xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @einsum_bad_equation(%x: tensor<3x4xf32>) -> !r1.unknown {
  // expected-error @+1 {{subscripts 'ijk' name 3 dims of an operand of rank 2}}
  %0 = r1.onnx_node "Einsum"(%x) {domain = "", node_name = "es", onnx_attrs = {equation = "ijk->i"}, opset = 12 : i64} : (tensor<3x4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Compress gathers the slices at the positions r1.non_zero packs, and
// keeps as many as the model declares.
// CHECK-LABEL: func @compress_declared_count
// CHECK: %[[POS:.*]], %{{.*}} = r1.non_zero %arg1 : (tensor<3xi1>) -> (tensor<1x3xi64>, tensor<1xi64>)
// CHECK: %[[FLAT:.*]] = r1.reshape %[[POS]]
// CHECK: %[[ALL:.*]] = r1.gather %arg0, %[[FLAT]] {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
// CHECK: r1.slice %[[ALL]] {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<3x2xf32>) -> tensor<2x2xf32>
func.func @compress_declared_count(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> tensor<2x2xf32> {
  %0 = r1.onnx_node "Compress"(%x, %c) {domain = "", node_name = "cp", onnx_attrs = {axis = 0 : i64}, opset = 11 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Without a declared count, NonZero keeps the columns the data gives, at
// run time.
// CHECK-LABEL: func @nonzero_undeclared
// CHECK-SAME: -> tensor<2x?xi64>
// CHECK: %[[POS:.*]], %[[COUNT:.*]] = r1.non_zero %arg0 : (tensor<4x5xf32>) -> (tensor<2x20xi64>, tensor<1xi64>)
// CHECK: r1.keep_leading %[[POS]], %[[COUNT]] {axis = 1 : i64} : (tensor<2x20xi64>, tensor<1xi64>) -> tensor<2x?xi64>
func.func @nonzero_undeclared(%x: tensor<4x5xf32>) -> !r1.unknown {
  %0 = r1.onnx_node "NonZero"(%x) {domain = "", node_name = "nz", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A node that reads a value whose size depends on the data runs on the
// padded value, and its outputs are cut to the same count: x[mask] as
// torch exports it (NonZero, Transpose, GatherND), then an elementwise op.
// CHECK-LABEL: func @nonzero_gather_nd
// CHECK-SAME: -> tensor<?xf32>
// CHECK: %[[POS:.*]], %[[COUNT:.*]] = r1.non_zero %{{.*}} : (tensor<4x5xi1>) -> (tensor<2x20xi64>, tensor<1xi64>)
// CHECK-NOT: r1.keep_leading
// CHECK: %[[T:.*]] = r1.transpose %[[POS]] {{.*}} -> tensor<20x2xi64>
// CHECK-NOT: r1.keep_leading
// CHECK: %[[G:.*]] = r1.gather_nd %arg0, %[[T]] {{.*}} -> tensor<20xf32>
// CHECK-NOT: r1.keep_leading
// CHECK: %[[M:.*]] = r1.mul %[[G]]
// CHECK: %[[CUT:.*]] = r1.keep_leading %[[M]], %[[COUNT]] {axis = 0 : i64} : (tensor<20xf32>, tensor<1xi64>) -> tensor<?xf32>
// CHECK: return %[[CUT]]
func.func @nonzero_gather_nd(%x: tensor<4x5xf32>) -> !r1.unknown {
  %zero = r1.constant dense<0.0> : tensor<f32>
  %two = r1.constant dense<2.0> : tensor<f32>
  %m = r1.onnx_node "Greater"(%x, %zero) {domain = "", node_name = "g", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>, tensor<f32>) -> !r1.unknown
  %0 = r1.onnx_node "NonZero"(%m) {domain = "", node_name = "nz", onnx_attrs = {}, opset = 13 : i64} : (!r1.unknown) -> !r1.unknown
  %1 = r1.onnx_node "Transpose"(%0) {domain = "", node_name = "t", onnx_attrs = {}, opset = 13 : i64} : (!r1.unknown) -> !r1.unknown
  %2 = r1.onnx_node "GatherND"(%x, %1) {domain = "", node_name = "gnd", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>, !r1.unknown) -> !r1.unknown
  %3 = r1.onnx_node "Mul"(%2, %two) {domain = "", node_name = "mul", onnx_attrs = {}, opset = 13 : i64} : (!r1.unknown, tensor<f32>) -> !r1.unknown
  return %3 : !r1.unknown
}

// -----

// A node that mixes the entries along the data-sized axis is refused,
// naming the input and the node that computed it.
func.func @nonzero_reduced_along_its_count(%x: tensor<4x5xf32>) -> !r1.unknown {
  %axes = r1.constant dense<1> : tensor<1xi64>
  %0 = r1.onnx_node "NonZero"(%x) {domain = "", node_name = "nz", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>) -> !r1.unknown loc("nz")
  // expected-error @+1 {{ReduceSum (opset 13): input #0 has a size that depends on the data (computed by node 'nz'), and ReduceSum mixes entries along that axis or is not yet supported on such values}}
  %1 = r1.onnx_node "ReduceSum"(%0, %axes) {domain = "", node_name = "r", onnx_attrs = {}, opset = 13 : i64} : (!r1.unknown, tensor<1xi64>) -> !r1.unknown
  return %1 : !r1.unknown
}
