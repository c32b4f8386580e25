#!/usr/bin/env python3
"""Runs r1c's GPU artifacts through the runtime on the fake GPU driver and
compares them with ONNX Runtime.

For each small model below, r1c compiles an artifact for sm_90 and gfx90a
and, with the same options, prints the kernels (--emit=kernels), from which
build_fake_kernels.py builds one kernel library per architecture. r1c-run
then runs the artifact with --device=cuda and --device=hip, its driver
library being the fake one (fake_gpu_driver.cpp), which runs the kernels on
the CPU with simt.h: so the runtime's whole GPU path (device selection,
section choice, module loading, arena, copies, launches, graph capture,
padding of a smaller batch into its shape bucket) runs, everything but the
GPU itself. Outputs are compared with ONNX Runtime's on the same random
inputs, with tolerances per element type (simulate_kernels.TOLERANCES).

Besides: without a device, and with a driver library that does not exist,
a run must fail and say so; and in two runs of a session the second must
replay the captured graph, launching no kernel outside it (the driver's
event log shows this), and free all device memory by the end; and three
sessions of one model, running at once, must agree and share one upload
of the weights; and with --weights=external one side file, valid
safetensors, must serve the host and both GPUs to the same outputs.

Exits 77 (a CTest skip), saying why, when NVRTC or hipRTC is missing.

Usage: run_on_fake_gpu.py --r1c PATH --r1c-run PATH --fake-driver LIB
                          [--work DIR] [--cases a,b] [--jobs N]
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.parser
import onnxruntime as ort
import safetensors.numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import artifact_sections  # noqa: E402
import build_fake_kernels  # noqa: E402
from simulate_kernels import compare, parse_launches  # noqa: E402

SKIP = 77
# The artifacts hold host code too, which then reads the weights from the
# WEIGHTS section the GPU code reads (one copy); kernels print for the GPUs.
TARGETS = "host,sm_90,gfx90a"
KERNEL_TARGETS = "sm_90,gfx90a"
# --device, the fake device's architecture, and the variable that names the
# driver library for the runtime.
DEVICES = [("cuda", "sm_90", "R1RT_CUDA_LIBRARY"), ("hip", "gfx90a", "R1RT_HIP_LIBRARY")]

HEADER = '<ir_version: 8, opset_import: ["" : 17]>\n'


def case(name, body, dtype="float", weights=(), dims=(), feeds=None):
    """A model from ONNX text; {T} is the element type. `weights` names
    inputs that become initializers (random, scaled by 1/sqrt of their
    first dim, as a layer's weights are). `dims` are r1c --dim options;
    `feeds` gives a run's input shapes where the model's are symbolic."""
    return {"name": name, "text": HEADER + body.replace("{T}", dtype), "weights": weights,
            "dims": list(dims), "feeds": feeds or {}}


def both(name, body, **kwargs):
    return [case(f"{name}_f32", body, "float", **kwargs),
            case(f"{name}_f16", body, "float16", **kwargs)]


CASES = [
    # A matrix product with a bias and the Erf form of Gelu fused after it.
    *both("matmul_gelu", """
g ({T}[12, 64] x, {T}[64, 40] w, {T}[40] b) => ({T}[12, 40] y) {
  m = MatMul (x, w)
  a = Add (m, b)
  s32 = Constant <value = float {0.70710678}> ()
  half32 = Constant <value = float {0.5}> ()
  one32 = Constant <value = float {1.0}> ()
  s = CastLike (s32, a)
  half = CastLike (half32, a)
  one = CastLike (one32, a)
  d = Mul (a, s)
  e = Erf (d)
  p = Add (e, one)
  q = Mul (a, p)
  y = Mul (q, half)
}""", weights=("w",)),
    *both("conv_relu_pool", """
g ({T}[2, 3, 12, 12] x, {T}[8, 3, 3, 3] w, {T}[8] b) => ({T}[2, 8, 6, 6] y) {
  c = Conv <pads = [1, 1, 1, 1]> (x, w, b)
  r = Relu (c)
  y = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (r)
}"""),
    *both("softmax_layernorm", """
g ({T}[6, 96] x, {T}[96] scale, {T}[96] bias) => ({T}[6, 96] s, {T}[6, 96] n) {
  s = Softmax <axis = -1> (x)
  n = LayerNormalization <axis = -1> (x, scale, bias)
}"""),
    *both("reduce", """
g ({T}[4, 10, 24] x) => ({T}[4, 24] m, {T}[4, 10, 1] k) {
  m = ReduceMean <axes = [1], keepdims = 0> (x)
  k = ReduceMax <axes = [2], keepdims = 1> (x)
}"""),
    *both("transpose_reshape", """
g ({T}[2, 3, 4, 5] x) => ({T}[2, 4, 15] y) {
  t = Transpose <perm = [0, 2, 1, 3]> (x)
  shape = Constant <value = int64[3] {2, 4, 15}> ()
  r = Reshape (t, shape)
  y = Sigmoid (r)
}"""),
    # Weights travel in the artifact and are uploaded when a session starts.
    *both("mlp_weights", """
g ({T}[8, 32] x, {T}[32, 48] w1, {T}[48] b1, {T}[48, 16] w2, {T}[16] b2) => ({T}[8, 16] y) {
  h = MatMul (x, w1)
  hb = Add (h, b1)
  r = Relu (hb)
  o = MatMul (r, w2)
  y = Add (o, b2)
}""", weights=("w1", "b1", "w2", "b2")),
    # Enough 128 x 128 tiles to fill an H200 take the pipelined template's
    # largest tile, whose 64 KB of dynamic shared memory CUDA allows only
    # after cuFuncSetAttribute (the fake driver refuses it otherwise).
    case("matmul_wide_tiles_f16", """
g (float16[1536, 32] x, float16[32, 1536] w) => (float16[1536, 1536] y) {
  y = MatMul (x, w)
}""", weights=("w",)),
    # One 64 x 64 tile over K = 2048: K split in slices whose partial
    # products go through the kernel's scratch in the arena, summed by a
    # second launch before the fused bias.
    case("matmul_split_k_f16", """
g (float16[64, 2048] x, float16[2048, 64] w, float16[64] b) => (float16[64, 64] y) {
  m = MatMul (x, w)
  y = Add (m, b)
}""", weights=("w", "b")),
    # Results whose size depends on the data: x[x > 0] as torch exports it
    # (NonZero, Transpose, GatherND), doubled. The launches leave the dims
    # in the arena and the runtime reads them back with the elements.
    case("data_sized", """
g (float[6, 7] x) => (float[n] y, int64[n, 2] idx) {
  zero = Constant <value = float {0.0}> ()
  two = Constant <value = float {2.0}> ()
  m = Greater (x, zero)
  nz = NonZero (m)
  idx = Transpose (nz)
  g = GatherND (x, idx)
  y = Mul (g, two)
}"""),
    # Buckets of 2 and 4 rows; a batch of 3 runs padded in the bucket of 4.
    case("symbolic_batch", """
g (float[N, 32] x, float[32, 16] w, float[16] b) => (float[N, 16] y) {
  m = MatMul (x, w)
  a = Add (m, b)
  y = Softmax <axis = -1> (a)
}""", weights=("w", "b"), dims=["--dim", "N=2,4"], feeds={"x": [3, 32]}),
]


class MissingCompiler(Exception):
    """NVRTC or hipRTC is not installed: the run is skipped, not failed."""


def build_model(spec, rng):
    if "path" in spec:
        return onnx.load(spec["path"])
    model = onnx.parser.parse_model(spec["text"])
    for name in spec["weights"]:
        value = next(v for v in model.graph.input if v.name == name)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type)
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        data = rng.standard_normal(shape) / np.sqrt(shape[0])
        model.graph.initializer.append(onnx.numpy_helper.from_array(data.astype(dtype), name))
        model.graph.input.remove(value)
    onnx.checker.check_model(model)
    return model


def random_feeds(model, spec, rng):
    """Standard normal floats; integers (token ids and types of the --models
    transformers) in [0, 2), valid for any vocabulary, and an attention mask
    that pads the last quarter."""
    feeds = {}
    for value in model.graph.input:
        tensor_type = value.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type)
        shape = spec["feeds"].get(value.name) or [d.dim_value for d in tensor_type.shape.dim]
        if np.issubdtype(dtype, np.integer):
            feeds[value.name] = rng.integers(0, 2, shape).astype(dtype)
            if "mask" in value.name:
                feeds[value.name][...] = 1
                feeds[value.name][..., shape[-1] - shape[-1] // 4:] = 0
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def compile_model(args, model_path, spec, work):
    """The artifact, and the printed kernels with a library per architecture."""
    base = [args.r1c, model_path, *spec["dims"], "--no-progress"]
    artifact = os.path.join(work, "model")
    kernel_dir = os.path.join(work, "kernels")
    for command in ([*base, f"--target={TARGETS}", "-o", artifact],
                    [*base, f"--target={KERNEL_TARGETS}", "--emit=kernels", "-o", kernel_dir]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            if re.search(r"(NVRTC|hipRTC) is needed for", result.stderr):
                raise MissingCompiler(result.stderr.strip())
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    libraries = {}
    for _, arch, _ in DEVICES:
        libraries[arch] = os.path.join(kernel_dir, f"kernels.{arch}.so")
        build_fake_kernels.build(kernel_dir, arch, libraries[arch])
    return artifact + ".r1", kernel_dir, libraries


def device_environment(args, device, arch, variable, libraries, log=None):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("R1C_FAKE_GPU_", "R1RT_CUDA_", "R1RT_HIP_"))}
    environment.update({variable: args.fake_driver, "R1C_FAKE_GPU_ARCH": arch,
                        "R1C_FAKE_GPU_KERNELS": libraries[arch]})
    if log:
        environment["R1C_FAKE_GPU_LOG"] = log
    return environment


def run_device(args, artifact, device, environment, inputs, extra=()):
    command = [args.r1c_run, artifact, f"--device={device}", *extra]
    for path in inputs:
        command += ["--input", path]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)


def prepare_case(args, spec, work, seed):
    """For the checks: the model of `spec` with weights from `seed`, saved
    and compiled in `work` (compile_model), and random inputs saved there.
    Returns the model, its path, the artifact, the kernel folder, the kernel
    libraries and the input paths."""
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(seed)
    model = build_model(spec, rng)
    model_path = os.path.join(work, "model.onnx")
    onnx.save(model, model_path)
    artifact, kernel_dir, libraries = compile_model(args, model_path, spec, work)
    inputs = []
    for index, value in enumerate(random_feeds(model, spec, rng).values()):
        inputs.append(os.path.join(work, f"input_{index}.npy"))
        np.save(inputs[-1], value)
    return model, model_path, artifact, kernel_dir, libraries, inputs


def run_case(spec, args):
    """Runs one model on both fake devices and on the host; returns what
    went wrong."""
    name = spec["name"]
    # One folder per case, kept between runs: unchanged kernels are not
    # rebuilt (build_fake_kernels.py).
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(2024)
    model = build_model(spec, rng)
    model_path = os.path.join(work, name + ".onnx")
    onnx.save(model, model_path)
    artifact, _, libraries = compile_model(args, model_path, spec, work)
    feeds = random_feeds(model, spec, rng)
    expected = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"]).run(None, feeds)
    inputs = []
    for index, value in enumerate(model.graph.input):
        inputs.append(os.path.join(work, f"input_{index}.npy"))
        np.save(inputs[-1], feeds[value.name])
    problems = shared_weights_problems(name, artifact)
    for device, arch, variable in DEVICES:
        outputs = os.path.join(work, f"outputs.{device}")
        shutil.rmtree(outputs, ignore_errors=True)  # no output of an earlier run may pass
        environment = device_environment(args, device, arch, variable, libraries)
        result = run_device(args, artifact, device, environment, inputs,
                            ["--save-outputs", outputs])
        if result.returncode != 0:
            problems.append(f"{name} [{device}]: r1c-run failed: "
                            f"{(result.stderr or result.stdout).strip()[-2000:]}")
            continue
        for index, reference in enumerate(expected):
            path = os.path.join(outputs, f"output_{index}.npy")
            if not os.path.exists(path):
                problems.append(f"{name} [{device}]: no {path}")
                continue
            check = compare_model if "path" in spec else compare
            problem = check(f"{name} [{device}] output {index}", np.load(path), reference)
            if problem:
                problems.append(problem)
    problems += host_problems(args, name, spec, model_path, artifact, inputs, len(expected), work)
    return problems


# Whole models (--models): the relative error of each output's norm, as
# scripts/gpu_check.py judges them (STYLE.md's per-element tolerances hold
# for single ops; rounding to f16 after every op drifts across layers).
MODEL_NORM_RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4}


def compare_model(name, ours, reference):
    if ours.dtype != reference.dtype or ours.shape != reference.shape:
        return f"{name}: got {ours.dtype}{list(ours.shape)}, expected {reference.dtype}{list(reference.shape)}"
    if ours.dtype not in MODEL_NORM_RTOL:
        return compare(name, ours, reference)
    a, b = ours.astype(np.float64), reference.astype(np.float64)
    if not np.isfinite(a).all():
        return f"{name}: {int((~np.isfinite(a)).sum())} elements are not finite"
    error = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
    if error > MODEL_NORM_RTOL[ours.dtype]:
        return (f"{name}: the norm of the difference is {error:.2e} of the reference's, over "
                f"{MODEL_NORM_RTOL[ours.dtype]:g}")
    print(f"     {name}: norm error {error:.2e} (bound {MODEL_NORM_RTOL[ours.dtype]:g}); "
          f"{compare(name, ours, reference) or 'every element within the per-op tolerance'}",
          flush=True)
    return None


def host_problems(args, name, spec, model_path, artifact, inputs, count, work):
    """The artifact's host code reads the weights from the WEIGHTS section
    the GPU code reads; its outputs must equal, bit for bit, those of host
    code with the weights inside it (--target=host alone). How host code
    compares with ONNX Runtime is the host tests' business."""
    alone = os.path.join(work, "host_only")
    result = subprocess.run([args.r1c, model_path, "--target=host", *spec["dims"], "--no-progress",
                             "-o", alone], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        return [f"{name} [host]: r1c --target=host failed: {result.stderr.strip()[-1000:]}"]
    saved = {}
    for label, path in (("shared", artifact), ("alone", alone + ".r1")):
        saved[label] = os.path.join(work, f"outputs.host.{label}")
        shutil.rmtree(saved[label], ignore_errors=True)
        result = run_device(args, path, "host", dict(os.environ), inputs,
                            ["--save-outputs", saved[label]])
        if result.returncode != 0:
            return [f"{name} [host, {label}]: r1c-run failed: "
                    f"{(result.stderr or result.stdout).strip()[-1000:]}"]
    for index in range(count):
        ours, theirs = (np.load(os.path.join(saved[label], f"output_{index}.npy"))
                        for label in ("shared", "alone"))
        if ours.dtype != theirs.dtype or not np.array_equal(ours, theirs, equal_nan=True):
            return [f"{name} [host] output {index}: reading the WEIGHTS section gives other "
                    "outputs than weights in the code"]
    return []


def shared_weights_problems(name, artifact):
    """A host and GPU artifact keeps one copy of the weights: the WEIGHTS
    section, which the host code's reference names with an empty file name
    (docs/design/artifact-format.md)."""
    found = {(kind, section): (offset, size)
             for kind, section, offset, size in artifact_sections.sections(artifact)}
    if ("WEIGHTS", "weights") not in found:
        return []  # a model without weights
    reference = found.get(("EXTERNAL_WEIGHTS_REF", "weights"))
    if not reference:
        return [f"{name}: the host code does not read the WEIGHTS section (no weights reference)"]
    with open(artifact, "rb") as f:
        f.seek(reference[0])
        payload = f.read(reference[1])
    name_length, = struct.unpack_from("<I", payload)
    size, = struct.unpack_from("<Q", payload, 4 + name_length)
    if name_length != 0 or size != found[("WEIGHTS", "weights")][1]:
        return [f"{name}: the weights reference names a {name_length}-byte file name and "
                f"{size} bytes, not the {found[('WEIGHTS', 'weights')][1]}-byte WEIGHTS section"]
    return []


def check_failures(args, artifact, libraries, inputs):
    """Runs that must fail, and what their messages must name."""
    checks = {}
    for device, arch, variable in DEVICES:
        environment = device_environment(args, device, arch, variable, libraries)
        del environment["R1C_FAKE_GPU_ARCH"]
        result = run_device(args, artifact, device, environment, inputs)
        message = (result.stderr + result.stdout).strip()
        checks[f"no_device_{device}"] = (
            "the run succeeded" if result.returncode == 0 else
            None if re.search(r"no \w* ?device", message, re.I) else
            f"the message does not say there is no device: {message[-500:]}")
        missing = f"/nonexistent/{os.path.basename(args.fake_driver)}"
        environment = device_environment(args, device, arch, variable, libraries)
        environment[variable] = missing
        result = run_device(args, artifact, device, environment, inputs)
        message = (result.stderr + result.stdout).strip()
        checks[f"missing_library_{device}"] = (
            "the run succeeded" if result.returncode == 0 else
            None if missing in message else
            f"the message does not name {missing}: {message[-500:]}")
    return checks


def check_graph_replay(args, artifact, kernel_dir, libraries, inputs, work):
    """Two runs of one session (--bench 1): after the capture, kernels run
    only as graph replays, one capture holds the whole launch list, and
    all device memory is freed at the end."""
    checks = {}
    for device, arch, variable in DEVICES:
        log = os.path.join(work, f"events.{device}.log")
        if os.path.exists(log):
            os.remove(log)
        environment = device_environment(args, device, arch, variable, libraries, log)
        result = run_device(args, artifact, device, environment, inputs, ["--bench", "1"])
        name = f"graph_replay_{device}"
        if result.returncode != 0:
            checks[name] = f"r1c-run failed: {(result.stderr or result.stdout).strip()[-1000:]}"
            continue
        with open(log, encoding="utf-8") as f:
            events = [line.split() for line in f if line.strip()]
        kinds = [words[0] for words in events]
        _, launches, _ = parse_launches(os.path.join(kernel_dir, f"launches.{arch}.txt"))
        problem = None
        if kinds.count("capture-begin") != 1 or "capture-end" not in kinds:
            problem = f"{kinds.count('capture-begin')} captures in two runs, expected 1"
        else:
            end = kinds.index("capture-end")
            after = kinds[end + 1:]
            if int(events[end][1]) != len(launches):
                problem = f"the graph holds {events[end][1]} launches, the plan {len(launches)}"
            elif "launch" in after:
                problem = "a kernel was launched outside the graph after the capture"
            elif "graph-launch" not in after:
                problem = "the graph was never launched"
            elif kinds.count("alloc") != kinds.count("free"):
                problem = (f"{kinds.count('alloc')} allocations and {kinds.count('free')} frees "
                           "(device memory leaked)")
        checks[name] = problem and f"{problem}; events in {log}"
    return checks


def check_shared_weights(args, artifact, libraries, work, sessions=3):
    """Several sessions of one model on one GPU at once: their outputs agree
    (r1c-shared-weights), the weights are allocated and uploaded once for
    all of them, and all device memory is freed by the end."""
    weights = next((size for kind, _, _, size in artifact_sections.sections(artifact)
                    if kind == "WEIGHTS"), 0)
    checks = {}
    for device, arch, variable in DEVICES:
        name = f"shared_weights_{device}"
        log = os.path.join(work, f"events.shared.{device}.log")
        if os.path.exists(log):
            os.remove(log)
        environment = device_environment(args, device, arch, variable, libraries, log)
        result = subprocess.run([args.shared_weights, artifact, device, str(sessions)],
                                capture_output=True, text=True, env=environment, timeout=600)
        if result.returncode != 0 or f"{sessions} sessions agree" not in result.stdout:
            checks[name] = f"r1c-shared-weights failed: {(result.stderr + result.stdout).strip()[-1000:]}"
            continue
        with open(log, encoding="utf-8") as f:
            events = [line.split() for line in f if line.strip()]
        uploads = sum(1 for e in events if e[:2] == ["htod", str(weights)])
        allocations = sum(1 for e in events if e[:2] == ["alloc", str(weights)])
        kinds = [e[0] for e in events]
        problem = None
        if not weights:
            problem = "the artifact has no WEIGHTS section"
        elif uploads != 1 or allocations != 1:
            problem = (f"{sessions} sessions allocated the {weights} bytes of weights {allocations} "
                       f"times and uploaded them {uploads} times, expected once")
        elif kinds.count("alloc") != kinds.count("free"):
            problem = (f"{kinds.count('alloc')} allocations and {kinds.count('free')} frees "
                       "(device memory leaked)")
        checks[name] = problem and f"{problem}; events in {log}"
    return checks


def read_safetensors(path):
    """The header's tensors as (name, dtype, begin, end) in data order, and
    the data: where each tensor lies, which the safetensors library does not
    say."""
    with open(path, "rb") as f:
        blob = f.read()
    length, = struct.unpack_from("<Q", blob)
    header = json.loads(blob[8:8 + length])
    tensors = sorted(((name, v["dtype"], *v["data_offsets"]) for name, v in header.items()
                      if name != "__metadata__"), key=lambda t: t[2])
    return tensors, blob[8 + length:]


def side_file_problems(model, path):
    """The side file of a GPU artifact: the safetensors library reads it (so
    its tensors cover the data without holes), every weight is 64-byte
    aligned and holds the model's values, and the gaps are zero-filled
    padding tensors."""
    try:
        loaded = safetensors.numpy.load_file(path)
    except Exception as e:  # the library's own error says what is wrong
        return [f"{path}: the safetensors library refuses it: {e}"]
    tensors, _ = read_safetensors(path)
    problems = []
    for name, _, begin, _ in tensors:
        if name.startswith("__r1c_padding_"):
            if loaded[name].dtype != np.uint8 or loaded[name].any():
                problems.append(f"padding tensor {name} is not zero bytes")
        elif begin % 64:
            problems.append(f"{name} at offset {begin} is not 64-byte aligned")
    for initializer in model.graph.initializer:
        want = onnx.numpy_helper.to_array(initializer)
        got = loaded.get(initializer.name)
        if got is None or got.dtype != want.dtype or not np.array_equal(got, want):
            problems.append(f"{initializer.name} does not hold the model's values")
    return [f"{path}: {problem}" for problem in problems]


# Weights whose sizes are not multiples of 64 bytes, so the side file needs
# padding between them.
EXTERNAL_CASE = case("external_weights", """
g (float[4, 10] x, float[10, 6] w1, float[6] b1, float[6, 3] w2, float[3] b2) => (float[4, 3] y) {
  h = MatMul (x, w1)
  hb = Add (h, b1)
  r = Relu (hb)
  o = MatMul (r, w2)
  y = Add (o, b2)
}""", weights=("w1", "b1", "w2", "b2"))


def check_external_weights(args):
    """--weights=external with host and GPU targets: the artifact holds no
    weights, one side file serves the host and both GPUs, each device's
    outputs equal bit for bit those of the embedded artifact, the weights are
    uploaded once, and a missing side file fails the GPU run by name."""
    work = os.path.join(args.work, "external_weights")
    model, model_path, _, _, libraries, inputs = prepare_case(args, EXTERNAL_CASE, work, 11)
    embedded = os.path.join(work, "embedded")
    external = os.path.join(work, "external")
    for base, extra in ((embedded, []), (external, ["--weights=external"])):
        result = subprocess.run([args.r1c, model_path, f"--target={TARGETS}", "--no-progress",
                                 *extra, "-o", base], capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            return {"external_weights": f"r1c {' '.join(extra)} failed: {result.stderr.strip()}"}
    found = {kind for kind, _, _, _ in artifact_sections.sections(external + ".r1")}
    problems = []
    if "WEIGHTS" in found or "EXTERNAL_WEIGHTS_REF" not in found:
        problems.append(f"the artifact's sections are {sorted(found)}: expected a weights "
                        "reference and no WEIGHTS section")
    problems += side_file_problems(model, external + ".safetensors")
    data_size = len(read_safetensors(external + ".safetensors")[1])
    for device, arch, variable in [*DEVICES, ("host", None, None)]:
        saved = {}
        log = os.path.join(work, f"events.external.{device}.log")
        for label, base in (("embedded", embedded), ("external", external)):
            environment = (device_environment(args, device, arch, variable, libraries, log)
                           if arch else dict(os.environ))
            if os.path.exists(log):
                os.remove(log)
            saved[label] = os.path.join(work, f"outputs.{label}.{device}")
            shutil.rmtree(saved[label], ignore_errors=True)
            result = run_device(args, base + ".r1", device, environment, inputs,
                                ["--save-outputs", saved[label]])
            if result.returncode != 0:
                problems.append(f"[{device}, {label}] r1c-run failed: "
                                f"{(result.stderr or result.stdout).strip()[-1000:]}")
                break
        else:
            ours, theirs = (np.load(os.path.join(saved[label], "output_0.npy"))
                            for label in ("external", "embedded"))
            if not np.array_equal(ours, theirs, equal_nan=True):
                problems.append(f"[{device}] the side file gives other outputs than the "
                                "embedded weights")
            if arch:
                with open(log, encoding="utf-8") as f:
                    uploads = sum(1 for line in f if line.split()[:2] == ["htod", str(data_size)])
                if uploads != 1:
                    problems.append(f"[{device}] the {data_size} bytes of the side file were "
                                    f"uploaded {uploads} times, expected once")
    os.remove(external + ".safetensors")
    device, arch, variable = DEVICES[0]
    result = run_device(args, external + ".r1", device,
                        device_environment(args, device, arch, variable, libraries), inputs)
    message = (result.stderr + result.stdout).strip()
    if result.returncode == 0 or "external.safetensors" not in message:
        problems.append(f"without its side file the {device} run did not fail naming it: "
                        f"{message[-500:]}")
    return {"external_weights": "; ".join(problems) or None}


# Which code a GPU runs, per API: the artifact's targets; per device
# architecture, the kernels it runs and what the runtime must say it loaded;
# and a device older than every section, which must be refused.
SECTION_CHOICES = {
    # An exact cubin, a cubin of the same major version below it, or PTX of
    # an older sm that the driver compiles.
    "cuda": ("sm_80,sm_90", [("sm_90", "sm_90", "cubin for sm_90"),
                             ("sm_86", "sm_80", "cubin for sm_80"),
                             ("sm_100", "sm_90", "PTX of sm_90")], "sm_75"),
    # The code object that loads; gfx942's is built by r1c's own LLVM
    # where hipRTC does not know gfx942.
    "hip": ("gfx90a,gfx942", [("gfx90a", "gfx90a", "code object for gfx90a"),
                              ("gfx942", "gfx942", "code object for gfx942")], "gfx908"),
}


def check_section_choice(args, model_path, expected, inputs, work, device):
    """Which section a GPU of each architecture runs (SECTION_CHOICES);
    outputs must match in every case, and a GPU older than every section
    is refused with advice to recompile for it."""
    targets, choices, older = SECTION_CHOICES[device]
    variable = next(v for d, _, v in DEVICES if d == device)
    artifact = os.path.join(work, f"choice_{device}")
    kernel_dir = os.path.join(work, f"choice_{device}_kernels")
    for command in ([args.r1c, model_path, f"--target={targets}", "--no-progress", "-o",
                     artifact],
                    [args.r1c, model_path, f"--target={targets}", "--no-progress",
                     "--emit=kernels", "-o", kernel_dir]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return {f"section_choice_{device}":
                    f"{' '.join(command)} failed: {result.stderr.strip()}"}
    libraries = {}
    for arch in targets.split(","):
        libraries[arch] = os.path.join(kernel_dir, f"kernels.{arch}.so")
        build_fake_kernels.build(kernel_dir, arch, libraries[arch])
    checks = {}
    for device_arch, kernels, loaded in choices:
        name = f"section_choice_{device_arch}"
        environment = device_environment(args, device, kernels, variable, libraries)
        environment["R1C_FAKE_GPU_ARCH"] = device_arch
        outputs = os.path.join(work, f"outputs.{device_arch}")
        shutil.rmtree(outputs, ignore_errors=True)
        result = run_device(args, artifact + ".r1", device, environment, inputs,
                            ["--save-outputs", outputs])
        message = (result.stderr + result.stdout).strip()
        if result.returncode != 0:
            checks[name] = f"r1c-run failed: {message[-1000:]}"
        elif loaded not in message:
            checks[name] = f"expected '{loaded}' in: {message[-500:]}"
        else:
            checks[name] = compare(f"{name} output 0",
                                   np.load(os.path.join(outputs, "output_0.npy")), expected[0])
    environment = device_environment(args, device, choices[0][1], variable, libraries)
    environment["R1C_FAKE_GPU_ARCH"] = older
    result = run_device(args, artifact + ".r1", device, environment, inputs)
    message = (result.stderr + result.stdout).strip()
    checks[f"section_choice_{older}"] = (
        "the run succeeded on a GPU older than every section" if result.returncode == 0 else
        None if "--target" in message and older in message else
        f"no advice to recompile: {message[-500:]}")
    return checks


def run_checks(args):
    """The failure and replay checks, on the first model."""
    work = os.path.join(args.work, "checks")
    model, model_path, artifact, kernel_dir, libraries, inputs = prepare_case(
        args, CASES[0], work, 7)
    checks = check_failures(args, artifact, libraries, inputs)
    checks.update(check_graph_replay(args, artifact, kernel_dir, libraries, inputs, work))
    checks.update(check_shared_weights(args, artifact, libraries, work))
    checks.update(check_external_weights(args))
    feeds = {value.name: np.load(path) for value, path in zip(model.graph.input, inputs)}
    expected = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"]).run(None, feeds)
    for device, _, _ in DEVICES:
        checks.update(check_section_choice(args, model_path, expected, inputs, work, device))
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--fake-driver", required=True, help="libr1c_fake_gpu.so")
    parser.add_argument("--shared-weights", required=True, help="r1c-shared-weights")
    parser.add_argument("--cases", default="", help="comma list of case names (default: all)")
    parser.add_argument("--models", default="",
                        help="comma list of ONNX files to run instead of the cases (their "
                             "names are the cases')")
    parser.add_argument("--work", default=None, help="where to keep the files (default: temp)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    args.fake_driver = os.path.abspath(args.fake_driver)
    if not os.path.exists(args.fake_driver):
        print(f"{args.fake_driver} does not exist")
        return 1
    chosen = set(filter(None, args.cases.split(",")))
    cases = [c for c in CASES if not chosen or c["name"] in chosen]
    if args.models:
        cases = [{"name": os.path.splitext(os.path.basename(path))[0], "path": os.path.abspath(path),
                  "weights": (), "dims": [], "feeds": {}} for path in args.models.split(",")]
        chosen = {c["name"] for c in cases}
    if args.work:
        os.makedirs(args.work, exist_ok=True)
    else:
        args.work = tempfile.mkdtemp(prefix="r1c-fake-gpu-")
    start = time.time()
    passed = failed = 0

    def report(name, problems, seconds):
        nonlocal passed, failed
        passed, failed = passed + (not problems), failed + bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {name} ({seconds:.1f} s)", flush=True)
        for problem in problems:
            print(f"     {problem}", flush=True)

    def timed(function, *arguments):
        begin = time.time()
        try:
            return function(*arguments), time.time() - begin
        except MissingCompiler:
            raise
        except Exception as e:  # one broken case must not hide the others
            return e, time.time() - begin

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            checks = pool.submit(timed, run_checks, args) if not chosen else None
            runs = [(c["name"], pool.submit(timed, run_case, c, args)) for c in cases]
            for name, future in runs:
                problems, seconds = future.result()
                report(name, [str(problems)] if isinstance(problems, Exception) else problems,
                       seconds)
            if checks:
                results, seconds = checks.result()
                if isinstance(results, Exception):
                    report("checks", [str(results)], seconds)
                else:
                    for name, problem in results.items():
                        report(name, [problem] if problem else [], seconds)
    except MissingCompiler as e:
        print(f"skipped: {e}")
        return SKIP
    print(f"{passed} passed, {failed} failed ({time.time() - start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
