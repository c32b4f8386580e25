"""The compile cache: a hit runs no compiler, a change compiles again."""
import os
import stat

import numpy as np

import r1c
from conftest import mlp_inputs, mlp_model


def counting_compiler(tmp_path):
    """A stand-in for r1c that logs each compile, then runs the real one."""
    log = tmp_path / "compiles.log"
    wrapper = tmp_path / "r1c"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *--target=*) echo "$*" >> "{log}" ;; esac\n'
        f'exec "{r1c.compiler_path()}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, log


def compiles(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_cache_hit_skips_compiling(tmp_path, monkeypatch):
    wrapper, log = counting_compiler(tmp_path)
    monkeypatch.setenv("R1C_COMPILER", str(wrapper))
    model = mlp_model(tmp_path / "model.onnx")
    cache = tmp_path / "cache"

    first = r1c.Engine(model, device="host", cache_dir=cache)
    assert not first.cache_hit and compiles(log) == 1
    mtime = os.stat(first.artifact_path).st_mtime_ns
    second = r1c.Engine(model, device="host", cache_dir=cache)
    assert second.cache_hit and compiles(log) == 1
    assert second.artifact_path == first.artifact_path
    assert os.stat(second.artifact_path).st_mtime_ns == mtime
    inputs = mlp_inputs(2, seed=1)
    np.testing.assert_array_equal(first.infer(inputs)["probs"], second.infer(inputs)["probs"])
    # r1c.compile shares the cache.
    assert r1c.compile(model, targets="host", cache_dir=cache) == first.artifact_path
    assert compiles(log) == 1

    # Another option, or another model, compiles again.
    third = r1c.Engine(model, device="host", cache_dir=cache, cpu="x86-64-v3")
    assert not third.cache_hit and compiles(log) == 2
    assert third.artifact_path != first.artifact_path
    mlp_model(model, seed=1)  # same file name, other weights
    fourth = r1c.Engine(model, device="host", cache_dir=cache)
    assert not fourth.cache_hit and compiles(log) == 3
    assert not np.array_equal(fourth.infer(inputs)["probs"], first.infer(inputs)["probs"])
    # Nothing half-written is left behind.
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]


def test_the_cache_location_and_its_override(tmp_path, monkeypatch):
    monkeypatch.setenv("R1C_CACHE_DIR", str(tmp_path / "env-cache"))
    assert r1c.default_cache_dir() == tmp_path / "env-cache"
    model = mlp_model(tmp_path / "model.onnx")
    engine = r1c.Engine(model, device="host")
    assert engine.artifact_path.parent.parent == tmp_path / "env-cache"
    assert (engine.artifact_path.parent / "key.json").is_file()
    monkeypatch.delenv("R1C_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert r1c.default_cache_dir() == tmp_path / "xdg" / "r1c"


def test_a_failed_compile_caches_nothing(tmp_path):
    from conftest import broken_model
    cache = tmp_path / "cache"
    for _ in range(2):
        try:
            r1c.Engine(broken_model(tmp_path / "broken.onnx"), device="host", cache_dir=cache)
        except r1c.CompileError:
            pass
        else:
            raise AssertionError("a broken model compiled")
    assert list(cache.iterdir()) == []
