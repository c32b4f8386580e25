"""Writes the two convolutions of the k x 1 check: the same 1-D convolution
written as a 2-D Conv with a 9 x 1 kernel over [1, 64, 4000, 1] (how tf2onnx
writes Conv1D) and as its 1 x 9 twin over [1, 64, 1, 4000], random weights
from a fixed seed. Time them side by side with ONNX Runtime:

  python3 bench/conv_kx1_models.py --out build/conv-kx1
  python3 bench/host_vs_onnxruntime.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      --models-dir build/conv-kx1 --models conv_kx1,conv_1xk --threads 1,2 --no-gemm --no-iree
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CHANNELS, OUT_CHANNELS, LENGTH, KERNEL = 64, 64, 4000, 9


def conv_model(along_height):
    rng = np.random.default_rng(0)
    if along_height:
        x_shape, w_shape = [1, CHANNELS, LENGTH, 1], [OUT_CHANNELS, CHANNELS, KERNEL, 1]
        pads = [KERNEL // 2, 0, KERNEL // 2, 0]
    else:
        x_shape, w_shape = [1, CHANNELS, 1, LENGTH], [OUT_CHANNELS, CHANNELS, 1, KERNEL]
        pads = [0, KERNEL // 2, 0, KERNEL // 2]
    weight = (rng.standard_normal(w_shape) * 0.1).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=pads)], "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(weight, "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for conv_kx1.onnx and conv_1xk.onnx")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    onnx.save(conv_model(True), os.path.join(args.out, "conv_kx1.onnx"))
    onnx.save(conv_model(False), os.path.join(args.out, "conv_1xk.onnx"))


if __name__ == "__main__":
    main()
