//===- MmaGemmPrinter.cpp - Pipelined tensor-core GEMM, sm_80 to sm_90 ----===//
//
// The `mma` template with two or more `stages`, for f16 and bf16:
//
// - Warps cover the block tile, numbered along N first; each holds
//   (warp_m / 16) x (warp_n / 8) m16n8k16 accumulators in registers for
//   the whole K loop.
// - K goes in steps of block_k through `stages` buffers of dynamic shared
//   memory: step s + stages - 1 is in flight while step s computes. An
//   operand whose rows are contiguous and 16-byte aligned moves with
//   cp.async, 16 bytes a thread, the bytes past the matrix zero-filled (a
//   source size of 0), so edge tiles take no branch. Any other operand (a
//   convolution's gathered patches) is read element by element into
//   registers before the step's products and stored after them, so its
//   loads are in flight while the tensor cores work.
// - Shared tiles are row-major without padding; the 16-byte chunks of a
//   row are permuted by an XOR with a function of the row (`swizzle`), so
//   the eight rows that one ldmatrix reads, and the chunks that a warp's
//   cp.async writes, fall in distinct banks.
// - Fragments come from ldmatrix.x4 (A, row-major) and ldmatrix.x4.trans
//   (B, stored k by n: the transposed load hands each lane the k pairs of
//   its column, as mma's B fragment wants), one instruction per 16 x 16
//   piece of a warp tile.
// - The fused body runs on each accumulator on its way to memory; rows and
//   columns are checked only where the tiles do not divide the matrix.
// - With split_k, grid z walks (batch, slice of K): each block writes its
//   slice's f32 partial product to the kernel's scratch, and a second
//   launch sums the slices in order and applies the fused body.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemmTemplates.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace r1c::gpu {
namespace {

/// Elements in one 16-byte chunk (the template takes 16-bit elements).
constexpr int64_t kChunk = 8;
/// wgmma: B's panels are 8 chunks (128 bytes) wide; the 128-byte swizzle
/// repeats every 1024 bytes; a warpgroup's m64n128 tile is 64 floats a
/// thread.
constexpr int64_t kWgmmaPanelChunks = 8, kSwizzleRepeat = 1024, kWgmmaAccumulators = 64;

bool isPowerOfTwo(int64_t value) { return value > 0 && (value & (value - 1)) == 0; }

/// The C++ expression of the XOR that permutes the chunks of row `row` in
/// a tile of `chunks` chunks a row. ldmatrix reads one chunk of eight
/// consecutive rows; with it they occupy eight distinct 16-byte bank groups
/// (rows of 2 or 4 chunks share a 128-byte line, so the XOR changes only
/// every 4 or 2 rows). The period is at most 8 rows, so it divides the
/// 16-row steps between fragments.
std::string swizzle(StringRef row, int64_t chunks) {
  int64_t period = std::max<int64_t>(1, kChunk / chunks);
  int64_t values = std::min<int64_t>(chunks, kChunk);
  std::string rows =
      period == 1 ? ("(" + row + ")").str() : ("(" + row + ") / " + Twine(period)).str();
  return "(" + rows + " % " + std::to_string(values) + ")";
}

/// One operand of the product as the template stages it: a tile of `rows`
/// x `cols` per step (A: block_m x block_k, B: block_k x block_n) at
/// (`firstRow`, `firstCol`) of its matrix, which moves along K by
/// block_k columns (A) or rows (B) a step.
struct StagedOperand {
  std::string name; // "a" or "b": the printed names start with r1_<name>
  int64_t rows, cols, matrixRows, matrixCols;
  std::string firstRow, firstCol;
  bool kAlongRows;
  bool vector;
  const std::function<void(raw_ostream &, StringRef, StringRef, StringRef, StringRef)> *load;
  const std::function<std::string(StringRef, StringRef)> *address;

  /// 16-byte chunks in a row of one panel: the tile is stored as panels of
  /// this many columns side by side (wgmma's B, 128-byte rows), or as one.
  int64_t panelChunks = 0;

  std::string tile() const { return "r1_" + name + "s"; }
  int64_t panel() const { return panelChunks ? panelChunks : chunksPerRow(); }
  std::string var(StringRef what) const { return ("r1_" + name + what).str(); }
  int64_t chunksPerRow() const { return cols / kChunk; }
  int64_t perThread(int64_t threads) const { return rows * cols / (vector ? kChunk : 1) / threads; }
};

class PipelinedMmaGemm {
public:
  PipelinedMmaGemm(KernelWriter &w, const GemmProblem &p, const MatrixInstruction &mi,
                   r1k::GpuGemmAttr variant)
      : w(w), os(w.os), p(p), mi(mi), bm(variant.getBlockM()), bn(variant.getBlockN()),
        bk(variant.getBlockK()), warpM(variant.getWarpM()), warpN(variant.getWarpN()),
        threads(variant.getThreads()), stages(variant.getStages()), split(variant.getSplitK()),
        wgmma(variant.getInstruction() == r1k::GpuGemmInstruction::wgmma),
        storage(KernelWriter::storageType(p.element)) {}

