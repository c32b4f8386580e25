#!/usr/bin/env python3
"""Counts and describes the attention blocks of ONNX models, to check r1c's attention matching.

  python3 bench/attention_forms.py [MODEL.onnx ...] [--models NAME,...] [--models-dir DIR]
      [--export] [--r1c PATH] [--r1c-flag FLAG ...] [--no-pattern] [--write FILE.md]

For each model it prints the number of Softmax nodes in the ONNX graph, the number of
`r1.attention` ops in `r1c MODEL --compile-to=graph` (the fused attention op of the
r1c-fuse-attention pass; 0 where the pass does not recognise the block, or before it existed)
and the number of attention layers expected: from a transformers config.json beside the file
or in model/ beside it (MiniLM's, from bench/minilm_attention.py), else from the configs of
bench/torch_exports.py's models (EXPECTED_LAYERS), else the Softmax count. `--r1c-flag`
passes more flags to r1c (e.g. `--r1c-flag=--sparse-attention=gated`).

Then, unless --no-pattern, it describes the first attention block (the one around the first
Softmax in graph order): the ops from the Q, K and V projections (MatMul or Gemm with a
constant weight) to the two attention MatMuls, the ops from the scores MatMul through the
Softmax to the context MatMul, and the ops from there to the output projection. Each op is
written with what decides its meaning: Transpose perms, Softmax axis, Reshape shapes, Cast
types, constant operands by value (the scale), and operands computed beside the block (the
mask, a scale computed from shapes) as expressions over the graph's inputs, with `=VALUE`
where static shapes and constants decide them. `x` is the tensor coming along the path; `h`
the projections' input; `q`, `k`, `v`, `mask`, `residual` the other operands; `q.Op#N` the
result of the N-th Op on Q's path where another path reads it; W[AxB] a constant weight,
with {all V}, {0..N} or {causal: ...} where it holds just that.

Models are ONNX files given as arguments, or names from bench/torch_exports.py with --models,
read from --models-dir (default: bench/torch_exports.py's cache folder for the installed
exporters, $XDG_CACHE_HOME/r1c/torch-models/KEY); --export exports the missing ones there
first. MiniLM's files come from `bench/minilm_attention.py build` (their names start with
minilm_).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

# Attention layers of the models whose configs this script knows: BertConfig(), GPT2Config()
# and ViT-B/16 have 12, all-MiniLM-L6-v2 has 6. Keys are file stems or their prefixes.
EXPECTED_LAYERS = {
    "hf_bert_base": 12, "dyn_bert_base": 12, "hf_distilbert": 6, "hf_gpt2": 12, "dyn_gpt2": 12,
    "tv_vit_b_16": 12, "dyn_vit_b_16": 12, "hf_t5_encoder": 6, "dyn_t5_encoder": 6,
    "hf_whisper_encoder": 4, "dyn_whisper_encoder": 4, "minilm_": 6,
}
# Ops that compute a projection when one operand is a constant weight.
PROJECTIONS = ("MatMul", "Gemm")
# Constants with at most this many elements are printed by value.
SMALL = 8
# Tensors folded to values are kept up to this many elements.
FOLD_LIMIT = 1 << 20
# Side expressions (the mask) are cut at this depth and length.
DEPTH, LENGTH = 12, 900


def progress(text):
    print(f"[attention-forms] {text}", file=sys.stderr, flush=True)


class Graph:
    """The main graph of an ONNX model with the lookups the walk needs: the node producing
    each tensor, the consumers of each, constant values (initializers, Constant nodes and
    what only constants feed), and inferred shapes and element types."""

    def __init__(self, model):
        try:
            model = onnx.shape_inference.infer_shapes(model)
        except Exception as e:  # shape inference is a help only; the walk works without it
            progress(f"shape inference failed ({type(e).__name__}); going on without shapes")
        g = model.graph
        self.nodes = list(g.node)
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.inputs = {i.name for i in g.input}
        self.values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.inputs -= set(self.values)
        for n in self.nodes:
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value":
                        self.values[n.output[0]] = numpy_helper.to_array(a.t)
                    elif a.name in ("value_float", "value_int"):
                        self.values[n.output[0]] = np.array(onnx.helper.get_attribute_value(a))
                    elif a.name in ("value_floats", "value_ints"):
                        self.values[n.output[0]] = np.array(onnx.helper.get_attribute_value(a))
        self.types = {}
        for v in [*g.value_info, *g.input, *g.output]:
            t = v.type.tensor_type
            if t.elem_type:
                shape = [d.dim_value if d.HasField("dim_value") else None
                         for d in t.shape.dim] if t.HasField("shape") else None
                self.types[v.name] = (t.elem_type, shape)
        for name, value in self.values.items():
            self.types[name] = (onnx.helper.np_dtype_to_tensor_dtype(value.dtype),
                                list(value.shape))
        self._const, self._folded = {}, {}

    def is_const(self, name):
        """Whether the tensor depends on constants only (the weight behind a Transpose, a
        shape computed from constants)."""
        if name in self.values or name == "":
            return True
        if name in self.inputs or name not in self.producer:
            return False
        if name not in self._const:
            self._const[name] = False  # guards against cycles, which ONNX graphs have not
            node = self.producer[name]
            self._const[name] = node.op_type != "Shape" and all(
                self.is_const(i) for i in node.input)
        return self._const[name]

    def fold(self, name):
        """The value of a tensor computed from constants and static shapes (the attention
        scale, shapes for Reshape, constant masks), by the few ops exporters use for them;
        None where it cannot."""
        if name in self.values:
            return self.values[name]
        if name in self._folded:
            return self._folded[name]
        self._folded[name] = None
        node = self.producer.get(name)
        if node is None or name in self.inputs:
            return None
        try:
            value = self._fold(node, name)
        except (ValueError, TypeError, IndexError, KeyError, StopIteration):
            value = None
        if value is not None and np.asarray(value).size <= FOLD_LIMIT:
            self._folded[name] = np.asarray(value)
        return self._folded[name]

    def _fold(self, node, name):
        op = node.op_type
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if op == "Shape":
            shape = self.types.get(node.input[0], (None, None))[1]
            if shape is None or any(d is None for d in shape):
                return None
            return np.array(shape, dtype=np.int64)[attrs.get("start", 0):attrs.get("end")]
        args = [self.fold(i) if i else None for i in node.input]
        if any(a is None for a, i in zip(args, node.input) if i):
            return None
        unary = {"Sqrt": np.sqrt, "Reciprocal": np.reciprocal, "Neg": np.negative,
                 "Identity": lambda a: a, "Not": np.logical_not}
        binary = {"Div": np.divide, "Mul": np.multiply, "Add": np.add, "Sub": np.subtract,
                  "Pow": np.power, "Mod": np.mod, "Equal": np.equal, "And": np.logical_and,
                  "Or": np.logical_or, "Less": np.less, "Greater": np.greater,
                  "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal}
        if op in unary:
            return unary[op](args[0])
        if op in binary:
            out = binary[op](args[0], args[1])
            return out if out.dtype == bool else out.astype(args[0].dtype)
        if op == "Cast":
            return args[0].astype(onnx.helper.tensor_dtype_to_np_dtype(attrs["to"]))
        if op == "ConstantOfShape":
            fill = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(1)
            return np.full(tuple(args[0]), fill.ravel()[0], dtype=fill.dtype)
        if op == "Concat":
            return np.concatenate(args, axis=attrs["axis"])
        if op in ("Unsqueeze", "Squeeze"):
            axes = tuple(args[1]) if len(args) > 1 else tuple(attrs.get("axes", ()))
            if op == "Unsqueeze":
                return np.expand_dims(args[0], axes)
            return np.squeeze(args[0], axes) if axes else np.squeeze(args[0])
        if op == "Gather":
            return np.take(args[0], args[1], axis=attrs.get("axis", 0))
        if op == "Slice":
            data, starts, ends = args[0], args[1], args[2]
            axes = args[3] if len(args) > 3 and args[3] is not None else range(len(starts))
            steps = args[4] if len(args) > 4 and args[4] is not None else [1] * len(starts)
            index = [slice(None)] * data.ndim
            for s_, e_, a_, st in zip(starts, ends, axes, steps):
                index[int(a_)] = slice(int(s_), int(e_), int(st))
            return data[tuple(index)]
        if op == "Reshape":
            shape = [d if d != 0 else args[0].shape[k] for k, d in enumerate(args[1])]
            return args[0].reshape(shape)
        if op == "Expand":
            return args[0] * np.ones(tuple(args[1]), dtype=args[0].dtype)
        if op == "Where":
            return np.where(args[0], args[1], args[2])
        if op == "Range":
            return np.arange(args[0], args[1], args[2])
        return None

    def size(self, name):
        shape = self.types.get(name, (None, None))[1]
        if shape is None or any(d is None for d in shape):
            return None
        return int(np.prod(shape)) if shape else 1

    def is_float(self, name):
        elem = self.types.get(name, (None, None))[0]
        return elem in (None, onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
                        onnx.TensorProto.BFLOAT16, onnx.TensorProto.DOUBLE)

    def ancestors(self, name, stop=()):
        """The nodes the tensor depends on, not going past the nodes in `stop`."""
        seen, todo = {}, [name]
        while todo:
            t = todo.pop()
            node = self.producer.get(t)
            if node is None or id(node) in seen:
                continue
            seen[id(node)] = node
            if id(node) not in stop:
                todo.extend(node.input)
        return seen

    def descendants(self, node):
        seen, todo = {id(node): node}, list(node.output)
        while todo:
            for c in self.consumers.get(todo.pop(), []):
                if id(c) not in seen:
                    seen[id(c)] = c
                    todo.extend(c.output)
        return seen

    def is_projection(self, node):
        return node.op_type in PROJECTIONS and any(self.is_const(i) for i in node.input[:2])

    def nearest_projection(self, name):
        """The first MatMul or Gemm with a constant weight found walking back from the tensor
        along computed operands (breadth first: the nearest one)."""
        todo, seen = [name], set()
        while todo:
            nxt = []
            for t in todo:
                node = self.producer.get(t)
                if node is None or id(node) in seen:
                    continue
                seen.add(id(node))
                if self.is_projection(node):
                    return node
                nxt += [i for i in node.input if i and not self.is_const(i)]
            todo = nxt
        return None

    def next_projection(self, node):
        """The first MatMul or Gemm with a constant weight below the node (breadth first)."""
        todo, seen = [node], set()
        while todo:
            nxt = []
            for n in todo:
                for o in n.output:
                    for c in self.consumers.get(o, []):
                        if id(c) in seen:
                            continue
                        seen.add(id(c))
                        if self.is_projection(c):
                            return c
                        nxt.append(c)
            todo = nxt
        return None

    def path(self, start, end_tensor):
        """The nodes from `start` (a node) to the producer of `end_tensor`, walking back from
        the end along the operand that descends from `start`: the float one with the most
        elements where several do (Where(IsNaN(p), 0, p) follows p; Mul(x, scale) follows x)."""
        below = self.descendants(start)
        chain, t = [], end_tensor
        while True:
            node = self.producer.get(t)
            if node is None or id(node) not in below:
                return None
            chain.append(node)
            if node is start:
                return chain[::-1]
            cands = [i for i in node.input if i and i in self.producer
                     and id(self.producer[i]) in below]
            if not cands:
                return None
            cands.sort(key=lambda i: (self.is_float(i), self.size(i) or 0), reverse=True)
            t = cands[0]


def fmt_value(v):
    v = np.asarray(v)
    if v.dtype == bool:
        flat = ["T" if x else "F" for x in v.ravel()]
    elif np.issubdtype(v.dtype, np.floating):
        flat = [f"{float(x):.6g}" for x in v.ravel()]
    else:
        flat = [str(int(x)) for x in v.ravel()]
    return flat[0] if v.ndim == 0 else "[" + ",".join(flat) + "]"


def summary(value):
    """What a large constant holds when it is simple: one value, or a causal (lower
    triangular) pattern over its last two axes."""
    if value is None or value.size == 0:
        return ""
    flat = value.ravel()
    if np.all(flat == flat[0]):
        return "{all " + fmt_value(flat[0]) + "}"
    if np.issubdtype(value.dtype, np.integer) and np.all(flat == np.arange(flat.size)):
        return "{" + f"0..{flat.size - 1}" + "}"
    if value.ndim >= 2 and value.shape[-1] == value.shape[-2] and value.dtype == bool:
        tril = np.tril(np.ones(value.shape[-2:], dtype=bool))
        if np.all(value == tril):
            return "{causal: True on and below the diagonal}"
    return ""


def fmt_attr(node):
    parts = []
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if a.name == "to":
            value = onnx.TensorProto.DataType.Name(value).lower()
        elif isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, onnx.TensorProto):
            value = fmt_value(numpy_helper.to_array(value))
        elif isinstance(value, (list, tuple)):
            value = "[" + ",".join(str(x) for x in value) + "]"
        elif isinstance(value, float):
            value = f"{value:.6g}"
        parts.append(f"{a.name}={value}")
    return parts


class Describer:
    """Writes ops as `Op(attributes; operands)`, with operands as constants, names or
    expressions over the graph's inputs."""

    def __init__(self, graph, labels):
        self.g, self.labels = graph, labels

    def operand(self, name, depth=0):
        g = self.g
        if name in self.labels:
            return self.labels[name]
        if name == "":
            return "_"
        node = g.producer.get(name)
        value = g.fold(name)
        if value is not None and value.size <= SMALL:
            if node is None or node.op_type == "Constant":
                return fmt_value(value)
            return f"{self.expr(node, depth)}={fmt_value(value)}"
        # Big tensors known before run time (constants, and what static shapes decide) are
        # shown by shape and what they hold.
        if g.is_const(name) or value is not None:
            shape = list(value.shape) if value is not None else g.types.get(name, (None, None))[1]
            text = "W" + ("[" + "x".join(str(d) for d in shape) + "]" if shape else "")
            return text + summary(value)
        if name in g.inputs or node is None:
            return name
        return self.expr(node, depth)

    def expr(self, node, depth):
        if depth >= DEPTH:
            return f"{node.op_type}(…)"
        if node.op_type == "Constant":
            return self.operand(node.output[0], depth)
        args = fmt_attr(node) + [self.operand(i, depth + 1) for i in node.input]
        out = f"{node.op_type}({', '.join(args)})"
        if len(node.output) > 1:
            out += f"#{list(node.output).index(node.output[0])}"
        return out

    def step(self, node, along):
        """One op of a path: its attributes and its operands, `x` for the one along the path
        (also inside side expressions: Where(IsNaN(x), 0, x))."""
        saved = self.labels.get(along)
        if along is not None:
            self.labels[along] = "x"
        args = fmt_attr(node) + [self.operand(i) for i in node.input]
        if along is not None:
            if saved is None:
                del self.labels[along]
            else:
                self.labels[along] = saved
        if len(node.output) > 1:
            args.append(f"outputs {len(node.output)}")
        return f"{node.op_type}({', '.join(args)})"

    def chain(self, nodes, first_along=None):
        out, along = [], first_along
        for k, n in enumerate(nodes):
            out.append(self.step(n, along))
            nxt = nodes[k + 1] if k + 1 < len(nodes) else None
            along = next((o for o in n.output if nxt is not None and o in nxt.input), None)
        return " -> ".join(out)


