//===- PoolWindow.h - Sliding windows of pools and convolutions -*- C++ -*-===//
//
// Max and average pooling are separate ops with the same window attributes;
// code generators read them through one view. Convolutions and pools slide
// their windows over spatial dims that both generators describe the same way.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1_IR_POOLWINDOW_H
#define R1C_DIALECTS_R1_IR_POOLWINDOW_H

#include "dialects/R1/IR/R1Ops.h"

#include <algorithm>
#include <utility>

namespace mlir::r1 {

/// One spatial dim of a sliding window.
struct WindowDim {
  int64_t input, output, kernel, stride, padBegin, padEnd, dilation;

  /// Input coordinate that output `o` reads with tap `k` (may be in the pads).
  int64_t source(int64_t o, int64_t k) const { return o * stride + k * dilation - padBegin; }

  /// The outputs [first, second) whose tap `k` reads inside the input.
  std::pair<int64_t, int64_t> validOutputs(int64_t k) const {
    int64_t lowGap = padBegin - k * dilation; // source(o, k) >= 0 <=> o * stride >= lowGap
    int64_t first = lowGap <= 0 ? 0 : (lowGap + stride - 1) / stride;
    int64_t highGap = input - 1 + padBegin - k * dilation; // source(o, k) < input
    int64_t last = highGap < 0 ? 0 : std::min(output, highGap / stride + 1);
    return {first, std::max(first, last)};
  }

  /// Taps of output `o` inside the input, or inside the padded input.
  int64_t tapCount(int64_t o, bool includePad) const {
    int64_t count = 0;
    for (int64_t k = 0; k < kernel; ++k) {
      int64_t at = source(o, k);
      count += includePad ? at < input + padEnd : (at >= 0 && at < input);
    }
    return count;
  }
};

/// The spatial dims of an NC... input and output under a window.
inline SmallVector<WindowDim> windowDims(ArrayRef<int64_t> input, ArrayRef<int64_t> output,
                                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                         ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations) {
  size_t spatial = input.size() - 2;
  SmallVector<WindowDim> dims;
  for (size_t i = 0; i < spatial; ++i)
    dims.push_back({input[i + 2], output[i + 2], kernel[i], strides[i], pads[i], pads[i + spatial],
                    dilations[i]});
  return dims;
}

/// One field of every dim: windowField(dims, &WindowDim::kernel).
inline SmallVector<int64_t> windowField(ArrayRef<WindowDim> dims, int64_t WindowDim::*member) {
  SmallVector<int64_t> values;
  for (const WindowDim &dim : dims)
    values.push_back(dim.*member);
  return values;
}

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
