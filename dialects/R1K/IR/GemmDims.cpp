//===- GemmDims.cpp - Matmul and convolution as GEMM dims -----------------===//
#include "dialects/R1K/IR/GemmDims.h"

using namespace mlir;

namespace mlir::r1k {

GemmDims getGemmDims(r1::MatMulOp op) {
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
  return dims;
}

GemmDims getGemmDims(r1::ConvOp op) {
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

} // namespace mlir::r1k
