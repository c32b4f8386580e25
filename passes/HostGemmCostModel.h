//===- HostGemmCostModel.h - Candidates and scores for host matmuls -*- C++ -*-===//
//
// The analytic model behind #r1k.host_gemm: what a host matmul could be
// (register blocks, K steps, cache blocks, packing) and how many cycles each
// choice costs on a target. r1c-select-variants picks the cheapest; tuning
// re-times the best few.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_HOSTGEMMCOSTMODEL_H
#define R1C_PASSES_HOSTGEMMCOSTMODEL_H

#include "dialects/R1K/IR/R1KDialect.h"

#include <optional>
#include <string>
#include <vector>

namespace r1c {

/// What the model needs to know about one matmul.
struct GemmProblem {
  int64_t m = 1, n = 1, k = 1;
  /// Product of the batch dims of C.
  int64_t batch = 1;
  int64_t elementBytes = 4;
  /// 16-bit floats, summed in f32: a K step must cover all of K, so no
  /// partial sum is rounded to 16 bits in C.
  bool widened = false;
  /// B is a 2-D constant weight that may be stored packed.
  bool packableWeight = false;
  /// The operands are bf16 (a dot-product instruction may take them in
  /// pairs of k).
  bool bf16Operands = false;
  /// B can be read in place, row-major with N elements a row (false for a
  /// convolution's im2col matrix, which only exists packed).
  bool inPlaceB = true;
};

struct GemmCandidate {
  int64_t mr, nr, vector, kc, mc, nc;
  mlir::r1k::Packing packB;
  bool packA = false;
  /// Tasks walk the M blocks of an N block (B read from memory once): a
  /// rule of the model, not a choice that tuning measures, so the tuning
  /// database leaves it out.
  bool mInner = false;
  /// The micro-kernel's instruction: FMA per k, or vdpbf16ps per pair of k.
  mlir::r1k::HostDot dot = mlir::r1k::HostDot::fma;
  /// Estimated cycles on the target's cores, all threads together.
  double cycles = 0;
  /// What the estimate charged beyond the FMAs, for the log.
  std::string notes;
};

/// The matmul or convolution a kernel computes, if that is its anchor.
mlir::Operation *getContractionAnchor(mlir::r1k::KernelOp kernel);

/// The GEMM problem of a matmul or convolution kernel, or std::nullopt when
/// it has no GEMM variant: operands the templates cannot address (splat
/// constants copied into the body), element types other than f32, f16 and
/// bf16, dynamic shapes, or a convolution too thin to block (depthwise).
/// `packWeights`: a constant 2-D B may be stored packed.
std::optional<GemmProblem> getGemmProblem(mlir::r1k::KernelOp kernel, bool packWeights);

/// Every legal candidate for `problem` on the host `target`, scored, in a
/// fixed order (the cheapest first; ties keep enumeration order).
std::vector<GemmCandidate> rankHostGemmCandidates(const GemmProblem &problem,
                                                  mlir::r1k::TargetAttr target);

} // namespace r1c

#endif // R1C_PASSES_HOSTGEMMCOSTMODEL_H
