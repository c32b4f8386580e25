//===- Indexing.cpp - Ops built from index arithmetic ---------------------===//
//
// Hardmax, OneHot, EyeLike, CumSum, ReverseSequence and CenterCropPad
// compare an iota (a range along one axis) with indices, or gather by
// indices computed from one, so they decompose into r1 ops that run on
// every target.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// The static extent of dim `axis` of `value`, or an error.
FailureOr<int64_t> staticDim(OnnxNode &node, Value value, int64_t axis, StringRef what) {
  auto shape = getShapeOf(value);
  if (!shape || (*shape)[axis] == kDynamic)
    return node.emitError() << "needs a static " << what, failure();
  return (*shape)[axis];
}

/// 1 at the first largest element along `axis`, 0 elsewhere. Before opset
/// 13 the input was seen as 2-D (dims before `axis` by the rest).
Result legalizeHardmax(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank)
    return node.emitError() << "needs a ranked input", failure();
  OpBuilder &b = node.getBuilder();
  bool coerced = node.getOpset() < 13;
  std::optional<int64_t> axis = normalizeAxis(node.getInt("axis", coerced ? 1 : -1), *rank);
  if (!axis)
    return node.emitError() << "axis is out of range", failure();
  Value input = *x;
  int64_t workRank = *rank;
  if (coerced) {
    input = node.create<FlattenOp>(*x, b.getI64IntegerAttr(*axis));
    axis = 1;
    workRank = 2;
  }
  FailureOr<int64_t> extent = staticDim(node, input, *axis, "extent along the axis");
  if (failed(extent))
    return failure();
  Value best = node.create<ArgMaxOp>(input, b.getI64IntegerAttr(*axis), b.getBoolAttr(true),
                                     b.getBoolAttr(false));
  Value hot = node.create<EqualOp>(node.iota(*extent, *axis, workRank), best);
  Value y = node.create<CastOp>(hot, TypeAttr::get(getElementTypeOf(*x)));
  if (coerced)
    y = node.create<ReshapeOp>(
        y, node.create<ShapeOp>(*x, b.getI64IntegerAttr(0), b.getI64IntegerAttr(*rank)),
        b.getBoolAttr(false));
  return results(y);
}

/// values[1] where the index equals the position along the new `axis`,
/// values[0] elsewhere; negative indices count from `depth`.
Result legalizeOneHot(OnnxNode &node) {
  FailureOr<Value> indices = node.requiredInput(0), values = node.requiredInput(2);
  std::optional<double> depth = node.constantScalar(1);
  if (failed(indices) || failed(values))
    return failure();
  std::optional<int64_t> rank = getRankOf(*indices);
  if (!rank)
    return node.emitError() << "needs ranked indices", failure();
  std::optional<int64_t> axis = normalizeAxis(node.getInt("axis", -1), *rank + 1);
  if (!axis)
    return node.emitError() << "axis is out of range", failure();
  // A depth given as data is the extent the model declares along the axis.
  if (auto shape = node.declaredShape(0); !depth && shape && int64_t(shape->size()) == *rank + 1)
    depth = double((*shape)[*axis]);
  if (!depth)
    return node.emitError() << "depth must be a constant, or the output's shape declared in "
                               "the model",
           failure();
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  int64_t classes = int64_t(*depth);
  Value index = *indices;
  if (getElementTypeOf(index) != i64)
    index = node.create<CastOp>(index, TypeAttr::get(i64));
  Value negative = node.create<LessOp>(index, node.scalar(i64, 0));
  index = node.create<WhereOp>(negative, node.create<AddOp>(index, node.scalar(i64, classes)),
                               index);
  Value hot = node.create<EqualOp>(node.create<UnsqueezeOp>(index, b.getDenseI64ArrayAttr(*axis)),
                                   node.iota(classes, *axis, *rank + 1));
  auto pick = [&](int64_t which) {
    return node.create<GatherOp>(*values, node.scalar(i64, which), b.getI64IntegerAttr(0));
  };
  return results(node.create<WhereOp>(hot, pick(1), pick(0)));
}

/// Ones on diagonal `k` of a 2-D tensor shaped like the input.
Result legalizeEyeLike(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() != 2 || (*shape)[0] == kDynamic || (*shape)[1] == kDynamic)
    return node.emitError() << "needs a static 2-D input", failure();
  Type element = getElementTypeOf(*x);
  if (node.hasAttr("dtype")) {
    FailureOr<Type> type = getOnnxElementType(node, node.getInt("dtype", 1));
    if (failed(type))
      return failure();
    element = *type;
  }
  Type i64 = node.getBuilder().getI64Type();
  Value diagonal = node.create<SubOp>(node.iota((*shape)[1], 1, 2), node.iota((*shape)[0], 0, 2));
  Value on = node.create<EqualOp>(diagonal, node.scalar(i64, node.getInt("k", 0)));
  return results(node.create<CastOp>(on, TypeAttr::get(element)));
}