  /// Whether the variant fits the template; `needs` says what it takes.
  bool fits(StringRef &needs) const;
  LogicalResult print();

private:
  int64_t steps() const { return (p.k + bk - 1) / bk; }
  /// K steps a slice takes (all of them without split_k).
  int64_t stepsPerSlice() const { return (steps() + split - 1) / split; }
  /// The C++ bound of this block's K steps, and step `local` of the block
  /// as a step of the whole product.
  std::string blockSteps() const { return split > 1 ? "r1_ksteps" : std::to_string(steps()); }
  std::string absoluteStep(StringRef local) const {
    return split > 1 ? ("r1_kbegin + " + local).str() : local.str();
  }
  /// Tile rows between a thread's consecutive cp.async chunks.
  int64_t chunkRows(const StagedOperand &x) const { return threads / x.chunksPerRow(); }
  std::string stageOffset(const StagedOperand &x, StringRef stage) const {
    return (stage + " * " + Twine(x.rows * x.cols)).str();
  }
  void printVectorSetup(const StagedOperand &x);
  void printVectorIssue(const StagedOperand &x, StringRef step, StringRef stage, StringRef indent);
  void printElementLoad(const StagedOperand &x, StringRef step, StringRef indent);
  void printElementStore(const StagedOperand &x, StringRef stage, StringRef indent);
  void printFill(const StagedOperand &x, StringRef step, StringRef stage, StringRef indent);
  int64_t storeBases(const StagedOperand &x) const;
  void printStoreOffsets(const StagedOperand &x);
  void printTapMajorSetup();
  void printTapMajorLoad(StringRef step, StringRef indent);
  void printFragmentOffsets();
  void printProducts(StringRef indent);
  void printWarpgroupProducts(StringRef indent);
  LogicalResult printWarpgroupEpilogue();
  LogicalResult printEpilogue();
  LogicalResult printSliceSum();

