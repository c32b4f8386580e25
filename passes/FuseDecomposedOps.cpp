//===- FuseDecomposedOps.cpp - Fused r1 ops for chains exporters spell out ===//
//
// The layer normalization chain, as PyTorch exports it:
//
//   mean = reduce_mean(x)         over the trailing dims, keepdims
//   d    = sub(x, mean)
//   sq   = pow(d, 2)              or mul(d, d)
//   var  = reduce_mean(sq)        the same dims
//   s    = sqrt(add(var, eps))    eps a constant scalar
//   n    = div(d, s)
//   y    = add(mul(n, scale), bias)   the add optional
//
// is matched from its last op backwards. Each value inside it must be read
// by the chain alone: a graph that also reads the mean (or anything else
// in the middle) keeps the chain as it is.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_FUSEDECOMPOSEDOPS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// The value of a constant float tensor whose elements are all equal (a
/// scalar, or a splat of any shape), if `value` is one.
std::optional<double> splatFloat(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// The operand of commutative `op` other than `known`, or null when neither
/// operand is `known`.
Value otherOperand(Operation *op, Value known) {
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return nullptr;
}

/// The first normalized dim of a keepdims mean over trailing dims of a
/// static-rank input: axes {k, ..., rank - 1} in any order and spelling.
std::optional<int64_t> trailingMeanAxis(ReduceMeanOp mean) {
  auto type = dyn_cast<RankedTensorType>(mean.getInput().getType());
  if (!type || mean.getComputedAxes() || !mean.getKeepdims() || mean.getAxes().empty())
    return std::nullopt;
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  for (int64_t axis : mean.getAxes()) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return std::nullopt;
    axes.push_back(*normalized);
  }
  llvm::sort(axes);
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis != rank - int64_t(axes.size()) + int64_t(i))
      return std::nullopt;
  return axes.front();
}

/// Whether `value` has the normalized dims' shape exactly: a scale or bias
/// that layer_norm broadcasts the way the chain's mul and add did.
bool hasNormalizedShape(Value value, RankedTensorType input, int64_t axis) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType() == input.getElementType() &&
         type.getShape() == input.getShape().drop_front(axis);
}

struct FuseLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rewriter) const override {
    // n = d / sqrt(var + eps)
    auto sub = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sub || !sqrt)
      return failure();
    Value x = sub.getLhs(), d = sub.getResult();
    auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
    if (!mean || mean.getInput() != x)
      return failure();
    std::optional<int64_t> axis = trailingMeanAxis(mean);
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!axis || !type || !isa<FloatType>(type.getElementType()) || div.getType() != type ||
        d.getType() != type)
      return failure();
    auto addEps = sqrt.getInput().getDefiningOp<AddOp>();
    if (!addEps)
      return failure();
    auto variance = addEps.getLhs().getDefiningOp<ReduceMeanOp>();
    if (!variance)
      variance = addEps.getRhs().getDefiningOp<ReduceMeanOp>();
    if (!variance || trailingMeanAxis(variance) != axis)
      return failure();
    std::optional<double> epsilon = splatFloat(otherOperand(addEps, variance.getResult()));
    if (!epsilon)
      return failure();
    // The square: pow(d, 2) or mul(d, d).
    Operation *square = variance.getInput().getDefiningOp();
    if (!square)
      return failure();
    bool isSquare = false;
    if (auto pow = dyn_cast<PowOp>(square))
      isSquare = pow.getLhs() == d && splatFloat(pow.getRhs()) == 2.0;
    else if (auto mul = dyn_cast<MulOp>(square))
      isSquare = mul.getLhs() == d && mul.getRhs() == d;
    if (!isSquare || square->getResult(0).getType() != type)
      return failure();

    // scale, then an optional bias.
    if (!div->hasOneUse())
      return failure();
    auto scaleMul = dyn_cast<MulOp>(*div->getUsers().begin());
    if (!scaleMul)
      return failure();
    Value scale = otherOperand(scaleMul, div.getResult());
    if (!scale || !hasNormalizedShape(scale, type, *axis) || scaleMul.getType() != type)
      return failure();
    Operation *last = scaleMul;
    Value bias;
    if (scaleMul->hasOneUse())
      if (auto biasAdd = dyn_cast<AddOp>(*scaleMul->getUsers().begin())) {
        Value candidate = otherOperand(biasAdd, scaleMul.getResult());
        if (candidate && hasNormalizedShape(candidate, type, *axis) && biasAdd.getType() == type) {
          bias = candidate;
          last = biasAdd;
        }
      }

    // Nothing outside the chain may read a value inside it: d feeds the
    // square and the division (twice the square when it is mul(d, d)).
    unsigned squareUses = isa<MulOp>(square) ? 2 : 1;
    if (!mean->hasOneUse() || !variance->hasOneUse() || !addEps->hasOneUse() ||
        !sqrt->hasOneUse() || !square->hasOneUse() ||
        size_t(std::distance(d.use_begin(), d.use_end())) != squareUses + 1)
      return failure();

    SmallVector<Location> locations;
    for (Operation *op : {mean.getOperation(), sub.getOperation(), square, variance.getOperation(),
                          addEps.getOperation(), sqrt.getOperation(), div.getOperation(),
                          scaleMul.getOperation(), last})
      locations.push_back(op->getLoc());
    auto fused = rewriter.create<LayerNormOp>(rewriter.getFusedLoc(locations), type, x, scale, bias,
                                              rewriter.getI64IntegerAttr(*axis),
                                              rewriter.getF32FloatAttr(float(*epsilon)));
    rewriter.replaceOp(last, fused.getResult());
    return success();
  }
};

struct FuseDecomposedOpsPass : r1::impl::FuseDecomposedOpsBase<FuseDecomposedOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseLayerNorm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
