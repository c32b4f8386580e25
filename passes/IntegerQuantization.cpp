//===- IntegerQuantization.cpp - Scales and codes of 8-bit integers -------===//
#include "passes/IntegerQuantization.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"
#include "passes/Int8BiasCorrection.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mlir::r1 {

ActivationQuantization quantizeActivationRange(double lower, double upper) {
  float low = float(std::min(lower, 0.0)), high = float(std::max(upper, 0.0));
  float step = (high - low) / 255.0f;
  // A tensor that is always 0: any scale represents it.
  if (!(step > 0) || !std::isfinite(step))
    return {1.0f, 0};
  // The zero point is an integer: rounded to nearest, one end of the range
  // would fall up to half a step outside the codes and saturate. Where
  // values pile up at an end (an image at -1 and 1, a ReLU6 at 6, a
  // sigmoid's 0 and 1) that moves every one of them the same way, a shift
  // the layers after it carry. So the zero point rounds up, which keeps
  // `low` inside the codes, and the scale grows (by at most 1 / (255 -
  // zero point)) until `high` lands on code 255.
  float zeroPoint = std::clamp(std::ceil(-low / step), 0.0f, 255.0f);
  float scale = zeroPoint < 255.0f ? std::max(step, high / (255.0f - zeroPoint)) : step;
  return {scale, uint8_t(zeroPoint)};
}

QuantizedWeight quantizeWeightPerChannel(llvm::ArrayRef<char> bytes, int64_t channels,
                                         llvm::function_ref<int64_t(int64_t)> channelOf) {
  size_t count = bytes.size() / sizeof(float);
  auto element = [&](size_t i) {
    float x;
    std::memcpy(&x, bytes.data() + i * sizeof(float), sizeof(float));
    return x;
  };
  std::vector<float> largest(channels, 0.0f);
  for (size_t i = 0; i < count; ++i) {
    float &channel = largest[channelOf(int64_t(i))];
    channel = std::max(channel, std::fabs(element(i)));
  }
  QuantizedWeight weight;
  weight.scales.resize(channels);
  for (int64_t c = 0; c < channels; ++c)
    weight.scales[c] = largest[c] > 0 && std::isfinite(largest[c]) ? largest[c] / 127.0f : 1.0f;
  weight.codes.resize(count);
  for (size_t i = 0; i < count; ++i) {
    float code = std::nearbyint(element(i) / weight.scales[channelOf(int64_t(i))]);
    if (std::isnan(code))
      code = 0;
    weight.codes[i] = char(int8_t(std::clamp(code, -127.0f, 127.0f)));
  }
  return weight;
}

namespace {

/// A rank-0 or shaped constant of f32 `values`.
Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseElementsAttr::get(type, values)));
}

Value integerConstant(OpBuilder &b, Location loc, IntegerType element, int64_t value) {
  auto type = RankedTensorType::get({}, element);
  return b.create<ConstantOp>(
      loc, cast<ElementsAttr>(DenseElementsAttr::get(
               type, APInt(8, uint64_t(value), /*isSigned=*/element.isSigned()))));
}

/// The constant `weight` as i8 codes with a scale per output channel, and
/// back; null when its bytes cannot be read.
Value quantizeWeight(OpBuilder &b, Location loc, ConstantOp weight, bool columns) {
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  std::optional<ArrayRef<char>> bytes = getConstantBytes(weight.getValue());
  if (!type || !type.hasStaticShape() || type.getRank() < 2 || !bytes ||
      bytes->size() != size_t(type.getNumElements()) * sizeof(float))
    return nullptr;
  WeightChannels channels = getWeightChannels(type.getShape(), columns);
  QuantizedWeight q = quantizeWeightPerChannel(*bytes, channels.count, channels.of);
  auto i8 = IntegerType::get(b.getContext(), 8, IntegerType::Signless);
  auto codesType = type.clone(i8);
  auto resource = dyn_cast<DenseResourceElementsAttr>(weight.getValue());
  std::string name = resource ? resource.getRawHandle().getKey().str() + ".i8" : "";
  ElementsAttr codesValue =
      makeConstant(b.getContext(), codesType, resource != nullptr, name, [&] { return q.codes; });
  Value codes = b.create<ConstantOp>(loc, codesType, codesValue);
  Value scale = floatConstant(b, loc, channels.scaleShape, q.scales);
  return b.create<DequantizeOp>(loc, codes, scale, integerConstant(b, loc, i8, 0));
}

} // namespace

WeightChannels getWeightChannels(ArrayRef<int64_t> shape, bool columns) {
  WeightChannels channels;
  channels.scaleShape.assign(shape.begin(), shape.end());
  int64_t rank = shape.size();
  if (columns) {
    // [..., 1, N]: one per column of each matrix.
    int64_t rows = shape[rank - 2], width = shape[rank - 1];
    channels.scaleShape[rank - 2] = 1;
    channels.count = productOfDims(channels.scaleShape);
    channels.of = [rows, width](int64_t i) { return i / (rows * width) * width + i % width; };
  } else {
    // [C_out, 1, ...]: one per filter.
    std::fill(channels.scaleShape.begin() + 1, channels.scaleShape.end(), 1);
    channels.count = shape.front();
    int64_t perFilter = productOfDims(shape) / shape.front();
    channels.of = [perFilter](int64_t i) { return i / perFilter; };
  }
  return channels;
}

