//===- ContractionAnchors.cpp - Host code for matmul ----------------------===//
//
// Reference loop nest: for each row, zero it, then accumulate a * B[k, :]
// over k, so the innermost loop is a unit-stride multiply-add that O3
// vectorizes. C is computed in tiles of up to 64 rows by a block of columns
// whose slice of B fits in L2, so B is read from L2 for the tile's rows;
// tiles are independent, which makes them the tasks of a thread split.
// 16-bit floats accumulate in f32 and round once per element of C (or keep
// the f32 sums, for a result of f32). The
// packed, register-blocked template of docs/design/host-codegen.md
// replaces it.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/R1Ops.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {

/// The widest column block of a 16-bit float matmul: its f32 row of sums
/// (16 KiB) lives on the stack.
constexpr int64_t kMaxWidenedColumns = 4096;

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
  // Columns per block: the block's k x width slice of B stays under 1 MiB.
  // A width that divides n keeps every block's loop count static.
  int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  int64_t width = std::max<int64_t>(16, (int64_t(1) << 20) / (bytes * std::max<int64_t>(k, 1)));
  // 16-bit floats accumulate a row of the block in f32 on the stack (rounding
  // at every step of k would cost digits), so the block stays a stack's size.
  Type compute = getComputeType(element);
  bool widened = compute != element;
  if (widened)
    width = std::min<int64_t>(width, kMaxWidenedColumns);
  width = std::max<int64_t>(1, std::min(n, width / 16 * 16));
  for (int64_t w = width; w >= 16; w -= 16)
    if (n % w == 0) {
      width = w;
      break;
    }
  int64_t blocks = (n + width - 1) / width;
  // Rows per tile: up to 64; the last tile is shorter when 64 does not
  // divide m (a divisor could be 1 for a prime m, like ViT's 197 tokens).
  int64_t rowTile = std::max<int64_t>(1, std::min<int64_t>(m, 64));
  int64_t rowTiles = (m + rowTile - 1) / rowTile;
  int64_t batchCount = 1;
  for (int64_t dim : batch)
    batchCount *= dim;
  llvm::IRBuilder<> &b = kb.b;
  llvm::Value *lhs = inputs[0], *rhs = inputs[1], *out = outputs[0];
  llvm::Value *rowSums = widened ? kb.stackRow(compute, width) : nullptr;

  // One loop over (batch, row tile, column block) tiles of C: tiles write
  // disjoint parts of C, so they are the tasks of a thread split.
  kb.loop(batchCount * rowTiles * blocks, [&](llvm::Value *tile) {
    llvm::Value *block = b.CreateURem(tile, kb.i64(blocks));
    llvm::Value *rest = b.CreateUDiv(tile, kb.i64(blocks));
    llvm::Value *firstRow = b.CreateMul(b.CreateURem(rest, kb.i64(rowTiles)), kb.i64(rowTile));
    llvm::Value *linearBatch = b.CreateUDiv(rest, kb.i64(rowTiles));
    SmallVector<llvm::Value *> indices(batch.size());
    for (int64_t d = int64_t(batch.size()) - 1; d >= 0; --d) {
      indices[d] = d == 0 ? linearBatch : b.CreateURem(linearBatch, kb.i64(batch[d]));
      if (d > 0)
        linearBatch = b.CreateUDiv(linearBatch, kb.i64(batch[d]));
    }
    llvm::Value *aBase = b.CreateMul(kb.broadcastOffset(indices, aBatch), kb.i64(m * k));
    llvm::Value *bBase = b.CreateMul(kb.broadcastOffset(indices, bBatch), kb.i64(k * n));
    llvm::Value *cBase = b.CreateMul(kb.offset(indices, batch), kb.i64(m * n));
    llvm::Value *first = b.CreateMul(block, kb.i64(width));
    // The last block is narrower when width does not divide n.
    auto emitColumns = [&](llvm::function_ref<void(llvm::Value *)> body) {
      if (n % width == 0)
        kb.loop(width, body);
      else
        kb.loop(b.CreateSelect(b.CreateICmpEQ(block, kb.i64(blocks - 1)),
                               kb.i64(n - (blocks - 1) * width), kb.i64(width)),
                body);
    };
    auto emitRows = [&](llvm::function_ref<void(llvm::Value *)> body) {
      if (m % rowTile == 0)
        kb.loop(rowTile, body);
      else
        kb.loop(b.CreateSelect(b.CreateICmpEQ(firstRow, kb.i64((rowTiles - 1) * rowTile)),
                               kb.i64(m - (rowTiles - 1) * rowTile), kb.i64(rowTile)),
                body);
    };
    emitRows([&](llvm::Value *r) {
      llvm::Value *row = b.CreateAdd(firstRow, r);
      llvm::Value *cRow = b.CreateAdd(cBase, b.CreateAdd(b.CreateMul(row, kb.i64(n)), first));
      // Where the row's sums accumulate: C itself, or the f32 stack row.
      llvm::Value *sums = widened ? rowSums : out;
      auto sumAt = [&](llvm::Value *col) { return widened ? col : b.CreateAdd(cRow, col); };
      emitColumns(
          [&](llvm::Value *col) { kb.store(kb.constant(compute, 0), sums, sumAt(col), compute); });
      kb.loop(k, [&](llvm::Value *kk) {
        llvm::Value *aValue = kb.loadComputed(
            lhs, b.CreateAdd(aBase, b.CreateAdd(b.CreateMul(row, kb.i64(k)), kk)), element);
        llvm::Value *bRow = b.CreateAdd(bBase, b.CreateAdd(b.CreateMul(kk, kb.i64(n)), first));
        emitColumns([&](llvm::Value *col) {
          llvm::Value *at = sumAt(col);
          llvm::Value *product =
              b.CreateFMul(aValue, kb.loadComputed(rhs, b.CreateAdd(bRow, col), element));
          kb.store(b.CreateFAdd(kb.load(sums, at, compute), product), sums, at, compute);
        });
      });
      if (widened)
        emitColumns([&](llvm::Value *col) {
          kb.storeComputed(kb.load(rowSums, col, compute), out, b.CreateAdd(cRow, col),
                           c.getElementType());
        });
    });
  });
  return success();
}

} // namespace r1c
