//===- Unique.cpp - Unique as comparisons of every pair -------------------===//
//
// Unique compares the L slices of its input (elements, or slices along the
// axis) pairwise: an [L, L] table of which slices are equal and which sort
// before which. From it, each first occurrence learns its place among the
// unique slices (sorted, or in order of first occurrence), and each slice
// the place of its first occurrence. How many unique slices there are
// depends on the data: the results are computed for as many as there are
// slices, then cut to the unique ones (or as many as the model declares),
// as for NonZero. The pairs
// cost L^2 comparisons, which suits the small vocabularies and label sets
// Unique sees in exported graphs.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// Builds the pairwise tables of `rows` [L, M] and the four results.
class PairwiseUnique {
public:
  PairwiseUnique(OnnxNode &node, int64_t length, int64_t width)
      : node(node), b(node.getBuilder()), i64(b.getI64Type()), length(length), width(width) {}

  /// The slot among the `count` unique rows of each row's first occurrence,
  /// and the first occurrences themselves.
  void compare(Value rows, bool sorted) {
    // [L, 1, M] against [1, L, M]: row i against row j.
    Value left = unsqueeze(rows, 1), right = unsqueeze(rows, 0);
    Value differ = node.create<NotOp>(node.create<EqualOp>(left, right));
    same = node.create<EqualOp>(sumOver(differ, 2), node.scalar(i64, 0));
    Value i = node.iota(length, 0, 2), j = node.iota(length, 1, 2);
    Value earlierSame = node.create<AndOp>(same, node.create<LessOp>(j, i));
    first = node.create<EqualOp>(sumOver(earlierSame, 1), node.scalar(i64, 0));
    // Row j counts before row i when it is a first occurrence that sorts
    // before row i (or, unsorted, comes before it).
    Value before;
    if (sorted) {
      // Rows compare at the first element where they differ.
      Value firstDiffer =
          node.create<ArgMaxOp>(node.create<CastOp>(differ, TypeAttr::get(i64)),
                                b.getI64IntegerAttr(2), b.getBoolAttr(true), b.getBoolAttr(false));
      Value decides =
          node.create<AndOp>(node.create<EqualOp>(node.iota(width, 2, 3), firstDiffer), differ);
      Value greater = node.create<AndOp>(decides, node.create<GreaterOp>(left, right));
      before = node.create<GreaterOp>(sumOver(greater, 2), node.scalar(i64, 0));
    } else {
      before = node.create<LessOp>(j, i);
    }
    Value counted = node.create<AndOp>(before, unsqueeze(first, 0));
    slotOfRow = sumOver(counted, 1);
  }

  /// The row index of each of the `count` unique rows, in output order.
  Value rowOfSlot(int64_t count) {
    Value match = node.create<AndOp>(
        node.create<EqualOp>(node.iota(count, 0, 2), unsqueeze(slotOfRow, 0)), unsqueeze(first, 0));
    Value picked = node.create<MulOp>(toI64(match), node.iota(length, 1, 2));
    return sumOver(picked, 1);
  }

  /// For each row, the slot of the unique row equal to it.
  Value inverse() {
    Value firstEqual = node.create<AndOp>(same, unsqueeze(first, 1));
    return sumOver(node.create<MulOp>(toI64(firstEqual), unsqueeze(slotOfRow, 1)), 0);
  }

  /// How many unique rows there are, as a one-element i64 tensor.
  Value uniqueCount() {
    return node.create<ReshapeOp>(sumOver(first, 0), node.i64Vector({1}), b.getBoolAttr(false));
  }

  /// How many rows equal each row.
  Value occurrences() { return sumOver(same, 1); }

private:
  Value unsqueeze(Value v, int64_t axis) {
    return node.create<UnsqueezeOp>(v, b.getDenseI64ArrayAttr({axis}));
  }
  Value toI64(Value v) { return node.create<CastOp>(v, TypeAttr::get(i64)); }
  /// The sum along `axis` (dropped), booleans counted as 0 and 1.
  Value sumOver(Value v, int64_t axis) {
    if (getElementTypeOf(v) != i64)
      v = toI64(v);
    return node.create<ReduceSumOp>(v, Value(), b.getDenseI64ArrayAttr({axis}),
                                    b.getBoolAttr(false), b.getBoolAttr(false));
  }

  OnnxNode &node;
  OpBuilder &b;
  Type i64;
  int64_t length, width;
  /// same[i, j]: rows i and j are equal. first[i]: no earlier row equals i.
  Value same, first;
  /// Where each first occurrence goes among the unique rows.
  Value slotOfRow;
};

Result legalizeUnique(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || llvm::is_contained(*shape, kDynamic))
    return node.emitError() << "needs a static input", failure();
  OpBuilder &b = node.getBuilder();
  int64_t rank = shape->size();
  // The slices compared, as rows [L, M], and the tensor Y gathers from.
  Value source = *x, rows;
  int64_t axis = 0, length, width;
  if (node.hasAttr("axis")) {
    std::optional<int64_t> normalized = normalizeAxis(node.getInt("axis", 0), rank);
    if (!normalized)
      return node.emitError() << "axis is out of range", failure();
    axis = *normalized;
    length = (*shape)[axis];
    width = length ? productOfDims(*shape) / length : 0;
    SmallVector<int64_t> perm = {axis};
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        perm.push_back(d);
    rows = node.create<ReshapeOp>(node.create<TransposeOp>(*x, b.getDenseI64ArrayAttr(perm)),
                                  node.i64Vector({length, width}), b.getBoolAttr(false));
  } else {
    length = productOfDims(*shape);
    width = 1;
    source = node.create<ReshapeOp>(*x, node.i64Vector({-1}), b.getBoolAttr(false));
    rows = node.create<ReshapeOp>(*x, node.i64Vector({length, 1}), b.getBoolAttr(false));
  }
  if (length == 0 || width == 0)
    return node.emitError() << "needs a non-empty input", failure();

  PairwiseUnique unique(node, length, width);
  unique.compare(rows, node.getInt("sorted", 1) != 0);
  // Every row may be unique: Y, indices and counts are computed for L
  // slots, then cut to the unique ones.
  Value indices = unique.rowOfSlot(length);
  Value y = node.create<GatherOp>(source, indices, b.getI64IntegerAttr(axis));
  Value counts = node.create<GatherOp>(unique.occurrences(), indices, b.getI64IntegerAttr(0));
  SmallVector<Value> outputs = {y, indices, unique.inverse(), counts};
  outputs.resize(std::min<size_t>(outputs.size(), node.getNumOutputs()));
  Value count = unique.uniqueCount();
  for (unsigned output : {0u, 1u, 3u}) {
    if (output >= outputs.size())
      continue;
    FailureOr<Value> kept =
        node.leadingEntries(output, outputs[output], count, output == 0 ? axis : 0);
    if (failed(kept))
      return failure();
    outputs[output] = *kept;
  }
  return outputs;
}

} // namespace

void mlir::r1::addUniqueOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({{"Unique", 11, legalizeUnique}});
}
