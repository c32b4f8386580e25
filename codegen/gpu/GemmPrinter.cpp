//===- GemmPrinter.cpp - Tiled matrix products for matmul and convolution --===//
//
// Three templates over one GemmProblem, printed as the kernel's
// #r1k.gpu_gemm for the target says (r1c-select-variants chooses it;
// passes/GpuGemmSelection.cpp has the rules); block z is the batch (or
// group).
//
// FFMA (`ffma`: f32, f64, and half precision where the target has no
// matrix instruction): 256 threads as 16 x 16, a block tile of (16 TM) x
// (16 TN) outputs, k in steps of 16. Each step stages A (k-major, one
// column of padding against bank conflicts) and B in shared memory with
// zero fill outside the matrices, then each thread accumulates its TM x
// TN outputs in registers with fused multiply-adds. Thread (tx, ty) owns
// rows ty + 16 i and columns tx + 16 j, so the final stores are coalesced.
// `ffma_wide` is its 128 x 128 form (printWideFfmaGemm).
//
// `mma` with two or more stages (f16, bf16 on sm_80 to sm_90) is the
// pipelined template of MmaGemmPrinter.cpp; AMD matrix cores (`mfma`) have
// their own template, MfmaGemmPrinter.cpp.
//
// `mma` with one stage (f32 as TF32 when allowed): warps over the block
// tile, a warp tile each, k in steps of the
// variant's block_k (64 x 64, 32 x 32 and 32 today). A and B are staged as
// stored (16-bit patterns; f32 values rounded to TF32 on the way) in
// row-major shared tiles padded by 8 elements: element by element with
// bounds checks, or, for an operand whose tiles divide its matrix and whose
// rows lie one after another, 16 bytes a thread without checks. Each warp
// calls the
// target's r1_mma_* function per instruction tile; the fp32 accumulators
// are read back through r1_mma_row and r1_mma_col.
//
// All apply the fused body to each accumulator on its way to memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemmTemplates.h"

using namespace mlir;

