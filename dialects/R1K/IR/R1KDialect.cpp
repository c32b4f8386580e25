//===- R1KDialect.cpp - Registration and verifiers of r1k ------------------===//
#include "dialects/R1K/IR/R1KDialect.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::r1k;

#include "dialects/R1K/IR/R1KDialect.cpp.inc"

void R1KDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialects/R1K/IR/R1KOps.cpp.inc"
      >();
}

LogicalResult KernelOp::verify() {
  if (getName().empty() || getAnchor().empty())
    return emitOpError("needs a name and an anchor");
  return success();
}

LogicalResult KernelOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError() << "body has " << body.getNumArguments() << " arguments for "
                         << getInputs().size() << " inputs";
  for (auto [index, pair] : llvm::enumerate(llvm::zip(body.getArgumentTypes(), getInputs())))
    if (std::get<0>(pair) != std::get<1>(pair).getType())
      return emitOpError() << "body argument #" << index << " has type " << std::get<0>(pair)
                           << " but input #" << index << " is "
                           << std::get<1>(pair).getType();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields types that differ from the kernel's results");
  // Bodies hold r1 ops only: that is what every emitter understands.
  for (Operation &op : body.without_terminator())
    if (!isa<r1::R1Dialect>(op.getDialect()))
      return op.emitOpError("is not an r1 op; kernel bodies hold r1 ops only");
  return success();
}

#define GET_OP_CLASSES
#include "dialects/R1K/IR/R1KOps.cpp.inc"

std::optional<int64_t> mlir::r1k::getDataDependentShapeBound(Value value) {
  auto kernel = value.getDefiningOp<KernelOp>();
  if (!kernel)
    return r1::getDataDependentShapeBound(value);
  Operation *yield = kernel.getBody().front().getTerminator();
  return r1::getDataDependentShapeBound(
      yield->getOperand(cast<OpResult>(value).getResultNumber()));
}
