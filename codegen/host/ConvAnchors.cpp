//===- ConvAnchors.cpp - Host code for convolution, pooling, batch norm ---===//
#include "codegen/host/Anchors.h"

using namespace mlir;

namespace r1c {

LogicalResult emitConv(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                       ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

LogicalResult emitPool(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                       ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

LogicalResult emitBatchNorm(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                            ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

} // namespace r1c
