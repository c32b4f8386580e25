#!/usr/bin/env python3
"""Exports convolutional and transformer models with torch.onnx, as users make them, and checks
that r1c compiles them and matches ONNX Runtime.

  python3 bench/torch_exports.py export --out DIR [--models a,b,...] [--force]
  python3 bench/torch_exports.py check --models-dir DIR --r1c build/bin/r1c \\
      --r1c-run build/bin/r1c-run [--models a,b,...] [--work DIR] [--write FILE.md]

Models exported by torch.onnx
-----------------------------
test/models/generate.py writes its models node by node with onnx.helper, in the shapes r1c was
written for. The models here come out of PyTorch's own exporters instead, with the op patterns
they emit (Erf or Tanh GELUs, LayerNormalization, attention masks built from Where, Expand and
Cast, Conv with groups, HardSwish and HardSigmoid, Flatten before the classifier), which nobody
tuned r1c for:

  tv_resnet50, tv_mobilenet_v3_large, tv_efficientnet_b0, tv_convnext_tiny, tv_regnet_y_800mf,
  tv_vit_b_16      torchvision, weights=None, one 1x3x224x224 float32 image
  hf_bert_base     transformers BertModel(BertConfig()), input_ids and attention_mask [1, 128]
  hf_distilbert    DistilBertModel(DistilBertConfig()), the same inputs
  hf_gpt2          GPT2Model(GPT2Config(use_cache=False)), the same inputs
  dyn_resnet50, dyn_bert_base
                   tv_resnet50 and hf_bert_base again, by the dynamo exporter (dynamo=True, its
                   default opset and graph optimization)

Every model is built with random weights from a fixed seed (nothing is downloaded, reruns write
the same bytes), in eval mode and float32, with static shapes and batch 1, and exported by the
classic TorchScript exporter (dynamo=False) at opset 17 unless its name starts with dyn_.
Tensors that the initializers fill with one value (zero biases, unit norm scales, BatchNorm
statistics, vit_b_16's zero head) get small random values, as trained weights have, so every
weight reaches the output the check compares. Weights stay inside the .onnx file (external data
only past protobuf's 2 GB limit). `export` skips files that exist (--force rewrites them), runs
each file once in ONNX Runtime and prints its size, node count and op types; progress goes to
stderr.

`check` compiles each model with `r1c --target=host` (the flags of
bench/host_vs_onnxruntime.py; artifacts in a temporary folder or under --work, removed after
each model), runs the artifact with r1c-run and the model with ONNX Runtime on the same inputs
(test/models/check_host_models.py's make_inputs: standard normal images, token ids below the
vocabulary of the embedding the ids index, attention masks all ones) and compares: a model
passes when the relative error of each output's norm, ||r1c - ort|| / ||ort||, is at most 1e-4
(STYLE.md's fp32 model tolerance). A model r1c fails to compile keeps r1c's first error line in
the table. bench/host_vs_onnxruntime.py times these models with --models-dir DIR
--models NAME,... as it times generated ones.
"""
import argparse
import collections
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "models"))
from check_host_models import make_inputs  # noqa: E402
from host_peers import NORM_RTOL, Case, Ort, PeerFailed, R1c, cpu_info, norm_error  # noqa: E402

OPSET = 17
SEQ = 128
IMAGE = (1, 3, 224, 224)
# protobuf cannot hold a message of 2 GB or more; larger models keep weights in a side file.
PROTO_LIMIT = 2 * 1024**3 - 64 * 1024**2


class Spec:
    """One model of the registry: how to build it, its example inputs, its output names and,
    for token models, the vocabulary size (used when the ids' embedding Gather cannot be found
    in the graph)."""

    def __init__(self, source, build, inputs, outputs, dynamo=False, vocab=None):
        self.source, self.build, self.inputs, self.outputs = source, build, inputs, outputs
        self.dynamo, self.vocab = dynamo, vocab


def torchvision_model(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None)
    return build


