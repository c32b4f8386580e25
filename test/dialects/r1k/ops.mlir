// RUN: r1c-opt %s | r1c-opt | FileCheck %s

// CHECK-LABEL: func @kernel
func.func @kernel(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  // CHECK: r1k.kernel "elementwise"(%{{.*}}, %{{.*}}) {name = "k0_elementwise"} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  // CHECK: r1k.yield %{{.*}} : tensor<?x8xf32>
  %0 = r1k.kernel "elementwise"(%x, %b) {name = "k0_elementwise"} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %1 = r1.add %a, %c : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
    r1k.yield %1 : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// Targets and variants print as they parse.
// CHECK-LABEL: module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4", features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32, l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>, #r1k.target<name = "sm_90", compute_units = 132, warp_size = 32, shared_per_block = 232448, shared_per_unit = 233472, registers_per_unit = 65536, matrix_ops = ["mma.f16", "mma.bf16"]>]}
module attributes {r1k.targets = [
    #r1k.target<name = "host", cpu = "x86-64-v4", features = ["avx2", "fma", "avx512f"],
                vector_bits = 512, vector_registers = 32, l1_bytes = 49152, l2_bytes = 1048576,
                l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>,
    #r1k.target<name = "sm_90", compute_units = 132, warp_size = 32, shared_per_block = 232448,
                shared_per_unit = 233472, registers_per_unit = 65536,
                matrix_ops = ["mma.f16", "mma.bf16"]>]} {
  // CHECK-LABEL: func @variant
  // CHECK: variants = {"host-x86-64-v4" = #r1k.host_gemm<mr = 14, nr = 32, vector = 16, kc = 256, mc = 112, nc = 512, pack_b = compile_time>}
  func.func @variant(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    %0 = r1k.kernel "matmul"(%x, %w) {name = "k0_matmul", variants = {"host-x86-64-v4" = #r1k.host_gemm<mr = 14, nr = 32, vector = 16, kc = 256, mc = 112, nc = 512, pack_b = compile_time>}} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
      %1 = r1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      r1k.yield %1 : tensor<4x8xf32>
    }
    return %0 : tensor<4x8xf32>
  }
  // Per-call packing into scratch, task order, and a depthwise variant.
  // CHECK-LABEL: func @more_variants
  // CHECK: #r1k.host_gemm<mr = 8, nr = 32, vector = 16, kc = 512, mc = 64, nc = 64, pack_b = per_call, m_inner = true>
  // CHECK: #r1k.host_depthwise_conv<vector = 16, vectors = 4>
  func.func @more_variants(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %i: tensor<1x4x8x8xf32>, %f: tensor<4x1x3x3xf32>) -> (tensor<4x8xf32>, tensor<1x4x8x8xf32>) {
    %0 = r1k.kernel "matmul"(%x, %w) {name = "k0_matmul", variants = {"host-x86-64-v4" = #r1k.host_gemm<mr = 8, nr = 32, vector = 16, kc = 512, mc = 64, nc = 64, pack_b = per_call, m_inner = true>}} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
      %1 = r1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      r1k.yield %1 : tensor<4x8xf32>
    }
    %2 = r1k.kernel "conv"(%i, %f) {name = "k1_conv", variants = {"host-x86-64-v4" = #r1k.host_depthwise_conv<vector = 16, vectors = 4>}} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32> {
    ^bb0(%a: tensor<1x4x8x8xf32>, %b: tensor<4x1x3x3xf32>):
      %3 = r1.conv %a, %b {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
      r1k.yield %3 : tensor<1x4x8x8xf32>
    }
    return %0, %2 : tensor<4x8xf32>, tensor<1x4x8x8xf32>
  }
  // GPU GEMMs: a matrix instruction's warp tiles, FFMA's thread tiles.
  // CHECK-LABEL: func @gpu_variants
  // CHECK: variants = {gfx90a = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 1>, sm_90 = #r1k.gpu_gemm<instruction = ffma_wide, threads = 256, block_m = 128, block_n = 128, block_k = 8, thread_m = 8, thread_n = 8, stages = 1>}
  // CHECK: variants = {sm_90 = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4, stages = 1>}
  func.func @gpu_variants(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    %0 = r1k.kernel "matmul"(%x, %w) {name = "k0_matmul", variants = {sm_90 = #r1k.gpu_gemm<instruction = ffma_wide, threads = 256, block_m = 128, block_n = 128, block_k = 8, thread_m = 8, thread_n = 8, stages = 1>, gfx90a = #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 1>}} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
      %1 = r1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      r1k.yield %1 : tensor<4x8xf32>
    }
    %2 = r1k.kernel "matmul"(%x, %w) {name = "k1_matmul", variants = {sm_90 = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4, stages = 1>}} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
      %3 = r1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      r1k.yield %3 : tensor<4x8xf32>
    }
    return %0, %2 : tensor<4x8xf32>, tensor<4x8xf32>
  }

}
