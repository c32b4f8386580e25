#!/usr/bin/env python3
"""r1c's host GEMMs in f32 against the same GEMMs in bf16, one thread.

BERT-base's linear layers (M = 128 and 512 tokens by 768x768, 768x3072 and
3072x768 weights, constant, so packed at compile time) and a 3x3
convolution of ResNet-50's third stage (256 to 256 channels on 14 x 14).
Each model is compiled once per dtype with r1c --target=host (--cpu=auto:
the bf16 artifacts carry x86-64-v4-dl code, which a CPU with AVX512-BF16
runs); rounds run every case in turn (interleaved), each `r1c-run --bench`
giving a median; the table has the median over rounds and their spread.
Writes a Markdown table to stdout.
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

GEMMS = [(m, k, n) for m in (128, 512) for (k, n) in ((768, 768), (768, 3072), (3072, 768))]
CONV = (1, 256, 14, 14, 256, 3)  # batch, channels, height, width, filters, kernel


def weight(shape, dtype, rng):
    w = (rng.standard_normal(shape) * 0.05).astype(np.float32)
    if dtype == "f32":
        return numpy_helper.from_array(w, "w")
    bits = (w.view(np.uint32) >> 16).astype(np.uint16)
    return helper.make_tensor("w", TensorProto.BFLOAT16, shape, bits.tobytes(), raw=True)


def make_model(path, case, dtype, rng):
    elem = TensorProto.FLOAT if dtype == "f32" else TensorProto.BFLOAT16
    if case[0] == "gemm":
        _, m, k, n = case
        nodes = [helper.make_node("MatMul", ["x", "w"], ["y"])]
        inputs = [helper.make_tensor_value_info("x", elem, [m, k])]
        output = helper.make_tensor_value_info("y", elem, [m, n])
        inits = [weight([k, n], dtype, rng)]
    else:
        _, b, c, h, w, f, r = case
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], pads=[r // 2] * 4)]
        inputs = [helper.make_tensor_value_info("x", elem, [b, c, h, w])]
        output = helper.make_tensor_value_info("y", elem, [b, f, h, w])
        inits = [weight([f, c, r, r], dtype, rng)]
    graph = helper.make_graph(nodes, "bench", inputs, [output], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", default="build/bin/r1c")
    parser.add_argument("--r1c-run", default="build/bin/r1c-run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20, help="r1c-run --bench runs per round")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cases = [("gemm", *g) for g in GEMMS] + [("conv", *CONV)]
    with tempfile.TemporaryDirectory() as work:
        models = {(i, dtype): (lambda path, case=case, dtype=dtype:
                               make_model(path, case, dtype, rng))
                  for i, case in enumerate(cases) for dtype in ("f32", "bf16")}
        times, devices = compile_and_time(args.r1c, args.r1c_run, work, models, args.rounds,
                                          args.runs)
    print(f"CPU: {cpu_name()}, 1 thread; {args.rounds} interleaved rounds of "
          f"`r1c-run --bench {args.runs}`; median over rounds (min to max).\n")
    for dtype, device in devices.items():
        print(f"- {dtype}: {device}")
    print("\n| shape | f32 ms | bf16 ms | bf16 speedup | bf16 GFLOP/s |")
    print("|---|---|---|---|---|")
    for i, case in enumerate(cases):
        f32, bf16 = times[(i, "f32")], times[(i, "bf16")]
        mf, mb = statistics.median(f32), statistics.median(bf16)
        print(f"| {describe_case(case)} | {mf:.3f} ({min(f32):.3f}-{max(f32):.3f}) | "
              f"{mb:.3f} ({min(bf16):.3f}-{max(bf16):.3f}) | {mf / mb:.2f}x | "
              f"{2.0 * case_macs(case) / mb / 1e6:.0f} |")


if __name__ == "__main__":
    main()
