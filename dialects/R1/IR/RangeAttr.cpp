//===- RangeAttr.cpp - Measured ranges and means of tensors and channels ---===//
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/DialectImplementation.h"

#include <cmath>

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

/// Entry `index` of the per-operand array attribute `name` on `op`, as an
/// `Attr`: null where there is none, or it is `unit`.
template <typename Attr>
static Attr operandEntry(Operation *op, StringRef name, unsigned index) {
  auto entries = op->getAttrOfType<ArrayAttr>(name);
  if (!entries || index >= entries.size())
    return {};
  return llvm::dyn_cast<Attr>(entries[index]);
}

RangeAttr RangeAttr::ofOperand(Operation *op, unsigned index) {
  return operandEntry<RangeAttr>(op, kOperandRangesName, index);
}

/// `[x, ...]`, each value printed with every bit, as RangeAttr prints.
static void printBounds(AsmPrinter &printer, ArrayRef<float> bounds) {
  printer << "[";
  llvm::interleaveComma(bounds, printer, [&](float x) { printer.printFloat(llvm::APFloat(x)); });
  printer << "]";
}

static ParseResult parseBounds(AsmParser &parser, SmallVectorImpl<float> &bounds) {
  return parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
    double x = 0;
    if (parser.parseFloat(x))
      return failure();
    bounds.push_back(float(x));
    return success();
  });
}

Attribute ChannelRangesAttr::parse(AsmParser &parser, Type) {
  SmallVector<float> min, max;
  if (parser.parseLess() || parseBounds(parser, min) || parser.parseComma() ||
      parseBounds(parser, max) || parser.parseGreater())
    return {};
  MLIRContext *context = parser.getContext();
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, context,
                    DenseF32ArrayAttr::get(context, min), DenseF32ArrayAttr::get(context, max));
}

void ChannelRangesAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBounds(printer, getMin().asArrayRef());
  printer << ", ";
  printBounds(printer, getMax().asArrayRef());
  printer << ">";
}

LogicalResult ChannelRangesAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        DenseF32ArrayAttr min, DenseF32ArrayAttr max) {
  if (!min || !max || min.size() != max.size())
    return emitError() << "channel ranges need as many maxima as minima";
  for (auto [index, bounds] : llvm::enumerate(llvm::zip(min.asArrayRef(), max.asArrayRef()))) {
    auto [lower, upper] = bounds;
    if (!std::isfinite(lower) || !std::isfinite(upper))
      return emitError() << "channel " << index << "'s bounds must be finite";
    if (upper < lower)
      return emitError() << "channel " << index << "'s min " << lower << " exceeds its max "
                         << upper;
  }
  return success();
}

ChannelRangesAttr ChannelRangesAttr::ofOperand(Operation *op, unsigned index) {
  return operandEntry<ChannelRangesAttr>(op, kOperandChannelRangesName, index);
}

Attribute ChannelMeansAttr::parse(AsmParser &parser, Type) {
  SmallVector<float> mean;
  if (parser.parseLess() || parseBounds(parser, mean) || parser.parseGreater())
    return {};
  MLIRContext *context = parser.getContext();
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, context,
                    DenseF32ArrayAttr::get(context, mean));
}

void ChannelMeansAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBounds(printer, getMean().asArrayRef());
  printer << ">";
}

LogicalResult ChannelMeansAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                       DenseF32ArrayAttr mean) {
  if (!mean)
    return emitError() << "channel means need an array";
  for (auto [index, value] : llvm::enumerate(mean.asArrayRef()))
    if (!std::isfinite(value))
      return emitError() << "channel " << index << "'s mean must be finite";
  return success();
}

ChannelMeansAttr ChannelMeansAttr::ofOperand(Operation *op, unsigned index) {
  return operandEntry<ChannelMeansAttr>(op, kOperandChannelMeansName, index);
}
