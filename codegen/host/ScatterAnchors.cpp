//===- ScatterAnchors.cpp - Host code for scatter_elements and scatter_nd -===//
//
// A scatter runs as two phases. The copy of the data into the result is a
// plain loop nest that splits into tasks like any large one; the updates
// then run as one task, in order, so that of two updates of one element
// the later wins (reduction none, as ONNX Runtime does) or both fold in.
// ScatterND moves one contiguous slice per index tuple: the tuple's offset
// is computed once and the inner loop copies (or combines) the slice with
// no index arithmetic, so updating one row of a [1, heads, seq, dim] cache
// costs a few loads per row of `dim` elements after the copy. An index
// still out of range after negative ones count from the end writes
// nothing (ONNX Runtime rejects it), so a bad index cannot reach memory
// outside the result.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/IR/Intrinsics.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}
Type elementOf(Value value) { return cast<RankedTensorType>(value.getType()).getElementType(); }

/// `old` with `update` folded in, both compute values; booleans add and
/// take the max as `or`, multiply and take the min as `and`.
llvm::Value *combine(KernelBuilder &kb, ScatterReduction reduction, Type element, llvm::Value *old,
                     llvm::Value *update) {
  llvm::IRBuilder<> &b = kb.b;
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = element.isUnsignedInteger();
  if (element.isInteger(1))
    return reduction == ScatterReduction::add || reduction == ScatterReduction::max
               ? b.CreateOr(old, update)
               : b.CreateAnd(old, update);
  switch (reduction) {
  case ScatterReduction::none:
    return update;
  case ScatterReduction::add:
    return isFloat ? b.CreateFAdd(old, update) : b.CreateAdd(old, update);
  case ScatterReduction::mul:
    return isFloat ? b.CreateFMul(old, update) : b.CreateMul(old, update);
  case ScatterReduction::max:
    if (isFloat)
      return b.CreateIntrinsic(llvm::Intrinsic::maximum, {old->getType()}, {old, update});
    return b.CreateSelect(isUnsigned ? b.CreateICmpUGT(update, old) : b.CreateICmpSGT(update, old),
                          update, old);
  case ScatterReduction::min:
    if (isFloat)
      return b.CreateIntrinsic(llvm::Intrinsic::minimum, {old->getType()}, {old, update});
    return b.CreateSelect(isUnsigned ? b.CreateICmpULT(update, old) : b.CreateICmpSLT(update, old),
                          update, old);
  }
  return nullptr;
}

/// result[offset] = update, or the two combined.
void applyUpdate(KernelBuilder &kb, ScatterReduction reduction, Type element, llvm::Value *updates,
                 llvm::Value *updateOffset, llvm::Value *result, llvm::Value *offset) {
  if (reduction == ScatterReduction::none) {
    kb.store(kb.load(updates, updateOffset, element), result, offset, element);
    return;
  }
  llvm::Value *old = kb.loadComputed(result, offset, element);
  llvm::Value *update = kb.loadComputed(updates, updateOffset, element);
  kb.storeComputed(combine(kb, reduction, element, old, update), result, offset, element);
}

/// 0 <= index < extent, for an index already wrapped from the end.
llvm::Value *inRange(KernelBuilder &kb, llvm::Value *index, int64_t extent) {
  return kb.b.CreateICmpULT(index, kb.i64(extent));
}

LogicalResult emitScatterElements(KernelBuilder &kb, ScatterElementsOp op,
                                  ArrayRef<llvm::Value *> inputs, ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  Type indexType = elementOf(op.getIndices()), element = elementOf(op.getData());
  ScatterReduction reduction = op.getReduction();
  // Updates have the indices' shape, so a position is the same in both.
  kb.loopNest(indexShape, [&](ArrayRef<llvm::Value *> indices) {
    llvm::Value *from = kb.offset(indices, indexShape);
    llvm::Value *at = loadWrappedIndex(kb, inputs[1], from, indexType, dataShape[axis]);
    kb.ifElse(
        inRange(kb, at, dataShape[axis]),
        [&] {
          SmallVector<llvm::Value *> target(indices);
          target[axis] = at;
          applyUpdate(kb, reduction, element, inputs[2], from, outputs[0],
                      kb.offset(target, dataShape));
        },
        [] {});
  });
  return success();
}

LogicalResult emitScatterND(KernelBuilder &kb, ScatterNDOp op, ArrayRef<llvm::Value *> inputs,
                            ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t tuple = indexShape.back();
  int64_t tuples = productOfDims(indexShape.drop_back());
  int64_t slice = productOfDims(dataShape.drop_front(tuple));
  Type indexType = elementOf(op.getIndices()), element = elementOf(op.getData());
  ScatterReduction reduction = op.getReduction();
  llvm::IRBuilder<> &b = kb.b;
  kb.loop(tuples, [&](llvm::Value *t) {
    // The slice the tuple names starts at the sum of its entries times the
    // strides of the dims they address.
    llvm::Value *first = kb.i64(0), *valid = b.getTrue();
    int64_t stride = slice;
    for (int64_t k = tuple - 1; k >= 0; --k) {
      llvm::Value *at =
          loadWrappedIndex(kb, inputs[1], b.CreateAdd(b.CreateMul(t, kb.i64(tuple)), kb.i64(k)),
                           indexType, dataShape[k]);
      valid = b.CreateAnd(valid, inRange(kb, at, dataShape[k]));
      first = b.CreateAdd(first, b.CreateMul(at, kb.i64(stride)));
      stride *= dataShape[k];
    }
    llvm::Value *source = b.CreateMul(t, kb.i64(slice));
    kb.ifElse(
        valid,
        [&] {
          kb.loop(slice, [&](llvm::Value *i) {
            applyUpdate(kb, reduction, element, inputs[2], b.CreateAdd(source, i), outputs[0],
                        b.CreateAdd(first, i));
          });
        },
        [] {});
  });
  return success();
}

} // namespace

LogicalResult emitScatterCopy(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                              ArrayRef<llvm::Value *> outputs) {
  Value data = op->getOperand(0);
  ArrayRef<int64_t> shape = shapeOf(data);
  Type element = elementOf(data);
  kb.loopNest(shape, [&](ArrayRef<llvm::Value *> indices) {
    llvm::Value *offset = kb.offset(indices, shape);
    kb.store(kb.load(inputs[0], offset, element), outputs[0], offset, element);
  });
  return success();
}

LogicalResult emitScatter(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                          ArrayRef<llvm::Value *> outputs) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ScatterElementsOp op) { return emitScatterElements(kb, op, inputs, outputs); })
      .Case([&](ScatterNDOp op) { return emitScatterND(kb, op, inputs, outputs); })
      .Default([](Operation *op) { return op->emitOpError("is not a scatter"); });
}

} // namespace r1c
