#!/usr/bin/env python3
"""Compiles small ONNX graphs with `r1c --target=host`, links each into a C++
program, runs it on random inputs and compares with ONNX Runtime.

Tolerances are STYLE.md's fp32 ones (atol 1e-5, rtol 1e-4); NaN never passes.
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
}

DTYPES = {1: np.float32, 7: np.int64, 9: np.bool_}


def model_from_text(text):
    return onnx.parser.parse_model(text.strip())


def random_inputs(model, rng):
    feeds = {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value for d in tensor.shape.dim]
        dtype = DTYPES[tensor.elem_type]
        if dtype == np.int64:
            feeds[value.name] = rng.integers(-3, 4, shape).astype(np.int64)
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
    rng = np.random.default_rng(0)
    feeds = random_inputs(model, rng)
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
            bad = ~np.isclose(got, want, atol=1e-5, rtol=1e-4) | np.isnan(got)
        else:
            bad = got != want
        if bad.any():
            worst = np.unravel_index(np.argmax(bad), want.shape)
            return (f"output {i}: {int(bad.sum())} of {want.size} elements differ; at {worst} "
                    f"expected {want[worst]}, got {got[worst]}")
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
    parser.add_argument("--cpu", action="append", help="default: x86-64-v3 and x86-64-v4")
    args = parser.parse_args()
    cpus = args.cpu or ["x86-64-v3", "x86-64-v4"]
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as work:
        for cpu in cpus:
            if cpu == "x86-64-v4" and not cpu_has_avx512():
                print(f"skip {cpu}: this CPU has no AVX-512")
                skipped += len(GRAPHS)
                continue
            for name, text in GRAPHS.items():
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
