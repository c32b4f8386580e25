#!/usr/bin/env python3
"""The two halves of the GPU check (scripts/gpu-check-prepare.sh, scripts/gpu-check.sh).

  prepare  (where r1c is built) generates the five models at check size in
           float32 and float16, compiles each with `r1c --target=sm_90` (and
           ResNet-50 and BERT in float32 again with --tf32), and
           writes random inputs, ONNX Runtime (CPU) reference outputs and a
           manifest per case into the check folder (.gpucheck/), and the
           artifacts of the GEMM and convolution shapes
           (scripts/gpu_check_shapes.py, which also runs them on the GPU);
  env      (on the GPU machine) records the GPU, driver and tool versions;
  run-r1c  (on the GPU machine) runs every artifact with `r1c-run --device=cuda`
           against its reference outputs and times it;
  report   (on the GPU machine) joins what the steps left into gpu-check.md and
           gpu-check.json, whichever steps failed.

The check folder holds the artifacts, inputs and references, not the ONNX
models: the GPU machine regenerates those with the same seeds, and the
manifest's weight hash says whether it got the same weights.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_check_shapes  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GENERATE = os.path.join(ROOT, "test", "models", "generate.py")
MODELS = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit"]
TARGET = "sm_90"
# What the check compiles: each variant's models in its dtype with its r1c flags.
# TF32 (float32 models on tensor cores, --tf32) covers one convolution network
# and one transformer: the folder must stay small enough to carry.
VARIANTS = [
    {"name": "float32", "dtype": "float32", "flags": [], "models": MODELS},
    {"name": "float16", "dtype": "float16", "flags": [], "models": MODELS},
    {"name": "tf32", "dtype": "float32", "flags": ["--tf32"], "models": ["resnet50", "bert"]},
]

# STYLE.md 13: per-element tolerances by dtype, and for whole models the relative
# error of each output's norm. STYLE.md names no model-level number for float16;
# its norm_rtol is ten times its per-element rtol (see the manifest note). TF32
# keeps float16's 10-bit mantissa (with float32's range), so it gets float16's bounds.
TOLERANCES = {
    "float32": dict(atol=1e-5, rtol=1e-4, norm_rtol=1e-4),
    "float16": dict(atol=2.5e-3, rtol=1e-3, norm_rtol=1e-2),
    "tf32": dict(atol=2.5e-3, rtol=1e-3, norm_rtol=1e-2),
}
# What r1c-run and the timing scripts repeat: warm-up runs, then timed ones.
BENCH_RUNS = 50


def case_name(model, variant):
    return f"{model}_{variant}"


def mib(n):
    return n / (1 << 20)


def run(cmd, **kwargs):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", **kwargs)


def first_line(text):
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    return lines[0] if lines else ""


def weights_digest(model):
    """sha256 over every initializer's name, type, dims and bytes, in file order: the same
    for two files of the same model whatever the onnx version that wrote them."""
    from onnx import numpy_helper

    digest = hashlib.sha256()
    total = 0
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init)
        digest.update(f"{init.name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
        total += array.nbytes
    return {"count": len(model.graph.initializer), "bytes": total, "sha256": digest.hexdigest()}


def generate_command(dtype, out, models=MODELS):
    return [sys.executable, GENERATE, "--size=check", f"--dtype={dtype}", "--models", ",".join(models),
            "--out", out]


def norm_rel_error(got, want):
    """||got - want|| / ||want|| over all elements, in float64; NaN or infinity when either is."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return float("nan")
    denominator = np.linalg.norm(want.ravel())
    difference = np.linalg.norm((got - want).ravel())
    return float(difference / denominator) if denominator else float(difference)


# ---------------------------------------------------------------------------
# prepare
# ---------------------------------------------------------------------------


