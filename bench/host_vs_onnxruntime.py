#!/usr/bin/env python3
"""Times r1c host artifacts against ONNX Runtime (CPU) on the same models,
inputs and thread count, side by side in one run.

For each model: `r1c --target=host` compiles it; `r1c-run --bench N --json`
times the artifact (after one warm-up run); ONNX Runtime times N runs of the
same inputs (after one warm-up). Both get the same thread count (--threads,
default 1: r1c-run --threads N, ORT intra_op_num_threads N). Each measurement
is repeated --rounds times, alternating the two, and the table reports the
median of the round medians, the spread (min..max of the round medians) and
the ratio r1c / ORT.

  python3 bench/host_vs_onnxruntime.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      --models-dir build/test/models [--threads 1] [--runs 10] [--rounds 3] \\
      [--write bench/results/DATE-host.md]
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "models"))
from check_host_models import make_inputs  # noqa: E402

MODELS = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit"]


def cpu_flag():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        return "x86-64-v4" if "avx512f" in f.read() else "x86-64-v3"


def time_ort(path, feeds, runs, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def time_r1c(args, artifact, input_files, runs):
    cmd = [args.r1c_run, artifact, "--bench", str(runs), "--json", "--threads", str(args.threads)]
    for f in input_files:
        cmd += ["--input", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["median_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads for both (default 1)")
    parser.add_argument("--write", help="also write the table as markdown to this file")
    args = parser.parse_args()
    cpu = cpu_flag()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.models.split(","):
            path = os.path.join(args.models_dir, name + ".onnx")
            base = os.path.join(work, name)
            start = time.monotonic()
            subprocess.run([args.r1c, path, "--target=host", f"--cpu={cpu}", "-o", base], check=True)
            compile_s = time.monotonic() - start
            model = onnx.load(path, load_external_data=False)
            feeds = make_inputs(model, np.random.default_rng(0))
            input_files = []
            for i, value in enumerate(model.graph.input):
                f = f"{base}.in{i}.npy"
                np.save(f, feeds[value.name])
                input_files.append(f)
            r1c_rounds, ort_rounds = [], []
            for _ in range(args.rounds):
                r1c_rounds.append(time_r1c(args, base + ".r1", input_files, args.runs))
                ort_rounds.append(time_ort(path, feeds, args.runs, args.threads))
            r1c_ms, ort_ms = statistics.median(r1c_rounds), statistics.median(ort_rounds)
            rows.append((name, compile_s, r1c_ms, min(r1c_rounds), max(r1c_rounds), ort_ms,
                         min(ort_rounds), max(ort_rounds)))
            print(f"{name}: r1c {r1c_ms:.2f} ms, ORT {ort_ms:.2f} ms, ratio {r1c_ms / ort_ms:.2f}",
                  flush=True)
            for f in os.listdir(work):
                os.remove(os.path.join(work, f))

    lines = [
        f"Host, {args.threads} thread(s) each, batch 1, `--cpu={cpu}`; {args.rounds} rounds of "
        f"{args.runs} runs "
        f"each; onnxruntime {ort.__version__}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores.",
        "",
        "| model | r1c compile (s) | r1c median (ms) | r1c spread | ORT median (ms) | ORT spread | r1c / ORT |",
        "|---|---:|---:|---|---:|---|---:|",
    ]
    for name, compile_s, r, rmin, rmax, o, omin, omax in rows:
        lines.append(f"| {name} | {compile_s:.1f} | {r:.2f} | {rmin:.2f}..{rmax:.2f} | {o:.2f} | "
                     f"{omin:.2f}..{omax:.2f} | {r / o:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        command = ("python3 bench/host_vs_onnxruntime.py --r1c build/bin/r1c --r1c-run "
                   f"build/bin/r1c-run --models-dir build/test/models --runs {args.runs} "
                   f"--rounds {args.rounds} --threads {args.threads}")
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(f"# r1c host vs ONNX Runtime, {datetime.date.today().isoformat()}\n\n"
                    f"Reproduce: `{command}`\n\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
