# lit configuration of the r1c test suite.
import os

import lit.formats

config.name = "r1c"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lib", "models", "corpus", "conformance", "runtime", "CMakeLists.txt", "check_host.py", "harness.cpp", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.r1c_obj_root, "test")

# Tools under test first, then LLVM's FileCheck and not.
config.environment["PATH"] = os.pathsep.join(
    [config.r1c_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])]
)
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(
    ("%onnx-from-text", f"{config.python_executable} {os.path.join(config.test_source_root, 'lib', 'onnx_from_text.py')}")
)

# GPU compilers that r1c loads at run time: tests that compile kernels say
# REQUIRES: nvrtc (or hiprtc). The names are those r1c tries.
import ctypes


def _load_first(names):
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            pass
    return None


if _load_first(["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"]):
    config.available_features.add("nvrtc")
_hiprtc = _load_first(["libhiprtc.so", "libhiprtc.so.6", "libhiprtc.so.5", "libamdhip64.so",
                       "libamdhip64.so.6", "libamdhip64.so.5"])
if _hiprtc:
    config.available_features.add("hiprtc")
    # hipRTC inside libamdhip64 before HIP 5.7 does not know gfx942; r1c
    # then compiles gfx942 with comgr and its own LLVM back end.
    _version = ctypes.c_int(0)
    _get = getattr(_hiprtc, "hipRuntimeGetVersion", None)
    if _get and _get(ctypes.byref(_version)) == 0 and 0 < _version.value < 50700000:
        config.available_features.add("hiprtc-without-gfx942")
# Test-only libraries (test/gpu), such as the stand-in NVRTC.
config.substitutions.append(("%r1c_lib_dir", os.path.join(config.r1c_obj_root, "lib")))
