#!/usr/bin/env python3
"""8-bit integer matmuls and convolutions on the host, bit-exact against
NumPy integer arithmetic, at x86-64-v4-dl (vpdpbusd over the weight packed
when compiling) and held at x86-64-v3 (R1C_MAX_CPU_ISA: the packed 16-bit
integer GEMM with vpmaddwd).

ONNX MatMulInteger and ConvInteger with a constant weight give the i32 sums
themselves, compared for equality; two more cases run the dequantizing
epilogue (cast, per-column or per-channel scale, bias, ReLU) fused into
the kernel, compared with the same float32 arithmetic in NumPy. Shapes cover
K not a multiple of 4 (1, 2 and 3 past it), N not a multiple of the 16-lane
vector, M = 1, u8 and i8 activations, i8 and u8 weights, per-column and
per-channel weight zero points that are not 0, batched activations, and
grouped, strided and padded convolutions (the pads read the zero point),
convolutions with narrow output planes (7 x 7, 5 x 5), which run transposed
(checked in the kernel IR), and weights in a side file (--weights=external:
a matmul's packed per call).
Prints `N passed, N failed, N skipped`.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_levels import check_cases  # noqa: E402

LEVELS = {"x86-64-v4-dl": None, "x86-64-v3": "x86-64-v3"}
ONNX_TYPE = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def random_bytes(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def dequantize_nodes():
    """The epilogue a dequantizing case fuses: the i32 sums `s` cast to f32, times `scale`,
    plus `bias`, ReLU, as `y`."""
    return [helper.make_node("Cast", ["s"], ["f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["f", "scale"], ["m"]),
            helper.make_node("Add", ["m", "bias"], ["b"]),
            helper.make_node("Relu", ["b"], ["y"])]


def conv2d_int(x, w, zx, zw, stride, pads, group):
    """sum (x - zx) (w - zw) over each window, in int64; pads read zx."""
    x = x.astype(np.int64) - zx
    w = w.astype(np.int64) - np.asarray(zw, np.int64).reshape(-1, 1, 1, 1)
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - kh) // stride[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // stride[1] + 1
    y = np.zeros((n, f, oh, ow), np.int64)
    fg = f // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]]
                y[:, g * fg:(g + 1) * fg] += np.einsum("nchw,fc->nfhw", patch,
                                                       w[g * fg:(g + 1) * fg, :, i, j])
    return y


class Case:
    def __init__(self, name, path, inputs, reference, exact, flags=(), best="x86-64-v4-dl",
                 variant=None):
        self.name, self.path, self.inputs = name, path, inputs
        self.reference, self.exact, self.flags = reference, exact, list(flags)
        # Text the x86-64-v4-dl variant must contain, when it matters.
        self.variant = variant
        # The level the artifact's best code is for.
        self.best = best


def make_cases(work, rng):
    cases = []

    def save(name, nodes, inputs, output, inits):
        graph = helper.make_graph(nodes, "g", inputs, [output], inits)
        path = os.path.join(work, name + ".onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
        return path

    def zero_points(dtype, count, per_output, zero):
        if zero:
            return np.zeros(count if per_output else (), dtype)
        return random_bytes(rng, dtype, count if per_output else ())

    def matmul(name, a_shape, n, a_type, w_type, za, w_per_column, w_zero, dequantize=False,
               flags=()):
        k = a_shape[-1]
        a = random_bytes(rng, a_type, a_shape)
        w = random_bytes(rng, w_type, (k, n))
        za = np.array(za, a_type)
        zw = zero_points(w_type, n, w_per_column, w_zero)
        sums = (a.astype(np.int64) - int(za)) @ (w.astype(np.int64) - zw.astype(np.int64))
        inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(za, "za"),
                 numpy_helper.from_array(zw, "zw")]
        out_shape = list(a_shape[:-1]) + [n]
        nodes = [helper.make_node("MatMulInteger", ["a", "w", "za", "zw"], ["s"])]
        if dequantize:
            scale = (rng.random(n).astype(np.float32) + 0.5) * 1e-3
            bias = rng.standard_normal(n).astype(np.float32)
            inits += [numpy_helper.from_array(scale, "scale"), numpy_helper.from_array(bias, "bias")]
            nodes += dequantize_nodes()
            ref = np.maximum(sums.astype(np.float32) * scale + bias, np.float32(0))
            output = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
        else:
            nodes[0].output[0] = "y"
            ref = sums
            output = helper.make_tensor_value_info("y", TensorProto.INT32, out_shape)
        path = save(name, nodes, [helper.make_tensor_value_info("a", ONNX_TYPE[a_type], a_shape)],
                    output, inits)
        cases.append(Case(name, path, [a], ref, not dequantize, flags))

    # name, activation shape, N, activation / weight types, za, per-column, zero zw
    matmul("mm_u8_i8_k37_n40", [5, 37], 40, np.uint8, np.int8, 3, True, True)
    matmul("mm_i8_i8_m1_k30_zw_per_column", [1, 30], 100, np.int8, np.int8, -7, True, False)
    matmul("mm_u8_u8_zw128_k64_n49", [33, 64], 49, np.uint8, np.uint8, 131, False, True)
    matmul("mm_i8_u8_k39_zw_per_column", [17, 39], 16, np.int8, np.uint8, 0, True, False)
    matmul("mm_batched_u8_i8_k35_zw5", [2, 3, 7, 35], 20, np.uint8, np.int8, 200, False, False)
    matmul("mm_u8_i8_m64_k256_n96", [64, 256], 96, np.uint8, np.int8, 128, True, True)
    # Weights in a side file: the matmul packs its u8 weight per call.
    matmul("mm_external_weights_i8_u8_k45_zw_per_column", [9, 45], 70, np.int8, np.uint8, 9, True,
           False, flags=["--weights=external"])
    matmul("mm_dequantize_bias_relu", [2, 24, 96], 150, np.uint8, np.int8, 117, True, True,
           dequantize=True)

    def conv(name, x_shape, w_shape, x_type, w_type, zx, w_per_channel, w_zero, stride, pads,
             group=1, dequantize=False, flags=(), best="x86-64-v4-dl", variant=None):
        x = random_bytes(rng, x_type, x_shape)
        w = random_bytes(rng, w_type, w_shape)
        zx = np.array(zx, x_type)
        zw = zero_points(w_type, w_shape[0], w_per_channel, w_zero)
        sums = conv2d_int(x, w, int(zx), zw.astype(np.int64), stride, pads, group)
        inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(zx, "zx"),
                 numpy_helper.from_array(zw, "zw")]
        nodes = [helper.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["s"], strides=stride,
                                  pads=pads, group=group)]
        if dequantize:
            f = w_shape[0]
            scale = ((rng.random(f).astype(np.float32) + 0.5) * 1e-3).reshape(1, f, 1, 1)
            bias = rng.standard_normal(f).astype(np.float32).reshape(1, f, 1, 1)
            inits += [numpy_helper.from_array(scale, "scale"), numpy_helper.from_array(bias, "bias")]
            nodes += dequantize_nodes()
            ref = np.maximum(sums.astype(np.float32) * scale + bias, np.float32(0))
            output = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(ref.shape))
        else:
            nodes[0].output[0] = "y"
            ref = sums
            output = helper.make_tensor_value_info("y", TensorProto.INT32, list(ref.shape))
        path = save(name, nodes, [helper.make_tensor_value_info("x", ONNX_TYPE[x_type], x_shape)],
                    output, inits)
        cases.append(Case(name, path, [x], ref, not dequantize, flags, best, variant))

    conv("conv3x3_u8_i8_pad1_k72", [1, 8, 9, 10], [16, 8, 3, 3], np.uint8, np.int8, 10, True,
         True, [1, 1], [1, 1, 1, 1])
    conv("conv3x3_i8_i8_group2_stride2_k27_zw_per_channel", [2, 6, 7, 9], [10, 3, 3, 3], np.int8,
         np.int8, -3, True, False, [2, 2], [1, 1, 1, 1], group=2)
    conv("conv1x1_u8_u8_zw128_k13", [1, 13, 5, 6], [7, 13, 1, 1], np.uint8, np.uint8, 77, False,
         True, [1, 1], [0, 0, 0, 0])
    conv("conv2x3_i8_u8_stride21_asym_pads_k30_zw_per_channel", [1, 5, 11, 12], [9, 5, 2, 3],
         np.int8, np.uint8, 5, True, False, [2, 1], [1, 0, 0, 2])
    # Whole quads of channels per group: K runs tap-major, four channels of
    # a tap gathered at once (row loads at strides 1 and 2, a gather at 3).
    conv("conv3x3_i8_i8_c8_stride2_zw_per_channel", [1, 8, 15, 13], [24, 8, 3, 3], np.int8,
         np.int8, -20, True, False, [2, 2], [1, 1, 1, 1])
    conv("conv3x3_u8_i8_c4_stride3_gather", [1, 4, 13, 14], [6, 4, 3, 3], np.uint8, np.int8, 9,
         False, True, [3, 3], [1, 1, 1, 1])
    conv("conv3x3_u8_u8_c4_group2_ranges", [1, 8, 20, 20], [12, 4, 3, 3], np.uint8, np.uint8,
         60, True, False, [1, 1], [1, 1, 1, 1], group=2)
    conv("conv1x1_i8_i8_c16_zw_per_channel", [2, 16, 7, 9], [20, 16, 1, 1], np.int8, np.int8, 4,
         True, False, [1, 1], [0, 0, 0, 0])
    # K = 333 gathered in ten ranges of whole quads, the last padded.
    conv("conv3x3_u8_i8_k333_ranges_zw_per_channel", [1, 37, 6, 7], [20, 37, 3, 3], np.uint8,
         np.int8, 250, True, False, [1, 1], [1, 1, 1, 1])
    # A convolution's weight would be packed into the code: with weights in
    # a side file it keeps the integer GEMM, and x86-64-v4-dl is not built.
    conv("conv3x3_external_weights_u8_i8", [1, 8, 9, 10], [16, 8, 3, 3], np.uint8, np.int8, 3,
         True, False, [1, 1], [1, 1, 1, 1], flags=["--weights=external"], best="x86-64-v4")
    conv("conv3x3_dequantize_bias_relu", [1, 32, 14, 14], [40, 32, 3, 3], np.uint8, np.int8, 128,
         True, True, [1, 1], [1, 1, 1, 1], dequantize=True)
    # Narrow output planes run transposed: positions broadcast in blocks of
    # 8 (49 = 6 x 8 + 1, 25 = 3 x 8 + 1), output channels in panels of 48
    # (64 and 96 channels: a panel of 16 and whole panels).
    transposed = "transposed = true"
    conv("conv1x1_transposed_u8_i8_7x7", [1, 32, 7, 7], [64, 32, 1, 1], np.uint8, np.int8, 10,
         False, True, [1, 1], [0, 0, 0, 0], variant=transposed)
    conv("conv3x3_transposed_i8_i8_pad1_batch2", [2, 16, 7, 7], [96, 16, 3, 3], np.int8, np.int8,
         -5, False, True, [1, 1], [1, 1, 1, 1], variant=transposed)
    conv("conv3x3_transposed_u8_i8_stride2_5x5", [1, 8, 9, 9], [32, 8, 3, 3], np.uint8, np.int8,
         200, False, True, [2, 2], [1, 1, 1, 1], variant=transposed)
    conv("conv3x3_transposed_dequantize_bias_relu", [1, 64, 7, 7], [48, 64, 3, 3], np.uint8,
         np.int8, 3, False, True, [1, 1], [1, 1, 1, 1], dequantize=True, variant=transposed)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(11)

    def compare(case, got):
        want = case.reference
        if case.exact:
            same = got.shape == want.shape
            ok = got.dtype == np.int32 and same and bool(np.array_equal(got.astype(np.int64), want))
            return ok, f"{int(np.count_nonzero(got != want)) if same else 'shape'} differ"
        error = np.abs(got.astype(np.float64) - want)
        ok = (got.shape == want.shape and not np.isnan(got).any()
              and bool(np.all(error <= 1e-5 + 1e-4 * np.abs(want))))
        return ok, f"max error {error.max():.3g}"

    with tempfile.TemporaryDirectory() as work:
        passed, failed, skipped = check_cases(args.r1c, args.r1c_run, make_cases(work, rng), work,
                                              LEVELS, compare)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
