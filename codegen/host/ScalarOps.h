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

/// The type host code computes elements of `element` in: f32 for the 16-bit
/// floats, whose sums and function approximations would otherwise round at
/// every step; `element` itself for everything else. Results round to
/// `element` once per ONNX op, as ONNX Runtime and the GPU kernels round.
mlir::Type getComputeType(mlir::Type element);

/// `x` rounded to the narrower float type `target` (to nearest even; for
/// bfloat16 by integer arithmetic, which needs no runtime library).
llvm::Value *emitFloatTruncate(llvm::IRBuilder<> &builder, llvm::Value *x, llvm::Type *target);

/// Emits one element of the elementwise r1 op `op` from its operands'
/// elements. 16-bit float operands are computed in f32 and the result
/// rounded to the op's element type. Returns null, after an MLIR diagnostic, for what the host
/// target does not support.
llvm::Value *emitElementwiseScalar(llvm::IRBuilder<> &builder, mlir::Operation *op,
                                   llvm::ArrayRef<llvm::Value *> operands);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_SCALAROPS_H
