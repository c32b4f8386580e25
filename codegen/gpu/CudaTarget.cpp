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
// The block's dynamic shared memory (the launch's shared bytes).
#define R1_DYNAMIC_SHARED(name) extern __shared__ __attribute__((aligned(128))) unsigned char name[]
// 2^x in one special-function instruction, subnormal results flushed to
// zero: softmax's exponentials, whose tiny terms do not count.
R1_DEVICE float r1_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
)";

// The "matrix" section: the instructions themselves, on registers (what
// the GPU simulator replaces with its lane-exact versions). Fragment
// layouts of mma.m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k16"):
// with g = lane / 4 and t = lane % 4, A's registers hold rows g and g + 8
// at columns 2t, 2t + 1 (and + 8); B's hold rows 2t, 2t + 1 (and + 8) of
// column g; C's four floats are rows g, g + 8 at columns 2t, 2t + 1. For
// mma.m16n8k8 with TF32 inputs ("Matrix Fragments for mma.m16n8k8"), A's
// registers hold rows g and g + 8 at columns t and t + 4, B's rows t and
// t + 4 of column g; C is laid out as for m16n8k16.
constexpr const char *kCudaMatrix = R"(
#define R1_MMA_M 16
#define R1_MMA_N 8
#define R1_MMA_K 16
#define R1_MMA_ACC 4
struct r1_mma_acc { float v[4]; };
R1_DEVICE int r1_mma_row(int lane, int i) { return (lane >> 2) + 8 * (i >> 1); }
R1_DEVICE int r1_mma_col(int lane, int i) { return 2 * (lane & 3) + (i & 1); }
R1_DEVICE void r1_mma_m16n8k16_f16(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
R1_DEVICE void r1_mma_m16n8k16_bf16(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
R1_DEVICE void r1_mma_m16n8k8_tf32(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// Values are rounded to TF32 (cvt.rna) once, as they are staged, not per
// fragment load.
R1_DEVICE float r1_round_tf32(float x) {
  unsigned y;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(y) : "f"(x));
  return __uint_as_float(y);
}
// Two floats rounded to nearest even as the halves of one register, `lo`
// in the lower: the A operand of a product whose factors were computed in
// f32 (attention's probabilities), one cvt for two.
R1_DEVICE unsigned r1_pack_f16x2(float lo, float hi) {
  unsigned d;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
}
R1_DEVICE unsigned r1_pack_bf16x2(float lo, float hi) {
  unsigned d;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
}
// A shared-memory address as the instructions take it: 32 bits, in bytes.
typedef unsigned r1_shared_ptr;
R1_DEVICE r1_shared_ptr r1_shared_address(const void *p) {
  unsigned address;
  asm("{ .reg .u64 r1_t; cvta.to.shared.u64 r1_t, %1; cvt.u32.u64 %0, r1_t; }"
      : "=r"(address) : "l"(p));
  return address;
}
// The first address from `address` on that is a multiple of `alignment`
// (a power of two).
R1_DEVICE r1_shared_ptr r1_shared_align(r1_shared_ptr address, unsigned alignment) {
  return (address + alignment - 1) & ~(alignment - 1);
}
// cp.async: 16 bytes, those past `bytes` zero-filled, so a tile's edge
// costs no branch.
R1_DEVICE void r1_cp_async16(r1_shared_ptr to, const void *from, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(to), "l"(from), "r"(bytes));
}
R1_DEVICE void r1_cp_async_commit() { asm volatile("cp.async.commit_group;"); }
template <int N> R1_DEVICE void r1_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory");
}
R1_DEVICE void r1_ldmatrix_x4(unsigned (&r)[4], r1_shared_ptr row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(row));
}
R1_DEVICE void r1_ldmatrix_x4_trans(unsigned (&r)[4], r1_shared_ptr row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(row));
}
)";