def find_block(graph, soft):
    """The attention block around a Softmax: its scores MatMul, context MatMul, and the Q, K,
    V and output projections; None where the walk does not find the two MatMuls."""
    # Scores: the nearest MatMul above the Softmax whose both operands are computed.
    scores = None
    todo = [soft.input[0]]
    while todo and scores is None:
        nxt = []
        for t in todo:
            node = graph.producer.get(t)
            if node is None:
                continue
            if node.op_type == "MatMul" and not any(graph.is_const(i) for i in node.input):
                scores = node
                break
            nxt += [i for i in node.input if i and not graph.is_const(i)]
        todo = nxt
    # Context: the nearest MatMul below the Softmax.
    context = None
    todo = [soft]
    seen = set()
    while todo and context is None:
        nxt = []
        for n in todo:
            for o in n.output:
                for c in graph.consumers.get(o, []):
                    if id(c) in seen:
                        continue
                    seen.add(id(c))
                    if c.op_type == "MatMul":
                        context = c
                        break
                    nxt.append(c)
        todo = nxt
    if scores is None or context is None:
        return None
    probs_side = 0 if id(context) in graph.descendants(soft) and any(
        graph.producer.get(context.input[0]) is n
        for n in graph.descendants(soft).values()) else 1
    block = {"softmax": soft, "scores": scores, "context": context,
             "q_in": scores.input[0], "k_in": scores.input[1],
             "v_in": context.input[1 - probs_side], "probs_in": context.input[probs_side]}
    block["q_proj"] = graph.nearest_projection(scores.input[0])
    block["k_proj"] = graph.nearest_projection(scores.input[1])
    block["v_proj"] = graph.nearest_projection(block["v_in"])
    block["o_proj"] = graph.next_projection(context)
    return block


