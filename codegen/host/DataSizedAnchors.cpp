//===- DataSizedAnchors.cpp - Host code for non_zero and keep_leading -----===//
//
// The two halves of an op whose result size depends on the data:
//   - non_zero packs the coordinates of the nonzero elements at the front
//     of a result sized for all of them, in one pass in element order: an
//     element's column is how many nonzero ones came before it, so the
//     pass is one task;
//   - keep_leading moves the leading `count` entries along an axis to the
//     front of its result (memmove: the plan may place the result over its
//     input, and each slice moves only toward the front) and reports the
//     result's dims.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// Whether the element `x` (as loaded, in its storage type) is nonzero.
/// Floats compare their bits without the sign, so -0 is zero and NaN is
/// not, whatever the float format.
llvm::Value *isNonZero(llvm::IRBuilder<> &b, llvm::Value *x) {
  llvm::Type *type = x->getType();
  if (type->isIntegerTy())
    return b.CreateICmpNE(x, llvm::ConstantInt::get(type, 0));
  unsigned bits = type->getPrimitiveSizeInBits();
  llvm::Value *raw = b.CreateBitCast(x, b.getIntNTy(bits));
  llvm::Value *magnitude = b.CreateAnd(raw, llvm::APInt::getSignedMaxValue(bits));
  return b.CreateICmpNE(magnitude, llvm::ConstantInt::get(raw->getType(), 0));
}

} // namespace

LogicalResult emitNonZero(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                          ArrayRef<llvm::Value *> outputs) {
  auto nonZero = cast<NonZeroOp>(op);
  auto type = cast<RankedTensorType>(nonZero.getInput().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = type.getRank(), elements = type.getNumElements();
  llvm::IRBuilder<> &b = kb.b;
  Type i64 = IntegerType::get(op->getContext(), 64);
  Type element = type.getElementType();
  llvm::Value *counter = kb.accumulator(i64);
  b.CreateStore(kb.i64(0), counter);
  kb.loop(elements, [&](llvm::Value *i) {
    llvm::Value *x = kb.load(inputs[0], i, element);
    llvm::Value *nonzero = element.isInteger(1) ? x : isNonZero(b, x);
    kb.ifElse(
        nonzero,
        [&] {
          llvm::Value *column = b.CreateLoad(b.getInt64Ty(), counter);
          llvm::Value *rest = i;
          for (int64_t d = rank - 1; d >= 0; --d) {
            llvm::Value *coordinate = d == 0 ? rest : b.CreateURem(rest, kb.i64(shape[d]));
            if (d > 0)
              rest = b.CreateUDiv(rest, kb.i64(shape[d]));
            kb.store(coordinate, outputs[0], b.CreateAdd(kb.i64(d * elements), column), i64);
          }
          b.CreateStore(b.CreateAdd(column, kb.i64(1)), counter);
        },
        [] {});
  });
  // The columns past the count are zero, so the result is the same
  // whatever the arena held.
  llvm::Value *count = b.CreateLoad(b.getInt64Ty(), counter);
  llvm::Value *rest = b.CreateSub(kb.i64(elements), count);
  for (int64_t d = 0; d < rank; ++d)
    kb.loop(rest, [&](llvm::Value *j) {
      kb.store(kb.i64(0), outputs[0], b.CreateAdd(kb.i64(d * elements), b.CreateAdd(count, j)),
               i64);
    });
  kb.store(count, outputs[1], kb.i64(0), i64);
  return success();
}

LogicalResult emitKeepLeading(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                              ArrayRef<llvm::Value *> outputs) {
  auto keep = cast<KeepLeadingOp>(op);
  auto type = cast<RankedTensorType>(keep.getInput().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(keep.getAxis(), shape.size());
  int64_t extent = shape[axis];
  int64_t outer = productOfDims(shape.take_front(axis));
  int64_t inner = productOfDims(shape.drop_front(axis + 1));
  int64_t elementBytes = std::max<int64_t>(1, (type.getElementTypeBitWidth() + 7) / 8);
  llvm::IRBuilder<> &b = kb.b;
  Type i64 = IntegerType::get(op->getContext(), 64);
  llvm::Value *count = kb.load(inputs[1], kb.i64(0), i64);
  count = b.CreateSelect(b.CreateICmpSLT(count, kb.i64(0)), kb.i64(0), count);
  count = b.CreateSelect(b.CreateICmpSGT(count, kb.i64(extent)), kb.i64(extent), count);
  llvm::Value *sliceBytes = b.CreateMul(count, kb.i64(inner * elementBytes));
  kb.loop(outer, [&](llvm::Value *o) {
    llvm::Value *to = b.CreateGEP(b.getInt8Ty(), outputs[0], b.CreateMul(o, sliceBytes));
    llvm::Value *from = b.CreateGEP(b.getInt8Ty(), inputs[0],
                                    b.CreateMul(o, kb.i64(extent * inner * elementBytes)));
    b.CreateMemMove(to, llvm::MaybeAlign(1), from, llvm::MaybeAlign(1), sliceBytes);
  });
  // The dims array follows the result when its type leaves them to the run.
  if (outputs.size() > 1)
    for (auto [d, dim] : llvm::enumerate(shape))
      kb.store(int64_t(d) == axis ? count : kb.i64(dim), outputs[1], kb.i64(d), i64);
  return success();
}

} // namespace r1c
