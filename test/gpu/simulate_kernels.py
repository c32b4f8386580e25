#!/usr/bin/env python3
"""Runs r1c's GPU kernels on the CPU and compares them with ONNX Runtime.

For each case of kernel_cases.py, r1c prints and compiles every kernel of
the model for the targets (--emit=kernels). This script then builds, per
architecture, one C++ program from the printed kernels (their "common" and
"kernel" sections) and simt.h, which runs them launch by launch as the
launch list says, with one CPU thread per GPU thread. sm_XX kernels run with
warps of 32, gfxXXX kernels with wavefronts of 64. Where kernels read
constants, the model is also compiled to an artifact, whose WEIGHTS section
the program loads for them. Outputs are compared with
ONNX Runtime's (or ONNX's reference, where a case asks) on the same random
inputs, with tolerances per element type; the arena is poisoned (all bits
set) first, so an element a kernel never writes shows up as NaN or a wrong
integer.

What this cannot check: the hardware itself (matrix-instruction register
layouts, memory ordering, occupancy); a GPU run does.

Usage: simulate_kernels.py --r1c PATH [--targets sm_90,gfx90a] [--cases a,b]
       [--mutate 'OLD=>NEW' --expect-failures]

--mutate with --expect-failures checks the simulator itself: a kernel
changed on purpose (operand registers swapped, say) must give wrong outputs.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import ml_dtypes
import numpy as np
import onnx
import onnx.parser
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import artifact_sections  # noqa: E402
import kernel_cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# atol, rtol per ONNX element type (STYLE.md 13); integers and booleans exact.
TOLERANCES = {
    np.dtype(np.float32): (1e-5, 1e-4),
    np.dtype(np.float16): (2.5e-3, 1e-3),
    np.dtype(ml_dtypes.bfloat16): (2e-2, 1e-2),
    np.dtype(np.float64): (1e-12, 1e-10),
}


class MissingCompiler(Exception):
    """NVRTC or hipRTC is not installed: the run is skipped, not failed."""


def parse_launches(path):
    """The first entry of a launch list: arena size, launches, outputs."""
    arena, launches, outputs = 0, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "entry":
                if launches:
                    break  # one shape bucket is enough here
                arena = int(words[3])
            elif words[0] == "launch":
                grid = [int(v) for v in words[4].split(",")]
                block = [int(v) for v in words[6].split(",")]
                args = words[words.index("args") + 1:]
                shared = int(words[words.index("shared") + 1])
                launches.append({"stem": words[1], "symbol": words[2], "grid": grid,
                                 "block": block, "shared": shared, "args": args})
            elif words[0] == "output":
                outputs.append(words[2])
    return arena, launches, outputs


def sections(source):
    """The text after each `// r1c section: NAME` line, by name."""
    parts = re.split(r"^// r1c section: (\w+)\n", source, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def parameter_types(kernel_text):
    match = re.search(r"__launch_bounds__\(\d+\) (\w+)\((.*?)\) \{", kernel_text, re.S)
    types = []
    for parameter in match.group(2).split(","):
        declaration = parameter.replace("__restrict__", "").split()
        types.append(" ".join(declaration[:-1]))
    return match.group(1), types


def read_weights(args, model_path, targets, options, work):
    """The artifact's WEIGHTS section, which weight:OFFSET arguments point
    into: constants the graph computes (folded index tables, zero states)."""
    base = os.path.join(work, "artifact")
    subprocess.run([args.r1c, model_path, f"--target={','.join(targets)}", "-o", base,
                    "--no-progress", *options], check=True, capture_output=True)
    for kind, _, offset, size in artifact_sections.sections(base + ".r1"):
        if kind == "WEIGHTS":
            with open(base + ".r1", "rb") as f:
                f.seek(offset)
                return f.read(size)
    return b""


class MutationNotFound(Exception):
    """--mutate names text that no kernel of the case prints."""


def mutated(text, mutations):
    """`text` with each (old, new) of `mutations` replaced, and whether any was."""
    changed = False
    for old, new in mutations:
        changed = changed or old in text
        text = text.replace(old, new)
    return text, changed


def build_program(kernel_dir, arch, launches, arena, outputs, work, weights_path=None,
                  mutations=()):
    extension = ".cu" if arch.startswith("sm_") else ".hip"
    common, kernels = None, {}
    applied = not mutations
    for launch in launches:
        path = os.path.join(kernel_dir, f"{launch['stem']}.{arch}{extension}")
        if not os.path.exists(path):
            path = os.path.join(kernel_dir, launch["stem"] + extension)
        with open(path, encoding="utf-8") as f:
            parts = sections(f.read())
        # The target's fragment gathering (CUDA) compiles as printed, on
        # simt.h's instructions.
        common = parts["common"] + parts.get("fragments", "")
        symbol, types = parameter_types(parts["kernel"])
        assert symbol == launch["symbol"], (symbol, launch)
        text, changed = mutated(parts["kernel"], mutations)
        applied = applied or changed
        kernels[symbol] = (text, types)
    if not applied:
        raise MutationNotFound(f"no {arch} kernel prints {' or '.join(o for o, _ in mutations)!r}")

    def pointer(arg):
        kind, _, value = arg.partition(":")
        if kind == "input":
            return f"inputs[{value}]"
        if kind == "arena":
            return f"(arena + {value})"
        if kind == "weight" and weights_path:
            return f"(weights + {value})"
        return "weights"  # operands kernels never read (shapes)

    lines = [f"#define R1_SIM_WARP {32 if arch.startswith('sm_') else 64}",
             '#include "simt.h"', "#include <cstdio>", "#include <cstdlib>", common]
    lines += [text for text, _ in kernels.values()]
    lines.append("""
