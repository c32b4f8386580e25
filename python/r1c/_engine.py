"""r1c.Engine: a compiled model loaded for inference, callable from many threads."""
import os
import pathlib
import threading
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from . import _compiler
from . import _r1c
from .errors import InvalidArgumentError

_ARTIFACT_MAGIC = b"R1CARTF\0"

# ONNX element type codes (r1rt_dtype_t) -> numpy; types numpy lacks are left out.
_NUMPY_DTYPES = {
    1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
    7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64,
    14: np.complex64, 15: np.complex128,
}


class TensorInfo(NamedTuple):
    """A model input or output. ``shape`` holds ints, and for a symbolic dim its name
    (``"batch"``), or None when the model leaves it unnamed."""
    name: str
    dtype: Optional[np.dtype]  # None for an element type numpy has no type for (bfloat16)
    dtype_name: str            # the ONNX name: "float", "float16", "bfloat16", ...
    shape: Tuple[Union[int, str, None], ...]

    @property
    def is_static(self):
        return all(isinstance(d, int) for d in self.shape)


def _tensor_info(raw):
    shape = tuple(d if d >= 0 else (name or None) for d, name in zip(raw["dims"],
                                                                      raw["dim_names"]))
    numpy_type = _NUMPY_DTYPES.get(raw["dtype"])
    return TensorInfo(raw["name"], np.dtype(numpy_type) if numpy_type else None,
                      _r1c.dtype_name(raw["dtype"]), shape)


class Policy:
    """How an Engine over tiers picks a tier per request (the runtime's allocator,
    runtime.h). Every field left None keeps the runtime's default.

    cascade_threshold    escalate a request when a row of the scored output scores
                         below it; None: the artifact's (r1c --cascade); 0: no cascade
    cascade_metric       'confidence' (top-1 probability) or 'margin' (top-1 minus top-2)
    memory_budget        bytes: tiers whose arena needs more are never run
    accuracy_penalty_us  per tier: microseconds of latency its lower accuracy is worth
                         at complexity 1 (default: 1e9 for all but the last tier, 0 for it)
    latency_smoothing    weight of the newest run in the latency averages (default 0.2)
    """

    _METRICS = {None: 0, "confidence": 1, "margin": 2}

    def __init__(self, cascade_threshold=None, cascade_metric=None, memory_budget=None,
                 accuracy_penalty_us=None, latency_smoothing=None):
        if cascade_metric not in self._METRICS:
            raise InvalidArgumentError(
                f"cascade_metric={cascade_metric!r}: use 'confidence' or 'margin'")
        if cascade_threshold is not None and not 0 <= cascade_threshold <= 1:
            raise InvalidArgumentError(f"cascade_threshold={cascade_threshold}: not in [0, 1]")
        self.cascade_threshold = cascade_threshold
        self.cascade_metric = cascade_metric
        self.memory_budget = memory_budget
        self.accuracy_penalty_us = list(accuracy_penalty_us or [])
        self.latency_smoothing = latency_smoothing

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v not in (None, []))
        return f"r1c.Policy({fields})"


def _parse_device(device):
    """'host', 'auto', 'cuda', 'cuda:N', 'hip', 'hip:N' -> (kind, runtime code, ordinal)."""
    kind, _, ordinal = str(device).partition(":")
    codes = {"host": _r1c.DEVICE_HOST, "auto": _r1c.DEVICE_AUTO, "cuda": _r1c.DEVICE_CUDA,
             "hip": _r1c.DEVICE_HIP}
    if kind not in codes or (ordinal and (kind in ("host", "auto") or not ordinal.isdigit())):
        raise InvalidArgumentError(
            f"device={device!r}: use 'host', 'auto', 'cuda', 'cuda:N', 'hip' or 'hip:N'")
    return kind, codes[kind], int(ordinal or 0)


def _gpus_present():
    """Which GPU kinds this machine may have, from their device nodes or a driver named
    in the environment (as the runtime loads it)."""
    cuda = os.path.exists("/dev/nvidiactl") or bool(os.environ.get("R1RT_CUDA_LIBRARY"))
    hip = os.path.exists("/dev/kfd") or bool(os.environ.get("R1RT_HIP_LIBRARY"))
    return cuda, hip


