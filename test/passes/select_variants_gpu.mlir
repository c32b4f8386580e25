// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | r1c-opt -split-input-file | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=variant-log=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG

// GPU matmuls and convolutions get a #r1k.gpu_gemm per GPU target, keyed
// by its name; the second RUN line checks that the variants print as they
// parse. Each target here is a fake one: 100 compute units.

// f32 without a matrix instruction runs FFMA. A large product takes the
// 128 x 128 tiles when their grid (16 x 16 blocks) fills the 100 units; a
// medium one, whose 4 blocks of those would not, starts from 64 x 64 tiles
// and halves them, the larger side first, until the grid fills the units
// (32 x 16: 8 x 16 blocks); a product of 8 rows shrinks to the smallest
// tile, 16 x 16, without filling them.
// CHECK-LABEL: func @ffma_tiles
// CHECK: name = "k0_matmul", variants = {fake_sm = #r1k.gpu_gemm<instruction = ffma_wide, threads = 256, block_m = 128, block_n = 128, block_k = 8, thread_m = 8, thread_n = 8, stages = 1>}
// CHECK: name = "k1_matmul", variants = {fake_sm = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 32, block_n = 16, block_k = 16, thread_m = 2, thread_n = 1, stages = 1>}
// CHECK: name = "k2_matmul", variants = {fake_sm = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 16, block_n = 16, block_k = 16, thread_m = 1, thread_n = 1, stages = 1>}
// LOG: kernel k0_matmul on fake_sm: matmul 1 x 2048x64x2048 f32, chosen #r1k.gpu_gemm<instruction = ffma_wide, {{.*}}>  (128x128 tiles make 256 blocks for 100 compute units)
// LOG-NEXT: kernel k1_matmul on fake_sm: matmul 1 x 256x64x256 f32, chosen #r1k.gpu_gemm<instruction = ffma, {{.*}}>  (128x128 tiles would make only 4 blocks; 64x64 tiles shrunk to 32x16 make 128 blocks for 100 compute units)
// LOG-NEXT: kernel k2_matmul on fake_sm: matmul 1 x 8x96x768 f32, chosen #r1k.gpu_gemm<instruction = ffma, {{.*}}>  (16x64 tiles shrunk to 16x16 make 48 blocks for 100 compute units)
module attributes {r1k.targets = [#r1k.target<name = "fake_sm", compute_units = 100,
    warp_size = 32, shared_per_block = 49152, shared_per_unit = 65536,
    registers_per_unit = 65536, matrix_ops = ["mma.f16", "mma.bf16"]>]} {
  func.func @ffma_tiles(%a: tensor<2048x64xf32>, %b: tensor<64x2048xf32>, %c: tensor<256x64xf32>,
                        %d: tensor<64x256xf32>, %e: tensor<8x96xf32>, %f: tensor<96x768xf32>)
      -> (tensor<2048x2048xf32>, tensor<256x256xf32>, tensor<8x768xf32>) {
    %0 = r1.matmul %a, %b : (tensor<2048x64xf32>, tensor<64x2048xf32>) -> tensor<2048x2048xf32>
    %1 = r1.matmul %c, %d : (tensor<256x64xf32>, tensor<64x256xf32>) -> tensor<256x256xf32>
    %2 = r1.matmul %e, %f : (tensor<8x96xf32>, tensor<96x768xf32>) -> tensor<8x768xf32>
    return %0, %1, %2 : tensor<2048x2048xf32>, tensor<256x256xf32>, tensor<8x768xf32>
  }
}

// -----

// 16-bit floats take the target's matrix instruction, whatever the size;
// with no shared memory per block given, mma.sync takes the one-stage
// template: 2 x 2 warps of 32 x 32 over 64 x 64 tiles, so 128 threads with
// warps of 32 and 256 with wavefronts of 64 (MFMA, whose tiles are checked
// below). Both targets' entries sit side
// by side. f32 stays FFMA unless the target lists TF32 (`mma.tf32`, r1c
// --tf32). A batch of A against one B is one GEMM of their rows (4 x 16
// rows: 64).
// CHECK-LABEL: func @matrix_instructions
// CHECK: name = "k0_matmul", variants = {fake_cdna = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 64, block_n = 64, block_k = 64, warp_m = 32, warp_n = 32, stages = 2>, fake_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 1>}
// CHECK: name = "k1_matmul", variants = {fake_cdna = #r1k.gpu_gemm<instruction = ffma, {{.*}}>, fake_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, {{.*}}>}
// LOG: kernel k0_matmul on fake_sm: matmul 1 x 64x64x16 f16, chosen #r1k.gpu_gemm<instruction = mma, {{.*}}>  (mma.f16 for f16)
// LOG: kernel k1_matmul on fake_sm: matmul 1 x 64x64x64 f32, chosen #r1k.gpu_gemm<instruction = mma, {{.*}}>  (mma.tf32 for f32)
// LOG: kernel k0_matmul on fake_cdna: matmul 1 x 64x64x16 f16, chosen #r1k.gpu_gemm<instruction = mfma, {{.*}}>  (mfma.f16 for f16: 64x64 tiles make 1 blocks for 100 compute units)
module attributes {r1k.targets = [
    #r1k.target<name = "fake_sm", compute_units = 100, warp_size = 32,
                matrix_ops = ["mma.f16", "mma.bf16", "mma.tf32"]>,
    #r1k.target<name = "fake_cdna", compute_units = 100, warp_size = 64,
                matrix_ops = ["mfma.f16", "mfma.bf16"]>]} {
  func.func @matrix_instructions(%a: tensor<4x16x64xf16>, %b: tensor<64x16xf16>,
                                 %c: tensor<64x64xf32>, %d: tensor<64x64xf32>)
      -> (tensor<4x16x16xf16>, tensor<64x64xf32>) {
    %0 = r1.matmul %a, %b : (tensor<4x16x64xf16>, tensor<64x16xf16>) -> tensor<4x16x16xf16>
    %1 = r1.matmul %c, %d : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
    return %0, %1 : tensor<4x16x16xf16>, tensor<64x64xf32>
  }
}

