"""What bench/host_vs_onnxruntime.py times and measures against: r1c, ONNX Runtime and IREE
as peers, the single-MatMul GEMM models, the single-core FMA peak probe and the host's CPU."""
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
# STYLE.md's fp32 model tolerance: the relative error of each output's norm.
NORM_RTOL = 1e-4
# CPU flags that decide which kernels r1c, ORT and IREE can use; amx_* are matched by prefix.
ISA_FLAGS = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx512_fp16", "amx"]


class PeerFailed(Exception):
    """A peer could not compile or run a model; the message is one line, for a table cell."""


def one_line(text, limit=140):
    """The line of a tool's output that says what went wrong, short enough for a cell."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    picked = next((line for line in lines if "error" in line.lower()),
                  lines[-1] if lines else "no message")
    # Temporary folders say nothing to a reader of the table; file names do.
    picked = re.sub(r"(?<![\w.])/(?:[\w.+-]+/)+", "", picked).replace("|", "/")
    return picked if len(picked) <= limit else picked[: limit - 3] + "..."


def run_tool(cmd, what):
    """Runs cmd; a failure becomes PeerFailed naming `what` and the tool's own message."""
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise PeerFailed(f"{what}: {one_line(run.stderr + run.stdout)}")
    return run


def norm_error(got, want):
    """The largest relative error of an output's norm, ||got - want|| / ||want||; inf for a
    NaN or a shape that differs, so that neither ever passes."""
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        if g.shape != w.shape or np.isnan(g).any():
            return float("inf")
        worst = max(worst, np.linalg.norm(g - w) / max(np.linalg.norm(w), 1e-30))
    return worst


# --- the host -----------------------------------------------------------------------------

def cpu_info():
    """(model name, the ISA flags of ISA_FLAGS it has) from /proc/cpuinfo."""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        text = f.read()
    name = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    flags = set(re.search(r"^flags\s*:\s*(.*)$", text, re.M).group(1).split())
    have = [f for f in ISA_FLAGS if f in flags]
    have += sorted(f for f in flags if f.startswith("amx"))
    return (name.group(1).strip() if name else "unknown CPU"), [f for f in have if f != "amx"]


def fma_peak(work):
    """Builds and runs bench/fma_peak.c; returns ({isa: GFLOP/s}, None) or ({}, reason).
    Built here, with -march=native, so the probe is for this machine's own compiler and CPU."""
    exe = os.path.join(work, "fma_peak")
    cc = os.environ.get("CC", "gcc")
    try:
        run_tool([cc, "-O2", "-march=native", os.path.join(HERE, "fma_peak.c"), "-o", exe],
                 f"{cc} fma_peak.c")
        out = run_tool([exe], "fma_peak").stdout
    except (PeerFailed, OSError) as e:
        return {}, str(e)
    peaks = {m.group(1): float(m.group(2))
             for m in re.finditer(r"^(\w+) \w+: \d+ chains, ([\d.]+) GFLOP/s", out, re.M)}
    return peaks, None if peaks else f"fma_peak printed nothing usable: {one_line(out)}"


# --- the models -----------------------------------------------------------------------------

class Case:
    """One model to time: its file, the inputs all peers get (as arrays and as .npy files)
    and, for a GEMM, its flop count."""

    def __init__(self, name, path, feeds, work, flops=None):
        self.name, self.path, self.feeds, self.flops = name, path, feeds, flops
        self.slug = re.sub(r"\W+", "_", name)
        self.work = work
        self.input_files = []
        for i, value in enumerate(feeds.values()):
            f = os.path.join(work, f"{self.slug}.in{i}.npy")
            np.save(f, value)
            self.input_files.append(f)
        self.num_outputs = len(onnx.load(path, load_external_data=False).graph.output)


def parse_gemm_sizes(text):
    """'MxKxN,...' -> [(M, K, N), ...]."""
    sizes = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        parts = item.lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"--gemm-sizes: '{item}' is not MxKxN with positive integers")
        sizes.append(tuple(int(p) for p in parts))
    return sizes