namespace r1c::gpu {
namespace {

/// gridDim.y and gridDim.z are limited to 65535 on both vendors.
constexpr int64_t kMaxGridYZ = 65535;

/// Staging loop: `elements` of a tile, `threads` at a time; element e is
/// (e / width, e % width) of the tile, read at (firstRow + r, firstCol + c).
void printStage(
    KernelWriter &w, int64_t elements, int64_t threads, int64_t width, StringRef firstRow,
    StringRef firstCol, int64_t rows, int64_t cols, StringRef storage, StringRef zero,
    const std::function<void(raw_ostream &, StringRef, StringRef, StringRef, StringRef)> &load,
    const std::function<std::string(StringRef)> &convert,
    const std::function<std::string(StringRef, StringRef)> &slot) {
  raw_ostream &os = w.os;
  os << "    #pragma unroll\n"
     << "    for (int r1_l = 0; r1_l < " << elements / threads << "; ++r1_l) {\n"
     << "      const int r1_e = threadIdx.x + " << threads << " * r1_l;\n"
     << "      const int r1_r = r1_e / " << width << ", r1_c = r1_e % " << width << ";\n"
     << "      const r1_i r1_gr = " << firstRow << " + r1_r, r1_gc = " << firstCol << " + r1_c;\n"
     << "      " << storage << " r1_s = " << zero << ";\n"
     << "      if (r1_gr < " << w.index(rows) << " && r1_gc < " << w.index(cols) << ") {\n";
  load(os, "        ", "r1_gr", "r1_gc", "r1_s");
  os << "      }\n"
     << "      " << slot("r1_r", "r1_c") << " = " << convert("r1_s") << ";\n"
     << "    }\n";
}

/// Staging of a tile whose elements all lie inside the matrices, 16 bytes
/// (`lanes` elements) at a time: vector v of the tile is (8v / width,
/// 8v % width), moved from `address` of (firstRow + r, firstCol + c) to the
/// shared slot as is.
void printVectorStage(KernelWriter &w, int64_t elements, int64_t threads, int64_t width,
                      int64_t lanes, StringRef firstRow, StringRef firstCol, StringRef vector,
                      const std::function<std::string(StringRef, StringRef)> &address,
                      const std::function<std::string(StringRef, StringRef)> &slot) {
  raw_ostream &os = w.os;
  os << "    #pragma unroll\n"
     << "    for (int r1_l = 0; r1_l < " << elements / lanes / threads << "; ++r1_l) {\n"
     << "      const int r1_e = " << lanes << " * (threadIdx.x + " << threads << " * r1_l);\n"
     << "      const int r1_r = r1_e / " << width << ", r1_c = r1_e % " << width << ";\n"
     << "      const r1_i r1_gr = " << firstRow << " + r1_r, r1_gc = " << firstCol << " + r1_c;\n"
     << "      *reinterpret_cast<" << vector << " *>(&" << slot("r1_r", "r1_c")
     << ") = *reinterpret_cast<const " << vector << " *>(" << address("r1_gr", "r1_gc") << ");\n"
     << "    }\n";
}

LogicalResult printFfmaGemm(KernelWriter &w, const GemmProblem &p, r1k::GpuGemmAttr variant,
                            Operation *at) {
  int64_t tm = variant.getThreadM(), tn = variant.getThreadN();
  int64_t bm = variant.getBlockM(), bn = variant.getBlockN();
  if (variant.getThreads() != 256 || bm != 16 * tm || bn != 16 * tn || variant.getBlockK() != 16 ||
      variant.getStages() != 1)
    return unprintableGemm(at, variant, "16 x 16 threads, k steps of 16, one stage");
  Type element = p.element;
  std::string type = KernelWriter::computeType(element);
  std::string storage = KernelWriter::storageType(element);
  raw_ostream &os = w.os;
  os << "  // FFMA tiles: " << bm << " x " << bn << " outputs per block, k in steps of 16.\n"
     << "  __shared__ " << type << " r1_as[16][" << bm + 1 << "];\n"
     << "  __shared__ " << type << " r1_bs[16][" << bn << "];\n"
     << "  const int r1_tx = threadIdx.x % 16, r1_ty = threadIdx.x / 16;\n"
     << "  const r1_i r1_b = blockIdx.z;\n"
     << "  const r1_i r1_row0 = (r1_i)blockIdx.y * " << bm << ", r1_col0 = (r1_i)blockIdx.x * "
     << bn << ";\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  std::string zero =
      KernelWriter::literal(element.isF64() ? element : Float32Type::get(element.getContext()), 0);
  os << "  " << type << " r1_acc[" << tm << "][" << tn << "];\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tm << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tn << "; ++r1_x)\n"
     << "      r1_acc[r1_y][r1_x] = " << zero << ";\n"
     << "  for (r1_i r1_k0 = 0; r1_k0 < " << w.index(p.k) << "; r1_k0 += 16) {\n";
  auto convert = [&](StringRef raw) { return KernelWriter::fromStorage(element, raw); };
  std::string storageZero = KernelWriter::toStorage(element, zero);
  printStage(w, bm * 16, 256, 16, "r1_row0", "r1_k0", p.m, p.k, storage, storageZero, p.loadA,
             convert,
             [](StringRef r, StringRef c) { return ("r1_as[" + c + "][" + r + "]").str(); });
  printStage(w, 16 * bn, 256, bn, "r1_k0", "r1_col0", p.k, p.n, storage, storageZero, p.loadB,
             convert,
             [](StringRef r, StringRef c) { return ("r1_bs[" + r + "][" + c + "]").str(); });
  std::string fma =
      KernelWriter::math(element.isF64() ? element : Float32Type::get(element.getContext()), "fma");
  os << "    __syncthreads();\n"
     << "    #pragma unroll\n"
     << "    for (int r1_kk = 0; r1_kk < 16; ++r1_kk) {\n"
     << "      " << type << " r1_a[" << tm << "], r1_bv[" << tn << "];\n"
     << "      #pragma unroll\n      for (int r1_y = 0; r1_y < " << tm
     << "; ++r1_y) r1_a[r1_y] = r1_as[r1_kk][r1_ty + 16 * r1_y];\n"
     << "      #pragma unroll\n      for (int r1_x = 0; r1_x < " << tn
     << "; ++r1_x) r1_bv[r1_x] = r1_bs[r1_kk][r1_tx + 16 * r1_x];\n"
     << "      #pragma unroll\n      for (int r1_y = 0; r1_y < " << tm << "; ++r1_y)\n"
     << "        #pragma unroll\n        for (int r1_x = 0; r1_x < " << tn << "; ++r1_x)\n"
     << "          r1_acc[r1_y][r1_x] = " << fma
     << "(r1_a[r1_y], r1_bv[r1_x], r1_acc[r1_y][r1_x]);\n"
     << "    }\n"
     << "    __syncthreads();\n"
     << "  }\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tm << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tn << "; ++r1_x) {\n"
     << "      const r1_i r1_row = r1_row0 + r1_ty + 16 * r1_y, r1_col = r1_col0 + r1_tx + 16 * "
        "r1_x;\n"
     << "      if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
  if (failed(p.store("        ", "r1_row", "r1_col", "r1_acc[r1_y][r1_x]")))
    return failure();
  os << "      }\n    }\n";
  w.launch.grid = {KernelWriter::blocksFor(p.n, bn), KernelWriter::blocksFor(p.m, bm), p.batch};
  w.launch.block = {256, 1, 1};
  return success();
}

/// The large-tile FFMA template: 128 x 128 outputs per block of 256
/// threads, 8 x 8 per thread, k in steps of 8. Thread (tx, ty) owns rows
/// 4 ty + i and 64 + 4 ty + i, columns 4 tx + j and 64 + 4 tx + j, so each
/// step reads its A and B values as four 16-byte shared-memory loads. A is
/// staged k-major with rows padded to 132 floats, which keeps both the
/// staging stores and the 16-byte loads free of bank conflicts.
LogicalResult printWideFfmaGemm(KernelWriter &w, const GemmProblem &p, r1k::GpuGemmAttr variant,
                                Operation *at) {
  if (variant.getThreads() != 256 || variant.getBlockM() != 128 || variant.getBlockN() != 128 ||
      variant.getBlockK() != 8 || variant.getThreadM() != 8 || variant.getThreadN() != 8 ||
      variant.getStages() != 1)
    return unprintableGemm(at, variant, "128 x 128 tiles of 8 x 8 per thread, k steps of 8");
  Type element = p.element;
  raw_ostream &os = w.os;
  os << "  // FFMA tiles: 128 x 128 outputs per block, 8 x 8 per thread, k in steps of 8.\n"
     // Declared as 16-byte vectors, which aligns them for the vector loads.
     << "  __shared__ r1_f32x4 r1_as4[8 * 33];\n"
     << "  __shared__ r1_f32x4 r1_bs4[8 * 32];\n"
     << "  float (*r1_as)[132] = reinterpret_cast<float (*)[132]>(r1_as4);\n"
     << "  float (*r1_bs)[128] = reinterpret_cast<float (*)[128]>(r1_bs4);\n"
     << "  const int r1_tx = threadIdx.x % 16, r1_ty = threadIdx.x / 16;\n"
     << "  const r1_i r1_b = blockIdx.z;\n"
     << "  const r1_i r1_row0 = (r1_i)blockIdx.y * 128, r1_col0 = (r1_i)blockIdx.x * 128;\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  os << "  float r1_acc[8][8];\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < 8; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < 8; ++r1_x)\n"
     << "      r1_acc[r1_y][r1_x] = 0.0f;\n"
     << "  for (r1_i r1_k0 = 0; r1_k0 < " << w.index(p.k) << "; r1_k0 += 8) {\n";
  auto convert = [&](StringRef raw) { return KernelWriter::fromStorage(element, raw); };
  std::string zero = KernelWriter::toStorage(element, "0.0f");
  std::string storage = KernelWriter::storageType(element);
  printStage(w, 128 * 8, 256, 8, "r1_row0", "r1_k0", p.m, p.k, storage, zero, p.loadA, convert,
             [](StringRef r, StringRef c) { return ("r1_as[" + c + "][" + r + "]").str(); });
  printStage(w, 8 * 128, 256, 128, "r1_k0", "r1_col0", p.k, p.n, storage, zero, p.loadB, convert,
             [](StringRef r, StringRef c) { return ("r1_bs[" + r + "][" + c + "]").str(); });
  os << "    __syncthreads();\n"
     << "    #pragma unroll\n"
     << "    for (int r1_kk = 0; r1_kk < 8; ++r1_kk) {\n"
     << "      const r1_f32x4 r1_a0 = *reinterpret_cast<const r1_f32x4 *>(&r1_as[r1_kk][4 * "
        "r1_ty]);\n"
     << "      const r1_f32x4 r1_a1 = *reinterpret_cast<const r1_f32x4 *>(&r1_as[r1_kk][64 + 4 * "
        "r1_ty]);\n"
     << "      const r1_f32x4 r1_b0 = *reinterpret_cast<const r1_f32x4 *>(&r1_bs[r1_kk][4 * "
        "r1_tx]);\n"
     << "      const r1_f32x4 r1_b1 = *reinterpret_cast<const r1_f32x4 *>(&r1_bs[r1_kk][64 + 4 * "
        "r1_tx]);\n"
     << "      #pragma unroll\n      for (int r1_y = 0; r1_y < 8; ++r1_y)\n"
     << "        #pragma unroll\n        for (int r1_x = 0; r1_x < 8; ++r1_x)\n"
     << "          r1_acc[r1_y][r1_x] = fmaf(r1_y < 4 ? r1_a0.v[r1_y] : r1_a1.v[r1_y - 4], "
        "r1_x < 4 ? r1_b0.v[r1_x] : r1_b1.v[r1_x - 4], r1_acc[r1_y][r1_x]);\n"
     << "    }\n"
     << "    __syncthreads();\n"
     << "  }\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < 8; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < 8; ++r1_x) {\n"
     << "      const r1_i r1_row = r1_row0 + (r1_y < 4 ? 4 * r1_ty + r1_y : 60 + 4 * r1_ty + "
        "r1_y);\n"
     << "      const r1_i r1_col = r1_col0 + (r1_x < 4 ? 4 * r1_tx + r1_x : 60 + 4 * r1_tx + "
        "r1_x);\n"
     << "      if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
  if (failed(p.store("        ", "r1_row", "r1_col", "r1_acc[r1_y][r1_x]")))
    return failure();
  os << "      }\n    }\n";
  w.launch.grid = {KernelWriter::blocksFor(p.n, 128), KernelWriter::blocksFor(p.m, 128), p.batch};
  w.launch.block = {256, 1, 1};
  return success();
}

