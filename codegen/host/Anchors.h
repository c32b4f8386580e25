//===- Anchors.h - Host code for each kernel anchor -------------*- C++ -*-===//
//
// Each function emits one anchor op: reading its operands from `inputs`
// (one pointer per operand of the op, null for an absent optional one) and
// writing each result to `outputs`. Shapes are static. Returns failure after
// a diagnostic on the op.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_ANCHORS_H
#define R1C_CODEGEN_HOST_ANCHORS_H

#include "codegen/host/KernelBuilder.h"
#include "mlir/IR/Operation.h"

namespace r1c {

using AnchorEmitter = mlir::LogicalResult (*)(KernelBuilder &, mlir::Operation *,
                                              llvm::ArrayRef<llvm::Value *> inputs,
                                              llvm::ArrayRef<llvm::Value *> outputs);

/// Dispatches on the op; failure with a diagnostic for anchors without host
/// code yet.
mlir::LogicalResult emitAnchor(KernelBuilder &kb, mlir::Operation *op,
                               llvm::ArrayRef<llvm::Value *> inputs,
                               llvm::ArrayRef<llvm::Value *> outputs);

// Contractions (ContractionAnchors.cpp).
mlir::LogicalResult emitMatMul(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                               llvm::ArrayRef<llvm::Value *>);
// Convolution, pooling and batch normalization (ConvAnchors.cpp).
mlir::LogicalResult emitConv(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                             llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitPool(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                             llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitBatchNorm(KernelBuilder &, mlir::Operation *,
                                  llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
// Reductions and normalizations (ReductionAnchors.cpp).
mlir::LogicalResult emitReduce(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                               llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitSoftmax(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                                llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitArgReduce(KernelBuilder &, mlir::Operation *,
                                  llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitLayerNorm(KernelBuilder &, mlir::Operation *,
                                  llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
// Data movement (MovementAnchors.cpp).
mlir::LogicalResult emitMovement(KernelBuilder &, mlir::Operation *,
                                 llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
/// An index loaded from `indices` at `offset`, widened to i64, with a
/// negative one counted from the end of a dim of size `extent`, as the
/// gathers and scatters of ONNX read them.
llvm::Value *loadWrappedIndex(KernelBuilder &kb, llvm::Value *indices, llvm::Value *offset,
                              mlir::Type indexType, int64_t extent);
// Scatters (ScatterAnchors.cpp), in two phases: emitScatterCopy copies the
// data into the result, and may be split into tasks; emitScatter then
// applies the updates in order and must run as one task.
mlir::LogicalResult emitScatterCopy(KernelBuilder &, mlir::Operation *,
                                    llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitScatter(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                                llvm::ArrayRef<llvm::Value *>);
// The k best elements of each row (TopKAnchors.cpp).
mlir::LogicalResult emitTopK(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                             llvm::ArrayRef<llvm::Value *>);
// Greedy non-maximum suppression, in the kernel's scratch
// (NonMaxSuppressionAnchors.cpp).
mlir::LogicalResult emitNonMaxSuppression(KernelBuilder &, mlir::Operation *,
                                          llvm::ArrayRef<llvm::Value *>,
                                          llvm::ArrayRef<llvm::Value *>);
// Results whose size depends on the data (DataSizedAnchors.cpp).
mlir::LogicalResult emitNonZero(KernelBuilder &, mlir::Operation *, llvm::ArrayRef<llvm::Value *>,
                                llvm::ArrayRef<llvm::Value *>);
mlir::LogicalResult emitKeepLeading(KernelBuilder &, mlir::Operation *,
                                    llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);
// The time loop of RNN, GRU and LSTM, state in the kernel's scratch
// (RecurrenceAnchors.cpp).
mlir::LogicalResult emitRecurrence(KernelBuilder &, mlir::Operation *,
                                   llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *>);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_ANCHORS_H
