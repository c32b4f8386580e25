"""Writes ONNX models (ResNet-50, MobileNetV2, BERT-base, GPT-2 small, ViT-B/16, a MobileNetV3 block) with random weights, full size or shrunk, in float32 or float16."""

import argparse
import json
import os
import sys
import time
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODEL_NAMES = ["resnet50", "mobilenetv2", "bert", "gpt2", "vit", "mobilenetv3_block"]

# Weight std for transformer-style layers; matches the usual initializer range of those models.
WEIGHT_STD = 0.02

# The dims each model is built with. "check" keeps every op pattern of "full"
# (all stages, blocks with and without a downsample, attention with heads of
# 64, the same opsets) with fewer layers, narrower channels and a smaller
# vocabulary, so the five models in both dtypes and their compiled artifacts
# fit in the few tens of MiB that can be copied to a GPU test machine.
SIZES = {
    "full": {
        "resnet50": dict(stem=64, stages=[(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)], classes=1000),
        "mobilenetv2": dict(
            stem=32, head=1280, classes=1000,
            settings=[(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                      (6, 320, 1, 1)],
        ),
        "bert": dict(seq=128, hidden=768, heads=12, layers=12, ffn=3072, vocab=30522, positions=512),
        "gpt2": dict(seq=128, hidden=768, heads=12, layers=12, vocab=50257, positions=1024),
        "vit": dict(image=224, patch=16, hidden=768, heads=12, layers=12, ffn=3072, classes=1000),
        "mobilenetv3_block": dict(),
    },
    "check": {
        "resnet50": dict(stem=16, stages=[(2, 16, 1), (2, 32, 2), (2, 64, 2), (2, 128, 2)], classes=100),
        "mobilenetv2": dict(
            stem=16, head=640, classes=100,
            settings=[(1, 8, 1, 1), (6, 16, 2, 2), (6, 16, 2, 2), (6, 32, 2, 2), (6, 48, 2, 1), (6, 80, 2, 2),
                      (6, 160, 1, 1)],
        ),
        "bert": dict(seq=128, hidden=128, heads=2, layers=2, ffn=512, vocab=1024, positions=512),
        "gpt2": dict(seq=128, hidden=128, heads=2, layers=2, vocab=2048, positions=1024),
        "vit": dict(image=224, patch=16, hidden=128, heads=2, layers=2, ffn=512, classes=100),
        "mobilenetv3_block": dict(),
    },
}
DTYPES = ["float32", "float16"]


class GraphBuilder:
    """Collects nodes and initializers; every op call returns the name(s) of its output(s)."""

    def __init__(self, seed, batch, dims):
        self.rng = np.random.default_rng(seed)
        # Either an int (static batch) or the dim_param string for a symbolic batch.
        self.batch = batch
        # The model's entry of SIZES.
        self.dims = dims
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self._names = set()
        self._consts = {}

    def unique(self, base):
        name, i = base, 1
        while name in self._names:
            name = f"{base}_{i}"
            i += 1
        self._names.add(name)
        return name

    # ---- graph interface -------------------------------------------------

    def add_input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        self._names.add(name)
        return name

    def add_output(self, value, name, elem_type, shape):
        consumed = any(value in node.input for node in self.nodes)
        producer = next((node for node in reversed(self.nodes) if value in node.output), None)
        if producer is not None and not consumed:
            # Exporters name the producing value after the output; no Identity needed.
            producer.output[list(producer.output).index(value)] = name
        else:
            self.op("Identity", [value], scope=name, out_names=[name])
        self._names.add(name)
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    # ---- initializers ----------------------------------------------------

    def tensor(self, name, array):
        name = self.unique(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, order="C"), name))
        return name

    def normal(self, name, shape, std=WEIGHT_STD):
        return self.tensor(name, self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std))

    def he_conv(self, name, shape, gain=1.0):
        # He init keeps the activation scale roughly constant through ReLU conv stacks.
        fan_in = int(np.prod(shape[1:]))
        return self.normal(name, shape, std=gain * np.sqrt(2.0 / fan_in))

    def ones_ish(self, name, n, jitter=0.05):
        return self.tensor(name, 1.0 + self.rng.standard_normal(n, dtype=np.float32) * np.float32(jitter))

    def const(self, value, dtype=np.float32):
        """Small shared constant (shape vectors, scalars), deduplicated by value."""
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._consts:
            self._consts[key] = self.tensor(f"const_{len(self._consts)}", array)
        return self._consts[key]

    # ---- nodes -----------------------------------------------------------

    def op(self, op_type, inputs, scope="", outputs=1, out_names=None, **attrs):
        node_name = self.unique(f"/{scope}/{op_type}" if scope else f"/{op_type}")
        if out_names is None:
            out_names = [self.unique(f"{node_name}_output_{i}") for i in range(outputs)]
        else:
            for n in out_names:
                self._names.add(n)
        self.nodes.append(helper.make_node(op_type, inputs, out_names, name=node_name, **attrs))
        return out_names[0] if len(out_names) == 1 else out_names

    def model(self, graph_name, opset, doc):
        graph = helper.make_graph(self.nodes, graph_name, self.inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="r1c-test-models",
            doc_string=doc,
            # The lowest IR version that can carry the opset keeps the files readable
            # by older ONNX libraries too.
            ir_version=helper.find_min_ir_version_for(opsets),
        )
        return model

    # ---- composite helpers shared by several models ----------------------

    def linear(self, x, scope, d_in, d_out):
        """MatMul + Add, the form exporters emit for nn.Linear on rank-3 inputs."""
        w = self.normal(f"{scope}.weight", (d_in, d_out))
        b = self.normal(f"{scope}.bias", (d_out,))
        y = self.op("MatMul", [x, w], scope=scope)
        return self.op("Add", [y, b], scope=scope)

    def gemm(self, x, scope, d_in, d_out):
        w = self.normal(f"{scope}.weight", (d_out, d_in))
        b = self.normal(f"{scope}.bias", (d_out,))
        return self.op("Gemm", [x, w, b], scope=scope, alpha=1.0, beta=1.0, transB=1)

    def layer_norm(self, x, scope, dim, eps):
        """LayerNormalization op (opset 17+)."""
        gamma = self.ones_ish(f"{scope}.weight", dim)
        beta = self.normal(f"{scope}.bias", (dim,))
        return self.op("LayerNormalization", [x, gamma, beta], scope=scope, axis=-1, epsilon=eps)

    def gelu_erf(self, x, scope):
        t = self.op("Div", [x, self.const(np.sqrt(2.0))], scope=scope)
        t = self.op("Erf", [t], scope=scope)
        t = self.op("Add", [t, self.const(1.0)], scope=scope)
        t = self.op("Mul", [x, t], scope=scope)
        return self.op("Mul", [t, self.const(0.5)], scope=scope)


