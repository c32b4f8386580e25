//===- HostIntegerGemm.cpp - Variants of integer GEMMs on the host --------===//
#include "passes/HostIntegerGemm.h"
#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"
#include "passes/TransposedConv.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

Operation *getHostIntegerGemm(r1k::KernelOp kernel) {
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (!isa<r1::MatMulIntegerOp, r1::ConvIntegerOp>(op))
      continue;
    if (!r1k::getIntegerGemmDims(&op))
      return nullptr;
    for (Value operand : op.getOperands())
      if (!isa<BlockArgument>(operand) && !operand.getDefiningOp<r1::ConstantOp>())
        return nullptr;
    return &op;
  }
  return nullptr;
}

bool canUseVpdpbusd(r1k::KernelOp kernel, bool packWeights) {
  Operation *anchor = getHostIntegerGemm(kernel);
  std::string why;
  return anchor && (packWeights || isa<r1::MatMulIntegerOp>(anchor)) &&
         r1k::getQuantizedWeight(kernel, anchor, why);
}

namespace {

/// i32 sums per task block that the fused body reads back from L1 (24 KB,
/// half of Zen 5's and Ice Lake's L1 data cache).
constexpr int64_t kBlockSums = 6144;

/// A host_gemm with vpdpbusd for `anchor`, whose weight `weight` is read
/// at compile time.
r1k::HostGemmAttr chooseVpdpbusdGemm(Operation *anchor, const r1k::QuantizedWeight &weight,
                                     r1k::TargetAttr target, bool packWeights,
                                     std::string &reason) {
  r1k::GemmDims dims = r1k::getGemmDims(anchor);
  bool conv = isa<r1::ConvIntegerOp>(anchor);
  // The sums of the activation's bytes are needed only for a weight zero
  // point that is not 0 once the weight is flipped to signed bytes; they
  // take an accumulator per row (matmul: the activation is A) or per
  // vector (convolution: it is B).
  int64_t flip = weight.weightSigned ? 0 : 128;
  bool activationSums =
      llvm::any_of(weight.weightZeros, [&](int64_t zero) { return zero - flip != 0; });
  // A narrow output plane runs transposed, which keeps no activation sums.
  if (conv && !activationSums && runsTransposed(anchor, dims, r1k::HostDot::dpbusd)) {
    r1k::HostGemmAttr variant =
        chooseTransposedGemm(anchor, dims, r1k::HostDot::dpbusd, target, reason);
    reason += weight.activationSigned ? ", i8 activation flipped to u8" : ", u8 activation";
    reason += weight.weightSigned ? ", i8 weight" : ", u8 weight flipped to i8";
    return variant;
  }
  int64_t vectors = std::clamp<int64_t>(llvm::divideCeil(dims.n, 16), 1, 3);
  int64_t maxRows = 8;
  if (activationSums)
    maxRows = conv ? 7 : 6;
  int64_t mr = std::clamp<int64_t>(dims.m, 1, maxRows), nr = 16 * vectors;
  int64_t batchCount = 1;
  for (int64_t dim : dims.batch)
    batchCount *= dim;
  // Row blocks, then column blocks, until every core has tasks; a block
  // keeps at least four micro-kernels of rows.
  int64_t wanted = kHostTasksPerCore * std::max<int64_t>(1, target.getCores());
  int64_t panels = llvm::divideCeil(dims.n, nr);
  int64_t rowBlocks = std::clamp<int64_t>(llvm::divideCeil(wanted, batchCount), 1,
                                          std::max<int64_t>(1, dims.m / (4 * mr)));
  int64_t columnBlocks =
      std::clamp<int64_t>(llvm::divideCeil(wanted, batchCount * rowBlocks), 1, panels);
  int64_t mc = llvm::alignTo(llvm::divideCeil(dims.m, rowBlocks), mr);
  int64_t nc = llvm::divideCeil(panels, columnBlocks) * nr;
  // The fused body reads a task's i32 sums back as soon as they are
  // final: a block that stays in L1 (kBlockSums of them) reads them from
  // there rather than from L2.
  nc = std::min(nc, std::max<int64_t>(1, kBlockSums / (mc * nr)) * nr);
  int64_t kc = llvm::alignTo(dims.k, 4);
  // A matmul's B is the weight, packed when compiling (once per call from
  // the side file); a convolution's is the image's im2col matrix, packed
  // once per call (its weight, A, is stored in whole quads when compiling).
  r1k::Packing packB = conv || !packWeights ? r1k::Packing::per_call : r1k::Packing::compile_time;
  int64_t tasks = batchCount * llvm::divideCeil(dims.m, mc) * llvm::divideCeil(dims.n, nc);
  reason = (llvm::Twine(batchCount) + " x " + llvm::Twine(dims.m) + "x" + llvm::Twine(dims.k) +
            "x" + llvm::Twine(dims.n) + ": vpdpbusd (AVX512-VNNI), " +
            (weight.activationSigned ? "i8 activation flipped to u8, " : "u8 activation, ") +
            (weight.weightSigned ? "i8 weight" : "u8 weight flipped to i8") + ", " +
            llvm::Twine(mr) + " x " + llvm::Twine(vectors) + " accumulators" +
            (activationSums ? " and the activation's sums" : "") + ", " + llvm::Twine(tasks) +
            " tasks for " + llvm::Twine(target.getCores()) + " cores")
               .str();
  return r1k::HostGemmAttr::get(anchor->getContext(), mr, nr, 16, kc, mc, nc, packB,
                                /*packA=*/false, /*mInner=*/false, r1k::HostDot::dpbusd,
                                /*transposed=*/false);
}

} // namespace

