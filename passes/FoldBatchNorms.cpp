//===- FoldBatchNorms.cpp - Batch norms into the convolutions before them --===//
//
// In inference a batch norm is an affine map per channel, so after a
// convolution it folds into the convolution's weights and bias:
//
//   s = scale / sqrt(var + epsilon)
//   W'[f] = W[f] * s[f]          b'[f] = (b[f] - mean[f]) * s[f] + bias[f]
//
// computed in double and rounded once to f32. The convolution then writes
// the normalized result directly, instead of a kernel that reads and writes
// the whole activation again.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantBytes.h"
#include "passes/Passes.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <cstring>

namespace mlir::r1 {
#define GEN_PASS_DEF_FOLDBATCHNORMS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// The f32 elements of a constant (splats expanded to `count`), or nullopt.
std::optional<std::vector<float>> floatsOf(Value value, int64_t count) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant || !getElementTypeOrSelf(value.getType()).isF32())
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (dense && dense.isSplat())
    return std::vector<float>(count, dense.getSplatValue<float>());
  std::optional<ArrayRef<char>> bytes = getConstantBytes(constant.getValue());
  if (!bytes || bytes->size() != size_t(count) * sizeof(float))
    return std::nullopt;
  std::vector<float> floats(count);
  std::memcpy(floats.data(), bytes->data(), bytes->size());
  return floats;
}

/// Bytes of `floats`, for makeConstant.
std::vector<char> bytesOf(const std::vector<float> &floats) {
  std::vector<char> bytes(floats.size() * sizeof(float));
  std::memcpy(bytes.data(), floats.data(), bytes.size());
  return bytes;
}

/// The name a folded weight gets: the original's, so buckets share it.
std::string foldedName(Value value, StringRef suffix) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(value.getDefiningOp<ConstantOp>().getValue());
  return resource ? (resource.getRawHandle().getKey() + suffix).str() : std::string();
}

struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp norm, PatternRewriter &rewriter) const override {
    auto conv = norm.getInput().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse())
      return failure();
    auto weightType = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (!weightType || !weightType.hasStaticShape() || !weightType.getElementType().isF32())
      return failure();
    int64_t filters = weightType.getDimSize(0);
    int64_t perFilter = weightType.getNumElements() / std::max<int64_t>(filters, 1);
    std::optional<std::vector<float>> weight = floatsOf(conv.getWeight(), weightType.getNumElements());
    std::optional<std::vector<float>> scale = floatsOf(norm.getScale(), filters);
    std::optional<std::vector<float>> shift = floatsOf(norm.getBias(), filters);
    std::optional<std::vector<float>> mean = floatsOf(norm.getMean(), filters);
    std::optional<std::vector<float>> variance = floatsOf(norm.getVariance(), filters);
    std::optional<std::vector<float>> bias =
        conv.getBias() ? floatsOf(conv.getBias(), filters) : std::vector<float>(filters, 0.0f);
    if (!weight || !scale || !shift || !mean || !variance || !bias)
      return failure();

    std::vector<float> newWeight(weight->size()), newBias(filters);
    double epsilon = norm.getEpsilon().convertToFloat();
    for (int64_t f = 0; f < filters; ++f) {
      double s = double((*scale)[f]) / std::sqrt(double((*variance)[f]) + epsilon);
      for (int64_t i = 0; i < perFilter; ++i)
        newWeight[f * perFilter + i] = float(double((*weight)[f * perFilter + i]) * s);
      newBias[f] = float((double((*bias)[f]) - (*mean)[f]) * s + (*shift)[f]);
    }
    std::string weightName = foldedName(conv.getWeight(), ".batch_norm_folded");
    ElementsAttr weightValue = makeConstant(getContext(), weightType, !weightName.empty(),
                                            weightName, [&] { return bytesOf(newWeight); });
    auto biasType = RankedTensorType::get({filters}, weightType.getElementType());
    // Biases are small: literals.
    ElementsAttr biasValue =
        makeConstant(getContext(), biasType, /*outOfLine=*/false, "", [&] { return bytesOf(newBias); });
    rewriter.setInsertionPoint(conv);
    Value newWeightValue = rewriter.create<ConstantOp>(conv.getLoc(), weightType, weightValue);
    Value newBiasValue = rewriter.create<ConstantOp>(norm.getLoc(), biasType, biasValue);
    // The folded convolution answers for both ONNX nodes in diagnostics.
    auto loc = rewriter.getFusedLoc({conv.getLoc(), norm.getLoc()});
    auto folded = rewriter.create<ConvOp>(loc, norm.getType(), conv.getInput(), newWeightValue,
                                          newBiasValue, conv.getStridesAttr(), conv.getPadsAttr(),
                                          conv.getDilationsAttr(), conv.getGroupAttr());
    rewriter.replaceOp(norm, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FoldBatchNormsPass : r1::impl::FoldBatchNormsBase<FoldBatchNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNormIntoConv>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
