#!/usr/bin/env python3
"""Times attention on the host: ONNX Runtime, r1c with attention unfused, fused (dense) and
gated, on the same graph, side by side in one run.

  python3 bench/attention_host.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      [--seqs 512,1024,2048,4096,8192] [--heads 8] [--head-dim 64] [--causal] \\
      [--threads 1] [--rounds 3] [--write bench/results/DATE-attention-host.md]

The graph is one attention block as exporters write it: inputs q, k, v [1, heads, seq, dim]
(f32), MatMul(q, Transpose(k)), Mul by 1/sqrt(dim), optionally a causal mask
(Where(tril, scores, -inf)), Softmax over the keys, MatMul with v. The r1c configurations:

  unfused  --unfused-attention: the chain as the graph spells it (scores in memory)
  fused    the default: one r1.attention kernel (online softmax)
  gated    --sparse-attention=gated: the gate's defaults (keep=0.25, threshold=0.05)
  gated50  --sparse-attention=gated:keep=0.5,threshold=0 (half the key blocks)
  gated25  --sparse-attention=gated:keep=0.25,threshold=0 (a quarter of them)

A round times every peer in turn (--runs runs after a warm-up; fewer at long sequences);
--rounds rounds interleave them. Reported per sequence: the median of the round medians with
the spread (min..max), each r1c configuration's ratio to ORT and to fused, the planned arena
of each r1c artifact (`r1c --stats`, the memory the plan reserves for activations), and each
configuration's relative error of the output norm against ORT (gated is approximate by
design; on these random inputs nothing makes some key blocks matter more than others).
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from host_peers import Case, Ort, PeerFailed, R1c, cpu_info, norm_error  # noqa: E402

CONFIGS = [
    ("unfused", ["--unfused-attention"]),
    ("fused", []),
    ("gated", ["--sparse-attention=gated"]),
    ("gated50", ["--sparse-attention=gated:keep=0.5,threshold=0"]),
    ("gated25", ["--sparse-attention=gated:keep=0.25,threshold=0"]),
]

def make_attention(seq, heads, dim, causal, work):
    """The attention graph and its random inputs, as a Case."""
    name = f"seq {seq}" + (" causal" if causal else "")
    path = os.path.join(work, f"attention_{seq}{'_causal' if causal else ''}.onnx")
    shape = [1, heads, seq, dim]
    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["scaled"]),
    ]
    inits = [numpy_helper.from_array(np.array(1 / np.sqrt(dim), np.float32), "scale")]
    scores = "scaled"
    if causal:
        tril = np.tril(np.ones((seq, seq), dtype=bool)).reshape(1, 1, seq, seq)
        inits += [numpy_helper.from_array(tril, "tril"),
                  numpy_helper.from_array(np.array(-np.inf, np.float32), "minus_inf")]
        nodes.append(helper.make_node("Where", ["tril", "scaled", "minus_inf"], ["masked"]))
        scores = "masked"
    nodes += [helper.make_node("Softmax", [scores], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["out"])]
    graph = helper.make_graph(
        nodes, "attention",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ("q", "k", "v")],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    rng = np.random.default_rng(seq)
    feeds = {n: rng.standard_normal(shape).astype(np.float32) for n in ("q", "k", "v")}
    return Case(name, path, feeds, work)


def arena_bytes(peer, case):
    """The arena `r1c --stats` reported when the artifact was compiled."""
    return peer.arenas.get(case.name)


class R1cWithArena(R1c):
    """R1c, also keeping the planned arena from `--stats`."""

    def __init__(self, *args):
        super().__init__(*args)
        self.arenas = {}

    def compile(self, case):
        base = os.path.join(case.work, case.slug + "." + re.sub(r"\W+", "_", self.name))
        cmd = [self.r1c, case.path, "--target=host", "--stats", "--no-progress", *self.flags,
               "-o", base]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise PeerFailed(f"r1c: {run.stderr.strip().splitlines()[-1]}")
        arena = re.search(r"^arena: (\d+) bytes", run.stderr, re.M)
        self.arenas[case.name] = int(arena.group(1)) if arena else None
        self.artifacts[case.name] = base + ".r1"
        return 0, "?"


def fmt_ms(values):
    median = statistics.median(values)
    return f"{median:.2f} ({min(values):.2f}..{max(values):.2f})"


def fmt_mib(nbytes):
    return "?" if nbytes is None else f"{nbytes / 2**20:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--seqs", default="512,1024,2048,4096,8192")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--head-dim", type=int, default=64)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="runs per round up to seq 1024; "
                        "fewer beyond (at least 2)")
    parser.add_argument("--configs", default=",".join(name for name, _ in CONFIGS),
                        help="the r1c configurations to time (default all)")
    parser.add_argument("--write", help="also write the table as markdown to this file")
    args = parser.parse_args()

    wanted = args.configs.split(",")
    work = tempfile.mkdtemp(prefix="r1c-attention-")
    ort_peer = Ort()
    peers = [R1cWithArena(args.r1c, args.r1c_run, name, flags, False)
             for name, flags in CONFIGS if name in wanted]
    rows = []
    for seq in (int(s) for s in args.seqs.split(",")):
        case = make_attention(seq, args.heads, args.head_dim, args.causal, work)
        print(f"[attention] {case.name}: compiling", file=sys.stderr, flush=True)
        for peer in peers:
            peer.compile(case)
        runs = max(2, args.runs if seq <= 1024 else args.runs * 1024 // seq)
        times = {p.label: [] for p in [ort_peer, *peers]}
        for round_ in range(args.rounds):
            print(f"[attention] {case.name}: round {round_ + 1} of {args.rounds}",
                  file=sys.stderr, flush=True)
            for peer in [ort_peer, *peers]:
                times[peer.label].append(peer.time(case, args.threads, runs))
        reference = ort_peer.outputs[case.name][0]
        errors = {p.label: norm_error(p.outputs[case.name][0], reference) for p in peers}
        rows.append((case, times, errors, {p.label: arena_bytes(p, case) for p in peers}))

    labels = [p.label for p in peers]
    fused = next((p.label for p in peers if p.name == "fused"), None)
    cpu_name, isa = cpu_info()
    lines = [f"Attention on the host, {datetime.date.today()}: 1 x {args.heads} heads, head dim "
             f"{args.head_dim}, f32{', causal' if args.causal else ''}, {args.threads} "
             f"thread(s), {args.rounds} rounds. CPU: {cpu_name} ({', '.join(isa)}).", "",
             "Median ms (min..max of the round medians):", "",
             "| seq | ORT | " + " | ".join(labels) + " |",
             "|---|---:|" + "---:|" * len(labels)]
    for case, times, _, _ in rows:
        lines.append(f"| {case.name} | {fmt_ms(times['ORT'])} | " +
                     " | ".join(fmt_ms(times[l]) for l in labels) + " |")
    lines += ["", "Ratios of the medians (below 1: faster than the peer):", "",
              "| seq | " + " | ".join(f"{l} / ORT" for l in labels) +
              (" | " + " | ".join(f"{l} / fused" for l in labels if l != fused) if fused else "")
              + " |",
              "|---|" + "---:|" * (len(labels) + (len(labels) - 1 if fused else 0))]
    for case, times, _, _ in rows:
        med = {k: statistics.median(v) for k, v in times.items()}
        cells = [f"{med[l] / med['ORT']:.2f}" for l in labels]
        if fused:
            cells += [f"{med[l] / med[fused]:.2f}" for l in labels if l != fused]
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
    lines += ["", "Memory (MiB): r1c's planned arena per configuration; and each "
              "configuration's relative error of the output norm against ORT:", "",
              "| seq | " + " | ".join(f"{l} arena" for l in labels) + " | " +
              " | ".join(f"{l} error" for l in labels) + " |",
              "|---|" + "---:|" * (2 * len(labels))]
    for case, _, errors, arenas in rows:
        lines.append(f"| {case.name} | " +
                     " | ".join(fmt_mib(arenas[l]) for l in labels) + " | " +
                     " | ".join(f"{errors[l]:.1e}" for l in labels) + " |")
    command = ("python3 bench/attention_host.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run "
               f"--seqs {args.seqs} --heads {args.heads} --head-dim {args.head_dim}"
               f"{' --causal' if args.causal else ''} --threads {args.threads} "
               f"--rounds {args.rounds} --runs {args.runs}")
    lines += ["", f"Command: `{command}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
