//===- DefaultDomainStoZ.cpp - ONNX ops Scatter to Xor --------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// The reduction of a ScatterElements or ScatterND node: none before opset
/// 16, which added add and mul; opset 18 added max and min.
FailureOr<ScatterReduction> getScatterReduction(OnnxNode &node) {
  StringRef name = node.getString("reduction", "none");
  std::optional<ScatterReduction> reduction = symbolizeScatterReduction(name);
  if (!reduction)
    return node.emitError() << "unknown reduction '" << name << "'", failure();
  int64_t since = 0;
  if (*reduction == ScatterReduction::add || *reduction == ScatterReduction::mul)
    since = 16;
  else if (*reduction == ScatterReduction::max || *reduction == ScatterReduction::min)
    since = 18;
  if (node.getOpset() < since)
    return node.emitError() << "reduction '" << name << "' needs opset " << since, failure();
  return *reduction;
}

/// ScatterElements, and Scatter (opsets 9 and 10), which is ScatterElements
/// without a reduction.
Result legalizeScatterElements(OnnxNode &node) {
  FailureOr<Value> data = node.requiredInput(0), indices = node.requiredInput(1),
                   updates = node.requiredInput(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  FailureOr<ScatterReduction> reduction = getScatterReduction(node);
  if (failed(reduction))
    return failure();
  int64_t axis = node.getInt("axis", 0);
  if (auto shape = getShapeOf(*data); shape && !normalizeAxis(axis, shape->size()))
    return node.emitError() << "axis " << axis << " is out of range for data of rank "
                            << shape->size(),
           failure();
  OpBuilder &b = node.getBuilder();
  return results(
      node.create<ScatterElementsOp>(*data, *indices, *updates, b.getI64IntegerAttr(axis),
                                     ScatterReductionAttr::get(b.getContext(), *reduction)));
}

Result legalizeScatterND(OnnxNode &node) {
  FailureOr<Value> data = node.requiredInput(0), indices = node.requiredInput(1),
                   updates = node.requiredInput(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  FailureOr<ScatterReduction> reduction = getScatterReduction(node);
  if (failed(reduction))
    return failure();
  auto dataShape = getShapeOf(*data), indexShape = getShapeOf(*indices);
  if (dataShape && indexShape && !indexShape->empty() && indexShape->back() != kDynamic &&
      indexShape->back() > int64_t(dataShape->size()))
    return node.emitError() << "the last dim of indices (" << indexShape->back()
                            << ") is larger than the data rank " << dataShape->size(),
           failure();
  return results(node.create<ScatterNDOp>(
      *data, *indices, *updates,
      ScatterReductionAttr::get(node.getBuilder().getContext(), *reduction)));
}

Result legalizeSelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<SeluOp>(
      *x, b.getF32FloatAttr(node.getFloat("alpha", 1.67326319217681884765625f)),
      b.getF32FloatAttr(node.getFloat("gamma", 1.05070102214813232421875f))));
}

Result legalizeShrink(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<ShrinkOp>(*x, b.getF32FloatAttr(node.getFloat("bias", 0.0f)),
                                       b.getF32FloatAttr(node.getFloat("lambd", 0.5f))));
}

Result legalizeThresholdedRelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<ThresholdedReluOp>(
      *x, node.getBuilder().getF32FloatAttr(node.getFloat("alpha", 1.0f))));
}

Result legalizeShape(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto type = dyn_cast<RankedTensorType>(x->getType());
  if (!type)
    return node.emitError() << "needs an input of known rank", failure();
  // Opset 15 added start and end, clamped into [0, rank].
  int64_t rank = type.getRank();
  auto clampDim = [&](int64_t dim) {
    return std::clamp<int64_t>(dim < 0 ? dim + rank : dim, 0, rank);
  };
  int64_t start = clampDim(node.getInt("start", 0));
  int64_t end = std::max(start, clampDim(node.getInt("end", rank)));
  OpBuilder &b = node.getBuilder();
  return results(
      node.create<ShapeOp>(*x, b.getI64IntegerAttr(start), b.getI64IntegerAttr(end)));
}

Result legalizeSize(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<SizeOp>(*x));
}

Result buildSlice(OnnxNode &node, Value x, ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                  ArrayRef<int64_t> axes, ArrayRef<int64_t> steps) {
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return node.emitError() << "starts, ends, axes and steps differ in length", failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<SliceOp>(x, b.getDenseI64ArrayAttr(axes),
                                      b.getDenseI64ArrayAttr(starts),
                                      b.getDenseI64ArrayAttr(ends),
                                      b.getDenseI64ArrayAttr(steps)));
}

