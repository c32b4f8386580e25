//===- TargetInfo.cpp - The target for a description, the shared preamble ===//
#include "codegen/gpu/TargetInfo.h"

namespace r1c::gpu {

std::unique_ptr<TargetInfo> createTargetInfo(mlir::r1k::TargetAttr description) {
  llvm::StringRef arch = description ? description.getName() : "";
  if (!llvm::is_contained(getSupportedGpuArchs(), arch))
    return nullptr;
  if (arch.starts_with("sm_"))
    return std::make_unique<CudaTarget>(description);
  return std::make_unique<HipTarget>(description);
}

std::string joinPreamble(llvm::StringRef target, llvm::StringRef common, llvm::StringRef matrix,
                         llvm::StringRef fragments) {
  std::string text = ("// r1c section: target\n" + target + "// r1c section: common\n" + common +
                      "// r1c section: matrix\n" + matrix)
                         .str();
  if (!fragments.empty())
    text += ("// r1c section: fragments\n" + fragments).str();
  return text;
}

std::string getCommonPreamble() {
  // Half-precision values are stored as their bits (unsigned short), so no
  // vendor header is needed; kernels compute in float and round to the
  // storage type after every op, as the host does.
  return R"(typedef unsigned short r1_f16;
typedef unsigned short r1_bf16;
#define R1_INF __builtin_bit_cast(float, 0x7f800000u)
#define R1_NAN __builtin_bit_cast(float, 0x7fc00000u)
#define R1_INF64 __builtin_bit_cast(double, 0x7ff0000000000000ull)
#define R1_NAN64 __builtin_bit_cast(double, 0x7ff8000000000000ull)

R1_DEVICE float r1_bf16_to_f32(r1_bf16 x) {
  return __builtin_bit_cast(float, (unsigned)x << 16);
}
// Round to nearest even; a NaN stays a quiet NaN.
R1_DEVICE r1_bf16 r1_f32_to_bf16(float x) {
  unsigned u = __builtin_bit_cast(unsigned, x);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (r1_bf16)((u >> 16) | 0x40u);
  return (r1_bf16)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
R1_DEVICE float r1_round_f16(float x) { return r1_f16_to_f32(r1_f32_to_f16(x)); }
R1_DEVICE float r1_round_bf16(float x) { return r1_bf16_to_f32(r1_f32_to_bf16(x)); }

// max and min that keep a NaN from either side, as ONNX's Max and Min do.
R1_DEVICE float r1_max(float a, float b) { return (a > b || a != a) ? a : b; }
R1_DEVICE float r1_min(float a, float b) { return (a < b || a != a) ? a : b; }
R1_DEVICE double r1_max(double a, double b) { return (a > b || a != a) ? a : b; }
R1_DEVICE double r1_min(double a, double b) { return (a < b || a != a) ? a : b; }
template <typename T> R1_DEVICE T r1_max(T a, T b) { return a > b ? a : b; }
template <typename T> R1_DEVICE T r1_min(T a, T b) { return a < b ? a : b; }
// Integer remainder with the divisor's sign (ONNX Mod with fmod = 0).
template <typename T> R1_DEVICE T r1_pymod(T x, T y) {
  T r = x % y;
  return (r != 0 && ((r < 0) != (y < 0))) ? (T)(r + y) : r;
}
// Four floats moved as one 16-byte access.
struct alignas(16) r1_f32x4 { float v[4]; };
// N elements of T moved as one access of N * sizeof(T) bytes.
template <typename T, int N> struct alignas(sizeof(T) * N) r1_vec { T v[N]; };
)";
}

} // namespace r1c::gpu
