"""Engines over tiers: a cascade compiled into one artifact, run by the runtime's
tier-switching allocator (tiers=, cascade=, policy=, deadline_us=)."""
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
    with pytest.raises(r1c.UnimplementedError, match="precision tiers"):
        r1c.Engine(tiers=["int8", "fp32"], cache_dir=cache_dir)
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
