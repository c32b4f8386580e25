//===- ControlFlow.cpp - ONNX If ------------------------------------------===//
//
// r1 graphs have no control flow: every op runs once, on host and GPU alike.
// So subgraphs are inlined where the node was. An If whose condition folds
// keeps the branch it takes; otherwise both branches run (they have no side
// effects) and r1.where picks.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

Result legalizeIf(OnnxNode &node) {
  FailureOr<Value> cond = node.requiredInput(0);
  FailureOr<Region *> thenBranch = node.requiredSubgraph("then_branch");
  FailureOr<Region *> elseBranch = node.requiredSubgraph("else_branch");
  if (failed(cond) || failed(thenBranch) || failed(elseBranch))
    return failure();
  // A known condition (often a shape test) keeps one branch; the other may
  // not even be valid for these shapes, so it is never legalized.
  if (std::optional<double> known = node.constantScalar(0))
    return node.inlineSubgraph(*known != 0 ? **thenBranch : **elseBranch, {});

  Result thenValues = node.inlineSubgraph(**thenBranch, {});
  if (failed(thenValues))
    return failure();
  Result elseValues = node.inlineSubgraph(**elseBranch, {});
  if (failed(elseValues))
    return failure();
  if (thenValues->size() != elseValues->size())
    return node.emitError() << "then_branch has " << thenValues->size()
                            << " outputs but else_branch has " << elseValues->size(),
           failure();
  for (auto [index, values] : llvm::enumerate(llvm::zip(*thenValues, *elseValues))) {
    auto [onTrue, onFalse] = values;
    if (onTrue.getType() != onFalse.getType())
      return node.emitError() << "the condition is computed from data, so r1c computes both "
                                 "branches and selects, which needs outputs of one type; "
                                 "output #"
                              << index << " is " << onTrue.getType() << " in then_branch but "
                              << onFalse.getType() << " in else_branch",
             failure();
  }
  // The condition holds one element, of any rank; as a scalar it broadcasts.
  Value flag = *cond;
  if (auto shape = getShapeOf(flag); !shape || !shape->empty())
    flag = node.create<ReshapeOp>(flag, node.i64Vector({}), node.getBuilder().getBoolAttr(false));
  SmallVector<Value> selected;
  for (auto [onTrue, onFalse] : llvm::zip(*thenValues, *elseValues))
    selected.push_back(onTrue == onFalse ? onTrue
                                         : Value(node.create<WhereOp>(flag, onTrue, onFalse)));
  return selected;
}

} // namespace

void mlir::r1::addControlFlow(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"If", 1, legalizeIf},
  });
}
