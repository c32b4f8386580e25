#!/usr/bin/env python3
"""The GPU check's GEMM, convolution and attention shapes without a GPU (scripts/gpu_check_shapes.py):
the numpy references against ONNX Runtime, the bfloat16 rounding, the error rule, the
kernel timer (bench/cuda_kernel_timer.c) over a fake driver, and prepare -> run -> report
on small shapes compiled for the host.

  python3 test/gpu/gpu_check_shapes_test.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import gpu_check  # noqa: E402
import gpu_check_shapes as shapes  # noqa: E402

FAILURES = []


def expect(condition, what):
    print(f"{'ok  ' if condition else 'FAIL'} {what}", flush=True)
    if not condition:
        FAILURES.append(what)


SMALL = [
    shapes._gemm("float16", 48, 40, 72),
    shapes._gemm("bfloat16", 32, 24, 40),
    shapes._conv("float16", 2, 8, 12, 9, 3, "3x3, pad 1"),
    shapes._conv("float16", 2, 16, 8, 7, 1, "1x1"),
    shapes._attention("float16", 1, 2, 40, 16, causal=False),
    shapes._attention("float16", 2, 3, 24, 8, causal=True),
]


def attention_model(shape):
    """The attention of `shape` as the float32 ONNX graph exporters write (the reference's
    reference): MatMul(q, k^T), scaled, a causal bias of -inf above the diagonal, Softmax,
    MatMul with v."""
    from onnx import TensorProto, helper

    ins, out = shapes.io_shapes(shape)
    seq = shape["seq"]
    bias = np.where(np.triu(np.ones((seq, seq), dtype=bool), 1), -np.inf, 0).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Mul", ["s", "scale"], ["ss"])]
    last = "ss"
    if shape["causal"]:
        nodes.append(helper.make_node("Add", ["ss", "bias"], ["sb"]))
        last = "sb"
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1), helper.make_node("MatMul", ["p", "v"], ["y"])]
    initializers = [helper.make_tensor("scale", TensorProto.FLOAT, [], [shapes.attention_scale(shape)]),
                    helper.make_tensor("bias", TensorProto.FLOAT, [seq, seq], bias.ravel().tolist())]
    graph = helper.make_graph(nodes, shape["name"],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, d)
                               for n, d in zip("qkv", ins)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def check_references():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto

    for shape in SMALL:
        if shape["op"] == "Attention":
            model = attention_model(shape)
        else:
            model = shapes.build_model(shape)
            onnx.checker.check_model(model)
        # The same graph in float32, for ONNX Runtime.
        for value in list(model.graph.input) + list(model.graph.output):
            value.type.tensor_type.elem_type = TensorProto.FLOAT
        inputs = shapes.make_inputs(shape, 7)
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        want = session.run(None, {i.name: x for i, x in zip(model.graph.input, inputs)})[0]
        got = shapes.reference(shape, inputs)
        error = gpu_check.norm_rel_error(got, want)
        expect(got.shape == want.shape and error < 1e-6, f"reference of {shape['name']} = ONNX Runtime (norm error {error:.1e})")
        ins, out = shapes.io_shapes(shape)
        expect([list(x.shape) for x in inputs] == ins and list(got.shape) == out, f"{shape['name']} dims")
        expect(all(np.count_nonzero(x) == x.size for x in inputs), f"{shape['name']} inputs have no zeros")
    # Seeds make the same operands on any machine.
    a = shapes.make_inputs(SMALL[0], 11)
    b = shapes.make_inputs(SMALL[0], 11)
    expect(all(np.array_equal(x, y) for x, y in zip(a, b)), "the same seed, the same inputs")


def check_rounding_and_rule():
    values = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 1e-3, np.nan], np.float32)
    got = shapes.round_to(values, "bfloat16")
    want = [1.0, 1.0, 1 + 2 ** -6, -2.5, np.float32(1e-3)]
    # Ties go to even: 1 + 2^-8 sits between 1 and 1 + 2^-7.
    expect(got[0] == 1.0 and got[1] == want[1] and got[2] == want[2] and got[3] == -2.5, "bfloat16 ties to even")
    expect(abs(got[4] - 1e-3) <= 2 ** -9 * 1e-3 and np.isnan(got[5]), "bfloat16 rounding of 1e-3 and NaN")
    tol = shapes.TOLERANCES["float16"]
    want = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32) * 50
    good = shapes.errors(shapes.round_to(want, "float16"), want, tol)
    expect(good["passed"] and good["elements_over_tolerance"] == 0, f"float16 rounding passes ({good['norm_rel_error']:.1e})")
    bad = want.copy()
    bad[:16] = 0  # a tile never written
    expect(not shapes.errors(bad, want, tol)["passed"], "a missing tile fails")
    poisoned = want.copy()
    poisoned[3, 5] = np.nan
    expect(not shapes.errors(poisoned, want, tol)["passed"], "one NaN fails")
    expect("error" in shapes.errors(want[:8], want, tol), "a wrong shape is an error")


FAKE_DRIVER = r"""
// Just what the timer calls: events that measure 1.5 ms, a graph launch, copies.
typedef int CUresult;
static int events;
CUresult cuEventCreate(void **event, unsigned flags) { *event = (void *)(long)++events; return 0; }
CUresult cuEventRecord(void *event, void *stream) { return 0; }
CUresult cuEventElapsedTime(float *ms, void *start, void *stop) { *ms = 1.5f; return 0; }
CUresult cuStreamSynchronize(void *stream) { return 0; }
CUresult cuStreamBeginCapture_v2(void *stream, int mode) { return 0; }
CUresult cuStreamEndCapture(void *stream, void **graph) { *graph = 0; return 0; }
CUresult cuGraphLaunch(void *exec, void *stream) { return 0; }
CUresult cuLaunchKernel(void *f, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e, unsigned g,
                        unsigned shared, void *stream, void **params, void **extra) { return 0; }
