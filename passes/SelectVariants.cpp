//===- SelectVariants.cpp - Each kernel's variant per target ---------------===//
//
// Decide, then apply: this pass writes the variant, the code generators
// read it. Matmuls, convolutions and attention have variants so far: on the host
// as GEMMs (or depthwise as direct kernels, integer ones as packed integer
// GEMMs, HostIntegerGemm.h), fused attention on the host
// (HostAttention.h), on GPUs as GEMMs (GpuGemmSelection.h) and fused
// attention (GpuAttentionSelection.h); other kernels keep their fixed
// templates and get no entry.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"
#include "passes/GpuAttentionSelection.h"
#include "passes/GpuGemmSelection.h"
#include "passes/HostAttention.h"
#include "passes/HostDepthwiseConv.h"
#include "passes/HostGemmCostModel.h"
#include "passes/HostIntegerGemm.h"
#include "passes/Passes.h"
#include "passes/TransposedConv.h"
#include "passes/TuningDatabase.h"

#include "mlir/IR/TypeUtilities.h"
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

void printCandidate(llvm::raw_ostream &os, const GemmCandidate &candidate) {
  os << "mr=" << candidate.mr << " nr=" << candidate.nr << " kc=" << candidate.kc
     << " mc=" << candidate.mc << " nc=" << candidate.nc
     << " pack_b=" << r1k::stringifyPacking(candidate.packB) << (candidate.packA ? " pack_a" : "")
     << (candidate.mInner ? " m_inner" : "")
     << (candidate.dot == r1k::HostDot::fma ? ""
                                            : " dot=" + r1k::stringifyHostDot(candidate.dot).str());
}

/// ISA extensions that only dot-product micro-kernels use: a host level
/// that adds nothing else over the level before it is worth its code (and
/// compile time) only in a module with such a kernel.
constexpr llvm::StringLiteral kDotProductFeatures[] = {"avx512bf16", "avx512vnni"};

/// Whether some kernel's contraction could use `feature`: bf16 operands
/// for vdpbf16ps, an 8-bit integer one with a constant weight for vpdpbusd.
bool moduleUses(ModuleOp module, StringRef feature, bool packWeights) {
  bool used = false;
  module.walk([&](r1k::KernelOp kernel) {
    Operation *anchor = r1c::getContractionAnchor(kernel);
    if (anchor && feature == "avx512bf16" &&
        getElementTypeOrSelf(anchor->getOperand(0).getType()).isBF16())
      used = true;
    if (feature == "avx512vnni" && r1c::canUseVpdpbusd(kernel, packWeights))
      used = true;
  });
  return used;
}

/// `targets` without the host levels no kernel needs: those whose features
/// beyond the host level before them are all dot-product extensions that
/// no kernel uses.
SmallVector<r1k::TargetAttr> dropUnusedHostLevels(ModuleOp module, bool packWeights,
                                                  ArrayRef<r1k::TargetAttr> targets) {
  SmallVector<r1k::TargetAttr> kept;
  r1k::TargetAttr below;
  for (r1k::TargetAttr target : targets) {
    if (!target.isHost()) {
      kept.push_back(target);
      continue;
    }
    SmallVector<StringRef> added;
    if (below && target.getFeatures())
      for (Attribute feature : target.getFeatures())
        if (!below.hasFeature(cast<StringAttr>(feature).getValue()))
          added.push_back(cast<StringAttr>(feature).getValue());
    bool onlyDotProducts = !added.empty() && llvm::all_of(added, [](StringRef feature) {
      return llvm::is_contained(kDotProductFeatures, feature);
    });
    below = target;
    if (onlyDotProducts && llvm::none_of(added, [&](StringRef feature) {
          return moduleUses(module, feature, packWeights);
        }))
      continue;
    kept.push_back(target);
  }
  return kept;
}

