#!/usr/bin/env python3
"""Quantizes a small MLP and a small CNN with onnxruntime.quantization's
quantize_static, in QDQ and in QOperator format (uint8 activations, int8
weights, per-channel weights for the CNN), calibrated on random data this
script draws. Compiles each quantized model with `r1c --target=host`, runs it
with r1c-run on fresh random inputs (the best code this CPU runs, then the
AVX2 code), and compares with ONNX Runtime on the same quantized model.

Each model's last quantized tensor (the integer input of the graph's final
DequantizeLinear) is made a graph output too, so both the integer and the
float result are compared:

- integer outputs: every element within 1 of ONNX Runtime's, and at most 2%
  of them off at all. The sums are exact in both; what may differ is the
  float requantization. In QOperator form r1c scales by
  a_scale * b_scale / y_scale in f32 as ONNX Runtime does. In QDQ form r1c
  scales the sums by a_scale * b_scale and the quantization divides by
  y_scale (the graph as written), where ONNX Runtime fuses the nodes and
  multiplies once: a value within an f32 rounding of a half step rounds the
  other way, one step apart, and a layer after it may see that step.
- float outputs are dequantized integer outputs, (q - zero_point) * scale,
  so each element is within one quantization step (scale) of ONNX Runtime's
  plus fp32's per-op tolerance (atol 1e-5, rtol 1e-4).

Integer contractions at the edges of the packed GEMM (odd sizes, broadcast
batches, per-row and per-column zero points, a grouped, strided, dilated
convolution) are checked too, against the exact sums, on both code levels
and two threads. Prints one line per case and `N passed, N failed`.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)

MAX_OFF_BY_ONE_FRACTION = 0.02


def initializer(rng, name, shape, scale):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def make_mlp(rng):
    """[32, 64] -> 128 -> 64 -> 10: MatMul, Add and Relu per hidden layer, the
    last a MatMul alone, so that the output is a quantized MatMul's."""
    sizes = [64, 128, 64, 10]
    nodes, inits = [], []
    x = "x"
    for i, (k, n) in enumerate(zip(sizes, sizes[1:])):
        inits.append(initializer(rng, f"w{i}", [k, n], 1 / np.sqrt(k)))
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]))
        x = f"m{i}"
        if i < len(sizes) - 2:
            inits.append(initializer(rng, f"b{i}", [n], 0.1))
            nodes += [helper.make_node("Add", [x, f"b{i}"], [f"a{i}"]),
                      helper.make_node("Relu", [f"a{i}"], [f"r{i}"])]
            x = f"r{i}"
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [32, 64])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [32, 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def make_cnn(rng):
    """[4, 3, 16, 16]: conv 3x3 (16) + Relu, conv 3x3 stride 2 (32) + Relu,
    conv 1x1 (32), global average pool, flatten, MatMul to 10."""
    nodes, inits = [], []
    x = "x"
    for i, (cin, cout, k, stride) in enumerate([(3, 16, 3, 1), (16, 32, 3, 2), (32, 32, 1, 1)]):
        inits += [initializer(rng, f"w{i}", [cout, cin, k, k], 1 / np.sqrt(cin * k * k)),
                  initializer(rng, f"b{i}", [cout], 0.1)]
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], pads=[k // 2] * 4,
                                      strides=[stride, stride]))
        x = f"c{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"]))
            x = f"r{i}"
    inits.append(initializer(rng, "fc", [32, 10], 1 / np.sqrt(32)))
    nodes += [helper.make_node("GlobalAveragePool", [x], ["pool"]),
              helper.make_node("Flatten", ["pool"], ["flat"]),
              helper.make_node("MatMul", ["flat", "fc"], ["y"])]
    graph = helper.make_graph(nodes, "cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


class RandomReader(CalibrationDataReader):
    def __init__(self, shape, rng, batches=8):
        self.batches = iter([{"x": rng.standard_normal(shape).astype(np.float32)}
                             for _ in range(batches)])

    def get_next(self):
        return next(self.batches, None)


def quantize(model, path, fmt, per_channel, rng):
    float_path = path + ".float.onnx"
    onnx.save(model, float_path)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    quantize_static(float_path, path, RandomReader(shape, rng), quant_format=fmt,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    per_channel=per_channel, op_types_to_quantize=["Conv", "MatMul"])
    # The integer tensor behind the float output becomes an output too.
    quantized = onnx.load(path)
    final = next(n for n in quantized.graph.node if n.output[0] == quantized.graph.output[0].name)
    if final.op_type != "DequantizeLinear":
        raise SystemExit(f"{path}: the output comes from {final.op_type}, not DequantizeLinear")
    scale = numpy_helper.to_array(next(i for i in quantized.graph.initializer
                                       if i.name == final.input[1]))
    quantized.graph.output.append(helper.make_tensor_value_info(final.input[0], TensorProto.UINT8,
                                                                None))
    onnx.save(quantized, path)
    ops = sorted({n.op_type for n in quantized.graph.node})
    return float(scale), ops, shape


def check(name, model, fmt, per_channel, args, work, rng):
    path = os.path.join(work, name + ".onnx")
    scale, ops, shape = quantize(model, path, fmt, per_channel, rng)
    base = os.path.join(work, name)
    run = subprocess.run([args.r1c, path, "--target=host", f"--cpu={args.cpu}", "-o", base],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c failed: {run.stderr.strip()}"
    x = rng.standard_normal(shape).astype(np.float32)
    np.save(os.path.join(work, name + ".x.npy"), x)
    want_float, want_int = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"x": x})
    # The best level this CPU runs, then the AVX2 code (x86-64-v3).
    for level, env in (("best", {}), ("x86-64-v3", {"R1C_MAX_CPU_ISA": "x86-64-v3"})):
        outputs = os.path.join(work, f"{name}.{level}.out")
        run = subprocess.run([args.r1c_run, base + ".r1", "--input",
                              os.path.join(work, name + ".x.npy"), "--save-outputs", outputs],
                             capture_output=True, text=True, env={**os.environ, **env})
        if run.returncode != 0:
            return f"r1c-run ({level}) failed: {run.stderr.strip()}"
        got_float = np.load(os.path.join(outputs, "output_0.npy"))
        got_int = np.load(os.path.join(outputs, "output_1.npy"))
        error = compare(f"{name} ({level})", ops, scale, got_float, got_int, want_float, want_int)
        if error:
            return f"{level}: {error}"
    return None


