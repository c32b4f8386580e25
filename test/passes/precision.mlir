// RUN: r1c-opt %s -r1c-select-precision=policy=bf16 -split-input-file | FileCheck %s --check-prefix=SELECT
// RUN: r1c-opt %s -r1c-select-precision=policy=bf16 -r1c-apply-precision -canonicalize -split-input-file | FileCheck %s --check-prefix=BF16
// RUN: r1c-opt %s -r1c-select-precision=policy=fp16 -r1c-apply-precision -canonicalize -split-input-file | FileCheck %s --check-prefix=FP16
// RUN: r1c-opt %s -r1c-select-precision=policy=fp32 -r1c-apply-precision -split-input-file | FileCheck %s --check-prefix=FP32
// RUN: not r1c-opt %s -r1c-select-precision=policy=int3 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// Matmuls and convolutions compute in the lower format and sum in f32;
// the relu between them stays f32. Weights are converted when compiling
// (ties to even), the input is cast, and each
// result keeps its f32 sums, cast down where the next matmul reads it.

// SELECT-LABEL: func @mlp
// SELECT: r1.matmul {{.*}}r1.precision = #r1.precision<compute = bf16, accumulate = f32, storage = f32>
// SELECT: r1.matmul {{.*}}r1.precision = #r1.precision<compute = bf16, accumulate = f32, storage = f32>
// SELECT: r1.conv {{.*}}r1.precision = #r1.precision<compute = bf16, accumulate = f32, storage = f32>
// SELECT-NOT: r1.precision
// SELECT: return

// BF16-LABEL: func @mlp
// BF16-DAG: %[[W1:.*]] = r1.constant dense<{{\[\[}}1.000000e+00, 6.553600e+04, 3.140630e+00, 1.001360e-05]{{.*}} : tensor<4x4xbf16>
// BF16-DAG: %[[W2:.*]] = r1.constant dense<2.500000e-01> : tensor<4x4xbf16>
// BF16-DAG: %[[X:.*]] = r1.cast %arg0 {to = bf16}
// BF16: %[[H:.*]] = r1.matmul %[[X]], %[[W1]] {{.*}} -> tensor<2x4xf32>
// BF16: %[[HLOW:.*]] = r1.cast %[[H]] {to = bf16}
// BF16: %[[Y:.*]] = r1.matmul %[[HLOW]], %[[W2]] {{.*}} -> tensor<2x4xf32>
// BF16: %[[R:.*]] = r1.relu %[[Y]] : (tensor<2x4xf32>)
// BF16: %[[IMAGE:.*]] = r1.reshape %[[R]]
// BF16: r1.cast %[[IMAGE]] {to = bf16}
// BF16: r1.conv {{.*}} -> tensor<1x4x1x2xf32>
// BF16-NOT: r1.cast
// BF16: return

// FP16-LABEL: func @mlp
// FP16: r1.matmul %arg0, %{{.*}} : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
// FP16: r1.matmul {{.*}} : (tensor<2x4xf16>, tensor<4x4xf16>) -> tensor<2x4xf32>

// FP32-LABEL: func @mlp
// FP32-NOT: r1.precision
// FP32-NOT: r1.cast

// BAD: --precision: unknown format 'int3' (expected fp32, bf16, fp16, int8 or auto)
func.func @mlp(%x: tensor<2x4xf32>) -> tensor<1x4x1x2xf32> {
  %w1 = r1.constant dense<[[1.0, 65520.0, 3.14159274, 1.0e-5], [0.5, -2.0, 1.0, 0.1], [1.0, 1.0, 1.0, 1.0], [0.0, -0.0, 7.0, 1.5]]> : tensor<4x4xf32>
  %h = r1.matmul %x, %w1 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %w2 = r1.constant dense<0.25> : tensor<4x4xf32>
  %y = r1.matmul %h, %w2 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %r = r1.relu %y : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %shape = r1.constant dense<[1, 4, 1, 2]> : tensor<4xi64>
  %image = r1.reshape %r, %shape {allowzero = false} : (tensor<2x4xf32>, tensor<4xi64>) -> tensor<1x4x1x2xf32>
  %k = r1.constant dense<0.5> : tensor<4x4x1x1xf32>
  %c = r1.conv %image, %k {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x1x2xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x1x2xf32>
  return %c : tensor<1x4x1x2xf32>
}

// -----

// A model already in bf16 keeps its types: nothing is marked or cast.
// SELECT-LABEL: func @already_bf16
// SELECT-NOT: r1.precision
// BF16-LABEL: func @already_bf16
// BF16-NOT: r1.cast
func.func @already_bf16(%x: tensor<2x4xbf16>, %w: tensor<4x4xbf16>) -> tensor<2x4xbf16> {
  %y = r1.matmul %x, %w : (tensor<2x4xbf16>, tensor<4x4xbf16>) -> tensor<2x4xbf16>
  return %y : tensor<2x4xbf16>
}

// -----

// In fp16, a weight past 65504 would become an infinity: that matmul stays
// f32; bf16 (f32's range) lowers it. 65504 itself is f16's largest.
// FP16-LABEL: func @large_weight
// FP16: r1.constant dense<{{\[\[}}1.000000e+00, -6.550400e+04], [3.140630e+00, 1.001360e-05]]> : tensor<2x2xf16>
// FP16-NOT: r1.precision
// FP16: r1.matmul %arg0, %{{.*}} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
// FP16-NEXT: r1.cast {{.*}} {to = f16}
// FP16-NEXT: r1.matmul {{.*}}r1.precision
// SELECT-LABEL: func @large_weight
// BF16-LABEL: func @large_weight
// BF16-COUNT-2: r1.precision
func.func @large_weight(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %big = r1.constant dense<[[1.0, 1.0e5], [2.0, 3.0]]> : tensor<2x2xf32>
  %small = r1.constant dense<[[1.0, -65504.0], [3.14159274, 1.0e-5]]> : tensor<2x2xf32>
  %y = r1.matmul %x, %big : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %z = r1.matmul %y, %small : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %z : tensor<2x2xf32>
}