CUresult cuMemcpyDtoHAsync_v2(void *to, unsigned long long from, unsigned long bytes, void *stream) { return 0; }
CUresult cuMemcpyHtoDAsync_v2(unsigned long long to, const void *from, unsigned long bytes, void *stream) { return 0; }
CUresult cuInit(unsigned flags) { return 0; }
"""


def check_timer(work):
    cc = os.environ.get("CC", "cc")
    fake_c = os.path.join(work, "fake_cuda.c")
    with open(fake_c, "w") as f:
        f.write(FAKE_DRIVER)
    fake = os.path.join(work, "libfake_cuda.so")
    timer = os.path.join(work, "libtimer.so")
    subprocess.run([cc, "-shared", "-fPIC", "-o", fake, fake_c], check=True)
    subprocess.run([cc, "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", timer, shapes.TIMER_SOURCE, "-ldl"],
                   check=True)
    # Every entry point the runtime binds is forwarded.
    with open(os.path.join(ROOT, "runtime", "src", "CudaDriver.cpp"), encoding="utf-8") as f:
        import re

        wanted = set(re.findall(r'(?:need|bind)\((?:library, )?"(cu[A-Za-z0-9_]+)"', f.read()))
    exported = subprocess.run(["nm", "-D", "--defined-only", timer], capture_output=True, text=True).stdout
    exported = {line.split()[-1] for line in exported.splitlines() if " T " in line}
    expect(len(wanted) > 20 and wanted <= exported, f"the timer exports all {len(wanted)} driver entry points "
           f"(missing: {sorted(wanted - exported)})")

    log = os.path.join(work, "times.txt")
    script = f"""
import ctypes
lib = ctypes.CDLL({timer!r})
s = ctypes.c_void_p(1)
def run(graph):
    lib.cuMemcpyHtoDAsync_v2(ctypes.c_ulonglong(0), None, ctypes.c_size_t(0), s)
    if graph:
        lib.cuGraphLaunch(None, s)
    else:
        for _ in range(3):
            lib.cuLaunchKernel(None, 1, 1, 1, 1, 1, 1, 0, s, None, None)
    lib.cuMemcpyDtoHAsync_v2(None, ctypes.c_ulonglong(0), ctypes.c_size_t(0), s)
    lib.cuStreamSynchronize(s)
