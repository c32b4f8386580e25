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

#include "dialects/R1/IR/R1Ops.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <functional>
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

/// Which channel (scale) each element of a weight of `shape` belongs to:
/// the column of each matrix of a matmul's rhs (`columns`), else the
/// filter (dim 0) of a convolution's weight; the scales' shape broadcasts
/// against the weight.
struct WeightChannels {
  llvm::SmallVector<int64_t> scaleShape;
  int64_t count = 0;
  std::function<int64_t(int64_t)> of;
};
WeightChannels getWeightChannels(llvm::ArrayRef<int64_t> shape, bool columns);

/// `activation` through ui8 codes over `range` and back (r1.quantize, then
/// r1.dequantize): the f32 values an int8 contraction reads.
Value quantizeActivation(OpBuilder &b, Location loc, Value activation, RangeAttr range);

/// Gives the matmul or convolution `op` 8-bit operands as QDQ: a
/// non-constant operand is quantized over its `r1.operand_ranges` entry, a
/// constant weight converted now, each followed by the dequantization that
/// r1c-fuse-quantized-contractions folds into an integer contraction.
LogicalResult quantizeContractionToInt8(Operation *op);

} // namespace mlir::r1

#endif // R1C_PASSES_INTEGERQUANTIZATION_H