def batch_dim(dynamic, batch):
    return "batch" if dynamic else batch


# ---------------------------------------------------------------------------
# ResNet-50 (torchvision layout, v1.5: stride on the 3x3 conv)
# ---------------------------------------------------------------------------


def build_resnet50(g):
    n, d = g.batch, g.dims
    x = g.add_input("input", TensorProto.FLOAT, [n, 3, 224, 224])

    def conv(x, scope, c_in, c_out, k, stride, bn, gain=1.0):
        pad = k // 2
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, dilations=[1, 1], group=1)
        w = g.he_conv(f"{scope}.weight", (c_out, c_in, k, k), gain)
        if not bn:
            b = g.normal(f"{scope}.bias", (c_out,))
            return g.op("Conv", [x, w, b], scope=scope, **attrs)
        y = g.op("Conv", [x, w], scope=scope, **attrs)
        bn_scope = scope.replace("conv", "bn").replace("downsample.0", "downsample.1")
        scale = g.ones_ish(f"{bn_scope}.weight", c_out, jitter=0.1)
        bias = g.normal(f"{bn_scope}.bias", (c_out,), std=0.05)
        mean = g.normal(f"{bn_scope}.running_mean", (c_out,), std=0.05)
        var = g.tensor(f"{bn_scope}.running_var", g.rng.uniform(0.8, 1.2, c_out).astype(np.float32))
        return g.op("BatchNormalization", [y, scale, bias, mean, var], scope=bn_scope, epsilon=1e-5, momentum=0.9)

    # Stem and layer1 keep BatchNormalization separate; later stages have it folded
    # into the conv bias, so both forms are exercised.
    y = conv(x, "conv1", 3, d["stem"], 7, 2, bn=True)
    y = g.op("Relu", [y], scope="relu")
    y = g.op("MaxPool", [y], scope="maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])

    c_in = d["stem"]
    for stage, (blocks, width, stride) in enumerate(d["stages"], start=1):
        bn = stage == 1
        for i in range(blocks):
            s = stride if i == 0 else 1
            scope = f"layer{stage}.{i}"
            out = width * 4
            t = g.op("Relu", [conv(y, f"{scope}.conv1", c_in, width, 1, 1, bn)], scope=f"{scope}.relu")
            t = g.op("Relu", [conv(t, f"{scope}.conv2", width, width, 3, s, bn)], scope=f"{scope}.relu_1")
            # Damping the last conv of each branch keeps the skip sums from doubling
            # the activation variance block after block.
            t = conv(t, f"{scope}.conv3", width, out, 1, 1, bn, gain=0.5)
            skip = y
            if i == 0:
                skip = conv(y, f"{scope}.downsample.0", c_in, out, 1, s, bn)
            y = g.op("Add", [t, skip], scope=scope)
            y = g.op("Relu", [y], scope=f"{scope}.relu_2")
            c_in = out

    y = g.op("GlobalAveragePool", [y], scope="avgpool")
    y = g.op("Flatten", [y], scope="flatten", axis=1)
    y = g.gemm(y, "fc", c_in, d["classes"])
    g.add_output(y, "logits", TensorProto.FLOAT, [n, d["classes"]])
    return g.model("resnet50", 13, "ResNet-50")


# ---------------------------------------------------------------------------
# MobileNetV2 (torchvision layout, BN folded into conv bias as exporters do in eval mode)
# ---------------------------------------------------------------------------


def build_mobilenetv2(g):
    n, d = g.batch, g.dims
    x = g.add_input("input", TensorProto.FLOAT, [n, 3, 224, 224])
    relu6_min, relu6_max = g.const(0.0), g.const(6.0)

    def conv(x, scope, c_in, c_out, k, stride, groups=1, relu6=True):
        w = g.he_conv(f"{scope}.weight", (c_out, c_in // groups, k, k))
        b = g.normal(f"{scope}.bias", (c_out,))
        pad = (k - 1) // 2
        y = g.op(
            "Conv", [x, w, b], scope=scope,
            kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, dilations=[1, 1], group=groups,
        )
        if relu6:
            y = g.op("Clip", [y, relu6_min, relu6_max], scope=scope)
        return y

    y = conv(x, "features.0", 3, d["stem"], 3, 2)
    c_in = d["stem"]
    idx = 1
    for t, c, reps, s in d["settings"]:
        for i in range(reps):
            stride = s if i == 0 else 1
            scope = f"features.{idx}.conv"
            hidden = c_in * t
            h = y
            layer = 0
            if t != 1:
                h = conv(h, f"{scope}.{layer}", c_in, hidden, 1, 1)
                layer += 1
            h = conv(h, f"{scope}.{layer}", hidden, hidden, 3, stride, groups=hidden)
            h = conv(h, f"{scope}.{layer + 1}", hidden, c, 1, 1, relu6=False)
            if stride == 1 and c_in == c:
                h = g.op("Add", [y, h], scope=f"features.{idx}")
            y = h
            c_in = c
            idx += 1

    y = conv(y, f"features.{idx}", c_in, d["head"], 1, 1)
    y = g.op("GlobalAveragePool", [y], scope="avgpool")
    y = g.op("Reshape", [y, g.const([-1, d["head"]], np.int64)], scope="flatten")
    y = g.gemm(y, "classifier.1", d["head"], d["classes"])
    g.add_output(y, "logits", TensorProto.FLOAT, [n, d["classes"]])
    return g.model("mobilenetv2", 15, "MobileNetV2")


# ---------------------------------------------------------------------------
# One MobileNetV3 bottleneck with squeeze-excite, to cover its activation ops
# ---------------------------------------------------------------------------


def build_mobilenetv3_block(g):
    n = g.batch
    c, hidden, squeeze = 40, 120, 32
    x = g.add_input("input", TensorProto.FLOAT, [n, c, 28, 28])

    def conv(x, scope, c_in, c_out, k, groups=1):
        w = g.he_conv(f"{scope}.weight", (c_out, c_in // groups, k, k))
        b = g.normal(f"{scope}.bias", (c_out,))
        pad = (k - 1) // 2
        return g.op("Conv", [x, w, b], scope=scope, kernel_shape=[k, k], pads=[pad] * 4, group=groups)

    h = g.op("HardSwish", [conv(x, "block.expand", c, hidden, 1)], scope="block.expand")
    h = g.op("HardSwish", [conv(h, "block.depthwise", hidden, hidden, 5, groups=hidden)], scope="block.depthwise")
    # Squeeze-excite as torch exports it when pooling is written as a mean.
    s = g.op("ReduceMean", [h], scope="block.se", axes=[2, 3], keepdims=1)
    s = g.op("Relu", [conv(s, "block.se.fc1", hidden, squeeze, 1)], scope="block.se")
    s = conv(s, "block.se.fc2", squeeze, hidden, 1)
    s = g.op("HardSigmoid", [s], scope="block.se", alpha=1.0 / 6.0, beta=0.5)
    h = g.op("Mul", [h, s], scope="block.se")
    h = conv(h, "block.project", hidden, c, 1)
    y = g.op("Add", [x, h], scope="block")
    y = g.op("AveragePool", [y], scope="pool", kernel_shape=[2, 2], strides=[2, 2])
    g.add_output(y, "output", TensorProto.FLOAT, [n, c, 14, 14])
    return g.model("mobilenetv3_block", 14, "MobileNetV3 bottleneck with squeeze-excite")


# ---------------------------------------------------------------------------
# BERT-base (HuggingFace layout, torch export at opset 14)
# ---------------------------------------------------------------------------


def build_bert(g):
    d = g.dims
    n, seq, hidden, heads, layers, ffn = g.batch, d["seq"], d["hidden"], d["heads"], d["layers"], d["ffn"]
    head_dim = hidden // heads
    ids = g.add_input("input_ids", TensorProto.INT64, [n, seq])
    mask = g.add_input("attention_mask", TensorProto.INT64, [n, seq])
    types = g.add_input("token_type_ids", TensorProto.INT64, [n, seq])

    def layer_norm(x, scope, eps=1e-12):
        # LayerNormalization only exists from opset 17, so torch decomposes it.
        axes = dict(axes=[-1], keepdims=1)
        mean = g.op("ReduceMean", [x], scope=scope, **axes)
        d = g.op("Sub", [x, mean], scope=scope)
        var = g.op("ReduceMean", [g.op("Pow", [d, g.const(2.0)], scope=scope)], scope=scope, **axes)
        std = g.op("Sqrt", [g.op("Add", [var, g.const(eps)], scope=scope)], scope=scope)
        y = g.op("Div", [d, std], scope=scope)
        y = g.op("Mul", [y, g.ones_ish(f"{scope}.weight", hidden)], scope=scope)
        return g.op("Add", [y, g.normal(f"{scope}.bias", (hidden,))], scope=scope)

    emb = "embeddings"
    word = g.op("Gather", [g.normal(f"{emb}.word_embeddings.weight", (d["vocab"], hidden)), ids], scope=emb, axis=0)
    pos_ids = g.const(np.arange(seq).reshape(1, seq), np.int64)
    pos = g.op("Gather", [g.normal(f"{emb}.position_embeddings.weight", (d["positions"], hidden)), pos_ids],
               scope=emb, axis=0)
    tok = g.op("Gather", [g.normal(f"{emb}.token_type_embeddings.weight", (2, hidden)), types], scope=emb, axis=0)
    h = g.op("Add", [g.op("Add", [word, tok], scope=emb), pos], scope=emb)
    h = layer_norm(h, f"{emb}.LayerNorm")

    # Extended attention mask: [N, S] -> [N, 1, 1, S], 0 where attended, -10000 where masked.
    m = g.op("Unsqueeze", [mask, g.const([1, 2], np.int64)], scope="extended_mask")
    m = g.op("Cast", [m], scope="extended_mask", to=TensorProto.FLOAT)
    m = g.op("Sub", [g.const(1.0), m], scope="extended_mask")
    m = g.op("Mul", [m, g.const(-10000.0)], scope="extended_mask")

    split_heads = g.const([0, 0, heads, head_dim], np.int64)
    merge_heads = g.const([0, 0, hidden], np.int64)
    for i in range(layers):
        sc = f"encoder.layer.{i}"
        att = f"{sc}.attention.self"
        q = g.op("Reshape", [g.linear(h, f"{att}.query", hidden, hidden), split_heads], scope=att)
        k = g.op("Reshape", [g.linear(h, f"{att}.key", hidden, hidden), split_heads], scope=att)
        v = g.op("Reshape", [g.linear(h, f"{att}.value", hidden, hidden), split_heads], scope=att)
        q = g.op("Transpose", [q], scope=att, perm=[0, 2, 1, 3])
        k = g.op("Transpose", [k], scope=att, perm=[0, 2, 3, 1])
        v = g.op("Transpose", [v], scope=att, perm=[0, 2, 1, 3])
        s = g.op("MatMul", [q, k], scope=att)
        s = g.op("Div", [s, g.const(np.sqrt(head_dim))], scope=att)
        s = g.op("Add", [s, m], scope=att)
        p = g.op("Softmax", [s], scope=att, axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [p, v], scope=att)], scope=att, perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads], scope=att)
        out = g.linear(ctx, f"{sc}.attention.output.dense", hidden, hidden)
        h = layer_norm(g.op("Add", [out, h], scope=f"{sc}.attention.output"), f"{sc}.attention.output.LayerNorm")
        f = g.gelu_erf(g.linear(h, f"{sc}.intermediate.dense", hidden, ffn), f"{sc}.intermediate")
        f = g.linear(f, f"{sc}.output.dense", ffn, hidden)
        h = layer_norm(g.op("Add", [f, h], scope=f"{sc}.output"), f"{sc}.output.LayerNorm")

    h = g.add_output(h, "last_hidden_state", TensorProto.FLOAT, [n, seq, hidden])
    first = g.op("Gather", [h, g.const(0, np.int64)], scope="pooler", axis=1)
    pooled = g.op("Tanh", [g.gemm(first, "pooler.dense", hidden, hidden)], scope="pooler")
    g.add_output(pooled, "pooler_output", TensorProto.FLOAT, [n, hidden])
    return g.model("bert", 14, "BERT-base uncased, sequence length 128")


# ---------------------------------------------------------------------------
# GPT-2 small (HuggingFace layout, opset 18)
# ---------------------------------------------------------------------------


def build_gpt2(g):
    d = g.dims
    n, seq, hidden, heads, layers, vocab = g.batch, d["seq"], d["hidden"], d["heads"], d["layers"], d["vocab"]
    head_dim = hidden // heads
    ids = g.add_input("input_ids", TensorProto.INT64, [n, seq])

    wte = g.normal("transformer.wte.weight", (vocab, hidden))
    h = g.op("Gather", [wte, ids], scope="transformer.wte", axis=0)
    pos_ids = g.const(np.arange(seq).reshape(1, seq), np.int64)
    pos = g.op("Gather", [g.normal("transformer.wpe.weight", (d["positions"], hidden), std=0.01), pos_ids],
               scope="transformer.wpe", axis=0)
    h = g.op("Add", [h, pos], scope="transformer")

    causal = g.const(np.tril(np.ones((seq, seq), dtype=bool)).reshape(1, 1, seq, seq), np.bool_)
    neg_inf = g.const(np.finfo(np.float32).min)
    split_sizes = g.const([hidden, hidden, hidden], np.int64)
    split_heads = g.const([0, 0, heads, head_dim], np.int64)
    merge_heads = g.const([0, 0, hidden], np.int64)
    gelu_c = g.const(np.sqrt(2.0 / np.pi))

    for i in range(layers):
        sc = f"transformer.h.{i}"
        att = f"{sc}.attn"
        a = g.layer_norm(h, f"{sc}.ln_1", hidden, 1e-5)
        qkv = g.linear(a, f"{att}.c_attn", hidden, 3 * hidden)
        q, k, v = g.op("Split", [qkv, split_sizes], scope=att, outputs=3, axis=2)
        q = g.op("Transpose", [g.op("Reshape", [q, split_heads], scope=att)], scope=att, perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [k, split_heads], scope=att)], scope=att, perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [v, split_heads], scope=att)], scope=att, perm=[0, 2, 1, 3])
        s = g.op("MatMul", [q, k], scope=att)
        s = g.op("Div", [s, g.const(np.sqrt(head_dim))], scope=att)
        s = g.op("Where", [causal, s, neg_inf], scope=att)
        p = g.op("Softmax", [s], scope=att, axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [p, v], scope=att)], scope=att, perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads], scope=att)
        h = g.op("Add", [g.linear(ctx, f"{att}.c_proj", hidden, hidden), h], scope=sc)

        mlp = f"{sc}.mlp"
        f = g.linear(g.layer_norm(h, f"{sc}.ln_2", hidden, 1e-5), f"{mlp}.c_fc", hidden, 4 * hidden)
        # GELU, tanh approximation ("gelu_new").
        cube = g.op("Pow", [f, g.const(3.0)], scope=mlp)
        t = g.op("Add", [f, g.op("Mul", [cube, g.const(0.044715)], scope=mlp)], scope=mlp)
        t = g.op("Tanh", [g.op("Mul", [t, gelu_c], scope=mlp)], scope=mlp)
        t = g.op("Add", [t, g.const(1.0)], scope=mlp)
        f = g.op("Mul", [g.op("Mul", [f, g.const(0.5)], scope=mlp), t], scope=mlp)
        f = g.linear(f, f"{mlp}.c_proj", 4 * hidden, hidden)
        h = g.op("Add", [f, h], scope=sc)

    h = g.layer_norm(h, "transformer.ln_f", hidden, 1e-5)
    # lm_head is tied to the token embedding, so it is a transposed view of the same initializer.
    wte_t = g.op("Transpose", [wte], scope="lm_head", perm=[1, 0])
    logits = g.op("MatMul", [h, wte_t], scope="lm_head")
    g.add_output(logits, "logits", TensorProto.FLOAT, [n, seq, vocab])
    return g.model("gpt2", 18, "GPT-2 small, sequence length 128")


