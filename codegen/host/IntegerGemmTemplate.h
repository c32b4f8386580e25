//===- IntegerGemmTemplate.h - Exact packed integer GEMMs on the host -*- C++ -*-===//
//
// Host code for r1.matmul_integer and r1.conv_integer kernels that a select
// pass gave a #r1k.host_integer_gemm variant: a packing phase, then the
// tasks of 16-bit multiply-adds into i32, with the kernel's fused body (the
// requantization) applied per block of sums.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_INTEGERGEMMTEMPLATE_H
#define R1C_CODEGEN_HOST_INTEGERGEMMTEMPLATE_H

#include "codegen/host/GemmTemplate.h"
#include "dialects/R1K/IR/R1KDialect.h"

namespace r1c {

/// Where an integer contraction's operands are: for a matmul lhs and rhs,
/// for a convolution the input and the weight, with their zero points;
/// `sums` receives the i32 result; `scratch` holds the packed operands
/// (r1k::getIntegerGemmScratch).
struct IntegerGemmBuffers {
  llvm::Value *lhs, *rhs, *lhsZero, *rhsZero, *sums, *scratch;
};

/// Packs A and B into the scratch, zero points subtracted: one task.
void emitIntegerGemmPacking(KernelBuilder &kb, mlir::Operation *anchor,
                            mlir::r1k::HostIntegerGemmAttr variant,
                            const IntegerGemmBuffers &buffers);

/// The sums from the packed operands, as the variant's tasks; `fused`,
/// when set, runs once per element of the result after its sum is stored.
void emitIntegerGemm(KernelBuilder &kb, mlir::Operation *anchor,
                     mlir::r1k::HostIntegerGemmAttr variant, const IntegerGemmBuffers &buffers,
                     const FusedBody &fused);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_INTEGERGEMMTEMPLATE_H
