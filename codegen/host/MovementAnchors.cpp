//===- MovementAnchors.cpp - Host code for data movement ------------------===//
//
// Every movement op is a loop nest over one tensor's indices with an index
// map to the other: the output's for transpose, expand, tile, slice and
// the gathers; each input's for concat; each result's for split.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

ArrayRef<int64_t> shapeOf(Value value) { return cast<RankedTensorType>(value.getType()).getShape(); }
Type elementOf(Value value) { return cast<RankedTensorType>(value.getType()).getElementType(); }

/// out[indices] = in[map(indices)] over every index of `out`.
void copyMapped(KernelBuilder &kb, Value input, llvm::Value *in, Value output, llvm::Value *out,
                llvm::function_ref<llvm::Value *(ArrayRef<llvm::Value *>)> inputOffset) {
  ArrayRef<int64_t> shape = shapeOf(output);
  Type element = elementOf(input);
  kb.loopNest(shape, [&](ArrayRef<llvm::Value *> indices) {
    kb.store(kb.load(in, inputOffset(indices), element), out, kb.offset(indices, shape), element);
  });
}

LogicalResult emitTranspose(KernelBuilder &kb, TransposeOp op, ArrayRef<llvm::Value *> inputs,
                            ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> perm = op.getPerm(), inShape = shapeOf(op.getInput());
  copyMapped(kb, op.getInput(), inputs[0], op.getResult(), outputs[0],
             [&](ArrayRef<llvm::Value *> indices) {
               SmallVector<llvm::Value *> at(indices.size());
               for (auto [i, p] : llvm::enumerate(perm))
                 at[p] = indices[i];
               return kb.offset(at, inShape);
             });
  return success();
}

LogicalResult emitSlice(KernelBuilder &kb, SliceOp op, ArrayRef<llvm::Value *> inputs,
                        ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput());
  SmallVector<int64_t> first(inShape.size(), 0), step(inShape.size(), 1);
  for (size_t i = 0; i < op.getAxes().size(); ++i) {
    int64_t axis = *normalizeAxis(op.getAxes()[i], inShape.size());
    step[axis] = op.getSteps()[i];
    first[axis] = sliceFirstIndex(inShape[axis], op.getStarts()[i], step[axis]);
  }
  llvm::IRBuilder<> &b = kb.b;
  copyMapped(kb, op.getInput(), inputs[0], op.getResult(), outputs[0],
             [&](ArrayRef<llvm::Value *> indices) {
               SmallVector<llvm::Value *> at;
               for (auto [d, index] : llvm::enumerate(indices))
                 at.push_back(b.CreateAdd(kb.i64(first[d]), b.CreateMul(index, kb.i64(step[d]))));
               return kb.offset(at, inShape);
             });
  return success();
}

LogicalResult emitGather(KernelBuilder &kb, GatherOp op, ArrayRef<llvm::Value *> inputs,
                         ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  Type indexType = elementOf(op.getIndices());
  llvm::IRBuilder<> &b = kb.b;
  copyMapped(kb, op.getData(), inputs[0], op.getResult(), outputs[0],
             [&](ArrayRef<llvm::Value *> indices) {
               ArrayRef<llvm::Value *> picked = indices.slice(axis, indexShape.size());
               llvm::Value *index = b.CreateSExt(
                   kb.load(inputs[1], kb.offset(picked, indexShape), indexType), b.getInt64Ty());
               // Negative indices count from the end.
               index = b.CreateSelect(b.CreateICmpSLT(index, kb.i64(0)),
                                      b.CreateAdd(index, kb.i64(dataShape[axis])), index);
               SmallVector<llvm::Value *> at(indices.take_front(axis));
               at.push_back(index);
               at.append(indices.begin() + axis + indexShape.size(), indices.end());
               return kb.offset(at, dataShape);
             });
  return success();
}

LogicalResult emitGatherElements(KernelBuilder &kb, GatherElementsOp op,
                                 ArrayRef<llvm::Value *> inputs, ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  Type indexType = elementOf(op.getIndices());
  // The output has the indices' shape, so its position is theirs too.
  copyMapped(kb, op.getData(), inputs[0], op.getResult(), outputs[0],
             [&](ArrayRef<llvm::Value *> indices) {
               SmallVector<llvm::Value *> at(indices);
               at[axis] = loadWrappedIndex(kb, inputs[1], kb.offset(indices, indexShape), indexType,
                                           dataShape[axis]);
               return kb.offset(at, dataShape);
             });
  return success();
}

LogicalResult emitGatherND(KernelBuilder &kb, GatherNDOp op, ArrayRef<llvm::Value *> inputs,
                           ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t batch = op.getBatchDims(), tuple = indexShape.back();
  size_t outer = indexShape.size() - 1;
  Type indexType = elementOf(op.getIndices());
  llvm::IRBuilder<> &b = kb.b;
  copyMapped(kb, op.getData(), inputs[0], op.getResult(), outputs[0],
             [&](ArrayRef<llvm::Value *> indices) {
               // Output dims: the tuple's position in indices, then the slice.
               SmallVector<llvm::Value *> tupleAt(indices.take_front(outer));
               tupleAt.push_back(kb.i64(0));
               llvm::Value *first = kb.offset(tupleAt, indexShape);
               SmallVector<llvm::Value *> at(indices.take_front(batch));
               for (int64_t k = 0; k < tuple; ++k)
                 at.push_back(loadWrappedIndex(kb, inputs[1], b.CreateAdd(first, kb.i64(k)),
                                               indexType, dataShape[batch + k]));
               at.append(indices.begin() + outer, indices.end());
               return kb.offset(at, dataShape);
             });
  return success();
}

