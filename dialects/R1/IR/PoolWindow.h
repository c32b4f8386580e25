//===- PoolWindow.h - The window of a max or average pool -------*- C++ -*-===//
//
// Max and average pooling are separate ops with the same window attributes;
// code generators read them through one view.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1_IR_POOLWINDOW_H
#define R1C_DIALECTS_R1_IR_POOLWINDOW_H

#include "dialects/R1/IR/R1Ops.h"

namespace mlir::r1 {

struct PoolWindow {
  bool isMax = false;
  ArrayRef<int64_t> kernel, strides, pads, dilations;
  bool countIncludePad = false;
};

/// The window of `op`, an r1.max_pool or r1.average_pool.
inline PoolWindow getPoolWindow(Operation *op) {
  auto read = [](auto pool, bool isMax) {
    return PoolWindow{isMax, pool.getKernelShape(), pool.getStrides(), pool.getPads(),
                      pool.getDilations(), pool.getCountIncludePad()};
  };
  if (auto max = dyn_cast<MaxPoolOp>(op))
    return read(max, /*isMax=*/true);
  return read(cast<AveragePoolOp>(op), /*isMax=*/false);
}

} // namespace mlir::r1

#endif // R1C_DIALECTS_R1_IR_POOLWINDOW_H
