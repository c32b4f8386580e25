//===- LegalizeOnnx.cpp - Imported ONNX nodes to typed r1 ops -------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/ScopeExit.h"

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

/// Legalizes one node at a time, and the copies of subgraph nodes that
/// control-flow patterns ask for.
class NodeLegalizer : public SubgraphInliner {
public:
  explicit NodeLegalizer(MLIRContext &context) : context(context) {}

  /// Replaces `nodeOp` with r1 ops; returns the values that replaced its
  /// outputs (null for outputs nothing read).
  FailureOr<SmallVector<Value>> legalizeNode(OnnxNodeOp nodeOp, OpBuilder &builder);

  FailureOr<SmallVector<Value>> inlineSubgraph(Region &body, ValueRange arguments,
                                               OpBuilder &builder) override;

private:
  MLIRContext &context;
};

struct LegalizeOnnxPass : r1::impl::LegalizeOnnxBase<LegalizeOnnxPass> {
  void runOnOperation() override;
};

/// The legalization of `node`, or null when r1c has none for its domain,
/// op type and opset.
const OnnxPattern *findPattern(OnnxNodeOp node) {
  return r1::findPattern(node.getDomain(), node.getOpType(), node.getOpset());
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

FailureOr<SmallVector<Value>> NodeLegalizer::inlineSubgraph(Region &body, ValueRange arguments,
                                                            OpBuilder &builder) {
  Block &block = body.front();
  auto yield = dyn_cast<OnnxYieldOp>(block.getTerminator());
  if (!yield)
    return emitError(block.getTerminator()->getLoc()) << "a subgraph must end with r1.onnx_yield",
           failure();
  if (arguments.size() != block.getNumArguments())
    return emitError(yield.getLoc()) << "the subgraph takes " << block.getNumArguments()
                                     << " inputs, not " << arguments.size(),
           failure();
  // Copy every node first, so that each copy sees who reads its outputs
  // (patterns skip outputs nobody reads); a placeholder holds the outputs
  // while the copies are replaced one by one.
  IRMapping mapping;
  mapping.map(block.getArguments(), arguments);
  SmallVector<OnnxNodeOp> copies;
  for (Operation &op : block.without_terminator()) {
    Operation *copy = builder.clone(op, mapping);
    if (auto node = dyn_cast<OnnxNodeOp>(copy))
      copies.push_back(node);
  }
  SmallVector<Value> outputs =
      llvm::map_to_vector(yield.getValues(), [&](Value v) { return mapping.lookupOrDefault(v); });
  auto holder = builder.create<UnrealizedConversionCastOp>(yield.getLoc(), TypeRange(), outputs);
  auto eraseHolder = llvm::make_scope_exit([&] { holder.erase(); });
  OpBuilder::InsertionGuard guard(builder);
  for (OnnxNodeOp copy : copies)
    if (failed(legalizeNode(copy, builder)))
      return failure();
  return SmallVector<Value>(holder.getOperands());
}

FailureOr<SmallVector<Value>> NodeLegalizer::legalizeNode(OnnxNodeOp nodeOp, OpBuilder &builder) {
  OnnxNode node(nodeOp, builder, *this);
  const OnnxPattern *pattern = findPattern(nodeOp);
  if (!pattern)
    return emitError(nodeOp.getLoc()) << "unsupported operator " << describeOperator(nodeOp),
           failure();

  FailureOr<std::optional<DataSizedPlan>> dataSized = planDataSizedInputs(node, nodeOp);
  if (failed(dataSized))
    return failure();

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
      ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error && message.empty())
          message = diag.str();
        return success();
      });
      verified = verify(op, /*verifyRecursively=*/false);
    }
    if (failed(verified))
      return node.emitError() << userFacingMessage(message), failure();
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
    return node.emitError() << "legalization produced too many results", failure();
  replacements->resize(nodeOp.getNumResults());
  // Outputs computed from padded inputs are cut to the same count.
  if (*dataSized) {
    builder.setInsertionPoint(nodeOp);
    for (auto [value, axis] : llvm::zip((*replacements), (*dataSized)->outputAxes))
      if (value && axis)
        value = node.create<KeepLeadingOp>(value, (*dataSized)->count,
                                           builder.getI64IntegerAttr(*axis));
  }
  for (auto [index, result] : llvm::enumerate(nodeOp.getResults())) {
    Value &value = (*replacements)[index];
    if (!value) {
      if (!result.use_empty())
        return node.emitError() << "output #" << index << " is not supported", failure();
      continue;
    }
    Type declared = result.getType();
    if (!isa<UnknownType>(declared)) {
      if (!areRefinableTypes(value.getType(), declared) &&
          !areRefinableTypes(declared, value.getType()))
        return node.emitError() << "output #" << index << " is declared as " << declared
                                << " but computes " << value.getType(),
               failure();
      // The file may know a dim that inference cannot derive.
      Operation *def = value.getDefiningOp();
      if (def && isa<InferTypeOpInterface>(def) && !matchPattern(def, m_Constant()) &&
          isRefinementOf(declared, value.getType()))
        value.setType(declared);
    }
    result.replaceAllUsesWith(value);
  }
  nodeOp.erase();
  return replacements;
}

void LegalizeOnnxPass::runOnOperation() {
  func::FuncOp func = getOperation();
  // Nodes of subgraphs count for the report; control-flow patterns
  // legalize them where they inline them.
  SmallVector<OnnxNodeOp> nodes, topLevel;
  func.walk([&](OnnxNodeOp node) {
    nodes.push_back(node);
    if (node->getParentOp() == func)
      topLevel.push_back(node);
  });
  if (failed(reportUnsupportedOperators(nodes)))
    return signalPassFailure();
  OpBuilder builder(&getContext());
  NodeLegalizer legalizer(getContext());
  for (OnnxNodeOp node : topLevel)
    if (failed(legalizer.legalizeNode(node, builder)))
      return signalPassFailure();
  // Outputs may have become more static than the file declared.
  Operation *terminator = func.getBody().front().getTerminator();
  func.setFunctionType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                         terminator->getOperandTypes()));
}

} // namespace
