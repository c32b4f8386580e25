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

/// The matmul a kernel computes, if that is its anchor.
MatMulOp matmulAnchor(r1k::KernelOp kernel) {
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (auto matmul = dyn_cast<MatMulOp>(op))
      return matmul;
  return MatMulOp();
}

/// The problem a matmul poses, with 1-D operands made 2-D.
r1c::GemmProblem problemOf(r1k::KernelOp kernel, MatMulOp matmul, bool packWeights) {
  auto a = cast<RankedTensorType>(matmul.getLhs().getType());
  auto b = cast<RankedTensorType>(matmul.getRhs().getType());
  auto c = cast<RankedTensorType>(matmul.getType());
  r1c::GemmProblem problem;
  problem.m = a.getRank() == 1 ? 1 : a.getDimSize(a.getRank() - 2);
  problem.k = a.getShape().back();
  problem.n = b.getRank() == 1 ? 1 : b.getShape().back();
  problem.batch = c.getNumElements() / std::max<int64_t>(1, problem.m * problem.n);
  Type element = c.getElementType();
  problem.elementBytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  problem.widened = element.getIntOrFloatBitWidth() == 16;
  // B packed at compile time: a 2-D weight outside the kernel.
  auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
  problem.packableWeight = packWeights && arg && b.getRank() == 2 &&
                           kernel.getInputs()[arg.getArgNumber()].getDefiningOp<ConstantOp>();
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
        MatMulOp matmul = matmulAnchor(kernel);
        if (!matmul || !isa<FloatType>(getElementTypeOrSelf(matmul.getType())) ||
            !cast<RankedTensorType>(matmul.getType()).hasStaticShape())
          return;
        r1c::GemmProblem problem = problemOf(kernel, matmul, packWeights);
        std::vector<GemmCandidate> ranked = r1c::rankHostGemmCandidates(problem, target);
        if (ranked.empty())
          return;
        const GemmCandidate &best = ranked.front();
        r1k::setVariant(kernel, target.getVariantKey(),
                        r1k::HostGemmAttr::get(&getContext(), best.mr, best.nr, best.vector,
                                               best.kc, best.mc, best.nc, best.packB));
        if (log)
          logKernel(*log, kernel, target, problem, ranked);
      });
    }
  }

  /// One block per kernel: the problem, then every candidate, the winner
  /// first, each with its estimate, how far it is behind, and its charges.
  void logKernel(llvm::raw_ostream &os, r1k::KernelOp kernel, r1k::TargetAttr target,
                 const r1c::GemmProblem &problem, ArrayRef<GemmCandidate> ranked) {
    os << "kernel " << kernel.getName() << " on " << target.getName() << " (" << target.getCpu()
       << "): matmul " << problem.batch << " x " << problem.m << "x" << problem.k << "x"
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