def make_inputs(model, dims, rng):
    """Random inputs in the ranges real ones have: images as normalized pixels,
    token ids below the vocabulary, an attention mask that pads the last quarter,
    token types of two segments. Never all zeros (STYLE.md 13)."""
    from onnx import TensorProto

    feeds, notes = {}, {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value for d in tensor.shape.dim]
        if tensor.elem_type == TensorProto.INT64:
            if "mask" in value.name:
                array = np.ones(shape, np.int64)
                array[..., shape[-1] - shape[-1] // 4:] = 0
                notes[value.name] = f"1 for the first {shape[-1] - shape[-1] // 4} tokens, then 0"
            elif "type" in value.name:
                array = np.zeros(shape, np.int64)
                array[..., shape[-1] // 2:] = 1
                notes[value.name] = f"0 for the first {shape[-1] // 2} tokens, then 1"
            else:
                array = rng.integers(0, dims["vocab"], shape).astype(np.int64)
                notes[value.name] = f"uniform in [0, {dims['vocab']})"
        elif tensor.elem_type in (TensorProto.FLOAT, TensorProto.FLOAT16):
            dtype = np.float32 if tensor.elem_type == TensorProto.FLOAT else np.float16
            array = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
            notes[value.name] = "standard normal"
        else:
            raise SystemExit(f"error: input '{value.name}' has element type {tensor.elem_type}, "
                             "which the check does not generate")
        feeds[value.name] = array
    return feeds, notes


def to_float32(model):
    """The float16 model computed in float32: its (already rounded) weights upcast, exactly."""
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT16:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32), init.name))
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT16:
                attr.i = TensorProto.FLOAT
    return model


