"""r1c.Engine and r1c.compile against ONNX Runtime, and how they fail."""
import json
import os
import threading
import time

import numpy as np
import pytest

import r1c
from conftest import matmul_model, mlp_inputs, onnxruntime_outputs

# STYLE.md: fp32 per op atol 1e-5 / rtol 1e-4.
ATOL, RTOL = 1e-5, 1e-4


def assert_matches(actual, expected):
    assert not np.isnan(actual).any()
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_infer_matches_onnxruntime(models, mlp_engine, batch):
    inputs = mlp_inputs(batch, seed=batch)
    expected = onnxruntime_outputs(models["mlp"], inputs)
    outputs = mlp_engine.infer(inputs)
    assert set(outputs) == {"probs", "hidden"}
    for name in expected:
        assert outputs[name].shape == expected[name].shape
        assert outputs[name].dtype == np.float32
        assert_matches(outputs[name], expected[name])


def test_describes_inputs_and_outputs(mlp_engine):
    assert [(t.name, t.dtype, t.shape) for t in mlp_engine.inputs] == [
        ("x", np.float32, ("batch", 16)), ("shift", np.float32, (32,))]
    assert mlp_engine.output_names == ["probs", "hidden"]
    assert mlp_engine.device.startswith("host")


def test_dict_and_list_inputs_agree(mlp_engine):
    inputs = mlp_inputs(4, seed=11)
    by_name = mlp_engine.infer(inputs)
    in_order = mlp_engine.infer([inputs["x"], inputs["shift"]])
    assert isinstance(by_name, dict) and isinstance(in_order, list)
    np.testing.assert_array_equal(by_name["probs"], in_order[0])
    np.testing.assert_array_equal(by_name["hidden"], in_order[1])
    # A dict's order does not matter; a tuple works like a list.
    swapped = mlp_engine.infer({"shift": inputs["shift"], "x": inputs["x"]})
    np.testing.assert_array_equal(swapped["probs"], by_name["probs"])
    as_tuple = mlp_engine.infer((inputs["x"], inputs["shift"]))
    np.testing.assert_array_equal(as_tuple[0], by_name["probs"])


def test_inputs_are_read_in_place_and_other_layouts_copied(models, mlp_engine):
    inputs = mlp_inputs(4, seed=12)
    prepared = mlp_engine._prepare_inputs(inputs)
    assert prepared[0] is inputs["x"] and prepared[1] is inputs["shift"]
    # A transposed (Fortran-order) view is copied to row-major, not misread.
    fortran = np.asfortranarray(inputs["x"])
    assert not fortran.flags.c_contiguous
    expected = onnxruntime_outputs(models["mlp"], inputs)
    assert_matches(mlp_engine.infer({"x": fortran, "shift": inputs["shift"]})["probs"],
                   expected["probs"])
    # Numbers in lists are converted to the model's dtype.
    listed = mlp_engine.infer({"x": inputs["x"].tolist(), "shift": inputs["shift"].tolist()})
    np.testing.assert_array_equal(listed["probs"], mlp_engine.infer(inputs)["probs"])


def test_static_outputs_are_written_in_place(models, cache_dir):
    engine = r1c.Engine(models["mlp_static"], device="host", cache_dir=cache_dir)
    inputs = mlp_inputs(4, seed=13)
    probs = np.full((4, 10), np.nan, np.float32)
    hidden = np.full((4, 32), np.nan, np.float32)
    results = engine.infer(inputs, outputs={"probs": probs, "hidden": hidden})
    assert results["probs"] is probs and results["hidden"] is hidden
    expected = onnxruntime_outputs(models["mlp_static"], inputs)
    assert_matches(probs, expected["probs"])
    assert_matches(hidden, expected["hidden"])
    with pytest.raises(r1c.InvalidArgumentError, match="output 'probs' needs a writable"):
        engine.infer(inputs, outputs={"probs": np.zeros((4, 10), np.float64)})


