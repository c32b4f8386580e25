// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// QDQ and QOperator ops (passes/LegalizeOnnx/Quantized.cpp): elementwise
// r1.quantize / r1.dequantize with scales and zero points shaped to
// broadcast along the axis, and exact i32 contractions.

// CHECK-LABEL: func @quantize_per_tensor
func.func @quantize_per_tensor(%x: tensor<2x3xf32>, %s: tensor<f32>, %z: tensor<i8>) -> !r1.unknown {
  // CHECK: r1.quantize %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s, %z) {domain = "", node_name = "q", onnx_attrs = {}, opset = 13 : i64}
      : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Without a zero point the result is uint8 (opset 10 has no axis).
// CHECK-LABEL: func @quantize_default_uint8
func.func @quantize_default_uint8(%x: tensor<4xf32>, %s: tensor<f32>) -> !r1.unknown {
  // CHECK: %[[Z:.*]] = r1.constant dense<0> : tensor<ui8>
  // CHECK: r1.quantize %{{.*}}, %{{.*}}, %[[Z]] : (tensor<4xf32>, tensor<f32>, tensor<ui8>) -> tensor<4xui8>
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s) {domain = "", node_name = "q", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<4xf32>, tensor<f32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// Per axis: the scale's dim lines up with axis 1 of a rank-4 input.
// CHECK-LABEL: func @quantize_per_axis
func.func @quantize_per_axis(%x: tensor<1x3x4x4xf32>, %s: tensor<3xf32>, %z: tensor<3xui8>) -> !r1.unknown {
  // CHECK-DAG: %[[S:.*]] = r1.reshape %{{.*}} -> tensor<3x1x1xf32>
  // CHECK-DAG: %[[Z:.*]] = r1.reshape %{{.*}} -> tensor<3x1x1xui8>
  // CHECK: r1.quantize %{{.*}}, %[[S]], %[[Z]] : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>, tensor<3x1x1xui8>) -> tensor<1x3x4x4xui8>
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s, %z) {domain = "", node_name = "q", onnx_attrs = {axis = 1 : i64}, opset = 19 : i64}
      : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// int16 (opset 21), per axis along the last dim.
// CHECK-LABEL: func @dequantize_int16_last_axis
func.func @dequantize_int16_last_axis(%x: tensor<2x5xi16>, %s: tensor<5xf16>, %z: tensor<5xi16>) -> !r1.unknown {
  // CHECK-NOT: r1.reshape
  // CHECK: r1.dequantize %{{.*}} : (tensor<2x5xi16>, tensor<5xf16>, tensor<5xi16>) -> tensor<2x5xf16>
  %0 = r1.onnx_node "DequantizeLinear"(%x, %s, %z) {domain = "", node_name = "dq", onnx_attrs = {axis = -1 : i64}, opset = 21 : i64}
      : (tensor<2x5xi16>, tensor<5xf16>, tensor<5xi16>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// An int32 bias dequantizes with a zero point of 0.
// CHECK-LABEL: func @dequantize_int32
func.func @dequantize_int32(%x: tensor<8xi32>, %s: tensor<f32>) -> !r1.unknown {
  // CHECK: r1.dequantize %{{.*}} : (tensor<8xi32>, tensor<f32>, tensor<i32>) -> tensor<8xf32>
  %0 = r1.onnx_node "DequantizeLinear"(%x, %s) {domain = "", node_name = "dq", onnx_attrs = {}, opset = 13 : i64}
      : (tensor<8xi32>, tensor<f32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @per_axis_before_13(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %z: tensor<3xui8>) -> !r1.unknown {
  // expected-error @+1 {{QuantizeLinear (opset 10): y_scale must be one value before opset 13 (per tensor)}}
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s, %z) {domain = "", node_name = "q", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @blocked(%x: tensor<2x4xf32>, %s: tensor<2x2xf32>) -> !r1.unknown {
  // expected-error @+1 {{blocked quantization (block_size 2) is not supported}}
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s) {domain = "", node_name = "q", onnx_attrs = {axis = 1 : i64, block_size = 2 : i64}, opset = 21 : i64}
      : (tensor<2x4xf32>, tensor<2x2xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @float8(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<f8E4M3FN>) -> !r1.unknown {
  // expected-error @+1 {{float8 quantization is not supported}}
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s, %z) {domain = "", node_name = "q", onnx_attrs = {}, opset = 19 : i64}
      : (tensor<4xf32>, tensor<f32>, tensor<f8E4M3FN>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @axis_out_of_range(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> !r1.unknown {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = r1.onnx_node "QuantizeLinear"(%x, %s) {domain = "", node_name = "q", onnx_attrs = {axis = 2 : i64}, opset = 13 : i64}
      : (tensor<2x3xf32>, tensor<3xf32>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// The uint8 range spans [min(x, 0), max(x, 0)]; the zero point is clipped, then rounded.
// CHECK-LABEL: func @dynamic_quantize
func.func @dynamic_quantize(%x: tensor<3x4xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: r1.reduce_min
  // CHECK: r1.reduce_max
  // CHECK: %[[SCALE:.*]] = r1.div
  // CHECK: r1.clip
  // CHECK: r1.round
  // CHECK: %[[ZP:.*]] = r1.cast %{{.*}} {to = ui8}
  // CHECK: %[[Y:.*]] = r1.quantize %{{.*}}, %[[SCALE]], %[[ZP]] : (tensor<3x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x4xui8>
  // CHECK: return %[[Y]], %[[SCALE]], %[[ZP]]
  %0:3 = r1.onnx_node "DynamicQuantizeLinear"(%x) {domain = "", node_name = "dq", onnx_attrs = {}, opset = 11 : i64}
      : (tensor<3x4xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %0#0, %0#1, %0#2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// A per-row zero point of A becomes [M, 1]; B's per-column one stays [N].
// CHECK-LABEL: func @matmul_integer
func.func @matmul_integer(%a: tensor<4x8xui8>, %b: tensor<8x3xi8>, %za: tensor<4xui8>, %zb: tensor<3xi8>) -> !r1.unknown {
  // CHECK: %[[ZA:.*]] = r1.reshape %{{.*}} -> tensor<4x1xui8>
  // CHECK: r1.matmul_integer %{{.*}}, %{{.*}}, %[[ZA]], %{{.*}} : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<4x1xui8>, tensor<3xi8>) -> tensor<4x3xi32>
  %0 = r1.onnx_node "MatMulInteger"(%a, %b, %za, %zb) {domain = "", node_name = "mmi", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<4xui8>, tensor<3xi8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// A 1-D A is a row, dropped again; absent zero points are 0.
// CHECK-LABEL: func @matmul_integer_vector
func.func @matmul_integer_vector(%a: tensor<8xi8>, %b: tensor<2x8x3xi8>) -> !r1.unknown {
  // CHECK: r1.matmul_integer {{.*}} -> tensor<2x1x3xi32>
  // CHECK: r1.reshape {{.*}} -> tensor<2x3xi32>
  %0 = r1.onnx_node "MatMulInteger"(%a, %b) {domain = "", node_name = "mmi", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<8xi8>, tensor<2x8x3xi8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

func.func @matmul_integer_int16(%a: tensor<4x8xi16>, %b: tensor<8x3xi8>) -> !r1.unknown {
  // expected-error @+1 {{A of type 'i16' is not supported (int8 or uint8)}}
  %0 = r1.onnx_node "MatMulInteger"(%a, %b) {domain = "", node_name = "mmi", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<4x8xi16>, tensor<8x3xi8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// CHECK-LABEL: func @conv_integer
func.func @conv_integer(%x: tensor<1x2x5x5xui8>, %w: tensor<4x2x3x3xui8>, %zx: tensor<ui8>) -> !r1.unknown {
  // CHECK: r1.conv_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
  // CHECK-SAME: -> tensor<1x4x5x5xi32>
  %0 = r1.onnx_node "ConvInteger"(%x, %w, %zx) {domain = "", node_name = "ci", onnx_attrs = {pads = array<i64: 1, 1, 1, 1>}, opset = 10 : i64}
      : (tensor<1x2x5x5xui8>, tensor<4x2x3x3xui8>, tensor<ui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// The sums are scaled by a_scale * b_scale / y_scale, then quantized with
// y's zero point (a scale of 1).
// CHECK-LABEL: func @qlinear_matmul
func.func @qlinear_matmul(%a: tensor<2x4xui8>, %sa: tensor<f32>, %za: tensor<ui8>, %b: tensor<4x3xui8>, %sb: tensor<3xf32>, %zb: tensor<3xui8>, %sy: tensor<f32>, %zy: tensor<ui8>) -> !r1.unknown {
  // CHECK: %[[SUMS:.*]] = r1.matmul_integer {{.*}} -> tensor<2x3xi32>
  // CHECK: %[[AB:.*]] = r1.mul %{{.*}}, %{{.*}} : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: %[[M:.*]] = r1.div %[[AB]], %{{.*}} : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  // CHECK: %[[F:.*]] = r1.cast %[[SUMS]] {to = f32}
  // CHECK: %[[SCALED:.*]] = r1.mul %[[F]], %[[M]]
  // CHECK: %[[ONE:.*]] = r1.constant dense<1.000000e+00> : tensor<f32>
  // CHECK: r1.quantize %[[SCALED]], %[[ONE]], %{{.*}} : (tensor<2x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  %0 = r1.onnx_node "QLinearMatMul"(%a, %sa, %za, %b, %sb, %zb, %sy, %zy) {domain = "", node_name = "qmm", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>, tensor<4x3xui8>, tensor<3xf32>, tensor<3xui8>, tensor<f32>, tensor<ui8>) -> !r1.unknown
  return %0 : !r1.unknown
}

// -----

// The i32 bias joins the sums; per-channel weight scales line up with dim 1.
// CHECK-LABEL: func @qlinear_conv
func.func @qlinear_conv(%x: tensor<1x2x4x4xui8>, %sx: tensor<f32>, %zx: tensor<ui8>, %w: tensor<3x2x1x1xi8>, %sw: tensor<3xf32>, %zw: tensor<3xi8>, %sy: tensor<f32>, %zy: tensor<i8>, %bias: tensor<3xi32>) -> !r1.unknown {
  // CHECK: %[[SUMS:.*]] = r1.conv_integer {{.*}} -> tensor<1x3x4x4xi32>
  // CHECK: %[[B:.*]] = r1.reshape %{{.*}} -> tensor<3x1x1xi32>
  // CHECK: r1.add %[[SUMS]], %[[B]] : (tensor<1x3x4x4xi32>, tensor<3x1x1xi32>) -> tensor<1x3x4x4xi32>
  // CHECK: r1.reshape %{{.*}} -> tensor<3x1x1xf32>
  // CHECK: r1.quantize {{.*}} -> tensor<1x3x4x4xi8>
  %0 = r1.onnx_node "QLinearConv"(%x, %sx, %zx, %w, %sw, %zw, %sy, %zy, %bias) {domain = "", node_name = "qc", onnx_attrs = {}, opset = 10 : i64}
      : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<3x2x1x1xi8>, tensor<3xf32>, tensor<3xi8>, tensor<f32>, tensor<i8>, tensor<3xi32>) -> !r1.unknown
  return %0 : !r1.unknown
}