LogicalResult emitConcat(KernelBuilder &kb, ConcatOp op, ArrayRef<llvm::Value *> inputs,
                         ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> outShape = shapeOf(op.getResult());
  int64_t axis = *normalizeAxis(op.getAxis(), outShape.size());
  Type element = elementOf(op.getResult());
  int64_t start = 0;
  llvm::IRBuilder<> &b = kb.b;
  for (auto [input, pointer] : llvm::zip(op.getInputs(), inputs)) {
    ArrayRef<int64_t> inShape = shapeOf(input);
    kb.loopNest(inShape, [&](ArrayRef<llvm::Value *> indices) {
      SmallVector<llvm::Value *> at(indices);
      at[axis] = b.CreateAdd(at[axis], kb.i64(start));
      kb.store(kb.load(pointer, kb.offset(indices, inShape), element), outputs[0],
               kb.offset(at, outShape), element);
    });
    start += inShape[axis];
  }
  return success();
}

LogicalResult emitSplit(KernelBuilder &kb, SplitOp op, ArrayRef<llvm::Value *> inputs,
                        ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput());
  int64_t axis = *normalizeAxis(op.getAxis(), inShape.size());
  int64_t start = 0;
  llvm::IRBuilder<> &b = kb.b;
  for (auto [result, pointer] : llvm::zip(op.getResults(), outputs)) {
    int64_t first = start;
    copyMapped(kb, op.getInput(), inputs[0], result, pointer,
               [&](ArrayRef<llvm::Value *> indices) {
                 SmallVector<llvm::Value *> at(indices);
                 at[axis] = b.CreateAdd(at[axis], kb.i64(first));
                 return kb.offset(at, inShape);
               });
    start += shapeOf(result)[axis];
  }
  return success();
}

/// Pad: each output index minus the begin pad is an input index. Negative
/// pads crop first, so the modes work inside the kept range [lo, hi]:
/// reflect mirrors about its edges without repeating them, edge clamps,
/// wrap takes the index modulo its extent; constant mode writes `value`
/// wherever an index falls outside it.
LogicalResult emitPad(KernelBuilder &kb, PadOp op, ArrayRef<llvm::Value *> inputs,
                      ArrayRef<llvm::Value *> outputs) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput()), outShape = shapeOf(op.getResult());
  StringRef mode = op.getMode();
  Type element = elementOf(op.getInput());
  SmallVector<PadRange> ranges = getPadRanges(inShape, op.getPads());
  bool empty = llvm::any_of(ranges, [](const PadRange &r) { return r.hi < r.lo; });
  if (empty && mode != "constant")
    return op.emitOpError("pads an empty input in mode '") << mode << "'";
  llvm::IRBuilder<> &b = kb.b;
  llvm::Value *fill = element.isInteger(1) ? b.getInt1(op.getValue().convertToDouble() != 0)
                                           : kb.constant(element, op.getValue().convertToDouble());
  kb.loopNest(outShape, [&](ArrayRef<llvm::Value *> indices) {
    SmallVector<llvm::Value *> at;
    llvm::Value *inside = b.getTrue();
    for (auto [d, index] : llvm::enumerate(indices)) {
      const PadRange &r = ranges[d];
      llvm::Value *lo = kb.i64(r.lo), *hi = kb.i64(r.hi);
      llvm::Value *i = b.CreateSub(index, kb.i64(r.begin));
      if (mode == "reflect") {
        i = b.CreateSelect(b.CreateICmpSLT(i, lo), b.CreateSub(kb.i64(2 * r.lo), i), i);
        i = b.CreateSelect(b.CreateICmpSGT(i, hi), b.CreateSub(kb.i64(2 * r.hi), i), i);
      } else if (mode == "wrap") {
        llvm::Value *n = kb.i64(r.hi - r.lo + 1);
        llvm::Value *j = b.CreateSRem(b.CreateSub(i, lo), n);
        i = b.CreateAdd(b.CreateSRem(b.CreateAdd(j, n), n), lo);
      } else if (mode == "constant") {
        inside = b.CreateAnd(inside, b.CreateAnd(b.CreateICmpSGE(i, lo), b.CreateICmpSLE(i, hi)));
      }
      // Edge mode clamps; the other modes clamp only to keep loads in bounds.
      i = b.CreateSelect(b.CreateICmpSLT(i, lo), lo, i);
      at.push_back(b.CreateSelect(b.CreateICmpSGT(i, hi), hi, i));
    }
    llvm::Value *value =
        empty ? fill
              : b.CreateSelect(inside, kb.load(inputs[0], kb.offset(at, inShape), element), fill);
    kb.store(value, outputs[0], kb.offset(indices, outShape), element);
  });
  return success();
}

} // namespace

