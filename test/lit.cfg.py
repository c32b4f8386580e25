# lit configuration of the r1c test suite.
import os

import lit.formats

config.name = "r1c"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lib", "models", "corpus", "conformance", "runtime", "CMakeLists.txt", "check_host.py", "harness.cpp"]
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