# What an .onnx compiles for when targets= is not given: every architecture the
# runtime can pick for the device (an sm_80 cubin runs on sm_86 and sm_89, sm_90's
# PTX on newer GPUs).
CUDA_TARGETS = ("sm_80", "sm_90")
HIP_TARGETS = ("gfx90a", "gfx942")


def default_targets(kind):
    if kind == "host":
        return ["host"]
    if kind == "cuda":
        return list(CUDA_TARGETS)
    if kind == "hip":
        return list(HIP_TARGETS)
    cuda, hip = _gpus_present()
    return ["host"] + (list(CUDA_TARGETS) if cuda else []) + (list(HIP_TARGETS) if hip else [])


def is_artifact(path):
    with open(path, "rb") as f:
        return f.read(len(_ARTIFACT_MAGIC)) == _ARTIFACT_MAGIC


class Engine:
    """A model ready to run: ``Engine("model.onnx")`` compiles it (through the cache of
    r1c.compile) and ``Engine("model.r1")`` loads an artifact r1c wrote.
    ``Engine(tiers=["small.onnx", "large.onnx"], cascade="confidence:0.9")`` compiles a
    cascade into one artifact, which the runtime's allocator runs (see run, Policy).

    device        'auto' (default: a GPU the artifact has code for, else the host),
                  'host', 'cuda:N' or 'hip:N'.
    precision     'fp32' (the model's own element types), 'bf16' or 'fp16'
                  (matmuls and convolutions in that format, summed in f32);
                  'int8' (8-bit integer products over calibrated ranges:
                  calibration='DIR' names input sets, else random ones are drawn);
                  'auto' (per op, the cheapest format within
                  accuracy_budget='0.01' or 'top1:0.99').
    targets       what an .onnx compiles for (default: the device's architectures;
                  for 'auto', the host and the GPUs this machine has).
    threads       threads each request's kernels run on (0: one per CPU).
    cache_dir     the compile cache (default: r1c.default_cache_dir()).
    max_sessions  requests that run at once; more wait (default: max(4, CPUs)).
    tiers         ONNX models with one interface, cheapest first (instead of model_path);
                  or precisions, cheapest first (['bf16', 'fp32']): model_path compiled
                  at each, one tier per precision, named by it.
    cascade       with tiers: 'confidence:T' or 'margin:T' (r1c --cascade).
    policy        an r1c.Policy (or dict): run through the tier-switching allocator,
                  also a model of one tier (its device fallback, counters, deadlines).
    options       r1c options for compiling an .onnx, as r1c.compile takes them.

    ``infer`` may be called from many threads at once: each running request has a
    session (a runtime context with its own scratch memory) from a pool.
    """

    def __init__(self, model_path=None, device="auto", precision="fp32", *, tiers=None,
                 cascade=None, policy=None, targets=None, threads=1, cache_dir=None,
                 max_sessions=None, disable_graphs=False, **options):
        kind, self._device_code, self._ordinal = _parse_device(device)
        _compiler.check_precision(precision)
        model_path, precisions = _compiler.resolve_tiers(model_path, tiers, precision)
        sources = _compiler.tier_models(model_path)
        if len(sources) == 1 and is_artifact(sources[0]):
            if targets is not None or options or precision != "fp32" or cascade or precisions:
                raise InvalidArgumentError(
                    f"{sources[0]} is a compiled artifact: targets=, precision=, tiers=, "
                    "cascade= and compile options apply only when the Engine compiles .onnx "
                    "models")
            self.artifact_path, self.cache_hit = sources[0], False
        else:
            self.artifact_path, self.cache_hit = _compiler.compile_cached(
                sources, targets or default_targets(kind), precision, options, cache_dir,
                cascade, precisions)
        self._model = _r1c.Model(str(self.artifact_path))
        self.inputs = [_tensor_info(t) for t in self._model.inputs()]
        self.outputs = [_tensor_info(t) for t in self._model.outputs()]
        self._input_index = {t.name: i for i, t in enumerate(self.inputs)}
        self._output_index = {t.name: i for i, t in enumerate(self.outputs)}
        self.tier_names = self._model.tier_names()
        self.policy = policy
        self._allocator = None
        if self.tier_names or policy is not None:
            # The runtime's allocator picks a tier per request; it pools sessions itself.
            p = policy if policy is not None else Policy()
            if isinstance(p, dict):
                p = Policy(**p)
            threshold = -1.0 if p.cascade_threshold is None else float(p.cascade_threshold)
            self._allocator = _r1c.Allocator(
                self._model, self._device_code, self._ordinal, threshold,
                Policy._METRICS[p.cascade_metric], int(p.memory_budget or 0),
                [float(v) for v in p.accuracy_penalty_us], float(p.latency_smoothing or 0),
                int(threads))
            self.device = f"{kind} (tiers: {', '.join(self.tier_names) or 'one'})"
            return
        self._threads = threads
        self._disable_graphs = disable_graphs
        self._max_sessions = max_sessions or max(4, os.cpu_count() or 1)
        self._pool = threading.Condition()
        self._idle = []
        self._session_count = 0
        # One session now, so a device that cannot run the model fails here.
        first = self._new_session()
        self._session_count = 1
        self._idle.append(first)
        self.device = first.device

    def __repr__(self):
        return f"r1c.Engine({str(self.artifact_path)!r}, device={self.device!r})"

    @property
    def input_names(self):
        return [t.name for t in self.inputs]

    @property
    def output_names(self):
        return [t.name for t in self.outputs]

    def _new_session(self):
        session = _r1c.Session(self._model, self._device_code, self._ordinal,
                               self._disable_graphs)
        if self._threads != 1:
            session.set_threads(self._threads)
        return session

    def _acquire(self):
        with self._pool:
            while not self._idle and self._session_count >= self._max_sessions:
                self._pool.wait()
            if self._idle:
                return self._idle.pop()
            self._session_count += 1
        try:
            return self._new_session()
        except BaseException:
            with self._pool:
                self._session_count -= 1
                self._pool.notify()
            raise

    def _release(self, session):
        with self._pool:
            self._idle.append(session)
            self._pool.notify()

    def _prepare_inputs(self, inputs):
        """Inputs in model order, as arrays the runtime reads in place."""
        names = self.input_names
        if isinstance(inputs, dict):
            unknown = [k for k in inputs if k not in self._input_index]
            if unknown:
                raise InvalidArgumentError(
                    f"unknown input {unknown[0]!r}; the model's inputs are {names}")
            missing = [n for n in names if n not in inputs]
            if missing:
                raise InvalidArgumentError(
                    f"missing input {missing[0]!r}; the model's inputs are {names}")
            values = [inputs[n] for n in names]
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) != len(names):
                raise InvalidArgumentError(
                    f"the model takes {len(names)} inputs {names}; got {len(inputs)}")
            values = list(inputs)
        else:
            if len(names) != 1:
                raise InvalidArgumentError(
                    f"the model takes {len(names)} inputs {names}: pass a dict or a list")
            values = [inputs]
        arrays = []
        for info, value in zip(self.inputs, values):
            if not isinstance(value, np.ndarray):
                value = np.asarray(value, dtype=info.dtype)
            elif info.dtype is not None and value.dtype != info.dtype:
                raise InvalidArgumentError(
                    f"input {info.name!r} is {info.dtype_name} ({info.dtype}) in the model; "
                    f"got an array of {value.dtype} (convert it with .astype(np.{info.dtype}))")
            if len(value.shape) != len(info.shape):
                raise InvalidArgumentError(
                    f"input {info.name!r} has rank {len(info.shape)}, shape "
                    f"{_shape_text(info.shape)}; got rank {value.ndim}, shape {value.shape}")
            # A copy only where the layout needs one; the runtime reads the rest in place.
            arrays.append(np.require(value, requirements=["C", "A"]))
        return arrays

    def _prepare_outputs(self, outputs):
        """Per output: an array to write into, or None for one the run makes."""
        slots = [None] * len(self.outputs)
        if outputs is None:
            given = {}
        elif isinstance(outputs, dict):
            unknown = [k for k in outputs if k not in self._output_index]
            if unknown:
                raise InvalidArgumentError(
                    f"unknown output {unknown[0]!r}; the model's outputs are {self.output_names}")
            given = {self._output_index[k]: v for k, v in outputs.items()}
        else:
            if len(outputs) != len(self.outputs):
                raise InvalidArgumentError(
                    f"the model has {len(self.outputs)} outputs; got {len(outputs)} arrays")
            given = dict(enumerate(outputs))
        for i, info in enumerate(self.outputs):
            array = given.get(i)
            if array is not None:
                if (not isinstance(array, np.ndarray) or not array.flags.c_contiguous
                        or not array.flags.writeable or array.dtype != info.dtype):
                    raise InvalidArgumentError(
                        f"output {info.name!r} needs a writable C-contiguous array of "
                        f"{info.dtype}")
                slots[i] = array
            elif info.is_static and info.dtype is not None:
                # Static shape: the run writes straight into the array returned.
                slots[i] = np.empty(info.shape, info.dtype)
        return slots

    def _tiered_outputs(self, arrays, outputs):
        """Arrays for every output of a tiered run: the allocator writes only into the
        caller's buffers. A symbolic output dim takes the size of the input dim of the
        same name (a batch)."""
        sizes = {}
        for info, array in zip(self.inputs, arrays):
            for dim, size in zip(info.shape, array.shape):
                if isinstance(dim, str):
                    sizes.setdefault(dim, size)
        slots = self._prepare_outputs(outputs)
        for i, info in enumerate(self.outputs):
            if slots[i] is not None:
                continue
            if info.dtype is None or any(
                    not isinstance(d, int) and d not in sizes for d in info.shape):
                raise InvalidArgumentError(
                    f"output {info.name!r} has shape {_shape_text(info.shape)}, which the "
                    "inputs do not decide: pass outputs= for a tiered engine")
            slots[i] = np.empty([d if isinstance(d, int) else sizes[d] for d in info.shape],
                                info.dtype)
        return slots

    def run(self, inputs, outputs=None, *, deadline_us=None, complexity=None, tier=None):
        """Like infer, and also says what ran: returns (outputs, info). For an engine over
        tiers, info is {'tier', 'tier_name', 'first_tier', 'escalated', 'fell_back',
        'score', 'latency_us'} (the runtime's r1rt_request_result_t), and a request may
        give deadline_us, complexity (0 to 1; default: estimated from the inputs) or
        tier (run that tier). Other engines return info {'device': ...}."""
        arrays = self._prepare_inputs(inputs)
        if self._allocator is None:
            if deadline_us is not None or complexity is not None or tier is not None:
                raise InvalidArgumentError(
                    "deadline_us=, complexity= and tier= go with an engine over tiers "
                    "(tiers=, a tiered .r1, or policy=)")
            results = self._run_session(arrays, outputs)
            info = {"device": self.device}
        else:
            slots = self._tiered_outputs(arrays, outputs)
            info = self._allocator.run(
                arrays, slots, float(deadline_us or 0),
                -1.0 if complexity is None else float(complexity),
                -1 if tier is None else int(tier))
            names = self.tier_names or ["model"]
            info["tier_name"] = names[info["tier"]]
            results = slots
        if isinstance(inputs, dict):
            results = dict(zip(self.output_names, results))
        return results, info

    def tier_stats(self):
        """Per tier (engines over tiers): its counters since the engine was made, as the
        runtime keeps them: requests, escalations, failures, arena_bytes,
        latency_ema_us, p50_us, p99_us, and its name."""
        if self._allocator is None:
            raise InvalidArgumentError("tier_stats() is for an engine over tiers")
        names = self.tier_names or ["model"]
        return [dict(self._allocator.tier_stats(t), name=names[t])
                for t in range(self._allocator.tier_count)]

    def _run_session(self, arrays, outputs):
        slots = self._prepare_outputs(outputs)
        session = self._acquire()
        try:
            return session.run(arrays, slots)
        finally:
            self._release(session)

    def infer(self, inputs, outputs=None, **request):
        """Runs the model. ``inputs``: a dict by input name, a list in the model's order,
        or one array for a model with one input. Arrays must have the model's dtype
        (numbers in lists are converted); C-contiguous ones are read in place.
        ``outputs`` (optional): arrays to write into, as a dict or a list.
        Returns the outputs as a dict by name when given a dict, else as a list.
        The GIL is released while the model runs. An engine over tiers also takes
        deadline_us=, complexity= and tier= (see run)."""
        return self.run(inputs, outputs, **request)[0]

    __call__ = infer


def _shape_text(shape):
    return "(" + ", ".join(str(d) if d is not None else "?" for d in shape) + ")"
