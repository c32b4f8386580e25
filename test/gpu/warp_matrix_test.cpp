// Checks warp_matrix.h: fragments placed as the PTX and CDNA2 ISAs lay them
// out give the product of the tiles, and fragments placed in a plausible
// wrong way (the mistakes a kernel template could make) do not, so the
// simulator catches them. Built twice: warps of 32 (mma.sync, ldmatrix,
// cp.async) and of 64 (v_mfma).
#include "simt.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace {

unsigned short toHalf(float x) { return __builtin_bit_cast(unsigned short, (_Float16)x); }

uint32_t pack(unsigned short lo, unsigned short hi) { return uint32_t(lo) | uint32_t(hi) << 16; }

/// Small integers, so that every product and sum is exact in f16 and f32.
std::vector<unsigned short> tile(int rows, int cols, int seed) {
  std::vector<unsigned short> values(rows * cols);
  for (int i = 0; i < rows * cols; ++i)
    values[i] = toHalf(float((i * 7 + seed * 13) % 9 - 4));
  return values;
}

/// C = A B for A rows x depth and B depth x cols, both row-major halves.
std::vector<float> product(const std::vector<unsigned short> &a,
                           const std::vector<unsigned short> &b, int rows, int depth, int cols) {
  std::vector<float> c(rows * cols, 0.0f);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      for (int k = 0; k < depth; ++k)
        c[i * cols + j] += r1_f16_to_f32(a[i * depth + k]) * r1_f16_to_f32(b[k * cols + j]);
  return c;
}

/// Where a fragment element comes from: the (row, column) of A, and of B,
/// that half h of register r of lane l holds.
struct Layout {
  std::function<std::pair<int, int>(int l, int r, int h)> a, b;
};

void runWarp(const std::function<void()> &kernel) {
  simt::launch(dim3{1, 1, 1}, dim3{R1_SIM_WARP, 1, 1}, kernel);
}

#if R1_SIM_WARP == 32

constexpr int M = 16, N = 8, K = 16;

/// The PTX ISA's layout of mma.m16n8k16's A and B fragments.
Layout documented() {
  return {[](int l, int r, int h) {
            return std::pair{l / 4 + 8 * (r % 2), 2 * (l % 4) + 8 * (r / 2) + h};
          },
          [](int l, int r, int h) {
            return std::pair{2 * (l % 4) + 8 * r + h, l / 4};
          }};
}

/// Runs one mma on fragments gathered from A [16 x 16] and B [16 x 8] by
/// `layout`, and returns D placed where the documented layout says.
std::vector<float> mmaWith(const Layout &layout, const std::vector<unsigned short> &a,
                           const std::vector<unsigned short> &b) {
  std::vector<float> d(M * N, -1.0f);
  runWarp([&] {
    int l = threadIdx.x;
    uint32_t af[4], bf[2];
    for (int r = 0; r < 4; ++r) {
      auto [i0, k0] = layout.a(l, r, 0);
      auto [i1, k1] = layout.a(l, r, 1);
      af[r] = pack(a[i0 * K + k0], a[i1 * K + k1]);
    }
    for (int r = 0; r < 2; ++r) {
      auto [k0, j0] = layout.b(l, r, 0);
      auto [k1, j1] = layout.b(l, r, 1);
      bf[r] = pack(b[k0 * N + j0], b[k1 * N + j1]);
    }
    float c[4] = {0, 0, 0, 0}, out[4];
    r1_sim_mma_m16n8k16<false>(out, af, bf, c);
    for (int i = 0; i < 4; ++i)
      d[(l / 4 + 8 * (i / 2)) * N + 2 * (l % 4) + i % 2] = out[i];
  });
  return d;
}

TEST(MmaSync, DocumentedFragmentsGiveTheProduct) {
  std::vector<unsigned short> a = tile(M, K, 1), b = tile(K, N, 2);
  EXPECT_EQ(mmaWith(documented(), a, b), product(a, b, M, K, N));
}

TEST(MmaSync, MisplacedFragmentsGiveAnotherProduct) {
  std::vector<unsigned short> a = tile(M, K, 1), b = tile(K, N, 2);
  std::vector<float> want = product(a, b, M, K, N);
  Layout swappedA = documented();
  // Registers 1 and 2 swapped: rows g + 8 and columns + 8 confused.
  swappedA.a = [](int l, int r, int h) {
    return std::pair{l / 4 + 8 * (r / 2), 2 * (l % 4) + 8 * (r % 2) + h};
  };
  EXPECT_NE(mmaWith(swappedA, a, b), want);
  Layout rowMajorB = documented();
  // B read along its rows (n) instead of down its columns (k).
  rowMajorB.b = [](int l, int r, int h) { return std::pair{l / 4 + 8 * r, 2 * (l % 4) + h}; };
  EXPECT_NE(mmaWith(rowMajorB, a, b), want);
  Layout quadsB = documented();
  // Column from the lane's place in its quad instead of its quad.
  quadsB.b = [](int l, int r, int h) { return std::pair{2 * (l / 4 % 4) + 8 * r + h, l % 8}; };
  EXPECT_NE(mmaWith(quadsB, a, b), want);
}

