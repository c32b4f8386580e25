//===- PrecisionSwitches.cpp - One model that runs any precision mix ------===//
#include "compiler/precision/PrecisionSwitches.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"
#include "passes/FloatNarrowing.h"
#include "passes/Int8BiasCorrection.h"
#include "passes/IntegerQuantization.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// An f32 constant like `weight` holding `values`, out of line when the
/// weight is, named after it and `suffix`.
Value floatWeight(OpBuilder &b, ConstantOp weight, llvm::StringRef suffix,
                  llvm::function_ref<std::vector<char>()> values) {
  auto type = cast<RankedTensorType>(weight.getType());
  auto resource = dyn_cast<DenseResourceElementsAttr>(weight.getValue());
  std::string name = resource ? (resource.getRawHandle().getKey() + suffix).str() : "";
  ElementsAttr value = makeConstant(b.getContext(), type, resource != nullptr, name, values);
  return b.create<ConstantOp>(weight.getLoc(), type, value);
}

/// The f32 values `weight` takes in `format`, computed now; null when its
/// bytes cannot be read.
Value emulatedWeight(OpBuilder &b, ConstantOp weight, LoweredFormat format, bool columns) {
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  std::optional<ArrayRef<char>> bytes = getConstantBytes(weight.getValue());
  if (!type || !type.hasStaticShape() || !bytes ||
      bytes->size() != size_t(type.getNumElements()) * sizeof(float))
    return nullptr;
  if (format == LoweredFormat::Int8) {
    return floatWeight(b, weight, ".i8.f32", [&] {
      WeightChannels channels = getWeightChannels(type.getShape(), columns);
      QuantizedWeight q = quantizeWeightPerChannel(*bytes, channels.count, channels.of);
      std::vector<char> out(bytes->size());
      for (size_t i = 0; i < q.codes.size(); ++i) {
        float value = float(int8_t(q.codes[i])) * q.scales[channels.of(int64_t(i))];
        std::memcpy(out.data() + i * sizeof(float), &value, sizeof(float));
      }
      return out;
    });
  }
  bool bf16 = format == LoweredFormat::BFloat16;
  return floatWeight(b, weight, bf16 ? ".bf16.f32" : ".f16.f32", [&] {
    std::vector<char> narrow = narrowFloat32Bytes(*bytes, bf16);
    std::vector<char> out(bytes->size());
    for (size_t i = 0; i < narrow.size() / 2; ++i) {
      uint16_t half;
      std::memcpy(&half, narrow.data() + 2 * i, 2);
      float value = bf16 ? widenBFloat16(half) : widenHalf(half);
      std::memcpy(out.data() + i * sizeof(float), &value, sizeof(float));
    }
    return out;
  });
}

/// The f32 values the non-constant `value` (operand `index` of `op`) takes
/// in `format`.
Value emulatedActivation(OpBuilder &b, Operation *op, unsigned index, LoweredFormat format) {
  Value value = op->getOperand(index);
  Location loc = op->getLoc();
  if (format == LoweredFormat::Int8)
    return quantizeActivation(b, loc, value, RangeAttr::ofOperand(op, index));
  Type narrow = format == LoweredFormat::BFloat16 ? Type(b.getBF16Type()) : b.getF16Type();
  auto type = cast<ShapedType>(value.getType());
  Value low = b.create<CastOp>(loc, type.clone(narrow), value, TypeAttr::get(narrow));
  return b.create<CastOp>(loc, type, low, TypeAttr::get(b.getF32Type()));
}

} // namespace

