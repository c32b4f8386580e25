// RUN: r1c-opt %s -r1c-select-attention-gate="policy=gated:block=64,keep=0.25,window=1,global=1" -split-input-file | r1c-opt -split-input-file | FileCheck %s
// RUN: r1c-opt %s -r1c-select-attention-gate="policy=gated:keep=0.5,threshold=0" -split-input-file | FileCheck %s --check-prefix=KEEP
// RUN: r1c-opt %s -r1c-select-attention-gate -split-input-file | FileCheck %s --check-prefix=DENSE
// RUN: not r1c-opt %s -r1c-select-attention-gate="policy=gated:keep=1.5" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not r1c-opt %s -r1c-select-attention-gate="policy=gated:threshold=1" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD-THRESHOLD
// RUN: not r1c-opt %s -r1c-select-attention-gate="policy=gated:stride=2" -split-input-file 2>&1 | FileCheck %s --check-prefix=FIELD

// The gate goes on attentions with more key blocks than it keeps; blocks
// left out are estimated (rest = mean) unless the mask differs between
// queries, which also leaves no threshold (it reads the estimates); the
// threshold defaults to 0.05 and is printed only when set; dense, the
// default, changes nothing. The first run also parses what it printed.

// CHECK-LABEL: func @long_padding_mask
// CHECK: r1.attention {{.*}}gate = #r1.attention_gate<block = 64, keep = 2.500000e-01, threshold = 5.000000e-02, window = 1, global = 1, rest = mean>
// KEEP-LABEL: func @long_padding_mask
// KEEP: gate = #r1.attention_gate<block = 64, keep = 5.000000e-01, window = 1, global = 1, rest = mean>
// DENSE-LABEL: func @long_padding_mask
// DENSE-NOT: gate
// BAD: gate keep 1.500000e+00 is not in (0, 1]
// BAD-THRESHOLD: gate threshold 1.000000e+00 is not in [0, 1)
// FIELD: unknown field 'stride' (expected block, keep, threshold, window, global or rest)
func.func @long_padding_mask(%q: tensor<1x2x1024x32xf32>, %k: tensor<1x2x1024x32xf32>, %v: tensor<1x2x1024x32xf32>, %keep: tensor<1x1x1x1024xi1>) -> tensor<1x2x1024x32xf32> {
  %o = r1.attention %q, %k, %v, %keep {causal = false, masked_score = 0xFFF0000000000000 : f64, scale = 0.17677669529663687 : f64, sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = false} : (tensor<1x2x1024x32xf32>, tensor<1x2x1024x32xf32>, tensor<1x2x1024x32xf32>, tensor<1x1x1x1024xi1>) -> tensor<1x2x1024x32xf32>
  return %o : tensor<1x2x1024x32xf32>
}

// -----

// CHECK-LABEL: func @per_query_mask
// CHECK: r1.attention {{.*}}gate = #r1.attention_gate<block = 64, keep = 2.500000e-01, window = 1, global = 1, rest = drop>
func.func @per_query_mask(%q: tensor<1x2x1024x32xf32>, %k: tensor<1x2x1024x32xf32>, %v: tensor<1x2x1024x32xf32>, %bias: tensor<1x2x1024x1024xf32>) -> tensor<1x2x1024x32xf32> {
  %o = r1.attention %q, %k, %v, %bias {causal = false, masked_score = 0xFFF0000000000000 : f64, scale = 0.17677669529663687 : f64, sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = false} : (tensor<1x2x1024x32xf32>, tensor<1x2x1024x32xf32>, tensor<1x2x1024x32xf32>, tensor<1x2x1024x1024xf32>) -> tensor<1x2x1024x32xf32>
  return %o : tensor<1x2x1024x32xf32>
}

// -----

// Two key blocks, both the own block or its neighbour for every query
// block: nothing to skip, so dense.
// CHECK-LABEL: func @short
// CHECK-NOT: gate
func.func @short(%q: tensor<1x2x128x32xf32>, %k: tensor<1x2x128x32xf32>, %v: tensor<1x2x128x32xf32>) -> tensor<1x2x128x32xf32> {
  %o = r1.attention %q, %k, %v {causal = false, masked_score = 0xFFF0000000000000 : f64, scale = 0.17677669529663687 : f64, sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = false} : (tensor<1x2x128x32xf32>, tensor<1x2x128x32xf32>, tensor<1x2x128x32xf32>) -> tensor<1x2x128x32xf32>
  return %o : tensor<1x2x128x32xf32>
}
