#!/usr/bin/env python3
"""bf16 matmuls, Gemms and convolutions on the host, at every x86-64 level
the CPU runs: the artifact (r1c --cpu=auto) runs its x86-64-v4-dl code
(vdpbf16ps) where the CPU has AVX512-BF16, and R1C_MAX_CPU_ISA holds it at
x86-64-v4 (AVX-512 FMAs on widened operands) and x86-64-v3 (AVX2).

Each output is compared with NumPy in float64 on the same bf16 inputs, with
STYLE.md's bf16 tolerance (atol 2e-2, rtol 1e-2) after the result's own
rounding; NaN never passes. Shapes cover odd K (the zero pad of a k-pair),
batch dims, fused bias and ReLU, B as a constant weight (packed at compile
time) and as an input (packed at run time), a product kept in f32
(bf16 operands, f32 result: r1 IR, which ONNX cannot say), and f32
convolutions with narrow output planes (7 x 7, 5 x 5) compiled with
--precision=bf16, which run transposed (checked in the kernel IR).
Prints `N passed, N failed, N skipped`.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_levels import check_cases  # noqa: E402

ATOL, RTOL = 2e-2, 1e-2
LEVELS = {"x86-64-v4-dl": None, "x86-64-v4": "x86-64-v4", "x86-64-v3": "x86-64-v3"}


def to_bf16_bits(x):
    """float32 -> bf16 bit patterns (uint16), rounded to nearest even."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


class Case:
    """A model, its random inputs (bf16 bit patterns or float32) and the
    float64 reference of its one output."""

    def __init__(self, name, path, inputs, reference, result_bf16, flags=(), variant=None):
        self.name, self.path, self.inputs = name, path, inputs
        self.reference, self.result_bf16 = reference, result_bf16
        self.flags = list(flags)
        # Text the x86-64-v4-dl variant must contain, when it matters.
        self.variant = variant


def bf16_random(rng, shape, scale=1.0):
    bits = to_bf16_bits(rng.standard_normal(shape).astype(np.float32) * scale)
    return bits, from_bf16_bits(bits).astype(np.float64)


