"""Engines over tiers: a cascade compiled into one artifact, run by the runtime's
tier-switching allocator (tiers=, cascade=, policy=, deadline_us=); and precision tiers
of one model (tiers=['bf16', 'fp32'])."""
import threading

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import r1c


def classifier(path, hidden, seed, name):
    """x float[batch, 3] -> probs float[batch, 3]; hidden=0: Softmax(x) alone."""
    nodes, weights = [], []
    if hidden:
        rng = np.random.default_rng(seed)
        weights = [numpy_helper.from_array(rng.normal(0, 0.5, (3, hidden)).astype(np.float32),
                                           "w1"),
                   numpy_helper.from_array(
                       rng.normal(0, 0.5 / np.sqrt(hidden), (hidden, 3)).astype(np.float32), "w2"),
                   numpy_helper.from_array(np.array(2.0, np.float32), "two")]
        nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]),
                 helper.make_node("Relu", ["h"], ["r"]),
                 helper.make_node("MatMul", ["r", "w2"], ["m"]),
                 helper.make_node("Mul", ["x", "two"], ["x2"]),
                 helper.make_node("Add", ["m", "x2"], ["logits"]),
                 helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    else:
        nodes = [helper.make_node("Softmax", ["x"], ["probs"], axis=-1)]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 3])], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                ir_version=10), str(path))
    return path


CONFIDENT = np.array([[8.0, 0.0, 0.5]], np.float32)
UNCERTAIN = np.array([[0.2, 0.1, 0.0]], np.float32)


@pytest.fixture(scope="module")
def tier_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiers")
    return classifier(root / "coarse.onnx", 0, 0, "coarse"), \
        classifier(root / "fine.onnx", 4096, 1, "fine")


@pytest.fixture(scope="module")
def cascade(tier_models, cache_dir):
    return r1c.Engine(tiers=tier_models, cascade="confidence:0.8", device="host",
                      cache_dir=cache_dir, dims={"batch": [1, 4]})


@pytest.fixture(scope="module")
def alone(tier_models, cache_dir):
    """Each tier as an engine of its own."""
    return [r1c.Engine(m, device="host", cache_dir=cache_dir, dims={"batch": [1, 4]})
            for m in tier_models]


def test_the_cascade_escalates_what_the_coarse_tier_doubts(cascade, alone):
    assert cascade.tier_names == ["coarse", "fine"]
    probs, info = cascade.run({"x": CONFIDENT})
    assert (info["tier"], info["tier_name"], info["escalated"]) == (0, "coarse", False)
    assert info["score"] > 0.8 and info["latency_us"] > 0
    np.testing.assert_array_equal(probs["probs"], alone[0].infer({"x": CONFIDENT})["probs"])
    probs, info = cascade.run([UNCERTAIN])
    assert (info["first_tier"], info["tier"], info["escalated"]) == (0, 1, True)
    np.testing.assert_array_equal(probs[0], alone[1].infer([UNCERTAIN])[0])
    # A batch of 2 runs padded in the 4 bucket; one doubtful row escalates it.
    both = np.concatenate([CONFIDENT, UNCERTAIN])
    out, info = cascade.run(both)
    assert info["tier"] == 1 and out[0].shape == (2, 3)
    np.testing.assert_array_equal(out[0], alone[1].infer(both)[0])
    stats = cascade.tier_stats()
    assert [s["name"] for s in stats] == ["coarse", "fine"]
    assert stats[0]["escalations"] >= 2 and stats[1]["requests"] >= 2
    assert stats[1]["arena_bytes"] > stats[0]["arena_bytes"]
    assert 0 < stats[0]["p50_us"] <= stats[0]["p99_us"]


def test_a_deadline_below_the_fine_tier_keeps_the_coarse_one(tier_models, cache_dir, alone):
    engine = r1c.Engine(tiers=tier_models, cascade="confidence:0.8", device="host",
                        cache_dir=cache_dir, dims={"batch": [1, 4]})
    for _ in range(50):
        for tier in (0, 1):
            assert engine.run(UNCERTAIN, tier=tier)[1]["tier"] == tier
    # More coarse runs last, so that a run the machine preempted has decayed
    # out of the coarse tier's average.
    for _ in range(30):
        engine.run(UNCERTAIN, tier=0)
    # Medians, which one preempted run does not move.
    coarse, fine = (s["p50_us"] for s in engine.tier_stats())
    assert fine > 4 * coarse, (coarse, fine)
    out, info = engine.run(UNCERTAIN, deadline_us=fine / 2)
    assert info["tier"] == 0 and not info["escalated"], info
    np.testing.assert_array_equal(out[0], alone[0].infer(UNCERTAIN)[0])
    assert engine.run(UNCERTAIN)[1]["tier"] == 1


