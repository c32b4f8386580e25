//===- Attention.cpp - ONNX Attention and RotaryEmbedding as r1 ops -------===//
//
// Both ops of opset 23 decompose into the matmuls, softmax and elementwise
// ops that exporters write by hand, so they compile for every target and
// meet the same fusions as exported attention.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// Dims [start, end) of `value` as an i64 vector (folds when static).
Value dimsOf(OnnxNode &node, Value value, int64_t start, int64_t end) {
  OpBuilder &b = node.getBuilder();
  return node.create<ShapeOp>(value, b.getI64IntegerAttr(start), b.getI64IntegerAttr(end));
}

/// [B, S, heads * D] -> [B, heads, S, D], as ONNX's Attention reads 3-D
/// inputs: a plain reshape, with no transpose of S and heads.
Value splitHeads(OnnxNode &node, Value x, int64_t heads) {
  OpBuilder &b = node.getBuilder();
  Value shape = node.create<ConcatOp>(
      ValueRange{dimsOf(node, x, 0, 1), node.i64Vector({heads}), dimsOf(node, x, 1, 2),
                 node.i64Vector({-1})},
      b.getI64IntegerAttr(0));
  return node.create<ReshapeOp>(x, shape, b.getBoolAttr(false));
}

/// The additive bias of a causal mask, [Sq, Skv]: -inf where key j lies
/// after query i (aligned at the top left, as ONNX defines it), else 0.
Value causalBias(OnnxNode &node, Value scores, Type element) {
  OpBuilder &b = node.getBuilder();
  auto range = [&](int64_t dim) {
    Value extent = node.create<ReshapeOp>(dimsOf(node, scores, dim, dim + 1),
                                          node.i64Vector({}), b.getBoolAttr(false));
    return node.create<RangeOp>(node.scalar(b.getI64Type(), 0), extent,
                                node.scalar(b.getI64Type(), 1));
  };
  Value rows = node.create<UnsqueezeOp>(range(2), b.getDenseI64ArrayAttr({1}));
  Value later = node.create<LessOp>(rows, range(3));
  return node.create<WhereOp>(later,
                              node.scalar(element, -std::numeric_limits<double>::infinity()),
                              node.scalar(element, 0));
}

