//===- ReductionAnchors.cpp - Host code for reductions and normalizations ===//
//
// Loop nests: an outer nest over the kept dims, an inner one over the
// reduced dims, an accumulator whose float sums may reassociate, so that
// LLVM vectorizes rows. Softmax and layer norm make two or
// three passes over each row. 16-bit floats are computed in f32 and rounded
// once, on the way to the output.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "codegen/host/FloatApproximations.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/IR/Intrinsics.h"

#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

enum class Combine { Sum, Mean, Max, Min, Prod };

/// acc + x, free to reassociate: LLVM then sums a row in vector lanes and
/// adds the lanes at the end, where the strict order would keep the loop
/// scalar. The order is still fixed by the code, so results do not depend
/// on the thread count.
llvm::Value *reassociableAdd(llvm::IRBuilder<> &b, llvm::Value *acc, llvm::Value *x) {
  llvm::Value *sum = b.CreateFAdd(acc, x);
  if (auto *instruction = llvm::dyn_cast<llvm::Instruction>(sum))
    instruction->setHasAllowReassoc(true);
  return sum;
}

llvm::Value *initialValue(KernelBuilder &kb, Type element, Combine combine) {
  if (combine == Combine::Prod)
    return kb.constant(element, 1);
  if (combine != Combine::Max && combine != Combine::Min)
    return kb.constant(element, 0);
  bool max = combine == Combine::Max;
  if (isa<FloatType>(element))
    return kb.constant(element, max ? -std::numeric_limits<double>::infinity()
                                    : std::numeric_limits<double>::infinity());
  unsigned width = element.getIntOrFloatBitWidth();
  // Booleans order false < true.
  bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
  llvm::APInt bound = max ? (isUnsigned ? llvm::APInt::getMinValue(width)
                                        : llvm::APInt::getSignedMinValue(width))
                          : (isUnsigned ? llvm::APInt::getMaxValue(width)
                                        : llvm::APInt::getSignedMaxValue(width));
  return llvm::ConstantInt::get(kb.b.getContext(), bound);
}

llvm::Value *combineValues(KernelBuilder &kb, Type element, Combine combine, llvm::Value *acc,
                           llvm::Value *x) {
  llvm::IRBuilder<> &b = kb.b;
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
  switch (combine) {
  case Combine::Sum:
  case Combine::Mean:
    return isFloat ? reassociableAdd(b, acc, x) : b.CreateAdd(acc, x);
  case Combine::Prod:
    return isFloat ? b.CreateFMul(acc, x) : b.CreateMul(acc, x);
  case Combine::Max:
    if (isFloat)
      return b.CreateIntrinsic(llvm::Intrinsic::maximum, {acc->getType()}, {acc, x});
    return b.CreateSelect(isUnsigned ? b.CreateICmpUGT(x, acc) : b.CreateICmpSGT(x, acc), x,
                          acc);
  case Combine::Min:
    if (isFloat)
      return b.CreateIntrinsic(llvm::Intrinsic::minimum, {acc->getType()}, {acc, x});
    return b.CreateSelect(isUnsigned ? b.CreateICmpULT(x, acc) : b.CreateICmpSLT(x, acc), x,
                          acc);
  }
  return nullptr;
}

/// Input indices from the kept indices (reduced dims 1) and the reduced ones.
SmallVector<llvm::Value *> joinIndices(ArrayRef<llvm::Value *> kept, ArrayRef<llvm::Value *> reduced,
                                       ArrayRef<bool> isReduced) {
  SmallVector<llvm::Value *> indices;
  size_t next = 0;
  for (auto [d, flag] : llvm::enumerate(isReduced))
    indices.push_back(flag ? reduced[next++] : kept[d]);
  return indices;
}