/// Opset 1 gave starts, ends and axes as attributes, with unit steps.
Result legalizeSliceV1(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  auto starts = node.getInts("starts"), ends = node.getInts("ends");
  if (failed(x))
    return failure();
  if (!starts || !ends)
    return node.emitError() << "missing required attribute 'starts' or 'ends'", failure();
  SmallVector<int64_t> axes;
  for (size_t i = 0; i < starts->size(); ++i)
    axes.push_back(i);
  axes = node.getInts("axes").value_or(axes);
  return buildSlice(node, *x, *starts, *ends, axes, SmallVector<int64_t>(starts->size(), 1));
}

Result legalizeSlice(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto starts = node.constantInts(1), ends = node.constantInts(2);
  bool dataBounds = !starts || !ends || (node.input(3) && !node.constantInts(3)) ||
                    (node.input(4) && !node.constantInts(4));
  if (dataBounds)
    return legalizeSliceWithDataBounds(node, *x);
  SmallVector<int64_t> axes, steps;
  if (node.input(3)) {
    auto constant = node.constantInts(3);
    if (!constant)
      return node.emitError() << "axes must be a constant", failure();
    axes = *constant;
  } else {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  }
  if (node.input(4)) {
    auto constant = node.constantInts(4);
    if (!constant)
      return node.emitError() << "steps must be a constant", failure();
    steps = *constant;
  } else {
    steps.assign(starts->size(), 1);
  }
  return buildSlice(node, *x, *starts, *ends, axes, steps);
}

/// The extents along `axis` that the model declares for each of the
/// node's `outputs` results, when it declares them all.
std::optional<SmallVector<int64_t>> declaredExtents(OnnxNode &node, Value x, int64_t axis,
                                                    int64_t outputs) {
  std::optional<int64_t> rank = getRankOf(x);
  std::optional<int64_t> dim = rank ? normalizeAxis(axis, *rank) : std::nullopt;
  if (!dim)
    return std::nullopt;
  SmallVector<int64_t> extents;
  for (int64_t i = 0; i < outputs; ++i) {
    std::optional<SmallVector<int64_t>> shape = node.declaredShape(i);
    if (!shape || int64_t(shape->size()) != *rank)
      return std::nullopt;
    extents.push_back((*shape)[*dim]);
  }
  return extents;
}

Result legalizeSplit(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t axis = node.getInt("axis", 0);
  int64_t outputs = node.getNumOutputs();
  std::optional<SmallVector<int64_t>> sizes;
  if (node.getOpset() < 13) {
    sizes = node.getInts("split");
  } else if (node.input(1)) {
    sizes = node.constantInts(1);
    // Sizes given as data: each output's declared extent along the axis.
    if (!sizes)
      sizes = declaredExtents(node, *x, axis, outputs);
    if (!sizes)
      return node.emitError() << "split sizes must be a constant, or every output's shape "
                                 "declared in the model",
             failure();
  }
  if (!sizes) {
    // Even pieces; from opset 18 the last may be smaller.
    auto type = dyn_cast<RankedTensorType>(x->getType());
    std::optional<int64_t> dim =
        type ? normalizeAxis(axis, type.getRank()) : std::optional<int64_t>();
    if (!dim || type.isDynamicDim(*dim))
      return node.emitError() << "splitting without sizes needs a static dim " << axis,
             failure();
    int64_t total = type.getDimSize(*dim);
    int64_t pieces = node.getOpset() >= 18 ? node.getInt("num_outputs", outputs) : outputs;
    if (pieces != outputs)
      return node.emitError() << "num_outputs " << pieces << " differs from the "
                              << outputs << " outputs",
             failure();
    int64_t piece = (total + pieces - 1) / pieces;
    sizes.emplace();
    for (int64_t i = 0; i < pieces; ++i)
      sizes->push_back(std::clamp<int64_t>(total - i * piece, 0, piece));
  }
  if (int64_t(sizes->size()) != outputs)
    return node.emitError() << sizes->size() << " split sizes for " << outputs << " outputs",
           failure();
  OpBuilder &b = node.getBuilder();
  auto split =
      node.create<SplitOp>(*x, b.getI64IntegerAttr(axis), b.getDenseI64ArrayAttr(*sizes));
  return SmallVector<Value>(split.getResults());
}

/// Squeeze and Unsqueeze whose axes are data move no element: the result
/// is the input reshaped to the shape the model declares for it.
std::optional<Result> reshapeToDeclared(OnnxNode &node, Value x) {
  if (node.getOpset() < 13 || !node.input(1) || node.constantInts(1))
    return std::nullopt;
  std::optional<SmallVector<int64_t>> shape = node.declaredShape(0);
  if (!shape)
    return Result(node.emitError() << "axes must be a constant, or the output's shape declared "
                                      "in the model; computed axes are unsupported");
  return results(node.create<ReshapeOp>(x, node.i64Vector(*shape),
                                        node.getBuilder().getBoolAttr(true)));
}

