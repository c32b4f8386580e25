//===- FoldWeightTransposes.cpp - Constant weights transposed once --------===//
//
// The transposed bytes are computed with an odometer over the result's
// indices, so each element costs an add and a copy: GPT-2's 38.6M-element
// head takes a fraction of a second, once, instead of on every run.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantBytes.h"
#include "passes/Passes.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_FOLDWEIGHTTRANSPOSES
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

struct FoldTransposeOfConstant : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp transpose, PatternRewriter &rewriter) const override {
    auto constant = transpose.getInput().getDefiningOp<ConstantOp>();
    // A reshape between keeps the bytes in order: the transpose reads them
    // with the reshaped dims (X x W^T with W's directions folded into its
    // rows, as recurrent ops project their inputs).
    auto reshape = transpose.getInput().getDefiningOp<ReshapeOp>();
    if (!constant && reshape)
      constant = reshape.getInput().getDefiningOp<ConstantOp>();
    auto input = dyn_cast<RankedTensorType>(transpose.getInput().getType());
    auto result = dyn_cast<RankedTensorType>(transpose.getType());
    if (!constant || !input || !result || !input.hasStaticShape() || !result.hasStaticShape())
      return failure();
    Type element = input.getElementType();
    if (!element.isIntOrFloat() || element.isInteger(1) || element.getIntOrFloatBitWidth() % 8)
      return failure();
    size_t elementSize = element.getIntOrFloatBitWidth() / 8;
    // A weight stays out of line, named after the original and the perm, so
    // shape buckets keep one transposed copy; a literal stays a literal.
    auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
    std::string name;
    if (resource) {
      name = resource.getRawHandle().getKey().str();
      if (reshape) {
        name += ".reshaped";
        for (int64_t dim : input.getShape())
          name += "_" + std::to_string(dim);
      }
      name += ".transposed";
      for (int64_t p : transpose.getPerm())
        name += "_" + std::to_string(p);
    }
    std::optional<ArrayRef<char>> bytes = getConstantBytes(constant.getValue());
    if (!bytes || bytes->size() != size_t(input.getNumElements()) * elementSize)
      return failure();
    ElementsAttr value = makeConstant(getContext(), result, resource != nullptr, name, [&] {
      return permuteBytes(*bytes, input.getShape(), transpose.getPerm(),
                          SmallVector<bool>(input.getRank(), false), elementSize);
    });
    rewriter.replaceOpWithNewOp<ConstantOp>(transpose, result, value);
    return success();
  }
};

struct FoldWeightTransposesPass : r1::impl::FoldWeightTransposesBase<FoldWeightTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldTransposeOfConstant>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
