//===- DefaultDomainNtoR.cpp - ONNX ops Neg to Round ----------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

Result buildPad(OnnxNode &node, Value x, ArrayRef<int64_t> pads, double value) {
  OpBuilder &b = node.getBuilder();
  return results(node.create<PadOp>(x, b.getDenseI64ArrayAttr(pads),
                                    b.getStringAttr(node.getString("mode", "constant")),
                                    b.getF64FloatAttr(value)));
}

/// Opsets 2 to 10 gave pads and value as attributes.
/// r1c's values are tensors, never optionals: an optional input holds a
/// value exactly when the node names one, so OptionalHasElement is a
/// constant and OptionalGetElement of a tensor is that tensor.
Result legalizeOptionalHasElement(OnnxNode &node) {
  bool present = node.getNumInputs() > 0 && node.input(0);
  auto type = RankedTensorType::get({}, node.getBuilder().getI1Type());
  return results(
      node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, present))));
}

Result legalizeOptionalGetElement(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(*x);
}

Result legalizePadV2(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  std::optional<SmallVector<int64_t>> pads = node.getInts("pads");
  if (failed(x))
    return failure();
  if (!pads)
    return node.emitError() << "missing required attribute 'pads'", failure();
  return buildPad(node, *x, *pads, node.getFloat("value", 0));
}

Result legalizePad(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto type = dyn_cast<RankedTensorType>(x->getType());
  if (!type)
    return node.emitError() << "needs an input of known rank", failure();
  int64_t rank = type.getRank();
  auto given = node.constantInts(1);
  bool dataPads = !given || (node.input(3) && !node.constantInts(3)) ||
                  (node.input(2) && !node.constantScalar(2));
  if (dataPads)
    return legalizePadWithDataPads(node, *x, node.getString("mode", "constant"));
  // Opset 18 may pad only some axes; spread their pads over all dims.
  SmallVector<int64_t> axes;
  if (node.input(3)) {
    auto constantAxes = node.constantInts(3);
    if (!constantAxes)
      return node.emitError() << "axes must be a constant", failure();
    axes = *constantAxes;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (given->size() != 2 * axes.size())
    return node.emitError() << "has " << given->size() << " pads for " << axes.size()
                            << " axes; expected " << 2 * axes.size(),
           failure();
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    auto dim = normalizeAxis(axis, rank);
    if (!dim)
      return node.emitError() << "axis " << axis << " is out of range for rank " << rank,
             failure();
    pads[*dim] = (*given)[i];
    pads[*dim + rank] = (*given)[i + axes.size()];
  }
  double value = 0;
  if (node.input(2)) {
    std::optional<double> constant = node.constantScalar(2);
    if (!constant)
      return node.emitError() << "constant_value must be a constant scalar", failure();
    value = *constant;
  }
  return buildPad(node, *x, pads, value);
}