// The "fragments" section: the one-stage template's instruction tiles,
// each lane gathering its fragment registers from the shared tiles as the
// layouts above place them, then the instruction. The simulator keeps this
// section, so its lane-exact instructions check these gathers.
constexpr const char *kCudaFragments = R"(
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
  r1_mma_m16n8k16_f16(c.v, a, b);
}
R1_DEVICE void r1_mma_bf16(r1_mma_acc &c, const unsigned short *as, int lda,
    const unsigned short *bs, int ldb, int lane) {
  unsigned a[4], b[2];
  r1_mma_fragments(a, b, as, lda, bs, ldb, lane);
  r1_mma_m16n8k16_bf16(c.v, a, b);
}
R1_DEVICE void r1_mma_tf32(r1_mma_acc &c, const float *as, int lda,
    const float *bs, int ldb, int lane) {
  int g = lane >> 2, t = lane & 3;
  unsigned a[4] = {__float_as_uint(as[g * lda + t]), __float_as_uint(as[(g + 8) * lda + t]),
                   __float_as_uint(as[g * lda + t + 4]),
                   __float_as_uint(as[(g + 8) * lda + t + 4])};
  unsigned b[2] = {__float_as_uint(bs[t * ldb + g]), __float_as_uint(bs[(t + 4) * ldb + g])};
  r1_mma_m16n8k8_tf32(c.v, a, b);
}
)";

/// sm_90a's warpgroup MMA, for the "matrix" section: descriptors of
/// shared-memory operands, the asynchronous instruction (D += A B, A
/// K-major, B MN-major: the transpose flag), its fences and groups.
std::string wgmmaPreamble() {
  std::string text = R"(
// wgmma: a shared-memory operand's descriptor (address, leading and stride
// byte offsets, swizzle mode: 1 is 128 bytes).
R1_DEVICE unsigned long long r1_wgmma_desc(r1_shared_ptr address, unsigned leading,
                                           unsigned stride, unsigned swizzle) {
  return (unsigned long long)((address & 0x3ffffu) >> 4) |
         ((unsigned long long)((leading >> 4) & 0x3fffu) << 16) |
         ((unsigned long long)((stride >> 4) & 0x3fffu) << 32) |
         ((unsigned long long)swizzle << 62);
}
R1_DEVICE void r1_wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
R1_DEVICE void r1_wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N> R1_DEVICE void r1_wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory");
}
// What cp.async wrote (the generic proxy) becomes visible to wgmma's reads.
R1_DEVICE void r1_fence_async_shared() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}
// Keeps the compiler from touching accumulators across a wait.
R1_DEVICE void r1_wgmma_hold(float (&d)[64]) {
  for (int i = 0; i < 64; ++i)
    asm volatile("" : "+f"(d[i]) :: "memory");
}
)";
  for (llvm::StringRef type : {"f16", "bf16"}) {
    std::string registers, operands;
    for (int i = 0; i < 64; ++i) {
      registers += (i ? "," : "") + ("%" + llvm::Twine(i)).str();
      operands += (i ? ", " : "") + ("\"+f\"(d[" + llvm::Twine(i) + "])").str();
    }
    text += "R1_DEVICE void r1_wgmma_m64n128k16_" + type.str() +
            "(float (&d)[64], unsigned long long a, unsigned long long b) {\n"
            "  asm volatile(\"{ .reg .pred p; setp.ne.b32 p, %66, 0; "
            "wgmma.mma_async.sync.aligned.m64n128k16.f32." +
            type.str() + "." + type.str() + " {" + registers +
            "}, %64, %65, p, 1, 1, 0, 1; }\"\n"
            "               : " +
            operands + "\n               : \"l\"(a), \"l\"(b), \"r\"(1));\n}\n";
  }
  return text;
}

} // namespace

std::string CudaTarget::getPreamble() const {
  if (getArch() == "sm_90a")
    return joinPreamble(kCudaBasics, getCommonPreamble(), kCudaMatrix + wgmmaPreamble(),
                        kCudaFragments);
  return joinPreamble(kCudaBasics, getCommonPreamble(), kCudaMatrix, kCudaFragments);
}

std::optional<MatrixInstruction> CudaTarget::getMatrixInstruction(mlir::Type element) const {
  // Every supported sm (8.0 and later) has all three forms; the
  // description says which the code may use.
  if (getDescription().getMatrixOp(element).empty())
    return std::nullopt;
  if (element.isF16())
    return MatrixInstruction{16,           8,
                             16,           4,
                             "r1_mma_f16", "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32",
                             "",           "r1_mma_m16n8k16_f16"};
  if (element.isBF16())
    return MatrixInstruction{16,
                             8,
                             16,
                             4,
                             "r1_mma_bf16",
                             "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32",
                             "",
                             "r1_mma_m16n8k16_bf16"};
  if (element.isF32())
    return MatrixInstruction{16, 8, 8, 4, "r1_mma_tf32",
                             "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32",
                             "r1_round_tf32"};
  return std::nullopt;
}

} // namespace r1c::gpu
