//===- IntegerQuantization.h - Scales and codes of 8-bit integers -*- C++ -*-===//
//
// How r1c quantizes a float model to 8-bit integers: activations per
// tensor, asymmetric, to ui8 over their calibrated range (vpdpbusd and
// ONNX Runtime's CPU kernels take unsigned activations); weights per output
// channel, symmetric, to i8 in [-127, 127], so their zero point is 0 and
// integer kernels need no correction for it. Rounding is to nearest, ties
// to even, as ONNX QuantizeLinear rounds.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_INTEGERQUANTIZATION_H
#define R1C_PASSES_INTEGERQUANTIZATION_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::r1 {

/// The scale and zero point of an activation whose values lie in [lower,
/// upper]: the range is widened to hold 0 (so that 0, the padding of a
/// convolution, is exact), then spread over the 256 codes of ui8.
struct ActivationQuantization {
  float scale;
  uint8_t zeroPoint;
};
ActivationQuantization quantizeActivationRange(double lower, double upper);

/// A weight in i8 codes with one scale per channel.
struct QuantizedWeight {
  std::vector<char> codes;
  std::vector<float> scales;
};

/// Quantizes f32 `bytes` of a weight whose elements belong to channels as
/// `channelOf(linear index)` says, `channels` of them: each channel's scale
/// is its largest magnitude over 127 (1 for a channel of zeros).
QuantizedWeight quantizeWeightPerChannel(llvm::ArrayRef<char> bytes, int64_t channels,
                                         llvm::function_ref<int64_t(int64_t)> channelOf);

/// Gives the matmul or convolution `op` 8-bit operands as QDQ: a
/// non-constant operand is quantized over its `r1.operand_ranges` entry, a
/// constant weight converted now, each followed by the dequantization that
/// r1c-fuse-quantized-contractions folds into an integer contraction.
LogicalResult quantizeContractionToInt8(Operation *op);

} // namespace mlir::r1

#endif // R1C_PASSES_INTEGERQUANTIZATION_H