def test_wrong_inputs_raise_with_a_useful_message(mlp_engine):
    inputs = mlp_inputs(2, seed=14)
    with pytest.raises(r1c.InvalidArgumentError, match=r"unknown input 'y'.*\['x', 'shift'\]"):
        mlp_engine.infer({**inputs, "y": inputs["x"]})
    with pytest.raises(r1c.InvalidArgumentError, match=r"missing input 'shift'"):
        mlp_engine.infer({"x": inputs["x"]})
    with pytest.raises(r1c.InvalidArgumentError, match=r"takes 2 inputs.*got 1"):
        mlp_engine.infer([inputs["x"]])
    with pytest.raises(r1c.InvalidArgumentError,
                       match=r"input 'x' is float \(float32\).*got an array of float64"):
        mlp_engine.infer({**inputs, "x": inputs["x"].astype(np.float64)})
    with pytest.raises(r1c.InvalidArgumentError, match=r"input 'shift' has rank 1"):
        mlp_engine.infer({**inputs, "shift": inputs["shift"].reshape(1, 32)})
    # The runtime's own message: the shape, and the shapes the buckets take.
    with pytest.raises(r1c.InvalidArgumentError, match=r"'x'.*\[2,15\].*\[1,16\], \[2,16\]"):
        mlp_engine.infer({**inputs, "x": np.zeros((2, 15), np.float32)})
    with pytest.raises(r1c.InvalidArgumentError, match=r"'x'.*\[9,16\]"):
        mlp_engine.infer({**inputs, "x": np.zeros((9, 16), np.float32)})
    # Errors are also the Python exceptions closest to them.
    with pytest.raises(ValueError):
        mlp_engine.infer({"x": inputs["x"]})


def test_compile_error_names_the_onnx_node(models, cache_dir):
    with pytest.raises(r1c.CompileError) as caught:
        r1c.Engine(models["broken"], device="host", cache_dir=cache_dir)
    error = caught.value
    assert (error.node, error.op_type, error.opset) == ("bad_mm", "MatMul", 17)
    assert "contraction dims 3 and 4 differ" in str(error)
    assert "--target=host" in error.command
    with pytest.raises(r1c.CompileError, match="--no-such-option"):
        r1c.compile(models["mlp"], cache_dir=cache_dir, no_such_option=True)


def test_auto_precision_stays_within_its_budget(models, cache_dir, tmp_path):
    report = tmp_path / "report.json"
    engine = r1c.Engine(models["mlp"], device="host", precision="auto", cache_dir=cache_dir,
                        accuracy_budget="0.02", precision_report=str(report))
    rng = np.random.default_rng(8)
    feeds = {"x": rng.standard_normal((1, 16)).astype(np.float32),
             "shift": rng.standard_normal(32).astype(np.float32)}
    want = r1c.Engine(r1c.compile(models["mlp"], cache_dir=cache_dir), device="host").infer(feeds)
    got = engine.infer(feeds)
    for g, w in zip(got.values(), want.values()):
        assert np.linalg.norm(g - w) / np.linalg.norm(w) <= 0.02
    assert json.loads(report.read_text())["budget_met"]


# int8: 256 codes over each calibrated range (random sets here), a relative error of
# about 2^-8 per quantized operand, a few of them adding up.
@pytest.mark.parametrize("precision,bound", [("bf16", 1e-2), ("fp16", 1e-3), ("int8", 5e-2)])
def test_lower_precision_compiles_apart_and_stays_close(models, cache_dir, precision, bound):
    fp32 = r1c.compile(models["mlp"], cache_dir=cache_dir)
    lower = r1c.compile(models["mlp"], precision=precision, cache_dir=cache_dir)
    assert lower != fp32  # its own cache entry
    x = np.random.default_rng(5).standard_normal((1, 16)).astype(np.float32)
    feeds = {"x": x, "shift": np.random.default_rng(6).standard_normal(32).astype(np.float32)}
    want = r1c.Engine(fp32, device="host").infer(feeds)
    got = r1c.Engine(models["mlp"], device="host", precision=precision,
                     cache_dir=cache_dir).infer(feeds)
    # The whole model against fp32: a few roundings of half the format's ulp
    # (2^-9 bf16, 2^-12 fp16) add up to well under the bound.
    for g, w in zip(got.values() if isinstance(got, dict) else got,
                    want.values() if isinstance(want, dict) else want):
        error = np.linalg.norm(g - w) / np.linalg.norm(w)
        assert 0 < error <= bound, error


def test_bad_arguments(models, cache_dir, tmp_path):
    with pytest.raises(r1c.InvalidArgumentError, match="precision='fp64'"):
        r1c.Engine(models["mlp"], precision="fp64", cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="device='tpu:0'"):
        r1c.Engine(models["mlp"], device="tpu:0", cache_dir=cache_dir)
    with pytest.raises(r1c.NotFoundError, match="no_such.onnx"):
        r1c.Engine(tmp_path / "no_such.onnx", cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="use targets="):
        r1c.compile(models["mlp"], cache_dir=cache_dir, target="host")


