//===- ScalarOps.cpp - One element of an r1 elementwise op as LLVM IR -----===//
#include "codegen/host/ScalarOps.h"
#include "codegen/host/FloatApproximations.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;
using llvm::IRBuilder;

namespace r1c {

llvm::Type *getScalarType(llvm::LLVMContext &context, Type type) {
  if (type.isF32())
    return llvm::Type::getFloatTy(context);
  if (type.isF64())
    return llvm::Type::getDoubleTy(context);
  if (type.isF16())
    return llvm::Type::getHalfTy(context);
  if (type.isBF16())
    return llvm::Type::getBFloatTy(context);
  if (auto integer = dyn_cast<IntegerType>(type))
    return llvm::IntegerType::get(context, integer.getWidth());
  return nullptr;
}

Type getComputeType(Type element) {
  if (element.isF16() || element.isBF16())
    return Float32Type::get(element.getContext());
  return element;
}

llvm::Type *getStorageType(llvm::LLVMContext &context, Type type) {
  if (type.isInteger(1))
    return llvm::Type::getInt8Ty(context);
  return getScalarType(context, type);
}

namespace {

/// Helpers that emit float math on one element; `x` has a floating type.
struct FloatMath {
  IRBuilder<> &b;

  llvm::Value *constant(llvm::Value *like, double value) {
    return llvm::ConstantFP::get(like->getType(), value);
  }
  llvm::Value *intrinsic(llvm::Intrinsic::ID id, llvm::ArrayRef<llvm::Value *> args) {
    return b.CreateIntrinsic(id, {args.front()->getType()}, args);
  }
  llvm::Value *exp(llvm::Value *x) { return emitExp(b, x); }
  /// max/min that keep NaN from either side, as ONNX's Max and Min do.
  llvm::Value *max(llvm::Value *x, llvm::Value *y) {
    return intrinsic(llvm::Intrinsic::maximum, {x, y});
  }
  llvm::Value *min(llvm::Value *x, llvm::Value *y) {
    return intrinsic(llvm::Intrinsic::minimum, {x, y});
  }
  llvm::Value *sigmoid(llvm::Value *x) {
    llvm::Value *one = constant(x, 1.0);
    return b.CreateFDiv(one, b.CreateFAdd(one, exp(b.CreateFNeg(x))));
  }
};

/// x / y for quantization, through y's reciprocal: where y does not change
/// inside a loop (a scale), LLVM hoists the one division, and each element
/// costs a multiply and two FMAs instead of a vector division. q = x * (1/y)
/// is within an ulp of x / y; the FMA gives the residual x - q * y exactly,
/// and q + residual * (1/y) is x / y correctly rounded (Markstein's
/// correction), except where x or x / y is below about 1e-30 and the
/// residual underflows: quotients that round to the integer 0 either way.
llvm::Value *emitQuotient(llvm::IRBuilder<> &b, FloatMath &m, llvm::Value *x, llvm::Value *y) {
  llvm::Value *reciprocal = b.CreateFDiv(m.constant(y, 1.0), y);
  llvm::Value *quotient = b.CreateFMul(x, reciprocal);
  llvm::Value *residual = m.intrinsic(llvm::Intrinsic::fma, {b.CreateFNeg(quotient), y, x});
  return m.intrinsic(llvm::Intrinsic::fma, {residual, reciprocal, quotient});
}

} // namespace

llvm::Value *emitFloatTruncate(IRBuilder<> &b, llvm::Value *x, llvm::Type *target) {
  if (!target->getScalarType()->isBFloatTy())
    return b.CreateFPTrunc(x, target);
  // Rounded to nearest even by integer arithmetic on the f32 bits: LLVM's
  // fptrunc to bfloat becomes a call into a runtime library
  // (__truncsfbf2) that loaded host code cannot count on. Scalars and
  // vectors alike.
  auto shaped = [&](llvm::Type *scalar) -> llvm::Type * {
    if (auto *vector = dyn_cast<llvm::VectorType>(x->getType()))
      return llvm::VectorType::get(scalar, vector->getElementCount());
    return scalar;
  };
  llvm::Type *f32 = shaped(b.getFloatTy());
  llvm::Type *i32 = shaped(b.getInt32Ty()), *i16 = shaped(b.getInt16Ty());
  if (x->getType() != f32)
    x = b.CreateFPTrunc(x, f32);
  auto word = [&](uint32_t value) { return llvm::ConstantInt::get(i32, value); };
  llvm::Value *bits = b.CreateBitCast(x, i32);
  llvm::Value *lsb = b.CreateAnd(b.CreateLShr(bits, word(16)), word(1));
  llvm::Value *rounded = b.CreateAdd(bits, b.CreateAdd(word(0x7FFF), lsb));
  llvm::Value *high = b.CreateTrunc(b.CreateLShr(rounded, word(16)), i16);
  llvm::Value *isNaN = b.CreateFCmpUNO(x, x);
  return b.CreateBitCast(b.CreateSelect(isNaN, llvm::ConstantInt::get(i16, 0x7FC0), high), target);
}

namespace {

llvm::Value *emitCast(IRBuilder<> &b, llvm::Value *x, Type from, Type to) {
  llvm::Type *target = getScalarType(b.getContext(), to);
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  bool fromSigned = !from.isUnsignedInteger() && !from.isInteger(1);
  if (to.isInteger(1))
    return fromFloat ? b.CreateFCmpUNE(x, llvm::ConstantFP::get(x->getType(), 0.0))
                     : b.CreateICmpNE(x, llvm::ConstantInt::get(x->getType(), 0));
  if (fromFloat && toFloat)
    return target->getPrimitiveSizeInBits() < x->getType()->getPrimitiveSizeInBits() ||
                   target->isBFloatTy()
               ? emitFloatTruncate(b, x, target)
               : b.CreateFPExt(x, target);
  if (fromFloat)
    return to.isUnsignedInteger() ? b.CreateFPToUI(x, target) : b.CreateFPToSI(x, target);
  if (to.isBF16()) {
    llvm::Value *wide =
        fromSigned ? b.CreateSIToFP(x, b.getFloatTy()) : b.CreateUIToFP(x, b.getFloatTy());
    return emitFloatTruncate(b, wide, target);
  }
  if (toFloat)
    return fromSigned ? b.CreateSIToFP(x, target) : b.CreateUIToFP(x, target);
  return b.CreateIntCast(x, target, fromSigned);
}

/// x shifted by y bits (y unsigned), zeros shifted in; 0 once y reaches the
/// bit width, where LLVM's shifts are poison.
llvm::Value *emitShift(IRBuilder<> &b, llvm::Value *x, llvm::Value *y, bool left) {
  unsigned width = x->getType()->getIntegerBitWidth();
  llvm::Value *zero = llvm::ConstantInt::get(x->getType(), 0);
  llvm::Value *inRange = b.CreateICmpULT(y, llvm::ConstantInt::get(y->getType(), width));
  // select does not pass on the poison of the arm it does not pick.
  llvm::Value *shifted = left ? b.CreateShl(x, y) : b.CreateLShr(x, y);
  return b.CreateSelect(inRange, shifted, zero);
}

/// One element of `op` from operands in registers of the compute type.
llvm::Value *emitComputed(IRBuilder<> &b, Operation *op, llvm::ArrayRef<llvm::Value *> operands) {
  FloatMath m{b};
  Type element = getElementTypeOf(op->getOperand(0));
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = element.isUnsignedInteger();
  llvm::Value *x = operands.empty() ? nullptr : operands[0];
  llvm::Value *y = operands.size() > 1 ? operands[1] : nullptr;
  auto floatAttr = [](FloatAttr attr) { return attr.getValueAsDouble(); };

  using V = llvm::Value *;
  return llvm::TypeSwitch<Operation *, V>(op)
      .Case([&](AddOp) -> V { return isFloat ? b.CreateFAdd(x, y) : b.CreateAdd(x, y); })
      .Case([&](SubOp) -> V { return isFloat ? b.CreateFSub(x, y) : b.CreateSub(x, y); })
      .Case([&](MulOp) -> V { return isFloat ? b.CreateFMul(x, y) : b.CreateMul(x, y); })
      .Case([&](DivOp) -> V {
        if (isFloat)
          return b.CreateFDiv(x, y);
        return isUnsigned ? b.CreateUDiv(x, y) : b.CreateSDiv(x, y);
      })
      .Case([&](ModOp mod) -> V {
        if (isFloat)
          return b.CreateFRem(x, y); // ONNX requires fmod=1 for floats
        if (isUnsigned)
          return b.CreateURem(x, y);
        V rem = b.CreateSRem(x, y);
        if (mod.getFmod())
          return rem;
        // Python-style: the remainder takes the divisor's sign.
        V zero = llvm::ConstantInt::get(x->getType(), 0);
        V signsDiffer = b.CreateICmpNE(b.CreateICmpSLT(rem, zero), b.CreateICmpSLT(y, zero));
        V adjust = b.CreateAnd(b.CreateICmpNE(rem, zero), signsDiffer);
        return b.CreateSelect(adjust, b.CreateAdd(rem, y), rem);
      })
      .Case([&](PowOp) -> V {
        Type exponent = getElementTypeOf(op->getOperand(1));
        if (isFloat) {
          V e = isa<FloatType>(exponent) ? b.CreateFPCast(y, x->getType())
                                         : emitCast(b, y, exponent, getComputeType(element));
          // Small whole powers (GPT-2's x^3 in GELU) as products: no libm
          // call, so the loop vectorizes; x * x is the correctly rounded
          // square, x * x * x within an ulp of the cube.
          if (auto *power = dyn_cast<llvm::ConstantFP>(e)) {
            if (power->isExactlyValue(1.0))
              return x;
            if (power->isExactlyValue(2.0))
              return b.CreateFMul(x, x);
            if (power->isExactlyValue(3.0))
              return b.CreateFMul(b.CreateFMul(x, x), x);
          }
          return m.intrinsic(llvm::Intrinsic::pow, {x, e});
        }
        // Integer powers go through double, exact for the results that fit.
        Type f64 = Float64Type::get(op->getContext());
        V base = emitCast(b, x, element, f64), e = emitCast(b, y, exponent, f64);
        return emitCast(b, m.intrinsic(llvm::Intrinsic::pow, {base, e}), f64, element);
      })
      .Case([&](MaxOp) -> V {
        if (isFloat)
          return m.max(x, y);
        return b.CreateSelect(isUnsigned ? b.CreateICmpUGT(x, y) : b.CreateICmpSGT(x, y), x, y);
      })
      .Case([&](MinOp) -> V {
        if (isFloat)
          return m.min(x, y);
        return b.CreateSelect(isUnsigned ? b.CreateICmpULT(x, y) : b.CreateICmpSLT(x, y), x, y);
      })
      .Case([&](AndOp) -> V { return b.CreateAnd(x, y); })
      .Case([&](OrOp) -> V { return b.CreateOr(x, y); })
      .Case([&](XorOp) -> V { return b.CreateXor(x, y); })
      .Case([&](NotOp) -> V { return b.CreateNot(x); })
      .Case([&](BitwiseAndOp) -> V { return b.CreateAnd(x, y); })
      .Case([&](BitwiseOrOp) -> V { return b.CreateOr(x, y); })
      .Case([&](BitwiseXorOp) -> V { return b.CreateXor(x, y); })
      .Case([&](BitwiseNotOp) -> V { return b.CreateNot(x); })
      .Case([&](ShiftLeftOp) -> V { return emitShift(b, x, y, /*left=*/true); })
      .Case([&](ShiftRightOp) -> V { return emitShift(b, x, y, /*left=*/false); })
      .Case([&](EqualOp) -> V { return isFloat ? b.CreateFCmpOEQ(x, y) : b.CreateICmpEQ(x, y); })
      .Case([&](IsNaNOp) -> V { return b.CreateFCmpUNO(x, x); })
      .Case([&](IsInfOp test) -> V {
        V positive = b.CreateFCmpOEQ(x, llvm::ConstantFP::getInfinity(x->getType()));
        V negative =
            b.CreateFCmpOEQ(x, llvm::ConstantFP::getInfinity(x->getType(), /*Negative=*/true));
        V none = b.getFalse();
        return b.CreateOr(test.getDetectPositive() ? positive : none,
                          test.getDetectNegative() ? negative : none);
      })
      .Case([&](LessOp) -> V {
        return isFloat ? b.CreateFCmpOLT(x, y)
                       : (isUnsigned ? b.CreateICmpULT(x, y) : b.CreateICmpSLT(x, y));
      })
      .Case([&](LessEqualOp) -> V {
        return isFloat ? b.CreateFCmpOLE(x, y)
                       : (isUnsigned ? b.CreateICmpULE(x, y) : b.CreateICmpSLE(x, y));
      })
      .Case([&](GreaterOp) -> V {
        return isFloat ? b.CreateFCmpOGT(x, y)
                       : (isUnsigned ? b.CreateICmpUGT(x, y) : b.CreateICmpSGT(x, y));
      })
      .Case([&](GreaterEqualOp) -> V {
        return isFloat ? b.CreateFCmpOGE(x, y)
                       : (isUnsigned ? b.CreateICmpUGE(x, y) : b.CreateICmpSGE(x, y));
      })
      .Case([&](WhereOp) -> V { return b.CreateSelect(operands[0], operands[1], operands[2]); })
      .Case([&](CastOp cast) -> V { return emitCast(b, x, element, cast.getTo()); })
      .Case([&](QuantizeOp quantize) -> V {
        // round_half_to_even(x / scale) + zero_point, saturated in f32 (where
        // every 16-bit integer is exact); NaN saturates to the low end.
        Type to = getElementTypeOf(quantize.getOutput());
        V zeroPoint = emitCast(b, operands[2], to, FloatType::getF32(op->getContext()));
        V rounded = m.intrinsic(llvm::Intrinsic::roundeven, {emitQuotient(b, m, x, y)});
        V shifted = b.CreateFAdd(rounded, zeroPoint);
        unsigned bits = to.getIntOrFloatBitWidth();
        bool isSigned = !to.isUnsignedInteger();
        double lo = isSigned ? -std::ldexp(1.0, bits - 1) : 0;
        double hi = isSigned ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
        V clamped = m.intrinsic(llvm::Intrinsic::minnum,
                                {m.intrinsic(llvm::Intrinsic::maxnum, {shifted, m.constant(x, lo)}),
                                 m.constant(x, hi)});
        llvm::Type *target = getScalarType(b.getContext(), to);
        return isSigned ? b.CreateFPToSI(clamped, target) : b.CreateFPToUI(clamped, target);
      })
      .Case([&](DequantizeOp) -> V {
        Type f32 = FloatType::getF32(op->getContext());
        V difference =
            b.CreateFSub(emitCast(b, x, element, f32), emitCast(b, operands[2], element, f32));
        return b.CreateFMul(difference, y);
      })
      .Case([&](AbsOp) -> V {
        if (isFloat)
          return m.intrinsic(llvm::Intrinsic::fabs, {x});
        if (isUnsigned)
          return x;
        return b.CreateIntrinsic(llvm::Intrinsic::abs, {x->getType()}, {x, b.getFalse()});
      })
      .Case([&](NegOp) -> V { return isFloat ? b.CreateFNeg(x) : b.CreateNeg(x); })
      .Case([&](ReluOp) -> V {
        if (!isFloat)
          return b.CreateSelect(b.CreateICmpSLT(x, llvm::ConstantInt::get(x->getType(), 0)),
                                llvm::ConstantInt::get(x->getType(), 0), x);
        // NaN stays NaN: only values known to be negative become 0.
        return b.CreateSelect(b.CreateFCmpOLT(x, m.constant(x, 0)), m.constant(x, 0), x);
      })
      .Case([&](SignOp) -> V {
        if (!isFloat) {
          V zero = llvm::ConstantInt::get(x->getType(), 0);
          V one = llvm::ConstantInt::get(x->getType(), 1);
          V minusOne = llvm::ConstantInt::getSigned(x->getType(), -1);
          V positive = isUnsigned ? b.CreateICmpUGT(x, zero) : b.CreateICmpSGT(x, zero);
          V negative = isUnsigned ? b.getFalse() : b.CreateICmpSLT(x, zero);
          return b.CreateSelect(positive, one, b.CreateSelect(negative, minusOne, zero));
        }
        V positive = b.CreateSelect(b.CreateFCmpOGT(x, m.constant(x, 0)), m.constant(x, 1),
                                    m.constant(x, 0));
        return b.CreateSelect(b.CreateFCmpOLT(x, m.constant(x, 0)), m.constant(x, -1), positive);
      })
      .Case([&](SigmoidOp) -> V { return m.sigmoid(x); })
      .Case([&](TanhOp) -> V { return emitTanh(b, x); })
      .Case([&](ErfOp) -> V { return emitErf(b, x); })
      .Case([&](SqrtOp) -> V { return m.intrinsic(llvm::Intrinsic::sqrt, {x}); })
      .Case([&](ExpOp) -> V { return m.exp(x); })
      .Case([&](LogOp) -> V { return m.intrinsic(llvm::Intrinsic::log, {x}); })
      .Case([&](SinOp) -> V { return m.intrinsic(llvm::Intrinsic::sin, {x}); })
      .Case([&](CosOp) -> V { return m.intrinsic(llvm::Intrinsic::cos, {x}); })
      .Case([&](TanOp) -> V { return m.intrinsic(llvm::Intrinsic::tan, {x}); })
      .Case([&](AsinOp) -> V { return m.intrinsic(llvm::Intrinsic::asin, {x}); })
      .Case([&](AcosOp) -> V { return m.intrinsic(llvm::Intrinsic::acos, {x}); })
      .Case([&](AtanOp) -> V { return m.intrinsic(llvm::Intrinsic::atan, {x}); })
      .Case([&](SinhOp) -> V { return m.intrinsic(llvm::Intrinsic::sinh, {x}); })
      .Case([&](CoshOp) -> V { return m.intrinsic(llvm::Intrinsic::cosh, {x}); })
      // LLVM 19 has no intrinsics for the inverse hyperbolic functions.
      .Case([&](AsinhOp) -> V { return emitLibmCall(b, "asinh", x); })
      .Case([&](AcoshOp) -> V { return emitLibmCall(b, "acosh", x); })
      .Case([&](AtanhOp) -> V { return emitLibmCall(b, "atanh", x); })
      .Case([&](ReciprocalOp) -> V { return b.CreateFDiv(m.constant(x, 1), x); })
      .Case([&](FloorOp) -> V { return m.intrinsic(llvm::Intrinsic::floor, {x}); })
      .Case([&](CeilOp) -> V { return m.intrinsic(llvm::Intrinsic::ceil, {x}); })
      .Case([&](RoundOp) -> V { return m.intrinsic(llvm::Intrinsic::roundeven, {x}); })
      .Case([&](SoftplusOp) -> V {
        return m.intrinsic(llvm::Intrinsic::log, {b.CreateFAdd(m.constant(x, 1), m.exp(x))});
      })
      .Case([&](SoftsignOp) -> V {
        return b.CreateFDiv(
            x, b.CreateFAdd(m.constant(x, 1), m.intrinsic(llvm::Intrinsic::fabs, {x})));
      })
      .Case([&](HardSigmoidOp hs) -> V {
        V linear = b.CreateFAdd(b.CreateFMul(x, m.constant(x, floatAttr(hs.getAlphaAttr()))),
                                m.constant(x, floatAttr(hs.getBetaAttr())));
        return m.max(m.constant(x, 0), m.min(m.constant(x, 1), linear));
      })
      .Case([&](HardSwishOp) -> V {
        V linear = b.CreateFAdd(b.CreateFMul(x, m.constant(x, 1.0 / 6)), m.constant(x, 0.5));
        return b.CreateFMul(x, m.max(m.constant(x, 0), m.min(m.constant(x, 1), linear)));
      })
      .Case([&](LeakyReluOp lr) -> V {
        V scaled = b.CreateFMul(x, m.constant(x, floatAttr(lr.getAlphaAttr())));
        return b.CreateSelect(b.CreateFCmpOLT(x, m.constant(x, 0)), scaled, x);
      })
      .Case([&](EluOp elu) -> V {
        V negative = b.CreateFMul(m.constant(x, floatAttr(elu.getAlphaAttr())),
                                  b.CreateFSub(m.exp(x), m.constant(x, 1)));
        return b.CreateSelect(b.CreateFCmpOLT(x, m.constant(x, 0)), negative, x);
      })
      .Case([&](CeluOp celu) -> V {
        double alpha = floatAttr(celu.getAlphaAttr());
        V negative = b.CreateFMul(
            m.constant(x, alpha),
            b.CreateFSub(m.exp(b.CreateFDiv(x, m.constant(x, alpha))), m.constant(x, 1)));
        return b.CreateFAdd(m.max(m.constant(x, 0), x), m.min(m.constant(x, 0), negative));
      })
      .Case([&](MishOp) -> V {
        V softplus = m.intrinsic(llvm::Intrinsic::log, {b.CreateFAdd(m.constant(x, 1), m.exp(x))});
        return b.CreateFMul(x, emitTanh(b, softplus));
      })
      .Case([&](ThresholdedReluOp tr) -> V {
        V above = b.CreateFCmpOGT(x, m.constant(x, floatAttr(tr.getAlphaAttr())));
        return b.CreateSelect(above, x, m.constant(x, 0));
      })
      .Case([&](ShrinkOp shrink) -> V {
        V lambd = m.constant(x, floatAttr(shrink.getLambdAttr()));
        V bias = m.constant(x, floatAttr(shrink.getBiasAttr()));
        V low = b.CreateFCmpOLT(x, b.CreateFNeg(lambd));
        V high = b.CreateFCmpOGT(x, lambd);
        return b.CreateSelect(low, b.CreateFAdd(x, bias),
                              b.CreateSelect(high, b.CreateFSub(x, bias), m.constant(x, 0)));
      })
      .Case([&](SeluOp selu) -> V {
        V negative = b.CreateFMul(m.constant(x, floatAttr(selu.getAlphaAttr())),
                                  b.CreateFSub(m.exp(x), m.constant(x, 1)));
        V inner = b.CreateSelect(b.CreateFCmpOGT(x, m.constant(x, 0)), x, negative);
        return b.CreateFMul(m.constant(x, floatAttr(selu.getGammaAttr())), inner);
      })
      .Case([&](GeluOp gelu) -> V {
        V half = b.CreateFMul(x, m.constant(x, 0.5));
        V inner;
        if (gelu.getApproximate() == "tanh") {
          V cube = b.CreateFMul(b.CreateFMul(x, x), x);
          V poly = b.CreateFAdd(x, b.CreateFMul(cube, m.constant(x, 0.044715)));
          inner = emitTanh(b, b.CreateFMul(poly, m.constant(x, std::sqrt(2.0 / M_PI))));
        } else {
          inner = emitErf(b, b.CreateFMul(x, m.constant(x, M_SQRT1_2)));
        }
        return b.CreateFMul(half, b.CreateFAdd(m.constant(x, 1), inner));
      })
      .Case([&](ClipOp clip) -> V {
        V result = x;
        if (isFloat) {
          if (auto lo = clip.getMinAttr())
            result = m.max(result, m.constant(x, lo.getValueAsDouble()));
          if (auto hi = clip.getMaxAttr())
            result = m.min(result, m.constant(x, hi.getValueAsDouble()));
          return result;
        }
        auto bound = [&](FloatAttr attr) {
          return llvm::ConstantInt::getSigned(x->getType(), int64_t(attr.getValueAsDouble()));
        };
        if (auto lo = clip.getMinAttr())
          result = b.CreateSelect(isUnsigned ? b.CreateICmpULT(result, bound(lo))
                                             : b.CreateICmpSLT(result, bound(lo)),
                                  bound(lo), result);
        if (auto hi = clip.getMaxAttr())
          result = b.CreateSelect(isUnsigned ? b.CreateICmpUGT(result, bound(hi))
                                             : b.CreateICmpSGT(result, bound(hi)),
                                  bound(hi), result);
        return result;
      })
      .Default([&](Operation *) -> V { return nullptr; });
}

} // namespace

llvm::Value *emitElementwiseScalar(IRBuilder<> &b, Operation *op,
                                   llvm::ArrayRef<llvm::Value *> operands) {
  llvm::SmallVector<llvm::Value *> widened;
  for (auto [operand, value] : llvm::zip(op->getOperands(), operands)) {
    Type element = getElementTypeOf(operand);
    Type compute = getComputeType(element);
    widened.push_back(
        compute == element ? value : b.CreateFPExt(value, getScalarType(b.getContext(), compute)));
  }
  llvm::Value *result = emitComputed(b, op, widened);
  if (!result || op->getNumResults() != 1)
    return result;
  // Rounded to the result's type, unless the op produced it already (a Cast
  // to float16 converts straight to it).
  Type element = getElementTypeOf(op->getResult(0));
  llvm::Type *type = getScalarType(b.getContext(), element);
  if (getComputeType(element) != element && result->getType() != type)
    result = emitFloatTruncate(b, result, type);
  return result;
}

} // namespace r1c
