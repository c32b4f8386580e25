// RUN: r1c-opt %s -r1c-fuse-decomposed-ops -split-input-file | FileCheck %s

// Layer normalization spelled out as PyTorch exports it becomes one
// r1.layer_norm; chains that compute something else, or whose inner values
// are read elsewhere, stay as they are.

// CHECK-LABEL: func @pow_scale_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = r1.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @pow_scale_bias(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %two = r1.constant dense<2.0> : tensor<f32>
  %eps = r1.constant dense<1.0e-05> : tensor<f32>
  %m = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<2x4x8xf32>) -> tensor<2x4x1xf32>
  %d = r1.sub %x, %m : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %p = r1.pow %d, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %v = r1.reduce_mean %p {axes = array<i64: 2>, keepdims = true, noop_with_empty_axes = false} : (tensor<2x4x8xf32>) -> tensor<2x4x1xf32>
  %ve = r1.add %v, %eps : (tensor<2x4x1xf32>, tensor<f32>) -> tensor<2x4x1xf32>
  %s = r1.sqrt %ve : (tensor<2x4x1xf32>) -> tensor<2x4x1xf32>
  %n = r1.div %d, %s : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %y = r1.mul %n, %g : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %z = r1.add %b, %y : (tensor<8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %z : tensor<2x4x8xf32>
}

// -----

// The square as a product, two trailing dims, no bias, float16, a dynamic
// leading dim.
// CHECK-LABEL: func @mul_square_two_dims_no_bias
// CHECK: r1.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = 9.765625E-4 : f32} : (tensor<?x4x8xf16>, tensor<4x8xf16>) -> tensor<?x4x8xf16>
// CHECK-NOT: r1.reduce_mean
func.func @mul_square_two_dims_no_bias(%x: tensor<?x4x8xf16>, %g: tensor<4x8xf16>) -> tensor<?x4x8xf16> {
  %eps16 = r1.constant dense<9.765625e-04> : tensor<1xf16>
  %m = r1.reduce_mean %x {axes = array<i64: 2, 1>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x4x8xf16>) -> tensor<?x1x1xf16>
  %d = r1.sub %x, %m : (tensor<?x4x8xf16>, tensor<?x1x1xf16>) -> tensor<?x4x8xf16>
  %p = r1.mul %d, %d : (tensor<?x4x8xf16>, tensor<?x4x8xf16>) -> tensor<?x4x8xf16>
  %v = r1.reduce_mean %p {axes = array<i64: -1, -2>, keepdims = true, noop_with_empty_axes = false} : (tensor<?x4x8xf16>) -> tensor<?x1x1xf16>
  %ve = r1.add %eps16, %v : (tensor<1xf16>, tensor<?x1x1xf16>) -> tensor<?x1x1xf16>
  %s = r1.sqrt %ve : (tensor<?x1x1xf16>) -> tensor<?x1x1xf16>
  %n = r1.div %d, %s : (tensor<?x4x8xf16>, tensor<?x1x1xf16>) -> tensor<?x4x8xf16>
  %y = r1.mul %g, %n : (tensor<4x8xf16>, tensor<?x4x8xf16>) -> tensor<?x4x8xf16>
  return %y : tensor<?x4x8xf16>
}

// -----

// The mean is an output too: fusing would compute it twice.
// CHECK-LABEL: func @mean_read_elsewhere
// CHECK-NOT: r1.layer_norm
func.func @mean_read_elsewhere(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>) {
  %two = r1.constant dense<2.0> : tensor<f32>
  %eps = r1.constant dense<1.0e-05> : tensor<f32>
  %m = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = r1.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %p = r1.pow %d, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = r1.reduce_mean %p {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve = r1.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = r1.sqrt %ve : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = r1.div %d, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %y = r1.mul %n, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y, %m : tensor<4x8xf32>, tensor<4x1xf32>
}

// -----

// Normalized over a dim that is not trailing.
// CHECK-LABEL: func @leading_axis
// CHECK-NOT: r1.layer_norm
func.func @leading_axis(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %two = r1.constant dense<2.0> : tensor<f32>
  %eps = r1.constant dense<1.0e-05> : tensor<f32>
  %m = r1.reduce_mean %x {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %d = r1.sub %x, %m : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %p = r1.pow %d, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = r1.reduce_mean %p {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %ve = r1.add %v, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %s = r1.sqrt %ve : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = r1.div %d, %s : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %y = r1.mul %n, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A cube is not a variance.
// CHECK-LABEL: func @cube
// CHECK-NOT: r1.layer_norm
func.func @cube(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %three = r1.constant dense<3.0> : tensor<f32>
  %eps = r1.constant dense<1.0e-05> : tensor<f32>
  %m = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = r1.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %p = r1.pow %d, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = r1.reduce_mean %p {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve = r1.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = r1.sqrt %ve : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = r1.div %d, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %y = r1.mul %n, %g : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A scale that varies along the rows is not layer_norm's scale.
// CHECK-LABEL: func @scale_per_row
// CHECK-NOT: r1.layer_norm
func.func @scale_per_row(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = r1.constant dense<2.0> : tensor<f32>
  %eps = r1.constant dense<1.0e-05> : tensor<f32>
  %m = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = r1.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %p = r1.pow %d, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v = r1.reduce_mean %p {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve = r1.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = r1.sqrt %ve : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = r1.div %d, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %y = r1.mul %n, %g : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
