// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants | r1c-opt -split-input-file | FileCheck %s
// RUN: r1c-opt %s -split-input-file -r1c-form-kernels -r1c-select-variants=variant-log=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG

// Fused attention gets a #r1k.gpu_attention per GPU target; the second RUN
// line checks that the variants print as they parse. The targets are fake:
// 100 compute units, an NVIDIA one with 99 KB of shared memory a block and
// an AMD one with 64 KB.

// f16 on mma.sync: warps of 16 query rows, the most (8, 4, 2) whose grid
// gives every compute unit a block: 16 heads of 2048 rows take 8 (256
// blocks), 2 heads of 200 rows none, so 2 (14 blocks). Keys in tiles of
// 64 through 2 stages, except where those do not fit the shared memory
// (head dim 128 in 128-row blocks: 104448 bytes), which takes 32. On MFMA
// waves of 32 rows, the most of 4, 2 and 1 whose grid fills the units, key
// tiles of 64, one buffer. f32 runs FMA: 4 warps of 8 rows, a key a lane.
// CHECK-LABEL: func @tiles
// CHECK: name = "k0_attention", variants = {fake_cdna = #r1k.gpu_attention<query_block = 128, key_block = 64, warps = 4, matrix = true, stages = 1>, fake_sm = #r1k.gpu_attention<query_block = 128, key_block = 32, warps = 8, matrix = true, stages = 2>}
// CHECK: name = "k1_attention", variants = {fake_cdna = #r1k.gpu_attention<query_block = 32, key_block = 64, warps = 1, matrix = true, stages = 1>, fake_sm = #r1k.gpu_attention<query_block = 32, key_block = 64, warps = 2, matrix = true, stages = 2>}
// CHECK: name = "k2_attention", variants = {fake_cdna = #r1k.gpu_attention<query_block = 32, key_block = 64, warps = 4, matrix = false, stages = 1>, fake_sm = #r1k.gpu_attention<query_block = 32, key_block = 32, warps = 4, matrix = false, stages = 1>}
// LOG: kernel k0_attention on fake_sm: attention 1 x 16 heads (16 kv), 2048 x 2048 x 128 f16, chosen #r1k.gpu_attention<{{.*}}>  (mma.sync: 128-row blocks make 256 blocks for 100 compute units, 69632 bytes of shared memory)
// LOG-NEXT: kernel k1_attention on fake_sm: attention 1 x 2 heads (2 kv), 200 x 200 x 64 f16, chosen #r1k.gpu_attention<{{.*}}>  (mma.sync: 32-row blocks make 14 blocks for 100 compute units, 41472 bytes of shared memory)
// LOG-NEXT: kernel k2_attention on fake_sm: attention 1 x 2 heads (2 kv), 200 x 200 x 64 f32, chosen #r1k.gpu_attention<{{.*}}>  (FMA: 4 warps of 8 rows, 20608 bytes of shared memory)
// LOG-NEXT: kernel k0_attention on fake_cdna: {{.*}}  (MFMA: 128-row blocks make 256 blocks for 100 compute units, 35840 bytes of shared memory)
// LOG-NEXT: kernel k1_attention on fake_cdna: {{.*}}  (MFMA: 32-row blocks make 14 blocks for 100 compute units, 18432 bytes of shared memory)
module attributes {r1k.targets = [
    #r1k.target<name = "fake_sm", compute_units = 100, warp_size = 32, shared_per_block = 101376,
                matrix_ops = ["mma.f16", "mma.bf16"]>,
    #r1k.target<name = "fake_cdna", compute_units = 100, warp_size = 64, shared_per_block = 65536,
                matrix_ops = ["mfma.f16", "mfma.bf16"]>]} {
  func.func @tiles(%q: tensor<1x16x2048x128xf16>, %k: tensor<1x16x2048x128xf16>,
                   %v: tensor<1x16x2048x128xf16>, %a: tensor<1x2x200x64xf16>,
                   %b: tensor<1x2x200x64xf16>, %c: tensor<1x2x200x64xf16>,
                   %x: tensor<1x2x200x64xf32>, %y: tensor<1x2x200x64xf32>,
                   %z: tensor<1x2x200x64xf32>)
      -> (tensor<1x16x2048x128xf16>, tensor<1x2x200x64xf16>, tensor<1x2x200x64xf32>) {
    %0 = r1.attention %q, %k, %v {causal = true, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false}
        : (tensor<1x16x2048x128xf16>, tensor<1x16x2048x128xf16>, tensor<1x16x2048x128xf16>)
        -> tensor<1x16x2048x128xf16>
    %1 = r1.attention %a, %b, %c {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false}
        : (tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16>)
        -> tensor<1x2x200x64xf16>
    %2 = r1.attention %x, %y, %z {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false}
        : (tensor<1x2x200x64xf32>, tensor<1x2x200x64xf32>, tensor<1x2x200x64xf32>)
        -> tensor<1x2x200x64xf32>
    return %0, %1, %2 : tensor<1x16x2048x128xf16>, tensor<1x2x200x64xf16>, tensor<1x2x200x64xf32>
  }
}