def compare(label, ops, scale, got_float, got_int, want_float, want_int):
    if got_int.dtype != want_int.dtype or got_int.shape != want_int.shape:
        return f"integer output is {got_int.dtype}{list(got_int.shape)}, ONNX Runtime's " \
               f"{want_int.dtype}{list(want_int.shape)}"
    diff = np.abs(got_int.astype(np.int32) - want_int.astype(np.int32))
    off = np.count_nonzero(diff)
    float_error = np.abs(got_float - want_float)
    bound = scale + 1e-5 + 1e-4 * np.abs(want_float)
    print(f"  {label}: ops {', '.join(ops)}; integer output: {off} of {diff.size} off by "
          f"{diff.max()} at most; float output: max error {float_error.max():.3g} "
          f"(one step {scale:.3g})")
    if diff.max() > 1 or off > MAX_OFF_BY_ONE_FRACTION * diff.size:
        return f"integer output differs: {off} of {diff.size} elements, by up to {diff.max()}"
    if not np.all(float_error <= bound) or np.isnan(got_float).any():
        return f"float output differs by {float_error.max():.3g}, more than one step ({scale:.3g})"
    return None


def contraction_cases(rng):
    """Integer contractions at the edges of the packed GEMM, against numpy's
    exact sums: odd K, N and M that fill no whole panel or register block,
    broadcast batch dims, per-row and per-column zero points, int8 by int8
    with K above 1000, and a grouped, strided, dilated, padded convolution
    of uint8 weights with zero points."""
    a = rng.integers(0, 256, (3, 1, 37, 45)).astype(np.uint8)
    b = rng.integers(-128, 128, (4, 45, 29)).astype(np.int8)
    za = rng.integers(0, 256, (37,)).astype(np.uint8)
    zb = rng.integers(-128, 128, (29,)).astype(np.int8)
    yield ("matmul_integer_broadcast", helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"]),
           {"a": a, "b": b, "za": za, "zb": zb},
           np.matmul(a.astype(np.int64) - za[:, None], b.astype(np.int64) - zb))
    a = rng.integers(-128, 128, (70, 1031)).astype(np.int8)
    b = rng.integers(-128, 128, (1031, 130)).astype(np.int8)
    yield ("matmul_integer_int8", helper.make_node("MatMulInteger", ["a", "b"], ["y"]),
           {"a": a, "b": b}, np.matmul(a.astype(np.int64), b.astype(np.int64)))
    x = rng.integers(0, 256, (2, 6, 11, 13)).astype(np.uint8)
    w = rng.integers(0, 256, (9, 2, 3, 3)).astype(np.uint8)
    zx, zw = np.array(17, np.uint8), np.array(200, np.uint8)
    node = helper.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["y"], group=3, strides=[2, 1],
                            dilations=[1, 2], pads=[1, 2, 0, 1])
    yield ("conv_integer_grouped", node, {"x": x, "w": w, "zx": zx, "zw": zw}, None)


