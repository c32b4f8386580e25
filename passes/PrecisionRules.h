//===- PrecisionRules.h - Which formats an op can compute in ----*- C++ -*-===//
//
// The conditions under which a matmul or convolution may compute in a
// lower format, shared by r1c-select-precision (one format for the whole
// model) and the per-op search of --precision=auto.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_PRECISIONRULES_H
#define R1C_PASSES_PRECISIONRULES_H

#include "dialects/R1/IR/R1Ops.h"

#include <optional>

namespace mlir::r1 {

/// The formats an f32 contraction can be lowered to.
enum class LoweredFormat { BFloat16, Float16, Int8 };

std::optional<LoweredFormat> parseLoweredFormat(llvm::StringRef name);
llvm::StringRef getLoweredFormatName(LoweredFormat format);

/// Whether every float operand of `op` is f32, and it has one.
bool computesInFloat32(Operation *op);

/// A convolution with one input channel per group: a few multiply-adds per
/// element read, bound by memory, which its own template streams.
bool isDepthwiseConv(Operation *op);

/// A matmul or convolution computing in f32: what the formats lower.
bool isLowerableContraction(Operation *op);

/// Whether no operand of `op` would become an infinity in f16: its
/// constants are finite in f16 (or were not finite to begin with) and its
/// calibrated ranges (r1.operand_ranges) stay inside 65504.
bool fitsInHalf(Operation *op);

/// Whether `op` (f32) can compute on 8-bit integers as r1c quantizes them:
/// a contracted operand that is a constant with a static shape (the weight,
/// quantized per channel) and one that is not, with a calibrated range
/// (the activation, per tensor); the integer sums stay exact (K <= 2^15).
/// Not a depthwise convolution: in int8 it would leave its template for the
/// integer GEMM and run slower (MobileNetV2 took 1.4x fp32's time).
bool quantizableToInt8(Operation *op);

/// Whether `op` may compute in `format`.
bool canLowerTo(Operation *op, LoweredFormat format);

/// The r1.precision an op lowered to `format` carries: products in the
/// format, sums in f32 (i32 for int8), an f32 result.
PrecisionAttr getLoweredPrecision(MLIRContext *context, LoweredFormat format);

} // namespace mlir::r1

#endif // R1C_PASSES_PRECISIONRULES_H
