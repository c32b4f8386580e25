//===- ContractionAnchors.cpp - Host code for matmul ----------------------===//
//
// Reference loop nest: for each row, zero it, then accumulate a * B[k, :]
// over k, so the innermost loop is a unit-stride multiply-add that O3
// vectorizes. Columns are taken in blocks whose slice of B fits in L2, so B
// streams from memory once per block instead of once per row. The packed,
// register-blocked template of docs/design/host-codegen.md replaces it.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {

LogicalResult emitMatMul(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                         ArrayRef<llvm::Value *> outputs) {
  auto op = cast<MatMulOp>(anchor);
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bType = cast<RankedTensorType>(op.getRhs().getType());
  auto c = cast<RankedTensorType>(op.getType());
  Type element = a.getElementType();
  if (!isa<FloatType>(element))
    return op.emitOpError("host code supports float matmul only");
  // 1-D operands are a row (lhs) or a column (rhs) of a 2-D product.
  SmallVector<int64_t> aShape(a.getShape()), bShape(bType.getShape());
  if (aShape.size() == 1)
    aShape.insert(aShape.begin(), 1);
  if (bShape.size() == 1)
    bShape.push_back(1);
  int64_t m = aShape[aShape.size() - 2], k = aShape.back(), n = bShape.back();
  ArrayRef<int64_t> aBatch = ArrayRef(aShape).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef(bShape).drop_back(2);
  SmallVector<int64_t> batch(c.getShape().begin(),
                             c.getShape().begin() + std::max(aBatch.size(), bBatch.size()));
  llvm::IRBuilder<> &b = kb.b;
  llvm::Value *lhs = inputs[0], *rhs = inputs[1], *out = outputs[0];
  // Columns per block: the block's k x width slice of B stays under 1 MiB.
  int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  int64_t width = std::max<int64_t>(16, (int64_t(1) << 20) / (bytes * std::max<int64_t>(k, 1)));
  width = std::min(n, width / 16 * 16);
  int64_t fullBlocks = width > 0 ? n / width : 0, tail = n - fullBlocks * width;

  // One block of columns [first, first + count) for every row.
  auto emitBlock = [&](llvm::Value *aBase, llvm::Value *bBase, llvm::Value *cBase,
                       llvm::Value *first, int64_t count) {
    kb.loop(m, [&](llvm::Value *row) {
      llvm::Value *cRow = b.CreateAdd(cBase, b.CreateAdd(b.CreateMul(row, kb.i64(n)), first));
      kb.loop(count, [&](llvm::Value *col) {
        kb.store(kb.constant(element, 0), out, b.CreateAdd(cRow, col), element);
      });
      kb.loop(k, [&](llvm::Value *kk) {
        llvm::Value *aValue =
            kb.load(lhs, b.CreateAdd(aBase, b.CreateAdd(b.CreateMul(row, kb.i64(k)), kk)), element);
        llvm::Value *bRow = b.CreateAdd(bBase, b.CreateAdd(b.CreateMul(kk, kb.i64(n)), first));
        kb.loop(count, [&](llvm::Value *col) {
          llvm::Value *offset = b.CreateAdd(cRow, col);
          llvm::Value *sum =
              b.CreateFAdd(kb.load(out, offset, element),
                           b.CreateFMul(aValue, kb.load(rhs, b.CreateAdd(bRow, col), element)));
          kb.store(sum, out, offset, element);
        });
      });
    });
  };
  kb.loopNest(batch, [&](ArrayRef<llvm::Value *> indices) {
    llvm::Value *aBase = b.CreateMul(kb.broadcastOffset(indices, aBatch), kb.i64(m * k));
    llvm::Value *bBase = b.CreateMul(kb.broadcastOffset(indices, bBatch), kb.i64(k * n));
    llvm::Value *cBase = b.CreateMul(kb.offset(indices, batch), kb.i64(m * n));
    kb.loop(fullBlocks, [&](llvm::Value *block) {
      emitBlock(aBase, bBase, cBase, b.CreateMul(block, kb.i64(width)), width);
    });
    if (tail > 0)
      emitBlock(aBase, bBase, cBase, kb.i64(fullBlocks * width), tail);
  });
  return success();
}

} // namespace r1c
