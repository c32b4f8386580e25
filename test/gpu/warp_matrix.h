// Lane-exact semantics of the warp-wide instructions of tensor-core and
// matrix-core kernels, for simt.h (which includes this at its end). Each
// lane's registers hold the elements the PTX ISA (mma.sync m16n8k16,
// ldmatrix m8n8, cp.async) and AMD's CDNA2 ISA (v_mfma_f32_32x32x8) assign
// it, and the instructions read them from the lanes that hold them, so a
// kernel whose fragments are wrong computes a wrong product here, as on the
// GPU. cp.async copies land only at cp.async.wait_group, so a kernel that
// reads a stage before waiting for it reads what was there before.
//
// NVIDIA (warps of 32), with g = lane / 4 and t = lane % 4:
//   mma m16n8k16, A 16x16 row-major in four 32-bit registers of two
//     halves (the lower one first): register r holds row g + 8 (r % 2),
//     columns 2t + 8 (r / 2) and the next;
//   B 16x8 (k by n) in two: register r holds rows 2t + 8r and the next of
//     column g;
//   C and D 16x8 f32 in four: element i is row g + 8 (i / 2), column
//     2t + i % 2.
//   ldmatrix m8n8 .x1/.x2/.x4: lane 8j + r gives the address of row r of
//     matrix j (16 bytes); register j of lane l holds halves 2 (l % 4) and
//     the next of row l / 4 of matrix j, or with .trans, rows 2 (l % 4) and
//     the next of column l / 4.
// AMD (waves of 64), with j = lane % 32 and h = lane / 32:
//   v_mfma_f32_32x32x8f16 (and bf16_1k), A 32x8 in two 32-bit registers of
//     two halves: lane holds row j, columns 4h .. 4h + 3; B 8x32: lane
//     holds rows 4h .. 4h + 3 of column j; C and D 32x32 f32 in sixteen:
//     element i is row 8 (i / 4) + 4h + i % 4, column j.
#ifndef R1C_TEST_GPU_WARP_MATRIX_H
#define R1C_TEST_GPU_WARP_MATRIX_H

namespace simt {

/// This lane's registers, published to the warp while an instruction reads
/// them: the constructor waits for every lane to publish, the destructor
/// for every lane to have read.
struct WarpRegisters {
  WarpRegisters(const uint32_t *mine, int count)
      : warp(*block->warps[thread.x / R1_SIM_WARP]), lane(thread.x % R1_SIM_WARP) {
    std::memcpy(warp.words[lane], mine, count * sizeof(uint32_t));
    warp.barrier.arrive_and_wait();
  }
  ~WarpRegisters() { warp.barrier.arrive_and_wait(); }
  WarpRegisters(const WarpRegisters &) = delete;
  WarpRegisters &operator=(const WarpRegisters &) = delete;

  uint32_t at(int fromLane, int index) const { return warp.words[fromLane][index]; }

  Warp &warp;
  const int lane;
};

/// Half `h` (0: the lower 16 bits) of a register, as f32.
template <bool Bf16> inline float halfOf(uint32_t word, int h) {
  unsigned short bits = (unsigned short)(h ? word >> 16 : word & 0xffffu);
  if (Bf16) {
    uint32_t widened = uint32_t(bits) << 16;
    float value;
    std::memcpy(&value, &widened, 4);
    return value;
  }
  return (float)__builtin_bit_cast(_Float16, bits);
}

/// Deferred cp.async copies of this thread: committed groups, then the
/// open one.
struct AsyncCopy {
  void *to;
  const void *from;
  int bytes, sourceBytes;
};
inline thread_local std::vector<std::vector<AsyncCopy>> asyncGroups(1);

} // namespace simt

#if R1_SIM_WARP == 32

/// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32: d = a b + c.
template <bool Bf16>
static inline void r1_sim_mma_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                       const float c[4]) {
  const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
  simt::WarpRegisters regs(mine, 6);
  int g = regs.lane / 4, t = regs.lane % 4;
  float result[4];
  for (int i = 0; i < 4; ++i) {
    int row = g + 8 * (i / 2), col = 2 * t + i % 2;
    float sum = c[i];
    for (int k = 0; k < 16; ++k) {
      // A(row, k) is in register row / 8 + 2 (k / 8) of lane 4 (row % 8) + (k % 8) / 2;
      // B(k, col) in register k / 8 of lane 4 col + (k % 8) / 2; half k % 2 of each.
      float x =
          simt::halfOf<Bf16>(regs.at(4 * (row % 8) + (k % 8) / 2, row / 8 + 2 * (k / 8)), k % 2);
      float y = simt::halfOf<Bf16>(regs.at(4 * col + (k % 8) / 2, 4 + k / 8), k % 2);
      sum += x * y;
    }
    result[i] = sum;
  }
  std::memcpy(d, result, sizeof(result));
}

/// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32: d = a b + c, the
/// operands f32 bit patterns (already rounded to TF32). A's register r
/// holds row g + 8 (r % 2), column t + 4 (r / 2); B's register r row
/// t + 4 r of column g.
static inline void r1_sim_mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2],
                                           const float c[4]) {
  const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
  simt::WarpRegisters regs(mine, 6);
  int g = regs.lane / 4, t = regs.lane % 4;
  auto value = [](uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  };
  float result[4];
  for (int i = 0; i < 4; ++i) {
    int row = g + 8 * (i / 2), col = 2 * t + i % 2;
    float sum = c[i];
    for (int k = 0; k < 8; ++k)
      sum += value(regs.at(4 * (row % 8) + k % 4, row / 8 + 2 * (k / 4))) *
             value(regs.at(4 * col + k % 4, 4 + k / 4));
    result[i] = sum;
  }
  std::memcpy(d, result, sizeof(result));
}

/// ldmatrix.sync.aligned.m8n8.x{Count}[.trans].shared.b16: `row` is the
/// address this lane gives (lanes 0 .. 8 Count - 1 are read).
template <int Count, bool Trans>
static inline void r1_sim_ldmatrix(uint32_t r[Count], const void *row) {
  uint32_t mine[2];
  uint64_t address = reinterpret_cast<uint64_t>(row);
  std::memcpy(mine, &address, 8);
  simt::WarpRegisters regs(mine, 2);
  auto rowOf = [&](int provider) {
    uint64_t at;
    uint32_t words[2] = {regs.at(provider, 0), regs.at(provider, 1)};
    std::memcpy(&at, words, 8);
    return reinterpret_cast<const unsigned short *>(at);
  };
  int l = regs.lane;
  for (int j = 0; j < Count; ++j) {
    unsigned short lo, hi;
    if (Trans) {
      lo = rowOf(8 * j + 2 * (l % 4))[l / 4];
      hi = rowOf(8 * j + 2 * (l % 4) + 1)[l / 4];
    } else {
      lo = rowOf(8 * j + l / 4)[2 * (l % 4)];
      hi = rowOf(8 * j + l / 4)[2 * (l % 4) + 1];
    }
    r[j] = uint32_t(lo) | uint32_t(hi) << 16;
  }
}

/// cp.async.{ca,cg}.shared.global [to], [from], bytes, sourceBytes: the
/// bytes past sourceBytes are zero. Lands at a wait_group that covers it.
static inline void r1_sim_cp_async(void *to, const void *from, int bytes, int sourceBytes) {
  simt::asyncGroups.back().push_back({to, from, bytes, sourceBytes});
}
/// cp.async.commit_group.
static inline void r1_sim_cp_async_commit() { simt::asyncGroups.emplace_back(); }
/// cp.async.wait_group n: every committed group but the n most recent lands.
static inline void r1_sim_cp_async_wait(int n) {
  auto &groups = simt::asyncGroups;
  while (int(groups.size()) - 1 > n) {
    for (const simt::AsyncCopy &copy : groups.front()) {
      std::memset(copy.to, 0, copy.bytes);
      std::memcpy(copy.to, copy.from, copy.sourceBytes);
    }
    groups.erase(groups.begin());
  }
}

#else

/// v_mfma_f32_32x32x8f16 and v_mfma_f32_32x32x8bf16_1k: d = a b + c.
template <bool Bf16>
static inline void r1_sim_mfma_32x32x8(float d[16], const uint32_t a[2], const uint32_t b[2],
                                       const float c[16]) {
  const uint32_t mine[4] = {a[0], a[1], b[0], b[1]};
  simt::WarpRegisters regs(mine, 4);
  int j = regs.lane % 32, h = regs.lane / 32;
  float result[16];
  for (int i = 0; i < 16; ++i) {
    int row = 8 * (i / 4) + 4 * h + i % 4;
    float sum = c[i];
    for (int k = 0; k < 8; ++k) {
      // A(row, k) is element k % 4 of lane row + 32 (k / 4); B(k, j) of
      // lane j + 32 (k / 4), two halves a register.
      float x = simt::halfOf<Bf16>(regs.at(row + 32 * (k / 4), (k % 4) / 2), k % 2);
      float y = simt::halfOf<Bf16>(regs.at(j + 32 * (k / 4), 2 + (k % 4) / 2), k % 2);
      sum += x * y;
    }
    result[i] = sum;
  }
  std::memcpy(d, result, sizeof(result));
}

#endif

#endif // R1C_TEST_GPU_WARP_MATRIX_H