/// A reduction whose axes arrive as a tensor: which dims it reduces, and so
/// the result's dims, are known only at run time. Loops with run-time trip
/// counts visit the input in the static path's order; the output's dims go
/// to `outputs[1]`.
LogicalResult emitReduceOverComputedAxes(KernelBuilder &kb, Operation *op, Combine combine,
                                         ArrayRef<llvm::Value *> inputs,
                                         ArrayRef<llvm::Value *> outputs) {
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  auto axesType = cast<RankedTensorType>(op->getOperand(1).getType());
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || !axesType.hasStaticShape())
    return op->emitOpError("with axes computed at run time needs static input and axes shapes "
                           "on host");
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size();
  bool keepDims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  bool noopWhenEmpty = op->getAttrOfType<BoolAttr>("noop_with_empty_axes").getValue();
  llvm::IRBuilder<> &b = kb.b;
  llvm::Type *i64 = b.getInt64Ty();

  // Bit d of the mask: dim d is reduced. Axes out of range are ignored
  // (the model is invalid; this only keeps the kernel in bounds).
  llvm::Value *maskSlot = b.CreateAlloca(i64);
  int64_t axisCount = axesType.getNumElements();
  int64_t all = rank >= 63 ? -1 : (int64_t(1) << rank) - 1;
  b.CreateStore(b.getInt64(axisCount == 0 && !noopWhenEmpty ? all : 0), maskSlot);
  kb.loop(axisCount, [&](llvm::Value *j) {
    llvm::Value *axis = b.CreateLoad(i64, b.CreateGEP(i64, inputs[1], j));
    axis = b.CreateSelect(b.CreateICmpSLT(axis, b.getInt64(0)),
                          b.CreateAdd(axis, b.getInt64(rank)), axis);
    llvm::Value *inRange = b.CreateAnd(b.CreateICmpSGE(axis, b.getInt64(0)),
                                       b.CreateICmpSLT(axis, b.getInt64(rank)));
    llvm::Value *bit = b.CreateSelect(
        inRange, b.CreateShl(b.getInt64(1), b.CreateAnd(axis, b.getInt64(63))), b.getInt64(0));
    b.CreateStore(b.CreateOr(b.CreateLoad(i64, maskSlot), bit), maskSlot);
  });
  llvm::Value *mask = b.CreateLoad(i64, maskSlot);
  SmallVector<llvm::Value *> reduced;
  for (int64_t d = 0; d < rank; ++d)
    reduced.push_back(
        b.CreateICmpNE(b.CreateAnd(mask, b.getInt64(int64_t(1) << d)), b.getInt64(0)));

  // Output strides over the kept dims (0 for reduced ones), its element
  // count, and the number of elements each output element reduces.
  SmallVector<llvm::Value *> strides(rank);
  llvm::Value *outputCount = b.getInt64(1), *reducedCount = b.getInt64(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    strides[d] = b.CreateSelect(reduced[d], b.getInt64(0), outputCount);
    outputCount = b.CreateSelect(reduced[d], outputCount,
                                 b.CreateMul(outputCount, b.getInt64(shape[d])));
    reducedCount = b.CreateSelect(reduced[d], b.CreateMul(reducedCount, b.getInt64(shape[d])),
                                  reducedCount);
  }
  // The result's dims: reduced ones become 1, or go without keepdims.
  llvm::Value *dims = outputs[1];
  llvm::Value *next = b.getInt64(0);
  for (int64_t d = 0; d < rank; ++d) {
    llvm::Value *kept = b.CreateNot(reduced[d]);
    llvm::Value *extent = b.CreateSelect(reduced[d], b.getInt64(1), b.getInt64(shape[d]));
    if (keepDims) {
      b.CreateStore(extent, b.CreateGEP(i64, dims, b.getInt64(d)));
      continue;
    }
    // Without keepdims only kept dims are written, up to the result's rank.
    llvm::Value *fits = b.CreateAnd(kept, b.CreateICmpSLT(next, b.getInt64(resultType.getRank())));
    llvm::Value *at = b.CreateSelect(fits, next, b.getInt64(0));
    llvm::Value *address = b.CreateGEP(i64, dims, at);
    b.CreateStore(b.CreateSelect(fits, extent, b.CreateLoad(i64, address)), address);
    next = b.CreateAdd(next, b.CreateZExt(kept, i64));
  }

  // Each output element reduces, in a register, the input elements that
  // share its kept indices: a nest over the kept dims (extent 1 where
  // reduced), and inside it one over the reduced dims (extent 1 where kept).
  SmallVector<llvm::Value *> keptExtents, reducedExtents;
  for (int64_t d = 0; d < rank; ++d) {
    keptExtents.push_back(b.CreateSelect(reduced[d], b.getInt64(1), b.getInt64(shape[d])));
    reducedExtents.push_back(b.CreateSelect(reduced[d], b.getInt64(shape[d]), b.getInt64(1)));
  }
  Type compute = getComputeType(element);
  llvm::Type *scalar = getScalarType(b.getContext(), compute);
  llvm::Value *acc = kb.accumulator(compute);
  kb.loopNest(keptExtents, [&](ArrayRef<llvm::Value *> kept) {
    b.CreateStore(initialValue(kb, compute, combine), acc);
    kb.loopNest(reducedExtents, [&](ArrayRef<llvm::Value *> inner) {
      SmallVector<llvm::Value *> indices;
      for (int64_t d = 0; d < rank; ++d)
        indices.push_back(b.CreateAdd(kept[d], inner[d]));
      llvm::Value *x = kb.loadComputed(inputs[0], kb.offset(indices, shape), element);
      b.CreateStore(combineValues(kb, compute, combine, b.CreateLoad(scalar, acc), x), acc);
    });
    llvm::Value *result = b.CreateLoad(scalar, acc);
    if (combine == Combine::Mean)
      result = b.CreateFDiv(result, b.CreateSIToFP(reducedCount, scalar));
    llvm::Value *at = b.getInt64(0);
    for (int64_t d = 0; d < rank; ++d)
      at = b.CreateAdd(at, b.CreateMul(kept[d], strides[d]));
    kb.storeComputed(result, outputs[0], at, element);
  });
  return success();
}

} // namespace

