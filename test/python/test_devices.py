"""device='cuda:0' on the fake GPU driver (test/gpu/fake_gpu_driver.cpp) set to fail every
launch: an Engine reports the device's error, and an Engine with a policy falls back to
the artifact's host code with the host's result. Skips where the fake driver or NVRTC is
missing."""
import os

import numpy as np
import pytest

import r1c
from conftest import mlp_inputs

FAKE_GPU = os.environ.get("R1C_TEST_FAKE_GPU", "")


@pytest.fixture(scope="module")
def failing_gpu():
    if not os.path.isfile(FAKE_GPU):
        pytest.skip("R1C_TEST_FAKE_GPU does not name the fake GPU driver (CTest sets it)")
    saved = {k: os.environ.get(k) for k in
             ("R1RT_CUDA_LIBRARY", "R1C_FAKE_GPU_ARCH", "R1C_FAKE_GPU_FAIL")}
    os.environ.update(R1RT_CUDA_LIBRARY=FAKE_GPU, R1C_FAKE_GPU_ARCH="sm_90",
                      R1C_FAKE_GPU_FAIL="launch")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def compile_or_skip(**kwargs):
    try:
        return r1c.Engine(**kwargs)
    except r1c.CompileError as error:
        if "NVRTC" in str(error) or "nvrtc" in str(error):
            pytest.skip(f"no NVRTC to compile sm_90: {error}")
        raise


def test_a_failing_gpu_raises_its_error(failing_gpu, models, cache_dir):
    engine = compile_or_skip(model_path=models["mlp_static"], device="cuda:0",
                             cache_dir=cache_dir)
    assert engine.device.startswith("CUDA device 0: r1c fake GPU (sm_90)"), engine.device
    with pytest.raises(r1c.UnavailableError, match="CUDA_ERROR_LAUNCH_FAILED"):
        engine.infer(mlp_inputs(4, seed=3))


def test_an_engine_with_a_policy_falls_back_to_the_host(failing_gpu, models, cache_dir):
    engine = compile_or_skip(model_path=models["mlp_static"], device="cuda:0",
                             targets=["sm_90", "host"], policy=r1c.Policy(),
                             cache_dir=cache_dir)
    host = r1c.Engine(models["mlp_static"], device="host", cache_dir=cache_dir)
    inputs = mlp_inputs(4, seed=4)
    outputs, info = engine.run(inputs)
    assert info["fell_back"] and info["tier"] == 0
    expected = host.infer(inputs)
    for name in expected:
        np.testing.assert_array_equal(outputs[name], expected[name])
    assert engine.tier_stats()[0]["failures"] >= 1
