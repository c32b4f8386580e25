"""Compiling small ONNX models with r1c and timing them with r1c-run, interleaved: what the
single-kernel benchmarks (bf16_gemm_host.py, int8_gemm_host.py) share."""
import json
import os
import platform
import subprocess


def cpu_name():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def compile_and_time(r1c, r1c_run, work, models, rounds, runs):
    """`models` maps a key (case, dtype) to a function writing that ONNX model to a path;
    each is written (in order) and compiled with `r1c --target=host`, then every round times
    each artifact in turn with `r1c-run --bench RUNS` on one thread. Returns the round
    medians per key, and per dtype the code r1c-run says ran."""
    artifacts = {}
    for key, write in models.items():
        base = os.path.join(work, f"case{key[0]}_{key[1]}")
        write(base + ".onnx")
        subprocess.run([r1c, base + ".onnx", "--target=host", "--no-progress", "-o", base],
                       check=True)
        artifacts[key] = base + ".r1"
    times, devices = {}, {}
    for _ in range(rounds):
        for key, artifact in artifacts.items():
            run = subprocess.run([r1c_run, artifact, "--bench", str(runs), "--threads", "1",
                                  "--json"], capture_output=True, text=True, check=True)
            result = json.loads(run.stdout)
            times.setdefault(key, []).append(result["median_ms"])
            devices[key[1]] = result["device"]
    return times, devices


def describe_case(case):
    """A benchmark case, ("gemm", M, K, N) or ("conv", batch, C, H, W, F, R), in words."""
    if case[0] == "gemm":
        return f"matmul {case[1]} x {case[2]} x {case[3]}"
    _, b, c, h, w, f, r = case
    return f"conv {r}x{r} {c}->{f} on {h}x{w}" + (f" (batch {b})" if b > 1 else "")


def case_macs(case):
    """The multiply-adds of a case (an R x R convolution keeps its H x W plane)."""
    if case[0] == "gemm":
        return case[1] * case[2] * case[3]
    _, b, c, h, w, f, r = case
    return b * f * h * w * c * r * r
