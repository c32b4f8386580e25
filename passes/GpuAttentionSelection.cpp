//===- GpuAttentionSelection.cpp - The tiles of GPU attention -------------===//
//
// The rules, in order, for the templates of codegen/gpu/AttentionPrinter.cpp:
//   1. f16 and bf16 where the target has mma.sync for them, and head dims
//      that cp.async can move (multiples of 8): the matrix template, warps
//      of 16 query rows, keys in tiles of 64 through 2 stages. The most
//      warps of 8 (128 rows a block), 4 and 2 whose grid still gives every
//      compute unit a block, else 2; fewer where the queries are fewer; key
//      tiles of 32 or 16 where 64 would not fit the shared memory;
//   2. f16 and bf16 where the target has MFMA for them (wavefronts of 64)
//      and head dims that are multiples of 8: the matrix template, waves of
//      32 query rows, the most of 4, 2 and 1 whose grid gives every compute
//      unit a block, key tiles of 64 (32 where 64 would not fit), one
//      buffer;
//   3. otherwise (f32, odd head dims) the FMA template: 4 warps of 8 rows,
//      key tiles of one key a lane, one buffer.
// A gated attention takes query blocks of the gate's block (the gate's
// rows are one block's), so gates of more than 128 rows get no variant;
// key tiles then divide the gate's blocks where they can.
//
//===----------------------------------------------------------------------===//
#include "passes/GpuAttentionSelection.h"
#include "dialects/R1K/IR/GpuAttentionLayout.h"
#include "passes/HostAttention.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace r1c {
namespace {

/// The matrix template: 16 query rows a warp (one m16 tile), 4 or 8 warps,
/// key tiles of 64 (or smaller where the shared memory asks), 2 stages.
constexpr int64_t kMmaRows = 16, kMmaStages = 2;
/// Warps a block, the most first: each walks the keys once for all of its
/// rows, but the grid should give every compute unit a block.
constexpr int64_t kMmaWarpCounts[] = {8, 4, 2};
constexpr int64_t kKeyTiles[] = {64, 32, 16};
/// The MFMA template: 32 query rows a wave (one 32 x 32 tile), up to 4
/// waves, key tiles of 64 or 32, one buffer.
constexpr int64_t kMfmaRows = 32;
constexpr int64_t kMfmaWaveCounts[] = {4, 2, 1};
constexpr int64_t kMfmaKeyTiles[] = {64, 32};
/// The FMA template: 8 query rows a warp, 4 warps (a gated block: as many
/// as its rows need), one buffer.
constexpr int64_t kFmaRows = 8, kFmaWarps = 4;
/// The most rows a gate's block may have: one block of threads holds them
/// (8 warps of 16 rows, or 16 warps of 8).
constexpr int64_t kMaxGateRows = 128;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Whether the target's `matrix_ops` has `family` ("mma", "mfma") for
/// `element` (sm_90a lists wgmma first, and has mma.sync too).
bool hasMatrixOp(r1k::TargetAttr target, StringRef family, Type element) {
  std::string wanted = element.isF16()    ? (family + ".f16").str()
                       : element.isBF16() ? (family + ".bf16").str()
                                          : "";
  ArrayAttr ops = target.getMatrixOps();
  return !wanted.empty() && ops && llvm::any_of(ops, [&](Attribute op) {
    auto name = dyn_cast<StringAttr>(op);
    return name && name.getValue() == wanted;
  });
}

bool fits(const r1k::GpuAttentionLayout &layout, r1k::TargetAttr target) {
  return !target.getSharedPerBlock() || layout.totalBytes <= target.getSharedPerBlock();
}

} // namespace

