#!/usr/bin/env python3
"""Static performance checks of r1c's GPU kernels, without a GPU.

Compiles a set of models (fp16/bf16 GEMM 4096^3, 3x3 and 1x1 convolutions, the
fp16 GEMM and 3x3 convolution with an f32 result as --precision=fp16 makes them, f16
elementwise, softmax and layer norm, f16 fused attention over 2048 tokens, dense
and causal) for sm_80, sm_90, sm_90a and gfx90a with
`r1c --emit=kernels`, disassembles every kernel (nvdisasm and cuobjdump from
pip's nvidia-cuda-nvdisasm and nvidia-cuda-cuobjdump for cubins; llvm-objdump
and llvm-readelf for AMD code objects) and reports, per kernel and target:

  - the main loop of a kernel with matrix instructions: the innermost loop
    (a backward branch and its target) holding the most HMMA/HGMMA/MFMA
    instructions, its instruction count, and instructions per matrix
    instruction;
  - registers (AMD: VGPRs + AGPRs, and SGPRs), spills, shared memory;
  - global memory accesses by width, and the widest one.

With --bounds FILE, it fails (exit 1) when a kernel spills or its main loop
takes more instructions per matrix instruction than FILE allows, or when a
16-bit elementwise, softmax or layer norm kernel's widest global access
falls below the recorded width; a bound that the kernel now beats by more
than 10% is reported so it can be tightened (--update-bounds rewrites FILE
from this run). Exits 77 (a CTest skip), saying why, when NVRTC, hipRTC or
the disassemblers are missing.

  python3 scripts/gpu_static_checks.py --r1c build/bin/r1c \\
      [--bounds test/gpu/static_bounds.json [--update-bounds]] [--write FILE.md] [--work DIR]
"""
import argparse
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

TARGETS = ["sm_80", "sm_90", "sm_90a", "gfx90a"]
# Families whose global accesses should be 16 bytes wide for 16-bit data.
VECTOR_FAMILIES = {"elementwise", "softmax", "layer_norm"}


