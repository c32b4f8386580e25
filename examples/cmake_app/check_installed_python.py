"""Runs the installed Python package: it must find the installed r1c and run a model.

Usage: check_installed_python.py PREFIX MODEL.onnx CACHE_DIR  (PREFIX/lib/r1c/python on
PYTHONPATH, R1C_COMPILER unset)
"""
import os
import sys

import numpy as np

prefix, model, cache = sys.argv[1:4]
import r1c  # noqa: E402

assert os.path.realpath(r1c.__file__).startswith(os.path.realpath(prefix)), r1c.__file__
assert r1c.compiler_path() == os.path.realpath(os.path.join(prefix, "bin", "r1c")), \
    r1c.compiler_path()
engine = r1c.Engine(model, device="host", cache_dir=cache)
probs = engine.infer(np.ones((4, 32), np.float32))[0]
assert probs.shape == (4, 10) and abs(float(probs.sum()) - 4.0) < 1e-4, probs
print(f"installed Python package: {engine.device}, rows sum to {probs.sum(axis=1)}")