SwitchedModel insertPrecisionSwitches(func::FuncOp func, ArrayRef<LoweredFormat> formats,
                                      double int8Smoothing, bool int8BiasCorrection) {
  SwitchedModel model;
  model.modelResults = func.getNumResults();
  func.walk([&](Operation *op) {
    bool any = false;
    for (LoweredFormat format : formats) {
      if (!canLowerTo(op, format))
        continue;
      model.switches.push_back({op, format});
      model.switchOp.push_back(model.ops.size());
      any = true;
    }
    if (any)
      model.ops.push_back(op);
  });
  SmallVector<PrecisionSwitch> &switches = model.switches;
  if (switches.empty())
    return model;
  MLIRContext *context = func.getContext();
  OpBuilder b(context);
  auto switchType = RankedTensorType::get({int64_t(switches.size())}, b.getF32Type());
  unsigned position = func.getNumArguments();
  func.insertArgument(
      position, switchType,
      DictionaryAttr::get(context,
                          {b.getNamedAttr("r1.name", b.getStringAttr(kPrecisionSwitchesInput))}),
      func.getLoc());
  Value switchInput = func.getArgument(position);
  // int8 ops whose bias shift is taken off while their switch is on.
  struct Correction {
    Operation *op;
    Value flag;
    std::vector<float> shift;
  };
  SmallVector<Correction> corrections;
  for (auto [index, entry] : llvm::enumerate(switches)) {
    Operation *op = entry.op;
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    auto indexType = RankedTensorType::get({}, b.getI64Type());
    Value at = b.create<ConstantOp>(
        loc, cast<ElementsAttr>(DenseElementsAttr::get(indexType, int64_t(index))));
    Value flag = b.create<GatherOp>(loc, switchInput, at, b.getI64IntegerAttr(0));
    Value half = b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseElementsAttr::get(
                                               RankedTensorType::get({}, b.getF32Type()), 0.5f)));
    Value on = b.create<GreaterOp>(loc, flag, half);
    // A smoothed int8 matmul: both operands switch to their smoothed,
    // quantized values, whose product approximates the original one.
    std::optional<SmoothedMatMul> smoothed;
    if (entry.format == LoweredFormat::Int8)
      smoothed = smoothMatMul(b, op, chooseInt8Smoothing(op, int8Smoothing));
    if (entry.format == LoweredFormat::Int8 && int8BiasCorrection && canCorrectInt8Bias(op)) {
      std::optional<std::vector<float>> shift =
          smoothed ? computeInt8BiasShift(op, smoothed->weight, smoothed->activationFactors)
                   : computeInt8BiasShift(op, op->getOperand(1).getDefiningOp<ConstantOp>());
      if (shift)
        corrections.push_back({op, flag, std::move(*shift)});
    }
    if (smoothed) {
      Value weight = emulatedWeight(b, smoothed->weight, LoweredFormat::Int8, /*columns=*/true);
      Value activation = quantizeActivation(b, loc, smoothed->activation, smoothed->range);
      if (weight) {
        op->setOperand(0, b.create<WhereOp>(loc, on, activation, op->getOperand(0)));
        op->setOperand(1, b.create<WhereOp>(loc, on, weight, op->getOperand(1)));
        continue;
      }
    }
    // Operands 0 and 1 are contracted; a convolution's bias stays f32.
    for (unsigned operand : {0u, 1u}) {
      Value original = op->getOperand(operand);
      Value emulated;
      if (auto weight = original.getDefiningOp<ConstantOp>())
        emulated = emulatedWeight(b, weight, entry.format, isa<MatMulOp>(op));
      else
        emulated = emulatedActivation(b, op, operand, entry.format);
      if (!emulated)
        continue;
      op->setOperand(operand, b.create<WhereOp>(loc, on, emulated, original));
    }
  }
  // y - flag * shift: the correction the apply pass compiles, on with the
  // switch.
  llvm::DenseMap<Operation *, Value> probed;
  for (Correction &correction : corrections) {
    Operation *op = correction.op;
    b.setInsertionPointAfter(op);
    Value applied = b.create<MulOp>(op->getLoc(), correction.flag,
                                    correctionConstant(b, op, correction.shift));
    Value result = op->getResult(0);
    Value corrected = b.create<AddOp>(op->getLoc(), result, applied);
    result.replaceAllUsesExcept(corrected, corrected.getDefiningOp());
    probed[op] = corrected;
  }
  Operation *terminator = func.getBody().front().getTerminator();
  for (auto [index, op] : llvm::enumerate(model.ops)) {
    unsigned result = func.getNumResults();
    Value probe = probed.lookup(op);
    if (!probe)
      probe = op->getResult(0);
    func.insertResult(
        result, op->getResult(0).getType(),
        DictionaryAttr::get(
            context, {b.getNamedAttr("r1.name",
                                     b.getStringAttr("__precision_probe_" + llvm::Twine(index)))}));
    terminator->insertOperands(terminator->getNumOperands(), probe);
  }
  return model;
}

} // namespace r1c
