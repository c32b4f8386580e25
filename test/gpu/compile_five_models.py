#!/usr/bin/env python3
"""Prints and compiles every kernel of the five models for sm_80, sm_90 and
gfx90a, in-process (NVRTC, hipRTC), and reports kernel counts and times.

A model fails if r1c reports an error: a kernel without a GPU template, or
one that NVRTC or hipRTC rejects. Exits 77 (a CTest skip) when NVRTC or
hipRTC is not installed, saying which.

Usage: compile_five_models.py --r1c PATH --dir MODELS_DIR [--targets LIST]
"""
import argparse
import os
import re
import subprocess
import sys
import time

MODELS = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit"]
SKIP = 77


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--dir", required=True, help="where models.generate wrote the models")
    parser.add_argument("--targets", default="sm_80,sm_90,gfx90a")
    args = parser.parse_args()
    failures, total = 0, time.time()
    for model in MODELS:
        path = os.path.join(args.dir, model + ".onnx")
        start = time.time()
        result = subprocess.run([args.r1c, path, f"--target={args.targets}", "--stats",
                                 "--no-progress"], capture_output=True, text=True)
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
    print(f"{len(MODELS)} models for {args.targets} in {time.time() - total:.0f} s: "
          f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