LogicalResult printMatrixGemm(KernelWriter &w, const GemmProblem &p, const MatrixInstruction &mi,
                              r1k::GpuGemmAttr variant, Operation *at) {
  int64_t bm = variant.getBlockM(), bn = variant.getBlockN(), bk = variant.getBlockK();
  int64_t warpM = variant.getWarpM(), warpN = variant.getWarpN();
  int64_t lda = bk + 8, ldb = bn + 8, threads = variant.getThreads();
  // Warps are numbered along N first.
  int64_t warpsN = bn / warpN;
  if (threads != (bm / warpM) * warpsN * w.target.getWarpSize() || warpM % mi.m != 0 ||
      warpN % mi.n != 0 || bk % mi.k != 0 || (bm * bk) % threads != 0 || (bk * bn) % threads != 0 ||
      variant.getStages() != 1)
    return unprintableGemm(at, variant,
                           "a warp per warp tile, whole instruction tiles, one stage, and staging "
                           "loops that every thread runs as often");
  int64_t tilesM = warpM / mi.m, tilesN = warpN / mi.n;
  std::string storage = KernelWriter::storageType(p.element);
  // A tile of A (or B) lies inside its matrix when the tiles divide it:
  // its staging then moves 16 bytes a thread without bounds checks, from
  // rows that start 16-byte aligned, into shared rows that do too (lda and
  // ldb are multiples of the lanes). A and B decide apart: a convolution's
  // weights qualify where its gathered patches cannot.
  int64_t lanes = KernelWriter::lanesPer16Bytes(p.element);
  bool vectorElements = mi.stageConversion.empty() && p.element.getIntOrFloatBitWidth() == 16 &&
                        p.k % bk == 0 && bk % lanes == 0;
  bool vectorA = vectorElements && p.addressA && p.m % bm == 0 && p.k % lanes == 0 &&
                 (bm * bk / lanes) % threads == 0;
  bool vectorB = vectorElements && p.addressB && p.n % bn == 0 && p.n % lanes == 0 &&
                 bn % lanes == 0 && (bk * bn / lanes) % threads == 0;
  bool vectorStaging = vectorA || vectorB;
  std::string vector = KernelWriter::vectorType(p.element, lanes);
  raw_ostream &os = w.os;
  os << "  // Matrix instruction " << mi.instruction << ": " << bm << " x " << bn
     << " outputs per block, " << warpM << " x " << warpN << " per warp, k in steps of " << bk
     << (vectorA && vectorB ? ", tiles staged in 16-byte vectors"
         : vectorA          ? ", A's tiles staged in 16-byte vectors"
         : vectorB          ? ", B's tiles staged in 16-byte vectors"
                            : "")
     << ".\n";
  if (vectorStaging)
    os << "  __shared__ " << vector << " r1_asv[" << bm * lda / lanes << "];\n"
       << "  __shared__ " << vector << " r1_bsv[" << bk * ldb / lanes << "];\n"
       << "  " << storage << " *const r1_as = r1_asv[0].v;\n"
       << "  " << storage << " *const r1_bs = r1_bsv[0].v;\n";
  else
    os << "  __shared__ " << storage << " r1_as[" << bm * lda << "];\n"
       << "  __shared__ " << storage << " r1_bs[" << bk * ldb << "];\n";
  os << "  const int r1_lane = threadIdx.x % R1_WARP, r1_warp = threadIdx.x / R1_WARP;\n"
     << "  const int r1_wr = (r1_warp / " << warpsN << ") * " << warpM << ", r1_wc = (r1_warp % "
     << warpsN << ") * " << warpN << ";\n"
     << "  const r1_i r1_b = blockIdx.z;\n"
     << "  const r1_i r1_row0 = (r1_i)blockIdx.y * " << bm << ", r1_col0 = (r1_i)blockIdx.x * "
     << bn << ";\n";
  if (p.printSetup)
    p.printSetup(os, "  ");
  os << "  r1_mma_acc r1_acc[" << tilesM << "][" << tilesN << "];\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
     << "      #pragma unroll\n      for (int r1_e = 0; r1_e < R1_MMA_ACC; ++r1_e)\n"
     << "        r1_acc[r1_y][r1_x].v[r1_e] = 0.0f;\n"
     << "  for (r1_i r1_k0 = 0; r1_k0 < " << w.index(p.k) << "; r1_k0 += " << bk << ") {\n";
  // Values go to shared memory as stored, or through the instruction's
  // conversion; zero is +0.0 in f16, bf16 and f32 alike.
  auto toStaged = [&](StringRef value) {
    return mi.stageConversion.empty() ? value.str() : mi.stageConversion + "(" + value.str() + ")";
  };
  auto slotA = [&](StringRef r, StringRef c) {
    return ("r1_as[" + r + " * " + Twine(lda) + " + " + c + "]").str();
  };
  auto slotB = [&](StringRef r, StringRef c) {
    return ("r1_bs[" + r + " * " + Twine(ldb) + " + " + c + "]").str();
  };
  if (vectorA)
    printVectorStage(w, bm * bk, threads, bk, lanes, "r1_row0", "r1_k0", vector, p.addressA, slotA);
  else
    printStage(w, bm * bk, threads, bk, "r1_row0", "r1_k0", p.m, p.k, storage, "0", p.loadA,
               toStaged, slotA);
  if (vectorB)
    printVectorStage(w, bk * bn, threads, bn, lanes, "r1_k0", "r1_col0", vector, p.addressB, slotB);
  else
    printStage(w, bk * bn, threads, bn, "r1_k0", "r1_col0", p.k, p.n, storage, "0", p.loadB,
               toStaged, slotB);
  os << "    __syncthreads();\n"
     << "    #pragma unroll\n"
     << "    for (int r1_kk = 0; r1_kk < " << bk << "; r1_kk += " << mi.k << ")\n"
     << "      #pragma unroll\n      for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << "        #pragma unroll\n        for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
     << "          " << mi.function << "(r1_acc[r1_y][r1_x], &r1_as[(r1_wr + " << mi.m
     << " * r1_y) * " << lda << " + r1_kk], " << lda << ", &r1_bs[r1_kk * " << ldb << " + r1_wc + "
     << mi.n << " * r1_x], " << ldb << ", r1_lane);\n"
     << "    __syncthreads();\n"
     << "  }\n"
     << "  #pragma unroll\n  for (int r1_y = 0; r1_y < " << tilesM << "; ++r1_y)\n"
     << "    #pragma unroll\n    for (int r1_x = 0; r1_x < " << tilesN << "; ++r1_x)\n"
     << "      #pragma unroll\n      for (int r1_e = 0; r1_e < R1_MMA_ACC; ++r1_e) {\n"
     << "        const r1_i r1_row = r1_row0 + r1_wr + " << mi.m
     << " * r1_y + r1_mma_row(r1_lane, r1_e);\n"
     << "        const r1_i r1_col = r1_col0 + r1_wc + " << mi.n
     << " * r1_x + r1_mma_col(r1_lane, r1_e);\n"
     << "        if (r1_row < " << w.index(p.m) << " && r1_col < " << w.index(p.n) << ") {\n";
  if (failed(p.store("          ", "r1_row", "r1_col", "r1_acc[r1_y][r1_x].v[r1_e]")))
    return failure();
  os << "        }\n      }\n";
  w.launch.grid = {KernelWriter::blocksFor(p.n, bn), KernelWriter::blocksFor(p.m, bm), p.batch};
  w.launch.block = {threads, 1, 1};
  return success();
}

} // namespace

