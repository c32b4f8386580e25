// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=variant-log=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=pack-weights=false | FileCheck %s --check-prefix=EXTERNAL

// An 8-bit matmul with a constant weight keeps x86-64-v4-dl, where it is
// the GEMM template with vpdpbusd (the weight packed when compiling, one K
// step); the levels without AVX512-VNNI keep the 16-bit integer GEMM and
// say why.
// CHECK-LABEL: module attributes
// CHECK-SAME: cpu = "x86-64-v4-dl"
// CHECK-LABEL: func @int8_linear
// CHECK: r1k.kernel "matmul_integer"
// CHECK-SAME: "host-x86-64-v3" = #r1k.host_integer_gemm<lanes = 8
// CHECK-SAME: "host-x86-64-v4" = #r1k.host_integer_gemm<lanes = 16
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<mr = 8, nr = 48, vector = 16, kc = 768, {{.*}}pack_b = compile_time, dot = dpbusd>
// LOG: kernel k0_matmul_integer on host (x86-64-v3): matmul_integer
// LOG-NEXT: chosen #r1k.host_integer_gemm{{.*}}not vpdpbusd: no AVX512-VNNI at x86-64-v3
// LOG: kernel k0_matmul_integer on host (x86-64-v4-dl): matmul_integer
// LOG-NEXT: chosen #r1k.host_gemm<{{.*}}dot = dpbusd>  (1 x 128x768x768: vpdpbusd (AVX512-VNNI), u8 activation, i8 weight, 8 x 3 accumulators,
// With the weights in a side file (pack-weights=false), the matmul packs
// its weight once per call instead.
// EXTERNAL-LABEL: func @int8_linear
// EXTERNAL: "host-x86-64-v4-dl" = #r1k.host_gemm<{{.*}}pack_b = per_call, dot = dpbusd>
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v3", features = ["avx2", "fma"], vector_bits = 256,
                vector_registers = 16, l1_bytes = 32768, l2_bytes = 1048576,
                l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>,
    #r1k.target<name = "host", cpu = "x86-64-v4", features = ["avx2", "fma", "avx512f"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>,
    #r1k.target<name = "host", cpu = "x86-64-v4-dl",
                features = ["avx2", "fma", "avx512f", "avx512bf16", "avx512vnni"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @int8_linear(%x: tensor<128x768xui8>) -> tensor<128x768xi32> {
    %w = r1.constant dense<3> : tensor<768x768xi8>
    %zx = r1.constant dense<128> : tensor<ui8>
    %zw = r1.constant dense<0> : tensor<i8>
    %y = r1.matmul_integer %x, %w, %zx, %zw
        : (tensor<128x768xui8>, tensor<768x768xi8>, tensor<ui8>, tensor<i8>) -> tensor<128x768xi32>
    return %y : tensor<128x768xi32>
  }
}

// -----

// A convolution: its im2col bytes packed once per call (pack_b =
// per_call), K (3 x 3 x 30 = 270) rounded up to whole quads; a weight zero
// point that is not 0 costs an accumulator per vector for the image's
// sums, so seven rows rather than eight.
// A convolution's weight is packed into the code, so with the weights in a
// side file it keeps the integer GEMM.
// EXTERNAL-LABEL: func @int8_conv
// EXTERNAL: "host-x86-64-v4-dl" = #r1k.host_integer_gemm<
// CHECK-LABEL: func @int8_conv
// CHECK: r1k.kernel "conv_integer"
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<mr = 7, nr = 48, vector = 16, kc = 272, {{.*}}pack_b = per_call, dot = dpbusd>
// LOG: kernel k0_conv_integer on host (x86-64-v4-dl): conv_integer
// LOG-NEXT: dot = dpbusd>  (2 x 32x270x196: vpdpbusd (AVX512-VNNI), i8 activation flipped to u8, u8 weight flipped to i8, 7 x 3 accumulators and the activation's sums,
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4-dl",
                features = ["avx2", "fma", "avx512f", "avx512bf16", "avx512vnni"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @int8_conv(%x: tensor<1x60x14x14xi8>) -> tensor<1x64x14x14xi32> {
    %w = r1.constant dense<7> : tensor<64x30x3x3xui8>
    %zx = r1.constant dense<-5> : tensor<i8>
    %zw = r1.constant dense<100> : tensor<64xui8>
    %y = r1.conv_integer %x, %w, %zx, %zw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64}
        : (tensor<1x60x14x14xi8>, tensor<64x30x3x3xui8>, tensor<i8>, tensor<64xui8>) -> tensor<1x64x14x14xi32>
    return %y : tensor<1x64x14x14xi32>
  }
}

