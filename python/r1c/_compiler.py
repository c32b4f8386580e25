"""r1c.compile: runs the r1c compiler, and the on-disk cache of what it compiled.

The cache holds one folder per compiled model, named by the model's file stem and a
SHA-256 over the model's bytes (and its external-data files), the targets, the
precision, the other options and the compiler's identity (its version, size and
modification time): a changed model, option or compiler compiles again. It lies in
$R1C_CACHE_DIR, else $XDG_CACHE_HOME/r1c, else ~/.cache/r1c; ``cache_dir=`` overrides
that per call. Entries appear atomically (compiled in a temporary folder, then
renamed), so processes may share a cache; delete the folder to empty it.
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading

from .errors import CompileError, InvalidArgumentError, NotFoundError, UnavailableError
from .errors import UnimplementedError

PRECISIONS = ("fp32", "fp16", "bf16", "int8", "auto")
# What the compiler converts to today (r1c --precision): matmuls and convolutions in
# fp16 or bf16, summed in f32, or in int8 over calibrated ranges (calibration='DIR', else
# random sets), summed in i32; or auto, the cheapest per op within accuracy_budget=.
SUPPORTED_PRECISIONS = PRECISIONS

# Options the SDK itself sets from its arguments; passing them through **options
# would contradict those.
_RESERVED = {"target": "targets", "output": "output", "o": "output", "emit": None,
             "compile_to": None, "no_progress": None, "precision": "precision",
             "tiers": "tiers", "cascade_output": None}

_CACHE_FORMAT = "r1c-python-cache-1"


def compiler_path():
    """The r1c binary this package runs: $R1C_COMPILER, else the one of the tree this
    package was built or installed in, else r1c on PATH."""
    env = os.environ.get("R1C_COMPILER")
    if env:
        if not os.access(env, os.X_OK):
            raise NotFoundError(f"R1C_COMPILER={env}: no executable there")
        return env
    try:
        from . import _paths
        candidate = (pathlib.Path(__file__).parent / _paths.COMPILER_RELATIVE).resolve()
        if os.access(candidate, os.X_OK):
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("r1c")
    if found:
        return found
    raise UnavailableError("the r1c compiler was not found: build it (bash scripts/build.sh), "
                           "set R1C_COMPILER to its path, or put it on PATH")


def default_cache_dir():
    """Where compiled models are cached unless cache_dir= says otherwise."""
    env = os.environ.get("R1C_CACHE_DIR")
    if env:
        return pathlib.Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = pathlib.Path(xdg) if xdg else pathlib.Path.home() / ".cache"
    return base / "r1c"


def check_precision(precision):
    if precision not in PRECISIONS:
        raise InvalidArgumentError(
            f"precision={precision!r}: choose one of {', '.join(PRECISIONS)}")
    if precision not in SUPPORTED_PRECISIONS:
        raise UnimplementedError(
            f"precision={precision!r}: the r1c compiler cannot convert a model to {precision} "
            f"yet; choose one of {', '.join(SUPPORTED_PRECISIONS)}")


def precision_args(precision):
    """r1c's flags for `precision`: none for fp32, the model's own element types."""
    return [] if precision == "fp32" else [f"--precision={precision}"]


def targets_list(targets):
    """'host,sm_90' or ['host', 'sm_90'] -> ['host', 'sm_90']."""
    if isinstance(targets, str):
        targets = targets.split(",")
    result = [str(t).strip() for t in targets if str(t).strip()]
    if not result:
        raise InvalidArgumentError("targets= names no target (e.g. targets='host')")
    return result


def options_to_args(options):
    """Keyword options -> r1c flags: tune=True -> --tune, cpu='x86-64-v3' ->
    --cpu=x86-64-v3, dims={'batch': [1, 8]} -> --dim batch=1,8; False and None are left
    out. Any r1c option works this way (r1c --help lists them)."""
    args = []
    for key, value in options.items():
        if key in _RESERVED:
            instead = _RESERVED[key]
            raise InvalidArgumentError(
                f"option {key!r} is set by the SDK" + (f"; use {instead}=" if instead else ""))
        if value is None or value is False:
            continue
        if key in ("dims", "dim"):
            if not isinstance(value, dict):
                raise InvalidArgumentError(f"{key}= takes a dict, e.g. {{'batch': [1, 8]}}")
            for name, sizes in value.items():
                sizes = [sizes] if isinstance(sizes, int) else sizes
                args.append(f"--dim={name}={','.join(str(int(s)) for s in sizes)}")
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args.append(f"{flag}={','.join(str(v) for v in value)}")
        else:
            args.append(f"{flag}={value}")
    return args


def _model_args(models, cascade, precisions=None):
    """The r1c arguments naming what to compile: one model, tiers (a list, cheapest
    first), or one model at each of `precisions`; with their cascade."""
    if precisions:
        args = [str(models[0]), "--tiers=" + ",".join(precisions)]
    elif len(models) == 1:
        if cascade:
            raise InvalidArgumentError("cascade= goes with tiers: give two or more models")
        return [str(models[0])]
    else:
        args = ["--tiers=" + ",".join(str(m) for m in models)]
    if cascade:
        args.append(f"--cascade={cascade}")
    return args


def tier_models(models):
    """A model path, or tiers as a list of paths -> a list of existing paths."""
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    models = [pathlib.Path(m) for m in models]
    if not models:
        raise InvalidArgumentError("no model given")
    for m in models:
        if not m.is_file():
            if str(m) in PRECISIONS:
                raise InvalidArgumentError(
                    f"{[str(x) for x in models]}: precision tiers compile one model at each "
                    "precision: give the model too (tiers=['bf16', 'fp32'] with a model_path)")
            raise NotFoundError(f"{m}: no such model file")
    return models


def is_precision_list(tiers):
    """Whether tiers= lists precisions (['bf16', 'fp32']) rather than models. A mix is
    an error."""
    if tiers is None or isinstance(tiers, (str, os.PathLike)):
        return False
    names = [str(t) for t in tiers]
    precisions = sum(1 for t in tiers if isinstance(t, str) and t in PRECISIONS)
    if 0 < precisions < len(names):
        raise InvalidArgumentError(
            f"tiers={names} mixes precisions and models: give precisions of one model "
            "(tiers=['bf16', 'fp32'] with a model_path) or models only")
    return precisions > 0


def tier_precisions(tiers, precision="fp32"):
    """Precision tiers of one model, cheapest first -> the list r1c --tiers takes.
    Any precision r1c --precision takes."""
    tiers = [str(t) for t in tiers]
    if precision != "fp32":
        raise InvalidArgumentError(
            f"precision={precision!r} sets one precision, and tiers={tiers} gives each tier "
            "its own: leave precision= out")
    if len(tiers) < 2:
        raise InvalidArgumentError(f"tiers={tiers}: give two or more precisions, cheapest first")
    for t in tiers:
        if t not in SUPPORTED_PRECISIONS:
            raise UnimplementedError(
                f"precision tiers ({tiers}): the r1c compiler cannot convert a model to {t} "
                f"yet; choose from {', '.join(SUPPORTED_PRECISIONS)}")
    if len(set(tiers)) != len(tiers):
        raise InvalidArgumentError(f"tiers={tiers}: each precision makes one tier; give it once")
    if "fp32" in tiers and tiers[-1] != "fp32":
        raise InvalidArgumentError(
            f"tiers={tiers}: tiers go cheapest first, and fp32 is the most accurate: put it last")
    return tiers


def resolve_tiers(model_path, tiers, precision="fp32"):
    """model_path and tiers= as r1c.compile and r1c.Engine take them -> (what to
    compile: a model or a list of tier models, the precision tiers or None)."""
    if tiers is None:
        if model_path is None:
            raise InvalidArgumentError("give a model_path (.onnx or .r1) or tiers=")
        return model_path, None
    if is_precision_list(tiers):
        if model_path is None:
            raise InvalidArgumentError(
                f"tiers={[str(t) for t in tiers]} compiles one model at each precision: "
                "give its model_path too")
        if not isinstance(model_path, (str, os.PathLike)):
            raise InvalidArgumentError(
                "precision tiers compile one model: give one model_path, not a list")
        return model_path, tier_precisions(tiers, precision)
    if model_path is not None:
        raise InvalidArgumentError(
            "tiers= names every tier's model, cheapest first; give no model_path "
            "(or give precisions as tiers=, e.g. ['bf16', 'fp32'])")
    models = tier_models(tiers)
    if len(models) < 2:
        raise InvalidArgumentError("tiers= takes two or more models, cheapest first")
    return models, None


def _run_r1c(compiler, models, targets, args, out_base, cascade=None, precisions=None):
    command = [compiler, *_model_args(models, cascade, precisions),
               "--target=" + ",".join(targets),
               "-o", str(out_base), "--no-progress", *args]
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        message = proc.stderr.strip() or f"r1c exited with status {proc.returncode}"
        raise CompileError(message, command=command)


_identity_lock = threading.Lock()
_identities = {}


def _compiler_identity(compiler):
    st = os.stat(compiler)
    key = (compiler, st.st_size, st.st_mtime_ns)
    with _identity_lock:
        if key not in _identities:
            proc = subprocess.run([compiler, "--version"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            _identities[key] = proc.stdout.strip()
    return [_identities[key], st.st_size, st.st_mtime_ns]


def _hash_file(h, path):
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)


def _external_data_files(model):
    """Files an ONNX model keeps tensors in (its external data), when onnx can say."""
    try:
        import onnx
        proto = onnx.load(str(model), load_external_data=False)
    except Exception:  # no onnx module, or a file r1c will reject with a better message
        return []
    files = set()

    def tensors(graph):
        yield from graph.initializer
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors
                if attr.HasField("g"):
                    yield from tensors(attr.g)
                for g in attr.graphs:
                    yield from tensors(g)

    for tensor in tensors(proto.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            for entry in tensor.external_data:
                if entry.key == "location":
                    files.add(entry.value)
    return sorted(files)


def cache_key(models, targets, precision, args, compiler, cascade=None, precisions=None):
    h = hashlib.sha256()
    h.update(_CACHE_FORMAT.encode() + b"\0")
    for model in models:
        h.update(b"\0model\0")
        _hash_file(h, model)
        for name in _external_data_files(model):
            h.update(b"\0external\0" + name.encode() + b"\0")
            path = model.parent / name
            if path.is_file():
                _hash_file(h, path)
    for arg in args:
        # Ranges come from the calibration sets: their bytes are part of the key.
        if arg.startswith("--calibration="):
            folder = pathlib.Path(arg.split("=", 1)[1])
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                h.update(b"\0calibration\0" + str(path.relative_to(folder)).encode() + b"\0")
                _hash_file(h, path)
    h.update(json.dumps({"targets": targets, "precision": precision, "args": args,
                         "cascade": cascade, "precision_tiers": precisions,
                         "compiler": _compiler_identity(compiler)}).encode())
    return h.hexdigest()


def compile_cached(model_path, targets, precision, options, cache_dir=None, cascade=None,
                   precisions=None):
    """Compiles through the cache: (path of the artifact, whether the cache had it).
    model_path may be a list of tier models, cheapest first; or, with `precisions`
    (checked by tier_precisions), the one model each precision tier compiles."""
    check_precision(precision)
    models = tier_models(model_path)
    targets = targets_list(targets)
    args = options_to_args(options) + precision_args(precision)
    compiler = compiler_path()
    key = cache_key(models, targets, precision, args, compiler, cascade, precisions)
    root = pathlib.Path(cache_dir) if cache_dir else default_cache_dir()
    model = models[-1]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in model.stem) or "model"
    if len(models) > 1 or precisions:
        stem = "tiers-" + stem
    entry = root / f"{stem}-{key[:24]}"
    artifact = entry / "model.r1"
    if artifact.is_file():
        return artifact, True
    root.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".compiling-", dir=root))
    try:
        _run_r1c(compiler, models, targets, args, staging / "model", cascade, precisions)
        (staging / "key.json").write_text(json.dumps(
            {"models": [str(m.resolve()) for m in models], "targets": targets,
             "precision": precision, "precision_tiers": precisions, "cascade": cascade, "args": args, "compiler": compiler,
             "key": key}, indent=1) + "\n")
        try:
            os.rename(staging, entry)
        except OSError:
            # Another process compiled the same entry first; theirs is as good.
            if not artifact.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return artifact, False


def compile(model_path, targets="host", precision="fp32", output=None, *, cache_dir=None,
            cascade=None, tiers=None, **options):
    """Compiles an ONNX model with r1c and returns the path of the artifact (OUT.r1).

    model_path an .onnx, or a list of them, cheapest first: one artifact of tiers
               (r1c --tiers), which r1c.Engine runs through the tier-switching
               allocator.
    tiers      precisions, cheapest first (['bf16', 'fp32']): model_path compiled at
               each, as tiers of one artifact (r1c MODEL --tiers=bf16,fp32); or the
               tier models, cheapest first, instead of a list as model_path.
    cascade    with tiers: 'confidence:T' or 'margin:T' (r1c --cascade).
    targets    'host', 'sm_90', 'gfx90a', ... as a list or a comma string.
    precision  'fp32' (the model's own element types), 'bf16' or 'fp16' (matmuls
               and convolutions in that format, summed in f32: r1c --precision);
               'int8' (8-bit integer products over the ranges calibration measures:
               calibration='DIR' names input sets, else random ones are drawn);
               'auto' (per op, the cheapest format within accuracy_budget='0.01' or
               'top1:0.99'; precision_report='FILE' writes what it chose).
    output     OUT for r1c -o: writes OUT.r1 (and, with host, OUT.o and OUT.h); by
               default the artifact goes to the cache (see the module's doc).
    options    any r1c option by its name: dims={'batch': [1, 8]}, cpu='x86-64-v3',
               weights='external', tune=True, tf32=True, ...
    Raises CompileError with r1c's message (naming the ONNX node where r1c does).
    """
    model_path, precisions = resolve_tiers(model_path, tiers, precision)
    if output is None:
        return compile_cached(model_path, targets, precision, options, cache_dir, cascade,
                              precisions)[0]
    check_precision(precision)
    models = tier_models(model_path)
    out_base = pathlib.Path(output)
    if out_base.suffix == ".r1":
        out_base = out_base.with_suffix("")
    out_base.parent.mkdir(parents=True, exist_ok=True)
    _run_r1c(compiler_path(), models, targets_list(targets),
             options_to_args(options) + precision_args(precision), out_base, cascade,
             precisions)
    return pathlib.Path(str(out_base) + ".r1")
