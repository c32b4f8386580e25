"""Exceptions of the r1c package.

Every error is an ``r1c.Error``. Runtime failures come as the subclass of
their status code (``code`` is its name, e.g. ``"INVALID_ARGUMENT"``) and carry
the runtime's message; the subclasses also derive from the Python exception
closest to them, so ``except ValueError`` catches a wrong input. Compiler
failures are ``CompileError``, which names the ONNX node when r1c does.
"""
import re


class Error(Exception):
    """Base of every exception r1c raises."""

    code = "UNKNOWN"


class InvalidArgumentError(Error, ValueError):
    """A value the caller gave is wrong: an input's name, dtype or shape, an option."""

    code = "INVALID_ARGUMENT"


class NotFoundError(Error, LookupError):
    """A named input, output or file does not exist."""

    code = "NOT_FOUND"


class OutOfMemoryError(Error, MemoryError):
    code = "OUT_OF_MEMORY"


class DataLossError(Error):
    """An artifact is truncated or corrupt."""

    code = "DATA_LOSS"


class UnimplementedError(Error, NotImplementedError):
    """The request needs something this build of r1c does not have yet."""

    code = "UNIMPLEMENTED"


class UnavailableError(Error):
    """A device or its driver is missing."""

    code = "UNAVAILABLE"


class InternalError(Error):
    code = "INTERNAL"


_BY_CODE = {
    cls.code: cls
    for cls in (InvalidArgumentError, NotFoundError, OutOfMemoryError, DataLossError,
                UnimplementedError, UnavailableError, InternalError)
}


def error_for_code(code):
    """The exception class for a runtime status code name (the bindings raise through it)."""
    return _BY_CODE.get(code, Error)


class CompileError(Error):
    """r1c failed to compile a model.

    ``message`` is what r1c printed; ``node``, ``op_type`` and ``opset`` name the ONNX
    node it blamed (None when the error is not about one node); ``command`` is the
    command line that ran.
    """

    code = "COMPILE"

    # r1c's one-line errors: "error: FILE: node 'NAME': OP_TYPE (opset N): why"
    _NODE = re.compile(r"node '(?P<node>[^']*)': (?P<op>[\w.]+) \(opset (?P<opset>\d+)\)")

    def __init__(self, message, command=None):
        super().__init__(message)
        self.message = message
        self.command = command
        match = self._NODE.search(message)
        self.node = match.group("node") if match else None
        self.op_type = match.group("op") if match else None
        self.opset = int(match.group("opset")) if match else None