Result legalizeSqueeze(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  if (std::optional<Result> reshaped = reshapeToDeclared(node, *x))
    return *reshaped;
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(node, 13);
  if (failed(axes))
    return failure();
  if (axes->empty()) {
    // No axes: every dim of size 1, which needs them all known.
    auto type = dyn_cast<RankedTensorType>(x->getType());
    if (!type || !type.hasStaticShape())
      return node.emitError() << "squeezing without axes needs a static shape", failure();
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.getDimSize(i) == 1)
        axes->push_back(i);
    if (axes->empty())
      return results(*x);
  }
  return results(node.create<SqueezeOp>(*x, node.getBuilder().getDenseI64ArrayAttr(*axes)));
}

Result legalizeTile(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), repeats = node.requiredInput(1);
  if (failed(x) || failed(repeats))
    return failure();
  return results(node.create<TileOp>(*x, *repeats));
}

/// k of a TopK node: its attribute before opset 10, then its second
/// input when it is a constant. A k computed at run time is taken from the
/// outputs the model declares, when their extent along the axis is static
/// (k, as the model promises); else it is std::nullopt, known only when
/// the op runs.
FailureOr<std::optional<int64_t>> getTopKCount(OnnxNode &node, int64_t axis) {
  if (node.getOpset() < 10) {
    FailureOr<int64_t> k = node.requiredInt("k");
    return failed(k) ? FailureOr<std::optional<int64_t>>(failure()) : std::optional(*k);
  }
  if (!node.input(1))
    return node.emitError() << "input #1 (k) is required", failure();
  if (std::optional<SmallVector<int64_t>> k = node.constantInts(1)) {
    if (k->size() != 1)
      return node.emitError() << "k has " << k->size() << " values; it must have one", failure();
    return std::optional(k->front());
  }
  for (unsigned output = 0; output < node.getNumOutputs(); ++output) {
    auto declared = dyn_cast<RankedTensorType>(node.getDeclaredOutputType(output));
    std::optional<int64_t> dim = declared ? normalizeAxis(axis, declared.getRank()) : std::nullopt;
    if (dim && !declared.isDynamicDim(*dim))
      return std::optional(declared.getDimSize(*dim));
  }
  return std::optional<int64_t>();
}

/// TopK; with k known only at run time, the whole axis sorted, then its
/// leading k entries kept.
Result legalizeTopK(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t axis = node.getInt("axis", -1);
  auto shape = getShapeOf(*x);
  if (shape && !normalizeAxis(axis, shape->size()))
    return node.emitError() << "axis " << axis << " is out of range for an input of rank "
                            << shape->size(),
           failure();
  FailureOr<std::optional<int64_t>> k = getTopKCount(node, axis);
  if (failed(k))
    return failure();
  int64_t extent = shape ? (*shape)[*normalizeAxis(axis, shape->size())] : kDynamic;
  if (!*k && extent == kDynamic)
    return node.emitError() << "k is computed at run time and the input's dim " << axis
                            << " is not static; r1c needs one of them known when it compiles",
           failure();
  if (*k && **k < 0)
    return node.emitError() << "k " << **k << " is negative", failure();
  if (*k && extent != kDynamic && **k > extent)
    return node.emitError() << "k " << **k << " is larger than the input's dim " << axis << " ("
                            << extent << ")",
           failure();
  // largest and sorted came with opset 11; before, both were always on.
  OpBuilder &b = node.getBuilder();
  bool computed = !*k;
  auto topK = node.create<TopKOp>(*x, b.getI64IntegerAttr(axis),
                                  b.getI64IntegerAttr(computed ? extent : **k),
                                  b.getBoolAttr(node.getInt("largest", 1) != 0),
                                  b.getBoolAttr(computed || node.getInt("sorted", 1) != 0));
  if (!computed)
    return SmallVector<Value>{topK.getValues(), topK.getIndices()};
  int64_t dim = *normalizeAxis(axis, shape->size());
  Value count = node.create<ReshapeOp>(node.input(1), node.i64Vector({1}), b.getBoolAttr(false));
  FailureOr<Value> values = node.leadingEntries(0, topK.getValues(), count, dim);
  FailureOr<Value> indices = node.leadingEntries(1, topK.getIndices(), count, dim);
  if (failed(values) || failed(indices))
    return failure();
  return SmallVector<Value>{*values, *indices};
}