/// x < 0 ? slope * x : x
/// Greedy non-maximum suppression, as r1.non_max_suppression. How many
/// boxes it selects depends on the data: the op fills as many rows as can
/// be selected (every box of every batch and class, or the constant
/// maximum per class), -1 past the last selection, and the result keeps
/// the selected rows (or as many as the model declares, -1 past the
/// selected ones). An absent (or
/// empty) maximum selects nothing and an absent IoU threshold is 0, as the
/// reference has them; without a score threshold every box is a candidate.
Result legalizeNonMaxSuppression(OnnxNode &node) {
  FailureOr<Value> boxes = node.requiredInput(0), scores = node.requiredInput(1);
  if (failed(boxes) || failed(scores))
    return failure();
  int64_t centerPointBox = node.getInt("center_point_box", 0);
  if (centerPointBox != 0 && centerPointBox != 1)
    return node.emitError() << "center_point_box is " << centerPointBox << "; it must be 0 or 1",
           failure();
  auto scoresShape = getShapeOf(*scores);
  if (!scoresShape || scoresShape->size() != 3 || llvm::is_contained(*scoresShape, kDynamic))
    return node.emitError() << "needs scores of static shape [batches, classes, boxes]", failure();
  // An input given as an empty tensor counts as absent.
  auto given = [&](unsigned index) -> Value {
    Value value = node.input(index);
    auto shape = value ? getShapeOf(value) : std::nullopt;
    if (shape && !llvm::is_contained(*shape, kDynamic) && productOfDims(*shape) == 0)
      return Value();
    return value;
  };
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Value maxOutput = given(2), iouThreshold = given(3);
  int64_t perClass = (*scoresShape)[2];
  if (!maxOutput) {
    maxOutput = node.scalar(i64, 0);
    perClass = 0;
  } else if (std::optional<SmallVector<int64_t>> maximum = node.constantInts(2);
             maximum && maximum->size() == 1) {
    perClass = std::clamp<int64_t>(maximum->front(), 0, perClass);
  }
  if (!iouThreshold)
    iouThreshold = node.scalar(b.getF32Type(), 0);
  // A model may declare more rows than can be selected: those are -1.
  int64_t rows = (*scoresShape)[0] * (*scoresShape)[1] * perClass;
  if (std::optional<SmallVector<int64_t>> declared = node.declaredShape(0);
      declared && declared->size() == 2)
    rows = std::max(rows, declared->front());
  Value selected = node.create<NonMaxSuppressionOp>(*boxes, *scores, maxOutput, iouThreshold,
                                                    given(4), b.getBoolAttr(centerPointBox != 0),
                                                    b.getI64IntegerAttr(rows));
  // Rows of selected boxes have a batch index of 0 or more; the rest -1.
  Value batchColumn =
      node.create<SliceOp>(selected, b.getDenseI64ArrayAttr({1}), b.getDenseI64ArrayAttr({0}),
                           b.getDenseI64ArrayAttr({1}), b.getDenseI64ArrayAttr({1}));
  Value isSelected = node.create<CastOp>(
      node.create<GreaterEqualOp>(batchColumn, node.scalar(i64, 0)), TypeAttr::get(i64));
  Value count = node.create<ReduceSumOp>(isSelected, Value(), b.getDenseI64ArrayAttr({}),
                                         b.getBoolAttr(false), b.getBoolAttr(false));
  count = node.create<ReshapeOp>(count, node.i64Vector({1}), b.getBoolAttr(false));
  FailureOr<Value> kept = node.leadingEntries(0, selected, count, 0);
  return failed(kept) ? Result(failure()) : results(*kept);
}

Result legalizePRelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), slope = node.requiredInput(1);
  if (failed(x) || failed(slope))
    return failure();
  Value slopes = *slope;
  // Before opset 7, a 1-D slope of C values is one per channel (dim 1).
  auto xType = dyn_cast<RankedTensorType>(x->getType());
  auto slopeType = dyn_cast<RankedTensorType>(slope->getType());
  if (node.getOpset() < 7 && xType && slopeType && xType.getRank() > 2 &&
      slopeType.getRank() == 1 && slopeType.getDimSize(0) != 1) {
    SmallVector<int64_t> axes;
    for (int64_t d = 1; d < xType.getRank() - 1; ++d)
      axes.push_back(d);
    slopes = node.create<UnsqueezeOp>(slopes, node.getBuilder().getDenseI64ArrayAttr(axes));
  }
  Value negative = node.create<LessOp>(*x, node.scalar(getElementTypeOf(*x), 0));
  Value scaled = node.create<MulOp>(*x, slopes);
  return results(node.create<WhereOp>(negative, scaled, *x));
}

