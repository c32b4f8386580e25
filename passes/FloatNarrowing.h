//===- FloatNarrowing.h - f32 weights to bf16 and f16 bytes -----*- C++ -*-===//
//
// r1c-apply-precision converts f32 weights to a lower format once, when
// compiling. BERT-base holds 110 million of them, so the conversion works
// on bit patterns (a few integer ops an element) rather than through
// APFloat.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_FLOATNARROWING_H
#define R1C_PASSES_FLOATNARROWING_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::r1 {

/// The bf16 nearest `bits` (an f32's bit pattern), ties to even; NaN stays
/// a quiet NaN of the same sign.
uint16_t narrowToBFloat16(uint32_t bits);

/// The f16 nearest `bits` (an f32's bit pattern), ties to even: values past
/// f16's largest become infinities, values below its smallest subnormal
/// become zeros of their sign; NaN stays a quiet NaN.
uint16_t narrowToHalf(uint32_t bits);

/// The f32 equal to the bf16 or f16 `bits` (every one is exact in f32).
float widenBFloat16(uint16_t bits);
float widenHalf(uint16_t bits);

/// `bytes` of f32 elements as bf16 (`toBFloat16`) or f16 elements.
std::vector<char> narrowFloat32Bytes(llvm::ArrayRef<char> bytes, bool toBFloat16);

} // namespace mlir::r1

#endif // R1C_PASSES_FLOATNARROWING_H
