// RUN: r1c-opt %s -split-input-file -verify-diagnostics

// One case per verifier rule of the r1 ops, and result types that contradict
// inference.

//===----------------------------------------------------------------------===//
// Result types against inference
//===----------------------------------------------------------------------===//

func.func @add_wrong_static_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'r1.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error @+1 {{'r1.add' op failed to infer returned types}}
  %0 = r1.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @add_wrong_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'r1.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x3x1xf32>'}}
  // expected-error @+1 {{'r1.add' op failed to infer returned types}}
  %0 = r1.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3x1xf32>
  return
}

// -----

func.func @equal_result_not_bool(%a: tensor<3xi64>) {
  // expected-error @+1 {{'r1.equal' op result #0 must be tensor of 1-bit signless integer values, but got 'tensor<3xi64>'}}
  %0 = r1.equal %a, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return
}

// -----

func.func @cast_wrong_element(%a: tensor<3xi64>) {
  // expected-error @+2 {{'r1.cast' op inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<3xf16>'}}
  // expected-error @+1 {{'r1.cast' op failed to infer returned types}}
  %0 = r1.cast %a {to = f32} : (tensor<3xi64>) -> tensor<3xf16>
  return
}

// -----

func.func @constant_wrong_type() {
  // expected-error @+2 {{'r1.constant' op inferred type(s) 'tensor<2xi64>' are incompatible with return type(s) of operation 'tensor<3xi64>'}}
  // expected-error @+1 {{'r1.constant' op failed to infer returned types}}
  %0 = "r1.constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<3xi64>
  return
}

// -----

func.func @shape_wrong_length(%x: tensor<?x3xf32>) {
  // expected-error @+2 {{'r1.shape' op inferred type(s) 'tensor<2xi64>' are incompatible with return type(s) of operation 'tensor<3xi64>'}}
  // expected-error @+1 {{'r1.shape' op failed to infer returned types}}
  %0 = r1.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x3xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @conv_wrong_spatial_size(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'r1.conv' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @+1 {{'r1.conv' op failed to infer returned types}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// -----

func.func @gelu_approximate(%x: tensor<4xf32>) {
  // expected-error @+1 {{'r1.gelu' op approximate must be "none" or "tanh", not "fast"}}
  %0 = r1.gelu %x {approximate = "fast"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @add_element_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{'r1.add' op operand element types differ: 'f32' and 'i64'}}
  %0 = r1.add %a, %b : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'r1.add' op operand shapes [2, 3] [4, 5] do not broadcast}}
  %0 = r1.add %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @less_no_broadcast(%a: tensor<?x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{'r1.less' op operand shapes [?, 3] [2] do not broadcast}}
  %0 = r1.less %a, %b : (tensor<?x3xf32>, tensor<2xf32>) -> tensor<?x?xi1>
  return
}

// -----

func.func @where_branch_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{'r1.where' op branch element types differ: 'f32' and 'f16'}}
  %0 = r1.where %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return
}

// -----

func.func @where_no_broadcast(%c: tensor<4xi1>, %a: tensor<3xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'r1.where' op operand shapes [4] [3] [] do not broadcast}}
  %0 = r1.where %c, %a, %b : (tensor<4xi1>, tensor<3xf32>, tensor<f32>) -> tensor<?xf32>
  return
}

// -----

func.func @bitwise_and_bool(%a: tensor<3xi1>) {
  // expected-error @+1 {{'r1.bitwise_and' op operand #0 must be tensor of 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer or 8-bit unsigned integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values, but got 'tensor<3xi1>'}}
  %0 = r1.bitwise_and %a, %a : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return
}

// -----

func.func @shift_left_signed(%a: tensor<3xi32>) {
  // expected-error @+1 {{'r1.shift_left' op operand #0 must be tensor of 8-bit unsigned integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values, but got 'tensor<3xi32>'}}
  %0 = r1.shift_left %a, %a : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling, normalization
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) {
  // expected-error @+1 {{'r1.matmul' op operand element types differ: 'f32' and 'f16'}}
  %0 = r1.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf16>) -> tensor<2x4xf32>
  return
}

// -----

// Only 16-bit floats widen, and only to f32.
func.func @matmul_narrowing_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'r1.matmul' op result element type 'bf16' is neither the operands' 'f32' nor f32 from 16-bit floats}}
  %0 = r1.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xbf16>
  return
}

// -----

