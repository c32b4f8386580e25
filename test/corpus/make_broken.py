"""Writes a corpus of small, deliberately invalid ONNX models plus a manifest of the error keyword each must produce."""

import argparse
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

# Opset and IR version of every otherwise-valid case, so that only the planted defect is wrong.
OPSET = 17
IR_VERSION = 8

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, elem_type, shape):
    # A None dim is left unknown, which keeps the rank without claiming a size.
    return helper.make_tensor_value_info(name, elem_type, shape)


def model(nodes, inputs, outputs, initializers=(), opsets=None, name="broken"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=opsets or [helper.make_opsetid("", OPSET)],
                          producer_name="r1c-broken-corpus")
    m.ir_version = IR_VERSION
    return m.SerializeToString()


def unary(op_type, in_type=F, in_shape=(2, 3), out_type=F, out_shape=(2, 3), **attrs):
    return model([helper.make_node(op_type, ["x"], ["y"], **attrs)],
                 [vi("x", in_type, list(in_shape))], [vi("y", out_type, list(out_shape))])


def binary(op_type, a_type, a_shape, b_type, b_shape, out_shape=(None, None)):
    return model([helper.make_node(op_type, ["a", "b"], ["y"])],
                 [vi("a", a_type, list(a_shape)), vi("b", b_type, list(b_shape))],
                 [vi("y", a_type, list(out_shape))])


def external_initializer(location, offset, length):
    """A [4, 4] float initializer whose bytes live in a side file."""
    t = TensorProto(name="w", data_type=F, dims=[4, 4])
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def add_with_initializer(init):
    return model([helper.make_node("Add", ["x", "w"], ["y"])],
                 [vi("x", F, [4, 4])], [vi("y", F, [4, 4])], [init])


def random_bytes():
    rng = np.random.default_rng(1234)
    data = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    # Field number 0 is never valid protobuf, so the parse fails on the first
    # byte no matter what the random tail happens to look like.
    return b"\x00" + data


def truncated():
    w = numpy_helper.from_array(np.arange(1024, dtype=np.float32).reshape(32, 32), "w")
    full = model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                 [vi("x", F, [1, 32])], [vi("y", F, [1, 32])], [w])
    # The 4 KiB initializer payload dominates the file, so the cut lands inside it.
    return full[: len(full) // 2]


def short_raw_data():
    # Built by hand because helper.make_tensor refuses a size mismatch.
    t = TensorProto(name="w", data_type=F, dims=[4, 4], raw_data=b"\x00" * 10)
    return add_with_initializer(t)


def cycle():
    nodes = [
        helper.make_node("Add", ["x", "b_out"], ["a_out"], name="A"),
        helper.make_node("Relu", ["a_out"], ["b_out"], name="B"),
    ]
    return model(nodes, [vi("x", F, [2, 3])], [vi("b_out", F, [2, 3])])


def negative_dim():
    x = vi("x", F, [2, 3])
    x.type.tensor_type.shape.dim[1].dim_value = -3
    return model([helper.make_node("Relu", ["x"], ["y"])], [x], [vi("y", F, [2, None])])


def gather_float_indices():
    return model([helper.make_node("Gather", ["data", "idx"], ["y"], axis=0)],
                 [vi("data", F, [5, 3]), vi("idx", F, [2])], [vi("y", F, [2, 3])])


def reshape_count():
    shape = numpy_helper.from_array(np.array([4, 2], dtype=np.int64), "shape")
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
                 [vi("x", F, [2, 3])], [vi("y", F, [4, 2])], [shape])


def conv_channels():
    w = numpy_helper.from_array(np.zeros((4, 5, 3, 3), dtype=np.float32), "w")
    return model([helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])],
                 [vi("x", F, [1, 3, 8, 8])], [vi("y", F, [1, 4, 6, 6])], [w])


def concat_rank():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], axis=0)],
                 [vi("a", F, [2, 3]), vi("b", F, [2, 3, 4])], [vi("y", F, [None, None])])


def no_nodes():
    return model([], [vi("x", F, [2, 3])], [vi("y", F, [2, 3])])