  KernelWriter &w;
  raw_ostream &os;
  const GemmProblem &p;
  const MatrixInstruction &mi;
  int64_t bm, bn, bk, warpM, warpN, threads, stages, split;
  /// sm_90a: warpgroups issue wgmma on the stages through descriptors
  /// instead of warps loading fragments with ldmatrix.
  bool wgmma;
  std::string storage;
  StagedOperand a, b;
  /// Whether a convolution's K runs (tap, channel) (GemmProblem::TapMajor).
  bool tapMajor = false;
};

bool PipelinedMmaGemm::fits(StringRef &needs) const {
  if (wgmma) {
    // One m64n128k16 per warpgroup and 16-wide K piece, on 128-byte rows
    // that cp.async fills: both operands' rows contiguous.
    needs = "warpgroups of 64 x 128, K steps of 64, two or more stages, no split, and operands "
            "whose rows are contiguous runs of a multiple of 8 elements";
    return warpM == 64 && warpN == 128 && bn == 128 && bk == 64 && bm % 64 == 0 &&
           threads == 128 * (bm / 64) && stages >= 2 && split == 1 && p.addressA && p.addressB &&
           !p.tapMajor && p.k % kChunk == 0 && p.n % kChunk == 0 &&
           (bm * bk / kChunk) % threads == 0 && (bk * bn / kChunk) % threads == 0;
  }
  needs = "warps of 16 x 16 pieces covering the block, K steps of a power of two from 16 and "
          "block_n a power of two from 16, two or more stages, and staging loops that every "
          "thread runs as often, a multiple of 8 rows apart";
  int64_t warps = (bm / warpM) * (bn / warpN);
  return mi.m == 16 && mi.n == 8 && mi.k == 16 && !mi.fragmentFunction.empty() &&
         threads == warps * 32 && warpM % 16 == 0 && warpN % 16 == 0 && bk % 16 == 0 &&
         isPowerOfTwo(bk) && isPowerOfTwo(bn) && bn >= 16 && stages >= 2 &&
         (bm * bk / kChunk) % threads == 0 && (bk * bn / kChunk) % threads == 0 &&
         threads % (bk / kChunk) == 0 && threads / (bk / kChunk) % kChunk == 0 &&
         threads % (bn / kChunk) == 0 && threads / (bn / kChunk) % kChunk == 0;
}

/// The chunks a thread moves: chunk l is `chunkRows()` tile rows below
/// chunk 0, in the same column, so one source pointer and one shared
/// offset serve them all (plus constants), and the swizzle, whose period
/// divides that distance, is the same for each.
void PipelinedMmaGemm::printVectorSetup(const StagedOperand &x) {
  int64_t count = x.perThread(threads), chunks = x.chunksPerRow();
  const auto &address = *x.address;
  std::string across = std::to_string(chunkRows(x));
  os << "  // " << x.name << ": " << count << " chunks of 16 bytes a thread, " << across
     << " rows apart.\n"
     << "  const int " << x.var("r") << " = threadIdx.x / " << chunks << ", " << x.var("c")
     << " = threadIdx.x % " << chunks << ";\n"
     << "  const int " << x.var("slot") << " = 2 * (";
  if (x.panel() == chunks)
    os << x.var("r") << " * " << x.cols << " + ((" << x.var("c") << " ^ "
       << swizzle(x.var("r"), chunks) << ") * " << kChunk << "));\n";
  else
    os << "(" << x.var("c") << " / " << x.panel() << ") * " << x.rows * x.panel() * kChunk << " + "
       << x.var("r") << " * " << x.panel() * kChunk << " + (((" << x.var("c") << " % " << x.panel()
       << ") ^ " << swizzle(x.var("r"), x.panel()) << ") * " << kChunk << "));\n";
  os << "  const " << storage << " *" << x.var("src") << " = "
     << address("(" + x.firstRow + " + " + x.var("r") + ")",
                "(" + x.firstCol + " + " + std::to_string(kChunk) + " * " + x.var("c") + ")")
     << ";\n"
     << "  const " << storage << " *const " << x.var("origin") << " = " << address("0", "0")
     << ";\n"
     << "  const long long " << x.var("step") << " = "
     << address(x.kAlongRows ? std::to_string(bk) : "0", x.kAlongRows ? "0" : std::to_string(bk))
     << " - " << x.var("origin") << ";\n"
     << "  const long long " << x.var("across") << " = " << address(across, "0") << " - "
     << x.var("origin") << ";\n";
  // The source's rows along M (A) or columns along N (B) do not move with
  // K: whether they lie in the matrix is known here.
  if (x.kAlongRows ? x.matrixCols % x.cols != 0 : x.matrixRows % x.rows != 0) {
    os << "  bool " << x.var("in") << "[" << count << "];\n"
       << "  #pragma unroll\n"
       << "  for (int r1_l = 0; r1_l < " << count << "; ++r1_l)\n"
       << "    " << x.var("in") << "[r1_l] = ";
    if (x.kAlongRows)
      os << x.firstCol << " + " << kChunk << " * " << x.var("c") << " < " << w.index(x.matrixCols)
         << ";\n";
    else
      os << x.firstRow << " + " << x.var("r") << " + " << across << " * r1_l < "
         << w.index(x.matrixRows) << ";\n";
  }
}

/// cp.async of this thread's chunks of K step `step` into stage `stage`.
void PipelinedMmaGemm::printVectorIssue(const StagedOperand &x, StringRef step, StringRef stage,
                                        StringRef indent) {
  int64_t count = x.perThread(threads);
  std::string across = std::to_string(chunkRows(x));
  std::vector<std::string> conditions;
  if (x.kAlongRows ? x.matrixCols % x.cols != 0 : x.matrixRows % x.rows != 0)
    conditions.push_back(x.var("in") + "[r1_l]");
  // Chunks past K, only where the steps overrun it (K is a multiple of 8,
  // so a chunk is all in or all out).
  if (p.k % bk != 0)
    conditions.push_back(x.kAlongRows ? ("(" + step + ") * " + Twine(bk) + " + " + x.var("r") +
                                         " + " + across + " * r1_l < " + w.index(p.k))
                                            .str()
                                      : ("(" + step + ") * " + Twine(bk) + " + " + Twine(kChunk) +
                                         " * " + x.var("c") + " < " + w.index(p.k))
                                            .str());
  std::string to =
      (x.var("shared") + " + " + stage + " * " + Twine(2 * x.rows * x.cols) + " + " +
       x.var("slot") + " + " + Twine(2 * chunkRows(x) * kChunk * x.panel()) + " * r1_l")
          .str();
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_l = 0; r1_l < " << count << "; ++r1_l) {\n";
  if (conditions.empty()) {
    os << indent << "  r1_cp_async16(" << to << ", " << x.var("src") << " + r1_l * "
       << x.var("across") << ", 16);\n";
  } else {
    os << indent << "  const bool r1_ok = " << llvm::join(conditions, " && ") << ";\n"
       << indent << "  r1_cp_async16(" << to << ", r1_ok ? " << x.var("src") << " + r1_l * "
       << x.var("across") << " : " << x.var("origin") << ", r1_ok ? 16 : 0);\n";
  }
  os << indent << "}\n" << indent << x.var("src") << " += " << x.var("step") << ";\n";
}

/// This thread's elements of K step `step`, into registers (0 outside the
/// matrix).
void PipelinedMmaGemm::printElementLoad(const StagedOperand &x, StringRef step, StringRef indent) {
  int64_t count = x.perThread(threads);
  std::string k0 = ("(" + step + ") * " + Twine(bk)).str();
  std::string firstRow = x.kAlongRows ? k0 : x.firstRow;
  std::string firstCol = x.kAlongRows ? x.firstCol : k0;
  std::string inner = (indent + "    ").str();
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_l = 0; r1_l < " << count << "; ++r1_l) {\n"
     << indent << "  const int r1_e = threadIdx.x + " << threads << " * r1_l;\n"
     << indent << "  const r1_i r1_gr = " << firstRow << " + r1_e / " << x.cols
     << ", r1_gc = " << firstCol << " + r1_e % " << x.cols << ";\n"
     << indent << "  " << x.var("v") << "[r1_l] = 0;\n"
     << indent << "  if (r1_gr < " << w.index(x.matrixRows) << " && r1_gc < "
     << w.index(x.matrixCols) << ") {\n";
  (*x.load)(os, inner, "r1_gr", "r1_gc", (x.var("v") + "[r1_l]"));
  os << indent << "  }\n" << indent << "}\n";
}

/// Where a thread's element l of `x` goes in a stage: with the thread's
/// elements in one column, `rowsApart()` rows apart, the swizzle repeats
/// every `bases` elements, so a few offsets computed once (`r1_<x>dst`)
/// plus constants place them all.
int64_t PipelinedMmaGemm::storeBases(const StagedOperand &x) const {
  if (threads % x.cols != 0)
    return 0;
  int64_t apart = threads / x.cols, period = kChunk;
  if (apart % period == 0)
    return 1;
  return period % apart == 0 ? std::min(period / apart, x.perThread(threads)) : 0;
}

void PipelinedMmaGemm::printStoreOffsets(const StagedOperand &x) {
  int64_t bases = storeBases(x);
  if (!bases)
    return;
  os << "  int " << x.var("dst") << "[" << bases << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_l = 0; r1_l < " << bases << "; ++r1_l) {\n"
     << "    const int r1_e = threadIdx.x + " << threads << " * r1_l;\n"
     << "    const int r1_r = r1_e / " << x.cols << ", r1_c = r1_e % " << x.cols << ";\n"
     << "    " << x.var("dst") << "[r1_l] = r1_r * " << x.cols << " + (((r1_c / " << kChunk
     << ") ^ " << swizzle("r1_r", x.chunksPerRow()) << ") * " << kChunk << ") + r1_c % " << kChunk
     << ";\n"
     << "  }\n";
}

/// The registers printElementLoad (or printTapMajorLoad) filled, into stage
/// `stage`.
void PipelinedMmaGemm::printElementStore(const StagedOperand &x, StringRef stage,
                                         StringRef indent) {
  int64_t count = x.perThread(threads), bases = storeBases(x);
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_l = 0; r1_l < " << count << "; ++r1_l) {\n";
  if (bases) {
    int64_t stride = bases * (threads / x.cols) * x.cols;
    os << indent << "  " << x.tile() << "[" << stageOffset(x, stage) << " + " << x.var("dst")
       << "[r1_l % " << bases << "] + r1_l / " << bases << " * " << stride << "] = " << x.var("v")
       << "[r1_l];\n";
  } else {
    os << indent << "  const int r1_e = threadIdx.x + " << threads << " * r1_l;\n"
       << indent << "  const int r1_r = r1_e / " << x.cols << ", r1_c = r1_e % " << x.cols << ";\n"
       << indent << "  " << x.tile() << "[" << stageOffset(x, stage) << " + r1_r * " << x.cols
       << " + (((r1_c / " << kChunk << ") ^ " << swizzle("r1_r", x.chunksPerRow()) << ") * "
       << kChunk << ") + r1_c % " << kChunk << "] = " << x.var("v") << "[r1_l];\n";
  }
  os << indent << "}\n";
}

/// Step `step` of `x` into stage `stage` at once (the pipeline's prologue).
void PipelinedMmaGemm::printFill(const StagedOperand &x, StringRef step, StringRef stage,
                                 StringRef indent) {
  if (x.vector)
    return printVectorIssue(x, step, stage, indent);
  printElementLoad(x, step, indent);
  printElementStore(x, stage, indent);
}

/// A convolution with K as (tap, channel): a thread's A elements share a
/// channel (column) and its B elements an output column, so the weights'
/// rows and the column's window origin are set up once, and each step's
/// tap (every element of a step lies in one) once a step.
void PipelinedMmaGemm::printTapMajorSetup() {
  const GemmProblem::TapMajor &conv = *p.tapMajor;
  int64_t countA = a.perThread(threads), countB = b.perThread(threads);
  os << "  // K runs (tap, channel): " << conv.taps << " taps of " << conv.channels
     << " channels, each step within one tap.\n"
     << "  const int r1_ar = threadIdx.x / " << bk << ", r1_ac = threadIdx.x % " << bk << ";\n"
     << "  const int r1_br = threadIdx.x / " << bn << ", r1_bc = threadIdx.x % " << bn
     << ";\n"
     // 32-bit registers: a 16-bit array would be packed in pairs, and
     // unpacked again for every store.
     << "  unsigned r1_av[" << countA << "], r1_bv[" << countB << "];\n"
     << "  bool r1_ain[" << countA << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_l = 0; r1_l < " << countA << "; ++r1_l)\n"
     << "    r1_ain[r1_l] = "
     << (p.m % bm == 0
             ? "true"
             : "r1_row0 + r1_ar + " + std::to_string(threads / bk) + " * r1_l < " + w.index(p.m))
     << ";\n"
     << "  const bool r1_bin = " << (p.n % bn == 0 ? "true" : "r1_col0 + r1_bc < " + w.index(p.n))
     << ";\n";
  conv.column(os, "  ", "r1_col0 + r1_bc");
}

