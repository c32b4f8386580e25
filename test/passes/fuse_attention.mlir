// RUN: r1c-opt %s -r1c-fuse-attention -split-input-file | FileCheck %s

// Attention as exporters write it becomes one r1.attention reading q, k and
// v where the projections wrote them; near misses stay as they are.

// BERT as the classic exporter writes it: K^T by one transpose, a division
// of the scores, a padding bias, the context transposed back.
// CHECK-LABEL: func @bert_padding_bias
// CHECK-SAME: (%[[Q:.*]]: tensor<1x16x32xf32>, %[[K:.*]]: tensor<1x16x32xf32>, %[[V:.*]]: tensor<1x16x32xf32>, %[[M:.*]]: tensor<1x1x1x16xf32>)
// CHECK-DAG: %[[QH:.*]] = r1.reshape %[[Q]]
// CHECK-DAG: %[[KH:.*]] = r1.reshape %[[K]]
// CHECK-DAG: %[[VH:.*]] = r1.reshape %[[V]]
// CHECK: %[[O:.*]] = r1.attention %[[QH]], %[[KH]], %[[VH]], %[[M]] {causal = false, masked_score = 0xFFF0000000000000 : f64, scale = 1.250000e-01 : f64, sequence_major = array<i1: true, true, true, true>, tiled_kv_heads = false} : (tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x1x1x16xf32>) -> tensor<1x16x4x8xf32>
// CHECK-NOT: r1.softmax
// CHECK-NOT: r1.transpose
// CHECK: r1.reshape %[[O]]
func.func @bert_padding_bias(%q: tensor<1x16x32xf32>, %k: tensor<1x16x32xf32>, %v: tensor<1x16x32xf32>, %m: tensor<1x1x1x16xf32>) -> tensor<1x16x32xf32> {
  %split = r1.constant dense<[0, 0, 4, 8]> : tensor<4xi64>
  %merge = r1.constant dense<[0, 0, 32]> : tensor<3xi64>
  %eight = r1.constant dense<8.0> : tensor<f32>
  %q4 = r1.reshape %q, %split {allowzero = false} : (tensor<1x16x32xf32>, tensor<4xi64>) -> tensor<1x16x4x8xf32>
  %k4 = r1.reshape %k, %split {allowzero = false} : (tensor<1x16x32xf32>, tensor<4xi64>) -> tensor<1x16x4x8xf32>
  %v4 = r1.reshape %v, %split {allowzero = false} : (tensor<1x16x32xf32>, tensor<4xi64>) -> tensor<1x16x4x8xf32>
  %qt = r1.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kt = r1.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x8x16xf32>
  %vt = r1.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %s = r1.matmul %qt, %kt : (tensor<1x4x16x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x16x16xf32>
  %sd = r1.div %s, %eight : (tensor<1x4x16x16xf32>, tensor<f32>) -> tensor<1x4x16x16xf32>
  %sm = r1.add %sd, %m : (tensor<1x4x16x16xf32>, tensor<1x1x1x16xf32>) -> tensor<1x4x16x16xf32>
  %p = r1.softmax %sm {axis = -1 : i64} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %c = r1.matmul %p, %vt : (tensor<1x4x16x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x16x8xf32>
  %ct = r1.transpose %c {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x16x8xf32>) -> tensor<1x16x4x8xf32>
  %o = r1.reshape %ct, %merge {allowzero = false} : (tensor<1x16x4x8xf32>, tensor<3xi64>) -> tensor<1x16x32xf32>
  return %o : tensor<1x16x32xf32>
}

// -----

// GPT-2: the scale split over q and k^T, a constant lower-triangular mask
// through where with f32's lowest value: causal.
// CHECK-LABEL: func @gpt2_causal_where
// CHECK: r1.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true, masked_score = -3.4028234663852886E+38 : f64, scale = 0.124999{{[0-9]*}} : f64, sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = false} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
// CHECK-NOT: r1.where
// CHECK-NOT: r1.softmax
func.func @gpt2_causal_where(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %half = r1.constant dense<0.353553385> : tensor<f32>
  %lowest = r1.constant dense<-3.40282347E+38> : tensor<f32>
  %tril = r1.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %qs = r1.mul %q, %half : (tensor<1x2x4x8xf32>, tensor<f32>) -> tensor<1x2x4x8xf32>
  %kt = r1.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<1x2x8x4xf32>
  %ks = r1.mul %kt, %half : (tensor<1x2x8x4xf32>, tensor<f32>) -> tensor<1x2x8x4xf32>
  %s = r1.matmul %qs, %ks : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %sm = r1.where %tril, %s, %lowest : (tensor<1x1x4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = r1.softmax %sm {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = r1.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %c : tensor<1x2x4x8xf32>
}

// -----

// The dynamo exporter: K^T through a rank-3 transpose between reshapes, a
// bias that only masks (where(keep, 0, lowest)), the NaN guard after the
// softmax. The keep mask is read directly, the bias never built.
// CHECK-LABEL: func @dynamo_masking_bias_nan_guard
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x2x8xf32>, %[[K:.*]]: tensor<1x4x2x8xf32>, %[[V:.*]]: tensor<1x4x2x8xf32>, %[[KEEP:.*]]: tensor<1x1x1x4xi1>)
// CHECK: %[[O:.*]] = r1.attention %[[Q]], %[[K]], %[[V]], %[[KEEP]] {causal = false, masked_score = -3.4028234663852886E+38 : f64, scale = 0.353553{{[0-9]*}} : f64, sequence_major = array<i1: true, true, true, true>, tiled_kv_heads = false}
// CHECK-NOT: r1.is_nan
// CHECK: return %[[O]]
func.func @dynamo_masking_bias_nan_guard(%q: tensor<1x4x2x8xf32>, %k: tensor<1x4x2x8xf32>, %v: tensor<1x4x2x8xf32>, %keep: tensor<1x1x1x4xi1>) -> tensor<1x4x2x8xf32> {
  %zero = r1.constant dense<0.0> : tensor<f32>
  %lowest = r1.constant dense<-3.40282347E+38> : tensor<f32>
  %scale = r1.constant dense<0.353553385> : tensor<1xf32>
  %flat = r1.constant dense<[2, 4, 8]> : tensor<3xi64>
  %back = r1.constant dense<[1, 2, 8, 4]> : tensor<4xi64>
  %bias = r1.where %keep, %zero, %lowest : (tensor<1x1x1x4xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x1x4xf32>
  %qt = r1.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  %kt = r1.transpose %k {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  %k3 = r1.reshape %kt, %flat {allowzero = false} : (tensor<1x2x4x8xf32>, tensor<3xi64>) -> tensor<2x4x8xf32>
  %k3t = r1.transpose %k3 {perm = array<i64: 0, 2, 1>} : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
  %k4 = r1.reshape %k3t, %back {allowzero = false} : (tensor<2x8x4xf32>, tensor<4xi64>) -> tensor<1x2x8x4xf32>
  %vt = r1.transpose %v {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  %s = r1.matmul %qt, %k4 : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %ss = r1.mul %s, %scale : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32>
  %sm = r1.add %ss, %bias : (tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %p = r1.softmax %sm {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %nan = r1.is_nan %p : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi1>
  %pg = r1.where %nan, %zero, %p : (tensor<1x2x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = r1.matmul %pg, %vt : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %ct = r1.transpose %c {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x8xf32>) -> tensor<1x4x2x8xf32>
  return %ct : tensor<1x4x2x8xf32>
}

// -----

// torchvision's ViT: heads of [s, h, d] moved to [h, s, d] in rank 3, a
// scale d^-1/4 computed from the head dim on q and on k^T, the context as
// [s, b, h, d].
// CHECK-LABEL: func @vit_rank3_computed_scale
// CHECK: r1.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = false, masked_score = 0xFFF0000000000000 : f64, scale = 0.353553{{[0-9]*}} : f64, sequence_major = array<i1: true, true, true, true>, tiled_kv_heads = false} : (tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>) -> tensor<1x5x2x8xf32>
// CHECK-NOT: r1.sqrt
// CHECK-NOT: r1.transpose
func.func @vit_rank3_computed_scale(%q: tensor<5x2x8xf32>, %k: tensor<5x2x8xf32>, %v: tensor<5x2x8xf32>) -> tensor<5x1x2x8xf32> {
  %dim = r1.constant dense<8> : tensor<1xi64>
  %one = r1.constant dense<1.0> : tensor<1xf32>
  %shape = r1.constant dense<[1, 2, 5, 8]> : tensor<4xi64>
  %df = r1.cast %dim {to = f32} : (tensor<1xi64>) -> tensor<1xf32>
  %root = r1.sqrt %df : (tensor<1xf32>) -> tensor<1xf32>
  %inv = r1.div %one, %root : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
  %half = r1.sqrt %inv : (tensor<1xf32>) -> tensor<1xf32>
  %qt = r1.transpose %q {perm = array<i64: 1, 0, 2>} : (tensor<5x2x8xf32>) -> tensor<2x5x8xf32>
  %kt = r1.transpose %k {perm = array<i64: 1, 0, 2>} : (tensor<5x2x8xf32>) -> tensor<2x5x8xf32>
  %vt = r1.transpose %v {perm = array<i64: 1, 0, 2>} : (tensor<5x2x8xf32>) -> tensor<2x5x8xf32>
  %q4 = r1.reshape %qt, %shape {allowzero = false} : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<1x2x5x8xf32>
  %k4 = r1.reshape %kt, %shape {allowzero = false} : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<1x2x5x8xf32>
  %v4 = r1.reshape %vt, %shape {allowzero = false} : (tensor<2x5x8xf32>, tensor<4xi64>) -> tensor<1x2x5x8xf32>
  %kT = r1.transpose %k4 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x5x8xf32>) -> tensor<1x2x8x5xf32>
  %qs = r1.mul %q4, %half : (tensor<1x2x5x8xf32>, tensor<1xf32>) -> tensor<1x2x5x8xf32>
  %ks = r1.mul %kT, %half : (tensor<1x2x8x5xf32>, tensor<1xf32>) -> tensor<1x2x8x5xf32>
  %s = r1.matmul %qs, %ks : (tensor<1x2x5x8xf32>, tensor<1x2x8x5xf32>) -> tensor<1x2x5x5xf32>
  %p = r1.softmax %s {axis = -1 : i64} : (tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32>
  %c = r1.matmul %p, %v4 : (tensor<1x2x5x5xf32>, tensor<1x2x5x8xf32>) -> tensor<1x2x5x8xf32>
  %ct = r1.transpose %c {perm = array<i64: 2, 0, 1, 3>} : (tensor<1x2x5x8xf32>) -> tensor<5x1x2x8xf32>
  return %ct : tensor<5x1x2x8xf32>
}

// -----

// Grouped queries, as PyTorch's repeat_kv writes them (h / g) and as
// ONNX's Attention tiles them (h mod n): the fused op reads the 2 kv heads.
// CHECK-LABEL: func @grouped_queries
// CHECK: r1.attention %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}tiled_kv_heads = false} : (tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x4x6x8xf32>
// CHECK: r1.attention %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}tiled_kv_heads = true} : (tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x4x6x8xf32>
// CHECK-NOT: r1.expand
// CHECK-NOT: r1.tile
func.func @grouped_queries(%q: tensor<1x4x6x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>) -> (tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>) {
  %to5 = r1.constant dense<[1, 2, 2, 6, 8]> : tensor<5xi64>
  %to4 = r1.constant dense<[1, 4, 6, 8]> : tensor<4xi64>
  %reps = r1.constant dense<[1, 2, 1, 1]> : tensor<4xi64>
  %ku = r1.unsqueeze %k {axes = array<i64: 2>} : (tensor<1x2x6x8xf32>) -> tensor<1x2x1x6x8xf32>
  %ke = r1.expand %ku, %to5 : (tensor<1x2x1x6x8xf32>, tensor<5xi64>) -> tensor<1x2x2x6x8xf32>
  %kr = r1.reshape %ke, %to4 {allowzero = false} : (tensor<1x2x2x6x8xf32>, tensor<4xi64>) -> tensor<1x4x6x8xf32>
  %vu = r1.unsqueeze %v {axes = array<i64: 2>} : (tensor<1x2x6x8xf32>) -> tensor<1x2x1x6x8xf32>
  %ve = r1.expand %vu, %to5 : (tensor<1x2x1x6x8xf32>, tensor<5xi64>) -> tensor<1x2x2x6x8xf32>
  %vr = r1.reshape %ve, %to4 {allowzero = false} : (tensor<1x2x2x6x8xf32>, tensor<4xi64>) -> tensor<1x4x6x8xf32>
  %kt = r1.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x6x8xf32>) -> tensor<1x4x8x6xf32>
  %s = r1.matmul %q, %kt : (tensor<1x4x6x8xf32>, tensor<1x4x8x6xf32>) -> tensor<1x4x6x6xf32>
  %p = r1.softmax %s {axis = -1 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %c = r1.matmul %p, %vr : (tensor<1x4x6x6xf32>, tensor<1x4x6x8xf32>) -> tensor<1x4x6x8xf32>
  %kt2 = r1.tile %k, %reps : (tensor<1x2x6x8xf32>, tensor<4xi64>) -> tensor<1x4x6x8xf32>
  %vt2 = r1.tile %v, %reps : (tensor<1x2x6x8xf32>, tensor<4xi64>) -> tensor<1x4x6x8xf32>
  %ktt = r1.transpose %kt2 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x6x8xf32>) -> tensor<1x4x8x6xf32>
  %s2 = r1.matmul %q, %ktt : (tensor<1x4x6x8xf32>, tensor<1x4x8x6xf32>) -> tensor<1x4x6x6xf32>
  %p2 = r1.softmax %s2 {axis = -1 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %c2 = r1.matmul %p2, %vt2 : (tensor<1x4x6x6xf32>, tensor<1x4x6x8xf32>) -> tensor<1x4x6x8xf32>
  return %c, %c2 : tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>
}

// -----

// A float16 model whose softmax runs in f32 between casts; k arrives as
// K^T with no transpose to look through, so one is made.
// CHECK-LABEL: func @f16_softmax_casts_materialized_key
// CHECK: %[[K:.*]] = r1.transpose %{{.*}} {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x8x4xf16>) -> tensor<1x2x4x8xf16>
// CHECK: r1.attention %{{.*}}, %[[K]], %{{.*}} {{.*}} : (tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>, tensor<1x2x4x8xf16>) -> tensor<1x2x4x8xf16>
// CHECK-NOT: r1.cast
func.func @f16_softmax_casts_materialized_key(%q: tensor<1x2x4x8xf16>, %kt: tensor<1x2x8x4xf16>, %v: tensor<1x2x4x8xf16>) -> tensor<1x2x4x8xf16> {
  %s = r1.matmul %q, %kt : (tensor<1x2x4x8xf16>, tensor<1x2x8x4xf16>) -> tensor<1x2x4x4xf16>
  %s32 = r1.cast %s {to = f32} : (tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf32>
  %p32 = r1.softmax %s32 {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = r1.cast %p32 {to = f16} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf16>
  %c = r1.matmul %p, %v : (tensor<1x2x4x4xf16>, tensor<1x2x4x8xf16>) -> tensor<1x2x4x8xf16>
  return %c : tensor<1x2x4x8xf16>
}

// -----

// Near misses stay unfused: a softmax over another axis, a mask that
// multiplies, scores that something else reads too.
// CHECK-LABEL: func @near_misses
// CHECK-NOT: r1.attention
// CHECK-COUNT-3: r1.softmax
func.func @near_misses(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %s = r1.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = r1.softmax %s {axis = 2 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = r1.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %s2 = r1.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %sm = r1.mul %s2, %m : (tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x4xf32>
  %p2 = r1.softmax %sm {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c2 = r1.matmul %p2, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %s3 = r1.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p3 = r1.softmax %s3 {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c3 = r1.matmul %p3, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %c, %c2, %c3, %s3 : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// ONNX's Attention, legalized: its causal mask is a bias of -inf where a
// constant says the key comes later, and its kv heads are tiled.
// CHECK-LABEL: func @onnx_attention_causal_tiled
// CHECK: r1.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true, masked_score = 0xFFF0000000000000 : f64, scale = 5.000000e-01 : f64, sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = true} : (tensor<1x2x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x2x3x4xf32>
// CHECK-NOT: r1.tile
func.func @onnx_attention_causal_tiled(%q: tensor<1x2x3x4xf32>, %k: tensor<1x1x3x4xf32>, %v: tensor<1x1x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %half = r1.constant dense<0.5> : tensor<f32>
  %ninf = r1.constant dense<0xFF800000> : tensor<f32>
  %zero = r1.constant dense<0.0> : tensor<f32>
  %later = r1.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %reps = r1.constant dense<[1, 2, 1, 1]> : tensor<4xi64>
  %kt = r1.tile %k, %reps : (tensor<1x1x3x4xf32>, tensor<4xi64>) -> tensor<1x2x3x4xf32>
  %vt = r1.tile %v, %reps : (tensor<1x1x3x4xf32>, tensor<4xi64>) -> tensor<1x2x3x4xf32>
  %qs = r1.mul %q, %half : (tensor<1x2x3x4xf32>, tensor<f32>) -> tensor<1x2x3x4xf32>
  %kT = r1.transpose %kt {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x2x4x3xf32>
  %s = r1.matmul %qs, %kT : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %bias = r1.where %later, %ninf, %zero : (tensor<3x3xi1>, tensor<f32>, tensor<f32>) -> tensor<3x3xf32>
  %sb = r1.add %s, %bias : (tensor<1x2x3x3xf32>, tensor<3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = r1.softmax %sb {axis = -1 : i64} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %c = r1.matmul %p, %vt : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %c : tensor<1x2x3x4xf32>
}