std::optional<GpuAttentionChoice> chooseGpuAttention(r1k::KernelOp kernel, r1k::TargetAttr target) {
  // The kernels the host computes: static shapes, operands that are the
  // kernel's inputs.
  r1::AttentionOp op = getHostAttention(kernel);
  if (!op)
    return std::nullopt;
  Type element = cast<RankedTensorType>(op.getQuery().getType()).getElementType();
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return std::nullopt;
  MLIRContext *context = op.getContext();
  r1::AttentionOp::Dims dims = op.getDims();
  r1::AttentionGateAttr gate = op.getGateAttr();
  GpuAttentionChoice choice{op, {}, ""};
  llvm::raw_string_ostream why(choice.reason);
  if (gate && gate.getBlock() > kMaxGateRows) {
    why << "a gate's block of " << gate.getBlock() << " rows is more than one block of threads "
        << "holds (" << kMaxGateRows << ")";
    return choice;
  }
  int64_t warpSize = target.getWarpSize() ? target.getWarpSize() : 32;

  bool wholeChunks = dims.headDim % 8 == 0 && dims.valueDim % 8 == 0;
  bool mma = hasMatrixOp(target, "mma", element) && warpSize == 32 && wholeChunks;
  bool mfma = hasMatrixOp(target, "mfma", element) && warpSize == 64 && wholeChunks &&
              (!gate || gate.getBlock() % kMfmaRows == 0);
  if (mma) {
    int64_t warps = gate ? gate.getBlock() / kMmaRows : kMmaWarpCounts[2];
    if (!gate) {
      for (int64_t count : kMmaWarpCounts)
        if (dims.batch * dims.heads * ceilDiv(dims.queries, kMmaRows * count) >=
            target.getComputeUnits()) {
          warps = count;
          break;
        }
      warps = std::min(warps, ceilDiv(dims.queries, kMmaRows));
    }
    for (int64_t keyBlock : kKeyTiles) {
      if (gate && gate.getBlock() % keyBlock != 0)
        continue;
      auto variant = r1k::GpuAttentionAttr::get(context, kMmaRows * warps, keyBlock, warps,
                                                /*matrix=*/true, kMmaStages);
      r1k::GpuAttentionLayout layout = r1k::getGpuAttentionLayout(op, variant, warpSize);
      if (!fits(layout, target))
        continue;
      choice.variant = variant;
      if (gate)
        why << "mma.sync: the gate's blocks of " << gate.getBlock() << " rows";
      else
        why << "mma.sync: " << kMmaRows * warps << "-row blocks make "
            << dims.batch * dims.heads * ceilDiv(dims.queries, kMmaRows * warps) << " blocks for "
            << target.getComputeUnits() << " compute units";
      why << ", " << layout.totalBytes << " bytes of shared memory";
      return choice;
    }
  }

  if (mfma) {
    int64_t waves = gate ? gate.getBlock() / kMfmaRows : kMfmaWaveCounts[2];
    if (!gate) {
      for (int64_t count : kMfmaWaveCounts)
        if (dims.batch * dims.heads * ceilDiv(dims.queries, kMfmaRows * count) >=
            target.getComputeUnits()) {
          waves = count;
          break;
        }
      waves = std::min(waves, ceilDiv(dims.queries, kMfmaRows));
    }
    for (int64_t keyBlock : kMfmaKeyTiles) {
      if (gate && gate.getBlock() % keyBlock != 0)
        continue;
      auto variant = r1k::GpuAttentionAttr::get(context, kMfmaRows * waves, keyBlock, waves,
                                                /*matrix=*/true, 1);
      r1k::GpuAttentionLayout layout = r1k::getGpuAttentionLayout(op, variant, warpSize);
      if (!fits(layout, target))
        continue;
      choice.variant = variant;
      if (gate)
        why << "MFMA: the gate's blocks of " << gate.getBlock() << " rows";
      else
        why << "MFMA: " << kMfmaRows * waves << "-row blocks make "
            << dims.batch * dims.heads * ceilDiv(dims.queries, kMfmaRows * waves) << " blocks for "
            << target.getComputeUnits() << " compute units";
      why << ", " << layout.totalBytes << " bytes of shared memory";
      return choice;
    }
  }

  // FMA: a key a lane per tile; rows a warp halved (not for a gate, whose
  // rows are fixed) until the tiles fit.
  int64_t warps =
      gate ? gate.getBlock() / kFmaRows : std::min(kFmaWarps, ceilDiv(dims.queries, kFmaRows));
  for (int64_t rows = kFmaRows; rows >= 1; rows /= 2) {
    auto variant = r1k::GpuAttentionAttr::get(context, rows * warps, warpSize, warps,
                                              /*matrix=*/false, 1);
    r1k::GpuAttentionLayout layout = r1k::getGpuAttentionLayout(op, variant, warpSize);
    if (fits(layout, target)) {
      choice.variant = variant;
      why << "FMA" << (mma || mfma ? " (no key tile of the matrix template fits)" : "") << ": "
          << warps << " warps of " << rows << " rows, " << layout.totalBytes
          << " bytes of shared memory";
      return choice;
    }
    if (gate)
      break;
  }
  why << "no tiles fit the target's " << target.getSharedPerBlock()
      << " bytes of shared memory per block";
  return choice;
}

} // namespace r1c
