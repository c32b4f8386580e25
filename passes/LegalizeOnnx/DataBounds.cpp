//===- DataBounds.cpp - Slice and Pad whose bounds are data ---------------===//
//
// When Slice's starts, ends, axes or steps, or Pad's pads, are graph inputs
// rather than constants, the result's shape depends on their values. r1c
// compiles static shapes, so it takes that shape from the model's declared
// output type, and computes the element each output reads from the data at
// run time: one gather per dim with indices built from a range, which runs
// on every target. A model whose data disagree with its declared shape is
// not valid ONNX.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

struct Indices {
  OnnxNode &node;
  Type i64;

  explicit Indices(OnnxNode &node) : node(node), i64(node.getBuilder().getI64Type()) {}

  Value constant(int64_t value) { return node.scalar(i64, value); }
  Value add(Value a, Value b) { return node.create<AddOp>(a, b); }
  Value sub(Value a, Value b) { return node.create<SubOp>(a, b); }
  Value mul(Value a, Value b) { return node.create<MulOp>(a, b); }
  Value max(Value a, Value b) { return node.create<MaxOp>(a, b); }
  Value min(Value a, Value b) { return node.create<MinOp>(a, b); }
  Value clamp(Value x, Value lo, Value hi) { return min(max(x, lo), hi); }
  Value select(Value c, Value a, Value b) { return node.create<WhereOp>(c, a, b); }
  Value less(Value a, Value b) { return node.create<LessOp>(a, b); }
  Value greater(Value a, Value b) { return node.create<GreaterOp>(a, b); }

  /// The i64 elements of an integer input.
  Value input(Value value) {
    if (getElementTypeOf(value) == i64)
      return value;
    return node.create<CastOp>(value, TypeAttr::get(i64));
  }
  /// Per dim of a rank-`rank` tensor, the entry of `values` whose entry of
  /// `axes` names it (negative axes count from the end), else `fallback`.
  Value pickByAxis(Value values, Value axes, int64_t dim, int64_t rank, int64_t fallback) {
    OpBuilder &b = node.getBuilder();
    Value normalized = select(less(axes, constant(0)), add(axes, constant(rank)), axes);
    Value named = node.create<EqualOp>(normalized, constant(dim));
    Value picked = node.create<ReduceSumOp>(select(named, values, constant(0)), Value(),
                                            b.getDenseI64ArrayAttr({}), b.getBoolAttr(false),
                                            b.getBoolAttr(false));
    Value count = node.create<ReduceSumOp>(
        node.create<CastOp>(named, TypeAttr::get(i64)), Value(), b.getDenseI64ArrayAttr({}),
        b.getBoolAttr(false), b.getBoolAttr(false));
    return select(greater(count, constant(0)), picked, constant(fallback));
  }
  /// `vector` ([extent]) shaped to lie along dim `dim` of rank `rank`.
  Value along(Value vector, int64_t extent, int64_t dim, int64_t rank) {
    SmallVector<int64_t> shape(rank, 1);
    shape[dim] = extent;
    return node.create<ReshapeOp>(vector, node.i64Vector(shape),
                                  node.getBuilder().getBoolAttr(false));
  }
  /// `x` with dim `dim` cut to nothing.
  Value empty(Value x, int64_t dim) {
    OpBuilder &b = node.getBuilder();
    return node.create<SliceOp>(x, b.getDenseI64ArrayAttr({dim}), b.getDenseI64ArrayAttr({0}),
                                b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({1}));
  }
  Value gather(Value x, Value indices, int64_t dim) {
    return node.create<GatherOp>(x, indices, node.getBuilder().getI64IntegerAttr(dim));
  }
};

/// The declared result shape, checked against the input's rank and static.
FailureOr<SmallVector<int64_t>> declaredResultShape(OnnxNode &node, Value x, StringRef what) {
  auto inShape = getShapeOf(x);
  std::optional<SmallVector<int64_t>> shape = node.declaredShape(0);
  if (!inShape || llvm::is_contained(*inShape, kDynamic) || !shape ||
      shape->size() != inShape->size())
    return node.emitError() << what << " are data, which needs a static input and the output's "
                                       "shape declared in the model",
           failure();
  return *shape;
}

} // namespace

