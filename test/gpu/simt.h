// Runs kernels that r1c prints for CUDA or HIP on the CPU, for tests on
// machines without a GPU: one std::thread per GPU thread, one block at a
// time, barriers for __syncthreads and warp shuffles. It replaces the
// "target" and "matrix" sections of a printed preamble (r1c section
// markers); the "common" section and the kernels compile as printed.
//
// Define R1_SIM_WARP as 32 (CUDA: mma.sync m16n8k16 fragments) or 64 (HIP:
// v_mfma_f32_32x32x8 fragments) before including it. warp_matrix.h,
// included at the end, has the instructions lane by lane (mma.sync
// m16n8k16 and m16n8k8, ldmatrix, cp.async, v_mfma), where a wrong register
// layout gives a wrong product. Every matrix instruction the printed
// kernels issue runs on it: the CUDA preamble's r1_ldmatrix_x4,
// r1_cp_async16, r1_mma_m16n8k16_f16 and kin (its "fragments" section,
// which gathers the one-stage template's registers, compiles as printed),
// and HIP's MFMA on operand registers (r1_mfma_f16, r1_mfma_bf16).
#ifndef R1C_TEST_GPU_SIMT_H
#define R1C_TEST_GPU_SIMT_H

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <math.h>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef R1_SIM_WARP
#error "define R1_SIM_WARP as 32 or 64"
#endif

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

namespace simt {

struct Warp {
  explicit Warp(int lanes) : barrier(lanes) {}
  std::barrier<> barrier;
  uint64_t slots[64];
  // Each lane's registers while a warp-wide matrix instruction reads them
  // (warp_matrix.h).
  uint32_t words[64][8];
};

struct Block {
  // A block need not be a whole number of warps; its last warp then has
  // fewer lanes, and shuffles there read unwritten slots, as on the GPU.
  explicit Block(int threads) : barrier(threads) {
    for (int first = 0; first < threads; first += R1_SIM_WARP)
      warps.push_back(std::make_unique<Warp>(std::min(R1_SIM_WARP, threads - first)));
  }
  std::barrier<> barrier;
  std::vector<std::unique_ptr<Warp>> warps;
};

inline Block *block = nullptr;
inline thread_local dim3 thread;
/// The running block's dynamic shared memory.
inline unsigned char *dynamicShared = nullptr;

template <typename T> T shuffleXor(T value, int mask) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "shuffles move up to 8 bytes");
  int lane = thread.x % R1_SIM_WARP;
  Warp &warp = *block->warps[thread.x / R1_SIM_WARP];
  std::memcpy(&warp.slots[lane], &value, sizeof(T));
  warp.barrier.arrive_and_wait();
  T result;
  std::memcpy(&result, &warp.slots[lane ^ mask], sizeof(T));
  warp.barrier.arrive_and_wait();
  return result;
}

} // namespace simt

#define threadIdx (simt::thread)
inline dim3 blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(threads)
// One block runs at a time, so a function's statics are its shared memory.
#define __shared__ static

inline void __syncthreads() { simt::block->barrier.arrive_and_wait(); }

namespace simt {

/// Runs `kernel` (bound to its arguments) over the whole grid, each block
/// with `sharedBytes` of dynamic shared memory. Launches from several host
/// threads take turns: the grid coordinates and the shared memory
/// (function statics) are process-wide.
inline void launch(dim3 grid, dim3 threads, const std::function<void()> &kernel,
                   unsigned sharedBytes = 0) {
  static std::mutex oneAtATime;
  std::lock_guard<std::mutex> lock(oneAtATime);
  gridDim = grid;
  blockDim = threads;
  int count = threads.x * threads.y * threads.z;
  // Not cleared between blocks, as on the GPU: a kernel that reads before
  // it writes reads what an earlier block left.
  // 1024-byte aligned, as wgmma's swizzled layouts need their stages.
  std::unique_ptr<unsigned char[], void (*)(void *)> shared(
      static_cast<unsigned char *>(
          std::aligned_alloc(1024, (sharedBytes + 1023) / 1024 * 1024 + 1024)),
      std::free);
  dynamicShared = shared.get();
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = {x, y, z};
        Block current(count);
        block = &current;
        std::vector<std::thread> workers;
        for (int t = 0; t < count; ++t)
          workers.emplace_back([&, t] {
            thread = {unsigned(t % threads.x), unsigned(t / threads.x % threads.y),
                      unsigned(t / (threads.x * threads.y))};
            kernel();
            // A thread that has returned no longer holds up barriers, as on
            // the GPU.
            current.warps[t / R1_SIM_WARP]->barrier.arrive_and_drop();
            current.barrier.arrive_and_drop();
          });
        for (std::thread &worker : workers)
          worker.join();
      }
}

