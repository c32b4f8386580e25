"""float16 graphs for check_host.py: each ONNX op's result rounds to float16,
but sums, exponentials and normalizations inside an op must not round at
every step. The contractions and reductions are long enough (K = 256, rows
of 40 to 1024) that rounding each partial sum to float16 lands outside
STYLE.md's float16 tolerance. ONNX text has no float16 literals, so constants are float
and CastLike'd."""

HEADER = '<ir_version: 8, opset_import: ["" : 17]>'

GRAPHS = {
    "matmul_bias_gelu_f16": HEADER + """
        mm (float16[2, 3, 256] a, float16[256, 40] b, float16[40] bias) => (y)
        <float half32 = {0.5}, float one32 = {1.0}, float rs2_32 = {0.70710678},
         float scale32 = {0.0625}>
        { half = CastLike (half32, a)  one = CastLike (one32, a)  rs2 = CastLike (rs2_32, a)
          scale = CastLike (scale32, a)  m = MatMul (a, b)  ms = Mul (m, scale)
          mb = Add (ms, bias)  s = Mul (mb, rs2)  e = Erf (s)  e1 = Add (e, one)
          h = Mul (mb, half)  y = Mul (h, e1) }""",
    "softmax_and_log_softmax_f16": HEADER + """
        sm (float16[3, 1024] x) => (a, b)
        { a = Softmax <axis = -1> (x)  b = LogSoftmax <axis = -1> (x) }""",
    "layer_norm_f16": HEADER + """
        ln (float16[4, 2, 96] x, float16[96] g, float16[96] bias) => (y)
        { y = LayerNormalization <axis = -1, epsilon = 0.00001> (x, g, bias) }""",
    "reductions_f16": HEADER + """
        red (float16[2, 96, 5] x) => (s, m, mx, p)
        <int64[1] a1 = {1}>
        { s = ReduceSum <keepdims = 0> (x, a1)  m = ReduceMean <axes = [0, 1]> (x)
          mx = ReduceMax <axes = [-1], keepdims = 0> (x)  p = ReduceProd <axes = [0]> (x) }""",
    # The axes arrive at run time (check_host.py's seed draws axis 2, of 40).
    "reduce_sum_computed_axes_f16": HEADER + """
        red (float16[3, 40, 40, 40] x, int64[1] axes) => (float16[?, ?, ?, ?] y)
        { y = ReduceSum <keepdims = 1> (x, axes) }""",
    "transcendental_chain_f16": HEADER + """
        tr (float16[8, 40] x) => (y, z)
        <float one32 = {1.0}, float two32 = {2.0}>
        { one = CastLike (one32, x)  two = CastLike (two32, x)  s = Sigmoid (x)  t = Tanh (x)
          a = Abs (x)  a1 = Add (a, one)  l = Log (a1)  p = Pow (a1, two)  e = Exp (t)
          st = Add (s, l)  y = Mul (st, e)  z = Div (p, a1) }""",
}