static std::vector<char> readFile(const char *path) {
  std::vector<char> bytes;
  FILE *f = std::fopen(path, "rb");
  if (!f) { std::perror(path); std::exit(1); }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  std::fclose(f);
  return bytes;
}
static char *aligned(size_t bytes) {
  char *p = static_cast<char *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64));
  std::memset(p, 0xff, (bytes + 63) / 64 * 64 + 64);  // poison
  return p;
}
int main(int argc, char **argv) {
  // argv: input files..., then "--", then output file and byte count pairs.
  std::vector<char *> inputs;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    std::vector<char> bytes = readFile(argv[i]);
    char *p = aligned(bytes.size());
    std::memcpy(p, bytes.data(), bytes.size());
    inputs.push_back(p);
  }
  ++i;
""")
    lines.append(f"  char *arena = aligned({max(arena, 1)});")
    if weights_path:
        lines.append(f"  std::vector<char> weight_bytes = readFile({json.dumps(weights_path)});")
        lines.append("  char *weights = aligned(weight_bytes.size());")
        lines.append("  std::memcpy(weights, weight_bytes.data(), weight_bytes.size());")
    else:
        lines.append("  static char weights[1 << 16] = {};")
    for launch in launches:
        symbol = launch["symbol"]
        _, types = kernels[symbol]
        args = ", ".join(f"({t})({pointer(a)})" for t, a in zip(types, launch["args"]))
        g, b = launch["grid"], launch["block"]
        lines.append(f"  simt::launch({{{g[0]}, {g[1]}, {g[2]}}}, {{{b[0]}, {b[1]}, {b[2]}}}, "
                     f"[&] {{ {symbol}({args}); }}, {launch['shared']});")
    for index, location in enumerate(outputs):
        lines.append(f"  {{ FILE *f = std::fopen(argv[i + {2 * index}], \"wb\");"
                     f" std::fwrite({pointer(location)}, 1, std::atol(argv[i + {2 * index + 1}]), f);"
                     " std::fclose(f); }")
    lines.append("  return 0;\n}\n")
    source = os.path.join(work, f"sim_{arch}.cpp")
    with open(source, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    binary = os.path.join(work, f"sim_{arch}")
    subprocess.run(["g++", "-std=c++20", "-O1", "-w", "-pthread", "-I", HERE, source, "-o", binary],
                   check=True)
    return binary


def element_dtype(elem_type):
    """numpy's dtype of an ONNX element type; bfloat16 as ml_dtypes' (onnx
    maps it to float32, which has the wrong width for the kernels)."""
    if elem_type == onnx.TensorProto.BFLOAT16:
        return np.dtype(ml_dtypes.bfloat16)
    return onnx.helper.tensor_dtype_to_np_dtype(elem_type)


def float32_twin(model):
    """`model` with its bfloat16 graph inputs and outputs made float32, for
    ONNX Runtime, which has few bfloat16 kernels: fed the bfloat16 inputs
    widened, it computes what the kernels do (products accumulated in f32),
    and its outputs are rounded to bfloat16 for the comparison. The kernels
    round a fused op's intermediates to bfloat16 too, which stays within
    bfloat16's tolerance for the few ops the bfloat16 cases chain."""
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    for value in [*twin.graph.input, *twin.graph.output]:
        if value.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16:
            value.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    return twin


def random_inputs(model, ranges, rng):
    feeds = {}
    for value in model.graph.input:
        tensor_type = value.type.tensor_type
        dtype = element_dtype(tensor_type.elem_type)
        shape = [d.dim_value for d in tensor_type.shape.dim]
        if dtype == np.bool_:
            feeds[value.name] = rng.random(shape) < 0.5
        elif np.issubdtype(dtype, np.integer):
            low, high = ranges.get(value.name, (0, 5))
            feeds[value.name] = rng.integers(low, high, size=shape).astype(dtype)
        elif value.name in ranges:
            low, high = ranges[value.name]
            feeds[value.name] = rng.uniform(low, high, size=shape).astype(dtype)
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(np.float32).astype(dtype)
    return feeds


