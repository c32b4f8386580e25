#!/usr/bin/env python3
"""Exports convolutional, recurrent and transformer models with torch.onnx, as users make them,
and checks that r1c compiles them for the host and GPUs and matches ONNX Runtime.

  python3 bench/torch_exports.py export --out DIR [--models a,b,...] [--force]
  python3 bench/torch_exports.py check --models-dir DIR --r1c build/bin/r1c \\
      --r1c-run build/bin/r1c-run [--models a,b,...] [--targets LIST] [--work DIR] [--write FILE.md]
  python3 bench/torch_exports.py test --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      [--models a,b,...|all] [--cache ROOT] [--targets LIST] [--write FILE.md]

Models exported by torch.onnx
-----------------------------
test/models/generate.py writes its models node by node with onnx.helper, in the shapes r1c was
written for. The models here come out of PyTorch's own exporters instead, with the op patterns
they emit (Erf or Tanh GELUs, LayerNormalization, attention masks built from Where, Expand and
Cast, Conv with groups, HardSwish and HardSigmoid, Flatten before the classifier, GroupNorm as
InstanceNormalization between Reshapes, Resize, LSTM and GRU), which nobody tuned r1c for:

  tv_resnet50, tv_mobilenet_v3_large, tv_efficientnet_b0, tv_convnext_tiny, tv_regnet_y_800mf,
  tv_vit_b_16      torchvision, weights=None, one 1x3x224x224 float32 image
  tv_fasterrcnn_fpn, tv_ssdlite_features
                   torchvision detection backbones without heads or NMS, a 1x3x320x320 image:
                   fasterrcnn_resnet50_fpn's ResNet-50 + FPN (5 feature maps),
                   ssdlite320_mobilenet_v3_large's MobileNetV3 features and extra blocks (6)
  pt_unet          a small UNet written here (GroupNorm, InstanceNorm, ConvTranspose,
                   bilinear Resize, skip Concats), 1x3x128x128
  hf_bert_base     transformers BertModel(BertConfig()), input_ids and attention_mask [1, 128]
  hf_distilbert    DistilBertModel(DistilBertConfig()), the same inputs
  hf_gpt2          GPT2Model(GPT2Config(use_cache=False)), the same inputs
  hf_t5_encoder    T5EncoderModel(T5Config()) (t5-small's shape: relative position bias,
                   T5LayerNorm), the same inputs
  hf_whisper_encoder
                   WhisperModel's encoder, whisper-tiny's shape (4 layers, 384 wide), on
                   input_features [1, 80, 1500] (max_source_positions 750)
  pt_lstm_tagger, pt_gru_tagger
                   Embedding, a 2-layer bidirectional LSTM or GRU, Linear; input_ids [1, 64]
  dyn_*            some of the above again, by the dynamo exporter (dynamo=True, its default
                   opset and graph optimization)

Every model is built with random weights from a fixed seed (nothing is downloaded, reruns write
the same bytes), in eval mode and float32, with static shapes and batch 1, and exported by the
classic TorchScript exporter (dynamo=False) at its spec's opset (17, or 18) unless its name
starts with dyn_. Tensors that the initializers fill with one value (zero biases, unit norm
scales, BatchNorm statistics, vit_b_16's zero head) get small random values, as trained weights
have, so every weight reaches the output the check compares. Weights stay inside the .onnx file
(external data only past protobuf's 2 GB limit). `export` skips files that exist (--force
rewrites them), runs each file once in ONNX Runtime and prints its size, node count and op
types; progress goes to stderr.

`check` compiles each model with `r1c --target=host` (the flags of
bench/host_vs_onnxruntime.py; artifacts in a temporary folder or under --work, removed after
each model), runs the artifact with r1c-run and the model with ONNX Runtime on the same inputs
(test/models/check_host_models.py's make_inputs: standard normal images, token ids below the
vocabulary of the embedding the ids index, attention masks all ones) and compares: the host
passes when the relative error of each output's norm, ||r1c - ort|| / ||ort||, is at most 1e-4
(STYLE.md's fp32 model tolerance). Then it compiles the model for --targets (default sm_80,
sm_90, gfx90a; NVRTC and hipRTC need no GPU), compile only; a target whose compiler is not
installed is skipped, not failed. A model passes when the host passes and no target fails. A
model r1c fails to compile keeps r1c's first error line in the table.

`test` is what CTest runs: it exports into a cache folder named by the exporting packages'
versions and this file's digest (under $XDG_CACHE_HOME/r1c/torch-models, else
~/.cache/r1c/torch-models; other folders there are removed), reusing the files it finds, then
checks them. Without --models it takes the CI subset (CI_MODELS); `--models all` takes every
model. It exits 77 (a CTest skip) when torch, torchvision, transformers or onnxscript is
missing. bench/host_vs_onnxruntime.py times these models with --models-dir DIR
--models NAME,... as it times generated ones.
"""
import argparse
import collections
import contextlib
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

