// RUN: r1c-opt %s | r1c-opt | FileCheck %s
// RUN: r1c-opt %s -mlir-print-op-generic | r1c-opt | FileCheck %s

// Round trip of every r1 op and type: what prints parses back the same.

//===----------------------------------------------------------------------===//
// Import: onnx_node, none, !r1.unknown
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @onnx_node
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
func.func @onnx_node(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, tensor<?x8xf32>) {
  // CHECK: %[[NONE:.*]] = r1.none
  %none = r1.none
  // CHECK: %[[A:.*]] = r1.onnx_node "Clip"(%[[X]], %[[NONE]], %[[NONE]])
  // CHECK-SAME: {domain = "", node_name = "clip1", onnx_attrs = {}, opset = 13 : i64}
  // CHECK-SAME: : (tensor<?x8xf32>, none, none) -> !r1.unknown
  %a = r1.onnx_node "Clip"(%x, %none, %none) {domain = "", opset = 13 : i64,
      node_name = "clip1", onnx_attrs = {}} : (tensor<?x8xf32>, none, none) -> !r1.unknown
  // Several results, a custom domain and attributes of every ONNX kind.
  // CHECK: %[[B:.*]]:2 = r1.onnx_node "Fancy"(%[[A]])
  // CHECK-SAME: domain = "com.example"
  // CHECK-SAME: onnx_attrs = {f = 5.000000e-01 : f32, fs = array<f32: 1.000000e+00, 2.000000e+00>, i = 3 : i64, is = array<i64: 1, -1>, s = "abc", ss = ["x", "y"], t = dense<[1, 2]> : tensor<2xi64>}
  // CHECK-SAME: opset = 1 : i64
  // CHECK-SAME: : (!r1.unknown) -> (!r1.unknown, tensor<?x8xf32>)
  %b:2 = r1.onnx_node "Fancy"(%a) {domain = "com.example", opset = 1 : i64, node_name = "",
      onnx_attrs = {f = 0.5 : f32, fs = array<f32: 1.0, 2.0>, i = 3 : i64,
                    is = array<i64: 1, -1>, s = "abc", ss = ["x", "y"],
                    t = dense<[1, 2]> : tensor<2xi64>}}
      : (!r1.unknown) -> (!r1.unknown, tensor<?x8xf32>)
  // No inputs at all.
  // CHECK: r1.onnx_node "Constant"() {{.*}} : () -> !r1.unknown
  %c = r1.onnx_node "Constant"() {domain = "", opset = 17 : i64, node_name = "c",
      onnx_attrs = {value_int = 4 : i64}} : () -> !r1.unknown
  // CHECK: return %[[B]]#0, %{{.*}}, %[[B]]#1
  return %b#0, %c, %b#1 : !r1.unknown, !r1.unknown, tensor<?x8xf32>
}

// Subgraphs are regions named in `subgraphs`: inputs are block arguments,
// outputs close with r1.onnx_yield, and values from outside are read directly.
// CHECK-LABEL: func @onnx_node_subgraphs
// CHECK-SAME: (%[[C:.*]]: tensor<i1>, %[[X:.*]]: tensor<2xf32>)
func.func @onnx_node_subgraphs(%c: tensor<i1>, %x: tensor<2xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[IF:.*]] = r1.onnx_node "If"(%[[C]])
  // CHECK-SAME: subgraphs = ["then_branch", "else_branch"]
  // CHECK-SAME: : (tensor<i1>) -> !r1.unknown ({
  // CHECK-NEXT: %[[N:.*]] = r1.onnx_node "Neg"(%[[X]])
  // CHECK-NEXT: r1.onnx_yield %[[N]] : !r1.unknown
  // CHECK-NEXT: }, {
  // CHECK-NEXT: r1.onnx_yield %[[X]] : tensor<2xf32>
  // CHECK-NEXT: })
  %0 = r1.onnx_node "If"(%c) {domain = "", node_name = "if", onnx_attrs = {}, opset = 17 : i64,
      subgraphs = ["then_branch", "else_branch"]} : (tensor<i1>) -> !r1.unknown ({
    %n = r1.onnx_node "Neg"(%x) {domain = "", node_name = "", onnx_attrs = {}, opset = 17 : i64}
        : (tensor<2xf32>) -> !r1.unknown
    r1.onnx_yield %n : !r1.unknown
  }, {
    r1.onnx_yield %x : tensor<2xf32>
  })
  // CHECK: r1.onnx_node "Loop"
  // CHECK: ^bb0(%{{.*}}: tensor<i64>, %[[COND:.*]]: tensor<i1>, %[[V:.*]]: !r1.unknown):
  // CHECK-NEXT: r1.onnx_yield %[[COND]], %[[V]] : tensor<i1>, !r1.unknown
  %m = r1.constant dense<3> : tensor<i64>
  %1 = r1.onnx_node "Loop"(%m, %c, %0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 17 : i64, subgraphs = ["body"]} : (tensor<i64>, tensor<i1>, !r1.unknown) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: !r1.unknown):
    r1.onnx_yield %cond, %v : tensor<i1>, !r1.unknown
  })
  return %0, %1 : !r1.unknown, !r1.unknown
}

