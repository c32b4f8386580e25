#!/usr/bin/env python3
"""Runs an ONNX model with PyTorch ops, to time r1c against PyTorch eager and torch.compile.

`OnnxModule(model)` is an nn.Module whose forward runs the graph's nodes in order
with torch ops; initializers are buffers, so `.to("cuda")` moves the weights and
`torch.compile(module)` traces the node loop into one graph (Dynamo unrolls it).
Shape arithmetic (Shape, and integer ops on constants) is folded when the module
is built where shapes are static, so forward holds only tensor work; a symbolic
dim leaves it to run time (eager runs it, Dynamo splits the graph there). It
covers the ops of the models test/models/generate.py writes.

  python3 bench/onnx_torch.py verify [--check-dir .gpucheck] [--work DIR] [--device cpu]
      runs every case of the check folder eagerly and compares with its
      reference outputs (ONNX Runtime); exits 1 when an output is off
  python3 bench/onnx_torch.py bench --check-dir .gpucheck --work DIR --out FILE.json
      [--runs 50] [--compile-timeout 120] [--deadline UNIX_TIME]
      regenerates each case's model, times eager and torch.compile on CUDA, with
      inputs and outputs on the device and with host copies around each call
      (writing FILE.json after every step, so a run stopped early keeps what it had)
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

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

# The .gpucheck reader and the error measure, shared with the report.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import gpu_check  # noqa: E402
from gpu_check import norm_rel_error  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

ONNX_TO_TORCH = {
    onnx.TensorProto.FLOAT: torch.float32, onnx.TensorProto.FLOAT16: torch.float16,
    onnx.TensorProto.BFLOAT16: torch.bfloat16, onnx.TensorProto.DOUBLE: torch.float64,
    onnx.TensorProto.INT64: torch.int64, onnx.TensorProto.INT32: torch.int32,
    onnx.TensorProto.INT8: torch.int8, onnx.TensorProto.UINT8: torch.uint8, onnx.TensorProto.BOOL: torch.bool,
}


# ---------------------------------------------------------------------------
# Ops. Each takes (node attributes, opset, *inputs) and returns a tensor or a tuple.
# Inputs named in STATIC_INPUTS arrive as Python lists or scalars (they shape the
# computation and are constants in these models); the others as tensors, or as
# Python floats for scalar float constants, which torch treats like the tensor's
# own dtype, as PyTorch code writes them.
# ---------------------------------------------------------------------------


def _pads(attrs, rank):
    pads = attrs.get("pads", [0] * (2 * rank))
    begin, end = pads[:rank], pads[rank:]
    return begin, end


def _spatial_pad(x, attrs, rank, value=0.0):
    """Symmetric pads go to the torch op; asymmetric ones become an explicit F.pad."""
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise NotImplementedError(f"auto_pad={attrs['auto_pad']}")
    begin, end = _pads(attrs, rank)
    if begin == end:
        return x, tuple(begin)
    flat = []
    for b, e in zip(reversed(begin), reversed(end)):
        flat += [b, e]
    return F.pad(x, flat, value=value), (0,) * rank


def op_conv(a, opset, x, w, b=None):
    rank = w.dim() - 2
    x, padding = _spatial_pad(x, a, rank)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    return conv(x, w, b, stride=a.get("strides", [1] * rank), padding=padding,
                dilation=a.get("dilations", [1] * rank), groups=a.get("group", 1))


def op_max_pool(a, opset, x):
    rank = x.dim() - 2
    x, padding = _spatial_pad(x, a, rank, value=float("-inf"))
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[rank]
    return pool(x, a["kernel_shape"], a.get("strides", [1] * rank), padding,
                a.get("dilations", [1] * rank), bool(a.get("ceil_mode", 0)))


def op_average_pool(a, opset, x):
    rank = x.dim() - 2
    include = bool(a.get("count_include_pad", 0))
    begin, end = _pads(a, rank)
    if begin != end and not include:
        raise NotImplementedError("asymmetric pads with count_include_pad=0")
    x, padding = _spatial_pad(x, a, rank)
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[rank]
    return pool(x, a["kernel_shape"], a.get("strides", [1] * rank), padding, bool(a.get("ceil_mode", 0)),
                include)


def op_batch_norm(a, opset, x, scale, bias, mean, var):
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get("epsilon", 1e-5))


def op_layer_norm(a, opset, x, scale, bias=None):
    axis = a.get("axis", -1) % x.dim()
    return F.layer_norm(x, x.shape[axis:], scale, bias, a.get("epsilon", 1e-5))


def op_gemm(a, opset, x, w, c=None):
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    if a.get("transA", 0):
        x = x.t()
    if a.get("transB", 0) and alpha == 1.0 and (c is None or beta == 1.0):
        return F.linear(x, w, c)  # what nn.Linear runs
    y = x @ (w.t() if a.get("transB", 0) else w)
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return y


def op_softmax(a, opset, x):
    axis = a.get("axis", -1 if opset >= 13 else 1)
    if opset >= 13:
        return torch.softmax(x, axis)
    # Before opset 13 the input is flattened to 2-D at `axis`.
    axis %= x.dim()
    return torch.softmax(x.reshape(math.prod(x.shape[:axis]), -1), -1).reshape(x.shape)


def op_reduce_mean(a, opset, x, axes=None):
    if opset < 18:
        axes = a.get("axes")
    keep = bool(a.get("keepdims", 1))
    if not axes:
        if a.get("noop_with_empty_axes", 0):
            return x
        axes = list(range(x.dim()))
    return x.mean(dim=tuple(axes), keepdim=keep)


def op_reshape(a, opset, x, shape):
    if not a.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def op_flatten(a, opset, x):
    axis = a.get("axis", 1) % (x.dim() + 1) if x.dim() else 0
    return x.reshape(math.prod(x.shape[:axis]), -1)


def op_transpose(a, opset, x):
    return x.permute(a.get("perm", list(reversed(range(x.dim())))))


def op_gather(a, opset, x, indices):
    axis = a.get("axis", 0) % x.dim()
    if isinstance(indices, int):
        return x.select(axis, indices)
    if axis == 0 and x.dim() == 2 and x.is_floating_point():
        return F.embedding(indices, x)  # what nn.Embedding runs
    # Indices from the graph's inputs are taken as given (in range, not negative);
    # constant ones were normalized when the module was built.
    flat = x.index_select(axis, indices.reshape(-1))
    return flat.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


def op_unsqueeze(a, opset, x, axes=None):
    if opset < 13:
        axes = a["axes"]
    rank = x.dim() + len(axes)
    for axis in sorted(ax % rank for ax in axes):
        x = x.unsqueeze(axis)
    return x


def op_squeeze(a, opset, x, axes=None):
    if opset < 13:
        axes = a.get("axes")
    if axes is None:
        return x.squeeze()
    return x.squeeze(tuple(ax % x.dim() for ax in axes))


def op_concat(a, opset, *xs):
    return torch.cat(xs, a["axis"])


def op_split(a, opset, x, split=None, *, outputs):
    axis = a.get("axis", 0)
    if split is None:
        split = a.get("split")
    if split is None:
        count = a.get("num_outputs", outputs)
        size = -(-x.shape[axis] // count)
        split = [min(size, x.shape[axis] - i * size) for i in range(count)]
    return tuple(torch.split(x, list(split), axis))


def op_slice(a, opset, x, starts=None, ends=None, axes=None, steps=None):
    if opset < 10:
        starts, ends, axes = a["starts"], a["ends"], a.get("axes")
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step < 0:
            raise NotImplementedError("Slice with a negative step")
        index[axis % x.dim()] = slice(start, end, step)
    return x[tuple(index)]


def op_expand(a, opset, x, shape):
    return x.expand(torch.broadcast_shapes(tuple(x.shape), tuple(shape)))


def op_clip(a, opset, x, low=None, high=None):
    if opset < 11:
        low, high = a.get("min"), a.get("max")
    return torch.clamp(x, low, high)


def op_cast(a, opset, x):
    return x.to(ONNX_TO_TORCH[a["to"]])


def op_div(a, opset, x, y):
    if isinstance(x, torch.Tensor) and not x.is_floating_point() and not isinstance(y, float):
        return torch.div(x, y, rounding_mode="trunc")
    return x / y


def op_shape(a, opset, x):
    # Only reached for a tensor whose shape was not known when the module was built.
    shape = torch.tensor(x.shape, dtype=torch.int64)
    return shape[a.get("start", 0):a.get("end", None)]


def op_hard_sigmoid(a, opset, x):
    return torch.clamp(x * a.get("alpha", 0.2) + a.get("beta", 0.5), 0.0, 1.0)


OPS = {
    "Add": lambda a, o, x, y: x + y,
    "Sub": lambda a, o, x, y: x - y,
    "Mul": lambda a, o, x, y: x * y,
    "Div": op_div,
    "Pow": lambda a, o, x, y: torch.pow(x, y),
    "Sqrt": lambda a, o, x: torch.sqrt(x),
    "Erf": lambda a, o, x: torch.erf(x),
    "Tanh": lambda a, o, x: torch.tanh(x),
    "Relu": lambda a, o, x: torch.relu(x),
    "HardSwish": lambda a, o, x: F.hardswish(x),
    "HardSigmoid": op_hard_sigmoid,
    "Identity": lambda a, o, x: x,
    "Where": lambda a, o, c, x, y: torch.where(c, x, y),
    "MatMul": lambda a, o, x, y: torch.matmul(x, y),
    "Gemm": op_gemm,
    "Conv": op_conv,
    "MaxPool": op_max_pool,
    "AveragePool": op_average_pool,
    "GlobalAveragePool": lambda a, o, x: x.mean(dim=tuple(range(2, x.dim())), keepdim=True),
    "BatchNormalization": op_batch_norm,
    "LayerNormalization": op_layer_norm,
    "Softmax": op_softmax,
    "ReduceMean": op_reduce_mean,
    "Reshape": op_reshape,
    "Flatten": op_flatten,
    "Transpose": op_transpose,
    "Gather": op_gather,
    "Unsqueeze": op_unsqueeze,
    "Squeeze": op_squeeze,
    "Concat": op_concat,
    "Split": op_split,
    "Slice": op_slice,
    "Expand": op_expand,
    "Clip": op_clip,
    "Cast": op_cast,
    "Shape": op_shape,
}

# Inputs that shape the computation rather than feed it: passed as Python values.
STATIC_INPUTS = {
    "Reshape": {1}, "Unsqueeze": {1}, "Squeeze": {1}, "Split": {1}, "Slice": {1, 2, 3, 4},
    "Expand": {1}, "ReduceMean": {1}, "Clip": {1, 2},
}
# Ops evaluated when the module is built when all their inputs are constants there:
# shape arithmetic, which PyTorch code does on Python ints.
FOLDABLE = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Reshape", "Slice", "Identity",
            "Add", "Sub", "Mul", "Div", "Expand", "Flatten", "Transpose"}


# How forward gets a node input (OnnxModule's step specs).
CONST, REF, STATIC_REF = 0, 1, 2


def attributes(node):
    return {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}


def static_shapes(model):
    """Every value's shape where ONNX shape inference knows all of its dims."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for value in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = value.type.tensor_type.shape.dim
        if value.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[value.name] = [d.dim_value for d in dims]
    return shapes


