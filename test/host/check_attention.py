#!/usr/bin/env python3
"""Checks fused attention on the host: attention graphs in the forms exporters write (and a
few that must stay unfused) are compiled with `r1c --target=host`, run with r1c-run on random
inputs, and compared with ONNX Runtime (ONNX's reference for opset 23's Attention); gated attention (--sparse-attention) is compared with
a NumPy model of the gate, key block for key block.

For each case the script also counts the `r1.attention` ops in `r1c --compile-to=graph`,
which must be what the case expects (1, or 0 for a near miss). Every artifact runs twice:
with the AVX-512 code where the CPU has it, and with R1C_MAX_CPU_ISA=x86-64-v3 (AVX2).
Tolerances (STYLE.md, per dtype): f32 relative error of the output norm <= 1e-4 and
elementwise atol 1e-5 + rtol 1e-4; f16 and bf16 relative error of the norm <= 1e-2 (bf16
against float64 NumPy, which ONNX Runtime's CPU provider cannot run). Prints
one line per case and `N passed, N failed`.

  python3 test/host/check_attention.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_graph import Graph  # noqa: E402

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16


def heads_from_projection(g, x, heads, dim, key=False):
    """[1, S, heads * dim] -> [1, heads, S, dim] (or K^T [1, heads, dim, S]), as BERT's
    exporters write it."""
    r = g.op("Reshape", [x, g.const(np.array([0, 0, heads, dim], np.int64))])
    return g.op("Transpose", [r], perm=[0, 2, 3, 1] if key else [0, 2, 1, 3])


def bert_like(seq, heads, dim, elem=F32, padding=True):
    """Projections' layout in, context out; a padding mask from an int64 attention_mask."""
    g = Graph()
    np_type = np.float16 if elem == F16 else np.float32
    q, k, v = (g.input(n, elem, [1, seq, heads * dim]) for n in "qkv")
    qh, kt, vh = (heads_from_projection(g, q, heads, dim), heads_from_projection(g, k, heads, dim, True),
                  heads_from_projection(g, v, heads, dim))
    s = g.op("MatMul", [qh, kt])
    s = g.op("Div", [s, g.const(np.array(math.sqrt(dim), np_type))])
    feeds = {}
    if padding:
        m = g.input("attention_mask", TensorProto.INT64, [1, seq])
        mu = g.op("Unsqueeze", [m, g.const(np.array([1, 2], np.int64))])
        mf = g.op("Cast", [mu], to=elem)
        mb = g.op("Mul", [g.op("Sub", [g.const(np.array(1, np_type)), mf]),
                          g.const(np.array(-10000, np_type))])
        s = g.op("Add", [s, mb])
        mask = np.ones((1, seq), np.int64)
        mask[0, seq - seq // 5:] = 0
        feeds["attention_mask"] = mask
    p = g.op("Softmax", [s], axis=-1)
    c = g.op("Transpose", [g.op("MatMul", [p, vh])], perm=[0, 2, 1, 3])
    out = g.op("Reshape", [c, g.const(np.array([0, 0, heads * dim], np.int64))])
    return g.model(out, elem, [1, seq, heads * dim]), {n: [1, seq, heads * dim] for n in "qkv"}, feeds


def head_major(seq, heads, dim, mask=None, kv_heads=None, repeat=None, keys=None):
    """q, k, v [1, heads, S, dim] in; `mask` None, 'bool' ([1,1,S,S] input, kept where
    true), 'bias' ([1, heads, S, S] input, added), 'causal' (Where of a constant tril);
    `repeat` 'expand' or 'tile' with kv_heads < heads."""
    g = Graph()
    keys = keys or seq
    kvh = kv_heads or heads
    q = g.input("q", F32, [1, heads, seq, dim])
    k = g.input("k", F32, [1, kvh, keys, dim])
    v = g.input("v", F32, [1, kvh, keys, dim])
    shapes = {"q": [1, heads, seq, dim], "k": [1, kvh, keys, dim], "v": [1, kvh, keys, dim]}
    if repeat == "expand":
        group = heads // kvh

        def rep(x):
            u = g.op("Unsqueeze", [x, g.const(np.array([2], np.int64))])
            e = g.op("Expand", [u, g.const(np.array([1, kvh, group, keys, dim], np.int64))])
            return g.op("Reshape", [e, g.const(np.array([1, heads, keys, dim], np.int64))])
        k, v = rep(k), rep(v)
    elif repeat == "tile":
        reps = g.const(np.array([1, heads // kvh, 1, 1], np.int64))
        k, v = g.op("Tile", [k, reps]), g.op("Tile", [v, reps])
    s = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    s = g.op("Mul", [s, g.const(np.array(1 / math.sqrt(dim), np.float32))])
    feeds = {}
    rng = np.random.default_rng(seq)
    if mask == "bool":
        keep = rng.random((1, 1, seq, keys)) < 0.7
        keep[..., 0] = True  # no query without a key
        feeds["keep"] = keep
        s = g.op("Where", [g.input("keep", TensorProto.BOOL, [1, 1, seq, keys]), s,
                           g.const(np.array(-np.inf, np.float32))])
    elif mask == "padding":
        keep = np.ones((1, 1, 1, keys), bool)
        keep[..., keys - keys // 5:] = False
        feeds["keep"] = keep
        s = g.op("Where", [g.input("keep", TensorProto.BOOL, [1, 1, 1, keys]), s,
                           g.const(np.array(-np.inf, np.float32))])
    elif mask == "bias":
        feeds["bias"] = rng.standard_normal((1, heads, seq, keys)).astype(np.float32)
        s = g.op("Add", [s, g.input("bias", F32, [1, heads, seq, keys])])
    elif mask == "causal":
        tril = np.tril(np.ones((seq, keys), bool)).reshape(1, 1, seq, keys)
        s = g.op("Where", [g.const(tril), s, g.const(np.array(np.finfo(np.float32).min,
                                                              np.float32))])
    p = g.op("Softmax", [s], axis=-1)
    out = g.op("MatMul", [p, v])
    return g.model(out, F32, [1, heads, seq, dim]), shapes, feeds


def onnx_attention(seq, heads, kv_heads, dim, causal):
    """ONNX's own Attention (opset 23), grouped queries, optionally causal."""
    node = helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=int(causal))
    shapes = {"q": [1, heads, seq, dim], "k": [1, kv_heads, seq, dim],
              "v": [1, kv_heads, seq, dim]}
    graph = helper.make_graph(
        [node], "attention",
        [helper.make_tensor_value_info(n, F32, shape) for n, shape in shapes.items()],
        [helper.make_tensor_value_info("y", F32, [1, heads, seq, dim])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    return model, shapes, {}


def bf16_causal(seq, heads, dim):
    """bfloat16 q, k, v [1, heads, S, dim] with a causal mask (Trilu-free: a constant)."""
    g = Graph()
    q, k, v = (g.input(n, TensorProto.BFLOAT16, [1, heads, seq, dim]) for n in "qkv")
    s = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scale = numpy_helper.from_array(np.array(1 / math.sqrt(dim), np.float32), "scale_f32")
    g.inits.append(scale)
    s = g.op("Mul", [s, g.op("Cast", ["scale_f32"], to=TensorProto.BFLOAT16)])
    tril = np.tril(np.ones((seq, seq), bool)).reshape(1, 1, seq, seq)
    lowest = g.op("Cast", [g.const(np.array(-np.inf, np.float32))], to=TensorProto.BFLOAT16)
    s = g.op("Where", [g.const(tril), s, lowest])
    out = g.op("MatMul", [g.op("Softmax", [s], axis=-1), v])
    return g.model(out, TensorProto.BFLOAT16, [1, heads, seq, dim]), \
        {n: [1, heads, seq, dim] for n in "qkv"}, {}


def causal_reference(q, k, v, scale):
    """Causal attention in float64, for element types ONNX Runtime does not run."""
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    s = q @ np.swapaxes(k, -1, -2) * scale
    seq = s.shape[-1]
    s = np.where(np.tril(np.ones((seq, seq), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def near_miss_axis(seq, heads, dim):
    """A softmax over the queries: not attention, must stay unfused."""
    g = Graph()
    q, k, v = (g.input(n, F32, [1, heads, seq, dim]) for n in "qkv")
    s = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    p = g.op("Softmax", [s], axis=2)
    out = g.op("MatMul", [p, v])
    return g.model(out, F32, [1, heads, seq, dim]), {n: [1, heads, seq, dim] for n in "qkv"}, {}


def near_miss_multiplied_mask(seq, heads, dim):
    """A mask that multiplies the scores: not an additive or boolean mask."""
    g = Graph()
    q, k, v = (g.input(n, F32, [1, heads, seq, dim]) for n in "qkv")
    s = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    s = g.op("Mul", [s, g.input("m", F32, [1, 1, 1, seq])])
    p = g.op("Softmax", [s], axis=-1)
    out = g.op("MatMul", [p, v])
    feeds = {"m": np.random.default_rng(1).random((1, 1, 1, seq)).astype(np.float32)}
    return g.model(out, F32, [1, heads, seq, dim]), {n: [1, heads, seq, dim] for n in "qkv"}, feeds


# --- the gate, in NumPy ---------------------------------------------------------------------

def gated_reference(q, k, v, scale, keep, block, window, global_, rest, key_keep=None,
                    causal=False, threshold=0.0):
    """Attention of q [B,H,Sq,D], k, v [B,H,Sk,D] computing, per block of `block` queries,
    only the key blocks the gate keeps: the first `global_`, those within `window` of the
    query block's own, those to which some query of the block gives at least `threshold` of
    its estimated weight (each block's estimate as below, for every block), then the best by
    mean(scaled q) . mean(k), up to ceil(keep * visible).
    With rest='mean' each block left out counts as one key, its mean key and value (over
    the keys `key_keep` [Sk] keeps), its score q . mean + q^2 . variance / 2 (the mean of
    e^(q.k) over the block to second order) plus the log of the keys it holds; with 'drop'
    it is left out."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    batch, heads, sq, _ = q.shape
    sk = k.shape[2]
    weights = np.ones(sk) if key_keep is None else key_keep.astype(np.float64)
    out = np.zeros((batch, heads, sq, v.shape[3]))
    blocks = -(-sk // block)
    for b in range(batch):
        for h in range(heads):
            for first in range(0, sq, block):
                rows = slice(first, min(first + block, sq))
                nrows = rows.stop - rows.start
                visible = blocks
                if causal:
                    visible = -(-min(sk, first + nrows) // block)
                mean_q = (q[b, h, rows] * scale).mean(axis=0)
                spans = [np.arange(j * block, min((j + 1) * block, sk)) for j in range(visible)]
                w = [weights[span] if rest == "mean" else np.ones(len(span)) for span in spans]
                mean_k = [(w[j] @ k[b, h, spans[j]]) / w[j].sum() if w[j].sum() > 0 else None
                          for j in range(visible)]
                scores = [mean_q @ mean_k[j] if mean_k[j] is not None else -np.inf
                          for j in range(visible)]
                own = first // block
                kept = [abs(j - own) <= window or j < global_ for j in range(visible)]
                if threshold > 0:
                    qs = q[b, h, rows] * scale
                    log_w = [np.log(w[j].sum()) if w[j].sum() > 0 else -np.inf
                             for j in range(visible)]
                    est = np.stack([
                        qs @ mean_k[j] + 0.5 * (qs ** 2) @ np.maximum(
                            (w[j] @ k[b, h, spans[j]] ** 2) / w[j].sum() - mean_k[j] ** 2, 0)
                        + log_w[j] if mean_k[j] is not None else np.full(nrows, -np.inf)
                        for j in range(visible)], axis=1)
                    top = est.max(axis=1, keepdims=True)
                    share = np.exp(est - np.where(np.isinf(top), 0, top))
                    share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
                    kept = [kept[j] or share[:, j].max() >= threshold for j in range(visible)]
                wanted = max(1, math.ceil(keep * visible - 1e-9))
                for _ in range(max(0, wanted - sum(kept))):
                    best = max((j for j in range(visible) if not kept[j]),
                               key=lambda j: (scores[j], -j), default=None)
                    if best is None:
                        break
                    kept[best] = True
                keys = np.concatenate([spans[j] for j in range(visible) if kept[j]])
                s = q[b, h, rows] @ k[b, h, keys].T * scale
                if key_keep is not None:
                    s = np.where(key_keep[keys][None, :], s, -np.inf)
                if causal:
                    s = np.where(keys[None, :] <= np.arange(rows.start, rows.stop)[:, None], s,
                                 -np.inf)
                values = v[b, h, keys]
                if rest == "mean":
                    # One key per block left out: mean key, mean value, log of its weight.
                    est = [j for j in range(visible) if not kept[j] and w[j].sum() > 0]
                    if est:
                        mk = np.stack([mean_k[j] for j in est])
                        var = np.stack([np.maximum((w[j] @ k[b, h, spans[j]] ** 2) / w[j].sum()
                                                   - mean_k[j] ** 2, 0) for j in est])
                        mv = np.stack([(w[j] @ v[b, h, spans[j]]) / w[j].sum() for j in est])
                        logw = np.log([w[j].sum() for j in est])
                        qs = q[b, h, rows] * scale
                        estimate = qs @ mk.T + 0.5 * (qs ** 2) @ var.T + logw
                        s = np.concatenate([s, estimate], axis=1)
                        values = np.concatenate([values, mv])
                s = s - s.max(axis=1, keepdims=True)
                p = np.exp(s)
                out[b, h, rows] = (p / p.sum(axis=1, keepdims=True)) @ values
    return out


# --- running ----------------------------------------------------------------------------------

def run_r1c(args, model, feeds, work, name, flags=()):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    graph = subprocess.run([args.r1c, path, "--compile-to=graph", *flags], capture_output=True,
                           text=True)
    if graph.returncode != 0:
        raise RuntimeError(graph.stderr.strip().splitlines()[-1])
    fused = graph.stdout.count("= r1.attention")
    out = os.path.join(work, name)
    build = subprocess.run([args.r1c, path, "--target=host", "--no-progress", *flags, "-o", out],
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(build.stderr.strip().splitlines()[-1])
    results = []
    for isa in ("", "x86-64-v3"):
        cmd = [args.r1c_run, out + ".r1"]
        for i, (key, value) in enumerate(feeds.items()):
            f = os.path.join(work, f"{name}.in{i}.npy")
            # NumPy files have no bfloat16: its bit patterns as uint16.
            np.save(f, value.view(np.uint16) if value.dtype == ml_dtypes.bfloat16 else value)
            cmd += ["--input", f]
        save = tempfile.mkdtemp(dir=work)
        env = dict(os.environ, **({"R1C_MAX_CPU_ISA": isa} if isa else {}))
        run = subprocess.run(cmd + ["--save-outputs", save], capture_output=True, text=True,
                             env=env)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.strip().splitlines()[-1])
        got = np.load(os.path.join(save, "output_0.npy"))
        if model.graph.output[0].type.tensor_type.elem_type == TensorProto.BFLOAT16:
            got = got.view(ml_dtypes.bfloat16)
        results.append((isa or "native", got))
    return fused, results


def norm_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def make_feeds(model, shapes, extra, rng, elem=np.float32):
    feeds = {}
    for tensor in model.graph.input:
        name = tensor.name
        if name in extra:
            feeds[name] = extra[name]
        else:
            feeds[name] = rng.standard_normal(shapes[name]).astype(elem)
    return feeds


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="r1c-attention-check-")
    rng = np.random.default_rng(0)
    passed = failed = 0

    def report(name, ok, text):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text}", flush=True)

    # (name, builder, expected r1.attention count, element type)
    dense_cases = [
        ("bert_padding_seq100_dim24", lambda: bert_like(100, 4, 24), 1, np.float32),
        ("bert_padding_seq130_dim64", lambda: bert_like(130, 2, 64), 1, np.float32),
        ("bert_f16", lambda: bert_like(96, 2, 32, F16), 1, np.float16),
        ("head_major_causal", lambda: head_major(77, 3, 16, mask="causal"), 1, np.float32),
        ("head_major_bool_mask", lambda: head_major(70, 2, 32, mask="bool"), 1, np.float32),
        ("head_major_full_bias", lambda: head_major(70, 2, 32, mask="bias"), 1, np.float32),
        ("head_major_more_keys", lambda: head_major(20, 2, 16, keys=150), 1, np.float32),
        ("gqa_expand", lambda: head_major(40, 4, 16, kv_heads=2, repeat="expand"), 1, np.float32),
        ("gqa_tile", lambda: head_major(40, 4, 16, kv_heads=2, repeat="tile"), 1, np.float32),
        ("onnx_attention_gqa", lambda: onnx_attention(50, 4, 2, 16, False), 1, np.float32),
        ("onnx_attention_causal", lambda: onnx_attention(50, 4, 2, 16, True), 1, np.float32),
        ("bf16_causal", lambda: bf16_causal(90, 2, 32), 1, "bfloat16"),
        ("near_miss_softmax_axis", lambda: near_miss_axis(33, 2, 16), 0, np.float32),
        ("near_miss_multiplied_mask", lambda: near_miss_multiplied_mask(33, 2, 16), 0,
         np.float32),
    ]
    for name, build, expected, elem in dense_cases:
        model, shapes, extra = build()
        bf16 = elem == "bfloat16"
        feeds = make_feeds(model, shapes, extra, rng, ml_dtypes.bfloat16 if bf16 else elem)
        try:
            fused, results = run_r1c(args, model, feeds, work, name)
        except RuntimeError as e:
            report(name, False, str(e))
            continue
        if bf16:
            # ONNX Runtime's CPU provider has no bfloat16 MatMul: float64 instead.
            dim = shapes["q"][-1]
            want = causal_reference(feeds["q"], feeds["k"], feeds["v"], 1 / math.sqrt(dim))
        elif model.opset_import[0].version >= 23:
            # ONNX Runtime 1.22 has no opset 23 Attention: ONNX's reference instead.
            want = ReferenceEvaluator(model).run(None, feeds)[0]
        else:
            session = ort.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
            want = session.run(None, feeds)[0]
        errors = {isa: norm_error(np.asarray(got, np.float64), want) for isa, got in results}
        bound = 1e-2 if elem in (np.float16, "bfloat16") else 1e-4
        close = elem in (np.float16, "bfloat16") or all(
            np.allclose(got, want, atol=1e-5, rtol=1e-4) for _, got in results)
        ok = fused == expected and close and all(e <= bound for e in errors.values())
        report(name, ok, f"{fused} r1.attention (expected {expected}), norm error " +
               ", ".join(f"{isa} {e:.1e}" for isa, e in errors.items()))

    # Gated: r1c against the NumPy gate, the same blocks kept.
    # Every field spelled out, threshold=0 for the gates of keep alone. The threshold cases
    # keep one block by score (keep=0.125 of 8) and the blocks the threshold adds.
    gated_cases = [
        ("gated_keep25_drop", 300, 2, 32,
         "gated:block=64,keep=0.25,threshold=0,window=1,global=1,rest=drop", None),
        ("gated_keep25_mean", 300, 2, 32,
         "gated:block=64,keep=0.25,threshold=0,window=1,global=1,rest=mean", None),
        ("gated_keep50_window0", 200, 2, 16,
         "gated:block=32,keep=0.5,threshold=0,window=0,global=1,rest=drop", None),
        ("gated_causal_mean", 260, 2, 32,
         "gated:block=64,keep=0.25,threshold=0,window=1,global=1,rest=mean", "causal"),
        ("gated_padding_mean", 330, 2, 32,
         "gated:block=64,keep=0.25,threshold=0,window=1,global=1,rest=mean", "padding"),
        ("gated_threshold", 512, 2, 32,
         "gated:block=64,keep=0.125,threshold=0.1,window=0,global=1,rest=mean", None),
        ("gated_threshold_padding", 480, 2, 32,
         "gated:block=64,keep=0.125,threshold=0.1,window=0,global=0,rest=mean", "padding"),
    ]
    for name, seq, heads, dim, policy, mask in gated_cases:
        model, shapes, extra = head_major(seq, heads, dim, mask=mask)
        # Keys with structure, so the gate's choice is not a coin toss: a few key blocks
        # point the way of the queries.
        feeds = make_feeds(model, shapes, extra, rng)
        direction = rng.standard_normal(dim).astype(np.float32)
        feeds["q"] += direction
        feeds["k"][:, :, 100:140] += 2 * direction
        fields = dict(f.split("=") for f in policy.split(":")[1].split(","))
        threshold = float(fields["threshold"])
        if threshold:
            # Two more blocks some queries favour: the threshold, not the score of the
            # mean query, must find them.
            feeds["k"][:, :, 320:330] += 3 * direction
            feeds["q"][:, :, ::3] -= 2 * direction
            feeds["k"][:, :, 400:410] -= 3 * direction
        try:
            fused, results = run_r1c(args, model, feeds, work, name,
                                     ["--sparse-attention=" + policy])
        except RuntimeError as e:
            report(name, False, str(e))
            continue
        key_keep = feeds["keep"].reshape(-1) if mask == "padding" else None
        want = gated_reference(feeds["q"], feeds["k"], feeds["v"], 1 / math.sqrt(dim),
                               float(fields["keep"]), int(fields["block"]),
                               int(fields["window"]), int(fields["global"]), fields["rest"],
                               key_keep=key_keep, causal=mask == "causal",
                               threshold=threshold)
        dense = ort.InferenceSession(model.SerializeToString(),
                                     providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        errors = {isa: norm_error(got, want) for isa, got in results}
        # The gate must change the result (else it skipped nothing), and match the model;
        # a threshold must keep blocks that keep alone would not.
        skipped = norm_error(dense, want) > 1e-4
        if threshold:
            without = gated_reference(feeds["q"], feeds["k"], feeds["v"], 1 / math.sqrt(dim),
                                      float(fields["keep"]), int(fields["block"]),
                                      int(fields["window"]), int(fields["global"]),
                                      fields["rest"], key_keep=key_keep,
                                      causal=mask == "causal")
            skipped = skipped and norm_error(without, want) > 1e-4
        ok = fused == 1 and skipped and all(e <= 1e-4 for e in errors.values())
        report(name, ok, "against the NumPy gate " + ", ".join(
            f"{isa} {e:.1e}" for isa, e in errors.items()) +
            f"; dense differs by {norm_error(dense, want):.1e}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
