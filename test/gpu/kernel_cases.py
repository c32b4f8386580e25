"""Small models for simulate_kernels.py, one or a few kernels each, chosen to
reach every GPU template and its variants: vectorized and broadcast
elementwise bodies, FFMA and matrix-instruction GEMMs (odd sizes, batch
broadcast, 1-D operands), implicit-GEMM and direct convolutions, pooling,
row / column / block reductions, softmax and layer norm per warp and per
block, cached and not, and every data-movement op. Tensors the kernels read
are graph inputs, or constants the graph computes (simulate_kernels.py reads
those from the artifact's weights); `ranges` bounds random inputs (integers:
[low, high); floats: uniform instead of normal)."""

import attention_cases  # noqa: E402  (beside this file, on simulate_kernels.py's path)
import mixed_precision_cases  # noqa: E402

HEADER = '<ir_version: 8, opset_import: ["" : {opset}]>\n'


def case(name, body, ranges=None, options=(), tf32_inputs=(), opset=17, onnx_reference=False,
         slow=False):
    """`options` go to r1c. `tf32_inputs` name inputs that the kernels
    round to TF32 (--tf32): the reference sees them rounded, and only
    targets with TF32 (sm_XX) run the case. `opset`: the model's, 17 unless
    an op needs a later one. `onnx_reference`: check against ONNX's reference
    implementation instead of ONNX Runtime, where the two differ or ONNX
    Runtime lacks a kernel. `slow`: a case whose grid must fill a whole GPU
    to get its variant (minutes on the CPU); run only when named or with
    simulate_kernels.py --slow, not by the test suite."""
    return {"name": name, "model": HEADER.format(opset=opset) + body, "ranges": ranges or {},
            "options": list(options), "tf32_inputs": list(tf32_inputs),
            "onnx_reference": onnx_reference, "slow": slow}