/// Gives `kernel` the one `variant` its anchor (`what`) has on `target`,
/// and logs it, with `reason` when there is one.
void setOnlyCandidate(r1k::KernelOp kernel, r1k::TargetAttr target, Attribute variant,
                      StringRef what, StringRef reason, llvm::raw_ostream *log) {
  r1k::setVariant(kernel, target.getVariantKey(), variant);
  if (!log)
    return;
  *log << "kernel " << kernel.getName() << " on " << target.getName() << " (" << target.getCpu()
       << "): " << what << ", one candidate\n  chosen " << variant;
  if (!reason.empty())
    *log << "  (" << reason << ")";
  *log << "\n";
}

struct SelectVariants : r1::impl::SelectVariantsBase<SelectVariants> {
  using SelectVariantsBase::SelectVariantsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<r1k::TargetAttr> targets = r1k::getTargets(module);
    // First which host levels the module needs: a level kept is a build
    // of every kernel in the host code.
    SmallVector<r1k::TargetAttr> needed = dropUnusedHostLevels(module, packWeights, targets);
    if (needed.size() != targets.size()) {
      r1k::setTargets(module, needed);
      targets = needed;
    }
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
    r1c::TuningDatabase tuned;
    if (!tuningDb.empty()) {
      std::string error;
      if (!tuned.load(tuningDb, error)) {
        module.emitError() << error;
        return signalPassFailure();
      }
    }
    for (r1k::TargetAttr target : targets) {
      if (!target.isHost()) {
        module.walk([&](r1k::KernelOp kernel) { selectGpuVariant(kernel, target, log); });
        continue;
      }
      module.walk([&](r1k::KernelOp kernel) {
        if (Operation *integer = r1c::getHostIntegerGemm(kernel)) {
          std::string reason;
          Attribute variant =
              r1c::chooseHostIntegerGemm(kernel, integer, target, packWeights, reason);
          setOnlyCandidate(kernel, target, variant, integer->getName().stripDialect(), reason, log);
          return;
        }
        Operation *anchor = r1c::getContractionAnchor(kernel);
        std::optional<r1c::GemmProblem> problem = r1c::getGemmProblem(kernel, packWeights);
        if (!problem) {
          if (r1::AttentionOp attention = r1c::getHostAttention(kernel)) {
            setOnlyCandidate(kernel, target, r1c::chooseHostAttention(attention, target),
                             "attention", "", log);
            return;
          }
          if (r1::ConvOp conv = r1c::getHostDepthwiseConv(kernel))
            setOnlyCandidate(kernel, target, r1c::chooseHostDepthwiseConv(conv, target),
                             "depthwise conv", "", log);
          return;
        }
        std::vector<GemmCandidate> ranked = r1c::rankHostGemmCandidates(*problem, target);
        if (ranked.empty())
          return;
        // A measured variant wins when it is still a legal candidate.
        const GemmCandidate *best = &ranked.front();
        bool measured = false;
        if (const r1c::TunedVariant *record =
                tuned.lookup(r1c::tuningKey(target.getVariantKey(), *problem))) {
          auto same = llvm::find_if(ranked, [&](const GemmCandidate &c) {
            const GemmCandidate &v = record->variant;
            return c.mr == v.mr && c.nr == v.nr && c.vector == v.vector && c.kc == v.kc &&
                   c.mc == v.mc && c.nc == v.nc && c.packB == v.packB && c.packA == v.packA &&
                   c.dot == v.dot;
          });
          if (same != ranked.end()) {
            best = &*same;
            measured = true;
          }
        }
        // A bf16 convolution with a narrow output plane runs transposed.
        if (best->dot == r1k::HostDot::dpbf16 && isa<r1::ConvOp>(anchor) &&
            cast<RankedTensorType>(anchor->getResult(0).getType()).getElementType().isF32()) {
          r1k::GemmDims dims = r1k::getGemmDims(anchor);
          std::string reason;
          if (r1c::runsTransposed(anchor, dims, r1k::HostDot::dpbf16)) {
            r1k::HostGemmAttr variant =
                r1c::chooseTransposedGemm(anchor, dims, r1k::HostDot::dpbf16, target, reason);
            setOnlyCandidate(kernel, target, variant, "conv", reason, log);
            return;
          }
        }
        r1k::setVariant(kernel, target.getVariantKey(),
                        r1k::HostGemmAttr::get(&getContext(), best->mr, best->nr, best->vector,
                                               best->kc, best->mc, best->nc, best->packB,
                                               best->packA, best->mInner, best->dot,
                                               /*transposed=*/false));
        if (log)
          logKernel(*log, kernel, anchor, target, *problem, ranked, *best, measured);
      });
    }
  }

  /// A GPU GEMM's or attention's variant, and one log line: the problem,
  /// the variant and why.
  void selectGpuVariant(r1k::KernelOp kernel, r1k::TargetAttr target, llvm::raw_ostream *log) {
    std::optional<r1c::GpuGemmChoice> choice = r1c::chooseGpuGemm(kernel, target);
    if (!choice)
      return selectGpuAttention(kernel, target, log);
    r1k::setVariant(kernel, target.getVariantKey(), choice->variant);
    if (!log)
      return;
    const r1k::GpuGemmShape &shape = choice->shape;
    *log << "kernel " << kernel.getName() << " on " << target.getName() << ": "
         << r1c::getContractionAnchor(kernel)->getName().stripDialect() << " " << shape.batch
         << " x " << shape.m << "x" << shape.k << "x" << shape.n << " " << shape.element;
    if (shape.result != shape.element)
      *log << " to " << shape.result;
    *log << ", chosen " << choice->variant << "  (" << choice->reason << ")\n";
  }

  void selectGpuAttention(r1k::KernelOp kernel, r1k::TargetAttr target, llvm::raw_ostream *log) {
    std::optional<r1c::GpuAttentionChoice> choice = r1c::chooseGpuAttention(kernel, target);
    if (!choice)
      return;
    if (choice->variant)
      r1k::setVariant(kernel, target.getVariantKey(), choice->variant);
    if (!log)
      return;
    r1::AttentionOp::Dims dims = choice->op.getDims();
    *log << "kernel " << kernel.getName() << " on " << target.getName() << ": attention "
         << dims.batch << " x " << dims.heads << " heads (" << dims.kvHeads << " kv), "
         << dims.queries << " x " << dims.keys << " x " << dims.headDim << " "
         << getElementTypeOrSelf(choice->op.getQuery().getType()) << ", ";
    if (choice->variant)
      *log << "chosen " << choice->variant;
    else
      *log << "no variant";
    *log << "  (" << choice->reason << ")\n";
  }

  /// One block per kernel: the problem, then every candidate, cheapest
  /// first, each with its estimate, how far it is behind the cheapest, and
  /// its charges; `chosen` marks the one written (a measured one when the
  /// tuning database has it).
  void logKernel(llvm::raw_ostream &os, r1k::KernelOp kernel, Operation *anchor,
                 r1k::TargetAttr target, const r1c::GemmProblem &problem,
                 ArrayRef<GemmCandidate> ranked, const GemmCandidate &chosen, bool measured) {
    os << "kernel " << kernel.getName() << " on " << target.getName() << " (" << target.getCpu()
       << "): " << anchor->getName().stripDialect() << " " << problem.batch << " x " << problem.m
       << "x" << problem.k << "x" << problem.n << ", " << ranked.size() << " candidates"
       << (measured ? ", chosen by measurement (tuning database)" : "") << "\n";
    double best = ranked.front().cycles;
    for (const GemmCandidate &candidate : ranked) {
      bool isChosen = &candidate == &chosen;
      os << (isChosen ? "  chosen " : "  lost   ");
      printCandidate(os, candidate);
      os << llvm::format("  cycles=%.0f", candidate.cycles);
      if (candidate.cycles > best)
        os << llvm::format("  +%.1f%%", 100.0 * (candidate.cycles / best - 1));
      if (!candidate.notes.empty())
        os << "  (" << StringRef(candidate.notes).rtrim("; ") << ")";
      os << "\n";
    }
  }
};

} // namespace
