//===- PrecisionRules.cpp - Which formats an op can compute in ------------===//
#include "passes/PrecisionRules.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mlir::r1 {

bool computesInFloat32(Operation *op) {
  bool anyFloat = false;
  for (Value operand : op->getOperands()) {
    Type element = getElementTypeOf(operand);
    if (!isa_and_nonnull<FloatType>(element))
      continue;
    if (!element.isF32())
      return false;
    anyFloat = true;
  }
  return anyFloat;
}

/// Whether every element of a constant operand is finite in f16 (its
/// magnitude rounds below 65520) or was not finite to begin with; true for
/// operands that are not constants, whose ranges only a calibration run
/// can tell.
static bool constantFitsInHalf(Value operand) {
  auto constant = operand.getDefiningOp<ConstantOp>();
  if (!constant || !getElementTypeOf(operand).isF32())
    return true;
  auto fits = [](float x) { return !std::isfinite(x) || std::fabs(x) < 65520.0f; };
  if (auto literal = dyn_cast<DenseFPElementsAttr>(constant.getValue()))
    return llvm::all_of(literal.getValues<float>(), fits);
  std::optional<ArrayRef<char>> bytes = getConstantBytes(constant.getValue());
  if (!bytes)
    return true;
  for (size_t i = 0; i + 4 <= bytes->size(); i += 4) {
    float x;
    std::memcpy(&x, bytes->data() + i, 4);
    if (!fits(x))
      return false;
  }
  return true;
}

/// Whether a calibrated operand of `op` reaches past f16's range.
static bool rangesFitInHalf(Operation *op) {
  for (unsigned i = 0, e = op->getNumOperands(); i < e; ++i)
    if (RangeAttr range = RangeAttr::ofOperand(op, i))
      if (std::max(std::fabs(range.getLower()), std::fabs(range.getUpper())) >= 65504.0)
        return false;
  return true;
}

bool quantizableToInt8(Operation *op) {
  auto isWeight = [](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    return value.getDefiningOp<ConstantOp>() && type && type.hasStaticShape() &&
           type.getRank() >= 2;
  };
  Value activation = op->getOperand(0), weight = op->getOperand(1);
  if (isDepthwiseConv(op) || !isWeight(weight) || activation.getDefiningOp<ConstantOp>() ||
      !RangeAttr::ofOperand(op, 0))
    return false;
  auto weightShape = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t k = isa<MatMulOp>(op) ? weightShape[weightShape.size() - 2]
                                : productOfDims(weightShape.drop_front());
  return k <= (int64_t(1) << 15);
}

bool fitsInHalf(Operation *op) {
  return llvm::all_of(op->getOperands(), constantFitsInHalf) && rangesFitInHalf(op);
}

bool isDepthwiseConv(Operation *op) {
  auto conv = dyn_cast<ConvOp>(op);
  auto weight = conv ? dyn_cast<RankedTensorType>(conv.getWeight().getType()) : nullptr;
  return weight && conv.getGroup() > 1 && weight.getRank() >= 2 && weight.getDimSize(1) == 1;
}

bool isLowerableContraction(Operation *op) {
  return isa<MatMulOp, ConvOp>(op) && computesInFloat32(op);
}

PrecisionAttr getLoweredPrecision(MLIRContext *context, LoweredFormat format) {
  Type f32 = Float32Type::get(context);
  switch (format) {
  case LoweredFormat::BFloat16:
    return PrecisionAttr::get(context, BFloat16Type::get(context), f32, f32);
  case LoweredFormat::Float16:
    return PrecisionAttr::get(context, Float16Type::get(context), f32, f32);
  case LoweredFormat::Int8:
    return PrecisionAttr::get(context, IntegerType::get(context, 8), IntegerType::get(context, 32),
                              f32);
  }
  llvm_unreachable("unknown format");
}

bool canLowerTo(Operation *op, LoweredFormat format) {
  if (!isLowerableContraction(op))
    return false;
  switch (format) {
  case LoweredFormat::BFloat16:
    return true;
  case LoweredFormat::Float16:
    return fitsInHalf(op);
  case LoweredFormat::Int8:
    return quantizableToInt8(op);
  }
  llvm_unreachable("unknown format");
}

std::optional<LoweredFormat> parseLoweredFormat(llvm::StringRef name) {
  if (name == "bf16")
    return LoweredFormat::BFloat16;
  if (name == "fp16")
    return LoweredFormat::Float16;
  if (name == "int8")
    return LoweredFormat::Int8;
  return std::nullopt;
}

llvm::StringRef getLoweredFormatName(LoweredFormat format) {
  switch (format) {
  case LoweredFormat::BFloat16:
    return "bf16";
  case LoweredFormat::Float16:
    return "fp16";
  case LoweredFormat::Int8:
    return "int8";
  }
  llvm_unreachable("unknown format");
}

} // namespace mlir::r1
