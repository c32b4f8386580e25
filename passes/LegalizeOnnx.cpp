//===- LegalizeOnnx.cpp - Imported ONNX nodes to typed r1 ops -------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include <map>

namespace mlir::r1 {
#define GEN_PASS_DEF_LEGALIZEONNX
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Re-infers the result types of `op` from its (now folded) operands and
/// keeps whatever became more static.
void refineResultTypes(Operation *op) {
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  if (!infer)
    return;
  SmallVector<Type> inferred;
  if (failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                    op->getRawDictionaryAttrs(),
                                    op->getPropertiesStorage(), op->getRegions(),
                                    inferred)) ||
      inferred.size() != op->getNumResults())
    return;
  for (auto [result, type] : llvm::zip(op->getResults(), inferred))
    if (result.getType() != type && isRefinementOf(type, result.getType()))
      result.setType(type);
}

/// Drops MLIR's "'r1.x' op " prefix: the user knows the ONNX node, not r1.
std::string userFacingMessage(StringRef message) {
  if (message.starts_with("'r1.")) {
    size_t end = message.find("' op ");
    if (end != StringRef::npos)
      message = message.drop_front(end + 5);
  }
  // ODS constraint failures ("operand #1 must be ...") are about types.
  if (message.starts_with("operand #") || message.starts_with("result #"))
    return ("unsupported operand type: " + message).str();
  return message.str();
}

struct LegalizeOnnxPass : r1::impl::LegalizeOnnxBase<LegalizeOnnxPass> {
  void runOnOperation() override;
  LogicalResult legalizeNode(OnnxNodeOp nodeOp, OpBuilder &builder);
};

/// The legalization of `node`, or null when r1c has none for its domain,
/// op type and opset.
const OnnxPattern *findPattern(OnnxNodeOp node) {
  if (!node.getDomain().empty())
    return nullptr;
  return findDefaultDomainPattern(node.getOpType(), node.getOpset());
}

/// "GatherND (domain 'ai.onnx', opset 13)".
std::string describeOperator(OnnxNodeOp node) {
  return (node.getOpType() + " (domain '" +
          (node.getDomain().empty() ? StringRef("ai.onnx") : node.getDomain()) + "', opset " +
          Twine(node.getOpset()) + ")")
      .str();
}

/// The node's name as errors give it: its location's (unnamed nodes are
/// named there by op type and position), else its attribute.
StringRef nodeLabel(OnnxNodeOp node) {
  if (auto name = dyn_cast<NameLoc>(node.getLoc()))
    return name.getName().getValue();
  return node.getNodeName();
}

/// One error, at the first node r1c cannot legalize, that names every
/// unsupported operator of the function (how many nodes use each, and the
/// first of them), so that a model's gaps are known at once rather than
/// one compile at a time. Failure when there are any.
LogicalResult reportUnsupportedOperators(ArrayRef<OnnxNodeOp> nodes) {
  llvm::MapVector<std::string, std::pair<int64_t, OnnxNodeOp>, std::map<std::string, unsigned>>
      unsupported;
  for (OnnxNodeOp node : nodes)
    if (!findPattern(node)) {
      auto &[count, first] = unsupported[describeOperator(node)];
      if (count++ == 0)
        first = node;
    }
  if (unsupported.empty())
    return success();
  OnnxNodeOp first = unsupported.front().second.second;
  InFlightDiagnostic diag = emitError(first.getLoc())
                            << "unsupported operator " << unsupported.front().first;
  if (first.getDomain().empty() && findDefaultDomainPattern(first.getOpType(), INT64_MAX))
    diag << ": r1c supports it only from a later opset";
  auto where = [&](int64_t count, OnnxNodeOp node) {
    return count == 1
               ? ("at node '" + nodeLabel(node) + "'").str()
               : ("at " + Twine(count) + " nodes, the first '" + nodeLabel(node) + "'").str();
  };
  if (int64_t more = unsupported.front().second.first - 1)
    diag << ", here and at " << more << " more node" << (more == 1 ? "" : "s");
  if (unsupported.size() > 1) {
    diag << "; also unsupported:";
    StringRef separator = " ";
    for (const auto &[what, entry] : llvm::drop_begin(unsupported)) {
      diag << separator << what << " " << where(entry.first, entry.second);
      separator = ", ";
    }
  }
  return failure();
}

