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
  within 1e-4 of the output's largest magnitude, not counting, in an output of 32 rows (last
  dim) or more, the one row with the most that do not (one step in one token's activation
  reaches its whole row through the next matmul or a layer norm), and every element within
  2% of it (a few one-step differences carried on);
- activations are quantized with both ends of their range inside the codes (zero point
  ceil(-low / step), scale max(step, high / (255 - zero point))), as r1c does;
- bias correction: r1c takes off the mean shift weight rounding gives each output channel
  (passes/Int8BiasCorrection.h); the reference does the same, from the channel means (a
  Conv's dim 1, a MatMul's last dim) ONNX Runtime measures on the same sets: a Conv's bias
  becomes bias - shift, other contractions get an Add of -shift after them; not where the
  activation is a model input. On a model whose activation has a large positive mean and
  few products per sum, the correction must at least halve int8's error against f32;
- a max pool between a convolution's ReLU and the next convolution pools the 8-bit codes
  (r1c moves the quantization above it, `r1.max_pool` on ui8 in `--compile-to=kernel`),
  which must give what pooling f32 and quantizing gives;
- a residual stream (a CNN whose block input feeds a convolution and the add after it):
  the add reads the convolution's dequantized activation too, as r1c declares with
  `r1.int8_shared_activation`, so the reference's Add reads the DequantizeLinear output;
- smoothing: r1c smooths an int8 MatMul whose activation has an outlier channel (the largest
  channel magnitude at least 8 times the lower median); the reference applies it as r1c
  defines it, from per-channel min/max (last dim) that ONNX Runtime measures on the same
  sets: for a MatMul with a constant [K, N] weight, s_c = a_c^alpha / w_c^(1 - alpha) (a_c
  the largest |x| of channel c, w_c the largest |W| of row c; 1 where either is 0; clamped
  to [1e-4, 1e4]; in double, then f32), the activation is multiplied by 1/s (f32) and
  quantized over [min_c(min_c / s_c), max_c(max_c / s_c)], the weight diag(s) W quantized
  per column. The three models above have no outlier channel: at `--int8-smoothing=0.5`
  they must come out as unsmoothed (nothing smoothed), and at 0 (off) at every level;
- a model with outlier channels in a matmul's activation is compiled with smoothing (0.75,
  the default) and without (0); the smoothed one must match its reference and at least
  halve int8's error against f32;
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
from check_precision import Weights, cnn, mlp, ort_run, transformer_layer  # noqa: E402

SETS = 4
ALPHA = 0.75  # the --int8-smoothing that suits MiniLM (docs/precision.md#smoothing)


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


def is_depthwise(node, model):
    """A Conv with one input channel per group, which int8 leaves in f32."""
    if node.op_type != "Conv":
        return False
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    weight = next((i for i in model.graph.initializer if i.name == node.input[1]), None)
    return group > 1 and weight is not None and len(weight.dims) >= 2 and weight.dims[1] == 1


def weight_contractions(model):
    """The MatMul and Conv nodes whose second input is an initializer, but depthwise
    convolutions."""
    weights = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type in ("MatMul", "Conv")
            and n.input[1] in weights and not is_depthwise(n, model)]


def measured_ranges(model, names, sets, channels=None, means=None):
    """Min and max of each tensor in `names` over `sets`, as ONNX Runtime computes them; with
    `channels` (a dict), also per channel of the last dim, into channels[name]; with `means`
    (a dict of name -> channel axis), the mean of each channel along that axis, replacing
    the axis by the means."""
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
    sums = {}
    for feeds in sets:
        values = dict(zip(outputs, session.run(None, feeds)))
        values.update(feeds)
        for n in names:
            lo[n] = min(lo[n], float(values[n].min()))
            hi[n] = max(hi[n], float(values[n].max()))
            if channels is not None:
                rows = values[n].reshape(-1, values[n].shape[-1])
                mn, mx = rows.min(axis=0), rows.max(axis=0)
                if n in channels:
                    mn, mx = np.minimum(channels[n][0], mn), np.maximum(channels[n][1], mx)
                channels[n] = (mn, mx)
            if means is not None and n in means:
                rows = np.moveaxis(values[n], means[n], -1).astype(np.float64)
                rows = rows.reshape(-1, rows.shape[-1])
                total, count = sums.get(n, (0.0, 0))
                sums[n] = (total + rows.sum(axis=0), count + rows.shape[0])
    if means is not None:
        for n in means:
            means[n] = (sums[n][0] / sums[n][1]).astype(np.float32)
    return lo, hi


