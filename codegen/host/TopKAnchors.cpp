//===- TopKAnchors.cpp - Host code for top_k ------------------------------===//
//
// Each row along the axis keeps its k best elements in a binary heap held
// in its own rows of the two outputs (values, and i64 indices), with the
// worst of them at the root. The first k elements are pushed; a later
// element replaces the root only when its value is strictly better, since
// its index is higher than any kept one and ties go to the lower index.
// Popping the root to the end, k - 1 times, then leaves the row sorted best
// first. That is O(n log k) a row for any k, where a selection sort is
// O(n k). Rows are independent, so the loop over rows splits into tasks.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// The heap of one row: slot s holds values[base + s * stride] and
/// indices[base + s * stride].
class RowHeap {
public:
  RowHeap(KernelBuilder &kb, TopKOp op, llvm::Value *values, llvm::Value *indices,
          llvm::Value *base, int64_t stride)
      : kb(kb), b(kb.b), values(values), indices(indices), base(base), stride(stride),
        element(cast<RankedTensorType>(op.getValues().getType()).getElementType()),
        indexType(cast<RankedTensorType>(op.getIndices().getType()).getElementType()),
        largest(op.getLargest()), slot(kb.accumulator(indexType)) {}

  struct Entry {
    llvm::Value *value, *index;
  };

  Entry at(llvm::Value *s) {
    llvm::Value *offset = offsetOf(s);
    return {kb.load(values, offset, element), kb.load(indices, offset, indexType)};
  }
  void put(llvm::Value *s, Entry entry) {
    llvm::Value *offset = offsetOf(s);
    kb.store(entry.value, values, offset, element);
    kb.store(entry.index, indices, offset, indexType);
  }

  /// Whether `x` is better than `y` by value alone: larger (or smaller).
  llvm::Value *betterValue(llvm::Value *x, llvm::Value *y) {
    x = widen(x);
    y = widen(y);
    if (x->getType()->isFloatingPointTy())
      return largest ? b.CreateFCmpOGT(x, y) : b.CreateFCmpOLT(x, y);
    bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
    if (largest)
      return isUnsigned ? b.CreateICmpUGT(x, y) : b.CreateICmpSGT(x, y);
    return isUnsigned ? b.CreateICmpULT(x, y) : b.CreateICmpSLT(x, y);
  }
  /// Whether `x` comes after `y` in the output: a worse value, or an equal
  /// one at a higher index.
  llvm::Value *worse(Entry x, Entry y) {
    llvm::Value *equal = x.value->getType()->isFloatingPointTy()
                             ? b.CreateFCmpOEQ(widen(x.value), widen(y.value))
                             : b.CreateICmpEQ(x.value, y.value);
    return b.CreateOr(betterValue(y.value, x.value),
                      b.CreateAnd(equal, b.CreateICmpSGT(x.index, y.index)));
  }

  /// Places `entry` at slot `start`, below the heap [0, start), moving it
  /// up past every parent it is worse than.
  void siftUp(llvm::Value *start, Entry entry) {
    b.CreateStore(start, slot);
    llvm::BasicBlock *header = block("sift_up"), *check = block("sift_up.check"),
                     *move = block("sift_up.move"), *done = block("sift_up.done");
    b.CreateBr(header);
    b.SetInsertPoint(header);
    llvm::Value *s = b.CreateLoad(b.getInt64Ty(), slot);
    b.CreateCondBr(b.CreateICmpSGT(s, kb.i64(0)), check, done);
    b.SetInsertPoint(check);
    llvm::Value *parent = b.CreateLShr(b.CreateSub(s, kb.i64(1)), 1);
    Entry above = at(parent);
    b.CreateCondBr(worse(entry, above), move, done);
    b.SetInsertPoint(move);
    put(s, above);
    b.CreateStore(parent, slot);
    b.CreateBr(header);
    b.SetInsertPoint(done);
    put(b.CreateLoad(b.getInt64Ty(), slot), entry);
  }