def test_a_memory_budget_below_the_fine_tier_runs_the_coarse_one(tier_models, cache_dir):
    probe = r1c.Engine(tiers=tier_models, cascade="confidence:0.8", device="host",
                       cache_dir=cache_dir, dims={"batch": [1, 4]})
    fine_arena = probe.tier_stats()[1]["arena_bytes"]
    engine = r1c.Engine(tiers=tier_models, cascade="confidence:0.8", device="host",
                        cache_dir=cache_dir, dims={"batch": [1, 4]},
                        policy=r1c.Policy(memory_budget=fine_arena - 1))
    assert engine.cache_hit
    assert engine.run(UNCERTAIN)[1]["tier"] == 0


def test_without_a_cascade_the_policy_picks_by_cost(tier_models, cache_dir):
    no_cascade = r1c.Engine(tiers=tier_models, device="host", cache_dir=cache_dir,
                            policy=r1c.Policy(cascade_threshold=0), dims={"batch": [1, 4]})
    assert no_cascade.run(CONFIDENT)[1]["tier"] == 1  # the most accurate by default
    cheap_first = r1c.Engine(tiers=tier_models, device="host", cache_dir=cache_dir,
                             policy={"cascade_threshold": 0, "accuracy_penalty_us": [0, 1e6]},
                             dims={"batch": [1, 4]})
    assert cheap_first.run(CONFIDENT)[1]["tier"] == 0


def test_a_tiered_artifact_loads_directly(tier_models, tmp_path, alone):
    artifact = r1c.compile(list(tier_models), output=tmp_path / "cascade",
                           cascade="margin:0.5", dims={"batch": [1, 4]})
    engine = r1c.Engine(artifact, device="host")
    assert engine.tier_names == ["coarse", "fine"]
    out, info = engine.run(UNCERTAIN)
    assert info["tier"] == 1 and info["score"] < 0.5
    np.testing.assert_array_equal(out[0], alone[1].infer(UNCERTAIN)[0])


def test_threads_share_one_cascade(cascade):
    requests = [np.sin(np.arange(3 * (4 if i % 3 == 0 else 1), dtype=np.float32) + i)
                .reshape(-1, 3) * (6.0 if i % 2 else 0.4) for i in range(16)]
    serial = [cascade.run(r) for r in requests]
    assert 0 < sum(info["escalated"] for _, info in serial) < len(requests)
    before = cascade.tier_stats()[0]["requests"]
    failures = []

    def work(t):
        for k in range(1000):
            i = (t * 5 + k) % len(requests)
            out, info = cascade.run(requests[i])
            if info["tier"] != serial[i][1]["tier"] or not np.array_equal(out[0], serial[i][0][0]):
                failures.append((t, k))
                return

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert cascade.tier_stats()[0]["requests"] == before + 8000


def test_tier_errors(tier_models, models, cache_dir):
    with pytest.raises(r1c.CompileError, match="same inputs and give the same outputs"):
        r1c.Engine(tiers=[tier_models[0], models["mlp"]], device="host", cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="no model_path"):
        r1c.Engine(models["mlp"], tiers=tier_models)
    with pytest.raises(r1c.InvalidArgumentError, match="cascade_metric"):
        r1c.Policy(cascade_metric="entropy")
    plain = r1c.Engine(models["mlp"], device="host", cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="engine over tiers"):
        plain.run({"x": np.zeros((1, 16), np.float32), "shift": np.zeros(32, np.float32)},
                  deadline_us=100)