# ---------------------------------------------------------------------------
# ViT-B/16 (HuggingFace layout, opset 17)
# ---------------------------------------------------------------------------


def build_vit(g):
    d = g.dims
    n, hidden, heads, layers, ffn, patch = g.batch, d["hidden"], d["heads"], d["layers"], d["ffn"], d["patch"]
    head_dim = hidden // heads
    tokens = (d["image"] // patch) ** 2 + 1
    x = g.add_input("pixel_values", TensorProto.FLOAT, [n, 3, d["image"], d["image"]])

    emb = "vit.embeddings"
    w = g.he_conv(f"{emb}.patch_embeddings.projection.weight", (hidden, 3, patch, patch))
    b = g.normal(f"{emb}.patch_embeddings.projection.bias", (hidden,))
    p = g.op("Conv", [x, w, b], scope=f"{emb}.patch_embeddings", kernel_shape=[patch, patch], strides=[patch, patch])
    p = g.op("Reshape", [p, g.const([0, hidden, -1], np.int64)], scope=f"{emb}.patch_embeddings")
    p = g.op("Transpose", [p], scope=f"{emb}.patch_embeddings", perm=[0, 2, 1])

    # The batch size is read from the input at run time, as torch does for
    # cls_token.expand(batch, ...), so the graph works with a symbolic batch.
    shape = g.op("Shape", [x], scope=emb)
    batch = g.op("Gather", [shape, g.const(0, np.int64)], scope=emb, axis=0)
    batch = g.op("Unsqueeze", [batch, g.const([0], np.int64)], scope=emb)
    cls_shape = g.op("Concat", [batch, g.const([1, hidden], np.int64)], scope=emb, axis=0)
    cls = g.op("Expand", [g.normal(f"{emb}.cls_token", (1, 1, hidden)), cls_shape], scope=emb)
    h = g.op("Concat", [cls, p], scope=emb, axis=1)
    h = g.op("Add", [h, g.normal(f"{emb}.position_embeddings", (1, tokens, hidden))], scope=emb)

    split_heads = g.op("Concat", [batch, g.const([tokens, heads, head_dim], np.int64)], scope="heads", axis=0)
    merge_heads = g.op("Concat", [batch, g.const([tokens, hidden], np.int64)], scope="heads", axis=0)
    scale = g.const(1.0 / np.sqrt(head_dim))

    for i in range(layers):
        sc = f"vit.encoder.layer.{i}"
        att = f"{sc}.attention.attention"
        a = g.layer_norm(h, f"{sc}.layernorm_before", hidden, 1e-12)
        q = g.op("Reshape", [g.linear(a, f"{att}.query", hidden, hidden), split_heads], scope=att)
        k = g.op("Reshape", [g.linear(a, f"{att}.key", hidden, hidden), split_heads], scope=att)
        v = g.op("Reshape", [g.linear(a, f"{att}.value", hidden, hidden), split_heads], scope=att)
        q = g.op("Transpose", [q], scope=att, perm=[0, 2, 1, 3])
        k = g.op("Transpose", [k], scope=att, perm=[0, 2, 3, 1])
        v = g.op("Transpose", [v], scope=att, perm=[0, 2, 1, 3])
        s = g.op("Mul", [g.op("MatMul", [q, k], scope=att), scale], scope=att)
        probs = g.op("Softmax", [s], scope=att, axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v], scope=att)], scope=att, perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads], scope=att)
        out = g.linear(ctx, f"{sc}.attention.output.dense", hidden, hidden)
        h = g.op("Add", [out, h], scope=sc)
        f = g.layer_norm(h, f"{sc}.layernorm_after", hidden, 1e-12)
        f = g.gelu_erf(g.linear(f, f"{sc}.intermediate.dense", hidden, ffn), f"{sc}.intermediate")
        f = g.linear(f, f"{sc}.output.dense", ffn, hidden)
        h = g.op("Add", [f, h], scope=f"{sc}.output")

    h = g.layer_norm(h, "vit.layernorm", hidden, 1e-12)
    axis1 = g.const([1], np.int64)
    c = g.op("Slice", [h, g.const([0], np.int64), axis1, axis1], scope="classifier")
    c = g.op("Squeeze", [c, axis1], scope="classifier")
    logits = g.gemm(c, "classifier", hidden, d["classes"])
    g.add_output(logits, "logits", TensorProto.FLOAT, [n, d["classes"]])
    return g.model("vit", 17, "ViT-B/16, image size 224")


