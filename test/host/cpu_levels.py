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


def dl_variants_contain(r1c, model, flags, text, out):
    """Whether the kernel IR r1c writes to `out` for `model` (compiled with `flags` for
    x86-64-v4-dl, the level with the dot-product extensions) contains `text`: a check that
    the select pass chose the variant a case is about."""
    ir = subprocess.run([r1c, model, *flags, "--compile-to=kernel", "--cpu=x86-64-v4-dl", "-o",
                         out], capture_output=True, text=True)
    if ir.returncode != 0:
        return False
    with open(out, encoding="utf-8") as f:
        return text in f.read()


def check_cases(r1c, r1c_run, cases, work, levels, compare):
    """Compiles each case (name, path, flags, variant, inputs; `best`, the level the
    artifact's best code is for, when it is not the first of `levels`) for the host, checks
    its variant (dl_variants_contain), and runs it at each of `levels` (name: cap, None for
    the best the CPU runs) that this CPU has. `compare(case, output)` gives (ok, detail);
    a run also fails unless it ran the level expected. Prints a line per run; returns
    (passed, failed, skipped)."""
    flags = cpu_flags()
    passed = failed = skipped = 0
    for case in cases:
        base = os.path.join(work, case.name)
        build = subprocess.run([r1c, case.path, "--target=host", "--no-progress", *case.flags,
                                "-o", base], capture_output=True, text=True)
        if build.returncode != 0:
            print(f"FAIL {case.name}: r1c: {build.stderr.strip()}")
            failed += 1
            continue
        if case.variant and not dl_variants_contain(r1c, case.path, case.flags, case.variant,
                                                    base + ".mlir"):
            print(f"FAIL {case.name}: the variant has no '{case.variant}'")
            failed += 1
        feeds = []
        for i, value in enumerate(case.inputs):
            feeds.append(f"{base}.input{i}.npy")
            np.save(feeds[-1], value)
        for level, cap in levels.items():
            expected = getattr(case, "best", level) if cap is None else level
            label = f"{case.name} @ {expected}"
            if not runs(level, flags):
                print(f"skip {label}: this CPU does not run it")
                skipped += 1
                continue
            try:
                device, got = run_capped(r1c_run, base + ".r1", feeds, cap, f"{base}.{level}")
            except RuntimeError as e:
                print(f"FAIL {label}: r1c-run: {e}")
                failed += 1
                continue
            ok, detail = compare(case, got)
            ok = ok and f"running {expected} code" in device
            print(f"{'ok  ' if ok else 'FAIL'} {label}: {detail}, {device}")
            passed += ok
            failed += not ok
    return passed, failed, skipped
