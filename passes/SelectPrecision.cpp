//===- SelectPrecision.cpp - The number format of each op -----------------===//
//
// Decide, then apply: this pass writes r1.precision on the ops that compute
// in a lower format; r1c-apply-precision gives them those formats. The
// policy comes from `r1c --precision`.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"
#include "passes/Passes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mlir::r1 {
#define GEN_PASS_DEF_SELECTPRECISION
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Whether every float operand of `op` is f32, and it has one.
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
bool constantFitsInHalf(Value operand) {
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
bool rangesFitInHalf(Operation *op) {
  for (unsigned i = 0, e = op->getNumOperands(); i < e; ++i)
    if (RangeAttr range = RangeAttr::ofOperand(op, i))
      if (std::max(std::fabs(range.getLower()), std::fabs(range.getUpper())) >= 65504.0)
        return false;
  return true;
}

/// Whether `op` (f32) can compute on 8-bit integers as r1c quantizes them:
/// a contracted operand that is a constant with a static shape (the weight,
/// quantized per channel) and one that is not, with a calibrated range
/// (the activation, per tensor); the integer sums stay exact (K <= 2^15).
bool quantizableToInt8(Operation *op) {
  auto isWeight = [](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    return value.getDefiningOp<ConstantOp>() && type && type.hasStaticShape() &&
           type.getRank() >= 2;
  };
  Value activation = op->getOperand(0), weight = op->getOperand(1);
  if (!isWeight(weight) || activation.getDefiningOp<ConstantOp>() || !RangeAttr::ofOperand(op, 0))
    return false;
  auto weightShape = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t k = isa<MatMulOp>(op) ? weightShape[weightShape.size() - 2]
                                : productOfDims(weightShape.drop_front());
  return k <= (int64_t(1) << 15);
}

struct SelectPrecisionPass : r1::impl::SelectPrecisionBase<SelectPrecisionPass> {
  using SelectPrecisionBase::SelectPrecisionBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    Type lower;
    if (policy == "bf16")
      lower = BFloat16Type::get(context);
    else if (policy == "fp16")
      lower = Float16Type::get(context);
    else if (policy == "int8")
      return selectInt8();
    else if (policy != "fp32") {
      getOperation().emitError() << "--precision: unknown format '" << policy
                                 << "' (expected fp32, bf16, fp16 or int8)";
      return signalPassFailure();
    }
    if (!lower)
      return;
    // Products in the lower format, sums in f32: what the matrix units of
    // every target (AVX512-BF16 dot products, tensor cores, MFMA) compute.
    // The result keeps the f32 sums: the fused epilogue (bias, activation,
    // residual) then works on them, and a user that computes in the lower
    // format casts it, a cast the producer's kernel absorbs.
    Type f32 = Float32Type::get(context);
    auto precision = PrecisionAttr::get(context, lower, f32, f32);
    getOperation().walk([&](Operation *op) {
      if (!isa<MatMulOp, ConvOp>(op) || !computesInFloat32(op))
        return;
      // A weight past f16's range would become an infinity: that op stays
      // f32 (bf16 has f32's range).
      // So would an activation that calibration saw past it.
      if (lower.isF16() &&
          (!llvm::all_of(op->getOperands(), constantFitsInHalf) || !rangesFitInHalf(op)))
        return;
      op->setAttr(PrecisionAttr::kName, precision);
    });
  }

  /// int8: contractions with a weight and a calibrated activation multiply
  /// 8-bit integers and sum in i32; the scaled sums are f32. Everything
  /// else stays f32, as for the float formats.
  void selectInt8() {
    MLIRContext *context = &getContext();
    auto precision = PrecisionAttr::get(context, IntegerType::get(context, 8),
                                        IntegerType::get(context, 32), Float32Type::get(context));
    getOperation().walk([&](Operation *op) {
      if (isa<MatMulOp, ConvOp>(op) && computesInFloat32(op) && quantizableToInt8(op))
        op->setAttr(PrecisionAttr::kName, precision);
    });
  }
};

} // namespace
