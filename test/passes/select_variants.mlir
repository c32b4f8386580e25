// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=pack-weights=false | FileCheck %s --check-prefix=NOPACK
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=variant-log=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG

// An AVX-512 target: 32 zmm registers of 16 floats. A linear layer's
// constant weight is packed at compile time; the register block fills the
// registers (accumulators, B vectors and a broadcast), NR a multiple of 16.
// CHECK-LABEL: func @linear_avx512
// CHECK: r1k.kernel "matmul"{{.*}}variants = {"host-x86-64-v4" = #r1k.host_gemm<mr = [[MR:[0-9]+]], nr = [[NR:(16|32|48|64)]], vector = 16, {{.*}}pack_b = compile_time{{(, m_inner = true)?}}>}
// NOPACK-LABEL: func @linear_avx512
// NOPACK-NOT: compile_time
// LOG: kernel k0_matmul on host (x86-64-v4): matmul 1 x 128x768x768, {{[0-9]+}} candidates
// LOG-NEXT: chosen mr={{[0-9]+}} nr={{[0-9]+}} kc={{[0-9]+}} mc={{[0-9]+}} nc={{[0-9]+}} pack_b=compile_time{{( m_inner)?}}  cycles={{[0-9]+}}
// LOG-NEXT: lost mr={{[0-9]+}} nr={{[0-9]+}}
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @linear_avx512(%x: tensor<128x768xf32>) -> tensor<128x768xf32> {
    %w = r1.constant dense<0.5> : tensor<768x768xf32>
    %y = r1k.kernel "matmul"(%x, %w) {name = "k0_matmul"} : (tensor<128x768xf32>, tensor<768x768xf32>) -> tensor<128x768xf32> {
    ^bb0(%a: tensor<128x768xf32>, %b: tensor<768x768xf32>):
      %m = r1.matmul %a, %b : (tensor<128x768xf32>, tensor<768x768xf32>) -> tensor<128x768xf32>
      r1k.yield %m : tensor<128x768xf32>
    }
    return %y : tensor<128x768xf32>
  }
}

// -----

// An AVX2 target: 16 ymm registers of 8 floats, so blocks are smaller, and
// the variant is keyed by that CPU. B is an activation: never packed at
// compile time.
// CHECK-LABEL: func @attention_scores_avx2
// CHECK: variants = {"host-x86-64-v3" = #r1k.host_gemm<mr = {{[0-9]+}}, nr = {{(8|16|24|32)}}, vector = 8, {{.*}}pack_b = {{(none|run_time)}}{{(, m_inner = true)?}}>}
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v3",
    features = ["avx2", "fma"], vector_bits = 256, vector_registers = 16,
    l1_bytes = 32768, l2_bytes = 1048576, l3_bytes = 33554432, cores = 8, fma_per_cycle = 2>]} {
  func.func @attention_scores_avx2(%q: tensor<12x128x64xf32>, %k: tensor<12x64x128xf32>) -> tensor<12x128x128xf32> {
    %s = r1.matmul %q, %k : (tensor<12x128x64xf32>, tensor<12x64x128xf32>) -> tensor<12x128x128xf32>
    return %s : tensor<12x128x128xf32>
  }
}

// -----

// 16-bit floats sum in f32 and round once: one K step over all of K.
// CHECK-LABEL: func @float16_one_k_step
// CHECK: #r1k.host_gemm<{{.*}}kc = 2000,
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @float16_one_k_step(%x: tensor<64x2000xf16>, %w: tensor<2000x256xf16>) -> tensor<64x256xf16> {
    %y = r1.matmul %x, %w : (tensor<64x2000xf16>, tensor<2000x256xf16>) -> tensor<64x256xf16>
    return %y : tensor<64x256xf16>
  }
}

// -----

// A 3x3 convolution is an implicit GEMM whose B (the im2col matrix) is
// gathered per task; a pointwise one may read the image in place; a
// depthwise one (one filter per group) runs the direct depthwise kernel,
// four vectors of a 56-column row a step. A depthwise float16 one keeps
// its reference loop nest.
// CHECK-LABEL: func @convolutions
// CHECK: r1k.kernel "conv"{{.*}}variants = {{.*}}pack_b = run_time{{(, m_inner = true)?}}>
// CHECK: r1k.kernel "conv"{{.*}}variants = {{.*}}pack_b = {{(none|run_time)}}{{(, m_inner = true)?}}>
// CHECK: r1k.kernel "conv"{{.*}}name = "k2_conv", variants = {"host-x86-64-v4" = #r1k.host_depthwise_conv<vector = 16, vectors = 4>}
// CHECK: r1k.kernel "conv"
// CHECK-NOT: variants
// CHECK-SAME: {name = "k3_conv"}
// LOG: kernel k2_conv on host (x86-64-v4): depthwise conv, one candidate
// LOG-NEXT: chosen #r1k.host_depthwise_conv<vector = 16, vectors = 4>