def round_tf32(values):
    """cvt.rna.tf32.f32 (simt.h's r1_round_tf32): 10 mantissa bits, ties away
    from zero; infinity and NaN unchanged."""
    bits = values.astype(np.float32).view(np.uint32).copy()
    finite = (bits & 0x7F800000) != 0x7F800000
    bits[finite] += 0x1000
    return (bits & 0xFFFFE000).view(np.float32)


def compare(name, ours, reference, tolerance=None):
    """`tolerance` (atol, rtol) replaces the element type's, for a result
    whose error comes from narrower operands (a 16-bit product kept in f32)."""
    if ours.dtype != reference.dtype or ours.shape != reference.shape:
        return f"{name}: got {ours.dtype}{list(ours.shape)}, expected {reference.dtype}{list(reference.shape)}"
    if ours.dtype in TOLERANCES:
        atol, rtol = tolerance or TOLERANCES[ours.dtype]
        a, b = ours.astype(np.float64), reference.astype(np.float64)
        bad = ~(np.abs(a - b) <= atol + rtol * np.abs(b))  # NaN never passes
        if bad.any():
            at = tuple(int(v) for v in np.argwhere(bad)[0])
            return (f"{name}: {int(bad.sum())} of {bad.size} elements differ; first at {at}: "
                    f"{ours[at]} vs {reference[at]}")
    elif not np.array_equal(ours, reference):
        at = tuple(int(v) for v in np.argwhere(ours != reference)[0])
        return f"{name}: differs first at {at}: {ours[at]} vs {reference[at]}"
    return None


def run_case(case, args):
    if "mlir" in case:
        return run_ir_case(case, args)
    name, text, ranges = case["name"], case["model"], case.get("ranges", {})
    work = tempfile.mkdtemp(prefix=f"r1c-sim-{name}-", dir=args.work)
    model = onnx.parser.parse_model(text)
    model_path = os.path.join(work, name + ".onnx")
    onnx.save(model, model_path)
    kernel_dir = os.path.join(work, "kernels")
    targets = args.targets.split(",")
    if case.get("tf32_inputs"):
        targets = [arch for arch in targets if arch.startswith("sm_")]
        if not targets:
            return []
    result = subprocess.run([args.r1c, model_path, f"--target={','.join(targets)}",
                             "--emit=kernels", "-o", kernel_dir, "--no-progress",
                             *case.get("options", [])], capture_output=True, text=True)
    if result.returncode != 0:
        if re.search(r"(NVRTC|hipRTC) is needed for", result.stderr):
            raise MissingCompiler(result.stderr.strip())
        return [f"{name}: r1c failed: {result.stderr.strip()}"]
    rng = np.random.default_rng(1234)
    feeds = random_inputs(model, ranges, rng)
    # The kernels get the inputs as drawn; the reference, what TF32 tensor
    # cores see of them. A kernel that did not round would miss it.
    reference_feeds = {name: round_tf32(value) if name in case.get("tf32_inputs", []) else value
                       for name, value in feeds.items()}
    bfloat16 = np.dtype(ml_dtypes.bfloat16)
    if any(v.dtype == bfloat16 for v in feeds.values()):
        wide = {k: v.astype(np.float32) if v.dtype == bfloat16 else v
                for k, v in reference_feeds.items()}
        outputs = ort.InferenceSession(float32_twin(model).SerializeToString(),
                                       providers=["CPUExecutionProvider"]).run(None, wide)
        expected = [
            o.astype(bfloat16) if v.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16 else o
            for o, v in zip(outputs, model.graph.output)]
    elif case.get("onnx_reference"):
        expected = ReferenceEvaluator(model).run(None, reference_feeds)
    else:
        expected = ort.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"]).run(None, reference_feeds)
    input_files = []
    for index, value in enumerate(model.graph.input):
        path = os.path.join(work, f"input{index}.bin")
        feeds[value.name].tofile(path)
        input_files.append(path)
    # The weights, once for every target, when a kernel reads one.
    weights_path = None
    for arch in targets:
        _, launches, _ = parse_launches(os.path.join(kernel_dir, f"launches.{arch}.txt"))
        if any(a.startswith("weight:") for l in launches for a in l["args"]):
            weights_path = os.path.join(work, "weights.bin")
            with open(weights_path, "wb") as f:
                f.write(read_weights(args, model_path, targets, case.get("options", []), work))
            break
    return run_programs(case, args, work, kernel_dir, targets, input_files, expected,
                        weights_path)


