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
// 2^x as the compiler's exp2 (one v_exp_f32 with hipRTC's): softmax's
// exponentials, whose tiny terms do not count. The device library's exp2f
// adds a range check and two scalings a call.
R1_DEVICE float r1_exp2(float x) { return __builtin_exp2f(x); }
)";

// v_mfma_f32_32x32x8{f16,bf16_1k} on a wavefront of 64, lane l = 32 h + j:
// its A operand is two 32-bit registers holding A[j][4h .. 4h + 3] (two
// halves each, the lower one first), its B operand B[4h .. 4h + 3][j], and
// its sixteen accumulators are C[8 (i / 4) + 4 h + i % 4][j]. The
// templates (MfmaGemmPrinter.cpp) gather the operand registers and place
// the accumulators themselves; these functions are only the instruction.
constexpr const char *kHipMatrix = R"(
typedef _Float16 r1_half4 __attribute__((ext_vector_type(4)));
typedef short r1_short4 __attribute__((ext_vector_type(4)));
typedef unsigned r1_u32x2 __attribute__((ext_vector_type(2)));
typedef float r1_float16v __attribute__((ext_vector_type(16)));
// A wave's 32 x 32 f32 accumulator tile: sixteen floats a lane.
struct r1_mfma_acc { r1_float16v v; };
// Two k of a column of B in one register: the lower halves of `even` and
// `odd` (the k-step's rows 2 kp and 2 kp + 1), or their upper halves.
R1_DEVICE unsigned r1_pack_low_halves(unsigned even, unsigned odd) {
  return __builtin_amdgcn_perm(odd, even, 0x05040100u);
}
R1_DEVICE unsigned r1_pack_high_halves(unsigned even, unsigned odd) {
  return __builtin_amdgcn_perm(odd, even, 0x07060302u);
}
// A raw buffer resource (V#) of gfx90a and gfx942: a base address and a
// size in bytes (num_records), stride 0, 32-bit data format. A buffer load
// reads the 16-bit element at byte voffset + soffset from the base, or
// zero where that lies past num_records (the loads keep their offsets and
// sums below 2^31, so the range check gives one answer whether or not it
// counts soffset). voffset is a lane's (a constant added to it below 4096
// goes into the instruction), soffset is the wave's (an SGPR).
typedef int r1_buffer __attribute__((ext_vector_type(4)));
__device__ short r1_raw_buffer_load_i16(r1_buffer rsrc, unsigned voffset, unsigned soffset,
    int aux) __asm("llvm.amdgcn.raw.buffer.load.i16");
R1_DEVICE r1_buffer r1_make_buffer(const void *base, unsigned bytes) {
  const unsigned long long address = (unsigned long long)base;
  return (r1_buffer){(int)(unsigned)address, (int)(unsigned)(address >> 32 & 0xffffu), (int)bytes,
      0x00020000};
}
R1_DEVICE unsigned r1_buffer_load_u16(r1_buffer buffer, unsigned voffset, unsigned soffset) {
  return (unsigned short)r1_raw_buffer_load_i16(buffer, voffset, soffset, 0);
}
// Waits for all of the wave's global and buffer loads (s_waitcnt vmcnt(0)
// on gfx9): one wait where each use would otherwise wait for its own.
R1_DEVICE void r1_wait_loads() { __builtin_amdgcn_s_waitcnt(0x0f70); }
// Keeps the scheduler from moving instructions across it.
R1_DEVICE void r1_schedule_fence() { __builtin_amdgcn_sched_barrier(0); }
// Two floats rounded to nearest even as the halves of one register, `lo`
// in the lower: an operand computed in f32 (attention's probabilities).
R1_DEVICE unsigned r1_pack_f16x2(float lo, float hi) {
  return (unsigned)r1_f32_to_f16(lo) | ((unsigned)r1_f32_to_f16(hi) << 16);
}
R1_DEVICE unsigned r1_pack_bf16x2(float lo, float hi) {
  return (unsigned)r1_f32_to_bf16(lo) | ((unsigned)r1_f32_to_bf16(hi) << 16);
}
R1_DEVICE void r1_mfma_f16(r1_mfma_acc &c, unsigned a0, unsigned a1, unsigned b0, unsigned b1) {
  c.v = __builtin_amdgcn_mfma_f32_32x32x8f16(__builtin_bit_cast(r1_half4, (r1_u32x2){a0, a1}),
      __builtin_bit_cast(r1_half4, (r1_u32x2){b0, b1}), c.v, 0, 0, 0);
}
R1_DEVICE void r1_mfma_bf16(r1_mfma_acc &c, unsigned a0, unsigned a1, unsigned b0, unsigned b1) {
  c.v = __builtin_amdgcn_mfma_f32_32x32x8bf16_1k(__builtin_bit_cast(r1_short4, (r1_u32x2){a0, a1}),
      __builtin_bit_cast(r1_short4, (r1_u32x2){b0, b1}), c.v, 0, 0, 0);
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
    return MatrixInstruction{32, 32, 8, 16, "r1_mfma_f16", "v_mfma_f32_32x32x8f16"};
  if (element.isBF16())
    return MatrixInstruction{32, 32, 8, 16, "r1_mfma_bf16", "v_mfma_f32_32x32x8bf16_1k"};
  return std::nullopt;
}

} // namespace r1c::gpu
