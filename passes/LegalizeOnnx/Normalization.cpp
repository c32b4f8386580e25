//===- Normalization.cpp - Normalizations that decompose into r1 ops ------===//
//
// RMSNormalization, GroupNormalization, InstanceNormalization,
// MeanVarianceNormalization, LpNormalization and LRN: reductions and
// elementwise ops, which the kernel former fuses back together. Statistics
// are computed in f32 (ONNX's stash_type) when the input is narrower.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

Value meanOver(OnnxNode &node, Value x, ArrayRef<int64_t> axes) {
  OpBuilder &b = node.getBuilder();
  return node.create<ReduceMeanOp>(x, Value(), b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true),
                                   b.getBoolAttr(false));
}

Value castTo(OnnxNode &node, Value x, Type element) {
  if (getElementTypeOf(x) == element)
    return x;
  return node.create<CastOp>(x, TypeAttr::get(element));
}

/// The type statistics are kept in: f32 for narrower floats unless
/// stash_type says otherwise (ONNX: 1, f32, by default).
Type stashType(OnnxNode &node, Type element) {
  if (node.getInt("stash_type", 1) != 1 || !isa<FloatType>(element) ||
      element.getIntOrFloatBitWidth() >= 32)
    return element;
  return node.getBuilder().getF32Type();
}

/// (x - mean) / sqrt(var + epsilon) over `axes`, in x's element type.
Value standardize(OnnxNode &node, Value x, ArrayRef<int64_t> axes, double epsilon) {
  Type element = getElementTypeOf(x);
  Value centered = node.create<SubOp>(x, meanOver(node, x, axes));
  Value variance = meanOver(node, node.create<MulOp>(centered, centered), axes);
  Value deviation =
      node.create<SqrtOp>(node.create<AddOp>(variance, node.scalar(element, epsilon)));
  return node.create<DivOp>(centered, deviation);
}

SmallVector<int64_t> axesFrom(int64_t first, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a = first; a < rank; ++a)
    axes.push_back(a);
  return axes;
}

/// A per-channel vector [C] shaped to broadcast against [N, C, d1, ...].
Value perChannel(OnnxNode &node, Value vector, int64_t rank) {
  if (rank <= 2)
    return vector;
  return node.create<UnsqueezeOp>(vector,
                                  node.getBuilder().getDenseI64ArrayAttr(axesFrom(1, rank - 1)));
}

Result legalizeRMSNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank)
    return node.emitError() << "needs a ranked input", failure();
  std::optional<int64_t> axis = normalizeAxis(node.getInt("axis", -1), *rank);
  if (!axis)
    return node.emitError() << "axis " << node.getInt("axis", -1) << " is out of range",
           failure();
  Type element = getElementTypeOf(*x), stash = stashType(node, element);
  Value wide = castTo(node, *x, stash);
  Value meanSquare = meanOver(node, node.create<MulOp>(wide, wide), axesFrom(*axis, *rank));
  Value rms = node.create<SqrtOp>(
      node.create<AddOp>(meanSquare, node.scalar(stash, node.getFloat("epsilon", 1e-5f))));
  Value normalized = castTo(node, node.create<DivOp>(wide, rms), element);
  return results(node.create<MulOp>(normalized, *scale));
}

Result legalizeInstanceNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1),
                   bias = node.requiredInput(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank || *rank < 3)
    return node.emitError() << "needs an input of rank 3 or more", failure();
  Type element = getElementTypeOf(*x), stash = stashType(node, element);
  Value normalized = castTo(node,
                            standardize(node, castTo(node, *x, stash), axesFrom(2, *rank),
                                        node.getFloat("epsilon", 1e-5f)),
                            element);
  Value scaled = node.create<MulOp>(normalized, perChannel(node, *scale, *rank));
  return results(node.create<AddOp>(scaled, perChannel(node, *bias, *rank)));
}