def describe_block(graph, block):
    """The lines describing the block: one per path, then the side operands."""
    labels = {block["q_in"]: "q", block["k_in"]: "k", block["v_in"]: "v"}
    d = Describer(graph, labels)
    lines = []

    # The tensors along the Q, K and V paths are named `q.Op` (`q.Op#2` for the second op of
    # that type) where another path uses them (ViT's scale comes from the Shape of Q).
    paths = {}
    for key, tensor, label in (("q_proj", block["q_in"], "q"), ("k_proj", block["k_in"], "k"),
                               ("v_proj", block["v_in"], "v")):
        paths[label] = graph.path(block[key], tensor) if block[key] is not None else None
        seen = {}
        for n in (paths[label] or [])[:-1]:
            seen[n.op_type] = seen.get(n.op_type, 0) + 1
            count = seen[n.op_type]
            for o in n.output:
                labels.setdefault(o, f"{label}.{n.op_type}" + (f"#{count}" if count > 1 else ""))

    def from_projection(key, tensor, label):
        proj = block[key]
        if proj is None:
            lines.append(f"{label}: no projection found above `{tensor}`")
            return
        nodes = paths[label]
        if nodes is None:
            lines.append(f"{label}: no path from {proj.op_type} `{proj.name}`")
            return
        saved = d.labels.pop(tensor)
        # The projection's input is the block's input (the hidden states): `h`.
        hidden = next((i for i in proj.input[:2] if not graph.is_const(i)), None)
        d.labels[hidden] = "h"
        lines.append(f"{label}: " + d.chain(nodes) + f"  => {label[0]}")
        del d.labels[hidden]
        d.labels[tensor] = saved

    # Where the projections' input comes from (a Transpose to sequence-first in ViT, a
    # Reshape to 2-D before GPT-2's Gemm), two ops deep.
    hidden = {i for key in ("q_proj", "k_proj", "v_proj") if block[key] is not None
              for i in block[key].input[:2] if not graph.is_const(i)}
    for name in sorted(hidden):
        lines.append("h = " + shallow(graph, name, 2))
    from_projection("q_proj", block["q_in"], "q")
    from_projection("k_proj", block["k_in"], "k")
    from_projection("v_proj", block["v_in"], "v")
    if block["q_proj"] is not None and block["q_proj"] is block["k_proj"]:
        lines.append("(q, k" + (", v" if block["v_proj"] is block["q_proj"] else "")
                     + " come from one fused projection)")
    # Scores to context: the mask and other side operands of this stretch are labelled.
    soft, scores, context = block["softmax"], block["scores"], block["context"]
    below = graph.descendants(scores)
    nodes = graph.path(scores, block["probs_in"])
    if nodes is None:
        lines.append("scores: no path from the scores MatMul to the context MatMul")
        return lines
    nodes = nodes + [context]
    side = []
    for n in nodes[1:-1]:
        for i in n.input:
            if i and i not in graph.values and not graph.is_const(i) and \
                    (i not in graph.producer or id(graph.producer[i]) not in below):
                side.append(i)
    for i, name in enumerate(dict.fromkeys(side)):
        d.labels[name] = "mask" if i == 0 else f"side{i}"
    lines.append("scores: " + d.chain(nodes) + "  => context")
    # Extra consumers of the stretch's tensors (IsNaN of the Softmax's result) are shown
    # inside the ops that take them, by the expressions above.
    for i, name in enumerate(dict.fromkeys(side)):
        label = d.labels.pop(name)
        lines.append(f"{label} = " + cut(d.operand(name)))
        d.labels[name] = label
    if block["o_proj"] is not None:
        out = graph.path(context, block["o_proj"].output[0])
        if out is not None:
            # Then the ops up to the residual Add (an Add of two computed tensors).
            after, node = [], block["o_proj"]
            while len(after) < 4:
                users = graph.consumers.get(node.output[0], [])
                if len(users) != 1:
                    break
                node = users[0]
                after.append(node)
                if node.op_type == "Add" and not any(graph.is_const(i) for i in node.input):
                    break
            if after and after[-1].op_type == "Add":
                prev = after[-2] if len(after) > 1 else block["o_proj"]
                for i in after[-1].input:
                    if i not in prev.output:
                        d.labels[i] = "residual"
            tail = (" -> " + d.chain(after, block["o_proj"].output[0])) if after else ""
            lines.append("output: context -> " + d.chain(out[1:], context.output[0]) + tail)
    lines.append(f"Softmax axis: {softmax_axis(graph, soft)}")
    return lines


