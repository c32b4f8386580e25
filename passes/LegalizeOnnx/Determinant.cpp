//===- Determinant.cpp - Det of small matrices ----------------------------===//
//
// The determinant of each [n, n] matrix of a batch. Up to 4 x 4 it is the
// signed sum over permutations of products of entries (at most 24 terms),
// which needs no pivoting decided by the data. Larger matrices are reduced
// by Gaussian elimination with partial pivoting, unrolled over the n
// columns: each step picks every matrix's largest pivot by an argmax,
// swaps it into place by one-hot selects, and eliminates below it.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Matrices beyond this size would unroll into too many steps.
constexpr int64_t kMaxEliminatedSize = 128;

/// det(x) for x [..., n, n] by elimination with partial pivoting.
Value eliminate(OnnxNode &node, Value x, int64_t n, int64_t rank) {
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(x), i64 = b.getI64Type();
  auto slice = [&](Value v, int64_t axis, int64_t from, int64_t to) {
    return node.create<SliceOp>(v, b.getDenseI64ArrayAttr({axis}), b.getDenseI64ArrayAttr({from}),
                                b.getDenseI64ArrayAttr({to}), b.getDenseI64ArrayAttr({1}));
  };
  auto squeeze = [&](Value v, int64_t axis) {
    return node.create<SqueezeOp>(v, b.getDenseI64ArrayAttr({axis}));
  };
  auto unsqueeze = [&](Value v, int64_t axis) {
    return node.create<UnsqueezeOp>(v, b.getDenseI64ArrayAttr({axis}));
  };
  int64_t rowAxis = rank - 2, colAxis = rank - 1;
  Value one = node.scalar(element, 1), zero = node.scalar(element, 0);
  // The active [..., m, m] block; its first row and column are the pivot's.
  Value block = x, det;
  for (int64_t m = n; m >= 1; --m) {
    Value column = squeeze(slice(block, colAxis, 0, 1), colAxis); // [..., m]
    Value pick = node.create<ArgMaxOp>(node.create<AbsOp>(column), b.getI64IntegerAttr(rank - 2),
                                       b.getBoolAttr(true), b.getBoolAttr(false)); // [..., 1]
    Value chosen = node.create<EqualOp>(node.iota(m, rank - 2, rank - 1), pick);   // [..., m]
    Value chosenRows = unsqueeze(chosen, colAxis);                                 // [..., m, 1]
    Value pivotRow = node.create<ReduceSumOp>(
        node.create<WhereOp>(chosenRows, block, zero), Value(), b.getDenseI64ArrayAttr({rowAxis}),
        b.getBoolAttr(true), b.getBoolAttr(false)); // [..., 1, m]
    Value firstRow = slice(block, rowAxis, 0, 1);   // [..., 1, m]
    // Rows swap: the pivot row moves to the top, the top row to its place.
    Value isTop = node.create<EqualOp>(node.iota(m, rank - 2, rank), node.scalar(i64, 0));
    Value swapped =
        node.create<WhereOp>(isTop, pivotRow, node.create<WhereOp>(chosenRows, firstRow, block));
    Value pivot = squeeze(squeeze(slice(pivotRow, colAxis, 0, 1), colAxis), rowAxis); // [...]
    Value moved =
        node.create<NotOp>(node.create<EqualOp>(squeeze(pick, rank - 2), node.scalar(i64, 0)));
    Value signedPivot = node.create<WhereOp>(moved, node.create<NegOp>(pivot), pivot);
    det = det ? Value(node.create<MulOp>(det, signedPivot)) : signedPivot;
    if (m == 1)
      break;
    // Below the pivot: row -= (row's first entry / pivot) * pivot row. A
    // zero pivot already made det zero; dividing by one keeps it finite.
    Value below = slice(swapped, rowAxis, 1, m); // [..., m-1, m]
    Value safe = node.create<WhereOp>(node.create<EqualOp>(pivot, zero), one, pivot);
    Value factor = node.create<DivOp>(slice(below, colAxis, 0, 1),
                                      unsqueeze(unsqueeze(safe, rank - 2), rank - 1));
    Value rest = node.create<SubOp>(below, node.create<MulOp>(factor, pivotRow));
    block = slice(rest, colAxis, 1, m);
  }
  return det;
}

FailureOr<SmallVector<Value>> legalizeDet(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() < 2 || (*shape)[shape->size() - 1] == kDynamic ||
      shape->back() != (*shape)[shape->size() - 2])
    return node.emitError() << "needs square matrices of static size", failure();
  int64_t n = shape->back(), rank = shape->size();
  if (n < 1 || n > kMaxEliminatedSize)
    return node.emitError() << "supports matrices up to " << kMaxEliminatedSize << " x "
                            << kMaxEliminatedSize << ", not " << n << " x " << n,
           failure();
  if (n > 4)
    return SmallVector<Value>{eliminate(node, *x, n, rank)};
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  // entry(i, j): [...] for every matrix of the batch.
  auto entry = [&](int64_t i, int64_t j) {
    Value row = node.create<GatherOp>(*x, node.scalar(i64, i), b.getI64IntegerAttr(rank - 2));
    return node.create<GatherOp>(row, node.scalar(i64, j), b.getI64IntegerAttr(rank - 2));
  };
  SmallVector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Value det;
  do {
    int64_t inversions = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        inversions += perm[i] > perm[j];
    Value term = entry(0, perm[0]);
    for (int64_t i = 1; i < n; ++i)
      term = node.create<MulOp>(term, entry(i, perm[i]));
    if (!det)
      det = inversions % 2 ? Value(node.create<NegOp>(term)) : term;
    else
      det = inversions % 2 ? Value(node.create<SubOp>(det, term))
                           : Value(node.create<AddOp>(det, term));
  } while (std::next_permutation(perm.begin(), perm.end()));
  return SmallVector<Value>{det};
}

} // namespace

void mlir::r1::addDeterminantOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({{"Det", 11, legalizeDet}});
}