/// Registers r1_av and r1_bv for K step `step` (0 outside the matrices).
void PipelinedMmaGemm::printTapMajorLoad(StringRef step, StringRef indent) {
  const GemmProblem::TapMajor &conv = *p.tapMajor;
  int64_t countA = a.perThread(threads), countB = b.perThread(threads);
  std::string inner = (indent + "  ").str();
  os << indent << "{\n"
     << inner << "const int r1_k0 = (" << step << ") * " << bk << ";\n"
     << inner << "const int r1_tap = r1_k0 / " << conv.channels << ", r1_ch = r1_k0 % "
     << conv.channels << ";\n"
     << inner << "const " << storage
     << " *const r1_wp = " << conv.weight("r1_row0 + r1_ar", "r1_ch + r1_ac", "r1_tap") << ";\n"
     << inner << "#pragma unroll\n"
     << inner << "for (int r1_l = 0; r1_l < " << countA << "; ++r1_l)\n"
     << inner << "  r1_av[r1_l] = r1_ain[r1_l] ? r1_wp[r1_l * " << threads / bk * p.k
     << "] : 0u;\n";
  conv.tap(os, inner, "r1_tap");
  os << inner << "const " << storage << " *const r1_ip = " << conv.input("r1_ch + r1_br") << ";\n"
     << inner << "const bool r1_bok = r1_bin && r1_cv_ok;\n"
     << inner << "#pragma unroll\n"
     << inner << "for (int r1_l = 0; r1_l < " << countB << "; ++r1_l)\n"
     << inner << "  r1_bv[r1_l] = r1_bok ? r1_ip[r1_l * " << threads / bn * conv.channelStride
     << "] : 0u;\n"
     << indent << "}\n";
}