Result legalizeRange(OnnxNode &node) {
  FailureOr<Value> start = node.requiredInput(0), limit = node.requiredInput(1),
                   delta = node.requiredInput(2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  return results(node.create<RangeOp>(*start, *limit, *delta));
}

Value identity(OnnxNode &, Value x) { return x; }
Value absolute(OnnxNode &node, Value x) { return node.create<AbsOp>(x); }
Value square(OnnxNode &node, Value x) { return node.create<MulOp>(x, x); }
Value exponential(OnnxNode &node, Value x) { return node.create<ExpOp>(x); }
Value logarithm(OnnxNode &node, Value x) { return node.create<LogOp>(x); }
Value squareRoot(OnnxNode &node, Value x) { return node.create<SqrtOp>(x); }

/// A reduction whose axes moved from an attribute to input #1 at opset
/// `AxesInputSince`, with an elementwise step before and after (ReduceL2 is
/// sqrt of the sum of squares).
template <typename ReduceOpTy, int64_t AxesInputSince,
          Value (*Before)(OnnxNode &, Value) = identity,
          Value (*After)(OnnxNode &, Value) = identity>
Result legalizeReduce(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  bool noop = node.getInt("noop_with_empty_axes", 0) != 0;
  auto keepdims = b.getBoolAttr(node.getInt("keepdims", 1) != 0);
  // Axes computed at run time travel as an operand.
  Value computedAxes;
  SmallVector<int64_t> axes;
  if (node.getOpset() < AxesInputSince) {
    axes = node.getInts("axes").value_or(SmallVector<int64_t>{});
  } else if (node.input(1)) {
    if (auto constant = node.constantInts(1))
      axes = *constant;
    else
      computedAxes = node.input(1);
  }
  if (!computedAxes && axes.empty() && noop)
    return results(*x);
  Value reduced = node.create<ReduceOpTy>(Before(node, *x), computedAxes,
                                          b.getDenseI64ArrayAttr(axes), keepdims,
                                          b.getBoolAttr(noop));
  return results(After(node, reduced));
}

Result legalizeReshape(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), shape = node.requiredInput(1);
  if (failed(x) || failed(shape))
    return failure();
  return results(node.create<ReshapeOp>(
      *x, *shape, node.getBuilder().getBoolAttr(node.getInt("allowzero", 0) != 0)));
}

/// Before opset 5 the target shape was the `shape` attribute.
Result legalizeReshapeV1(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  std::optional<SmallVector<int64_t>> shape = node.getInts("shape");
  if (failed(x))
    return failure();
  if (!shape)
    return node.emitError() << "needs the 'shape' attribute", failure();
  return results(
      node.create<ReshapeOp>(*x, node.i64Vector(*shape), node.getBuilder().getBoolAttr(false)));
}

} // namespace

void mlir::r1::addDefaultDomainNtoR(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Neg", 1, legalizeUnary<NegOp>},
      {"NonMaxSuppression", 10, legalizeNonMaxSuppression},
      {"Not", 1, legalizeUnary<NotOp>},
      {"OptionalGetElement", 18, legalizeOptionalGetElement},
      {"OptionalHasElement", 18, legalizeOptionalHasElement},
      {"Or", 1, legalizeBinary<OrOp>},
      {"Pad", 2, legalizePadV2},
      {"Pad", 11, legalizePad},
      {"PRelu", 1, legalizePRelu},
      {"Pow", 1, legalizeBinary<PowOp>},
      {"Range", 11, legalizeRange},
      {"Reciprocal", 1, legalizeUnary<ReciprocalOp>},
      {"ReduceL1", 1, legalizeReduce<ReduceSumOp, 18, absolute>},
      {"ReduceL2", 1, legalizeReduce<ReduceSumOp, 18, square, squareRoot>},
      {"ReduceLogSum", 1, legalizeReduce<ReduceSumOp, 18, identity, logarithm>},
      {"ReduceLogSumExp", 1, legalizeReduce<ReduceSumOp, 18, exponential, logarithm>},
      {"ReduceMax", 1, legalizeReduce<ReduceMaxOp, 18>},
      {"ReduceMean", 1, legalizeReduce<ReduceMeanOp, 18>},
      {"ReduceMin", 1, legalizeReduce<ReduceMinOp, 18>},
      {"ReduceProd", 1, legalizeReduce<ReduceProdOp, 18>},
      {"ReduceSum", 1, legalizeReduce<ReduceSumOp, 13>},
      {"ReduceSumSquare", 1, legalizeReduce<ReduceSumOp, 18, square>},
      {"Relu", 1, legalizeUnary<ReluOp>},
      {"Reshape", 1, legalizeReshapeV1},
      {"Reshape", 5, legalizeReshape},
      {"Round", 11, legalizeUnary<RoundOp>},
  });
}
