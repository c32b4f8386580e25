//===- RecurrenceLayout.cpp - Where a recurrence keeps its state ----------===//
#include "dialects/R1K/IR/RecurrenceLayout.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace mlir::r1k {

int64_t RecurrenceLayout::recordElements() const {
  int64_t perLine = 64 / elementBytes;
  return llvm::alignTo((3 + gates) * hidden, perLine);
}

RecurrenceLayout getRecurrenceLayout(r1::RecurrenceOp op) {
  auto inputs = cast<RankedTensorType>(op.getInputs().getType());
  RecurrenceLayout layout;
  layout.directions = op.getNumDirections();
  layout.batch = inputs.getDimSize(1);
  layout.hidden = op.getHiddenSize();
  layout.gates = op.getNumGates();
  layout.elementBytes = inputs.getElementType().isF64() ? 8 : 4;
  return layout;
}

} // namespace mlir::r1k
