#!/usr/bin/env python3
"""Compiles generated models with `r1c --target=host`, links each into the test
harness, runs it on random inputs and compares with ONNX Runtime.

A model passes when the relative error of each output's norm,
||r1c - ort|| / ||ort||, is at most 1e-4 (STYLE.md's fp32 model tolerance;
1e-2 for float16 outputs, ten times float16's per-element rtol, as in
scripts/gpu_check.py) and no output holds a NaN. Inputs are random but valid: token ids inside the
vocabulary, masks of 0 and 1, images from a standard normal. Prints one line
per model with compile time, and `N passed, N failed, N skipped`.

With --dynamic, models with a symbolic batch are compiled once with shape
buckets (`--dim batch=1,8`) and run through the runtime (r1c-run) from that
one artifact at batch 1 and 8, and at batch 3, which the runtime pads into
the batch-8 bucket (r1c must find the batch independent), compared with ONNX
Runtime the same way.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
# The bound on the relative error of an output's norm, by dtype (1e-4 else).
NORM_RTOL = {np.float16: 1e-2}
HARNESS = os.path.join(HERE, "..", "host", "harness.cpp")


def make_inputs(model, rng, batch=None, vocab=None, full_masks=False):
    """Random inputs a model accepts: ids below the smallest Gather table, or below
    `vocab` when given (a model whose matrices are smaller than its embedding table,
    such as one exported by torch.onnx, can name it). Masks keep their first half
    on, or are all ones with `full_masks` (one unpadded sequence).
    Symbolic dims take `batch`."""
    if vocab is None:
        tables = [init.dims[0] for init in model.graph.initializer if len(init.dims) == 2]
        vocab = min((t for t in tables if t > 1), default=2)
    feeds = {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else batch for d in tensor.shape.dim]
        if tensor.elem_type == onnx.TensorProto.INT64:
            high = 2 if ("mask" in value.name or "type" in value.name) else vocab
            feeds[value.name] = rng.integers(0, high, shape).astype(np.int64)
            if "mask" in value.name:
                feeds[value.name][..., : max(1, shape[-1] // 2)] = 1
                if full_masks:
                    feeds[value.name][...] = 1
        else:
            dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
            feeds[value.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def check(path, args, work):
    name = os.path.basename(path)[: -len(".onnx")]
    base = os.path.join(work, name)
    start = time.monotonic()
    run = subprocess.run([args.r1c, path, "--target=host", f"--cpu={args.cpu}", "-o", base],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"r1c failed: {run.stderr.strip()}"
    compile_seconds = time.monotonic() - start
    exe = base + ".run"
    run = subprocess.run([args.cxx, "-O1", f"-DR1C_MODEL={name}", HARNESS, base + ".o", "-o", exe,
                          "-lm"], capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"linking failed: {run.stderr.strip()[:400]}"
    model = onnx.load(path, load_external_data=False)
    feeds = make_inputs(model, np.random.default_rng(0))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)
    in_paths = []
    for i, value in enumerate(model.graph.input):
        p = f"{base}.in{i}.bin"
        feeds[value.name].tofile(p)
        in_paths.append(p)
    outs = [f"{base}.out{i}.bin:{e.nbytes}" for i, e in enumerate(expected)]
    run = subprocess.run([exe, *in_paths, "--", *outs], capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"the program failed ({run.returncode}): {run.stderr.strip()}"
    errors = []
    for i, want in enumerate(expected):
        got = np.fromfile(f"{base}.out{i}.bin", dtype=want.dtype).reshape(want.shape)
        if np.isnan(got).any():
            return None, f"output {i} holds NaN"
        rel = relative_error(got, want)
        errors.append(rel)
        bound = NORM_RTOL.get(want.dtype.type, 1e-4)
        if rel > bound:
            return None, f"output {i}: relative error of the norm {rel:.2e} > {bound:g}"
    for f in os.listdir(work):
        if f.startswith(name + "."):
            os.remove(os.path.join(work, f))
    return (compile_seconds, max(errors)), None


def relative_error(got, want):
    """||got - want|| / ||want||, or None when `got` holds a NaN."""
    if np.isnan(got).any():
        return None
    # In float64: float16 differences and norms would round, or overflow.
    got, want = got.astype(np.float64), want.astype(np.float64)
    return np.linalg.norm((got - want).ravel()) / max(np.linalg.norm(want.ravel()), 1e-30)


def check_dynamic(path, args, work, buckets, batches):
    """One artifact with a bucket per size in `buckets`, run through r1c-run
    at each of `batches`; one between buckets is padded into the next larger."""
    name = os.path.basename(path)[: -len(".onnx")]
    base = os.path.join(work, name)
    sizes = ",".join(str(b) for b in buckets)
    start = time.monotonic()
    run = subprocess.run([args.r1c, path, "--target=host", f"--cpu={args.cpu}", "--stats",
                          f"--dim=batch={sizes}", "-o", base], capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"r1c failed: {run.stderr.strip()}"
    compile_seconds = time.monotonic() - start
    if any(b not in buckets for b in batches) and "padded dim: batch" not in run.stderr:
        return None, "r1c did not find the batch independent, so it cannot be padded"
    model = onnx.load(path, load_external_data=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    errors = []
    for batch in batches:
        feeds = make_inputs(model, np.random.default_rng(batch), batch)
        expected = session.run(None, feeds)
        # The largest batch runs on two threads, so kernels split into tasks
        # are checked against ONNX Runtime too.
        threads = 2 if batch == max(batches) else 1
        command = [args.r1c_run, base + ".r1", "--save-outputs", work, "--threads", str(threads)]
        for i, value in enumerate(model.graph.input):
            np.save(f"{base}.in{i}.npy", feeds[value.name])
            command += ["--input", f"{base}.in{i}.npy"]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            return None, f"r1c-run at batch {batch} failed: {run.stderr.strip()}"
        for i, want in enumerate(expected):
            got = np.load(os.path.join(work, f"output_{i}.npy"))
            if got.shape != want.shape:
                return None, f"batch {batch}: output {i} has shape {got.shape}, not {want.shape}"
            rel = relative_error(got, want)
            if rel is None or rel > 1e-4:
                return None, f"batch {batch}: output {i}: relative error of the norm {rel} > 1e-4"
            errors.append(rel)
    return (compile_seconds, max(errors)), None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--dir", required=True, help="folder of .onnx models")
    parser.add_argument("--models", help="comma-separated model names (default: all static ones)")
    parser.add_argument("--cpu", default="x86-64-v3")
    parser.add_argument("--cxx", default=os.environ.get("CXX", "c++"))
    parser.add_argument("--dynamic", help="comma-separated symbolic-batch models to run at "
                        "batch 1, 3 (padded) and 8 from one artifact with buckets 1 and 8 "
                        "(needs --r1c-run)")
    parser.add_argument("--r1c-run", help="the r1c-run binary, for --dynamic")
    args = parser.parse_args()
    names = sorted(f[:-5] for f in os.listdir(args.dir)
                   if f.endswith(".onnx") and "_dynbatch" not in f)
    if args.models:
        names = [n for n in args.models.split(",")]
    dynamic = args.dynamic.split(",") if args.dynamic else []
    if dynamic and not args.r1c_run:
        parser.error("--dynamic needs --r1c-run")
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name in names + dynamic:
            path = os.path.join(args.dir, name + ".onnx")
            if name in dynamic:
                result, error = check_dynamic(path, args, work, [1, 8], [1, 3, 8])
            else:
                result, error = check(path, args, work)
            if error:
                failed += 1
                print(f"FAIL {name}: {error}", flush=True)
            else:
                passed += 1
                print(f"ok   {name}: compiled in {result[0]:.1f}s, max relative error "
                      f"{result[1]:.1e}", flush=True)
    print(f"{passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