LogicalResult emitReduce(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                         ArrayRef<llvm::Value *> outputs) {
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  Combine combine = isa<ReduceSumOp>(op)    ? Combine::Sum
                    : isa<ReduceMeanOp>(op) ? Combine::Mean
                    : isa<ReduceMaxOp>(op)  ? Combine::Max
                    : isa<ReduceMinOp>(op)  ? Combine::Min
                                            : Combine::Prod;
  if (combine == Combine::Mean && !isa<FloatType>(element))
    return op->emitOpError("of integers has no host code yet");
  if (op->getNumOperands() > 1) {
    // With a static result type the kernel gets no dims array to fill.
    llvm::Value *scratchDims = nullptr;
    if (outputs.size() < 2)
      scratchDims = kb.b.CreateAlloca(kb.b.getInt64Ty(), kb.i64(std::max<int64_t>(1, type.getRank())));
    return emitReduceOverComputedAxes(kb, op, combine, inputs,
                                      scratchDims ? ArrayRef<llvm::Value *>{outputs[0], scratchDims}
                                                  : outputs);
  }
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<bool> isReduced(shape.size(), axes.empty());
  for (int64_t axis : axes)
    isReduced[*normalizeAxis(axis, shape.size())] = true;
  SmallVector<int64_t> keptShape, reducedShape;
  for (auto [d, flag] : llvm::enumerate(isReduced)) {
    keptShape.push_back(flag ? 1 : shape[d]);
    if (flag)
      reducedShape.push_back(shape[d]);
  }
  llvm::IRBuilder<> &b = kb.b;
  Type compute = getComputeType(element);
  llvm::Type *scalar = getScalarType(b.getContext(), compute);
  llvm::Value *acc = kb.accumulator(compute);
  kb.loopNest(keptShape, [&](ArrayRef<llvm::Value *> kept) {
    b.CreateStore(initialValue(kb, compute, combine), acc);
    kb.loopNest(reducedShape, [&](ArrayRef<llvm::Value *> reduced) {
      llvm::Value *x = kb.loadComputed(
          inputs[0], kb.offset(joinIndices(kept, reduced, isReduced), shape), element);
      b.CreateStore(combineValues(kb, compute, combine, b.CreateLoad(scalar, acc), x), acc);
    });
    llvm::Value *result = b.CreateLoad(scalar, acc);
    if (combine == Combine::Mean)
      result = b.CreateFDiv(result, kb.constant(compute, productOfDims(reducedShape)));
    // With or without keepdims the output has the kept dims' row-major order.
    kb.storeComputed(result, outputs[0], kb.offset(kept, keptShape), element);
  });
  return success();
}

