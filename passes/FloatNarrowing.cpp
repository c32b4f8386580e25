//===- FloatNarrowing.cpp - f32 weights to bf16 and f16 bytes -------------===//
#include "passes/FloatNarrowing.h"

#include <cmath>
#include <cstring>

namespace mlir::r1 {

uint16_t narrowToBFloat16(uint32_t bits) {
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((bits >> 16) | 0x0040u);
  // Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even;
  // a carry out of the mantissa raises the exponent, as it should (up to
  // infinity for the largest finite values).
  uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(rounded >> 16);
}

uint16_t narrowToHalf(uint32_t bits) {
  uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u)
    return uint16_t(sign | 0x7e00u);
  if (magnitude >= 0x477ff000u) // rounds to 65536 or more: infinity
    return uint16_t(sign | 0x7c00u);
  int32_t exponent = int32_t(magnitude >> 23) - 127;
  uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
  int32_t shift;
  uint32_t biased;
  if (exponent >= -14) {
    // Normal: keep 10 of the 23 mantissa bits.
    shift = 13;
    biased = uint32_t(exponent + 15) << 10;
    mantissa &= 0x7fffffu;
  } else {
    // Subnormal: the implicit bit shifts in; below 2^-25 everything is
    // lost (and rounds to zero, 2^-25 itself being a tie toward even 0).
    shift = 13 + (-14 - exponent);
    if (shift > 24)
      return sign;
    biased = 0;
  }
  uint32_t kept = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1u);
  uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (kept & 1u)))
    ++kept; // may carry into the exponent, which is then right
  return uint16_t(sign | (biased + kept));
}

float widenBFloat16(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

float widenHalf(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  uint32_t wide;
  if (exponent == 0x1F) {
    wide = sign | 0x7F800000 | (mantissa << 13); // infinity or NaN
  } else if (exponent != 0) {
    wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = std::ldexp(float(mantissa), -24);
    std::memcpy(&wide, &magnitude, 4);
    wide |= sign;
  }
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

std::vector<char> narrowFloat32Bytes(llvm::ArrayRef<char> bytes, bool toBFloat16) {
  size_t count = bytes.size() / 4;
  std::vector<char> out(count * 2);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, bytes.data() + 4 * i, 4);
    uint16_t narrow = toBFloat16 ? narrowToBFloat16(bits) : narrowToHalf(bits);
    std::memcpy(out.data() + 2 * i, &narrow, 2);
  }
  return out;
}

} // namespace mlir::r1
