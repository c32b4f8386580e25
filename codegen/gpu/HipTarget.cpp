//===- HipTarget.cpp - AMD gfx90a and gfx942 for hipRTC -------------------===//
//
// hipRTC compiles with the HIP runtime and its fp16 support built in, so
// the HIP preamble includes nothing; half precision goes through clang's
// _Float16 and the matrix cores through the MFMA builtins.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/TargetInfo.h"

namespace r1c::gpu {
namespace {

constexpr const char *kHipBasics =
    R"(// HIP for hipRTC; the HIP runtime is built in, nothing is included.
#define R1_WARP 64
#define R1_DEVICE static __device__ __forceinline__
R1_DEVICE float r1_f16_to_f32(unsigned short x) {
  return (float)__builtin_bit_cast(_Float16, x);
}
R1_DEVICE unsigned short r1_f32_to_f16(float x) {
  return __builtin_bit_cast(unsigned short, (_Float16)x);
}
template <typename T> R1_DEVICE T r1_shfl_xor(T v, int mask) {
  return __shfl_xor(v, mask, 64);
}
// The block's dynamic shared memory (the launch's shared bytes).
#define R1_DYNAMIC_SHARED(name) extern __shared__ __attribute__((aligned(128))) unsigned char name[]
)";

// Operand layouts of v_mfma_f32_32x32x8{f16,bf16_1k} on a wavefront of 64:
// lane l holds A[l % 32][4 (l / 32) + e] and B[4 (l / 32) + e][l % 32] for
// e < 4, and its sixteen accumulators are C[8 (i / 4) + 4 (l / 32) + i % 4][l % 32].
constexpr const char *kHipMatrix = R"(
// v_mfma_f32_32x32x8 with f32 accumulators: one wavefront, a 32x32 tile.
#define R1_MMA_M 32
#define R1_MMA_N 32
#define R1_MMA_K 8
#define R1_MMA_ACC 16
typedef _Float16 r1_half4 __attribute__((ext_vector_type(4)));
typedef short r1_short4 __attribute__((ext_vector_type(4)));
typedef float r1_float16v __attribute__((ext_vector_type(16)));
struct r1_mma_acc { r1_float16v v; };
R1_DEVICE int r1_mma_row(int lane, int i) { return 8 * (i >> 2) + 4 * (lane >> 5) + (i & 3); }
R1_DEVICE int r1_mma_col(int lane, int i) { return lane & 31; }
R1_DEVICE void r1_mma_f16(r1_mma_acc &c, const unsigned short *as, int lda,
    const unsigned short *bs, int ldb, int lane) {
  int i = lane & 31, k = 4 * (lane >> 5);
  r1_half4 a, b;
  for (int e = 0; e < 4; ++e) {
    a[e] = __builtin_bit_cast(_Float16, as[i * lda + k + e]);
    b[e] = __builtin_bit_cast(_Float16, bs[(k + e) * ldb + i]);
  }
  c.v = __builtin_amdgcn_mfma_f32_32x32x8f16(a, b, c.v, 0, 0, 0);
}
R1_DEVICE void r1_mma_bf16(r1_mma_acc &c, const unsigned short *as, int lda,
    const unsigned short *bs, int ldb, int lane) {
  int i = lane & 31, k = 4 * (lane >> 5);
  r1_short4 a, b;
  for (int e = 0; e < 4; ++e) {
    a[e] = (short)as[i * lda + k + e];
    b[e] = (short)bs[(k + e) * ldb + i];
  }
  c.v = __builtin_amdgcn_mfma_f32_32x32x8bf16_1k(a, b, c.v, 0, 0, 0);
}
)";

} // namespace

std::string HipTarget::getPreamble() const {
  return joinPreamble(kHipBasics, getCommonPreamble(), kHipMatrix);
}

std::optional<MatrixInstruction> HipTarget::getMatrixInstruction(mlir::Type element) const {
  // gfx90a and gfx942 both have the f16 form and the bf16 "_1k" form.
  if (getDescription().getMatrixOp(element).empty())
    return std::nullopt;
  if (element.isF16())
    return MatrixInstruction{32, 32, 8, 16, "r1_mma_f16", "v_mfma_f32_32x32x8f16"};
  if (element.isBF16())
    return MatrixInstruction{32, 32, 8, 16, "r1_mma_bf16", "v_mfma_f32_32x32x8bf16_1k"};
  return std::nullopt;
}

} // namespace r1c::gpu
