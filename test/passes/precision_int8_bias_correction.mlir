// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-bias-correction=true" -split-input-file | FileCheck %s --check-prefix=SELECT
// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-bias-correction=false" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: r1c-opt %s -r1c-select-precision="policy=int8 int8-bias-correction=true" -r1c-apply-precision -split-input-file | FileCheck %s

// A matmul whose activation has channel means [1, 2]: its weight's codes
// per column ([[127, -64], [-64, 127]], scales 2/127 and 1/127) round
// W[1][0] = -1 to -128/127 and W[0][1] = -0.5 to -64/127, so the product
// moves by sum_k (W_q - W)[k, n] mean_k = [-2/127, -0.5/127] per column on
// average; an r1.add of [2/127, 0.5/127] after it takes that off.

// SELECT-LABEL: func @matmul
// SELECT: r1.matmul {{.*}}r1.int8_bias_correction{{.*}}r1.precision = #r1.precision<compute = i8
// OFF-LABEL: func @matmul
// OFF-NOT: r1.int8_bias_correction

// CHECK-LABEL: func @matmul
// CHECK: %[[Y:.*]] = r1.matmul
// CHECK: %[[SHIFT:.*]] = r1.constant dense<[0.0157480{{[0-9]*}}, 0.00393701{{[0-9]*}}]> : tensor<2xf32>
// CHECK: %[[C:.*]] = r1.add %[[Y]], %[[SHIFT]]
// CHECK: r1.matmul %[[C]]
func.func @matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %h = r1.relu %x : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %w = r1.constant dense<[[2.0, -0.5], [-1.0, 1.0]]> : tensor<2x2xf32>
  %y = r1.matmul %h, %w {r1.operand_ranges = [#r1.range<0.0, 3.0>, unit],
                         r1.operand_channel_means = [#r1.channel_means<[1.0, 2.0]>, unit]}
      : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %z = r1.matmul %y, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// A convolution's constant bias takes the correction: filters [1, 0.3]
// and [-4, 1] round to [127, 38] / 127 and [-127, 32] * 4/127, which over
// channel means [0.5, 2] shift them by [-0.2/127, 2/127]; the bias [0.5,
// -0.5] becomes [0.5 + 0.2/127, -0.5 - 2/127].

// SELECT-LABEL: func @conv
// SELECT: r1.conv {{.*}}r1.int8_bias_correction
// CHECK-LABEL: func @conv
// CHECK: %[[B:.*]] = r1.constant dense<[0.501574{{[0-9]*}}, -5.157480e-01]> : tensor<2xf32>
// CHECK: r1.conv %{{.*}}, %{{.*}}, %[[B]]
// CHECK-NOT: r1.add
func.func @conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %h = r1.relu %x : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %w = r1.constant dense<[[[[1.0]], [[0.3]]], [[[-4.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b = r1.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = r1.conv %h, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64,
                           r1.operand_ranges = [#r1.range<0.0, 6.0>, unit, unit],
                           r1.operand_channel_means = [#r1.channel_means<[0.5, 2.0]>, unit, unit]}
      : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Without a bias, an r1.add of the negated shift per filter, [C_out, 1, 1],
// follows the convolution.

// CHECK-LABEL: func @conv_without_bias
// CHECK: %[[Y:.*]] = r1.conv
// CHECK: %[[SHIFT:.*]] = r1.constant dense<{{\[\[\[}}0.001574{{[0-9]*}}]], {{\[\[}}-0.0157480{{[0-9]*}}]]]> : tensor<2x1x1xf32>
// CHECK: %[[C:.*]] = r1.add %[[Y]], %[[SHIFT]]
// CHECK: return %[[C]]
func.func @conv_without_bias(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %h = r1.relu %x : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %w = r1.constant dense<[[[[1.0]], [[0.3]]], [[[-4.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %y = r1.conv %h, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64,
                       r1.operand_ranges = [#r1.range<0.0, 6.0>, unit],
                       r1.operand_channel_means = [#r1.channel_means<[0.5, 2.0]>, unit]}
      : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A model input's mean is its data's (padding included), not the
// network's: a convolution that reads one is left as it rounds. So is an
// op whose channel means do not match its weight.

// SELECT-LABEL: func @not_corrected
// SELECT-NOT: r1.int8_bias_correction
// SELECT: return
func.func @not_corrected(%x: tensor<1x2x3x3xf32>, %v: tensor<3x2xf32>) -> (tensor<1x2x3x3xf32>, tensor<3x2xf32>) {
  %w = r1.constant dense<[[[[1.0]], [[0.3]]], [[[-4.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %y = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64,
                       r1.operand_ranges = [#r1.range<0.0, 6.0>, unit],
                       r1.operand_channel_means = [#r1.channel_means<[0.5, 2.0]>, unit]}
      : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %h = r1.relu %v : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %m = r1.constant dense<[[2.0, -0.5], [-1.0, 1.0]]> : tensor<2x2xf32>
  %z = r1.matmul %h, %m {r1.operand_ranges = [#r1.range<0.0, 3.0>, unit],
                         r1.operand_channel_means = [#r1.channel_means<[1.0, 2.0, 3.0]>, unit]}
      : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y, %z : tensor<1x2x3x3xf32>, tensor<3x2xf32>
}

// -----

// A grouped convolution's filter reads its group's channels: filter 0 the
// means [0.5, 2], filter 1 the means [10, 20], so the second shift is ten
// times the ungrouped one, 20/127, and the bias [0.5, -0.5] becomes
// [0.5 + 0.2/127, -0.5 - 20/127].

// CHECK-LABEL: func @grouped_conv
// CHECK: %[[B:.*]] = r1.constant dense<[0.501574{{[0-9]*}}, -0.657480{{[0-9]*}}]> : tensor<2xf32>
// CHECK: r1.conv %{{.*}}, %{{.*}}, %[[B]] {{.*}}group = 2
func.func @grouped_conv(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %h = r1.relu %x : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %w = r1.constant dense<[[[[1.0]], [[0.3]]], [[[-4.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>
  %b = r1.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = r1.conv %h, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64,
                           r1.operand_ranges = [#r1.range<0.0, 30.0>, unit, unit],
                           r1.operand_channel_means = [#r1.channel_means<[0.5, 2.0, 10.0, 20.0]>, unit, unit]}
      : (tensor<1x4x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
