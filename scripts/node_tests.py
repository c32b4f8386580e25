"""The ONNX backend node tests as r1c's conformance scripts see them: discovery,
the op each test measures, running one test (import or execution), why a test
fails (grouped into reasons), and the expected-failure lists.

Every test of the suite counts. An expected-failure list holds one test per
line with the reason it fails after `#`; the scripts check it both ways, so a
test that starts passing must leave the list.
"""

import os
import re
import subprocess
import sys

import onnx

EXPANDED_SUFFIX = re.compile(r"_expanded(_ver\d+)?$")


def node_test_dir():
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def op_of_model(path):
    """Op type the test exercises: its first node that is not a Constant feeding it."""
    model = onnx.load(path, load_external_data=False)
    nodes = list(model.graph.node)
    node = next((n for n in nodes if n.op_type != "Constant"), nodes[0] if nodes else None)
    if node is None:
        return "(no nodes)"
    # Ops outside the default domain keep their domain as a prefix.
    return f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type


def discover_tests(root):
    """Maps each test folder name to the op type it is attributed to."""
    names = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "model.onnx")))
    own_op = {name: op_of_model(os.path.join(root, name, "model.onnx")) for name in names}
    ops = {}
    for name in names:
        # An expanded test spells the op out as a function body; it still measures
        # that op, so it counts under the op of the test it was expanded from.
        base = EXPANDED_SUFFIX.sub("", name)
        ops[name] = own_op[base] if base != name and base in own_op else own_op[name]
    return ops


def list_ops(r1c):
    proc = subprocess.run([r1c, "--list-ops"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [""])[0]
        raise SystemExit(f"'{r1c} --list-ops' failed with exit code {proc.returncode}: {first}")
    return {line.strip() for line in proc.stdout.splitlines() if line.strip()}


def first_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[0] if lines else ""


def clean(text, *prefixes):
    """Drops machine-specific paths so reports and lists stay stable."""
    for prefix in prefixes:
        text = text.replace(prefix + os.sep, "")
    text = re.sub(r"error: \S*model\.(onnx|mlir): ", "", text)
    return re.sub(r"node '[^']*': ", "", text)


def run_import(r1c, r1c_opt, root, name, work, timeout):
    """None when the test imports (and re-verifies with r1c-opt), else why not."""
    out = os.path.join(work, name + ".mlir")
    steps = [("r1c", [r1c, os.path.join(root, name, "model.onnx"), "--compile-to=graph", "-o", out])]
    if r1c_opt:
        steps.append(("r1c-opt", [r1c_opt, out, "-o", os.devnull]))
    try:
        for what, cmd in steps:
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True, errors="replace",
                                      timeout=timeout)
            except subprocess.TimeoutExpired:
                return f"{what}: timed out after {timeout:g} s"
            if proc.returncode != 0:
                reason = first_line(proc.stderr)
                if not reason:
                    reason = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                              else f"exit code {proc.returncode}")
                return f"{what}: " + clean(reason, work, root)
        return None
    finally:
        if os.path.exists(out):
            os.remove(out)


def run_execution(r1c, r1c_run, root, name, work, timeout):
    """None when the host artifact matches every data set the test ships, else why not."""
    folder = os.path.join(root, name)
    base = os.path.join(work, name)
    try:
        proc = subprocess.run([r1c, os.path.join(folder, "model.onnx"), "--target=host", "-o", base],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=timeout)
        if proc.returncode != 0:
            reason = first_line(proc.stderr) or f"exit code {proc.returncode}"
            if proc.returncode < 0:
                reason = f"killed by signal {-proc.returncode}"
            return "r1c: " + clean(reason, work, root)
        sets = sorted(d for d in os.listdir(folder) if d.startswith("test_data_set_"))
        for data in sets:
            proc = subprocess.run([r1c_run, base + ".r1", "--test-data", os.path.join(folder, data)],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=timeout)
            if proc.returncode != 0:
                text = proc.stderr if proc.returncode != 1 else proc.stdout
                mismatch = [l for l in text.splitlines() if "MISMATCH" in l]
                reason = mismatch[0].strip() if mismatch else first_line(text)
                if proc.returncode < 0:
                    reason = f"killed by signal {-proc.returncode}"
                return f"r1c-run ({data}): " + clean(reason, work, root)
        return None
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s"
    finally:
        for suffix in (".o", ".h", ".r1"):
            if os.path.exists(base + suffix):
                os.remove(base + suffix)


# Why tests fail, most specific first: (reason group, pattern over the test
# name, pattern over the failure message). The first match names the group.
_QDQ_OPS = ("QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinearConv|QLinearMatMul|"
            "MatMulInteger|ConvInteger")
