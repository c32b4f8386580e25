//===- HostAttention.cpp - The host variant of fused attention ------------===//
#include "passes/HostAttention.h"

#include "llvm/ADT/bit.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

/// Vectors of queries per step of the micro-kernels: with `rows` rows of
/// sums, the loaded query (or weight) vectors and one broadcast, they fill
/// AVX2's 16 registers at 2 rows and AVX-512's 32 at 6.
constexpr int64_t kQueryVectors = 4;
constexpr int64_t kBlock = 64;

r1::AttentionOp getHostAttention(r1k::KernelOp kernel) {
  r1::AttentionOp attention;
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (auto found = dyn_cast<r1::AttentionOp>(op))
      attention = found;
  if (!attention)
    return {};
  // Kernel inputs, or constants copied into the kernel (a splat mask).
  for (Value operand : attention->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!(isa<BlockArgument>(operand) || operand.getDefiningOp<r1::ConstantOp>()) || !type ||
        !type.hasStaticShape())
      return {};
  }
  return attention;
}

r1k::HostAttentionAttr chooseHostAttention(r1::AttentionOp op, r1k::TargetAttr target) {
  int64_t bits = target.getVectorBits() ? target.getVectorBits() : 256;
  int64_t vector = bits / 32;
  int64_t registers = target.getVectorRegisters() ? target.getVectorRegisters() : 16;
  // A power of two, so that the steps divide the blocks and no row is
  // computed only to be thrown away.
  int64_t fit = std::max<int64_t>(1, (registers - kQueryVectors - 1) / kQueryVectors);
  int64_t rows = int64_t(llvm::bit_floor(uint64_t(fit)));
  r1::AttentionOp::Dims dims = op.getDims();
  int64_t keyBlock = kBlock;
  int64_t queryBlock = std::min<int64_t>(kBlock, dims.queries);
  if (auto gate = op.getGateAttr()) {
    keyBlock = gate.getBlock();
    queryBlock = gate.getBlock();
  }
  return r1k::HostAttentionAttr::get(op.getContext(), vector, rows, queryBlock,
                                     std::max(keyBlock, vector));
}

} // namespace r1c
