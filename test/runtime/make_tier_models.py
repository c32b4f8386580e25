#!/usr/bin/env python3
"""Writes the tier models of runtime.allocator: two classifiers with one interface,
x float[batch, 3] -> probs float[batch, 3].

  tier_coarse.onnx  probs = Softmax(x): cheap; confident when one x stands out
  tier_fine.onnx    probs = Softmax(Relu(x W1) W2 + 2x), W1 [3, H], W2 [H, 3]:
                    costlier, with an arena H times larger

Usage: make_tier_models.py OUT_DIR [--hidden H]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(nodes, name, path, initializers=()):
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 3])],
        list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--hidden", type=int, default=4096)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    save([helper.make_node("Softmax", ["x"], ["probs"], axis=-1)], "coarse",
         os.path.join(args.out, "tier_coarse.onnx"))
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.5, (3, args.hidden)).astype(np.float32)
    w2 = rng.normal(0, 0.5 / np.sqrt(args.hidden), (args.hidden, 3)).astype(np.float32)
    two = np.array(2.0, np.float32)
    save([helper.make_node("MatMul", ["x", "w1"], ["h"]),
          helper.make_node("Relu", ["h"], ["r"]),
          helper.make_node("MatMul", ["r", "w2"], ["m"]),
          helper.make_node("Mul", ["x", "two"], ["x2"]),
          helper.make_node("Add", ["m", "x2"], ["logits"]),
          helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)], "fine",
         os.path.join(args.out, "tier_fine.onnx"),
         [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
          numpy_helper.from_array(two, "two")])


if __name__ == "__main__":
    main()