  /// Places `entry` at the root of the heap [0, size), moving it down past
  /// every child worse than it.
  void siftDown(llvm::Value *size, Entry entry) {
    b.CreateStore(kb.i64(0), slot);
    llvm::BasicBlock *header = block("sift_down"), *check = block("sift_down.check"),
                     *move = block("sift_down.move"), *done = block("sift_down.done");
    b.CreateBr(header);
    b.SetInsertPoint(header);
    llvm::Value *s = b.CreateLoad(b.getInt64Ty(), slot);
    llvm::Value *left = b.CreateAdd(b.CreateShl(s, 1), kb.i64(1));
    b.CreateCondBr(b.CreateICmpSLT(left, size), check, done);
    b.SetInsertPoint(check);
    // The right child, or the left again where there is none: the left
    // is then not worse than itself, and no slot past the heap is read.
    llvm::Value *right = b.CreateAdd(left, kb.i64(1));
    right = b.CreateSelect(b.CreateICmpSLT(right, size), right, left);
    Entry l = at(left), r = at(right);
    llvm::Value *pickRight = worse(r, l);
    llvm::Value *child = b.CreateSelect(pickRight, right, left);
    Entry below = {b.CreateSelect(pickRight, r.value, l.value),
                   b.CreateSelect(pickRight, r.index, l.index)};
    b.CreateCondBr(worse(below, entry), move, done);
    b.SetInsertPoint(move);
    put(s, below);
    b.CreateStore(child, slot);
    b.CreateBr(header);
    b.SetInsertPoint(done);
    put(b.CreateLoad(b.getInt64Ty(), slot), entry);
  }

private:
  llvm::Value *offsetOf(llvm::Value *s) {
    return b.CreateAdd(base, b.CreateMul(s, kb.i64(stride)));
  }
  /// 16-bit floats compare in f32.
  llvm::Value *widen(llvm::Value *x) {
    if (x->getType()->isHalfTy() || x->getType()->isBFloatTy())
      return b.CreateFPExt(x, b.getFloatTy());
    return x;
  }
  llvm::BasicBlock *block(const char *name) {
    return llvm::BasicBlock::Create(b.getContext(), name, b.GetInsertBlock()->getParent());
  }

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  llvm::Value *values, *indices, *base;
  int64_t stride;
  Type element, indexType;
  bool largest;
  /// The slot the entry being sifted is headed for.
  llvm::Value *slot;
};

} // namespace

LogicalResult emitTopK(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                       ArrayRef<llvm::Value *> outputs) {
  auto op = cast<TopKOp>(anchor);
  auto type = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op.getAxis(), shape.size());
  int64_t n = shape[axis], k = op.getK();
  int64_t outer = productOfDims(shape.take_front(axis));
  int64_t inner = productOfDims(shape.drop_front(axis + 1));
  if (k == 0 || outer == 0 || inner == 0)
    return success();
  llvm::IRBuilder<> &b = kb.b;
  Type element = type.getElementType();
  // A row is (outer position, inner position); along the axis its elements
  // are `inner` apart, in the input and in both outputs.
  kb.loopNest({outer, inner}, [&](ArrayRef<llvm::Value *> row) {
    llvm::Value *from = b.CreateAdd(b.CreateMul(row[0], kb.i64(n * inner)), row[1]);
    llvm::Value *to = b.CreateAdd(b.CreateMul(row[0], kb.i64(k * inner)), row[1]);
    RowHeap heap(kb, op, outputs[0], outputs[1], to, inner);
    auto input = [&](llvm::Value *j) {
      return RowHeap::Entry{
          kb.load(inputs[0], b.CreateAdd(from, b.CreateMul(j, kb.i64(inner))), element), j};
    };
    kb.loop(k, [&](llvm::Value *j) { heap.siftUp(j, input(j)); });
    kb.loop(n - k, [&](llvm::Value *i) {
      RowHeap::Entry entry = input(b.CreateAdd(i, kb.i64(k)));
      kb.ifElse(
          heap.betterValue(entry.value, heap.at(kb.i64(0)).value),
          [&] { heap.siftDown(kb.i64(k), entry); }, [] {});
    });
    // The root (the worst kept) goes to the end of the shrinking heap.
    kb.loop(k - 1, [&](llvm::Value *i) {
      llvm::Value *last = b.CreateSub(kb.i64(k - 1), i);
      RowHeap::Entry moved = heap.at(last);
      heap.put(last, heap.at(kb.i64(0)));
      heap.siftDown(last, moved);
    });
  });
  return success();
}

} // namespace r1c
