#!/usr/bin/env python3
"""--precision=int8 on the host, by execution, calibrated on input sets.

For each model (an MLP, a CNN with strided, padded and depthwise convolutions, a transformer
layer; f32):
- four calibration sets are written in the ONNX test-data layout and r1c compiles with
  `--precision=int8 --calibration=DIR` (ranges by min/max, the default);
- every matmul and convolution with a constant weight becomes an integer contraction
  (`r1.matmul_integer`, `r1.conv_integer` in `--compile-to=graph`), and nothing else does;
- the reference is ONNX Runtime, optimizations off, on the model with the quantization
  spelled out: QuantizeLinear/DequantizeLinear on each such op's activation (per tensor,
  ui8, over the min/max that ONNX Runtime itself measures on the same sets, widened to
  hold 0) and its weight (per output channel, symmetric i8 in [-127, 127]). That is what
  r1c computes, up to f32 rounding: its integer sums are exact, the reference sums the
  dequantized products in f32; where a value lands within rounding of a code boundary, the
  two may pick neighbouring codes, one step apart. The check: 99.5% of the elements agree
  within 1e-4 of the output's largest magnitude, and every element within 2% of it (a few
  one-step differences carried on);
- at every CPU level: the best this CPU runs (vpdpbusd with AVX512-VNNI), plain AVX-512
  and AVX2;
- how far int8 is from f32 is printed.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_precision import cnn, mlp, ort_run, transformer_layer  # noqa: E402

SETS = 4


def write_sets(work, name, model, rng):
    """SETS input sets in the ONNX test-data layout; returns the folder and the sets."""
    folder = os.path.join(work, f"{name}_calibration")
    sets = []
    for s in range(SETS):
        d = os.path.join(folder, f"test_data_set_{s}")
        os.makedirs(d, exist_ok=True)
        feeds = {}
        for i, value in enumerate(model.graph.input):
            shape = [x.dim_value for x in value.type.tensor_type.shape.dim]
            feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
            with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(feeds[value.name], value.name)
                        .SerializeToString())
        sets.append(feeds)
    return folder, sets


def weight_contractions(model):
    """The MatMul and Conv nodes whose second input is an initializer."""
    weights = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node
            if n.op_type in ("MatMul", "Conv") and n.input[1] in weights]


def measured_ranges(model, names, sets):
    """Min and max of each tensor in `names` over `sets`, as ONNX Runtime computes them."""
    import onnxruntime as ort
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output} | {i.name for i in probe.graph.input}
    for name in names:
        if name not in known:
            probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                                    None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    lo = {n: np.inf for n in names}
    hi = {n: -np.inf for n in names}
    for feeds in sets:
        values = dict(zip(outputs, session.run(None, feeds)))
        values.update(feeds)
        for n in names:
            lo[n] = min(lo[n], float(values[n].min()))
            hi[n] = max(hi[n], float(values[n].max()))
    return lo, hi


def quantized_reference(model, sets):
    """`model` with QDQ spelled out around each weight contraction (see the docstring)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    weights = {i.name: numpy_helper.to_array(i) for i in out.graph.initializer}
    targets = weight_contractions(out)
    lo, hi = measured_ranges(model, sorted({n.input[0] for n in targets}), sets)
    extra, done = [], {}
    for k, node in enumerate(targets):
        x = node.input[0]
        if x not in done:
            low, high = np.float32(min(lo[x], 0.0)), np.float32(max(hi[x], 0.0))
            scale = np.float32((high - low) / np.float32(255))
            zero = np.uint8(np.clip(np.rint(-low / scale), 0, 255))
            s, z = f"{x}_s", f"{x}_z"
            out.graph.initializer.extend([numpy_helper.from_array(np.array(scale), s),
                                          numpy_helper.from_array(np.array(zero), z)])
            extra += [helper.make_node("QuantizeLinear", [x, s, z], [f"{x}_q"]),
                      helper.make_node("DequantizeLinear", [f"{x}_q", s, z], [f"{x}_dq"])]
            done[x] = f"{x}_dq"
        w = weights[node.input[1]]
        axis = 1 if node.op_type == "MatMul" else 0
        reduce = tuple(a for a in range(w.ndim) if a != (w.ndim - 1 if axis == 1 else 0))
        largest = np.abs(w).max(axis=reduce)
        ws = np.where(largest > 0, largest / np.float32(127), np.float32(1)).astype(np.float32)
        shape = [1] * w.ndim
        shape[-1 if axis == 1 else 0] = -1
        wq = np.clip(np.rint(w / ws.reshape(shape)), -127, 127).astype(np.int8)
        names = [f"w{k}_q", f"w{k}_s", f"w{k}_z"]
        out.graph.initializer.extend([
            numpy_helper.from_array(wq, names[0]), numpy_helper.from_array(ws, names[1]),
            numpy_helper.from_array(np.zeros(ws.shape, np.int8), names[2])])
        extra.append(helper.make_node("DequantizeLinear", names, [f"w{k}_dq"],
                                      axis=w.ndim - 1 if axis == 1 else 0))
        node.input[0], node.input[1] = done[x], f"w{k}_dq"
    nodes = extra + list(out.graph.node)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out


