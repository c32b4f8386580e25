#!/usr/bin/env python3
"""Writes a small ONNX model (a two-layer MLP with a dynamic batch) for the demo.

Usage: make_small_model.py --out FILE.onnx [--batch N]   (default: symbolic "batch")
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, help="a static batch size instead of 'batch'")
    args = parser.parse_args()
    batch = args.batch if args.batch else "batch"
    rng = np.random.default_rng(0)
    weights = {
        "fc1.weight": rng.normal(0, 0.1, (64, 32)).astype(np.float32),
        "fc1.bias": np.zeros(64, np.float32),
        "fc2.weight": rng.normal(0, 0.1, (10, 64)).astype(np.float32),
        "fc2.bias": np.zeros(10, np.float32),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["a"], name="relu"),
        helper.make_node("Gemm", ["a", "fc2.weight", "fc2.bias"], ["logits"], name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "small_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, 10])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    onnx.save(model, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
