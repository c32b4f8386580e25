"""r1c for Python: compile ONNX models ahead of time, and run them.

    import numpy as np, r1c
    engine = r1c.Engine("model.onnx", device="host")   # compiles once, then cached
    probs, = engine.infer(np.zeros((1, 32), np.float32))

r1c.compile(model, targets=..., precision=..., **options) runs the compiler and
returns the artifact's path; r1c.Engine(...) compiles an .onnx or loads an .r1.
Errors are r1c.Error subclasses (r1c.errors). docs/python.md has the whole API.
"""
from . import errors
from ._compiler import compile, compiler_path, default_cache_dir
from ._engine import Engine, Policy, TensorInfo
from ._r1c import artifact_format_version, version as _runtime_version
from .errors import (CompileError, DataLossError, Error, InternalError, InvalidArgumentError,
                     NotFoundError, OutOfMemoryError, UnavailableError, UnimplementedError)

__version__ = _runtime_version()

__all__ = ["compile", "compiler_path", "default_cache_dir", "Engine", "Policy", "TensorInfo",
           "artifact_format_version", "errors", "Error", "CompileError", "DataLossError",
           "InternalError", "InvalidArgumentError", "NotFoundError", "OutOfMemoryError",
           "UnavailableError", "UnimplementedError"]
