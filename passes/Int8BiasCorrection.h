//===- Int8BiasCorrection.h - The mean shift of 8-bit weights -*- C++ -*-===//
//
// Rounding a weight to 8 bits perturbs each output channel by
//   e_n = sum_k (W_q - W)[k, n] x_k.
// Over random rounding errors e_n averages to 0 only where the activation
// does: after a ReLU, a hard swish or a GELU most activations are positive,
// and e_n has a mean sum_k (W_q - W)[k, n] mean_k that no amount of
// summing cancels, the larger the fewer products a sum has. Every token or
// pixel of the channel moves the same way, so the shift survives the
// layers after it (a text recognizer read a quarter of its lines
// differently until it was removed). Calibration measures mean_k
// (r1.operand_channel_means) and int8 subtracts the shift from the bias,
// after Nagel et al., "Data-Free Quantization Through Weight Equalization
// and Bias Correction" (empirical form).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_INT8BIASCORRECTION_H
#define R1C_PASSES_INT8BIASCORRECTION_H

#include "dialects/R1/IR/R1Ops.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <vector>

namespace mlir::r1 {

/// The discardable unit attribute r1c-select-precision (or
/// --precision=auto's plan) writes on an int8 matmul or convolution whose
/// weight rounding r1c-apply-precision corrects.
inline constexpr llvm::StringLiteral kInt8BiasCorrectionAttrName = "r1.int8_bias_correction";

/// Whether `op` has what a correction needs: channel means on its
/// activation (operand 0), which is not a model input, as many as a
/// constant f32 weight's rows (a rank-2 matmul weight) or input channels
/// (a convolution's, times its groups).
bool canCorrectInt8Bias(Operation *op);

/// The shift per output channel that rounding `weight` (an f32 constant:
/// `op`'s weight, or the smoothed one that replaces it) to per-channel
/// symmetric int8 gives `op`'s result, over the activation's channel
/// means, each multiplied by `activationFactors[k]` when given (the 1/s
/// of smoothing); std::nullopt when `op` cannot be corrected.
std::optional<std::vector<float>> computeInt8BiasShift(Operation *op, ConstantOp weight,
                                                       ArrayRef<float> activationFactors = {});

/// -`shift`, what a correction adds to `op`'s result, as a constant that
/// broadcasts against it: [N] for a matmul, [C_out, 1, ...] for a
/// convolution.
Value correctionConstant(OpBuilder &b, Operation *op, ArrayRef<float> shift);

/// Takes `shift` off `op`'s result: from a convolution's constant bias, or
/// by an r1.add of -shift after `op` that its users read instead (fused
/// into the same kernel).
void subtractInt8BiasShift(Operation *op, ArrayRef<float> shift);

} // namespace mlir::r1

#endif // R1C_PASSES_INT8BIASCORRECTION_H
