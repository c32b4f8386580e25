"""Mixed-precision contraction cases for simulate_kernels.py, as r1 IR:
r1.matmul and r1.conv with f16 or bf16 operands and an f32 result, as
`r1c --precision=fp16|bf16` makes them (docs/precision.md). The matrix
templates stage and multiply the 16-bit operands and store their f32
accumulators; the fused body (bias, GELU or ReLU, an f32 residual) runs on
them before the store. The reference is numpy in f64 on the operands as
the kernels get them (rounded to 16 bits), with the tolerance of the
operand format (STYLE.md 13): the f32 sums are what differs."""
import math

import ml_dtypes
import numpy as np

DTYPES = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
          "bf16": np.dtype(ml_dtypes.bfloat16)}
# atol, rtol of the operand format (STYLE.md 13).
TOLERANCES = {"f16": (2.5e-3, 1e-3), "bf16": (2e-2, 1e-2)}


def mlir_type(shape, dtype):
    return f"tensor<{'x'.join(str(d) for d in shape)}x{dtype}>"


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def conv2d(x, w, b, stride, pad, group):
    """NCHW convolution in f64: each group's patches times its filters."""
    n, c, h, wd = x.shape
    f, cg, r, s = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - r) // stride + 1, (wd + 2 * pad - s) // stride + 1
    out = np.zeros((n, f, oh, ow))
    fg = f // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        patches = np.stack([xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                            for i in range(r) for j in range(s)], axis=2)  # n, cg, rs, oh, ow
        patches = patches.reshape(n, cg * r * s, oh * ow)
        filters = w[g * fg:(g + 1) * fg].reshape(fg, cg * r * s)
        out[:, g * fg:(g + 1) * fg] = (filters @ patches).reshape(n, fg, oh, ow)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def ir_case(name, operand, arguments, body, results, reference, slow=False):
    """`arguments`: (name, shape, dtype) of each input; `body`: the ops
    after the function's arguments, the last defining each of `results`
    ((name, shape) in f32)."""
    signature = ", ".join(f"%{n}: {mlir_type(s, t)} {{r1.name = \"{n}\"}}"
                          for n, s, t in arguments)
    result_types = [mlir_type(s, "f32") for _, s in results]
    text = f"""module {{
  func.func @main({signature}) -> ({", ".join(f'{t} {{r1.name = "{n}"}}'
                                             for (n, _), t in zip(results, result_types))}) {{
{body}    return {", ".join("%" + n for n, _ in results)} : {", ".join(result_types)}
  }}
}}
"""

    def inputs(rng):
        return {n: (0.5 * rng.standard_normal(s)).astype(np.float32).astype(DTYPES[t])
                for n, s, t in arguments}

    def expected(feeds):
        wide = {n: v.astype(np.float64) for n, v in feeds.items()}
        return [o.astype(np.float32) for o in reference(wide)]

    return {"name": name, "mlir": text, "inputs": inputs, "reference": expected,
            "input_names": [n for n, _, _ in arguments], "options": [], "slow": slow,
            "ranges": {}, "tf32_inputs": [], "onnx_reference": False,
            "tolerance": TOLERANCES[operand]}


def matmul_case(name, t, batch, m, k, n, batched_w=False, slow=False):
    """x [batch, m, k] times w [k, n] (`batched_w`: [batch, k, n]), both
    `t`, to f32; plus an f32 bias, GELU and an f32 residual, fused into the
    product's store."""
    x, w, out = [batch, m, k], [batch, k, n] if batched_w else [k, n], [batch, m, n]
    body = (f"    %p = r1.matmul %x, %w : ({mlir_type(x, t)}, {mlir_type(w, t)}) -> {mlir_type(out, 'f32')}\n"
            f"    %q = r1.add %p, %b : ({mlir_type(out, 'f32')}, {mlir_type([n], 'f32')}) -> {mlir_type(out, 'f32')}\n"
            f"    %g = r1.gelu %q : ({mlir_type(out, 'f32')}) -> {mlir_type(out, 'f32')}\n"
            f"    %y = r1.add %g, %r : ({mlir_type(out, 'f32')}, {mlir_type(out, 'f32')}) -> {mlir_type(out, 'f32')}\n")
    return ir_case(name, t, [("x", x, t), ("w", w, t), ("b", [n], "f32"), ("r", out, "f32")],
                   body, [("y", out)],
                   lambda f: [gelu(f["x"] @ f["w"] + f["b"]) + f["r"]], slow=slow)