class OnnxModule(torch.nn.Module):
    """An ONNX graph as a torch module (see the file's docstring)."""

    def __init__(self, model):
        super().__init__()
        graph = model.graph
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.input_names = [i.name for i in graph.input if i.name not in {t.name for t in graph.initializer}]
        self.output_names = [o.name for o in graph.output]
        shapes = static_shapes(model)

        # Constants known when the module is built: initializers and folded shape arithmetic.
        consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
        nodes = []
        for node in graph.node:
            if node.domain not in ("", "ai.onnx"):
                raise NotImplementedError(f"node '{node.name}': domain '{node.domain}'")
            if node.op_type not in OPS:
                raise NotImplementedError(f"node '{node.name}': {node.op_type} is not supported by onnx_torch")
            attrs = attributes(node)
            if node.op_type == "Shape" and node.input[0] in shapes:
                shape = torch.tensor(shapes[node.input[0]], dtype=torch.int64)
                consts[node.output[0]] = shape[attrs.get("start", 0):attrs.get("end", None)]
                continue
            inputs = [n for n in node.input if n]
            if (node.op_type in FOLDABLE and inputs and all(n in consts for n in inputs)
                    and all(not consts[n].is_floating_point() for n in inputs)):
                args = self._args(node, consts)
                result = OPS[node.op_type](attrs, opset, *args)
                results = result if isinstance(result, tuple) else (result,)
                for name, value in zip(node.output, results):
                    consts[name] = value
                continue
            nodes.append((node, attrs))

        # How forward gets each input: a constant (Python values for static inputs and
        # float scalars), a tensor by name (buffers hold the other constants), or, for a
        # static input computed at run time (shapes of a symbolic batch), a tensor by
        # name turned into a list there, which eager handles and Dynamo splits the graph at.
        self.buffer_of = {}
        self.steps = []
        for node, attrs in nodes:
            spec = []
            for k, name in enumerate(node.input):
                if not name:
                    spec.append((CONST, None))
                elif name not in consts:
                    spec.append((STATIC_REF if k in STATIC_INPUTS.get(node.op_type, ()) else REF, name))
                elif k in STATIC_INPUTS.get(node.op_type, ()):
                    spec.append((CONST, consts[name].tolist()))
                elif consts[name].dim() == 0 and (consts[name].is_floating_point() or node.op_type == "Gather"):
                    value = consts[name].item()
                    if node.op_type == "Gather":
                        data_shape = shapes.get(node.input[0])
                        if value < 0 and data_shape:
                            value += data_shape[attrs.get("axis", 0)]
                    spec.append((CONST, value))
                else:
                    tensor = consts[name]
                    if node.op_type == "Gather" and k == 1 and node.input[0] in shapes:
                        size = shapes[node.input[0]][attrs.get("axis", 0)]
                        tensor = torch.where(tensor < 0, tensor + size, tensor)
                    if name not in self.buffer_of:
                        self.buffer_of[name] = f"c{len(self.buffer_of)}"
                        self.register_buffer(self.buffer_of[name], tensor)
                    spec.append((REF, name))
            while spec and spec[-1] == (CONST, None):
                spec.pop()
            run = OPS[node.op_type]
            extra = {"outputs": len(node.output)} if node.op_type == "Split" else {}
            self.steps.append((node.name, run, attrs, opset, tuple(spec), tuple(node.output), extra))
        # Outputs that are constants (none in these models) are returned as buffers.
        for name in self.output_names:
            if name in consts and name not in self.buffer_of:
                self.buffer_of[name] = f"c{len(self.buffer_of)}"
                self.register_buffer(self.buffer_of[name], consts[name])

    @staticmethod
    def _args(node, consts):
        args = []
        for k, name in enumerate(node.input):
            if not name:
                args.append(None)
            elif k in STATIC_INPUTS.get(node.op_type, ()):
                args.append(consts[name].tolist())
            elif node.op_type == "Gather" and consts[name].dim() == 0:
                args.append(int(consts[name]))
            else:
                args.append(consts[name])
        return args

    def forward(self, *inputs):
        env = dict(zip(self.input_names, inputs))
        for name, attr in self.buffer_of.items():
            env[name] = getattr(self, attr)
        for _, run, attrs, opset, spec, outputs, extra in self.steps:
            args = [value if kind == CONST else env[value] if kind == REF else env[value].tolist()
                    for kind, value in spec]
            result = run(attrs, opset, *args, **extra)
            if len(outputs) == 1:
                env[outputs[0]] = result
            else:
                for name, value in zip(outputs, result):
                    if name:
                        env[name] = value
        return tuple(env[name] for name in self.output_names)