def emit_kernels(args, model_path, targets, options, kernel_dir, name):
    """r1c --emit=kernels; a list of failures (empty when it worked)."""
    result = subprocess.run([args.r1c, model_path, f"--target={','.join(targets)}",
                             "--emit=kernels", "-o", kernel_dir, "--no-progress", *options],
                            capture_output=True, text=True)
    if result.returncode == 0:
        return []
    if re.search(r"(NVRTC|hipRTC) is needed for", result.stderr):
        raise MissingCompiler(result.stderr.strip())
    return [f"{name}: r1c failed: {result.stderr.strip()}"]


def run_programs(case, args, work, kernel_dir, targets, input_files, expected, weights_path=None):
    """Builds and runs each target's program; the failures of its outputs."""
    failures = []
    for arch in targets:
        arena, launches, outputs = parse_launches(os.path.join(kernel_dir, f"launches.{arch}.txt"))
        binary = build_program(kernel_dir, arch, launches, arena, outputs, work, weights_path,
                               args.mutate)
        command = [binary, *input_files, "--"]
        for index, reference in enumerate(expected):
            command += [os.path.join(work, f"{arch}.output{index}.bin"), str(reference.nbytes)]
        subprocess.run(command, check=True, timeout=600)
        for index, reference in enumerate(expected):
            ours = np.fromfile(os.path.join(work, f"{arch}.output{index}.bin"),
                               dtype=reference.dtype).reshape(reference.shape)
            problem = compare(f"{case['name']} [{arch}] output {index}", ours, reference,
                              case.get("tolerance"))
            if problem:
                failures.append(problem)
    return failures


def run_ir_case(case, args):
    """A case given as r1 IR (attention_cases.py): its own inputs and numpy
    reference."""
    name = case["name"]
    work = tempfile.mkdtemp(prefix=f"r1c-sim-{name}-", dir=args.work)
    model_path = os.path.join(work, name + ".mlir")
    with open(model_path, "w", encoding="utf-8") as f:
        f.write(case["mlir"])
    kernel_dir = os.path.join(work, "kernels")
    targets = args.targets.split(",")
    failures = emit_kernels(args, model_path, targets, case.get("options", []), kernel_dir, name)
    if failures:
        return failures
    feeds = case["inputs"](np.random.default_rng(1234))
    expected = case["reference"](feeds)
    input_files = []
    for index, input_name in enumerate(case["input_names"]):
        path = os.path.join(work, f"input{index}.bin")
        feeds[input_name].tofile(path)
        input_files.append(path)
    return run_programs(case, args, work, kernel_dir, targets, input_files, expected)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--targets", default="sm_90,gfx90a")
    parser.add_argument("--cases", default="",
                        help="comma list of case names (default: all but the slow ones)")
    parser.add_argument("--slow", action="store_true",
                        help="with no --cases, also the slow cases (whole-GPU grids)")
    parser.add_argument("--work", default=None, help="where to keep the files (default: temp)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--mutate", action="append", default=[], metavar="OLD=>NEW",
                        help="replace OLD by NEW in the printed kernels before building them "
                             "(a deliberate mistake); repeatable")
    parser.add_argument("--expect-failures", action="store_true",
                        help="succeed only if every case's outputs differ from the reference "
                             "(with --mutate: the simulator catches the mistake)")
    args = parser.parse_args()
    args.mutate = [tuple(m.split("=>", 1)) for m in args.mutate]
    chosen = set(filter(None, args.cases.split(",")))
    cases = [c for c in kernel_cases.CASES
             if c["name"] in chosen or (not chosen and (args.slow or not c["slow"]))]
    if args.work:
        os.makedirs(args.work, exist_ok=True)
    start = time.time()
    try:
        failures = run_all(cases, args)
    except MissingCompiler as e:
        print(f"SKIP: {e}")
        return 77
    print(f"{len(cases)} cases on {args.targets} in {time.time() - start:.0f} s: "
          f"{len(failures)} failures")
    if args.expect_failures:
        # Every case must fail, and by a wrong output, not by a build or run error.
        caught = {f.split(":")[0].split(" [")[0] for f in failures
                  if "differ" in f and "r1c failed" not in f}
        missed = [c["name"] for c in cases if c["name"] not in caught]
        for name in missed:
            print(f"NOT CAUGHT {name}: its outputs match the reference, or it failed otherwise")
        return 1 if missed else 0
    return 1 if failures else 0


def run_all(cases, args):
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        def guarded(c):
            try:
                return run_case(c, args)
            except MissingCompiler:
                raise
            except Exception as e:  # one broken case must not hide the others
                return [f"{c['name']}: {e}"]
        for case, problems in zip(cases, pool.map(guarded, cases)):
            print(f"{'FAIL' if problems else 'ok  '} {case['name']}", flush=True)
            failures += problems
    for problem in failures:
        print(problem)
    return failures


if __name__ == "__main__":
    sys.exit(main())
