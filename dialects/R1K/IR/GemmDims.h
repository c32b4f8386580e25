//===- GemmDims.h - Matmul and convolution as GEMM dims ---------*- C++ -*-===//
//
// One reading of the GEMM inside a contraction anchor, for the select
// passes that size its blocks and the code generators that emit it.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1K_IR_GEMMDIMS_H
#define R1C_DIALECTS_R1K_IR_GEMMDIMS_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::r1k {

/// A matmul or convolution as GEMM dims: C (M x N) += A (M x K) * B (K x N)
/// per index of `batch` (for a matmul, C's batch dims, with A's and B's
/// broadcast ones; for a convolution, (image, group)). A matmul whose B is
/// one matrix for every batch of A is one GEMM: A's batch dims fold into M
/// (A and C are row-major, so their rows follow one another), which keeps
/// a [197, 1, 768] x [768, 2304] projection from being 197 GEMMs of a row.
struct GemmDims {
  int64_t m = 1, n = 1, k = 1;
  SmallVector<int64_t> batch, aBatch, bBatch;
  /// C's dims that M spans, outermost first: M itself, A's batch dims and
  /// M when they fold, none when A is a vector.
  SmallVector<int64_t> rowDims;
};
GemmDims getGemmDims(r1::MatMulOp op);
GemmDims getGemmDims(r1::ConvOp op);
/// Integer contractions read the same way (A's batch dims folded into M
/// when B is one matrix), for the GEMM template's vpdpbusd micro-kernel.
GemmDims getGemmDims(r1::MatMulIntegerOp op);
GemmDims getGemmDims(r1::ConvIntegerOp op);
/// Any of the four.
GemmDims getGemmDims(Operation *anchor);

/// The GEMM GPU code runs for a contraction anchor: `batch` products of
/// M x K by K x N. A matmul's batch is C's batch dims; a convolution is
/// one implicit GEMM per group whose N runs over (image, output position),
/// so that the images of a batch share a tile. std::nullopt for other ops,
/// dynamic shapes, a convolution without spatial dims, and one with a
/// single input channel per group (depthwise), which GPU code runs as a
/// direct window instead.
struct GpuGemmShape {
  int64_t batch = 1, m = 1, n = 1, k = 1;
  /// The element type of A and B: what picks the matrix instruction.
  Type element;
  /// The element type of C: the operands' own, or f32 where 16-bit
  /// operands keep their f32 sums (r1::isContractionResultElement).
  Type result;
};
std::optional<GpuGemmShape> getGpuGemmShape(Operation *anchor);

/// Rows of k in a packed panel of B: K, or with dot = dpbf16 (dpbusd) K
/// rounded up to whole pairs (quads); the pad rows are zero.
int64_t getPanelRows(int64_t k, HostGemmAttr variant);

/// Elements of B a pack_b = per_call variant writes to scratch: for each
/// batch index, ceil(N / NR) panels of getPanelRows rows of NR elements.
int64_t getPerCallPanelElements(const GemmDims &dims, HostGemmAttr variant);

/// Bytes, a multiple of 64, where host code keeps the anchor's result when
/// the fused body changes the element type (a bool expand feeding a float
/// `where`): the body otherwise runs in place over the kernel's result,
/// which then has elements of another size. 0 when the types agree.
int64_t getAnchorStagingBytes(KernelOp kernel);

/// Where a non_max_suppression anchor (boxes [B, N, 4], scores [B, C, N])
/// keeps its work in the kernel's scratch, on host and GPU alike, as i32
/// elements: the number of boxes selected for each (batch, class), B * C of
/// them, then a list of N box indices per (batch, class). A list's front
/// holds the heap of candidates still to visit; its back, from the last
/// element down, the boxes selected, which never reach the heap's end as
/// each selection pops a candidate first.
struct NmsScratchLayout {
  int64_t batches = 0, classes = 0, boxes = 0;
  /// Element offset of the count of (batch, class) pair `pair` = b * C + c.
  int64_t countAt(int64_t pair) const { return pair; }
  /// Element offset of the list of pair `pair`.
  int64_t listAt(int64_t pair) const { return batches * classes + pair * boxes; }
  int64_t bytes() const { return 4 * batches * classes * (1 + boxes); }
};
NmsScratchLayout getNmsScratchLayout(r1::NonMaxSuppressionOp op);

/// Bytes of arena scratch `kernel` needs while it runs: the anchor's staged
/// result (getAnchorStagingBytes), then an integer GEMM's packed operands
/// (IntegerGemmLayout.h), the per-call panels of the largest
/// of its variants, a non_max_suppression's lists, a recurrence's state
/// (RecurrenceLayout.h), or the dims a keep_leading's GPU code leaves for
/// the runtime (one i64 each). 0 when it needs none.
int64_t getScratchBytes(KernelOp kernel);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_GEMMDIMS_H
