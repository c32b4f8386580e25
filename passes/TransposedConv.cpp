//===- TransposedConv.cpp - Convolutions computed as C^T on the host ------===//
#include "passes/TransposedConv.h"
#include "dialects/R1/IR/R1Ops.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

namespace {

/// Output lanes computed per useful one when positions fill vectors of 16,
/// past which a convolution runs transposed.
constexpr double kTransposeLaneWaste = 1.1;

} // namespace

bool runsTransposed(Operation *conv, const r1k::GemmDims &dims, r1k::HostDot dot) {
  int64_t group = 1;
  Type weightType;
  if (auto integer = dyn_cast<r1::ConvIntegerOp>(conv)) {
    group = integer.getGroup();
    weightType = integer.getWeight().getType();
  } else if (auto floating = dyn_cast<r1::ConvOp>(conv)) {
    group = floating.getGroup();
    weightType = floating.getWeight().getType();
  } else {
    return false;
  }
  int64_t kGroup = dot == r1k::HostDot::dpbusd ? 4 : dot == r1k::HostDot::dpbf16 ? 2 : 0;
  if (!kGroup)
    return false;
  // vpdpbusd reads whole quads of one tap's channels (K runs tap-major);
  // vdpbf16ps pairs along K as the model lays it out.
  int64_t groupChannels = cast<RankedTensorType>(weightType).getDimSize(1);
  bool wholeGroups = dot == r1k::HostDot::dpbusd ? groupChannels % 4 == 0 : dims.k % 2 == 0;
  double lanes = double(llvm::alignTo(dims.n, 16)) / double(dims.n);
  return group == 1 && wholeGroups && dims.m % 16 == 0 && lanes > kTransposeLaneWaste;
}

r1k::HostGemmAttr chooseTransposedGemm(Operation *conv, const r1k::GemmDims &dims, r1k::HostDot dot,
                                       r1k::TargetAttr target, std::string &reason) {
  int64_t mr = 8, nr = 48;
  int64_t wanted = kHostTasksPerCore * std::max<int64_t>(1, target.getCores());
  int64_t batchCount = 1;
  for (int64_t dim : dims.batch)
    batchCount *= dim;
  int64_t panels = llvm::divideCeil(dims.m, nr);
  int64_t channelBlocks = std::clamp<int64_t>(llvm::divideCeil(wanted, batchCount), 1, panels);
  int64_t mc = llvm::alignTo(dims.n, mr);
  int64_t nc = llvm::divideCeil(panels, channelBlocks) * nr;
  int64_t kc = llvm::alignTo(dims.k, dot == r1k::HostDot::dpbusd ? 4 : 2);
  int64_t tasks = batchCount * llvm::divideCeil(dims.m, nc);
  reason = (llvm::Twine(batchCount) + " x " + llvm::Twine(dims.m) + "x" + llvm::Twine(dims.k) +
            "x" + llvm::Twine(dims.n) + ": transposed (" + llvm::Twine(dims.n) +
            " positions would fill " + llvm::Twine(llvm::alignTo(dims.n, 16)) +
            " lanes), 8 positions x 3 vectors of output channels with " +
            (dot == r1k::HostDot::dpbusd ? "vpdpbusd" : "vdpbf16ps") + ", " + llvm::Twine(tasks) +
            " tasks for " + llvm::Twine(target.getCores()) + " cores")
               .str();
  return r1k::HostGemmAttr::get(conv->getContext(), mr, nr, 16, kc, mc, nc, r1k::Packing::per_call,
                                /*packA=*/false, /*mInner=*/false, dot,
                                /*transposed=*/true);
}

} // namespace r1c
