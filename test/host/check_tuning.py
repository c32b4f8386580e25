#!/usr/bin/env python3
"""`r1c --tune` end to end: the tuning database gets one measured record per
distinct kernel problem and x86-64 level this CPU runs, a second --tune measures nothing new, the same
model and database give a bit-identical artifact, the tuned artifact still
matches ONNX Runtime, and a malformed database is refused by name and line.
Prints `N passed, N failed`."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_graphs import GRAPHS  # noqa: E402

import onnx  # noqa: E402


def cpu_has_avx512():
    """Whether this CPU runs x86-64-v4 code (AVX-512 F, CD, BW, DQ, VL)."""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    return all(f in flags for f in ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")

    with tempfile.TemporaryDirectory() as work:
        # Two GEMMs of one problem and a convolution: two distinct problems.
        model = GRAPHS["gemm_split_into_tasks"]
        conv = GRAPHS["conv_gemm_3x3"]
        graph = onnx.helper.make_graph(
            list(model.graph.node) + [onnx.helper.make_node("MatMul", ["a", "w"], ["y2"])],
            "two", list(model.graph.input),
            list(model.graph.output) + [onnx.helper.make_tensor_value_info("y2", 1, None)],
            list(model.graph.initializer))
        paths = {"gemm": os.path.join(work, "gemm.onnx"), "conv": os.path.join(work, "conv.onnx")}
        onnx.save(onnx.helper.make_model(graph, opset_imports=model.opset_import,
                                         ir_version=model.ir_version), paths["gemm"])
        onnx.save(conv, paths["conv"])
        db = os.path.join(work, "tuning.db")
        for name, path in paths.items():
            for sub in ("a", "b"):
                os.makedirs(os.path.join(work, sub), exist_ok=True)
            run = subprocess.run([args.r1c, path, "--target=host", "--tune", f"--tuning-db={db}",
                                  "--no-progress", "-o", os.path.join(work, "a", name)],
                                 capture_output=True, text=True)
            check(f"--tune {name}", run.returncode == 0, run.stderr.strip())
        with open(db, encoding="utf-8") as f:
            records = [line for line in f if line.strip() and not line.startswith("#")]
        # --cpu=auto builds x86-64-v3 and v4 code; --tune times each level
        # this CPU runs, so each problem has a record per such level.
        levels = ["host-x86-64-v3"] + (["host-x86-64-v4"] if cpu_has_avx512() else [])
        per_level = {level: sum(r.startswith(level + " ") for r in records) for level in levels}
        check("one record per distinct problem and level this CPU runs",
              len(records) == 2 * len(levels) and all(n == 2 for n in per_level.values()),
              f"{len(records)} records: {per_level}")
        check("records carry times", all(" ms=" in r and " model_ms=" in r for r in records))
        before = open(db, encoding="utf-8").read()
        run = subprocess.run([args.r1c, paths["gemm"], "--target=host", "--tune",
                              f"--tuning-db={db}", "--no-progress",
                              "-o", os.path.join(work, "b", "gemm")], capture_output=True, text=True)
        check("a second --tune measures nothing new",
              run.returncode == 0 and open(db, encoding="utf-8").read() == before, run.stderr)
        run = subprocess.run([args.r1c, paths["conv"], "--target=host", f"--tuning-db={db}",
                              "-o", os.path.join(work, "b", "conv")], capture_output=True, text=True)
        same = all(open(os.path.join(work, "a", f"{n}.r1"), "rb").read() ==
                   open(os.path.join(work, "b", f"{n}.r1"), "rb").read() for n in paths)
        check("same model and database: identical artifacts", run.returncode == 0 and same)

        # The tuned artifacts still compute the model.
        for name, path in paths.items():
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            feed = session.get_inputs()[0]
            x = np.random.default_rng(3).standard_normal(feed.shape).astype(np.float32)
            np.save(os.path.join(work, "x.npy"), x)
            command = [args.r1c_run, os.path.join(work, "a", f"{name}.r1"),
                       "--input", os.path.join(work, "x.npy")]
            for i, want in enumerate(session.run(None, {feed.name: x})):
                np.save(os.path.join(work, f"want{i}.npy"), want)
                command += ["--expected", os.path.join(work, f"want{i}.npy")]
            run = subprocess.run(command, capture_output=True, text=True)
            check(f"tuned {name} matches ONNX Runtime", run.returncode == 0, run.stdout + run.stderr)

        with open(db, "a", encoding="utf-8") as f:
            f.write("host-x86-64-v4 gemm f32 b1 m1 k1 n1 -> mr=banana\n")
        run = subprocess.run([args.r1c, paths["conv"], "--target=host", f"--tuning-db={db}",
                              "-o", os.path.join(work, "c")], capture_output=True, text=True)
        check("a malformed database is refused by file and line",
              run.returncode == 1 and f"{db}:{len(before.splitlines()) + 1}:" in run.stderr,
              run.stderr.strip())
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