REASON_GROUPS = [
    ("string tensors (r1c compiles numeric tensors)", None,
     r"STRING|StringSplit|StringNormalizer|StringConcat|RegexFullMatch|TfIdfVectorizer|"
     r"LabelEncoder"),
    ("float8, float4 and 4-bit integer types", r"FLOAT8|FLOAT4|INT4|UINT4|float8|e4m3|e5m2|int4|float4",
     r"f8E|f4E|FLOAT8|FLOAT4|INT4|UINT4|\bi4\b|\bui4\b"),
    ("sequences, maps and optionals", None,
     r"not a tensor|Sequence|Optional(HasElement|GetElement)?\b|SplitToSequence|ConcatFromSequence"),
    # The expected values are one draw of numpy's generator; r1c draws its
    # own stream, as ONNX allows, so only the zero-ratio dropouts can match.
    ("random outputs (another generator's draw)", r"bernoulli|random|training_dropout",
     r"Bernoulli|Random(Normal|Uniform)"),
    ("training (r1c compiles inference)", r"training", r"training|ai\.onnx\.preview\.training"),
    ("blocked quantization (opset 21's block_size)", None, r"blocked quantization"),
    # The ONNX reference casts requantized values without saturating; r1c
    # saturates, as the spec and ONNX Runtime do.
    ("expected int8 values that wrapped around rather than saturated",
     r"test_qlinearmatmul_(2D|3D)_int8", None),
    ("quantized ops", None, _QDQ_OPS),
    ("image decoding", None, r"ImageDecoder"),
    ("ai.onnx.ml domain", None, r"ai\.onnx\.ml"),
    ("operator not implemented yet", None, r"unsupported operator"),
    ("shapes that depend on input data", None,
     r"must be a constant|must be constants|computed|dynamic dim|data-dependent|are data|"
     r"is data|depends on the data|squeezing without axes"),
    ("subgraphs (If, Loop, Scan)", None, r"subgraph"),
    ("results differ", None, r"MISMATCH"),
]


def reason_group(name, reason):
    for group, name_pattern, message_pattern in REASON_GROUPS:
        if name_pattern and re.search(name_pattern, name):
            return group
        if message_pattern and re.search(message_pattern, reason):
            return group
    return "other"


class Progress:
    """A counter redrawn in place on a terminal, or a line every 200 tests in a log."""

    def __init__(self, total):
        self.total, self.done, self.failed = total, 0, 0
        self.tty = sys.stdout.isatty()

    def step(self, ok):
        self.done += 1
        self.failed += 0 if ok else 1
        text = f"[{self.done}/{self.total}] {self.done - self.failed} passed, {self.failed} failed"
        if self.tty:
            sys.stdout.write("\r" + text)
            if self.done == self.total:
                sys.stdout.write("\n")
            sys.stdout.flush()
        elif self.done % 200 == 0 or self.done == self.total:
            print(text, flush=True)


def read_xfail(path):
    """The header comment lines and {test name: listed reason}."""
    header, entries = [], {}
    if not os.path.exists(path):
        return header, entries
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    in_header = True
    for line in lines:
        if in_header and line.startswith("#"):
            header.append(line)
            continue
        in_header = False
        name, _, reason = line.partition("#")
        if name.strip():
            entries[name.strip()] = reason.strip()
    return header, entries


def write_xfail(path, header, failures):
    """Writes {name: reason} grouped by reason, each group under a heading."""
    groups = {}
    for name in sorted(failures):
        groups.setdefault(reason_group(name, failures[name]), []).append(name)
    lines = list(header)
    for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        lines += ["", f"## {group} ({len(groups[group])})"]
        lines += [f"{name}  # {failures[name]}" for name in groups[group]]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def check_xfail(path, results, ran_all):
    """Compares results ({name: None or reason}) with the list both ways.

    Returns the number of surprises (new failures plus new passes); prints each."""
    _, expected = read_xfail(path)
    bad = 0
    for name in sorted(results):
        if results[name] is not None and name not in expected:
            print(f"unexpected failure: {name}: {results[name]}")
            bad += 1
        elif results[name] is None and name in expected:
            print(f"unexpected pass (remove it from {path}): {name}")
            bad += 1
    stale = sorted(n for n in expected if n not in results)
    if stale and ran_all:
        print(f"listed but not in the suite (remove them from {path}): {', '.join(stale[:10])}"
              + (" ..." if len(stale) > 10 else ""))
        bad += len(stale)
    return bad


def update_xfail(path, header, results):
    """Rewrites the list from results; entries for tests that did not run stay."""
    _, listed = read_xfail(path)
    kept = {n: r for n, r in listed.items() if n not in results}
    kept.update({n: r for n, r in results.items() if r is not None})
    write_xfail(path, header, kept)
    return len(kept)
