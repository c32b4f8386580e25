//===- HostIntegerGemm.cpp - Variants of integer GEMMs on the host --------===//
#include "passes/HostIntegerGemm.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

/// Tasks per core a kernel should give the thread pool, so that blocks of
/// uneven cost still balance.
constexpr int64_t kTasksPerCore = 4;

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

r1k::HostIntegerGemmAttr chooseHostIntegerGemm(Operation *anchor, r1k::TargetAttr target,
                                               std::string &reason) {
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
  int64_t wanted = kTasksPerCore * std::max<int64_t>(1, target.getCores());
  int64_t rowBlocks = std::clamp<int64_t>(llvm::divideCeil(wanted, std::max<int64_t>(tasks, 1)), 1,
                                          std::max<int64_t>(1, dims.m / (4 * mr)));
  int64_t mc = llvm::alignTo(llvm::divideCeil(dims.m, rowBlocks), mr);
  reason =
      (llvm::Twine(dims.batchCount()) + " x " + llvm::Twine(dims.m) + "x" + llvm::Twine(dims.k) +
       "x" + llvm::Twine(dims.n) + ": " + llvm::Twine(lanes) + " i32 lanes, " + llvm::Twine(mr) +
       " x " + llvm::Twine(vectors) + " accumulators of " + llvm::Twine(registers) +
       " registers, " + llvm::Twine(tasks * llvm::divideCeil(dims.m, mc)) + " tasks for " +
       llvm::Twine(target.getCores()) + " cores")
          .str();
  return r1k::HostIntegerGemmAttr::get(anchor->getContext(), lanes, mr, vectors, mc);
}

} // namespace r1c
