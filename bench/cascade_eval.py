#!/usr/bin/env python3
"""A cascade of a small and a large classifier against the large one alone, on data sets
that ship inside scikit-learn (nothing downloaded): digits and breast cancer.

Per data set: a stratified split (70% train, 30% held out); a small model (multinomial
logistic regression) and a large one (an MLP, two hidden layers), trained with
scikit-learn and exported to ONNX by this script's own onnx.helper code (the inputs'
standardization folded into the first layer); both compiled into one tiered artifact
(r1c --tiers, through the Python SDK); then every held-out sample is run as one request
(batch 1, one thread) through the runtime's tier-switching allocator: the small tier
alone, the large tier alone (both forced), and the cascade at several thresholds
(escalate when the small tier's top-1 probability is below T). Latencies are the
runtime's own (r1rt_request_result_t.latency_us: the whole request inside libr1rt, both
tiers and the decision), over ROUNDS passes whose order is interleaved across the
configurations.

Usage: cascade_eval.py [--rounds N] [--hidden H] [--thresholds T,...] [--out FILE.md]
       (build/python on PYTHONPATH, or the r1c package installed)
"""
import argparse
import datetime
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import r1c


def standardization(x_train):
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def fold(w, b, mean, scale):
    """A first layer y = ((x - mean) / scale) @ w + b as y = x @ w' + b'."""
    w2 = w / scale[:, None]
    return w2, b - (mean / scale) @ w


def export(path, name, layers, features, classes):
    """layers: [(w [in, out], b [out]), ...]; Relu between them, Softmax at the end."""
    nodes, inits, prev = [], [], "x"
    for i, (w, b) in enumerate(layers):
        inits += [numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(b.astype(np.float32), f"b{i}")]
        out = f"z{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [out], name=f"fc{i}"))
        if i + 1 < len(layers):
            nodes.append(helper.make_node("Relu", [out], [f"a{i}"], name=f"relu{i}"))
            out = f"a{i}"
        prev = out
    nodes.append(helper.make_node("Softmax", [prev], ["probs"], name="softmax", axis=-1))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, features])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def train(dataset, hidden, work):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = dataset.data.astype(np.float64), dataset.target
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0,
                                                        stratify=y)
    mean, scale = standardization(x_train)
    xs = (x_train - mean) / scale
    classes = int(y.max()) + 1
    small = LogisticRegression(max_iter=5000, C=1.0).fit(xs, y_train)
    large = MLPClassifier(hidden_layer_sizes=(hidden, hidden), max_iter=500, random_state=0,
                          alpha=1e-3).fit(xs, y_train)
    if classes == 2:  # binary: scikit-learn keeps one logit; make it two for a softmax
        w, b = small.coef_.T, small.intercept_
        small_layers = [fold(np.hstack([-w / 2, w / 2]), np.array([-b[0] / 2, b[0] / 2]),
                             mean, scale)]
        w_out, b_out = large.coefs_[-1], large.intercepts_[-1]
        out_layer = (np.hstack([-w_out / 2, w_out / 2]), np.array([-b_out[0] / 2, b_out[0] / 2]))
    else:
        small_layers = [fold(small.coef_.T, small.intercept_, mean, scale)]
        out_layer = (large.coefs_[-1], large.intercepts_[-1])
    large_layers = [fold(large.coefs_[0], large.intercepts_[0], mean, scale)]
    large_layers += list(zip(large.coefs_[1:-1], large.intercepts_[1:-1])) + [out_layer]
    features = x.shape[1]
    small_path = export(work / "small.onnx", "small", small_layers, features, classes)
    large_path = export(work / "large.onnx", "large", large_layers, features, classes)
    return small_path, large_path, x_test.astype(np.float32), y_test


