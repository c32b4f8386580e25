//===- GemmDims.cpp - Matmul and convolution as GEMM dims -----------------===//
#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"
#include "dialects/R1K/IR/RecurrenceLayout.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace mlir::r1k {

namespace {

template <typename MatMulLike> GemmDims matmulDims(MatMulLike op) {
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bType = cast<RankedTensorType>(op.getRhs().getType());
  auto c = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t> aShape(a.getShape()), bShape(bType.getShape());
  if (aShape.size() == 1)
    aShape.insert(aShape.begin(), 1);
  if (bShape.size() == 1)
    bShape.push_back(1);
  GemmDims dims;
  dims.m = aShape[aShape.size() - 2];
  dims.k = aShape.back();
  dims.n = bShape.back();
  dims.aBatch.assign(aShape.begin(), aShape.end() - 2);
  dims.bBatch.assign(bShape.begin(), bShape.end() - 2);
  dims.batch.assign(c.getShape().begin(),
                    c.getShape().begin() + std::max(dims.aBatch.size(), dims.bBatch.size()));
  if (a.getRank() >= 2)
    dims.rowDims.push_back(dims.m);
  if (dims.bBatch.empty() && !dims.aBatch.empty()) {
    dims.rowDims.insert(dims.rowDims.begin(), dims.aBatch.begin(), dims.aBatch.end());
    for (int64_t dim : dims.aBatch)
      dims.m *= dim;
    dims.aBatch.clear();
    dims.batch.clear();
  }
  return dims;
}

template <typename ConvLike> GemmDims convDims(ConvLike op) {
  auto input = cast<RankedTensorType>(op.getInput().getType());
  auto weight = cast<RankedTensorType>(op.getWeight().getType());
  auto result = cast<RankedTensorType>(op.getType());
  int64_t group = op.getGroup();
  GemmDims dims;
  dims.m = weight.getDimSize(0) / group;
  dims.k = weight.getNumElements() / weight.getDimSize(0);
  dims.n = result.getNumElements() / (result.getDimSize(0) * result.getDimSize(1));
  dims.batch = {input.getDimSize(0), group};
  return dims;
}

} // namespace

GemmDims getGemmDims(r1::MatMulOp op) { return matmulDims(op); }
GemmDims getGemmDims(r1::MatMulIntegerOp op) { return matmulDims(op); }
GemmDims getGemmDims(r1::ConvOp op) { return convDims(op); }
GemmDims getGemmDims(r1::ConvIntegerOp op) { return convDims(op); }

GemmDims getGemmDims(Operation *anchor) {
  if (auto matmul = dyn_cast<r1::MatMulOp>(anchor))
    return getGemmDims(matmul);
  if (auto matmul = dyn_cast<r1::MatMulIntegerOp>(anchor))
    return getGemmDims(matmul);
  if (auto conv = dyn_cast<r1::ConvIntegerOp>(anchor))
    return getGemmDims(conv);
  return getGemmDims(cast<r1::ConvOp>(anchor));
}

std::optional<GpuGemmShape> getGpuGemmShape(Operation *anchor) {
  if (!isa_and_nonnull<r1::MatMulOp, r1::ConvOp>(anchor))
    return std::nullopt;
  auto isStatic = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.hasStaticShape();
  };
  if (!llvm::all_of(anchor->getOperandTypes(), isStatic) ||
      !llvm::all_of(anchor->getResultTypes(), isStatic))
    return std::nullopt;
  GpuGemmShape shape;
  shape.element = getElementTypeOrSelf(anchor->getOperand(0).getType());
  shape.result = getElementTypeOrSelf(anchor->getResult(0).getType());
  if (auto matmul = dyn_cast<r1::MatMulOp>(anchor)) {
    GemmDims dims = getGemmDims(matmul);
    for (int64_t dim : dims.batch)
      shape.batch *= dim;
    shape.m = dims.m, shape.n = dims.n, shape.k = dims.k;
    return shape;
  }
  auto conv = cast<r1::ConvOp>(anchor);
  auto input = cast<RankedTensorType>(conv.getInput().getType());
  if (input.getRank() < 3 || input.getDimSize(1) / conv.getGroup() == 1)
    return std::nullopt;
  auto weight = cast<RankedTensorType>(conv.getWeight().getType());
  auto result = cast<RankedTensorType>(conv.getType());
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t size = 1;
    for (int64_t dim : dims)
      size *= dim;
    return size;
  };
  int64_t group = conv.getGroup();
  shape.batch = group;
  shape.m = weight.getDimSize(0) / group;
  shape.n = input.getDimSize(0) * product(result.getShape().drop_front(2));
  shape.k = input.getDimSize(1) / group * product(weight.getShape().drop_front(2));
  return shape;
}

int64_t getPanelRows(int64_t k, HostGemmAttr variant) {
  switch (variant.getDot()) {
  case HostDot::dpbf16:
    return (k + 1) / 2 * 2;
  case HostDot::dpbusd:
    return (k + 3) / 4 * 4;
  case HostDot::fma:
    break;
  }
  return k;
}

int64_t getPerCallPanelElements(const GemmDims &dims, HostGemmAttr variant) {
  int64_t batch = 1;
  for (int64_t dim : dims.batch)
    batch *= dim;
  int64_t panels = (dims.n + variant.getNr() - 1) / variant.getNr();
  return batch * panels * getPanelRows(dims.k, variant) * variant.getNr();
}

