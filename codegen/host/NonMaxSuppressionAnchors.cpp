//===- NonMaxSuppressionAnchors.cpp - Host code for non_max_suppression ---===//
//
// Greedy suppression is sequential within a (batch, class) pair, and the
// rows of the result follow the pairs in order, so the kernel runs as one
// task in two passes over the scratch lists of r1k::NmsScratchLayout:
//   1. per pair, the candidates (the boxes over the score threshold) form a
//      binary heap, best score first, ties to the lower box index; popping
//      it visits them in the order ONNX gives, O(N + visited log N), and
//      each popped box is compared with the boxes kept so far, which are
//      stored from the list's back; the count of kept boxes is stored;
//   2. the kept boxes of every pair become rows (b, c, box) in order, up to
//      the result's row count, and the rows left are -1.
// The GPU runs the same two passes (codegen/gpu/NonMaxSuppressionPrinter.cpp).
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// A box as its extents along x and y, in f32.
struct Extents {
  llvm::Value *xMin, *xMax, *yMin, *yMax;
};

class NmsEmitter {
public:
  NmsEmitter(KernelBuilder &kb, NonMaxSuppressionOp op, ArrayRef<llvm::Value *> inputs,
             llvm::Value *selected)
      : kb(kb), b(kb.b), op(op), layout(r1k::getNmsScratchLayout(op)), boxes(inputs[0]),
        scores(inputs[1]), selected(selected), f32(Float32Type::get(op.getContext())),
        i32(IntegerType::get(op.getContext(), 32)), i64(IntegerType::get(op.getContext(), 64)),
        rows(cast<RankedTensorType>(op.getType()).getDimSize(0)) {}

  void emit(ArrayRef<llvm::Value *> inputs) {
    // At most this many boxes a pair keeps: rows past the result's are
    // dropped, and a negative maximum keeps none.
    llvm::Value *limit = kb.load(inputs[2], kb.i64(0), i64);
    limit = b.CreateSelect(b.CreateICmpSGT(limit, kb.i64(0)), limit, kb.i64(0));
    llvm::Value *bound = kb.i64(std::min(layout.boxes, rows));
    limit = b.CreateSelect(b.CreateICmpSLT(limit, bound), limit, bound);
    llvm::Value *iouThreshold = kb.load(inputs[3], kb.i64(0), f32);
    llvm::Value *scoreThreshold =
        op.getScoreThreshold() ? kb.load(inputs[4], kb.i64(0), f32) : nullptr;
    int64_t pairs = layout.batches * layout.classes;
    kb.loop(pairs,
            [&](llvm::Value *pair) { selectPair(pair, limit, iouThreshold, scoreThreshold); });
    compact();
  }

private:
  /// Pass 1 for pair `pair`: its candidates' heap, the greedy walk, and
  /// the count of kept boxes.
  void selectPair(llvm::Value *pair, llvm::Value *limit, llvm::Value *iouThreshold,
                  llvm::Value *scoreThreshold) {
    int64_t n = layout.boxes;
    llvm::Value *batch = b.CreateUDiv(pair, kb.i64(layout.classes));
    list = b.CreateAdd(kb.i64(layout.listAt(0)), b.CreateMul(pair, kb.i64(n)));
    scoreRow = b.CreateMul(pair, kb.i64(n));
    boxRow = b.CreateMul(batch, kb.i64(n * 4));

    llvm::Value *candidates = kb.accumulator(i64);
    b.CreateStore(kb.i64(0), candidates);
    kb.loop(n, [&](llvm::Value *box) {
      auto push = [&] {
        llvm::Value *m = b.CreateLoad(b.getInt64Ty(), candidates);
        setSlot(m, b.CreateTrunc(box, b.getInt32Ty()));
        b.CreateStore(b.CreateAdd(m, kb.i64(1)), candidates);
      };
      if (!scoreThreshold)
        return push();
      llvm::Value *score = kb.load(scores, b.CreateAdd(scoreRow, box), f32);
      kb.ifElse(b.CreateFCmpOGT(score, scoreThreshold), push, [] {});
    });
    llvm::Value *m = b.CreateLoad(b.getInt64Ty(), candidates);
    // Heapify from the last parent down to the root.
    llvm::Value *parents = b.CreateSDiv(m, kb.i64(2));
    kb.loop(parents,
            [&](llvm::Value *i) { siftDown(b.CreateSub(b.CreateSub(parents, kb.i64(1)), i), m); });

    llvm::Value *kept = kb.accumulator(i64);
    b.CreateStore(kb.i64(0), kept);
    // One pop per candidate at most; past the limit an iteration does
    // nothing.
    kb.loop(m, [&](llvm::Value *pop) {
      llvm::Value *count = b.CreateLoad(b.getInt64Ty(), kept);
      kb.ifElse(
          b.CreateICmpSLT(count, limit),
          [&] {
            llvm::Value *best = slot(kb.i64(0));
            llvm::Value *size = b.CreateSub(b.CreateSub(m, pop), kb.i64(1));
            setSlot(kb.i64(0), slot(size));
            siftDown(kb.i64(0), size);
            Extents candidate = extentsOf(best);
            llvm::Value *suppressed = kb.accumulator(IntegerType::get(op.getContext(), 1));
            b.CreateStore(b.getFalse(), suppressed);
            kb.loop(count, [&](llvm::Value *j) {
              Extents other = extentsOf(slot(b.CreateSub(kb.i64(n - 1), j)));
              llvm::Value *any = b.CreateLoad(b.getInt1Ty(), suppressed);
              b.CreateStore(b.CreateOr(any, suppresses(candidate, other, iouThreshold)),
                            suppressed);
            });
            kb.ifElse(
                b.CreateLoad(b.getInt1Ty(), suppressed), [] {},
                [&] {
                  setSlot(b.CreateSub(kb.i64(n - 1), count), best);
                  b.CreateStore(b.CreateAdd(count, kb.i64(1)), kept);
                });
          },
          [] {});
    });
    kb.store(b.CreateTrunc(b.CreateLoad(b.getInt64Ty(), kept), b.getInt32Ty()), kb.scratch,
             b.CreateAdd(kb.i64(layout.countAt(0)), pair), i32);
  }