def reference_outputs(path, model, feeds, dtype):
    """ONNX Runtime CPU outputs, and how they were made. A float16 model runs as
    float16 when ORT accepts it (its CPU provider computes float16 nodes that lack
    a float16 kernel in float32, between casts it inserts); otherwise the same
    model in float32 on the upcast inputs stands in, rounded to float16."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    runtime = f"onnxruntime {ort.__version__}, CPUExecutionProvider"
    if dtype == "float32":
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return session.run(None, feeds), {"runtime": runtime, "ran": "the float32 model"}
    upcast = to_float32(model)
    wide_feeds = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in feeds.items()}
    wide = ort.InferenceSession(upcast.SerializeToString(), options,
                                providers=["CPUExecutionProvider"]).run(None, wide_feeds)
    try:
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        outputs = session.run(None, feeds)
    except Exception as error:  # ORT raises its own exception types per failure
        return ([o.astype(np.float16) for o in wide],
                {"runtime": runtime,
                 "ran": "the float32 model (float16 weights upcast) on the upcast inputs",
                 "why": f"ONNX Runtime cannot run the float16 model: {first_line(str(error))[:300]}"})
    # How far the float16 reference is from float32 arithmetic on the same weights, to
    # read the errors against it by.
    gap = [norm_rel_error(o, w) for o, w in zip(outputs, wide)]
    return outputs, {"runtime": runtime,
                     "ran": "the float16 model (float16 I/O; nodes without a float16 CPU kernel "
                            "computed in float32)",
                     "norm_rel_error_vs_float32": gap}


def prepare(args):
    import onnx

    sys.path.insert(0, os.path.dirname(GENERATE))
    import generate  # noqa: E402  (the dims of each size)

    check_dir = os.path.abspath(args.check_dir)
    if os.path.isdir(check_dir):
        shutil.rmtree(check_dir)
    os.makedirs(check_dir)
    work = os.path.abspath(args.work)
    version = first_line(run([args.r1c, "--version"]).stdout) or "unknown"
    commit = first_line(run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout)
    dirty = bool(run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip())
    print(f"r1c: {args.r1c} ({version}); commit {commit}{' with local changes' if dirty else ''}")

    cases, missing, generated = [], [], set()
    selected = [m for m in args.models.split(",") if m]
    unknown = sorted(set(selected) - set(MODELS))
    if unknown:
        raise SystemExit(f"error: --models: unknown {', '.join(unknown)} (known: {', '.join(MODELS)})")
    for variant in VARIANTS:
        dtype, flags = variant["dtype"], variant["flags"]
        models = [m for m in variant["models"] if m in selected]
        if not models:
            continue
        out = os.path.join(work, dtype)
        if dtype not in generated:
            proc = run(generate_command(dtype, out, [m for m in MODELS if m in selected]))
            if proc.returncode != 0:
                raise SystemExit(f"error: generate.py --size=check --dtype={dtype} failed:\n{proc.stderr}")
            generated.add(dtype)
        for model_name in models:
            name = case_name(model_name, variant["name"])
            path = os.path.join(out, model_name + ".onnx")
            model = onnx.load(path)
            case_dir = os.path.join(check_dir, name)
            os.makedirs(case_dir)

            # The artifact: OUT.r1 beside the case folder.
            start = time.monotonic()
            base = os.path.join(check_dir, name)
            compile_cmd = [args.r1c, path, f"--target={args.target}", *flags, "-o", base, "--no-progress"]
            try:
                proc = run(compile_cmd, timeout=args.compile_timeout)
            except subprocess.TimeoutExpired:
                proc = None
            seconds = time.monotonic() - start
            artifact = name + ".r1"
            compiled = {"command": " ".join(["r1c", f"{model_name}.onnx", f"--target={args.target}", *flags, "-o",
                                             os.path.join(os.path.basename(check_dir), name)]),
                        "seconds": round(seconds, 2)}
            if proc is None:
                compiled["error"] = f"r1c ran past --compile-timeout {args.compile_timeout:g} s"
            elif proc.returncode != 0:
                compiled["error"] = first_line(proc.stderr) or f"exit status {proc.returncode}"
            elif not os.path.exists(base + ".r1"):
                compiled["error"] = f"r1c exited 0 but wrote no {artifact}"
            for extra in (base + ".o", base + ".h"):
                # What --target=host adds for linking; r1c-run needs only OUT.r1.
                if os.path.exists(extra):
                    os.remove(extra)
            if "error" in compiled:
                missing.append(f"{name}: {compiled['error']}")
                artifact = None
            else:
                compiled["bytes"] = os.path.getsize(base + ".r1")

            rng = np.random.default_rng(zlib.crc32(name.encode()))
            dims = generate.SIZES["check"][model_name]
            feeds, notes = make_inputs(model, dims, rng)
            outputs, reference = reference_outputs(path, model, feeds, dtype)
            inputs_info, outputs_info = [], []
            for k, value in enumerate(model.graph.input):
                rel = f"{name}/input_{k}.npy"
                np.save(os.path.join(check_dir, rel), feeds[value.name])
                array = feeds[value.name]
                inputs_info.append({"name": value.name, "file": rel, "dtype": str(array.dtype),
                                    "shape": list(array.shape), "values": notes[value.name]})
            for k, (value, array) in enumerate(zip(model.graph.output, outputs)):
                rel = f"{name}/output_{k}.npy"
                np.save(os.path.join(check_dir, rel), array)
                outputs_info.append({"name": value.name, "file": rel, "dtype": str(array.dtype),
                                     "shape": list(array.shape)})
            tolerance = dict(TOLERANCES[variant["name"]])
            tolerance["source"] = ("STYLE.md 13: atol/rtol per element, norm_rtol on the relative error "
                                   "of each output's norm (models)")
            if dtype == "float16":
                tolerance["source"] += "; STYLE.md names no model-level float16 bound: norm_rtol is 10 x rtol"
            if variant["name"] == "tf32":
                tolerance["source"] += ("; TF32 rounds inputs to float16's 10-bit mantissa: float16's bounds "
                                        "(the reference is float32)")
            manifest = {
                "case": name, "model": model_name, "dtype": dtype, "variant": variant["name"],
                "r1c_flags": flags, "size": "check", "dims": dims,
                "batch": model.graph.input[0].type.tensor_type.shape.dim[0].dim_value,
                "generate": " ".join(["python3", "test/models/generate.py", "--size=check", f"--dtype={dtype}",
                                      f"--models={model_name}", "--out", "DIR"]),
                "weights": weights_digest(model),
                "artifact": artifact, "target": args.target, "compile": compiled,
                "inputs": inputs_info, "outputs": outputs_info,
                "reference": reference, "tolerance": tolerance,
            }
            with open(os.path.join(case_dir, "manifest.json"), "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=1)
            cases.append(name)
            status = f"{artifact} in {seconds:.1f} s" if artifact else f"NO ARTIFACT ({compiled['error']})"
            print(f"{name}: {status}; reference: {reference['ran']}", flush=True)

    # GEMM and convolution shapes: artifacts only (the GPU machine makes inputs and references).
    shapes = []
    if not args.no_shapes:

        shapes, shape_missing = gpu_check_shapes.prepare_shapes(args.r1c, check_dir, args.target,
                                                                args.compile_timeout, run, first_line)
        missing += shape_missing

    index = {
        "format": 1, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit, "local_changes": dirty, "r1c": version, "target": args.target, "size": "check",
        "bench_runs": BENCH_RUNS, "host": f"{platform.node()} {platform.machine()}",
        "cases": cases, "shapes": shapes, "missing_artifacts": missing,
    }
    with open(os.path.join(check_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)

    # Sizes: everything under the check folder travels to the GPU machine.
    total = 0
    print(f"\n{'file':<40} {'MiB':>8}")
    for dirpath, _, files in sorted(os.walk(check_dir)):
        for file in sorted(files):
            size = os.path.getsize(os.path.join(dirpath, file))
            total += size
            if file.endswith(".r1") or size >= 256 << 10:
                print(f"{os.path.relpath(os.path.join(dirpath, file), check_dir):<40} {mib(size):8.2f}")
    print(f"{'total (all files)':<40} {mib(total):8.2f}  (limit {args.limit_mib} MiB)")
    status = 0
    if mib(total) > args.limit_mib:
        print(f"error: {check_dir} holds {mib(total):.1f} MiB, over the {args.limit_mib} MiB limit: "
              "shrink SIZES['check'] in test/models/generate.py", file=sys.stderr)
        status = 1
    if missing:
        print(f"{'warning' if args.keep_going else 'error'}: {len(missing)} of {len(cases) + len(shapes)} cases "
              "have no "
              "artifact:\n  " + "\n  ".join(missing), file=sys.stderr)
        if not args.keep_going:
            status = 1
    return status


# ---------------------------------------------------------------------------
# env and run-r1c (GPU machine)
# ---------------------------------------------------------------------------


def tool_output(cmd, timeout=60):
    """stdout of a probe, or None when the tool is missing, fails or hangs."""
    try:
        proc = run(cmd, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def env(args):
    import re

    info = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    listing = tool_output(["nvidia-smi", "-L"])
    info["gpus"] = [l.strip() for l in (listing or "").splitlines() if l.startswith("GPU")]
    if not info["gpus"]:
        info["gpu_error"] = "nvidia-smi -L found no GPU" if listing is not None else "nvidia-smi is missing or failed"
    query = tool_output(["nvidia-smi", "--query-gpu=driver_version,memory.total", "--format=csv,noheader"])
    if query:
        info["driver"] = first_line(query)
    header = tool_output(["nvidia-smi"]) or ""
    match = re.search(r"CUDA Version:\s*([0-9.]+)", header)
    if match:
        info["cuda_driver"] = match.group(1)
    nvcc = tool_output(["nvcc", "--version"])
    if nvcc:
        info["nvcc"] = next((l.strip() for l in nvcc.splitlines() if "release" in l), first_line(nvcc))
    for key, cmd in [("cmake", ["cmake", "--version"]), ("ninja", ["ninja", "--version"]),
                     ("cxx", ["c++", "--version"])]:
        text = tool_output(cmd)
        if text:
            info[key] = first_line(text)
    cpuinfo = tool_output(["lscpu"]) or ""
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("Model name")), None)
    info["cpu"] = f"{model or platform.processor() or 'unknown'}, {os.cpu_count()} CPUs"
    probe = ("import torch, onnx, numpy; print(f'{torch.__version__} (CUDA {torch.version.cuda}, "
             "cuda available: {torch.cuda.is_available()}); onnx {onnx.__version__}, numpy {numpy.__version__}')")
    torch_line = tool_output([sys.executable, "-c", probe], timeout=120)
    info["torch"] = first_line(torch_line) if torch_line else "not importable (or onnx/numpy missing)"
    for key, value in info.items():
        print(f"{key}: {value}")
    with open(os.path.join(args.work, "env.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    return 0 if info["gpus"] else 3


def load_cases(check_dir):
    with open(os.path.join(check_dir, "manifest.json"), encoding="utf-8") as f:
        index = json.load(f)
    cases = []
    for name in index["cases"]:
        with open(os.path.join(check_dir, name, "manifest.json"), encoding="utf-8") as f:
            cases.append(json.load(f))
    return index, cases


def remaining(deadline):
    return deadline - time.time() if deadline else float("inf")


def run_r1c(args):
    check_dir = os.path.abspath(args.check_dir)
    _, cases = load_cases(check_dir)
    if args.cases:
        wanted = args.cases.split(",")
        cases = [c for c in cases if c["case"] in wanted]
    os.makedirs(args.work, exist_ok=True)
    results = {}

    def save():
        with open(os.path.join(args.work, "r1c.json"), "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)

    for case in cases:
        name = case["case"]
        result = results[name] = {}
        left = remaining(args.deadline)
        if not case["artifact"]:
            result["error"] = f"no artifact: r1c --target={case['target']}: {case['compile'].get('error')}"
        elif left < 15:
            result["error"] = "skipped: the time budget ran out"
        if "error" in result:
            print(f"{name}: {result['error']}", flush=True)
            save()
            continue
        saved = os.path.join(args.work, "outputs", name)
        os.makedirs(saved, exist_ok=True)
        tol = case["tolerance"]
        cmd = [args.r1c_run, os.path.join(check_dir, case["artifact"])]
        if args.device:
            cmd.append(f"--device={args.device}")
        for item in case["inputs"]:
            cmd += ["--input", os.path.join(check_dir, item["file"])]
        for item in case["outputs"]:
            cmd += ["--expected", os.path.join(check_dir, item["file"])]
        cmd += ["--atol", str(tol["atol"]), "--rtol", str(tol["rtol"]), "--json",
                "--bench", str(args.bench), "--save-outputs", saved]
        result["command"] = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT + os.sep) else c for c in cmd)
        start = time.monotonic()
        try:
            proc = run(cmd, timeout=min(args.timeout, left - 10))
        except subprocess.TimeoutExpired:
            result["error"] = f"r1c-run ran past {min(args.timeout, left - 10):.0f} s and was stopped"
            print(f"{name}: {result['error']}", flush=True)
            save()
            continue
        result["seconds"] = round(time.monotonic() - start, 2)
        result["exit_status"] = proc.returncode
        parsed = gpu_check_shapes.last_json_line(proc.stdout)
        if parsed is None:
            # Exit status 2 is a usage or loading error, with its message on stderr.
            result["error"] = "r1c-run: " + (first_line(proc.stderr) or first_line(proc.stdout)
                                             or f"exit status {proc.returncode}, no JSON")
        else:
            result["r1c_run"] = parsed
        # The output norms, which r1c-run does not compute, from the outputs it saved.
        norms = []
        for k, item in enumerate(case["outputs"]):
            got_path = os.path.join(saved, f"output_{k}.npy")
            if not os.path.exists(got_path):
                break
            got = np.load(got_path)
            want = np.load(os.path.join(check_dir, item["file"]))
            norms.append(norm_rel_error(got, want))
        if norms:
            result["norm_rel_error"] = norms
        print(f"{name}: {json.dumps({k: v for k, v in result.items() if k != 'command'})[:400]}", flush=True)
        save()
    save()
    return 0


# ---------------------------------------------------------------------------
# report (GPU machine)
# ---------------------------------------------------------------------------


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read_build(work):
    """What gpu-check.sh left of the runtime build: `STATUS SECONDS` and its log."""
    try:
        with open(os.path.join(work, "build.status"), encoding="utf-8") as f:
            status, _, seconds = f.read().strip().rpartition(" ")
    except OSError:
        return {"status": "not run"}
    build = {"status": status, "seconds": int(seconds) if seconds.isdigit() else None}
    if status != "ok":
        try:
            with open(os.path.join(work, "build.log"), encoding="utf-8", errors="replace") as f:
                build["log_tail"] = "".join(f.readlines()[-30:])
        except OSError:
            pass
    return build


def fmt(value, spec=".3g", none="–"):
    if value is None:
        return none
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format(value, spec)


def verdict(case, r1c):
    """pass / FAIL / error by the model-level rule (STYLE.md 13: each output's norm), with the
    per-element result beside it."""
    if "error" in r1c and "norm_rel_error" not in r1c:
        skipped = r1c["error"].startswith(("not run", "skipped"))
        return ("not run" if skipped else "error"), None
    norms = r1c.get("norm_rel_error") or []
    if len(norms) != len(case["outputs"]):
        return "error", None
    worst = max(norms)
    ok = all(math.isfinite(n) and n <= case["tolerance"]["norm_rtol"] for n in norms)
    return ("pass" if ok else "FAIL"), worst


def report(args):
    check_dir = os.path.abspath(args.check_dir)
    work = args.work
    os.makedirs(args.out, exist_ok=True)
    env = read_json(os.path.join(work, "env.json"), {})
    build = read_build(work)
    has_gpu = bool(env.get("gpus"))
    r1c = read_json(os.path.join(work, "r1c.json"), {})
    torch_results = read_json(os.path.join(work, "torch.json"), {})
    if not torch_results:
        torch_results = {"error": "not run: no GPU" if not has_gpu else "not run, or stopped before its first case"}
    not_run = "not run: no GPU" if not has_gpu else (
        "not run: the runtime did not build" if build["status"] != "ok" else "not run")
    try:
        index, cases = load_cases(check_dir)
    except (OSError, ValueError, KeyError) as error:
        index, cases = {"error": f"cannot read {check_dir}/manifest.json: {error}"}, []

    rows = []
    for case in cases:
        name = case["case"]
        mine = r1c.get(name, {"error": not_run})
        theirs = torch_results.get("cases", {}).get(name, {})
        result, worst_norm = verdict(case, mine)
        run_json = mine.get("r1c_run") or {}
        per_output = run_json.get("outputs") or []
        max_abs = max((o.get("max_abs_error", 0) for o in per_output), default=None)
        max_rel = max((o.get("max_rel_error", 0) for o in per_output), default=None)
        eager = theirs.get("eager") or {}
        compiled = theirs.get("compile") or {}
        eager_copies = eager.get("with_copies") or {}
        compiled_copies = compiled.get("with_copies") or {}
        r1c_ms = run_json.get("median_ms")
        ratio = lambda a, b: a / b if a and b else None  # noqa: E731
        notes = [n.replace(ROOT + os.sep, "") for n in (mine.get("error"), theirs.get("error"), eager.get("error"),
                                                        compiled.get("error"), theirs.get("weights_note")) if n]
        rows.append({
            "case": name, "model": case["model"], "dtype": case.get("variant", case["dtype"]),
            "result": result,
            "r1c_device": run_json.get("device"),
            "elementwise_passed": run_json.get("passed"), "max_abs_error": max_abs, "max_rel_error": max_rel,
            "norm_rel_error": worst_norm, "tolerance": case["tolerance"],
            "r1c_median_ms": r1c_ms, "r1c_p90_ms": run_json.get("p90_ms"),
            "eager_median_ms": eager.get("median_ms"), "eager_p10_ms": eager.get("p10_ms"),
            "eager_p90_ms": eager.get("p90_ms"), "eager_norm_rel_error": eager.get("norm_rel_error"),
            "eager_with_copies_median_ms": eager_copies.get("median_ms"),
            "compile_median_ms": compiled.get("median_ms"), "compile_p90_ms": compiled.get("p90_ms"),
            "compile_with_copies_median_ms": compiled_copies.get("median_ms"),
            "compile_seconds": compiled.get("compile_seconds"),
            # r1c-run times host buffers in and out, so the ratios use PyTorch's times with copies.
            "r1c_over_eager": ratio(r1c_ms, eager_copies.get("median_ms")),
            "r1c_over_compile": ratio(r1c_ms, compiled_copies.get("median_ms")),
            "notes": notes,
        })

    shape_lines, shape_rows = gpu_check_shapes.report_section(index, work, has_gpu, fmt)
    data = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "env": env, "build": build, "prepared": index, "rows": rows, "shapes": shape_rows,
            "shapes_run": read_json(os.path.join(work, "shapes.json"), {}),
            "torch": {k: v for k, v in torch_results.items() if k != "cases"},
            "r1c": r1c, "torch_cases": torch_results.get("cases", {})}
    with open(os.path.join(args.out, "gpu-check.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)

    target = index.get("target", TARGET)
    lines = [f"# r1c on a GPU: {target} artifacts against ONNX Runtime references, PyTorch eager and "
             "torch.compile", ""]
    lines += [f"- Date: {data['date']}"]
    gpus = env.get("gpus") or []
    missing_gpu = f"none found ({env.get('gpu_error', 'nvidia-smi -L failed')})"
    lines += [f"- GPU: {'; '.join(gpus) if gpus else missing_gpu}"]
    for key, label in [("driver", "Driver"), ("cuda_driver", "CUDA (driver)"), ("nvcc", "nvcc"),
                       ("torch", "PyTorch"), ("python", "Python"), ("cpu", "CPU"), ("cmake", "cmake")]:
        if env.get(key):
            lines.append(f"- {label}: {env[key]}")
    if "error" in index:
        lines += [f"- Check folder: {index['error']}"]
    else:
        lines += [f"- Artifacts: {index.get('r1c')} at commit {index.get('commit')}"
                  f"{' with local changes' if index.get('local_changes') else ''}, --target={index.get('target')}, "
                  f"prepared {index.get('created')}"]
    devices = sorted({row["r1c_device"] for row in rows if row["r1c_device"]})
    if devices:
        lines.append(f"- r1c-run ran on: {'; '.join(devices)}")
    build_line = f"- Runtime build (R1C_BUILD_COMPILER=OFF, Release, r1c-run only): {build.get('status')}"
    if build.get("seconds") is not None:
        build_line += f" in {build['seconds']} s"
    lines.append(build_line)
    if build.get("log_tail"):
        lines += ["", "```", build["log_tail"].rstrip(), "```"]
    headline = next((l for l in shape_lines if l.startswith("**fp16 GEMM")), None)
    if headline and gpus:
        lines += ["", headline]
    if not gpus:
        lines += ["", "**No GPU: r1c-run on CUDA and the PyTorch timings were skipped.**"]
    lines += [""]
    if cases:
        lines += ["Models at **check size** (the full-size architectures with fewer layers, narrower "
                  "channels and a smaller vocabulary; `test/models/generate.py --size=check`), batch "
                  f"{cases[0]['batch']}:", ""]
        for model in MODELS:
            mine = [c for c in cases if c["model"] == model]
            if mine:
                dims = ", ".join(f"{k} {v}" for k, v in mine[0]["dims"].items())
                sizes = ", ".join(f"{c.get('variant', c['dtype'])} {c['weights']['bytes'] / 1e6:.2f} MB of weights"
                                  + (f" ({c['compile']['bytes'] / 1e6:.2f} MB artifact)"
                                     if c["compile"].get("bytes") else "") for c in mine)
                lines.append(f"- {model}: {dims}; {sizes}")
        lines.append("")

    lines += ["| model | dtype | result | max abs / rel error (r1c-run) | output norm error (tol) "
              "| r1c median / p90 ms | eager ms (p10–p90) | eager + copies ms | compile ms (compile s) "
              "| compile + copies ms | r1c / eager | r1c / compile |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        tol = row["tolerance"]
        element = "–"
        if row["max_abs_error"] is not None:
            element = (f"{fmt(row['max_abs_error'])} / {fmt(row['max_rel_error'])} "
                       f"({'ok' if row['elementwise_passed'] else 'over'} {tol['atol']:g}/{tol['rtol']:g})")
        eager = "–"
        if row["eager_median_ms"] is not None:
            eager = (f"{fmt(row['eager_median_ms'], '.3f')} "
                     f"({fmt(row['eager_p10_ms'], '.3f')}–{fmt(row['eager_p90_ms'], '.3f')})")
        compiled = "–"
        if row["compile_median_ms"] is not None:
            compiled = f"{fmt(row['compile_median_ms'], '.3f')} ({fmt(row['compile_seconds'], '.0f')} s)"
        r1c_time = "–"
        if row["r1c_median_ms"] is not None:
            r1c_time = f"{fmt(row['r1c_median_ms'], '.3f')} / {fmt(row['r1c_p90_ms'], '.3f')}"
        lines.append(f"| {row['model']} | {row['dtype']} | {row['result']} | {element} "
                     f"| {fmt(row['norm_rel_error'])} ({tol['norm_rtol']:g}) | {r1c_time} | {eager} "
                     f"| {fmt(row['eager_with_copies_median_ms'], '.3f')} | {compiled} "
                     f"| {fmt(row['compile_with_copies_median_ms'], '.3f')} "
                     f"| {fmt(row['r1c_over_eager'], '.2f')} | {fmt(row['r1c_over_compile'], '.2f')} |")
    notes = [(row["case"], n) for row in rows for n in row["notes"]]
    if notes:
        lines += ["", "Errors and notes:", ""]
        shared = {note for _, note in notes}
        if len(shared) == 1 and len(notes) == len(rows):
            lines += [f"- every case: {notes[0][1]}"]
        else:
            lines += [f"- {case}: {note}" for case, note in notes]
    torch_info = data["torch"]
    if torch_info.get("error"):
        lines += ["", f"PyTorch timings: {torch_info['error']}"]
    lines += ["", "How it was measured:", "",
              f"- r1c: `r1c-run ART.r1 --device=cuda --input ... --expected ... --atol A --rtol R --json "
              f"--bench {BENCH_RUNS}`: two untimed runs (the second one compared), then {BENCH_RUNS} timed, "
              "each the wall time of one run call on host buffers (inputs in, outputs back).",
              "- result: pass when every output's norm error ||got - want|| / ||want|| is within the "
              "tolerance (STYLE.md 13; float16 and tf32: 10 x float16's per-element rtol); the per-element "
              "check (atol/rtol) is shown beside it.",
              "- References: ONNX Runtime on the CPU where the artifacts were prepared, on the same "
              "random inputs (see each case's manifest.json in .gpucheck/).",
              "- PyTorch: `bench/onnx_torch.py` runs the same ONNX graph node by node with torch ops on "
              "CUDA, weights as buffers; TF32 off so float32 is float32 on both sides, and on for the "
              "tf32 rows (r1c `--tf32`). Eager and "
              "`torch.compile` (default mode): 10 warm-up runs, then "
              f"{BENCH_RUNS} timed with synchronize + perf_counter around each call, once with inputs "
              "and outputs on the GPU and once (+ copies) with inputs copied from and outputs to host "
              "memory, as r1c-run does; the ratios use the latter. Compile time is the first call's."]
    checked = [f"{r['case']} {fmt(r['eager_norm_rel_error'])}" for r in rows if r["eager_norm_rel_error"] is not None]
    if checked:
        lines.append("- Output norm error of eager PyTorch against the same reference, as a check of the "
                     "interpreter: " + ", ".join(checked) + ".")
    lines += shape_lines
    with open(os.path.join(args.out, "gpu-check.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="write .gpucheck (needs r1c, onnx, onnxruntime)")
    p.add_argument("--r1c", required=True)
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", required=True, help="scratch folder for the ONNX models")
    p.add_argument("--limit-mib", type=float, default=45)
    p.add_argument("--compile-timeout", type=float, default=600)
    p.add_argument("--keep-going", action="store_true", help="exit 0 when some artifacts are missing")
    p.add_argument("--target", default=TARGET,
                   help=f"r1c --target (default {TARGET}; host tries the scripts without a GPU)")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated models to prepare (default: all five; empty: none)")
    p.add_argument("--no-shapes", action="store_true", help="leave out the GEMM and convolution shapes")
    p.set_defaults(func=prepare)
    p = sub.add_parser("env", help="record GPU, driver and versions in WORK/env.json; exit 3 without a GPU")
    p.add_argument("--work", required=True)
    p.set_defaults(func=env)
    p = sub.add_parser("run-r1c", help="run every artifact with r1c-run on the GPU")
    p.add_argument("--r1c-run", required=True)
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", required=True)
    p.add_argument("--device", default="cuda", help="r1c-run --device (empty: leave it out)")
    p.add_argument("--bench", type=int, default=BENCH_RUNS)
    p.add_argument("--timeout", type=float, default=120, help="seconds per case")
    p.add_argument("--deadline", type=float, default=0, help="Unix time by which to stop starting cases")
    p.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    p.set_defaults(func=run_r1c)
    p = sub.add_parser("report", help="write gpu-check.md and gpu-check.json")
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=report)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
