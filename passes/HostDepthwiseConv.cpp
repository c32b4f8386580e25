//===- HostDepthwiseConv.cpp - Which convolutions run the depthwise kernel ===//
#include "passes/HostDepthwiseConv.h"

#include "mlir/IR/TypeUtilities.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

/// Output vectors a step computes at most: their sums, the tap's
/// broadcast and a loaded row stay in registers on AVX2's sixteen.
constexpr int64_t kMaxVectorsPerStep = 4;

r1::ConvOp getHostDepthwiseConv(r1k::KernelOp kernel) {
  r1::ConvOp conv;
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (auto found = dyn_cast<r1::ConvOp>(op))
      conv = found;
  if (!conv)
    return {};
  auto input = cast<RankedTensorType>(conv.getInput().getType());
  auto weight = cast<RankedTensorType>(conv.getWeight().getType());
  auto result = cast<RankedTensorType>(conv.getType());
  if (!input.hasStaticShape() || !weight.hasStaticShape() || !result.hasStaticShape() ||
      !result.getElementType().isF32() || input.getRank() < 3 || input.getRank() > 4)
    return {};
  for (Value operand : conv->getOperands())
    if (operand && (!isa<BlockArgument>(operand) || !getElementTypeOrSelf(operand).isF32()))
      return {};
  // Depthwise: one input channel a group (any number of filters each).
  if (conv.getGroup() != input.getDimSize(1) || weight.getDimSize(1) != 1)
    return {};
  return conv;
}

r1k::HostDepthwiseConvAttr chooseHostDepthwiseConv(r1::ConvOp conv, r1k::TargetAttr target) {
  int64_t width = (target.getVectorBits() ? target.getVectorBits() : 256) / 32;
  int64_t rowLength = cast<RankedTensorType>(conv.getType()).getShape().back();
  int64_t vectors = std::clamp<int64_t>((rowLength + width - 1) / width, 1, kMaxVectorsPerStep);
  return r1k::HostDepthwiseConvAttr::get(conv.getContext(), width, vectors);
}

} // namespace r1c