/// A by ldmatrix.x4 from row-major A, B by ldmatrix.x2 from B (.trans when
/// B is stored k by n, as the mma wants it down its columns).
std::vector<float> mmaFromShared(bool transposeB) {
  std::vector<unsigned short> a = tile(M, K, 3), b = tile(K, N, 4);
  std::vector<float> d(M * N, -1.0f);
  runWarp([&] {
    int l = threadIdx.x;
    // Matrices of A in register order: rows 0-7 and 8-15 of columns 0-7, then of 8-15.
    int j = l / 8, r = l % 8;
    uint32_t af[4], bf[2];
    r1_sim_ldmatrix<4, false>(af, &a[(r + 8 * (j % 2)) * K + 8 * (j / 2)]);
    // B's two 8 x 8 matrices: k 0-7 and 8-15, a row of 8 n each.
    int jb = (l / 8) % 2;
    if (transposeB)
      r1_sim_ldmatrix<2, true>(bf, &b[(r + 8 * jb) * N]);
    else
      r1_sim_ldmatrix<2, false>(bf, &b[(r + 8 * jb) * N]);
    float c[4] = {0, 0, 0, 0}, out[4];
    r1_sim_mma_m16n8k16<false>(out, af, bf, c);
    for (int i = 0; i < 4; ++i)
      d[(l / 4 + 8 * (i / 2)) * N + 2 * (l % 4) + i % 2] = out[i];
  });
  return d;
}

TEST(Ldmatrix, FragmentsForMma) {
  std::vector<unsigned short> a = tile(M, K, 3), b = tile(K, N, 4);
  std::vector<float> want = product(a, b, M, K, N);
  EXPECT_EQ(mmaFromShared(true), want);
  // B stored k by n needs .trans: without it the lanes get rows of n.
  EXPECT_NE(mmaFromShared(false), want);
}

TEST(Ldmatrix, EachLaneGetsItsWordOfEachMatrix) {
  std::vector<unsigned short> m(4 * 64);
  for (int i = 0; i < 4 * 64; ++i)
    m[i] = (unsigned short)i;
  std::vector<std::array<uint32_t, 4>> plain(32), transposed(32);
  runWarp([&] {
    int l = threadIdx.x;
    // Lane l gives row l % 8 of matrix l / 8; matrix j is m[64 j ...].
    const unsigned short *row = &m[64 * (l / 8) + 8 * (l % 8)];
    r1_sim_ldmatrix<4, false>(plain[l].data(), row);
    r1_sim_ldmatrix<4, true>(transposed[l].data(), row);
  });
  for (int l = 0; l < 32; ++l)
    for (int j = 0; j < 4; ++j) {
      int row = l / 4, col = 2 * (l % 4);
      EXPECT_EQ(plain[l][j], pack(m[64 * j + 8 * row + col], m[64 * j + 8 * row + col + 1]))
          << "lane " << l << " matrix " << j;
      EXPECT_EQ(transposed[l][j], pack(m[64 * j + 8 * col + row], m[64 * j + 8 * (col + 1) + row]))
          << "lane " << l << " matrix " << j << " (.trans)";
    }
}

TEST(CpAsync, CopiesLandAtTheWaitThatCoversThem) {
  std::vector<uint32_t> global(32 * 8), shared(32 * 8, 0xdead);
  for (size_t i = 0; i < global.size(); ++i)
    global[i] = uint32_t(i);
  std::vector<int> beforeWait(32), afterFirst(32), afterAll(32), zeroFilled(32);
  runWarp([&] {
    int l = threadIdx.x;
    // Group 1: 16 bytes; group 2: 16 bytes, of which 8 from global.
    r1_sim_cp_async(&shared[8 * l], &global[8 * l], 16, 16);
    r1_sim_cp_async_commit();
    r1_sim_cp_async(&shared[8 * l + 4], &global[8 * l + 4], 16, 8);
    r1_sim_cp_async_commit();
    beforeWait[l] = shared[8 * l] == 0xdead;
    r1_sim_cp_async_wait(1);
    afterFirst[l] = shared[8 * l] == global[8 * l] && shared[8 * l + 4] == 0xdead;
    r1_sim_cp_async_wait(0);
    afterAll[l] = shared[8 * l + 5] == global[8 * l + 5];
    zeroFilled[l] = shared[8 * l + 6] == 0 && shared[8 * l + 7] == 0;
  });
  for (int l = 0; l < 32; ++l) {
    EXPECT_TRUE(beforeWait[l]) << "lane " << l << ": a copy landed before its wait";
    EXPECT_TRUE(afterFirst[l]) << "lane " << l << ": wait_group 1 landed the wrong groups";
    EXPECT_TRUE(afterAll[l]) << "lane " << l;
    EXPECT_TRUE(zeroFilled[l]) << "lane " << l << ": bytes past the source are not zero";
  }
}

