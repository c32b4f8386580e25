//===- MfmaGemmPrinter.cpp - Matmul and convolution on AMD matrix cores ---===//
//
// The `mfma` template of GemmProblem (gfx90a, gfx942): 2 x 2 wavefronts of
// 64 lanes (256 threads) over a block_m x block_n tile of C, each wave
// holding (warp_m / 32) x (warp_n / 32) accumulators of
// v_mfma_f32_32x32x8 (sixteen floats a lane each), which stay in registers
// (AGPRs) for the whole k-loop.
//
// Shared memory holds two k-steps (block_k) of A and of B, both stored
// k-contiguous: A as it is in memory (row-major m x k), B transposed to
// n x k. Rows are padded by 8 elements, which keeps them 16-byte aligned
// and spreads a wave's 16-byte reads over all banks. An MFMA lane needs
// four consecutive k of its row of A and of its column of B; the template
// gives each lane eight (one 16-byte LDS read, ds_read_b128), of which the
// first four feed one instruction and the next four the next. Over a group
// of 16 k, lane half h reads k 8h .. 8h + 7, so the two instructions
// together add every k of the group once; A and B are read alike, so the
// order in which k is summed does not matter.
//
// The k-loop is software-pipelined: each step loads the next step's tiles
// from global memory into registers, runs the MFMAs on the current shared
// buffer, then writes the registers into the other buffer; one barrier a
// step suffices because a buffer is only rewritten a step after it was
// last read. The last step is printed after the loop, so the loop body has
// no branches.
//
// Staging registers: each thread moves block_m block_k / 2048 vectors of
// 8 elements of A (a row's k) and block_k block_n / 4096 pairs of vectors
// of B (two consecutive k of 8 consecutive columns), so that each column's
// two k values pack into one 32-bit shared store. An operand whose tiles
// divide its matrix and whose rows lie one after another in memory (a
// matmul's operands, a convolution's weights) moves as 16-byte global
// loads without checks; the other (odd sizes, a convolution's gathered
// patches) element by element with bounds checks, into the same registers.
//
// A convolution whose group's input channels are whole k-steps runs K as
// (tap, channel) (GemmProblem::TapMajor), A and B alike, so every element
// of a step lies in one tap: a thread stages eight channels of A for
// filters a fixed distance apart and one column's run of channels of B.
// Both are read by buffer loads (a resource built once for the group's
// weights and once for the input), whose address is a lane's offset
// (VGPR), the wave's (SGPR) and a constant (the instruction's immediate):
// the weights' lane offsets are worked out once, the step's tap and
// channels are one SGPR offset, the patches' lane offset comes once a step
// from the tap's bounds and the column's window origin (found once), and
// a channel's distance is a constant SGPR. No division per element, no
// branch and no 64-bit address arithmetic: an out-of-range element (a
// filter past M, a column past N, a tap outside the input) takes an
// offset past the buffer's range, where the hardware reads zero. A step
// issues all its loads before pairing halves into words; both operands go
// to shared memory as 16-byte stores, two k a word.
//
// The epilogue applies the fused body (GemmProblem::store) to each
// accumulator element, where the CDNA ISA puts it: element i of lane
// (j, h) of a 32 x 32 tile is row 8 (i / 4) + 4 h + i % 4, column j.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"

using namespace mlir;

