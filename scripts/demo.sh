#!/usr/bin/env bash
# The main job on a real model: sets up, builds r1c and its Python package, then
# examples/demo.py trains a digit classifier on scikit-learn's bundled data, compiles it
# with r1c, runs it through the runtime against ONNX Runtime with the latency of both,
# and shows a cascade of two classifiers switching tiers per request.
set -euo pipefail
cd "$(dirname "$0")/.."

R1C_TARGETS="r1c r1c_python" bash scripts/build.sh
PYTHONPATH="$PWD/build/python" python3 examples/demo.py --work build/examples/demo