Attribute chooseHostIntegerGemm(r1k::KernelOp kernel, Operation *anchor, r1k::TargetAttr target,
                                bool packWeights, std::string &reason) {
  std::string why;
  if (!target.hasFeature("avx512vnni") || target.getVectorBits() < 512)
    why = "no AVX512-VNNI at " + target.getCpu().str();
  else if (!packWeights && isa<r1::ConvIntegerOp>(anchor))
    why = "a convolution's weight is packed into the code, and weights are external";
  else if (std::optional<r1k::QuantizedWeight> weight =
               r1k::getQuantizedWeight(kernel, anchor, why))
    return chooseVpdpbusdGemm(anchor, *weight, target, packWeights, reason);
  r1k::IntegerGemmDims dims = *r1k::getIntegerGemmDims(anchor);
  int64_t bits = target.getVectorBits() ? target.getVectorBits() : 256;
  int64_t lanes = std::clamp<int64_t>(bits / 32, 4, 16);
  // Sums, one vector of B per column vector and one broadcast of A must
  // fit the registers: 8 x 3 of 32 (AVX-512), 6 x 2 of 16 (AVX2).
  int64_t registers = target.getVectorRegisters() ? target.getVectorRegisters() : 16;
  int64_t maxVectors = registers >= 32 ? 3 : 2;
  int64_t maxRows = registers >= 32 ? 8 : 6;
  int64_t vectors = std::clamp<int64_t>(llvm::divideCeil(dims.n, lanes), 1, maxVectors);
  int64_t mr = std::clamp<int64_t>(dims.m, 1, maxRows);
  // Row blocks: the whole of M per task unless panels and batches leave a
  // core without tasks; never under four micro-kernels of rows.
  int64_t panels = llvm::divideCeil(dims.n, lanes * vectors);
  int64_t tasks = dims.batchCount() * panels;
  int64_t wanted = kHostTasksPerCore * std::max<int64_t>(1, target.getCores());
  int64_t rowBlocks = std::clamp<int64_t>(llvm::divideCeil(wanted, std::max<int64_t>(tasks, 1)), 1,
                                          std::max<int64_t>(1, dims.m / (4 * mr)));
  int64_t mc = llvm::alignTo(llvm::divideCeil(dims.m, rowBlocks), mr);
  reason =
      (llvm::Twine(dims.batchCount()) + " x " + llvm::Twine(dims.m) + "x" + llvm::Twine(dims.k) +
       "x" + llvm::Twine(dims.n) + ": " + llvm::Twine(lanes) + " i32 lanes, " + llvm::Twine(mr) +
       " x " + llvm::Twine(vectors) + " accumulators of " + llvm::Twine(registers) +
       " registers, " + llvm::Twine(tasks * llvm::divideCeil(dims.m, mc)) + " tasks for " +
       llvm::Twine(target.getCores()) + " cores; not vpdpbusd: " + why)
          .str();
  return r1k::HostIntegerGemmAttr::get(anchor->getContext(), lanes, mr, vectors, mc);
}

} // namespace r1c