LogicalResult LegalizeOnnxPass::legalizeNode(OnnxNodeOp nodeOp, OpBuilder &builder) {
  OnnxNode node(nodeOp, builder);
  const OnnxPattern *pattern = findPattern(nodeOp);
  if (!pattern)
    return emitError(nodeOp.getLoc()) << "unsupported operator " << describeOperator(nodeOp);

  // Ops the pattern builds land between `before` and the node.
  Operation *before = nodeOp->getPrevNode();
  builder.setInsertionPoint(nodeOp);
  FailureOr<SmallVector<Value>> replacements = pattern->legalize(node);
  if (failed(replacements))
    return failure();

  Block *block = nodeOp->getBlock();
  auto first = before ? std::next(before->getIterator()) : block->begin();
  SmallVector<Operation *> created;
  for (auto it = first; &*it != nodeOp.getOperation(); ++it)
    created.push_back(&*it);

  for (Operation *op : created) {
    refineResultTypes(op);
    // Verifier messages are caught and re-emitted with the node's context.
    std::string message;
    LogicalResult verified = success();
    {
      ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error && message.empty())
          message = diag.str();
        return success();
      });
      verified = verify(op, /*verifyRecursively=*/false);
    }
    if (failed(verified))
      return node.emitError() << userFacingMessage(message);
    if (matchPattern(op, m_Constant()))
      continue;
    SmallVector<Value> folded;
    builder.setInsertionPoint(op);
    if (succeeded(builder.tryFold(op, folded)) && !folded.empty()) {
      for (auto [from, to] : llvm::zip(op->getResults(), folded))
        from.replaceAllUsesWith(to);
      // Replacements the pattern returned may have been this op's results.
      for (Value &value : *replacements)
        for (auto [from, to] : llvm::zip(op->getResults(), folded))
          if (value == from)
            value = to;
      op->erase();
    }
  }

  if (replacements->size() > nodeOp.getNumResults())
    return node.emitError() << "legalization produced too many results";
  for (auto [index, result] : llvm::enumerate(nodeOp.getResults())) {
    Value value = index < replacements->size() ? (*replacements)[index] : Value();
    if (!value) {
      if (!result.use_empty())
        return node.emitError() << "output #" << index << " is not supported";
      continue;
    }
    Type declared = result.getType();
    if (!isa<UnknownType>(declared)) {
      if (!areRefinableTypes(value.getType(), declared) &&
          !areRefinableTypes(declared, value.getType()))
        return node.emitError() << "output #" << index << " is declared as " << declared
                                << " but computes " << value.getType();
      // The file may know a dim that inference cannot derive.
      Operation *def = value.getDefiningOp();
      if (def && isa<InferTypeOpInterface>(def) && !matchPattern(def, m_Constant()) &&
          isRefinementOf(declared, value.getType()))
        value.setType(declared);
    }
    result.replaceAllUsesWith(value);
  }
  nodeOp.erase();
  return success();
}

void LegalizeOnnxPass::runOnOperation() {
  func::FuncOp func = getOperation();
  SmallVector<OnnxNodeOp> nodes;
  func.walk([&](OnnxNodeOp node) { nodes.push_back(node); });
  if (failed(reportUnsupportedOperators(nodes)))
    return signalPassFailure();
  OpBuilder builder(&getContext());
  for (OnnxNodeOp node : nodes)
    if (failed(legalizeNode(node, builder)))
      return signalPassFailure();
  // Outputs may have become more static than the file declared.
  Operation *terminator = func.getBody().front().getTerminator();
  func.setFunctionType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                         terminator->getOperandTypes()));
}

} // namespace
