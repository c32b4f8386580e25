//===- CudaTarget.cpp - NVIDIA sm_80 to sm_90 for NVRTC -------------------===//
//
// The CUDA preamble converts half precision with PTX `cvt` and feeds
// `mma.sync.aligned.m16n8k16` through inline PTX, so it needs neither
// cuda_fp16.h nor mma.h: NVRTC 13 does not carry those headers built in,
// and r1c must compile where only libnvrtc is installed.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/TargetInfo.h"

namespace r1c::gpu {
namespace {

constexpr const char *kCudaBasics = R"(// CUDA for NVRTC; nothing is included.
#define R1_WARP 32
#define R1_DEVICE static __device__ __forceinline__
R1_DEVICE float r1_f16_to_f32(unsigned short x) {
  float y;
  asm("cvt.f32.f16 %0, %1;" : "=f"(y) : "h"(x));
  return y;
}
R1_DEVICE unsigned short r1_f32_to_f16(float x) {
  unsigned short y;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(y) : "f"(x));
  return y;
}
template <typename T> R1_DEVICE T r1_shfl_xor(T v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}
)";

// Fragment layouts of mma.m16n8k16 (PTX ISA, "Matrix Fragments for
// mma.m16n8k16"): with g = lane / 4 and t = lane % 4, A's registers hold
// rows g and g + 8 at columns 2t, 2t + 1 (and + 8); B's hold rows 2t, 2t + 1
// (and + 8) of column g; C's four floats are rows g, g + 8 at columns 2t, 2t + 1.
constexpr const char *kCudaMatrix = R"(
// mma.sync.aligned.m16n8k16 with f32 accumulators: one warp, a 16x8 tile.
#define R1_MMA_M 16
#define R1_MMA_N 8
#define R1_MMA_K 16
#define R1_MMA_ACC 4
struct r1_mma_acc { float v[4]; };
R1_DEVICE int r1_mma_row(int lane, int i) { return (lane >> 2) + 8 * (i >> 1); }
R1_DEVICE int r1_mma_col(int lane, int i) { return 2 * (lane & 3) + (i & 1); }
R1_DEVICE unsigned r1_pack2(unsigned short lo, unsigned short hi) {
  return (unsigned)lo | ((unsigned)hi << 16);
}
// The A (16x16) and B (16x8) fragments of this lane, from shared memory.
R1_DEVICE void r1_mma_fragments(unsigned (&a)[4], unsigned (&b)[2],
    const unsigned short *as, int lda, const unsigned short *bs, int ldb, int lane) {
  int g = lane >> 2, t = lane & 3;
  a[0] = r1_pack2(as[g * lda + 2 * t], as[g * lda + 2 * t + 1]);
  a[1] = r1_pack2(as[(g + 8) * lda + 2 * t], as[(g + 8) * lda + 2 * t + 1]);
  a[2] = r1_pack2(as[g * lda + 2 * t + 8], as[g * lda + 2 * t + 9]);
  a[3] = r1_pack2(as[(g + 8) * lda + 2 * t + 8], as[(g + 8) * lda + 2 * t + 9]);
  b[0] = r1_pack2(bs[(2 * t) * ldb + g], bs[(2 * t + 1) * ldb + g]);
  b[1] = r1_pack2(bs[(2 * t + 8) * ldb + g], bs[(2 * t + 9) * ldb + g]);
}
R1_DEVICE void r1_mma_f16(r1_mma_acc &c, const unsigned short *as, int lda,
    const unsigned short *bs, int ldb, int lane) {
  unsigned a[4], b[2];
  r1_mma_fragments(a, b, as, lda, bs, ldb, lane);
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c.v[0]), "+f"(c.v[1]), "+f"(c.v[2]), "+f"(c.v[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
R1_DEVICE void r1_mma_bf16(r1_mma_acc &c, const unsigned short *as, int lda,
    const unsigned short *bs, int ldb, int lane) {
  unsigned a[4], b[2];
  r1_mma_fragments(a, b, as, lda, bs, ldb, lane);
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c.v[0]), "+f"(c.v[1]), "+f"(c.v[2]), "+f"(c.v[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
)"
// mma.m16n8k8 with TF32 inputs ("Matrix Fragments for mma.m16n8k8"): A's
// registers hold rows g and g + 8 at columns t and t + 4, B's rows t and
// t + 4 of column g; C is laid out as for m16n8k16. Values are rounded to
// TF32 (cvt.rna) once, as they are staged, not per fragment load.
                                       R"(
R1_DEVICE float r1_round_tf32(float x) {
  unsigned y;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(y) : "f"(x));
  return __uint_as_float(y);
}
R1_DEVICE void r1_mma_tf32(r1_mma_acc &c, const float *as, int lda,
    const float *bs, int ldb, int lane) {
  int g = lane >> 2, t = lane & 3;
  unsigned a[4] = {__float_as_uint(as[g * lda + t]), __float_as_uint(as[(g + 8) * lda + t]),
                   __float_as_uint(as[g * lda + t + 4]),
                   __float_as_uint(as[(g + 8) * lda + t + 4])};
  unsigned b[2] = {__float_as_uint(bs[t * ldb + g]), __float_as_uint(bs[(t + 4) * ldb + g])};
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c.v[0]), "+f"(c.v[1]), "+f"(c.v[2]), "+f"(c.v[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
)";

} // namespace

std::string CudaTarget::getPreamble() const {
  return joinPreamble(kCudaBasics, getCommonPreamble(), kCudaMatrix);
}

std::optional<MatrixInstruction> CudaTarget::getMatrixInstruction(mlir::Type element) const {
  // Every supported sm (8.0 and later) has all three forms; the
  // description says which the code may use.
  if (getDescription().getMatrixOp(element).empty())
    return std::nullopt;
  if (element.isF16())
    return MatrixInstruction{
        16, 8, 16, 4, "r1_mma_f16", "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"};
  if (element.isBF16())
    return MatrixInstruction{
        16, 8, 16, 4, "r1_mma_bf16", "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"};
  if (element.isF32())
    return MatrixInstruction{16, 8, 8, 4, "r1_mma_tf32",
                             "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32",
                             "r1_round_tf32"};
  return std::nullopt;
}

} // namespace r1c::gpu