Result legalizeTranspose(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> perm = node.getInts("perm");
  if (!perm) {
    auto type = dyn_cast<RankedTensorType>(x->getType());
    if (!type)
      return node.emitError() << "needs perm or an input of known rank", failure();
    perm.emplace();
    for (int64_t i = type.getRank() - 1; i >= 0; --i)
      perm->push_back(i);
  }
  return results(node.create<TransposeOp>(*x, node.getBuilder().getDenseI64ArrayAttr(*perm)));
}

/// With k computed at run time, the triangle is a mask built from the
/// column index minus the row index, compared with k.
Result legalizeTriluWithComputedK(OnnxNode &node, Value x, Value k, bool upper) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() < 2 || type.isDynamicDim(type.getRank() - 1) ||
      type.isDynamicDim(type.getRank() - 2))
    return node.emitError() << "a computed k needs the last two dims static", failure();
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  auto indices = [&](int64_t count) {
    return node.create<RangeOp>(node.scalar(i64, 0), node.scalar(i64, count),
                                node.scalar(i64, 1))
        .getResult();
  };
  Value rows = node.create<UnsqueezeOp>(indices(type.getDimSize(type.getRank() - 2)),
                                        b.getDenseI64ArrayAttr({1}));
  Value diagonal = node.create<SubOp>(indices(type.getDimSize(type.getRank() - 1)), rows);
  Value offset = node.create<CastOp>(k, TypeAttr::get(i64));
  Value keep = upper ? node.create<GreaterEqualOp>(diagonal, offset).getResult()
                     : node.create<LessEqualOp>(diagonal, offset).getResult();
  return results(node.create<WhereOp>(keep, x, node.scalar(type.getElementType(), 0)));
}

Result legalizeTrilu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  bool upper = node.getInt("upper", 1) != 0;
  int64_t k = 0;
  if (node.input(1)) {
    std::optional<double> constant = node.constantScalar(1);
    if (!constant)
      return legalizeTriluWithComputedK(node, *x, node.input(1), upper);
    k = int64_t(*constant);
  }
  OpBuilder &b = node.getBuilder();
  return results(node.create<TriluOp>(*x, b.getBoolAttr(upper), b.getI64IntegerAttr(k)));
}

Result legalizeUnsqueeze(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  if (std::optional<Result> reshaped = reshapeToDeclared(node, *x))
    return *reshaped;
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(node, 13);
  if (failed(axes))
    return failure();
  if (axes->empty())
    return node.emitError() << "needs the axes to insert", failure();
  return results(
      node.create<UnsqueezeOp>(*x, node.getBuilder().getDenseI64ArrayAttr(*axes)));
}

Result legalizeWhere(OnnxNode &node) {
  FailureOr<Value> c = node.requiredInput(0), a = node.requiredInput(1),
                   b = node.requiredInput(2);
  if (failed(c) || failed(a) || failed(b))
    return failure();
  return results(node.create<WhereOp>(*c, *a, *b));
}

} // namespace

void mlir::r1::addDefaultDomainStoZ(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Scatter", 9, legalizeScatterElements},
      {"ScatterElements", 11, legalizeScatterElements},
      {"ScatterND", 11, legalizeScatterND},
      {"Selu", 1, legalizeSelu},
      {"Shape", 1, legalizeShape},
      {"Shrink", 9, legalizeShrink},
      {"Sigmoid", 1, legalizeUnary<SigmoidOp>},
      {"Sign", 9, legalizeUnary<SignOp>},
      {"Sin", 7, legalizeUnary<SinOp>},
      {"Sinh", 9, legalizeUnary<SinhOp>},
      {"Size", 1, legalizeSize},
      {"Slice", 1, legalizeSliceV1},
      {"Slice", 10, legalizeSlice},
      {"Softmax", 1, legalizeSoftmaxLike<SoftmaxOp>},
      {"Softplus", 1, legalizeUnary<SoftplusOp>},
      {"Softsign", 1, legalizeUnary<SoftsignOp>},
      {"Split", 1, legalizeSplit},
      {"Sqrt", 1, legalizeUnary<SqrtOp>},
      {"Squeeze", 1, legalizeSqueeze},
      {"Sub", 1, legalizeBinary<SubOp>},
      {"Sum", 1, legalizeVariadic<AddOp>},
      {"Tan", 7, legalizeUnary<TanOp>},
      {"Tanh", 1, legalizeUnary<TanhOp>},
      {"ThresholdedRelu", 10, legalizeThresholdedRelu},
      {"Tile", 6, legalizeTile},
      {"TopK", 1, legalizeTopK},
      {"Transpose", 1, legalizeTranspose},
      {"Trilu", 14, legalizeTrilu},
      {"Unsqueeze", 1, legalizeUnsqueeze},
      {"Where", 9, legalizeWhere},
      {"Xor", 1, legalizeBinary<XorOp>},
  });
}
