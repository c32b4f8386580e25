// RUN: r1c-opt %s -r1c-fold-weight-transposes | FileCheck %s

// A transpose of a constant becomes a constant: a literal stays a literal,
// a weight stays out of line; the original stays while something else reads
// it. A transpose of anything else is left alone.

// CHECK-LABEL: func @weights
// CHECK-DAG: %[[LITERAL:.*]] = r1.constant dense<[{{\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[T:.*]] = r1.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[U:.*]] = r1.constant dense_resource<w16.transposed_2_0_1> : tensor<3x2x2xi16>
// CHECK-DAG: %[[V:.*]] = r1.transpose %arg0 {perm = array<i64: 1, 0>}
// CHECK-NOT: r1.transpose
// CHECK: return %[[T]], %[[U]], %[[LITERAL]], %[[V]]
func.func @weights(%x: tensor<4x3xf32>) -> (tensor<3x2xf32>, tensor<3x2x2xi16>, tensor<2x3xf32>, tensor<3x4xf32>) {
  %w = r1.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = r1.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %r = r1.constant dense_resource<w16> : tensor<2x2x3xi16>
  %u = r1.transpose %r {perm = array<i64: 2, 0, 1>} : (tensor<2x2x3xi16>) -> tensor<3x2x2xi16>
  %v = r1.transpose %x {perm = array<i64: 1, 0>} : (tensor<4x3xf32>) -> tensor<3x4xf32>
  return %t, %u, %w, %v : tensor<3x2xf32>, tensor<3x2x2xi16>, tensor<2x3xf32>, tensor<3x4xf32>
}

// Through a reshape of a weight: the bytes are the weight's, read with the
// reshaped dims.
// CHECK-LABEL: func @reshaped_weight
// CHECK: %[[T:.*]] = r1.constant dense_resource<w16.reshaped_4_3.transposed_1_0> : tensor<3x4xi16>
// CHECK-NOT: r1.transpose
// CHECK: return %[[T]]
func.func @reshaped_weight() -> tensor<3x4xi16> {
  %r = r1.constant dense_resource<w16> : tensor<2x2x3xi16>
  %shape = r1.constant dense<[4, 3]> : tensor<2xi64>
  %flat = r1.reshape %r, %shape {allowzero = false} : (tensor<2x2x3xi16>, tensor<2xi64>) -> tensor<4x3xi16>
  %t = r1.transpose %flat {perm = array<i64: 1, 0>} : (tensor<4x3xi16>) -> tensor<3x4xi16>
  return %t : tensor<3x4xi16>
}

// w16 holds x[a][b][c] = {0, 1, ..., 9, 16, 17} in row-major order; its
// transpose by (2, 0, 1) holds x[a][b][c] at [c][a][b].
// CHECK: w16.transposed_2_0_1: "0x08000000000003000600090001000400070010000200050008001100"
// CHECK: w16.reshaped_4_3.transposed_1_0: "0x08000000000003000600090001000400070010000200050008001100"
{-#
  dialect_resources: {
    builtin: {
      w16: "0x02000000000001000200030004000500060007000800090010001100"
    }
  }
#-}
