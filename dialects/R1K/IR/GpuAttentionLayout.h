//===- GpuAttentionLayout.h - Shared memory of GPU attention ----*- C++ -*-===//
//
// Where the GPU attention template keeps its tiles in a block's dynamic
// shared memory: one reading for the select pass, which checks that a
// variant fits the target, and for the printer, which lays the tiles out.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1K_IR_GPUATTENTIONLAYOUT_H
#define R1C_DIALECTS_R1K_IR_GPUATTENTIONLAYOUT_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

namespace mlir::r1k {

struct GpuAttentionLayout {
  /// The head dims the tiles hold: the operands' own, rounded up to the
  /// matrix instruction's 16 (matrix template) or, for V, to a whole
  /// number of warps (FMA template); columns past the operands' are zero.
  int64_t headColumns = 0, valueColumns = 0;
  /// Elements from one row of the Q, K and V tiles to the next. The mma
  /// template pads each row by 16 bytes, so the eight rows one ldmatrix
  /// reads start in distinct bank groups; the MFMA template keeps Q in
  /// registers and V transposed (a row per value column, its keys along
  /// it), rows padded by 16 bytes too; the FMA template pads K's by one
  /// element, so lanes reading the same column of different keys do too.
  /// (The matrix template is MFMA's where warps have 64 lanes.)
  int64_t queryStride = 0, keyStride = 0, valueStride = 0;
  /// Bytes of a tile element: the stored 16-bit element (matrix), or f32.
  int64_t elementBytes = 0;
  /// Byte offsets of the Q tile, of K and V in stage 0 (stage s is
  /// s * stageBytes further; the FMA template's V takes K's place once the
  /// scores are done), and of the FMA template's probabilities.
  int64_t query = 0, key = 0, value = 0, stageBytes = 0, probabilities = 0;
  /// With a gate: its key blocks, and where the mean query (f32), the
  /// blocks' scores (f32), their kept flags, the list of kept blocks (int)
  /// and its length lie; with `rest = mean`, where the estimate of one left
  /// out block lies while the block adds it: its mean key, its keys'
  /// variance per head dim, its mean value and the log of its weight (f32).
  int64_t gateBlocks = 0;
  int64_t meanQuery = 0, blockScores = 0, keptFlags = 0, keptList = 0, keptCount = 0;
  int64_t estimate = 0;
  int64_t totalBytes = 0;
};

/// The layout of `op` (static shapes) computed with `variant` by warps of
/// `warpSize` lanes.
GpuAttentionLayout getGpuAttentionLayout(r1::AttentionOp op, GpuAttentionAttr variant,
                                         int64_t warpSize);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_GPUATTENTIONLAYOUT_H
