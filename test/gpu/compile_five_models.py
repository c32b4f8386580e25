#!/usr/bin/env python3
"""Prints and compiles every kernel of the five models for sm_80, sm_90,
gfx90a and gfx942, in-process (NVRTC, hipRTC; for gfx942 with a hipRTC
older than 5.7, comgr and r1c's LLVM), writes each model's artifact, and
reports kernel counts, times and section sizes.

A model fails if r1c reports an error (a kernel without a GPU template, one
that NVRTC or hipRTC rejects, a value the device plan cannot place) or if
its artifact lacks a code section per target or the device weights. Exits
77 (a CTest skip) when NVRTC or hipRTC is not installed, saying which.

Usage: compile_five_models.py --r1c PATH --dir MODELS_DIR [--targets LIST]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import artifact_sections  # noqa: E402

MODELS = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit"]
SKIP = 77


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--dir", required=True, help="where models.generate wrote the models")
    parser.add_argument("--targets", default="sm_80,sm_90,gfx90a,gfx942")
    args = parser.parse_args()
    failures, total = 0, time.time()
    work = tempfile.TemporaryDirectory(prefix="r1c-five-models-")
    for model in MODELS:
        path = os.path.join(args.dir, model + ".onnx")
        out = os.path.join(work.name, model)
        start = time.time()
        result = subprocess.run([args.r1c, path, f"--target={args.targets}", "--stats",
                                 "--no-progress", "-o", out], capture_output=True, text=True)
        seconds = time.time() - start
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
            if re.search(r"(NVRTC|hipRTC) is needed for", message):
                print(f"SKIP: {message}")
                return SKIP
            print(f"FAIL {model} ({seconds:.1f} s): {message}")
            failures += 1
            continue
        counts = re.findall(r"gpu: (\d+) kernels compiled for (\S+) \((\d+) distinct\)",
                            result.stderr)
        summary = ", ".join(f"{arch} {n} ({d} distinct)" for n, arch, d in counts)
        print(f"ok   {model:12} {seconds:6.1f} s  {summary}", flush=True)
        if len(counts) != len(args.targets.split(",")):
            print(f"FAIL {model}: expected a count per target in:\n{result.stderr}")
            failures += 1
        found = {(kind, name): size for kind, name, _, size in
                 artifact_sections.sections(out + ".r1")}
        os.remove(out + ".r1")
        expected = [("CUDA_CODE" if arch.startswith("sm_") else "HIP_CODE", arch)
                    for arch in args.targets.split(",")] + [("WEIGHTS", "weights")]
        missing = [f"{kind} {name}" for kind, name in expected if not found.get((kind, name))]
        if missing:
            print(f"FAIL {model}: the artifact lacks {', '.join(missing)}")
            failures += 1
        print("     sections (MB): " + ", ".join(
            f"{name} {size / 1e6:.1f}" for (kind, name), size in found.items()
            if kind != "METADATA"), flush=True)
    print(f"{len(MODELS)} models for {args.targets} in {time.time() - total:.0f} s: "
          f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
