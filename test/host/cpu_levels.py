"""Running a host artifact at each x86-64 level the CPU has, for checks that compare the
code of every level (R1C_MAX_CPU_ISA caps the level the runtime picks)."""
import json
import os
import subprocess

import numpy as np


def cpu_flags():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        return next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])


def runs(level, flags):
    """Whether a CPU with `flags` runs the code of `level`."""
    avx512 = all(f in flags for f in ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))
    if level == "x86-64-v4":
        return avx512
    if level == "x86-64-v4-dl":
        return avx512 and "avx512_bf16" in flags and "avx512_vnni" in flags
    return True


def run_capped(r1c_run, artifact, feeds, cap, outputs):
    """Runs `artifact` on the .npy `feeds` with the level capped at `cap` (None: the best the
    CPU runs). Returns (the code r1c-run says ran, output 0); raises RuntimeError with
    r1c-run's message when it fails."""
    env = dict(os.environ)
    env.pop("R1C_MAX_CPU_ISA", None)
    if cap:
        env["R1C_MAX_CPU_ISA"] = cap
    inputs = [arg for feed in feeds for arg in ("--input", feed)]
    run = subprocess.run([r1c_run, artifact, *inputs, "--save-outputs", outputs, "--json"],
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip())
    return json.loads(run.stdout)["device"], np.load(os.path.join(outputs, "output_0.npy"))