  /// Pass 2: rows (b, c, box) of every pair in order, then -1 rows.
  void compact() {
    int64_t n = layout.boxes;
    llvm::Value *row = kb.accumulator(i64);
    b.CreateStore(kb.i64(0), row);
    auto put = [&](llvm::Value *at, llvm::Value *batch, llvm::Value *cls, llvm::Value *box) {
      llvm::Value *base = b.CreateMul(at, kb.i64(3));
      kb.store(batch, selected, base, i64);
      kb.store(cls, selected, b.CreateAdd(base, kb.i64(1)), i64);
      kb.store(box, selected, b.CreateAdd(base, kb.i64(2)), i64);
    };
    kb.loop(layout.batches * layout.classes, [&](llvm::Value *pair) {
      llvm::Value *count = b.CreateSExt(
          kb.load(kb.scratch, b.CreateAdd(kb.i64(layout.countAt(0)), pair), i32), b.getInt64Ty());
      llvm::Value *listStart = b.CreateAdd(kb.i64(layout.listAt(0)), b.CreateMul(pair, kb.i64(n)));
      llvm::Value *batch = b.CreateUDiv(pair, kb.i64(layout.classes));
      llvm::Value *cls = b.CreateURem(pair, kb.i64(layout.classes));
      kb.loop(count, [&](llvm::Value *j) {
        llvm::Value *at = b.CreateLoad(b.getInt64Ty(), row);
        kb.ifElse(
            b.CreateICmpSLT(at, kb.i64(rows)),
            [&] {
              llvm::Value *box =
                  kb.load(kb.scratch, b.CreateAdd(listStart, b.CreateSub(kb.i64(n - 1), j)), i32);
              put(at, batch, cls, b.CreateSExt(box, b.getInt64Ty()));
              b.CreateStore(b.CreateAdd(at, kb.i64(1)), row);
            },
            [] {});
      });
    });
    llvm::Value *filled = b.CreateLoad(b.getInt64Ty(), row);
    kb.loop(b.CreateSub(kb.i64(rows), filled), [&](llvm::Value *i) {
      put(b.CreateAdd(filled, i), kb.i64(-1), kb.i64(-1), kb.i64(-1));
    });
  }