def model(name, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def cases():
    """The models checked, by name: ONNX models, or r1 IR as text."""
    f16, bf16 = TensorProto.FLOAT16, TensorProto.BFLOAT16
    n = 4096
    gemm = lambda dtype: model(  # noqa: E731
        "gemm", [helper.make_node("MatMul", ["a", "b"], ["y"])],
        [tensor("a", dtype, [n, n]), tensor("b", dtype, [n, n])], [tensor("y", dtype, [n, n])])
    rows, width = 1024, 4096
    return {
        "gemm_f16_4096": gemm(f16),
        "gemm_bf16_4096": gemm(bf16),
        "conv3x3_f16": model(
            "conv", [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
            [tensor("x", f16, [1, 256, 56, 56]), tensor("w", f16, [256, 256, 3, 3])],
            [tensor("y", f16, [1, 256, 56, 56])]),
        "conv1x1_f16": model(
            "conv1x1", [helper.make_node("Conv", ["x", "w"], ["y"])],
            [tensor("x", f16, [1, 256, 56, 56]), tensor("w", f16, [64, 256, 1, 1])],
            [tensor("y", f16, [1, 64, 56, 56])]),
        "elementwise_f16": model(
            "ew", [helper.make_node("Add", ["x", "z"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
            [tensor("x", f16, [rows, width]), tensor("z", f16, [rows, width])],
            [tensor("y", f16, [rows, width])]),
        "softmax_f16": model(
            "sm", [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
            [tensor("x", f16, [rows, width])], [tensor("y", f16, [rows, width])]),
        "layer_norm_f16": model(
            "ln", [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)],
            [tensor("x", f16, [rows, width]), tensor("g", f16, [width]), tensor("b", f16, [width])],
            [tensor("y", f16, [rows, width])]),
        "gemm_f16_f32_4096": mixed_gemm(n),
        "conv3x3_f16_f32": mixed_conv3x3(),
        "attention_f16_2048": attention(causal=False),
        "attention_f16_2048_causal": attention(causal=True),
    }


def mixed_gemm(n):
    """r1 IR of the f16 GEMM that --precision=fp16 makes of an f32 one:
    f16 operands, the f32 sums stored as the result."""
    a, c = f"tensor<{n}x{n}xf16>", f"tensor<{n}x{n}xf32>"
    return f"""module {{
  func.func @main(%a: {a}, %b: {a}) -> {c} {{
    %0 = r1.matmul %a, %b : ({a}, {a}) -> {c}
    return %0 : {c}
  }}
}}
"""


def mixed_conv3x3():
    """conv3x3_f16's convolution with an f32 result, as --precision=fp16
    makes it."""
    x, w, y = "tensor<1x256x56x56xf16>", "tensor<256x256x3x3xf16>", "tensor<1x256x56x56xf32>"
    return f"""module {{
  func.func @main(%x: {x}, %w: {w}) -> {y} {{
    %0 = r1.conv %x, %w {{dilations = array<i64: 1, 1>, group = 1 : i64,
        pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}} : ({x}, {w}) -> {y}
    return %0 : {y}
  }}
}}
"""


def attention(causal):
    """r1 IR of one fused attention (r1c reads .mlir): f16, 16 heads of 128
    over 2048 tokens, [b, h, s, d], scaled by 1/sqrt(128)."""
    t = "tensor<1x16x2048x128xf16>"
    return f"""module {{
  func.func @main(%q: {t}, %k: {t}, %v: {t}) -> {t} {{
    %0 = r1.attention %q, %k, %v {{causal = {str(causal).lower()}, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.08838834764831845 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false}} : ({t}, {t}, {t}) -> {t}
    return %0 : {t}
  }}
}}
"""


def find_tool(name, extra_dirs=()):
    for directory in extra_dirs:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def nvidia_bin_dirs():
    """Where pip's nvidia-cuda-nvdisasm and -cuobjdump put their binaries
    (nvidia/cu13/bin), then the CUDA toolkit's."""
    dirs = []
    for entry in sys.path:
        dirs += glob.glob(os.path.join(entry, "nvidia", "cu*", "bin"))
    return dirs + ["/usr/local/cuda/bin"]


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-1000:]}")
    return result.stdout


# --- Instructions ------------------------------------------------------------------------------

SASS_LINE = re.compile(r"^\s*/\*([0-9a-f]+)\*/\s+(.*?)\s*;")
SASS_LABEL = re.compile(r"^(\.L_x_\d+):")
SASS_BRANCH = re.compile(r"\bBRA\b.*`\((\.L_x_\d+)\)")
AMD_LINE = re.compile(r"^\s+(\S.*?)\s*// ([0-9A-F]+):")
AMD_FUNCTION = re.compile(r"^([0-9a-f]+) <(\S+)>:")
AMD_TARGET = re.compile(r"<(\S+)\+0x([0-9a-f]+)>")


def sass_instructions(cubin, nvdisasm):
    """(address, text) per instruction, and backward branches as (branch
    address, target address)."""
    instructions, labels, branches = [], {}, []
    pending = []
    for line in run([nvdisasm, "-c", cubin]).splitlines():
        label = SASS_LABEL.match(line)
        if label:
            pending.append(label.group(1))
            continue
        m = SASS_LINE.match(line)
        if not m:
            continue
        address = int(m.group(1), 16)
        for name in pending:
            labels[name] = address
        pending = []
        instructions.append((address, m.group(2)))
        target = SASS_BRANCH.search(m.group(2))
        if target:
            branches.append((address, target.group(1)))
    loops = [(labels[t], a) for a, t in branches if t in labels and labels[t] <= a]
    return instructions, loops


def amd_instructions(code_object, objdump, mcpu):
    instructions, loops, functions = [], [], {}
    for line in run([objdump, "-d", f"--mcpu={mcpu}", code_object]).splitlines():
        function = AMD_FUNCTION.match(line)
        if function:
            functions[function.group(2)] = int(function.group(1), 16)
            continue
        m = AMD_LINE.match(line)
        if not m:
            continue
        address = int(m.group(2), 16)
        text = m.group(1)
        instructions.append((address, text))
        if text.startswith(("s_branch", "s_cbranch")):
            target = AMD_TARGET.search(line)
            if target and target.group(1) in functions:
                at = functions[target.group(1)] + int(target.group(2), 16)
                if at <= address:
                    loops.append((at, address))
    return instructions, loops


def is_matrix(text):
    op = text.split()[0] if text.split() else ""
    if op.startswith("@"):  # a predicated SASS instruction
        op = text.split()[1]
    return op.startswith(("HMMA", "HGMMA", "IMMA", "v_mfma", "v_smfmac"))


def main_loop(instructions, loops):
    """The loop with the most matrix instructions, innermost on a tie:
    (instructions, matrix instructions, the matrix instruction), or None."""
    best = None
    for start, end in loops:
        body = [text for address, text in instructions if start <= address <= end]
        matrix = [text for text in body if is_matrix(text)]
        if not matrix:
            continue
        key = (len(matrix), -len(body))
        if best is None or key > best[0]:
            best = (key, len(body), len(matrix), matrix[0].split()[0])
    return best[1:] if best else None


def sass_global_widths(instructions):
    """Bits of each global load and store (cp.async copies included)."""
    widths = []
    for _, text in instructions:
        # LDGSTS: cp.async, global memory straight into shared memory.
        m = re.match(r"^(?:@!?\S+\s+)?(LDGSTS|LDG|STG)\.E(\S*)", text)
        if not m:
            continue
        suffix = m.group(2)
        bits = 32
        for token, value in ((".128", 128), (".64", 64), (".U16", 16), (".S16", 16), (".U8", 8),
                             (".S8", 8)):
            if token in suffix:
                bits = value
                break
        widths.append(bits)
    return widths


def amd_global_widths(instructions):
    widths = []
    for _, text in instructions:
        m = re.match(r"^(global|buffer)_(load|store)_(\w+)", text)
        if not m:
            continue
        kind = m.group(3)
        bits = {"dwordx4": 128, "dwordx3": 96, "dwordx2": 64, "dword": 32, "short": 16,
                "ushort": 16, "sshort": 16, "short_d16": 16, "short_d16_hi": 16, "byte": 8,
                "ubyte": 8, "sbyte": 8}.get(kind, 32)
        widths.append(bits)
    return widths


# --- Resources ---------------------------------------------------------------------------------

def sass_resources(cubin, cuobjdump):
    text = run([cuobjdump, "-res-usage", cubin])
    m = re.search(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)", text)
    if not m:
        raise RuntimeError(f"no resource usage for {cubin}")
    reg, stack, shared, local = (int(v) for v in m.groups())
    return {"registers": reg, "spill_bytes": local + stack, "shared_bytes": shared}


def amd_resources(code_object, readelf):
    text = run([readelf, "--notes", code_object])
    value = lambda key: int(re.search(rf"\.{key}:\s+(\d+)", text).group(1))  # noqa: E731
    return {"registers": value("vgpr_count") + value("agpr_count"),
            "sgprs": value("sgpr_count"),
            "spill_bytes": value("private_segment_fixed_size") + 4 * (value("vgpr_spill_count") +
                                                                      value("sgpr_spill_count")),
            "shared_bytes": value("group_segment_fixed_size")}


# --- The check ---------------------------------------------------------------------------------

def dynamic_shared_bytes(directory, target, kernel):
    """The most dynamic shared memory a launch of `kernel` asks for (launch list)."""
    path = os.path.join(directory, f"launches.{target}.txt")
    most = 0
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                words = line.split()
                if words[:1] == ["launch"] and words[1] == kernel and "shared" in words:
                    most = max(most, int(words[words.index("shared") + 1]))
    return most


def analyze(case, directory, tools):
    """One row per kernel and target of `case`, compiled into `directory`."""
    rows = []
    for target in TARGETS:
        amd = target.startswith("gfx")
        pattern = f"*.{target}.co" if amd else f"*.{target}.cubin"
        for path in sorted(glob.glob(os.path.join(directory, pattern))):
            kernel = os.path.basename(path).split(".")[0]
            family = re.sub(r"^k\d+_", "", kernel)
            if amd:
                instructions, loops = amd_instructions(path, tools["objdump"], target)
                resources = amd_resources(path, tools["readelf"])
                widths = amd_global_widths(instructions)
            else:
                instructions, loops = sass_instructions(path, tools["nvdisasm"])
                resources = sass_resources(path, tools["cuobjdump"])
                widths = sass_global_widths(instructions)
            # Shared memory: the static declarations plus the launch's dynamic bytes.
            resources["shared_bytes"] += dynamic_shared_bytes(directory, target, kernel)
            row = {"case": case, "kernel": kernel, "family": family, "target": target,
                   "instructions": len(instructions), **resources,
                   "widest_global_bits": max(widths) if widths else 0,
                   "global_accesses": len(widths),
                   "global_128bit": sum(1 for w in widths if w == 128)}
            loop = main_loop(instructions, loops)
            if loop:
                body, matrix, instruction = loop
                row.update({"loop_instructions": body, "matrix_instructions": matrix,
                            "matrix_op": instruction, "per_matrix": round(body / matrix, 2)})
            rows.append(row)
    return rows


def check_bounds(rows, bounds):
    """Problems (regressions) and notes (bounds to tighten)."""
    problems, notes = [], []
    for row in rows:
        key = f"{row['case']}/{row['kernel']}/{row['target']}"
        bound = bounds.get(key)
        if row["spill_bytes"] > (bound or {}).get("spill_bytes", 0):
            problems.append(f"{key}: spills {row['spill_bytes']} bytes")
        if not bound:
            continue
        if "per_matrix" in bound:
            got = row.get("per_matrix")
            if got is None:
                problems.append(f"{key}: no main loop with matrix instructions any more")
            elif got > bound["per_matrix"]:
                problems.append(f"{key}: {got} instructions per matrix instruction in the main "
                                f"loop, over the bound {bound['per_matrix']}")
            elif got < 0.9 * bound["per_matrix"]:
                notes.append(f"{key}: {got} instructions per matrix instruction, well under the "
                             f"bound {bound['per_matrix']}: tighten it (--update-bounds)")
        if "widest_global_bits" in bound and row["widest_global_bits"] < bound["widest_global_bits"]:
            problems.append(f"{key}: widest global access {row['widest_global_bits']} bits, under "
                            f"the bound {bound['widest_global_bits']}")
    missing = set(bounds) - {f"{r['case']}/{r['kernel']}/{r['target']}" for r in rows}
    for key in sorted(missing):
        problems.append(f"{key}: the bound names a kernel this run did not produce")
    return problems, notes


def bounds_from(rows):
    """Bounds at this run's values, with 5% room for the instruction ratio
    (another NVRTC or LLVM schedules a little differently), rounded up."""
    bounds = {}
    for row in rows:
        entry = {"spill_bytes": row["spill_bytes"]}
        if "per_matrix" in row:
            entry["per_matrix"] = math.ceil(row["per_matrix"] * 1.05 * 10) / 10
        if row["family"] in VECTOR_FAMILIES:
            entry["widest_global_bits"] = row["widest_global_bits"]
        bounds[f"{row['case']}/{row['kernel']}/{row['target']}"] = entry
    return bounds


def table(rows):
    lines = ["| case | kernel | target | main loop: instructions / matrix (op) | per matrix "
             "| registers | spill bytes | shared bytes | global accesses (128-bit) | widest |",
             "|---|---|---|---|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        loop = (f"{r['loop_instructions']} / {r['matrix_instructions']} ({r['matrix_op']})"
                if "per_matrix" in r else "")
        registers = str(r["registers"]) + (f" (+{r['sgprs']} SGPR)" if "sgprs" in r else "")
        lines.append(f"| {r['case']} | {r['kernel']} | {r['target']} | {loop} | "
                     f"{r.get('per_matrix', '')} | {registers} | {r['spill_bytes']} | "
                     f"{r['shared_bytes']} | {r['global_accesses']} ({r['global_128bit']}) | "
                     f"{r['widest_global_bits']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--bounds", help="JSON of bounds per case/kernel/target to check")
    parser.add_argument("--update-bounds", action="store_true",
                        help="rewrite --bounds from this run instead of checking")
    parser.add_argument("--write", help="also write the table (markdown) here")
    parser.add_argument("--work", help="keep the kernels here (default: a temporary folder)")
    parser.add_argument("--cases", help="comma-separated subset of the cases")
    args = parser.parse_args()

    nvidia = nvidia_bin_dirs()
    tools = {"nvdisasm": find_tool("nvdisasm", nvidia), "cuobjdump": find_tool("cuobjdump", nvidia),
             "objdump": find_tool("llvm-objdump-19") or find_tool("llvm-objdump"),
             "readelf": find_tool("llvm-readelf-19") or find_tool("llvm-readelf")}
    missing = [name for name, path in tools.items() if not path]
    if missing:
        print(f"skipped: {', '.join(missing)} not found (scripts/setup.sh installs them)")
        return 77

    work = args.work or tempfile.mkdtemp(prefix="r1c-static-")
    selected = cases()
    if args.cases:
        selected = {name: selected[name] for name in args.cases.split(",")}
    rows = []
    for name, model_or_ir in selected.items():
        directory = os.path.join(work, name)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        if isinstance(model_or_ir, str):
            path = os.path.join(directory, name + ".mlir")
            with open(path, "w", encoding="utf-8") as f:
                f.write(model_or_ir)
        else:
            path = os.path.join(directory, name + ".onnx")
            onnx.save(model_or_ir, path)
        result = subprocess.run([args.r1c, path, "--target=" + ",".join(TARGETS), "--emit=kernels",
                                 "--no-progress", "-o", os.path.join(directory, "kernels")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            message = result.stderr.strip()
            if "NVRTC" in message or "hipRTC" in message or "hiprtc" in message:
                print(f"skipped: {message.splitlines()[0]}")
                return 77
            print(f"FAIL {name}: r1c failed: {message[-1500:]}")
            return 1
        rows += analyze(name, os.path.join(directory, "kernels"), tools)

    print(table(rows))
    if args.write:
        with open(args.write, "w") as f:
            f.write(table(rows) + "\n")
    if not args.bounds:
        return 0
    if args.update_bounds:
        # With --cases, only those cases' bounds are rewritten; the others stay.
        updated = {}
        if args.cases and os.path.exists(args.bounds):
            with open(args.bounds) as f:
                updated = {k: v for k, v in json.load(f).items()
                           if k.split("/")[0] not in selected}
        updated.update(bounds_from(rows))
        with open(args.bounds, "w") as f:
            json.dump(updated, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.bounds}")
        return 0
    with open(args.bounds) as f:
        bounds = json.load(f)
    if args.cases:
        bounds = {k: v for k, v in bounds.items() if k.split("/")[0] in selected}
    problems, notes = check_bounds(rows, bounds)
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"{len(rows) - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