def ort_plain(model, feeds):
    """ONNX Runtime with graph optimizations off: QDQ stays float arithmetic."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    import onnxruntime as ort
    ort.set_default_logger_severity(3)  # the QDQ models leave the f32 weights unused
    work = tempfile.mkdtemp(prefix="r1c-int8-")
    rng = np.random.default_rng(5)
    passed = failed = 0

    def report(name, ok, text):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text}", flush=True)

    models = {"mlp": mlp(rng), "cnn": cnn(rng), "transformer_layer": transformer_layer(rng)}
    for name, model in models.items():
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        calibration, sets = write_sets(work, name, model, rng)
        flags = ["--precision=int8", f"--calibration={calibration}"]
        graph = subprocess.run([args.r1c, path, "--compile-to=graph", *flags],
                               capture_output=True, text=True)
        if graph.returncode != 0:
            report(name, False, graph.stderr.strip()[-400:])
            continue
        integer = re.findall(r"= r1\.(matmul_integer|conv_integer) ", graph.stdout)
        expected = len(weight_contractions(model))
        out = os.path.join(work, name)
        build = subprocess.run([args.r1c, path, "--target=host", "--no-progress", *flags,
                                "-o", out], capture_output=True, text=True)
        if build.returncode != 0:
            report(name, False, build.stderr.strip()[-400:])
            continue
        # Fresh inputs, not among the calibration sets.
        feeds = {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
                 .astype(np.float32) for i in model.graph.input}
        inputs = []
        for i, value in enumerate(feeds.values()):
            f = os.path.join(work, f"{name}.in{i}.npy")
            np.save(f, value)
            inputs += ["--input", f]
        want = ort_plain(quantized_reference(model, sets), feeds)
        f32 = ort_run(model, feeds)
        scale = float(np.abs(want).max())
        verdicts = []
        ok = len(integer) == expected and expected > 0
        for isa in ("", "x86-64-v4", "x86-64-v3"):
            save = tempfile.mkdtemp(dir=work)
            env = dict(os.environ, **({"R1C_MAX_CPU_ISA": isa} if isa else {}))
            done = subprocess.run([args.r1c_run, out + ".r1", *inputs, "--save-outputs", save],
                                  capture_output=True, text=True, env=env)
            if done.returncode != 0:
                ok = False
                verdicts.append(f"{isa or 'native'}: {done.stderr.strip()[-200:]}")
                continue
            got = np.load(os.path.join(save, "output_0.npy"))
            diff = np.abs(got - want)
            close = float(np.mean(diff <= 1e-4 * scale))
            worst = float(diff.max() / scale)
            ok = ok and close >= 0.995 and worst <= 0.02 and bool(np.isfinite(got).all())
            drift = float(np.linalg.norm(got - f32) / np.linalg.norm(f32))
            verdicts.append(f"{isa or 'native'}: {close:.2%} within 1e-4, worst {worst:.1e}, "
                            f"norm error against f32 {drift:.1e}")
        report(name, ok, f"{len(integer)} integer contractions of {expected} with weights; " +
               "; ".join(verdicts))

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
