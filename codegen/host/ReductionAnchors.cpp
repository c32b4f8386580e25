//===- ReductionAnchors.cpp - Host code for reductions and normalizations ===//
#include "codegen/host/Anchors.h"

using namespace mlir;

namespace r1c {

LogicalResult emitReduce(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                         ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

LogicalResult emitSoftmax(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                          ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

LogicalResult emitLayerNorm(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                            ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

} // namespace r1c