def check_contraction(name, node, feeds, want, args, work):
    types = {np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8}
    inputs = [helper.make_tensor_value_info(k, types[v.dtype], v.shape) for k, v in feeds.items()]
    graph = helper.make_graph([node], name, inputs,
                              [helper.make_tensor_value_info("y", TensorProto.INT32, None)])
    path = os.path.join(work, name + ".onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
              path)
    if want is None:  # ONNX Runtime's ConvInteger (its MatMulInteger has no per-row zero points)
        want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    base = os.path.join(work, name)
    run = subprocess.run([args.r1c, path, "--target=host", f"--cpu={args.cpu}", "-o", base],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return f"r1c failed: {run.stderr.strip()}"
    inputs = []
    for key, value in feeds.items():
        np.save(os.path.join(work, f"{name}.{key}.npy"), value)
        inputs += ["--input", os.path.join(work, f"{name}.{key}.npy")]
    for level, env in (("best", {}), ("x86-64-v3", {"R1C_MAX_CPU_ISA": "x86-64-v3"})):
        outputs = os.path.join(work, f"{name}.{level}.out")
        run = subprocess.run([args.r1c_run, base + ".r1", *inputs, "--threads", "2",
                              "--save-outputs", outputs], capture_output=True, text=True,
                             env={**os.environ, **env})
        if run.returncode != 0:
            return f"r1c-run ({level}) failed: {run.stderr.strip()}"
        got = np.load(os.path.join(outputs, "output_0.npy"))
        if got.shape != want.shape or not np.array_equal(got.astype(np.int64), want):
            return f"{level}: sums differ from the exact ones"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--cpu", default="auto")
    parser.add_argument("--keep", metavar="DIR", help="write the models and artifacts to DIR")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    cases = []
    for model_name, make in (("mlp", make_mlp), ("cnn", make_cnn)):
        for fmt_name, fmt in (("qdq", QuantFormat.QDQ), ("qoperator", QuantFormat.QOperator)):
            cases.append((f"{model_name}_{fmt_name}", make, fmt, model_name == "cnn"))
    failed = 0
    parser_work = args.keep
    with tempfile.TemporaryDirectory(prefix="r1c-quantized-") as temporary:
        work = parser_work or temporary
        for name, make, fmt, per_channel in cases:
            error = check(name, make(np.random.default_rng(7)), fmt, per_channel, args, work, rng)
            print(f"{'FAIL' if error else 'ok  '} {name}" + (f": {error}" if error else ""))
            failed += error is not None
        contractions = list(contraction_cases(rng))
        for name, node, feeds, want in contractions:
            error = check_contraction(name, node, feeds, want, args, work)
            print(f"{'FAIL' if error else 'ok  '} {name}" + (f": {error}" if error else ""))
            failed += error is not None
    total = len(cases) + len(contractions)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
