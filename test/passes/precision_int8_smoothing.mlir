// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-smoothing=0.5" -r1c-apply-precision -split-input-file | FileCheck %s
// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-smoothing=0" -r1c-apply-precision -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-smoothing=0.5" -r1c-apply-precision -r1c-fuse-quantized-contractions -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=INT8

// Smoothing with alpha 0.5: channel c's largest |x| a = [4, 64, 0] and
// weight row c's largest |W| w = [1, 4, 0.5] give s = sqrt(a / w) =
// [2, 4, 1] (1 for the channel that is always 0). The activation is
// multiplied by 1/s = [0.5, 0.25, 1]; its range becomes [min(-1 * 0.5,
// -64 * 0.25, 0), max(4 * 0.5, 36 * 0.25, 0)] = [-16, 9] (zero point
// ceil(16 / (25/255)) = 164, scale 9 / (255 - 164)). The weight diag(s) W = [[2, -0.5], [16, 8], [0.5, 0.5]]
// is quantized per column (scales 16/127 and 8/127).

// CHECK-LABEL: func @smoothed
// CHECK-DAG: %[[INV:.*]] = r1.constant dense<[5.000000e-01, 2.500000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[SX:.*]] = r1.mul %arg0, %[[INV]]
// CHECK-DAG: %[[SA:.*]] = r1.constant dense<9.890110e-02> : tensor<f32>
// CHECK-DAG: %[[ZA:.*]] = r1.constant dense<164> : tensor<ui8>
// CHECK-DAG: %[[Q:.*]] = r1.quantize %[[SX]], %[[SA]], %[[ZA]]
// CHECK-DAG: %[[W:.*]] = r1.constant dense<{{\[\[}}16, -8], [127, 127], [4, 8]]> : tensor<3x2xi8>
// CHECK-DAG: %[[SW:.*]] = r1.constant dense<{{\[\[}}0.125984{{[0-9]*}}, 0.0629921{{[0-9]*}}]]> : tensor<1x2xf32>
// CHECK: r1.matmul {{.*}}{r1.int8_smoothing = 5.000000e-01 : f64, r1.operand_ranges = [#r1.range<-1.600000e+01, 9.000000e+00>, unit], r1.precision

// Off: the activation is quantized as it is, over its per-tensor range
// [-64, 36], and the weight keeps its rows.
// OFF-LABEL: func @smoothed
// OFF-NOT: r1.mul
// OFF-DAG: %[[W:.*]] = r1.constant dense<{{\[\[}}32, -16], [127, 127], [16, 32]]> : tensor<3x2xi8>
// OFF-DAG: %[[SA:.*]] = r1.constant dense<0.395604{{[0-9]*}}> : tensor<f32>
// OFF: r1.matmul

// INT8-LABEL: func @smoothed
// INT8: %[[SX:.*]] = r1.mul %arg0
// INT8: %[[Q:.*]] = r1.quantize %[[SX]]
// INT8: r1.matmul_integer %[[Q]]
func.func @smoothed(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = r1.constant dense<[[1.0, -0.25], [4.0, 2.0], [0.5, 0.5]]> : tensor<3x2xf32>
  %y = r1.matmul %x, %w {r1.operand_ranges = [#r1.range<-64.0, 36.0>, unit],
                         r1.operand_channel_ranges = [#r1.channel_ranges<[-1.0, -64.0, 0.0], [4.0, 36.0, 0.0]>, unit]}
      : (tensor<5x3xf32>, tensor<3x2xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// A matmul without channel ranges, or whose weight is not a constant
// matrix, is quantized unsmoothed.

// CHECK-LABEL: func @unsmoothed
// CHECK-NOT: r1.mul
// CHECK: r1.quantize %arg0
// OFF-LABEL: func @unsmoothed
// INT8-LABEL: func @unsmoothed
func.func @unsmoothed(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = r1.constant dense<[[1.0, -0.25], [4.0, 2.0], [0.5, 0.5]]> : tensor<3x2xf32>
  %y = r1.matmul %x, %w {r1.operand_ranges = [#r1.range<-64.0, 36.0>, unit]}
      : (tensor<5x3xf32>, tensor<3x2xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// Channels of like size (the largest 2x the median, under 8x): smoothing
// would only move error into the weight, so the select pass leaves the op
// unsmoothed.
// CHECK-LABEL: func @no_outlier
// CHECK-NOT: r1.mul
// CHECK: r1.quantize %arg0
// OFF-LABEL: func @no_outlier
// INT8-LABEL: func @no_outlier
func.func @no_outlier(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = r1.constant dense<[[1.0, -0.25], [4.0, 2.0], [0.5, 0.5]]> : tensor<3x2xf32>
  %y = r1.matmul %x, %w {r1.operand_ranges = [#r1.range<-2.0, 4.0>, unit],
                         r1.operand_channel_ranges = [#r1.channel_ranges<[-1.0, -2.0, -1.5], [2.0, 4.0, 1.0]>, unit]}
      : (tensor<5x3xf32>, tensor<3x2xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}