sys.path.insert(0, os.path.join(HERE, "..", "test", "lib"))
import artifact_sections  # noqa: E402

OPSET = 17
SEQ = 128
IMAGE = (1, 3, 224, 224)
# protobuf cannot hold a message of 2 GB or more; larger models keep weights in a side file.
PROTO_LIMIT = 2 * 1024**3 - 64 * 1024**2


class Spec:
    """One model of the registry: how to build it, its example inputs, its output names and,
    for token models, the vocabulary size (used when the ids' embedding Gather cannot be found
    in the graph)."""

    def __init__(self, source, build, inputs, outputs, dynamo=False, opset=OPSET, vocab=None,
                 no_grad=False):
        self.source, self.build, self.inputs, self.outputs = source, build, inputs, outputs
        self.dynamo, self.opset, self.vocab, self.no_grad = dynamo, opset, vocab, no_grad

    def exporter(self):
        return "dynamo" if self.dynamo else f"classic, opset {self.opset}"


def torchvision_model(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None)
    return build


def as_tuple(out):
    """The tensors of a model's result in order: a ModelOutput's or an OrderedDict's values
    (detection backbones return one feature map per level), a tuple's items, or the tensor."""
    import torch
    if isinstance(out, torch.Tensor):
        return (out,)
    values = out.values() if hasattr(out, "values") else out
    return tuple(v for v in values if isinstance(v, torch.Tensor))