def shallow(graph, name, depth):
    """A tensor as its producing ops, `depth` deep, with attributes only."""
    node = graph.producer.get(name)
    if node is None:
        return name
    attrs = fmt_attr(node)
    inner = [shallow(graph, i, depth - 1) for i in node.input
             if i and not graph.is_const(i)] if depth > 1 else ["…"]
    return f"{node.op_type}({', '.join(attrs + inner)})"


def softmax_axis(graph, node):
    axis = next((onnx.helper.get_attribute_value(a) for a in node.attribute
                 if a.name == "axis"), -1)
    shape = graph.types.get(node.input[0], (None, None))[1]
    rank = f" of rank {len(shape)}" if shape is not None else ""
    return f"{axis}{rank}"


def cut(text):
    return text if len(text) <= LENGTH else text[:LENGTH] + " …"


def expected_layers(path, softmaxes):
    """The layer count from a transformers config.json beside the file (or in model/ beside
    it, where bench/minilm_attention.py unpacks one), else from EXPECTED_LAYERS, else the
    Softmax count."""
    folder = os.path.dirname(os.path.abspath(path))
    for config in (os.path.join(folder, "config.json"),
                   os.path.join(folder, "model", "config.json")):
        if os.path.exists(config):
            with open(config, encoding="utf-8") as f:
                fields = json.load(f)
            for key in ("num_hidden_layers", "n_layer", "num_layers"):
                if isinstance(fields.get(key), int):
                    return fields[key], "config.json"
    stem = os.path.splitext(os.path.basename(path))[0]
    for key, layers in EXPECTED_LAYERS.items():
        if stem == key or (key.endswith("_") and stem.startswith(key)):
            return layers, "config"
    return softmaxes, "Softmax count"


