//===- MovementAnchors.cpp - Host code for data movement ------------------===//
#include "codegen/host/Anchors.h"

using namespace mlir;

namespace r1c {

LogicalResult emitMovement(KernelBuilder &, Operation *op, ArrayRef<llvm::Value *>,
                           ArrayRef<llvm::Value *>) {
  return op->emitOpError("has no host code generation yet");
}

} // namespace r1c