int64_t getAnchorStagingBytes(KernelOp kernel) {
  Operation *anchor = nullptr;
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (!r1::isElementwise(&op) && !isa<r1::ConstantOp>(op)) {
      anchor = &op;
      break;
    }
  if (!anchor || anchor->getNumResults() != 1 || kernel.getNumResults() != 1)
    return 0;
  auto produced = dyn_cast<RankedTensorType>(anchor->getResult(0).getType());
  auto result = dyn_cast<RankedTensorType>(kernel.getResult(0).getType());
  if (!produced || !result || !produced.hasStaticShape() ||
      produced.getElementType() == result.getElementType())
    return 0;
  int64_t elementBytes = std::max<int64_t>(1, (produced.getElementTypeBitWidth() + 7) / 8);
  return llvm::alignTo(produced.getNumElements() * elementBytes, 64);
}

NmsScratchLayout getNmsScratchLayout(r1::NonMaxSuppressionOp op) {
  auto boxes = cast<RankedTensorType>(op.getBoxes().getType());
  auto scores = cast<RankedTensorType>(op.getScores().getType());
  return {boxes.getDimSize(0), scores.getDimSize(1), boxes.getDimSize(1)};
}

int64_t getScratchBytes(KernelOp kernel) {
  int64_t staging = getAnchorStagingBytes(kernel);
  for (Operation &op : kernel.getBody().front()) {
    // GPU code leaves the dims of its result there for the runtime.
    if (auto keep = dyn_cast<r1::KeepLeadingOp>(op))
      return staging + 8 * std::max<int64_t>(1, cast<RankedTensorType>(keep.getType()).getRank());
    if (auto nms = dyn_cast<r1::NonMaxSuppressionOp>(op)) {
      auto boxes = dyn_cast<RankedTensorType>(nms.getBoxes().getType());
      auto scores = dyn_cast<RankedTensorType>(nms.getScores().getType());
      if (!boxes || !scores || !boxes.hasStaticShape() || !scores.hasStaticShape())
        return staging;
      return staging + getNmsScratchLayout(nms).bytes();
    }
    if (auto recurrence = dyn_cast<r1::RecurrenceOp>(op)) {
      auto inputs = dyn_cast<RankedTensorType>(recurrence.getInputs().getType());
      if (!inputs || !inputs.hasStaticShape() || ShapedType::isDynamic(recurrence.getHiddenSize()))
        return staging;
      return staging + getRecurrenceLayout(recurrence).bytes();
    }
  }
  DictionaryAttr variants = kernel.getVariantsAttr();
  if (!variants)
    return staging;
  // An integer GEMM packs both operands (host_integer_gemm), or with
  // vpdpbusd a convolution's im2col panels of bytes, per the largest of
  // its variants.
  for (Operation &op : kernel.getBody().front()) {
    if (!isa<r1::MatMulIntegerOp, r1::ConvIntegerOp>(op))
      continue;
    std::optional<IntegerGemmDims> dims = getIntegerGemmDims(&op);
    int64_t bytes = 0;
    for (NamedAttribute entry : variants) {
      if (auto gemm = dyn_cast<HostIntegerGemmAttr>(entry.getValue()); gemm && dims)
        bytes = std::max(bytes, getIntegerGemmScratch(*dims, gemm).bytes);
      if (auto gemm = dyn_cast<HostGemmAttr>(entry.getValue());
          gemm && dims && gemm.getPackB() == Packing::per_call)
        bytes = std::max(bytes, getPerCallPanelElements(getGemmDims(&op), gemm));
    }
    return staging + bytes;
  }
  Operation *anchor = nullptr;
  for (Operation &op : kernel.getBody().front())
    if (isa<r1::MatMulOp, r1::ConvOp>(op))
      anchor = &op;
  if (!anchor)
    return staging;
  GemmDims dims = isa<r1::ConvOp>(anchor) ? getGemmDims(cast<r1::ConvOp>(anchor))
                                          : getGemmDims(cast<r1::MatMulOp>(anchor));
  // Panels hold B's elements: the operands' type (a widening product's
  // result is f32).
  int64_t elementBytes = std::max<int64_t>(
      1, getElementTypeOrSelf(anchor->getOperand(0).getType()).getIntOrFloatBitWidth() / 8);
  int64_t bytes = 0;
  for (NamedAttribute entry : variants) {
    auto gemm = dyn_cast<HostGemmAttr>(entry.getValue());
    if (gemm && gemm.getPackB() == Packing::per_call)
      bytes = std::max(bytes, getPerCallPanelElements(dims, gemm) * elementBytes);
    // A GPU product split along K keeps each slice's f32 partial product.
    auto gpuGemm = dyn_cast<GpuGemmAttr>(entry.getValue());
    if (gpuGemm && gpuGemm.getSplitK() > 1)
      if (std::optional<GpuGemmShape> shape = getGpuGemmShape(anchor))
        bytes = std::max(bytes, gpuGemm.getSplitK() * shape->batch * shape->m * shape->n *
                                    int64_t(sizeof(float)));
  }
  return staging + bytes;
}

} // namespace mlir::r1k