def hidden_states(model):
    """Wraps a transformers model so that the export has named tensor inputs and a tuple of
    outputs (the ModelOutput's tensors, in order)."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
            return tuple(v for v in out.values() if isinstance(v, torch.Tensor))

    return Wrapped(model)


def transformers_model(model_class, config_class, **config):
    def build():
        import transformers
        cfg = getattr(transformers, config_class)(**config)
        return hidden_states(getattr(transformers, model_class)(cfg))
    return build


def image_inputs():
    import torch
    return {"image": torch.randn(*IMAGE)}


def token_inputs(vocab):
    def make():
        import torch
        return {"input_ids": torch.randint(0, vocab, (1, SEQ), dtype=torch.int64),
                "attention_mask": torch.ones(1, SEQ, dtype=torch.int64)}
    return make


# Vocabulary sizes of the default configs (BertConfig(), DistilBertConfig(), GPT2Config()).
BERT_VOCAB, GPT2_VOCAB = 30522, 50257
IMAGE_OUT, BERT_OUT, HIDDEN_OUT = ["logits"], ["last_hidden_state", "pooler_output"], [
    "last_hidden_state"]
MODELS = {
    "tv_resnet50": Spec("torchvision resnet50", torchvision_model("resnet50"), image_inputs,
                        IMAGE_OUT),
    "tv_mobilenet_v3_large": Spec("torchvision mobilenet_v3_large",
                                  torchvision_model("mobilenet_v3_large"), image_inputs,
                                  IMAGE_OUT),
    "tv_efficientnet_b0": Spec("torchvision efficientnet_b0",
                               torchvision_model("efficientnet_b0"), image_inputs, IMAGE_OUT),
    "tv_convnext_tiny": Spec("torchvision convnext_tiny", torchvision_model("convnext_tiny"),
                             image_inputs, IMAGE_OUT),
    "tv_regnet_y_800mf": Spec("torchvision regnet_y_800mf", torchvision_model("regnet_y_800mf"),
                              image_inputs, IMAGE_OUT),
    "hf_bert_base": Spec("transformers BertModel", transformers_model("BertModel", "BertConfig"),
                         token_inputs(BERT_VOCAB), BERT_OUT, vocab=BERT_VOCAB),
    "hf_distilbert": Spec("transformers DistilBertModel",
                          transformers_model("DistilBertModel", "DistilBertConfig"),
                          token_inputs(BERT_VOCAB), HIDDEN_OUT, vocab=BERT_VOCAB),
    "hf_gpt2": Spec("transformers GPT2Model",
                    transformers_model("GPT2Model", "GPT2Config", use_cache=False),
                    token_inputs(GPT2_VOCAB), HIDDEN_OUT, vocab=GPT2_VOCAB),
    "tv_vit_b_16": Spec("torchvision vit_b_16", torchvision_model("vit_b_16"), image_inputs,
                        IMAGE_OUT),
    "dyn_resnet50": Spec("torchvision resnet50", torchvision_model("resnet50"), image_inputs,
                         IMAGE_OUT, dynamo=True),
    "dyn_bert_base": Spec("transformers BertModel",
                          transformers_model("BertModel", "BertConfig"),
                          token_inputs(BERT_VOCAB), BERT_OUT, dynamo=True, vocab=BERT_VOCAB),
}


def progress(text):
    print(f"[torch-exports] {text}", file=sys.stderr, flush=True)


def parse_models(text, parser):
    names = [m.strip() for m in text.split(",") if m.strip()] if text else list(MODELS)
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)} (known: {', '.join(MODELS)})")
    return names


# --- export ---------------------------------------------------------------------------------

def vary_constant_tensors(model):
    """Gives every float parameter and buffer that its initializer fills with one value (zero
    biases, unit norm scales, BatchNorm's running mean 0 and variance 1, vit_b_16's zero
    classifier head and class token) seeded random values near it, as trained weights have.
    Otherwise a wrong bias or normalization in r1c could match ONNX Runtime, and vit_b_16's
    logits would be zeros whatever the network computes."""
    import torch
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in [*model.named_parameters(), *model.named_buffers()]:
            if not t.is_floating_point() or t.numel() < 2 or t.min() != t.max():
                continue
            noise = torch.randn(t.shape, generator=gen, dtype=t.dtype)
            if name.endswith("running_var"):
                t.copy_(1.0 + 0.2 * noise.clamp(-2.0, 2.0))  # positive: within [0.6, 1.4]
            else:
                t.add_(0.05 * noise)


def export_one(spec, path):
    """Builds the model from seed 0 and exports it to path, through a temporary folder beside
    it, so that an interrupted export leaves no file that looks done."""
    import torch
    torch.manual_seed(0)
    model = spec.build().eval()
    vary_constant_tensors(model)
    inputs = spec.inputs()
    names = list(inputs)
    weight_bytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    external = weight_bytes >= PROTO_LIMIT
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
        out = os.path.join(tmp, os.path.basename(path))
        # Not under torch.no_grad(), as users call it: without autograd, nn.MultiheadAttention
        # takes its fused fast path (aten::_native_multi_head_attention), which the classic
        # exporter cannot translate (vit_b_16 fails).
        if spec.dynamo:
            program = torch.onnx.export(model, tuple(inputs.values()), dynamo=True,
                                        input_names=names, output_names=spec.outputs,
                                        verbose=False)
            program.save(out, external_data=external)
        else:
            # Past 2 GB the classic exporter writes one side file per weight. It is chosen
            # here on purpose, so its deprecation notice says nothing new.
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    message=".*legacy TorchScript-based ONNX export")
            torch.onnx.export(model, tuple(inputs.values()), out, dynamo=False,
                              opset_version=OPSET, input_names=names,
                              output_names=spec.outputs)
        if external:
            # One side file, named after the final file, which external-data paths resolve from.
            onnx.save(onnx.load(out), path, save_as_external_data=True,
                      all_tensors_to_one_file=True, location=os.path.basename(path) + ".data")
        else:
            os.replace(out, path)


def op_counts(model):
    return sorted(collections.Counter(n.op_type if n.domain in ("", "ai.onnx")
                                      else f"{n.domain}.{n.op_type}"
                                      for n in model.graph.node).items())


def opset_of(model):
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)


def describe(name, path):
    """Runs the file once in ONNX Runtime and returns its summary lines."""
    model = onnx.load(path, load_external_data=False)
    feeds = make_inputs(model, np.random.default_rng(0), vocab=id_vocab(model, name),
                        full_masks=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds)
    size = os.path.getsize(path) + sum(
        os.path.getsize(os.path.join(os.path.dirname(path), f))
        for f in os.listdir(os.path.dirname(path)) if f.startswith(name + ".onnx."))
    ops = op_counts(model)
    shapes = [str(list(o.shape)) + ("" if np.any(o) else " (all zeros)") for o in outputs]
    return [
        f"{name}: {size / 1e6:.1f} MB, {len(model.graph.node)} nodes, opset {opset_of(model)}, "
        f"inputs {', '.join(f'{k} {list(v.shape)}' for k, v in feeds.items())}, "
        f"outputs {', '.join(shapes)}",
        f"  ops ({len(ops)}): " + ", ".join(f"{op} {n}" for op, n in ops),
    ]


def cmd_export(args, parser):
    names = parse_models(args.models, parser)
    os.makedirs(args.out, exist_ok=True)
    failed = []
    for name in names:
        spec = MODELS[name]
        path = os.path.join(args.out, name + ".onnx")
        start = time.monotonic()
        if os.path.exists(path) and not args.force:
            progress(f"{name}: exists, kept (--force rewrites it)")
        else:
            kind = "dynamo" if spec.dynamo else f"classic, opset {OPSET}"
            progress(f"{name}: exporting {spec.source} ({kind})")
            try:
                export_one(spec, path)
            except Exception as e:  # the exporters raise many classes; report and go on
                line = first_error_line(str(e)) or type(e).__name__
                progress(f"{name}: export failed after {time.monotonic() - start:.1f} s: "
                         f"{type(e).__name__}: {line}")
                failed.append((name, f"{type(e).__name__}: {line}"))
                continue
            progress(f"{name}: exported in {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        try:
            lines = describe(name, path)
        except Exception as e:  # onnxruntime's own classes, all Exception's
            failed.append((name, f"onnxruntime: {first_error_line(str(e))}"))
            progress(f"{name}: ONNX Runtime failed: {first_error_line(str(e))}")
            continue
        progress(f"{name}: ran in ONNX Runtime in {time.monotonic() - start:.1f} s")
        print("\n".join(lines), flush=True)
    for name, why in failed:
        print(f"FAILED {name}: {why}")
    return 1 if failed else 0


def first_error_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")


# --- check ----------------------------------------------------------------------------------

def id_vocab(model, name=None):
    """The number of rows of the smallest embedding table that an int64 graph input indexes,
    following the ids through casts and reshapes; else the registry's vocabulary; else None
    (make_inputs then bounds ids by its own rule)."""
    tables = {i.name: i.dims[0] for i in model.graph.initializer if i.dims}
    ids = {v.name for v in model.graph.input
           if v.type.tensor_type.elem_type == onnx.TensorProto.INT64 and "mask" not in v.name}
    keep = {"Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity", "Expand"}
    rows = []
    for node in model.graph.node:
        if node.op_type in keep and node.input and node.input[0] in ids:
            ids.update(node.output)
        elif (node.op_type == "Gather" and len(node.input) == 2 and node.input[1] in ids
              and node.input[0] in tables):
            rows.append(tables[node.input[0]])
    if rows:
        return min(rows)
    spec = MODELS.get(name)
    return spec.vocab if spec else None


def listed_ops(r1c):
    """The ONNX op types `r1c --list-ops` names; empty when it cannot say."""
    run = subprocess.run([r1c, "--list-ops"], capture_output=True, text=True)
    return {line.split()[0] for line in run.stdout.splitlines() if line.strip()} \
        if run.returncode == 0 else set()


def compile_r1c(peer, case):
    """Compiles the case with the peer's command, as R1c.compile does, but keeps r1c's first
    error line whole (R1c.compile cuts it to fit a table cell and drops what looks like a
    folder, such as an ONNX node's scope); returns (seconds, kernel count, None) or
    (seconds, None, the error line)."""
    base = os.path.join(case.work, case.slug + ".default")
    cmd = [peer.r1c, case.path, "--target=host", "--stats", "--no-progress", "-o", base]
    start = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        return seconds, None, first_error_line(run.stderr + run.stdout) or f"exit {run.returncode}"
    counts = list(dict.fromkeys(re.findall(r"^kernels: (\d+)", run.stderr, re.M)))
    peer.artifacts[case.name] = base + ".r1"
    return seconds, "/".join(counts) or "?", None


def check_one(name, args, peer, ort_peer, work):
    path = os.path.join(args.models_dir, name + ".onnx")
    model = onnx.load(path, load_external_data=False)
    row = {"model": name, "kind": "dynamo" if MODELS[name].dynamo else "classic",
           "opset": opset_of(model), "nodes": len(model.graph.node), "ops": op_counts(model),
           "compile": None, "kernels": None, "error": None, "rel": None, "status": "fail"}
    feeds = make_inputs(model, np.random.default_rng(0), vocab=id_vocab(model, name),
                        full_masks=True)
    case_dir = tempfile.mkdtemp(dir=work)
    try:
        case = Case(name, path, feeds, case_dir)
        progress(f"{name}: compiling with r1c ({row['nodes']} nodes)")
        row["compile"], row["kernels"], row["error"] = compile_r1c(peer, case)
        if row["error"]:
            progress(f"{name}: r1c failed after {row['compile']:.1f} s")
            return row
        progress(f"{name}: compiled in {row['compile']:.1f} s, {row['kernels']} kernels; "
                 "running r1c-run and ONNX Runtime")
        try:
            ort_peer.time(case, 1, 1)
        except PeerFailed as e:
            row["error"] = str(e)
            return row
        try:
            peer.time(case, 1, 1)
        except PeerFailed as e:
            row["error"] = str(e)
            return row
        want = ort_peer.outputs.pop(name)
        row["rel"] = norm_error(peer.outputs.pop(name), want)
        row["status"] = "pass" if row["rel"] <= NORM_RTOL else "fail"
        zeros = [i for i, w in enumerate(want) if not np.any(w)]
        if zeros:
            # Any r1c output near zero would pass; the comparison says nothing.
            row["error"] = f"ONNX Runtime's output {zeros[0]} is all zeros"
            row["status"] = "fail"
        progress(f"{name}: relative error of the output norm {row['rel']:.1e}, {row['status']}")
    finally:
        shutil.rmtree(case_dir, ignore_errors=True)
    return row


def table(rows):
    lines = ["| model | export | opset | nodes | r1c compile (s) | kernels | max rel. error "
             "| result |", "|---|---|---:|---:|---|---:|---:|---|"]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['model']} | {r['kind']} | | | not exported: {r['missing']} | | | "
                         "fail |")
            continue
        compiled = r["compile"] is not None and r["kernels"] is not None
        cell = f"{r['compile']:.1f}" if compiled else (
            f"fails after {r['compile']:.1f} s: `{r['error'].replace('|', '/')}`"
            if r["compile"] is not None else "")
        if compiled and r["error"]:
            cell += f"; then: `{r['error'].replace('|', '/')}`"
        rel = "" if r["rel"] is None else f"{r['rel']:.1e}"
        lines.append(f"| {r['model']} | {r['kind']} | {r['opset']} | {r['nodes']} | {cell} | "
                     f"{r['kernels'] or ''} | {rel} | {r['status']} |")
    return lines


def cmd_check(args, parser):
    names = parse_models(args.models, parser)
    for tool in (args.r1c, args.r1c_run):
        if not os.access(tool, os.X_OK):
            parser.error(f"{tool} is not an executable file")
    cpu_name, isa = cpu_info()
    peer = R1c(args.r1c, args.r1c_run, "default", [], True)
    ort_peer = Ort()
    rows = []
    work = args.work or tempfile.mkdtemp(prefix="torch-exports-")
    os.makedirs(work, exist_ok=True)
    try:
        for name in names:
            path = os.path.join(args.models_dir, name + ".onnx")
            if not os.path.exists(path):
                progress(f"{name}: no {path}; run `export` first")
                rows.append({"model": name, "missing": f"no {name}.onnx",
                             "kind": "dynamo" if MODELS[name].dynamo else "classic"})
                continue
            start = time.monotonic()
            rows.append(check_one(name, args, peer, ort_peer, work))
            progress(f"{name}: done in {time.monotonic() - start:.1f} s")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    passed = sum(r.get("status") == "pass" for r in rows)
    lines = [f"CPU: {cpu_name}, {os.cpu_count()} cores; r1c `--target=host` (default --cpu=auto); "
             f"onnxruntime {ort.__version__}; "
             f"{datetime.date.today().isoformat()}.", ""]
    lines += table(rows)
    lines += ["", f"{passed} passed, {len(rows) - passed} failed "
              f"(relative error of the output norm <= {NORM_RTOL:g})."]
    failed_ops = [r for r in rows if r.get("kernels") is None and not r.get("missing")]
    if failed_ops:
        # r1c stops at the first node it cannot legalize; the ops it does not list at all
        # say what else stands between it and the model.
        listed = listed_ops(args.r1c)
        lines += ["", "Op types of the models r1c did not compile (**bold**: not in "
                  "`r1c --list-ops`):", ""]
        lines += [f"- {r['model']}: " + ", ".join(
            f"**{op}** {n}" if listed and op not in listed else f"{op} {n}"
            for op, n in r["ops"]) for r in failed_ops]
    text = "\n".join(lines)
    print(text, flush=True)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0 if passed == len(rows) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="export the models to DIR/NAME.onnx")
    export.add_argument("--out", required=True, help="folder for NAME.onnx (created)")
    export.add_argument("--models", help=f"comma list (default all: {','.join(MODELS)})")
    export.add_argument("--force", action="store_true", help="rewrite files that exist")
    check = sub.add_parser("check", help="compile with r1c and compare with ONNX Runtime")
    check.add_argument("--models-dir", required=True, help="the folder `export --out` wrote")
    check.add_argument("--r1c", required=True)
    check.add_argument("--r1c-run", required=True)
    check.add_argument("--models", help="comma list (default all)")
    check.add_argument("--work", help="folder for the artifacts while each model is checked "
                       "(default: a temporary one)")
    check.add_argument("--write", help="also write the table as markdown to this file")
    args = parser.parse_args()
    return (cmd_export if args.command == "export" else cmd_check)(args, parser)


if __name__ == "__main__":
    sys.exit(main())
