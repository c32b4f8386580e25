//===- LegalizeOnnx.cpp - Imported ONNX nodes to typed r1 ops -------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

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

LogicalResult LegalizeOnnxPass::legalizeNode(OnnxNodeOp nodeOp, OpBuilder &builder) {
  OnnxNode node(nodeOp, builder);
  bool defaultDomain = nodeOp.getDomain().empty();
  const OnnxPattern *pattern =
      defaultDomain ? findDefaultDomainPattern(node.getOpType(), node.getOpset()) : nullptr;
  if (!pattern) {
    InFlightDiagnostic diag = emitError(nodeOp.getLoc())
                              << "unsupported operator " << node.getOpType() << " (domain '"
                              << (defaultDomain ? "ai.onnx" : nodeOp.getDomain())
                              << "', opset " << node.getOpset() << ")";
    if (defaultDomain && findDefaultDomainPattern(node.getOpType(), INT64_MAX))
      diag << ": r1c supports it only from a later opset";
    return diag;
  }

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
