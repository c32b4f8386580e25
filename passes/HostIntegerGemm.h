//===- HostIntegerGemm.h - Variants of integer GEMMs on the host -*- C++ -*-===//
//
// The packed integer GEMM (#r1k.host_integer_gemm) that host code runs for
// r1.matmul_integer and r1.conv_integer: which kernels it computes, and its
// variant on a target.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_HOSTINTEGERGEMM_H
#define R1C_PASSES_HOSTINTEGERGEMM_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <string>

namespace r1c {

/// The integer contraction `kernel` computes, when its shapes are static
/// and its operands kernel inputs (or constants copied into it); null
/// otherwise.
mlir::Operation *getHostIntegerGemm(mlir::r1k::KernelOp kernel);

/// The variant for `anchor` on the host `target`, and in `reason` why:
/// vectors as wide as the target's; as many rows and vectors per
/// micro-kernel as its vector registers hold (rows * vectors sums, a
/// vector of B each, a broadcast), fewer when the GEMM is narrower; and
/// row blocks small enough that every core gets tasks.
mlir::r1k::HostIntegerGemmAttr
chooseHostIntegerGemm(mlir::Operation *anchor, mlir::r1k::TargetAttr target, std::string &reason);

} // namespace r1c

#endif // R1C_PASSES_HOSTINTEGERGEMM_H
