//===- ApplyPrecision.cpp - Casts and converted weights for r1.precision --===//
//
// Apply what r1c-select-precision decided: each op with r1.precision takes
// its float operands in the compute type and gives its result in the
// storage type; users that expected the old type get a cast back. A weight
// is converted here, once, rather than cast at every run.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"
#include "passes/FloatNarrowing.h"
#include "passes/Int8BiasCorrection.h"
#include "passes/IntegerQuantization.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_APPLYPRECISION
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// `type` with its element type replaced.
Type withElement(Type type, Type element) {
  if (auto ranked = dyn_cast<RankedTensorType>(type))
    return ranked.clone(element);
  if (isa<UnrankedTensorType>(type))
    return UnrankedTensorType::get(element);
  return element;
}

/// The f32 constant `constant` in `element` (bf16 or f16), converted now; a
/// weight stays out of line, named after the original and the format, so
/// shape buckets share one converted copy. Null when its bytes cannot be
/// read: then it is cast like any other operand.
Value convertConstant(OpBuilder &builder, ConstantOp constant, FloatType element) {
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type || !type.hasStaticShape())
    return nullptr;
  // A literal (small, or a splat) converts element by element.
  if (auto literal = dyn_cast<DenseFPElementsAttr>(constant.getValue())) {
    auto converted = literal.mapValues(element, [&](const APFloat &x) {
      APFloat narrow = x;
      bool lost;
      narrow.convert(element.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      return narrow.bitcastToAPInt();
    });
    return builder.create<ConstantOp>(constant.getLoc(), converted.getType(), converted);
  }
  std::optional<ArrayRef<char>> bytes = getConstantBytes(constant.getValue());
  if (!bytes || bytes->size() != size_t(type.getNumElements()) * 4)
    return nullptr;
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  std::string name;
  if (resource)
    name = resource.getRawHandle().getKey().str() + (element.isBF16() ? ".bf16" : ".f16");
  auto converted = type.clone(element);
  ElementsAttr value = makeConstant(builder.getContext(), converted, resource != nullptr, name,
                                    [&] { return narrowFloat32Bytes(*bytes, element.isBF16()); });
  return builder.create<ConstantOp>(constant.getLoc(), converted, value);
}

/// `value` in `element`: a converted constant, or a cast.
Value toCompute(OpBuilder &builder, Location loc, Value value, FloatType element) {
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (Value converted = convertConstant(builder, constant, element))
      return converted;
  return builder.create<CastOp>(loc, withElement(value.getType(), element), value,
                                TypeAttr::get(element));
}

LogicalResult applyPrecision(Operation *op, PrecisionAttr precision) {
  // 8-bit integers take QDQ operands, which r1c-fuse-quantized-contractions
  // turns into an integer contraction; the result stays f32.
  if (auto integer = dyn_cast<IntegerType>(precision.getCompute());
      integer && integer.getWidth() == 8) {
    // Smoothed when the select pass said so, with its alpha.
    auto smoothing = op->getAttrOfType<FloatAttr>(kInt8SmoothingAttrName);
    return quantizeContractionToInt8(op, smoothing ? smoothing.getValueAsDouble() : 0.0,
                                     op->hasAttr(kInt8SharedActivationAttrName),
                                     op->hasAttr(kInt8BiasCorrectionAttrName));
  }
  auto compute = dyn_cast<FloatType>(precision.getCompute());
  if (!compute)
    return op->emitOpError() << "has a compute type that is not a float: " << precision;
  OpBuilder builder(op);
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOf(operand.get());
    if (!isa_and_nonnull<FloatType>(element) || element == compute)
      continue;
    // A convolution's bias starts its f32 sums: it stays f32, exact, at no
    // cost (the kernels read a bias of its own type).
    if (auto conv = dyn_cast<ConvOp>(op); conv && operand.get() == conv.getBias())
      continue;
    operand.set(toCompute(builder, op->getLoc(), operand.get(), compute));
  }
  // The result shapes follow from the new operands.
  auto inference = dyn_cast<InferTypeOpInterface>(op);
  if (!inference)
    return op->emitOpError("has r1.precision but does not infer its result types");
  SmallVector<Type> inferred;
  if (failed(inference.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                        op->getAttrDictionary(), op->getPropertiesStorage(),
                                        op->getRegions(), inferred)))
    return failure();
  builder.setInsertionPointAfter(op);
  for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
    // The shape the op infers, in the storage type (a matmul or convolution
    // of bf16 operands may keep its f32 sums).
    Type old = result.getType();
    Type stored = withElement(type, precision.getStorage());
    if (stored == old)
      continue;
    result.setType(stored);
    auto back = builder.create<CastOp>(op->getLoc(), old, result,
                                       TypeAttr::get(cast<ShapedType>(old).getElementType()));
    result.replaceAllUsesExcept(back, back);
  }
  // The op must accept its new types (r1.matmul and r1.conv take 16-bit
  // operands with an f32 result; other ops may not).
  return mlir::verify(op);
}

struct ApplyPrecisionPass : r1::impl::ApplyPrecisionBase<ApplyPrecisionPass> {

  void runOnOperation() override {
    SmallVector<std::pair<Operation *, PrecisionAttr>> lowered;
    getOperation().walk([&](Operation *op) {
      if (auto precision = op->getAttrOfType<PrecisionAttr>(PrecisionAttr::kName))
        lowered.push_back({op, precision});
    });
    for (auto [op, precision] : lowered)
      if (failed(applyPrecision(op, precision)))
        return signalPassFailure();
  }
};

} // namespace