namespace r1c::gpu {
namespace {

constexpr int64_t kWave = 64;
/// Waves along each side of the block tile.
constexpr int64_t kWavesPerSide = 2;
constexpr int64_t kThreads = kWavesPerSide * kWavesPerSide * kWave;
/// v_mfma_f32_32x32x8: the output tile, and its accumulators a lane.
constexpr int64_t kTile = 32, kAccumulators = 16;
/// k values one lane reads at a time (two instructions' worth) and the k
/// a wave covers with them.
constexpr int64_t kLaneK = 8, kGroupK = 16;
/// Elements a staging vector holds (16 bytes of 16-bit elements).
constexpr int64_t kLanes = 8;
/// Padding of each shared row, in elements.
constexpr int64_t kPad = 8;
/// Bytes of an element (the template takes 16-bit elements only).
constexpr int64_t kElementBytes = 2;
/// A buffer offset past every buffer's range (buffers here hold less than
/// 2^31 bytes, offsets added to it stay below 2^32): a load there reads 0.
constexpr const char *kOutOfRange = "0x80000000u";

/// The tiling a variant asks for, and what follows from it.
struct Tiling {
  int64_t bm, bn, bk, wm, wn;
  /// Accumulator tiles a wave holds along m and n.
  int64_t tilesM, tilesN;
  /// Shared row length (k plus padding), elements.
  int64_t ld;
  /// Staging vectors of A, and vector pairs of B, a thread.
  int64_t vectorsA, pairsB;
  /// Whether A, B are staged as 16-byte loads without checks.
  bool vectorA, vectorB;
  /// Whether a convolution's K runs (tap, channel) (GemmProblem::TapMajor).
  bool tapMajor;
};

/// The k-step's first k, as the loads see it, and its index.
constexpr const char *kStepK = "r1_k0";
constexpr const char *kStepIndex = "r1_next";

/// Pointers of the 16-byte loads at k-step 0, before the loop: a thread's
/// vectors of A (r1_pa) and of B (r1_pb), and how far B's move a k-step
/// (r1_pbstep); a step's loads then add to them (A's rows are consecutive
/// in k, so its step is block_k).
void printVectorPointers(KernelWriter &w, const GemmProblem &p, const Tiling &t,
                         StringRef storage) {
  raw_ostream &os = w.os;
  int64_t perRow = t.bk / kLanes, pairs = t.bk / 2;
  if (t.vectorA)
    os << "  const " << storage << " *r1_pa[" << t.vectorsA << "];\n"
       << "  #pragma unroll\n"
       << "  for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v) {\n"
       << "    const int r1_e = threadIdx.x + " << kThreads << " * r1_v;\n"
       << "    const r1_i r1_gr = r1_row0 + r1_e / " << perRow << ", r1_gc = " << kLanes
       << " * (r1_e % " << perRow << ");\n"
       << "    r1_pa[r1_v] = " << p.addressA("r1_gr", "r1_gc") << ";\n"
       << "  }\n";
  if (t.vectorB)
    os << "  const " << storage << " *r1_pb[" << 2 * t.pairsB << "];\n"
       << "  r1_i r1_pbstep = 0;\n"
       << "  #pragma unroll\n"
       << "  for (int r1_v = 0; r1_v < " << t.pairsB << "; ++r1_v) {\n"
       << "    const int r1_u = threadIdx.x + " << kThreads << " * r1_v;\n"
       << "    const r1_i r1_gr = 2 * (r1_u % " << pairs << "), r1_gc = r1_col0 + " << kLanes
       << " * (r1_u / " << pairs << ");\n"
       << "    r1_pb[2 * r1_v] = " << p.addressB("r1_gr", "r1_gc") << ";\n"
       << "    r1_pb[2 * r1_v + 1] = " << p.addressB("(r1_gr + 1)", "r1_gc") << ";\n"
       << "    r1_pbstep = " << p.addressB(("(r1_gr + " + Twine(t.bk) + ")").str(), "r1_gc")
       << " - r1_pb[2 * r1_v];\n"
       << "  }\n";
}

/// A 16-byte vector load into the staging words `dst`, four words at a
/// time (which the compiler merges into one load), so the words stay
/// registers across the loop.
void printVectorLoad(raw_ostream &os, StringRef indent, StringRef dst, StringRef address) {
  os << indent << "{\n"
     << indent << "  const r1_vec<unsigned, 4> *const r1_src = reinterpret_cast<const "
     << "r1_vec<unsigned, 4> *>(" << address << ");\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_w = 0; r1_w < 4; ++r1_w)\n"
     << indent << "    " << dst << ".v[r1_w] = r1_src->v[r1_w];\n"
     << indent << "}\n";
}

/// Element-by-element staging of eight elements into the words `dst`:
/// element x (of `row`, column `col` + x for A; of row `row`, column
/// `col` + x for B) is half x % 2 of word x / 2, zero where `inside` (a
/// condition on r1_x, "" for none) fails.
void printElementLoad(raw_ostream &os, StringRef indent, StringRef dst, StringRef storage,
                      StringRef inside, StringRef row, StringRef col,
                      const decltype(GemmProblem::loadA) &load) {
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_w = 0; r1_w < 4; ++r1_w) {\n"
     << indent << "  " << storage << " r1_s[2] = {0, 0};\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_x = 2 * r1_w; r1_x < 2 * r1_w + 2; ++r1_x) {\n";
  std::string inner = (indent + "    ").str();
  if (!inside.empty())
    os << inner << "if (" << inside << ") {\n";
  load(os, inside.empty() ? inner : inner + "  ", row, col, "r1_s[r1_x % 2]");
  if (!inside.empty())
    os << inner << "}\n";
  os << indent << "  }\n"
     << indent << "  " << dst << ".v[r1_w] = (unsigned)r1_s[0] | (unsigned)r1_s[1] << 16;\n"
     << indent << "}\n";
}

/// `a && b`, leaving out empty conditions.
std::string allOf(ArrayRef<std::string> conditions) {
  std::string all;
  for (const std::string &c : conditions)
    if (!c.empty())
      all += (all.empty() ? "" : " && ") + c;
  return all;
}

/// Loads of A's tile at k-step r1_next (first k r1_k0) into the registers
/// r1_ra: vector v holds row e / (block_k / 8), k 8 (e % (block_k / 8))
/// onwards, for e = thread + 256 v.
void printLoadA(KernelWriter &w, const GemmProblem &p, const Tiling &t, StringRef storage) {
  raw_ostream &os = w.os;
  int64_t perRow = t.bk / kLanes;
  os << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v) {\n";
  if (t.vectorA) {
    printVectorLoad(os, "      ", "r1_ra[r1_v]",
                    ("r1_pa[r1_v] + " + Twine(kStepIndex) + " * " + Twine(t.bk)).str());
  } else {
    os << "      const int r1_e = threadIdx.x + " << kThreads << " * r1_v;\n"
       << "      const r1_i r1_gr = r1_row0 + r1_e / " << perRow << ", r1_gc = " << kStepK << " + "
       << kLanes << " * (r1_e % " << perRow << ");\n";
    // Only the sides the tiles do not divide need checks.
    std::string inside = allOf({p.m % t.bm ? "r1_gr < " + w.index(p.m) : "",
                                p.k % t.bk ? "r1_gc + r1_x < " + w.index(p.k) : ""});
    printElementLoad(os, "      ", "r1_ra[r1_v]", storage, inside, "r1_gr", "(r1_gc + r1_x)",
                     p.loadA);
  }
  os << "    }\n";
}

/// Loads of B's tile at k-step r1_next into the registers r1_rb: pair v is
/// rows 2 kp and 2 kp + 1 of the step, columns 8 g to 8 g + 7, for
/// u = thread + 256 v = kp + (block_k / 2) g.
void printLoadB(KernelWriter &w, const GemmProblem &p, const Tiling &t, StringRef storage) {
  raw_ostream &os = w.os;
  int64_t pairs = t.bk / 2;
  os << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.pairsB << "; ++r1_v) {\n";
  if (t.vectorB) {
    for (int r = 0; r < 2; ++r)
      printVectorLoad(
          os, "      ", ("r1_rb[2 * r1_v + " + Twine(r) + "]").str(),
          ("r1_pb[2 * r1_v + " + Twine(r) + "] + " + Twine(kStepIndex) + " * r1_pbstep").str());
  } else {
    os << "      const int r1_u = threadIdx.x + " << kThreads << " * r1_v;\n"
       << "      const r1_i r1_gc = r1_col0 + " << kLanes << " * (r1_u / " << pairs << ");\n"
       << "      #pragma unroll\n"
       << "      for (int r1_r = 0; r1_r < 2; ++r1_r) {\n"
       << "        const r1_i r1_gr = " << kStepK << " + 2 * (r1_u % " << pairs << ") + r1_r;\n";
    std::string inside = allOf({p.k % t.bk ? "r1_gr < " + w.index(p.k) : "",
                                p.n % t.bn ? "r1_gc + r1_x < " + w.index(p.n) : ""});
    printElementLoad(os, "        ", "r1_rb[2 * r1_v + r1_r]", storage, inside, "r1_gr",
                     "(r1_gc + r1_x)", p.loadB);
    os << "      }\n";
  }
  os << "    }\n";
}

/// A convolution with K as (tap, channel), each k-step inside one tap.
/// A thread stages eight channels of A for filters 256 / (block_k / 8)
/// apart (vector v is row e / (block_k / 8), k 8 (e % (block_k / 8))
/// onwards, as in the other path) and one column's consecutive run of
/// block_k block_n / 256 channels of B (column u % block_n, run
/// u / block_n). Both are read by buffer loads: A through a buffer of the
/// group's weights, B through one of the whole input. Each of a thread's
/// A vectors has its byte offset (a VGPR, worked out here once), the
/// step's tap and channels add one offset shared by the wave (an SGPR),
/// and its eight channels lie at constant distances (the instruction's
/// immediate). The patches' offset is the lane's a step (from the step's
/// tap, whose window the column's origin, found here, gives without a
/// division), each of its channels a constant distance on (an SGPR).
///
/// Nothing is loaded conditionally (a branch would split the loop) and
/// nothing is masked: a filter past M, a column past N and a tap outside
/// the input take an offset past the buffer's range, where the hardware
/// reads zeros.
void printTapMajorSetup(KernelWriter &w, const GemmProblem &p, const Tiling &t) {
  const GemmProblem::TapMajor &conv = *p.tapMajor;
  raw_ostream &os = w.os;
  int64_t perRow = t.bk / kLanes, run = t.bk * t.bn / kThreads;
  os << "  // K runs (tap, channel): " << conv.taps << " taps of " << conv.channels
     << " channels, each k-step within one tap.\n"
     << "  const int r1_ar = threadIdx.x / " << perRow << ", r1_ak = " << kLanes
     << " * (threadIdx.x % " << perRow << ");\n"
     << "  const int r1_bc = threadIdx.x % " << t.bn << ", r1_bk = " << run << " * (threadIdx.x / "
     << t.bn << ");\n"
     << "  const char *const r1_w0 = (const char *)" << conv.weight("0", "0", "0") << ";\n"
     << "  const r1_buffer r1_wbuf = r1_make_buffer(r1_w0, " << p.m * p.k * kElementBytes << "u);\n"
     << "  unsigned r1_aoff[" << t.vectorsA << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v) {\n"
     << "    const r1_i r1_f = r1_row0 + r1_ar + " << kThreads / perRow << " * r1_v;\n"
     << "    r1_aoff[r1_v] = "
     << (p.m % t.bm == 0 ? "" : "r1_f >= " + w.index(p.m) + " ? " + kOutOfRange + " : ")
     << "(unsigned)((const char *)" << conv.weight("r1_f", "r1_ak", "0") << " - r1_w0);\n"
     << "  }\n"
     << "  const bool r1_bin = " << (p.n % t.bn == 0 ? "true" : "r1_col0 + r1_bc < " + w.index(p.n))
     << ";\n";
  conv.column(os, "  ", "r1_col0 + r1_bc");
  // input() reads at r1_cv_at, the tap's offset; 0 is the first image.
  os << "  const char *r1_x0;\n"
     << "  {\n"
     << "    const r1_i r1_cv_at = 0;\n"
     << "    r1_x0 = (const char *)" << conv.input("0") << ";\n"
     << "  }\n"
     << "  const r1_buffer r1_xbuf = r1_make_buffer(r1_x0, " << conv.inputElements * kElementBytes
     << "u);\n"
     << "  r1_vec<unsigned, 4> r1_ra[" << t.vectorsA << "], r1_rb[" << 2 * t.pairsB << "];\n";
}

/// The registers of k-step r1_next (first k r1_k0), tap-major: element x
/// of A's vector v is the weight of filter r1_row0 + r1_ar + 256 v /
/// (block_k / 8), channel r1_ak + x; element x of B's vector v is channel
/// r1_bk + 8 v + x at the step's tap of column r1_bc. All of a step's loads
/// come before any of their halves are paired into words.
void printTapMajorLoads(KernelWriter &w, const GemmProblem &p, const Tiling &t) {
  const GemmProblem::TapMajor &conv = *p.tapMajor;
  raw_ostream &os = w.os;
  os << "    const int r1_tap = " << kStepK << " / " << conv.channels << ", r1_ch = " << kStepK
     << " % " << conv.channels << ";\n"
     << "    const unsigned r1_wstep = (unsigned)((const char *)"
     << conv.weight("0", "r1_ch", "r1_tap") << " - r1_w0);\n"
     << "    unsigned r1_boff;\n"
     << "    {\n";
  conv.tap(os, "      ", "r1_tap");
  // Worked out unconditionally and then chosen, so that no branch guards it.
  os << "      const unsigned r1_at = (unsigned)((const char *)" << conv.input("r1_ch + r1_bk")
     << " - r1_x0);\n"
     << "      r1_boff = r1_bin && r1_cv_ok ? r1_at : " << kOutOfRange << ";\n"
     << "    }\n"
     << "    unsigned r1_ha[" << t.vectorsA << "][" << kLanes << "], r1_hb[" << 2 * t.pairsB << "]["
     << kLanes << "];\n"
     << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_x = 0; r1_x < " << kLanes << "; ++r1_x)\n"
     << "        r1_ha[r1_v][r1_x] = r1_buffer_load_u16(r1_wbuf, r1_aoff[r1_v] + r1_x * "
     << kElementBytes * conv.taps << ", r1_wstep);\n"
     << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << 2 * t.pairsB << "; ++r1_v)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_x = 0; r1_x < " << kLanes << "; ++r1_x)\n"
     << "        r1_hb[r1_v][r1_x] = r1_buffer_load_u16(r1_xbuf, r1_boff, (" << kLanes
     << " * r1_v + r1_x) * " << kElementBytes * conv.channelStride << "u);\n"
     << "    r1_wait_loads();\n"
     << "    #pragma unroll\n"
     << "    for (int r1_w = 0; r1_w < 4; ++r1_w) {\n"
     << "      #pragma unroll\n"
     << "      for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v)\n"
     << "        r1_ra[r1_v].v[r1_w] = r1_pack_low_halves(r1_ha[r1_v][2 * r1_w], r1_ha[r1_v][2 * "
        "r1_w + 1]);\n"
     << "      #pragma unroll\n"
     << "      for (int r1_v = 0; r1_v < " << 2 * t.pairsB << "; ++r1_v)\n"
     << "        r1_rb[r1_v].v[r1_w] = r1_pack_low_halves(r1_hb[r1_v][2 * r1_w], r1_hb[r1_v][2 * "
        "r1_w + 1]);\n"
     << "    }\n";
}

/// Writes the tap-major registers into shared buffer `buffer`, two k a
/// word, in 16-byte stores: A's vectors where the other path puts them,
/// B's run at its column's row.
void printTapMajorStore(KernelWriter &w, const Tiling &t, StringRef buffer) {
  raw_ostream &os = w.os;
  int64_t perRow = t.bk / kLanes;
  os << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v) {\n"
     << "      const int r1_e = threadIdx.x + " << kThreads << " * r1_v;\n"
     << "      *reinterpret_cast<r1_vec<unsigned, 4> *>(&r1_as[(" << buffer << ") * " << t.bm * t.ld
     << " + (r1_e / " << perRow << ") * " << t.ld << " + " << kLanes << " * (r1_e % " << perRow
     << ")]) = r1_ra[r1_v];\n"
     << "    }\n"
     << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << 2 * t.pairsB << "; ++r1_v)\n"
     << "      *reinterpret_cast<r1_vec<unsigned, 4> *>(&r1_bs[(" << buffer << ") * " << t.bn * t.ld
     << " + r1_bc * " << t.ld << " + r1_bk + " << kLanes << " * r1_v]) = r1_rb[r1_v];\n";
}

/// Writes the staging registers into shared buffer `buffer` (an
/// expression): A's vectors as they are, B's pairs as one 32-bit word per
/// column (the lower half the even k).
void printStoreStage(KernelWriter &w, const Tiling &t, StringRef storage, StringRef buffer) {
  raw_ostream &os = w.os;
  int64_t perRow = t.bk / kLanes, pairs = t.bk / 2;
  os << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.vectorsA << "; ++r1_v) {\n"
     << "      const int r1_e = threadIdx.x + " << kThreads << " * r1_v;\n"
     << "      r1_vec<unsigned, 4> *const r1_dst = reinterpret_cast<r1_vec<unsigned, 4> *>(&r1_as[("
     << buffer << ") * " << t.bm * t.ld << " + (r1_e / " << perRow << ") * " << t.ld << " + "
     << kLanes << " * (r1_e % " << perRow << ")]);\n"
     << "      #pragma unroll\n"
     << "      for (int r1_w = 0; r1_w < 4; ++r1_w)\n"
     << "        r1_dst->v[r1_w] = r1_ra[r1_v].v[r1_w];\n"
     << "    }\n"
     << "    #pragma unroll\n"
     << "    for (int r1_v = 0; r1_v < " << t.pairsB << "; ++r1_v) {\n"
     << "      const int r1_u = threadIdx.x + " << kThreads << " * r1_v;\n"
     << "      unsigned *const r1_bw = reinterpret_cast<unsigned *>(&r1_bs[(" << buffer << ") * "
     << t.bn * t.ld << " + " << kLanes << " * (r1_u / " << pairs << ") * " << t.ld
     << " + 2 * (r1_u % " << pairs << ")]);\n"
     << "      const r1_vec<unsigned, 4> &r1_w0 = r1_rb[2 * r1_v], &r1_w1 = r1_rb[2 * r1_v + 1];\n"
     << "      #pragma unroll\n"
     << "      for (int r1_x = 0; r1_x < " << kLanes / 2 << "; ++r1_x) {\n"
     << "        r1_bw[2 * r1_x * " << t.ld / 2
     << "] = r1_pack_low_halves(r1_w0.v[r1_x], r1_w1.v[r1_x]);\n"
     << "        r1_bw[(2 * r1_x + 1) * " << t.ld / 2
     << "] = r1_pack_high_halves(r1_w0.v[r1_x], r1_w1.v[r1_x]);\n"
     << "      }\n"
     << "    }\n";
}

/// The MFMAs of one k-step on shared buffer `buffer`: per group of 16 k,
/// one 16-byte read per accumulator row of A and column of B, then two
/// instructions per accumulator.
void printProducts(KernelWriter &w, const Tiling &t, const MatrixInstruction &mi, StringRef buffer,
                   StringRef indent) {
  raw_ostream &os = w.os;
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_g = 0; r1_g < " << t.bk / kGroupK << "; ++r1_g) {\n"
     << indent << "  r1_vec<unsigned, 4> r1_fa[" << t.tilesM << "], r1_fb[" << t.tilesN << "];\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_y = 0; r1_y < " << t.tilesM << "; ++r1_y)\n"
     << indent << "    r1_fa[r1_y] = *reinterpret_cast<const r1_vec<unsigned, 4> *>(&r1_as[("
     << buffer << ") * " << t.bm * t.ld << " + r1_la + r1_y * " << kTile * t.ld << " + " << kGroupK
     << " * r1_g]);\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_x = 0; r1_x < " << t.tilesN << "; ++r1_x)\n"
     << indent << "    r1_fb[r1_x] = *reinterpret_cast<const r1_vec<unsigned, 4> *>(&r1_bs[("
     << buffer << ") * " << t.bn * t.ld << " + r1_lb + r1_x * " << kTile * t.ld << " + " << kGroupK
     << " * r1_g]);\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_q = 0; r1_q < 2; ++r1_q)\n"
     << indent << "    #pragma unroll\n"
     << indent << "    for (int r1_y = 0; r1_y < " << t.tilesM << "; ++r1_y)\n"
     << indent << "      #pragma unroll\n"
     << indent << "      for (int r1_x = 0; r1_x < " << t.tilesN << "; ++r1_x)\n"
     << indent << "        " << mi.function
     << "(r1_acc[r1_y][r1_x], r1_fa[r1_y].v[2 * r1_q], r1_fa[r1_y].v[2 * r1_q + 1], "
        "r1_fb[r1_x].v[2 * r1_q], r1_fb[r1_x].v[2 * r1_q + 1]);\n"
     << indent << "}\n";
}

} // namespace

