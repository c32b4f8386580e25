#!/usr/bin/env python3
"""r1c --calibration: measured ranges against ONNX Runtime and NumPy.

For each model (an MLP, a conv net, token ids into a Gather with an attention mask, an MLP
with a symbolic batch whose sets differ in size), input sets are written as TensorProto
(.pb) or .npy, `r1c --calibration=DIR --compile-to=graph` prints every matmul and
convolution with its r1.operand_ranges, and each range is checked against the same tensor
computed by ONNX Runtime (added as a graph output) on the same sets:
- minmax: min and max, exact for model inputs, to f32 rounding (rtol 1e-5) for computed
  tensors, whose sums r1c orders differently;
- percentile and entropy: NumPy's implementation of docs/precision.md's definitions on
  ONNX Runtime's values; thresholds within a bin (percentile) or two (entropy, whose
  divergences NumPy sums in another order), exact bins for model inputs' percentile.
Constants get `unit`. Every activation's channel means (r1.operand_channel_means: a
convolution's dim 1, a matmul's last dim) against ONNX Runtime's over all sets, within f32
rounding (1e-5 of the largest |x|), sets of different widths included. Then the error cases (a missing input file, a wrong dtype, a folder
with no sets), and random sets (--calibration-samples): ranges on every matmul, and token
ids within the embedding's rows (the gathered rows' range lies within the table's).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_graph import Graph  # noqa: E402

BINS, LEVELS, PERCENTILE = 2048, 128, 0.9999


class Named(Graph):
    """A Graph whose nodes are named after their output, so r1c's locations say which."""

    def __init__(self, rng):
        super().__init__()
        self.rng = rng

    def op(self, op_type, inputs, **attrs):
        out = super().op(op_type, inputs, **attrs)
        self.nodes[-1].name = out
        return out

    def weight(self, *shape):
        fan_in = np.prod(shape[1:]) if len(shape) == 4 else shape[0]
        return self.const((self.rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))


def mlp(rng, batch=64):
    g = Named(rng)
    h = g.op("Relu", [g.op("MatMul", ["x", g.weight(256, 128)])])
    h = g.op("Tanh", [g.op("MatMul", [h, g.weight(128, 64)])])
    y = g.op("MatMul", [h, g.weight(64, 10)])
    g.input("x", TensorProto.FLOAT, [batch, 256])
    return g.model(y, TensorProto.FLOAT, [batch, 10])


def convnet_widths(rng):
    """Convolutions over images of a symbolic width: a channel's plane differs between sets."""
    g = Named(rng)
    h = g.op("Relu", [g.op("Conv", ["x", g.weight(8, 3, 3, 3)], pads=[1, 1, 1, 1])])
    y = g.op("Conv", [h, g.weight(16, 8, 1, 1)])
    g.input("x", TensorProto.FLOAT, [1, 3, 8, "width"])
    return g.model(y, TensorProto.FLOAT, [1, 16, 8, "width"])


def convnet(rng):
    g = Named(rng)
    h = g.op("Relu", [g.op("Conv", ["x", g.weight(8, 3, 3, 3), g.const(np.zeros(8, np.float32))],
                           pads=[1, 1, 1, 1])])
    h = g.op("Relu", [g.op("Conv", [h, g.weight(16, 8, 3, 3)], strides=[2, 2])])
    h = g.op("Flatten", [h])
    y = g.op("MatMul", [h, g.weight(16 * 7 * 7, 10)])
    g.input("x", TensorProto.FLOAT, [2, 3, 16, 16])
    return g.model(y, TensorProto.FLOAT, [2, 10])


VOCAB = 50


def tokens(rng):
    g = Named(rng)
    table = (rng.standard_normal((VOCAB, 32)) * 0.5).astype(np.float32)
    emb = g.op("Gather", [g.const(table), "input_ids"], axis=0)
    mask = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT),
                              g.const(np.array([2], np.int64))])
    h = g.op("Relu", [g.op("MatMul", [g.op("Mul", [emb, mask]), g.weight(32, 64)])])
    y = g.op("MatMul", [h, g.weight(64, 8)])
    g.input("input_ids", TensorProto.INT64, [2, 16])
    g.input("attention_mask", TensorProto.INT64, [2, 16])
    return g.model(y, TensorProto.FLOAT, [2, 16, 8]), table


