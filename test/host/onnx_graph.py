"""A small ONNX graph under construction, for the host tests that write their models."""
import numpy as np
import onnx
from onnx import helper, numpy_helper


class Graph:
    """Inputs, initializers and nodes, each new value named in order (c1, t2, ...)."""

    def __init__(self):
        self.nodes, self.inits, self.inputs, self.count = [], [], [], 0

    def input(self, name, elem, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def const(self, array):
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, **attrs):
        self.count += 1
        name = f"t{self.count}"
        self.nodes.append(helper.make_node(op_type, inputs, [name], **attrs))
        return name

    def model(self, out, elem, shape, name="graph"):
        graph = helper.make_graph(self.nodes, name, self.inputs,
                                  [helper.make_tensor_value_info(out, elem, shape)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        return model