template <typename... Args, size_t... I>
void launchWithParams(void (*kernel)(Args...), dim3 grid, dim3 threads, unsigned sharedBytes,
                      void **params, std::index_sequence<I...>) {
  std::tuple<std::remove_cv_t<Args>...> values;
  (std::memcpy(&std::get<I>(values), params[I], sizeof(Args)), ...);
  launch(
      grid, threads, [&] { std::apply(kernel, values); }, sharedBytes);
}

/// Runs `kernel` as cuLaunchKernel and hipModuleLaunchKernel do: `params[i]`
/// points at the value of the kernel's i-th argument, read once here.
template <typename... Args>
void launchKernel(void (*kernel)(Args...), const unsigned grid[3], const unsigned threads[3],
                  unsigned sharedBytes, void **params) {
  launchWithParams(kernel, {grid[0], grid[1], grid[2]}, {threads[0], threads[1], threads[2]},
                   sharedBytes, params, std::index_sequence_for<Args...>());
}

/// The number of arguments `kernel` takes (what a launch's `params` holds).
template <typename... Args> constexpr unsigned arity(void (*)(Args...)) {
  return sizeof...(Args);
}

} // namespace simt

// The "target" section.
#define R1_WARP R1_SIM_WARP
#define R1_DEVICE static inline
static inline float r1_f16_to_f32(unsigned short x) { return (float)__builtin_bit_cast(_Float16, x); }
static inline unsigned short r1_f32_to_f16(float x) {
  return __builtin_bit_cast(unsigned short, (_Float16)x);
}
template <typename T> static inline T r1_shfl_xor(T v, int mask) { return simt::shuffleXor(v, mask); }
#define R1_DYNAMIC_SHARED(name) unsigned char *const name = simt::dynamicShared
// ex2.approx (CUDA) and v_exp_f32 (HIP) are within a few ulp of this.
static inline float r1_exp2(float x) { return exp2f(x); }
// atomicCAS of CUDA and HIP, for 4- and 8-byte words: returns the word as
// it was, and stores `desired` only if that was `expected`.
template <typename T> static inline T atomicCAS(T *word, T expected, T desired) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "atomicCAS takes 4- or 8-byte words");
  __atomic_compare_exchange_n(word, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

// The "matrix" section.
#if R1_SIM_WARP == 32
#define R1_MMA_M 16
#define R1_MMA_N 8
#define R1_MMA_K 16
#define R1_MMA_ACC 4
static inline int r1_mma_row(int lane, int i) { return (lane >> 2) + 8 * (i >> 1); }
static inline int r1_mma_col(int lane, int i) { return 2 * (lane & 3) + (i & 1); }
#else
#define R1_MMA_M 32
#define R1_MMA_N 32
#define R1_MMA_K 8
#define R1_MMA_ACC 16
static inline int r1_mma_row(int lane, int i) { return 8 * (i >> 2) + 4 * (lane >> 5) + (i & 3); }
static inline int r1_mma_col(int lane, int i) { return lane & 31; }
#endif
struct r1_mma_acc {
  float v[R1_MMA_ACC];
};
#if R1_SIM_WARP == 32
// cvt.rna.tf32.f32: 10 mantissa bits, rounded to nearest with ties away
// from zero (half an ulp added to the magnitude, then truncated); infinity
// and NaN pass through.
static inline float r1_round_tf32(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7f800000u) != 0x7f800000u)
    bits += 0x1000u;
  bits &= 0xffffe000u;
  std::memcpy(&x, &bits, 4);
  return x;
}
static inline uint32_t __float_as_uint(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return bits;
}
#endif

#include "warp_matrix.h"

// Two floats as the halves of one register, `lo` in the lower, both rounded
// to nearest even (a NaN stays a quiet NaN): cvt.rn.f16x2.f32 and
// cvt.rn.bf16x2.f32 on NVIDIA, two conversions on AMD.
static inline unsigned r1_pack_f16x2(float lo, float hi) {
  return (unsigned)r1_f32_to_f16(lo) | (unsigned)r1_f32_to_f16(hi) << 16;
}
static inline unsigned r1_sim_to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (u >> 16) | 0x40u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
static inline unsigned r1_pack_bf16x2(float lo, float hi) {
  return r1_sim_to_bf16(lo) | r1_sim_to_bf16(hi) << 16;
}