def duplicate_output():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="first"),
             helper.make_node("Neg", ["x"], ["y"], name="second")]
    return model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [2, 3])])


def unknown_domain():
    node = helper.make_node("Frobnicate", ["x"], ["y"], domain="com.example")
    return model([node], [vi("x", F, [2, 3])], [vi("y", F, [2, 3])],
                 opsets=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 1)])


def with_opset(version):
    return model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", F, [2, 3])], [vi("y", F, [2, 3])],
                 opsets=[helper.make_opsetid("", version)])


def string_input():
    return model([helper.make_node("Identity", ["x"], ["y"])],
                 [vi("x", TensorProto.STRING, [2])], [vi("y", TensorProto.STRING, [2])])


# (file name, keyword the single error line must contain, bytes or a function returning bytes)
CASES = [
    ("empty.onnx", "parse", b""),
    ("random_bytes.onnx", "parse", random_bytes),
    ("truncated.onnx", "parse", truncated),
    ("no_nodes_output_not_produced.onnx", "undefined", no_nodes),
    ("unknown_op_foobar.onnx", "unsupported", lambda: unary("FooBar")),
    ("unknown_domain.onnx", "unsupported", unknown_domain),
    ("undefined_node_input.onnx", "undefined",
     lambda: model([helper.make_node("Add", ["x", "ghost"], ["y"])], [vi("x", F, [2, 3])], [vi("y", F, [2, 3])])),
    ("add_float_int64.onnx", "type", lambda: binary("Add", F, [2, 3], I64, [2, 3], [2, 3])),
    ("add_not_broadcastable.onnx", "broadcast", lambda: binary("Add", F, [2, 3], F, [4, 5])),
    ("matmul_inner_dim_mismatch.onnx", "shape", lambda: binary("MatMul", F, [2, 3], F, [4, 5])),
    ("reshape_element_count.onnx", "reshape", reshape_count),
    ("transpose_perm_length.onnx", "perm", lambda: unary("Transpose", out_shape=(3, 2), perm=[1, 0, 2])),
    ("concat_rank_mismatch.onnx", "rank", concat_rank),
    ("conv_channel_mismatch.onnx", "channel", conv_channels),
    ("initializer_short_raw_data.onnx", "size", short_raw_data),
    ("external_data_missing.onnx", "external",
     lambda: add_with_initializer(external_initializer("external_data_missing.bin", 0, 64))),
    ("external_data_out_of_range.onnx", "external",
     lambda: add_with_initializer(external_initializer("external_data_out_of_range.onnx.data", 8, 64))),
    ("opset_0.onnx", "opset", lambda: with_opset(0)),
    ("opset_99.onnx", "opset", lambda: with_opset(99)),
    ("cycle.onnx", "undefined", cycle),
    ("negative_dim.onnx", "dim", negative_dim),
    ("gather_float_indices.onnx", "type", gather_float_indices),
    ("softmax_axis_out_of_range.onnx", "axis", lambda: unary("Softmax", axis=5)),
    ("string_input.onnx", "type", string_input),
    ("cast_missing_to.onnx", "attribute", lambda: unary("Cast")),
    ("output_defined_twice.onnx", "twice", duplicate_output),
]

# Side files some cases need; the data file for the out-of-range case holds
# 16 bytes, far fewer than the 8 + 64 its initializer asks for.
SIDE_FILES = {"external_data_out_of_range.onnx.data": bytes(range(16))}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    # A stale side file would turn the "missing" case into a different failure.
    stale = os.path.join(args.out, "external_data_missing.bin")
    if os.path.exists(stale):
        os.remove(stale)

    manifest = []
    for file_name, keyword, content in CASES:
        data = content() if callable(content) else content
        with open(os.path.join(args.out, file_name), "wb") as f:
            f.write(data)
        manifest.append(f"{file_name}\t{keyword}\n")
    for file_name, data in SIDE_FILES.items():
        with open(os.path.join(args.out, file_name), "wb") as f:
            f.write(data)
    with open(os.path.join(args.out, "manifest.txt"), "w") as f:
        f.writelines(manifest)
    print(f"wrote {len(CASES)} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
