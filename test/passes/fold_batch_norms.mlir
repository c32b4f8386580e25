// RUN: r1c-opt %s -split-input-file -r1c-fold-batch-norms | FileCheck %s

// Two filters of one 1x1 tap: W' = W * s, b' = (b - mean) * s + shift, with
// s = scale / sqrt(var + eps): s = [2 / sqrt(4), 3 / sqrt(1)] = [1, 3].
// CHECK-LABEL: func @conv_then_norm
// CHECK-DAG: %[[W:.*]] = r1.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}1.200000e+01]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = r1.constant dense<[5.000000e-01, -3.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = r1.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: r1.batch_norm
// CHECK: return %[[Y]]
func.func @conv_then_norm(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = r1.constant dense<[[[[2.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>
  %b = r1.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %scale = r1.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %shift = r1.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = r1.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %var = r1.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %c = r1.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y = r1.batch_norm %c, %scale, %shift, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// The convolution's result is read by something else too: folding would
// change that reader's input, so both stay.
// CHECK-LABEL: func @conv_with_other_reader
// CHECK: r1.conv
// CHECK: r1.batch_norm
func.func @conv_with_other_reader(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = r1.constant dense<[[[[2.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>
  %p = r1.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %c = r1.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = r1.batch_norm %c, %p, %p, %p, %p {epsilon = 0.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %c, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Weights computed at run time cannot be folded.
// CHECK-LABEL: func @weight_not_constant
// CHECK: r1.batch_norm
func.func @weight_not_constant(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %p = r1.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %c = r1.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = r1.batch_norm %c, %p, %p, %p, %p {epsilon = 0.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
