//===- ScalarExpressions.cpp - One r1 elementwise op as a C++ expression ---===//
//
// The GPU spelling of codegen/host/ScalarOps.cpp: the same semantics (NaN
// kept by max and min, relu leaving NaN alone, Python-style integer mod,
// integer pow through double), written as expressions over compute values.
// Integer results are cast back to their type, so they wrap as the host's
// do instead of staying promoted to int.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

std::string castExpression(const std::string &x, Type from, Type to) {
  std::string target = KernelWriter::computeType(to);
  if (target.empty())
    return "";
  // To bool: anything but zero (a NaN included) is true.
  if (to.isInteger(1))
    return "(" + x + " != " + KernelWriter::literal(from, 0) + ")";
  return "((" + target + ")(" + x + "))";
}

} // namespace

std::string printScalarOp(Operation *op, ArrayRef<std::string> operands) {
  Type element = getElementTypeOf(op->getOperand(0));
  std::string type = KernelWriter::computeType(element);
  if (type.empty())
    return "";
  bool isFloat = isa<FloatType>(element);
  bool isBool = element.isInteger(1);
  bool isUnsigned = element.isUnsignedInteger();
  std::string x = operands.empty() ? "" : operands[0];
  std::string y = operands.size() > 1 ? operands[1] : "";
  auto lit = [&](double value) { return KernelWriter::literal(element, value); };
  auto call = [&](StringRef name, const std::string &arg) {
    return KernelWriter::math(element, name) + "(" + arg + ")";
  };
  // Integer arithmetic wraps in its own type, as LLVM's does on the host.
  auto wrap = [&](const std::string &expr) {
    return isFloat ? expr : "((" + type + ")(" + expr + "))";
  };
  auto attr = [](FloatAttr value) { return value.getValueAsDouble(); };

  using S = std::string;
  return llvm::TypeSwitch<Operation *, S>(op)
      // On i1, + and - are xor and * is and, as in 1-bit LLVM integers.
      .Case([&](AddOp) -> S {
        return isBool ? "(" + x + " != " + y + ")" : wrap("(" + x + " + " + y + ")");
      })
      .Case([&](SubOp) -> S {
        return isBool ? "(" + x + " != " + y + ")" : wrap("(" + x + " - " + y + ")");
      })
      .Case([&](MulOp) -> S {
        return isBool ? "(" + x + " && " + y + ")" : wrap("(" + x + " * " + y + ")");
      })
      .Case([&](DivOp) -> S { return wrap("(" + x + " / " + y + ")"); })
      .Case([&](ModOp mod) -> S {
        if (isFloat)
          return call("fmod", x + ", " + y); // ONNX requires fmod = 1 for floats
        if (isUnsigned || mod.getFmod())
          return wrap("(" + x + " % " + y + ")");
        return "r1_pymod(" + x + ", " + y + ")";
      })
      .Case([&](PowOp) -> S {
        if (isFloat)
          return call("pow", x + ", (" + type + ")(" + y + ")");
        // Integer powers go through double, exact for the results that fit.
        return "((" + type + ")pow((double)(" + x + "), (double)(" + y + ")))";
      })
      .Case([&](MaxOp) -> S { return "r1_max(" + x + ", " + y + ")"; })
      .Case([&](MinOp) -> S { return "r1_min(" + x + ", " + y + ")"; })
      .Case([&](AndOp) -> S { return "(" + x + " && " + y + ")"; })
      .Case([&](OrOp) -> S { return "(" + x + " || " + y + ")"; })
      .Case([&](XorOp) -> S { return "(" + x + " != " + y + ")"; })
      .Case([&](NotOp) -> S { return "(!" + x + ")"; })
      .Case([&](BitwiseAndOp) -> S { return wrap("(" + x + " & " + y + ")"); })
      .Case([&](BitwiseOrOp) -> S { return wrap("(" + x + " | " + y + ")"); })
      .Case([&](BitwiseXorOp) -> S { return wrap("(" + x + " ^ " + y + ")"); })
      .Case([&](BitwiseNotOp) -> S { return wrap("(~" + x + ")"); })
      // C++ shifts are undefined from the bit width on; ONNX's give 0 there.
      // Below it, 8- and 16-bit operands promoted to int cannot overflow.
      .Case([&](ShiftLeftOp) -> S {
        return "(" + y + " < " + lit(element.getIntOrFloatBitWidth()) + " ? " +
               wrap("(" + x + " << " + y + ")") + " : " + lit(0) + ")";
      })
      .Case([&](ShiftRightOp) -> S {
        return "(" + y + " < " + lit(element.getIntOrFloatBitWidth()) + " ? " +
               wrap("(" + x + " >> " + y + ")") + " : " + lit(0) + ")";
      })
      .Case([&](IsNaNOp) -> S { return "(isnan(" + x + ") != 0)"; })
      .Case([&](IsInfOp test) -> S {
        // NVRTC has no <math.h>, so no INFINITY: isinf and the sign.
        S infinite = "(isinf(" + x + ") != 0)";
        if (test.getDetectPositive() && test.getDetectNegative())
          return infinite;
        if (!test.getDetectPositive() && !test.getDetectNegative())
          return "false";
        return "(" + infinite + " && " + x + (test.getDetectPositive() ? " > " : " < ") + lit(0) +
               ")";
      })
      .Case([&](EqualOp) -> S { return "(" + x + " == " + y + ")"; })
      .Case([&](LessOp) -> S { return "(" + x + " < " + y + ")"; })
      .Case([&](LessEqualOp) -> S { return "(" + x + " <= " + y + ")"; })
      .Case([&](GreaterOp) -> S { return "(" + x + " > " + y + ")"; })
      .Case([&](GreaterEqualOp) -> S { return "(" + x + " >= " + y + ")"; })
      .Case([&](WhereOp) -> S {
        return "(" + operands[0] + " ? " + operands[1] + " : " + operands[2] + ")";
      })
      .Case([&](CastOp cast) -> S { return castExpression(x, element, cast.getTo()); })
      .Case([&](AbsOp) -> S {
        if (isFloat)
          return call("fabs", x);
        return isUnsigned ? x : wrap("(" + x + " < 0 ? -" + x + " : " + x + ")");
      })
      .Case([&](NegOp) -> S { return wrap("(-" + x + ")"); })
      // NaN stays NaN: only values known to be negative become 0.
      .Case(
          [&](ReluOp) -> S { return "(" + x + " < " + lit(0) + " ? " + lit(0) + " : " + x + ")"; })
      .Case([&](SignOp) -> S {
        return "(" + x + " < " + lit(0) + " ? " + lit(-1) + " : (" + x + " > " + lit(0) + " ? " +
               lit(1) + " : " + lit(0) + "))";
      })
      .Case([&](SigmoidOp) -> S {
        return "(" + lit(1) + " / (" + lit(1) + " + " + call("exp", "-" + x) + "))";
      })
      .Case([&](TanhOp) -> S { return call("tanh", x); })
      .Case([&](ErfOp) -> S { return call("erf", x); })
      .Case([&](SqrtOp) -> S { return call("sqrt", x); })
      .Case([&](ExpOp) -> S { return call("exp", x); })
      .Case([&](LogOp) -> S { return call("log", x); })
      .Case([&](SinOp) -> S { return call("sin", x); })
      .Case([&](CosOp) -> S { return call("cos", x); })
      .Case([&](TanOp) -> S { return call("tan", x); })
      .Case([&](AsinOp) -> S { return call("asin", x); })
      .Case([&](AcosOp) -> S { return call("acos", x); })
      .Case([&](AtanOp) -> S { return call("atan", x); })
      .Case([&](SinhOp) -> S { return call("sinh", x); })
      .Case([&](CoshOp) -> S { return call("cosh", x); })
      .Case([&](AsinhOp) -> S { return call("asinh", x); })
      .Case([&](AcoshOp) -> S { return call("acosh", x); })
      .Case([&](AtanhOp) -> S { return call("atanh", x); })
      .Case([&](ReciprocalOp) -> S { return "(" + lit(1) + " / " + x + ")"; })
      .Case([&](FloorOp) -> S { return call("floor", x); })
      .Case([&](CeilOp) -> S { return call("ceil", x); })
      // rint rounds half to even in the default rounding mode.
      .Case([&](RoundOp) -> S { return call("rint", x); })
      .Case([&](SoftplusOp) -> S { return call("log", lit(1) + " + " + call("exp", x)); })
      .Case([&](SoftsignOp) -> S {
        return "(" + x + " / (" + lit(1) + " + " + call("fabs", x) + "))";
      })
      .Case([&](HardSigmoidOp hs) -> S {
        std::string linear = "(" + x + " * " + lit(attr(hs.getAlphaAttr())) + " + " +
                             lit(attr(hs.getBetaAttr())) + ")";
        return "r1_max(" + lit(0) + ", r1_min(" + lit(1) + ", " + linear + "))";
      })
      .Case([&](HardSwishOp) -> S {
        std::string linear = "(" + x + " * " + lit(1.0 / 6) + " + " + lit(0.5) + ")";
        return "(" + x + " * r1_max(" + lit(0) + ", r1_min(" + lit(1) + ", " + linear + ")))";
      })
      .Case([&](LeakyReluOp lr) -> S {
        return "(" + x + " < " + lit(0) + " ? " + x + " * " + lit(attr(lr.getAlphaAttr())) + " : " +
               x + ")";
      })
      .Case([&](EluOp elu) -> S {
        return "(" + x + " < " + lit(0) + " ? " + lit(attr(elu.getAlphaAttr())) + " * (" +
               call("exp", x) + " - " + lit(1) + ") : " + x + ")";
      })
      .Case([&](CeluOp celu) -> S {
        std::string alpha = lit(attr(celu.getAlphaAttr()));
        return "(r1_max(" + lit(0) + ", " + x + ") + r1_min(" + lit(0) + ", " + alpha + " * (" +
               call("exp", x + " / " + alpha) + " - " + lit(1) + ")))";
      })
      .Case([&](MishOp) -> S {
        return "(" + x + " * " + call("tanh", call("log", lit(1) + " + " + call("exp", x))) + ")";
      })
      .Case([&](ThresholdedReluOp tr) -> S {
        return "(" + x + " > " + lit(attr(tr.getAlphaAttr())) + " ? " + x + " : " + lit(0) + ")";
      })
      .Case([&](ShrinkOp shrink) -> S {
        std::string lambd = lit(attr(shrink.getLambdAttr())),
                    bias = lit(attr(shrink.getBiasAttr()));
        return "(" + x + " < -" + lambd + " ? " + x + " + " + bias + " : (" + x + " > " + lambd +
               " ? " + x + " - " + bias + " : " + lit(0) + "))";
      })
      .Case([&](SeluOp selu) -> S {
        return "(" + lit(attr(selu.getGammaAttr())) + " * (" + x + " > " + lit(0) + " ? " + x +
               " : " + lit(attr(selu.getAlphaAttr())) + " * (" + call("exp", x) + " - " + lit(1) +
               ")))";
      })
      .Case([&](GeluOp gelu) -> S {
        std::string half = "(" + x + " * " + lit(0.5) + ")";
        std::string inner;
        if (gelu.getApproximate() == "tanh") {
          std::string cube = "(" + x + " * " + x + " * " + x + ")";
          std::string poly = "(" + x + " + " + cube + " * " + lit(0.044715) + ")";
          inner = call("tanh", poly + " * " + lit(std::sqrt(2.0 / M_PI)));
        } else {
          inner = call("erf", x + " * " + lit(M_SQRT1_2));
        }
        return "(" + half + " * (" + lit(1) + " + " + inner + "))";
      })
      .Case([&](ClipOp clip) -> S {
        std::string result = x;
        if (auto lo = clip.getMinAttr())
          result = "r1_max(" + result + ", " + lit(lo.getValueAsDouble()) + ")";
        if (auto hi = clip.getMaxAttr())
          result = "r1_min(" + result + ", " + lit(hi.getValueAsDouble()) + ")";
        return result;
      })
      .Default([](Operation *) -> S { return ""; });
}

} // namespace r1c::gpu
