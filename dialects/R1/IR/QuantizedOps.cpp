//===- QuantizedOps.cpp - Quantize, dequantize and integer contractions ---===//
//
// Type inference and verification of the ops QDQ and QOperator models
// legalize to: elementwise (de)quantization with broadcast scales and zero
// points, and the exact integer matmul and convolution.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Whether `operand` broadcasts to `target` without growing it.
bool broadcastsInto(ArrayRef<int64_t> operand, ArrayRef<int64_t> target) {
  if (operand.size() > target.size())
    return false;
  for (size_t i = 0; i < operand.size(); ++i) {
    int64_t dim = operand[operand.size() - 1 - i], into = target[target.size() - 1 - i];
    if (dim != 1 && dim != kDynamic && into != kDynamic && dim != into)
      return false;
  }
  return true;
}

/// Scale and zero point must broadcast into the input's shape: they never
/// make the result larger than the input.
LogicalResult verifyQuantizationParameters(Operation *op, Value input, Value scale,
                                           Value zeroPoint) {
  auto shape = getShapeOf(input);
  if (!shape)
    return success();
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"scale", scale}, {"zero point", zeroPoint}})
    if (auto other = getShapeOf(value); other && !broadcastsInto(*other, *shape))
      return op->emitOpError() << name << " shape " << describeShape(*other)
                               << " does not broadcast to the input shape "
                               << describeShape(*shape);
  return success();
}

} // namespace

LogicalResult QuantizeOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(broadcastType({adaptor.getInput(), adaptor.getScale(), adaptor.getZeroPoint()},
                                getElementTypeOf(adaptor.getZeroPoint())));
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (getElementTypeOf(getZeroPoint()).isInteger(32))
    return emitOpError("quantizes to 8- or 16-bit integers, not i32");
  return verifyQuantizationParameters(*this, getInput(), getScale(), getZeroPoint());
}

LogicalResult DequantizeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                             Adaptor adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(broadcastType({adaptor.getInput(), adaptor.getScale(), adaptor.getZeroPoint()},
                                getElementTypeOf(adaptor.getScale())));
  return success();
}

LogicalResult DequantizeOp::verify() {
  Type input = getElementTypeOf(getInput()), zeroPoint = getElementTypeOf(getZeroPoint());
  if (input != zeroPoint)
    return emitOpError() << "zero point element type " << zeroPoint << " differs from the input's "
                         << input;
  return verifyQuantizationParameters(*this, getInput(), getScale(), getZeroPoint());
}

LogicalResult MatMulIntegerOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                                Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type i32 = IntegerType::get(context, 32);
  auto lhs = getShapeOf(adaptor.getLhs()), rhs = getShapeOf(adaptor.getRhs());
  if (!lhs || !rhs || lhs->size() < 2 || rhs->size() < 2) {
    types.push_back(makeTensorType(std::nullopt, i32));
    return success();
  }
  SmallVector<int64_t> shape =
      broadcastShapes(ArrayRef(*lhs).drop_back(2), ArrayRef(*rhs).drop_back(2));
  shape.push_back((*lhs)[lhs->size() - 2]);
  shape.push_back(rhs->back());
  types.push_back(makeTensorType(ArrayRef<int64_t>(shape), i32));
  return success();
}

