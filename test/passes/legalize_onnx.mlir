// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// Imported ONNX nodes to typed r1 ops: one case per pattern family, opset
// differences, and errors that name the node's op type and opset.

// CHECK-LABEL: func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>)
func.func @unary(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[RELU:.*]] = r1.relu %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: %[[LEAKY:.*]] = r1.leaky_relu %[[RELU]] {alpha = 0.00999999977 : f32}
  // CHECK: %[[ELU:.*]] = r1.elu %[[LEAKY]] {alpha = 5.000000e-01 : f32}
  // CHECK: %[[GELU:.*]] = r1.gelu %[[ELU]] {approximate = "tanh"}
  // CHECK-NOT: r1.onnx_node
  // CHECK: return %[[RELU]], %[[LEAKY]], %[[ELU]], %[[GELU]]
  %0 = r1.onnx_node "Relu"(%x) {domain = "", node_name = "relu", onnx_attrs = {}, opset = 17 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %1 = r1.onnx_node "LeakyRelu"(%0) {domain = "", node_name = "lrelu", onnx_attrs = {}, opset = 17 : i64} : (!r1.unknown) -> !r1.unknown
  %2 = r1.onnx_node "Elu"(%1) {domain = "", node_name = "elu", onnx_attrs = {alpha = 5.000000e-01 : f32}, opset = 6 : i64} : (!r1.unknown) -> !r1.unknown
  %3 = r1.onnx_node "Gelu"(%2) {domain = "", node_name = "gelu", onnx_attrs = {approximate = "tanh"}, opset = 20 : i64} : (!r1.unknown) -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @binary
// CHECK-SAME: (%[[A:.*]]: tensor<?x1x8xf32>, %[[B:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<3xi64>, %[[E:.*]]: tensor<i64>)
func.func @binary(%a: tensor<?x1x8xf32>, %b: tensor<4x8xf32>, %i: tensor<3xi64>, %e: tensor<i64>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.add %[[A]], %[[B]] : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
  // CHECK: r1.equal %[[I]], %[[E]] : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  // CHECK: r1.pow %[[B]], %[[E]] : (tensor<4x8xf32>, tensor<i64>) -> tensor<4x8xf32>
  %0 = r1.onnx_node "Add"(%a, %b) {domain = "", node_name = "add", onnx_attrs = {}, opset = 14 : i64} : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Equal"(%i, %e) {domain = "", node_name = "eq", onnx_attrs = {}, opset = 13 : i64} : (tensor<3xi64>, tensor<i64>) -> !r1.unknown
  %2 = r1.onnx_node "Pow"(%b, %e) {domain = "", node_name = "pow", onnx_attrs = {}, opset = 15 : i64} : (tensor<4x8xf32>, tensor<i64>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// NaN and infinity tests answer in i1; IsInf keeps which signs it detects.
// CHECK-LABEL: func @nan_inf_tests
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
func.func @nan_inf_tests(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: r1.is_nan %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xi1>
  // CHECK: r1.is_inf %[[X]] {detect_positive = false} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  %0 = r1.onnx_node "IsNaN"(%x) {domain = "", node_name = "nan", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %1 = r1.onnx_node "IsInf"(%x) {domain = "", node_name = "inf", onnx_attrs = {detect_positive = 0 : i64}, opset = 10 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

// Activations with attributes, and their ONNX defaults.
// CHECK-LABEL: func @activations
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
func.func @activations(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.celu %[[X]] {alpha = 1.000000e+00 : f32}
  // CHECK: r1.mish %[[X]]
  // CHECK: r1.thresholded_relu %[[X]] {alpha = 2.000000e+00 : f32}
  // CHECK: r1.shrink %[[X]] {bias = 0.000000e+00 : f32, lambd = 5.000000e-01 : f32}
  %0 = r1.onnx_node "Celu"(%x) {domain = "", node_name = "celu", onnx_attrs = {}, opset = 12 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Mish"(%x) {domain = "", node_name = "mish", onnx_attrs = {}, opset = 18 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %2 = r1.onnx_node "ThresholdedRelu"(%x) {domain = "", node_name = "tr", onnx_attrs = {alpha = 2.000000e+00 : f32}, opset = 10 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %3 = r1.onnx_node "Shrink"(%x) {domain = "", node_name = "shrink", onnx_attrs = {}, opset = 9 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// Celu divides by alpha: 0 is refused at the node.
func.func @celu_alpha_zero(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{alpha must not be 0}}
  %0 = r1.onnx_node "Celu"(%x) {domain = "", node_name = "celu", onnx_attrs = {alpha = 0.000000e+00 : f32}, opset = 12 : i64} : (tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Trigonometric and hyperbolic functions, from their first opsets.
// CHECK-LABEL: func @trigonometric
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
func.func @trigonometric(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.tan %[[X]] : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: r1.asin %[[X]]
  // CHECK: r1.acos %[[X]]
  // CHECK: r1.atan %[[X]]
  // CHECK: r1.sinh %[[X]]
  // CHECK: r1.cosh %[[X]]
  // CHECK: r1.asinh %[[X]]
  // CHECK: r1.acosh %[[X]]
  // CHECK: r1.atanh %[[X]]
  // CHECK-NOT: r1.onnx_node
  %0 = r1.onnx_node "Tan"(%x) {domain = "", node_name = "tan", onnx_attrs = {}, opset = 7 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Asin"(%x) {domain = "", node_name = "asin", onnx_attrs = {}, opset = 7 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %2 = r1.onnx_node "Acos"(%x) {domain = "", node_name = "acos", onnx_attrs = {}, opset = 7 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %3 = r1.onnx_node "Atan"(%x) {domain = "", node_name = "atan", onnx_attrs = {}, opset = 22 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %4 = r1.onnx_node "Sinh"(%x) {domain = "", node_name = "sinh", onnx_attrs = {}, opset = 9 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %5 = r1.onnx_node "Cosh"(%x) {domain = "", node_name = "cosh", onnx_attrs = {}, opset = 9 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %6 = r1.onnx_node "Asinh"(%x) {domain = "", node_name = "asinh", onnx_attrs = {}, opset = 9 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %7 = r1.onnx_node "Acosh"(%x) {domain = "", node_name = "acosh", onnx_attrs = {}, opset = 9 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %8 = r1.onnx_node "Atanh"(%x) {domain = "", node_name = "atanh", onnx_attrs = {}, opset = 22 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// Sinh has no pattern before opset 9, when ONNX added it.
func.func @sinh_before_opset_9(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operator Sinh (domain 'ai.onnx', opset 8)}}
  %0 = r1.onnx_node "Sinh"(%x) {domain = "", node_name = "sinh", onnx_attrs = {}, opset = 8 : i64} : (tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Bitwise ops keep the integer type and broadcast; BitShift's direction
// picks the shift.
// CHECK-LABEL: func @bitwise
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xi16>, %[[B:.*]]: tensor<3xi16>, %[[U:.*]]: tensor<3xui32>)
func.func @bitwise(%a: tensor<2x3xi16>, %b: tensor<3xi16>, %u: tensor<3xui32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.bitwise_and %[[A]], %[[B]] : (tensor<2x3xi16>, tensor<3xi16>) -> tensor<2x3xi16>
  // CHECK: r1.bitwise_or %[[A]], %[[B]]
  // CHECK: r1.bitwise_xor %[[A]], %[[B]]
  // CHECK: r1.bitwise_not %[[A]] : (tensor<2x3xi16>) -> tensor<2x3xi16>
  // CHECK: r1.shift_left %[[U]], %[[U]] : (tensor<3xui32>, tensor<3xui32>) -> tensor<3xui32>
  // CHECK: r1.shift_right %[[U]], %[[U]]
  // CHECK-NOT: r1.onnx_node
  %0 = r1.onnx_node "BitwiseAnd"(%a, %b) {domain = "", node_name = "and", onnx_attrs = {}, opset = 18 : i64} : (tensor<2x3xi16>, tensor<3xi16>) -> !r1.unknown
  %1 = r1.onnx_node "BitwiseOr"(%a, %b) {domain = "", node_name = "or", onnx_attrs = {}, opset = 18 : i64} : (tensor<2x3xi16>, tensor<3xi16>) -> !r1.unknown
  %2 = r1.onnx_node "BitwiseXor"(%a, %b) {domain = "", node_name = "xor", onnx_attrs = {}, opset = 18 : i64} : (tensor<2x3xi16>, tensor<3xi16>) -> !r1.unknown
  %3 = r1.onnx_node "BitwiseNot"(%a) {domain = "", node_name = "not", onnx_attrs = {}, opset = 18 : i64} : (tensor<2x3xi16>) -> !r1.unknown
  %4 = r1.onnx_node "BitShift"(%u, %u) {domain = "", node_name = "shl", onnx_attrs = {direction = "LEFT"}, opset = 11 : i64} : (tensor<3xui32>, tensor<3xui32>) -> !r1.unknown
  %5 = r1.onnx_node "BitShift"(%u, %u) {domain = "", node_name = "shr", onnx_attrs = {direction = "RIGHT"}, opset = 11 : i64} : (tensor<3xui32>, tensor<3xui32>) -> !r1.unknown
  return %0, %1, %2, %3, %4, %5 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @bitshift_direction(%u: tensor<3xui8>) -> !r1.unknown {
  // expected-error @+1 {{direction must be "LEFT" or "RIGHT", not "UP"}}
  %0 = r1.onnx_node "BitShift"(%u, %u) {domain = "", node_name = "shift", onnx_attrs = {direction = "UP"}, opset = 11 : i64} : (tensor<3xui8>, tensor<3xui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// ONNX shifts unsigned integers only.
func.func @bitshift_signed(%i: tensor<3xi32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operand type}}
  %0 = r1.onnx_node "BitShift"(%i, %i) {domain = "", node_name = "shift", onnx_attrs = {direction = "LEFT"}, opset = 11 : i64} : (tensor<3xi32>, tensor<3xi32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Max, Sum and Mean chain binary ops; Mean divides by the input count.
// CHECK-LABEL: func @variadic
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>, %[[C:.*]]: tensor<1x3xf32>)
func.func @variadic(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<1x3xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[MAX0:.*]] = r1.max %[[A]], %[[B]]
  // CHECK: %[[MAX1:.*]] = r1.max %[[MAX0]], %[[C]] : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  // CHECK: %[[SUM:.*]] = r1.add %[[A]], %[[B]]
  // CHECK: %[[ACC0:.*]] = r1.add %[[A]], %[[B]]
  // CHECK: %[[ACC1:.*]] = r1.add %[[ACC0]], %[[C]]
  // CHECK: %[[COUNT:.*]] = r1.constant dense<3.000000e+00> : tensor<f32>
  // CHECK: %[[MEAN:.*]] = r1.div %[[ACC1]], %[[COUNT]]
  // One input is its own mean.
  // CHECK: return %[[MAX1]], %[[SUM]], %[[MEAN]], %[[B]]
  %0 = r1.onnx_node "Max"(%a, %b, %c) {domain = "", node_name = "max", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<1x3xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Sum"(%a, %b) {domain = "", node_name = "sum", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> !r1.unknown
  %2 = r1.onnx_node "Mean"(%a, %b, %c) {domain = "", node_name = "mean", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<1x3xf32>) -> !r1.unknown
  %3 = r1.onnx_node "Mean"(%b) {domain = "", node_name = "mean1", onnx_attrs = {}, opset = 13 : i64} : (tensor<3xf32>) -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// alpha * A * B' + beta * C.
// CHECK-LABEL: func @gemm
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<4x3xf32>, %[[C:.*]]: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
func.func @gemm(%a: tensor<?x3xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[BT:.*]] = r1.transpose %[[B]] {perm = array<i64: 1, 0>} : (tensor<4x3xf32>) -> tensor<3x4xf32>
  // CHECK: %[[AB:.*]] = r1.matmul %[[A]], %[[BT]] : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
  // CHECK: %[[ALPHA:.*]] = r1.constant dense<5.000000e-01> : tensor<f32>
  // CHECK: %[[SCALED:.*]] = r1.mul %[[AB]], %[[ALPHA]]
  // CHECK: %[[BETA:.*]] = r1.constant dense<2.000000e+00> : tensor<f32>
  // CHECK: %[[BC:.*]] = r1.mul %[[C]], %[[BETA]]
  // CHECK: %[[Y:.*]] = r1.add %[[SCALED]], %[[BC]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %0 = r1.onnx_node "Gemm"(%a, %b, %c) {domain = "", node_name = "fc", onnx_attrs = {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32, transB = 1 : i64}, opset = 13 : i64} : (tensor<?x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> !r1.unknown
  // Without C and with unit alpha, only the product.
  // CHECK: %[[BT2:.*]] = r1.transpose %[[B]]
  // CHECK-NEXT: %[[Y2:.*]] = r1.matmul %[[A]], %[[BT2]]
  // CHECK-NEXT: return %[[Y]], %[[Y2]]
  %none = r1.none
  %1 = r1.onnx_node "Gemm"(%a, %b, %none) {domain = "", node_name = "fc2", onnx_attrs = {transB = 1 : i64}, opset = 13 : i64} : (tensor<?x3xf32>, tensor<4x3xf32>, none) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

// SAME_UPPER with an even kernel puts the odd pad at the end.
// CHECK-LABEL: func @conv_same_upper
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x7x7xf32>, %[[W:.*]]: tensor<8x3x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @conv_same_upper(%x: tensor<1x3x7x7xf32>, %w: tensor<8x3x4x4xf32>) -> !r1.unknown {
  // CHECK: r1.conv %[[X]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x3x7x7xf32>, tensor<8x3x4x4xf32>) -> tensor<1x8x4x4xf32>
  %none = r1.none
  %0 = r1.onnx_node "Conv"(%x, %w, %none) {domain = "", node_name = "conv", onnx_attrs = {auto_pad = "SAME_UPPER", strides = array<i64: 2, 2>}, opset = 11 : i64} : (tensor<1x3x7x7xf32>, tensor<8x3x4x4xf32>, none) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// CHECK-LABEL: func @conv_bias_pads
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x8x8xf32>, %[[W:.*]]: tensor<8x2x3x3xf32>, %[[B:.*]]: tensor<8xf32>)
func.func @conv_bias_pads(%x: tensor<?x4x8x8xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>) -> !r1.unknown {
  // CHECK: r1.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 2, 2>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<?x8x6x6xf32>
  %0 = r1.onnx_node "Conv"(%x, %w, %b) {domain = "", node_name = "conv", onnx_attrs = {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 2, 2>}, opset = 11 : i64} : (tensor<?x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @conv_same_upper_dynamic(%x: tensor<1x3x?x7xf32>, %w: tensor<8x3x3x3xf32>) -> !r1.unknown {
  // expected-error @+1 {{Conv (opset 11): auto_pad SAME_UPPER needs static spatial dims, but dim 2 is dynamic}}
  %0 = r1.onnx_node "Conv"(%x, %w) {domain = "", node_name = "conv", onnx_attrs = {auto_pad = "SAME_UPPER"}, opset = 11 : i64} : (tensor<1x3x?x7xf32>, tensor<8x3x3x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// CHECK-LABEL: func @pools
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x6x6xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>)
func.func @pools(%x: tensor<1x2x6x6xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.max_pool %[[X]] {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x6x6xf32>) -> tensor<1x2x2x2xf32>
  %0 = r1.onnx_node "MaxPool"(%x) {domain = "", node_name = "pool", onnx_attrs = {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>}, opset = 12 : i64} : (tensor<1x2x6x6xf32>) -> !r1.unknown
  // ceil_mode keeps a last, partial window.
  // CHECK: r1.max_pool %[[X]] {ceil_mode = true, {{.*}}} : (tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>
  %1 = r1.onnx_node "MaxPool"(%x) {domain = "", node_name = "pool_ceil", onnx_attrs = {ceil_mode = 1 : i64, kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>}, opset = 12 : i64} : (tensor<1x2x6x6xf32>) -> !r1.unknown
  // ... unless it would start in the end padding alone.
  // CHECK: r1.average_pool %[[X]] {ceil_mode = true, count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x6x6xf32>) -> tensor<1x2x4x4xf32>
  %2 = r1.onnx_node "AveragePool"(%x) {domain = "", node_name = "avg", onnx_attrs = {ceil_mode = 1 : i64, count_include_pad = 1 : i64, kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}, opset = 19 : i64} : (tensor<1x2x6x6xf32>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// MaxPool's Indices include the batch's offset: a dynamic batch is refused.
func.func @max_pool_indices(%x: tensor<?x2x6x6xf32>) -> !r1.unknown {
  // expected-error @+1 {{MaxPool (opset 12): needs a static batch for the Indices output}}
  %0:2 = r1.onnx_node "MaxPool"(%x) {domain = "", node_name = "pool", onnx_attrs = {kernel_shape = array<i64: 2, 2>}, opset = 12 : i64} : (tensor<?x2x6x6xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// Before opset 13 Softmax works on the input seen as 2-D, split at `axis`
// (default 1); from 13 on it is one axis (default -1).
// CHECK-LABEL: func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>)
func.func @softmax(%x: tensor<2x3x4xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[FLAT:.*]] = r1.flatten %[[X]] {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  // CHECK: %[[SM:.*]] = r1.softmax %[[FLAT]] {axis = 1 : i64} : (tensor<2x12xf32>) -> tensor<2x12xf32>
  // CHECK: %[[SHAPE:.*]] = r1.constant dense<[2, 3, 4]> : tensor<3xi64>
  // CHECK: %[[SM11:.*]] = r1.reshape %[[SM]], %[[SHAPE]] {allowzero = false} : (tensor<2x12xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  %0 = r1.onnx_node "Softmax"(%x) {domain = "", node_name = "sm11", onnx_attrs = {}, opset = 11 : i64} : (tensor<2x3x4xf32>) -> !r1.unknown
  // CHECK: %[[SM13:.*]] = r1.softmax %[[X]] {axis = -1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %1 = r1.onnx_node "Softmax"(%x) {domain = "", node_name = "sm13", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3x4xf32>) -> !r1.unknown
  // CHECK: %[[FLAT2:.*]] = r1.flatten %[[X]] {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  // CHECK: %[[LSM:.*]] = r1.log_softmax %[[FLAT2]] {axis = 1 : i64}
  // CHECK: %[[LSM11:.*]] = r1.reshape %[[LSM]]
  // CHECK: return %[[SM11]], %[[SM13]], %[[LSM11]]
  %2 = r1.onnx_node "LogSoftmax"(%x) {domain = "", node_name = "lsm", onnx_attrs = {axis = 2 : i64}, opset = 11 : i64} : (tensor<2x3x4xf32>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// 0 copies an input dim, -1 takes the rest; with allowzero a 0 is a 0.
// CHECK-LABEL: func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x768xf32>, %[[E:.*]]: tensor<0x3xf32>) -> (tensor<?x128x12x64xf32>, tensor<3x0xf32>, tensor<?xf32>)
func.func @reshape(%x: tensor<?x128x768xf32>, %e: tensor<0x3xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.reshape %[[X]], %{{.*}} {allowzero = false} : (tensor<?x128x768xf32>, tensor<4xi64>) -> tensor<?x128x12x64xf32>
  %s = r1.constant dense<[0, 0, 12, -1]> : tensor<4xi64>
  %0 = r1.onnx_node "Reshape"(%x, %s) {domain = "", node_name = "split_heads", onnx_attrs = {}, opset = 14 : i64} : (tensor<?x128x768xf32>, tensor<4xi64>) -> !r1.unknown
  // CHECK: r1.reshape %[[E]], %{{.*}} {allowzero = true} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<3x0xf32>
  %z = r1.constant dense<[3, 0]> : tensor<2xi64>
  %1 = r1.onnx_node "Reshape"(%e, %z) {domain = "", node_name = "zero", onnx_attrs = {allowzero = 1 : i64}, opset = 14 : i64} : (tensor<0x3xf32>, tensor<2xi64>) -> !r1.unknown
  // CHECK: r1.reshape %[[X]], %{{.*}} {allowzero = false} : (tensor<?x128x768xf32>, tensor<1xi64>) -> tensor<?xf32>
  %m = r1.constant dense<[-1]> : tensor<1xi64>
  %2 = r1.onnx_node "Reshape"(%x, %m) {domain = "", node_name = "flat", onnx_attrs = {}, opset = 5 : i64} : (tensor<?x128x768xf32>, tensor<1xi64>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<10x20xf32>) -> (tensor<10x7xf32>, tensor<2x20xf32>)
func.func @slice(%x: tensor<10x20xf32>) -> (!r1.unknown, !r1.unknown) {
  // From the last element backwards to the start, every third: 19, 16, ..., 1.
  // CHECK: r1.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: -9223372036854775808>, starts = array<i64: -1>, steps = array<i64: -3>} : (tensor<10x20xf32>) -> tensor<10x7xf32>
  %starts = r1.constant dense<[-1]> : tensor<1xi64>
  %ends = r1.constant dense<[-9223372036854775808]> : tensor<1xi64>
  %axes = r1.constant dense<[1]> : tensor<1xi64>
  %steps = r1.constant dense<[-3]> : tensor<1xi64>
  %0 = r1.onnx_node "Slice"(%x, %starts, %ends, %axes, %steps) {domain = "", node_name = "rev", onnx_attrs = {}, opset = 13 : i64} : (tensor<10x20xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> !r1.unknown
  // Opset 1: attributes and unit steps.
  // CHECK: r1.slice %[[X]] {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 1>, steps = array<i64: 1>} : (tensor<10x20xf32>) -> tensor<2x20xf32>
  %1 = r1.onnx_node "Slice"(%x) {domain = "", node_name = "v1", onnx_attrs = {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 1>}, opset = 1 : i64} : (tensor<10x20xf32>) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

func.func @slice_computed_bounds(%x: tensor<10xf32>, %s: tensor<1xi64>) -> !r1.unknown {
  %e = r1.constant dense<[5]> : tensor<1xi64>
  // expected-error @+1 {{Slice (opset 13): slice bounds are data, which needs a static input and the output's shape declared in the model}}
  %0 = r1.onnx_node "Slice"(%x, %s, %e) {domain = "", node_name = "dyn", onnx_attrs = {}, opset = 13 : i64} : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Bounds given as data with the output's shape declared: a gather by the
// first index (clamped as ONNX clamps starts) plus a range times the step.
// CHECK-LABEL: func @slice_data_bounds_declared_shape
// CHECK: %[[AT:.*]] = r1.add %{{.*}}, %{{.*}} : (tensor<i64>, tensor<3xi64>) -> tensor<3xi64>
// CHECK: %[[LOW:.*]] = r1.max %[[AT]]
// CHECK: %[[IN:.*]] = r1.min %[[LOW]]
// CHECK: r1.gather %arg0, %[[IN]] {axis = 0 : i64} : (tensor<10xf32>, tensor<3xi64>) -> tensor<3xf32>
func.func @slice_data_bounds_declared_shape(%x: tensor<10xf32>, %s: tensor<1xi64>, %e: tensor<1xi64>) -> tensor<3xf32> {
  %0 = r1.onnx_node "Slice"(%x, %s, %e) {domain = "", node_name = "dyn", onnx_attrs = {}, opset = 13 : i64} : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Split sizes: an attribute before opset 13, an input from 13, and from 18
// num_outputs pieces with a smaller last one.
// CHECK-LABEL: func @split
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>, %[[Y:.*]]: tensor<?x7xf32>)
func.func @split(%x: tensor<4x5xf32>, %y: tensor<?x7xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[S11:.*]]:2 = r1.split %[[X]] {axis = 1 : i64, sizes = array<i64: 2, 3>} : (tensor<4x5xf32>) -> (tensor<4x2xf32>, tensor<4x3xf32>)
  %0:2 = r1.onnx_node "Split"(%x) {domain = "", node_name = "s11", onnx_attrs = {axis = 1 : i64, split = array<i64: 2, 3>}, opset = 11 : i64} : (tensor<4x5xf32>) -> (!r1.unknown, !r1.unknown)
  // CHECK: %[[S13:.*]]:2 = r1.split %[[X]] {axis = 0 : i64, sizes = array<i64: 1, 3>} : (tensor<4x5xf32>) -> (tensor<1x5xf32>, tensor<3x5xf32>)
  %sizes = r1.constant dense<[1, 3]> : tensor<2xi64>
  %1:2 = r1.onnx_node "Split"(%x, %sizes) {domain = "", node_name = "s13", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>, tensor<2xi64>) -> (!r1.unknown, !r1.unknown)
  // CHECK: %[[S18:.*]]:3 = r1.split %[[Y]] {axis = -1 : i64, sizes = array<i64: 3, 3, 1>} : (tensor<?x7xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>)
  // CHECK: return %[[S11]]#0, %[[S11]]#1, %[[S13]]#0, %[[S13]]#1, %[[S18]]#0, %[[S18]]#1, %[[S18]]#2
  %2:3 = r1.onnx_node "Split"(%y) {domain = "", node_name = "s18", onnx_attrs = {axis = -1 : i64, num_outputs = 3 : i64}, opset = 18 : i64} : (tensor<?x7xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %0#0, %0#1, %1#0, %1#1, %2#0, %2#1, %2#2 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @split_negative_size(%x: tensor<4xf32>) -> (!r1.unknown, !r1.unknown) {
  %sizes = r1.constant dense<[-1, 5]> : tensor<2xi64>
  // expected-error @+1 {{Split (opset 13): split size -1 is negative}}
  %0:2 = r1.onnx_node "Split"(%x, %sizes) {domain = "", node_name = "split", onnx_attrs = {}, opset = 13 : i64} : (tensor<4xf32>, tensor<2xi64>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// Axes: an attribute before opset 13, a constant input from 13.
// CHECK-LABEL: func @squeeze_unsqueeze
// CHECK-SAME: (%[[X:.*]]: tensor<?x1x8x1xf32>, %[[Y:.*]]: tensor<?x8xf32>)
func.func @squeeze_unsqueeze(%x: tensor<?x1x8x1xf32>, %y: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.squeeze %[[X]] {axes = array<i64: 1, -1>} : (tensor<?x1x8x1xf32>) -> tensor<?x8xf32>
  %0 = r1.onnx_node "Squeeze"(%x) {domain = "", node_name = "sq11", onnx_attrs = {axes = array<i64: 1, -1>}, opset = 11 : i64} : (tensor<?x1x8x1xf32>) -> !r1.unknown
  // CHECK: r1.squeeze %[[X]] {axes = array<i64: 1>} : (tensor<?x1x8x1xf32>) -> tensor<?x8x1xf32>
  %axes = r1.constant dense<[1]> : tensor<1xi64>
  %1 = r1.onnx_node "Squeeze"(%x, %axes) {domain = "", node_name = "sq13", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x1x8x1xf32>, tensor<1xi64>) -> !r1.unknown
  // CHECK: r1.unsqueeze %[[Y]] {axes = array<i64: 0, 3>} : (tensor<?x8xf32>) -> tensor<1x?x8x1xf32>
  %2 = r1.onnx_node "Unsqueeze"(%y) {domain = "", node_name = "un11", onnx_attrs = {axes = array<i64: 0, 3>}, opset = 11 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  // CHECK: r1.unsqueeze %[[Y]] {axes = array<i64: 1>} : (tensor<?x8xf32>) -> tensor<?x1x8xf32>
  %3 = r1.onnx_node "Unsqueeze"(%y, %axes) {domain = "", node_name = "un13", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>, tensor<1xi64>) -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @unsqueeze_computed_axes(%y: tensor<?x8xf32>, %axes: tensor<1xi64>) -> !r1.unknown {
  // expected-error @+1 {{Unsqueeze (opset 13): axes must be a constant, or the output's shape declared in the model; computed axes are unsupported}}
  %0 = r1.onnx_node "Unsqueeze"(%y, %axes) {domain = "", node_name = "un", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>, tensor<1xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Axes given as data move no element: a reshape to the declared shape.
// CHECK-LABEL: func @unsqueeze_data_axes_declared_shape
// CHECK: r1.reshape %arg0, %{{.*}} {allowzero = true} : (tensor<3x8xf32>, tensor<3xi64>) -> tensor<3x1x8xf32>
func.func @unsqueeze_data_axes_declared_shape(%y: tensor<3x8xf32>, %axes: tensor<1xi64>) -> tensor<3x1x8xf32> {
  %0 = r1.onnx_node "Unsqueeze"(%y, %axes) {domain = "", node_name = "un", onnx_attrs = {}, opset = 13 : i64} : (tensor<3x8xf32>, tensor<1xi64>) -> tensor<3x1x8xf32>
  return %0 : tensor<3x1x8xf32>
}

// -----

// CHECK-LABEL: func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x8xf32>, %[[AXES:.*]]: tensor<?xi64>)
func.func @reductions(%x: tensor<?x4x8xf32>, %axes: tensor<?xi64>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // Axes as an attribute (ReduceMean before 18); keepdims defaults to 1.
  // CHECK: %[[MEAN:.*]] = r1.reduce_mean %[[X]] {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x4x8xf32>) -> tensor<?x4x1xf32>
  %0 = r1.onnx_node "ReduceMean"(%x) {domain = "", node_name = "mean", onnx_attrs = {axes = array<i64: -1>}, opset = 13 : i64} : (tensor<?x4x8xf32>) -> !r1.unknown
  // A constant axes input (ReduceSum from 13) becomes the attribute.
  // CHECK: %[[SUM:.*]] = r1.reduce_sum %[[X]] {axes = array<i64: 1, 2>, keepdims = false, noop_with_empty_axes = false} : (tensor<?x4x8xf32>) -> tensor<?xf32>
  %c = r1.constant dense<[1, 2]> : tensor<2xi64>
  %1 = r1.onnx_node "ReduceSum"(%x, %c) {domain = "", node_name = "sum", onnx_attrs = {keepdims = 0 : i64}, opset = 13 : i64} : (tensor<?x4x8xf32>, tensor<2xi64>) -> !r1.unknown
  // Axes computed at run time stay an operand.
  // CHECK: %[[MAX:.*]] = r1.reduce_max %[[X]], %[[AXES]] {axes = array<i64>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x4x8xf32>, tensor<?xi64>) -> tensor<?x?x?xf32>
  %2 = r1.onnx_node "ReduceMax"(%x, %axes) {domain = "", node_name = "max", onnx_attrs = {}, opset = 18 : i64} : (tensor<?x4x8xf32>, tensor<?xi64>) -> !r1.unknown
  // No axes and noop_with_empty_axes: the input itself.
  %3 = r1.onnx_node "ReduceSum"(%x) {domain = "", node_name = "noop", onnx_attrs = {noop_with_empty_axes = 1 : i64}, opset = 13 : i64} : (tensor<?x4x8xf32>) -> !r1.unknown
  // No axes otherwise: every dim.
  // CHECK: %[[MIN:.*]] = r1.reduce_min %[[X]] {axes = array<i64>, keepdims = false, noop_with_empty_axes = false} : (tensor<?x4x8xf32>) -> tensor<f32>
  %4 = r1.onnx_node "ReduceMin"(%x) {domain = "", node_name = "all", onnx_attrs = {keepdims = 0 : i64}, opset = 18 : i64} : (tensor<?x4x8xf32>) -> !r1.unknown
  // ReduceL2 is the square root of the sum of squares.
  // CHECK: %[[SQ:.*]] = r1.mul %[[X]], %[[X]]
  // CHECK: %[[SS:.*]] = r1.reduce_sum %[[SQ]] {axes = array<i64: 2>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x4x8xf32>) -> tensor<?x4x1xf32>
  // CHECK: %[[L2:.*]] = r1.sqrt %[[SS]]
  // CHECK: return %[[MEAN]], %[[SUM]], %[[MAX]], %[[X]], %[[MIN]], %[[L2]]
  %5 = r1.onnx_node "ReduceL2"(%x) {domain = "", node_name = "l2", onnx_attrs = {axes = array<i64: 2>}, opset = 13 : i64} : (tensor<?x4x8xf32>) -> !r1.unknown
  return %0, %1, %2, %3, %4, %5 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @clip
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[LO:.*]]: tensor<f32>, %[[HI:.*]]: tensor<f32>)
func.func @clip(%x: tensor<?x8xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // Constant bounds are attributes.
  // CHECK: %[[RELU6:.*]] = r1.clip %[[X]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  %min = r1.constant dense<0.0> : tensor<f32>
  %max = r1.constant dense<6.0> : tensor<f32>
  %0 = r1.onnx_node "Clip"(%x, %min, %max) {domain = "", node_name = "relu6", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>, tensor<f32>, tensor<f32>) -> !r1.unknown
  // Computed bounds: max with the lower, then min with the upper.
  // CHECK: %[[ATLEAST:.*]] = r1.max %[[X]], %[[LO]]
  // CHECK: %[[BOTH:.*]] = r1.min %[[ATLEAST]], %[[HI]]
  %1 = r1.onnx_node "Clip"(%x, %lo, %hi) {domain = "", node_name = "computed", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>, tensor<f32>, tensor<f32>) -> !r1.unknown
  // An absent bound is no bound.
  // CHECK: %[[UPPER:.*]] = r1.clip %[[X]] {max = 6.000000e+00 : f64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %none = r1.none
  %2 = r1.onnx_node "Clip"(%x, %none, %max) {domain = "", node_name = "upper", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>, none, tensor<f32>) -> !r1.unknown
  // Opsets 6 to 10: attributes.
  // CHECK: %[[V6:.*]] = r1.clip %[[X]] {max = 1.000000e+00 : f64, min = -1.000000e+00 : f64}
  // CHECK: return %[[RELU6]], %[[BOTH]], %[[UPPER]], %[[V6]]
  %3 = r1.onnx_node "Clip"(%x) {domain = "", node_name = "v6", onnx_attrs = {max = 1.000000e+00 : f32, min = -1.000000e+00 : f32}, opset = 6 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @trilu
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x5xf32>, %[[K:.*]]: tensor<i64>)
func.func @trilu(%x: tensor<?x4x5xf32>, %k: tensor<i64>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[LOWER:.*]] = r1.trilu %[[X]] {k = 1 : i64, upper = false} : (tensor<?x4x5xf32>) -> tensor<?x4x5xf32>
  %one = r1.constant dense<1> : tensor<i64>
  %0 = r1.onnx_node "Trilu"(%x, %one) {domain = "", node_name = "const_k", onnx_attrs = {upper = 0 : i64}, opset = 14 : i64} : (tensor<?x4x5xf32>, tensor<i64>) -> !r1.unknown
  // A computed k selects with a mask of column minus row >= k; the index
  // arithmetic folds to a constant.
  // CHECK: %[[DIAG:.*]] = r1.constant dense<{{\[}}[0, 1, 2, 3, 4], [-1, 0, 1, 2, 3], [-2, -1, 0, 1, 2], [-3, -2, -1, 0, 1]]> : tensor<4x5xi64>
  // CHECK: %[[KEEP:.*]] = r1.greater_equal %[[DIAG]], %[[K]] : (tensor<4x5xi64>, tensor<i64>) -> tensor<4x5xi1>
  // CHECK: %[[ZERO:.*]] = r1.constant dense<0.000000e+00> : tensor<f32>
  // CHECK: %[[UPPER:.*]] = r1.where %[[KEEP]], %[[X]], %[[ZERO]] : (tensor<4x5xi1>, tensor<?x4x5xf32>, tensor<f32>) -> tensor<?x4x5xf32>
  // CHECK: return %[[LOWER]], %[[UPPER]]
  %1 = r1.onnx_node "Trilu"(%x, %k) {domain = "", node_name = "computed_k", onnx_attrs = {}, opset = 14 : i64} : (tensor<?x4x5xf32>, tensor<i64>) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @pad
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>) -> (tensor<1x3x10x12xf32>, tensor<1x3x10x7xf32>, tensor<1x9x8x12xf32>)
func.func @pad(%x: tensor<1x3x8x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // Opset 2: pads and value are attributes.
  // CHECK: r1.pad %[[X]] {mode = "reflect", pads = array<i64: 0, 0, 1, 2, 0, 0, 1, 2>, value = 0.000000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x12xf32>
  %0 = r1.onnx_node "Pad"(%x) {domain = "", node_name = "v2", onnx_attrs = {mode = "reflect", pads = array<i64: 0, 0, 1, 2, 0, 0, 1, 2>}, opset = 2 : i64} : (tensor<1x3x8x8xf32>) -> !r1.unknown
  // Opset 11: inputs; a negative pad crops.
  // CHECK: r1.pad %[[X]] {mode = "constant", pads = array<i64: 0, 0, 2, 0, 0, 0, 0, -1>, value = 1.500000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x7xf32>
  %pads = r1.constant dense<[0, 0, 2, 0, 0, 0, 0, -1]> : tensor<8xi64>
  %value = r1.constant dense<1.5> : tensor<f32>
  %1 = r1.onnx_node "Pad"(%x, %pads, %value) {domain = "", node_name = "v11", onnx_attrs = {}, opset = 11 : i64} : (tensor<1x3x8x8xf32>, tensor<8xi64>, tensor<f32>) -> !r1.unknown
  // Opset 18: pads of some axes only, spread over all dims.
  // CHECK: r1.pad %[[X]] {mode = "edge", pads = array<i64: 0, 2, 0, 1, 0, 4, 0, 3>, value = 0.000000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x9x8x12xf32>
  %apads = r1.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %axes = r1.constant dense<[-1, 1]> : tensor<2xi64>
  %none = r1.none
  %2 = r1.onnx_node "Pad"(%x, %apads, %none, %axes) {domain = "", node_name = "v18", onnx_attrs = {mode = "edge"}, opset = 18 : i64} : (tensor<1x3x8x8xf32>, tensor<4xi64>, none, tensor<2xi64>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @pad_crops_too_much(%x: tensor<4xf32>) -> !r1.unknown {
  %pads = r1.constant dense<[-3, -2]> : tensor<2xi64>
  // expected-error @+1 {{Pad (opset 13): pads crop more than the input has}}
  %0 = r1.onnx_node "Pad"(%x, %pads) {domain = "", node_name = "crop", onnx_attrs = {}, opset = 13 : i64} : (tensor<4xf32>, tensor<2xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Unread Mean and InvStdDev outputs cost nothing; bias is optional.
// CHECK-LABEL: func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x16x32xf32>, %[[G:.*]]: tensor<32xf32>, %[[B:.*]]: tensor<32xf32>)
func.func @layer_norm(%x: tensor<?x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[Y:.*]] = r1.layer_norm %[[X]], %[[G]], %[[B]] {axis = -1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x16x32xf32>
  // CHECK-NOT: r1.reduce_mean
  // CHECK: %[[Z:.*]] = r1.layer_norm %[[X]], %[[G]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>) -> tensor<?x16x32xf32>
  // CHECK: return %[[Y]], %[[Z]]
  %y:3 = r1.onnx_node "LayerNormalization"(%x, %g, %b) {domain = "", node_name = "ln", onnx_attrs = {epsilon = 9.99999974E-6 : f32}, opset = 17 : i64} : (tensor<?x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  %none = r1.none
  %z = r1.onnx_node "LayerNormalization"(%x, %g, %none) {domain = "", node_name = "ln_no_bias", onnx_attrs = {axis = 2 : i64}, opset = 17 : i64} : (tensor<?x16x32xf32>, tensor<32xf32>, none) -> !r1.unknown
  return %y#0, %z : !r1.unknown, !r1.unknown
}

// -----

// Read statistics are spelled out over the normalized dims, kept as 1.
// CHECK-LABEL: func @layer_norm_stats
// CHECK-SAME: (%[[X:.*]]: tensor<?x16x32xf32>, %[[G:.*]]: tensor<16x32xf32>) -> (tensor<?x16x32xf32>, tensor<?x1x1xf32>, tensor<?x1x1xf32>)
func.func @layer_norm_stats(%x: tensor<?x16x32xf32>, %g: tensor<16x32xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[Y:.*]] = r1.layer_norm %[[X]], %[[G]] {axis = -2 : i64, epsilon = 1.000000e-03 : f32}
  // CHECK: %[[MEAN:.*]] = r1.reduce_mean %[[X]] {axes = array<i64: 1, 2>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x16x32xf32>) -> tensor<?x1x1xf32>
  // CHECK: %[[CENTERED:.*]] = r1.sub %[[X]], %[[MEAN]]
  // CHECK: %[[SQ:.*]] = r1.mul %[[CENTERED]], %[[CENTERED]]
  // CHECK: %[[VAR:.*]] = r1.reduce_mean %[[SQ]] {axes = array<i64: 1, 2>, keepdims = true, noop_with_empty_axes = false}
  // CHECK: %[[EPS:.*]] = r1.constant dense<1.000000e-03> : tensor<f32>
  // CHECK: %[[SHIFTED:.*]] = r1.add %[[VAR]], %[[EPS]]
  // CHECK: %[[STD:.*]] = r1.sqrt %[[SHIFTED]]
  // CHECK: %[[INV:.*]] = r1.reciprocal %[[STD]] : (tensor<?x1x1xf32>) -> tensor<?x1x1xf32>
  // CHECK: return %[[Y]], %[[MEAN]], %[[INV]]
  %y:3 = r1.onnx_node "LayerNormalization"(%x, %g) {domain = "", node_name = "ln", onnx_attrs = {axis = -2 : i64, epsilon = 1.000000e-03 : f32}, opset = 17 : i64} : (tensor<?x16x32xf32>, tensor<16x32xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %y#0, %y#1, %y#2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// In inference Dropout is the identity and its mask all true.
// CHECK-LABEL: func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[D:.*]]: tensor<?x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xi1>, tensor<?x8xi1>)
func.func @dropout(%x: tensor<2x8xf32>, %d: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[MASK:.*]] = r1.constant dense<true> : tensor<2x8xi1>
  // CHECK: %[[SHAPE:.*]] = r1.shape %[[D]] {end = 2 : i64, start = 0 : i64}
  // CHECK: %[[DYN:.*]] = r1.constant_of_shape %[[SHAPE]] {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x8xi1>
  // CHECK: return %[[X]], %[[MASK]], %[[DYN]]
  %0:2 = r1.onnx_node "Dropout"(%x) {domain = "", node_name = "drop", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x8xf32>) -> (!r1.unknown, !r1.unknown)
  %1:2 = r1.onnx_node "Dropout"(%d) {domain = "", node_name = "drop_dyn", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1, %1#1 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// In training, Dropout keeps an element where a hash of its position (a
// constant here, folded) is at least the ratio, and scales it by
// 1 / (1 - ratio).
// CHECK-LABEL: func @dropout_training
// CHECK-SAME: -> (tensor<2x8xf32>, tensor<2x8xi1>)
// CHECK: %[[KEEP:.*]] = r1.greater_equal
// CHECK: r1.where %[[KEEP]]
func.func @dropout_training(%x: tensor<2x8xf32>, %ratio: tensor<f32>) -> (!r1.unknown, !r1.unknown) {
  %true = r1.constant dense<true> : tensor<i1>
  %0:2 = r1.onnx_node "Dropout"(%x, %ratio, %true) {domain = "", node_name = "drop", onnx_attrs = {seed = 7 : i64}, opset = 13 : i64} : (tensor<2x8xf32>, tensor<f32>, tensor<i1>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @constant
// CHECK-SAME: () -> (tensor<1x2xf32>, tensor<2xi64>, tensor<f32>, tensor<i64>)
func.func @constant() -> (!r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[T:.*]] = r1.constant dense<{{\[}}[1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>
  // CHECK: %[[INTS:.*]] = r1.constant dense<[3, -1]> : tensor<2xi64>
  // CHECK: %[[FLOAT:.*]] = r1.constant dense<2.500000e-01> : tensor<f32>
  // CHECK: %[[INT:.*]] = r1.constant dense<7> : tensor<i64>
  // CHECK: return %[[T]], %[[INTS]], %[[FLOAT]], %[[INT]]
  %0 = r1.onnx_node "Constant"() {domain = "", node_name = "c0", onnx_attrs = {value = dense<[[1.0, 2.0]]> : tensor<1x2xf32>}, opset = 13 : i64} : () -> !r1.unknown
  %1 = r1.onnx_node "Constant"() {domain = "", node_name = "c1", onnx_attrs = {value_ints = array<i64: 3, -1>}, opset = 13 : i64} : () -> !r1.unknown
  %2 = r1.onnx_node "Constant"() {domain = "", node_name = "c2", onnx_attrs = {value_float = 2.500000e-01 : f32}, opset = 13 : i64} : () -> !r1.unknown
  %3 = r1.onnx_node "Constant"() {domain = "", node_name = "c3", onnx_attrs = {value_int = 7 : i64}, opset = 13 : i64} : () -> !r1.unknown
  return %0, %1, %2, %3 : !r1.unknown, !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @constant_string() -> !r1.unknown {
  // expected-error @+1 {{Constant (opset 13): only tensor, int and float constants are supported (string and sparse constants are unsupported)}}
  %0 = r1.onnx_node "Constant"() {domain = "", node_name = "s", onnx_attrs = {value_string = "x"}, opset = 13 : i64} : () -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A static shape gives a splat literal; the default value is a float 0.
// CHECK-LABEL: func @constant_of_shape
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>) -> (tensor<2x3xf32>, tensor<2x3xi64>, tensor<?x8xi1>)
func.func @constant_of_shape(%x: tensor<?x8xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[ZEROS:.*]] = r1.constant dense<0.000000e+00> : tensor<2x3xf32>
  // CHECK: %[[ONES:.*]] = r1.constant dense<1> : tensor<2x3xi64>
  %s = r1.constant dense<[2, 3]> : tensor<2xi64>
  %0 = r1.onnx_node "ConstantOfShape"(%s) {domain = "", node_name = "zeros", onnx_attrs = {}, opset = 9 : i64} : (tensor<2xi64>) -> !r1.unknown
  %1 = r1.onnx_node "ConstantOfShape"(%s) {domain = "", node_name = "ones", onnx_attrs = {value = dense<1> : tensor<1xi64>}, opset = 9 : i64} : (tensor<2xi64>) -> !r1.unknown
  // CHECK: %[[SHAPE:.*]] = r1.shape %[[X]] {end = 2 : i64, start = 0 : i64} : (tensor<?x8xf32>) -> tensor<2xi64>
  // CHECK: %[[DYN:.*]] = r1.constant_of_shape %[[SHAPE]] {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x8xi1>
  // CHECK: return %[[ZEROS]], %[[ONES]], %[[DYN]]
  %shape = r1.onnx_node "Shape"(%x) {domain = "", node_name = "shape", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x8xf32>) -> !r1.unknown
  %2 = r1.onnx_node "ConstantOfShape"(%shape) {domain = "", node_name = "dyn", onnx_attrs = {value = dense<true> : tensor<1xi1>}, opset = 20 : i64} : (!r1.unknown) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @cast
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xi64>, %[[F:.*]]: tensor<f16>)
func.func @cast(%x: tensor<?x8xi64>, %f: tensor<f16>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.cast %[[X]] {to = f32} : (tensor<?x8xi64>) -> tensor<?x8xf32>
  // CHECK: r1.cast %[[X]] {to = i1} : (tensor<?x8xi64>) -> tensor<?x8xi1>
  // CastLike takes the element type of its second input.
  // CHECK: r1.cast %[[X]] {to = f16} : (tensor<?x8xi64>) -> tensor<?x8xf16>
  %0 = r1.onnx_node "Cast"(%x) {domain = "", node_name = "to_f32", onnx_attrs = {to = 1 : i64}, opset = 13 : i64} : (tensor<?x8xi64>) -> !r1.unknown
  %1 = r1.onnx_node "Cast"(%x) {domain = "", node_name = "to_bool", onnx_attrs = {to = 9 : i64}, opset = 19 : i64} : (tensor<?x8xi64>) -> !r1.unknown
  %2 = r1.onnx_node "CastLike"(%x, %f) {domain = "", node_name = "like", onnx_attrs = {}, opset = 15 : i64} : (tensor<?x8xi64>, tensor<f16>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @cast_string(%x: tensor<?x8xi64>) -> !r1.unknown {
  // expected-error @+1 {{Cast (opset 13): cast to element type code 8 is unsupported}}
  %0 = r1.onnx_node "Cast"(%x) {domain = "", node_name = "to_string", onnx_attrs = {to = 8 : i64}, opset = 13 : i64} : (tensor<?x8xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Opset 15 start and end count from the back when negative and clamp.
// CHECK-LABEL: func @shape
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4x5xf32>) -> (tensor<4xi64>, tensor<2xi64>, tensor<1xi64>)
func.func @shape(%x: tensor<?x3x4x5xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[ALL:.*]] = r1.shape %[[X]] {end = 4 : i64, start = 0 : i64} : (tensor<?x3x4x5xf32>) -> tensor<4xi64>
  // CHECK: %[[MID:.*]] = r1.constant dense<[3, 4]> : tensor<2xi64>
  // CHECK: %[[FIRST:.*]] = r1.shape %[[X]] {end = 1 : i64, start = 0 : i64} : (tensor<?x3x4x5xf32>) -> tensor<1xi64>
  // CHECK: return %[[ALL]], %[[MID]], %[[FIRST]]
  %0 = r1.onnx_node "Shape"(%x) {domain = "", node_name = "all", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x3x4x5xf32>) -> !r1.unknown
  %1 = r1.onnx_node "Shape"(%x) {domain = "", node_name = "mid", onnx_attrs = {end = -1 : i64, start = 1 : i64}, opset = 15 : i64} : (tensor<?x3x4x5xf32>) -> !r1.unknown
  %2 = r1.onnx_node "Shape"(%x) {domain = "", node_name = "clamped", onnx_attrs = {end = 1 : i64, start = -10 : i64}, opset = 15 : i64} : (tensor<?x3x4x5xf32>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// CHECK-LABEL: func @where
// CHECK-SAME: (%[[C:.*]]: tensor<1x1x8x8xi1>, %[[X:.*]]: tensor<?x12x8x8xf32>) -> tensor<?x12x8x8xf32>
func.func @where(%c: tensor<1x1x8x8xi1>, %x: tensor<?x12x8x8xf32>) -> !r1.unknown {
  // CHECK: r1.where %[[C]], %[[X]], %{{.*}} : (tensor<1x1x8x8xi1>, tensor<?x12x8x8xf32>, tensor<f32>) -> tensor<?x12x8x8xf32>
  %ninf = r1.constant dense<-1.0e+09> : tensor<f32>
  %0 = r1.onnx_node "Where"(%c, %x, %ninf) {domain = "", node_name = "mask", onnx_attrs = {}, opset = 16 : i64} : (tensor<1x1x8x8xi1>, tensor<?x12x8x8xf32>, tensor<f32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// The class token broadcast to a dynamic batch, with the target shape built
// from the input's: only the batch is unknown, so the result keeps 1x768.
// CHECK-LABEL: func @expand_dynamic_batch
// CHECK-SAME: (%[[X:.*]]: tensor<?x196x768xf32>, %[[CLS:.*]]: tensor<1x1x768xf32>) -> tensor<?x1x768xf32>
func.func @expand_dynamic_batch(%x: tensor<?x196x768xf32>, %cls: tensor<1x1x768xf32>) -> !r1.unknown {
  // CHECK: %[[SHAPE:.*]] = r1.shape %[[X]] {end = 3 : i64, start = 0 : i64}
  // CHECK: %[[BATCH:.*]] = r1.gather %[[SHAPE]], %{{.*}} {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  // CHECK: %[[TARGET:.*]] = r1.concat %[[BATCH]], %{{.*}} {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  // CHECK: %[[Y:.*]] = r1.expand %[[CLS]], %[[TARGET]] : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x1x768xf32>
  // CHECK: return %[[Y]] : tensor<?x1x768xf32>
  %shape = r1.onnx_node "Shape"(%x) {domain = "", node_name = "shape", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x196x768xf32>) -> !r1.unknown
  %zero = r1.constant dense<[0]> : tensor<1xi64>
  %batch = r1.onnx_node "Gather"(%shape, %zero) {domain = "", node_name = "batch", onnx_attrs = {axis = 0 : i64}, opset = 13 : i64} : (!r1.unknown, tensor<1xi64>) -> !r1.unknown
  %rest = r1.constant dense<[1, 768]> : tensor<2xi64>
  %target = r1.onnx_node "Concat"(%batch, %rest) {domain = "", node_name = "target", onnx_attrs = {axis = 0 : i64}, opset = 13 : i64} : (!r1.unknown, tensor<2xi64>) -> !r1.unknown
  %0 = r1.onnx_node "Expand"(%cls, %target) {domain = "", node_name = "expand", onnx_attrs = {}, opset = 13 : i64} : (tensor<1x1x768xf32>, !r1.unknown) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A type the file declares may be more static than inference; one that
// contradicts it is an error.
// CHECK-LABEL: func @declared_type_refines
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>) -> tensor<2x3xf32>
func.func @declared_type_refines(%a: tensor<?x3xf32>) -> tensor<2x3xf32> {
  // CHECK: r1.relu %[[X]] : (tensor<?x3xf32>) -> tensor<2x3xf32>
  %0 = r1.onnx_node "Relu"(%a) {domain = "", node_name = "relu", onnx_attrs = {}, opset = 14 : i64} : (tensor<?x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @declared_type_conflict(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{Relu (opset 14): output #0 is declared as 'tensor<3x2xf32>' but computes 'tensor<2x3xf32>'}}
  %0 = r1.onnx_node "Relu"(%a) {domain = "", node_name = "relu", onnx_attrs = {}, opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// -----

func.func @unsupported_op(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operator ImageDecoder (domain 'ai.onnx', opset 17)}}
  %0 = r1.onnx_node "ImageDecoder"(%x) {domain = "", node_name = "decode", onnx_attrs = {}, opset = 17 : i64} : (tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Every unsupported operator is listed in one error at the first of them.
func.func @unsupported_ops_listed(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operator ImageDecoder (domain 'ai.onnx', opset 17); also unsupported: TfIdfVectorizer (domain 'ai.onnx', opset 17) at 2 nodes, the first 'u1'}}
  %0 = r1.onnx_node "ImageDecoder"(%x) {domain = "", node_name = "decode", onnx_attrs = {}, opset = 17 : i64} : (tensor<4xf32>) -> !r1.unknown
  %1 = r1.onnx_node "TfIdfVectorizer"(%0) {domain = "", node_name = "u1", onnx_attrs = {}, opset = 17 : i64} : (!r1.unknown) -> !r1.unknown
  %2 = r1.onnx_node "TfIdfVectorizer"(%1) {domain = "", node_name = "u2", onnx_attrs = {}, opset = 17 : i64} : (!r1.unknown) -> !r1.unknown
  return %2 : !r1.unknown
}

// -----

func.func @unsupported_domain(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operator Relu (domain 'com.example', opset 1)}}
  %0 = r1.onnx_node "Relu"(%x) {domain = "com.example", node_name = "relu", onnx_attrs = {}, opset = 1 : i64} : (tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @only_at_later_opset(%x: tensor<4xf32>) -> !r1.unknown {
  // expected-error @+1 {{unsupported operator Gelu (domain 'ai.onnx', opset 17): r1c supports it only from a later opset}}
  %0 = r1.onnx_node "Gelu"(%x) {domain = "", node_name = "gelu", onnx_attrs = {}, opset = 17 : i64} : (tensor<4xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @verifier_error(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{Add (opset 17): operand shapes [2, 3] [4, 5] do not broadcast}}
  %0 = r1.onnx_node "Add"(%a, %b) {domain = "", node_name = "add", onnx_attrs = {}, opset = 17 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @verifier_error_in_expansion(%a: tensor<?x3xf32>, %b: tensor<4x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{Gemm (opset 13): incompatible shapes [?, 3] and [4, 5]: contraction dims 3 and 4 differ}}
  %0 = r1.onnx_node "Gemm"(%a, %b) {domain = "", node_name = "fc", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x3xf32>, tensor<4x5xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @operand_type_error(%a: tensor<2x3xi64>) -> !r1.unknown {
  // expected-error @+1 {{Sigmoid (opset 13): unsupported operand type: operand #0 must be tensor of floating-point values, but got 'tensor<2x3xi64>'}}
  %0 = r1.onnx_node "Sigmoid"(%a) {domain = "", node_name = "sig", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @missing_input(%a: tensor<2x3xf32>) -> !r1.unknown {
  %none = r1.none
  // expected-error @+1 {{Where (opset 16): input #0 is required}}
  %0 = r1.onnx_node "Where"(%none, %a, %a) {domain = "", node_name = "where", onnx_attrs = {}, opset = 16 : i64} : (none, tensor<2x3xf32>, tensor<2x3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A computed lower bound with a constant upper one keeps ONNX's order,
// min(max(x, lo), hi), which matters when lo > hi.
// CHECK-LABEL: func @clip_computed_lower_constant_upper
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[LO:.*]]: tensor<f32>)
func.func @clip_computed_lower_constant_upper(%x: tensor<4xf32>, %lo: tensor<f32>) -> !r1.unknown {
  // CHECK: %[[ATLEAST:.*]] = r1.max %[[X]], %[[LO]]
  // CHECK: %[[CLIPPED:.*]] = r1.clip %[[ATLEAST]] {max = 1.000000e+00 : f64}
  // CHECK: return %[[CLIPPED]]
  %hi = r1.constant dense<1.0> : tensor<f32>
  %0 = r1.onnx_node "Clip"(%x, %lo, %hi) {domain = "", node_name = "clip", onnx_attrs = {}, opset = 13 : i64} : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A declared type less static than the inferred one does not erase what
// inference knows.
// CHECK-LABEL: func @declared_type_less_static
func.func @declared_type_less_static(%x: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // CHECK: r1.relu %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: r1.abs %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = r1.onnx_node "Relu"(%x) {domain = "", node_name = "relu", onnx_attrs = {}, opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = r1.onnx_node "Abs"(%0) {domain = "", node_name = "abs", onnx_attrs = {}, opset = 13 : i64} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

func.func @dropout_mask_of_unranked(%x: tensor<*xf32>) -> !r1.unknown {
  // expected-error @+1 {{Dropout (opset 13): the mask output needs an input of known rank}}
  %0:2 = r1.onnx_node "Dropout"(%x) {domain = "", node_name = "d", onnx_attrs = {}, opset = 13 : i64} : (tensor<*xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// GatherElements keeps its axis; the result has the indices' shape.
// CHECK-LABEL: func @gather_elements
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x5xf32>, %[[I:.*]]: tensor<?x4x2xi32>) -> tensor<?x4x2xf32>
func.func @gather_elements(%x: tensor<?x4x5xf32>, %i: tensor<?x4x2xi32>) -> !r1.unknown {
  // CHECK: r1.gather_elements %[[X]], %[[I]] {axis = -1 : i64} : (tensor<?x4x5xf32>, tensor<?x4x2xi32>) -> tensor<?x4x2xf32>
  %0 = r1.onnx_node "GatherElements"(%x, %i) {domain = "", node_name = "ge", onnx_attrs = {axis = -1 : i64}, opset = 13 : i64} : (tensor<?x4x5xf32>, tensor<?x4x2xi32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Constant operands fold as the node is legalized.
// CHECK-LABEL: func @gather_elements_constant
func.func @gather_elements_constant() -> !r1.unknown {
  // CHECK: %[[C:.*]] = r1.constant dense<{{\[}}[0, 0, 1]]> : tensor<1x3xi64>
  // CHECK: return %[[C]]
  %t = r1.constant dense<[[0, 0, 0, 1]]> : tensor<1x4xi64>
  %p = r1.constant dense<[[0, 1, 3]]> : tensor<1x3xi64>
  %0 = r1.onnx_node "GatherElements"(%t, %p) {domain = "", node_name = "token_types", onnx_attrs = {axis = 1 : i64}, opset = 11 : i64} : (tensor<1x4xi64>, tensor<1x3xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @gather_elements_axis(%x: tensor<4x5xf32>, %i: tensor<4x5xi64>) -> !r1.unknown {
  // expected-error @+1 {{GatherElements (opset 13): axis 2 is out of range for data of rank 2}}
  %0 = r1.onnx_node "GatherElements"(%x, %i) {domain = "", node_name = "ge", onnx_attrs = {axis = 2 : i64}, opset = 13 : i64} : (tensor<4x5xf32>, tensor<4x5xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// GatherND: opset 11 has no batch_dims, opset 12 reads it.
// CHECK-LABEL: func @gather_nd
// CHECK-SAME: (%[[M:.*]]: tensor<?x128xi64>, %[[Q:.*]]: tensor<4x2xi64>, %[[X:.*]]: tensor<?x3x8xf32>, %[[R:.*]]: tensor<?x5x1xi64>) -> (tensor<4xi64>, tensor<?x5x8xf32>)
func.func @gather_nd(%m: tensor<?x128xi64>, %q: tensor<4x2xi64>, %x: tensor<?x3x8xf32>, %r: tensor<?x5x1xi64>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: r1.gather_nd %[[M]], %[[Q]] {batch_dims = 0 : i64} : (tensor<?x128xi64>, tensor<4x2xi64>) -> tensor<4xi64>
  %0 = r1.onnx_node "GatherND"(%m, %q) {domain = "", node_name = "mask", onnx_attrs = {}, opset = 11 : i64} : (tensor<?x128xi64>, tensor<4x2xi64>) -> !r1.unknown
  // CHECK: r1.gather_nd %[[X]], %[[R]] {batch_dims = 1 : i64} : (tensor<?x3x8xf32>, tensor<?x5x1xi64>) -> tensor<?x5x8xf32>
  %1 = r1.onnx_node "GatherND"(%x, %r) {domain = "", node_name = "rows", onnx_attrs = {batch_dims = 1 : i64}, opset = 13 : i64} : (tensor<?x3x8xf32>, tensor<?x5x1xi64>) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

func.func @gather_nd_batch_dims(%x: tensor<2x3xf32>, %i: tensor<2x1xi64>) -> !r1.unknown {
  // expected-error @+1 {{GatherND (opset 12): batch_dims 2 must be less than the ranks of data (2) and indices (2)}}
  %0 = r1.onnx_node "GatherND"(%x, %i) {domain = "", node_name = "nd", onnx_attrs = {batch_dims = 2 : i64}, opset = 12 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @gather_nd_tuple(%x: tensor<2x3xf32>, %i: tensor<2x3xi64>) -> !r1.unknown {
  // expected-error @+1 {{GatherND (opset 11): the last dim of indices (3) is larger than the data rank 2 less batch_dims 0}}
  %0 = r1.onnx_node "GatherND"(%x, %i) {domain = "", node_name = "nd", onnx_attrs = {}, opset = 11 : i64} : (tensor<2x3xf32>, tensor<2x3xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// ScatterElements keeps its axis and reads its reduction; Scatter (opsets 9
// and 10) is ScatterElements without one.
// CHECK-LABEL: func @scatter_elements
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>, %[[I:.*]]: tensor<2x5xi64>, %[[U:.*]]: tensor<2x5xf32>)
func.func @scatter_elements(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.scatter_elements %[[X]], %[[I]], %[[U]] {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> tensor<4x5xf32>
  %0 = r1.onnx_node "Scatter"(%x, %i, %u) {domain = "", node_name = "s", onnx_attrs = {}, opset = 10 : i64} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> !r1.unknown
  // CHECK: r1.scatter_elements %[[X]], %[[I]], %[[U]] {axis = -2 : i64, reduction = #r1.scatter_reduction<mul>}
  %1 = r1.onnx_node "ScatterElements"(%x, %i, %u) {domain = "", node_name = "se", onnx_attrs = {axis = -2 : i64, reduction = "mul"}, opset = 16 : i64} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> !r1.unknown
  // CHECK: r1.scatter_elements %[[X]], %[[I]], %[[U]] {axis = 0 : i64, reduction = #r1.scatter_reduction<max>}
  %2 = r1.onnx_node "ScatterElements"(%x, %i, %u) {domain = "", node_name = "se", onnx_attrs = {reduction = "max"}, opset = 18 : i64} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> !r1.unknown
  return %0, %1, %2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

func.func @scatter_elements_reduction_too_new(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{ScatterElements (opset 16): reduction 'min' needs opset 18}}
  %0 = r1.onnx_node "ScatterElements"(%x, %i, %u) {domain = "", node_name = "se", onnx_attrs = {reduction = "min"}, opset = 16 : i64} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @scatter_elements_axis(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{ScatterElements (opset 13): axis 2 is out of range for data of rank 2}}
  %0 = r1.onnx_node "ScatterElements"(%x, %i, %u) {domain = "", node_name = "se", onnx_attrs = {axis = 2 : i64}, opset = 13 : i64} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// ScatterND: one row of a KV cache, and a reduction.
// CHECK-LABEL: func @scatter_nd
// CHECK-SAME: (%[[C:.*]]: tensor<1x16x1024x64xf32>, %[[R:.*]]: tensor<16x3xi64>, %[[N:.*]]: tensor<16x64xf32>)
func.func @scatter_nd(%c: tensor<1x16x1024x64xf32>, %r: tensor<16x3xi64>, %n: tensor<16x64xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: r1.scatter_nd %[[C]], %[[R]], %[[N]] {reduction = #r1.scatter_reduction<none>} : (tensor<1x16x1024x64xf32>, tensor<16x3xi64>, tensor<16x64xf32>) -> tensor<1x16x1024x64xf32>
  %0 = r1.onnx_node "ScatterND"(%c, %r, %n) {domain = "", node_name = "cache", onnx_attrs = {}, opset = 11 : i64} : (tensor<1x16x1024x64xf32>, tensor<16x3xi64>, tensor<16x64xf32>) -> !r1.unknown
  // CHECK: r1.scatter_nd %[[C]], %[[R]], %[[N]] {reduction = #r1.scatter_reduction<add>}
  %1 = r1.onnx_node "ScatterND"(%c, %r, %n) {domain = "", node_name = "sum", onnx_attrs = {reduction = "add"}, opset = 16 : i64} : (tensor<1x16x1024x64xf32>, tensor<16x3xi64>, tensor<16x64xf32>) -> !r1.unknown
  return %0, %1 : !r1.unknown, !r1.unknown
}

// -----

func.func @scatter_nd_unknown_reduction(%x: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf32>) -> !r1.unknown {
  // expected-error @+1 {{ScatterND (opset 18): unknown reduction 'sum'}}
  %0 = r1.onnx_node "ScatterND"(%x, %i, %u) {domain = "", node_name = "nd", onnx_attrs = {reduction = "sum"}, opset = 18 : i64} : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @scatter_nd_tuple(%x: tensor<4x5xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) -> !r1.unknown {
  // expected-error @+1 {{ScatterND (opset 13): the last dim of indices (3) is larger than the data rank 2}}
  %0 = r1.onnx_node "ScatterND"(%x, %i, %u) {domain = "", node_name = "nd", onnx_attrs = {}, opset = 13 : i64} : (tensor<4x5xf32>, tensor<2x3xi64>, tensor<2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// TopK: k as an attribute (opset 1), as a constant input (opset 10), and,
// computed at run time, as the model declares its outputs (opset 11).
// CHECK-LABEL: func @top_k
// CHECK-SAME: (%[[X:.*]]: tensor<3x7xf32>, %[[K:.*]]: tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>, tensor<3x4xf32>, tensor<3x3xi64>)
func.func @top_k(%x: tensor<3x7xf32>, %k: tensor<1xi64>) -> (!r1.unknown, !r1.unknown, !r1.unknown, tensor<3x3xi64>) {
  // CHECK: %[[AV:.*]], %[[AI:.*]] = r1.top_k %[[X]] {axis = -1 : i64, k = 2 : i64, largest = true, sorted = true} : (tensor<3x7xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  %a:2 = r1.onnx_node "TopK"(%x) {domain = "", node_name = "t1", onnx_attrs = {k = 2 : i64}, opset = 1 : i64} : (tensor<3x7xf32>) -> (!r1.unknown, !r1.unknown)
  // CHECK: %[[BV:.*]], %{{.*}} = r1.top_k %[[X]] {axis = 1 : i64, k = 4 : i64, largest = true, sorted = true}
  %four = r1.constant dense<4> : tensor<1xi64>
  %b:2 = r1.onnx_node "TopK"(%x, %four) {domain = "", node_name = "t10", onnx_attrs = {axis = 1 : i64}, opset = 10 : i64} : (tensor<3x7xf32>, tensor<1xi64>) -> (!r1.unknown, !r1.unknown)
  // CHECK: %{{.*}}, %[[CI:.*]] = r1.top_k %[[X]] {axis = -1 : i64, k = 3 : i64, largest = false, sorted = false}
  %c:2 = r1.onnx_node "TopK"(%x, %k) {domain = "", node_name = "t11", onnx_attrs = {largest = 0 : i64, sorted = 0 : i64}, opset = 11 : i64} : (tensor<3x7xf32>, tensor<1xi64>) -> (!r1.unknown, tensor<3x3xi64>)
  // CHECK: return %[[AV]], %[[AI]], %[[BV]], %[[CI]]
  return %a#0, %a#1, %b#0, %c#1 : !r1.unknown, !r1.unknown, !r1.unknown, tensor<3x3xi64>
}

// -----

// TopK with k computed at run time and no declared extent: the whole axis
// sorted, then its leading k entries kept.
// CHECK-LABEL: func @top_k_computed_at_run_time
// CHECK-SAME: (%[[X:.*]]: tensor<3x7xf32>, %[[K:.*]]: tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
func.func @top_k_computed_at_run_time(%x: tensor<3x7xf32>, %k: tensor<1xi64>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[V:.*]], %[[I:.*]] = r1.top_k %[[X]] {axis = -1 : i64, k = 7 : i64, largest = true, sorted = true}
  // CHECK: %[[KV:.*]] = r1.keep_leading %[[V]], %[[K]] {axis = 1 : i64} : (tensor<3x7xf32>, tensor<1xi64>) -> tensor<3x?xf32>
  // CHECK: %[[KI:.*]] = r1.keep_leading %[[I]], %[[K]] {axis = 1 : i64} : (tensor<3x7xi64>, tensor<1xi64>) -> tensor<3x?xi64>
  // CHECK: return %[[KV]], %[[KI]]
  %v:2 = r1.onnx_node "TopK"(%x, %k) {domain = "", node_name = "t", onnx_attrs = {sorted = 0 : i64}, opset = 11 : i64} : (tensor<3x7xf32>, tensor<1xi64>) -> (!r1.unknown, !r1.unknown)
  return %v#0, %v#1 : !r1.unknown, !r1.unknown
}

// -----

func.func @top_k_too_many(%x: tensor<3x7xf32>) -> !r1.unknown {
  // expected-error @+1 {{TopK (opset 1): k 8 is larger than the input's dim -1 (7)}}
  %v:2 = r1.onnx_node "TopK"(%x) {domain = "", node_name = "t", onnx_attrs = {k = 8 : i64}, opset = 1 : i64} : (tensor<3x7xf32>) -> (!r1.unknown, !r1.unknown)
  return %v#0 : !r1.unknown
}

// -----

// NonMaxSuppression fills as many rows as can be selected (batches x
// classes x boxes, or x the constant maximum), then keeps the rows the
// model declares; an absent maximum and IoU threshold become constants,
// an absent score threshold stays absent.
// CHECK-LABEL: func @non_max_suppression
// CHECK-SAME: (%[[B:.*]]: tensor<1x6x4xf32>, %[[S:.*]]: tensor<1x2x6xf32>, %[[M:.*]]: tensor<1xi64>, %[[I:.*]]: tensor<1xf32>, %[[T:.*]]: tensor<1xf32>)
func.func @non_max_suppression(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>, %t: tensor<1xf32>) -> (tensor<4x3xi64>, tensor<2x3xi64>) {
  // CHECK: %[[ALL:.*]] = r1.non_max_suppression %[[B]], %[[S]], %[[M]], %[[I]], %[[T]] {center_point_box = true, num_selected = 12 : i64}
  // CHECK: r1.slice %[[ALL]] {axes = array<i64: 0>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<12x3xi64>) -> tensor<4x3xi64>
  %0 = r1.onnx_node "NonMaxSuppression"(%b, %s, %m, %i, %t) {domain = "", node_name = "nms", onnx_attrs = {center_point_box = 1 : i64}, opset = 11 : i64} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x3xi64>
  // CHECK-DAG: %[[ZERO:.*]] = r1.constant dense<0> : tensor<i64>
  // CHECK-DAG: %[[NOIOU:.*]] = r1.constant dense<0.000000e+00> : tensor<f32>
  // CHECK: r1.non_max_suppression %[[B]], %[[S]], %[[ZERO]], %[[NOIOU]] {center_point_box = false, num_selected = 2 : i64} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<i64>, tensor<f32>) -> tensor<2x3xi64>
  %1 = r1.onnx_node "NonMaxSuppression"(%b, %s) {domain = "", node_name = "nms10", onnx_attrs = {}, opset = 10 : i64} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>) -> tensor<2x3xi64>
  return %0, %1 : tensor<4x3xi64>, tensor<2x3xi64>
}

// -----

// Without a declared row count, the selected rows (a batch index of 0 or
// more) are counted and kept at run time; a constant maximum bounds them.
// CHECK-LABEL: func @non_max_suppression_undeclared
func.func @non_max_suppression_undeclared(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>) -> !r1.unknown {
  %max = r1.constant dense<2> : tensor<1xi64>
  // CHECK: %[[ALL:.*]] = r1.non_max_suppression {{.*}} {center_point_box = false, num_selected = 4 : i64}
  // CHECK: %[[BATCH:.*]] = r1.slice %[[ALL]] {axes = array<i64: 1>, ends = array<i64: 1>, starts = array<i64: 0>
  // CHECK: r1.greater_equal %[[BATCH]]
  // CHECK: %[[SUM:.*]] = r1.reduce_sum
  // CHECK: %[[COUNT:.*]] = r1.reshape %[[SUM]]
  // CHECK: r1.keep_leading %[[ALL]], %[[COUNT]] {axis = 0 : i64} : (tensor<4x3xi64>, tensor<1xi64>) -> tensor<?x3xi64>
  %0 = r1.onnx_node "NonMaxSuppression"(%b, %s, %max) {domain = "", node_name = "nms", onnx_attrs = {}, opset = 11 : i64} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>) -> !r1.unknown
  return %0 : !r1.unknown
}