// -----

// With the target's shared memory per block known, mma.sync on 16-bit
// floats takes the pipelined template (4 stages, K steps of 32): the
// largest tile whose grid fills the compute units, 128 x 128 (8 warps of
// 64 x 32, 64 KB of shared memory) for 1024 x 1280 (80 blocks for 80
// units); 64 x 128 when 128 x 128 leaves units idle; else 64 x 64, which
// makes the most blocks. A target with 48 KB per block cannot hold the
// 128 x 128 stages and takes 64 x 128. A grid that fills less than half the
// units has K split in slices of at least 8 steps, up to 8 of them: one
// 64 x 64 tile over K = 2048 (64 steps) becomes 8 blocks; over K = 256 (8
// steps) it stays whole.
// CHECK-LABEL: func @pipelined_tiles
// CHECK: name = "k0_matmul", variants = {big_sm = #r1k.gpu_gemm<instruction = mma, threads = 256, block_m = 128, block_n = 128, block_k = 32, warp_m = 64, warp_n = 32, stages = 4>, small_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 128, block_k = 32, warp_m = 32, warp_n = 64, stages = 4>}
// CHECK: name = "k1_matmul", variants = {big_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 128, block_k = 32, warp_m = 32, warp_n = 64, stages = 4>
// CHECK: name = "k2_matmul", variants = {big_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 4>,
// CHECK: name = "k3_matmul", variants = {big_sm = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 4, split_k = 8>
// LOG: kernel k0_matmul on big_sm: matmul 1 x 1024x256x1280 bf16, chosen #r1k.gpu_gemm<{{.*}}>  (mma.bf16 for bf16, 128x128 tiles make 80 blocks for 80 compute units)
// LOG: kernel k3_matmul on big_sm: matmul 1 x 64x2048x64 f16, chosen #r1k.gpu_gemm<{{.*}}>  (mma.f16 for f16, 64x64 tiles make 1 blocks for 80 compute units, K split in 8 slices: 8 blocks)
module attributes {r1k.targets = [
    #r1k.target<name = "big_sm", compute_units = 80, warp_size = 32, shared_per_block = 166912,
                matrix_ops = ["mma.f16", "mma.bf16"]>,
    #r1k.target<name = "small_sm", compute_units = 80, warp_size = 32, shared_per_block = 49152,
                matrix_ops = ["mma.f16", "mma.bf16"]>]} {
  func.func @pipelined_tiles(%a: tensor<1024x256xbf16>, %b: tensor<256x1280xbf16>,
                             %c: tensor<512x256xf16>, %d: tensor<256x1280xf16>,
                             %e: tensor<64x256xf16>, %f: tensor<256x64xf16>,
                             %g: tensor<64x2048xf16>, %h: tensor<2048x64xf16>)
      -> (tensor<1024x1280xbf16>, tensor<512x1280xf16>, tensor<64x64xf16>, tensor<64x64xf16>) {
    %0 = r1.matmul %a, %b : (tensor<1024x256xbf16>, tensor<256x1280xbf16>) -> tensor<1024x1280xbf16>
    %1 = r1.matmul %c, %d : (tensor<512x256xf16>, tensor<256x1280xf16>) -> tensor<512x1280xf16>
    %2 = r1.matmul %e, %f : (tensor<64x256xf16>, tensor<256x64xf16>) -> tensor<64x64xf16>
    %3 = r1.matmul %g, %h : (tensor<64x2048xf16>, tensor<2048x64xf16>) -> tensor<64x64xf16>
    return %0, %1, %2, %3 : tensor<1024x1280xbf16>, tensor<512x1280xf16>, tensor<64x64xf16>, tensor<64x64xf16>
  }
}

// -----

