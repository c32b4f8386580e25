//===- Signal.cpp - Window functions as constants -------------------------===//
//
// HannWindow, HammingWindow and BlackmanWindow depend only on their length,
// which is a constant in real models (or, when the graph gives it as data,
// the length the model declares for the output): r1c computes the window at
// compile time.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// w[n] = a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D), D = N (periodic) or N - 1.
Result buildWindow(OnnxNode &node, double a0, double a1, double a2) {
  std::optional<double> size = node.constantScalar(0);
  if (auto declared = node.declaredShape(0); !size && declared && declared->size() == 1)
    size = double((*declared)[0]);
  if (!size)
    return node.emitError() << "size must be a constant, or the output's length declared in "
                               "the model",
           failure();
  FailureOr<Type> element = getOnnxElementType(node, node.getInt("output_datatype", 1));
  if (failed(element))
    return failure();
  int64_t length = int64_t(*size);
  double period = node.getInt("periodic", 1) != 0 ? double(length) : double(length - 1);
  SmallVector<Attribute> values;
  for (int64_t n = 0; n < length; ++n) {
    double phase = 2 * M_PI * double(n) / period;
    double w = a0 - a1 * std::cos(phase) + a2 * std::cos(2 * phase);
    if (isa<FloatType>(*element))
      values.push_back(FloatAttr::get(*element, w));
    else
      values.push_back(IntegerAttr::get(*element, int64_t(w)));
  }
  auto type = RankedTensorType::get({length}, *element);
  return results(node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, values))));
}

Result legalizeHannWindow(OnnxNode &node) { return buildWindow(node, 0.5, 0.5, 0); }
Result legalizeHammingWindow(OnnxNode &node) {
  return buildWindow(node, 25.0 / 46.0, 21.0 / 46.0, 0);
}
Result legalizeBlackmanWindow(OnnxNode &node) { return buildWindow(node, 0.42, 0.5, 0.08); }

} // namespace

void mlir::r1::addSignalOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"BlackmanWindow", 17, legalizeBlackmanWindow},
      {"HammingWindow", 17, legalizeHammingWindow},
      {"HannWindow", 17, legalizeHannWindow},
  });
}
