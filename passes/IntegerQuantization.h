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
#include <optional>
#include <vector>

namespace mlir::r1 {

/// The scale and zero point of an activation whose values lie in [lower,
/// upper]: the range is widened to hold 0 (so that 0, the padding of a
/// convolution, is exact), then spread over the 256 codes of ui8 with both
/// ends inside them: zero point ceil(-lower / step) for step = (upper -
/// lower) / 255, scale max(step, upper / (255 - zero point)).
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

/// Smoothing (after SmoothQuant) of a matmul y = x W with a constant [K, N]
/// weight whose activation was calibrated per channel: with a_c the largest
/// |x| channel c took and w_c the largest |W[c, n]|, the factor
///   s_c = a_c^alpha / w_c^(1 - alpha), clamped to [1e-4, 1e4]
/// (1 where a_c or w_c is 0, computed in double, kept as f32) balances the
/// channels: y = (x * (1/s)) (diag(s) W) with 1/s = 1.0f / s_c in f32. A
/// few outlier channels then no longer set the per-tensor range of the
/// activation alone, and the weight, quantized per column, absorbs them.
/// Both are computed by one helper so that int8 and its emulation in
/// --precision=auto agree.
std::vector<float> computeSmoothingFactors(ChannelRangesAttr ranges, ArrayRef<char> weightBytes,
                                           int64_t columns, double alpha);

/// A matmul's operands smoothed: the activation times 1/s (an r1.mul by a
/// constant, fused into a neighbouring kernel), the f32 weight diag(s) W
/// (computed now, out of line when the weight is, named after it with
/// ".smooth"), and the smoothed activation's range
/// [min_c(min[c] * (1/s_c)), max_c(max[c] * (1/s_c))], exactly the values
/// the product in f32 takes.
struct SmoothedMatMul {
  Value activation;
  ConstantOp weight;
  RangeAttr range;
  /// 1/s_c, what the activation's channel c is multiplied by.
  std::vector<float> activationFactors;
};

/// The discardable attribute r1c-select-precision writes on an int8 matmul
/// it smooths: alpha, an f64 FloatAttr; r1c-apply-precision reads it.
inline constexpr llvm::StringLiteral kInt8SmoothingAttrName = "r1.int8_smoothing";

/// The discardable unit attribute r1c-select-precision writes on an int8
/// convolution whose activation a residual r1.add also reads; with it,
/// r1c-apply-precision gives those adds the dequantized activation too.
inline constexpr llvm::StringLiteral kInt8SharedActivationAttrName = "r1.int8_shared_activation";

/// Whether `op` is a convolution whose activation (operand 0, not a
/// constant) an r1.add also reads: a residual stream. Its int8 codes then
/// serve both, as in a QDQ model, so the kernel that makes the activation
/// stores one byte per element instead of an f32 that a kernel of its own
/// quantizes again, and the add reads that byte back.
bool sharesInt8Activation(Operation *op);

/// Channels this many times larger than the median channel make a matmul's
/// activation worth smoothing: per-tensor codes then spend most of their
/// range on a few channels. Without such outliers smoothing only moves
/// error from the activation to the weight (a random MLP's int8 error grows
/// fivefold at alpha 0.75), so those ops are left alone.
inline constexpr double kSmoothingOutlierRatio = 8.0;

/// `alpha` when `op` is a matmul whose activation has calibrated channel
/// ranges with an outlier channel (largest |x| of some channel at least
/// kSmoothingOutlierRatio times the median channel's), else 0.
double chooseInt8Smoothing(Operation *op, double alpha);

/// Writes the int8 choices beyond the format on `op`, which computes in
/// int8: r1.int8_smoothing where chooseInt8Smoothing gives `alpha` > 0,
/// r1.int8_bias_correction where `correctBias` and canCorrectInt8Bias, and
/// r1.int8_shared_activation where `shareActivation` and
/// sharesInt8Activation.
void markInt8Choices(Operation *op, double alpha, bool correctBias, bool shareActivation);

/// Smooths `op` with `alpha` when it is a matmul with channel ranges on its
/// activation (operand 0) and a constant rank-2 f32 weight; std::nullopt
/// otherwise (alpha 0 turns smoothing off).
std::optional<SmoothedMatMul> smoothMatMul(OpBuilder &b, Operation *op, double alpha);

/// Gives the matmul or convolution `op` 8-bit operands as QDQ: a
/// non-constant operand is quantized over its `r1.operand_ranges` entry, a
/// constant weight converted now, each followed by the dequantization that
/// r1c-fuse-quantized-contractions folds into an integer contraction. A
/// matmul that smoothMatMul smooths with `smoothing` (alpha) is quantized
/// smoothed. With `shareActivation`, the r1.add ops after `op` that read
/// its activation read the dequantized activation instead. With
/// `correctBias`, the mean shift the weight's rounding gives each output
/// channel is taken off (Int8BiasCorrection.h).
LogicalResult quantizeContractionToInt8(Operation *op, double smoothing = 0.0,
                                        bool shareActivation = false, bool correctBias = false);

} // namespace mlir::r1

#endif // R1C_PASSES_INTEGERQUANTIZATION_H
