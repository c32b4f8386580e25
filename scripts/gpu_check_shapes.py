#!/usr/bin/env python3
"""GEMM, convolution and attention shapes of the GPU check: r1c's kernels against
cuBLAS, cuDNN and PyTorch's scaled_dot_product_attention.

Each shape is a one-node model whose operands are all graph inputs (an ONNX MatMul,
or Conv without bias; for attention, one r1.attention in r1 IR, which r1c reads as
.mlir), so its sm_90 artifact holds code and no weights and the check folder stays
small. Nothing else is carried: the GPU machine draws the
inputs from the seed in the manifest and computes the references itself (numpy,
float32, on its CPUs).

  prepare_shapes  (in gpu_check.py prepare) builds and compiles each model;
  run             (python3 scripts/gpu_check_shapes.py run, on the GPU machine)
                  checks and times r1c, torch eager (torch.matmul /
                  F.conv2d: cuBLAS / cuDNN) and torch.compile, in interleaved rounds;
  report_section  (in gpu_check.py report) the rows of gpu-check.md.

r1c-run times whole runs, host copies included (the runtime takes host buffers
only). For kernel times without the copies, r1c-run loads the driver through
bench/cuda_kernel_timer.c (R1RT_CUDA_LIBRARY), which brackets each run's kernels
with CUDA events; torch is timed with CUDA events around each call, so both are
GPU time from the first kernel of a call to the end of its last.
"""
import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TIMER_SOURCE = os.path.join(ROOT, "bench", "cuda_kernel_timer.c")


def _gemm(dtype, m, n, k):
    short = {"float16": "f16", "bfloat16": "bf16"}[dtype]
    return {"name": f"gemm_{short}_{m}x{n}x{k}", "op": "MatMul", "dtype": dtype, "m": m, "n": n, "k": k}