Value quantizeActivation(OpBuilder &b, Location loc, Value activation, RangeAttr range) {
  ActivationQuantization q = quantizeActivationRange(range.getLower(), range.getUpper());
  auto ui8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  Value scale = floatConstant(b, loc, {}, q.scale);
  Value zeroPoint = integerConstant(b, loc, ui8, q.zeroPoint);
  Value codes = b.create<QuantizeOp>(loc, activation, scale, zeroPoint);
  return b.create<DequantizeOp>(loc, codes, scale, zeroPoint);
}

std::vector<float> computeSmoothingFactors(ChannelRangesAttr ranges, ArrayRef<char> weightBytes,
                                           int64_t columns, double alpha) {
  int64_t rows = ranges.getChannels();
  std::vector<float> rowMax(rows, 0.0f);
  for (int64_t i = 0; i < rows * columns; ++i) {
    float w;
    std::memcpy(&w, weightBytes.data() + i * sizeof(float), sizeof(float));
    float &row = rowMax[i / columns];
    row = std::max(row, std::fabs(w));
  }
  std::vector<float> factors(rows, 1.0f);
  for (int64_t c = 0; c < rows; ++c) {
    double a =
        std::max(std::fabs(double(ranges.getMin()[c])), std::fabs(double(ranges.getMax()[c])));
    double w = rowMax[c];
    // A channel that is always 0, or meets only zero weights, needs no
    // balancing; the clamp keeps a tiny channel from being blown up.
    if (!(a > 0) || !(w > 0) || !std::isfinite(w))
      continue;
    double factor = std::pow(a, alpha) / std::pow(w, 1.0 - alpha);
    factors[c] = float(std::clamp(factor, 1e-4, 1e4));
  }
  return factors;
}

double chooseInt8Smoothing(Operation *op, double alpha) {
  ChannelRangesAttr ranges = ChannelRangesAttr::ofOperand(op, 0);
  if (!(alpha > 0) || !isa<MatMulOp>(op) || !ranges)
    return 0;
  std::vector<double> magnitudes;
  for (int64_t c = 0; c < ranges.getChannels(); ++c) {
    double magnitude =
        std::max(std::fabs(double(ranges.getMin()[c])), std::fabs(double(ranges.getMax()[c])));
    if (magnitude > 0)
      magnitudes.push_back(magnitude);
  }
  if (magnitudes.empty())
    return 0;
  auto middle = magnitudes.begin() + (magnitudes.size() - 1) / 2;
  std::nth_element(magnitudes.begin(), middle, magnitudes.end());
  double median = *middle;
  double largest = *std::max_element(magnitudes.begin(), magnitudes.end());
  return largest >= kSmoothingOutlierRatio * median ? alpha : 0;
}

std::optional<SmoothedMatMul> smoothMatMul(OpBuilder &b, Operation *op, double alpha) {
  if (!(alpha > 0) || !isa<MatMulOp>(op))
    return std::nullopt;
  ChannelRangesAttr ranges = ChannelRangesAttr::ofOperand(op, 0);
  auto weight = op->getOperand(1).getDefiningOp<ConstantOp>();
  if (!ranges || !weight)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  std::optional<ArrayRef<char>> bytes = getConstantBytes(weight.getValue());
  if (!type || !type.hasStaticShape() || type.getRank() != 2 || !type.getElementType().isF32() ||
      type.getDimSize(0) != ranges.getChannels() || !bytes ||
      bytes->size() != size_t(type.getNumElements()) * sizeof(float))
    return std::nullopt;
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  std::vector<float> factors = computeSmoothingFactors(ranges, *bytes, columns, alpha);
  std::vector<float> inverse(rows);
  float lower = INFINITY, upper = -INFINITY;
  for (int64_t c = 0; c < rows; ++c) {
    inverse[c] = 1.0f / factors[c];
    // x * (1/s) rounds monotonically in x: the extremes map to the extremes.
    lower = std::min(lower, ranges.getMin()[c] * inverse[c]);
    upper = std::max(upper, ranges.getMax()[c] * inverse[c]);
  }

  Location loc = op->getLoc();
  Value activation =
      b.create<MulOp>(loc, op->getOperand(0), floatConstant(b, loc, {rows}, inverse));
  auto resource = dyn_cast<DenseResourceElementsAttr>(weight.getValue());
  std::string name = resource ? resource.getRawHandle().getKey().str() + ".smooth" : "";
  ElementsAttr smoothed = makeConstant(b.getContext(), type, resource != nullptr, name, [&] {
    std::vector<char> out(bytes->size());
    for (int64_t i = 0; i < rows * columns; ++i) {
      float w;
      std::memcpy(&w, bytes->data() + i * sizeof(float), sizeof(float));
      w *= factors[i / columns];
      std::memcpy(out.data() + i * sizeof(float), &w, sizeof(float));
    }
    return out;
  });
  auto smoothedWeight = b.create<ConstantOp>(weight.getLoc(), type, smoothed);
  RangeAttr range =
      RangeAttr::get(b.getContext(), llvm::APFloat(double(lower)), llvm::APFloat(double(upper)));
  return SmoothedMatMul{activation, smoothedWeight, range, std::move(inverse)};
}

