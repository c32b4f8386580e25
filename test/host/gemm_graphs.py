"""Graphs for check_host.py that reach the register-blocked GEMM template
(#r1k.host_gemm) in every shape it specializes: row and column tails of the
micro-kernel, several K steps, B packed at compile time, per task, once per
call into scratch, or read in place, batched and broadcast operands, 16-bit floats, and convolutions as
implicit GEMMs (strides, dilations, groups, asymmetric pads, 1-D to 3-D),
with fused bodies that read other inputs. Weights are random initializers
(ONNX text has no way to write them), so the models are built here."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_TYPES = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16}


def _model(nodes, inputs, outputs, weights, dtype=np.float32):
    rng = np.random.default_rng(7)
    elem = _TYPES[dtype]
    inits = [numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(dtype), name)
             for name, shape, scale in weights]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, elem, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, elem, None) for n in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _conv(x_shape, w_shape, bias=True, **attrs):
    ins = ["x", "w"] + (["b"] if bias else [])
    weights = [("w", w_shape, 0.2)] + ([("b", [w_shape[0]], 1.0)] if bias else [])
    return _model([helper.make_node("Conv", ins, ["c"], **attrs),
                   helper.make_node("Relu", ["c"], ["y"])],
                  [("x", x_shape)], ["y"], weights)


def _relu6(model):
    """Sets the Clip bounds `lo` and `hi` of `model` to 0 and 1.5, which the
    sums cross both ways."""
    for init in model.graph.initializer:
        if init.name in ("lo", "hi"):
            init.CopyFrom(numpy_helper.from_array(
                np.array(0.0 if init.name == "lo" else 1.5, np.float32), init.name))
    return model


def _graphs():
    mm = lambda a, b, o: helper.make_node("MatMul", [a, b], [o])  # noqa: E731
    return {
        # M = 37 and N = 77 leave tails for every register block; bias, ReLU
        # and a residual input fused after the GEMM.
        "gemm_weight_tails_fused": _model(
            [mm("a", "w", "m"), helper.make_node("Add", ["m", "bias"], ["mb"]),
             helper.make_node("Relu", ["mb"], ["r"]), helper.make_node("Add", ["r", "res"], ["y"])],
            [("a", [37, 300]), ("res", [37, 77])], ["y"],
            [("w", [300, 77], 0.1), ("bias", [77], 1.0)]),
        # K = 1100: more than one K step, partial sums through C.
        "gemm_long_k": _model([mm("a", "w", "y")], [("a", [20, 1100])], ["y"],
                              [("w", [1100, 50], 0.05)]),
        # B an activation: attention's scores, per batch and head.
        "gemm_batched_activations": _model([mm("a", "b", "y")],
                                           [("a", [2, 3, 33, 70]), ("b", [2, 3, 70, 45])], ["y"], []),
        # B an activation that every one of several M blocks reads: packed
        # once per call into scratch, per batch.
        "gemm_activations_packed_per_call": _model([mm("a", "b", "y")],
                                                   [("a", [2, 600, 64]), ("b", [2, 64, 300])],
                                                   ["y"], []),
        # A batched, B a weight broadcast over the batch.
        "gemm_broadcast_weight": _model([mm("a", "w", "m"), helper.make_node("Tanh", ["m"], ["y"])],
                                        [("a", [3, 40, 64])], ["y"], [("w", [64, 50], 0.2)]),
        # A 1-D left operand: a row of a product; the body runs after it.
        "gemm_vector_lhs": _model([mm("a", "w", "m"), helper.make_node("Sigmoid", ["m"], ["y"])],
                                  [("a", [100])], ["y"], [("w", [100, 30], 0.2)]),
        "gemm_float16": _model([mm("a", "w", "m"), helper.make_node("Add", ["m", "bias"], ["y"])],
                               [("a", [16, 520])], ["y"],
                               [("w", [520, 48], 0.05), ("bias", [48], 1.0)], np.float16),
        # Outputs of over 16K elements split into tasks: the bits must not
        # depend on the thread count (check_host.py --r1c-run).
        "gemm_split_into_tasks": _model([mm("a", "w", "y")], [("a", [150, 200])], ["y"],
                                        [("w", [200, 300], 0.1)]),
        "conv_gemm_split_into_tasks": _conv([1, 16, 40, 40], [32, 16, 3, 3], pads=[1, 1, 1, 1]),
        "conv_gemm_3x3": _conv([2, 16, 15, 17], [24, 16, 3, 3], pads=[1, 1, 1, 1]),
        "conv_gemm_strided_dilated_groups": _conv(
            [1, 32, 19, 21], [48, 16, 3, 3], group=2, strides=[2, 2], dilations=[2, 2],
            pads=[1, 2, 0, 1]),
        # A stem: 7x7 taps at stride 2 over wide rows, read by pairs of
        # row loads whose even lanes a shuffle keeps, the pads masked.
        "conv_gemm_stride2_row_loads": _conv([1, 3, 40, 70], [16, 3, 7, 7], strides=[2, 2],
                                             pads=[3, 3, 3, 3]),
        "conv_gemm_pointwise": _conv([1, 64, 9, 11], [40, 64, 1, 1], bias=False),
        "conv_gemm_1d": _conv([2, 12, 40], [20, 12, 5], strides=[2], pads=[2, 1]),
        "conv_gemm_3d": _conv([1, 8, 6, 7, 8], [16, 8, 3, 3, 3], pads=[1, 1, 1, 1, 1, 1]),
        # Deep and small: im2col gathered once per call into scratch
        # (pack_b = per_call), per image and group, which every block of
        # filters reads; a residual input and ReLU fused after it.
        "conv_gemm_packed_per_call": _model(
            [helper.make_node("Conv", ["x", "w", "b"], ["c"], group=2, pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c", "res"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
            [("x", [2, 512, 7, 7]), ("res", [2, 512, 7, 7])], ["y"],
            [("w", [512, 256, 3, 3], 0.03), ("b", [512], 1.0)]),
        # Depthwise convolutions run the direct kernel
        # (#r1k.host_depthwise_conv): stride 1 (adjacent loads), 2 (a
        # shuffle of two loads) and 3 with dilation and a channel multiplier
        # (a gather), rows of one to several steps with tails, pads that
        # rows and columns skip, 1-D, and a fused Clip (ReLU6).
        "conv_depthwise_row_tails_relu6": _relu6(_model(
            [helper.make_node("Conv", ["x", "w", "b"], ["c"], group=24, pads=[1, 1, 1, 1]),
             helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
            [("x", [1, 24, 19, 37])], ["y"],
            [("w", [24, 1, 3, 3], 0.6), ("b", [24], 1.0), ("lo", [], 0.0), ("hi", [], 0.0)])),
        "conv_depthwise_stride2": _conv([2, 16, 28, 27], [16, 1, 3, 3], group=16, strides=[2, 2],
                                        pads=[1, 1, 1, 1]),
        "conv_depthwise_stride3_dilated_multiplier": _conv(
            [1, 16, 23, 29], [32, 1, 5, 5], group=16, strides=[3, 3], dilations=[2, 2],
            pads=[2, 3, 1, 0]),
        "conv_depthwise_wide_unpadded": _conv([1, 8, 5, 130], [8, 1, 3, 3], bias=False, group=8),
        "conv_depthwise_1d": _conv([2, 8, 50], [8, 1, 7], group=8, pads=[3, 2]),
    }


GRAPHS = _graphs()