def count_attention(r1c, path, flags):
    """The number of r1.attention ops in r1c's graph-phase IR; (None, first error line) when
    r1c fails."""
    cmd = [r1c, path, "--compile-to=graph", "--elide-weights", "--no-progress", *flags]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    count = 0
    pattern = re.compile(r"= r1\.attention\b")
    for line in proc.stdout:
        count += bool(pattern.search(line))
    err = proc.stderr.read()
    if proc.wait() != 0:
        lines = [x for x in err.splitlines() if x.strip()]
        return None, next((x for x in lines if "error" in x.lower()),
                          lines[0] if lines else f"exit {proc.returncode}")
    return count, None


def exporter_of(model):
    producer = f"{model.producer_name} {model.producer_version}".strip()
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    return producer, opset


def default_models_dir():
    sys.path.insert(0, HERE)
    import torch_exports
    return os.path.join(torch_exports.default_cache_root(), torch_exports.cache_key())


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="ONNX models")
    parser.add_argument("--models", help="comma list of bench/torch_exports.py's model names")
    parser.add_argument("--models-dir", help="where --models are (default: torch_exports.py's "
                        "cache folder for the installed exporters)")
    parser.add_argument("--export", action="store_true",
                        help="export the --models missing from --models-dir first")
    parser.add_argument("--r1c", default=None, help="the r1c binary (default: build/bin/r1c "
                        "of this tree, else r1c on PATH); r1c counts are left out without one")
    parser.add_argument("--r1c-flag", action="append", default=[],
                        help="one more flag for r1c (repeatable)")
    parser.add_argument("--no-r1c", action="store_true", help="leave the r1c counts out")
    parser.add_argument("--no-pattern", action="store_true",
                        help="only the counts, no description of the first block")
    parser.add_argument("--write", help="also write the output as markdown to this file")
    args = parser.parse_args()

    paths = list(args.files)
    if args.models:
        names = [m.strip() for m in args.models.split(",") if m.strip()]
        folder = args.models_dir or default_models_dir()
        missing = [n for n in names if not os.path.exists(os.path.join(folder, n + ".onnx"))]
        if missing and args.export:
            progress(f"exporting {', '.join(missing)} into {folder}")
            cmd = [sys.executable, os.path.join(HERE, "torch_exports.py"), "export",
                   "--out", folder, "--models", ",".join(missing)]
            if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
                parser.error(f"exporting {', '.join(missing)} failed (see above)")
        elif missing:
            parser.error(f"no {', '.join(m + '.onnx' for m in missing)} in {folder}; "
                         "pass --export to export them")
        paths += [os.path.join(folder, n + ".onnx") for n in names]
    if not paths:
        parser.error("no models: give ONNX files or --models")
    for p in paths:
        if not os.path.isfile(p):
            parser.error(f"{p}: no such file")

    r1c = None
    if not args.no_r1c:
        r1c = args.r1c or next((c for c in (os.path.join(HERE, "..", "build", "bin", "r1c"),)
                                if os.access(c, os.X_OK)), None) or shutil_which("r1c")
        if r1c is None or not os.access(r1c, os.X_OK):
            parser.error(f"r1c not found ({args.r1c or 'build/bin/r1c, PATH'}); give --r1c "
                         "or --no-r1c")

    rows, patterns = [], []
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        start = time.monotonic()
        model = onnx.load(path, load_external_data=False)
        producer, opset = exporter_of(model)
        softmaxes = sum(n.op_type == "Softmax" for n in model.graph.node)
        layers, source = expected_layers(path, softmaxes)
        fused, error = (None, "not run") if r1c is None else count_attention(
            r1c, path, args.r1c_flag)
        rows.append((stem, producer, opset, softmaxes, fused, error, layers, source))
        progress(f"{stem}: {softmaxes} Softmax, "
                 + (f"{fused} r1.attention" if fused is not None else f"r1c: {error}")
                 + f", {layers} layers expected ({time.monotonic() - start:.1f} s)")
        if not args.no_pattern:
            graph = Graph(model)
            # Every block is described; the first is printed, the others compared with it
            # (the descriptions name no tensors, so alike blocks give the same lines).
            described = []
            for soft in (n for n in graph.nodes if n.op_type == "Softmax"):
                block = find_block(graph, soft)
                described.append(describe_block(graph, block) if block else
                                 ["no attention block (no Softmax between two MatMuls)"])
            lines = described[0] if described else ["no Softmax in the graph"]
            differ = [i for i, d in enumerate(described) if d != lines]
            if described and not differ:
                lines = lines + [f"all {len(described)} blocks are alike"]
            elif differ:
                first = next(b for a, b in zip(lines, described[differ[0]]) if a != b) \
                    if len(lines) == len(described[differ[0]]) else described[differ[0]][0]
                lines = lines + [f"{len(differ)} of {len(described)} blocks differ from the "
                                 f"first, block {differ[0] + 1} in: {cut(first)}"]
            patterns.append((stem, producer, opset, lines))

    out = ["| model | exporter | opset | Softmax | r1.attention | layers expected | |",
           "|---|---|---:|---:|---:|---:|---|"]
    for stem, producer, opset, softmaxes, fused, error, layers, source in rows:
        verdict = ("" if fused is None else "all recognised" if fused == layers
                   else f"{layers - fused} not recognised" if fused < layers
                   else "more than expected")
        count = f"{fused}" if fused is not None else f"– ({error.replace('|', '/')})"
        out.append(f"| {stem} | {producer} | {opset} | {softmaxes} | {count} | {layers} "
                   f"({source}) | {verdict} |")
    for stem, producer, opset, lines in patterns:
        out += ["", f"### {stem} ({producer}, opset {opset}): the first attention block", "", "```"]
        out += lines + ["```"]
    text = "\n".join(out)
    print(text, flush=True)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    # A model r1c could not compile fails the run; a block it did not fuse does not.
    return 1 if r1c is not None and any(r[4] is None for r in rows) else 0


def shutil_which(name):
    import shutil
    return shutil.which(name)


if __name__ == "__main__":
    sys.exit(main())