void markInt8Choices(Operation *op, double alpha, bool correctBias, bool shareActivation) {
  MLIRContext *context = op->getContext();
  if (double chosen = chooseInt8Smoothing(op, alpha); chosen > 0)
    op->setAttr(kInt8SmoothingAttrName, FloatAttr::get(Float64Type::get(context), chosen));
  if (correctBias && canCorrectInt8Bias(op))
    op->setAttr(kInt8BiasCorrectionAttrName, UnitAttr::get(context));
  if (shareActivation && sharesInt8Activation(op))
    op->setAttr(kInt8SharedActivationAttrName, UnitAttr::get(context));
}

bool sharesInt8Activation(Operation *op) {
  if (!isa<ConvOp>(op) || op->getOperand(0).getDefiningOp<ConstantOp>())
    return false;
  return llvm::any_of(op->getOperand(0).getUsers(),
                      [](Operation *user) { return isa<AddOp>(user); });
}

/// Gives the r1.add ops after `quantized`'s definition that read `original`
/// the dequantized value instead.
void shareQuantized(Value original, Value quantized) {
  Operation *definition = quantized.getDefiningOp();
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : original.getUses())
    if (isa<AddOp>(use.getOwner()) && use.getOwner()->getBlock() == definition->getBlock() &&
        definition->isBeforeInBlock(use.getOwner()))
      uses.push_back(&use);
  for (OpOperand *use : uses)
    use->set(quantized);
}

LogicalResult quantizeContractionToInt8(Operation *op, double smoothing, bool shareActivation,
                                        bool correctBias) {
  if (!isa<MatMulOp, ConvOp>(op))
    return op->emitOpError("has an 8-bit integer r1.precision, which only matmul and "
                           "convolution take");
  OpBuilder b(op);
  // The shift is computed from the f32 weight the codes come from, before
  // the operands change, and taken off after.
  std::optional<std::vector<float>> shift;
  auto correct = [&] {
    if (shift)
      subtractInt8BiasShift(op, *shift);
    return success();
  };
  if (std::optional<SmoothedMatMul> smoothed = smoothMatMul(b, op, smoothing)) {
    if (correctBias)
      shift = computeInt8BiasShift(op, smoothed->weight, smoothed->activationFactors);
    Value weight = quantizeWeight(b, op->getLoc(), smoothed->weight, /*columns=*/true);
    if (!weight)
      return op->emitOpError() << "has a smoothed weight that cannot be read for int8";
    op->setOperand(0, quantizeActivation(b, op->getLoc(), smoothed->activation, smoothed->range));
    op->setOperand(1, weight);
    // The activation is now the smoothed one: its range is the smoothed
    // range, and its channels are balanced.
    SmallVector<Attribute> ranges(
        op->getAttrOfType<ArrayAttr>(RangeAttr::kOperandRangesName).getValue());
    ranges[0] = smoothed->range;
    op->setAttr(RangeAttr::kOperandRangesName, b.getArrayAttr(ranges));
    op->removeAttr(ChannelRangesAttr::kOperandChannelRangesName);
    return correct();
  }
  if (auto weight = op->getOperand(1).getDefiningOp<ConstantOp>(); weight && correctBias)
    shift = computeInt8BiasShift(op, weight);
  // Operands 0 and 1 are contracted; a convolution's bias stays f32 and is
  // added to the scaled sums.
  for (unsigned index : {0u, 1u}) {
    Value operand = op->getOperand(index);
    Value quantized;
    if (auto constant = operand.getDefiningOp<ConstantOp>()) {
      quantized = quantizeWeight(b, op->getLoc(), constant, /*columns=*/isa<MatMulOp>(op));
      if (!quantized)
        return op->emitOpError() << "has a weight (operand " << index
                                 << ") whose f32 values cannot be read for int8";
    } else {
      RangeAttr range = RangeAttr::ofOperand(op, index);
      if (!range)
        return op->emitOpError() << "is assigned int8 but operand " << index
                                 << " has no calibrated range";
      quantized = quantizeActivation(b, op->getLoc(), operand, range);
      if (shareActivation)
        shareQuantized(operand, quantized);
    }
    op->setOperand(index, quantized);
  }
  return correct();
}

} // namespace mlir::r1