CASES = [
    # Elementwise.
    case("elementwise_vector", """
g (float[4, 64] x, float[4, 64] y, float[1] s) => (float[4, 64] z) {
  a = Mul (x, y)
  b = Add (a, s)
  z = Sigmoid (b)
}"""),
    case("elementwise_broadcast", """
g (float[2, 3, 5] x, float[3, 1] b, float[5] c) => (float[2, 3, 5] z) {
  m = Greater (x, b)
  p = Mul (x, c)
  n = Neg (x)
  w = Where (m, p, n)
  t = Tanh (w)
  e = Erf (t)
  a = Abs (e)
  z = Pow (a, c)
}""", {"c": (0.5, 2.0)}),
    case("elementwise_integers", """
g (int64[3, 7] x, int64[7] y) => (int64[3, 7] z, bool[3, 7] k) {
  a = Mul (x, y)
  b = Mod (a, y)
  c = Div (a, y)
  d = Sub (c, b)
  z = Abs (d)
  l = Less (b, c)
  q = Equal (x, y)
  o = Or (l, q)
  k = Not (o)
}""", {"x": (-20, 20), "y": (1, 6)}),
    case("elementwise_half", """
g (float16[6, 10] x, float16[10] y, float[6, 10] f) => (float16[6, 10] z, float[6, 10] w, float16[6, 10] h) {
  a = Add (x, y)
  b = Relu (a)
  z = Mul (b, x)
  w = Cast <to = 1> (x)
  h = Cast <to = 10> (f)
}"""),
    # 16-byte vectors of 16-bit elements: eight halves a load and a store,
    # and a boolean result of half inputs (eight bytes a store).
    case("elementwise_half_vectors", """
g (float16[4, 64] x, float16[4, 64] y) => (float16[4, 64] z, bool[4, 64] k) {
  s = Add (x, y)
  z = Tanh (s)
  l = Less (x, y)
  k = Not (l)
}"""),
    # Contractions.
    case("matmul_bias_relu", """
g (float[3, 5, 40] x, float[40, 33] w, float[33] b) => (float[3, 5, 33] y) {
  m = MatMul (x, w)
  a = Add (m, b)
  y = Relu (a)
}"""),
    case("matmul_row", """
g (float[1, 70] x, float[70, 19] w) => (float[1, 19] y) {
  y = MatMul (x, w)
}"""),
    case("matmul_batch_broadcast", """
g (float[2, 1, 7, 9] x, float[3, 9, 11] w) => (float[2, 3, 7, 11] y) {
  y = MatMul (x, w)
}"""),
    case("matmul_vectors", """
g (float[9] v, float[2, 9, 5] w, float[4, 9] x) => (float[2, 5] y, float[4] z) {
  y = MatMul (v, w)
  z = MatMul (x, v)
}"""),
    case("matmul_large", """
g (float[130, 150] x, float[150, 70] w) => (float[130, 70] y) {
  y = MatMul (x, w)
}"""),
    case("matmul_half", """
g (float16[37, 70] x, float16[70, 45] w, float16[45] b) => (float16[37, 45] y) {
  m = MatMul (x, w)
  y = Add (m, b)
}"""),
    case("matmul_half_batch", """
g (float16[2, 70, 64] x, float16[64, 100] w) => (float16[2, 70, 100] y) {
  y = MatMul (x, w)
}"""),
    # Tiles that divide the matrices: staged 16 bytes a thread without
    # bounds checks, for one matrix and a batch of them.
    case("matmul_half_whole_tiles", """
g (float16[128, 64] x, float16[64, 128] w, float16[128] b, float16[2, 64, 96] bx,
   float16[2, 96, 64] bw) => (float16[128, 128] y, float16[2, 64, 64] by) {
  m = MatMul (x, w)
  y = Add (m, b)
  by = MatMul (bx, bw)
}"""),
    # The pipelined template's edges: K (40) a multiple of 8 but not of the
    # 32-wide steps, and M (50) and N (72) not multiples of the tile, so
    # cp.async zero-fills chunks past each edge.
    case("matmul_half_pipeline_edges", """
g (float16[2, 50, 40] x, float16[40, 72] w) => (float16[2, 50, 72] y) {
  y = MatMul (x, w)
}"""),
    # Enough 128 x 256 tiles to fill the GPU (a batch of 132): the
    # pipelined template's largest tile, 8 warps of 64 x 64.
    case("matmul_half_tile_128x256", """
g (float16[132, 128, 64] x, float16[132, 64, 256] w) => (float16[132, 128, 256] y) {
  y = MatMul (x, w)
}""", slow=True),
    # sm_90a's wgmma template (simulate_kernels.py --targets sm_90a): two
    # warpgroups over 128 x 128 tiles, K (320) in five steps through four
    # stages, rows (100) and columns (120) not whole tiles; enough blocks
    # (a batch of 66) to fill half an H100's compute units.
    case("matmul_half_wgmma", """
g (float16[66, 100, 320] x, float16[66, 320, 120] w) => (float16[66, 100, 120] y) {
  y = MatMul (x, w)
}""", slow=True),
    case("matmul_bfloat16_wgmma", """
g (bfloat16[66, 128, 64] x, bfloat16[66, 64, 128] w) => (bfloat16[66, 128, 128] y) {
  y = MatMul (x, w)
}""", slow=True),
    # Too few tiles for the GPU's compute units: K (1024) split in slices
    # whose partial products a second launch sums, per batch, before the
    # fused bias and Relu; rows and columns not whole tiles.
    case("matmul_half_split_k", """
g (float16[2, 40, 1024] x, float16[2, 1024, 48] w, float16[48] b) => (float16[2, 40, 48] y) {
  m = MatMul (x, w)
  a = Add (m, b)
  y = Relu (a)
}"""),
    # bfloat16 on the matrix instructions: a batch against one B (80 rows,
    # not whole tiles) with a bias, and a (tap, channel) convolution.
    case("matmul_bfloat16", """
g (bfloat16[2, 40, 64] x, bfloat16[64, 48] w, bfloat16[48] b) => (bfloat16[2, 40, 48] y) {
  m = MatMul (x, w)
  y = Add (m, b)
}"""),
    case("conv_bfloat16", """
g (bfloat16[1, 32, 6, 6] x, bfloat16[64, 32, 3, 3] w) => (bfloat16[1, 64, 6, 6] y) {
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}"""),
    case("matmul_double", """
g (double[20, 30] x, double[30, 17] w) => (double[20, 17] y, double[20, 1] z) {
  y = MatMul (x, w)
  z = ReduceMax <axes = [1]> (y)
}"""),
    case("matmul_tiles_128", """
g (float[200, 136] x, float[136, 260] w, float[260] b) => (float[200, 260] y) {
  m = MatMul (x, w)
  y = Add (m, b)
}"""),
    case("conv_large_tiles", """
g (float[2, 16, 12, 12] x, float[136, 16, 3, 3] w) => (float[2, 136, 12, 12] y) {
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}"""),
    case("conv_half", """
g (float16[1, 8, 9, 9] x, float16[20, 8, 3, 3] w, float16[20] b) => (float16[1, 20, 9, 9] y) {
  c = Conv <pads = [1, 1, 1, 1]> (x, w, b)
  y = Relu (c)
}"""),
    # Weights whose tiles divide them (64 filters, 32 channels x 9 taps):
    # staged 16 bytes a thread; the gathered patches element by element.
    case("conv_half_whole_weight_tiles", """
g (float16[1, 32, 6, 6] x, float16[64, 32, 3, 3] w) => (float16[1, 64, 6, 6] y) {
  y = Conv <pads = [1, 1, 1, 1]> (x, w)
}"""),
    # K run as (tap, channel), 64 channels a group being whole 32-wide K
    # steps: grouped, strided and dilated, with 40 filters a group and 72
    # output columns, neither whole tiles.
    case("conv_half_tap_major", """
g (float16[2, 128, 7, 9] x, float16[80, 64, 3, 3] w) => (float16[2, 80, 4, 9] y) {
  y = Conv <group = 2, strides = [2, 1], dilations = [1, 2], pads = [1, 2, 1, 2]> (x, w)
}"""),
    # A pointwise convolution is a GEMM per image: its patches are runs of
    # the input planes (8 x 8 here), staged 16 bytes at a time; grouped,
    # two images, a fused bias and Relu.
    case("conv_half_pointwise", """
g (float16[2, 64, 8, 8] x, float16[48, 32, 1, 1] w, float16[48] b) => (float16[2, 48, 8, 8] y) {
  c = Conv <group = 2> (x, w, b)
  y = Relu (c)
}"""),
    # f32 products on TF32 tensor cores (--tf32): odd sizes, k not a
    # multiple of the instruction's 8, a fused bias that stays f32.
    case("matmul_tf32", """
g (float[70, 100] x, float[100, 90] w, float[90] b) => (float[70, 90] y) {
  m = MatMul (x, w)
  y = Add (m, b)
}""", options=["--tf32"], tf32_inputs=["x", "w"]),
    case("conv_tf32", """
g (float[2, 8, 9, 9] x, float[20, 8, 3, 3] w, float[20] b) => (float[2, 20, 9, 9] y) {
  c = Conv <pads = [1, 1, 1, 1]> (x, w, b)
  y = Relu (c)
}""", options=["--tf32"], tf32_inputs=["x", "w"]),
    case("softmax_half", """
g (float16[3, 70] x) => (float16[3, 70] y) {
  y = Softmax <axis = -1> (x)
}"""),
    # Rows of halves moved 16 bytes (eight halves) a lane: 512 per row is
    # eight a lane for warps of 64, and a block's 256 threads for 2048.
    case("softmax_layer_norm_half_vectors", """
g (float16[3, 512] x, float16[2, 2048] v, float16[512] s, float16[512] b)
   => (float16[3, 512] y, float16[2, 2048] w, float16[3, 512] n) {
  y = Softmax <axis = -1> (x)
  w = Softmax <axis = -1> (v)
  n = LayerNormalization <axis = -1> (x, s, b)
}"""),
    # Convolution, pooling, batch normalization.
    case("conv_strided_bias_relu", """
g (float[2, 4, 9, 11] x, float[6, 4, 3, 3] w, float[6] b) => (float[2, 6, 5, 6] y) {
  c = Conv <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w, b)
  y = Relu (c)
}"""),
    case("conv_grouped_dilated", """
g (float[1, 6, 8, 8] x, float[4, 3, 3, 3] w) => (float[1, 4, 6, 4] y) {
  y = Conv <group = 2, dilations = [2, 2], pads = [1, 0, 1, 0], strides = [1, 1]> (x, w)
}"""),
    case("conv_pointwise", """
g (float[1, 16, 7, 7] x, float[8, 16, 1, 1] w) => (float[1, 8, 7, 7] y) {
  y = Conv (x, w)
}"""),
    case("conv_depthwise", """
g (float[1, 5, 10, 10] x, float[5, 1, 3, 3] w, float[5] b) => (float[1, 5, 5, 5] y) {
  y = Conv <group = 5, strides = [2, 2], pads = [1, 1, 1, 1]> (x, w, b)
}"""),
    case("conv_depthwise_multiplier", """
g (float[1, 3, 6, 6] x, float[6, 1, 3, 3] w) => (float[1, 6, 4, 4] y) {
  y = Conv <group = 3> (x, w)
}"""),
    case("conv_1d", """
g (float[2, 3, 17] x, float[4, 3, 5] w) => (float[2, 4, 17] y) {
  y = Conv <pads = [2, 2]> (x, w)
}"""),
    case("max_pool_ceil", """
g (float[1, 3, 11, 11] x) => (float[1, 3, 6, 6] y) {
  y = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = 1> (x)
}"""),
    case("average_pool", """
g (float[1, 2, 9, 9] x) => (float[1, 2, 5, 5] y, float[1, 2, 5, 5] z) {
  y = AveragePool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (x)
  z = AveragePool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1],
                   count_include_pad = 1> (x)
}"""),
    case("batch_norm_relu", """
g (float[2, 3, 4, 5] x, float[3] s, float[3] b, float[3] m, float[3] v) => (float[2, 3, 4, 5] y) {
  n = BatchNormalization (x, s, b, m, v)
  y = Relu (n)
}""", {"v": (0.5, 2.0)}),
    # Reductions.
    case("reduce_mean_rows", """
g (float[3, 5, 300] x) => (float[3, 5, 1] y) {
  y = ReduceMean <axes = [-1]> (x)
}"""),
    case("reduce_sum_columns", """
g (float[4, 6, 5] x) => (float[4, 5] y)
<int64[1] axes = {1}>
{
  y = ReduceSum <keepdims = 0> (x, axes)
}"""),
    case("reduce_max_block", """
g (float[2, 3000] x) => (float[2, 1] y) {
  y = ReduceMax <axes = [1]> (x)
}"""),
    case("reduce_all", """
g (float[3, 4, 5] x) => (float[1, 1, 1] y) {
  y = ReduceSum (x)
}"""),
    case("reduce_mean_spatial", """
g (float[2, 8, 7, 7] x) => (float[2, 8] y) {
  y = ReduceMean <axes = [2, 3], keepdims = 0> (x)
}"""),
    case("reduce_sum_planes", """
g (float[2, 8, 16, 16] x) => (float[2, 8] y)
<int64[2] axes = {2, 3}>
{
  y = ReduceSum <keepdims = 0> (x, axes)
}"""),
    case("reduce_integers", """
g (int64[5, 9] x) => (int64[5] y, int64[9] z) {
  y = ReduceMin <axes = [1], keepdims = 0> (x)
  z = ReduceProd <axes = [0], keepdims = 0> (x)
}""", {"x": (-3, 4)}),
    case("arg_max", """
g (float[4, 7, 3] x) => (int64[4, 3] y, int64[4, 7, 1] z) {
  y = ArgMax <axis = 1, keepdims = 0> (x)
  z = ArgMin <axis = -1, select_last_index = 1> (x)
}"""),
    # Softmax and layer norm.
    case("softmax_rows", """
g (float[2, 3, 100] x, float[100] s) => (float[2, 3, 100] y) {
  p = Softmax <axis = -1> (x)
  y = Mul (p, s)
}"""),
    case("softmax_middle_axis", """
g (float[2, 37, 5] x) => (float[2, 37, 5] y) {
  y = Softmax <axis = 1> (x)
}"""),
    case("softmax_block", """
g (float[2, 2000] x) => (float[2, 2000] y) {
  y = Softmax <axis = -1> (x)
}"""),
    case("softmax_uncached", """
g (float[1, 5000] x) => (float[1, 5000] y) {
  y = Softmax <axis = -1> (x)
}"""),
    case("log_softmax", """
g (float[3, 50] x) => (float[3, 50] y) {
  y = LogSoftmax <axis = -1> (x)
}"""),
    case("layer_norm", """
g (float[2, 5, 64] x, float[64] s, float[64] b) => (float[2, 5, 64] y) {
  y = LayerNormalization <axis = -1, epsilon = 1e-5> (x, s, b)
}"""),
    case("layer_norm_block", """
g (float[2, 1500] x, float[1500] s) => (float[2, 1500] y) {
  y = LayerNormalization <axis = -1> (x, s)
}"""),
    # Rows of a multiple of four with a vector for every lane move 16 bytes
    # at a time (warp rows cached, and not, and a fused body on the vector).
    case("layer_norm_vectors", """
g (float[4, 256] x, float[256] s, float[256] b, float[4, 256] r) => (float[4, 256] y) {
  n = LayerNormalization <axis = -1, epsilon = 1e-5> (x, s, b)
  y = Add (n, r)
}"""),
    case("log_softmax_vectors", """
g (float[3, 1024] x) => (float[3, 1024] y) {
  y = LogSoftmax <axis = -1> (x)
}"""),
    case("layer_norm_two_dims", """
g (float[2, 3, 4] x, float[3, 4] s, float[3, 4] b) => (float[2, 3, 4] y) {
  y = LayerNormalization <axis = 1> (x, s, b)
}"""),
    # Data movement.
    case("transpose", """
g (float[2, 3, 4, 5] x) => (float[2, 4, 3, 5] y, float[5, 3, 4, 2] z) {
  y = Transpose <perm = [0, 2, 1, 3]> (x)
  z = Transpose <perm = [3, 1, 2, 0]> (x)
}"""),
    case("slice", """
g (float[5, 7, 9] x) => (float[2, 7, 3] y, float[5, 3, 9] z)
<int64[2] starts = {1, -1}, int64[2] ends = {4, 0}, int64[2] axes = {0, 2}, int64[2] steps = {2, -3},
 int64[1] s2 = {1}, int64[1] e2 = {7}, int64[1] a2 = {1}, int64[1] st2 = {2}>
{
  y = Slice (x, starts, ends, axes, steps)
  z = Slice (x, s2, e2, a2, st2)
}"""),
    case("gather", """
g (float[7, 5] d, int64[2, 3] i, float[3, 6, 4] e, int64[2] j) => (float[2, 3, 5] y, float[3, 2, 4] z) {
  y = Gather <axis = 0> (d, i)
  z = Gather <axis = 1> (e, j)
}""", {"i": (-7, 7), "j": (-6, 6)}),
    case("gather_elements_nd", """
g (float[4, 6] d, int64[3, 6] i, float16[2, 3, 5] e, int32[2, 3, 2] j, float[4, 5, 3] x,
   int64[3, 2] k, int64[4, 2, 1] b) => (float[3, 6] y, float16[2, 3, 2] z, float[3, 3] u,
   float[4, 2, 3] v) {
  y = GatherElements <axis = 0> (d, i)
  z = GatherElements <axis = -1> (e, j)
  u = GatherND (x, k)
  v = GatherND <batch_dims = 1> (x, b)
}""", {"i": (-4, 4), "j": (-5, 5), "k": (-4, 4), "b": (-5, 5)}),
    # Scatters: a copy launch, then an update launch. Reductions combine by
    # compare-and-swap on 32- and 64-bit words, so repeated indices (random
    # ones here) may land in any order; reduction none gets unique targets,
    # whose order ONNX leaves undefined when they repeat.
    case("scatter_elements", """
g (float[4, 6] x, float[2, 6] u, int64[3, 6] i, float[3, 6] v, int32[5, 3] n, int32[2, 3] m,
   int64[2, 3] j, double[3, 4] d, int64[3, 2] k, double[3, 2] w)
   => (float[4, 6] a, float[4, 6] b, float[4, 6] c, int32[5, 3] e, double[3, 4] f)
<int64[2, 6] at = {3, 0, -1, 2, 1, 0, 1, 2, 0, -4, 3, 2}>
{
  a = ScatterElements <axis = 0> (x, at, u)
  b = ScatterElements <axis = 0, reduction = "add"> (x, i, v)
  c = ScatterElements <axis = -2, reduction = "mul"> (x, i, v)
  e = ScatterElements <axis = 0, reduction = "max"> (n, j, m)
  f = ScatterElements <axis = 1, reduction = "min"> (d, k, w)
}""",
         {"i": (-4, 4), "j": (-5, 5), "k": (-4, 4), "n": (-50, 50), "m": (-50, 50)},
         opset=18),
    case("scatter_nd", """
g (float16[4, 3, 5] x, float16[2, 3, 5] r, float[4, 3, 5] y, int64[6, 3] at, float[6] e,
   int64[4, 6] n, int64[3, 1] q, int64[3, 6] m)
   => (float16[4, 3, 5] a, float[4, 3, 5] b, int64[4, 6] c)
<int64[2, 1] rows = {3, -4}>
{
  a = ScatterND (x, rows, r)
  b = ScatterND <reduction = "add"> (y, at, e)
  c = ScatterND <reduction = "max"> (n, q, m)
}""", {"at": (-3, 3), "q": (-4, 4), "n": (-50, 50), "m": (-50, 50)},
         opset=18),
    # TopK: one thread per row, a heap in the rows of both results; integers
    # in [-3, 3] tie often (the lower index first), f16 compares in float.
    case("top_k", """
g (float[5, 37] x, int32[6, 4, 5] n, float16[3, 8] h) => (float[5, 7] a, int64[5, 7] ai,
   int32[6, 4, 5] b, int64[6, 4, 5] bi, float16[3, 3] c, int64[3, 3] ci)
<int64[1] k7 = {7}, int64[1] k4 = {4}, int64[1] k3 = {3}>
{
  a, ai = TopK (x, k7)
  b, bi = TopK <axis = 1, largest = 0> (n, k4)
  c, ci = TopK (h, k3)
}""", {"n": (-3, 4)}, opset=11),
    # NonMaxSuppression: a thread per (batch, class) pair, then a thread per
    # row; the maximum and thresholds are graph inputs, read at run time;
    # corners come in either order, and in center format the sizes are made
    # positive. The declared row counts are what the data select.
    case("non_max_suppression", """
g (float[2, 150, 4] boxes, float[2, 3, 150] scores, int64[1] m, float[1] iou, float[1] st)
   => (int64[122, 3] a, int64[205, 3] c) {
  a = NonMaxSuppression (boxes, scores, m, iou, st)
  ab = Abs (boxes)
  c = NonMaxSuppression <center_point_box = 1> (ab, scores, m, iou)
}""", {"m": (40, 60), "iou": (0.02, 0.1), "st": (-0.5, 0.5)}, opset=11, onnx_reference=True),
    case("pad_modes", """
g (float[2, 3, 4, 5] x, int64[3, 4] i) => (float[3, 4, 7, 6] c, float[2, 3, 7, 10] r,
   float[3, 4, 7, 6] e, float[3, 4, 7, 6] w, int64[4, 7] n)
<int64[8] p = {0, 1, 2, -1, 1, 0, 1, 2}, int64[8] q = {0, 0, 2, 3, 0, 0, 1, 2},
 int64[4] pi = {1, 2, 0, 1}, float v = {-2.5}>
{
  c = Pad <mode = "constant"> (x, p, v)
  r = Pad <mode = "reflect"> (x, q)
  e = Pad <mode = "edge"> (x, p)
  w = Pad <mode = "wrap"> (x, p)
  n = Pad (i, pi)
}""", opset=19),
    # Opset-23 Attention (grouped-query, causal) and RMSNormalization, which
    # legalization decomposes; ONNX Runtime 1.22 has neither, so ONNX's
    # reference checks them.
    case("attention_gqa_causal_rms", """
g (float[2, 8, 4, 16] q, float[2, 2, 6, 16] k, float[2, 2, 6, 16] v, float[16] s)
  => (float[2, 8, 4, 16] y) {
  a = Attention <is_causal = 1> (q, k, v)
  y = RMSNormalization (a, s)
}""", opset=23, onnx_reference=True),
    # Einsum, DFT and Det decompose into matmuls, gathers and elementwise ops.
    case("einsum_dft_det", """
g (float[2, 3, 4, 8] q, float[2, 3, 5, 8] k, float[1, 10, 6, 1] x, float[3, 3, 3] m)
  => (float[2, 3, 4, 5] s, float[1, 10, 6, 2] f, float[3] d) {
  s = Einsum <equation = "bhqd,bhkd->bhqk"> (q, k)
  f = DFT <axis = 1> (x)
  d = Det (m)
}""", opset=19, onnx_reference=True),
    case("concat", """
g (float[2, 3, 4] a, float[2, 5, 4] b, float[2, 1, 4] c) => (float[2, 9, 4] y) {
  y = Concat <axis = 1> (a, b, c)
}"""),
    case("split", """
g (float[4, 10] x) => (float[4, 3] a, float[4, 7] b)
<int64[2] sizes = {3, 7}>
{
  a, b = Split <axis = 1> (x, sizes)
}"""),
    case("expand_tile", """
g (float[3, 1] x) => (float[2, 3, 4] y, float[6, 2] z)
<int64[3] shape = {2, 3, 4}, int64[2] repeats = {2, 2}>
{
  y = Expand (x, shape)
  z = Tile (x, repeats)
}"""),
    # NaN and infinity tests (Sqrt of the negative half, x / 0), a NaN-guarded
    # softmax, and a bool mask expanded then turned into float scores (a
    # body that changes the element type after its anchor).
    case("nan_inf_tests", """
g (float[4, 32] x) => (bool[4, 32] nan, bool[4, 32] pos, bool[4, 32] neg, float[4, 32] guarded) {
  r = Sqrt (x)
  nan = IsNaN (r)
  z = Sub (x, x)
  q = Div (x, z)
  pos = IsInf <detect_negative = 0> (q)
  neg = IsInf <detect_positive = 0> (q)
  s = Softmax (r)
  bad = IsNaN (s)
  zero = Constant <value = float {0.0}> ()
  guarded = Where (bad, zero, s)
}"""),
    case("activations_with_attributes", """
g (float[4, 64] x) => (float[4, 64] celu, float[4, 64] mish, float[4, 64] tr, float[4, 64] shrink) {
  celu = Celu <alpha = 1.5> (x)
  mish = Mish (x)
  tr = ThresholdedRelu <alpha = 0.25> (x)
  shrink = Shrink <bias = 0.5, lambd = 0.75> (x)
}""", opset=18),
    # The inverse functions get arguments inside their domains.
    case("trigonometric", """
g (float[4, 64] x) => (float[4, 64] tan, float[4, 64] asin, float[4, 64] acos, float[4, 64] atan,
                       float[4, 64] sinh, float[4, 64] cosh, float[4, 64] asinh, float[4, 64] acosh,
                       float[4, 64] atanh) {
  tan = Tan (x)
  t = Tanh (x)
  asin = Asin (t)
  acos = Acos (t)
  atan = Atan (x)
  sinh = Sinh (x)
  cosh = Cosh (x)
  asinh = Asinh (x)
  one = Constant <value = float {1.0}> ()
  sq = Mul (x, x)
  above1 = Add (sq, one)
  acosh = Acosh (above1)
  half = Constant <value = float {0.5}> ()
  h = Mul (t, half)
  atanh = Atanh (h)
}""", opset=18),
    # Bitwise ops over each integer width, signed and unsigned: the C++
    # promotion of narrow types to int must not leak into the results.
    case("bitwise_integers", """
g (int16[4, 8] a, int16[8] b, int8[4, 8] c, int32[3, 5] i, int64[3, 5] j, uint8[4, 8] u,
   uint16[3, 5] h, uint32[3, 5] v, uint64[3, 5] w)
  => (int16[4, 8] and16, int16[4, 8] or16, int16[4, 8] nxor16, int8[4, 8] not8,
      int32[3, 5] or32, int64[3, 5] xor64, uint8[4, 8] notu8, uint16[3, 5] andu16,
      uint32[3, 5] notu32, uint64[3, 5] xoru64) {
  and16 = BitwiseAnd (a, b)
  or16 = BitwiseOr (a, b)
  x16 = BitwiseXor (a, b)
  nxor16 = BitwiseNot (x16)
  not8 = BitwiseNot (c)
  or32 = BitwiseOr (i, i)
  i64 = Cast <to = 7> (i)
  xor64 = BitwiseXor (j, i64)
  notu8 = BitwiseNot (u)
  andu16 = BitwiseAnd (h, h)
  notu32 = BitwiseNot (v)
  xoru64 = BitwiseXor (w, w)
}""", {"a": (-32768, 32768), "b": (-32768, 32768), "c": (-128, 128), "i": (-2**31, 2**31),
       "j": (-2**62, 2**62), "u": (0, 256), "h": (0, 65536), "v": (0, 2**32), "w": (0, 2**62)},
         opset=18),
    # Shifts of every unsigned width, by up to past the bit width, where
    # ONNX's reference gives 0 (ONNX Runtime's 32- and 64-bit shifts leave
    # it to the C++ compiler, and it has no 16-bit shift).
    case("bit_shifts", """
g (uint8[4, 8] u, uint8[8] k, uint16[4, 8] h, uint16[4, 8] n, uint32[4, 8] v, uint32[4, 8] m,
   uint64[4, 8] w, uint64[4, 8] s)
  => (uint8[4, 8] shl8, uint8[4, 8] shr8, uint16[4, 8] shl16, uint16[4, 8] shr16,
      uint32[4, 8] shl32, uint32[4, 8] shr32, uint64[4, 8] shl64, uint64[4, 8] shr64) {
  shl8 = BitShift <direction = "LEFT"> (u, k)
  shr8 = BitShift <direction = "RIGHT"> (u, k)
  shl16 = BitShift <direction = "LEFT"> (h, n)
  shr16 = BitShift <direction = "RIGHT"> (h, n)
  shl32 = BitShift <direction = "LEFT"> (v, m)
  shr32 = BitShift <direction = "RIGHT"> (v, m)
  shl64 = BitShift <direction = "LEFT"> (w, s)
  shr64 = BitShift <direction = "RIGHT"> (w, s)
}""", {"u": (0, 256), "k": (0, 12), "h": (0, 65536), "n": (0, 20), "v": (0, 2**32), "m": (0, 40),
       "w": (0, 2**62), "s": (0, 72)}, opset=18, onnx_reference=True),
    case("expand_bool_mask", """
g (bool[1, 1, 1, 16] m, float[2, 3, 16, 16] scores) => (float[2, 3, 16, 16] y)
<int64[4] shape = {1, 1, 16, 16}>
{
  e = Expand (m, shape)
  zero = Constant <value = float {0.0}> ()
  low = Constant <value = float {-10000.0}> ()
  bias = Where (e, zero, low)
  y = Add (scores, bias)
}"""),
    # Image ops: Resize as gathers by constant index tables and weighted
    # sums (linear, cubic), nearest upsampling as one broadcast.
    case("resize_linear", """
g (float[1, 3, 5, 7] x) => (float[1, 3, 10, 4] y)
<float[4] scales = {1.0, 1.0, 2.0, 0.6}>
{
  y = Resize <mode = "linear"> (x, , scales)
}""", opset=19),
    case("resize_nearest_cubic", """
g (float[2, 3, 4, 6] x) => (float[2, 3, 8, 12] y, float[2, 3, 6, 5] z)
<float[4] scales = {1.0, 1.0, 2.0, 2.0}, int64[4] sizes = {2, 3, 6, 5}>
{
  y = Resize <mode = "nearest"> (x, , scales)
  z = Resize <mode = "cubic", coordinate_transformation_mode = "align_corners"> (x, , , sizes)
}""", opset=19),
    # ConvTranspose: kernel == stride as a GEMM and a pixel shuffle (with
    # groups), else a convolution of the zero-inserted input.
    case("conv_transpose", """
g (float[2, 4, 5, 6] x, float[4, 3, 2, 2] w, float[6] b, float[4, 3, 3, 3] v, float[3] c)
  => (float[2, 6, 10, 12] y, float[2, 3, 10, 12] z) {
  y = ConvTranspose <strides = [2, 2], group = 2> (x, w, b)
  z = ConvTranspose <strides = [2, 2], pads = [1, 1, 1, 1], output_padding = [1, 1]> (x, v, c)
}"""),
    # GridSample: arithmetic on the grid and one gather_nd of every tap;
    # AffineGrid: a matmul by a constant table of pixel centers.
    case("grid_sample_affine_grid", """
g (float[2, 3, 5, 6] x, float[2, 4, 7, 2] grid, float[2, 2, 3] theta)
  => (float[2, 3, 4, 7] y, float[2, 3, 4, 7] z, float[2, 3, 4, 5] w)
<int64[4] size = {2, 3, 4, 5}>
{
  y = GridSample <mode = "linear"> (x, grid)
  z = GridSample <mode = "cubic", padding_mode = "reflection", align_corners = 1> (x, grid)
  a = AffineGrid <align_corners = 0> (theta, size)
  w = GridSample <mode = "nearest", padding_mode = "border"> (x, a)
}""", opset=20),
    # Col2Im: one scatter-add at landing indices computed from the block
    # shape, at run time where it is a graph input (pinned by its range),
    # from a table where it is a constant; then the pads cropped.
    # NonZero in one block: each thread counts its chunk, the chunks' first
    # columns follow, each thread writes its coordinates in element order.
    # A constant mask fixes how many products of inputs in [1, 5) are
    # nonzero (11), and which slices Compress keeps.
    case("non_zero_compress", """
g (int64[4, 6] x, float[4, 6] f) => (int64[2, 11] a, float[4, 3] c)
<int64[4, 6] mask = {1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1},
 bool[6] keep = {1, 0, 0, 1, 0, 1}>
{
  m = Mul (x, mask)
  a = NonZero (m)
  c = Compress <axis = 1> (f, keep)
}""", {"x": (1, 5)}, opset=13),
    # Unique: pairwise tables of equal and sorts-before, the count declared
    # (200 draws from 7 values hold all 7).
    case("unique_pairwise", """
g (int64[200] x) => (int64[7] y, int64[7] i, int64[200] v, int64[7] c) {
  y, i, v, c = Unique (x)
}""", {"x": (-3, 4)}, opset=11),
    # STFT: frames gathered at positions from a step given as data.
    case("stft_data_step", """
g (float[2, 96, 1] s, int64 step) => (float[2, 11, 9, 2] a)
<int64 len = {16}>
{
  a = STFT (s, step, , len)
}""", {"step": (8, 9)}, opset=17, onnx_reference=True),
    # Random draws from a hash of each position, checked by what any
    # correct draw gives: rounded means and variances over 2^16 elements.
    case("random_draw_statistics", """
g (float[256, 256] x) => (float u, float n, float nv)
<float ten = {10.0}>
{
  du = RandomUniformLike (x)
  mu = ReduceMean <keepdims = 0> (du)
  su = Mul (mu, ten)
  u = Round (su)
  dn = RandomNormalLike (x)
  mn = ReduceMean <keepdims = 0> (dn)
  sn = Mul (mn, ten)
  n = Round (sn)
  sq = Mul (dn, dn)
  vn = ReduceMean <keepdims = 0> (sq)
  sv = Mul (vn, ten)
  nv = Round (sv)
}""", onnx_reference=True),
    case("col2im", """
g (float[2, 12, 15] x, int64[2] image, int64[2] block, float[1, 6, 3] c)
  => (float[2, 3, 5, 5] y, float[1, 1, 4, 9] z)
<int64[2] image2 = {4, 9}, int64[2] block2 = {2, 3}>
{
  y = Col2Im <strides = [1, 2], pads = [1, 0, 0, 1]> (x, image, block)
  z = Col2Im <dilations = [2, 1], strides = [2, 3]> (c, image2, block2)
}""", {"image": (5, 6), "block": (2, 3)}, opset=18, onnx_reference=True),
    # RoiAlign: sample coordinates from the rois, one gather_nd of every
    # sample's corners, a weighted sum (avg) or the largest weighted corner.
    case("roi_align", """
g (float[2, 3, 8, 10] x, float[4, 4] rois, int64[4] b) => (float[4, 3, 3, 2] y, float[4, 3, 2, 2] z) {
  y = RoiAlign <output_height = 3, output_width = 2, sampling_ratio = 2, spatial_scale = 0.5> (x, rois, b)
  z = RoiAlign <mode = "max", coordinate_transformation_mode = "output_half_pixel", output_height = 2,
                output_width = 2, sampling_ratio = 3> (x, rois, b)
}""", {"rois": (-2.0, 12.0), "b": (0, 2)}, opset=16, onnx_reference=True),
    # DeformConv: bilinear samples at the offset taps, gathered per offset
    # group, then a batched matmul per conv group.
    case("deform_conv", """
g (float[1, 4, 6, 6] x, float[4, 2, 3, 3] w, float[1, 36, 3, 3] off, float[4] bias, float[1, 18, 3, 3] m)
  => (float[1, 4, 3, 3] y) {
  y = DeformConv <group = 2, offset_group = 2, strides = [2, 2], pads = [1, 1, 1, 1]> (x, w, off, bias, m)
}""", {"off": (-2.0, 2.0)}, opset=19, onnx_reference=True),
    # MaxPool over integers and with its Indices output: every window's
    # taps gathered, reduce_max and arg_max; MaxUnpool scatters them back.
    case("max_pool_indices_unpool", """
g (uint8[1, 2, 5, 6] u, float[2, 3, 6, 6] x)
  => (uint8[1, 2, 3, 3] a, float[2, 3, 3, 3] y, int64[2, 3, 3, 3] i, float[2, 3, 7, 7] v) {
  a = MaxPool <kernel_shape = [3, 2], strides = [2, 2], pads = [1, 0, 1, 0]> (u)
  y, i = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1], storage_order = 1> (x)
  p, j = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (x)
  shape = Constant <value = int64[4] {2, 3, 7, 7}> ()
  v = MaxUnpool <kernel_shape = [2, 2], strides = [2, 2]> (p, j, shape)
}""", {"u": (0, 256)}, opset=12, onnx_reference=True),
    # Several kernels through the arena.
    case("residual_block", """
g (float[1, 8, 6, 6] x, float[8, 8, 3, 3] w, float[8] s, float[8] b, float[8] m, float[8] v)
  => (float[1, 8, 6, 6] y) {
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  n = BatchNormalization (c, s, b, m, v)
  r = Relu (n)
  y = Add (r, x)
}""", {"v": (0.5, 2.0)}),
    case("mini_cnn", """
g (float[2, 3, 20, 20] x, float[8, 3, 3, 3] w1, float[8] s, float[8] b, float[8] m, float[8] v,
   float[8, 1, 3, 3] w2, float[5, 8] fc, float[5] fb) => (float[2, 5] y) {
  c1 = Conv <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w1)
  n1 = BatchNormalization (c1, s, b, m, v)
  r1 = Relu (n1)
  p1 = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (r1)
  c2 = Conv <group = 8, pads = [1, 1, 1, 1]> (p1, w2)
  r2 = Relu (c2)
  g = GlobalAveragePool (r2)
  f = Flatten (g)
  y = Gemm <transB = 1> (f, fc, fb)
}""", {"v": (0.5, 2.0)}),
    case("mini_transformer", """
g (float[1, 10, 32] x, float[32] ls, float[32] lb, float[32, 64] w1, float[64] b1, float[64, 32] w2)
  => (float[1, 10, 32] y) {
  sq = Constant <value = float {1.4142135}> ()
  one = Constant <value = float {1.0}> ()
  half = Constant <value = float {0.5}> ()
  n = LayerNormalization <axis = -1> (x, ls, lb)
  h = MatMul (n, w1)
  hb = Add (h, b1)
  e = Div (hb, sq)
  f = Erf (e)
  g1 = Add (f, one)
  g2 = Mul (hb, g1)
  g3 = Mul (g2, half)
  o = MatMul (g3, w2)
  y = Add (o, x)
}"""),
    case("attention", """
g (float[1, 2, 16, 8] q, float[1, 2, 16, 8] k, float[1, 2, 16, 8] v) => (float[1, 16, 2, 8] y) {
  kt = Transpose <perm = [0, 1, 3, 2]> (k)
  s = MatMul (q, kt)
  p = Softmax <axis = -1> (s)
  o = MatMul (p, v)
  y = Transpose <perm = [0, 2, 1, 3]> (o)
}"""),
    # Control flow is unrolled into the ops above: an If on a condition from
    # data runs both branches and selects. Recurrent ops run their time loop
    # as one recurrence kernel, a block per (direction, batch entry).
    case("if_data_condition", """
g (float[3, 4] x, float[4] b) => (float[3, 4] y, float[3, 4] z) {
  s = ReduceSum <keepdims = 0> (x)
  zero = Constant <value = float {0.0}> ()
  c = Greater (s, zero)
  nc = Not (c)
  y = If (c) <then_branch = g1 () => (float[3, 4] a) { a = Add (x, b) },
              else_branch = g2 () => (float[3, 4] e) { e = Mul (x, b) }>
  z = If (nc) <then_branch = g3 () => (float[3, 4] a2) { a2 = Add (x, b) },
               else_branch = g4 () => (float[3, 4] e2) { t = Mul (x, b)  e2 = Tanh (t) }>
}"""),
    case("lstm_sequence_lens", """
g (float[3, 2, 4] x, float[2, 20, 4] w, float[2, 20, 5] r, float[2, 40] b, int32[2] lens)
  => (float[3, 2, 2, 5] y, float[2, 2, 5] yh, float[2, 2, 5] yc) {
  y, yh, yc = LSTM <hidden_size = 5, direction = "bidirectional"> (x, w, r, b, lens)
}""", {"lens": (1, 4)}),
    case("lstm_peepholes_clip_wide", """
g (float[4, 2, 3] x, float[1, 1200, 3] w, float[1, 1200, 300] r, float[1, 2400] b,
   float[1, 2, 300] h0, float[1, 2, 300] c0, float[1, 900] p)
  => (float[4, 1, 2, 300] y, float[1, 2, 300] yh, float[1, 2, 300] yc) {
  y, yh, yc = LSTM <hidden_size = 300, direction = "reverse", clip = 1.5> (x, w, r, b, "", h0, c0, p)
}""", {"w": (-0.1, 0.1), "r": (-0.1, 0.1)}),
    case("gru_both_resets_sequence_lens", """
g (float[5, 3, 4] x, float[2, 18, 4] w, float[2, 18, 6] r, float[2, 36] b, int32[3] lens,
   float[1, 15, 4] w2, float[1, 15, 5] r2, float[1, 30] b2)
  => (float[5, 2, 3, 6] y, float[2, 3, 6] yh, float[5, 1, 3, 5] y2, float[1, 3, 5] yh2) {
  y, yh = GRU <hidden_size = 6, direction = "bidirectional"> (x, w, r, b, lens)
  y2, yh2 = GRU <hidden_size = 5, linear_before_reset = 1,
                 activations = ["HardSigmoid", "Softsign"], activation_alpha = [0.3],
                 activation_beta = [0.4]> (x, w2, r2, b2, lens)
}""", {"lens": (0, 6)}),
    case("rnn_activations", """
g (float[4, 2, 3] x, float[2, 5, 3] w, float[2, 5, 5] r)
  => (float[4, 2, 2, 5] y, float[2, 2, 5] yh) {
  y, yh = RNN <hidden_size = 5, direction = "bidirectional",
               activations = ["Affine", "LeakyRelu"], activation_alpha = [0.7, 0.2],
               activation_beta = [0.1, 0.0]> (x, w, r)
}"""),
]

# Fused attention as r1 IR (attention_cases.py): gates, boolean masks,
# grouped kv heads and layouts that no ONNX graph above says.
CASES += attention_cases.CASES

# Matmul and convolution with 16-bit operands and an f32 result, as
# --precision=fp16|bf16 makes them, as r1 IR (mixed_precision_cases.py).
CASES += mixed_precision_cases.CASES
