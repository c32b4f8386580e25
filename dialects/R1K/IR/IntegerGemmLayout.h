//===- IntegerGemmLayout.h - Integer contractions as packed GEMMs -*- C++ -*-===//
//
// How host code reads an r1.matmul_integer or r1.conv_integer as GEMMs, and
// where it packs their operands in the kernel's scratch, so that the memory
// plan and the emitter agree on the bytes.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1K_IR_INTEGERGEMMLAYOUT_H
#define R1C_DIALECTS_R1K_IR_INTEGERGEMMLAYOUT_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <optional>
#include <string>

namespace mlir::r1k {

/// C (M x N, i32) = A (M x K) * B (K x N) once per index of `batch`.
/// A matmul's batch is C's batch dims; A and B are indexed by their own
/// (broadcast) batch dims, `aBatch` and `bBatch`, aligned to C's from the
/// right. A convolution's batch is (image, group): A is the group's weight
/// rows (`groups` of them), B the image's im2col matrix for the group.
/// Either way C's element (g, m, n) is at g * M * N + m * N + n.
struct IntegerGemmDims {
  int64_t m = 1, n = 1, k = 1;
  SmallVector<int64_t> batch, aBatch, bBatch;
  /// Convolutions: the group count (A's batch is the group, B's the whole
  /// (image, group) index); 0 for a matmul.
  int64_t groups = 0;
  int64_t batchCount() const;
  int64_t aCount() const;
  int64_t bCount() const;
  int64_t kPairs() const { return (k + 1) / 2; }
};
/// The GEMMs of an r1.matmul_integer or r1.conv_integer with static shapes.
std::optional<IntegerGemmDims> getIntegerGemmDims(Operation *anchor);

/// Byte offsets in the scratch (past any staged result): A's packed pairs
/// (one i32 per row and pair of k, for each of A's matrices), then B's
/// panels (for each of B's matrices, ceil(N / nr) panels of kPairs rows of
/// nr pairs of i16), each part 64-byte aligned.
struct IntegerGemmScratch {
  int64_t aBytes = 0, bOffset = 0, bytes = 0;
  int64_t panels = 0;
};
IntegerGemmScratch getIntegerGemmScratch(const IntegerGemmDims &dims, HostIntegerGemmAttr variant);

/// What the vpdpbusd GEMM (#r1k.host_gemm<dot = dpbusd>) reads at compile
/// time from an integer contraction: its 8-bit weight (a matmul's rhs, of
/// rank 2, or a convolution's weight), a kernel input that is a constant,
/// and both zero points, constants too.
struct QuantizedWeight {
  /// The weight's operand of the anchor (1 either way) and its value.
  unsigned operand = 1;
  ElementsAttr value;
  /// Whether the activation and the weight are signed bytes.
  bool activationSigned = false, weightSigned = false;
  /// The activation's one zero point.
  int64_t activationZero = 0;
  /// The weight's zero points: one, or one per output column (matmul) or
  /// output channel (convolution).
  SmallVector<int64_t> weightZeros;
  /// The weight zero point of output column or channel `i`.
  int64_t weightZeroAt(int64_t i) const {
    return weightZeros.size() == 1 ? weightZeros.front() : weightZeros[i];
  }
};
/// The weight and zero points of `anchor` in `kernel`, or in `why` what
/// keeps it from being read at compile time.
std::optional<QuantizedWeight> getQuantizedWeight(KernelOp kernel, Operation *anchor,
                                                  std::string &why);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_INTEGERGEMMLAYOUT_H
