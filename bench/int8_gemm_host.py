#!/usr/bin/env python3
"""r1c's host GEMMs and convolutions in int8 against the same in f32 and
bf16, one thread.

BERT-base's linear layers (M = 128 and 512 tokens by 768x768, 768x3072 and
3072x768 weights) and three of ResNet-50's convolutions (3x3 64->64 on
56 x 56, 1x1 256->64 on 56 x 56, 3x3 256->256 on 14 x 14), each with a
constant weight. The int8 model is the shape post-training quantization
gives: a u8 activation (its quantization fused into the producer), an
MatMulInteger or ConvInteger with an i8 weight (zero point 0) and a u8
zero point, then the dequantization (cast to f32, times a per-column or
per-channel scale), fused into the kernel. Each model is compiled once per
dtype with r1c --target=host (--cpu=auto: the int8 and bf16 artifacts
carry x86-64-v4-dl code, vpdpbusd and vdpbf16ps, which a CPU with
AVX512-VNNI and AVX512-BF16 runs); rounds run every case in turn
(interleaved), each `r1c-run --bench` giving a median; the table has the
median over rounds and their spread. Writes a Markdown table to stdout.
"""
import argparse
import os
import statistics
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_timing import case_macs, compile_and_time, cpu_name, describe_case  # noqa: E402

GEMMS = [("gemm", m, k, n) for m in (128, 512) for (k, n) in ((768, 768), (768, 3072), (3072, 768))]
CONVS = [("conv", 1, 64, 56, 56, 64, 3), ("conv", 1, 256, 56, 56, 64, 1),
         ("conv", 1, 256, 14, 14, 256, 3)]  # batch, channels, height, width, filters, kernel
DTYPES = ("f32", "bf16", "int8")


def float_weight(shape, dtype, rng):
    w = (rng.standard_normal(shape) * 0.05).astype(np.float32)
    if dtype == "f32":
        return numpy_helper.from_array(w, "w")
    bits = (w.view(np.uint32) >> 16).astype(np.uint16)
    return helper.make_tensor("w", TensorProto.BFLOAT16, shape, bits.tobytes(), raw=True)


def make_model(path, case, dtype, rng):
    if case[0] == "gemm":
        _, m, k, n = case
        x_shape, w_shape, y_shape, outputs = [m, k], [k, n], [m, n], n
    else:
        _, b, c, h, w, f, r = case
        x_shape, w_shape, y_shape, outputs = [b, c, h, w], [f, c, r, r], [b, f, h, w], f
    conv_attrs = {} if case[0] == "gemm" else {"pads": [case[6] // 2] * 4}
    if dtype == "int8":
        op = "MatMulInteger" if case[0] == "gemm" else "ConvInteger"
        scale_shape = [outputs] if case[0] == "gemm" else [1, outputs, 1, 1]
        inits = [numpy_helper.from_array(rng.integers(-127, 128, w_shape).astype(np.int8), "w"),
                 numpy_helper.from_array(np.array(128, np.uint8), "zx"),
                 numpy_helper.from_array(np.zeros([], np.int8), "zw"),
                 numpy_helper.from_array(
                     (rng.random(scale_shape).astype(np.float32) + 0.5) * 1e-3, "scale")]
        nodes = [helper.make_node(op, ["x", "w", "zx", "zw"], ["s"], **conv_attrs),
                 helper.make_node("Cast", ["s"], ["f"], to=TensorProto.FLOAT),
                 helper.make_node("Mul", ["f", "scale"], ["y"])]
        inputs = [helper.make_tensor_value_info("x", TensorProto.UINT8, x_shape)]
        output = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)
    else:
        elem = TensorProto.FLOAT if dtype == "f32" else TensorProto.BFLOAT16
        op = "MatMul" if case[0] == "gemm" else "Conv"
        nodes = [helper.make_node(op, ["x", "w"], ["y"], **conv_attrs)]
        inputs = [helper.make_tensor_value_info("x", elem, x_shape)]
        output = helper.make_tensor_value_info("y", elem, y_shape)
        inits = [float_weight(w_shape, dtype, rng)]
    graph = helper.make_graph(nodes, "bench", inputs, [output], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", default="build/bin/r1c")
    parser.add_argument("--r1c-run", default="build/bin/r1c-run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="r1c-run --bench runs per round")
    parser.add_argument("--keep", help="keep the artifacts in this folder")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cases = GEMMS + CONVS
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or scratch
        os.makedirs(work, exist_ok=True)
        models = {(i, dtype): (lambda path, case=case, dtype=dtype:
                               make_model(path, case, dtype, rng))
                  for i, case in enumerate(cases) for dtype in DTYPES}
        times, devices = compile_and_time(args.r1c, args.r1c_run, work, models, args.rounds,
                                          args.runs)
    print(f"CPU: {cpu_name()}, 1 thread; {args.rounds} interleaved rounds of "
          f"`r1c-run --bench {args.runs}`; median over rounds (min to max).\n")
    for dtype, device in devices.items():
        print(f"- {dtype}: {device}")
    print("\n| shape | f32 ms | bf16 ms | int8 ms | int8 vs f32 | int8 vs bf16 | int8 GMAC/s |")
    print("|---|---|---|---|---|---|---|")
    for i, case in enumerate(cases):
        cells, medians = [], {}
        for dtype in DTYPES:
            t = times[(i, dtype)]
            medians[dtype] = statistics.median(t)
            cells.append(f"{medians[dtype]:.3f} ({min(t):.3f}-{max(t):.3f})")
        print(f"| {describe_case(case)} | {' | '.join(cells)} | "
              f"{medians['f32'] / medians['int8']:.2f}x | {medians['bf16'] / medians['int8']:.2f}x | "
              f"{case_macs(case) / medians['int8'] / 1e6:.0f} |")


if __name__ == "__main__":
    main()