FailureOr<SmallVector<Value>> mlir::r1::legalizeSliceWithDataBounds(OnnxNode &node, Value x) {
  FailureOr<SmallVector<int64_t>> outShape = declaredResultShape(node, x, "slice bounds");
  if (failed(outShape))
    return failure();
  SmallVector<int64_t> inShape = *getShapeOf(x);
  int64_t rank = inShape.size();
  Indices ix(node);
  Value starts = ix.input(node.input(1));
  Value axes = node.input(3) ? ix.input(node.input(3)) : Value();
  if (!axes) {
    std::optional<int64_t> count = getShapeOf(starts) ? std::optional((*getShapeOf(starts))[0])
                                                      : std::nullopt;
    if (!count || *count == kDynamic)
      return node.emitError() << "needs starts of static length", failure();
    axes = node.iota(*count);
  }
  Value steps = node.input(4) ? ix.input(node.input(4)) : Value();
  Value y = x;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t extent = inShape[d];
    if ((*outShape)[d] == 0) {
      y = ix.empty(y, d);
      continue;
    }
    if (extent == 0)
      continue;
    Value start = ix.pickByAxis(starts, axes, d, rank, 0);
    Value step = steps ? ix.pickByAxis(steps, axes, d, rank, 1) : ix.constant(1);
    // ONNX: a negative start counts from the end, then clamps to [0, n]
    // (to [0, n - 1] when stepping backwards).
    Value n = ix.constant(extent);
    start = ix.select(ix.less(start, ix.constant(0)), ix.add(start, n), start);
    Value backwards = ix.less(step, ix.constant(0));
    Value first = ix.select(backwards, ix.clamp(start, ix.constant(0), ix.constant(extent - 1)),
                            ix.clamp(start, ix.constant(0), n));
    Value at = ix.add(first, ix.mul(node.iota((*outShape)[d]), step));
    y = ix.gather(y, ix.clamp(at, ix.constant(0), ix.constant(extent - 1)), d);
  }
  return SmallVector<Value>{y};
}

FailureOr<SmallVector<Value>> mlir::r1::legalizePadWithDataPads(OnnxNode &node, Value x,
                                                                 StringRef mode) {
  FailureOr<SmallVector<int64_t>> outShape = declaredResultShape(node, x, "pads");
  if (failed(outShape))
    return failure();
  SmallVector<int64_t> inShape = *getShapeOf(x);
  int64_t rank = inShape.size();
  Indices ix(node);
  Value pads = ix.input(node.input(1));
  Value axes = node.input(3) ? ix.input(node.input(3)) : node.iota(rank);
  auto axisCount = getShapeOf(axes);
  if (!axisCount || (*axisCount)[0] == kDynamic)
    return node.emitError() << "needs axes of static length", failure();
  int64_t count = (*axisCount)[0];
  // pads = [begins of the listed axes..., ends...].
  OpBuilder &b = node.getBuilder();
  auto half = [&](int64_t first) {
    return node.create<SliceOp>(pads, b.getDenseI64ArrayAttr({0}),
                                b.getDenseI64ArrayAttr({first}),
                                b.getDenseI64ArrayAttr({first + count}),
                                b.getDenseI64ArrayAttr({1}));
  };
  Value begins = half(0), ends = half(count);

  Value y = x, inside;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t extent = inShape[d], produced = (*outShape)[d];
    if (produced == 0) {
      y = ix.empty(y, d);
      continue;
    }
    if (extent == 0)
      return node.emitError() << "pads an empty dim " << d << " with data pads", failure();
    Value begin = ix.pickByAxis(begins, axes, d, rank, 0);
    Value end = ix.pickByAxis(ends, axes, d, rank, 0);
    // Negative pads crop first: the modes work within [lo, hi].
    Value lo = ix.max(ix.constant(0), ix.sub(ix.constant(0), begin));
    Value hi = ix.sub(ix.constant(extent - 1), ix.max(ix.constant(0), ix.sub(ix.constant(0), end)));
    Value at = ix.sub(node.iota(produced), begin);
    if (mode == "reflect") {
      at = ix.select(ix.less(at, lo), ix.sub(ix.mul(lo, ix.constant(2)), at), at);
      at = ix.select(ix.greater(at, hi), ix.sub(ix.mul(hi, ix.constant(2)), at), at);
    } else if (mode == "wrap") {
      Value width = ix.add(ix.sub(hi, lo), ix.constant(1));
      at = ix.add(lo, node.create<ModOp>(ix.sub(at, lo), width, b.getBoolAttr(false)));
    } else if (mode == "constant") {
      Value kept = node.create<AndOp>(node.create<GreaterEqualOp>(at, lo),
                                      node.create<LessEqualOp>(at, hi));
      kept = ix.along(kept, produced, d, rank);
      inside = inside ? Value(node.create<AndOp>(inside, kept)) : kept;
    }
    y = ix.gather(y, ix.clamp(at, lo, hi), d);
  }
  if (mode != "constant" || !inside)
    return SmallVector<Value>{y};
  Value fill = node.input(2);
  Type element = getElementTypeOf(x);
  fill = fill ? Value(node.create<ReshapeOp>(fill, node.i64Vector({}), b.getBoolAttr(false)))
              : node.scalar(element, 0);
  return SmallVector<Value>{node.create<WhereOp>(inside, y, fill)};
}