def conv2d(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def save_model(path, nodes, inputs, output, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, [output], list(initializers))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def bf16_input(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.BFLOAT16, shape)


def bf16_initializer(name, bits):
    return helper.make_tensor(name, TensorProto.BFLOAT16, bits.shape, bits.tobytes(), raw=True)


def make_cases(work, rng):
    cases = []

    def matmul(name, a_shape, b_shape, constant_b, bias_relu):
        a_bits, a = bf16_random(rng, a_shape)
        b_bits, b = bf16_random(rng, b_shape, 0.5)
        n = b_shape[-1]
        out_shape = list(np.broadcast_shapes(a_shape[:-2], b_shape[:-2])) + [a_shape[-2], n]
        nodes = [helper.make_node("MatMul", ["a", "b"], ["m" if bias_relu else "y"])]
        inputs, feeds, inits = [bf16_input("a", a_shape)], [a_bits], []
        if constant_b:
            inits.append(bf16_initializer("b", b_bits))
        else:
            inputs.append(bf16_input("b", b_shape))
            feeds.append(b_bits)
        ref = a @ b
        if bias_relu:
            c_bits, c = bf16_random(rng, [n])
            inputs.append(bf16_input("c", [n]))
            feeds.append(c_bits)
            # ONNX rounds the product to bf16 before the bias.
            m = from_bf16_bits(to_bf16_bits(ref)).astype(np.float64)
            nodes += [helper.make_node("Add", ["m", "c"], ["s"]),
                      helper.make_node("Relu", ["s"], ["y"])]
            ref = np.maximum(m + c, 0)
        path = os.path.join(work, name + ".onnx")
        save_model(path, nodes, inputs, bf16_input("y", out_shape), inits)
        cases.append(Case(name, path, feeds, ref, True))

    matmul("matmul_input_b", [64, 96], [96, 80], False, False)
    matmul("matmul_weight_odd_k", [33, 77], [77, 50], True, False)
    matmul("matmul_batch_odd_k_bias_relu", [2, 3, 17, 31], [31, 40], False, True)
    matmul("matmul_weight_bias_relu", [128, 256], [256, 96], True, True)
    matmul("matmul_batched_b_odd_k", [4, 20, 45], [4, 45, 36], False, False)

    # Gemm with a transposed constant B, alpha and a bias, then ReLU.
    a_bits, a = bf16_random(rng, [40, 65])
    bt_bits, bt = bf16_random(rng, [48, 65], 0.5)
    c_bits, c = bf16_random(rng, [48])
    path = os.path.join(work, "gemm_trans_b_bias_relu.onnx")
    save_model(path, [helper.make_node("Gemm", ["a", "bt", "c"], ["g"], transB=1, alpha=0.5),
                      helper.make_node("Relu", ["g"], ["y"])],
               [bf16_input("a", [40, 65]), bf16_input("c", [48])], bf16_input("y", [40, 48]),
               [bf16_initializer("bt", bt_bits)])
    cases.append(Case("gemm_trans_b_bias_relu", path, [a_bits, c_bits],
                      np.maximum(0.5 * (a @ bt.T) + c, 0), True))

    def conv(name, x_shape, w_shape, stride, pad, relu):
        x_bits, x = bf16_random(rng, x_shape)
        w_bits, w = bf16_random(rng, w_shape, 0.3)
        b_bits, b = bf16_random(rng, [w_shape[0]])
        ref = conv2d(x, w, b, stride, pad)
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c" if relu else "y"],
                                  strides=[stride, stride], pads=[pad] * 4)]
        if relu:
            nodes.append(helper.make_node("Relu", ["c"], ["y"]))
            ref = np.maximum(ref, 0)
        path = os.path.join(work, name + ".onnx")
        save_model(path, nodes, [bf16_input("x", x_shape), bf16_input("w", w_shape),
                                 bf16_input("b", [w_shape[0]])],
                   bf16_input("y", list(ref.shape)))
        cases.append(Case(name, path, [x_bits, w_bits, b_bits], ref, True))

    conv("conv3x3_bias_relu", [2, 16, 14, 14], [32, 16, 3, 3], 1, 1, True)
    conv("conv3x3_stride2_odd_k", [1, 3, 17, 19], [16, 3, 3, 3], 2, 1, False)
    conv("conv1x1_odd_k", [1, 45, 9, 10], [24, 45, 1, 1], 1, 0, True)

    # f32 convolutions at --precision=bf16 (bf16 products, f32 sums and
    # bias) whose narrow output planes run transposed: 49 positions = 6 x 8
    # + 1, 64 output channels = a panel of 48 and one of 16.
    def bf16_conv(name, x_shape, w_shape, stride, pad, bias, relu):
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = (rng.standard_normal(w_shape) * 0.3).astype(np.float32)
        b = rng.standard_normal(w_shape[0]).astype(np.float32) if bias else np.zeros(w_shape[0])
        # The precision pass converts the input and the weight; the bias,
        # which starts the f32 sums, stays f32.
        rounded = [from_bf16_bits(to_bf16_bits(v)).astype(np.float64) for v in (x, w)]
        ref = conv2d(*rounded, b.astype(np.float64), stride, pad)
        inits = [helper.make_tensor("w", TensorProto.FLOAT, w_shape, w.ravel())]
        inputs = ["x", "w"]
        if bias:
            inits.append(helper.make_tensor("b", TensorProto.FLOAT, [w_shape[0]], b))
            inputs.append("b")
        nodes = [helper.make_node("Conv", inputs, ["c" if relu else "y"],
                                  strides=[stride, stride], pads=[pad] * 4)]
        if relu:
            nodes.append(helper.make_node("Relu", ["c"], ["y"]))
            ref = np.maximum(ref, 0)
        path = os.path.join(work, name + ".onnx")
        save_model(path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                   helper.make_tensor_value_info("y", TensorProto.FLOAT, list(ref.shape)), inits)
        cases.append(Case(name, path, [x], ref, False, ["--precision=bf16"],
                          "dot = dpbf16, transposed = true"))

    bf16_conv("conv3x3_bf16_transposed_bias_relu", [1, 32, 7, 7], [64, 32, 3, 3], 1, 1, True,
              True)
    bf16_conv("conv1x1_bf16_transposed_batch2", [2, 24, 7, 7], [96, 24, 1, 1], 1, 0, True, False)
    bf16_conv("conv3x3_bf16_transposed_stride2_no_bias", [1, 16, 9, 9], [32, 16, 3, 3], 2, 1,
              False, True)

    # A widening product: bf16 operands, f32 sums kept in f32, bias and ReLU
    # on them (r1 IR: the form a precision pass writes).
    a_bits, a = bf16_random(rng, [50, 99])
    b_bits, b = bf16_random(rng, [99, 70], 0.5)
    c = rng.standard_normal(70).astype(np.float32)
    path = os.path.join(work, "widening_matmul_bias_relu.mlir")
    with open(path, "w", encoding="utf-8") as f:
        f.write("""func.func @main(%a: tensor<50x99xbf16>, %b: tensor<99x70xbf16>, %c: tensor<70xf32>)
    -> tensor<50x70xf32> {
  %m = r1.matmul %a, %b : (tensor<50x99xbf16>, tensor<99x70xbf16>) -> tensor<50x70xf32>
  %s = r1.add %m, %c : (tensor<50x70xf32>, tensor<70xf32>) -> tensor<50x70xf32>
  %y = r1.relu %s : (tensor<50x70xf32>) -> tensor<50x70xf32>
  return %y : tensor<50x70xf32>
}
""")
    cases.append(Case("widening_matmul_bias_relu", path, [a_bits, b_bits, c],
                      np.maximum(a @ b + c.astype(np.float64), 0), False))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(7)

    def compare(case, got):
        got = from_bf16_bits(got) if case.result_bf16 else got
        want = case.reference
        if case.result_bf16:
            want = from_bf16_bits(to_bf16_bits(want)).astype(np.float64)
        error = np.abs(got.astype(np.float64) - want)
        ok = (got.shape == want.shape and not np.isnan(got).any()
              and bool(np.all(error <= ATOL + RTOL * np.abs(want))))
        return ok, f"max error {error.max():.3g}"

    with tempfile.TemporaryDirectory() as work:
        passed, failed, skipped = check_cases(args.r1c, args.r1c_run, make_cases(work, rng), work,
                                              LEVELS, compare)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