Result legalizeAttention(OnnxNode &node) {
  FailureOr<Value> q = node.requiredInput(0), k = node.requiredInput(1),
                   v = node.requiredInput(2);
  if (failed(q) || failed(k) || failed(v))
    return failure();
  OpBuilder &b = node.getBuilder();
  auto qType = dyn_cast<RankedTensorType>(q->getType());
  if (!qType || (qType.getRank() != 3 && qType.getRank() != 4))
    return node.emitError() << "Q must be a tensor of rank 3 or 4", failure();
  Type element = qType.getElementType();
  bool packed = qType.getRank() == 3;
  Value query = *q, key = *k, value = *v;
  if (packed) {
    if (!node.hasAttr("q_num_heads") || !node.hasAttr("kv_num_heads"))
      return node.emitError() << "3-D inputs need q_num_heads and kv_num_heads", failure();
    query = splitHeads(node, query, node.getInt("q_num_heads", 1));
    key = splitHeads(node, key, node.getInt("kv_num_heads", 1));
    value = splitHeads(node, value, node.getInt("kv_num_heads", 1));
  }

  // The cache grows by this step's keys and values.
  if (Value pastKey = node.input(4))
    key = node.create<ConcatOp>(ValueRange{pastKey, key}, b.getI64IntegerAttr(2));
  if (Value pastValue = node.input(5))
    value = node.create<ConcatOp>(ValueRange{pastValue, value}, b.getI64IntegerAttr(2));
  Value presentKey = key, presentValue = value;

  auto qShape = getShapeOf(query), kShape = getShapeOf(key);
  if (!qShape || !kShape || (*qShape)[1] == kDynamic || (*kShape)[1] == kDynamic ||
      (*qShape)[3] == kDynamic)
    return node.emitError() << "needs static head counts and head size", failure();
  int64_t qHeads = (*qShape)[1], kvHeads = (*kShape)[1];
  // Grouped-query attention: query head h reads key/value head h mod kvHeads.
  if (qHeads != kvHeads) {
    if (kvHeads == 0 || qHeads % kvHeads != 0)
      return node.emitError() << qHeads << " query heads do not divide into " << kvHeads
                              << " key/value heads",
             failure();
    Value repeats = node.i64Vector({1, qHeads / kvHeads, 1, 1});
    key = node.create<TileOp>(key, repeats);
    value = node.create<TileOp>(value, repeats);
  }

  double scale = node.hasAttr("scale") ? node.getFloat("scale", 1)
                                       : 1 / std::sqrt(double((*qShape)[3]));
  Value scaled = node.create<MulOp>(query, node.scalar(element, scale));
  Value keyT = node.create<TransposeOp>(key, b.getDenseI64ArrayAttr({0, 1, 3, 2}));
  Value scores = node.create<MatMulOp>(scaled, keyT);
  Value product = scores;

  bool causal = node.getInt("is_causal", 0) != 0;
  Value mask = node.input(3);
  if (causal && mask)
    return node.emitError() << "takes either is_causal or attn_mask, not both", failure();
  if (causal)
    scores = node.create<AddOp>(scores, causalBias(node, scores, element));
  if (mask) {
    if (getElementTypeOf(mask).isInteger(1))
      mask = node.create<WhereOp>(
          mask, node.scalar(element, 0),
          node.scalar(element, -std::numeric_limits<double>::infinity()));
    scores = node.create<AddOp>(scores, mask);
  }
  Value biased = scores;
  if (float softcap = node.getFloat("softcap", 0); softcap > 0) {
    Value capped = node.create<TanhOp>(node.create<DivOp>(scores, node.scalar(element, softcap)));
    scores = node.create<MulOp>(capped, node.scalar(element, softcap));
  }
  Value softcapped = scores;

  Type softmaxType = element;
  if (node.hasAttr("softmax_precision")) {
    switch (node.getInt("softmax_precision", 1)) {
    case 1: softmaxType = b.getF32Type(); break;
    case 10: softmaxType = b.getF16Type(); break;
    case 11: softmaxType = b.getF64Type(); break;
    case 16: softmaxType = b.getBF16Type(); break;
    default:
      return node.emitError() << "softmax_precision " << node.getInt("softmax_precision", 1)
                              << " is not a float type",
             failure();
    }
  }
  if (softmaxType != element)
    scores = node.create<CastOp>(scores, TypeAttr::get(softmaxType));
  Value probabilities = node.create<SoftmaxOp>(scores, b.getI64IntegerAttr(-1));
  if (softmaxType != element)
    probabilities = node.create<CastOp>(probabilities, TypeAttr::get(element));
  Value y = node.create<MatMulOp>(probabilities, value);
  if (packed) {
    Value heads = node.create<TransposeOp>(y, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    y = node.create<ReshapeOp>(heads, node.i64Vector({0, 0, -1}), b.getBoolAttr(false));
  }

  Value qkOutput;
  if (node.getNumOutputs() > 3 && node.isOutputUsed(3)) {
    switch (node.getInt("qk_matmul_output_mode", 0)) {
    case 0: qkOutput = product; break;
    case 1: qkOutput = biased; break;
    case 2: qkOutput = softcapped; break;
    case 3: qkOutput = probabilities; break;
    default:
      return node.emitError() << "qk_matmul_output_mode "
                              << node.getInt("qk_matmul_output_mode", 0) << " is not 0 to 3",
             failure();
    }
  }
  SmallVector<Value> outputs{y, presentKey, presentValue, qkOutput};
  outputs.resize(std::min<size_t>(outputs.size(), node.getNumOutputs()));
  return outputs;
}

/// Elements [start, end) of the last dim, every `step`-th.
Value sliceLast(OnnxNode &node, Value x, int64_t start, int64_t end, int64_t step = 1) {
  OpBuilder &b = node.getBuilder();
  return node.create<SliceOp>(x, b.getDenseI64ArrayAttr({-1}), b.getDenseI64ArrayAttr({start}),
                              b.getDenseI64ArrayAttr({end}), b.getDenseI64ArrayAttr({step}));
}

/// Rotates the first rotary_embedding_dim features of each head by the
/// angles whose cosines and sines the caches hold (at position_ids when
/// given): pairs are the two halves, or neighbours when interleaved.
Result legalizeRotaryEmbedding(OnnxNode &node) {
  FailureOr<Value> input = node.requiredInput(0), cosCache = node.requiredInput(1),
                   sinCache = node.requiredInput(2);
  if (failed(input) || failed(cosCache) || failed(sinCache))
    return failure();
  OpBuilder &b = node.getBuilder();
  auto shape = getShapeOf(*input);
  if (!shape || (shape->size() != 3 && shape->size() != 4))
    return node.emitError() << "input must have rank 3 or 4", failure();
  bool packed = shape->size() == 3;
  // Work on [batch, sequence, heads, head size].
  Value x = *input;
  if (packed) {
    int64_t heads = node.getInt("num_heads", 0);
    if (heads <= 0)
      return node.emitError() << "3-D input needs num_heads", failure();
    x = node.create<ReshapeOp>(x, node.i64Vector({0, 0, heads, -1}), b.getBoolAttr(false));
  } else {
    x = node.create<TransposeOp>(x, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  }
  auto work = getShapeOf(x);
  if (!work || (*work)[3] == kDynamic)
    return node.emitError() << "needs a static head size", failure();
  int64_t headSize = (*work)[3];
  int64_t rotated = node.getInt("rotary_embedding_dim", 0);
  if (rotated == 0)
    rotated = headSize;
  if (rotated > headSize || rotated % 2 != 0)
    return node.emitError() << "rotary_embedding_dim " << rotated
                            << " must be even and at most the head size " << headSize,
           failure();

  Value cos = *cosCache, sin = *sinCache;
  if (Value positions = node.input(3)) {
    cos = node.create<GatherOp>(cos, positions, b.getI64IntegerAttr(0));
    sin = node.create<GatherOp>(sin, positions, b.getI64IntegerAttr(0));
  }
  auto perHead = [&](Value cache) {
    return node.create<UnsqueezeOp>(sliceLast(node, cache, 0, rotated / 2),
                                    b.getDenseI64ArrayAttr({2}));
  };
  cos = perHead(cos);
  sin = perHead(sin);

  bool interleaved = node.getInt("interleaved", 0) != 0;
  Value part = rotated == headSize ? x : sliceLast(node, x, 0, rotated);
  Value x1 = interleaved ? sliceLast(node, part, 0, rotated, 2) : sliceLast(node, part, 0, rotated / 2);
  Value x2 = interleaved ? sliceLast(node, part, 1, rotated, 2)
                         : sliceLast(node, part, rotated / 2, rotated);
  Value real = node.create<SubOp>(node.create<MulOp>(cos, x1), node.create<MulOp>(sin, x2));
  Value imag = node.create<AddOp>(node.create<MulOp>(sin, x1), node.create<MulOp>(cos, x2));
  Value turned;
  if (interleaved) {
    Value pairs = node.create<ConcatOp>(
        ValueRange{node.create<UnsqueezeOp>(real, b.getDenseI64ArrayAttr({4})),
                   node.create<UnsqueezeOp>(imag, b.getDenseI64ArrayAttr({4}))},
        b.getI64IntegerAttr(4));
    turned = node.create<ReshapeOp>(pairs, node.i64Vector({0, 0, 0, -1}), b.getBoolAttr(false));
  } else {
    turned = node.create<ConcatOp>(ValueRange{real, imag}, b.getI64IntegerAttr(3));
  }
  Value y = rotated == headSize
                ? turned
                : Value(node.create<ConcatOp>(ValueRange{turned, sliceLast(node, x, rotated, headSize)},
                                              b.getI64IntegerAttr(3)));
  if (packed)
    return results(node.create<ReshapeOp>(y, node.i64Vector({0, 0, -1}), b.getBoolAttr(false)));
  return results(node.create<TransposeOp>(y, b.getDenseI64ArrayAttr({0, 2, 1, 3})));
}

} // namespace

void mlir::r1::addTransformerOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Attention", 23, legalizeAttention},
      {"RotaryEmbedding", 23, legalizeRotaryEmbedding},
  });
}