#else

constexpr int M = 32, N = 32, K = 8;

/// CDNA2's layout of v_mfma_f32_32x32x8f16's A and B.
Layout documented() {
  return {[](int l, int r, int h) {
            return std::pair{l % 32, 4 * (l / 32) + 2 * r + h};
          },
          [](int l, int r, int h) {
            return std::pair{4 * (l / 32) + 2 * r + h, l % 32};
          }};
}

/// Lane l's A and B registers of the tiles `a` (M x K) and `b` (K x N),
/// where `layout` puts them.
void gatherMfma(const Layout &layout, const std::vector<unsigned short> &a,
                const std::vector<unsigned short> &b, int l, uint32_t (&af)[2], uint32_t (&bf)[2]) {
  for (int r = 0; r < 2; ++r) {
    auto [i0, k0] = layout.a(l, r, 0);
    auto [i1, k1] = layout.a(l, r, 1);
    af[r] = pack(a[i0 * K + k0], a[i1 * K + k1]);
    auto [kb0, j0] = layout.b(l, r, 0);
    auto [kb1, j1] = layout.b(l, r, 1);
    bf[r] = pack(b[kb0 * N + j0], b[kb1 * N + j1]);
  }
}

std::vector<float> mfmaWith(const Layout &layout, const std::vector<unsigned short> &a,
                            const std::vector<unsigned short> &b) {
  std::vector<float> d(M * N, -1.0f);
  runWarp([&] {
    int l = threadIdx.x;
    uint32_t af[2], bf[2];
    gatherMfma(layout, a, b, l, af, bf);
    float c[16] = {}, out[16];
    r1_sim_mfma_32x32x8<false>(out, af, bf, c);
    for (int i = 0; i < 16; ++i)
      d[(8 * (i / 4) + 4 * (l / 32) + i % 4) * N + l % 32] = out[i];
  });
  return d;
}

TEST(Mfma, DocumentedFragmentsGiveTheProduct) {
  std::vector<unsigned short> a = tile(M, K, 5), b = tile(K, N, 6);
  EXPECT_EQ(mfmaWith(documented(), a, b), product(a, b, M, K, N));
}

TEST(Mfma, MisplacedFragmentsGiveAnotherProduct) {
  std::vector<unsigned short> a = tile(M, K, 5), b = tile(K, N, 6);
  std::vector<float> want = product(a, b, M, K, N);
  Layout halvesSwapped = documented();
  // The two halves of the wave take the same k instead of k 0-3 and 4-7.
  halvesSwapped.a = [](int l, int r, int h) { return std::pair{l % 32, 2 * r + h}; };
  EXPECT_NE(mfmaWith(halvesSwapped, a, b), want);
  Layout rowsOfB = documented();
  // B along its rows: the lane holding column j reads row j's elements.
  rowsOfB.b = [](int l, int r, int h) {
    return std::pair{(l % 32) % K, (4 * (l / 32) + 2 * r + h) % N};
  };
  EXPECT_NE(mfmaWith(rowsOfB, a, b), want);
}

/// The HIP preamble's r1_mfma_f16 (simt.h's stand-in) on fragments of the
/// documented layout, the A registers swapped when `swapA`.
std::vector<float> preambleMfma(bool swapA, const std::vector<unsigned short> &a,
                                const std::vector<unsigned short> &b) {
  std::vector<float> d(M * N, -1.0f);
  Layout layout = documented();
  runWarp([&] {
    int l = threadIdx.x;
    uint32_t af[2], bf[2];
    gatherMfma(layout, a, b, l, af, bf);
    r1_mfma_acc acc = {};
    r1_mfma_f16(acc, af[swapA ? 1 : 0], af[swapA ? 0 : 1], bf[0], bf[1]);
    for (int i = 0; i < 16; ++i)
      d[(8 * (i / 4) + 4 * (l / 32) + i % 4) * N + l % 32] = acc.v[i];
  });
  return d;
}

TEST(Mfma, PreambleFunctionTakesTheOperandRegisters) {
  std::vector<unsigned short> a = tile(M, K, 7), b = tile(K, N, 8);
  std::vector<float> want = product(a, b, M, K, N);
  EXPECT_EQ(preambleMfma(false, a, b), want);
  // k 0-1 and 2-3 of each lane's A exchanged: another product.
  EXPECT_NE(preambleMfma(true, a, b), want);
}

#endif

} // namespace