/// Where (in bytes) each lane's ldmatrix rows start in a stage: for A per 16-wide K
/// piece (the 16-row pieces of the warp tile add whole rows), for B per
/// pair of 8-wide N pieces (the K pieces add whole rows). Lane l names row
/// l % 16 of the piece, at its chunk l / 16.
void PipelinedMmaGemm::printFragmentOffsets() {
  int64_t pieces = bk / 16, pairs = warpN / 16;
  os << "  int r1_afrag[" << pieces << "], r1_bfrag[" << pairs << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_kk = 0; r1_kk < " << pieces << "; ++r1_kk) {\n"
     << "    const int r1_r = r1_wr + r1_lane % 16, r1_c = 2 * r1_kk + r1_lane / 16;\n"
     << "    r1_afrag[r1_kk] = 2 * (r1_r * " << bk << " + ((r1_c ^ " << swizzle("r1_r", bk / kChunk)
     << ") * " << kChunk << "));\n"
     << "  }\n"
     << "  #pragma unroll\n"
     << "  for (int r1_x = 0; r1_x < " << pairs << "; ++r1_x) {\n"
     << "    const int r1_r = r1_lane % 16, r1_c = (r1_wc + 16 * r1_x) / " << kChunk
     << " + r1_lane / 16;\n"
     << "    r1_bfrag[r1_x] = 2 * (r1_r * " << bn << " + ((r1_c ^ " << swizzle("r1_r", bn / kChunk)
     << ") * " << kChunk << "));\n"
     << "  }\n";
}