// -----

// A weight that is an input of the model is not packed when compiling: that
// matmul keeps the 16-bit integer GEMM even at x86-64-v4-dl, kept here for
// the other, whose weight is a constant.
// CHECK-LABEL: func @int8_weight_input
// CHECK: r1k.kernel "matmul_integer"
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<{{.*}}dot = dpbusd>
// CHECK: r1k.kernel "matmul_integer"
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_integer_gemm<
// LOG: kernel k1_matmul_integer on host (x86-64-v4-dl): matmul_integer
// LOG-NEXT: chosen #r1k.host_integer_gemm{{.*}}not vpdpbusd: the weight is not a constant
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4-dl",
                features = ["avx2", "fma", "avx512f", "avx512bf16", "avx512vnni"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @int8_weight_input(%x: tensor<16x64xui8>, %v: tensor<64x32xi8>,
                               %q: tensor<16x32xui8>) -> tensor<16x32xi32> {
    %z = r1.constant dense<0> : tensor<ui8>
    %zv = r1.constant dense<0> : tensor<i8>
    %w = r1.constant dense<1> : tensor<32x32xi8>
    %s = r1.matmul_integer %x, %v, %z, %zv
        : (tensor<16x64xui8>, tensor<64x32xi8>, tensor<ui8>, tensor<i8>) -> tensor<16x32xi32>
    %y = r1.matmul_integer %q, %w, %z, %zv
        : (tensor<16x32xui8>, tensor<32x32xi8>, tensor<ui8>, tensor<i8>) -> tensor<16x32xi32>
    %r = r1.add %s, %y : (tensor<16x32xi32>, tensor<16x32xi32>) -> tensor<16x32xi32>
    return %r : tensor<16x32xi32>
  }
}

// -----

// A 7 x 7 output plane (49 positions in 64 lanes) runs transposed: blocks of
// 8 positions broadcast against 48 output channels, one K step; the tasks
// split the 96 channels. 14 x 14 (196 positions in 208 lanes) does not.
// CHECK-LABEL: func @int8_conv_narrow_plane
// CHECK: r1k.kernel "conv_integer"
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<mr = 8, nr = 48, vector = 16, kc = 288, mc = 56, nc = 48, pack_b = per_call, dot = dpbusd, transposed = true>
// CHECK: r1k.kernel "conv_integer"
// CHECK-NOT: transposed
// CHECK: return
// LOG: kernel k0_conv_integer on host (x86-64-v4-dl): conv_integer
// LOG-NEXT: transposed = true>  (1 x 96x288x49: transposed (49 positions would fill 64 lanes), 8 positions x 3 vectors of output channels with vpdpbusd, 2 tasks for 2 cores, u8 activation, i8 weight)
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4-dl",
                features = ["avx2", "fma", "avx512f", "avx512bf16", "avx512vnni"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @int8_conv_narrow_plane(%x: tensor<1x32x7x7xui8>, %x14: tensor<1x32x14x14xui8>)
      -> (tensor<1x96x7x7xi32>, tensor<1x96x14x14xi32>) {
    %w = r1.constant dense<7> : tensor<96x32x3x3xi8>
    %zx = r1.constant dense<3> : tensor<ui8>
    %zw = r1.constant dense<0> : tensor<i8>
    %y = r1.conv_integer %x, %w, %zx, %zw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x32x7x7xui8>, tensor<96x32x3x3xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x96x7x7xi32>
    %y14 = r1.conv_integer %x14, %w, %zx, %zw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x32x14x14xui8>, tensor<96x32x3x3xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x96x14x14xi32>
    return %y, %y14 : tensor<1x96x7x7xi32>, tensor<1x96x14x14xi32>
  }
}
