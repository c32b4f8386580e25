#!/usr/bin/env python3
"""Times r1c host artifacts against ONNX Runtime (CPU), and IREE where it is installed, on
the same models, inputs and thread counts, side by side in one run.

  python3 bench/host_vs_onnxruntime.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      --models-dir build/test/models [--threads 1,2] [--runs 10] [--rounds 3] \\
      [--r1c-variant tuned="--tune"] [--gemm-only | --no-gemm] [--gemm-sizes 4096x4096x4096] \\
      [--ort-int8 [--calibration-dir DIR | --calibration-sets 8]] \\
      [--write bench/results/DATE-host.md]

The cases are the models of --models (from --models-dir) and single-MatMul GEMMs that the
script writes itself (--gemm-sizes, M x K x N: A [M,K] the input, B [K,N] a constant).
Every r1c variant (--r1c-variant NAME="FLAGS", repeatable; default one, "default", with no
extra flags; `{model}` in FLAGS becomes the model's file stem, e.g.
--r1c-variant int8="--precision=int8 --calibration=DIR/{model}") compiles each case once with `r1c --target=host --stats` plus its flags; the
table gives its compile time and kernel count. IREE, when iree.compiler and iree.runtime
import (pip: iree-base-compiler, iree-base-runtime), imports each model with
iree-import-onnx (as it is, else upgraded to opset 17) and compiles it for llvm-cpu and this
CPU; where that fails its cells say why, and the other peers go on.

With --ort-int8, one more peer: ONNX Runtime on the model quantized to int8
(bench/ort_int8.py): onnxruntime.quantization.quantize_static after quant_pre_process,
with ORT's recommended CPU settings, QDQ format, activations QUInt8 (asymmetric),
weights QInt8 symmetric per channel, MinMax calibration, no reduce_range. It calibrates
on the inputs the bench times plus random valid ones made the same way with other seeds
(--calibration-sets in all, default 8), or on ONNX test data with --calibration-dir
(DIR/test_data_set_N/input_K.pb, or DIR/MODEL/test_data_set_N/... per model). The
quantized model is built once and cached next to the model (MODEL.ort-int8.onnx, with
MODEL.ort-int8.json recording the settings, calibration and a hash of the model; a
change quantizes again); the compile table gives the time it took. Its outputs differ
from fp32 by design: the table notes their error against ORT fp32 instead of warning.

Each case is timed at each --threads count: r1c-run --threads N, ORT intra_op_num_threads N,
IREE's local-task driver with N task groups. A round times every peer in turn (each r1c
variant, ORT, ORT int8, IREE) for --runs runs after one warm-up run; --rounds rounds
interleave them, so a slow spell of the machine hits all alike. Reported: the median of the round medians,
their spread (min..max), r1c / peer (ratio of the medians; above 1, r1c is slower) and per
thread count the geometric mean of those ratios. GEMMs are reported in GFLOP/s (2*M*N*K /
time) and, at 1 thread, as a share of one core's FMA peak, which bench/fma_peak.c measures
(built with gcc -O2 -march=native). Every peer's outputs are checked against ORT's
(relative error of the output norm <= 1e-4); the table has a warning row where they differ.
"""
import argparse
import datetime
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "models"))
from check_host_models import make_inputs  # noqa: E402
from host_peers import (NORM_RTOL, Case, Iree, Ort, PeerFailed, R1c, cpu_info,  # noqa: E402
                        describe_flags, fma_peak, make_gemm, norm_error, parse_gemm_sizes)
from ort_int8 import OrtInt8  # noqa: E402

