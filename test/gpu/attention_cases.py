"""Fused attention cases for simulate_kernels.py, as r1 IR: `r1.attention`
with what ONNX graphs cannot say (a gate, a boolean mask, grouped and tiled
kv heads, the [b, s, h, d] layouts, a causal order), and the reference in
numpy, which follows the host kernel's semantics
(codegen/host/AttentionTemplate.cpp): scores in f32, masked, softmax over
the keys (a row of -inf scores gives zeros), and a gate that keeps key
blocks per query block by the scores of the block's mean query against
each key block's mean key, and, with a threshold, also every key block
some query of the block is estimated to give that share of its weight."""
import math

import ml_dtypes
import numpy as np

DTYPES = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
          "bf16": np.dtype(ml_dtypes.bfloat16), "i1": np.dtype(np.bool_)}


def mlir_type(shape, dtype):
    return f"tensor<{'x'.join(str(d) for d in shape)}x{dtype}>"


def head_major(x, sequence_major):
    """[b, s, h, d] (when `sequence_major`) or [b, h, s, d] as [b, h, s, d]."""
    return x.transpose(0, 2, 1, 3) if sequence_major else x


def f64_literal(value):
    if math.isinf(value):
        return "0xFFF0000000000000 : f64" if value < 0 else "0x7FF0000000000000 : f64"
    return f"{value!r} : f64"


def block_estimates(qs, keys, w):
    """Each query's (rows of `qs`, scaled) estimate of the log of a key
    block's weight: q . mean + (q^2 / 2) . variance + log(weight), the keys
    `keys` weighed by `w`; -inf where no key weighs."""
    if w.sum() <= 0:
        return np.full(qs.shape[0], -np.inf)
    mean_k = w @ keys / w.sum()
    variance = np.maximum(w @ keys ** 2 / w.sum() - mean_k ** 2, 0)
    return qs @ mean_k + 0.5 * (qs ** 2) @ variance + np.log(w.sum())


