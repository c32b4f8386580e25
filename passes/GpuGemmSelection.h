//===- GpuGemmSelection.h - The tiles of GPU matmuls and convolutions -*- C++ -*-===//
//
// #r1k.gpu_gemm for a matmul or implicit-GEMM convolution kernel on a GPU
// target: the template (a matrix instruction, or wide or small FFMA tiles)
// and its tiles, by fixed rules on the product's shape and the target's
// compute units, with the reason for the variant log.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_GPUGEMMSELECTION_H
#define R1C_PASSES_GPUGEMMSELECTION_H

#include "dialects/R1K/IR/GemmDims.h"

#include <optional>
#include <string>

namespace r1c {

struct GpuGemmChoice {
  /// The products the variant is for.
  mlir::r1k::GpuGemmShape shape;
  mlir::r1k::GpuGemmAttr variant;
  /// Why this template and these tiles, e.g. "128x128 tiles make 144
  /// blocks for 132 compute units".
  std::string reason;
};

/// The variant of `kernel` on the GPU `target`. std::nullopt for a kernel
/// that GPU code does not run as a GEMM (r1k::getGpuGemmShape) or whose
/// operands are not floats, which GPU code rejects. The operands' element
/// type picks the instruction; the result's is only what the template
/// stores.
std::optional<GpuGemmChoice> chooseGpuGemm(mlir::r1k::KernelOp kernel,
                                           mlir::r1k::TargetAttr target);

} // namespace r1c

#endif // R1C_PASSES_GPUGEMMSELECTION_H