def test_a_device_the_artifact_has_no_code_for(models, cache_dir):
    # Compiled for the host only: a CUDA session is refused, saying why.
    with pytest.raises(r1c.UnavailableError, match="(?i)cuda"):
        r1c.Engine(models["mlp"], device="cuda:0", targets="host", cache_dir=cache_dir)


def test_loads_an_artifact_directly(models, tmp_path):
    artifact = r1c.compile(models["mlp"], targets=["host"], output=tmp_path / "mlp",
                           dims={"batch": [1, 5]})
    assert artifact == tmp_path / "mlp.r1" and artifact.is_file()
    assert (tmp_path / "mlp.o").is_file() and (tmp_path / "mlp.h").is_file()
    engine = r1c.Engine(artifact, device="host")
    assert engine.artifact_path == artifact and not engine.cache_hit
    inputs = mlp_inputs(5, seed=15)
    expected = onnxruntime_outputs(models["mlp"], inputs)
    assert_matches(engine.infer(inputs)["probs"], expected["probs"])
    # Batch 3 runs padded to the 5 bucket; the results are trimmed back.
    small = {"x": inputs["x"][:3], "shift": inputs["shift"]}
    assert_matches(engine.infer(small)["probs"], expected["probs"][:3])
    with pytest.raises(r1c.InvalidArgumentError, match="compiled artifact"):
        r1c.Engine(artifact, precision="fp32", targets="host")
    # Not an artifact and not ONNX: the compiler says so.
    junk = tmp_path / "junk.r1"
    junk.write_bytes(b"R1CARTF\0" + bytes(100))
    with pytest.raises(r1c.Error, match="junk.r1"):
        r1c.Engine(junk)


def test_threads_get_the_single_threaded_outputs(mlp_engine):
    requests = [mlp_inputs(1 + i % 8, seed=100 + i) for i in range(16)]
    serial = [mlp_engine.infer(r) for r in requests]
    threads, per_thread = 8, 1000
    failures = []

    def work(t):
        for k in range(per_thread):
            index = (t * 7 + k) % len(requests)
            out = mlp_engine.infer(requests[index])
            for name in out:
                if not np.array_equal(out[name], serial[index][name]):
                    failures.append((t, k, name))
                    return

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []


def test_the_gil_is_released_while_a_request_runs(tmp_path, cache_dir):
    n = 1536
    engine = r1c.Engine(matmul_model(tmp_path / "matmul.onnx", n), device="host",
                        cache_dir=cache_dir)
    rng = np.random.default_rng(16)
    a, b = (rng.normal(0, 1, (n, n)).astype(np.float32) for _ in range(2))
    window = {}

    def request():
        window["start"] = time.perf_counter()
        window["result"] = engine.infer([a, b])[0]
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=request)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    start, end = window["start"], window["end"]
    # While the run holds no GIL this thread keeps ticking through it; were the
    # GIL held, no tick could fall inside the run but for the Python work at its
    # two ends (well under the 2 ms margins), however the threads are scheduled.
    inside = [t for t in ticks if start + 0.002 < t < end - 0.002]
    assert end - start > 0.02, "the request was too short to tell"
    assert inside, f"no Python ran during a {end - start:.3f} s request"
    np.testing.assert_allclose(window["result"][:4, :4], a[:4] @ b[:, :4], rtol=1e-4, atol=1e-3)


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("tiered", [False, True])
def test_requests_do_not_leak(models, cache_dir, tiered):
    # Outputs with a symbolic batch are copied out of the session's buffer (plain)
    # or written into arrays the engine makes (tiered): 1.3 kB a request that a
    # leak would keep, 40 MB over the requests below.
    engine = r1c.Engine(models["mlp"], device="host", cache_dir=cache_dir,
                        policy=r1c.Policy() if tiered else None)
    inputs = mlp_inputs(8, seed=21)
    for _ in range(2000):
        engine.infer(inputs)
    before = resident_bytes()
    for _ in range(30000):
        engine.infer(inputs)
    grown = resident_bytes() - before
    assert grown < 8 << 20, f"resident memory grew by {grown / 2**20:.1f} MB"
