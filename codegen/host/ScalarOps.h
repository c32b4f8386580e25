//===- ScalarOps.h - One element of an r1 elementwise op as LLVM IR -*- C++ -*-===//
#ifndef R1C_CODEGEN_HOST_SCALAROPS_H
#define R1C_CODEGEN_HOST_SCALAROPS_H

#include "mlir/IR/Operation.h"
#include "llvm/IR/IRBuilder.h"

namespace r1c {

/// The LLVM type an element of `type` has in registers (i1 for booleans).
llvm::Type *getScalarType(llvm::LLVMContext &context, mlir::Type type);
/// The LLVM type an element of `type` has in memory (i8 for booleans, as
/// ONNX stores them).
llvm::Type *getStorageType(llvm::LLVMContext &context, mlir::Type type);

/// Emits one element of the elementwise r1 op `op` from its operands'
/// elements. Returns null, after an MLIR diagnostic, for what the host
/// target does not support.
llvm::Value *emitElementwiseScalar(llvm::IRBuilder<> &builder, mlir::Operation *op,
                                   llvm::ArrayRef<llvm::Value *> operands);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_SCALAROPS_H