def conv_attrs(stride, pad, group):
    return (f"{{dilations = array<i64: 1, 1>, group = {group} : i64, "
            f"pads = array<i64: {pad}, {pad}, {pad}, {pad}>, strides = array<i64: {stride}, {stride}>}}")


def conv_case(name, t, image, filters, kernel, stride, pad, bias_type, depthwise=None):
    """A convolution of `image` ([n, c, h, w], `t`) by `filters` of
    `kernel` x `kernel` to f32, with a bias of `bias_type`, ReLU and an f32
    residual fused. `depthwise`: also a depthwise 3 x 3 convolution (one
    channel per group: the direct template) of an image of that shape, to
    f32 without a bias."""
    n, c, h, wd = image
    oh, ow = (h + 2 * pad - kernel) // stride + 1, (wd + 2 * pad - kernel) // stride + 1
    wshape, out = [filters, c, kernel, kernel], [n, filters, oh, ow]
    f32 = lambda s: mlir_type(s, "f32")  # noqa: E731
    body = (f"    %c = r1.conv %x, %w, %b {conv_attrs(stride, pad, 1)} : ({mlir_type(image, t)}, "
            f"{mlir_type(wshape, t)}, {mlir_type([filters], bias_type)}) -> {f32(out)}\n"
            f"    %a = r1.relu %c : ({f32(out)}) -> {f32(out)}\n"
            f"    %y = r1.add %a, %r : ({f32(out)}, {f32(out)}) -> {f32(out)}\n")
    arguments = [("x", image, t), ("w", wshape, t), ("b", [filters], bias_type), ("r", out, "f32")]
    results = [("y", out)]

    def reference(f):
        y = np.maximum(conv2d(f["x"], f["w"], f["b"], stride, pad, 1), 0) + f["r"]
        if not depthwise:
            return [y]
        return [y, conv2d(f["d"], f["k"], None, 1, 1, depthwise[1])]
    if depthwise:
        dshape = list(depthwise)
        kshape = [dshape[1], 1, 3, 3]
        body += (f"    %z = r1.conv %d, %k {conv_attrs(1, 1, dshape[1])} : ({mlir_type(dshape, t)}, "
                 f"{mlir_type(kshape, t)}) -> {f32(dshape)}\n")
        arguments += [("d", dshape, t), ("k", kshape, t)]
        results.append(("z", dshape))
    return ir_case(name, t, arguments, body, results, reference)


CASES = [
    # f16 operands, f32 result: [2, 48, 80] by [80, 72], A's batch folded
    # into 96 rows; K is no whole number of steps (the last one zero-filled).
    matmul_case("matmul_mixed_f16", "f16", batch=2, m=48, k=80, n=72),
    # bf16: 40 rows and 40 columns, neither whole tiles, so stores are checked.
    matmul_case("matmul_mixed_bf16", "bf16", batch=1, m=40, k=64, n=40),
    # sm_90a's wgmma template (simulate_kernels.py --targets sm_90a), as
    # matmul_half_wgmma: K (320) in five steps, rows (100) and columns (120)
    # not whole tiles, a batch of 66 to fill half an H100.
    matmul_case("matmul_mixed_f16_wgmma", "f16", batch=66, m=100, k=320, n=120, batched_w=True,
                slow=True),
    # f16, strided and padded, 16 channels (K as stored, gathered patches),
    # an f16 bias; and a depthwise convolution (the direct template).
    conv_case("conv_mixed_f16", "f16", [2, 16, 11, 11], filters=24, kernel=3, stride=2, pad=1,
              bias_type="f16", depthwise=[1, 8, 7, 7]),
    # bf16, 32 channels a whole K step (K as (tap, channel)), an f32 bias.
    conv_case("conv_mixed_bf16", "bf16", [1, 32, 10, 10], filters=40, kernel=3, stride=1, pad=1,
              bias_type="f32"),
]
