#!/usr/bin/env python3
"""--precision=bf16 and fp16 on the host, by execution.

For each model (an MLP, a CNN, a transformer layer; f32, weights out of line):
- `r1c --precision=P --compile-to=graph` puts r1.precision on every matmul and convolution
  and on nothing else;
- the artifact's outputs match ONNX Runtime's on the same model with the rounding spelled
  out (every matmul's and convolution's float inputs cast to the format and back, their
  sums kept in f32: what the precision asks for), within STYLE.md's per-op tolerance of
  the format, with the code of every level: the best the CPU runs (AVX512-BF16 dot
  products where it has them), plain AVX-512 and AVX2;
- how far that is from f32 is printed (the cost of the format, not checked).

fp16 never makes an infinity that f32 does not: a matmul whose weight, or whose activation as
calibration measures it, is past f16's range stays f32 (two cases, the second checked to give
infinities with every matmul in f16).

And the weights: r1c converts them when compiling, rounding to nearest even; a weight with
the values where rounding is delicate (ties, the largest f16, subnormals, NaN, infinities)
must come out bit for bit as NumPy (f16) and a bit-level bf16 reference round it.
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
from onnx_graph import Graph  # noqa: E402

FORMATS = {"bf16": TensorProto.BFLOAT16, "fp16": TensorProto.FLOAT16}
# STYLE.md: per-op tolerance (atol, rtol) of each format.
TOLERANCE = {"bf16": (2e-2, 1e-2), "fp16": (2.5e-3, 1e-3)}


class Weights(Graph):
    """A Graph whose weights are random, scaled by 1/sqrt(fan-in)."""

    def __init__(self, rng):
        super().__init__()
        self.rng = rng

    def weight(self, *shape, scale=None):
        scale = scale or 1 / np.sqrt(shape[-1] if len(shape) == 2 else np.prod(shape[1:]))
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32))


def mlp(rng):
    g = Weights(rng)
    h = g.op("Relu", [g.op("Add", [g.op("MatMul", ["x", g.weight(256, 512)]),
                                   g.weight(512, scale=0.1)])])
    h = g.op("Relu", [g.op("MatMul", [h, g.weight(512, 384)])])
    y = g.op("MatMul", [h, g.weight(384, 10)])
    g.input("x", TensorProto.FLOAT, [8, 256])
    return g.model(y, TensorProto.FLOAT, [8, 10])


def cnn(rng):
    g = Weights(rng)
    h = g.op("Relu", [g.op("Conv", ["x", g.weight(32, 3, 3, 3), g.weight(32, scale=0.1)],
                           pads=[1, 1, 1, 1])])
    h = g.op("Relu", [g.op("Conv", [h, g.weight(64, 32, 3, 3)], pads=[1, 1, 1, 1],
                           strides=[2, 2])])
    h = g.op("Conv", [h, g.weight(64, 1, 3, 3)], pads=[1, 1, 1, 1], group=64)
    h = g.op("Flatten", [g.op("GlobalAveragePool", [h])])
    y = g.op("MatMul", [h, g.weight(64, 10)])
    g.input("x", TensorProto.FLOAT, [1, 3, 32, 32])
    return g.model(y, TensorProto.FLOAT, [1, 10])


def transformer_layer(rng, seq=64, heads=4, dim=32):
    """Projections, attention, output projection, residual + layer norm, GELU MLP."""
    g = Weights(rng)
    width = heads * dim

    def heads_of(x, key=False):
        r = g.op("Reshape", [x, g.const(np.array([0, 0, heads, dim], np.int64))])
        return g.op("Transpose", [r], perm=[0, 2, 3, 1] if key else [0, 2, 1, 3])

    q, k, v = (g.op("MatMul", ["x", g.weight(width, width)]) for _ in range(3))
    s = g.op("Div", [g.op("MatMul", [heads_of(q), heads_of(k, True)]),
                     g.const(np.array(np.sqrt(dim), np.float32))])
    c = g.op("Transpose", [g.op("MatMul", [g.op("Softmax", [s], axis=-1), heads_of(v)])],
             perm=[0, 2, 1, 3])
    c = g.op("Reshape", [c, g.const(np.array([0, 0, width], np.int64))])
    h = g.op("Add", ["x", g.op("MatMul", [c, g.weight(width, width)])])
    h = g.op("LayerNormalization", [h, g.const(np.ones(width, np.float32)),
                                    g.const(np.zeros(width, np.float32))], axis=-1)
    f = g.op("MatMul", [h, g.weight(width, 4 * width)])
    f = g.op("Mul", [f, g.op("Sigmoid", [g.op("Mul", [f, g.const(np.array(1.702, np.float32))])])])
    y = g.op("Add", [h, g.op("MatMul", [f, g.weight(4 * width, width)])])
    g.input("x", TensorProto.FLOAT, [1, seq, width])
    return g.model(y, TensorProto.FLOAT, [1, seq, width])


def spelled_out(model, fmt):
    """`model` with every MatMul's and Conv's float inputs cast to `fmt` and back to f32
    (their f32 sums are kept), but a Conv's bias, which starts the f32 sums: ONNX Runtime
    then computes in f32 what the precision rounds."""
    to = FORMATS[fmt]
    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes = []
    for i, node in enumerate(model.graph.node):
        if node.op_type not in ("MatMul", "Conv"):
            nodes.append(node)
            continue
        node = onnx.NodeProto()
        node.CopyFrom(model.graph.node[i])
        for j, name in enumerate(node.input):
            if node.op_type == "Conv" and j == 2:
                continue
            low, back = f"{name}_low{i}_{j}", f"{name}_back{i}_{j}"
            nodes += [helper.make_node("Cast", [name], [low], to=to),
                      helper.make_node("Cast", [low], [back], to=TensorProto.FLOAT)]
            node.input[j] = back
        nodes.append(node)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out


def spelled_out_except(model, fmt, skip):
    """spelled_out, with the `skip`-th MatMul or Conv left in f32."""
    kept = onnx.ModelProto()
    kept.CopyFrom(model)
    contractions = [n for n in kept.graph.node if n.op_type in ("MatMul", "Conv")]
    contractions[skip].op_type += "Kept"
    out = spelled_out(kept, fmt)
    for node in out.graph.node:
        node.op_type = node.op_type.replace("Kept", "")
    return out


def run(args, work, name, model, feeds, flags):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    graph = subprocess.run([args.r1c, path, "--compile-to=graph", *flags], capture_output=True,
                           text=True)
    if graph.returncode != 0:
        raise RuntimeError(graph.stderr.strip()[-400:])
    ops = re.findall(r"= r1\.(\w+) .*", graph.stdout)
    marked = re.findall(r"= r1\.(\w+) [^\n]*r1\.precision = ", graph.stdout)
    out = os.path.join(work, name)
    build = subprocess.run([args.r1c, path, "--target=host", "--no-progress", *flags, "-o", out],
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(build.stderr.strip()[-400:])
    inputs = []
    for i, value in enumerate(feeds.values()):
        f = os.path.join(work, f"{name}.in{i}.npy")
        np.save(f, value)
        inputs += ["--input", f]
    results = {}
    for isa in ("", "x86-64-v4", "x86-64-v3"):
        save = tempfile.mkdtemp(dir=work)
        env = dict(os.environ, **({"R1C_MAX_CPU_ISA": isa} if isa else {}))
        done = subprocess.run([args.r1c_run, out + ".r1", *inputs, "--save-outputs", save],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-400:])
        results[isa or "native"] = np.load(os.path.join(save, "output_0.npy"))
    return ops, marked, results


def ort_run(model, feeds):
    import onnxruntime as ort
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def bfloat16_bits(x):
    """f32 -> bf16 bit patterns, ties to even; NaN stays a quiet NaN."""
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def delicate_weight(fmt):
    """Values where rounding to f16 or bf16 is delicate, and random ones, 64 x 64. For f16,
    nothing that rounds past its range (r1c keeps such a matmul f32, see below)."""
    special = [
        0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, -65519.99, np.inf, -np.inf, np.nan,
        2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 2.0 ** -26, 3 * 2.0 ** -25,
        1e-8, 6.1e-5, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8,
        1e-40, 0.1, 1 / 3]
    if fmt == "bf16":
        special += [65520.0, -65520.0, 1e6, 3.4e38, -3.4e38, 3.3961776e38]
    special = np.array(special, np.float32)
    rng = np.random.default_rng(7)
    top = 20 if fmt == "bf16" else 15
    rest = (rng.standard_normal(64 * 64 - len(special)) *
            np.exp2(rng.integers(-30, top, 64 * 64 - len(special)))).astype(np.float32)
    if fmt == "fp16":
        rest = np.clip(rest, -65000, 65000)
    return np.concatenate([special, rest]).reshape(64, 64)


def check_weights(args, work, fmt):
    w = delicate_weight(fmt)
    g = Graph()
    g.inits.append(numpy_helper.from_array(w, "w"))
    g.input("x", TensorProto.FLOAT, [2, 64])
    y = g.op("MatMul", ["x", "w"])
    path = os.path.join(work, f"weights_{fmt}.onnx")
    onnx.save(g.model(y, TensorProto.FLOAT, [2, 64]), path)
    graph = subprocess.run([args.r1c, path, f"--precision={fmt}", "--compile-to=graph"],
                           capture_output=True, text=True)
    if graph.returncode != 0:
        return False, graph.stderr.strip()[-300:]
    suffix = "bf16" if fmt == "bf16" else "f16"
    blob = re.search(r'w\.' + suffix + r': "0x([0-9A-F]+)"', graph.stdout)
    if not blob:
        return False, f"no converted weight w.{suffix} in the graph"
    data = bytes.fromhex(blob.group(1))[4:]  # the first 4 bytes are the blob's alignment
    got = np.frombuffer(data, np.uint16)
    with np.errstate(over="ignore"):
        want = (bfloat16_bits(w) if fmt == "bf16" else w.astype(np.float16).view(np.uint16))
    want = want.reshape(-1)
    if got.shape != want.shape:
        return False, f"{got.size} converted elements, expected {want.size}"
    # NaN's payload may differ; it must stay a NaN.
    exponent = 0x7F80 if fmt == "bf16" else 0x7C00
    mantissa = 0x007F if fmt == "bf16" else 0x03FF
    nan_got = ((got & exponent) == exponent) & ((got & mantissa) != 0)
    nan_want = ((want & exponent) == exponent) & ((want & mantissa) != 0)
    differ = np.flatnonzero((got != want) & ~(nan_got & nan_want))
    if differ.size:
        i = differ[0]
        return False, (f"{differ.size} elements differ, first {w.reshape(-1)[i]!r}: "
                       f"got 0x{got[i]:04x}, expected 0x{want[i]:04x}")
    return True, f"{want.size} elements bit for bit"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="r1c-precision-")
    rng = np.random.default_rng(3)
    passed = failed = 0

    def report(name, ok, text):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text}", flush=True)

    for fmt in FORMATS:
        ok, text = check_weights(args, work, fmt)
        report(f"weights_{fmt}", ok, text)

    models = {"mlp": mlp(rng), "cnn": cnn(rng), "transformer_layer": transformer_layer(rng)}
    for name, model in models.items():
        feeds = {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
                 .astype(np.float32) for i in model.graph.input}
        f32 = ort_run(model, feeds)
        for fmt in FORMATS:
            case = f"{name}_{fmt}"
            try:
                ops, marked, results = run(args, work, case, model, feeds,
                                           [f"--precision={fmt}"])
            except RuntimeError as e:
                report(case, False, str(e))
                continue
            contractions = [op for op in ops if op in ("matmul", "conv")]
            want = ort_run(spelled_out(model, fmt), feeds)
            atol, rtol = TOLERANCE[fmt]
            close = {isa: bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))
                     for isa, got in results.items()}
            worst = max(float(np.max(np.abs(got - want) / (atol + rtol * np.abs(want))))
                        for got in results.values())
            drift = max(float(np.linalg.norm(got - f32) / np.linalg.norm(f32))
                        for got in results.values())
            ok = (sorted(marked) == sorted(contractions) and len(contractions) > 0
                  and all(close.values()) and all(np.isfinite(g).all() for g in results.values()))
            report(case, ok, f"{len(marked)} ops marked, the {len(contractions)} "
                   f"matmuls/convolutions of {len(ops)} ops; within tolerance: " +
                   ", ".join(f"{isa} {c}" for isa, c in close.items()) +
                   f" (worst {worst:.2f} of it); norm error against f32 {drift:.1e}")

    # fp16 never makes an infinity of a weight: a matmul whose weight is past f16's range
    # stays f32 (not marked) and gives f32's finite result.
    g = Weights(rng)
    g.input("x", TensorProto.FLOAT, [4, 64])
    large = rng.standard_normal((64, 64)).astype(np.float32)
    large[3, 5] = 1e5
    h = g.op("MatMul", ["x", g.const(large)])
    y = g.op("MatMul", [h, g.weight(64, 16)])
    model = g.model(y, TensorProto.FLOAT, [4, 16])
    # Inputs small enough that the first matmul's results (read by the second in f16) stay
    # inside f16's range, in calibration too (an activation past it is the next case).
    feeds = {"x": (0.1 * rng.standard_normal((4, 64))).astype(np.float32)}
    calibration = os.path.join(work, "large_weight_calibration", "set_0")
    os.makedirs(calibration)
    np.save(os.path.join(calibration, "x.npy"),
            (0.1 * rng.standard_normal((4, 64))).astype(np.float32))
    try:
        ops, marked, results = run(args, work, "large_weight_fp16", model, feeds,
                                   ["--precision=fp16",
                                    f"--calibration={os.path.dirname(calibration)}"])
        want = ort_run(spelled_out_except(model, "fp16", skip=0), feeds)
        atol, rtol = TOLERANCE["fp16"]
        finite = all(np.isfinite(got).all() for got in results.values())
        close = all(np.all(np.abs(got - want) <= atol + rtol * np.abs(want))
                    for got in results.values())
        ok = len(marked) == 1 and finite and close
        report("large_weight_fp16", ok, f"{len(marked)} of 2 matmuls marked (the one with a "
               f"weight of 1e5 stays f32); outputs finite: {finite}, within tolerance: {close}")
    except RuntimeError as e:
        report("large_weight_fp16", False, str(e))

    # Nor of an activation: a matmul whose input calibration sees past f16's range stays
    # f32. Its input here is ~1e5 for any input (fp16 calibrates on random sets by
    # default), which f16 would make infinite, as the spelled-out reference shows.
    g = Weights(rng)
    g.input("x", TensorProto.FLOAT, [4, 64])
    h = g.op("MatMul", ["x", g.const(np.full((64, 64), 2000.0, np.float32))])
    h = g.op("Add", [h, g.const(np.full(64, 1e5, np.float32))])
    y = g.op("MatMul", [h, g.weight(64, 16)])
    model = g.model(y, TensorProto.FLOAT, [4, 16])
    feeds = {"x": (0.1 * rng.standard_normal((4, 64))).astype(np.float32)}
    try:
        ops, marked, results = run(args, work, "large_activation_fp16", model, feeds,
                                   ["--precision=fp16"])
        with np.errstate(over="ignore", invalid="ignore"):
            all_f16 = ort_run(spelled_out(model, "fp16"), feeds)
        want = ort_run(spelled_out_except(model, "fp16", skip=1), feeds)
        atol, rtol = TOLERANCE["fp16"]
        finite = all(np.isfinite(got).all() for got in results.values())
        close = all(np.all(np.abs(got - want) <= atol + rtol * np.abs(want))
                    for got in results.values())
        ok = len(marked) == 1 and finite and close and not np.isfinite(all_f16).all()
        report("large_activation_fp16", ok, f"{len(marked)} of 2 matmuls marked (the one "
               f"reading ~1e5 stays f32); outputs finite: {finite} (all in f16: "
               f"{bool(np.isfinite(all_f16).all())}), within tolerance: {close}")
    except RuntimeError as e:
        report("large_activation_fp16", False, str(e))

    # Formats r1c does not have fail with a message, not a crash.
    done = subprocess.run([args.r1c, os.path.join(work, "mlp_bf16.onnx"), "--precision=int4",
                           "--compile-to=graph"], capture_output=True, text=True)
    report("unknown_format", done.returncode == 2 and "unknown format" in done.stderr,
           done.stderr.strip()[-200:])

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