LogicalResult emitArgReduce(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                            ArrayRef<llvm::Value *> outputs) {
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(), shape.size());
  bool max = isa<ArgMaxOp>(op);
  bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
  bool isFloat = isa<FloatType>(element), isUnsigned = element.isUnsignedInteger();
  SmallVector<int64_t> kept(shape);
  kept[axis] = 1;
  llvm::IRBuilder<> &b = kb.b;
  llvm::Type *scalar = getScalarType(b.getContext(), element);
  llvm::Value *bestValue = kb.accumulator(element);
  llvm::Value *bestIndex = kb.accumulator(IntegerType::get(op->getContext(), 64));
  kb.loopNest(kept, [&](ArrayRef<llvm::Value *> indices) {
    auto offsetAt = [&](llvm::Value *i) {
      SmallVector<llvm::Value *> at(indices);
      at[axis] = i;
      return kb.offset(at, shape);
    };
    b.CreateStore(kb.load(inputs[0], offsetAt(kb.i64(0)), element), bestValue);
    b.CreateStore(kb.i64(0), bestIndex);
    kb.loop(shape[axis], [&](llvm::Value *i) {
      llvm::Value *x = kb.load(inputs[0], offsetAt(i), element);
      llvm::Value *best = b.CreateLoad(scalar, bestValue);
      // Ties keep the first index, or move to the last with select_last_index.
      llvm::Value *better;
      if (isFloat)
        better = max ? (last ? b.CreateFCmpOGE(x, best) : b.CreateFCmpOGT(x, best))
                     : (last ? b.CreateFCmpOLE(x, best) : b.CreateFCmpOLT(x, best));
      else if (isUnsigned)
        better = max ? (last ? b.CreateICmpUGE(x, best) : b.CreateICmpUGT(x, best))
                     : (last ? b.CreateICmpULE(x, best) : b.CreateICmpULT(x, best));
      else
        better = max ? (last ? b.CreateICmpSGE(x, best) : b.CreateICmpSGT(x, best))
                     : (last ? b.CreateICmpSLE(x, best) : b.CreateICmpSLT(x, best));
      b.CreateStore(b.CreateSelect(better, x, best), bestValue);
      b.CreateStore(b.CreateSelect(better, i, b.CreateLoad(b.getInt64Ty(), bestIndex)),
                    bestIndex);
    });
    kb.store(b.CreateLoad(b.getInt64Ty(), bestIndex), outputs[0], kb.offset(indices, kept),
             IntegerType::get(op->getContext(), 64));
  });
  return success();
}

LogicalResult emitSoftmax(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                          ArrayRef<llvm::Value *> outputs) {
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(),
                                std::max<int64_t>(shape.size(), 1));
  bool logarithm = isa<LogSoftmaxOp>(op);
  SmallVector<int64_t> outer(shape);
  outer[axis] = 1;
  llvm::IRBuilder<> &b = kb.b;
  // 16-bit floats are computed in f32; their exponentials are computed again
  // in the last pass rather than kept, rounded, in the output.
  Type compute = getComputeType(element);
  bool widened = compute != element;
  llvm::Type *scalar = getScalarType(b.getContext(), compute);
  llvm::Value *maxSlot = kb.accumulator(compute), *sumSlot = kb.accumulator(compute);
  kb.loopNest(outer, [&](ArrayRef<llvm::Value *> indices) {
    auto offsetAt = [&](llvm::Value *i) {
      SmallVector<llvm::Value *> at(indices);
      at[axis] = i;
      return kb.offset(at, shape);
    };
    auto input = [&](llvm::Value *i) { return kb.loadComputed(inputs[0], offsetAt(i), element); };
    // Subtracting the row maximum keeps exp from overflowing.
    b.CreateStore(kb.constant(compute, -std::numeric_limits<double>::infinity()), maxSlot);
    kb.loop(shape[axis], [&](llvm::Value *i) {
      b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::maximum, {scalar},
                                      {b.CreateLoad(scalar, maxSlot), input(i)}),
                    maxSlot);
    });
    llvm::Value *max = b.CreateLoad(scalar, maxSlot);
    auto shiftedExp = [&](llvm::Value *i) {
      return emitExp(b, b.CreateFSub(input(i), max));
    };
    b.CreateStore(kb.constant(compute, 0), sumSlot);
    kb.loop(shape[axis], [&](llvm::Value *i) {
      llvm::Value *e = shiftedExp(i);
      if (!logarithm && !widened)
        kb.store(e, outputs[0], offsetAt(i), element);
      b.CreateStore(reassociableAdd(b, b.CreateLoad(scalar, sumSlot), e), sumSlot);
    });
    llvm::Value *sum = b.CreateLoad(scalar, sumSlot);
    llvm::Value *logSum = b.CreateIntrinsic(llvm::Intrinsic::log, {scalar}, {sum});
    llvm::Value *inverse = b.CreateFDiv(kb.constant(compute, 1), sum);
    kb.loop(shape[axis], [&](llvm::Value *i) {
      llvm::Value *offset = offsetAt(i);
      llvm::Value *y;
      if (logarithm)
        y = b.CreateFSub(b.CreateFSub(input(i), max), logSum);
      else
        y = b.CreateFMul(widened ? shiftedExp(i) : kb.load(outputs[0], offset, element), inverse);
      kb.storeComputed(y, outputs[0], offset, element);
    });
  });
  return success();
}