def flat_outputs(model, keywords=None):
    """Wraps a model so that the export has positional tensor inputs and a tuple of tensor
    outputs. With `keywords`, the inputs are passed to the model by those names (transformers
    models take input_ids, attention_mask, input_features)."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            if keywords:
                return as_tuple(self.inner(**dict(zip(keywords, inputs)), return_dict=True))
            return as_tuple(self.inner(*inputs))

    return Wrapped(model)


def transformers_model(model_class, config_class, keywords=("input_ids", "attention_mask"),
                       part=None, **config):
    """A transformers model from its config class with `config`'s fields; `part` takes a
    submodule (WhisperModel's encoder)."""
    def build():
        import transformers
        cfg = getattr(transformers, config_class)(**config)
        model = getattr(transformers, model_class)(cfg)
        return flat_outputs(getattr(model, part) if part else model, keywords)
    return build


def detection_backbone(name):
    """The backbone of a torchvision detector, without the heads, anchors and NMS: its feature
    maps, one output per level (ResNet-50 + FPN: 5 levels; SSDlite's MobileNetV3 features
    and extra blocks: 6)."""
    def build():
        from torchvision.models import detection
        return flat_outputs(getattr(detection, name)(weights=None, weights_backbone=None).backbone)
    return build


def unet():
    """A small 2-D UNet, as segmentation and diffusion code writes them: 3x3 convolutions
    with GroupNorm (InstanceNorm at the top level) and SiLU, max-pool down, one level up by
    ConvTranspose and the others by bilinear F.interpolate (Resize), and skip connections
    concatenated on channels."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    def block(cin, cout, instance=False):
        norm = (nn.InstanceNorm2d(cout, affine=True) if instance
                else nn.GroupNorm(8, cout))
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), norm, nn.SiLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout),
                             nn.SiLU())

    class UNet(nn.Module):
        def __init__(self, cin=3, classes=4, widths=(16, 32, 64, 128)):
            super().__init__()
            w = widths
            self.down = nn.ModuleList([block(cin, w[0], instance=True)] + [
                block(w[i - 1], w[i]) for i in range(1, len(w))])
            self.bottom = block(w[-1], w[-1])
            # The lowest level goes up by a learned ConvTranspose, the others by Resize.
            self.up_conv = nn.ConvTranspose2d(w[-1], w[-1], 2, stride=2)
            self.up = nn.ModuleList([block(2 * w[i], w[max(i - 1, 0)])
                                     for i in reversed(range(len(w)))])
            self.head = nn.Conv2d(w[0], classes, 1)

        def forward(self, x):
            skips = []
            for i, stage in enumerate(self.down):
                x = stage(x if i == 0 else F.max_pool2d(x, 2))
                skips.append(x)
            x = self.bottom(F.max_pool2d(x, 2))
            for i, stage in enumerate(self.up):
                x = (self.up_conv(x) if i == 0 else
                     F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))
                x = stage(torch.cat([x, skips[-1 - i]], dim=1))
            return self.head(x)

    return UNet()


def rnn_tagger(cell):
    """A sequence tagger: Embedding, a two-layer bidirectional LSTM or GRU, and a Linear
    layer giving tag scores per token."""
    import torch
    from torch import nn

    class Tagger(nn.Module):
        def __init__(self, vocab=TAGGER_VOCAB, dim=128, hidden=256, tags=17):
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.rnn = getattr(nn, cell)(dim, hidden, num_layers=2, bidirectional=True,
                                         batch_first=True)
            self.tags = nn.Linear(2 * hidden, tags)

        def forward(self, input_ids):
            return self.tags(self.rnn(self.embed(input_ids))[0])

    return Tagger


def image_inputs(shape=IMAGE):
    def make():
        import torch
        return {"image": torch.randn(*shape)}
    return make


def token_inputs(vocab, mask=True, seq=SEQ):
    def make():
        import torch
        inputs = {"input_ids": torch.randint(0, vocab, (1, seq), dtype=torch.int64)}
        if mask:
            inputs["attention_mask"] = torch.ones(1, seq, dtype=torch.int64)
        return inputs
    return make


def audio_inputs():
    import torch
    return {"input_features": torch.randn(1, WHISPER_MELS, WHISPER_FRAMES)}


# Vocabulary sizes of the default configs (BertConfig(), DistilBertConfig(), GPT2Config(),
# T5Config()) and of the tagger.
BERT_VOCAB, GPT2_VOCAB, T5_VOCAB, TAGGER_VOCAB = 30522, 50257, 32128, 5000
IMAGE_OUT, BERT_OUT, HIDDEN_OUT = ["logits"], ["last_hidden_state", "pooler_output"], [
    "last_hidden_state"]
# Detection backbones take 320x320 images: SSDlite's size, and a short side that keeps
# ResNet-50 + FPN (5 levels, strides 4 to 64) within a few seconds.
DETECTION_IMAGE = (1, 3, 320, 320)
FPN_OUT = ["p2", "p3", "p4", "p5", "pool"]
SSD_OUT = [f"features{i}" for i in range(6)]
UNET_IMAGE = (1, 3, 128, 128)
# A whisper-tiny encoder (4 layers, 384 wide, 6 heads) on 15 s of audio: 1500 mel frames,
# which its two convolutions (the second of stride 2) bring to max_source_positions = 750.
WHISPER_MELS, WHISPER_FRAMES = 80, 1500
WHISPER = dict(num_mel_bins=WHISPER_MELS, d_model=384, encoder_layers=4,
               encoder_attention_heads=6, encoder_ffn_dim=1536, decoder_layers=4,
               decoder_attention_heads=6, decoder_ffn_dim=1536,
               max_source_positions=WHISPER_FRAMES // 2)
# t5-small's shape: 6 layers, 512 wide, 8 heads, relative position buckets; T5Config()'s
# defaults.
T5 = dict(use_cache=False)
TAGGER_SEQ = 64
MODELS = {
    "tv_resnet50": Spec("torchvision resnet50", torchvision_model("resnet50"), image_inputs(),
                        IMAGE_OUT),
    "tv_mobilenet_v3_large": Spec("torchvision mobilenet_v3_large",
                                  torchvision_model("mobilenet_v3_large"), image_inputs(),
                                  IMAGE_OUT),
    "tv_efficientnet_b0": Spec("torchvision efficientnet_b0",
                               torchvision_model("efficientnet_b0"), image_inputs(), IMAGE_OUT),
    "tv_convnext_tiny": Spec("torchvision convnext_tiny", torchvision_model("convnext_tiny"),
                             image_inputs(), IMAGE_OUT),
    "tv_regnet_y_800mf": Spec("torchvision regnet_y_800mf", torchvision_model("regnet_y_800mf"),
                              image_inputs(), IMAGE_OUT),
    "hf_bert_base": Spec("transformers BertModel", transformers_model("BertModel", "BertConfig"),
                         token_inputs(BERT_VOCAB), BERT_OUT, vocab=BERT_VOCAB),
    "hf_distilbert": Spec("transformers DistilBertModel",
                          transformers_model("DistilBertModel", "DistilBertConfig"),
                          token_inputs(BERT_VOCAB), HIDDEN_OUT, vocab=BERT_VOCAB),
    "hf_gpt2": Spec("transformers GPT2Model",
                    transformers_model("GPT2Model", "GPT2Config", use_cache=False),
                    token_inputs(GPT2_VOCAB), HIDDEN_OUT, vocab=GPT2_VOCAB),
    "tv_vit_b_16": Spec("torchvision vit_b_16", torchvision_model("vit_b_16"), image_inputs(),
                        IMAGE_OUT),
    "dyn_resnet50": Spec("torchvision resnet50", torchvision_model("resnet50"), image_inputs(),
                         IMAGE_OUT, dynamo=True),
    "dyn_bert_base": Spec("transformers BertModel",
                          transformers_model("BertModel", "BertConfig"),
                          token_inputs(BERT_VOCAB), BERT_OUT, dynamo=True, vocab=BERT_VOCAB),
    "tv_fasterrcnn_fpn": Spec("torchvision fasterrcnn_resnet50_fpn's backbone",
                              detection_backbone("fasterrcnn_resnet50_fpn"),
                              image_inputs(DETECTION_IMAGE), FPN_OUT),
    "tv_ssdlite_features": Spec("torchvision ssdlite320_mobilenet_v3_large's backbone",
                                detection_backbone("ssdlite320_mobilenet_v3_large"),
                                image_inputs(DETECTION_IMAGE), SSD_OUT, opset=18),
    "pt_unet": Spec("a UNet (GroupNorm, InstanceNorm, ConvTranspose, Resize)", unet,
                    image_inputs(UNET_IMAGE), ["mask"], opset=18),
    "hf_t5_encoder": Spec("transformers T5EncoderModel",
                          transformers_model("T5EncoderModel", "T5Config", **T5),
                          token_inputs(T5_VOCAB), HIDDEN_OUT, vocab=T5_VOCAB),
    "hf_whisper_encoder": Spec("transformers WhisperModel's encoder",
                               transformers_model("WhisperModel", "WhisperConfig",
                                                  keywords=("input_features",),
                                                  part="encoder", **WHISPER),
                               audio_inputs, HIDDEN_OUT, opset=18),
    "pt_lstm_tagger": Spec("Embedding, bidirectional 2-layer LSTM, Linear", rnn_tagger("LSTM"),
                           token_inputs(TAGGER_VOCAB, mask=False, seq=TAGGER_SEQ), ["tags"],
                           vocab=TAGGER_VOCAB),
    "pt_gru_tagger": Spec("Embedding, bidirectional 2-layer GRU, Linear", rnn_tagger("GRU"),
                          token_inputs(TAGGER_VOCAB, mask=False, seq=TAGGER_SEQ), ["tags"],
                          opset=18, vocab=TAGGER_VOCAB),
    "dyn_fasterrcnn_fpn": Spec("torchvision fasterrcnn_resnet50_fpn's backbone",
                               detection_backbone("fasterrcnn_resnet50_fpn"),
                               image_inputs(DETECTION_IMAGE), FPN_OUT, dynamo=True),
    "dyn_unet": Spec("a UNet (GroupNorm, InstanceNorm, ConvTranspose, Resize)", unet,
                     image_inputs(UNET_IMAGE), ["mask"], dynamo=True),
    "dyn_t5_encoder": Spec("transformers T5EncoderModel",
                           transformers_model("T5EncoderModel", "T5Config", **T5),
                           token_inputs(T5_VOCAB), HIDDEN_OUT, dynamo=True, vocab=T5_VOCAB,
                           no_grad=True),
    "dyn_whisper_encoder": Spec("transformers WhisperModel's encoder",
                                transformers_model("WhisperModel", "WhisperConfig",
                                                   keywords=("input_features",),
                                                   part="encoder", **WHISPER),
                                audio_inputs, HIDDEN_OUT, dynamo=True),
    "dyn_lstm_tagger": Spec("Embedding, bidirectional 2-layer LSTM, Linear", rnn_tagger("LSTM"),
                            token_inputs(TAGGER_VOCAB, mask=False, seq=TAGGER_SEQ), ["tags"],
                            dynamo=True, vocab=TAGGER_VOCAB),
    "dyn_gpt2": Spec("transformers GPT2Model",
                     transformers_model("GPT2Model", "GPT2Config", use_cache=False),
                     token_inputs(GPT2_VOCAB), HIDDEN_OUT, dynamo=True, vocab=GPT2_VOCAB),
    "dyn_vit_b_16": Spec("torchvision vit_b_16", torchvision_model("vit_b_16"), image_inputs(),
                         IMAGE_OUT, dynamo=True),
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
        # Not under torch.no_grad() unless the spec says so: without autograd,
        # nn.MultiheadAttention takes its fused fast path (aten::_native_multi_head_attention),
        # which the classic exporter cannot translate (vit_b_16 fails). With autograd, the
        # dynamo exporter's decompositions turn the reshape after T5's sdpa attention into a
        # view of a transposed tensor and fail ("Cannot view a tensor with shape [1, 128, 8,
        # 64] and strides ..."); under no_grad that reshape is not decomposed.
        if spec.dynamo:
            with torch.no_grad() if spec.no_grad else contextlib.nullcontext():
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
                              opset_version=spec.opset, input_names=names,
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
            progress(f"{name}: exporting {spec.source} ({spec.exporter()})")
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


MISSING_COMPILER = re.compile(r"(NVRTC|hipRTC) is needed for")


def compile_gpu(r1c, path, targets, work):
    """Compiles the model for the GPU targets, in one artifact as users would, and returns
    (seconds, {target: "pass" | "fail: LINE" | "skip: LINE"}). A target passes when r1c
    reports its kernels compiled and the artifact holds its code section. When the joint
    compile fails, each target is compiled alone to say which failed; a target whose
    compiler (NVRTC for sm_*, hipRTC for gfx*) is not installed is skipped, not failed."""
    def attempt(names):
        base = os.path.join(work, "gpu")
        start = time.monotonic()
        run = subprocess.run([r1c, path, "--target=" + ",".join(names), "--stats",
                              "--no-progress", "-o", base], capture_output=True, text=True)
        seconds = time.monotonic() - start
        if run.returncode != 0:
            line = first_error_line(run.stderr + run.stdout) or f"exit {run.returncode}"
            return seconds, {t: ("skip: " if MISSING_COMPILER.search(line) else "fail: ") + line
                             for t in names}
        compiled = {arch for _, arch in
                    re.findall(r"gpu: (\d+) kernels compiled for (\S+)", run.stderr)}
        found = {name for kind, name, _, size in artifact_sections.sections(base + ".r1")
                 if kind in ("CUDA_CODE", "HIP_CODE") and size}
        os.remove(base + ".r1")
        return seconds, {t: "pass" if t in compiled and t in found else
                         "fail: no code section for it in the artifact" for t in names}

    seconds, results = attempt(targets)
    if len(targets) > 1 and any(r != "pass" for r in results.values()):
        for target in targets:
            spent, alone = attempt([target])
            seconds += spent
            results[target] = alone[target]
    return seconds, results


def check_one(name, args, peer, ort_peer, work):
    path = os.path.join(args.models_dir, name + ".onnx")
    model = onnx.load(path, load_external_data=False)
    row = {"model": name, "kind": "dynamo" if MODELS[name].dynamo else "classic",
           "opset": opset_of(model), "nodes": len(model.graph.node), "ops": op_counts(model),
           "compile": None, "kernels": None, "error": None, "rel": None, "status": "fail",
           "gpu": {}, "gpu_compile": None}
    feeds = make_inputs(model, np.random.default_rng(0), vocab=id_vocab(model, name),
                        full_masks=True)
    case_dir = tempfile.mkdtemp(dir=work)
    try:
        case = Case(name, path, feeds, case_dir)
        progress(f"{name}: compiling with r1c ({row['nodes']} nodes)")
        row["compile"], row["kernels"], row["error"] = compile_r1c(peer, case)
        if row["error"]:
            progress(f"{name}: r1c failed after {row['compile']:.1f} s: {row['error']}")
        else:
            progress(f"{name}: compiled in {row['compile']:.1f} s, {row['kernels']} kernels; "
                     "running r1c-run and ONNX Runtime")
            compare(name, row, case, peer, ort_peer)
        if args.targets:
            # The host artifact is no longer needed; the GPU one goes in the same folder.
            for f in os.listdir(case_dir):
                if f.endswith(".r1"):
                    os.remove(os.path.join(case_dir, f))
            progress(f"{name}: compiling for {','.join(args.targets)}")
            row["gpu_compile"], row["gpu"] = compile_gpu(args.r1c, path, args.targets, case_dir)
            progress(f"{name}: GPU compile {row['gpu_compile']:.1f} s: " + ", ".join(
                f"{t} {r}" for t, r in row["gpu"].items()))
            if any(r.startswith("fail") for r in row["gpu"].values()):
                row["status"] = "fail"
    finally:
        shutil.rmtree(case_dir, ignore_errors=True)
    return row


def compare(name, row, case, peer, ort_peer):
    """Runs the host artifact and ONNX Runtime on the case's inputs and fills the row's
    error and status."""
    for runner in (ort_peer, peer):
        try:
            runner.time(case, 1, 1)
        except PeerFailed as e:
            row["error"] = str(e)
            return
    want = ort_peer.outputs.pop(name)
    row["rel"] = norm_error(peer.outputs.pop(name), want)
    row["status"] = "pass" if row["rel"] <= NORM_RTOL else "fail"
    zeros = [i for i, w in enumerate(want) if not np.any(w)]
    if zeros:
        # Any r1c output near zero would pass; the comparison says nothing.
        row["error"] = f"ONNX Runtime's output {zeros[0]} is all zeros"
        row["status"] = "fail"
    progress(f"{name}: relative error of the output norm {row['rel']:.1e}, {row['status']}")


def cell(text):
    return text.replace("|", "/")


def table(rows, targets):
    lines = ["| model | export | opset | nodes | r1c host compile (s) | kernels | max rel. error "
             "| " + "".join(f"{t} | " for t in targets) + ("GPU compile (s) | " if targets
                                                           else "") + "result |",
             "|---|---|---:|---:|---|---:|---:|" + "---|" * len(targets)
             + ("---:|" if targets else "") + "---|"]
    notes = []
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['model']} | {r['kind']} | | | not exported: {r['missing']} | | | "
                         + "| " * len(targets) + ("| " if targets else "") + "fail |")
            continue
        compiled = r["compile"] is not None and r["kernels"] is not None
        host = f"{r['compile']:.1f}" if compiled else (
            f"fails after {r['compile']:.1f} s: `{cell(r['error'])}`"
            if r["compile"] is not None else "")
        if compiled and r["error"]:
            host += f"; then: `{cell(r['error'])}`"
        rel = "" if r["rel"] is None else f"{r['rel']:.1e}"
        gpu = ""
        for t in targets:
            result = r["gpu"].get(t, "")
            # The first error line of a target goes under the table, once per distinct line.
            if result.startswith(("fail: ", "skip: ")):
                verdict, line = result.split(": ", 1)
                if line not in notes:
                    notes.append(line)
                result = f"{verdict} [{notes.index(line) + 1}]"
            gpu += f"{result} | "
        if targets:
            gpu += ("" if r["gpu_compile"] is None else f"{r['gpu_compile']:.1f}") + " | "
        lines.append(f"| {r['model']} | {r['kind']} | {r['opset']} | {r['nodes']} | {host} | "
                     f"{r['kernels'] or ''} | {rel} | {gpu}{r['status']} |")
    if notes:
        lines += [""] + [f"[{i + 1}] `{cell(line)}`" for i, line in enumerate(notes)]
    return lines


def cmd_check(args, parser):
    names = parse_models(args.models, parser)
    for tool in (args.r1c, args.r1c_run):
        if not os.access(tool, os.X_OK):
            parser.error(f"{tool} is not an executable file")
    args.targets = [t.strip() for t in (args.targets or "").split(",") if t.strip()]
    cpu_name, isa = cpu_info()
    peer = R1c(args.r1c, args.r1c_run, "default", [], True)
    ort_peer = Ort()
    rows = []
    work = args.work or tempfile.mkdtemp(prefix="torch-exports-")
    os.makedirs(work, exist_ok=True)
    total = time.monotonic()
    try:
        for i, name in enumerate(names):
            path = os.path.join(args.models_dir, name + ".onnx")
            if not os.path.exists(path):
                progress(f"{name}: no {path}; run `export` first")
                rows.append({"model": name, "missing": f"no {name}.onnx",
                             "kind": "dynamo" if MODELS[name].dynamo else "classic"})
                continue
            start = time.monotonic()
            rows.append(check_one(name, args, peer, ort_peer, work))
            progress(f"{name}: {rows[-1]['status']}, done in {time.monotonic() - start:.1f} s "
                     f"({i + 1} of {len(names)})")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    passed = sum(r.get("status") == "pass" for r in rows)
    gpu = f", then `--target={','.join(args.targets)}` (compile only)" if args.targets else ""
    lines = [f"CPU: {cpu_name}, {os.cpu_count()} cores; r1c `--target=host` (default --cpu=auto)"
             f"{gpu}; onnxruntime {ort.__version__}; "
             f"{datetime.date.today().isoformat()}.", ""]
    lines += table(rows, args.targets)
    lines += ["", f"{passed} passed, {len(rows) - passed} failed "
              f"(relative error of the output norm <= {NORM_RTOL:g}"
              + (", and every GPU target compiled or skipped" if args.targets else "")
              + f"), in {time.monotonic() - total:.0f} s."]
    failed_ops = [r for r in rows if r.get("kernels") is None and not r.get("missing")]
    if failed_ops:
        # r1c stops at the first node it cannot legalize; the ops it does not list at all
        # say what else stands between it and the model.
        listed = listed_ops(args.r1c)
        lines += ["", "Op types of the models r1c did not compile for the host (**bold**: not "
                  "in `r1c --list-ops`):", ""]
        lines += [f"- {r['model']}: " + ", ".join(
            f"**{op}** {n}" if listed and op not in listed else f"{op} {n}"
            for op, n in r["ops"]) for r in failed_ops]
    text = "\n".join(lines)
    print(text, flush=True)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0 if passed == len(rows) else 1


# --- test: export into a cache, then check ----------------------------------------------------

# The packages whose versions decide the exported bytes.
EXPORT_PACKAGES = ["torch", "torchvision", "transformers", "onnxscript", "onnx"]
SKIP = 77  # CTest's SKIP_RETURN_CODE in test/CMakeLists.txt


def cache_key():
    """Names the exports by what made them: the exporting packages' versions and a digest
    of this script (the model definitions live here). Another version or a changed model
    gets a fresh folder."""
    import hashlib
    import importlib.metadata as md
    with open(os.path.abspath(__file__), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return "-".join(f"{p}{md.version(p)}" for p in EXPORT_PACKAGES) + "-" + digest


def default_cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "r1c", "torch-models")


def cmd_test(args, parser):
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        import transformers  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e.name} is not installed (scripts/setup.sh installs the exporters)")
        return SKIP
    root = args.cache or default_cache_root()
    key = cache_key()
    folder = os.path.join(root, key)
    os.makedirs(folder, exist_ok=True)
    # Exports by other versions are never read again; each set is about 2 GB.
    for old in os.listdir(root):
        if old != key and os.path.isdir(os.path.join(root, old)):
            progress(f"removing the stale exports {os.path.join(root, old)}")
            shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    progress(f"exports in {folder}")
    args.out, args.force = folder, False
    exported = cmd_export(args, parser)
    args.models_dir = folder
    checked = cmd_check(args, parser)
    return exported or checked


# The models the CTest test checks: one or more of each kind that item 4 of the issue names
# (classification and detection backbones, UNet, BERT, GPT-2, T5 and Whisper encoders, an
# LSTM tagger), both exporters, opsets 17, 18 and the dynamo default (20), within about ten
# minutes on two cores. The rest run with `test --models all` (docs/torch-exports.md).
CI_MODELS = ["tv_mobilenet_v3_large", "tv_fasterrcnn_fpn", "pt_unet", "hf_distilbert", "hf_gpt2",
             "dyn_t5_encoder", "hf_whisper_encoder", "pt_lstm_tagger"]


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
    test = sub.add_parser("test", help="export into a cache folder kept across runs, then check")
    test.add_argument("--cache", help="the cache's root (default $XDG_CACHE_HOME/r1c/"
                      "torch-models, else ~/.cache/r1c/torch-models); exports go to a folder "
                      "in it named by the package versions, and other folders there are removed")
    for p in (check, test):
        p.add_argument("--r1c", required=True)
        p.add_argument("--r1c-run", required=True)
        p.add_argument("--targets", default="sm_80,sm_90,gfx90a",
                       help="GPU targets to compile each model for, after the host check "
                       "(default %(default)s; '' for none)")
        p.add_argument("--work", help="folder for the artifacts while each model is checked "
                       "(default: a temporary one)")
        p.add_argument("--write", help="also write the table as markdown to this file")
    check.add_argument("--models", help="comma list (default all)")
    test.add_argument("--models", default=",".join(CI_MODELS),
                      help="comma list, or 'all' (default: the CI subset, "
                      f"{','.join(CI_MODELS)})")
    args = parser.parse_args()
    if getattr(args, "models", None) == "all":
        args.models = None
    return {"export": cmd_export, "check": cmd_check, "test": cmd_test}[args.command](args, parser)


if __name__ == "__main__":
    sys.exit(main())