def evaluate(name, dataset, args, work):
    small_path, large_path, x_test, y_test = train(dataset, args.hidden, work)
    base = r1c.Engine(tiers=[small_path, large_path], cascade="confidence:0.9", device="host",
                      cache_dir=work / "cache")
    configs = [("small alone", dict(tier=0), None), ("large alone", dict(tier=1), None)]
    configs += [(f"cascade T={t:g}", {}, t) for t in args.thresholds]
    per_config = []
    for label, request, threshold in configs:
        engine = base if threshold is None else r1c.Engine(
            base.artifact_path, device="host", policy=r1c.Policy(cascade_threshold=threshold))
        per_config.append((label, request, engine))
    samples = [x[None, :] for x in x_test]
    # Warm up every engine's sessions on both tiers (first runs allocate arenas and
    # fault pages in), uncounted in the results.
    for _, _, engine in per_config:
        for x in samples[:20]:
            for tier in (0, 1):
                engine.run(x, tier=tier)
    latencies = {label: [] for label, _, _ in per_config}
    predictions, escalated = {}, {}
    for round_index in range(args.rounds):
        order = per_config if round_index % 2 == 0 else per_config[::-1]
        for label, request, engine in order:
            preds, esc = [], 0
            for x in samples:
                out, info = engine.run(x, **request)
                preds.append(int(out[0].argmax()))
                esc += info["escalated"]
                latencies[label].append(info["latency_us"])
            predictions[label], escalated[label] = preds, esc
    large_mean = float(np.mean(latencies["large alone"]))
    large_accuracy = float(np.mean(np.array(predictions["large alone"]) == y_test)) * 100
    rows = []
    for label, _, _ in per_config:
        lat = np.array(latencies[label])
        accuracy = float(np.mean(np.array(predictions[label]) == y_test)) * 100
        rows.append({
            "config": label, "accuracy": accuracy, "delta": accuracy - large_accuracy,
            "mean": float(lat.mean()), "p99": float(np.percentile(lat, 99)),
            "share": float(lat.mean()) / large_mean * 100,
            "escalated": escalated[label] / len(samples) * 100})
    return {"name": name, "train": len(dataset.target) - len(y_test), "test": len(y_test),
            "features": x_test.shape[1], "classes": int(dataset.target.max()) + 1, "rows": rows}


def table(result):
    lines = [f"### {result['name']} ({result['features']} features, {result['classes']} classes; "
             f"{result['train']} train, {result['test']} held out)", "",
             "| | accuracy % | vs large (points) | mean µs | p99 µs | mean vs large | escalated |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['config']} | {r['accuracy']:.2f} | {r['delta']:+.2f} | {r['mean']:.1f} "
                     f"| {r['p99']:.1f} | {r['share']:.1f}% | {r['escalated']:.1f}% |")
    return "\n".join(lines)


def verdict(result, points=0.5, share=40.0):
    ok = [r for r in result["rows"] if r["config"].startswith("cascade")
          and r["delta"] >= -points and r["share"] <= share]
    if not ok:
        return (f"No threshold keeps accuracy within {points} points of the large model at "
                f"{share:.0f}% of its mean latency or less.")
    best = min(ok, key=lambda r: r["share"])
    return (f"{len(ok)} of the thresholds keep accuracy within {points} points of the large "
            f"model at no more than {share:.0f}% of its mean latency; the cheapest, "
            f"{best['config']}, is {best['delta']:+.2f} points at {best['share']:.0f}% "
            f"({best['escalated']:.1f}% escalated).")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--thresholds", default="0.5,0.7,0.8,0.9,0.95,0.99,0.999")
    parser.add_argument("--out", help="write the report here (markdown)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless digits meets the acceptance bound")
    args = parser.parse_args()
    args.thresholds = [float(t) for t in args.thresholds.split(",")]
    from sklearn.datasets import load_breast_cancer, load_digits

    with tempfile.TemporaryDirectory(prefix="r1c-cascade-") as tmp:
        work = pathlib.Path(tmp)
        results = []
        for name, loader in (("digits", load_digits), ("breast_cancer", load_breast_cancer)):
            (work / name).mkdir()
            results.append(evaluate(name, loader(), args, work / name))
            print(table(results[-1]), end="\n\n", flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    import sklearn
    report = [
        f"# A cascade against the large model alone ({datetime.date.today()})", "",
        f"Made by `PYTHONPATH=build/python python3 bench/cascade_eval.py --rounds {args.rounds} "
        f"--hidden {args.hidden} --thresholds {','.join(f'{t:g}' for t in args.thresholds)}` "
        f"on {cpu}, "
        f"{os.cpu_count()} CPUs shared with other work; r1c {r1c.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}.", "",
        "Small model: multinomial logistic regression. Large model: an MLP with two hidden "
        f"layers of {args.hidden} (ReLU). Both exported to ONNX by the script, compiled "
        "into one tiered artifact (`r1c --tiers`, host, batch 1), and run one held-out "
        "sample per request, one thread, through the runtime's tier-switching allocator. "
        "\"small/large alone\" force that tier; \"cascade T\" runs the small tier and "
        "escalates to the large one when its top-1 probability is below T. Latency is the "
        "runtime's per request (both tiers and the decision), over "
        f"{args.rounds} rounds of the held-out set; \"mean vs large\" is the mean latency "
        "relative to the large model alone.", ""]
    for result in results:
        report += [table(result), "", verdict(result), ""]
    text = "\n".join(report)
    print(text)
    if args.out:
        pathlib.Path(args.out).write_text(text)
    if args.check:
        digits = results[0]
        if verdict(digits).startswith("No threshold"):
            sys.exit(1)


if __name__ == "__main__":
    main()