lib.cuInit(0)
lib.cuStreamSynchronize(s)  # an upload's synchronize: no span
g = ctypes.c_void_p()
lib.cuStreamBeginCapture_v2(s, 0)
lib.cuLaunchKernel(None, 1, 1, 1, 1, 1, 1, 0, s, None, None)  # captured: not timed
lib.cuStreamEndCapture(s, ctypes.byref(g))
run(True); run(True); run(False)
"""
    env = dict(os.environ, R1C_REAL_CUDA_LIBRARY=fake, R1C_KERNEL_TIMES=log)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    lines = open(log).read().split() if os.path.exists(log) else []
    expect(proc.returncode == 0 and lines == ["1.500000"] * 3,
           f"the timer logs one span per run, none for capture or uploads ({lines}; {proc.stderr.strip()[-200:]})")


def check_end_to_end(work, r1c, r1c_run):
    check_dir = os.path.join(work, "check")
    os.makedirs(check_dir)
    saved = shapes.SHAPES
    # bfloat16 host code does not load yet (it calls __truncsfbf2, which the runtime
    # does not provide), so the host run covers the float16 shapes.
    small = [s for s in SMALL if s["dtype"] == "float16"]
    shapes.SHAPES = small
    try:
        entries, missing = shapes.prepare_shapes(r1c, check_dir, "host", 120, gpu_check.run, gpu_check.first_line)
    finally:
        shapes.SHAPES = saved
    expect(not missing and all(e["artifact"] for e in entries), f"small shapes compile for the host ({missing})")
    index = {"target": "host", "cases": [], "shapes": entries}
    with open(os.path.join(check_dir, "manifest.json"), "w") as f:
        json.dump(index, f)
    expect(not any(n.endswith((".onnx", ".mlir")) for n in os.listdir(os.path.join(check_dir, "shapes"))),
           "no models are carried")
    run_work = os.path.join(work, "run")
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "gpu_check_shapes.py"), "run", "--r1c-run", r1c_run,
           "--check-dir", check_dir, "--work", run_work, "--device", "host", "--torch-device", "cpu",
           "--no-timer", "--rounds", "2", "--runs", "3", "--warmup", "1", "--compile-timeout", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    expect(proc.returncode == 0, f"run on the host: {proc.stderr.strip()[-400:]}")
    results = json.load(open(os.path.join(run_work, "shapes.json")))
    for shape in small:
        row = results["shapes"].get(shape["name"], {})
        expect(row.get("r1c_check", {}).get("passed") is True, f"{shape['name']}: r1c output checked ({row.get('r1c_check')})")
        expect(len((row.get("r1c_with_copies") or {}).get("round_medians_ms", [])) == 2,
               f"{shape['name']}: two rounds of r1c-run timings")
    lines, rows = shapes.report_section(index, run_work, True, gpu_check.fmt)
    expect(len(rows) == len(small) and all(r["result"] == "pass" for r in rows),
           f"report rows pass ({[r['result'] for r in rows]})")
    expect(sum(l.startswith(("| MatMul", "| Conv", "| Attention")) for l in lines) == len(small),
           "one table row per shape")
    # Without a run, every row says why.
    lines, rows = shapes.report_section(index, os.path.join(work, "nothing"), False, gpu_check.fmt)
    expect(all(r["result"] == "not run" for r in rows) and any("no GPU" in l for l in lines), "no GPU: not run")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c")
    parser.add_argument("--r1c-run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        check_references()
        check_rounding_and_rule()
        check_timer(work)
        if args.r1c and args.r1c_run:
            check_end_to_end(work, args.r1c, args.r1c_run)
        else:
            print("skip end to end: no --r1c and --r1c-run")
    print(f"{len(FAILURES)} failed" if FAILURES else "all passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