MODELS = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit"]
GEMM_SIZES = "4096x4096x4096,128x768x768,128x3072x768"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--models-dir", help="folder of MODEL.onnx (needed unless --gemm-only)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--runs", type=int, default=10, help="timed runs per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case (default 3)")
    parser.add_argument("--threads", default="1",
                        help="comma list of thread counts, each used by all peers (default 1)")
    parser.add_argument("--r1c-variant", action="append", metavar='NAME="FLAGS"',
                        help="an r1c column group compiled with these extra r1c flags; "
                             "repeatable (default: one, named default, with none)")
    parser.add_argument("--gemm-sizes", default=GEMM_SIZES,
                        help=f"comma list of MxKxN (default {GEMM_SIZES})")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--gemm-only", action="store_true", help="time only the GEMMs")
    group.add_argument("--no-gemm", action="store_true", help="time only the models")
    parser.add_argument("--no-iree", action="store_true", help="leave IREE out even if installed")
    parser.add_argument("--ort-int8", action="store_true",
                        help="also time ONNX Runtime on the model quantized to int8 "
                             "(bench/ort_int8.py: static, QDQ, cached next to the model)")
    parser.add_argument("--calibration-dir",
                        help="with --ort-int8: calibrate on ONNX test data, "
                             "DIR/test_data_set_N/input_K.pb or DIR/MODEL/test_data_set_N/...")
    parser.add_argument("--calibration-sets", type=int, default=8,
                        help="with --ort-int8 and no --calibration-dir: random valid input "
                             "sets to calibrate on (default 8, the timed inputs first)")
    parser.add_argument("--write", help="also write the report as markdown to this file")
    args = parser.parse_args()
    given = args.threads
    try:
        args.threads = [int(t) for t in given.split(",") if t.strip()]
        if not args.threads or min(args.threads) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--threads: '{given}' is not a comma list of counts >= 1")
    try:
        args.gemm_sizes = [] if args.no_gemm else parse_gemm_sizes(args.gemm_sizes)
    except ValueError as e:
        parser.error(str(e))
    args.models = [] if args.gemm_only else [m for m in args.models.split(",") if m.strip()]
    if args.calibration_dir and not args.ort_int8:
        parser.error("--calibration-dir calibrates --ort-int8: give that too")
    if args.models and not args.models_dir:
        parser.error("--models-dir is needed for the models (or give --gemm-only)")
    for m in args.models:
        if not os.path.exists(os.path.join(args.models_dir, m + ".onnx")):
            parser.error(f"--models: no {m}.onnx in --models-dir {args.models_dir} "
                         "(test/models/generate.py writes them)")
    args.variants = []
    for spec in args.r1c_variant or ["default="]:
        name, eq, flags = spec.partition("=")
        if not eq or not name.strip():
            parser.error(f"--r1c-variant: '{spec}' is not NAME=\"FLAGS\"")
        if name in (v[0] for v in args.variants):
            parser.error(f"--r1c-variant: '{name}' is given twice")
        args.variants.append((name.strip(), shlex.split(flags)))
    return args


def source_commit():
    """The r1c source tree's commit, marked when it has uncommitted changes."""
    try:
        git = ["git", "-C", HERE]
        commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return commit + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(case, r1cs, ort_peer, iree, ort_int8, args, result):
    """Compiles the case with every r1c variant and IREE, then times all peers at each
    thread count, round by round; fills result (see main) and checks outputs against ORT."""
    compiled = {}
    for peer in [*r1cs, iree, ort_int8]:
        if peer is None:
            continue
        progress(f"{case.name}: compiling with {peer.label}")
        try:
            compiled[peer.label] = peer.compile(case)
        except PeerFailed as e:
            result["failed"][peer.label] = str(e)
    result["compile"] = compiled
    peers = [p for p in [*r1cs, ort_peer, ort_int8, iree] if p is not None]
    for threads in args.threads:
        for round_ in range(args.rounds):
            progress(f"{case.name}: {threads} thread(s), round {round_ + 1} of {args.rounds}")
            for peer in peers:
                if peer.label in result["failed"]:
                    continue
                try:
                    ms = peer.time(case, threads, args.runs)
                except PeerFailed as e:
                    result["failed"][peer.label] = str(e)
                    continue
                result["rounds"].setdefault((threads, peer.label), []).append(ms)
    want = ort_peer.outputs.get(case.name)
    for peer in peers:
        if peer is not ort_peer and want is not None and case.name in peer.outputs:
            result["error"][peer.label] = norm_error(peer.outputs[case.name], want)