LogicalResult unprintableGemm(Operation *at, r1k::GpuGemmAttr variant, StringRef needs) {
  return at->emitOpError("has GPU GEMM variant ")
         << variant << ", which the template cannot print (it needs " << needs << ")";
}

LogicalResult printGemm(KernelWriter &w, const GemmProblem &p) {
  Operation *at = w.anchor ? w.anchor : w.kernel.getOperation();
  int64_t rowBlocks = KernelWriter::blocksFor(p.m, 64);
  if (p.batch > kMaxGridYZ || rowBlocks > kMaxGridYZ)
    return at->emitOpError("is a matrix product of ")
           << p.batch << " batches of " << p.m << " rows; GPU code launches at most " << kMaxGridYZ
           << " blocks along those";
  if (!isa<FloatType>(p.element))
    return at->emitOpError("multiplies ")
           << p.element << " matrices; GPU code supports floats only";
  auto variant =
      r1k::getVariant<r1k::GpuGemmAttr>(w.kernel, w.target.getDescription().getVariantKey());
  if (!variant)
    return at->emitOpError("has no GPU GEMM variant for ")
           << w.target.getArch() << " in kernel '" << w.kernel.getName()
           << "' (r1c-select-variants writes one for every GPU target)";
  switch (variant.getInstruction()) {
  case r1k::GpuGemmInstruction::ffma:
    return printFfmaGemm(w, p, variant, at);
  case r1k::GpuGemmInstruction::ffma_wide:
    return printWideFfmaGemm(w, p, variant, at);
  case r1k::GpuGemmInstruction::mma:
  case r1k::GpuGemmInstruction::mfma:
    break;
  }
  std::optional<MatrixInstruction> mi = w.target.getMatrixInstruction(p.element);
  if (!mi)
    return at->emitOpError("has GPU GEMM variant ")
           << variant << ", but " << w.target.getArch() << " has no matrix instruction for "
           << p.element;
  if (variant.getInstruction() == r1k::GpuGemmInstruction::mma && variant.getStages() > 1)
    return printPipelinedMmaGemm(w, p, *mi, variant, at);
  if (variant.getInstruction() == r1k::GpuGemmInstruction::mfma)
    return printMfmaGemm(w, p, *mi, variant, at);
  return printMatrixGemm(w, p, *mi, variant, at);
}

} // namespace r1c::gpu
