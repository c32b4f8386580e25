// RUN: r1c-opt %s -split-input-file -r1c-fuse-quantized-contractions | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-fuse-quantized-contractions -r1c-form-kernels -r1c-select-variants | FileCheck %s --check-prefix=KERNEL

// QDQ: dequantize -> matmul -> quantize becomes an integer matmul whose
// sums are scaled by a_scale * b_scale (constants: multiplied now), and the
// quantize joins its kernel as the requantization.
// CHECK-LABEL: func @qdq_matmul
// CHECK: %[[SUMS:.*]] = r1.matmul_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x32xui8>, tensor<32x16xi8>, tensor<ui8>, tensor<16xi8>) -> tensor<4x16xi32>
// CHECK: %[[S:.*]] = r1.constant dense<[5.000000e-02, 1.000000e-01, 1.500000e-01, {{.*}}]> : tensor<16xf32>
// CHECK: %[[F:.*]] = r1.cast %[[SUMS]] {to = f32}
// CHECK: %[[Y:.*]] = r1.mul %[[F]], %[[S]]
// CHECK: r1.quantize %[[Y]]
// CHECK-NOT: r1.dequantize
// KERNEL-LABEL: func @qdq_matmul
// KERNEL: r1k.kernel "matmul_integer"{{.*}}variants = {"host-x86-64-v4" = #r1k.host_integer_gemm<lanes = 16, mr = 4, vectors = 1, mc = 4>}
// KERNEL-SAME: -> tensor<4x16xui8>
// KERNEL: r1.matmul_integer
// KERNEL: r1.cast
// KERNEL: r1.mul
// KERNEL: r1.quantize
// KERNEL: r1k.yield
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @qdq_matmul(%a: tensor<4x32xui8>) -> tensor<4x16xui8> {
    %sa = r1.constant dense<0.5> : tensor<f32>
    %za = r1.constant dense<128> : tensor<ui8>
    %w = r1.constant dense<3> : tensor<32x16xi8>
    %sw = r1.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]> : tensor<16xf32>
    %zw = r1.constant dense<0> : tensor<16xi8>
    %sy = r1.constant dense<0.25> : tensor<f32>
    %zy = r1.constant dense<7> : tensor<ui8>
    %x = r1.dequantize %a, %sa, %za : (tensor<4x32xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x32xf32>
    %wf = r1.dequantize %w, %sw, %zw : (tensor<32x16xi8>, tensor<16xf32>, tensor<16xi8>) -> tensor<32x16xf32>
    %m = r1.matmul %x, %wf : (tensor<4x32xf32>, tensor<32x16xf32>) -> tensor<4x16xf32>
    %q = r1.quantize %m, %sy, %zy : (tensor<4x16xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x16xui8>
    return %q : tensor<4x16xui8>
  }
}

// -----