def make_gemm(m, k, n, work):
    """A single-MatMul model, C = A @ B with A [M,K] the input and B [K,N] a constant
    initializer (random, seed fixed: the same B in every run), as a Case."""
    name = f"gemm {m}x{k}x{n}"
    path = os.path.join(work, f"gemm_{m}x{k}x{n}.onnx")
    b = np.random.default_rng(1).standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["C"], name="matmul")], f"gemm_{m}x{k}x{n}",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("C", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(b, "B")])
    # IR 8 and opset 17: what ONNX Runtime 1.22, r1c and IREE's importer all read.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    a = np.random.default_rng(0).standard_normal((m, k)).astype(np.float32)
    return Case(name, path, {"A": a}, work, flops=2.0 * m * n * k)


# --- the peers ------------------------------------------------------------------------------

class Ort:
    """ONNX Runtime's CPU provider; the reference every other peer's outputs are checked against."""
    label = "ORT"

    def __init__(self):
        self.outputs = {}

    def time(self, case, threads, runs):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(case.path, options,
                                           providers=["CPUExecutionProvider"])
            self.outputs.setdefault(case.name, session.run(None, case.feeds))  # the warm-up too
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                session.run(None, case.feeds)
                times.append((time.perf_counter() - start) * 1000)
        except Exception as e:  # onnxruntime raises its own classes, all Exception's
            raise PeerFailed(f"onnxruntime: {one_line(str(e))}") from e
        return statistics.median(times)


class R1c:
    """r1c --target=host with one variant's extra flags, timed by r1c-run."""

    def __init__(self, r1c, r1c_run, name, flags, only_variant):
        self.r1c, self.r1c_run = r1c, r1c_run
        self.name, self.flags = name, flags
        self.label = "r1c" if only_variant else f"r1c {name}"
        self.artifacts, self.outputs = {}, {}

    def compile(self, case):
        """Returns (seconds, kernel count); the count is what `--stats` prints, one number
        per shape bucket joined by '/' when a model has several."""
        base = os.path.join(case.work, case.slug + "." + re.sub(r"\W+", "_", self.name))
        # The default --cpu (auto: x86-64-v3 and v4 code in one artifact), as users
        # compile; a variant's flags may name one level.
        # `{model}` in a flag is the model's file stem (per-model calibration folders).
        stem = os.path.splitext(os.path.basename(case.path))[0]
        flags = [f.replace("{model}", stem) for f in self.flags]
        cmd = [self.r1c, case.path, "--target=host", "--stats", "--no-progress", *flags,
               "-o", base]
        start = time.monotonic()
        run = run_tool(cmd, "r1c")
        seconds = time.monotonic() - start
        counts = list(dict.fromkeys(re.findall(r"^kernels: (\d+)", run.stderr, re.M)))
        self.artifacts[case.name] = base + ".r1"
        return seconds, "/".join(counts) or "?"

    def time(self, case, threads, runs):
        cmd = [self.r1c_run, self.artifacts[case.name], "--bench", str(runs), "--json",
               "--threads", str(threads)]
        for f in case.input_files:
            cmd += ["--input", f]
        save = None
        if case.name not in self.outputs:
            save = tempfile.mkdtemp(dir=case.work)
            cmd += ["--save-outputs", save]
        ms = json.loads(run_tool(cmd, "r1c-run").stdout)["median_ms"]
        if save:
            self.outputs[case.name] = [np.load(os.path.join(save, f"output_{i}.npy"))
                                       for i in range(case.num_outputs)]
        return ms


