//===- SelectVariants.cpp - Each kernel's variant per target ---------------===//
//
// Decide, then apply: this pass writes the variant, the code generators
// read it. Only host matmuls have variants so far; other kernels and
// targets keep their fixed templates and get no entry.
//
//===----------------------------------------------------------------------===//
#include "passes/HostGemmCostModel.h"
#include "passes/Passes.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_SELECTVARIANTS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;
using r1c::GemmCandidate;

namespace {

/// The matmul or convolution a kernel computes, if that is its anchor.
Operation *contractionAnchor(r1k::KernelOp kernel) {
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (isa<MatMulOp, ConvOp>(op))
      return &op;
  return nullptr;
}

/// A convolution runs as a GEMM when each group's filters and taps make
/// one worth blocking: a depthwise convolution (one filter a group, nine
/// taps) keeps its direct loop nest.
constexpr int64_t kMinConvGemmRows = 8, kMinConvGemmDepth = 8;

/// The problem a contraction poses, or nullopt when it has no GEMM variant.
std::optional<r1c::GemmProblem> problemOf(r1k::KernelOp kernel, Operation *anchor,
                                          bool packWeights) {
  auto result = cast<RankedTensorType>(anchor->getResult(0).getType());
  Type element = result.getElementType();
  if (!result.hasStaticShape() || !(element.isF32() || element.isF16() || element.isBF16()))
    return std::nullopt;
  // The templates address operands as kernel inputs; a splat constant
  // copied into the body keeps the reference loop nest.
  if (!llvm::all_of(anchor->getOperands(),
                    [](Value operand) { return !operand || isa<BlockArgument>(operand); }))
    return std::nullopt;
  r1c::GemmProblem problem;
  r1k::GemmDims dims;
  if (auto conv = dyn_cast<ConvOp>(anchor)) {
    for (Value operand : conv->getOperands())
      if (operand && getElementTypeOrSelf(operand.getType()) != element)
        return std::nullopt;
    dims = r1k::getGemmDims(conv);
    if (dims.m < kMinConvGemmRows || dims.k < kMinConvGemmDepth)
      return std::nullopt;
    // B is the image, gathered at run time; in place when pointwise.
    problem.inPlaceB = llvm::all_of(conv.getStrides(), [](int64_t s) { return s == 1; }) &&
                       llvm::all_of(conv.getPads(), [](int64_t p) { return p == 0; }) &&
                       dims.k == cast<RankedTensorType>(conv.getInput().getType()).getDimSize(1) /
                                     conv.getGroup();
  } else {
    auto matmul = cast<MatMulOp>(anchor);
    if (getElementTypeOrSelf(matmul.getLhs().getType()) != element ||
        getElementTypeOrSelf(matmul.getRhs().getType()) != element)
      return std::nullopt;
    dims = r1k::getGemmDims(matmul);
    // B packed at compile time: a 2-D weight outside the kernel.
    auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
    problem.packableWeight =
        packWeights && arg && cast<RankedTensorType>(matmul.getRhs().getType()).getRank() == 2 &&
        kernel.getInputs()[arg.getArgNumber()].getDefiningOp<ConstantOp>();
  }
  problem.m = dims.m;
  problem.n = dims.n;
  problem.k = dims.k;
  problem.batch = 1;
  for (int64_t dim : dims.batch)
    problem.batch *= dim;
  problem.elementBytes = element.getIntOrFloatBitWidth() / 8;
  problem.widened = element.getIntOrFloatBitWidth() == 16;
  return problem;
}

void printCandidate(llvm::raw_ostream &os, const GemmCandidate &candidate) {
  os << "mr=" << candidate.mr << " nr=" << candidate.nr << " kc=" << candidate.kc
     << " mc=" << candidate.mc << " nc=" << candidate.nc
     << " pack_b=" << r1k::stringifyPacking(candidate.packB);
}

struct SelectVariants : r1::impl::SelectVariantsBase<SelectVariants> {
  using SelectVariantsBase::SelectVariantsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<r1k::TargetAttr> targets = r1k::getTargets(module);
    // Appended to, so that the shape buckets of one compile share a log.
    std::unique_ptr<llvm::raw_fd_ostream> logFile;
    llvm::raw_ostream *log = nullptr;
    if (variantLog == "-") {
      log = &llvm::errs();
    } else if (!variantLog.empty()) {
      std::error_code error;
      logFile = std::make_unique<llvm::raw_fd_ostream>(variantLog, error, llvm::sys::fs::OF_Append);
      if (error) {
        module.emitError() << "cannot write the variant log '" << variantLog
                           << "': " << error.message();
        return signalPassFailure();
      }
      log = logFile.get();
    }
    for (r1k::TargetAttr target : targets) {
      if (!target.isHost())
        continue;
      module.walk([&](r1k::KernelOp kernel) {
        Operation *anchor = contractionAnchor(kernel);
        std::optional<r1c::GemmProblem> problem =
            anchor ? problemOf(kernel, anchor, packWeights) : std::nullopt;
        if (!problem)
          return;
        std::vector<GemmCandidate> ranked = r1c::rankHostGemmCandidates(*problem, target);
        if (ranked.empty())
          return;
        const GemmCandidate &best = ranked.front();
        r1k::setVariant(kernel, target.getVariantKey(),
                        r1k::HostGemmAttr::get(&getContext(), best.mr, best.nr, best.vector,
                                               best.kc, best.mc, best.nc, best.packB));
        if (log)
          logKernel(*log, kernel, anchor, target, *problem, ranked);
      });
    }
  }

  /// One block per kernel: the problem, then every candidate, the winner
  /// first, each with its estimate, how far it is behind, and its charges.
  void logKernel(llvm::raw_ostream &os, r1k::KernelOp kernel, Operation *anchor,
                 r1k::TargetAttr target,
                 const r1c::GemmProblem &problem, ArrayRef<GemmCandidate> ranked) {
    os << "kernel " << kernel.getName() << " on " << target.getName() << " (" << target.getCpu()
       << "): " << anchor->getName().stripDialect() << " " << problem.batch << " x " << problem.m << "x" << problem.k << "x"
       << problem.n << ", " << ranked.size() << " candidates\n";
    double best = ranked.front().cycles;
    for (auto [index, candidate] : llvm::enumerate(ranked)) {
      os << (index == 0 ? "  chosen " : "  lost   ");
      printCandidate(os, candidate);
      os << llvm::format("  cycles=%.0f", candidate.cycles);
      if (index > 0)
        os << llvm::format("  +%.1f%%", 100.0 * (candidate.cycles / best - 1));
      if (!candidate.notes.empty())
        os << "  (" << StringRef(candidate.notes).rtrim("; ") << ")";
      os << "\n";
    }
  }
};

} // namespace