// Convolution: per-channel weight scales and zero points (shaped
// [C_out, 1, 1, 1] by legalization) line up with the result's channels;
// the float bias is added after the scale.
// CHECK-LABEL: func @qdq_conv
// CHECK: %[[SUMS:.*]] = r1.conv_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}} : (tensor<1x3x8x8xui8>, tensor<4x3x3x3xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<1x4x6x6xi32>
// CHECK: r1.cast %[[SUMS]] {to = f32}
// CHECK: r1.mul {{.*}} : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
// CHECK: r1.add {{.*}} : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
func.func @qdq_conv(%x: tensor<1x3x8x8xui8>, %sx: tensor<f32>, %zx: tensor<ui8>, %w: tensor<4x3x3x3xi8>, %sw: tensor<4x1x1x1xf32>, %zw: tensor<4x1x1x1xi8>, %bias: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %xf = r1.dequantize %x, %sx, %zx : (tensor<1x3x8x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x3x8x8xf32>
  %wf = r1.dequantize %w, %sw, %zw : (tensor<4x3x3x3xi8>, tensor<4x1x1x1xf32>, tensor<4x1x1x1xi8>) -> tensor<4x3x3x3xf32>
  %y = r1.conv %xf, %wf, %bias {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// Activations quantized per row are not one scale per tensor: the float
// matmul stays.
// CHECK-LABEL: func @per_row_activations
// CHECK: r1.matmul %
// CHECK-NOT: r1.matmul_integer
func.func @per_row_activations(%a: tensor<4x8xi8>, %sa: tensor<4x1xf32>, %za: tensor<i8>, %b: tensor<8x2xi8>, %sb: tensor<f32>, %zb: tensor<i8>) -> tensor<4x2xf32> {
  %x = r1.dequantize %a, %sa, %za : (tensor<4x8xi8>, tensor<4x1xf32>, tensor<i8>) -> tensor<4x8xf32>
  %y = r1.dequantize %b, %sb, %zb : (tensor<8x2xi8>, tensor<f32>, tensor<i8>) -> tensor<8x2xf32>
  %m = r1.matmul %x, %y : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

// 16-bit quantized operands stay float: the integer GEMM takes 8 bits.
// CHECK-LABEL: func @int16_operands
// CHECK: r1.matmul %
func.func @int16_operands(%a: tensor<4x8xi16>, %s: tensor<f32>, %z: tensor<i16>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %x = r1.dequantize %a, %s, %z : (tensor<4x8xi16>, tensor<f32>, tensor<i16>) -> tensor<4x8xf32>
  %m = r1.matmul %x, %b : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

// A per-tensor quantization of a max pool's result moves above the pool on
// the host: the max of the codes is the code of the max. The two readers'
// quantizations (one per reader before CSE) become one; the pool takes ui8.
// CHECK-LABEL: func @quantize_before_max_pool
// CHECK: %[[S:.*]] = r1.constant dense<5.000000e-02> : tensor<f32>
// CHECK: %[[Z:.*]] = r1.constant dense<3> : tensor<ui8>
// CHECK: %[[Q:.*]] = r1.quantize %arg0, %[[S]], %[[Z]] : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xui8>
// CHECK: %[[P:.*]] = r1.max_pool %[[Q]] {{.*}} : (tensor<1x2x4x4xui8>) -> tensor<1x2x2x2xui8>
// CHECK-NOT: r1.quantize
// CHECK: return %[[P]], %[[P]]
// KERNEL-LABEL: func @quantize_before_max_pool
// KERNEL: r1k.kernel "max_pool"{{.*}} : (tensor<1x2x4x4xui8>) -> tensor<1x2x2x2xui8>
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @quantize_before_max_pool(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xui8>, tensor<1x2x2x2xui8>) {
    %p = r1.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
    %s1 = r1.constant dense<0.05> : tensor<f32>
    %z1 = r1.constant dense<3> : tensor<ui8>
    %q1 = r1.quantize %p, %s1, %z1 : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    %s2 = r1.constant dense<0.05> : tensor<f32>
    %z2 = r1.constant dense<3> : tensor<ui8>
    %q2 = r1.quantize %p, %s2, %z2 : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    return %q1, %q2 : tensor<1x2x2x2xui8>, tensor<1x2x2x2xui8>
  }
}

// -----

// It stays below the pool where the pool has a float reader too, where the
// readers quantize differently, and on a module with a GPU target (whose
// pool kernels take floats).
// CHECK-LABEL: func @quantize_stays
// CHECK: r1.max_pool %arg0 {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: r1.max_pool %arg0 {{.*}} -> tensor<1x2x2x2xf32>
// CHECK-LABEL: func @quantize_stays_on_gpu
// CHECK: r1.max_pool %arg0 {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: r1.quantize
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @quantize_stays(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xui8>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xui8>, tensor<1x2x2x2xui8>) {
    %p = r1.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
    %s = r1.constant dense<0.05> : tensor<f32>
    %z = r1.constant dense<3> : tensor<ui8>
    %q = r1.quantize %p, %s, %z : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    %p2 = r1.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
    %s2 = r1.constant dense<0.1> : tensor<f32>
    %q2 = r1.quantize %p2, %s, %z : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    %q3 = r1.quantize %p2, %s2, %z : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    return %q, %p, %q2, %q3 : tensor<1x2x2x2xui8>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xui8>, tensor<1x2x2x2xui8>
  }
}

// -----

module attributes {r1k.targets = [#r1k.target<name = "fake_sm", compute_units = 100,
    warp_size = 32, shared_per_block = 49152, shared_per_unit = 65536,
    registers_per_unit = 65536, matrix_ops = ["mma.f16", "mma.bf16"]>]} {
  func.func @quantize_stays_on_gpu(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xui8> {
    %p = r1.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
    %s = r1.constant dense<0.05> : tensor<f32>
    %z = r1.constant dense<3> : tensor<ui8>
    %q = r1.quantize %p, %s, %z : (tensor<1x2x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x2xui8>
    return %q : tensor<1x2x2x2xui8>
  }
}
