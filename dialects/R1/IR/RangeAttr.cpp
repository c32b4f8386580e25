//===- RangeAttr.cpp - Measured value ranges of tensors -------------------===//
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::r1;

Attribute RangeAttr::parse(AsmParser &parser, Type) {
  double lower = 0, upper = 0;
  if (parser.parseLess() || parser.parseFloat(lower) || parser.parseComma() ||
      parser.parseFloat(upper) || parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, parser.getContext(),
                    llvm::APFloat(lower), llvm::APFloat(upper));
}

void RangeAttr::print(AsmPrinter &printer) const {
  // printFloat keeps every bit: a scale computed from a printed range is
  // the one computed from the measured one.
  printer << "<";
  printer.printFloat(getMin());
  printer << ", ";
  printer.printFloat(getMax());
  printer << ">";
}

LogicalResult RangeAttr::verify(function_ref<InFlightDiagnostic()> emitError, llvm::APFloat min,
                                llvm::APFloat max) {
  if (!min.isFinite() || !max.isFinite())
    return emitError() << "a range's bounds must be finite";
  if (max.compare(min) == llvm::APFloat::cmpLessThan)
    return emitError() << "a range's min " << min.convertToDouble() << " exceeds its max "
                       << max.convertToDouble();
  return success();
}

RangeAttr RangeAttr::ofOperand(Operation *op, unsigned index) {
  auto ranges = op->getAttrOfType<ArrayAttr>(kOperandRangesName);
  if (!ranges || index >= ranges.size())
    return {};
  return llvm::dyn_cast<RangeAttr>(ranges[index]);
}
