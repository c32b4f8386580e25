//===- GpuAttentionSelection.h - The tiles of GPU attention -----*- C++ -*-===//
//
// #r1k.gpu_attention for a fused attention kernel on a GPU target: the
// template (the matrix instruction, or FMA) and its tiles, by fixed rules
// on the shapes and the target, with the reason for the variant log.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_GPUATTENTIONSELECTION_H
#define R1C_PASSES_GPUATTENTIONSELECTION_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <optional>
#include <string>

namespace r1c {

struct GpuAttentionChoice {
  mlir::r1::AttentionOp op;
  /// Null when no variant fits (the reason says why); the printer then
  /// reports the kernel.
  mlir::r1k::GpuAttentionAttr variant;
  /// Why this template and these tiles, e.g. "mma.sync: 128-row blocks
  /// make 256 blocks for 132 compute units, 90112 bytes of shared memory".
  std::string reason;
};

/// The variant of `kernel` on the GPU `target`; std::nullopt for a kernel
/// that is not a fused attention GPU code can compute (static shapes,
/// operands that are kernel inputs, float elements of at most 32 bits).
std::optional<GpuAttentionChoice> chooseGpuAttention(mlir::r1k::KernelOp kernel,
                                                     mlir::r1k::TargetAttr target);

} // namespace r1c

#endif // R1C_PASSES_GPUATTENTIONSELECTION_H