LogicalResult MatMulIntegerOp::verify() {
  if (getElementTypeOf(getLhsZeroPoint()) != getElementTypeOf(getLhs()) ||
      getElementTypeOf(getRhsZeroPoint()) != getElementTypeOf(getRhs()))
    return emitOpError("zero points must have their operand's element type");
  auto lhs = getShapeOf(getLhs()), rhs = getShapeOf(getRhs());
  if (!lhs || !rhs)
    return success();
  if (lhs->size() < 2 || rhs->size() < 2)
    return emitOpError("operands must have rank 2 or more");
  int64_t k1 = lhs->back(), k2 = (*rhs)[rhs->size() - 2];
  if (k1 != kDynamic && k2 != kDynamic && k1 != k2)
    return emitOpError() << "incompatible shapes " << describeShape(*lhs) << " and "
                         << describeShape(*rhs) << ": contraction dims " << k1 << " and " << k2
                         << " differ";
  bool conflict = false;
  broadcastShapes(ArrayRef(*lhs).drop_back(2), ArrayRef(*rhs).drop_back(2), &conflict);
  if (conflict)
    return emitOpError() << "batch dims of shapes " << describeShape(*lhs) << " and "
                         << describeShape(*rhs) << " do not broadcast";
  // One zero point per row of lhs (its last dim 1), per column of rhs.
  SmallVector<int64_t> rows = *lhs, columns = *rhs;
  rows.back() = 1;
  columns[columns.size() - 2] = 1;
  if (auto zp = getShapeOf(getLhsZeroPoint()); zp && !broadcastsInto(*zp, rows))
    return emitOpError() << "lhs zero point shape " << describeShape(*zp)
                         << " is not one per row of " << describeShape(*lhs);
  if (auto zp = getShapeOf(getRhsZeroPoint()); zp && !broadcastsInto(*zp, columns))
    return emitOpError() << "rhs zero point shape " << describeShape(*zp)
                         << " is not one per column of " << describeShape(*rhs);
  return success();
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                              Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type i32 = IntegerType::get(context, 32);
  auto input = getShapeOf(adaptor.getInput()), weight = getShapeOf(adaptor.getWeight());
  if (!input || !weight || input->size() < 3 || weight->size() != input->size()) {
    types.push_back(makeTensorType(std::nullopt, i32));
    return success();
  }
  size_t spatial = input->size() - 2;
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  bool windowKnown =
      strides.size() == spatial && dilations.size() == spatial && pads.size() == 2 * spatial;
  SmallVector<int64_t> result = {(*input)[0], (*weight)[0]};
  for (size_t i = 0; i < spatial; ++i)
    result.push_back(windowKnown ? windowOutputSize((*input)[i + 2], (*weight)[i + 2], strides[i],
                                                    pads[i], pads[i + spatial], dilations[i], false)
                                 : kDynamic);
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), i32));
  return success();
}

LogicalResult ConvIntegerOp::verify() {
  if (getElementTypeOf(getInputZeroPoint()) != getElementTypeOf(getInput()) ||
      getElementTypeOf(getWeightZeroPoint()) != getElementTypeOf(getWeight()))
    return emitOpError("zero points must have their operand's element type");
  if (getGroup() <= 0)
    return emitOpError() << "group must be positive, not " << getGroup();
  auto input = getShapeOf(getInput()), weight = getShapeOf(getWeight());
  if (!input || !weight)
    return success();
  if (input->size() < 3 || weight->size() != input->size())
    return emitOpError() << "expects input and weight of one rank, 3 or more, not "
                         << describeShape(*input) << " and " << describeShape(*weight);
  size_t spatial = input->size() - 2;
  if (getStrides().size() != spatial || getDilations().size() != spatial ||
      getPads().size() != 2 * spatial)
    return emitOpError() << "expects " << spatial << " strides and dilations and " << 2 * spatial
                         << " pads";
  if (llvm::any_of(getStrides(), [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(getDilations(), [](int64_t d) { return d <= 0; }) ||
      llvm::any_of(getPads(), [](int64_t p) { return p < 0; }))
    return emitOpError("strides and dilations must be positive, pads not negative");
  int64_t channels = (*input)[1], filters = (*weight)[0];
  if (channels != kDynamic && (*weight)[1] != kDynamic && channels != (*weight)[1] * getGroup())
    return emitOpError() << "input has " << channels << " channels but the weight "
                         << describeShape(*weight) << " with group " << getGroup() << " expects "
                         << (*weight)[1] * getGroup();
  if (filters != kDynamic && filters % getGroup() != 0)
    return emitOpError() << "channel count " << filters
                         << " of the weight is not a multiple of group " << getGroup();
  auto inputZp = getShapeOf(getInputZeroPoint());
  if (inputZp && productOfDims(*inputZp) != 1)
    return emitOpError() << "input zero point must be one value, not " << describeShape(*inputZp);
  auto weightZp = getShapeOf(getWeightZeroPoint());
  if (weightZp && productOfDims(*weightZp) != 1 &&
      (weightZp->size() != 1 || (filters != kDynamic && (*weightZp)[0] != filters)))
    return emitOpError() << "weight zero point shape " << describeShape(*weightZp)
                         << " is neither one value nor one per output channel (" << filters << ")";
  return success();
}
