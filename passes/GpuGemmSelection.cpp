//===- GpuGemmSelection.cpp - The tiles of GPU matmuls and convolutions ---===//
//
// The rules, in the order they are tried, for the templates of
// codegen/gpu/GemmPrinter.cpp, MmaGemmPrinter.cpp and MfmaGemmPrinter.cpp:
//   1. a matrix instruction wherever the target has one for the operands'
//      element type; the result's (theirs, or f32 from 16-bit operands)
//      only changes the store, as every template's accumulators are f32
//      already. mma.sync on f16 and bf16 takes the pipelined template: K in
//      steps of 32 through 4 stages, the largest block tile of 128 x 256
//      (8 warps of 64 x 64), 128 x 128 (8 warps of 64 x 32), 64 x 128 and
//      64 x 64 (4 warps) whose grid
//      gives every compute unit a block (else the smallest, which gives
//      the most), within the target's shared memory per block; K is split
//      in slices where even that grid fills less than half the units. On AMD
//      (mfma) 2 x 2 waves over a 128 x 128 tile, two shared buffers, with
//      64-wide sides for small products or where the large tiles would
//      leave most compute units idle. Otherwise (TF32): 2 x 2 warps of
//      32 x 32 outputs over a 64 x 64 tile, one stage;
//   2. for products of at least 128 x 128 (not f64), 128 x 128 FFMA tiles
//      when a grid of them still gives every compute unit a block;
//   3. otherwise FFMA tiles of 16 x 16 threads with 1, 2 or 4 outputs a
//      thread along each dim (as many sixteens as the dim fills), halved,
//      the larger side first, until the grid fills the compute units or
//      the tile is 16 x 16: at batch 1 a transformer's products have few
//      rows, and idle compute units cost more than the extra reads of
//      smaller tiles.
//
//===----------------------------------------------------------------------===//
#include "passes/GpuGemmSelection.h"
#include "passes/HostGemmCostModel.h"

#include "dialects/R1/IR/R1Ops.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using r1k::GpuGemmAttr;
using r1k::GpuGemmInstruction;
using r1k::GpuGemmShape;

