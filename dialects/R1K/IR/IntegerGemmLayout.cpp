//===- IntegerGemmLayout.cpp - Integer contractions as packed GEMMs -------===//
#include "dialects/R1K/IR/IntegerGemmLayout.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::r1k;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

int64_t IntegerGemmDims::batchCount() const { return product(batch); }
int64_t IntegerGemmDims::aCount() const { return groups ? groups : product(aBatch); }
int64_t IntegerGemmDims::bCount() const { return groups ? batchCount() : product(bBatch); }

std::optional<IntegerGemmDims> mlir::r1k::getIntegerGemmDims(Operation *anchor) {
  IntegerGemmDims dims;
  if (auto matmul = dyn_cast<r1::MatMulIntegerOp>(anchor)) {
    auto a = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    auto b = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
    auto c = dyn_cast<RankedTensorType>(matmul.getType());
    if (!a || !b || !c || !a.hasStaticShape() || !b.hasStaticShape() || !c.hasStaticShape())
      return std::nullopt;
    dims.m = a.getDimSize(a.getRank() - 2);
    dims.k = a.getShape().back();
    dims.n = b.getShape().back();
    dims.aBatch.assign(a.getShape().begin(), a.getShape().end() - 2);
    dims.bBatch.assign(b.getShape().begin(), b.getShape().end() - 2);
    dims.batch.assign(c.getShape().begin(), c.getShape().end() - 2);
    return dims;
  }
  auto conv = dyn_cast<r1::ConvIntegerOp>(anchor);
  if (!conv)
    return std::nullopt;
  auto x = dyn_cast<RankedTensorType>(conv.getInput().getType());
  auto w = dyn_cast<RankedTensorType>(conv.getWeight().getType());
  auto y = dyn_cast<RankedTensorType>(conv.getType());
  if (!x || !w || !y || !x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape())
    return std::nullopt;
  dims.groups = conv.getGroup();
  dims.m = w.getDimSize(0) / dims.groups;
  dims.k = product(w.getShape().drop_front(1));
  dims.n = product(y.getShape().drop_front(2));
  dims.batch = {y.getDimSize(0), dims.groups};
  return dims;
}

IntegerGemmScratch mlir::r1k::getIntegerGemmScratch(const IntegerGemmDims &dims,
                                                    HostIntegerGemmAttr variant) {
  IntegerGemmScratch scratch;
  scratch.panels = llvm::divideCeil(dims.n, variant.getNr());
  scratch.aBytes = llvm::alignTo(dims.aCount() * dims.m * dims.kPairs() * 4, 64);
  scratch.bOffset = scratch.aBytes;
  int64_t bBytes = dims.bCount() * scratch.panels * dims.kPairs() * variant.getNr() * 4;
  scratch.bytes = scratch.bOffset + llvm::alignTo(bBytes, 64);
  return scratch;
}

/// The constant `value` is: one in the kernel's body, or a kernel input
/// that a top-level constant (through no view) defines.
static ElementsAttr constantOf(KernelOp kernel, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner()->getParentOp() != kernel.getOperation())
      return {};
    value = kernel.getInputs()[arg.getArgNumber()];
  }
  auto constant = value.getDefiningOp<r1::ConstantOp>();
  return constant ? constant.getValue() : ElementsAttr();
}

std::optional<QuantizedWeight> mlir::r1k::getQuantizedWeight(KernelOp kernel, Operation *anchor,
                                                             std::string &why) {
  QuantizedWeight weight;
  bool conv = isa<r1::ConvIntegerOp>(anchor);
  Value activationZero = anchor->getOperand(2);
  Value weightZero = anchor->getOperand(3);
  // The activation is read in place (matmul) or gathered (convolution)
  // from a kernel input.
  if (!isa<BlockArgument>(anchor->getOperand(0))) {
    why = "the activation is not a kernel input";
    return std::nullopt;
  }
  weight.value = constantOf(kernel, anchor->getOperand(1));
  if (!weight.value) {
    why = "the weight is not a constant";
    return std::nullopt;
  }
  auto weightType = cast<RankedTensorType>(anchor->getOperand(1).getType());
  if (!conv && weightType.getRank() != 2) {
    why = "the weight is not one matrix";
    return std::nullopt;
  }
  ElementsAttr az = constantOf(kernel, activationZero), wz = constantOf(kernel, weightZero);
  if (!az || !wz) {
    why = "a zero point is not a constant";
    return std::nullopt;
  }
  if (az.getNumElements() != 1) {
    why = "the activation has a zero point per row";
    return std::nullopt;
  }
  // One weight zero point per output column (channel): a 1-D or [1, N]
  // one for a matmul, a 1-D one for a convolution.
  int64_t outputs = weightType.getDimSize(conv ? 0 : 1);
  auto wzType = cast<ShapedType>(wz.getType());
  bool perOutput =
      wz.getNumElements() == outputs && (wzType.getRank() == 1 || (!conv && wzType.getRank() == 2));
  if (wz.getNumElements() != 1 && !perOutput) {
    why = "the weight's zero points are not one per output";
    return std::nullopt;
  }
  weight.activationSigned =
      !getElementTypeOrSelf(anchor->getOperand(0).getType()).isUnsignedInteger();
  weight.weightSigned = !weightType.getElementType().isUnsignedInteger();
  weight.activationZero = weight.activationSigned
                              ? (*az.value_begin<APInt>()).getSExtValue()
                              : int64_t((*az.value_begin<APInt>()).getZExtValue());
  for (APInt zero : wz.getValues<APInt>())
    weight.weightZeros.push_back(weight.weightSigned ? zero.getSExtValue()
                                                     : int64_t(zero.getZExtValue()));
  return weight;
}
