//===- HostAttention.h - The host variant of fused attention ----*- C++ -*-===//
//
// Which kernels the fused host attention computes (#r1k.host_attention),
// and its variant on a target.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_HOSTATTENTION_H
#define R1C_PASSES_HOSTATTENTION_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

namespace r1c {

/// The attention `kernel` anchors when host code can compute it: static
/// shapes, and operands that are kernel inputs or constants. Null otherwise.
mlir::r1::AttentionOp getHostAttention(mlir::r1k::KernelOp kernel);

/// The variant for `op` on the host `target`: vectors as wide as the
/// target's; as many rows of sums in registers as leave room for four
/// vectors of queries each, rounded down to a power of two; blocks of 64 queries and keys (the
/// gate's block when gated), fewer queries when that is all there are.
mlir::r1k::HostAttentionAttr chooseHostAttention(mlir::r1::AttentionOp op,
                                                 mlir::r1k::TargetAttr target);

} // namespace r1c

#endif // R1C_PASSES_HOSTATTENTION_H