BUILDERS = {
    "resnet50": build_resnet50,
    "mobilenetv2": build_mobilenetv2,
    "bert": build_bert,
    "gpt2": build_gpt2,
    "vit": build_vit,
    "mobilenetv3_block": build_mobilenetv3_block,
}


def to_float16(model):
    """Rewrites a float32 model as float16, as exporters do for a half-precision model:
    float initializers, graph inputs and outputs, and casts to float become float16;
    integer tensors (token ids, shapes, indices) stay as they are.

    Float32 extremes (a causal mask's finfo.min) saturate to float16's largest
    magnitude rather than becoming infinities, which a softmax would turn into NaN
    on a fully masked row."""
    graph = model.graph
    limit = float(np.finfo(np.float16).max)
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT:
            array = np.clip(numpy_helper.to_array(init), -limit, limit).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(array, init.name))
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.FLOAT16
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16
            elif attr.type in (onnx.AttributeProto.TENSOR, onnx.AttributeProto.GRAPH):
                # No builder writes these; a float tensor inside one would stay float32.
                raise ValueError(f"node '{node.name}': {node.op_type} attribute '{attr.name}' is not converted")
    return model


def options_stamp(batch, dynamic, external, size="full", dtype="float32"):
    # Default options keep the stamp that files written before --size and --dtype carry.
    extra = (f" size={size}" if size != "full" else "") + (f" dtype={dtype}" if dtype != "float32" else "")
    return f"[r1c-gen batch={batch} dynamic={int(dynamic)} external={int(external)}{extra}]"