// A convolution is an implicit GEMM per group, N over (image, output
// position): 64 filters by 64 x 9 taps by 2 x 56 x 56 positions takes the
// 64 x 64 tiles, whose 98 blocks do not fill 100 units, halved once. A
// depthwise one (one input channel per group) runs as a direct window on
// GPUs and gets no GPU variant; on the host it has its own.
// CHECK-LABEL: func @convolutions
// CHECK: name = "k0_conv", variants = {fake_sm = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 64, block_n = 32, block_k = 16, thread_m = 4, thread_n = 2, stages = 1>, "host-x86-64-v4" = #r1k.host_gemm<
// CHECK: name = "k1_conv", variants = {"host-x86-64-v4" = #r1k.host_depthwise_conv<vector = 16, vectors = 4>}
// LOG: kernel k0_conv on fake_sm: conv 1 x 64x576x6272 f32, chosen #r1k.gpu_gemm<instruction = ffma, {{.*}}>  (64x64 tiles shrunk to 64x32 make 196 blocks for 100 compute units)
// LOG-NOT: k1_conv on fake_sm
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4", features = ["avx2", "fma", "avx512f"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152, l2_bytes = 1048576,
                l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>,
    #r1k.target<name = "fake_sm", compute_units = 100, warp_size = 32,
                matrix_ops = ["mma.f16", "mma.bf16"]>]} {
  func.func @convolutions(%x: tensor<2x64x56x56xf32>, %w: tensor<64x64x3x3xf32>,
                          %wd: tensor<64x1x3x3xf32>) -> tensor<2x64x56x56xf32> {
    %a = r1.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<2x64x56x56xf32>
    %b = r1.conv %a, %wd {dilations = array<i64: 1, 1>, group = 64 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x64x56x56xf32>, tensor<64x1x3x3xf32>) -> tensor<2x64x56x56xf32>
    return %b : tensor<2x64x56x56xf32>
  }
}

// -----

// MFMA tiles: 2 x 2 waves of 64 (256 threads), two shared buffers, warp
// tiles of whole 32 x 32 instructions. 128 x 128 where its grid keeps at
// least half the 100 compute units busy (k0: 256 blocks); otherwise 64
// columns first, in k steps of 64 (k1: 2 x 32 blocks); a side the product
// fills to at most 64 starts at 64 (k2: 32 rows, 64 x 128 tiles, 64 blocks).
// CHECK-LABEL: func @mfma_tiles
// CHECK: name = "k0_matmul", variants = {fake_cdna = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 128, block_n = 128, block_k = 32, warp_m = 64, warp_n = 64, stages = 2>}
// CHECK: name = "k1_matmul", variants = {fake_cdna = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 128, block_n = 64, block_k = 64, warp_m = 64, warp_n = 32, stages = 2>}
// CHECK: name = "k2_matmul", variants = {fake_cdna = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 64, block_n = 128, block_k = 32, warp_m = 32, warp_n = 64, stages = 2>}
// LOG: kernel k0_matmul on fake_cdna: matmul 1 x 2048x64x2048 f16, chosen #r1k.gpu_gemm<instruction = mfma, {{.*}}>  (mfma.f16 for f16: 128x128 tiles make 256 blocks for 100 compute units)
// LOG-NEXT: kernel k1_matmul on fake_cdna: matmul 1 x 256x64x2048 f16, chosen #r1k.gpu_gemm<instruction = mfma, {{.*}}>  (mfma.f16 for f16: 128x128 tiles would make only 32 blocks; 128x64 tiles make 64 blocks for 100 compute units)
// LOG-NEXT: kernel k2_matmul on fake_cdna: matmul 1 x 32x64x8192 f16, chosen #r1k.gpu_gemm<instruction = mfma, {{.*}}>  (mfma.f16 for f16: 64x128 tiles make 64 blocks for 100 compute units)
module attributes {r1k.targets = [
    #r1k.target<name = "fake_cdna", compute_units = 100, warp_size = 64,
                matrix_ops = ["mfma.f16", "mfma.bf16"]>]} {
  func.func @mfma_tiles(%a: tensor<2048x64xf16>, %b: tensor<64x2048xf16>, %c: tensor<256x64xf16>,
                        %d: tensor<32x64xf16>, %e: tensor<64x8192xf16>)
      -> (tensor<2048x2048xf16>, tensor<256x2048xf16>, tensor<32x8192xf16>) {
    %0 = r1.matmul %a, %b : (tensor<2048x64xf16>, tensor<64x2048xf16>) -> tensor<2048x2048xf16>
    %1 = r1.matmul %c, %b : (tensor<256x64xf16>, tensor<64x2048xf16>) -> tensor<256x2048xf16>
    %2 = r1.matmul %d, %e : (tensor<32x64xf16>, tensor<64x8192xf16>) -> tensor<32x8192xf16>
    return %0, %1, %2 : tensor<2048x2048xf16>, tensor<256x2048xf16>, tensor<32x8192xf16>
  }
}