def activation_quantization(low, high):
    """Scale and zero point of an activation over [low, high] (widened to hold 0), as r1c
    computes them in f32 (passes/IntegerQuantization.h): zero point ceil(-low / step) for
    step = (high - low) / 255, scale max(step, high / (255 - zero point)), so that both
    ends are codes."""
    f = np.float32
    low, high = f(min(low, 0.0)), f(max(high, 0.0))
    step = f((high - low) / f(255))
    if not step > 0 or not np.isfinite(step):
        return f(1), np.uint8(0)
    zero = f(np.clip(np.ceil(f(-low / step)), 0, 255))
    scale = f(max(step, f(high / f(f(255) - zero)))) if zero < 255 else step
    return scale, np.uint8(zero)


def bias_shift(node, w, wq, mean):
    """The shift r1c's bias correction takes off a contraction (passes/Int8BiasCorrection.h):
    per output channel, sum_k (W_q - W)[k, n] mean_k, over the activation's channel means
    (a Conv's dim 1, a MatMul's last dim), in double, then f32."""
    error = wq.astype(np.float64) - w.astype(np.float64)
    mean = mean.astype(np.float64)
    if node.op_type == "MatMul":
        return (mean @ error).astype(np.float32)
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    per_group = w.shape[0] // group
    shift = np.zeros(w.shape[0])
    for o in range(w.shape[0]):
        channels = mean[o // per_group * w.shape[1]:(o // per_group + 1) * w.shape[1]]
        shift[o] = np.sum(error[o].reshape(w.shape[1], -1) * channels[:, None])
    return shift.astype(np.float32)


def smoothing_factors(mn, mx, w, alpha):
    """s of a MatMul whose activation's channels took [mn, mx] and whose weight is w, as r1c
    computes it (passes/IntegerQuantization.h): math.pow is C's pow, as in r1c."""
    import math
    rows = np.abs(w).max(axis=1)
    s = np.ones(len(mn), np.float32)
    for c in range(len(mn)):
        a, wc = max(abs(float(mn[c])), abs(float(mx[c]))), float(rows[c])
        if a > 0 and wc > 0:
            s[c] = np.float32(min(max(math.pow(a, alpha) / math.pow(wc, 1.0 - alpha), 1e-4), 1e4))
    return s


def has_outlier_channel(mn, mx):
    """Whether r1c smooths a MatMul whose activation's channels took [mn, mx]: its largest
    channel magnitude is at least 8 times the (lower) median of the nonzero ones
    (passes/IntegerQuantization.h, kSmoothingOutlierRatio)."""
    m = np.maximum(np.abs(mn.astype(np.float64)), np.abs(mx.astype(np.float64)))
    m = np.sort(m[m > 0])
    return m.size > 0 and m[-1] >= 8.0 * m[(m.size - 1) // 2]


def quantized_reference(model, sets, alpha=0, correct_bias=True):
    """`model` with QDQ spelled out around each weight contraction (see the docstring),
    MatMuls smoothed with `alpha` (0 for off), and with `correct_bias`, each contraction that
    does not read a model input corrected by bias_shift."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    weights = {i.name: numpy_helper.to_array(i) for i in out.graph.initializer}
    targets = weight_contractions(out)
    channels = {}
    means = {n.input[0]: 1 if n.op_type == "Conv" else -1 for n in targets}
    lo, hi = measured_ranges(model, sorted({n.input[0] for n in targets}), sets, channels, means)
    model_inputs = {i.name for i in model.graph.input}
    extra, done, after = [], {}, {}
    for k, node in enumerate(targets):
        x = node.input[0]
        w = weights[node.input[1]]
        smoothed = (alpha > 0 and node.op_type == "MatMul" and w.ndim == 2
                    and has_outlier_channel(*channels[x]))
        if smoothed:
            # Smoothed: this node's own 1/s, activation range and weight.
            mn, mx = channels[x]
            s = smoothing_factors(mn, mx, w, alpha)
            inverse = (np.float32(1) / s).astype(np.float32)
            low = np.float32(min(float((mn * inverse).min()), 0.0))
            high = np.float32(max(float((mx * inverse).max()), 0.0))
            w = (w * s[:, None]).astype(np.float32)
            mean = means[x] * inverse
            name = f"{x}_smooth{k}"
            out.graph.initializer.append(numpy_helper.from_array(inverse, f"{name}_inv"))
            extra.append(helper.make_node("Mul", [x, f"{name}_inv"], [name]))
            scale, zero = activation_quantization(low, high)
            out.graph.initializer.extend([numpy_helper.from_array(np.array(scale), f"{name}_s"),
                                          numpy_helper.from_array(np.array(zero), f"{name}_z")])
            extra += [helper.make_node("QuantizeLinear", [name, f"{name}_s", f"{name}_z"],
                                       [f"{name}_q"]),
                      helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s",
                                                            f"{name}_z"], [f"{name}_dq"])]
            activation = f"{name}_dq"
        elif x not in done:
            scale, zero = activation_quantization(lo[x], hi[x])
            s, z = f"{x}_s", f"{x}_z"
            out.graph.initializer.extend([numpy_helper.from_array(np.array(scale), s),
                                          numpy_helper.from_array(np.array(zero), z)])
            extra += [helper.make_node("QuantizeLinear", [x, s, z], [f"{x}_q"]),
                      helper.make_node("DequantizeLinear", [f"{x}_q", s, z], [f"{x}_dq"])]
            done[x] = f"{x}_dq"
        if not smoothed:
            activation = done[x]
            mean = means[x]
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
        node.input[0], node.input[1] = activation, f"w{k}_dq"
        if correct_bias and x not in model_inputs:
            shift = bias_shift(node, w, (wq * ws.reshape(shape)).astype(np.float32), mean)
            if node.op_type == "Conv" and len(node.input) > 2:
                bias = weights[node.input[2]]
                out.graph.initializer.append(
                    numpy_helper.from_array((bias - shift).astype(np.float32), f"int8_bias{k}"))
                node.input[2] = f"int8_bias{k}"
            else:
                # [C_out, 1, ...] against a Conv's output, [N] against a MatMul's.
                broadcast = [-1] + [1] * (w.ndim - 2) if node.op_type == "Conv" else [-1]
                out.graph.initializer.append(
                    numpy_helper.from_array((-shift).reshape(broadcast), f"int8_shift{k}"))
                raw = node.output[0] + "_uncorrected"
                after[raw] = helper.make_node("Add", [raw, f"int8_shift{k}"], [node.output[0]])
                node.output[0] = raw
        if node.op_type == "Conv" and not smoothed:
            # A residual add reads the convolution's activation as its codes.
            for other in out.graph.node:
                if other.op_type == "Add":
                    other.input[:] = [activation if i == x else i for i in other.input]
    nodes = extra
    for node in out.graph.node:
        nodes.append(node)
        if node.output[0] in after:
            nodes.append(after[node.output[0]])
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out


def residual_cnn(rng):
    """A residual block: h feeds a 3x3 and a 1x1 convolution and the add after them."""
    g = Weights(rng)
    h = g.op("Relu", [g.op("Conv", ["x", g.weight(16, 3, 3, 3)], pads=[1, 1, 1, 1])])
    r = g.op("Relu", [g.op("Conv", [h, g.weight(16, 16, 3, 3)], pads=[1, 1, 1, 1])])
    r = g.op("Conv", [r, g.weight(16, 16, 1, 1)])
    h = g.op("Relu", [g.op("Add", [r, h])])
    h = g.op("Flatten", [g.op("GlobalAveragePool", [g.op("Conv", [h, g.weight(32, 16, 1, 1)])])])
    y = g.op("MatMul", [h, g.weight(32, 10)])
    g.input("x", TensorProto.FLOAT, [1, 3, 16, 16])
    return g.model(y, TensorProto.FLOAT, [1, 10])


def pooled_cnn(rng):
    """A ResNet stem in small: convolution, ReLU, a padded 3x3 max pool of stride 2, whose
    output the next convolution quantizes; int8 pools the codes."""
    g = Weights(rng)
    h = g.op("Relu", [g.op("Conv", ["x", g.weight(16, 3, 3, 3)], pads=[1, 1, 1, 1])])
    h = g.op("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    h = g.op("Relu", [g.op("Conv", [h, g.weight(32, 16, 1, 1)])])
    h = g.op("Flatten", [g.op("GlobalAveragePool", [h])])
    y = g.op("MatMul", [h, g.weight(32, 10)])
    g.input("x", TensorProto.FLOAT, [1, 3, 16, 16])
    return g.model(y, TensorProto.FLOAT, [1, 10])


def outlier_mlp(rng):
    """An MLP whose first matmul reads two channels 40 times larger than the rest, with weight
    rows 40 times smaller (as a normalization's gain and the next projection can make them):
    every channel adds about as much to the product."""
    g = Weights(rng)
    gains = np.ones(64, np.float32)
    gains[[5, 17]] = 40
    x = g.op("Mul", ["x", g.const(gains)])
    w = (rng.standard_normal((64, 96)) / 8 / gains[:, None]).astype(np.float32)
    h = g.op("Relu", [g.op("MatMul", [x, g.const(w)])])
    y = g.op("MatMul", [h, g.weight(96, 16)])
    g.input("x", TensorProto.FLOAT, [32, 64])
    return g.model(y, TensorProto.FLOAT, [32, 16])


MIN_ROWS_TO_SPARE_ONE = 32


def agreeing_share(diff, tolerance):
    """The share of elements within `tolerance`, but for the one row (last dim) with the most
    outside it where the output has MIN_ROWS_TO_SPARE_ONE rows or more (a row is then at most
    1/32 of it): a value within f32 rounding of a code boundary takes the neighbouring code in
    one of r1c and the reference, and through the next matmul or a layer norm that one step
    reaches every element of its row (a token of a transformer layer)."""
    outside = (diff > tolerance).reshape(-1, diff.shape[-1] if diff.ndim else 1)
    if outside.shape[0] >= MIN_ROWS_TO_SPARE_ONE:
        outside = np.delete(outside, int(outside.sum(axis=1).argmax()), axis=0)
    return 1.0 - float(outside.mean())


def shifted_matmul(rng):
    """A matmul of 16 products per sum whose activation (a ReLU of x + 8) has a mean 8 times
    its spread: the shift weight rounding gives each column outweighs the other errors."""
    g = Weights(rng)
    h = g.op("Relu", [g.op("Add", ["x", g.const(np.array(8, np.float32))])])
    y = g.op("MatMul", [h, g.weight(16, 64)])
    g.input("x", TensorProto.FLOAT, [256, 16])
    return g.model(y, TensorProto.FLOAT, [256, 64])


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

    def compile_and_compare(name, model, path, calibration, sets, feeds, alpha, isas,
                            correct_bias=True):
        """Compiles `model` int8 with smoothing `alpha` and bias correction or not, runs it at
        each of `isas` and compares with the reference; returns (ok, norm error against f32 at
        the first, a verdict)."""
        flags = ["--precision=int8", f"--calibration={calibration}"]
        flags.append(f"--int8-smoothing={alpha}")
        flags.append(f"--int8-bias-correction={str(correct_bias).lower()}")
        graph = subprocess.run([args.r1c, path, "--compile-to=graph", *flags],
                               capture_output=True, text=True)
        if graph.returncode != 0:
            return False, None, graph.stderr.strip()[-400:]
        integer = re.findall(r"= r1\.(matmul_integer|conv_integer) ", graph.stdout)
        expected = len(weight_contractions(model))
        out = os.path.join(work, f"{name}_{alpha}_{correct_bias}")
        build = subprocess.run([args.r1c, path, "--target=host", "--no-progress", *flags,
                                "-o", out], capture_output=True, text=True)
        if build.returncode != 0:
            return False, None, build.stderr.strip()[-400:]
        inputs = []
        for i, value in enumerate(feeds.values()):
            f = os.path.join(work, f"{name}.in{i}.npy")
            np.save(f, value)
            inputs += ["--input", f]
        want = ort_plain(quantized_reference(model, sets, alpha, correct_bias), feeds)
        f32 = ort_run(model, feeds)
        scale = float(np.abs(want).max())
        verdicts, drifts = [], []
        ok = len(integer) == expected and expected > 0
        for isa in isas:
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
            close = agreeing_share(diff, 1e-4 * scale)
            worst = float(diff.max() / scale)
            ok = ok and close >= 0.995 and worst <= 0.02 and bool(np.isfinite(got).all())
            drift = float(np.linalg.norm(got - f32) / np.linalg.norm(f32))
            drifts.append(drift)
            verdicts.append(f"{isa or 'native'}: {close:.2%} within 1e-4, worst {worst:.1e}, "
                            f"norm error against f32 {drift:.1e}")
        text = (f"smoothing {alpha}, bias correction {'on' if correct_bias else 'off'}: "
                f"{len(integer)} integer contractions of {expected} with weights; "
                + "; ".join(verdicts))
        return ok, (drifts[0] if drifts else None), text

    def prepare(name, model):
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        calibration, sets = write_sets(work, name, model, rng)
        # Fresh inputs, not among the calibration sets.
        feeds = {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
                 .astype(np.float32) for i in model.graph.input}
        return path, calibration, sets, feeds

    models = {"mlp": mlp(rng), "cnn": cnn(rng), "residual_cnn": residual_cnn(rng),
              "pooled_cnn": pooled_cnn(rng), "transformer_layer": transformer_layer(rng)}
    for name, model in models.items():
        path, calibration, sets, feeds = prepare(name, model)
        ok, _, text = compile_and_compare(name, model, path, calibration, sets, feeds, 0,
                                          ("", "x86-64-v4", "x86-64-v3"))
        report(name, ok, text)
        ok, _, text = compile_and_compare(name, model, path, calibration, sets, feeds, 0.5, ("",))
        report(f"{name} (smoothing 0.5)", ok, text)

    # Two channels of the first matmul's activation 40 times the others: per tensor, they
    # set the range alone; smoothed, the weight takes them over.
    name, model = "outlier_mlp", outlier_mlp(rng)
    path, calibration, sets, feeds = prepare(name, model)
    drifts = {}
    for alpha in (ALPHA, 0):
        ok, drifts[alpha], text = compile_and_compare(name, model, path, calibration, sets, feeds,
                                                      alpha, ("",))
        report(f"{name} (smoothing {alpha})", ok, text)
    better = None not in drifts.values() and drifts[ALPHA] < 0.5 * drifts[0]
    report(f"{name} smoothing helps", better,
           f"norm error against f32 {drifts[ALPHA]:.2e} smoothed, {drifts[0]:.2e} not"
           if better is not None and None not in drifts.values() else "no errors measured")

    # The max pool runs on the codes the stem's kernel writes (the quantization moved
    # above it), and gives what pooling the f32 values and quantizing them gives (above).
    path = os.path.join(work, "pooled_cnn.onnx")
    kernels = subprocess.run([args.r1c, path, "--compile-to=kernel", "--elide-weights",
                              "--precision=int8", "--calibration-samples=2"],
                             capture_output=True, text=True)
    pools = re.findall(r'r1k\.kernel "max_pool".*: \((tensor<[^>]*>)\) -> (tensor<[^>]*>)',
                       kernels.stdout)
    report("pooled_cnn pools codes", bool(pools) and all("ui8" in a and "ui8" in b
                                                         for a, b in pools),
           f"max pool kernels {pools}" if kernels.returncode == 0 else kernels.stderr[-300:])

    # An activation far from 0 on average and 16 products per sum: rounding the weight moves
    # every row of the product the same way, which the correction takes off.
    name, model = "shifted_matmul", shifted_matmul(rng)
    path, calibration, sets, feeds = prepare(name, model)
    drifts = {}
    for correct in (True, False):
        ok, drifts[correct], text = compile_and_compare(name, model, path, calibration, sets,
                                                        feeds, 0, ("",), correct)
        report(f"{name} (bias correction {'on' if correct else 'off'})", ok, text)
    better = None not in drifts.values() and drifts[True] < 0.5 * drifts[False]
    report(f"{name} bias correction helps", better,
           f"norm error against f32 {drifts[True]:.2e} corrected, {drifts[False]:.2e} not"
           if None not in drifts.values() else "no errors measured")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