def mlp(path, width=256, hidden=1024, seed=3):
    """x float[batch, width] -> probs: two matmuls with biases, large enough that bf16
    products are measurably cheaper than f32 ones where the CPU has AVX512-BF16."""
    rng = np.random.default_rng(seed)
    weights = [
        numpy_helper.from_array(
            rng.normal(0, 1 / np.sqrt(width), (width, hidden)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, hidden).astype(np.float32), "b1"),
        numpy_helper.from_array(
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, width)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, width).astype(np.float32), "b2")]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]),
             helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("Relu", ["hb"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["m"]),
             helper.make_node("Add", ["m", "b2"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", width])], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                ir_version=10), str(path))
    return path


BATCH = 32


@pytest.fixture(scope="module")
def precision_model(tmp_path_factory):
    return mlp(tmp_path_factory.mktemp("precision") / "mlp.onnx")


@pytest.fixture(scope="module")
def precision_tiers(precision_model, cache_dir):
    return r1c.Engine(precision_model, tiers=["bf16", "fp32"], device="host",
                      cache_dir=cache_dir, dims={"batch": [1, BATCH]})


@pytest.fixture
def rows():
    return np.random.default_rng(11).normal(0, 1, (BATCH, 256)).astype(np.float32)


def test_precision_tiers_run_what_each_precision_runs_alone(precision_model, precision_tiers,
                                                            cache_dir, rows):
    assert precision_tiers.tier_names == ["bf16", "fp32"]
    for tier, precision in enumerate(["bf16", "fp32"]):
        alone = r1c.Engine(precision_model, precision=precision, device="host",
                           cache_dir=cache_dir, dims={"batch": [1, BATCH]})
        out, info = precision_tiers.run(rows, tier=tier)
        assert (info["tier"], info["tier_name"]) == (tier, precision)
        np.testing.assert_array_equal(out[0], alone.infer(rows)[0])
    # bf16 products round: close to fp32, not equal (STYLE.md's bf16 tolerance).
    bf16, fp32 = (precision_tiers.run(rows, tier=t)[0][0] for t in (0, 1))
    assert not np.array_equal(bf16, fp32)
    np.testing.assert_allclose(bf16, fp32, atol=2e-2, rtol=1e-2)
    # Without a deadline the most accurate tier answers.
    assert precision_tiers.run(rows)[1]["tier_name"] == "fp32"


def test_a_deadline_below_fp32s_latency_runs_bf16(precision_tiers, rows):
    engine = precision_tiers
    for _ in range(50):
        for tier in (0, 1):
            assert engine.run(rows, tier=tier)[1]["tier"] == tier
    # More bf16 runs last, so that a run the machine preempted has decayed out of its
    # average.
    for _ in range(30):
        engine.run(rows, tier=0)
    bf16, fp32 = (s["p50_us"] for s in engine.tier_stats())
    if not fp32 > 1.5 * bf16:
        pytest.skip(f"bf16 is not clearly faster than fp32 on this CPU ({bf16:.1f} us against "
                    f"{fp32:.1f} us): it has no AVX512-BF16, or R1C_MAX_CPU_ISA holds it below")
    # The allocator decides by its latency averages, which a run the machine preempted
    # lifts for a while: more bf16 runs until they have settled below the deadline.
    deadline = (bf16 * fp32) ** 0.5
    for _ in range(300):
        if engine.tier_stats()[0]["latency_ema_us"] < deadline:
            break
        engine.run(rows, tier=0)
    assert engine.tier_stats()[1]["latency_ema_us"] > deadline, engine.tier_stats()
    out, info = engine.run(rows, deadline_us=deadline)
    assert info["tier_name"] == "bf16" and not info["escalated"], info
    np.testing.assert_array_equal(out[0], engine.run(rows, tier=0)[0][0])
    assert engine.run(rows)[1]["tier_name"] == "fp32"


def test_precision_tiers_compile_and_cache(precision_model, precision_tiers, cache_dir, tmp_path,
                                           rows):
    again = r1c.Engine(precision_model, tiers=["bf16", "fp32"], device="host",
                       cache_dir=cache_dir, dims={"batch": [1, BATCH]})
    assert again.cache_hit and again.artifact_path == precision_tiers.artifact_path
    fp16 = r1c.Engine(precision_model, tiers=["fp16", "fp32"], device="host",
                      cache_dir=cache_dir, dims={"batch": [1, BATCH]})
    assert not fp16.cache_hit and fp16.artifact_path != precision_tiers.artifact_path
    assert fp16.tier_names == ["fp16", "fp32"]
    # A cascade: the cheap precision screens, fp32 verifies what it doubts.
    artifact = r1c.compile(precision_model, tiers=["bf16", "fp32"], output=tmp_path / "cascade",
                           cascade="confidence:0.99", dims={"batch": [1, BATCH]})
    engine = r1c.Engine(artifact, device="host")
    assert engine.tier_names == ["bf16", "fp32"]
    out, info = engine.run(rows)
    assert info["first_tier"] == 0 and info["escalated"] and info["tier_name"] == "fp32"
    np.testing.assert_array_equal(out[0], precision_tiers.run(rows, tier=1)[0][0])
    cached = r1c.compile(precision_model, tiers=["bf16", "fp32"], cache_dir=cache_dir,
                         dims={"batch": [1, BATCH]})
    assert cached == precision_tiers.artifact_path


def test_precision_tier_errors(precision_model, tier_models, cache_dir):
    with pytest.raises(r1c.InvalidArgumentError, match="give its model_path"):
        r1c.Engine(tiers=["bf16", "fp32"], cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="mixes precisions and models"):
        r1c.Engine(tiers=["bf16", str(tier_models[1])], cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="put it last"):
        r1c.Engine(precision_model, tiers=["fp32", "bf16"], cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="leave precision= out"):
        r1c.compile(precision_model, tiers=["bf16", "fp32"], precision="fp16",
                    cache_dir=cache_dir)
    with pytest.raises(r1c.InvalidArgumentError, match="two or more precisions"):
        r1c.Engine(precision_model, tiers=["bf16"], cache_dir=cache_dir)
