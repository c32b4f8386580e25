#!/usr/bin/env python3
"""Writes calibration sets for models, in the ONNX test-data layout that r1c --calibration and
bench/host_vs_onnxruntime.py --calibration-dir read: OUT/MODEL/test_data_set_N/input_K.pb,
MODEL each model's file stem, N from 0. The inputs are the valid random ones the host model
checks draw (test/models/check_host_models.py make_inputs: token ids inside their
vocabulary, masks of ones), from seeds 100, 101, ... so that they differ from the inputs
the benchmarks time (seed 0).

  python3 bench/write_calibration_sets.py --out CAL [--sets 8] MODEL.onnx [MODEL.onnx ...]
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                                "models"))
from check_host_models import make_inputs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the sets under")
    parser.add_argument("--sets", type=int, default=8, help="sets per model (default 8)")
    parser.add_argument("models", nargs="+", help="ONNX models")
    args = parser.parse_args()
    for path in args.models:
        model = onnx.load(path, load_external_data=False)
        stem = os.path.splitext(os.path.basename(path))[0]
        for n in range(args.sets):
            folder = os.path.join(args.out, stem, f"test_data_set_{n}")
            os.makedirs(folder, exist_ok=True)
            feeds = make_inputs(model, np.random.default_rng(100 + n))
            for k, value in enumerate(model.graph.input):
                with open(os.path.join(folder, f"input_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(feeds[value.name], value.name)
                            .SerializeToString())
        print(f"{stem}: {args.sets} sets in {os.path.join(args.out, stem)}")


if __name__ == "__main__":
    main()