LogicalResult emitLayerNorm(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                            ArrayRef<llvm::Value *> outputs) {
  auto op = cast<LayerNormOp>(anchor);
  auto type = cast<RankedTensorType>(op.getInput().getType());
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op.getAxis(), shape.size());
  ArrayRef<int64_t> rowShape = shape.drop_front(axis);
  int64_t rows = productOfDims(shape.take_front(axis)), width = productOfDims(rowShape);
  auto scaleShape = cast<RankedTensorType>(op.getScale().getType()).getShape();
  std::optional<ArrayRef<int64_t>> biasShape;
  if (op.getBias())
    biasShape = cast<RankedTensorType>(op.getBias().getType()).getShape();
  llvm::IRBuilder<> &b = kb.b;
  Type compute = getComputeType(element);
  llvm::Type *scalar = getScalarType(b.getContext(), compute);
  llvm::Value *sumSlot = kb.accumulator(compute);
  double epsilon = op.getEpsilon().convertToDouble();
  kb.loop(rows, [&](llvm::Value *row) {
    llvm::Value *base = b.CreateMul(row, kb.i64(width));
    auto input = [&](llvm::Value *offset) { return kb.loadComputed(inputs[0], offset, element); };
    auto rowSum = [&](auto valueAt) {
      b.CreateStore(kb.constant(compute, 0), sumSlot);
      kb.loop(width, [&](llvm::Value *i) {
        b.CreateStore(reassociableAdd(b, b.CreateLoad(scalar, sumSlot), valueAt(i)), sumSlot);
      });
      return b.CreateFDiv(b.CreateLoad(scalar, sumSlot), kb.constant(compute, width));
    };
    llvm::Value *mean = rowSum([&](llvm::Value *i) { return input(b.CreateAdd(base, i)); });
    llvm::Value *variance = rowSum([&](llvm::Value *i) {
      llvm::Value *d = b.CreateFSub(input(b.CreateAdd(base, i)), mean);
      return b.CreateFMul(d, d);
    });
    llvm::Value *inverse =
        b.CreateFDiv(kb.constant(compute, 1),
                     b.CreateIntrinsic(llvm::Intrinsic::sqrt, {scalar},
                                       {b.CreateFAdd(variance, kb.constant(compute, epsilon))}));
    kb.loopNest(rowShape, [&](ArrayRef<llvm::Value *> indices) {
      llvm::Value *offset = b.CreateAdd(base, kb.offset(indices, rowShape));
      llvm::Value *normalized = b.CreateFMul(b.CreateFSub(input(offset), mean), inverse);
      llvm::Value *y = b.CreateFMul(
          normalized, kb.loadComputed(inputs[1], kb.broadcastOffset(indices, scaleShape), element));
      if (biasShape)
        y = b.CreateFAdd(
            y, kb.loadComputed(inputs[2], kb.broadcastOffset(indices, *biasShape), element));
      kb.storeComputed(y, outputs[0], offset, element);
    });
  });
  return success();
}

} // namespace r1c
