// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=variant-log=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG

// Three host levels, as --cpu=auto offers them: x86-64-v4-dl adds only the
// dot-product extensions. A bf16 product keeps it, and there its variant
// takes k-pairs with vdpbf16ps (B packed at run time, even K steps); x86-64-v4 keeps
// FMAs on widened operands.
// CHECK-LABEL: module attributes
// CHECK-SAME: cpu = "x86-64-v3"
// CHECK-SAME: cpu = "x86-64-v4"
// CHECK-SAME: cpu = "x86-64-v4-dl"
// CHECK-LABEL: func @bf16_linear
// CHECK: "host-x86-64-v4" = #r1k.host_gemm<
// CHECK-NOT: dot = dpbf16
// CHECK-SAME: >
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<mr = {{[0-9]+}}, nr = {{(16|32|48|64)}}, vector = 16, kc = {{[0-9]*[02468]}}, {{.*}}pack_b = {{(run_time|per_call)}}{{.*}}dot = dpbf16>
// LOG: kernel k0_matmul on host (x86-64-v4-dl): matmul 1 x 128x768x768
// LOG-NEXT: chosen {{.*}} pack_b={{(run_time|per_call)}}{{.*}} dot=dpbf16
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
  func.func @bf16_linear(%x: tensor<128x768xbf16>, %w: tensor<768x768xbf16>)
      -> tensor<128x768xf32> {
    %y = r1.matmul %x, %w : (tensor<128x768xbf16>, tensor<768x768xbf16>) -> tensor<128x768xf32>
    return %y : tensor<128x768xf32>
  }
}

// -----

// No kernel of an f32 model uses the dot products: x86-64-v4-dl is dropped
// from the targets, so the host code is built for two levels only.
// CHECK-LABEL: module attributes
// CHECK-SAME: cpu = "x86-64-v4"
// CHECK-NOT: x86-64-v4-dl
// CHECK-LABEL: func @f32_linear
// CHECK-NOT: x86-64-v4-dl
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
  func.func @f32_linear(%x: tensor<64x96xf32>, %w: tensor<96x96xf32>) -> tensor<64x96xf32> {
    %y = r1.matmul %x, %w : (tensor<64x96xf32>, tensor<96x96xf32>) -> tensor<64x96xf32>
    return %y : tensor<64x96xf32>
  }
}

// -----

// A bf16 convolution with f32 sums and a 7 x 7 output plane runs
// transposed, with vdpbf16ps over k-pairs and one K step.
// CHECK-LABEL: module attributes
// CHECK-LABEL: func @bf16_conv_narrow_plane
// CHECK: r1k.kernel "conv"
// CHECK-SAME: "host-x86-64-v4-dl" = #r1k.host_gemm<mr = 8, nr = 48, vector = 16, kc = 18, mc = 56, nc = 48, pack_b = per_call, dot = dpbf16, transposed = true>
// LOG: kernel k0_conv on host (x86-64-v4-dl): conv, one candidate
// LOG-NEXT: (1 x 16x18x49: transposed (49 positions would fill 64 lanes), 8 positions x 3 vectors of output channels with vdpbf16ps, 1 tasks for 2 cores)
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4-dl",
                features = ["avx2", "fma", "avx512f", "avx512bf16", "avx512vnni"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152,
                l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @bf16_conv_narrow_plane(%x: tensor<1x2x7x7xbf16>, %b: tensor<16xbf16>)
      -> tensor<1x16x7x7xf32> {
    %w = r1.constant dense<"0x0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F0040803F803F"> : tensor<16x2x3x3xbf16>
    %y = r1.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x2x7x7xbf16>, tensor<16x2x3x3xbf16>, tensor<16xbf16>) -> tensor<1x16x7x7xf32>
    return %y : tensor<1x16x7x7xf32>
  }
}
