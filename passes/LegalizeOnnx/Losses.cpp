//===- Losses.cpp - NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss ----===//
//
// Both losses pick each sample's class with gather_elements along the class
// axis, weigh it, and reduce; ignored samples weigh zero.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

Value sumAll(OnnxNode &node, Value x) {
  OpBuilder &b = node.getBuilder();
  return node.create<ReduceSumOp>(x, Value(), b.getDenseI64ArrayAttr({}), b.getBoolAttr(false),
                                  b.getBoolAttr(false));
}

/// The loss of log-probabilities `logProb` [N, C, d1, ...] at class indices
/// `target` [N, d1, ...], weighed per class by `weight` [C] when given.
FailureOr<Value> negativeLogLikelihood(OnnxNode &node, Value logProb, Value target,
                                       Value weight) {
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(logProb), index = getElementTypeOf(target);
  StringRef reduction = node.getString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return node.emitError() << "reduction must be none, sum or mean, not '" << reduction << "'",
           failure();

  // Ignored samples read class 0 and then weigh nothing.
  Value ignored;
  if (node.hasAttr("ignore_index")) {
    ignored = node.create<EqualOp>(target, node.scalar(index, node.getInt("ignore_index", 0)));
    target = node.create<WhereOp>(ignored, node.scalar(index, 0), target);
  }
  Value classes = node.create<UnsqueezeOp>(target, b.getDenseI64ArrayAttr({1}));
  Value picked = node.create<GatherElementsOp>(logProb, classes, b.getI64IntegerAttr(1));
  Value loss = node.create<NegOp>(
      node.create<SqueezeOp>(picked, b.getDenseI64ArrayAttr({1})));

  Value weights;
  if (weight)
    weights = node.create<GatherOp>(weight, target, b.getI64IntegerAttr(0));
  if (ignored)
    weights = node.create<WhereOp>(ignored, node.scalar(element, 0),
                                   weights ? weights : node.scalar(element, 1));
  if (weights)
    loss = node.create<MulOp>(loss, weights);

  if (reduction == "none")
    return loss;
  Value total = sumAll(node, loss);
  if (reduction == "sum")
    return total;
  if (!weights)
    return Value(node.create<ReduceMeanOp>(loss, Value(), b.getDenseI64ArrayAttr({}),
                                           b.getBoolAttr(false), b.getBoolAttr(false)));
  // The mean divides by the summed weights of the samples (ignored ones
  // weigh zero).
  Value weightSum = sumAll(node, weights);
  return Value(node.create<DivOp>(total, weightSum));
}

Result legalizeNegativeLogLikelihoodLoss(OnnxNode &node) {
  FailureOr<Value> input = node.requiredInput(0), target = node.requiredInput(1);
  if (failed(input) || failed(target))
    return failure();
  if (!getRankOf(*input) || !getRankOf(*target))
    return node.emitError() << "needs ranked inputs", failure();
  FailureOr<Value> loss = negativeLogLikelihood(node, *input, *target, node.input(2));
  if (failed(loss))
    return failure();
  return results(*loss);
}

/// The log-softmax over classes (axis 1), then the NLL loss of it.
Result legalizeSoftmaxCrossEntropyLoss(OnnxNode &node) {
  FailureOr<Value> scores = node.requiredInput(0), labels = node.requiredInput(1);
  if (failed(scores) || failed(labels))
    return failure();
  if (!getRankOf(*scores) || !getRankOf(*labels))
    return node.emitError() << "needs ranked inputs", failure();
  Value logProb = node.create<LogSoftmaxOp>(*scores, node.getBuilder().getI64IntegerAttr(1));
  FailureOr<Value> loss = negativeLogLikelihood(node, logProb, *labels, node.input(2));
  if (failed(loss))
    return failure();
  SmallVector<Value> outputs{*loss, logProb};
  outputs.resize(node.getNumOutputs());
  return outputs;
}

} // namespace

void mlir::r1::addLossOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"NegativeLogLikelihoodLoss", 12, legalizeNegativeLogLikelihoodLoss},
      {"SoftmaxCrossEntropyLoss", 12, legalizeSoftmaxCrossEntropyLoss},
  });
}
