#!/usr/bin/env python3
"""Compiles every generated model with r1c and re-parses the output with r1c-opt.

For each DIR/*.onnx: `r1c M.onnx --emit=mlir -o M.mlir` must succeed, `r1c-opt
M.mlir` must parse and verify it (and the kernel phase, as bytecode), the function's result types must equal the
output types the ONNX file declares (symbolic dims as `?`), and a model with
static inputs must come out fully static (no `?` anywhere in its graph).
Prints one line per model and the summary line `N passed, N failed`.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import onnx

ELEMENT_TYPES = {1: "f32", 6: "i32", 7: "i64", 9: "i1", 10: "f16", 11: "f64", 16: "bf16"}


def declared_types(model):
    """MLIR spellings of the graph's output types, and whether all inputs are static."""
    def spell(value):
        tensor = value.type.tensor_type
        dims = ["?" if not d.HasField("dim_value") else str(d.dim_value) for d in tensor.shape.dim]
        return "tensor<" + "".join(d + "x" for d in dims) + ELEMENT_TYPES[tensor.elem_type] + ">"

    static_inputs = all(
        d.HasField("dim_value") for i in model.graph.input for d in i.type.tensor_type.shape.dim
    )
    return [spell(o) for o in model.graph.output], static_inputs


def result_types(mlir_text):
    """Result types of @main from its signature line."""
    header = next(line for line in mlir_text.splitlines() if "func.func @main" in line)
    results = header.split(") -> ", 1)[1]
    return re.findall(r"tensor<[^>]*>", results)


def check(r1c, r1c_opt, path):
    out = path[: -len(".onnx")] + ".mlir"
    start = time.monotonic()
    run = subprocess.run([r1c, path, "--emit=mlir", "-o", out], capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c failed: {run.stderr.strip()}"
    compiled = time.monotonic() - start
    run = subprocess.run([r1c_opt, out, "-o", os.devnull], capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c-opt could not re-parse the output: {run.stderr.strip()[:300]}"
    reparsed = time.monotonic() - start - compiled
    # Weights are printed at the end; the graph is everything before them.
    with open(out, encoding="utf-8") as f:
        text = f.read().split("{-#", 1)[0]
    model = onnx.load(path, load_external_data=False)
    expected, static_inputs = declared_types(model)
    actual = result_types(text)
    if actual != expected:
        return f"result types {actual} differ from the declared outputs {expected}"
    if static_inputs and "?" in text:
        line = next(l for l in text.splitlines() if "?" in l)
        return f"static model has a dynamic dim after shape inference: {line.strip()[:200]}"
    size_mb = os.path.getsize(out) / 1e6
    os.remove(out)  # large: the weights print as hex
    # The kernel phase, as bytecode (compact), must re-parse and verify too.
    kernels = path[: -len(".onnx")] + ".kernel.mlirbc"
    run = subprocess.run([r1c, path, "--compile-to=kernel", "--emit=mlirbc", "-o", kernels],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c --compile-to=kernel failed: {run.stderr.strip()}"
    run = subprocess.run([r1c_opt, kernels, "-o", os.devnull], capture_output=True, text=True)
    os.remove(kernels)
    if run.returncode != 0:
        return f"r1c-opt could not re-parse the kernel phase: {run.stderr.strip()[:300]}"
    print(f"ok   {os.path.basename(path)}: compile {compiled:.1f}s, re-parse {reparsed:.1f}s, "
          f"{size_mb:.0f} MB of MLIR", flush=True)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-opt", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    models = sorted(f for f in os.listdir(args.dir) if f.endswith(".onnx"))
    if not models:
        print(f"no models in {args.dir}; run test/models/generate.py first", file=sys.stderr)
        return 1
    failed = 0
    for name in models:
        error = check(args.r1c, args.r1c_opt, os.path.join(args.dir, name))
        if error:
            failed += 1
            print(f"FAIL {name}: {error}", flush=True)
    print(f"{len(models) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
