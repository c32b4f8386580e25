//===- SelectAttentionGate.cpp - Which attentions skip key blocks ---------===//
//
// Decide, then apply: this pass writes the gate of each fused attention;
// the kernels read it. The policy comes from `r1c --sparse-attention`.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_SELECTATTENTIONGATE
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

struct GatePolicy {
  int64_t block = 64;
  double keep = 0.25;
  double threshold = 0.05;
  int64_t window = 1;
  int64_t global = 1;
  bool estimateRest = true;
};

/// Parses `gated[:block=64,keep=0.25,threshold=0.05,window=1,global=1,rest=mean]`; an
/// error message when a field is unknown or its value is not valid.
FailureOr<GatePolicy> parsePolicy(StringRef text, std::string &error) {
  GatePolicy policy;
  auto [kind, fields] = text.split(':');
  if (kind != "gated") {
    error = "unknown policy '" + kind.str() +
            "' (expected dense or gated[:block=64,keep=0.25,"
            "threshold=0.05,window=1,global=1,rest=mean])";
    return failure();
  }
  SmallVector<StringRef> entries;
  fields.split(entries, ',', -1, /*KeepEmpty=*/false);
  for (StringRef entry : entries) {
    auto [name, value] = entry.split('=');
    name = name.trim(), value = value.trim();
    bool bad = false;
    if (name == "keep")
      bad = value.getAsDouble(policy.keep);
    else if (name == "threshold")
      bad = value.getAsDouble(policy.threshold);
    else if (name == "block")
      bad = value.getAsInteger(10, policy.block);
    else if (name == "window")
      bad = value.getAsInteger(10, policy.window);
    else if (name == "global")
      bad = value.getAsInteger(10, policy.global);
    else if (name == "rest") {
      if (value != "mean" && value != "drop") {
        error = "field 'rest' must be mean or drop, not '" + value.str() + "'";
        return failure();
      }
      policy.estimateRest = value == "mean";
    } else {
      error = "unknown field '" + name.str() +
              "' (expected block, keep, threshold, window, global or rest)";
      return failure();
    }
    if (bad) {
      error = "field '" + name.str() + "' has no number: '" + value.str() + "'";
      return failure();
    }
  }
  // The threshold reads the estimates that only rest=mean forms.
  if (!policy.estimateRest)
    policy.threshold = 0;
  return policy;
}

struct SelectAttentionGatePass : r1::impl::SelectAttentionGateBase<SelectAttentionGatePass> {
  using SelectAttentionGateBase::SelectAttentionGateBase;

  void runOnOperation() override {
    if (policy == "dense" || policy.empty())
      return;
    std::string error;
    FailureOr<GatePolicy> parsed = parsePolicy(policy, error);
    MLIRContext *context = &getContext();
    auto emit = [&] { return getOperation().emitError() << "--sparse-attention: "; };
    if (failed(parsed)) {
      emit() << error;
      return signalPassFailure();
    }
    auto gate = AttentionGateAttr::getChecked(
        [&] { return emit(); }, context, parsed->block, llvm::APFloat(parsed->keep),
        llvm::APFloat(parsed->threshold), parsed->window, parsed->global, parsed->estimateRest);
    if (!gate)
      return signalPassFailure();
    getOperation().walk([&](AttentionOp op) {
      AttentionOp::Dims dims = op.getDims();
      if (dims.keys == kDynamic)
        return;
      auto [kept, visible] = gate.countBlocks(dims.queries, dims.keys, op.getCausal());
      if (kept >= visible)
        return;
      // A left-out block is estimated by its mean key only when every query
      // masks its keys alike (no mask, or a padding mask): else it is
      // dropped, and without estimates there is no threshold.
      auto maskShape = op.getMask() ? getShapeOf(op.getMask()) : std::nullopt;
      bool perQuery =
          maskShape && maskShape->size() >= 2 && (*maskShape)[maskShape->size() - 2] != 1;
      op.setGateAttr(perQuery && gate.getEstimateRest()
                         ? AttentionGateAttr::get(context, gate.getBlock(), gate.getKeep(),
                                                  llvm::APFloat(0.0), gate.getWindow(),
                                                  gate.getGlobal(), false)
                         : gate);
    });
  }
};

} // namespace