namespace r1c {
namespace {

/// The matrix template: a warp tile per warp, K in steps of 32.
constexpr int64_t kMatrixTile = 64, kMatrixWarpTile = 32, kMatrixStep = 32;
/// The pipelined mma.sync template's block tiles, largest first, with
/// their warp tiles; K in steps of 32 through 4 stages.
struct PipelinedTile {
  int64_t blockM, blockN, warpM, warpN;
};
constexpr PipelinedTile kPipelinedTiles[] = {
    {128, 256, 64, 64}, {128, 128, 64, 32}, {64, 128, 32, 64}, {64, 64, 32, 32}};
constexpr int64_t kPipelinedStep = 32, kPipelinedStages = 4;
/// sm_90a's wgmma template: warpgroups of 128 threads, 128 x 128 tiles, K
/// steps of 64 (a 128-byte row of 16-bit elements).
constexpr int64_t kWarpgroupThreads = 128, kWgmmaTile = 128, kWgmmaStep = 64;
/// Splitting K: only for grids that fill less than half the compute units,
/// into at most 8 slices of at least 8 steps each (shorter slices spend more
/// on filling the pipeline and on their partial products than they gain).
constexpr int64_t kMaxSplit = 8, kMinStepsPerSlice = 8;
/// The FFMA template: 16 x 16 threads, K in steps of 16.
constexpr int64_t kFfmaSide = 16, kFfmaStep = 16;
/// The wide FFMA template: 8 x 8 outputs for each of 16 x 16 threads.
constexpr int64_t kWideTile = 128, kWideThreadTile = 8, kWideStep = 8;

int64_t blocksFor(int64_t count, int64_t perBlock) {
  return std::max<int64_t>(1, (count + perBlock - 1) / perBlock);
}

/// Blocks of a grid of `bm` x `bn` tiles over every product.
int64_t tileBlocks(const GpuGemmShape &shape, int64_t bm, int64_t bn) {
  return blocksFor(shape.m, bm) * blocksFor(shape.n, bn) * shape.batch;
}

/// FFMA outputs a thread along a dim of `size`: the sixteens it fills, up
/// to four.
int64_t threadTile(int64_t size) { return size <= 16 ? 1 : size <= 32 ? 2 : 4; }

/// sm_90a: 128 x 128 tiles of two warpgroups (64 x 128 each), K steps of
/// 64 through 4 stages, for matmuls whose rows cp.async can move (K and N
/// multiples of 8) and whose grid fills at least half the compute units;
/// other products take the mma.sync templates.
std::optional<GpuGemmChoice> chooseWgmma(const GpuGemmShape &shape, r1k::TargetAttr target,
                                         StringRef matrixOp, Operation *anchor) {
  if (!isa_and_nonnull<r1::MatMulOp>(anchor) || shape.k % 8 != 0 || shape.n % 8 != 0 ||
      2 * tileBlocks(shape, kWgmmaTile, kWgmmaTile) < target.getComputeUnits())
    return std::nullopt;
  GpuGemmChoice choice{shape, nullptr, ""};
  choice.variant =
      GpuGemmAttr::get(target.getContext(), GpuGemmInstruction::wgmma, 2 * kWarpgroupThreads,
                       kWgmmaTile, kWgmmaTile, kWgmmaStep, kWgmmaTile / 2, kWgmmaTile,
                       /*thread_m=*/0, /*thread_n=*/0, kPipelinedStages);
  llvm::raw_string_ostream why(choice.reason);
  why << matrixOp << " for " << shape.element << ", 128x128 tiles make "
      << tileBlocks(shape, kWgmmaTile, kWgmmaTile) << " blocks for " << target.getComputeUnits()
      << " compute units";
  return choice;
}

/// The first pipelined tile whose grid fills the compute units, else the
/// one with the most blocks; none when no tile fits in shared memory.
std::optional<GpuGemmChoice> choosePipelinedMma(const GpuGemmShape &shape, r1k::TargetAttr target,
                                                StringRef matrixOp) {
  const PipelinedTile *chosen = nullptr;
  for (const PipelinedTile &tile : kPipelinedTiles) {
    int64_t sharedBytes =
        kPipelinedStages * (tile.blockM + tile.blockN) * kPipelinedStep * /*bytes=*/2;
    if (sharedBytes > target.getSharedPerBlock())
      continue;
    chosen = &tile;
    if (tileBlocks(shape, tile.blockM, tile.blockN) >= target.getComputeUnits())
      break;
  }
  if (!chosen)
    return std::nullopt;
  MLIRContext *context = target.getContext();
  int64_t units = target.getComputeUnits();
  int64_t blocks = tileBlocks(shape, chosen->blockM, chosen->blockN);
  int64_t steps = (shape.k + kPipelinedStep - 1) / kPipelinedStep;
  int64_t split = 1;
  if (2 * blocks <= units)
    split = std::max<int64_t>(
        1, std::min({kMaxSplit, (units + blocks - 1) / blocks, steps / kMinStepsPerSlice}));
  int64_t warps = (chosen->blockM / chosen->warpM) * (chosen->blockN / chosen->warpN);
  GpuGemmChoice choice{shape, nullptr, ""};
  choice.variant =
      GpuGemmAttr::get(context, GpuGemmInstruction::mma, warps * target.getWarpSize(),
                       chosen->blockM, chosen->blockN, kPipelinedStep, chosen->warpM, chosen->warpN,
                       /*thread_m=*/0, /*thread_n=*/0, kPipelinedStages, split);
  llvm::raw_string_ostream why(choice.reason);
  why << matrixOp << " for " << shape.element << ", " << chosen->blockM << "x" << chosen->blockN
      << " tiles make " << blocks << " blocks for " << units << " compute units";
  if (split > 1)
    why << ", K split in " << split << " slices: " << blocks * split << " blocks";
  return choice;
}

/// The MFMA template: 2 x 2 waves over 128- or 64-wide sides, two stages.
constexpr int64_t kMfmaLargeSide = 128, kMfmaSmallSide = 64, kMfmaWavesPerSide = 2,
                  kMfmaStages = 2;

/// The MFMA tile: 128 x 128, or 64 along a side the product does not fill
/// beyond 64; then, while the grid would leave more than half the compute
/// units idle, 64 columns (a convolution's gathered patches are its
/// columns, and fewer of them a block mean fewer gathers per instruction),
/// then 64 rows. k steps of 32, or 64 with 64 columns, so that every thread
/// stages whole vectors and two buffers of A and B stay within 64 KB.
GpuGemmChoice chooseMfmaGemm(GpuGemmChoice choice, int64_t units, StringRef matrixOp,
                             int64_t waveSize) {
  const GpuGemmShape &shape = choice.shape;
  llvm::raw_string_ostream why(choice.reason);
  why << matrixOp << " for " << shape.element << ": ";
  int64_t bm = shape.m <= kMfmaSmallSide ? kMfmaSmallSide : kMfmaLargeSide;
  int64_t bn = shape.n <= kMfmaSmallSide ? kMfmaSmallSide : kMfmaLargeSide;
  auto enough = [&] { return 2 * tileBlocks(shape, bm, bn) >= units; };
  if (!enough() && (bm == kMfmaLargeSide || bn == kMfmaLargeSide)) {
    why << bm << "x" << bn << " tiles would make only " << tileBlocks(shape, bm, bn)
        << " blocks; ";
    bn = kMfmaSmallSide;
    if (!enough())
      bm = kMfmaSmallSide;
  }
  int64_t bk = bn == kMfmaSmallSide ? 64 : 32;
  int64_t waves = kMfmaWavesPerSide * kMfmaWavesPerSide;
  choice.variant = GpuGemmAttr::get(shape.element.getContext(), GpuGemmInstruction::mfma,
                                    waves * waveSize, bm, bn, bk, bm / kMfmaWavesPerSide,
                                    bn / kMfmaWavesPerSide, /*thread_m=*/0, /*thread_n=*/0,
                                    kMfmaStages);
  why << bm << "x" << bn << " tiles make " << tileBlocks(shape, bm, bn) << " blocks for " << units
      << " compute units";
  return choice;
}

} // namespace

std::optional<GpuGemmChoice> chooseGpuGemm(r1k::KernelOp kernel, r1k::TargetAttr target) {
  std::optional<GpuGemmShape> shape = r1k::getGpuGemmShape(getContractionAnchor(kernel));
  if (!shape || !isa<FloatType>(shape->element))
    return std::nullopt;
  MLIRContext *context = kernel.getContext();
  GpuGemmChoice choice{*shape, nullptr, ""};
  llvm::raw_string_ostream why(choice.reason);
  int64_t units = target.getComputeUnits();

  if (StringRef matrixOp = target.getMatrixOp(shape->element); !matrixOp.empty()) {
    if (matrixOp.starts_with("mfma"))
      return chooseMfmaGemm(std::move(choice), units, matrixOp, target.getWarpSize());
    if (matrixOp.starts_with("wgmma"))
      if (std::optional<GpuGemmChoice> warpgroups =
              chooseWgmma(*shape, target, matrixOp, getContractionAnchor(kernel)))
        return warpgroups;
    GpuGemmInstruction instruction = GpuGemmInstruction::mma;
    if (shape->element.getIntOrFloatBitWidth() == 16)
      if (std::optional<GpuGemmChoice> pipelined = choosePipelinedMma(*shape, target, matrixOp))
        return pipelined;
    int64_t warps = (kMatrixTile / kMatrixWarpTile) * (kMatrixTile / kMatrixWarpTile);
    choice.variant = GpuGemmAttr::get(context, instruction, warps * target.getWarpSize(),
                                      kMatrixTile, kMatrixTile, kMatrixStep, kMatrixWarpTile,
                                      kMatrixWarpTile, /*thread_m=*/0, /*thread_n=*/0,
                                      /*stages=*/1);
    why << matrixOp << " for " << shape->element;
    return choice;
  }

  // The wide template computes in float, so f64 never takes it.
  if (!shape->element.isF64() && shape->m >= kWideTile && shape->n >= kWideTile) {
    int64_t blocks = tileBlocks(*shape, kWideTile, kWideTile);
    if (blocks >= units) {
      choice.variant = GpuGemmAttr::get(
          context, GpuGemmInstruction::ffma_wide, kFfmaSide * kFfmaSide, kWideTile, kWideTile,
          kWideStep, /*warp_m=*/0, /*warp_n=*/0, kWideThreadTile, kWideThreadTile, /*stages=*/1);
      why << kWideTile << "x" << kWideTile << " tiles make " << blocks << " blocks for " << units
          << " compute units";
      return choice;
    }
    why << kWideTile << "x" << kWideTile << " tiles would make only " << blocks << " blocks; ";
  }

  int64_t tm = threadTile(shape->m), tn = threadTile(shape->n);
  int64_t firstM = kFfmaSide * tm, firstN = kFfmaSide * tn;
  while (tileBlocks(*shape, kFfmaSide * tm, kFfmaSide * tn) < units && tm * tn > 1)
    (tn >= tm ? tn : tm) /= 2;
  int64_t bm = kFfmaSide * tm, bn = kFfmaSide * tn;
  choice.variant = GpuGemmAttr::get(context, GpuGemmInstruction::ffma, kFfmaSide * kFfmaSide, bm,
                                    bn, kFfmaStep, /*warp_m=*/0, /*warp_n=*/0, tm, tn,
                                    /*stages=*/1);
  if (bm != firstM || bn != firstN)
    why << firstM << "x" << firstN << " tiles shrunk to " << bm << "x" << bn;
  else
    why << bm << "x" << bn << " tiles";
  why << " make " << tileBlocks(*shape, bm, bn) << " blocks for " << units << " compute units";
  return choice;
}

} // namespace r1c
