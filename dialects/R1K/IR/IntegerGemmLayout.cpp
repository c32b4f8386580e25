//===- IntegerGemmLayout.cpp - Integer contractions as packed GEMMs -------===//
#include "dialects/R1K/IR/IntegerGemmLayout.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::r1k;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

int64_t IntegerGemmDims::batchCount() const { return product(batch); }
int64_t IntegerGemmDims::aCount() const { return groups ? groups : product(aBatch); }
int64_t IntegerGemmDims::bCount() const { return groups ? batchCount() : product(bBatch); }

std::optional<IntegerGemmDims> mlir::r1k::getIntegerGemmDims(Operation *anchor) {
  IntegerGemmDims dims;
  if (auto matmul = dyn_cast<r1::MatMulIntegerOp>(anchor)) {
    auto a = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    auto b = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
    auto c = dyn_cast<RankedTensorType>(matmul.getType());
    if (!a || !b || !c || !a.hasStaticShape() || !b.hasStaticShape() || !c.hasStaticShape())
      return std::nullopt;
    dims.m = a.getDimSize(a.getRank() - 2);
    dims.k = a.getShape().back();
    dims.n = b.getShape().back();
    dims.aBatch.assign(a.getShape().begin(), a.getShape().end() - 2);
    dims.bBatch.assign(b.getShape().begin(), b.getShape().end() - 2);
    dims.batch.assign(c.getShape().begin(), c.getShape().end() - 2);
    return dims;
  }
  auto conv = dyn_cast<r1::ConvIntegerOp>(anchor);
  if (!conv)
    return std::nullopt;
  auto x = dyn_cast<RankedTensorType>(conv.getInput().getType());
  auto w = dyn_cast<RankedTensorType>(conv.getWeight().getType());
  auto y = dyn_cast<RankedTensorType>(conv.getType());
  if (!x || !w || !y || !x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape())
    return std::nullopt;
  dims.groups = conv.getGroup();
  dims.m = w.getDimSize(0) / dims.groups;
  dims.k = product(w.getShape().drop_front(1));
  dims.n = product(y.getShape().drop_front(2));
  dims.batch = {y.getDimSize(0), dims.groups};
  return dims;
}

IntegerGemmScratch mlir::r1k::getIntegerGemmScratch(const IntegerGemmDims &dims,
                                                    HostIntegerGemmAttr variant) {
  IntegerGemmScratch scratch;
  scratch.panels = llvm::divideCeil(dims.n, variant.getNr());
  scratch.aBytes = llvm::alignTo(dims.aCount() * dims.m * dims.kPairs() * 4, 64);
  scratch.bOffset = scratch.aBytes;
  int64_t bBytes = dims.bCount() * scratch.panels * dims.kPairs() * variant.getNr() * 4;
  scratch.bytes = scratch.bOffset + llvm::alignTo(bBytes, 64);
  return scratch;
}