/// y[i] = sum of x[j] along `axis` for j <= i (j < i exclusive; j >= i,
/// j > i reversed): x times a [L, L] mask of which j each i sums, reduced.
FailureOr<Value> cumulativeSum(OnnxNode &node, Value x, int64_t axis, int64_t rank, bool exclusive,
                               bool reverse) {
  FailureOr<int64_t> extent = staticDim(node, x, axis, "extent along the axis");
  if (failed(extent))
    return failure();
  OpBuilder &b = node.getBuilder();
  // Mask dims: [i at axis, j at axis + 1], trailing ones for the dims after.
  Value i = node.iota(*extent, axis, rank + 1), j = node.iota(*extent, axis + 1, rank + 1);
  Value summed = reverse ? (exclusive ? Value(node.create<GreaterOp>(j, i))
                                      : Value(node.create<GreaterEqualOp>(j, i)))
                         : (exclusive ? Value(node.create<LessOp>(j, i))
                                      : Value(node.create<LessEqualOp>(j, i)));
  Value mask = node.create<CastOp>(summed, TypeAttr::get(getElementTypeOf(x)));
  Value spread = node.create<UnsqueezeOp>(x, b.getDenseI64ArrayAttr({axis}));
  Value terms = node.create<MulOp>(spread, mask);
  return Value(node.create<ReduceSumOp>(terms, Value(), b.getDenseI64ArrayAttr({axis + 1}),
                                        b.getBoolAttr(false), b.getBoolAttr(false)));
}

/// A constant axis sums along it; an axis the graph computes (the result's
/// shape does not depend on it) sums along every axis and selects the one
/// the axis names at run time.
Result legalizeCumSum(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), axisInput = node.requiredInput(1);
  if (failed(x) || failed(axisInput))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank)
    return node.emitError() << "needs a ranked input", failure();
  bool exclusive = node.getInt("exclusive", 0) != 0, reverse = node.getInt("reverse", 0) != 0;
  if (std::optional<SmallVector<int64_t>> axisValues = node.constantInts(1)) {
    std::optional<int64_t> axis =
        axisValues->size() == 1 ? normalizeAxis((*axisValues)[0], *rank) : std::nullopt;
    if (!axis)
      return node.emitError() << "axis must be one value in range", failure();
    FailureOr<Value> y = cumulativeSum(node, *x, *axis, *rank, exclusive, reverse);
    return failed(y) ? Result(failure()) : results(*y);
  }
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Value axis = node.dataAxis(*axisInput, *rank);
  Value y;
  for (int64_t a = *rank - 1; a >= 0; --a) {
    FailureOr<Value> sum = cumulativeSum(node, *x, a, *rank, exclusive, reverse);
    if (failed(sum))
      return failure();
    y = y ? Value(node.create<WhereOp>(node.create<EqualOp>(axis, node.scalar(i64, a)), *sum, y))
          : *sum;
  }
  return results(y);
}

/// out[t, b] = in[len[b] - 1 - t, b] for t < len[b], else in[t, b]: a
/// gather along the time axis by indices computed from the lengths.
Result legalizeReverseSequence(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), lengths = node.requiredInput(1);
  if (failed(x) || failed(lengths))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank || *rank < 2)
    return node.emitError() << "needs an input of rank 2 or more", failure();
  int64_t timeAxis = node.getInt("time_axis", 0), batchAxis = node.getInt("batch_axis", 1);
  if (!((timeAxis == 0 && batchAxis == 1) || (timeAxis == 1 && batchAxis == 0)))
    return node.emitError() << "time_axis and batch_axis must be 0 and 1", failure();
  FailureOr<int64_t> steps = staticDim(node, *x, timeAxis, "time dim");
  if (failed(steps))
    return failure();
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Value t = node.iota(*steps, timeAxis, 2);
  Value length = node.create<CastOp>(*lengths, TypeAttr::get(i64));
  length = node.create<UnsqueezeOp>(length, b.getDenseI64ArrayAttr({timeAxis}));
  Value reversed = node.create<SubOp>(node.create<SubOp>(length, node.scalar(i64, 1)), t);
  Value index = node.create<WhereOp>(node.create<LessOp>(t, length), reversed, t);
  SmallVector<int64_t> trailing;
  for (int64_t d = 2; d < *rank; ++d)
    trailing.push_back(d);
  if (!trailing.empty())
    index = node.create<UnsqueezeOp>(index, b.getDenseI64ArrayAttr(trailing));
  Value full = node.create<ExpandOp>(
      index, node.create<ShapeOp>(*x, b.getI64IntegerAttr(0), b.getI64IntegerAttr(*rank)));
  return results(node.create<GatherElementsOp>(*x, full, b.getI64IntegerAttr(timeAxis)));
}