func.func @conv_bias_element_type(%x: tensor<1x2x4x4xbf16>, %w: tensor<3x2x1x1xbf16>,
                                  %b: tensor<3xf16>) {
  // expected-error @+1 {{'r1.conv' op bias element type 'f16' is neither the input's nor the result's}}
  %0 = r1.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x2x4x4xbf16>, tensor<3x2x1x1xbf16>, tensor<3xf16>) -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'r1.matmul' op operands must have rank 1 or more}}
  %0 = r1.matmul %a, %b : (tensor<f32>, tensor<3x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'r1.matmul' op incompatible shapes [2, 3] and [4, 5]: contraction dims 3 and 4 differ}}
  %0 = r1.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error @+1 {{'r1.matmul' op batch dims of shapes [2, 3, 4] and [5, 4, 6] do not broadcast}}
  %0 = r1.matmul %a, %b : (tensor<2x3x4xf32>, tensor<5x4x6xf32>) -> tensor<?x3x6xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op group must be positive, not 0}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 0 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_input_rank(%x: tensor<4x8xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'r1.conv' op input must have rank 3 or more (N, C, spatial...), not 2}}
  %0 = r1.conv %x, %w {strides = array<i64>, pads = array<i64>, dilations = array<i64>,
      group = 1 : i64} : (tensor<4x8xf32>, tensor<4x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @conv_weight_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3xf32>) {
  // expected-error @+1 {{'r1.conv' op weight rank 3 differs from input rank 4}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @conv_window_sizes(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op expects 2 strides and dilations and 4 pads for 2 spatial dims}}
  %0 = r1.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @conv_stride_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op strides and dilations must be positive}}
  %0 = r1.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x?x6xf32>
  return
}

// -----

func.func @conv_dilation_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op strides and dilations must be positive}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 0>, group = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x?xf32>
  return
}

// -----

func.func @conv_negative_pads(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op pads must not be negative}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: -1, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x?x6xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op input has 3 channels but the weight [8, 2, 3, 3] with group 1 expects 2}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x3x8x8xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_filters_not_multiple_of_group(%x: tensor<1x8x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{'r1.conv' op channel count 6 of the weight is not a multiple of group 4}}
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 4 : i64}
      : (tensor<1x8x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'r1.conv' op bias shape [3] does not match the 8 output channels}}
  %0 = r1.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @max_pool_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'r1.max_pool' op input must have rank 3 or more, not 2}}
  %0 = r1.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 1>,
      pads = array<i64: 0, 0>, dilations = array<i64: 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<4x8xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @average_pool_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'r1.average_pool' op kernel_shape has 1 dims for 2 spatial dims}}
  %0 = r1.average_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 1, 1>,
      pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @max_pool_negative_pads(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'r1.max_pool' op pads must not be negative}}
  %0 = r1.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
      pads = array<i64: 0, 0, 0, -2>, dilations = array<i64: 1, 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x?xf32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{'r1.batch_norm' op input must have rank 2 or more, not 1}}
  %0 = r1.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-05 : f32}
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<?x64x8x8xf32>, %c: tensor<64xf32>, %v: tensor<32xf32>) {
  // expected-error @+1 {{'r1.batch_norm' op per-channel operand of shape [32] does not match 64 channels}}
  %0 = r1.batch_norm %x, %c, %c, %c, %v {epsilon = 1.0e-05 : f32}
      : (tensor<?x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<32xf32>)
      -> tensor<?x64x8x8xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'r1.layer_norm' op axis 2 is out of range for rank 2}}
  %0 = r1.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'r1.layer_norm' op scale or bias of shape [4] does not broadcast to the normalized dims [8]}}
  %0 = r1.layer_norm %x, %g, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_scale_rank(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) {
  // expected-error @+1 {{'r1.layer_norm' op scale or bias of shape [2, 8] does not broadcast to the normalized dims [8]}}
  %0 = r1.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'r1.softmax' op axis -3 is out of range for rank 2}}
  %0 = r1.softmax %x {axis = -3 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'r1.log_softmax' op axis 2 is out of range for rank 2}}
  %0 = r1.log_softmax %x {axis = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'r1.trilu' op input must have rank 2 or more, not 1}}
  %0 = r1.trilu %x {upper = true, k = 0 : i64} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// -----

func.func @reduce_axis_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'r1.reduce_sum' op axis 3 is out of range for rank 3}}
  %0 = r1.reduce_sum %x {axes = array<i64: 3>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_axis_twice(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'r1.reduce_mean' op axis -2 is listed twice}}
  %0 = r1.reduce_mean %x {axes = array<i64: 1, -2>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  return
}

// -----