// -----

// A gate's block is the query block: 48 rows are 3 warps on mma.sync, with
// key tiles of 16 (the largest of 64, 32 and 16 that divides it), and, not
// being whole waves of 32, 6 warps of 8 rows of FMA on AMD; 64 rows are 2
// MFMA waves. A gate of 256 rows is more than a block holds: no variant,
// and the log says why.
// CHECK-LABEL: func @gates
// CHECK: name = "k0_attention", variants = {fake_cdna = #r1k.gpu_attention<query_block = 48, key_block = 64, warps = 6, matrix = false, stages = 1>, fake_sm = #r1k.gpu_attention<query_block = 48, key_block = 16, warps = 3, matrix = true, stages = 2>}
// CHECK: name = "k1_attention"
// CHECK-NOT: variants
// CHECK-SAME: -> tensor<1x2x512x64xf16>
// CHECK: name = "k2_attention", variants = {fake_cdna = #r1k.gpu_attention<query_block = 64, key_block = 64, warps = 2, matrix = true, stages = 1>, fake_sm = #r1k.gpu_attention<query_block = 64, key_block = 64, warps = 4, matrix = true, stages = 2>}
// LOG: kernel k0_attention on fake_sm: {{.*}}  (mma.sync: the gate's blocks of 48 rows, {{[0-9]+}} bytes of shared memory)
// LOG-NEXT: kernel k1_attention on fake_sm: attention 1 x 2 heads (2 kv), 512 x 512 x 64 f16, no variant  (a gate's block of 256 rows is more than one block of threads holds (128))
module attributes {r1k.targets = [
    #r1k.target<name = "fake_sm", compute_units = 100, warp_size = 32, shared_per_block = 101376,
                matrix_ops = ["mma.f16", "mma.bf16"]>,
    #r1k.target<name = "fake_cdna", compute_units = 100, warp_size = 64, shared_per_block = 65536,
                matrix_ops = ["mfma.f16", "mfma.bf16"]>]} {
  func.func @gates(%q: tensor<1x2x512x64xf16>, %k: tensor<1x2x512x64xf16>,
                   %v: tensor<1x2x512x64xf16>)
      -> (tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>) {
    %0 = r1.attention %q, %k, %v {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false, gate = #r1.attention_gate<block = 48, keep = 0.25, window = 1, global = 1, rest = drop>}
        : (tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>)
        -> tensor<1x2x512x64xf16>
    %1 = r1.attention %q, %k, %v {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false, gate = #r1.attention_gate<block = 256, keep = 0.25, window = 1, global = 1, rest = drop>}
        : (tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>)
        -> tensor<1x2x512x64xf16>
    %2 = r1.attention %q, %k, %v {causal = true, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false, gate = #r1.attention_gate<block = 64, keep = 0.5, window = 0, global = 1, rest = mean>}
        : (tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>)
        -> tensor<1x2x512x64xf16>
    return %0, %1, %2 : tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>, tensor<1x2x512x64xf16>
  }
}