  /// Box index in slot `s` of the current list, and a store there (i32).
  llvm::Value *slot(llvm::Value *s) { return kb.load(kb.scratch, b.CreateAdd(list, s), i32); }
  void setSlot(llvm::Value *s, llvm::Value *box) {
    kb.store(box, kb.scratch, b.CreateAdd(list, s), i32);
  }
  llvm::Value *scoreOf(llvm::Value *box) {
    return kb.load(scores, b.CreateAdd(scoreRow, b.CreateSExt(box, b.getInt64Ty())), f32);
  }
  /// Whether box `x` is visited before box `y`: a higher score, or an
  /// equal one and a lower index.
  llvm::Value *before(llvm::Value *x, llvm::Value *y) {
    llvm::Value *sx = scoreOf(x), *sy = scoreOf(y);
    return b.CreateOr(b.CreateFCmpOGT(sx, sy),
                      b.CreateAnd(b.CreateFCmpOEQ(sx, sy), b.CreateICmpSLT(x, y)));
  }

  /// Moves the box in slot `start` down the heap [0, size) past every child
  /// visited before it.
  void siftDown(llvm::Value *start, llvm::Value *size) {
    llvm::Value *entry = slot(start);
    llvm::Value *at = kb.accumulator(i64);
    b.CreateStore(start, at);
    llvm::Function *function = b.GetInsertBlock()->getParent();
    auto block = [&](const char *name) {
      return llvm::BasicBlock::Create(b.getContext(), name, function);
    };
    llvm::BasicBlock *header = block("nms.sift"), *check = block("nms.sift.check"),
                     *move = block("nms.sift.move"), *done = block("nms.sift.done");
    b.CreateBr(header);
    b.SetInsertPoint(header);
    llvm::Value *s = b.CreateLoad(b.getInt64Ty(), at);
    llvm::Value *left = b.CreateAdd(b.CreateShl(s, 1), kb.i64(1));
    b.CreateCondBr(b.CreateICmpSLT(left, size), check, done);
    b.SetInsertPoint(check);
    // The right child where there is one, else the left again.
    llvm::Value *right = b.CreateAdd(left, kb.i64(1));
    right = b.CreateSelect(b.CreateICmpSLT(right, size), right, left);
    llvm::Value *l = slot(left), *r = slot(right);
    llvm::Value *pickRight = before(r, l);
    llvm::Value *child = b.CreateSelect(pickRight, right, left);
    llvm::Value *childBox = b.CreateSelect(pickRight, r, l);
    b.CreateCondBr(before(childBox, entry), move, done);
    b.SetInsertPoint(move);
    setSlot(s, childBox);
    b.CreateStore(child, at);
    b.CreateBr(header);
    b.SetInsertPoint(done);
    setSlot(b.CreateLoad(b.getInt64Ty(), at), entry);
  }

