#!/usr/bin/env python3
"""The main job on a real model, end to end: trains a digit classifier (scikit-learn's
bundled 8x8 digits, nothing downloaded), exports it to ONNX, compiles it with r1c, runs it
through the runtime from Python, checks every output against ONNX Runtime and times both;
then compiles a cheap and the accurate classifier into one tiered artifact and shows the
runtime's allocator switching tiers per request.

Usage: demo.py --work DIR   (the r1c package on PYTHONPATH: build/python)
"""
import argparse
import importlib.util
import pathlib
import subprocess
import sys
import time

import numpy as np


def load_bench():
    path = pathlib.Path(__file__).resolve().parent.parent / "bench" / "cascade_eval.py"
    spec = importlib.util.spec_from_file_location("cascade_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_request_us(run, samples, rounds=3):
    times = []
    for _ in range(rounds):
        for x in samples:
            start = time.perf_counter()
            run(x)
            times.append((time.perf_counter() - start) * 1e6)
    return float(np.median(times)), float(np.mean(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", required=True)
    parser.add_argument("--hidden", type=int, default=512)
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    import onnxruntime
    import r1c
    from sklearn.datasets import load_digits

    print("== 1. train: scikit-learn's digits (1797 8x8 images, 10 classes), 70/30 split")
    bench = load_bench()
    small, large, x_test, y_test = bench.train(load_digits(), args.hidden, work)
    print(f"   wrote {small.name} (logistic regression) and {large.name} "
          f"(MLP 64-{args.hidden}-{args.hidden}-10) to {work}")

    print(f"\n== 2. compile: r1c {large.name} --target=host")
    start = time.perf_counter()
    artifact = r1c.compile(large, targets="host", output=work / "large")
    print(f"   {artifact} in {time.perf_counter() - start:.2f} s; what it holds:")
    stats = subprocess.run([r1c.compiler_path(), str(large), "--compile-to=plan", "--stats",
                            "-o", "/dev/null", "--no-progress"], capture_output=True, text=True)
    print("   " + stats.stderr.strip().replace("\n", "\n   "))

    print("\n== 3. run through the runtime and check against ONNX Runtime (held-out set)")
    engine = r1c.Engine(artifact, device="host")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    ort = onnxruntime.InferenceSession(str(large), options, providers=["CPUExecutionProvider"])
    samples = [x[None, :] for x in x_test]
    ours = np.concatenate([engine.infer(x)[0] for x in samples])
    theirs = np.concatenate([ort.run(None, {"x": x})[0] for x in samples])
    error = float(np.abs(ours - theirs).max())
    relative = float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs))
    agree = float(np.mean(ours.argmax(1) == theirs.argmax(1))) * 100
    accuracy = float(np.mean(ours.argmax(1) == y_test)) * 100
    print(f"   {engine.device}")
    print(f"   {len(samples)} requests: max abs error {error:.2e}, relative error of the "
          f"norm {relative:.2e}, same class {agree:.1f}%, accuracy {accuracy:.2f}%")
    ok = relative <= 1e-4 and agree == 100.0
    r1c_median, r1c_mean = per_request_us(engine.infer, samples)
    ort_median, ort_mean = per_request_us(lambda x: ort.run(None, {"x": x}), samples)
    print(f"   latency per request from Python, 1 thread: r1c median {r1c_median:.1f} us "
          f"(mean {r1c_mean:.1f}), ONNX Runtime median {ort_median:.1f} us (mean {ort_mean:.1f})")

    print("\n== 4. a cascade in one artifact: r1c --tiers=small.onnx,large.onnx "
          "--cascade=confidence:0.9")
    cascade = r1c.Engine(tiers=[small, large], cascade="confidence:0.9", device="host",
                         cache_dir=work / "cache")
    print(f"   tiers: {', '.join(cascade.tier_names)}")
    for tier in (0, 1):  # first runs allocate each tier's arena: not what is measured
        cascade.run(samples[0], tier=tier)
    correct, escalated, latencies, shown = 0, 0, [], 0
    for i, (x, label) in enumerate(zip(samples, y_test)):
        out, info = cascade.run(x)
        predicted = int(out[0].argmax())
        correct += predicted == label
        escalated += info["escalated"]
        latencies.append(info["latency_us"])
        # The first few requests, and the first few the small tier doubted.
        if i < 4 or (info["escalated"] and shown < 4):
            shown += info["escalated"]
            what = (f"escalated to {info['tier_name']}" if info["escalated"]
                    else f"answered by {info['tier_name']}")
            print(f"   request {i:3d}: small tier's confidence {info['score']:.3f} -> {what}: "
                  f"class {predicted} (true {label}), {info['latency_us']:.1f} us")
    for _ in range(3):
        for x in samples:
            cascade.run(x, tier=1)
    large_alone = [cascade.run(x, tier=1)[1]["latency_us"] for x in samples]
    print(f"   over {len(samples)} requests: accuracy {correct / len(samples) * 100:.2f}% "
          f"(large alone {accuracy:.2f}%), {escalated / len(samples) * 100:.1f}% escalated, "
          f"mean {np.mean(latencies):.1f} us in the runtime against {np.mean(large_alone):.1f} "
          f"us for the large tier alone")
    for s in cascade.tier_stats():
        print(f"   tier {s['name']}: {s['requests']} runs, {s['escalations']} escalated, "
              f"p50 {s['p50_us']:.1f} us, p99 {s['p99_us']:.1f} us, arena {s['arena_bytes']} B")
    print("\ndemo: " + ("ok" if ok else "r1c and ONNX Runtime DISAGREE"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