# ---------------------------------------------------------------------------
# verify and bench over the check folder that scripts/gpu-check-prepare.sh writes
# ---------------------------------------------------------------------------


def first_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[0] if lines else ""


def compare(outputs, case, check_dir):
    """Norm error and max absolute error of each output against the case's reference."""
    result = []
    for got, item in zip(outputs, case["outputs"]):
        want = np.load(os.path.join(check_dir, item["file"]))
        got = got.detach().float().cpu().numpy()
        max_abs = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) \
            if got.shape == want.shape else float("nan")
        result.append({"name": item["name"], "norm_rel_error": norm_rel_error(got, want), "max_abs_error": max_abs})
    return result


def case_inputs(case, check_dir, device):
    return [torch.from_numpy(np.load(os.path.join(check_dir, item["file"]))).to(device) for item in case["inputs"]]


def generate_models(case, work, cache):
    """The case's ONNX model, regenerated with the seeds prepare used; one generate.py call per dtype."""
    dtype = case["dtype"]
    out = os.path.join(work, "onnx", dtype)
    if dtype not in cache:
        models = sorted({c for c in cache.get("_models", [])})
        cmd = [sys.executable, os.path.join(ROOT, "test", "models", "generate.py"), "--size=check",
               f"--dtype={dtype}", "--out", out, "--no-check", "--models", ",".join(models)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        cache[dtype] = None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]
    if cache[dtype]:
        raise RuntimeError(f"generate.py --dtype={dtype} failed: {cache[dtype]}")
    return os.path.join(out, case["model"] + ".onnx")


