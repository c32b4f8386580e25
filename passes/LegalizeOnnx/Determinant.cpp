//===- Determinant.cpp - Det of small matrices ----------------------------===//
//
// The determinant of each [n, n] matrix of a batch, for n up to 4, as the
// signed sum over permutations of products of entries (at most 24 terms),
// which needs no pivoting decided by the data.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::r1;

namespace {

FailureOr<SmallVector<Value>> legalizeDet(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() < 2 || (*shape)[shape->size() - 1] == kDynamic ||
      shape->back() != (*shape)[shape->size() - 2])
    return node.emitError() << "needs square matrices of static size", failure();
  int64_t n = shape->back(), rank = shape->size();
  if (n < 1 || n > 4)
    return node.emitError() << "supports matrices up to 4 x 4, not " << n << " x " << n, failure();
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