/// Opset 18 scales each group ([G] scale and bias); opset 21 each channel.
Result legalizeGroupNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1),
                   bias = node.requiredInput(2);
  FailureOr<int64_t> groups = node.requiredInt("num_groups");
  if (failed(x) || failed(scale) || failed(bias) || failed(groups))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() < 2 || (*shape)[1] == kDynamic)
    return node.emitError() << "needs a ranked input with a static channel dim", failure();
  int64_t rank = shape->size(), channels = (*shape)[1];
  if (*groups <= 0 || channels % *groups != 0)
    return node.emitError() << channels << " channels do not split into " << *groups
                            << " groups",
           failure();
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(*x), stash = stashType(node, element);
  Value grouped = node.create<ReshapeOp>(castTo(node, *x, stash),
                                         node.i64Vector({0, *groups, -1}), b.getBoolAttr(false));
  Value normalized =
      castTo(node, standardize(node, grouped, {2}, node.getFloat("epsilon", 1e-5f)), element);
  Value original = node.create<ShapeOp>(*x, b.getI64IntegerAttr(0), b.getI64IntegerAttr(rank));
  if (node.getOpset() < 21) {
    Value perGroupScale = node.create<UnsqueezeOp>(*scale, b.getDenseI64ArrayAttr({1}));
    Value perGroupBias = node.create<UnsqueezeOp>(*bias, b.getDenseI64ArrayAttr({1}));
    Value y = node.create<AddOp>(node.create<MulOp>(normalized, perGroupScale), perGroupBias);
    return results(node.create<ReshapeOp>(y, original, b.getBoolAttr(false)));
  }
  Value y = node.create<ReshapeOp>(normalized, original, b.getBoolAttr(false));
  Value scaled = node.create<MulOp>(y, perChannel(node, *scale, rank));
  return results(node.create<AddOp>(scaled, perChannel(node, *bias, rank)));
}

/// (X - E[X]) / (sqrt(Var[X]) + 1e-9) over `axes` (default N, H, W).
Result legalizeMeanVarianceNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> axes = node.getInts("axes").value_or(SmallVector<int64_t>{0, 2, 3});
  Type element = getElementTypeOf(*x);
  Value centered = node.create<SubOp>(*x, meanOver(node, *x, axes));
  Value variance = meanOver(node, node.create<MulOp>(centered, centered), axes);
  Value deviation = node.create<AddOp>(node.create<SqrtOp>(variance), node.scalar(element, 1e-9));
  return results(node.create<DivOp>(centered, deviation));
}

/// x / ||x||_p along `axis`, p 1 or 2.
Result legalizeLpNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t p = node.getInt("p", 2);
  if (p != 1 && p != 2)
    return node.emitError() << "p must be 1 or 2, not " << p, failure();
  OpBuilder &b = node.getBuilder();
  Value terms = p == 1 ? Value(node.create<AbsOp>(*x)) : Value(node.create<MulOp>(*x, *x));
  Value norm = node.create<ReduceSumOp>(terms, Value(),
                                        b.getDenseI64ArrayAttr({node.getInt("axis", -1)}),
                                        b.getBoolAttr(true), b.getBoolAttr(false));
  if (p == 2)
    norm = node.create<SqrtOp>(norm);
  return results(node.create<DivOp>(*x, norm));
}

/// Local response normalization across channels:
/// y = x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels)^beta.
Result legalizeLRN(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  FailureOr<int64_t> size = node.requiredInt("size");
  if (failed(x) || failed(size))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() < 2 || (*shape)[1] == kDynamic || *size < 1)
    return node.emitError() << "needs a static channel dim and a positive size", failure();
  OpBuilder &b = node.getBuilder();
  int64_t rank = shape->size(), channels = (*shape)[1];
  Type element = getElementTypeOf(*x);
  // Zero-pad the channels so that each window is one slice of the squares.
  SmallVector<int64_t> pads(2 * rank, 0);
  pads[1] = (*size - 1) / 2;
  pads[rank + 1] = *size - 1 - pads[1];
  Value padded = node.create<PadOp>(node.create<MulOp>(*x, *x), b.getDenseI64ArrayAttr(pads),
                                    b.getStringAttr("constant"), b.getF64FloatAttr(0));
  Value sum;
  for (int64_t i = 0; i < *size; ++i) {
    Value window = node.create<SliceOp>(padded, b.getDenseI64ArrayAttr({1}),
                                        b.getDenseI64ArrayAttr({i}),
                                        b.getDenseI64ArrayAttr({i + channels}),
                                        b.getDenseI64ArrayAttr({1}));
    sum = sum ? Value(node.create<AddOp>(sum, window)) : window;
  }
  Value scaled = node.create<MulOp>(
      sum, node.scalar(element, node.getFloat("alpha", 1e-4f) / double(*size)));
  Value base = node.create<AddOp>(scaled, node.scalar(element, node.getFloat("bias", 1.0f)));
  Value denominator = node.create<PowOp>(base, node.scalar(element, node.getFloat("beta", 0.75f)));
  return results(node.create<DivOp>(*x, denominator));
}

} // namespace

void mlir::r1::addNormalizationOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"GroupNormalization", 18, legalizeGroupNormalization},
      {"InstanceNormalization", 1, legalizeInstanceNormalization},
      {"LpNormalization", 1, legalizeLpNormalization},
      {"LRN", 1, legalizeLRN},
      {"MeanVarianceNormalization", 9, legalizeMeanVarianceNormalization},
      {"RMSNormalization", 23, legalizeRMSNormalization},
  });
}