def write_sets(folder, sets, names, npy):
    """One subfolder per set: input_K.pb, or NAME.npy."""
    for index, arrays in enumerate(sets):
        d = os.path.join(folder, f"test_data_set_{index}")
        os.makedirs(d, exist_ok=True)
        for k, (name, array) in enumerate(zip(names, arrays)):
            if npy:
                np.save(os.path.join(d, f"{name}.npy"), array)
            else:
                with open(os.path.join(d, f"input_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(array, name).SerializeToString())


def r1c_ranges(args, model_path, extra):
    """{(node name, operand index): (min, max) or None} from r1c's graph IR."""
    cmd = [args.r1c, model_path, "--compile-to=graph", "--elide-weights", "--debug-locations",
           "--no-progress"] + extra
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed: {run.stderr.strip()}")
    locs = dict(re.findall(r'^#(loc\d+) = loc\("([^"]+)"', run.stdout, re.M))
    ranges, ops = {}, 0
    means = {}
    for line in run.stdout.splitlines():
        op = re.search(r"= r1\.(matmul|conv) ", line)
        if not op:
            continue
        ops += 1
        loc = re.search(r"loc\(#(loc\d+)\)\s*$", line)
        mean = re.search(r"r1\.operand_channel_means = \[#r1\.channel_means<\[([^\]]*)\]>", line)
        if mean:
            means[locs[loc.group(1)]] = (op.group(1),
                                         np.array([float(x) for x in mean.group(1).split(",")]))
        attr = re.search(r"r1\.operand_ranges = \[([^\]]*)\]", line)
        if not attr:
            raise AssertionError(f"no r1.operand_ranges on: {line.strip()}")
        entries = re.findall(r"#r1\.range<([^,>]+), ([^>]+)>|unit", attr.group(1))
        for index, entry in enumerate(re.finditer(r"#r1\.range<([^,>]+), ([^>]+)>|unit",
                                                  attr.group(1))):
            value = None if entry.group(0) == "unit" else (float(entry.group(1)),
                                                            float(entry.group(2)))
            ranges[(locs[loc.group(1)], index)] = value
        assert entries, line
    r1c_ranges.means = means
    return ranges, ops


def ort_values(model, sets, names):
    """Every node input's value on every set, concatenated: {tensor name: flat f32 array}."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name for i in m.graph.initializer}
    outputs = {o.name for o in m.graph.output}
    wanted = []
    for node in m.graph.node:
        for t in node.input:
            if t and t not in inits and t not in names and t not in outputs and t not in wanted:
                wanted.append(t)
                m.graph.output.append(helper.make_empty_tensor_value_info(t))
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    values = {t: [] for t in wanted + list(names)}
    for arrays in sets:
        feed = dict(zip(names, arrays))
        for t, v in zip(wanted, session.run(wanted, feed)):
            values[t].append(np.asarray(v))
        for t, a in feed.items():
            values[t].append(a)
    return {t: np.concatenate([a.ravel() for a in v]) for t, v in values.items()}, values


def channel_means(arrays, axis):
    """The mean of each channel along `axis` over every set's array, in double."""
    rows = [np.moveaxis(a, axis, -1).reshape(-1, a.shape[axis]).astype(np.float64)
            for a in arrays]
    return sum(r.sum(axis=0) for r in rows) / sum(r.shape[0] for r in rows)


def histogram(x, amax):
    a = np.abs(x.astype(np.float64))
    if amax == 0:
        return np.bincount(np.zeros(len(a), np.int64), minlength=BINS)
    bins = np.minimum((a * (BINS / amax)).astype(np.int64), BINS - 1)
    return np.bincount(bins, minlength=BINS)


def percentile_threshold(hist, amax):
    cumulative = np.cumsum(hist)
    k = int(np.argmax(cumulative.astype(np.float64) >= PERCENTILE * cumulative[-1]))
    return (k + 1) * (amax / BINS)


def entropy_threshold(hist, amax):
    hist = hist.astype(np.float64)
    total = hist.sum()
    best, best_bins = np.inf, BINS
    for bins in range(LEVELS, BINS + 1):
        outliers = hist[bins:].sum()
        if outliers > 0 and hist[bins - 1] == 0:
            continue
        p = hist[:bins].copy()
        p[-1] += outliers
        q = np.zeros(bins)
        for level in range(LEVELS):
            b, e = level * bins // LEVELS, (level + 1) * bins // LEVELS
            nz = hist[b:e] > 0
            if nz.any():
                q[b:e][nz] = hist[b:e].sum() / nz.sum()
        p, q = p / total, q / hist[:bins].sum()
        nz = p > 0
        divergence = (p[nz] * np.log(p[nz] / q[nz])).sum()
        if divergence < best:
            best, best_bins = divergence, bins
    return best_bins * (amax / BINS)


def expected_range(x, method):
    x = x[np.isfinite(x)]
    lo, hi = float(x.min()), float(x.max())
    if method == "minmax":
        return lo, hi, 0.0
    amax = max(abs(lo), abs(hi))
    hist = histogram(x, amax)
    t = percentile_threshold(hist, amax) if method == "percentile" else entropy_threshold(hist,
                                                                                         amax)
    hi = min(hi, t)
    return min(max(lo, -t), hi), hi, amax / BINS


def check_model(args, tmp, label, model, names, sets, method, npy):
    folder = os.path.join(tmp, f"{label}_{method}_{'npy' if npy else 'pb'}")
    write_sets(folder, sets, names, npy)
    path = os.path.join(tmp, f"{label}.onnx")
    onnx.save(model, path)
    ranges, ops = r1c_ranges(args, path, [f"--calibration={folder}",
                                          f"--calibration-method={method}"])
    values, shaped = ort_values(model, sets, names)
    nodes = {n.name: n for n in model.graph.node}
    inits = {i.name for i in model.graph.initializer}
    checked = 0
    for (node_name, index), got in ranges.items():
        tensor = nodes[node_name].input[index]
        if tensor in inits or tensor == "":
            assert got is None, f"{label}: constant operand {index} of {node_name} has {got}"
            continue
        assert got is not None, f"{label}: operand {index} ({tensor}) of {node_name} unmeasured"
        lo, hi, width = expected_range(values[tensor], method)
        is_input = tensor in names
        if method == "minmax":
            tol = 0.0 if is_input else 1e-5 * max(abs(lo), abs(hi))
        elif method == "percentile":
            tol = 1e-9 if is_input else width * 1.01 + 1e-5 * max(abs(lo), abs(hi))
        else:
            tol = width * 2.01 + 1e-5 * max(abs(lo), abs(hi))
        if abs(got[0] - lo) > tol or abs(got[1] - hi) > tol:
            raise AssertionError(f"{label} {method}: operand {index} ({tensor}) of {node_name}: "
                                 f"r1c [{got[0]!r}, {got[1]!r}], reference [{lo!r}, {hi!r}] "
                                 f"(tolerance {tol:g})")
        checked += 1
    assert ops and checked, f"{label}: nothing measured"
    # Channel means of every activation: a convolution's dim 1, a matmul's last dim, over
    # every set (whose shapes may differ).
    means = r1c_ranges.means
    for node_name, (kind, got) in means.items():
        arrays = shaped[nodes[node_name].input[0]]
        want = channel_means(arrays, 1 if kind == "conv" else -1)
        tol = 1e-5 * max(float(np.abs(np.concatenate([a.ravel() for a in arrays])).max()), 1e-30)
        if got.shape != want.shape or np.abs(got - want).max() > tol:
            raise AssertionError(f"{label}: channel means of {node_name}'s activation: r1c "
                                 f"{got[:4]}..., reference {want[:4]}... (tolerance {tol:g})")
    assert len(means) == ops, f"{label}: {ops - len(means)} ops without channel means"
    print(f"ok: {label} {method} ({'npy' if npy else 'pb'}): {ops} ops, {checked} ranges, "
          f"{len(means)} activations' channel means")


def expect_error(args, model_path, extra, needle):
    cmd = [args.r1c, model_path, "--compile-to=graph", "--no-progress"] + extra
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode == 0 or needle not in run.stderr:
        raise AssertionError(f"{' '.join(cmd)}: expected an error with {needle!r}, got rc "
                             f"{run.returncode}: {run.stderr.strip()}")
    print(f"ok: error: {run.stderr.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        model = mlp(rng)
        sets = [[rng.standard_normal((64, 256)).astype(np.float32)] for _ in range(6)]
        for method in ("minmax", "percentile", "entropy"):
            check_model(args, tmp, "mlp", model, ["x"], sets, method, npy=method == "entropy")

        model = convnet(rng)
        sets = [[rng.standard_normal((2, 3, 16, 16)).astype(np.float32)] for _ in range(4)]
        check_model(args, tmp, "convnet", model, ["x"], sets, "minmax", npy=False)
        check_model(args, tmp, "convnet", model, ["x"], sets, "percentile", npy=True)

        # Sets of two widths: each set's channel sums over its own planes.
        model = convnet_widths(rng)
        sets = [[rng.standard_normal((1, 3, 8, w)).astype(np.float32) + 0.5] for w in (8, 16, 8)]
        check_model(args, tmp, "convnet_widths", model, ["x"], sets, "minmax", npy=False)

        token_model, table = tokens(rng)
        model = token_model
        sets = []
        for _ in range(4):
            ids = rng.integers(0, VOCAB, (2, 16)).astype(np.int64)
            mask = (rng.random((2, 16)) < 0.8).astype(np.int64)
            sets.append([ids, mask])
        check_model(args, tmp, "tokens", model, ["input_ids", "attention_mask"], sets, "minmax",
                    npy=False)
        check_model(args, tmp, "tokens", model, ["input_ids", "attention_mask"], sets, "minmax",
                    npy=True)

        # A symbolic batch: sets of two sizes, each measured at its own shape.
        model = mlp(rng, batch="batch")
        sets = [[rng.standard_normal((b, 256)).astype(np.float32)] for b in (3, 5, 3)]
        check_model(args, tmp, "mlp_dynbatch", model, ["x"], sets, "minmax", npy=False)

        # Errors name the file and the input.
        tokens_path = os.path.join(tmp, "tokens.onnx")
        missing = os.path.join(tmp, "missing")
        write_sets(missing, [[sets[0][0][:2, :16].astype(np.int64)]], ["input_ids"], npy=False)
        expect_error(args, tokens_path, [f"--calibration={missing}"],
                     "no input_1.pb for input 'attention_mask'")
        wrong = os.path.join(tmp, "wrong")
        write_sets(wrong, [[np.zeros((2, 16), np.int32), np.ones((2, 16), np.int64)]],
                   ["input_ids", "attention_mask"], npy=False)
        expect_error(args, tokens_path, [f"--calibration={wrong}"],
                     f"calibration input '{os.path.join(wrong, 'test_data_set_0', 'input_0.pb')}'"
                     " for input 'input_ids': it is int32, the model takes int64")
        npy_missing = os.path.join(tmp, "npy_missing")
        write_sets(npy_missing, [[np.zeros((2, 16), np.int64)]], ["input_ids"], npy=True)
        expect_error(args, tokens_path, [f"--calibration={npy_missing}"],
                     "no attention_mask.npy for input 'attention_mask'")
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        expect_error(args, tokens_path, [f"--calibration={empty}"], "no input sets")
        shape = os.path.join(tmp, "shape")
        write_sets(shape, [[np.zeros((2, 15), np.int64), np.ones((2, 15), np.int64)]],
                   ["input_ids", "attention_mask"], npy=False)
        expect_error(args, tokens_path, [f"--calibration={shape}"],
                     "its shape is [2,15], the model takes [2,16]")

        # Random sets: every matmul measured; token ids index real rows, so what the
        # gather reads lies within the table.
        ranges, ops = r1c_ranges(args, tokens_path, ["--calibration-samples=3"])
        measured = {key: r for key, r in ranges.items() if r is not None}
        assert ops == 2 and len(measured) == 2, ranges
        first = next(r for (node, _), r in measured.items()
                     if nodes_input(token_model, node) == "Mul")
        assert table.min() <= first[0] <= first[1] <= table.max(), (first, table.min(),
                                                                    table.max())
        assert first[1] - first[0] > 0.5 * (table.max() - table.min()), first
        print(f"ok: random sets: {len(measured)} ranges, gathered rows in [{first[0]}, "
              f"{first[1]}] within the table's [{table.min()}, {table.max()}]")
    print("calibration: all checks passed")


def nodes_input(model, node_name):
    """The op type that produces the first input of `node_name`."""
    nodes = {n.name: n for n in model.graph.node}
    producers = {o: n for n in model.graph.node for o in n.output}
    return producers[nodes[node_name].input[0]].op_type


if __name__ == "__main__":
    main()