def gate_blocks(q, k, weights, gate, causal, bi, hi, qb, scale):
    """The key blocks the gate keeps for query block `qb` of (bi, hi), as a
    set, and the visible block count. Block scores weigh keys by `weights`
    [keys] (the mask's, for `rest = mean`; ones otherwise); a block none of
    whose keys weighs scores -inf. A threshold's estimates scale q by
    `scale`."""
    block, keep, window, first = gate[:4]
    threshold = gate[5] if len(gate) > 5 else 0.0
    sq, sk = q.shape[2], k.shape[2]
    r0, r1 = qb * block, min(sq, (qb + 1) * block)
    mean_query = q[bi, hi, r0:r1].astype(np.float64).mean(axis=0)
    visible = -(-min(sk, r1) // block) if causal else -(-sk // block)
    scores = []
    for g in range(visible):
        span = slice(g * block, min(sk, (g + 1) * block))
        w = weights[span]
        scores.append((w @ k[bi, hi, span].astype(np.float64) @ mean_query) / w.sum()
                      if w.sum() > 0 else -np.inf)
    chosen = {g for g in range(visible) if g < first or abs(g - qb) <= window}
    if threshold > 0:
        # Each query's share of each visible block among its estimates; a
        # query none of whose blocks weighs gives no shares.
        qs = q[bi, hi, r0:r1].astype(np.float64) * scale
        est = np.stack([block_estimates(qs, k[bi, hi, g * block:min(sk, (g + 1) * block)]
                                        .astype(np.float64),
                                        weights[g * block:min(sk, (g + 1) * block)])
                        for g in range(visible)], axis=1)
        top = est.max(axis=1, keepdims=True)
        share = np.exp(est - np.where(np.isinf(top), 0, top))
        share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
        for g in range(visible):
            if g in chosen:
                continue
            # The kernels estimate in f32: the share that decides (the
            # block's largest) must not sit near the threshold.
            largest = share[:, g].max()
            assert abs(largest - threshold) > 1e-3 * threshold, \
                "a share near the gate's threshold: choose other data"
            if largest >= threshold:
                chosen.add(g)
    wanted = min(max(math.ceil(keep * visible - 1e-9), 1), visible)
    others = sorted((g for g in range(visible) if g not in chosen), key=lambda g: (-scores[g], g))
    more = max(0, wanted - len(chosen))
    # The kernels score in f32 in another order: a near tie at the cut
    # would make the case test the rounding, not the gate.
    if 0 < more < len(others):
        inside, outside = scores[others[more - 1]], scores[others[more]]
        assert abs(inside - outside) > 1e-3 * max(1.0, abs(inside)), \
            "near tie at the gate's cut: choose other data"
    return chosen | set(others[:more]), visible


def key_weights(mask, bi, hi, keys):
    """A left-out block's weights per key under a mask the same for every
    query: 0 or 1 (boolean), e^bias (float), 1 without a mask."""
    if mask is None:
        return np.ones(keys)
    row = np.broadcast_to(mask, mask.shape[:-2] + (1, keys))
    row = row[min(bi, row.shape[0] - 1), min(hi, row.shape[1] - 1), 0]
    return row.astype(np.float64) if row.dtype == np.bool_ else np.exp(row.astype(np.float64))


def softmax_rows(s, values):
    """softmax(s) values per row; a row of -inf scores gives zeros."""
    largest = s.max(axis=-1, keepdims=True)
    largest = np.where(np.isneginf(largest), 0, largest)
    p = np.exp(s - largest)
    total = p.sum(axis=-1, keepdims=True)
    out = p @ values
    return np.where(total > 0, out / np.where(total > 0, total, 1), 0)


def reference(feeds, *, names, dtype, scale, causal, masked_score, tiled, layout, gate):
    q = head_major(feeds[names[0]].astype(np.float32), layout[0])
    k = head_major(feeds[names[1]].astype(np.float32), layout[1])
    v = head_major(feeds[names[2]].astype(np.float32), layout[2])
    heads, kv_heads = q.shape[1], k.shape[1]
    which = (np.arange(heads) % kv_heads if tiled
             else np.arange(heads) // (heads // kv_heads))
    k, v = k[:, which], v[:, which]
    s = np.einsum("bhqd,bhkd->bhqk", q, k) * np.float32(scale)
    mask = feeds[names[3]] if len(names) > 3 else None
    if mask is not None:
        if mask.dtype == np.bool_:
            s = np.where(np.broadcast_to(mask, s.shape), s, np.float32(masked_score))
        else:
            s = s + np.broadcast_to(mask.astype(np.float32), s.shape)
    batch, sq, sk = s.shape[0], s.shape[2], s.shape[3]
    if causal:
        s = np.where(np.arange(sk)[None, :] <= np.arange(sq)[:, None], s,
                     np.float32(masked_score))
    if not gate:
        out = softmax_rows(s.astype(np.float64), v.astype(np.float64))
        return [head_major(out.astype(np.float32), layout[3]).astype(DTYPES[dtype])]
    # The gate per query block: the kept blocks' keys; with `rest = mean`
    # each other visible block as one key, its mean key and value (weighed
    # as the mask weighs its keys), scored q . mean + q^2 . variance / 2 +
    # log(weight) with q scaled.
    block, rest = gate[0], gate[4]
    out = np.zeros(q.shape[:3] + (v.shape[3],))
    for bi in range(batch):
        for hi in range(heads):
            weights = key_weights(mask, bi, hi, sk)
            for qb in range(-(-sq // block)):
                rows = slice(qb * block, min(sq, (qb + 1) * block))
                chosen, visible = gate_blocks(q, k, weights if rest == "mean" else np.ones(sk),
                                              gate, causal, bi, hi, qb, scale)
                keep = np.zeros(sk, dtype=bool)
                for g in chosen:
                    keep[g * block:min(sk, (g + 1) * block)] = True
                scores = np.where(keep[None, :], s[bi, hi, rows].astype(np.float64), -np.inf)
                values = v[bi, hi].astype(np.float64)
                if rest == "mean":
                    qs = q[bi, hi, rows].astype(np.float64) * scale
                    for g in range(visible):
                        span = slice(g * block, min(sk, (g + 1) * block))
                        w = weights[span]
                        if g in chosen or w.sum() <= 0:
                            continue
                        mean_v = w @ v[bi, hi, span].astype(np.float64) / w.sum()
                        estimate = block_estimates(qs, k[bi, hi, span].astype(np.float64), w)
                        scores = np.concatenate([scores, estimate[:, None]], axis=1)
                        values = np.concatenate([values, mean_v[None, :]])
                out[bi, hi, rows] = softmax_rows(scores, values)
    return [head_major(out.astype(np.float32), layout[3]).astype(DTYPES[dtype])]


def favoured_keys(spans, dropped=None):
    """Inputs for a gate threshold ([b, h, s, d] operands): the queries lean
    along a random direction u, every third against it, and the keys of each
    (first, end, weight) of `spans` move by weight x u. The mean query's best
    block is the one most queries favour; the threshold must find those the
    others favour. The keys of `dropped` (first, end) the mask drops."""
    def shape(feeds, rng):
        if dropped:
            feeds["m"][..., dropped[0]:dropped[1]] = False
        u = rng.standard_normal(feeds["q"].shape[-1]).astype(np.float32)
        feeds["q"] += u
        feeds["q"][..., ::3, :] -= 2 * u
        for first, end, weight in spans:
            feeds["k"][..., first:end, :] += weight * u
    return shape


def attention_case(name, *, dtype="f16", batch=1, heads=2, kv_heads=None, queries=80,
                   keys=None, head_dim=64, value_dim=None, layout=(False,) * 4, mask=None,
                   mask_shape=None, causal=False, masked_score=-math.inf, tiled=False,
                   gate=None, scale=None, fused=False, slow=False, shape_inputs=None):
    """A case of one r1.attention. `mask`: None, "float" (added; -inf on the
    last keys of batch 0, as a padding mask makes it) or "bool" (kept where
    true; with the default masked score, query row 1 keeps no key). `gate`:
    (block, keep, window, global, rest[, threshold]). `fused`: tanh of the
    attention plus an input `r` of its shape, which the kernel applies as it
    stores. `shape_inputs(feeds, rng)` gives the drawn inputs structure (q,
    k and v in f32, then rounded to their element type)."""
    kv_heads = kv_heads or heads
    keys = keys or queries
    value_dim = value_dim or head_dim
    scale = scale if scale is not None else 1 / math.sqrt(head_dim)

    def shape(sequence, count, width, sequence_major):
        return ([batch, sequence, count, width] if sequence_major
                else [batch, count, sequence, width])
    shapes = [shape(queries, heads, head_dim, layout[0]), shape(keys, kv_heads, head_dim, layout[1]),
              shape(keys, kv_heads, value_dim, layout[2])]
    out_shape = shape(queries, heads, value_dim, layout[3])
    names = ["q", "k", "v"]
    types = [dtype] * 3
    if mask:
        names.append("m")
        shapes.append(list(mask_shape or [batch, 1, queries, keys]))
        types.append("i1" if mask == "bool" else "f32")
    arguments = ", ".join(f"%{n}: {mlir_type(s, t)} {{r1.name = \"{n}\"}}"
                          for n, s, t in zip(names, shapes, types))
    attrs = [f"causal = {str(causal).lower()}", f"masked_score = {f64_literal(masked_score)}",
             f"scale = {scale!r} : f64",
             "sequence_major = array<i1: " + ", ".join(str(x).lower() for x in layout) + ">",
             f"tiled_kv_heads = {str(tiled).lower()}"]
    if gate:
        threshold = f", threshold = {gate[5]}" if len(gate) > 5 else ""
        attrs.append(f"gate = #r1.attention_gate<block = {gate[0]}, keep = {gate[1]}{threshold}, "
                     f"window = {gate[2]}, global = {gate[3]}, rest = {gate[4]}>")
    result = mlir_type(out_shape, dtype)
    body = ""
    returned = "%0"
    if fused:
        names.append("r")
        shapes.append(out_shape)
        types.append(dtype)
        arguments += f", %r: {result} {{r1.name = \"r\"}}"
        body = (f"    %1 = r1.tanh %0 : ({result}) -> {result}\n"
                f"    %2 = r1.add %1, %r : ({result}, {result}) -> {result}\n")
        returned = "%2"
    operands = [n for n in names if n != "r"]
    text = f"""module {{
  func.func @main({arguments}) -> ({result} {{r1.name = "y"}}) {{
    %0 = r1.attention {", ".join("%" + n for n in operands)} {{{", ".join(attrs)}}}
        : ({", ".join(mlir_type(s, t) for s, t, n in zip(shapes, types, names) if n != "r")}) -> {result}
{body}    return {returned} : {result}
  }}
}}
"""

    def inputs(rng):
        feeds = {}
        for n, s, t in zip(names, shapes, types):
            if t == "i1":
                m = rng.random(s) < 0.7
                if math.isinf(masked_score) and s[-2] > 1:
                    m[..., 1, :] = False  # a row of -inf scores: zeros
                feeds[n] = m
            elif n == "m" and t != "i1":
                m = rng.standard_normal(s).astype(np.float32)
                m[0, ..., -max(1, s[-1] // 5):] = -np.inf
                feeds[n] = m
            else:
                feeds[n] = rng.standard_normal(s).astype(np.float32).astype(DTYPES[t])
        if shape_inputs:
            shaped = dict(feeds, **{n: feeds[n].astype(np.float32) for n in "qkv"})
            shape_inputs(shaped, rng)
            feeds.update(shaped, **{n: shaped[n].astype(DTYPES[dtype]) for n in "qkv"})
        return feeds

    def expected(feeds):
        out = reference(feeds, names=operands, dtype=dtype, scale=scale, causal=causal,
                        masked_score=masked_score, tiled=tiled, layout=layout, gate=gate)
        if not fused:
            return out
        # Rounded to the element type after each op, as the kernels do.
        t = np.tanh(out[0].astype(np.float32)).astype(DTYPES[dtype])
        return [(t.astype(np.float32) + feeds["r"].astype(np.float32)).astype(DTYPES[dtype])]

    return {"name": name, "mlir": text, "inputs": inputs, "reference": expected,
            "input_names": names, "options": [], "slow": slow, "ranges": {},
            "tf32_inputs": [], "onnx_reference": False}


CASES = [
    # f32 (FMA on both targets): 80 rows and keys, whole blocks of neither;
    # head dim 32.
    attention_case("attention_f32_bhsd", dtype="f32", batch=2, heads=2, queries=80,
                   head_dim=32),
    # f16 in [b, s, h, d] with an additive mask (-inf on padding keys);
    # 72 keys, not a multiple of the 64-key tiles, for 40 queries.
    attention_case("attention_f16_bshd_mask", batch=2, heads=2, queries=40, keys=72,
                   layout=(True,) * 4, mask="float", mask_shape=[2, 1, 1, 72]),
    # f16, a boolean mask with a row that keeps nothing, and 4 query heads
    # sharing 2 kv heads (h / 2); the value's head dim 32.
    # The fused body (tanh, then a residual added) runs as each pair of
    # neighbouring 16-bit outputs is stored.
    attention_case("attention_f16_bool_gqa", heads=4, kv_heads=2, queries=48, head_dim=64,
                   value_dim=32, mask="bool", mask_shape=[1, 4, 48, 48], fused=True),
    # f16 causal, tiled kv heads (h mod 2), the masked score finite, as the
    # dynamo exports write it; the output [b, s, h, d], the rest [b, h, s, d].
    attention_case("attention_f16_causal_tiled", heads=4, kv_heads=2, queries=100, head_dim=32,
                   causal=True, masked_score=-3.4028234663852886e38, tiled=True,
                   layout=(False, False, False, True)),
    # bf16 with an additive mask over the queries and keys.
    attention_case("attention_bf16_mask", dtype="bf16", queries=72, mask="float",
                   mask_shape=[1, 1, 72, 72]),
    # Gated: blocks of 32 (five over 160 keys), half kept, the first always;
    # the others dropped.
    attention_case("attention_f16_gated", queries=160, gate=(32, 0.5, 0, 1, "drop")),
    # Gated and causal, the left-out blocks estimated by their mean keys and
    # values: blocks of 16, the neighbours kept; f32.
    attention_case("attention_f32_gated_causal", dtype="f32", queries=96, head_dim=32,
                   causal=True, gate=(16, 0.4, 1, 0, "mean")),
    # Estimates under a padding mask: weighted by e^bias (f16, blocks of 64,
    # a quarter kept) and by a boolean keep (bf16, blocks of 32).
    attention_case("attention_f16_gated_mean_bias", queries=256, mask="float",
                   mask_shape=[1, 1, 1, 256], gate=(64, 0.25, 0, 1, "mean")),
    attention_case("attention_bf16_gated_mean_keep", dtype="bf16", queries=192, mask="bool",
                   mask_shape=[1, 1, 1, 192], gate=(32, 0.5, 0, 1, "mean")),
    # A gate threshold: a quarter of the blocks kept, and those some query
    # gives a quarter of its weight. Most queries favour the block of keys
    # 100 to 140, which the mean query scores best; every third query the
    # block of keys 400 to 410, which only the threshold keeps (f16, blocks
    # of 64 over 512 keys).
    attention_case("attention_f16_gated_threshold", queries=512,
                   gate=(64, 0.25, 0, 0, "mean", 0.25),
                   shape_inputs=favoured_keys([(100, 140, 2), (320, 330, 3), (400, 410, -3)])),
    # The same under a boolean padding mask that drops all of block 3 (its
    # estimate is -inf: no share) (bf16, blocks of 32), and causal (f32, the
    # FMA template).
    attention_case("attention_bf16_gated_threshold_keep", dtype="bf16", queries=256, mask="bool",
                   mask_shape=[1, 1, 1, 256], gate=(32, 0.25, 0, 0, "mean", 0.25),
                   shape_inputs=favoured_keys([(40, 70, 2), (140, 150, 3), (200, 208, -3)],
                                              dropped=(96, 128))),
    attention_case("attention_f32_gated_threshold_causal", dtype="f32", queries=192, head_dim=32,
                   causal=True, gate=(32, 0.25, 0, 0, "mean", 0.25),
                   shape_inputs=favoured_keys([(40, 70, 2), (100, 106, 3), (140, 146, -3)])),
]