/// The products of stage r1_read.
void PipelinedMmaGemm::printProducts(StringRef indent) {
  if (wgmma)
    return printWarpgroupProducts(indent);
  int64_t tilesM = warpM / 16, tilesN = warpN / 8;
  os << indent << "const r1_shared_ptr r1_sa = r1_ashared + r1_read * " << 2 * bm * bk << ";\n"
     << indent << "const r1_shared_ptr r1_sb = r1_bshared + r1_read * " << 2 * bk * bn << ";\n"
     << indent << "#pragma unroll\n"
     << indent << "for (int r1_kk = 0; r1_kk < " << bk / 16 << "; ++r1_kk) {\n"
     << indent << "  unsigned r1_fa[" << tilesM << "][4], r1_fb[" << tilesN / 2 << "][4];\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << indent << "    r1_ldmatrix_x4(r1_fa[r1_y], r1_sa + r1_afrag[r1_kk] + r1_y * " << 2 * 16 * bk
     << ");\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_x = 0; r1_x < " << tilesN / 2 << "; ++r1_x)\n"
     << indent << "    r1_ldmatrix_x4_trans(r1_fb[r1_x], r1_sb + r1_bfrag[r1_x] + r1_kk * "
     << 2 * 16 * bn << ");\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << indent << "    #pragma unroll\n"
     << indent << "    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
     << indent << "      " << mi.fragmentFunction
     << "(r1_acc[r1_y][r1_x], r1_fa[r1_y], &r1_fb[r1_x / 2][2 * (r1_x % 2)]);\n"
     << indent << "}\n";
}

/// wgmma on stage r1_read: A's rows of this warpgroup and all of B, each
/// 16-wide K piece 32 bytes further along A's 128-byte rows and 16 rows
/// (2048 bytes) down B's panels. A is K-major (128-byte swizzle, 8-row
/// groups 1024 bytes apart); B MN-major (panels bk x 128 bytes apart,
/// 8-row groups 1024 bytes apart). The group is waited for before the
/// stage can be refilled.
void PipelinedMmaGemm::printWarpgroupProducts(StringRef indent) {
  std::string function =
      p.element.isBF16() ? "r1_wgmma_m64n128k16_bf16" : "r1_wgmma_m64n128k16_f16";
  int64_t panelBytes = bk * kWgmmaPanelChunks * 16;
  os << indent << "const r1_shared_ptr r1_sa = r1_ashared + r1_read * " << 2 * bm * bk
     << " + r1_group * " << 64 * bk * 2 << ";\n"
     << indent << "const r1_shared_ptr r1_sb = r1_bshared + r1_read * " << 2 * bk * bn << ";\n"
     << indent << "r1_wgmma_fence();\n"
     << indent << "#pragma unroll\n"
     << indent << "for (int r1_kk = 0; r1_kk < " << bk / 16 << "; ++r1_kk)\n"
     << indent << "  " << function << "(r1_acc, r1_wgmma_desc(r1_sa + 32 * r1_kk, 16, "
     << kSwizzleRepeat << ", 1), r1_wgmma_desc(r1_sb + " << 16 * kWgmmaPanelChunks * 16
     << " * r1_kk, " << panelBytes << ", " << kSwizzleRepeat << ", 1));\n"
     << indent << "r1_wgmma_commit();\n"
     << indent << "r1_wgmma_wait<0>();\n"
     << indent << "r1_wgmma_hold(r1_acc);\n";
}

/// A warpgroup's accumulators lie per warp (16 rows each) and per 8
/// columns as mma.sync m16n8's: accumulator 4 j + 2 h + e is row
/// 16 (warp % 4) + g + 8 h, column 8 j + 2 t + e.
LogicalResult PipelinedMmaGemm::printWarpgroupEpilogue() {
  bool checked = p.m % bm != 0 || p.n % bn != 0;
  os << "  #pragma unroll\n  for (int r1_j = 0; r1_j < " << kWgmmaAccumulators / 4 << "; ++r1_j)\n"
     << "    #pragma unroll\n    for (int r1_h = 0; r1_h < 2; ++r1_h) {\n"
     << "      const r1_i r1_row = r1_row0 + 64 * r1_group + 16 * (r1_warp % 4) + (r1_lane >> 2) + "
        "8 * r1_h;\n"
     << "      const r1_i r1_col = r1_col0 + 8 * r1_j + 2 * (r1_lane & 3);\n";
  std::string indent = "      ";
  if (checked) {
    os << "      if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
    indent = "        ";
  }
  std::string first = "r1_acc[4 * r1_j + 2 * r1_h]", second = "r1_acc[4 * r1_j + 2 * r1_h + 1]";
  if (p.storePair) {
    if (failed(p.storePair(indent, "r1_row", "r1_col", first, second)))
      return failure();
  } else if (failed(p.store(indent, "r1_row", "r1_col", first)) ||
             failed(p.store(indent, "r1_row", "r1_col + 1", second))) {
    // N is a multiple of 8 (fits), so the neighbour of a column inside C is too.
    return failure();
  }
  if (checked)
    os << "      }\n";
  os << "    }\n";
  return success();
}

/// Accumulator e of piece (y, x) is row g + 8 (e / 2), column 2 t + e % 2
/// of the piece, with g = lane / 4 and t = lane % 4.
LogicalResult PipelinedMmaGemm::printEpilogue() {
  if (wgmma)
    return printWarpgroupEpilogue();
  int64_t tilesM = warpM / 16, tilesN = warpN / 8;
  bool checked = p.m % bm != 0 || p.n % bn != 0;
  if (split == 1 && p.storePair) {
    // Accumulators 2h and 2h + 1 are neighbours in a row (columns 2t and
    // 2t + 1): one store of both. The column is even, and so is N, so
    // both are inside C when the first is.
    os << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
       << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
       << "      #pragma unroll\n      for (int r1_h = 0; r1_h < 2; ++r1_h) {\n"
       << "        const r1_i r1_row = r1_row0 + r1_wr + 16 * r1_y + (r1_lane >> 2) + 8 * r1_h;\n"
       << "        const r1_i r1_col = r1_col0 + r1_wc + 8 * r1_x + 2 * (r1_lane & 3);\n";
    std::string indent = "        ";
    if (checked) {
      os << "        if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
      indent = "          ";
    }
    if (failed(p.storePair(indent, "r1_row", "r1_col", "r1_acc[r1_y][r1_x][2 * r1_h]",
                           "r1_acc[r1_y][r1_x][2 * r1_h + 1]")))
      return failure();
    if (checked)
      os << "        }\n";
    os << "      }\n";
    return success();
  }
  os << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
     << "      #pragma unroll\n      for (int r1_e = 0; r1_e < 4; ++r1_e) {\n"
     << "        const r1_i r1_row = r1_row0 + r1_wr + 16 * r1_y + (r1_lane >> 2) + 8 * (r1_e >> "
        "1);\n"
     << "        const r1_i r1_col = r1_col0 + r1_wc + 8 * r1_x + 2 * (r1_lane & 3) + (r1_e & "
        "1);\n";
  std::string indent = "        ";
  if (checked) {
    os << "        if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
    indent = "          ";
  }
  if (split > 1) {
    // The slice's partial product, for printSliceSum.
    os << indent << "((float *)r1_scratch)[((r1_i)(r1_slice * " << p.batch << " + r1_b) * "
       << w.index(p.m) << " + r1_row) * " << w.index(p.n)
       << " + r1_col] = r1_acc[r1_y][r1_x][r1_e];\n";
  } else if (failed(p.store(indent, "r1_row", "r1_col", "r1_acc[r1_y][r1_x][r1_e]"))) {
    return failure();
  }
  if (checked)
    os << "        }\n";
  os << "      }\n";
  return success();
}

LogicalResult PipelinedMmaGemm::print() {
  int64_t tilesM = warpM / 16, tilesN = warpN / 8, warpsN = bn / warpN;
  // 16-byte chunks need rows that start 16-byte aligned: K (A's row
  // length) and N (B's) multiples of 8.
  a = {"a",      bm,         bk, p.m, p.k, "r1_row0", "0", false, p.addressA && p.k % kChunk == 0,
       &p.loadA, &p.addressA};
  b = {"b",      bk,         bn, p.k, p.n, "0", "r1_col0", true, p.addressB && p.n % kChunk == 0,
       &p.loadB, &p.addressB};
  tapMajor = p.tapMajor && p.tapMajor->channels % bk == 0 && threads % bk == 0 && threads % bn == 0;
  if (tapMajor)
    a.vector = b.vector = false;
  int64_t sharedBytes = stages * (bm * bk + bk * bn) * 2;
  if (wgmma) {
    // wgmma reads B (MN-major) in panels of 64 columns, rows of 128 bytes;
    // the 128-byte swizzle repeats every 1024 bytes, where each stage
    // starts.
    b.panelChunks = kWgmmaPanelChunks;
    sharedBytes += kSwizzleRepeat;
  }
  os << "  // " << (wgmma ? "wgmma.mma_async m64n128k16" : mi.instruction) << ": " << bm << " x "
     << bn << " outputs per block, " << warpM << " x " << warpN
     << (wgmma ? " per warpgroup" : " per warp") << ", k in steps of " << bk << " through "
     << stages << " stages of swizzled shared memory; A "
     << (a.vector ? "by cp.async" : "element by element") << ", B "
     << (b.vector ? "by cp.async" : "element by element") << ".\n"
     << "  R1_DYNAMIC_SHARED(r1_smem);\n"
     << "  " << storage << " *const r1_as = reinterpret_cast<" << storage << " *>(r1_smem);\n"
     << "  " << storage << " *const r1_bs = r1_as + " << stages * bm * bk << ";\n";
  if (wgmma)
    os << "  const r1_shared_ptr r1_ashared = r1_shared_align(r1_shared_address(r1_smem), "
       << kSwizzleRepeat << ");\n"
       << "  const r1_shared_ptr r1_bshared = r1_ashared + " << 2 * stages * bm * bk << ";\n";
  else
    os << "  const r1_shared_ptr r1_ashared = r1_shared_address(r1_as);\n"
       << "  const r1_shared_ptr r1_bshared = r1_shared_address(r1_bs);\n";
  os << "  const int r1_lane = threadIdx.x % 32, r1_warp = threadIdx.x / 32;\n"
     << "  const int r1_wr = (r1_warp / " << warpsN << ") * " << warpM << ", r1_wc = (r1_warp % "
     << warpsN << ") * " << warpN << ";\n"
     << "  const r1_i r1_row0 = (r1_i)blockIdx.y * " << bm << ", r1_col0 = (r1_i)blockIdx.x * "
     << bn << ";\n";
  if (split > 1)
    os << "  // K in " << split << " slices of " << stepsPerSlice()
       << " steps; grid z walks (batch, slice).\n"
       << "  const r1_i r1_b = blockIdx.z / " << split << ";\n"
       << "  const int r1_slice = blockIdx.z % " << split << ";\n"
       << "  const int r1_kbegin = r1_slice * " << stepsPerSlice() << ";\n"
       << "  const int r1_ksteps = " << steps() << " - r1_kbegin < " << stepsPerSlice() << " ? "
       << steps() << " - r1_kbegin : " << stepsPerSlice() << ";\n";
  else
    os << "  const r1_i r1_b = blockIdx.z;\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  if (tapMajor)
    printTapMajorSetup();
  else
    for (StagedOperand *x : {&a, &b}) {
      if (x->vector)
        printVectorSetup(*x);
      else
        os << "  unsigned " << x->var("v") << "[" << x->perThread(threads) << "];\n";
    }
  for (StagedOperand *x : {&a, &b}) {
    if (!x->vector)
      printStoreOffsets(*x);
    else if (split > 1)
      os << "  " << x->var("src") << " += r1_kbegin * " << x->var("step") << ";\n";
  }
  if (wgmma) {
    os << "  const int r1_group = threadIdx.x / 128;\n"
       << "  float r1_acc[" << kWgmmaAccumulators << "];\n"
       << "  #pragma unroll\n  for (int r1_e = 0; r1_e < " << kWgmmaAccumulators << "; ++r1_e)\n"
       << "    r1_acc[r1_e] = 0.0f;\n";
  } else {
    printFragmentOffsets();
    os << "  float r1_acc[" << tilesM << "][" << tilesN << "][4];\n"
       << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
       << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
       << "      #pragma unroll\n      for (int r1_e = 0; r1_e < 4; ++r1_e)\n"
       << "        r1_acc[r1_y][r1_x][r1_e] = 0.0f;\n";
  }

  // Prologue: steps 0 .. stages - 2, one commit group each (empty past K).
  os << "  #pragma unroll\n"
     << "  for (int r1_s = 0; r1_s < " << stages - 1 << "; ++r1_s) {\n"
     << "    if (r1_s < " << blockSteps() << ") {\n";
  if (tapMajor) {
    printTapMajorLoad(absoluteStep("r1_s"), "      ");
    printElementStore(a, "r1_s", "      ");
    printElementStore(b, "r1_s", "      ");
  } else {
    printFill(a, absoluteStep("r1_s"), "r1_s", "      ");
    printFill(b, absoluteStep("r1_s"), "r1_s", "      ");
  }
  os << "    }\n"
     << "    r1_cp_async_commit();\n"
     << "  }\n";

  // Step t: wait for its group, then put step t + stages - 1 in flight
  // into the stage step t - 1 used (every warp is past it at the barrier),
  // and compute. The loop is unrolled by the stage count, so every stage's
  // place is a constant.
  os << "  for (int r1_kt0 = 0; r1_kt0 < " << blockSteps() << "; r1_kt0 += " << stages << ") {\n"
     << "  #pragma unroll\n"
     << "  for (int r1_u = 0; r1_u < " << stages << "; ++r1_u) {\n"
     << "    const int r1_kt = r1_kt0 + r1_u;\n"
     << "    if (r1_kt >= " << blockSteps() << ")\n"
     << "      break;\n"
     << "    const int r1_read = r1_u, r1_write = (r1_u + " << stages - 1 << ") % " << stages
     << ";\n"
     << "    r1_cp_async_wait<" << stages - 2 << ">();\n"
     << (wgmma ? "    r1_fence_async_shared();\n" : "") << "    __syncthreads();\n"
     << "    const int r1_next = r1_kt + " << stages - 1 << ";\n"
     << "    if (r1_next < " << blockSteps() << ") {\n";
  if (tapMajor)
    printTapMajorLoad(absoluteStep("r1_next"), "      ");
  else
    for (StagedOperand *x : {&a, &b}) {
      if (x->vector)
        printVectorIssue(*x, absoluteStep("r1_next"), "r1_write", "      ");
      else
        printElementLoad(*x, absoluteStep("r1_next"), "      ");
    }
  os << "    }\n"
     << "    r1_cp_async_commit();\n";
  printProducts("    ");
  if (!a.vector || !b.vector) {
    os << "    if (r1_next < " << blockSteps() << ") {\n";
    for (StagedOperand *x : {&a, &b})
      if (!x->vector)
        printElementStore(*x, "r1_write", "      ");
    os << "    }\n";
  }
  os << "  }\n"
     << "  }\n";
  if (failed(printEpilogue()))
    return failure();
  w.launch.grid = {KernelWriter::blocksFor(p.n, bn), KernelWriter::blocksFor(p.m, bm),
                   p.batch * split};
  w.launch.block = {threads, 1, 1};
  w.launch.sharedBytes = sharedBytes;
  if (split == 1)
    return success();
  w.launch.scratch = true;
  w.endLaunch("slices");
  return printSliceSum();
}

/// The second launch of a product split along K: a thread per output sums
/// the slices' partials in slice order, then applies the fused body.
LogicalResult PipelinedMmaGemm::printSliceSum() {
  constexpr int64_t kSumThreads = 256;
  os << "  // Sums the " << split << " K slices' partial products, then the fused body.\n"
     << "  const r1_i r1_o = (r1_i)blockIdx.x * " << kSumThreads << " + threadIdx.x;\n"
     << "  if (r1_o >= " << w.index(p.m * p.n) << ")\n"
     << "    return;\n"
     << "  const r1_i r1_b = blockIdx.z;\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  os << "  const r1_i r1_row = r1_o / " << w.index(p.n) << ", r1_col = r1_o % " << w.index(p.n)
     << ";\n"
     << "  float r1_sum = 0.0f;\n"
     << "  #pragma unroll\n"
     << "  for (int r1_s = 0; r1_s < " << split << "; ++r1_s)\n"
     << "    r1_sum += ((const float *)r1_scratch)[((r1_i)(r1_s * " << p.batch << ") + r1_b) * "
     << w.index(p.m * p.n) << " + r1_o];\n";
  if (failed(p.store("  ", "r1_row", "r1_col", "r1_sum")))
    return failure();
  w.launch.grid = {KernelWriter::blocksFor(p.m * p.n, kSumThreads), 1, p.batch};
  w.launch.block = {kSumThreads, 1, 1};
  w.launch.scratch = true;
  return success();
}

} // namespace

LogicalResult printPipelinedMmaGemm(KernelWriter &w, const GemmProblem &p,
                                    const MatrixInstruction &mi, r1k::GpuGemmAttr variant,
                                    Operation *at) {
  PipelinedMmaGemm gemm(w, p, mi, variant);
  StringRef needs;
  if (!gemm.fits(needs))
    return unprintableGemm(at, variant, needs);
  return gemm.print();
}

} // namespace r1c::gpu