func.func @reduce_both_axes(%x: tensor<2x3x4xf32>, %axes: tensor<1xi64>) {
  // expected-error @+1 {{'r1.reduce_max' op takes static axes or computed axes, not both}}
  %0 = r1.reduce_max %x, %axes {axes = array<i64: 1>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
  return
}

// -----

func.func @reduce_computed_axes_rank(%x: tensor<2x3x4xf32>, %axes: tensor<1x2xi64>) {
  // expected-error @+1 {{'r1.reduce_min' op computed axes must be 1-D, not rank 2}}
  %0 = r1.reduce_min %x, %axes {axes = array<i64>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<2x3x4xf32>, tensor<1x2xi64>) -> tensor<?x?x?xf32>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'r1.arg_max' op axis 2 is out of range for rank 2}}
  %0 = r1.arg_max %x {axis = 2 : i64, keepdims = true, select_last_index = false}
      : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return
}

// -----

func.func @arg_min_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'r1.arg_min' op axis -3 is out of range for rank 2}}
  %0 = r1.arg_min %x {axis = -3 : i64, keepdims = false, select_last_index = false}
      : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

// -----

func.func @shape_end_past_rank(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'r1.shape' op dims [0, 3) are not a range of the input's dims}}
  %0 = r1.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<?x3xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @shape_start_after_end(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'r1.shape' op dims [2, 1) are not a range of the input's dims}}
  %0 = r1.shape %x {start = 2 : i64, end = 1 : i64} : (tensor<?x3xf32>) -> tensor<0xi64>
  return
}

// -----

func.func @shape_negative_start(%x: tensor<*xf32>) {
  // expected-error @+1 {{'r1.shape' op dims [-1, 1) are not a range of the input's dims}}
  %0 = r1.shape %x {start = -1 : i64, end = 1 : i64} : (tensor<*xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @reshape_shape_rank(%x: tensor<2x3xf32>, %s: tensor<1x2xi64>) {
  // expected-error @+1 {{'r1.reshape' op shape operand must be 1-D, not rank 2}}
  %0 = r1.reshape %x, %s {allowzero = false} : (tensor<2x3xf32>, tensor<1x2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @reshape_two_minus_ones(%x: tensor<2x3xf32>) {
  %s = r1.constant dense<[-1, -1]> : tensor<2xi64>
  // expected-error @+1 {{'r1.reshape' op cannot reshape with more than one -1 in the shape}}
  %0 = r1.reshape %x, %s {allowzero = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_negative_dim(%x: tensor<2x3xf32>) {
  %s = r1.constant dense<[-2, 3]> : tensor<2xi64>
  // expected-error @+1 {{'r1.reshape' op cannot reshape to a negative dim -2}}
  %0 = r1.reshape %x, %s {allowzero = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>) {
  %s = r1.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+1 {{'r1.reshape' op cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)}}
  %0 = r1.reshape %x, %s {allowzero = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'r1.transpose' op perm [0, 0] is not a permutation of the dims of a rank-2 input}}
  %0 = r1.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @transpose_wrong_length(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'r1.transpose' op perm [1, 0, 2] is not a permutation of the dims of a rank-2 input}}
  %0 = r1.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3xf32>) -> tensor<3x2x?xf32>
  return
}

// -----

func.func @concat_no_inputs() {
  // expected-error @+1 {{'r1.concat' op needs at least one input}}
  %0 = r1.concat {axis = 0 : i64} : () -> tensor<*xf32>
  return
}

// -----

func.func @concat_element_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{'r1.concat' op input #1 has element type 'i64', expected 'f32'}}
  %0 = r1.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2xf32>) {
  // expected-error @+1 {{'r1.concat' op axis 1 is out of range for rank 1}}
  %0 = r1.concat %a, %a {axis = 1 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_ranks(%a: tensor<2xf32>, %b: tensor<2x2xf32>) {
  // expected-error @+1 {{'r1.concat' op input #1 has rank 2, expected rank 1}}
  %0 = r1.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2x2xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_other_dims(%a: tensor<?x2x3xf32>, %b: tensor<?x2x4xf32>) {
  // expected-error @+1 {{'r1.concat' op input #1 of shape [?, 2, 4] differs from [?, 2, 3] outside the concatenation axis}}
  %0 = r1.concat %a, %b {axis = 1 : i64} : (tensor<?x2x3xf32>, tensor<?x2x4xf32>) -> tensor<?x4x3xf32>
  return
}

// -----

func.func @split_sizes_for_results(%x: tensor<4xf32>) {
  // expected-error @+1 {{'r1.split' op 2 sizes for 1 results}}
  %0 = r1.split %x {axis = 0 : i64, sizes = array<i64: 1, 3>} : (tensor<4xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @split_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'r1.split' op axis 1 is out of range for rank 1}}
  %0:2 = r1.split %x {axis = 1 : i64, sizes = array<i64: 1, 3>}
      : (tensor<4xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  return
}

// -----

func.func @split_negative_size(%x: tensor<?xf32>) {
  // expected-error @+1 {{'r1.split' op split size -1 is negative}}
  %0:2 = r1.split %x {axis = 0 : i64, sizes = array<i64: -1, 5>}
      : (tensor<?xf32>) -> (tensor<?xf32>, tensor<5xf32>)
  return
}

// -----

func.func @split_total(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'r1.split' op split sizes add up to 3 but dim 1 has size 4}}
  %0:2 = r1.split %x {axis = -1 : i64, sizes = array<i64: 1, 2>}
      : (tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @slice_lengths(%x: tensor<8xf32>) {
  // expected-error @+1 {{'r1.slice' op needs one start, end and step per axis}}
  %0 = r1.slice %x {axes = array<i64: 0>, starts = array<i64: 0>, ends = array<i64: 4>,
      steps = array<i64>} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @slice_step_zero(%x: tensor<8xf32>) {
  // expected-error @+1 {{'r1.slice' op steps must not be 0}}
  %0 = r1.slice %x {axes = array<i64: 0>, starts = array<i64: 0>, ends = array<i64: 4>,
      steps = array<i64: 0>} : (tensor<8xf32>) -> tensor<?xf32>
  return
}

// -----

func.func @slice_axis(%x: tensor<8xf32>) {
  // expected-error @+1 {{'r1.slice' op axis 1 is out of range for rank 1}}
  %0 = r1.slice %x {axes = array<i64: 1>, starts = array<i64: 0>, ends = array<i64: 4>,
      steps = array<i64: 1>} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @slice_axis_twice(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'r1.slice' op axis -2 is listed twice}}
  %0 = r1.slice %x {axes = array<i64: 0, -2>, starts = array<i64: 0, 0>, ends = array<i64: 4, 2>,
      steps = array<i64: 1, 1>} : (tensor<8x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_scalar_data(%x: tensor<f32>, %i: tensor<i64>) {
  // expected-error @+1 {{'r1.gather' op data must have rank 1 or more}}
  %0 = r1.gather %x, %i {axis = 0 : i64} : (tensor<f32>, tensor<i64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<4x5xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{'r1.gather' op axis 2 is out of range for rank 2}}
  %0 = r1.gather %x, %i {axis = 2 : i64} : (tensor<4x5xf32>, tensor<2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_index_type(%x: tensor<4x5xf32>, %i: tensor<2xi16>) {
  // expected-error @+1 {{'r1.gather' op operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xi16>'}}
  %0 = r1.gather %x, %i {axis = 0 : i64} : (tensor<4x5xf32>, tensor<2xi16>) -> tensor<2x5xf32>
  return
}

// -----

func.func @unsqueeze_axis(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'r1.unsqueeze' op axis 3 is out of range for rank 3}}
  %0 = r1.unsqueeze %x {axes = array<i64: 3>} : (tensor<4x5xf32>) -> tensor<4x5x1xf32>
  return
}

// -----

func.func @unsqueeze_axis_twice(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'r1.unsqueeze' op axis -4 is listed twice}}
  %0 = r1.unsqueeze %x {axes = array<i64: 0, -4>} : (tensor<4x5xf32>) -> tensor<1x4x5x1xf32>
  return
}

// -----

func.func @squeeze_no_axes(%x: tensor<1x5xf32>) {
  // expected-error @+1 {{'r1.squeeze' op needs the axes to squeeze}}
  %0 = r1.squeeze %x {axes = array<i64>} : (tensor<1x5xf32>) -> tensor<f32>
  return
}

// -----

func.func @squeeze_axis(%x: tensor<1x5xf32>) {
  // expected-error @+1 {{'r1.squeeze' op axis 2 is out of range for rank 2}}
  %0 = r1.squeeze %x {axes = array<i64: 2>} : (tensor<1x5xf32>) -> tensor<1x5xf32>
  return
}

// -----

func.func @squeeze_not_one(%x: tensor<1x5xf32>) {
  // expected-error @+1 {{'r1.squeeze' op cannot squeeze dim -1 of size 5}}
  %0 = r1.squeeze %x {axes = array<i64: -1>} : (tensor<1x5xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'r1.flatten' op axis 3 is out of range for rank 2}}
  %0 = r1.flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @expand_no_broadcast(%x: tensor<2x3xf32>) {
  %s = r1.constant dense<[4, 5]> : tensor<2xi64>
  // expected-error @+1 {{'r1.expand' op cannot broadcast [2, 3] to [4, 5]}}
  %0 = r1.expand %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @expand_shape_rank(%x: tensor<2x3xf32>, %s: tensor<1x2xi64>) {
  // expected-error @+1 {{'r1.expand' op shape operand must be 1-D, not rank 2}}
  %0 = r1.expand %x, %s : (tensor<2x3xf32>, tensor<1x2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @tile_repeats_rank(%x: tensor<2x3xf32>, %r: tensor<1x2xi64>) {
  // expected-error @+1 {{'r1.tile' op repeats operand must be 1-D, not rank 2}}
  %0 = r1.tile %x, %r : (tensor<2x3xf32>, tensor<1x2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @tile_repeats(%x: tensor<2x3xf32>, %r: tensor<3xi64>) {
  // expected-error @+1 {{'r1.tile' op has 3 repeats for a rank-2 input}}
  %0 = r1.tile %x, %r : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @constant_of_shape_value(%s: tensor<2xi64>) {
  // expected-error @+1 {{'r1.constant_of_shape' op value must hold exactly one element}}
  %0 = r1.constant_of_shape %s {value = dense<[0.0, 1.0]> : tensor<2xf32>}
      : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @constant_of_shape_shape_rank() {
  %s = r1.constant dense<[[2], [3]]> : tensor<2x1xi64>
  // expected-error @+1 {{'r1.constant_of_shape' op shape operand must be 1-D, not rank 2}}
  %0 = r1.constant_of_shape %s {value = dense<0.0> : tensor<1xf32>} : (tensor<2x1xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @constant_of_shape_negative(%x: tensor<?xf32>) {
  %s = r1.constant dense<[-2, 3]> : tensor<2xi64>
  // expected-error @+1 {{'r1.constant_of_shape' op shape has a negative dim -2}}
  %0 = r1.constant_of_shape %s {value = dense<0.0> : tensor<1xf32>}
      : (tensor<2xi64>) -> tensor<?x3xf32>
  return
}

// -----

func.func @range_not_scalar(%a: tensor<2xi64>, %b: tensor<i64>) {
  // expected-error @+1 {{'r1.range' op start, limit and delta must be scalars, not of shape [2]}}
  %0 = r1.range %a, %b, %b : (tensor<2xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_element_types(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error @+1 {{'r1.range' op start, limit and delta must have one element type}}
  %0 = r1.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @pad_mode(%x: tensor<4xf32>) {
  // expected-error @+1 {{'r1.pad' op unknown pad mode "mirror"}}
  %0 = r1.pad %x {pads = array<i64: 1, 1>, mode = "mirror", value = 0.0} : (tensor<4xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'r1.pad' op has 2 pads for a rank-2 input; expected 4}}
  %0 = r1.pad %x {pads = array<i64: 1, 1>, mode = "constant", value = 0.0}
      : (tensor<4x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @pad_crops_too_much(%x: tensor<4xf32>) {
  // expected-error @+1 {{'r1.pad' op pads crop more than the input has}}
  %0 = r1.pad %x {pads = array<i64: -3, -2>, mode = "constant", value = 0.0}
      : (tensor<4xf32>) -> tensor<?xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<4x5xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'r1.gather_elements' op indices have rank 1 but data has rank 2}}
  %0 = r1.gather_elements %x, %i {axis = 0 : i64} : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_elements_axis(%x: tensor<4x5xf32>, %i: tensor<4x5xi64>) {
  // expected-error @+1 {{'r1.gather_elements' op axis -3 is out of range for rank 2}}
  %0 = r1.gather_elements %x, %i {axis = -3 : i64} : (tensor<4x5xf32>, tensor<4x5xi64>) -> tensor<4x5xf32>
  return
}

// -----

func.func @gather_elements_longer(%x: tensor<4x5xf32>, %i: tensor<6x6xi64>) {
  // expected-error @+1 {{'r1.gather_elements' op indices [6, 6] are longer than data [4, 5] in dim 1}}
  %0 = r1.gather_elements %x, %i {axis = 0 : i64} : (tensor<4x5xf32>, tensor<6x6xi64>) -> tensor<6x6xf32>
  return
}

// -----

func.func @gather_elements_scalar(%x: tensor<f32>, %i: tensor<i64>) {
  // expected-error @+1 {{'r1.gather_elements' op data must have rank 1 or more}}
  %0 = r1.gather_elements %x, %i {axis = 0 : i64} : (tensor<f32>, tensor<i64>) -> tensor<f32>
  return
}

// -----

func.func @gather_nd_batch_dims(%x: tensor<2x3xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+1 {{'r1.gather_nd' op batch_dims 2 must be less than the data rank 2}}
  %0 = r1.gather_nd %x, %i {batch_dims = 2 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_nd_tuple(%x: tensor<2x3xf32>, %i: tensor<2x2xi64>) {
  // expected-error @+1 {{'r1.gather_nd' op index tuples of length 2 (last dim of indices [2, 2]) do not fit data of rank 2 after 1 batch dims}}
  %0 = r1.gather_nd %x, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_nd_batch_mismatch(%x: tensor<2x3xf32>, %i: tensor<4x1xi64>) {
  // expected-error @+1 {{'r1.gather_nd' op batch dim 0 is 2 in data [2, 3] but 4 in indices [4, 1]}}
  %0 = r1.gather_nd %x, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<4x1xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_nd_index_type(%x: tensor<2x3xf32>, %i: tensor<2x1xf32>) {
  // expected-error @+1 {{'r1.gather_nd' op operand #1 must be tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2x1xf32>'}}
  %0 = r1.gather_nd %x, %i {batch_dims = 0 : i64} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_elements_updates_shape(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x4xf32>) {
  // expected-error @+1 {{'r1.scatter_elements' op updates [2, 4] do not have the shape of indices [2, 5]}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x4xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_elements_rank(%x: tensor<4x5xf32>, %i: tensor<5xi64>, %u: tensor<5xf32>) {
  // expected-error @+1 {{'r1.scatter_elements' op indices have rank 1 but data has rank 2}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<5xi64>, tensor<5xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_elements_axis(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf32>) {
  // expected-error @+1 {{'r1.scatter_elements' op axis 2 is out of range for rank 2}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 2 : i64, reduction = #r1.scatter_reduction<add>} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_elements_longer(%x: tensor<4x5xf32>, %i: tensor<2x6xi64>, %u: tensor<2x6xf32>) {
  // expected-error @+1 {{'r1.scatter_elements' op indices [2, 6] are longer than data [4, 5] in dim 1}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x6xi64>, tensor<2x6xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_elements_element_type(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf16>) {
  // expected-error @+1 {{'r1.scatter_elements' op updates of element type 'f16' differ from data of element type 'f32'}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf16>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_elements_result(%x: tensor<4x5xf32>, %i: tensor<2x5xi64>, %u: tensor<2x5xf32>) {
  // expected-error @+2 {{'r1.scatter_elements' op inferred type(s) 'tensor<4x5xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  // expected-error @+1 {{'r1.scatter_elements' op failed to infer returned types}}
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x5xi64>, tensor<2x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @scatter_nd_tuple(%x: tensor<4x5xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) {
  // expected-error @+1 {{'r1.scatter_nd' op index tuples of length 3 (last dim of indices [2, 3]) do not fit data of rank 2}}
  %0 = r1.scatter_nd %x, %i, %u {reduction = #r1.scatter_reduction<none>} : (tensor<4x5xf32>, tensor<2x3xi64>, tensor<2xf32>) -> tensor<4x5xf32>
  return
}

// -----

func.func @scatter_nd_updates_shape(%x: tensor<4x5x6xf32>, %i: tensor<3x1xi64>, %u: tensor<3x5x5xf32>) {
  // expected-error @+1 {{'r1.scatter_nd' op updates [3, 5, 5] do not have the shape [3, 5, 6] that indices [3, 1] and data [4, 5, 6] give}}
  %0 = r1.scatter_nd %x, %i, %u {reduction = #r1.scatter_reduction<add>} : (tensor<4x5x6xf32>, tensor<3x1xi64>, tensor<3x5x5xf32>) -> tensor<4x5x6xf32>
  return
}

// -----

func.func @scatter_nd_scalar_indices(%x: tensor<4xf32>, %i: tensor<i64>, %u: tensor<f32>) {
  // expected-error @+1 {{'r1.scatter_nd' op indices must have rank 1 or more}}
  %0 = r1.scatter_nd %x, %i, %u {reduction = #r1.scatter_reduction<none>} : (tensor<4xf32>, tensor<i64>, tensor<f32>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_unknown_reduction(%x: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf32>) {
  // expected-error @+2 {{expected ::mlir::r1::ScatterReduction to be one of: none, add, mul, max, min}}
  // expected-error @+1 {{failed to parse R1_ScatterReductionAttr parameter 'value'}}
  %0 = r1.scatter_nd %x, %i, %u {reduction = #r1.scatter_reduction<sum>} : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'r1.top_k' op k 5 is larger than dim -1 of input [3, 4]}}
  %v, %i = r1.top_k %x {axis = -1 : i64, k = 5 : i64, largest = true, sorted = true} : (tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return
}

// -----

func.func @top_k_negative(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'r1.top_k' op k -1 is negative}}
  %v, %i = r1.top_k %x {axis = 1 : i64, k = -1 : i64, largest = true, sorted = true} : (tensor<3x4xf32>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  return
}

// -----

func.func @top_k_axis(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'r1.top_k' op axis 2 is out of range for rank 2}}
  %v, %i = r1.top_k %x {axis = 2 : i64, k = 1 : i64, largest = true, sorted = true} : (tensor<3x4xf32>) -> (tensor<*xf32>, tensor<*xi64>)
  return
}

// -----

func.func @onnx_node_subgraph_names(%c: tensor<i1>) {
  // expected-error @+1 {{'r1.onnx_node' op names 1 subgraphs but has 2 regions}}
  %0 = r1.onnx_node "If"(%c) {domain = "", node_name = "if", onnx_attrs = {}, opset = 17 : i64,
      subgraphs = ["then_branch"]} : (tensor<i1>) -> !r1.unknown ({
    r1.onnx_yield %c : tensor<i1>
  }, {
    r1.onnx_yield %c : tensor<i1>
  })
  return
}

// -----

func.func @onnx_yield_outside_node(%c: tensor<i1>) {
  // expected-error @+1 {{'r1.onnx_yield' op expects parent op 'r1.onnx_node'}}
  r1.onnx_yield %c : tensor<i1>
  return
}

// -----

func.func @non_max_suppression_boxes(%b: tensor<1x6x5xf32>, %s: tensor<1x1x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'r1.non_max_suppression' op boxes must be [batches, boxes, 4], not [1, 6, 5]}}
  %0 = r1.non_max_suppression %b, %s, %m, %i {center_point_box = false, num_selected = 3 : i64} : (tensor<1x6x5xf32>, tensor<1x1x6xf32>, tensor<1xi64>, tensor<1xf32>) -> tensor<3x3xi64>
  return
}

// -----

func.func @non_max_suppression_disagree(%b: tensor<1x6x4xf32>, %s: tensor<1x1x7xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'r1.non_max_suppression' op boxes [1, 6, 4] and scores [1, 1, 7] disagree on the batches or the boxes}}
  %0 = r1.non_max_suppression %b, %s, %m, %i {center_point_box = false, num_selected = 3 : i64} : (tensor<1x6x4xf32>, tensor<1x1x7xf32>, tensor<1xi64>, tensor<1xf32>) -> tensor<3x3xi64>
  return
}

// -----

func.func @non_max_suppression_two_maxima(%b: tensor<1x6x4xf32>, %s: tensor<1x1x6xf32>, %m: tensor<2xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'r1.non_max_suppression' op max_output_boxes_per_class must have one element, not [2]}}
  %0 = r1.non_max_suppression %b, %s, %m, %i {center_point_box = false, num_selected = 3 : i64} : (tensor<1x6x4xf32>, tensor<1x1x6xf32>, tensor<2xi64>, tensor<1xf32>) -> tensor<3x3xi64>
  return
}

// -----

func.func @non_max_suppression_negative_rows(%b: tensor<1x6x4xf32>, %s: tensor<1x1x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'r1.non_max_suppression' op num_selected -1 is negative}}
  %0 = r1.non_max_suppression %b, %s, %m, %i {center_point_box = false, num_selected = -1 : i64} : (tensor<1x6x4xf32>, tensor<1x1x6xf32>, tensor<1xi64>, tensor<1xf32>) -> tensor<?x3xi64>
  return
}

// -----

func.func @recurrence_activation_count(%xw: tensor<3x2x5xf32>, %rt: tensor<1x5x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op needs 2 activations, alphas and betas (one per activation of each direction), not 1, 1 and 1}}
  %y, %yh = r1.recurrence %xw, %rt {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<rnn>, direction = #r1.recurrent_direction<bidirectional>, input_forget = false, linear_before_reset = false} : (tensor<3x2x5xf32>, tensor<1x5x5xf32>) -> (tensor<3x2x2x5xf32>, tensor<2x2x5xf32>)
  return
}

// -----

func.func @recurrence_weights(%xw: tensor<3x2x15xf32>, %rt: tensor<1x12x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op recurrence [1, 12, 5] is not [1, 3 * hidden, hidden]}}
  %y, %yh = r1.recurrence %xw, %rt {activation_alpha = array<f32: 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0>, activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<gru>, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x15xf32>, tensor<1x12x5xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @recurrence_inputs(%xw: tensor<3x2x14xf32>, %rt: tensor<1x15x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op inputs [3, 2, 14] do not have 3 * hidden columns}}
  %y, %yh = r1.recurrence %xw, %rt {activation_alpha = array<f32: 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0>, activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<gru>, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x14xf32>, tensor<1x15x5xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @recurrence_peepholes_without_lstm(%xw: tensor<3x2x5xf32>, %rt: tensor<1x5x5xf32>, %p: tensor<1x15xf32>) {
  // expected-error @+1 {{'r1.recurrence' op has a cell state, peepholes or input_forget, which only lstm has}}
  %y, %yh = r1.recurrence %xw, %rt peepholes %p {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<rnn>, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x5xf32>, tensor<1x5x5xf32>, tensor<1x15xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @recurrence_reset_bias(%xw: tensor<3x2x15xf32>, %rt: tensor<1x15x5xf32>, %rb: tensor<1x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op has a reset bias without linear_before_reset}}
  %y, %yh = r1.recurrence %xw, %rt reset_bias %rb {activation_alpha = array<f32: 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0>, activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<gru>, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x15xf32>, tensor<1x15x5xf32>, tensor<1x5xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @recurrence_initial_state(%xw: tensor<3x2x5xf32>, %rt: tensor<1x5x5xf32>, %h: tensor<1x3x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op initial_h is [1, 3, 5], expected [1, 2, 5]}}
  %y, %yh = r1.recurrence %xw, %rt initial_h %h {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<rnn>, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x5xf32>, tensor<1x5x5xf32>, tensor<1x3x5xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @recurrence_negative_clip(%xw: tensor<3x2x5xf32>, %rt: tensor<1x5x5xf32>) {
  // expected-error @+1 {{'r1.recurrence' op clip -1.000000e+00 is negative}}
  %y, %yh = r1.recurrence %xw, %rt {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#r1.recurrent_activation<tanh>], cell = #r1.recurrent_cell<rnn>, clip = -1.0 : f32, direction = #r1.recurrent_direction<forward>, input_forget = false, linear_before_reset = false} : (tensor<3x2x5xf32>, tensor<1x5x5xf32>) -> (tensor<3x1x2x5xf32>, tensor<1x2x5xf32>)
  return
}

// -----

func.func @non_zero_of_a_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'r1.non_zero' op needs an input of rank 1 or more}}
  %p, %n = r1.non_zero %x : (tensor<f32>) -> (tensor<0x1xi64>, tensor<1xi64>)
  return
}

// -----

func.func @keep_leading_axis(%x: tensor<3x7xf32>, %n: tensor<1xi64>) {
  // expected-error @+1 {{'r1.keep_leading' op axis 2 is out of range for rank 2}}
  %0 = r1.keep_leading %x, %n {axis = 2 : i64} : (tensor<3x7xf32>, tensor<1xi64>) -> tensor<3x7xf32>
  return
}

// -----

func.func @keep_leading_count(%x: tensor<3x7xf32>, %n: tensor<2xi64>) {
  // expected-error @+1 {{'r1.keep_leading' op count must have one element, not [2]}}
  %0 = r1.keep_leading %x, %n {axis = 0 : i64} : (tensor<3x7xf32>, tensor<2xi64>) -> tensor<?x7xf32>
  return
}

// -----

func.func @quantize_scale_grows(%x: tensor<4xf32>, %s: tensor<2x4xf32>, %z: tensor<i8>) {
  // expected-error @+1 {{'r1.quantize' op scale shape [2, 4] does not broadcast to the input shape [4]}}
  %0 = r1.quantize %x, %s, %z : (tensor<4xf32>, tensor<2x4xf32>, tensor<i8>) -> tensor<2x4xi8>
  return
}

// -----

func.func @dequantize_zero_point_type(%x: tensor<4xi8>, %s: tensor<f32>, %z: tensor<ui8>) {
  // expected-error @+1 {{'r1.dequantize' op zero point element type 'ui8' differs from the input's 'i8'}}
  %0 = r1.dequantize %x, %s, %z : (tensor<4xi8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_integer_row_zero_point(%a: tensor<4x8xi8>, %b: tensor<8x3xi8>, %za: tensor<8xi8>, %zb: tensor<i8>) {
  // expected-error @+1 {{'r1.matmul_integer' op lhs zero point shape [8] is not one per row of [4, 8]}}
  %0 = r1.matmul_integer %a, %b, %za, %zb : (tensor<4x8xi8>, tensor<8x3xi8>, tensor<8xi8>, tensor<i8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @conv_integer_input_zero_point(%x: tensor<1x2x5x5xui8>, %w: tensor<3x2x3x3xui8>, %z: tensor<2xui8>) {
  // expected-error @+1 {{'r1.conv_integer' op input zero point must be one value, not [2]}}
  %0 = r1.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x2x5x5xui8>, tensor<3x2x3x3xui8>, tensor<2xui8>, tensor<2xui8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @channel_ranges_sizes(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>) {
  // expected-error @+1 {{channel ranges need as many maxima as minima}}
  %0 = r1.matmul %x, %w {r1.operand_channel_ranges = [#r1.channel_ranges<[-1.0, 0.0], [1.0]>, unit]}
      : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @channel_ranges_order(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>) {
  // expected-error @+1 {{channel 1's min 2.000000e+00 exceeds its max 1.000000e+00}}
  %0 = r1.matmul %x, %w {r1.operand_channel_ranges = [#r1.channel_ranges<[-1.0, 2.0], [1.0, 1.0]>, unit]}
      : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return
}