/// Crops (centred, the extra element at the end) or zero-pads (the extra
/// at the end) each listed axis to the target size: one pad, negative
/// where it crops.
Result legalizeCenterCropPad(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  std::optional<SmallVector<int64_t>> sizes = node.constantInts(1);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape)
    return node.emitError() << "needs a ranked input", failure();
  int64_t rank = shape->size();
  SmallVector<int64_t> axes;
  if (auto listed = node.getInts("axes"))
    axes = *listed;
  else
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  // Sizes given as data are the extents the model declares.
  if (auto declared = node.declaredShape(0); !sizes && declared && int64_t(declared->size()) == rank) {
    sizes.emplace();
    for (int64_t listed : axes)
      if (std::optional<int64_t> axis = normalizeAxis(listed, rank))
        sizes->push_back((*declared)[*axis]);
  }
  if (!sizes)
    return node.emitError() << "shape must be a constant, or the output's shape declared in the "
                               "model",
           failure();
  if (axes.size() != sizes->size())
    return node.emitError() << "shape has " << sizes->size() << " sizes for " << axes.size()
                            << " axes",
           failure();
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [listed, size] : llvm::zip(axes, *sizes)) {
    std::optional<int64_t> axis = normalizeAxis(listed, rank);
    if (!axis || (*shape)[*axis] == kDynamic)
      return node.emitError() << "axis " << listed << " is out of range or dynamic", failure();
    int64_t dim = (*shape)[*axis];
    if (size >= dim) {
      pads[*axis] = (size - dim) / 2;
      pads[*axis + rank] = size - dim - pads[*axis];
    } else {
      pads[*axis] = -((dim - size) / 2);
      pads[*axis + rank] = -(dim - size - (dim - size) / 2);
    }
  }
  OpBuilder &b = node.getBuilder();
  return results(node.create<PadOp>(*x, b.getDenseI64ArrayAttr(pads), b.getStringAttr("constant"),
                                    b.getF64FloatAttr(0)));
}

/// The slices along `axis` (of the flattened input without one) whose
/// condition is true: the input gathered at the positions r1.non_zero
/// packs, as many as the data makes true (or as the model declares).
/// A condition shorter than the axis leaves the slices past it out.
Result legalizeCompress(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), condition = node.requiredInput(1);
  if (failed(x) || failed(condition))
    return failure();
  OpBuilder &b = node.getBuilder();
  Value input = *x;
  int64_t axis = 0;
  if (node.hasAttr("axis")) {
    std::optional<int64_t> rank = getRankOf(input);
    std::optional<int64_t> normalized =
        rank ? normalizeAxis(node.getInt("axis", 0), *rank) : std::nullopt;
    if (!normalized)
      return node.emitError() << "axis is out of range", failure();
    axis = *normalized;
  } else {
    input = node.create<ReshapeOp>(input, node.i64Vector({-1}), b.getBoolAttr(false));
  }
  auto conditionShape = getShapeOf(*condition);
  if (!conditionShape || conditionShape->size() != 1 || (*conditionShape)[0] == kDynamic)
    return node.emitError() << "needs a condition of static length", failure();
  auto inputShape = getShapeOf(input);
  int64_t extent = inputShape ? (*inputShape)[axis] : kDynamic;
  if (extent != kDynamic && (*conditionShape)[0] > extent)
    return node.emitError() << "condition has " << (*conditionShape)[0] << " values for an axis of "
                            << extent,
           failure();
  auto nonZero = node.create<NonZeroOp>(*condition);
  Value positions =
      node.create<ReshapeOp>(nonZero.getPositions(), node.i64Vector({-1}), b.getBoolAttr(false));
  Value gathered = node.create<GatherOp>(input, positions, b.getI64IntegerAttr(axis));
  FailureOr<Value> kept = node.leadingEntries(0, gathered, nonZero.getCount(), axis);
  return failed(kept) ? Result(failure()) : results(*kept);
}

/// The indices of the nonzero elements, [rank, count], in row-major order,
/// as many as the data has (or as the model declares).
Result legalizeNonZero(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || llvm::is_contained(*shape, kDynamic))
    return node.emitError() << "needs an input of static shape", failure();
  if (shape->empty())
    return node.emitError() << "needs an input of rank 1 or more", failure();
  auto nonZero = node.create<NonZeroOp>(*x);
  FailureOr<Value> kept = node.leadingEntries(0, nonZero.getPositions(), nonZero.getCount(), 1);
  return failed(kept) ? Result(failure()) : results(*kept);
}

} // namespace

void mlir::r1::addIndexingOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"CenterCropPad", 18, legalizeCenterCropPad},
      {"Compress", 9, legalizeCompress},
      {"CumSum", 11, legalizeCumSum},
      {"EyeLike", 9, legalizeEyeLike},
      {"Hardmax", 1, legalizeHardmax},
      {"NonZero", 9, legalizeNonZero},
      {"OneHot", 9, legalizeOneHot},
      {"ReverseSequence", 10, legalizeReverseSequence},
  });
}
