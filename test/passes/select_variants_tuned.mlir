// RUN: r1c-opt %s -split-input-file -r1c-select-variants=tuning-db=%S/Inputs/tuning.db | FileCheck %s
// RUN: r1c-opt %s -split-input-file '-r1c-select-variants=tuning-db=%S/Inputs/tuning.db variant-log=-' -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOG
// RUN: not r1c-opt %s -r1c-select-variants=tuning-db=%S/Inputs/tuning_bad.db -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// The database's measured variant for this problem wins over the model's.
// CHECK-LABEL: func @measured
// CHECK: #r1k.host_gemm<mr = 7, nr = 32, vector = 16, kc = 768, mc = 63, nc = 768, pack_b = compile_time{{(, m_inner = true)?}}>
// LOG: kernel k0 on host (x86-64-v4): matmul 1 x 128x768x768, {{[0-9]+}} candidates, chosen by measurement (tuning database)
// LOG: chosen mr=7 nr=32 kc=768 mc=63 nc=768 pack_b=compile_time
// BAD: tuning_bad.db:1: not a tuning record
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @measured(%x: tensor<128x768xf32>) -> tensor<128x768xf32> {
    %w = r1.constant dense<0.5> : tensor<768x768xf32>
    %y = r1k.kernel "matmul"(%x, %w) {name = "k0"} : (tensor<128x768xf32>, tensor<768x768xf32>) -> tensor<128x768xf32> {
    ^bb0(%a: tensor<128x768xf32>, %b: tensor<768x768xf32>):
      %m = r1.matmul %a, %b : (tensor<128x768xf32>, tensor<768x768xf32>) -> tensor<128x768xf32>
      r1k.yield %m : tensor<128x768xf32>
    }
    return %y : tensor<128x768xf32>
  }
}

// -----

// A record the target could not run (40 rows of accumulators do not fit 32
// registers) is not a candidate: the model's choice stays.
// CHECK-LABEL: func @illegal_record
// CHECK-NOT: mr = 40
// CHECK: #r1k.host_gemm
module attributes {r1k.targets = [#r1k.target<name = "host", cpu = "x86-64-v4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512, vector_registers = 32,
    l1_bytes = 49152, l2_bytes = 1048576, l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>]} {
  func.func @illegal_record(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>) -> tensor<64x64xf32> {
    %y = r1k.kernel "matmul"(%x, %w) {name = "k0"} : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> {
    ^bb0(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>):
      %m = r1.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
      r1k.yield %m : tensor<64x64xf32>
    }
    return %y : tensor<64x64xf32>
  }
}