def progress(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def rtol_text():
    return f"{NORM_RTOL:.0e}".replace("e-0", "e-")


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def fmt_ms(x):
    return f"{x:.2f}" if x >= 1 else f"{x:.4f}"


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def thread_table(cases, results, r1cs, peers, threads, peak):
    """The markdown rows of one thread count's table, models in ms or GEMMs in GFLOP/s:
    the peers' columns, then one column group per r1c variant with its ratios to them."""
    gemm = cases[0].flops is not None
    unit = "GFLOP/s" if gemm else "ms"
    others = [p for p in peers if p not in r1cs]
    head = ["gemm" if gemm else "model"]
    align = "|---|"
    for p in [*others, *r1cs]:
        head += [f"{p.label} ({unit})", f"{p.label} spread"]
        align += "---:|---|"
        if p in r1cs:
            head += [f"{p.label} / {o.label}" for o in others]
            align += "---:|" * len(others)
    lines = ["| " + " | ".join(head) + " |", align]
    ratios = {(r.label, o.label): [] for r in r1cs for o in others}
    for case in cases:
        res = results[case.name]
        med = {p.label: statistics.median(res["rounds"][(threads, p.label)]) for p in peers
               if (threads, p.label) in res["rounds"]}
        row = [case.name]
        for p in [*others, *r1cs]:
            rounds = res["rounds"].get((threads, p.label))
            if not rounds:
                why = res["failed"].get(p.label, "not timed")
                compiles = isinstance(p, Ort) or p.label in res["compile"]
                row += [f"fails: {why}" if compiles else "fails to compile", ""]
            elif gemm:
                rate = [case.flops / ms * 1e-6 for ms in rounds]
                cell = f"{case.flops / med[p.label] * 1e-6:.1f}"
                if threads == 1 and peak:
                    cell += f" ({100 * case.flops / med[p.label] * 1e-6 / peak[1]:.0f}%)"
                row += [cell, f"{min(rate):.1f}..{max(rate):.1f}"]
            else:
                row += [fmt_ms(med[p.label]), f"{fmt_ms(min(rounds))}..{fmt_ms(max(rounds))}"]
            if p in r1cs:
                for o in others:
                    if p.label in med and o.label in med:
                        ratios[(p.label, o.label)].append(med[p.label] / med[o.label])
                        row.append(f"{med[p.label] / med[o.label]:.2f}")
                    else:
                        row.append("")
        lines.append("| " + " | ".join(row) + " |")
        for label, err in res["error"].items():
            if label == OrtInt8.label:
                lines.append(f"| note: {label}'s output vs ORT's: relative error of the output "
                             f"norm {err:.1e} (quantized, not held to {rtol_text()}) |"
                             + " |" * (len(head) - 1))
            elif not err <= NORM_RTOL:
                lines.append(f"| **warning**: {label}'s output differs from ORT's: relative "
                             f"error of the output norm {err:.1e} > {rtol_text()} |"
                             + " |" * (len(head) - 1))
    row = ["geomean"] + [""] * 2 * len(others)
    for r in r1cs:
        row += ["", ""]
        for o in others:
            values = ratios[(r.label, o.label)]
            g = geomean(values)
            partial = f" ({len(values)} of {len(cases)})" if len(values) < len(cases) else ""
            row.append("" if g is None else f"{g:.2f}{partial}")
    lines.append("| " + " | ".join(row) + " |")
    return lines


def report(args, cases, results, r1cs, peers, header):
    lines = header + ["", "## Compile", ""]
    head = ["case"] + [h for r in r1cs for h in (f"{r.label} (s)", f"{r.label} kernels")]
    iree = next((p for p in peers if isinstance(p, Iree)), None)
    int8 = next((p for p in peers if isinstance(p, OrtInt8)), None)
    if iree:
        head.append("IREE (s)")
    if int8:
        head.append("ORT int8 quantize (s)")
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for case in cases:
        res = results[case.name]
        row = [case.name]
        for p in r1cs + ([iree] if iree else []) + ([int8] if int8 else []):
            done = res["compile"].get(p.label)
            if done is None:
                row += [f"fails: {res['failed'].get(p.label, '?')}"] + [""] * isinstance(p, R1c)
            elif isinstance(p, R1c):
                row += [f"{done[0]:.1f}", done[1]]
            else:
                row.append(f"{done[0]:.1f}{done[1]}")
        lines.append("| " + " | ".join(row) + " |")
    for threads in args.threads:
        lines += ["", f"## {threads} thread{'s' if threads > 1 else ''}"]
        for subset in ([c for c in cases if c.flops is None], [c for c in cases if c.flops]):
            if subset:
                lines += [""] + thread_table(subset, results, r1cs, peers, threads, args.peak)
    return "\n".join(lines)


def main():
    args = parse_args()
    cpu_name, isa = cpu_info()
    command = shlex.join(["python3", *sys.argv])
    iree_version, iree_note = (None, "not used: --no-iree") if args.no_iree else Iree.versions()
    r1cs = [R1c(args.r1c, args.r1c_run, name, flags, len(args.variants) == 1 and
                name == "default") for name, flags in args.variants]
    ort_peer = Ort()
    ort_int8 = OrtInt8(make_inputs, args.calibration_dir,
                       args.calibration_sets) if args.ort_int8 else None
    iree = None
    if iree_version:
        try:
            iree = Iree()
        except (ImportError, OSError) as e:
            iree_version, iree_note = None, f"not used: {e}"
    peers = [*r1cs, ort_peer] + ([ort_int8] if ort_int8 else []) + ([iree] if iree else [])
    cases, results = [], {}
    with tempfile.TemporaryDirectory() as work:
        args.peak, peak_text = None, "not measured (no GEMMs)"
        if args.gemm_sizes:
            progress("measuring the single-core FMA peak")
            peaks, why = fma_peak(work)
            if peaks:
                args.peak = max(peaks.items(), key=lambda kv: kv[1])
                peak_text = ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items())
            else:
                peak_text = f"not measured: {why}"
        todo = [("model", m) for m in args.models] + [("gemm", s) for s in args.gemm_sizes]
        for kind, what in todo:
            case_dir = tempfile.mkdtemp(dir=work)
            if kind == "gemm":
                case = make_gemm(*what, case_dir)
            else:
                path = os.path.join(args.models_dir, what + ".onnx")
                model = onnx.load(path, load_external_data=False)
                feeds = make_inputs(model, np.random.default_rng(0))
                case = Case(what, path, feeds, case_dir)
            results[case.name] = {"compile": {}, "failed": {}, "rounds": {}, "error": {}}
            measure(case, r1cs, ort_peer, iree, ort_int8, args, results[case.name])
            cases.append(case)
            for threads in args.threads:
                meds = [f"{label} {fmt_ms(statistics.median(r))} ms"
                        for (t, label), r in results[case.name]["rounds"].items() if t == threads]
                print(f"{case.name}, {threads} thread(s): {', '.join(meds)}", flush=True)
            shutil.rmtree(case_dir)
            # What a peer keeps per case (outputs) is only needed for the check above.
            for p in peers:
                p.outputs.pop(case.name, None)

    errors = [e for r in results.values() for label, e in r["error"].items()
              if label != OrtInt8.label]
    checked, mismatches = len(errors), sum(not e <= NORM_RTOL for e in errors)
    header = [
        f"CPU: {cpu_name}, {os.cpu_count()} cores visible; ISA: {', '.join(isa)}"
        + ("" if any(f.startswith("amx") for f in isa) else "; no AMX") + ".",
        f"Single-core float32 FMA peak (bench/fma_peak.c, gcc -O2 -march=native, one core): "
        f"{peak_text}" + (f"; GEMM percentages are of {args.peak[0]}'s." if args.peak else "."),
        f"onnxruntime {ort.__version__} (CPUExecutionProvider); IREE "
        + (f"{iree_version} (llvm-cpu, `--iree-llvmcpu-target-cpu=host`, local-task driver)"
           if iree_version else iree_note) + ".",
        *([f"ORT int8: the model quantized by onnxruntime.quantization.quantize_static "
           f"(bench/ort_int8.py): QDQ, activations QUInt8, weights QInt8 symmetric per "
           f"channel, MinMax calibration on "
           + (f"the test data sets of {args.calibration_dir}" if args.calibration_dir else
              f"{args.calibration_sets} random valid input sets")
           + "; cached next to the model."] if ort_int8 else []),
        f"r1c `--target=host` (the default --cpu=auto: x86-64-v3 and v4 code in one artifact, "
        f"{'the v4 code running here' if 'avx512f' in isa else 'the v3 code running here'}), "
        f"source at {source_commit()}; variants: "
        + "; ".join(f"{n} ({describe_flags(f)})" for n, f in args.variants) + ".",
        f"Threads: {', '.join(map(str, args.threads))} (each for all peers); batch 1; "
        f"{plural(args.rounds, 'round')} of {plural(args.runs, 'run')}, interleaved; median of "
        f"the round medians, spread min..max of them; r1c / X is the ratio of the medians "
        f"(above 1: r1c is slower). Times include each runtime's cost per call (r1c-run's, "
        f"ORT's Python binding, IREE's VM invocation), some microseconds, which weigh on "
        f"cases that take well under a millisecond.",
        f"Outputs checked against ORT's (relative error of the output norm <= {rtol_text()}): "
        + (f"{mismatches} differ, see the warning rows." if mismatches else
           "all within it." if checked else "none compared."),
    ]
    title = ("# r1c host vs ONNX Runtime" + (" and IREE" if iree else "") +
             f", {datetime.date.today().isoformat()}")
    text = report(args, cases, results, r1cs, peers, [f"Command: `{command}`", ""] +
                  [f"- {h}" for h in header])
    print(text)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(f"{title}\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
