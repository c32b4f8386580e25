"""Models for the Python SDK's tests, written with onnx.helper, and their fixtures."""
import os
import pathlib
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def mlp_model(path, batch="batch", seed=0):
    """x [batch, 16] and shift [32] -> probs [batch, 10] and hidden [batch, 32]:
    hidden = Relu(x W1 + b1) + shift, probs = Softmax(hidden W2 + b2)."""
    rng = np.random.default_rng(seed)
    weights = {
        "w1": rng.normal(0, 0.3, (16, 32)).astype(np.float32),
        "b1": rng.normal(0, 0.1, 32).astype(np.float32),
        "w2": rng.normal(0, 0.3, (32, 10)).astype(np.float32),
        "b2": rng.normal(0, 0.1, 10).astype(np.float32),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["fc1"], name="fc1"),
        helper.make_node("Relu", ["fc1"], ["relu"], name="relu"),
        helper.make_node("Add", ["relu", "shift"], ["hidden"], name="shift_add"),
        helper.make_node("Gemm", ["hidden", "w2", "b2"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 16]),
         helper.make_tensor_value_info("shift", TensorProto.FLOAT, [32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, 10]),
         helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [batch, 32])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def matmul_model(path, n):
    """a [n, n] @ b [n, n]: one request long enough to watch the GIL."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"], name="mm")], "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.save(model, str(path))
    return path


def broken_model(path):
    """A MatMul whose contraction dims differ: r1c must name the node."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"], name="bad_mm")], "broken",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, 5])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10),
              str(path))
    return path


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "mlp": mlp_model(root / "mlp.onnx"),
        "mlp_static": mlp_model(root / "mlp_static.onnx", batch=4),
        "broken": broken_model(root / "broken.onnx"),
    }


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def mlp_engine(models, cache_dir):
    import r1c
    return r1c.Engine(models["mlp"], device="host", cache_dir=cache_dir)


def mlp_inputs(batch, seed):
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(0, 1, (batch, 16)).astype(np.float32),
            "shift": rng.normal(0, 0.5, 32).astype(np.float32)}


def onnxruntime_outputs(model, inputs):
    import onnxruntime
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))