// The instructions of the pipelined template, lane by lane.
#if R1_SIM_WARP == 32
// Shared addresses are plain pointers here; the kernels only add byte
// offsets to them.
typedef unsigned char *r1_shared_ptr;
static inline r1_shared_ptr r1_shared_address(const void *p) {
  return static_cast<unsigned char *>(const_cast<void *>(p));
}
static inline r1_shared_ptr r1_shared_align(r1_shared_ptr address, unsigned alignment) {
  uintptr_t at = reinterpret_cast<uintptr_t>(address);
  return address + ((alignment - at % alignment) % alignment);
}
static inline void r1_cp_async16(r1_shared_ptr to, const void *from, int bytes) {
  r1_sim_cp_async(to, from, 16, bytes);
}
static inline void r1_cp_async_commit() { r1_sim_cp_async_commit(); }
template <int N> static inline void r1_cp_async_wait() { r1_sim_cp_async_wait(N); }
static inline void r1_ldmatrix_x4(unsigned (&r)[4], r1_shared_ptr row) {
  r1_sim_ldmatrix<4, false>(r, row);
}
static inline void r1_ldmatrix_x4_trans(unsigned (&r)[4], r1_shared_ptr row) {
  r1_sim_ldmatrix<4, true>(r, row);
}
static inline void r1_mma_m16n8k16_f16(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  r1_sim_mma_m16n8k16<false>(c, a, b, c);
}
static inline void r1_mma_m16n8k16_bf16(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  r1_sim_mma_m16n8k16<true>(c, a, b, c);
}
static inline void r1_mma_m16n8k8_tf32(float (&c)[4], const unsigned (&a)[4], const unsigned *b) {
  r1_sim_mma_m16n8k8_tf32(c, a, b, c);
}
// sm_90a's wgmma: descriptors hold offsets into the block's dynamic shared
// memory (a host address does not fit their 14 bits).
static inline unsigned long long r1_wgmma_desc(r1_shared_ptr address, unsigned leading,
                                               unsigned stride, unsigned swizzle) {
  uint64_t offset = uint64_t(address - simt::dynamicShared);
  return ((offset >> 4) & 0x3fff) | (uint64_t((leading >> 4) & 0x3fff) << 16) |
         (uint64_t((stride >> 4) & 0x3fff) << 32) | (uint64_t(swizzle) << 62);
}
static inline void r1_wgmma_fence() {}
static inline void r1_wgmma_commit() { simt::wgmmaGroups.emplace_back(); }
template <int N> static inline void r1_wgmma_wait() { r1_sim_wgmma_wait(N); }
static inline void r1_fence_async_shared() {}
static inline void r1_wgmma_hold(float (&)[64]) {}
static inline void r1_wgmma_m64n128k16_f16(float (&d)[64], unsigned long long a,
                                           unsigned long long b) {
  simt::wgmmaGroups.back().push_back({d, a, b, false});
}
static inline void r1_wgmma_m64n128k16_bf16(float (&d)[64], unsigned long long a,
                                            unsigned long long b) {
  simt::wgmmaGroups.back().push_back({d, a, b, true});
}
#endif

#if R1_SIM_WARP == 64
// The HIP preamble's register-level MFMA (HipTarget.cpp), lane by lane: the
// template gathers the operand registers and places the accumulators
// itself, so a fragment it gets wrong gives a wrong product here.
struct r1_mfma_acc {
  float v[16];
};
static inline unsigned r1_pack_low_halves(unsigned even, unsigned odd) {
  return (even & 0xffffu) | odd << 16;
}
static inline unsigned r1_pack_high_halves(unsigned even, unsigned odd) {
  return even >> 16 | (odd & 0xffff0000u);
}
static inline void r1_schedule_fence() {}
static inline void r1_wait_loads() {}
// The HIP preamble's buffer loads (raw buffer resources, stride 0). The
// hardware returns zero for a load past num_records; whether its range
// check counts soffset depends on the chip, so a load where the two
// readings differ (or whose offsets wrap past 32 bits) stops the run: the
// kernel relies on what the hardware does not promise.
struct r1_buffer {
  const unsigned char *base;
  unsigned bytes;
};
static inline r1_buffer r1_make_buffer(const void *base, unsigned bytes) {
  return {static_cast<const unsigned char *>(base), bytes};
}
static inline unsigned r1_buffer_load_u16(r1_buffer buffer, unsigned voffset, unsigned soffset) {
  uint64_t at = uint64_t(voffset) + soffset;
  bool inside = at + 2 <= buffer.bytes,
       insideWithoutSoffset = uint64_t(voffset) + 2 <= buffer.bytes;
  if (at >> 32 || inside != insideWithoutSoffset) {
    std::fprintf(stderr, "buffer load at voffset %u, soffset %u of %u bytes: %s\n", voffset,
                 soffset, buffer.bytes,
                 at >> 32 ? "offsets wrap" : "in range only if soffset is not counted");
    std::abort();
  }
  if (!inside)
    return 0;
  uint16_t value;
  std::memcpy(&value, buffer.base + at, 2);
  return value;
}
static inline void r1_mfma_f16(r1_mfma_acc &c, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1) {
  const uint32_t a[2] = {a0, a1}, b[2] = {b0, b1};
  r1_sim_mfma_32x32x8<false>(c.v, a, b, c.v);
}
static inline void r1_mfma_bf16(r1_mfma_acc &c, uint32_t a0, uint32_t a1, uint32_t b0,
                                uint32_t b1) {
  const uint32_t a[2] = {a0, a1}, b[2] = {b0, b1};
  r1_sim_mfma_32x32x8<true>(c.v, a, b, c.v);
}
#endif

#endif // R1C_TEST_GPU_SIMT_H