llvm::Value *loadWrappedIndex(KernelBuilder &kb, llvm::Value *indices, llvm::Value *offset,
                              Type indexType, int64_t extent) {
  llvm::IRBuilder<> &b = kb.b;
  llvm::Value *index = b.CreateSExt(kb.load(indices, offset, indexType), b.getInt64Ty());
  return b.CreateSelect(b.CreateICmpSLT(index, kb.i64(0)), b.CreateAdd(index, kb.i64(extent)),
                        index);
}

LogicalResult emitMovement(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                           ArrayRef<llvm::Value *> outputs) {
  llvm::IRBuilder<> &b = kb.b;
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](TransposeOp op) { return emitTranspose(kb, op, inputs, outputs); })
      .Case([&](SliceOp op) { return emitSlice(kb, op, inputs, outputs); })
      .Case([&](GatherOp op) { return emitGather(kb, op, inputs, outputs); })
      .Case([&](GatherElementsOp op) { return emitGatherElements(kb, op, inputs, outputs); })
      .Case([&](GatherNDOp op) { return emitGatherND(kb, op, inputs, outputs); })
      .Case([&](ConcatOp op) { return emitConcat(kb, op, inputs, outputs); })
      .Case([&](SplitOp op) { return emitSplit(kb, op, inputs, outputs); })
      .Case([&](PadOp op) { return emitPad(kb, op, inputs, outputs); })
      .Case([&](ExpandOp op) {
        ArrayRef<int64_t> inShape = shapeOf(op.getInput());
        copyMapped(kb, op.getInput(), inputs[0], op.getResult(), outputs[0],
                   [&](ArrayRef<llvm::Value *> indices) {
                     return kb.broadcastOffset(indices, inShape);
                   });
        return success();
      })
      .Case([&](TileOp op) {
        ArrayRef<int64_t> inShape = shapeOf(op.getInput());
        copyMapped(kb, op.getInput(), inputs[0], op.getResult(), outputs[0],
                   [&](ArrayRef<llvm::Value *> indices) {
                     SmallVector<llvm::Value *> at;
                     for (auto [d, index] : llvm::enumerate(indices))
                       at.push_back(b.CreateURem(index, kb.i64(inShape[d])));
                     return kb.offset(at, inShape);
                   });
        return success();
      })
      .Case([&](RangeOp op) {
        Type element = elementOf(op.getResult());
        llvm::Value *start = kb.load(inputs[0], kb.i64(0), element);
        llvm::Value *delta = kb.load(inputs[2], kb.i64(0), element);
        bool isFloat = isa<FloatType>(element);
        kb.loop(shapeOf(op.getResult())[0], [&](llvm::Value *i) {
          llvm::Value *step = isFloat ? b.CreateSIToFP(i, start->getType())
                                      : b.CreateIntCast(i, start->getType(), true);
          llvm::Value *value = isFloat ? b.CreateFAdd(start, b.CreateFMul(step, delta))
                                       : b.CreateAdd(start, b.CreateMul(step, delta));
          kb.store(value, outputs[0], i, element);
        });
        return success();
      })
      .Case([&](ConstantOfShapeOp op) -> LogicalResult {
        auto value = dyn_cast<DenseElementsAttr>(op.getValue());
        if (!value)
          return op.emitOpError("with a resource value has no host code yet");
        Type element = elementOf(op.getResult());
        Attribute splat = value.getSplatValue<Attribute>();
        llvm::Value *fill =
            isa<FloatAttr>(splat)
                ? kb.constant(element, cast<FloatAttr>(splat).getValueAsDouble())
                : llvm::ConstantInt::get(b.getContext(), cast<IntegerAttr>(splat).getValue());
        ArrayRef<int64_t> shape = shapeOf(op.getResult());
        kb.loop(productOfDims(shape), [&](llvm::Value *i) { kb.store(fill, outputs[0], i, element); });
        return success();
      })
      .Case([&](TriluOp op) {
        ArrayRef<int64_t> shape = shapeOf(op.getResult());
        Type element = elementOf(op.getResult());
        int64_t k = op.getK();
        bool upper = op.getUpper();
        kb.loopNest(shape, [&](ArrayRef<llvm::Value *> indices) {
          llvm::Value *offset = kb.offset(indices, shape);
          // Column minus row against k decides the triangle.
          llvm::Value *diagonal =
              b.CreateSub(indices[indices.size() - 1], indices[indices.size() - 2]);
          llvm::Value *keep = upper ? b.CreateICmpSGE(diagonal, kb.i64(k))
                                    : b.CreateICmpSLE(diagonal, kb.i64(k));
          llvm::Value *zero = element.isInteger(1) ? b.getFalse() : kb.constant(element, 0);
          kb.store(b.CreateSelect(keep, kb.load(inputs[0], offset, element), zero), outputs[0],
                   offset, element);
        });
        return success();
      })
      .Default([](Operation *op) { return op->emitOpError("has no host code generation yet"); });
}

} // namespace r1c
