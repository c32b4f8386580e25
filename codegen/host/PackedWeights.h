//===- PackedWeights.h - Weights the host code reads packed -----*- C++ -*-===//
//
// A GEMM whose variant packs B at compile time (pack_b = compile_time) reads
// its weight from a copy in the code, packed into panels, as does every
// integer GEMM with vpdpbusd (dot = dpbusd) its 8-bit weight. Which weights are
// read only that way decides both what the entry points pass a kernel (null
// for such an input) and what a weight layout must hold (not them).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_PACKEDWEIGHTS_H
#define R1C_CODEGEN_HOST_PACKEDWEIGHTS_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <optional>
#include <string>

namespace r1c {

/// The input of `kernel` that its GEMM reads from the packed copy at the
/// level whose variant key is `variantKey`; none if it packs nothing then.
std::optional<unsigned> packedWeightInput(mlir::r1k::KernelOp kernel, llvm::StringRef variantKey);

/// Whether host code built for the levels of `variantKeys` reads `constant`
/// only through packed copies: every use, through views, is an input that
/// its kernel reads packed at every level.
bool isReadOnlyPacked(mlir::r1::ConstantOp constant, llvm::ArrayRef<std::string> variantKeys);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_PACKEDWEIGHTS_H