// The generic form parses to the same op.
// CHECK-LABEL: func @onnx_node_generic
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @onnx_node_generic(%x: tensor<4xf32>) -> !r1.unknown {
  // CHECK: %[[Y:.*]] = r1.onnx_node "Relu"(%[[X]]) {domain = "", node_name = "relu1", onnx_attrs = {}, opset = 17 : i64} : (tensor<4xf32>) -> !r1.unknown
  %y = "r1.onnx_node"(%x) <{op_type = "Relu", domain = "", opset = 17 : i64,
      node_name = "relu1", onnx_attrs = {}}> : (tensor<4xf32>) -> !r1.unknown
  // CHECK: return %[[Y]] : !r1.unknown
  return %y : !r1.unknown
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xi64>, tensor<f32>, tensor<2x2xf32>, tensor<0xi64>,
                           tensor<3xi1>, tensor<2xui8>) {
  // CHECK: r1.constant dense<[1, 2]> : tensor<2xi64>
  %0 = r1.constant dense<[1, 2]> : tensor<2xi64>
  // CHECK: r1.constant dense<1.500000e+00> : tensor<f32>
  %1 = r1.constant dense<1.5> : tensor<f32>
  // CHECK: r1.constant dense_resource<w0> : tensor<2x2xf32>
  %2 = r1.constant dense_resource<w0> : tensor<2x2xf32>
  // CHECK: r1.constant dense<> : tensor<0xi64>
  %3 = r1.constant dense<> : tensor<0xi64>
  // CHECK: r1.constant dense<[true, false, true]> : tensor<3xi1>
  %4 = r1.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK: r1.constant dense<[0, 255]> : tensor<2xui8>
  %5 = r1.constant dense<[0, 255]> : tensor<2xui8>
  return %0, %1, %2, %3, %4, %5 : tensor<2xi64>, tensor<f32>, tensor<2x2xf32>, tensor<0xi64>,
                                  tensor<3xi1>, tensor<2xui8>
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[U:.*]]: tensor<*xf32>, %[[I:.*]]: tensor<2x?xi32>, %[[B:.*]]: tensor<4xi1>)
func.func @unary(%x: tensor<?x8xf32>, %u: tensor<*xf32>, %i: tensor<2x?xi32>, %b: tensor<4xi1>) {
  // CHECK: r1.abs %[[I]] : (tensor<2x?xi32>) -> tensor<2x?xi32>
  %0 = r1.abs %i : (tensor<2x?xi32>) -> tensor<2x?xi32>
  // CHECK: r1.neg %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = r1.neg %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.relu %[[U]] : (tensor<*xf32>) -> tensor<*xf32>
  %2 = r1.relu %u : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: r1.sigmoid %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %3 = r1.sigmoid %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.tanh %[[U]] : (tensor<*xf32>) -> tensor<*xf32>
  %4 = r1.tanh %u : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: r1.erf %[[X]]
  %5 = r1.erf %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.sqrt %[[X]]
  %6 = r1.sqrt %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.exp %[[X]]
  %7 = r1.exp %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.log %[[X]]
  %8 = r1.log %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.reciprocal %[[X]]
  %9 = r1.reciprocal %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.floor %[[X]]
  %10 = r1.floor %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.ceil %[[X]]
  %11 = r1.ceil %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.round %[[X]]
  %12 = r1.round %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.sign %[[I]] : (tensor<2x?xi32>) -> tensor<2x?xi32>
  %13 = r1.sign %i : (tensor<2x?xi32>) -> tensor<2x?xi32>
  // CHECK: r1.sin %[[X]]
  %14 = r1.sin %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.cos %[[X]]
  %15 = r1.cos %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.softplus %[[X]]
  %16 = r1.softplus %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.softsign %[[X]]
  %17 = r1.softsign %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.hard_swish %[[X]]
  %18 = r1.hard_swish %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.not %[[B]] : (tensor<4xi1>) -> tensor<4xi1>
  %19 = r1.not %b : (tensor<4xi1>) -> tensor<4xi1>
  // CHECK: r1.celu %[[X]] {alpha = 2.000000e+00 : f32}
  %celu = r1.celu %x {alpha = 2.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.mish %[[X]]
  %mish = r1.mish %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.thresholded_relu %[[X]] {alpha = 1.000000e+00 : f32}
  %tr = r1.thresholded_relu %x {alpha = 1.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.shrink %[[X]] {bias = 1.000000e+00 : f32, lambd = 5.000000e-01 : f32}
  %sh = r1.shrink %x {bias = 1.0 : f32, lambd = 0.5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.tan %[[X]]
  %tan = r1.tan %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.asin %[[X]]
  %asin = r1.asin %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.acos %[[X]]
  %acos = r1.acos %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.atan %[[X]]
  %atan = r1.atan %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.sinh %[[X]]
  %sinh = r1.sinh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.cosh %[[X]]
  %cosh = r1.cosh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.asinh %[[X]]
  %asinh = r1.asinh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.acosh %[[X]]
  %acosh = r1.acosh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.atanh %[[X]]
  %atanh = r1.atanh %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.bitwise_not %[[I]] : (tensor<2x?xi32>) -> tensor<2x?xi32>
  %bnot = r1.bitwise_not %i : (tensor<2x?xi32>) -> tensor<2x?xi32>
  // CHECK: r1.is_nan %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xi1>
  %nan = r1.is_nan %x : (tensor<?x8xf32>) -> tensor<?x8xi1>
  // CHECK: r1.is_inf %[[X]] {detect_negative = false} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  %inf = r1.is_inf %x {detect_negative = false} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  // A result type may be more static than the inferred one.
  // CHECK: r1.relu %[[X]] : (tensor<?x8xf32>) -> tensor<3x8xf32>
  %20 = r1.relu %x : (tensor<?x8xf32>) -> tensor<3x8xf32>
  return
}

// CHECK-LABEL: func @unary_with_attributes
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
func.func @unary_with_attributes(%x: tensor<?x8xf32>) {
  // CHECK: r1.leaky_relu %[[X]] {alpha = 1.000000e-01 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %0 = r1.leaky_relu %x {alpha = 0.1 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.elu %[[X]] {alpha = 1.000000e+00 : f32}
  %1 = r1.elu %x {alpha = 1.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.selu %[[X]] {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32}
  %2 = r1.selu %x {alpha = 1.5 : f32, gamma = 2.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.hard_sigmoid %[[X]] {alpha = 2.500000e-01 : f32, beta = 5.000000e-01 : f32}
  %3 = r1.hard_sigmoid %x {alpha = 0.25 : f32, beta = 0.5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // The default approximation is not printed.
  // CHECK: r1.gelu %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %4 = r1.gelu %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.gelu %[[X]] {approximate = "tanh"}
  %5 = r1.gelu %x {approximate = "tanh"} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // Both clip bounds are optional.
  // CHECK: r1.clip %[[X]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  %6 = r1.clip %x {min = 0.0, max = 6.0} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.clip %[[X]] {min = -1.000000e+00 : f64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %7 = r1.clip %x {min = -1.0} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.clip %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %8 = r1.clip %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}

// CHECK-LABEL: func @cast
// CHECK-SAME: (%[[I:.*]]: tensor<2x?xi64>, %[[U:.*]]: tensor<*xf16>)
func.func @cast(%i: tensor<2x?xi64>, %u: tensor<*xf16>) {
  // CHECK: r1.cast %[[I]] {to = f32} : (tensor<2x?xi64>) -> tensor<2x?xf32>
  %0 = r1.cast %i {to = f32} : (tensor<2x?xi64>) -> tensor<2x?xf32>
  // CHECK: r1.cast %[[I]] {to = i1} : (tensor<2x?xi64>) -> tensor<2x?xi1>
  %1 = r1.cast %i {to = i1} : (tensor<2x?xi64>) -> tensor<2x?xi1>
  // CHECK: r1.cast %[[U]] {to = ui8} : (tensor<*xf16>) -> tensor<*xui8>
  %2 = r1.cast %u {to = ui8} : (tensor<*xf16>) -> tensor<*xui8>
  return
}

// CHECK-LABEL: func @binary
// CHECK-SAME: (%[[A:.*]]: tensor<?x1x8xf32>, %[[B:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<*xf32>, %[[I:.*]]: tensor<3xi64>, %[[J:.*]]: tensor<i64>, %[[P:.*]]: tensor<3xi1>, %[[Q:.*]]: tensor<1xi1>, %[[V:.*]]: tensor<2x3xui8>, %[[S:.*]]: tensor<3xui8>)
func.func @binary(%a: tensor<?x1x8xf32>, %b: tensor<4x8xf32>, %u: tensor<*xf32>,
                  %i: tensor<3xi64>, %j: tensor<i64>, %p: tensor<3xi1>, %q: tensor<1xi1>,
                  %v: tensor<2x3xui8>, %s: tensor<3xui8>) {
  // CHECK: r1.add %[[A]], %[[B]] : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
  %0 = r1.add %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
  // CHECK: r1.sub %[[A]], %[[U]] : (tensor<?x1x8xf32>, tensor<*xf32>) -> tensor<*xf32>
  %1 = r1.sub %a, %u : (tensor<?x1x8xf32>, tensor<*xf32>) -> tensor<*xf32>
  // CHECK: r1.mul %[[I]], %[[J]] : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %2 = r1.mul %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  // CHECK: r1.div %[[B]], %[[A]] : (tensor<4x8xf32>, tensor<?x1x8xf32>) -> tensor<?x4x8xf32>
  %3 = r1.div %b, %a : (tensor<4x8xf32>, tensor<?x1x8xf32>) -> tensor<?x4x8xf32>
  // Pow alone allows an exponent of another element type.
  // CHECK: r1.pow %[[B]], %[[J]] : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
  %4 = r1.pow %b, %j : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
  // CHECK: r1.max %[[A]], %[[B]]
  %5 = r1.max %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
  // CHECK: r1.min %[[A]], %[[B]]
  %6 = r1.min %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
  // CHECK: r1.mod %[[I]], %[[J]] : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %7 = r1.mod %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  // CHECK: r1.mod %[[B]], %[[B]] {fmod = true}
  %8 = r1.mod %b, %b {fmod = true} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: r1.and %[[P]], %[[Q]] : (tensor<3xi1>, tensor<1xi1>) -> tensor<3xi1>
  %9 = r1.and %p, %q : (tensor<3xi1>, tensor<1xi1>) -> tensor<3xi1>
  // CHECK: r1.or %[[P]], %[[Q]]
  %10 = r1.or %p, %q : (tensor<3xi1>, tensor<1xi1>) -> tensor<3xi1>
  // CHECK: r1.xor %[[P]], %[[Q]]
  %11 = r1.xor %p, %q : (tensor<3xi1>, tensor<1xi1>) -> tensor<3xi1>
  // Bitwise ops keep the integer type; shifts take unsigned integers only.
  // CHECK: r1.bitwise_and %[[I]], %[[J]] : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %band = r1.bitwise_and %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  // CHECK: r1.bitwise_or %[[I]], %[[J]]
  %bor = r1.bitwise_or %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  // CHECK: r1.bitwise_xor %[[I]], %[[J]]
  %bxor = r1.bitwise_xor %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  // CHECK: r1.shift_left %[[V]], %[[S]] : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %shl = r1.shift_left %v, %s : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  // CHECK: r1.shift_right %[[V]], %[[S]]
  %shr = r1.shift_right %v, %s : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  // Comparisons give i1.
  // CHECK: r1.equal %[[I]], %[[J]] : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %12 = r1.equal %i, %j : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  // CHECK: r1.less %[[A]], %[[B]] : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xi1>
  %13 = r1.less %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xi1>
  // CHECK: r1.less_equal %[[A]], %[[B]]
  %14 = r1.less_equal %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xi1>
  // CHECK: r1.greater %[[A]], %[[U]] : (tensor<?x1x8xf32>, tensor<*xf32>) -> tensor<*xi1>
  %15 = r1.greater %a, %u : (tensor<?x1x8xf32>, tensor<*xf32>) -> tensor<*xi1>
  // CHECK: r1.greater_equal %[[A]], %[[B]]
  %16 = r1.greater_equal %a, %b : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xi1>
  return
}

// CHECK-LABEL: func @where
// CHECK-SAME: (%[[M:.*]]: tensor<1x1x8x8xi1>, %[[X:.*]]: tensor<?x12x8x8xf32>, %[[Y:.*]]: tensor<f32>, %[[U:.*]]: tensor<*xi1>)
func.func @where(%m: tensor<1x1x8x8xi1>, %x: tensor<?x12x8x8xf32>, %y: tensor<f32>,
                 %u: tensor<*xi1>) {
  // CHECK: r1.where %[[M]], %[[X]], %[[Y]] : (tensor<1x1x8x8xi1>, tensor<?x12x8x8xf32>, tensor<f32>) -> tensor<?x12x8x8xf32>
  %0 = r1.where %m, %x, %y : (tensor<1x1x8x8xi1>, tensor<?x12x8x8xf32>, tensor<f32>)
      -> tensor<?x12x8x8xf32>
  // CHECK: r1.where %[[U]], %[[Y]], %[[Y]] : (tensor<*xi1>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
  %1 = r1.where %u, %y, %y : (tensor<*xi1>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
  return
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling, normalization
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<?x128x768xf32>, %[[B:.*]]: tensor<768x3072xf32>, %[[V:.*]]: tensor<768xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @matmul(%a: tensor<?x128x768xf32>, %b: tensor<768x3072xf32>, %v: tensor<768xf32>,
                  %u: tensor<*xf32>) {
  // CHECK: r1.matmul %[[A]], %[[B]] : (tensor<?x128x768xf32>, tensor<768x3072xf32>) -> tensor<?x128x3072xf32>
  %0 = r1.matmul %a, %b : (tensor<?x128x768xf32>, tensor<768x3072xf32>) -> tensor<?x128x3072xf32>
  // 1-D operands lose their added dim again.
  // CHECK: r1.matmul %[[A]], %[[V]] : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128xf32>
  %1 = r1.matmul %a, %v : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128xf32>
  // CHECK: r1.matmul %[[V]], %[[V]] : (tensor<768xf32>, tensor<768xf32>) -> tensor<f32>
  %2 = r1.matmul %v, %v : (tensor<768xf32>, tensor<768xf32>) -> tensor<f32>
  // CHECK: r1.matmul %[[U]], %[[B]] : (tensor<*xf32>, tensor<768x3072xf32>) -> tensor<*xf32>
  %3 = r1.matmul %u, %b : (tensor<*xf32>, tensor<768x3072xf32>) -> tensor<*xf32>
  return
}

// 16-bit float operands may keep their f32 sums: mixed precision's products.
// CHECK-LABEL: func @widening_contractions
func.func @widening_contractions(%a: tensor<128x768xbf16>, %w: tensor<768x64xbf16>,
                                 %x: tensor<1x16x8x8xf16>, %f: tensor<32x16x3x3xf16>,
                                 %b: tensor<32xf32>) {
  // CHECK: r1.matmul {{.*}} -> tensor<128x64xf32>
  %0 = r1.matmul %a, %w : (tensor<128x768xbf16>, tensor<768x64xbf16>) -> tensor<128x64xf32>
  // CHECK: r1.conv {{.*}} -> tensor<1x32x6x6xf32>
  %1 = r1.conv %x, %f, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x16x8x8xf16>, tensor<32x16x3x3xf16>, tensor<32xf32>) -> tensor<1x32x6x6xf32>
  return
}

// CHECK-LABEL: func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x224x224xf32>, %[[W:.*]]: tensor<64x3x7x7xf32>, %[[B:.*]]: tensor<64xf32>, %[[G:.*]]: tensor<8x2x3xf32>, %[[S:.*]]: tensor<1x8x?xf32>)
func.func @conv(%x: tensor<?x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>,
                %g: tensor<8x2x3xf32>, %s: tensor<1x8x?xf32>) {
  // CHECK: r1.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<?x64x112x112xf32>
  %0 = r1.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<?x64x112x112xf32>
  // Without bias; grouped 1-D with a dynamic spatial dim.
  // CHECK: r1.conv %[[S]], %[[G]] {dilations = array<i64: 2>, group = 4 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x8x?xf32>, tensor<8x2x3xf32>) -> tensor<1x8x?xf32>
  %1 = r1.conv %s, %g {strides = array<i64: 1>, pads = array<i64: 0, 0>,
      dilations = array<i64: 2>, group = 4 : i64}
      : (tensor<1x8x?xf32>, tensor<8x2x3xf32>) -> tensor<1x8x?xf32>
  return
}

// CHECK-LABEL: func @pools
// CHECK-SAME: (%[[X:.*]]: tensor<1x64x112x112xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @pools(%x: tensor<1x64x112x112xf32>, %u: tensor<*xf32>) {
  // CHECK: r1.max_pool %[[X]] {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %0 = r1.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>,
      pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  // CHECK: r1.average_pool %[[X]] {ceil_mode = true, count_include_pad = true, {{.*}}} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %1 = r1.average_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
      pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true,
      count_include_pad = true} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  // CHECK: r1.average_pool %[[U]] {{.*}} : (tensor<*xf32>) -> tensor<*xf32>
  %2 = r1.average_pool %u {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
      pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// CHECK-LABEL: func @norms
// CHECK-SAME: (%[[X:.*]]: tensor<?x64x56x56xf32>, %[[C:.*]]: tensor<64xf32>, %[[T:.*]]: tensor<?x128x768xf32>, %[[G:.*]]: tensor<768xf32>)
func.func @norms(%x: tensor<?x64x56x56xf32>, %c: tensor<64xf32>, %t: tensor<?x128x768xf32>,
                 %g: tensor<768xf32>) {
  // CHECK: r1.batch_norm %[[X]], %[[C]], %[[C]], %[[C]], %[[C]] {epsilon = 9.99999974E-6 : f32} : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
  %0 = r1.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-05 : f32}
      : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
      -> tensor<?x64x56x56xf32>
  // CHECK: r1.layer_norm %[[T]], %[[G]], %[[G]] {axis = -1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %1 = r1.layer_norm %t, %g, %g {axis = -1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // Without bias.
  // CHECK: r1.layer_norm %[[T]], %[[G]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  %2 = r1.layer_norm %t, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
  // CHECK: r1.softmax %[[T]] {axis = -1 : i64} : (tensor<?x128x768xf32>) -> tensor<?x128x768xf32>
  %3 = r1.softmax %t {axis = -1 : i64} : (tensor<?x128x768xf32>) -> tensor<?x128x768xf32>
  // CHECK: r1.log_softmax %[[T]] {axis = 1 : i64} : (tensor<?x128x768xf32>) -> tensor<?x128x768xf32>
  %4 = r1.log_softmax %t {axis = 1 : i64} : (tensor<?x128x768xf32>) -> tensor<?x128x768xf32>
  return
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x768xf32>, %[[AXES:.*]]: tensor<?xi64>, %[[U:.*]]: tensor<*xf32>, %[[I:.*]]: tensor<2x3xi64>)
func.func @reductions(%x: tensor<?x128x768xf32>, %axes: tensor<?xi64>, %u: tensor<*xf32>,
                      %i: tensor<2x3xi64>) {
  // CHECK: r1.reduce_sum %[[X]] {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x128x768xf32>) -> tensor<?x128x1xf32>
  %0 = r1.reduce_sum %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<?x128x768xf32>) -> tensor<?x128x1xf32>
  // CHECK: r1.reduce_mean %[[X]] {axes = array<i64: 1, 2>, keepdims = false, noop_with_empty_axes = false} : (tensor<?x128x768xf32>) -> tensor<?xf32>
  %1 = r1.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = false, noop_with_empty_axes = false}
      : (tensor<?x128x768xf32>) -> tensor<?xf32>
  // Empty axes reduce every dim.
  // CHECK: r1.reduce_max %[[X]] {axes = array<i64>, keepdims = false, noop_with_empty_axes = false} : (tensor<?x128x768xf32>) -> tensor<f32>
  %2 = r1.reduce_max %x {axes = array<i64>, keepdims = false, noop_with_empty_axes = false}
      : (tensor<?x128x768xf32>) -> tensor<f32>
  // CHECK: r1.reduce_min %[[I]] {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false} : (tensor<2x3xi64>) -> tensor<1x3xi64>
  %3 = r1.reduce_min %i {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<2x3xi64>) -> tensor<1x3xi64>
  // CHECK: r1.reduce_prod %[[U]] {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false} : (tensor<*xf32>) -> tensor<*xf32>
  %4 = r1.reduce_prod %u {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<*xf32>) -> tensor<*xf32>
  // Axes computed at run time.
  // CHECK: r1.reduce_sum %[[X]], %[[AXES]] {axes = array<i64>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<?x?x?xf32>
  %5 = r1.reduce_sum %x, %axes {axes = array<i64>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<?x?x?xf32>
  // CHECK: r1.reduce_mean %[[X]], %[[AXES]] {axes = array<i64>, keepdims = false, noop_with_empty_axes = true} : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<*xf32>
  %6 = r1.reduce_mean %x, %axes {axes = array<i64>, keepdims = false, noop_with_empty_axes = true}
      : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<*xf32>
  return
}

// CHECK-LABEL: func @arg_reductions
// CHECK-SAME: (%[[X:.*]]: tensor<?x1000xf32>)
func.func @arg_reductions(%x: tensor<?x1000xf32>) {
  // CHECK: r1.arg_max %[[X]] {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<?x1000xf32>) -> tensor<?xi64>
  %0 = r1.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = false}
      : (tensor<?x1000xf32>) -> tensor<?xi64>
  // CHECK: r1.arg_min %[[X]] {axis = -1 : i64, keepdims = true, select_last_index = true} : (tensor<?x1000xf32>) -> tensor<?x1xi64>
  %1 = r1.arg_min %x {axis = -1 : i64, keepdims = true, select_last_index = true}
      : (tensor<?x1000xf32>) -> tensor<?x1xi64>
  return
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @shape_and_size
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x224x224xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @shape_and_size(%x: tensor<?x3x224x224xf32>, %u: tensor<*xf32>) {
  // CHECK: r1.shape %[[X]] {end = 4 : i64, start = 0 : i64} : (tensor<?x3x224x224xf32>) -> tensor<4xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 4 : i64} : (tensor<?x3x224x224xf32>) -> tensor<4xi64>
  // CHECK: r1.shape %[[X]] {end = 3 : i64, start = 1 : i64} : (tensor<?x3x224x224xf32>) -> tensor<2xi64>
  %1 = r1.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x3x224x224xf32>) -> tensor<2xi64>
  // Of an unranked tensor, the length is unknown.
  // CHECK: r1.shape %[[U]] {end = 2 : i64, start = 0 : i64} : (tensor<*xf32>) -> tensor<?xi64>
  %2 = r1.shape %u {start = 0 : i64, end = 2 : i64} : (tensor<*xf32>) -> tensor<?xi64>
  // CHECK: r1.size %[[X]] : (tensor<?x3x224x224xf32>) -> tensor<i64>
  %3 = r1.size %x : (tensor<?x3x224x224xf32>) -> tensor<i64>
  // CHECK: r1.size %[[U]] : (tensor<*xf32>) -> tensor<i64>
  %4 = r1.size %u : (tensor<*xf32>) -> tensor<i64>
  return
}

// CHECK-LABEL: func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x768xf32>, %[[S:.*]]: tensor<4xi64>, %[[D:.*]]: tensor<?xi64>)
func.func @reshape(%x: tensor<?x128x768xf32>, %s: tensor<4xi64>, %d: tensor<?xi64>) {
  // CHECK: r1.reshape %[[X]], %[[S]] {allowzero = false} : (tensor<?x128x768xf32>, tensor<4xi64>) -> tensor<?x128x12x64xf32>
  %0 = r1.reshape %x, %s {allowzero = false}
      : (tensor<?x128x768xf32>, tensor<4xi64>) -> tensor<?x128x12x64xf32>
  // CHECK: r1.reshape %[[X]], %[[D]] {allowzero = true} : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<*xf32>
  %1 = r1.reshape %x, %d {allowzero = true} : (tensor<?x128x768xf32>, tensor<?xi64>) -> tensor<*xf32>
  // CHECK: %[[C:.*]] = r1.constant dense<[0, -1, 64]> : tensor<3xi64>
  %c = r1.constant dense<[0, -1, 64]> : tensor<3xi64>
  // CHECK: r1.reshape %[[X]], %[[C]] {allowzero = false} : (tensor<?x128x768xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  %2 = r1.reshape %x, %c {allowzero = false} : (tensor<?x128x768xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return
}

// CHECK-LABEL: func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x12x64xf32>, %[[U:.*]]: tensor<*xi32>)
func.func @transpose(%x: tensor<?x128x12x64xf32>, %u: tensor<*xi32>) {
  // CHECK: r1.transpose %[[X]] {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x128x12x64xf32>) -> tensor<?x12x128x64xf32>
  %0 = r1.transpose %x {perm = array<i64: 0, 2, 1, 3>}
      : (tensor<?x128x12x64xf32>) -> tensor<?x12x128x64xf32>
  // CHECK: r1.transpose %[[U]] {perm = array<i64: 1, 0>} : (tensor<*xi32>) -> tensor<*xi32>
  %1 = r1.transpose %u {perm = array<i64: 1, 0>} : (tensor<*xi32>) -> tensor<*xi32>
  return
}

// CHECK-LABEL: func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<?x1x768xf32>, %[[B:.*]]: tensor<?x196x768xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @concat(%a: tensor<?x1x768xf32>, %b: tensor<?x196x768xf32>, %u: tensor<*xf32>) {
  // CHECK: r1.concat %[[A]], %[[B]] {axis = 1 : i64} : (tensor<?x1x768xf32>, tensor<?x196x768xf32>) -> tensor<?x197x768xf32>
  %0 = r1.concat %a, %b {axis = 1 : i64}
      : (tensor<?x1x768xf32>, tensor<?x196x768xf32>) -> tensor<?x197x768xf32>
  // CHECK: r1.concat %[[A]] {axis = -1 : i64} : (tensor<?x1x768xf32>) -> tensor<?x1x768xf32>
  %1 = r1.concat %a {axis = -1 : i64} : (tensor<?x1x768xf32>) -> tensor<?x1x768xf32>
  // CHECK: r1.concat %[[A]], %[[U]], %[[B]] {axis = 1 : i64} : (tensor<?x1x768xf32>, tensor<*xf32>, tensor<?x196x768xf32>) -> tensor<*xf32>
  %2 = r1.concat %a, %u, %b {axis = 1 : i64}
      : (tensor<?x1x768xf32>, tensor<*xf32>, tensor<?x196x768xf32>) -> tensor<*xf32>
  return
}

// CHECK-LABEL: func @split
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x2304xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @split(%x: tensor<?x128x2304xf32>, %u: tensor<*xf32>)
    -> (tensor<?x128x768xf32>, tensor<?x128x768xf32>, tensor<?x128x768xf32>) {
  // CHECK: %[[P:.*]]:3 = r1.split %[[X]] {axis = 2 : i64, sizes = array<i64: 768, 768, 768>} : (tensor<?x128x2304xf32>) -> (tensor<?x128x768xf32>, tensor<?x128x768xf32>, tensor<?x128x768xf32>)
  %q, %k, %v = r1.split %x {axis = 2 : i64, sizes = array<i64: 768, 768, 768>}
      : (tensor<?x128x2304xf32>) -> (tensor<?x128x768xf32>, tensor<?x128x768xf32>, tensor<?x128x768xf32>)
  // CHECK: r1.split %[[X]] {axis = -1 : i64, sizes = array<i64: 2304>} : (tensor<?x128x2304xf32>) -> tensor<?x128x2304xf32>
  %one = r1.split %x {axis = -1 : i64, sizes = array<i64: 2304>}
      : (tensor<?x128x2304xf32>) -> tensor<?x128x2304xf32>
  // CHECK: r1.split %[[U]] {axis = 0 : i64, sizes = array<i64: 1, 3>} : (tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  %u0, %u1 = r1.split %u {axis = 0 : i64, sizes = array<i64: 1, 3>}
      : (tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  // CHECK: return %[[P]]#0, %[[P]]#1, %[[P]]#2
  return %q, %k, %v : tensor<?x128x768xf32>, tensor<?x128x768xf32>, tensor<?x128x768xf32>
}

// CHECK-LABEL: func @slice_and_gather
// CHECK-SAME: (%[[X:.*]]: tensor<?x197x768xf32>, %[[T:.*]]: tensor<30522x768xf32>, %[[IDS:.*]]: tensor<?x128xi64>, %[[I32:.*]]: tensor<i32>)
func.func @slice_and_gather(%x: tensor<?x197x768xf32>, %t: tensor<30522x768xf32>,
                            %ids: tensor<?x128xi64>, %i32: tensor<i32>) {
  // CHECK: r1.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
  %0 = r1.slice %x {axes = array<i64: 1>, starts = array<i64: 0>, ends = array<i64: 1>,
      steps = array<i64: 1>} : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
  // Negative starts and steps; several axes.
  // CHECK: r1.slice %[[X]] {axes = array<i64: 2, 1>, ends = array<i64: -9223372036854775807, 10>, starts = array<i64: -1, 0>, steps = array<i64: -2, 3>} : (tensor<?x197x768xf32>) -> tensor<?x4x384xf32>
  %1 = r1.slice %x {axes = array<i64: 2, 1>, starts = array<i64: -1, 0>,
      ends = array<i64: -9223372036854775807, 10>, steps = array<i64: -2, 3>}
      : (tensor<?x197x768xf32>) -> tensor<?x4x384xf32>
  // CHECK: r1.gather %[[T]], %[[IDS]] {axis = 0 : i64} : (tensor<30522x768xf32>, tensor<?x128xi64>) -> tensor<?x128x768xf32>
  %2 = r1.gather %t, %ids {axis = 0 : i64}
      : (tensor<30522x768xf32>, tensor<?x128xi64>) -> tensor<?x128x768xf32>
  // CHECK: r1.gather %[[T]], %[[I32]] {axis = -1 : i64} : (tensor<30522x768xf32>, tensor<i32>) -> tensor<30522xf32>
  %3 = r1.gather %t, %i32 {axis = -1 : i64} : (tensor<30522x768xf32>, tensor<i32>) -> tensor<30522xf32>
  return
}

// CHECK-LABEL: func @gather_elements_and_nd
// CHECK-SAME: (%[[T:.*]]: tensor<1x512xi64>, %[[P:.*]]: tensor<1x?xi32>, %[[M:.*]]: tensor<?x128xi64>, %[[Q:.*]]: tensor<4x2xi64>, %[[X:.*]]: tensor<2x3x8xf16>, %[[R:.*]]: tensor<2x5x1xi32>)
func.func @gather_elements_and_nd(%t: tensor<1x512xi64>, %p: tensor<1x?xi32>, %m: tensor<?x128xi64>,
                                  %q: tensor<4x2xi64>, %x: tensor<2x3x8xf16>, %r: tensor<2x5x1xi32>) {
  // CHECK: r1.gather_elements %[[T]], %[[P]] {axis = 1 : i64} : (tensor<1x512xi64>, tensor<1x?xi32>) -> tensor<1x?xi64>
  %0 = r1.gather_elements %t, %p {axis = 1 : i64} : (tensor<1x512xi64>, tensor<1x?xi32>) -> tensor<1x?xi64>
  // CHECK: r1.gather_elements %[[X]], %[[R]] {axis = -2 : i64} : (tensor<2x3x8xf16>, tensor<2x5x1xi32>) -> tensor<2x5x1xf16>
  %1 = r1.gather_elements %x, %r {axis = -2 : i64} : (tensor<2x3x8xf16>, tensor<2x5x1xi32>) -> tensor<2x5x1xf16>
  // CHECK: r1.gather_nd %[[M]], %[[Q]] {batch_dims = 0 : i64} : (tensor<?x128xi64>, tensor<4x2xi64>) -> tensor<4xi64>
  %2 = r1.gather_nd %m, %q {batch_dims = 0 : i64} : (tensor<?x128xi64>, tensor<4x2xi64>) -> tensor<4xi64>
  // CHECK: r1.gather_nd %[[X]], %[[R]] {batch_dims = 1 : i64} : (tensor<2x3x8xf16>, tensor<2x5x1xi32>) -> tensor<2x5x8xf16>
  %3 = r1.gather_nd %x, %r {batch_dims = 1 : i64} : (tensor<2x3x8xf16>, tensor<2x5x1xi32>) -> tensor<2x5x8xf16>
  return
}

// CHECK-LABEL: func @scatters
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<4x2xi64>, %[[U:.*]]: tensor<4x2xf32>, %[[C:.*]]: tensor<1x16x1024x64xf16>, %[[R:.*]]: tensor<16x3xi32>, %[[N:.*]]: tensor<16x64xf16>, %[[D:.*]]: tensor<?x8xi64>, %[[J:.*]]: tensor<?x1xi64>, %[[V:.*]]: tensor<?x8xi64>)
func.func @scatters(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>, %u: tensor<4x2xf32>,
                    %c: tensor<1x16x1024x64xf16>, %r: tensor<16x3xi32>, %n: tensor<16x64xf16>,
                    %d: tensor<?x8xi64>, %j: tensor<?x1xi64>, %v: tensor<?x8xi64>) {
  // CHECK: r1.scatter_elements %[[X]], %[[I]], %[[U]] {axis = 1 : i64, reduction = #r1.scatter_reduction<add>} : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
  %0 = r1.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = #r1.scatter_reduction<add>}
      : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
  // CHECK: r1.scatter_elements %[[X]], %[[I]], %[[U]] {axis = -2 : i64, reduction = #r1.scatter_reduction<none>}
  %1 = r1.scatter_elements %x, %i, %u {axis = -2 : i64, reduction = #r1.scatter_reduction<none>}
      : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
  // CHECK: r1.scatter_nd %[[C]], %[[R]], %[[N]] {reduction = #r1.scatter_reduction<none>} : (tensor<1x16x1024x64xf16>, tensor<16x3xi32>, tensor<16x64xf16>) -> tensor<1x16x1024x64xf16>
  %2 = r1.scatter_nd %c, %r, %n {reduction = #r1.scatter_reduction<none>}
      : (tensor<1x16x1024x64xf16>, tensor<16x3xi32>, tensor<16x64xf16>) -> tensor<1x16x1024x64xf16>
  // CHECK: r1.scatter_nd %[[D]], %[[J]], %[[V]] {reduction = #r1.scatter_reduction<max>} : (tensor<?x8xi64>, tensor<?x1xi64>, tensor<?x8xi64>) -> tensor<?x8xi64>
  %3 = r1.scatter_nd %d, %j, %v {reduction = #r1.scatter_reduction<max>}
      : (tensor<?x8xi64>, tensor<?x1xi64>, tensor<?x8xi64>) -> tensor<?x8xi64>
  // CHECK: r1.scatter_nd {{.*}}reduction = #r1.scatter_reduction<mul>
  %4 = r1.scatter_nd %d, %j, %v {reduction = #r1.scatter_reduction<mul>}
      : (tensor<?x8xi64>, tensor<?x1xi64>, tensor<?x8xi64>) -> tensor<?x8xi64>
  // CHECK: r1.scatter_nd {{.*}}reduction = #r1.scatter_reduction<min>
  %5 = r1.scatter_nd %d, %j, %v {reduction = #r1.scatter_reduction<min>}
      : (tensor<?x8xi64>, tensor<?x1xi64>, tensor<?x8xi64>) -> tensor<?x8xi64>
  return
}

// CHECK-LABEL: func @non_max_suppression
// CHECK-SAME: (%[[B:.*]]: tensor<2x300x4xf32>, %[[S:.*]]: tensor<2x5x300xf32>, %[[M:.*]]: tensor<1xi64>, %[[I:.*]]: tensor<f32>, %[[T:.*]]: tensor<1xf32>)
func.func @non_max_suppression(%boxes: tensor<2x300x4xf32>, %scores: tensor<2x5x300xf32>,
                               %max: tensor<1xi64>, %iou: tensor<f32>, %threshold: tensor<1xf32>) {
  // CHECK: r1.non_max_suppression %[[B]], %[[S]], %[[M]], %[[I]], %[[T]] {center_point_box = false, num_selected = 40 : i64} : (tensor<2x300x4xf32>, tensor<2x5x300xf32>, tensor<1xi64>, tensor<f32>, tensor<1xf32>) -> tensor<40x3xi64>
  %0 = r1.non_max_suppression %boxes, %scores, %max, %iou, %threshold
      {center_point_box = false, num_selected = 40 : i64}
      : (tensor<2x300x4xf32>, tensor<2x5x300xf32>, tensor<1xi64>, tensor<f32>, tensor<1xf32>) -> tensor<40x3xi64>
  // Without a score threshold every box is a candidate.
  // CHECK: r1.non_max_suppression %[[B]], %[[S]], %[[M]], %[[I]] {center_point_box = true, num_selected = 0 : i64} : (tensor<2x300x4xf32>, tensor<2x5x300xf32>, tensor<1xi64>, tensor<f32>) -> tensor<0x3xi64>
  %1 = r1.non_max_suppression %boxes, %scores, %max, %iou {center_point_box = true, num_selected = 0 : i64}
      : (tensor<2x300x4xf32>, tensor<2x5x300xf32>, tensor<1xi64>, tensor<f32>) -> tensor<0x3xi64>
  return
}

// CHECK-LABEL: func @non_zero_keep_leading
// CHECK-SAME: (%[[M:.*]]: tensor<4x5xi1>, %[[X:.*]]: tensor<3x7xf16>)
func.func @non_zero_keep_leading(%mask: tensor<4x5xi1>, %x: tensor<3x7xf16>) {
  // CHECK: %[[P:.*]], %[[N:.*]] = r1.non_zero %[[M]] : (tensor<4x5xi1>) -> (tensor<2x20xi64>, tensor<1xi64>)
  %p, %n = r1.non_zero %mask : (tensor<4x5xi1>) -> (tensor<2x20xi64>, tensor<1xi64>)
  // CHECK: r1.keep_leading %[[P]], %[[N]] {axis = -1 : i64} : (tensor<2x20xi64>, tensor<1xi64>) -> tensor<2x?xi64>
  %0 = r1.keep_leading %p, %n {axis = -1 : i64} : (tensor<2x20xi64>, tensor<1xi64>) -> tensor<2x?xi64>
  // CHECK: r1.keep_leading %[[X]], %[[N]] {axis = 0 : i64} : (tensor<3x7xf16>, tensor<1xi64>) -> tensor<?x7xf16>
  %1 = r1.keep_leading %x, %n {axis = 0 : i64} : (tensor<3x7xf16>, tensor<1xi64>) -> tensor<?x7xf16>
  return
}

// CHECK-LABEL: func @top_k
// CHECK-SAME: (%[[L:.*]]: tensor<?x32000xf32>, %[[U:.*]]: tensor<3x7x5xui8>)
func.func @top_k(%logits: tensor<?x32000xf32>, %u: tensor<3x7x5xui8>) {
  // CHECK: %{{.*}}, %{{.*}} = r1.top_k %[[L]] {axis = -1 : i64, k = 50 : i64, largest = true, sorted = true} : (tensor<?x32000xf32>) -> (tensor<?x50xf32>, tensor<?x50xi64>)
  %v, %i = r1.top_k %logits {axis = -1 : i64, k = 50 : i64, largest = true, sorted = true}
      : (tensor<?x32000xf32>) -> (tensor<?x50xf32>, tensor<?x50xi64>)
  // CHECK: r1.top_k %[[U]] {axis = 1 : i64, k = 0 : i64, largest = false, sorted = false} : (tensor<3x7x5xui8>) -> (tensor<3x0x5xui8>, tensor<3x0x5xi64>)
  %w, %j = r1.top_k %u {axis = 1 : i64, k = 0 : i64, largest = false, sorted = false}
      : (tensor<3x7x5xui8>) -> (tensor<3x0x5xui8>, tensor<3x0x5xi64>)
  return
}

// CHECK-LABEL: func @squeeze_unsqueeze_flatten
// CHECK-SAME: (%[[X:.*]]: tensor<?x128xf32>, %[[Y:.*]]: tensor<?x1x768xf32>, %[[Z:.*]]: tensor<?x2048x1x1xf32>, %[[U:.*]]: tensor<*xf32>)
func.func @squeeze_unsqueeze_flatten(%x: tensor<?x128xf32>, %y: tensor<?x1x768xf32>,
                                     %z: tensor<?x2048x1x1xf32>, %u: tensor<*xf32>) {
  // CHECK: r1.unsqueeze %[[X]] {axes = array<i64: 1, 2>} : (tensor<?x128xf32>) -> tensor<?x1x1x128xf32>
  %0 = r1.unsqueeze %x {axes = array<i64: 1, 2>} : (tensor<?x128xf32>) -> tensor<?x1x1x128xf32>
  // CHECK: r1.unsqueeze %[[X]] {axes = array<i64: -1>} : (tensor<?x128xf32>) -> tensor<?x128x1xf32>
  %1 = r1.unsqueeze %x {axes = array<i64: -1>} : (tensor<?x128xf32>) -> tensor<?x128x1xf32>
  // CHECK: r1.squeeze %[[Y]] {axes = array<i64: 1>} : (tensor<?x1x768xf32>) -> tensor<?x768xf32>
  %2 = r1.squeeze %y {axes = array<i64: 1>} : (tensor<?x1x768xf32>) -> tensor<?x768xf32>
  // CHECK: r1.squeeze %[[Z]] {axes = array<i64: -1, -2>} : (tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32>
  %3 = r1.squeeze %z {axes = array<i64: -1, -2>} : (tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32>
  // CHECK: r1.squeeze %[[U]] {axes = array<i64: 0>} : (tensor<*xf32>) -> tensor<*xf32>
  %4 = r1.squeeze %u {axes = array<i64: 0>} : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: r1.flatten %[[Z]] {axis = 1 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32>
  %5 = r1.flatten %z {axis = 1 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32>
  // CHECK: r1.flatten %[[Z]] {axis = 0 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<1x?xf32>
  %6 = r1.flatten %z {axis = 0 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<1x?xf32>
  // CHECK: r1.flatten %[[Z]] {axis = -2 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<?x1xf32>
  %7 = r1.flatten %z {axis = -2 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<?x1xf32>
  return
}

// CHECK-LABEL: func @expand_and_tile
// CHECK-SAME: (%[[CLS:.*]]: tensor<1x1x768xf32>, %[[S:.*]]: tensor<3xi64>, %[[X:.*]]: tensor<2x3xf32>, %[[R:.*]]: tensor<2xi64>)
func.func @expand_and_tile(%cls: tensor<1x1x768xf32>, %s: tensor<3xi64>, %x: tensor<2x3xf32>,
                           %r: tensor<2xi64>) {
  // CHECK: r1.expand %[[CLS]], %[[S]] : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x?x768xf32>
  %0 = r1.expand %cls, %s : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x?x768xf32>
  // A refined result type.
  // CHECK: r1.expand %[[CLS]], %[[S]] : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x1x768xf32>
  %1 = r1.expand %cls, %s : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x1x768xf32>
  // CHECK: r1.tile %[[X]], %[[R]] : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %2 = r1.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  // CHECK: %[[TWO:.*]] = r1.constant dense<[2, 1]> : tensor<2xi64>
  %two = r1.constant dense<[2, 1]> : tensor<2xi64>
  // CHECK: r1.tile %[[X]], %[[TWO]] : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  %3 = r1.tile %x, %two : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return
}

// CHECK-LABEL: func @constant_of_shape_and_range
// CHECK-SAME: (%[[S:.*]]: tensor<2xi64>, %[[D:.*]]: tensor<?xi64>, %[[N:.*]]: tensor<i64>, %[[F:.*]]: tensor<f32>)
func.func @constant_of_shape_and_range(%s: tensor<2xi64>, %d: tensor<?xi64>, %n: tensor<i64>,
                                       %f: tensor<f32>) {
  // CHECK: r1.constant_of_shape %[[S]] {value = dense<0.000000e+00> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x128xf32>
  %0 = r1.constant_of_shape %s {value = dense<0.0> : tensor<1xf32>}
      : (tensor<2xi64>) -> tensor<?x128xf32>
  // CHECK: r1.constant_of_shape %[[D]] {value = dense<true> : tensor<1xi1>} : (tensor<?xi64>) -> tensor<*xi1>
  %1 = r1.constant_of_shape %d {value = dense<true> : tensor<1xi1>} : (tensor<?xi64>) -> tensor<*xi1>
  // CHECK: r1.range %[[N]], %[[N]], %[[N]] : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %2 = r1.range %n, %n, %n : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: r1.range %[[F]], %[[F]], %[[F]] : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<128xf32>
  %3 = r1.range %f, %f, %f : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<128xf32>
  return
}

// CHECK-LABEL: func @pad_and_trilu
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[Y:.*]]: tensor<?x8xi64>, %[[M:.*]]: tensor<?x128x128xf32>)
func.func @pad_and_trilu(%x: tensor<1x3x8x8xf32>, %y: tensor<?x8xi64>, %m: tensor<?x128x128xf32>) {
  // CHECK: r1.pad %[[X]] {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  %0 = r1.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = "constant", value = 0.0}
      : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  // Negative pads crop; dynamic dims stay dynamic.
  // CHECK: r1.pad %[[Y]] {mode = "edge", pads = array<i64: 2, -1, 0, 3>, value = 0.000000e+00 : f64} : (tensor<?x8xi64>) -> tensor<?x10xi64>
  %1 = r1.pad %y {pads = array<i64: 2, -1, 0, 3>, mode = "edge", value = 0.0}
      : (tensor<?x8xi64>) -> tensor<?x10xi64>
  // CHECK: r1.pad %[[X]] {mode = "reflect", {{.*}}} : (tensor<1x3x8x8xf32>) -> tensor<1x3x12x8xf32>
  %2 = r1.pad %x {pads = array<i64: 0, 0, 2, 0, 0, 0, 2, 0>, mode = "reflect", value = 0.0}
      : (tensor<1x3x8x8xf32>) -> tensor<1x3x12x8xf32>
  // CHECK: r1.trilu %[[M]] {k = 0 : i64, upper = false} : (tensor<?x128x128xf32>) -> tensor<?x128x128xf32>
  %3 = r1.trilu %m {upper = false, k = 0 : i64} : (tensor<?x128x128xf32>) -> tensor<?x128x128xf32>
  // CHECK: r1.trilu %[[Y]] {k = -2 : i64, upper = true} : (tensor<?x8xi64>) -> tensor<?x8xi64>
  %4 = r1.trilu %y {upper = true, k = -2 : i64} : (tensor<?x8xi64>) -> tensor<?x8xi64>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// CHECK-LABEL: func @recurrence
// CHECK-SAME: (%[[XW:.*]]: tensor<7x2x40xf32>, %[[RT:.*]]: tensor<2x20x5xf32>, %[[H:.*]]: tensor<2x2x5xf32>, %[[L:.*]]: tensor<2xi32>, %[[P:.*]]: tensor<2x15xf32>, %[[GXW:.*]]: tensor<7x2x15xf16>, %[[GRT:.*]]: tensor<1x15x5xf16>, %[[RB:.*]]: tensor<1x5xf16>)
func.func @recurrence(%xw: tensor<7x2x40xf32>, %rt: tensor<2x20x5xf32>, %h: tensor<2x2x5xf32>,
                      %lens: tensor<2xi32>, %p: tensor<2x15xf32>, %gxw: tensor<7x2x15xf16>,
                      %grt: tensor<1x15x5xf16>, %rb: tensor<1x5xf16>) {
  // CHECK: r1.recurrence %[[XW]], %[[RT]] initial_h %[[H]] initial_c %[[H]] sequence_lens %[[L]] peepholes %[[P]] {
  // CHECK-SAME: cell = #r1.recurrent_cell<lstm>, clip = 3.000000e+00 : f32, direction = #r1.recurrent_direction<bidirectional>
  // CHECK-SAME: -> (tensor<7x2x2x5xf32>, tensor<2x2x5xf32>, tensor<2x2x5xf32>)
  %y, %yh, %yc = r1.recurrence %xw, %rt initial_h %h initial_c %h sequence_lens %lens peepholes %p {
      activation_alpha = array<f32: 0.0, 0.0, 0.0, 0.0, 0.0, 0.0>,
      activation_beta = array<f32: 0.0, 0.0, 0.0, 0.0, 0.0, 0.0>,
      activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>,
                     #r1.recurrent_activation<tanh>, #r1.recurrent_activation<hard_sigmoid>,
                     #r1.recurrent_activation<elu>, #r1.recurrent_activation<softsign>],
      cell = #r1.recurrent_cell<lstm>, clip = 3.0 : f32,
      direction = #r1.recurrent_direction<bidirectional>, input_forget = false,
      linear_before_reset = false}
      : (tensor<7x2x40xf32>, tensor<2x20x5xf32>, tensor<2x2x5xf32>, tensor<2x2x5xf32>,
         tensor<2xi32>, tensor<2x15xf32>)
      -> (tensor<7x2x2x5xf32>, tensor<2x2x5xf32>, tensor<2x2x5xf32>)
  // GRU has no cell state: two results.
  // CHECK: r1.recurrence %[[GXW]], %[[GRT]] reset_bias %[[RB]] {
  // CHECK-SAME: -> (tensor<7x1x2x5xf16>, tensor<1x2x5xf16>)
  %gy, %gyh = r1.recurrence %gxw, %grt reset_bias %rb {
      activation_alpha = array<f32: 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0>,
      activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>],
      cell = #r1.recurrent_cell<gru>, direction = #r1.recurrent_direction<reverse>,
      input_forget = false, linear_before_reset = true}
      : (tensor<7x2x15xf16>, tensor<1x15x5xf16>, tensor<1x5xf16>)
      -> (tensor<7x1x2x5xf16>, tensor<1x2x5xf16>)
  return
}

// Quantized integers: elementwise (de)quantization, exact i32 contractions.
// CHECK-LABEL: func @quantized
func.func @quantized(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %z: tensor<8xi8>, %a: tensor<4x8xui8>,
                     %za: tensor<ui8>, %w: tensor<8x3xi8>, %zw: tensor<3xi8>,
                     %img: tensor<1x2x5x5xui8>, %f: tensor<3x2x3x3xi8>) {
  // CHECK: r1.quantize %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xi8>) -> tensor<4x8xi8>
  %q = r1.quantize %x, %s, %z : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xi8>) -> tensor<4x8xi8>
  // CHECK: r1.dequantize %{{.*}} : (tensor<4x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<4x8xf32>
  %d = r1.dequantize %q, %s, %z : (tensor<4x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<4x8xf32>
  // CHECK: r1.matmul_integer %{{.*}} -> tensor<4x3xi32>
  %m = r1.matmul_integer %a, %w, %za, %zw
      : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<4x3xi32>
  // CHECK: r1.conv_integer %{{.*}} -> tensor<1x3x3x3xi32>
  %c = r1.conv_integer %img, %f, %za, %zw {strides = array<i64: 1, 1>,
      pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x2x5x5xui8>, tensor<3x2x3x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<1x3x3x3xi32>
  return
}
