//===- Anchors.cpp - Dispatch from anchor op to its host emitter -----------===//
#include "codegen/host/Anchors.h"
#include "dialects/R1/IR/R1Ops.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {

LogicalResult emitAnchor(KernelBuilder &kb, Operation *op, ArrayRef<llvm::Value *> inputs,
                         ArrayRef<llvm::Value *> outputs) {
  AnchorEmitter emitter =
      llvm::TypeSwitch<Operation *, AnchorEmitter>(op)
          .Case<MatMulOp>([](auto) { return emitMatMul; })
          .Case<ConvOp>([](auto) { return emitConv; })
          .Case<MaxPoolOp, AveragePoolOp>([](auto) { return emitPool; })
          .Case<BatchNormOp>([](auto) { return emitBatchNorm; })
          .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
              [](auto) { return emitReduce; })
          .Case<SoftmaxOp, LogSoftmaxOp>([](auto) { return emitSoftmax; })
          .Case<LayerNormOp>([](auto) { return emitLayerNorm; })
          .Case<ArgMaxOp, ArgMinOp>([](auto) { return emitArgReduce; })
          .Case<TransposeOp, ExpandOp, SliceOp, GatherOp, GatherElementsOp, GatherNDOp, ConcatOp,
                SplitOp, TileOp, RangeOp, ConstantOfShapeOp, TriluOp, PadOp>(
              [](auto) { return emitMovement; })
          .Case<ScatterElementsOp, ScatterNDOp>([](auto) { return emitScatter; })
          .Case<TopKOp>([](auto) { return emitTopK; })
          .Case<NonMaxSuppressionOp>([](auto) { return emitNonMaxSuppression; })
          .Case<NonZeroOp>([](auto) { return emitNonZero; })
          .Case<KeepLeadingOp>([](auto) { return emitKeepLeading; })
          .Case<RecurrenceOp>([](auto) { return emitRecurrence; })
          .Default([](Operation *) { return nullptr; });
  if (!emitter)
    return op->emitOpError("has no host code generation yet");
  return emitter(kb, op, inputs, outputs);
}

} // namespace r1c