  /// The extents of box `box` (i32) of the current batch: corners in either
  /// order, or a center and a size.
  Extents extentsOf(llvm::Value *box) {
    llvm::Value *base =
        b.CreateAdd(boxRow, b.CreateMul(b.CreateSExt(box, b.getInt64Ty()), kb.i64(4)));
    llvm::Value *v[4];
    for (int k = 0; k < 4; ++k)
      v[k] = kb.load(boxes, b.CreateAdd(base, kb.i64(k)), f32);
    if (op.getCenterPointBox()) {
      llvm::Value *two = llvm::ConstantFP::get(b.getFloatTy(), 2.0);
      llvm::Value *halfWidth = b.CreateFDiv(v[2], two), *halfHeight = b.CreateFDiv(v[3], two);
      return {b.CreateFSub(v[0], halfWidth), b.CreateFAdd(v[0], halfWidth),
              b.CreateFSub(v[1], halfHeight), b.CreateFAdd(v[1], halfHeight)};
    }
    // [y1, x1, y2, x2]; the reference orders a pair by `first >= second`.
    auto ordered = [&](llvm::Value *first, llvm::Value *second) {
      llvm::Value *swap = b.CreateFCmpOGE(first, second);
      return std::make_pair(b.CreateSelect(swap, second, first),
                            b.CreateSelect(swap, first, second));
    };
    auto [xMin, xMax] = ordered(v[1], v[3]);
    auto [yMin, yMax] = ordered(v[0], v[2]);
    return {xMin, xMax, yMin, yMax};
  }

  /// Whether kept box `kept` suppresses `candidate`: their intersection over
  /// union is above the threshold. Every test is the negation of the
  /// reference's early exit, so NaN takes the same path.
  llvm::Value *suppresses(const Extents &candidate, const Extents &kept, llvm::Value *threshold) {
    auto larger = [&](llvm::Value *x, llvm::Value *y) {
      return b.CreateSelect(b.CreateFCmpOGT(y, x), y, x);
    };
    auto smaller = [&](llvm::Value *x, llvm::Value *y) {
      return b.CreateSelect(b.CreateFCmpOLT(y, x), y, x);
    };
    llvm::Value *zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
    llvm::Value *left = larger(candidate.xMin, kept.xMin);
    llvm::Value *right = smaller(candidate.xMax, kept.xMax);
    llvm::Value *bottom = larger(candidate.yMin, kept.yMin);
    llvm::Value *top = smaller(candidate.yMax, kept.yMax);
    llvm::Value *intersection = b.CreateFMul(b.CreateFSub(right, left), b.CreateFSub(top, bottom));
    llvm::Value *area1 = b.CreateFMul(b.CreateFSub(candidate.xMax, candidate.xMin),
                                      b.CreateFSub(candidate.yMax, candidate.yMin));
    llvm::Value *area2 =
        b.CreateFMul(b.CreateFSub(kept.xMax, kept.xMin), b.CreateFSub(kept.yMax, kept.yMin));
    llvm::Value *unionArea = b.CreateFSub(b.CreateFAdd(area1, area2), intersection);
    llvm::Value *overlaps = b.CreateAnd(b.CreateFCmpUGT(right, left), b.CreateFCmpUGT(top, bottom));
    llvm::Value *positive =
        b.CreateAnd(b.CreateAnd(b.CreateFCmpUGT(intersection, zero), b.CreateFCmpUGT(area1, zero)),
                    b.CreateAnd(b.CreateFCmpUGT(area2, zero), b.CreateFCmpUGT(unionArea, zero)));
    llvm::Value *above = b.CreateFCmpOGT(b.CreateFDiv(intersection, unionArea), threshold);
    return b.CreateAnd(b.CreateAnd(overlaps, positive), above);
  }

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  NonMaxSuppressionOp op;
  r1k::NmsScratchLayout layout;
  llvm::Value *boxes, *scores, *selected;
  Type f32, i32, i64;
  int64_t rows;
  /// Of the pair pass 1 is in: the element offset of its list in the
  /// scratch, of its scores, and of its batch's boxes.
  llvm::Value *list = nullptr, *scoreRow = nullptr, *boxRow = nullptr;
};

} // namespace

LogicalResult emitNonMaxSuppression(KernelBuilder &kb, Operation *anchor,
                                    ArrayRef<llvm::Value *> inputs,
                                    ArrayRef<llvm::Value *> outputs) {
  auto op = cast<NonMaxSuppressionOp>(anchor);
  if (!kb.scratch && r1k::getNmsScratchLayout(op).bytes() > 0)
    return op.emitOpError("has no scratch in the memory plan");
  NmsEmitter(kb, op, inputs, outputs[0]).emit(inputs);
  return success();
}

} // namespace r1c
