//===- GpuAttentionLayout.cpp - Shared memory of GPU attention ------------===//
#include "dialects/R1K/IR/GpuAttentionLayout.h"

using namespace mlir;

namespace mlir::r1k {
namespace {

int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

} // namespace

GpuAttentionLayout getGpuAttentionLayout(r1::AttentionOp op, GpuAttentionAttr variant,
                                         int64_t warpSize) {
  r1::AttentionOp::Dims dims = op.getDims();
  int64_t queryBlock = variant.getQueryBlock(), keyBlock = variant.getKeyBlock();
  GpuAttentionLayout l;
  if (variant.getMatrix() && warpSize == 64) {
    // MFMA: Q lives in registers; K as stored, V transposed (a value
    // column's keys in a row), rows padded by 16 bytes.
    l.elementBytes = 2;
    l.headColumns = roundUp(dims.headDim, 16);
    l.valueColumns = roundUp(dims.valueDim, 32);
    l.keyStride = l.headColumns + 8;
    l.valueStride = keyBlock + 8;
    l.value = keyBlock * l.keyStride * l.elementBytes;
    l.stageBytes = l.value + l.valueColumns * l.valueStride * l.elementBytes;
    l.totalBytes = variant.getStages() * l.stageBytes;
  } else if (variant.getMatrix()) {
    // 16 bytes of padding per row: 8 elements of 16 bits.
    l.elementBytes = 2;
    l.headColumns = roundUp(dims.headDim, 16);
    l.valueColumns = roundUp(dims.valueDim, 16);
    l.queryStride = l.keyStride = l.headColumns + 8;
    l.valueStride = l.valueColumns + 8;
    l.key = queryBlock * l.queryStride * l.elementBytes;
    l.value = l.key + keyBlock * l.keyStride * l.elementBytes;
    l.stageBytes = keyBlock * (l.keyStride + l.valueStride) * l.elementBytes;
    l.totalBytes = l.key + variant.getStages() * l.stageBytes;
  } else {
    l.elementBytes = 4;
    l.headColumns = dims.headDim;
    l.valueColumns = roundUp(dims.valueDim, warpSize);
    l.queryStride = l.headColumns;
    l.keyStride = l.headColumns + 1;
    l.valueStride = l.valueColumns;
    l.key = l.value = queryBlock * l.queryStride * l.elementBytes;
    l.stageBytes = std::max(keyBlock * l.keyStride, keyBlock * l.valueStride) * l.elementBytes;
    l.probabilities = l.key + variant.getStages() * l.stageBytes;
    l.totalBytes = l.probabilities + queryBlock * keyBlock * l.elementBytes;
  }
  if (r1::AttentionGateAttr gate = op.getGateAttr()) {
    l.gateBlocks = (dims.keys + gate.getBlock() - 1) / gate.getBlock();
    l.meanQuery = roundUp(l.totalBytes, 16);
    l.blockScores = l.meanQuery + 4 * dims.headDim;
    l.keptFlags = l.blockScores + 4 * l.gateBlocks;
    l.keptList = l.keptFlags + 4 * l.gateBlocks;
    l.keptCount = l.keptList + 4 * l.gateBlocks;
    l.totalBytes = l.keptCount + 4;
    if (gate.getEstimateRest()) {
      l.estimate = roundUp(l.totalBytes, 16);
      l.totalBytes = l.estimate + 4 * (2 * dims.headDim + dims.valueDim + 1);
    }
  }
  l.totalBytes = roundUp(l.totalBytes, 16);
  return l;
}

} // namespace mlir::r1k
