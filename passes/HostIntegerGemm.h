//===- HostIntegerGemm.h - Variants of integer GEMMs on the host -*- C++ -*-===//
//
// The host variants of r1.matmul_integer and r1.conv_integer: the GEMM
// template with vpdpbusd (#r1k.host_gemm<dot = dpbusd>) where the level has
// AVX512-VNNI and the weight is a constant, else the packed integer GEMM
// (#r1k.host_integer_gemm): which kernels they compute, and the variant on
// a target.
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

/// Whether some level with AVX512-VNNI would run `kernel`'s integer
/// contraction with vpdpbusd: its weight and zero points are constants
/// (and, with `packWeights` false, it is a matmul).
bool canUseVpdpbusd(mlir::r1k::KernelOp kernel, bool packWeights);

/// The variant for `anchor` of `kernel` on the host `target`, and in
/// `reason` why. With AVX512-VNNI and a constant weight, a host_gemm with
/// dot = dpbusd: the weight packed at compile time, one K step, and as
/// many rows and 16-lane vectors per micro-kernel as 32 registers hold
/// (the sums, a vector of B each, a broadcast, and the activation's sums
/// when the weight's zero point is not 0). Otherwise a host_integer_gemm:
/// vectors as wide as the target's, as many rows and vectors as its
/// registers hold, fewer when the GEMM is narrower. Either way row (and
/// column) blocks small enough that every core gets tasks.
/// `packWeights` false (--weights=external): a matmul's weight is packed
/// once per call from the side file, and a convolution keeps the integer
/// GEMM, whose weight stays in the side file too.
mlir::Attribute chooseHostIntegerGemm(mlir::r1k::KernelOp kernel, mlir::Operation *anchor,
                                      mlir::r1k::TargetAttr target, bool packWeights,
                                      std::string &reason);

} // namespace r1c

#endif // R1C_PASSES_HOSTINTEGERGEMM_H