def weights_sha256(model):
    import hashlib

    digest = hashlib.sha256()
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init)
        digest.update(f"{init.name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def verify(args):
    _, cases = gpu_check.load_cases(args.check_dir)
    cache = {"_models": [c["model"] for c in cases]}
    failed = 0
    for case in cases:
        path = generate_models(case, args.work, cache)
        model = onnx.load(path)
        same = weights_sha256(model) == case["weights"]["sha256"]
        module = OnnxModule(model).to(args.device).eval()
        with torch.no_grad():
            outputs = module(*case_inputs(case, args.check_dir, args.device))
        errors = compare(outputs, case, args.check_dir)
        limit = case["tolerance"]["norm_rtol"]
        ok = same and all(e["norm_rel_error"] <= limit for e in errors)
        failed += not ok
        text = ", ".join(f"{e['name']}: norm {e['norm_rel_error']:.2e}, max abs {e['max_abs_error']:.2e}"
                         for e in errors)
        print(f"{'ok  ' if ok else 'FAIL'} {case['case']}: {text} (norm tolerance {limit:g})"
              f"{'' if same else '; weights differ from the manifest'}", flush=True)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def percentiles(times):
    ordered = sorted(times)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]  # noqa: E731
    return {"median_ms": statistics.median(ordered), "p10_ms": pick(0.1), "p90_ms": pick(0.9), "runs": len(ordered)}


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_calls(fn, inputs, runs, warmup, device):
    """Milliseconds per call, each from the call to the end of its GPU work, after warm-up."""
    with torch.no_grad():
        for _ in range(warmup):
            fn(*inputs)
        synchronize(device)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn(*inputs)
            synchronize(device)
            times.append((time.perf_counter() - start) * 1000)
    return percentiles(times)