LogicalResult printMfmaGemm(KernelWriter &w, const GemmProblem &p, const MatrixInstruction &mi,
                            r1k::GpuGemmAttr variant, Operation *at) {
  Tiling t;
  t.bm = variant.getBlockM();
  t.bn = variant.getBlockN();
  t.bk = variant.getBlockK();
  t.wm = variant.getWarpM();
  t.wn = variant.getWarpN();
  if (variant.getThreads() != kThreads || w.target.getWarpSize() != kWave ||
      t.wm * kWavesPerSide != t.bm || t.wn * kWavesPerSide != t.bn || t.wm % kTile != 0 ||
      t.wn % kTile != 0 || t.bk % kGroupK != 0 || (t.bm * t.bk) % (kLanes * kThreads) != 0 ||
      (t.bk * t.bn) % (2 * kLanes * kThreads) != 0 || variant.getStages() != 2 || mi.m != kTile ||
      mi.n != kTile || mi.k != kLaneK || mi.accumulators != kAccumulators ||
      p.element.getIntOrFloatBitWidth() != 16)
    return at->emitOpError("has GPU GEMM variant ")
           << variant
           << ", which the MFMA template cannot print (it needs 2 x 2 waves of 64 lanes, warp "
              "tiles of whole 32 x 32 instructions, k steps of 16s that every thread stages as "
              "often, two stages and 16-bit elements)";
  t.tilesM = t.wm / kTile;
  t.tilesN = t.wn / kTile;
  t.ld = t.bk + kPad;
  t.vectorsA = t.bm * t.bk / (kLanes * kThreads);
  t.pairsB = t.bk * t.bn / (2 * kLanes * kThreads);
  bool wholeSteps = p.k > 0 && p.k % t.bk == 0;
  t.vectorA = wholeSteps && p.addressA && p.m % t.bm == 0;
  t.vectorB = wholeSteps && p.addressB && p.n % t.bn == 0;
  // Tap-major needs whole steps of channels, columns that the threads
  // cover evenly, threads whose A vectors share their eight channels, and
  // weights and input that buffers of under 2^31 bytes cover.
  const int64_t kBufferBytes = int64_t(1) << 31;
  t.tapMajor = p.tapMajor && p.tapMajor->channels % t.bk == 0 && kThreads % t.bn == 0 &&
               kThreads % (t.bk / kLanes) == 0 && p.m * p.k * kElementBytes < kBufferBytes &&
               p.tapMajor->inputElements * kElementBytes < kBufferBytes;
  if (t.tapMajor)
    t.vectorA = t.vectorB = false;
  int64_t steps = KernelWriter::blocksFor(p.k, t.bk);
  std::string storage = KernelWriter::storageType(p.element);
  std::string vector = KernelWriter::vectorType(p.element, kLanes);

  raw_ostream &os = w.os;
  os << "  // Matrix cores, " << mi.instruction << ": " << t.bm << " x " << t.bn
     << " outputs per block of 2 x 2 waves, " << t.tilesM << " x " << t.tilesN
     << " accumulator tiles a wave, k in steps of " << t.bk << ", two shared buffers; A staged "
     << (t.vectorA ? "in 16-byte loads" : "element by element") << ", B "
     << (t.vectorB ? "in 16-byte loads" : "element by element")
     << (t.tapMajor ? ", both tap-major" : "") << ".\n"
     << "  __shared__ " << vector << " r1_asv[" << 2 * t.bm * t.ld / kLanes << "];\n"
     << "  __shared__ " << vector << " r1_bsv[" << 2 * t.bn * t.ld / kLanes << "];\n"
     << "  " << storage << " *const r1_as = r1_asv[0].v;\n"
     << "  " << storage << " *const r1_bs = r1_bsv[0].v;\n"
     << "  const int r1_wave = threadIdx.x / " << kWave << ", r1_j = threadIdx.x % " << kTile
     << ", r1_h = threadIdx.x / " << kTile << " % 2;\n"
     << "  const int r1_wr = (r1_wave / " << kWavesPerSide << ") * " << t.wm
     << ", r1_wc = (r1_wave % " << kWavesPerSide << ") * " << t.wn << ";\n"
     << "  // Where this lane's 16-byte fragment reads start: its row of A, its\n"
     << "  // column of B, its half's eight k.\n"
     << "  const int r1_la = (r1_wr + r1_j) * " << t.ld << " + " << kLaneK << " * r1_h;\n"
     << "  const int r1_lb = (r1_wc + r1_j) * " << t.ld << " + " << kLaneK << " * r1_h;\n"
     << "  const r1_i r1_b = blockIdx.z;\n"
     << "  const r1_i r1_row0 = (r1_i)blockIdx.y * " << t.bm << ", r1_col0 = (r1_i)blockIdx.x * "
     << t.bn << ";\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  os << "  r1_mfma_acc r1_acc[" << t.tilesM << "][" << t.tilesN << "];\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << t.tilesM << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << t.tilesN << "; ++r1_x)\n"
     << "      #pragma unroll\n      for (int r1_e = 0; r1_e < " << kAccumulators << "; ++r1_e)\n"
     << "        r1_acc[r1_y][r1_x].v[r1_e] = 0.0f;\n";
  if (t.tapMajor) {
    printTapMajorSetup(w, p, t);
  } else {
    os << "  // Staging registers: eight elements as four words, the lower half first.\n"
       << "  r1_vec<unsigned, 4> r1_ra[" << t.vectorsA << "], r1_rb[" << 2 * t.pairsB << "];\n";
    printVectorPointers(w, p, t, storage);
  }
  // The registers of k-step `index` (an expression).
  auto printLoads = [&](StringRef indent, StringRef index) {
    os << indent << "{\n"
       << indent << "  const int " << kStepIndex << " = " << index << ";\n"
       << indent << "  const r1_i " << kStepK << " = (r1_i)" << kStepIndex << " * " << t.bk
       << ";\n";
    if (t.tapMajor) {
      printTapMajorLoads(w, p, t);
    } else {
      printLoadA(w, p, t, storage);
      printLoadB(w, p, t, storage);
    }
    os << indent << "}\n";
  };
  // The registers into shared buffer `buffer` (an expression).
  auto printStore = [&](StringRef buffer) {
    if (t.tapMajor)
      printTapMajorStore(w, t, buffer);
    else
      printStoreStage(w, t, storage, buffer);
  };
  // The registers run a step ahead of the shared buffers: step s computes
  // on buffer s % 2, then stores the registers (step s + 1) into the other
  // buffer and loads step s + 2. Those loads are the last thing in the
  // loop, and their first use is the next step's stores, after its MFMAs,
  // which hide their latency.
  printLoads("  ", "0");
  printStore("0");
  if (steps > 1)
    printLoads("  ", "1");
  os << "  __syncthreads();\n"
     << "  for (int r1_step = 0; r1_step < " << std::max<int64_t>(steps - 2, 0)
     << "; ++r1_step) {\n";
  printProducts(w, t, mi, "r1_step & 1", "    ");
  // The stores wait for the loads: after the MFMAs, never among them.
  os << "    r1_schedule_fence();\n";
  printStore("(r1_step & 1) ^ 1");
  os << "    __syncthreads();\n";
  printLoads("    ", "r1_step + 2");
  os << "  }\n";
  if (steps > 1) {
    printProducts(w, t, mi, std::to_string(steps & 1), "  ");
    printStore(std::to_string((steps - 1) & 1));
    os << "  __syncthreads();\n";
  }
  printProducts(w, t, mi, std::to_string((steps - 1) & 1), "  ");
  os << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << t.tilesM << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << t.tilesN << "; ++r1_x)\n"
     << "      #pragma unroll\n      for (int r1_e = 0; r1_e < " << kAccumulators << "; ++r1_e) {\n"
     << "        const r1_i r1_row = r1_row0 + r1_wr + " << kTile
     << " * r1_y + 8 * (r1_e / 4) + 4 * r1_h + r1_e % 4;\n"
     << "        const r1_i r1_col = r1_col0 + r1_wc + " << kTile << " * r1_x + r1_j;\n"
     << "        if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
  if (failed(p.store("          ", "r1_row", "r1_col", "r1_acc[r1_y][r1_x].v[r1_e]")))
    return failure();
  os << "        }\n      }\n";
  w.launch.grid = {KernelWriter::blocksFor(p.n, t.bn), KernelWriter::blocksFor(p.m, t.bm), p.batch};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

} // namespace r1c::gpu