module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @convolutions(%x: tensor<1x64x56x56xf32>, %w3: tensor<64x64x3x3xf32>, %w1: tensor<64x64x1x1xf32>, %wd: tensor<64x1x3x3xf32>, %h: tensor<1x8x9x9xf16>, %wh: tensor<8x1x3x3xf16>) -> (tensor<1x64x56x56xf32>, tensor<1x8x9x9xf16>) {
    %a = r1.conv %x, %w3 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
    %b = r1.conv %a, %w1 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x56x56xf32>
    %c = r1.conv %b, %wd {dilations = array<i64: 1, 1>, group = 64 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x1x3x3xf32>) -> tensor<1x64x56x56xf32>
    %d = r1.conv %h, %wh {dilations = array<i64: 1, 1>, group = 8 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x9x9xf16>, tensor<8x1x3x3xf16>) -> tensor<1x8x9x9xf16>
    return %c, %d : tensor<1x64x56x56xf32>, tensor<1x8x9x9xf16>
  }
}

// -----

// A deep 3x3 convolution on a small image: eight M blocks (for eight
// cores) would each gather the same im2col panels, so B is gathered once
// per call into scratch instead, which the log says.
// CHECK-LABEL: func @deep_convolution
// CHECK: r1k.kernel "conv"{{.*}}variants = {{.*}}pack_b = per_call{{(, m_inner = true)?}}>
// LOG: kernel k0_conv on host (x86-64-v4): conv 1 x 512x4608x49
// LOG-NEXT: chosen {{.*}}pack_b=per_call {{.*}}packs B once per call (1152 KiB)
// LOG: pack_b=run_time {{.*}}packs B per task (gathered)

module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 8, fma_per_cycle = 2>]} {
  func.func @deep_convolution(%x: tensor<1x512x7x7xf32>, %w: tensor<512x512x3x3xf32>) -> tensor<1x512x7x7xf32> {
    %a = r1.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x512x7x7xf32>, tensor<512x512x3x3xf32>) -> tensor<1x512x7x7xf32>
    return %a : tensor<1x512x7x7xf32>
  }
}

// -----

// Task order: a weight B larger than A, split into several M blocks, is
// read once if consecutive tasks walk the M blocks of one N block
// (m_inner); a small B next to a large A keeps N blocks fastest.
// CHECK-LABEL: func @task_order
// CHECK: r1k.kernel "matmul"{{.*}}name = "k0_matmul"{{.*}}pack_b = compile_time, m_inner = true>
// CHECK: r1k.kernel "matmul"{{.*}}name = "k1_matmul"
// CHECK-NOT: m_inner
// CHECK-SAME: -> tensor<4096x16xf32>

module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 8, fma_per_cycle = 2>]} {
  func.func @task_order(%x: tensor<197x768xf32>, %y: tensor<4096x256xf32>, %v: tensor<256x16xf32>) -> (tensor<197x3072xf32>, tensor<4096x16xf32>) {
    %w = r1.constant dense<0.5> : tensor<768x3072xf32>
    %a = r1k.kernel "matmul"(%x, %w) {name = "k0_matmul"} : (tensor<197x768xf32>, tensor<768x3072xf32>) -> tensor<197x3072xf32> {
    ^bb0(%i: tensor<197x768xf32>, %j: tensor<768x3072xf32>):
      %m = r1.matmul %i, %j : (tensor<197x768xf32>, tensor<768x3072xf32>) -> tensor<197x3072xf32>
      r1k.yield %m : tensor<197x3072xf32>
    }
    %b = r1.matmul %y, %v : (tensor<4096x256xf32>, tensor<256x16xf32>) -> tensor<4096x16xf32>
    return %a, %b : tensor<197x3072xf32>, tensor<4096x16xf32>
  }
}

// -----

// Without targets nothing is decided.
// CHECK-LABEL: func @no_targets
// CHECK-NOT: variants
func.func @no_targets(%x: tensor<16x16xf32>, %w: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %y = r1.matmul %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// A splat weight is copied into the kernel, which the template cannot
// address as an input: the reference loop nest stays.
// CHECK-LABEL: func @splat_weight
// CHECK-NOT: variants
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v3",
    features = ["avx2", "fma"], vector_bits = 256, vector_registers = 16,
    l1_bytes = 32768, l2_bytes = 1048576, l3_bytes = 33554432, cores = 8, fma_per_cycle = 2>]} {
  func.func @splat_weight(%x: tensor<32x64xf32>) -> tensor<32x64xf32> {
    %w = r1.constant dense<0.5> : tensor<64x64xf32>
    %y = r1.matmul %x, %w : (tensor<32x64xf32>, tensor<64x64xf32>) -> tensor<32x64xf32>
    return %y : tensor<32x64xf32>
  }
}
