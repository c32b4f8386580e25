#!/usr/bin/env python3
"""Compiles small ONNX graphs with `r1c --target=host`, links each into a C++
program, runs it on random inputs and compares with ONNX Runtime (with ONNX's
reference implementation for the graphs in ONNX_REFERENCE).

Tolerances are STYLE.md's per dtype (fp32 and fp64 atol 1e-5, rtol 1e-4; fp16
atol 2.5e-3, rtol 1e-3); NaN never passes.
Each graph is compiled for every --cpu given (AVX2 and AVX-512 by default;
AVX-512 is skipped, visibly, on a CPU without it). Prints `N passed, N failed,
N skipped`.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.parser
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator

# name -> ONNX text. Every graph is static: host code needs static shapes.
GRAPHS = {
    "mlp": """
        <ir_version: 8, opset_import: ["" : 17]>
        mlp (float[2, 4] x) => (y)
        <float[4, 3] w = {0.5, -0.5, 0.25, -0.25, 1.0, -1.0, 2.0, -2.0, 0.1, 0.2, 0.3, 0.4},
         float[3] b = {1.0, 2.0, -3.0}>
        { h = MatMul (x, w)  hb = Add (h, b)  r = Relu (hb)  y = Sigmoid (r) }""",
    "broadcast_chain": """
        <ir_version: 8, opset_import: ["" : 17]>
        chain (float[2, 3, 4] x, float[4] y, float[3, 1] z) => (out)
        { s = Add (x, y)  p = Mul (s, z)  t = Tanh (p)  zero = Constant <value = float {0.0}> ()
          g = Greater (t, zero)  n = Neg (t)  out = Where (g, t, n) }""",
    "batched_matmul_gelu": """
        <ir_version: 8, opset_import: ["" : 17]>
        bmm (float[2, 3, 4, 5] a, float[5, 6] b, float[6] bias) => (out)
        { m = MatMul (a, b)  mb = Add (m, bias)
          half = Constant <value = float {0.5}> ()  one = Constant <value = float {1.0}> ()
          rs2 = Constant <value = float {0.70710678}> ()
          s = Mul (mb, rs2)  e = Erf (s)  e1 = Add (e, one)  h = Mul (mb, half)  out = Mul (h, e1) }""",
    "casts_and_integers": """
        <ir_version: 8, opset_import: ["" : 17]>
        ints (int64[3, 4] i, float[3, 4] f) => (out, idx)
        <float lo = {0.0}, float hi = {3.0}>
        { fi = Cast <to = 1> (i)  s = Add (fi, f)  c = Clip (s, lo, hi)  out = Sqrt (c)
          two = Constant <value = int64 {2}> ()  idx = Mul (i, two) }""",
    "exp_log_pow": """
        <ir_version: 8, opset_import: ["" : 17]>
        elw (float[8, 16] x) => (out)
        { a = Abs (x)  one = Constant <value = float {1.0}> ()  a1 = Add (a, one)  l = Log (a1)
          e = Exp (l)  two = Constant <value = float {2.0}> ()  p = Pow (e, two)
          out = LeakyRelu <alpha = 0.1> (p) }""",
    "conv2d_bias_stride_pad_dilation": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[2, 3, 11, 13] x, float[4, 3, 3, 3] w, float[4] b) => (y)
        { y = Conv <strides = [2, 2], pads = [1, 2, 2, 1], dilations = [2, 2]> (x, w, b) }""",
    "conv2d_same_padding": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[1, 5, 9, 9] x, float[6, 5, 3, 3] w, float[6] b) => (y)
        { y = Conv <pads = [1, 1, 1, 1]> (x, w, b) }""",
    "conv_grouped_clip": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[1, 4, 9, 8] x, float[6, 2, 3, 3] w) => (y)
        <float lo = {0.0}, float hi = {6.0}>
        { c = Conv <group = 2, pads = [1, 0, 1, 1]> (x, w)  y = Clip (c, lo, hi) }""",
    "conv_depthwise_clip": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[2, 8, 10, 11] x, float[8, 1, 3, 3] w, float[8] b) => (y)
        <float lo = {0.0}, float hi = {6.0}>
        { c = Conv <group = 8, strides = [2, 2], pads = [1, 1, 1, 1]> (x, w, b)
          y = Clip (c, lo, hi) }""",
    "conv1d": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[2, 3, 20] x, float[5, 3, 4] w, float[5] b) => (y)
        { y = Conv <strides = [3], pads = [2, 1], dilations = [2]> (x, w, b) }""",
    "conv1d_wide_kernel": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[2, 3, 4] x, float[2, 3, 9] w) => (y)
        { y = Conv <pads = [4, 4]> (x, w) }""",
    "conv2d_long_rows": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[1, 5, 6, 37] x, float[4, 5, 3, 5] w, float[4] b) => (y)
        { y = Conv <pads = [1, 2, 1, 2]> (x, w, b) }""",
    "conv_auto_pad_same_upper": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[1, 3, 8, 7] x, float[4, 3, 4, 3] w) => (y)
        { y = Conv <strides = [2, 2], auto_pad = "SAME_UPPER"> (x, w) }""",
    "conv3d": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[1, 2, 5, 6, 7] x, float[3, 2, 3, 2, 3] w, float[3] b) => (y)
        { y = Conv <strides = [1, 2, 1], pads = [1, 0, 1, 0, 1, 1]> (x, w, b) }""",
    "conv_pointwise_constant_weight": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float[2, 3, 5, 6] x) => (y)
        <float[2, 3, 1, 1] w = {0.5, -1.0, 0.25, 2.0, 0.125, -0.75}, float[2] b = {0.1, -0.2}>
        { c = Conv (x, w, b)  y = Relu (c) }""",
    "max_pool_3x3_s2_p1": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[2, 3, 12, 13] x) => (y)
        { y = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (x) }""",
    "max_pool_ceil_mode": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[1, 2, 10, 11] x) => (y)
        { y = MaxPool <kernel_shape = [3, 3], strides = [2, 2], ceil_mode = 1> (x) }""",
    "max_pool_1d_dilated": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[2, 3, 17] x) => (y)
        { y = MaxPool <kernel_shape = [3], strides = [2], pads = [2, 1], dilations = [2]> (x) }""",
    "max_pool_3d": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[1, 2, 5, 6, 7] x) => (y)
        { y = MaxPool <kernel_shape = [2, 3, 2], strides = [2, 1, 2], pads = [0, 1, 1, 1, 1, 0]> (x) }""",
    "average_pool_exclude_pad_ceil": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[1, 2, 9, 10] x) => (y)
        { y = AveragePool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1],
                           ceil_mode = 1> (x) }""",
    "batch_norm_f64": """
        <ir_version: 8, opset_import: ["" : 17]>
        bn (double[2, 3, 5] x, double[3] s, double[3] b, double[3] m) => (y)
        <double[3] v = {0.25, 2.0, 1.0}>
        { y = BatchNormalization (x, s, b, m, v) }""",
    "max_pool_f64": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (double[1, 3, 9, 8] x) => (y)
        { y = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (x) }""",
    "conv_f16_relu": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float16[1, 4, 9, 10] x, float16[6, 2, 3, 3] w, float16[6] b) => (y)
        { c = Conv <group = 2, strides = [1, 2], pads = [1, 1, 0, 1]> (x, w, b)  y = Relu (c) }""",
    "conv_pointwise_f16": """
        <ir_version: 8, opset_import: ["" : 17]>
        conv (float16[2, 6, 7, 9] x, float16[3, 6, 1, 1] w) => (y)
        { y = Conv (x, w) }""",
    "max_pool_f16": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float16[1, 3, 9, 10] x) => (y)
        { y = MaxPool <kernel_shape = [2, 3], strides = [2, 2], pads = [1, 1, 0, 1]> (x) }""",
    "average_pool_f16": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float16[1, 3, 9, 10] x) => (y)
        { y = AveragePool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]> (x) }""",
    "batch_norm_f16": """
        <ir_version: 8, opset_import: ["" : 17]>
        bn (float16[2, 3, 4, 5] x, float16[3] s, float16[3] b, float16[3] m, float16[3] v) => (y)
        { a = Abs (v)  y = BatchNormalization <epsilon = 0.5> (x, s, b, m, a) }""",
    # Opset 19: ONNX Runtime's kernel for opsets 7-18 divides a window that runs
    # past the end pads by the whole kernel size; the ONNX reference and its
    # opset-19 kernel count only the taps inside the padded input, as r1c does.
    "average_pool_include_pad_ceil": """
        <ir_version: 9, opset_import: ["" : 19]>
        pool (float[1, 2, 9, 10] x) => (y)
        { y = AveragePool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1],
                           ceil_mode = 1, count_include_pad = 1> (x) }""",
    # Equal pads: ONNX Runtime's 2-D dilated kernel clips rows at the wrong end pad.
    "average_pool_dilated_include_pad_ceil": """
        <ir_version: 9, opset_import: ["" : 19]>
        pool (float[1, 2, 9, 12] x) => (y)
        { y = AveragePool <kernel_shape = [2, 3], strides = [2, 2], pads = [1, 1, 1, 1],
                           dilations = [2, 2], ceil_mode = 1, count_include_pad = 1> (x) }""",
    "average_pool_1d_dilated_include_pad_ceil": """
        <ir_version: 9, opset_import: ["" : 19]>
        pool (float[2, 3, 10] x) => (y)
        { y = AveragePool <kernel_shape = [3], strides = [2], pads = [1, 2], dilations = [2],
                           ceil_mode = 1, count_include_pad = 1> (x) }""",
    "average_pool_dilated_ceil": """
        <ir_version: 9, opset_import: ["" : 19]>
        pool (float[1, 2, 9, 12] x) => (y)
        { y = AveragePool <kernel_shape = [2, 3], strides = [2, 2], pads = [1, 0, 1, 2],
                           dilations = [2, 2], ceil_mode = 1> (x) }""",
    "average_pool_include_pad": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[2, 3, 8, 7] x) => (y)
        { y = AveragePool <kernel_shape = [3, 2], strides = [1, 2], pads = [1, 0, 2, 1],
                           count_include_pad = 1> (x) }""",
    "average_pool_1d_ceil": """
        <ir_version: 8, opset_import: ["" : 17]>
        pool (float[2, 2, 12] x) => (y)
        { y = AveragePool <kernel_shape = [4], strides = [3], pads = [1, 1], ceil_mode = 1> (x) }""",
    "batch_norm_relu": """
        <ir_version: 8, opset_import: ["" : 17]>
        bn (float[2, 3, 4, 5] x) => (y)
        <float[3] s = {1.5, -0.5, 2.0}, float[3] b = {0.1, 0.2, -0.3},
         float[3] m = {0.5, -1.0, 0.0}, float[3] v = {0.25, 2.0, 1.0}>
        { n = BatchNormalization <epsilon = 0.001> (x, s, b, m, v)  y = Relu (n) }""",
    # NaN and infinity tests: Sqrt of the negative half gives NaNs, x / 0 gives
    # infinities of x's sign; the NaN-guarded softmax is how exporters write
    # masked attention.
    "is_nan_is_inf": """
        <ir_version: 8, opset_import: ["" : 17]>
        tests (float[4, 8] x) => (nan, pos, neg, any, guarded)
        { r = Sqrt (x)  nan = IsNaN (r)  z = Sub (x, x)  q = Div (x, z)
          pos = IsInf <detect_negative = 0> (q)  neg = IsInf <detect_positive = 0> (q)
          any = IsInf (q)  s = Softmax (r)  bad = IsNaN (s)
          zero = Constant <value = float {0.0}> ()  guarded = Where (bad, zero, s) }""",
    # Activations with attributes, after a matmul (so they run in its fused
    # body) and alone.
    "activations_with_attributes": """
        <ir_version: 8, opset_import: ["" : 18]>
        acts (float[6, 16] x, float[16, 24] w) => (celu, mish, tr, shrink)
        { m = MatMul (x, w)  celu = Celu <alpha = 1.5> (m)  mish = Mish (x)
          tr = ThresholdedRelu <alpha = 0.25> (x)  shrink = Shrink <bias = 0.5, lambd = 0.75> (x) }""",
    # Trigonometric and hyperbolic functions, after a matmul and alone; the
    # inverse functions get arguments inside their domains.
    "trigonometric": """
        <ir_version: 8, opset_import: ["" : 18]>
        trig (float[6, 16] x, float[16, 24] w)
            => (sinh, atan, tan, asin, acos, cosh, asinh, acosh, atanh)
        { m = MatMul (x, w)  sinh = Sinh (m)  atan = Atan (m)  tan = Tan (x)  t = Tanh (x)
          asin = Asin (t)  acos = Acos (t)  cosh = Cosh (x)  asinh = Asinh (x)
          one = Constant <value = float {1.0}> ()  sq = Mul (x, x)  above1 = Add (sq, one)
          acosh = Acosh (above1)  half = Constant <value = float {0.5}> ()  h = Mul (t, half)
          atanh = Atanh (h) }""",
    # Bitwise ops over signed and unsigned integers of each width, fused
    # (not of xor) and broadcast. ONNX Runtime's uint8 shifts give 0 from
    # the bit width on, as ONNX's do.
    "bitwise_integers": """
        <ir_version: 8, opset_import: ["" : 18]>
        bits (int16[4, 8] a, int16[8] b, int8[4, 8] c, int32[3, 5] i, int64[3, 5] j,
              uint8[4, 8] u, uint8[4, 8] k, uint16[3, 5] h, uint32[3, 5] v, uint64[3, 5] w,
              uint64[5] s)
            => (and16, or16, nxor16, not8, or32, xor64, shl8, shr8, andu16, notu32, shl64, shr64)
        { and16 = BitwiseAnd (a, b)  or16 = BitwiseOr (a, b)  x16 = BitwiseXor (a, b)
          nxor16 = BitwiseNot (x16)  not8 = BitwiseNot (c)  or32 = BitwiseOr (i, i)
          xor64 = BitwiseXor (j, j)  shl8 = BitShift <direction = "LEFT"> (u, k)
          shr8 = BitShift <direction = "RIGHT"> (u, k)  andu16 = BitwiseAnd (h, h)
          notu32 = BitwiseNot (v)  shl64 = BitShift <direction = "LEFT"> (w, s)
          shr64 = BitShift <direction = "RIGHT"> (w, s) }""",
    # Shifts by the bit width or more give 0 in ONNX's reference; ONNX
    # Runtime's 32- and 64-bit shifts leave them to the C++ compiler, and it
    # has no 16-bit shift, so this graph is checked against ONNX's reference
    # (ONNX_REFERENCE). 35 elements: vector loops and their scalar tails.
    "bit_shifts_past_width": """
        <ir_version: 8, opset_import: ["" : 18]>
        shifts (uint16[5, 7] h, uint16[5, 7] k, uint32[5, 7] v, uint32[5, 7] n, uint64[5, 7] w,
                uint64[7] s)
            => (shl16, shr16, shl32, shr32, shl64, shr64)
        { shl16 = BitShift <direction = "LEFT"> (h, k)  shr16 = BitShift <direction = "RIGHT"> (h, k)
          shl32 = BitShift <direction = "LEFT"> (v, n)  shr32 = BitShift <direction = "RIGHT"> (v, n)
          shl64 = BitShift <direction = "LEFT"> (w, s)  shr64 = BitShift <direction = "RIGHT"> (w, s) }""",
    # A body that changes the element type after its anchor: a bool mask
    # expanded then turned into float scores (an attention mask), and a
    # matmul whose result is cast to double.
    "expand_bool_then_where": """
        <ir_version: 8, opset_import: ["" : 17]>
        mask (bool[1, 1, 1, 16] m, float[2, 3, 16, 16] scores) => (y)
        <int64[4] shape = {1, 1, 16, 16}>
        { e = Expand (m, shape)  zero = Constant <value = float {0.0}> ()
          low = Constant <value = float {-10000.0}> ()  bias = Where (e, zero, low)
          y = Add (scores, bias) }""",
    # A batch of A against one B is one GEMM over all their rows (as
    # torch's attention projections are, [seq, 1, hidden]); the fused body
    # finds each row's batch index again.
    "matmul_batch_rows_fold": """
        <ir_version: 8, opset_import: ["" : 17]>
        fold (float[37, 1, 24] a, float[24, 40] b, float[37, 1, 40] r) => (y)
        <float[40] bias = {0.5, -0.5, 0.25, -0.25, 1.0, -1.0, 2.0, -2.0, 0.1, 0.2,
                           0.5, -0.5, 0.25, -0.25, 1.0, -1.0, 2.0, -2.0, 0.1, 0.2,
                           0.5, -0.5, 0.25, -0.25, 1.0, -1.0, 2.0, -2.0, 0.1, 0.2,
                           0.5, -0.5, 0.25, -0.25, 1.0, -1.0, 2.0, -2.0, 0.1, 0.2}>
        { m = MatMul (a, b)  mb = Add (m, bias)  s = Add (mb, r)  y = Relu (s) }""",
    "matmul_then_cast": """
        <ir_version: 8, opset_import: ["" : 17]>
        mmcast (float[24, 40] a, float[40, 56] b) => (y)
        { m = MatMul (a, b)  y = Cast <to = 11> (m) }""",
}

# Reductions, normalizations and data movement, float16 graphs, GEMMs,
# image ops, subgraphs and recurrent ops live in their own files.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from float16_graphs import GRAPHS as FLOAT16_GRAPHS  # noqa: E402
from reduction_movement_graphs import GRAPHS as REDUCTION_MOVEMENT_GRAPHS  # noqa: E402
from gemm_graphs import GRAPHS as GEMM_GRAPHS  # noqa: E402
from image_graphs import GRAPHS as IMAGE_GRAPHS  # noqa: E402
from control_flow_graphs import GRAPHS as CONTROL_FLOW_GRAPHS  # noqa: E402
from recurrent_graphs import GRAPHS as RECURRENT_GRAPHS  # noqa: E402
from recurrent_graphs import INPUT_RANGES as RECURRENT_RANGES  # noqa: E402
from decomposed_graphs import GRAPHS as DECOMPOSED_GRAPHS  # noqa: E402
from decomposed_graphs import INPUT_RANGES as DECOMPOSED_RANGES  # noqa: E402
from decomposed_graphs import ONNX_REFERENCE as DECOMPOSED_REFERENCE  # noqa: E402
from data_sized_graphs import GRAPHS as DATA_SIZED_GRAPHS  # noqa: E402
from data_sized_graphs import INPUT_RANGES as DATA_SIZED_RANGES  # noqa: E402
from data_sized_graphs import ONNX_REFERENCE as DATA_SIZED_REFERENCE  # noqa: E402

GRAPHS.update(REDUCTION_MOVEMENT_GRAPHS)
GRAPHS.update(FLOAT16_GRAPHS)
GRAPHS.update(GEMM_GRAPHS)
GRAPHS.update(IMAGE_GRAPHS)
GRAPHS.update(CONTROL_FLOW_GRAPHS)
GRAPHS.update(RECURRENT_GRAPHS)
GRAPHS.update(DECOMPOSED_GRAPHS)
GRAPHS.update(DATA_SIZED_GRAPHS)

DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
          7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}
# Integer inputs that must stay in a range ([low, high)), by graph; others of
# int64 are small (indices, shapes), of other integer types anything.
INPUT_RANGES = {
    "bitwise_integers": {"k": (0, 12), "s": (0, 64)},
    "bit_shifts_past_width": {"k": (0, 20), "n": (0, 40), "s": (0, 72)},
    **RECURRENT_RANGES,
    **DECOMPOSED_RANGES,
    **DATA_SIZED_RANGES,
}
# Graphs checked against ONNX's reference implementation, not ONNX Runtime.
ONNX_REFERENCE = {"bit_shifts_past_width", "non_max_suppression_random_boxes",
                  "non_max_suppression_opset_10", *DECOMPOSED_REFERENCE,
                  *DATA_SIZED_REFERENCE}
# (atol, rtol) per float dtype, from STYLE.md.
TOLERANCES = {np.float16: (2.5e-3, 1e-3), np.float32: (1e-5, 1e-4), np.float64: (1e-5, 1e-4)}


def model_from_text(text):
    """A graph as ONNX text, or a model built in Python (gemm_graphs)."""
    if isinstance(text, onnx.ModelProto):
        return text
    return onnx.parser.parse_model(text.strip())


def random_inputs(model, rng, ranges=None):
    feeds = {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value for d in tensor.shape.dim]
        dtype = DTYPES[tensor.elem_type]
        if ranges and value.name in ranges:
            low, high = ranges[value.name]
            feeds[value.name] = rng.integers(low, high, shape).astype(dtype)
        elif dtype == np.int64:
            feeds[value.name] = rng.integers(-3, 4, shape).astype(np.int64)
        elif np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            feeds[value.name] = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def check(name, text, cpu, args, work):
    model = model_from_text(text)
    path = os.path.join(work, f"{name}.onnx")
    onnx.save(model, path)
    base = os.path.join(work, f"{name}_{cpu.replace('-', '_')}")
    symbol = os.path.basename(base)
    run = subprocess.run([args.r1c, path, "--target=host", f"--cpu={cpu}", "-o", base],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c failed: {run.stderr.strip()}"
    exe = base + ".run"
    run = subprocess.run([args.cxx, f"-DR1C_MODEL={symbol}", args.harness, base + ".o", "-o", exe,
                          "-lm"], capture_output=True, text=True)
    if run.returncode != 0:
        return f"linking the object failed: {run.stderr.strip()[:400]}"
    if name in GEMM_GRAPHS:
        error = check_gemm_template(path, cpu, args, base, model)
        if error:
            return error
    rng = np.random.default_rng(0)
    feeds = random_inputs(model, rng, INPUT_RANGES.get(name))
    if name in ONNX_REFERENCE:
        expected = ReferenceEvaluator(model).run(None, feeds)
    else:
        expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
    in_paths = []
    for i, value in enumerate(model.graph.input):
        p = f"{base}.in{i}.bin"
        feeds[value.name].tofile(p)
        in_paths.append(p)
    out_specs = [f"{base}.out{i}.bin:{e.nbytes}" for i, e in enumerate(expected)]
    run = subprocess.run([exe, *in_paths, "--", *out_specs], capture_output=True, text=True)
    if run.returncode != 0:
        return f"the linked program failed ({run.returncode}): {run.stderr.strip()}"
    for i, want in enumerate(expected):
        got = np.fromfile(f"{base}.out{i}.bin", dtype=want.dtype).reshape(want.shape)
        if np.issubdtype(want.dtype, np.floating):
            atol, rtol = TOLERANCES[want.dtype.type]
            bad = ~np.isclose(got, want, atol=atol, rtol=rtol) | np.isnan(got)
        else:
            bad = got != want
        if bad.any():
            worst = np.unravel_index(np.argmax(bad), want.shape)
            return (f"output {i}: {int(bad.sum())} of {want.size} elements differ; at {worst} "
                    f"expected {want[worst]}, got {got[worst]}")
    if name in DATA_SIZED_GRAPHS:
        return check_reported_dims(model, base, feeds, expected, args)
    return None


def check_reported_dims(model, base, feeds, expected, args):
    """Runs the artifact with r1c-run, which compares each output's dims
    (those the code reports) and data with the expected ones."""
    if not args.r1c_run:
        return "needs --r1c-run to check the dims the code reports"
    options = []
    for i, value in enumerate(model.graph.input):
        np.save(f"{base}.in{i}.npy", feeds[value.name])
        options += ["--input", f"{base}.in{i}.npy"]
    for i, want in enumerate(expected):
        np.save(f"{base}.want{i}.npy", want)
        options += ["--expected", f"{base}.want{i}.npy"]
    run = subprocess.run([args.r1c_run, base + ".r1", *options], capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c-run disagrees: {(run.stdout + run.stderr).strip()[-600:]}"
    return None


def check_gemm_template(path, cpu, args, base, model):
    """A GEMM graph must reach its template (a host_gemm variant on its
    kernel, or host_depthwise_conv for a depthwise graph), and its outputs
    must not depend on the thread count."""
    run = subprocess.run([args.r1c, path, "--compile-to=kernel", f"--cpu={cpu}", "--elide-weights"],
                         capture_output=True, text=True)
    variant = "#r1k.host_depthwise_conv" if "depthwise" in base else "#r1k.host_gemm"
    if variant not in run.stdout:
        return f"no kernel got a {variant[1:]} variant: the template was not exercised"
    if not args.r1c_run:
        return None
    feeds = random_inputs(model, np.random.default_rng(1))
    inputs = []
    for i, value in enumerate(model.graph.input):
        p = f"{base}.threads_in{i}.npy"
        np.save(p, feeds[value.name])
        inputs += ["--input", p]
    outputs = []
    for threads in (1, 2):
        out_dir = f"{base}.threads{threads}"
        run = subprocess.run([args.r1c_run, base + ".r1", *inputs, "--threads", str(threads),
                              "--save-outputs", out_dir], capture_output=True, text=True)
        if run.returncode != 0:
            return f"r1c-run --threads {threads} failed: {run.stderr.strip()}"
        outputs.append([np.load(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))])
    for one, two in zip(*outputs):
        if one.tobytes() != two.tobytes():
            return "outputs differ between 1 and 2 threads"
    return None


def cpu_has_avx512():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return "avx512f" in f.read()
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--harness", default=os.path.join(os.path.dirname(__file__), "harness.cpp"))
    parser.add_argument("--cxx", default=os.environ.get("CXX", "c++"))
    parser.add_argument("--r1c-run", help="with it, GEMM graphs also run on 1 and 2 threads, "
                        "which must give the same bits")
    parser.add_argument("--cpu", action="append", help="default: x86-64-v3 and x86-64-v4")
    parser.add_argument("--graph", action="append", choices=sorted(GRAPHS),
                        help="check only these graphs (default: all)")
    args = parser.parse_args()
    cpus = args.cpu or ["x86-64-v3", "x86-64-v4"]
    graphs = {name: GRAPHS[name] for name in args.graph} if args.graph else GRAPHS
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as work:
        for cpu in cpus:
            if cpu == "x86-64-v4" and not cpu_has_avx512():
                print(f"skip {cpu}: this CPU has no AVX-512")
                skipped += len(graphs)
                continue
            for name, text in graphs.items():
                error = check(name, text, cpu, args, work)
                if error:
                    failed += 1
                    print(f"FAIL {name} ({cpu}): {error}")
                else:
                    passed += 1
                    print(f"ok   {name} ({cpu})")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
