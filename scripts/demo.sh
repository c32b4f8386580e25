#!/usr/bin/env bash
# The main job on a bundled example: sets up, builds, writes a small ONNX
# model, compiles it with r1c and prints the r1 graph it became.
set -euo pipefail
cd "$(dirname "$0")/.."

R1C_TARGETS="r1c" bash scripts/build.sh
python3 examples/make_small_model.py --out build/examples/small_mlp.onnx
echo "== r1c build/examples/small_mlp.onnx --compile-to=graph --elide-weights"
build/bin/r1c build/examples/small_mlp.onnx --compile-to=graph --elide-weights
