"""Fused attention cases for simulate_kernels.py, as r1 IR: `r1.attention`
with what ONNX graphs cannot say (a gate, a boolean mask, grouped and tiled
kv heads, the [b, s, h, d] layouts, a causal order), and the reference in
numpy, which follows the host kernel's semantics
(codegen/host/AttentionTemplate.cpp): scores in f32, masked, softmax over
the keys (a row of -inf scores gives zeros), and a gate that keeps key
blocks per query block by the scores of the block's mean query against
each key block's mean key."""
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


def kept_keys(q, k, gate, causal):
    """[b, h, queries, keys] booleans: the keys each query row's gate keeps.
    `q` and `k` are f32 [b, h, s, d] (k already repeated to q's heads)."""
    block, keep, window, first = gate
    b, h, sq, _ = q.shape
    sk = k.shape[2]
    blocks = -(-sk // block)
    kept = np.zeros((b, h, sq, sk), dtype=bool)
    for bi in range(b):
        for hi in range(h):
            for qb in range(-(-sq // block)):
                r0, r1 = qb * block, min(sq, (qb + 1) * block)
                mean_query = q[bi, hi, r0:r1].astype(np.float64).mean(axis=0)
                visible = -(-min(sk, r1) // block) if causal else blocks
                scores = np.array([
                    (k[bi, hi, g * block:min(sk, (g + 1) * block)].astype(np.float64)
                     @ mean_query).mean() for g in range(visible)])
                chosen = {g for g in range(visible)
                          if g < first or abs(g - qb) <= window}
                wanted = min(max(math.ceil(keep * visible - 1e-9), 1), visible)
                others = sorted((g for g in range(visible) if g not in chosen),
                                key=lambda g: (-scores[g], g))
                more = max(0, wanted - len(chosen))
                # The kernels score in f32 in another order: a near tie at
                # the cut would make the case test the rounding, not the gate.
                if 0 < more < len(others):
                    inside, outside = scores[others[more - 1]], scores[others[more]]
                    assert abs(inside - outside) > 1e-3 * max(1.0, abs(inside)), \
                        "near tie at the gate's cut: choose other data"
                chosen |= set(others[:more])
                for g in chosen:
                    kept[bi, hi, r0:r1, g * block:min(sk, (g + 1) * block)] = True
    return kept


def reference(feeds, *, names, dtype, scale, causal, masked_score, tiled, layout, gate):
    q = head_major(feeds[names[0]].astype(np.float32), layout[0])
    k = head_major(feeds[names[1]].astype(np.float32), layout[1])
    v = head_major(feeds[names[2]].astype(np.float32), layout[2])
    heads, kv_heads = q.shape[1], k.shape[1]
    which = (np.arange(heads) % kv_heads if tiled
             else np.arange(heads) // (heads // kv_heads))
    k, v = k[:, which], v[:, which]
    s = np.einsum("bhqd,bhkd->bhqk", q, k) * np.float32(scale)
    if len(names) > 3:
        mask = feeds[names[3]]
        if mask.dtype == np.bool_:
            s = np.where(np.broadcast_to(mask, s.shape), s, np.float32(masked_score))
        else:
            s = s + np.broadcast_to(mask.astype(np.float32), s.shape)
    sq, sk = s.shape[2], s.shape[3]
    if causal:
        s = np.where(np.arange(sk)[None, :] <= np.arange(sq)[:, None], s,
                     np.float32(masked_score))
    if gate:
        s = np.where(kept_keys(q, k, gate, causal), s, -np.inf)
    largest = s.max(axis=-1, keepdims=True)
    largest = np.where(np.isneginf(largest), 0, largest)
    p = np.exp(s - largest)
    total = p.sum(axis=-1, keepdims=True)
    out = np.einsum("bhqk,bhkd->bhqd", p, v)
    out = np.where(total > 0, out / np.where(total > 0, total, 1), 0).astype(np.float32)
    return [head_major(out, layout[3]).astype(DTYPES[dtype])]


def attention_case(name, *, dtype="f16", batch=1, heads=2, kv_heads=None, queries=80,
                   keys=None, head_dim=64, value_dim=None, layout=(False,) * 4, mask=None,
                   mask_shape=None, causal=False, masked_score=-math.inf, tiled=False,
                   gate=None, scale=None, fused=False, slow=False):
    """A case of one r1.attention. `mask`: None, "float" (added; -inf on the
    last keys of batch 0, as a padding mask makes it) or "bool" (kept where
    true; with the default masked score, query row 1 keeps no key). `gate`:
    (block, keep, window, global). `fused`: tanh of the attention plus an
    input `r` of its shape, which the kernel applies as it stores."""
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
        attrs.append("gate = #r1.attention_gate<block = {}, keep = {}, window = {}, global = {}>"
                     .format(*gate))
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
    # Gated: blocks of 32 (five over 160 keys), half kept, the first always.
    attention_case("attention_f16_gated", queries=160, gate=(32, 0.5, 0, 1)),
    # Gated and causal: blocks of 16, the neighbours kept; f32.
    attention_case("attention_f32_gated_causal", dtype="f32", queries=96, head_dim=32,
                   causal=True, gate=(16, 0.4, 1, 0)),
]