def _conv(dtype, batch, cin, cout, size, kernel, what):
    short = {"float16": "f16", "bfloat16": "bf16"}[dtype]
    return {"name": f"conv_{short}_n{batch}_{cin}to{cout}_{size}x{size}_k{kernel}", "op": "Conv",
            "dtype": dtype, "batch": batch, "cin": cin, "cout": cout, "height": size, "width": size,
            "kernel": kernel, "stride": 1, "pad": kernel // 2, "what": what}


def _attention(dtype, batch, heads, seq, dim, causal):
    short = {"float16": "f16", "bfloat16": "bf16"}[dtype]
    return {"name": f"attention_{short}_b{batch}_h{heads}_s{seq}_d{dim}" + ("_causal" if causal else ""),
            "op": "Attention", "dtype": dtype, "batch": batch, "heads": heads, "seq": seq, "dim": dim,
            "causal": causal}


# In the order they run, the acceptance shape first, so a short budget still measures it.
SHAPES = [
    _gemm("float16", 4096, 4096, 4096),
    _gemm("bfloat16", 4096, 4096, 4096),
    _gemm("float16", 128, 4096, 4096),  # a decode step's projection: few rows
    _gemm("float16", 4096, 1024, 4096),  # a transformer block's narrower projection
    _conv("float16", 32, 256, 256, 14, 3, "ResNet-50 conv4_x 3x3"),
    _conv("float16", 32, 64, 64, 56, 3, "ResNet-50 conv2_x 3x3"),
    _conv("float16", 32, 256, 64, 56, 1, "ResNet-50 conv2_x 1x1 reduce"),
    _attention("float16", 1, 16, 2048, 128, causal=False),  # fused attention, long sequence
    _attention("float16", 1, 16, 2048, 128, causal=True),
]
# STYLE.md 13's per-element bounds. A K of thousands sums thousands of products,
# so the pass rule is the relative error of the output's norm, bounded by the
# per-element rtol: one rounding of the output costs at most half an ulp per
# element (float16 2^-11, bfloat16 2^-8), far below it, while a wrong tile or a
# lost K slice costs a large fraction of the norm.
TOLERANCES = {
    "float16": dict(atol=2.5e-3, rtol=1e-3, norm_rtol=1e-3),
    "bfloat16": dict(atol=2e-2, rtol=1e-2, norm_rtol=1e-2),
}
ROUNDS = 3  # interleaved rounds of r1c, eager and compiled
RUNS = 30  # timed calls per method per round, after warm-up


def last_json_line(text):
    """The object on the last line of `text` that starts with "{" (r1c-run's
    JSON summary), or None when there is none or it does not parse."""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def shape_flops(shape):
    if shape["op"] == "MatMul":
        return 2 * shape["m"] * shape["n"] * shape["k"]
    if shape["op"] == "Attention":
        # Two products of s x s x d per head; a causal mask computes half of them.
        flops = 4 * shape["batch"] * shape["heads"] * shape["seq"] ** 2 * shape["dim"]
        return flops // 2 if shape["causal"] else flops
    out_h, out_w = conv_output_hw(shape)
    return 2 * shape["batch"] * shape["cout"] * out_h * out_w * shape["cin"] * shape["kernel"] ** 2


def conv_output_hw(shape):
    r, s, p = shape["kernel"], shape["stride"], shape["pad"]
    return ((shape["height"] + 2 * p - r) // s + 1, (shape["width"] + 2 * p - r) // s + 1)


def io_shapes(shape):
    """(input shapes, output shape) as the ONNX model declares them."""
    if shape["op"] == "MatMul":
        return [[shape["m"], shape["k"]], [shape["k"], shape["n"]]], [shape["m"], shape["n"]]
    if shape["op"] == "Attention":
        dims = [shape["batch"], shape["heads"], shape["seq"], shape["dim"]]
        return [dims, dims, dims], dims
    r = shape["kernel"]
    out_h, out_w = conv_output_hw(shape)
    return ([[shape["batch"], shape["cin"], shape["height"], shape["width"]], [shape["cout"], shape["cin"], r, r]],
            [shape["batch"], shape["cout"], out_h, out_w])


def describe(shape):
    if shape["op"] == "MatMul":
        return f"MatMul [{shape['m']}, {shape['k']}] x [{shape['k']}, {shape['n']}]"
    if shape["op"] == "Attention":
        ins, _ = io_shapes(shape)
        return f"Attention q, k, v {ins[0]}" + (", causal" if shape["causal"] else "")
    ins, out = io_shapes(shape)
    return (f"Conv x{ins[0]} w{ins[1]} stride {shape['stride']} pad {shape['pad']} -> {out} "
            f"({shape['what']})")


def attention_scale(shape):
    return 1 / math.sqrt(shape["dim"])


def build_ir(shape):
    """An attention shape as r1 IR (r1c reads .mlir): q, k, v [b, h, s, d], scaled by
    1 / sqrt(d), as scaled_dot_product_attention does by default."""
    element = {"float16": "f16", "bfloat16": "bf16"}[shape["dtype"]]
    ins, _ = io_shapes(shape)
    t = f"tensor<{'x'.join(str(d) for d in ins[0])}x{element}>"
    return f"""module {{
  func.func @main(%q: {t} {{r1.name = "q"}}, %k: {t} {{r1.name = "k"}}, %v: {t} {{r1.name = "v"}})
      -> ({t} {{r1.name = "y"}}) {{
    %0 = r1.attention %q, %k, %v {{causal = {str(shape["causal"]).lower()},
        masked_score = 0xFFF0000000000000 : f64, scale = {attention_scale(shape)!r} : f64,
        sequence_major = array<i1: false, false, false, false>, tiled_kv_heads = false}}
        : ({t}, {t}, {t}) -> {t}
    return %0 : {t}
  }}
}}
"""


def build_model(shape):
    import onnx
    from onnx import TensorProto, helper

    elem = {"float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16}[shape["dtype"]]
    ins, out = io_shapes(shape)
    if shape["op"] == "MatMul":
        names = ["a", "b"]
        node = helper.make_node("MatMul", names, ["y"], name=shape["name"])
    else:
        names = ["x", "w"]
        r, p, s = shape["kernel"], shape["pad"], shape["stride"]
        node = helper.make_node("Conv", names, ["y"], name=shape["name"], kernel_shape=[r, r], pads=[p] * 4,
                                strides=[s, s])
    graph = helper.make_graph([node], shape["name"],
                              [helper.make_tensor_value_info(n, elem, s) for n, s in zip(names, ins)],
                              [helper.make_tensor_value_info("y", elem, out)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="r1c gpu-check")
    model.ir_version = 8  # opset 17's, which older ONNX Runtimes (test references) still read
    onnx.checker.check_model(model)
    return model


# ---------------------------------------------------------------------------
# Inputs and references (numpy only, so they can be checked without a GPU)
# ---------------------------------------------------------------------------


def round_to(array, dtype):
    """float32 values rounded to `dtype` (float16, or bfloat16 to nearest even), still as float32."""
    array = np.asarray(array, np.float32)
    if dtype == "float16":
        return array.astype(np.float16).astype(np.float32)
    if dtype == "bfloat16":
        return (bfloat16_bits(array).astype(np.uint32) << 16).view(np.float32)
    return array


def bfloat16_bits(array):
    bits = np.ascontiguousarray(array, np.float32).view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))
    out = (rounded >> 16).astype(np.uint16)
    nan = np.isnan(array)
    out[nan] = 0x7FC0
    return out


def make_inputs(shape, seed):
    """Standard-normal operands rounded to the dtype, as float32 (exact): never zeros (STYLE.md 13)."""
    rng = np.random.default_rng(seed)
    ins, _ = io_shapes(shape)
    return [round_to(rng.standard_normal(dims, dtype=np.float32), shape["dtype"]) for dims in ins]


def reference(shape, inputs):
    """The float32 result of the (exactly upcast) operands: numpy matmul, a
    convolution as an im2col matmul, attention as softmax(scale q k^T) v a head at a
    time (keys after the query masked when causal)."""
    if shape["op"] == "MatMul":
        return np.matmul(inputs[0], inputs[1])
    if shape["op"] == "Attention":
        q, k, v = inputs
        out = np.empty_like(q)
        seq = q.shape[2]
        future = np.triu(np.ones((seq, seq), dtype=bool), 1)
        for b in range(q.shape[0]):
            for h in range(q.shape[1]):
                scores = np.matmul(q[b, h], k[b, h].T) * np.float32(attention_scale(shape))
                if shape["causal"]:
                    scores[future] = -np.inf
                scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
                out[b, h] = np.matmul(scores, v[b, h]) / scores.sum(axis=-1, keepdims=True)
        return out
    x, w = inputs
    r, p, s = shape["kernel"], shape["pad"], shape["stride"]
    out_h, out_w = conv_output_hw(shape)
    n, c = x.shape[:2]
    if p:
        x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    # cols[n, c, r, s, oh, ow] = x[n, c, oh * stride + r, ow * stride + s]
    cols = np.empty((n, c, r, r, out_h, out_w), np.float32)
    for i in range(r):
        for j in range(r):
            cols[:, :, i, j] = x[:, :, i:i + s * out_h:s, j:j + s * out_w:s]
    cols = cols.reshape(n, c * r * r, out_h * out_w)
    out = np.matmul(w.reshape(w.shape[0], -1)[None], cols)  # [n, cout, oh*ow], batched sgemm
    return out.reshape(n, w.shape[0], out_h, out_w)


def write_tensor(path, array, dtype):
    """An input or expected output for r1c-run: .npy for float16, a TensorProto .pb for
    bfloat16 (numpy has no bfloat16). Returns the path written."""
    if dtype == "float16":
        np.save(path + ".npy", array.astype(np.float16))
        return path + ".npy"
    from onnx import TensorProto, helper

    tensor = helper.make_tensor(os.path.basename(path), TensorProto.BFLOAT16, list(array.shape),
                                bfloat16_bits(array).tobytes(), raw=True)
    with open(path + ".pb", "wb") as f:
        f.write(tensor.SerializeToString())
    return path + ".pb"


def errors(got, want, tolerance):
    """Norm-relative error, max abs error and the per-element verdict of `got` against the
    float32 reference; NaN never passes."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        return {"error": f"output shape {list(got.shape)}, expected {list(want.shape)}"}
    diff = np.abs(got - want)
    denominator = np.linalg.norm(want.ravel())
    norm = float(np.linalg.norm(diff.ravel()) / denominator) if denominator else float(np.linalg.norm(diff))
    finite = bool(np.isfinite(got).all())
    bound = tolerance["atol"] + tolerance["rtol"] * np.abs(want)
    over = int(np.count_nonzero(~(diff <= bound)))
    return {"norm_rel_error": norm if finite else float("nan"),
            "max_abs_error": float(np.nanmax(diff)) if finite else float("nan"),
            "elements_over_tolerance": over, "nonfinite": int(np.count_nonzero(~np.isfinite(got))),
            "passed": finite and norm <= tolerance["norm_rtol"]}


# ---------------------------------------------------------------------------
# prepare (where r1c is built)
# ---------------------------------------------------------------------------


def prepare_shapes(r1c, check_dir, target, timeout, run, first_line, names=None):
    """Builds and compiles each shape into CHECK_DIR/shapes/NAME.r1; returns the manifest
    entries and the list of failures."""
    import onnx

    folder = os.path.join(check_dir, "shapes")
    os.makedirs(folder, exist_ok=True)
    entries, missing = [], []
    for shape in SHAPES:
        if names and shape["name"] not in names:
            continue
        name = shape["name"]
        if shape["op"] == "Attention":
            path = os.path.join(folder, name + ".mlir")
            with open(path, "w", encoding="utf-8") as f:
                f.write(build_ir(shape))
        else:
            path = os.path.join(folder, name + ".onnx")
            onnx.save(build_model(shape), path)
        base = os.path.join(folder, name)
        start = time.monotonic()
        try:
            proc = run([r1c, path, f"--target={target}", "-o", base, "--no-progress"], timeout=timeout)
        except subprocess.TimeoutExpired:
            proc = None
        seconds = round(time.monotonic() - start, 2)
        os.remove(path)  # the GPU machine rebuilds it (torch needs only the shape)
        for extra in (base + ".o", base + ".h"):
            if os.path.exists(extra):
                os.remove(extra)
        entry = dict(shape)
        ins, out = io_shapes(shape)
        entry.update({
            "description": describe(shape), "flops": shape_flops(shape), "input_shapes": ins, "output_shape": out,
            "seed": zlib.crc32(name.encode()), "inputs": "standard normal float32, rounded to the dtype",
            "tolerance": dict(TOLERANCES[shape["dtype"]]), "target": target,
            "compile": {"command": f"r1c {os.path.basename(path)} --target={target} -o shapes/{name}",
                        "seconds": seconds},
            "artifact": None,
        })
        if proc is None:
            entry["compile"]["error"] = f"r1c ran past {timeout:g} s"
        elif proc.returncode != 0:
            entry["compile"]["error"] = first_line(proc.stderr) or f"exit status {proc.returncode}"
        elif not os.path.exists(base + ".r1"):
            entry["compile"]["error"] = "r1c wrote no artifact"
        else:
            entry["artifact"] = f"shapes/{name}.r1"
            entry["compile"]["bytes"] = os.path.getsize(base + ".r1")
        if entry["artifact"] is None:
            missing.append(f"{name}: {entry['compile']['error']}")
        status = entry["artifact"] or f"NO ARTIFACT ({entry['compile']['error']})"
        print(f"{name}: {status} in {seconds:.1f} s", flush=True)
        entries.append(entry)
    return entries, missing


# ---------------------------------------------------------------------------
# run (GPU machine)
# ---------------------------------------------------------------------------


def summarize(samples):
    """Median and spread of per-call times in ms, and the median of each round."""
    if not samples:
        return None
    flat = sorted(t for round_ in samples for t in round_)
    pick = lambda p: flat[min(len(flat) - 1, int(p * (len(flat) - 1) + 0.5))]  # noqa: E731
    per_round = [statistics.median(r) for r in samples if r]
    return {"median_ms": statistics.median(flat), "p10_ms": pick(0.1), "p90_ms": pick(0.9), "runs": len(flat),
            "round_medians_ms": per_round}


def build_timer(work):
    """bench/cuda_kernel_timer.c as a shared library, or an error string."""
    out = os.path.join(work, "libr1c_kernel_timer.so")
    cc = os.environ.get("CC", "cc")
    try:
        proc = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", out, TIMER_SOURCE, "-ldl"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"building the kernel timer: {error}"
    if proc.returncode != 0:
        return None, f"building the kernel timer: {proc.stderr.strip()[-300:]}"
    return out, None


def run_r1c_once(args, entry, files, timer, times_path, saved):
    """One r1c-run call: its JSON, and the kernel times the timer logged for its timed runs."""
    cmd = [args.r1c_run, os.path.join(args.check_dir, entry["artifact"])]
    if args.device:
        cmd.append(f"--device={args.device}")
    for path in files["inputs"]:
        cmd += ["--input", path]
    cmd += ["--expected", files["expected"], "--atol", str(entry["tolerance"]["atol"]),
            "--rtol", str(entry["tolerance"]["rtol"]), "--json", "--bench", str(args.runs)]
    if saved:
        cmd += ["--save-outputs", saved]
    env = dict(os.environ)
    if timer:
        env["R1RT_CUDA_LIBRARY"] = timer
        env["R1C_KERNEL_TIMES"] = times_path
        if os.path.exists(times_path):
            os.remove(times_path)
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                          env=env, timeout=args.case_timeout)
    parsed = last_json_line(proc.stdout)
    if parsed is None:
        text = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise RuntimeError("r1c-run: " + (text[0] if text else f"exit status {proc.returncode}, no JSON"))
    kernel = []
    if timer and os.path.exists(times_path):
        with open(times_path, encoding="utf-8") as f:
            kernel = [float(line) for line in f if line.strip()]
        # Two untimed runs come first (shapes, then the compared one).
        kernel = kernel[-args.runs:] if len(kernel) >= args.runs else []
    return parsed, kernel, " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c for c in cmd)


class CompileTimeout(BaseException):
    """Raised by SIGALRM in torch.compile; a BaseException so its fallbacks do not swallow it."""


def run(args):
    with open(os.path.join(args.check_dir, "manifest.json"), encoding="utf-8") as f:
        index = json.load(f)
    entries = index.get("shapes", [])
    if args.shapes:
        entries = [e for e in entries if e["name"] in args.shapes.split(",")]
    os.makedirs(args.work, exist_ok=True)
    out_path = os.path.join(args.work, "shapes.json")
    results = {"rounds": args.rounds, "runs": args.runs, "shapes": {}}

    def save():
        with open(out_path, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)

    def left():
        return args.deadline - time.time() if args.deadline else float("inf")

    timer, timer_error = (None, "not used (--no-timer)") if args.no_timer else build_timer(args.work)
    results["kernel_timer"] = timer_error or "bench/cuda_kernel_timer.c"
    try:
        import torch
        import torch.nn.functional as F

        torch_error = None if torch.cuda.is_available() or args.torch_device == "cpu" else \
            "torch.cuda.is_available() is False"
    except ImportError as error:
        torch, torch_error = None, f"PyTorch is not importable: {error}"
    if torch is not None:
        results["torch"] = torch.__version__
        if torch_error is None and args.torch_device.startswith("cuda"):
            results["device"] = torch.cuda.get_device_name(0)
            # Like with like: r1c accumulates float16 and bfloat16 products in float32.
            torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
            torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
            # cuDNN's best algorithm for each shape, as a tuned deployment runs.
            torch.backends.cudnn.benchmark = True
    if torch_error:
        results["torch_error"] = torch_error
    save()

    for entry in entries:
        name, dtype = entry["name"], entry["dtype"]
        row = results["shapes"][name] = {}
        save()
        if left() < 20:
            row["error"] = "skipped: the time budget ran out"
            print(f"{name}: {row['error']}", flush=True)
            continue
        # Inputs and reference, from the recorded seed.
        start = time.monotonic()
        inputs = make_inputs(entry, entry["seed"])
        want = reference(entry, inputs)
        row["reference_seconds"] = round(time.monotonic() - start, 2)
        case_dir = os.path.join(args.work, "shapes", name)
        os.makedirs(case_dir, exist_ok=True)
        files = {"inputs": [write_tensor(os.path.join(case_dir, f"input_{k}"), x, dtype)
                            for k, x in enumerate(inputs)],
                 "expected": write_tensor(os.path.join(case_dir, "expected"), round_to(want, dtype), dtype)}
        tolerance = entry["tolerance"]

        methods = {}  # name -> callable timing one round: list of ms
        samples = {"r1c": [], "r1c_with_copies": [], "eager": [], "compile": []}
        if entry["artifact"] is None:
            row["r1c_error"] = f"no artifact: {entry['compile'].get('error')}"
        else:
            # numpy cannot hold bfloat16, so r1c-run cannot save such outputs: there
            # its own per-element check against the rounded reference is the check.
            saved = os.path.join(case_dir, "r1c") if dtype == "float16" else None

            state = {"first": True}  # the first call saves and checks the output

            def r1c_round():
                parsed, kernel, command = run_r1c_once(args, entry, files, timer,
                                                       os.path.join(case_dir, "kernel_times.txt"),
                                                       saved if state["first"] else None)
                if state["first"]:
                    state["first"] = False
                    row["r1c_command"] = command
                    row["r1c_device"] = parsed.get("device")
                    out = (parsed.get("outputs") or [{}])[0]
                    row["r1c_run_check"] = {k: out.get(k) for k in ("passed", "max_abs_error", "max_rel_error")}
                    if saved and os.path.exists(os.path.join(saved, "output_0.npy")):
                        row["r1c_check"] = errors(np.load(os.path.join(saved, "output_0.npy")), want, tolerance)
                    else:
                        row["r1c_check"] = {"passed": bool(out.get("passed")), "max_abs_error": out.get("max_abs_error"),
                                            "rule": "per element against the reference rounded to bfloat16 "
                                                    "(r1c-run --expected)"}
                samples["r1c_with_copies"].append([parsed["median_ms"]] if "median_ms" in parsed else [])
                return kernel

            methods["r1c"] = r1c_round

        if torch is not None and torch_error is None:
            device = args.torch_device
            tdtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[dtype]
            operands = [torch.from_numpy(x).to(device=device, dtype=tdtype) for x in inputs]
            if entry["op"] == "MatMul":
                fn = torch.matmul
            elif entry["op"] == "Attention":
                causal = entry["causal"]

                def fn(q, k, v):
                    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            else:
                stride, pad = entry["stride"], entry["pad"]

                def fn(x, w):
                    return F.conv2d(x, w, None, stride, pad)

            def timed(f):
                def one_round():
                    with torch.no_grad():
                        for _ in range(args.warmup):
                            f(*operands)
                        if device.startswith("cuda"):
                            torch.cuda.synchronize()
                        times = []
                        for _ in range(args.runs):
                            if device.startswith("cuda"):
                                begin = torch.cuda.Event(enable_timing=True)
                                end = torch.cuda.Event(enable_timing=True)
                                begin.record()
                                f(*operands)
                                end.record()
                                end.synchronize()
                                times.append(begin.elapsed_time(end))
                            else:
                                t = time.perf_counter()
                                f(*operands)
                                times.append((time.perf_counter() - t) * 1000)
                    return times
                return one_round

            try:
                with torch.no_grad():
                    row["eager_check"] = errors(fn(*operands).float().cpu().numpy(), want, tolerance)
                methods["eager"] = timed(fn)
            except Exception as error:  # a failing method is its row's note
                row["eager_error"] = f"{type(error).__name__}: {str(error).strip()[:300]}"
            budget = min(args.compile_timeout, left() - 15)
            if "eager" not in methods:
                pass
            elif budget < 10:
                row["compile_error"] = "skipped: the time budget ran out"
            else:
                torch._dynamo.reset()
                compiled = torch.compile(fn, dynamic=False)

                def on_alarm(signum, frame):
                    raise CompileTimeout()

                signal.signal(signal.SIGALRM, on_alarm)
                start = time.perf_counter()
                signal.alarm(int(math.ceil(budget)))
                try:
                    with torch.no_grad():
                        got = compiled(*operands)
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()
                    signal.alarm(0)
                    row["compile_seconds"] = round(time.perf_counter() - start, 1)
                    row["compile_check"] = errors(got.float().cpu().numpy(), want, tolerance)
                    methods["compile"] = timed(compiled)
                except (CompileTimeout, Exception) as error:
                    signal.alarm(0)
                    row["compile_error"] = (f"torch.compile gave up after {budget:.0f} s"
                                            if isinstance(error, CompileTimeout) or "CompileTimeout" in repr(error)
                                            else f"{type(error).__name__}: {str(error).strip()[:300]}")
                finally:
                    signal.alarm(0)
        elif torch_error:
            row["torch_error"] = torch_error

        # Interleaved rounds: r1c, eager, compiled, then again, so drift in clocks or
        # temperature reaches every method alike.
        for round_index in range(args.rounds):
            if round_index and left() < 15:
                row["rounds_note"] = f"stopped after {round_index} rounds: the time budget ran out"
                break
            for method, one_round in methods.items():
                try:
                    samples[method].append(one_round())
                except Exception as error:
                    row[f"{method}_error"] = f"{type(error).__name__}: {str(error).strip()[:300]}"
                    methods[method] = None
            methods = {k: v for k, v in methods.items() if v}
        for method, rounds in samples.items():
            if method == "r1c_with_copies":
                medians = [r[0] for r in rounds if r]
                if medians:
                    row[method] = {"median_ms": statistics.median(medians), "round_medians_ms": medians,
                                   "runs": args.runs * len(medians)}
            elif rounds and any(rounds):
                row[method] = summarize(rounds)
        if "r1c_with_copies" in row and "r1c" not in row and args.device == "cuda":
            row["r1c_note"] = ("no kernel times, only r1c-run's with copies: " +
                               (timer_error or "the kernel timer logged none"))
        print(f"{name}: " + ", ".join(f"{m} {row[m]['median_ms']:.4f} ms" for m in
                                      ("r1c", "r1c_with_copies", "eager", "compile") if m in row), flush=True)
        save()
    save()
    return 0


# ---------------------------------------------------------------------------
# report (gpu_check.py report)
# ---------------------------------------------------------------------------


def verdict(row):
    check = row.get("r1c_check")
    if check is None:
        if not row or row.get("error", "").startswith(("not run", "skipped")):
            return "not run"
        return "error"
    if "error" in check:
        return "error"
    return "pass" if check.get("passed") else "FAIL"


def report_section(index, work, has_gpu, fmt):
    """(markdown lines, JSON rows) for the shapes; `fmt` formats numbers as the report does."""
    entries = index.get("shapes") or []
    if not entries:
        return [], []
    try:
        with open(os.path.join(work, "shapes.json"), encoding="utf-8") as f:
            results = json.load(f)
    except (OSError, ValueError):
        results = {}
    not_run = "not run: no GPU" if not has_gpu else "not run"
    rows = []
    for entry in entries:
        got = results.get("shapes", {}).get(entry["name"])
        got = got if got is not None else {"error": not_run}
        tflops = lambda ms: entry["flops"] / (ms * 1e-3) / 1e12 if ms else None  # noqa: E731
        median = lambda m: (got.get(m) or {}).get("median_ms")  # noqa: E731
        r1c_ms, eager_ms, compile_ms = median("r1c"), median("eager"), median("compile")
        best = min([t for t in (eager_ms, compile_ms) if t], default=None)
        notes = [f"{k}: {v}" for k, v in got.items() if k.endswith(("error", "note")) and v]
        if entry["artifact"] is None:
            notes.insert(0, f"no artifact: {entry['compile'].get('error')}")
        row = {
            "shape": entry["name"], "description": entry["description"], "dtype": entry["dtype"],
            "flops": entry["flops"], "result": verdict(got) if entry["artifact"] else "error",
            "check": got.get("r1c_check"), "eager_check": got.get("eager_check"),
            "compile_check": got.get("compile_check"), "tolerance": entry["tolerance"],
            "r1c": got.get("r1c"), "r1c_with_copies": got.get("r1c_with_copies"), "eager": got.get("eager"),
            "compile": got.get("compile"), "compile_seconds": got.get("compile_seconds"),
            "r1c_tflops": tflops(r1c_ms), "eager_tflops": tflops(eager_ms), "compile_tflops": tflops(compile_ms),
            # Speed as a fraction of torch's: above 1, r1c is faster.
            "r1c_speed_vs_eager": eager_ms / r1c_ms if r1c_ms and eager_ms else None,
            "r1c_speed_vs_compile": compile_ms / r1c_ms if r1c_ms and compile_ms else None,
            "r1c_speed_vs_best_torch": best / r1c_ms if r1c_ms and best else None,
            "notes": notes,
        }
        rows.append(row)

    def timing(stats):
        if not stats:
            return "–"
        rounds = stats.get("round_medians_ms") or []
        spread = f"; rounds {fmt(min(rounds), '.3f')}–{fmt(max(rounds), '.3f')}" if len(rounds) > 1 else ""
        return f"{fmt(stats['median_ms'], '.3f')} ({fmt(stats.get('p10_ms'), '.3f')}–{fmt(stats.get('p90_ms'), '.3f')}{spread})"

    def check_text(check):
        if not check:
            return "–"
        if "error" in check:
            return check["error"]
        if "norm_rel_error" in check:
            return f"{fmt(check['norm_rel_error'])} ({check['elements_over_tolerance']} over)"
        return f"per element {'ok' if check.get('passed') else 'over'} (max abs {fmt(check.get('max_abs_error'))})"

    lines = ["", "## GEMM, convolution and attention shapes: r1c kernels against cuBLAS / cuDNN / SDPA", ""]
    gemm = next((r for r in rows if r["shape"] == "gemm_f16_4096x4096x4096"), None)
    if gemm:
        speed = gemm["r1c_speed_vs_eager"]
        goal = "–" if speed is None else f"{speed:.0%} ({'met' if speed >= 0.7 else 'NOT met'})"
        lines += [f"**fp16 GEMM 4096^3: r1c at {goal} of torch.matmul's speed** (goal: at least 70%; "
                  f"result {gemm['result']}).", ""]
    lines += ["| shape | dtype | result | norm error (tol); elements over atol/rtol | r1c kernels ms | r1c TFLOP/s "
              "| torch.matmul / conv2d / SDPA ms | TFLOP/s | torch.compile ms (compile s) | TFLOP/s "
              "| r1c speed / eager | / compile | r1c run incl. copies ms |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        tol = row["tolerance"]
        compiled = timing(row["compile"])
        if row["compile"] and row["compile_seconds"] is not None:
            compiled += f" ({fmt(row['compile_seconds'], '.0f')} s)"
        lines.append(
            f"| {row['description']} | {row['dtype']} | {row['result']} "
            f"| {check_text(row['check'])} [{tol['norm_rtol']:g}; {tol['atol']:g}/{tol['rtol']:g}] "
            f"| {timing(row['r1c'])} | {fmt(row['r1c_tflops'], '.1f')} | {timing(row['eager'])} "
            f"| {fmt(row['eager_tflops'], '.1f')} | {compiled} | {fmt(row['compile_tflops'], '.1f')} "
            f"| {fmt(row['r1c_speed_vs_eager'], '.2f')} | {fmt(row['r1c_speed_vs_compile'], '.2f')} "
            f"| {fmt((row['r1c_with_copies'] or {}).get('median_ms'), '.3f')} |")
    notes = [(row["shape"], n) for row in rows for n in row["notes"]]
    if notes:
        shared = {n for _, n in notes}
        lines += ["", "Errors and notes:", ""]
        if len(shared) == 1 and len(notes) == len(rows):
            lines += [f"- every shape: {notes[0][1]}"]
        else:
            lines += [f"- {shape}: {note}" for shape, note in notes]
    torch_checks = [f"{r['shape']} eager {check_text(r['eager_check'])}, compile {check_text(r['compile_check'])}"
                    for r in rows if r["eager_check"]]
    if results.get("torch_error"):
        lines += ["", f"PyTorch: {results['torch_error']}"]
    runs, rounds = results.get("runs", RUNS), results.get("rounds", ROUNDS)
    lines += ["", "How the shapes were measured:", "",
              "- Each shape is a one-node model with all operands as graph inputs (ONNX MatMul, or Conv "
              "without bias, NCHW; attention as one r1.attention in r1 IR, q, k, v [b, h, s, d] scaled by "
              "1/sqrt(d)), compiled for the check's target where r1c is built; the GPU machine draws the "
              "operands (standard normal, rounded to the dtype) from the seed in .gpucheck/manifest.json.",
              "- Reference: numpy in float32 on the GPU machine's CPUs (matmul; a convolution as an im2col "
              "matmul; attention a head at a time) on the same operands, exactly upcast.",
              "- Result: pass when ||r1c - ref|| / ||ref|| over the whole output is within the dtype's per-element "
              "rtol (float16 1e-3, bfloat16 1e-2; STYLE.md 13). With K in the thousands a per-element bound "
              "mostly measures the output's own rounding (half an ulp) and the sum order, so the norm is the "
              "rule; elements over atol + rtol|ref| are counted beside it. bfloat16 outputs cannot be saved "
              "as .npy, so for them r1c-run's per-element check against the reference rounded to bfloat16 "
              "decides. r1c-run poisons outputs before its runs, and NaN never passes. PyTorch's outputs "
              "are checked the same way (below).",
              f"- Timing: {rounds} interleaved rounds (r1c, eager, torch.compile, then again) of {runs} timed calls "
              "each after warm-up; each cell is the median over all calls (p10–p90) and the range of the "
              "rounds' medians. TFLOP/s counts 2 x M x N x K (convolutions: 2 x N x Cout x Hout x Wout x Cin x "
              "R x S; attention 4 x b x h x s^2 x d, half of it when causal); speed ratios are torch's time "
              "over r1c's, so 0.7 means r1c at 70% of torch's speed.",
              "- r1c kernels: `r1c-run --device=cuda --bench N` with the CUDA driver loaded through "
              "`bench/cuda_kernel_timer.c` (R1RT_CUDA_LIBRARY), which records CUDA events around each run's "
              "kernels (its graph launch), after the input copies and before the output copies. "
              "`r1c run incl. copies` is r1c-run's own wall time per run: inputs copied from pageable host "
              "memory, outputs copied back.",
              "- PyTorch: torch.matmul (cuBLAS), torch.nn.functional.conv2d (cuDNN, "
              "torch.backends.cudnn.benchmark on, NCHW as the model) and "
              "torch.nn.functional.scaled_dot_product_attention (is_causal as the shape; PyTorch picks "
              "its fused kernel) on device-resident operands, and "
              "torch.compile (default mode, dynamic=False) of the same function, each call between CUDA "
              "events; float16/bfloat16 reduced-precision reductions off (r1c accumulates in float32). "
              "Compile seconds are the first call's, with empty caches."]
    if torch_checks:
        lines.append("- PyTorch's own outputs against the reference (norm error): " + "; ".join(torch_checks) + ".")
    return lines, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="check and time every shape (GPU machine); writes WORK/shapes.json")
    p.add_argument("--r1c-run", required=True)
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", required=True)
    p.add_argument("--device", default="cuda", help="r1c-run --device (host tries the script without a GPU)")
    p.add_argument("--torch-device", default="cuda", help="cuda, or cpu to try the script without a GPU")
    p.add_argument("--no-timer", action="store_true", help="do not load the driver through the kernel timer")
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--runs", type=int, default=RUNS)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--case-timeout", type=float, default=60, help="seconds per r1c-run call")
    p.add_argument("--compile-timeout", type=float, default=60)
    p.add_argument("--deadline", type=float, default=0, help="Unix time by which to stop")
    p.add_argument("--shapes", default="", help="comma-separated shape names (default: all)")
    p.set_defaults(func=run)
    args = parser.parse_args()
    args.check_dir = os.path.abspath(args.check_dir)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