class Iree:
    """IREE's llvm-cpu back end for this host's CPU, run by the local-task driver with
    one task group per thread."""
    label = "IREE"

    def __init__(self):
        self.modules, self.outputs = {}, {}
        import iree._runtime_libs  # noqa: F401 (the pip wheel's tool folder)
        import iree.compiler.tools.binaries as binaries
        runtime_dir = os.path.dirname(sys.modules["iree._runtime_libs"].__file__)
        self.compile_tool = binaries.find_tool("iree-compile")
        self.bench_tool = shutil.which("iree-benchmark-module") or os.path.join(
            runtime_dir, "iree-benchmark-module")
        self.run_tool = shutil.which("iree-run-module") or os.path.join(runtime_dir,
                                                                        "iree-run-module")

    @staticmethod
    def versions():
        """'compiler X, runtime Y', or None with the reason IREE cannot be used."""
        try:
            import iree.compiler  # noqa: F401
            import iree.runtime  # noqa: F401
        except ImportError as e:
            return None, f"not used: {e} (pip install iree-base-compiler iree-base-runtime)"
        v = importlib.metadata.version
        return f"compiler {v('iree-base-compiler')}, runtime {v('iree-base-runtime')}", None

    def compile(self, case):
        """Imports the ONNX file and compiles it: as it is, else upgraded to opset 17 by the
        importer (IREE lowers some ops only at newer opsets, such as BatchNormalization,
        which fails at opset 13). Returns the seconds the successful attempt took, and
        " (opset 17)" when it was the upgraded one."""
        mlir = os.path.join(case.work, case.slug + ".iree.mlir")
        vmfb = os.path.join(case.work, case.slug + ".vmfb")
        importer = [sys.executable, "-m", "iree.compiler.tools.import_onnx", case.path, "-o", mlir]
        reasons = []
        for extra, note in [([], ""), (["--opset-version", "17"], " (opset 17)")]:
            start = time.monotonic()
            try:
                run_tool(importer + extra, "iree-import-onnx")
                with open(mlir, encoding="utf-8", errors="replace") as f:
                    entry = re.search(r"func\.func @([\w$.-]+)\(", f.read(1 << 20))
                if not entry:
                    raise PeerFailed("iree-import-onnx wrote no func.func")
                run_tool([self.compile_tool, mlir, "--iree-hal-target-device=local",
                          "--iree-hal-local-target-device-backends=llvm-cpu",
                          "--iree-llvmcpu-target-cpu=host", "-o", vmfb], "iree-compile")
            except PeerFailed as e:
                reasons.append(str(e))
                continue
            finally:
                if os.path.exists(mlir):
                    os.remove(mlir)  # a text copy of the weights: large, and not needed again
            self.modules[case.name] = (vmfb, entry.group(1))
            return time.monotonic() - start, note
        if reasons[1] == reasons[0]:
            raise PeerFailed(reasons[0] + " (also with --opset-version 17)")
        raise PeerFailed(f"{reasons[0]}; with --opset-version 17: {reasons[1]}")

    def common(self, case, threads):
        vmfb, function = self.modules[case.name]
        return [f"--module={vmfb}", "--device=local-task", f"--function={function}",
                f"--task_topology_group_count={threads}",
                *(f"--input=@{f}" for f in case.input_files)]

    def time(self, case, threads, runs):
        # One iteration per repetition, as r1c-run and ORT time single runs; the first
        # repetition is the warm-up and is dropped.
        cmd = [self.bench_tool, *self.common(case, threads), "--benchmark_min_time=1x",
               f"--benchmark_repetitions={runs + 1}", "--benchmark_format=json"]
        report = json.loads(run_tool(cmd, "iree-benchmark-module").stdout)
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
        times = [b["real_time"] * scale[b["time_unit"]] for b in report["benchmarks"]
                 if b.get("run_type") == "iteration"][1:]
        if case.name not in self.outputs:
            outs = [os.path.join(case.work, f"{case.slug}.iree.out{i}.npy")
                    for i in range(case.num_outputs)]
            run_tool([self.run_tool, *self.common(case, threads),
                      *(f"--output=@{o}" for o in outs)], "iree-run-module")
            self.outputs[case.name] = [np.load(o) for o in outs]
        return statistics.median(times)


def describe_flags(flags):
    return f"`{shlex.join(flags)}`" if flags else "no extra flags"
