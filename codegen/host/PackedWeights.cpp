//===- PackedWeights.cpp - Weights the host code reads packed -------------===//
#include "codegen/host/PackedWeights.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir;

namespace r1c {

std::optional<unsigned> packedWeightInput(r1k::KernelOp kernel, StringRef variantKey) {
  auto variant = r1k::getVariant<r1k::HostGemmAttr>(kernel, variantKey);
  if (!variant)
    return std::nullopt;
  // With vpdpbusd a convolution's 8-bit weight is always read packed, in
  // rows of whole k-quads; a matmul's B as the variant says.
  if (variant.getDot() == r1k::HostDot::dpbusd) {
    for (Operation &op : kernel.getBody().front())
      if (isa<r1::ConvIntegerOp>(op) ||
          (isa<r1::MatMulIntegerOp>(op) && variant.getPackB() == r1k::Packing::compile_time))
        if (auto arg = dyn_cast<BlockArgument>(op.getOperand(1)))
          return arg.getArgNumber();
    return std::nullopt;
  }
  // A transposed float convolution reads its weight as panels of output
  // channels, packed when compiling.
  if (variant.getTransposed()) {
    for (auto conv : kernel.getBody().front().getOps<r1::ConvOp>())
      if (auto arg = dyn_cast<BlockArgument>(conv.getWeight()))
        return arg.getArgNumber();
    return std::nullopt;
  }
  if (variant.getPackB() != r1k::Packing::compile_time)
    return std::nullopt;
  for (auto matmul : kernel.getBody().front().getOps<r1::MatMulOp>())
    if (auto arg = dyn_cast<BlockArgument>(matmul.getRhs()))
      return arg.getArgNumber();
  return std::nullopt;
}

bool isReadOnlyPacked(r1::ConstantOp constant, ArrayRef<std::string> variantKeys) {
  if (variantKeys.empty())
    return false;
  SmallVector<Value> values{constant.getResult()};
  while (!values.empty()) {
    Value value = values.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (r1::isView(user)) {
        values.push_back(user->getResult(0));
        continue;
      }
      auto kernel = dyn_cast<r1k::KernelOp>(user);
      if (!kernel)
        return false;
      // An input's index among the kernel's inputs, as the entry points
      // number them.
      unsigned input = use.getOperandNumber() - kernel.getInputs().getBeginOperandIndex();
      for (const std::string &key : variantKeys)
        if (packedWeightInput(kernel, key) != input)
          return false;
    }
  }
  return true;
}

} // namespace r1c