def is_up_to_date(path, stamp):
    """A model is reused when it is newer than this script and was written with the same options."""
    if not os.path.exists(path) or os.path.getmtime(path) <= os.path.getmtime(__file__):
        return False
    # Protobuf writes fields in field-number order, so the model doc_string
    # (field 6) precedes the graph (field 7) and sits in the first bytes.
    with open(path, "rb") as f:
        head = f.read(4096)
    return stamp.encode() in head


def write_model(model, path, external):
    """Saves through a temporary name so an interrupted run never leaves a complete-looking file."""
    base = os.path.basename(path)
    data_path = path + ".data"
    tmp = path + ".tmp"
    if external:
        onnx.save(model, tmp, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=base + ".data", size_threshold=1024)
    else:
        onnx.save(model, tmp)
        if os.path.exists(data_path):
            os.remove(data_path)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--models", default=",".join(MODEL_NAMES),
                        help="comma-separated subset of: " + ", ".join(MODEL_NAMES))
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="symbolic batch dim 'batch'; files get a _dynbatch suffix")
    parser.add_argument("--batch", type=int, default=1, help="static batch size (default 1)")
    parser.add_argument("--external-data", action="store_true",
                        help="store weights in <name>.onnx.data next to the model")
    parser.add_argument("--size", choices=sorted(SIZES), default="full",
                        help="full: the published dims (default); check: the same architectures, "
                             "fewer layers and narrower, for copying to a GPU machine")
    parser.add_argument("--dtype", choices=DTYPES, default="float32",
                        help="float type of weights, inputs and outputs (integer inputs stay int64)")
    parser.add_argument("--no-check", action="store_true", help="skip onnx.checker after writing")
    args = parser.parse_args()

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in BUILDERS]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}")
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    os.makedirs(args.out, exist_ok=True)

    batch = batch_dim(args.dynamic_batch, args.batch)
    stamp = options_stamp(batch, args.dynamic_batch, args.external_data, args.size, args.dtype)
    suffix = "_dynbatch" if args.dynamic_batch else ""
    for name in names:
        path = os.path.join(args.out, f"{name}{suffix}.onnx")
        if is_up_to_date(path, stamp):
            continue
        start = time.monotonic()
        # Seeding per model keeps each file identical whichever subset is generated.
        # The float16 model is the float32 one rounded, so both draw the same weights.
        dims = SIZES[args.size][name]
        g = GraphBuilder(seed=zlib.crc32(name.encode()), batch=batch, dims=dims)
        model = BUILDERS[name](g)
        if args.dtype == "float16":
            to_float16(model)
        if args.size != "full":
            model.doc_string += f", {args.size} size {json.dumps(dims, separators=(',', ':'))}"
        model.doc_string += " " + stamp
        write_model(model, path, args.external_data)
        if not args.no_check:
            onnx.checker.check_model(path, full_check=True)
        size_mb = os.path.getsize(path) / 1e6
        if args.external_data and os.path.exists(path + ".data"):
            size_mb += os.path.getsize(path + ".data") / 1e6
        print(f"{os.path.basename(path)}: {size_mb:.1f} MB, {time.monotonic() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