def with_copies(fn, device):
    """fn on host tensors, as r1c-run calls the runtime: inputs copied to the device,
    outputs copied back."""
    def call(*host):
        return [out.cpu() for out in fn(*[x.to(device) for x in host])]
    return call


class CompileTimeout(BaseException):
    """Raised by SIGALRM inside torch.compile. A BaseException, as KeyboardInterrupt is,
    so the compiler's own `except Exception` fallbacks do not swallow it."""


def timed_out(error):
    """Whether `error` is, or was raised while handling, a CompileTimeout (Inductor wraps errors)."""
    while error is not None:
        if isinstance(error, CompileTimeout):
            return True
        error = error.__cause__ or error.__context__
    return False


def bench(args):
    _, cases = gpu_check.load_cases(args.check_dir)
    if args.cases:
        wanted = args.cases.split(",")
        cases = [c for c in cases if c["case"] in wanted]
    results = {"torch": torch.__version__, "cuda": torch.version.cuda, "cases": {}}

    def save():
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)

    device = args.device
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            results["error"] = "torch.cuda.is_available() is False: no PyTorch timings"
            save()
            print(results["error"])
            return 0
        results["device"] = torch.cuda.get_device_name(0)
    else:
        results["device"] = device
    def use_tf32(case):
        # float32 on both sides means float32 arithmetic (r1c: FFMA), except in the
        # tf32 variant, where both round to TF32 for tensor cores (r1c: --tf32).
        allowed = case.get("variant") == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = allowed
        torch.backends.cudnn.allow_tf32 = allowed

    cache = {"_models": [c["model"] for c in cases]}
    modules = {}

    def left():
        return args.deadline - time.time() if args.deadline else float("inf")

    # Eager first for every case: cheap, so each case gets it before compiles use the time.
    for case in cases:
        name = case["case"]
        entry = results["cases"][name] = {}
        use_tf32(case)
        try:
            if left() < 20:
                raise RuntimeError("skipped: the time budget ran out")
            model = onnx.load(generate_models(case, args.work, cache))
            if weights_sha256(model) != case["weights"]["sha256"]:
                entry["weights_note"] = ("the regenerated model's weights differ from those the artifact was "
                                         "compiled from (timings still compare the same graph)")
            module = OnnxModule(model).to(device).eval()
            inputs = case_inputs(case, args.check_dir, device)
            with torch.no_grad():
                errors = compare(module(*inputs), case, args.check_dir)
            eager = time_calls(module, inputs, args.runs, args.warmup, device)
            host = case_inputs(case, args.check_dir, "cpu")
            eager["with_copies"] = time_calls(with_copies(module, device), host, args.runs, args.warmup, device)
            eager["norm_rel_error"] = max(e["norm_rel_error"] for e in errors)
            eager["outputs"] = errors
            entry["eager"] = eager
            modules[name] = (module, inputs)
            print(f"{name}: eager {eager['median_ms']:.3f} ms, norm error {eager['norm_rel_error']:.2e}", flush=True)
        except Exception as error:  # one case's failure is its row's note, and the run goes on
            entry["error"] = f"eager: {type(error).__name__}: {first_line(str(error))[:300]}"
            print(f"{name}: {entry['error']}", flush=True)
        save()

    def on_alarm(signum, frame):
        raise CompileTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    for case in cases:
        name = case["case"]
        entry = results["cases"][name]
        if name not in modules:
            continue
        room = left() - 15
        budget = min(args.compile_timeout, room)
        if room < 10:
            entry["compile"] = {"error": "torch.compile skipped: the time budget ran out"}
            save()
            continue
        module, inputs = modules[name]
        use_tf32(case)
        # Each case compiles afresh: Dynamo's per-function cache would otherwise fill up
        # across ten modules and fall back to eager without saying so.
        torch._dynamo.reset()
        compiled = torch.compile(module)
        start = time.perf_counter()
        signal.alarm(int(math.ceil(budget)))
        try:
            with torch.no_grad():
                outputs = compiled(*inputs)
            synchronize(device)
            signal.alarm(0)
            seconds = time.perf_counter() - start
            result = time_calls(compiled, inputs, args.runs, args.warmup, device)
            host = case_inputs(case, args.check_dir, "cpu")
            result["with_copies"] = time_calls(with_copies(compiled, device), host, args.runs, args.warmup, device)
            result["compile_seconds"] = round(seconds, 1)
            result["norm_rel_error"] = max(e["norm_rel_error"] for e in compare(outputs, case, args.check_dir))
            entry["compile"] = result
            print(f"{name}: torch.compile {result['median_ms']:.3f} ms (compiled in {seconds:.0f} s)", flush=True)
        except (CompileTimeout, Exception) as error:
            signal.alarm(0)
            if timed_out(error):
                message = f"torch.compile gave up after {budget:.0f} s"
            else:
                message = f"torch.compile: {type(error).__name__}: {first_line(str(error))[:300]}"
            entry["compile"] = {"error": message}
            print(f"{name}: {message}", flush=True)
        finally:
            signal.alarm(0)
        save()
    torch._dynamo.reset()
    save()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify", help="eager outputs against the check folder's references")
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "onnx-torch"))
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=verify)
    p = sub.add_parser("bench", help="time eager and torch.compile (on CUDA unless --device says otherwise)")
    p.add_argument("--check-dir", default=os.path.join(ROOT, ".gpucheck"))
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu to try the script without a GPU")
    p.add_argument("--compile-timeout", type=float, default=120)
    p.add_argument("--deadline", type=float, default=0, help="Unix time by which to stop")
    p.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    p.set_defaults(func=bench)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
