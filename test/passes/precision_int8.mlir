// RUN: r1c-opt %s -r1c-select-precision=policy=int8 -split-input-file | FileCheck %s --check-prefix=SELECT
// RUN: r1c-opt %s -r1c-select-precision=policy=int8 -r1c-apply-precision -split-input-file | FileCheck %s --check-prefix=QDQ
// RUN: r1c-opt %s -r1c-select-precision=policy=int8 -r1c-apply-precision -r1c-fuse-quantized-contractions -canonicalize -cse -split-input-file | FileCheck %s --check-prefix=INT8

// A matmul with a calibrated activation and a constant weight computes on
// 8-bit integers: the activation per tensor in ui8 over [-1, 3] widened to
// hold 0 (step 4/255; zero point ceil(1 / step) = 64, scale 3 / (255 - 64)
// so that 3 lands on code 255), the weight per column in i8 over
// its largest magnitude (columns 2 and 4: scales 2/127 and 1/127).
// Without a range, the second matmul stays f32.

// SELECT-LABEL: func @mlp
// SELECT: r1.matmul {{.*}}r1.precision = #r1.precision<compute = i8, accumulate = i32, storage = f32>
// SELECT: r1.matmul
// SELECT-NOT: r1.precision
// SELECT: return

// QDQ-LABEL: func @mlp
// QDQ-DAG: %[[SA:.*]] = r1.constant dense<0.0157068{{[0-9]*}}> : tensor<f32>
// QDQ-DAG: %[[ZA:.*]] = r1.constant dense<64> : tensor<ui8>
// QDQ-DAG: %[[W:.*]] = r1.constant dense<{{\[\[}}127, -64], [-64, 127]]> : tensor<2x2xi8>
// QDQ-DAG: %[[SW:.*]] = r1.constant dense<{{\[\[}}0.0157480{{[0-9]*}}, 0.00787401{{[0-9]*}}]]> : tensor<1x2xf32>
// QDQ-DAG: %[[ZW:.*]] = r1.constant dense<0> : tensor<i8>
// QDQ-DAG: %[[Q:.*]] = r1.quantize %arg0, %[[SA]], %[[ZA]]
// QDQ-DAG: %[[X:.*]] = r1.dequantize %[[Q]], %[[SA]], %[[ZA]]
// QDQ-DAG: %[[WF:.*]] = r1.dequantize %[[W]], %[[SW]], %[[ZW]]
// QDQ: r1.matmul %[[X]], %[[WF]]

// INT8-LABEL: func @mlp
// INT8: %[[Q:.*]] = r1.quantize %arg0
// INT8: %[[S:.*]] = r1.matmul_integer %[[Q]], %{{.*}} -> tensor<3x2xi32>
// INT8: %[[F:.*]] = r1.cast %[[S]] {to = f32}
// INT8: %[[Y:.*]] = r1.mul %[[F]], %{{.*}} : (tensor<3x2xf32>, tensor<1x2xf32>)
// INT8: r1.matmul %[[Y]]
// INT8-NOT: r1.dequantize
func.func @mlp(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = r1.constant dense<[[2.0, -0.5], [-1.0, 1.0]]> : tensor<2x2xf32>
  %y = r1.matmul %x, %w {r1.operand_ranges = [#r1.range<-1.0, 3.0>, unit]} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %z = r1.matmul %y, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %z : tensor<3x2xf32>
}

// -----

// A convolution's weight is quantized per filter, [C_out, 1, 1, 1]; its
// bias stays f32 and is added to the scaled sums.

// SELECT-LABEL: func @conv
// SELECT: r1.conv {{.*}}r1.precision = #r1.precision<compute = i8, accumulate = i32, storage = f32>

// INT8-LABEL: func @conv
// INT8: %[[Q:.*]] = r1.quantize %arg0
// INT8: %[[S:.*]] = r1.conv_integer %[[Q]], %{{.*}} -> tensor<1x2x3x3xi32>
// INT8: %[[F:.*]] = r1.cast %[[S]] {to = f32}
// INT8: %[[Y:.*]] = r1.mul %[[F]], %{{.*}} : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>)
// INT8: r1.add %[[Y]], %{{.*}} : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>)
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = r1.constant dense<[[[[1.0]]], [[[-4.0]]]]> : tensor<2x1x1x1xf32>
  %b = r1.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = r1.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, r1.operand_ranges = [#r1.range<0.0, 6.0>, unit, unit]} : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Both operands computed (attention scores): no weight to quantize per
// channel, so it stays f32.

// SELECT-LABEL: func @activations
// SELECT-NOT: r1.precision
func.func @activations(%a: tensor<3x2xf32>, %b: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %y = r1.matmul %a, %b {r1.operand_ranges = [#r1.range<-1.0, 1.0>, #r1.range<-1.0, 1.0>]} : (tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

// A depthwise convolution (one input channel per group) stays f32: its own
// template streams it faster than an integer GEMM would compute it.

// SELECT-LABEL: func @depthwise
// SELECT-NOT: r1.precision
func.func @depthwise(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = r1.constant dense<[[[[1.0]]], [[[-4.0]]]]> : tensor<2x1x1x1xf32>
  %y = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64, r1.operand_ranges = [#r1.range<0.0, 6.0>, unit]} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A residual stream: the block input %x feeds the convolution and the add
// after it. The add reads the same int8 codes, dequantized, so that the
// kernel that makes %x can store bytes; the select pass declares it with
// r1.int8_shared_activation. An add before the quantization keeps %x.

// SELECT-LABEL: func @residual
// SELECT: r1.conv {{.*}}r1.int8_shared_activation

// QDQ-LABEL: func @residual
// QDQ: %[[EARLY:.*]] = r1.add %arg0, %arg0
// QDQ: %[[Q:.*]] = r1.quantize %arg0
// QDQ: %[[X:.*]] = r1.dequantize %[[Q]]
// QDQ: %[[Y:.*]] = r1.conv %[[X]]
// QDQ: r1.add %[[Y]], %[[X]]
func.func @residual(%x: tensor<1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %early = r1.add %x, %x : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %w = r1.constant dense<[[[[1.0]], [[2.0]]], [[[-4.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %y = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, r1.operand_ranges = [#r1.range<0.0, 6.0>, unit]} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %sum = r1.add %y, %x : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %early, %sum : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
