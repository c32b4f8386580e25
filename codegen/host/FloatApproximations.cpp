//===- FloatApproximations.cpp - exp, tanh and erf inline, for f32 --------===//
#include "codegen/host/FloatApproximations.h"

#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

#include <cmath>

namespace r1c {
namespace {

llvm::Value *constant(llvm::Value *like, double value) {
  return llvm::ConstantFP::get(like->getType(), value);
}

/// p(x) = c[0] + c[1] x + ... by Horner's rule with FMA.
llvm::Value *polynomial(llvm::IRBuilder<> &b, llvm::Value *x, llvm::ArrayRef<double> c) {
  llvm::Value *sum = constant(x, c.back());
  for (size_t i = c.size() - 1; i-- > 0;)
    sum = b.CreateIntrinsic(llvm::Intrinsic::fma, {x->getType()}, {sum, x, constant(x, c[i])});
  return sum;
}

} // namespace

llvm::Value *emitLibmCall(llvm::IRBuilder<> &b, llvm::StringRef name, llvm::Value *x) {
  llvm::Module *module = b.GetInsertBlock()->getModule();
  std::string symbol = (name + (x->getType()->isFloatTy() ? "f" : "")).str();
  llvm::FunctionCallee callee = module->getOrInsertFunction(
      symbol, llvm::FunctionType::get(x->getType(), {x->getType()}, false));
  return b.CreateCall(callee, {x});
}

llvm::Value *emitExp(llvm::IRBuilder<> &b, llvm::Value *x) {
  if (!x->getType()->getScalarType()->isFloatTy())
    return b.CreateIntrinsic(llvm::Intrinsic::exp, {x->getType()}, {x});
  // i32 lanes shaped as x: a scalar, or a vector as wide.
  llvm::Type *i32 = b.getInt32Ty();
  if (auto *vector = llvm::dyn_cast<llvm::VectorType>(x->getType()))
    i32 = llvm::VectorType::get(i32, vector->getElementCount());
  auto word = [&](int32_t value) { return llvm::ConstantInt::getSigned(i32, value); };
  // x = n ln2 + r, |r| <= ln2 / 2, so e^x = 2^n e^r. n from the clamped x
  // keeps 2^n a normal float; ln2 in two parts keeps r exact to f32.
  llvm::Value *clamped = b.CreateIntrinsic(
      llvm::Intrinsic::minnum, {x->getType()},
      {b.CreateIntrinsic(llvm::Intrinsic::maxnum, {x->getType()}, {x, constant(x, -87.3)}),
       constant(x, 88.72283935546875)});
  llvm::Value *n = b.CreateIntrinsic(llvm::Intrinsic::roundeven, {x->getType()},
                                     {b.CreateFMul(clamped, constant(x, M_LOG2E))});
  llvm::Value *r = b.CreateIntrinsic(llvm::Intrinsic::fma, {x->getType()},
                                     {n, constant(x, -0.693359375), clamped});
  r = b.CreateIntrinsic(llvm::Intrinsic::fma, {x->getType()},
                        {n, constant(x, 2.12194440e-4), r});
  // e^r by its Taylor series to r^7: the first term left out, r^8 / 8!, is
  // under 6e-9 for |r| <= 0.347, below f32's epsilon.
  llvm::Value *er = polynomial(b, r, {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120,
                                      1.0 / 720, 1.0 / 5040});
  // 2^n as a float: the biased exponent n + 127 in bits 23..30. Near the
  // top n is 128, one past the largest exponent: 2^127, and e^r doubled.
  llvm::Value *whole = b.CreateFPToSI(n, i32);
  llvm::Value *top = b.CreateICmpSGT(whole, word(127));
  whole = b.CreateSelect(top, word(127), whole);
  er = b.CreateSelect(top, b.CreateFMul(er, constant(x, 2.0)), er);
  llvm::Value *bits = b.CreateShl(b.CreateAdd(whole, word(127)), word(23));
  llvm::Value *result = b.CreateFMul(er, b.CreateBitCast(bits, x->getType()));
  llvm::Value *overflow = b.CreateFCmpOGT(x, constant(x, 88.72283935546875));
  result = b.CreateSelect(overflow, constant(x, INFINITY), result);
  // Below -87.3 e^x is subnormal or 0; 0 is within 1.2e-38 of it, and exact
  // for -inf (softmax over masked scores).
  result = b.CreateSelect(b.CreateFCmpOLT(x, constant(x, -87.3)), constant(x, 0.0), result);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, result);
}

llvm::Value *emitTanh(llvm::IRBuilder<> &b, llvm::Value *x) {
  if (!x->getType()->isFloatTy())
    return emitLibmCall(b, "tanh", x);
  llvm::Value *a = b.CreateIntrinsic(llvm::Intrinsic::fabs, {x->getType()}, {x});
  // Near 0, 1 - 2 / (e^2x + 1) cancels: x - x^3/3 + 2x^5/15 - ... instead,
  // whose first term left out (x^13) is below 1e-9 for |x| < 0.3.
  llvm::Value *x2 = b.CreateFMul(x, x);
  llvm::Value *series = b.CreateFMul(
      x, polynomial(b, x2, {1.0, -1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835,
                            -1382.0 / 155925}));
  // 1 - 2 / (e^2|x| + 1) is 1 in f32 beyond |x| = 9; clamping keeps e^2|x|
  // finite.
  llvm::Value *e = emitExp(b, b.CreateFMul(
                                  b.CreateIntrinsic(llvm::Intrinsic::minnum, {x->getType()},
                                                    {a, constant(x, 9.0)}),
                                  constant(x, 2.0)));
  llvm::Value *far = b.CreateFSub(constant(x, 1.0),
                                  b.CreateFDiv(constant(x, 2.0), b.CreateFAdd(e, constant(x, 1.0))));
  // From 9 on, tanh rounds to 1 in f32.
  far = b.CreateSelect(b.CreateFCmpOGE(a, constant(x, 9.0)), constant(x, 1.0), far);
  far = b.CreateIntrinsic(llvm::Intrinsic::copysign, {x->getType()}, {far, x});
  llvm::Value *result = b.CreateSelect(b.CreateFCmpOLT(a, constant(x, 0.3)), series, far);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, result);
}

llvm::Value *emitErf(llvm::IRBuilder<> &b, llvm::Value *x) {
  if (!x->getType()->isFloatTy())
    return emitLibmCall(b, "erf", x);
  // erf(a) = 1 - t (a1 + a2 t + ... + a5 t^4) e^-a^2 with t = 1 / (1 + p a),
  // for a = |x|; erf is odd.
  llvm::Value *a = b.CreateIntrinsic(llvm::Intrinsic::fabs, {x->getType()}, {x});
  llvm::Value *t = b.CreateFDiv(
      constant(x, 1.0),
      b.CreateIntrinsic(llvm::Intrinsic::fma, {x->getType()}, {a, constant(x, 0.3275911), constant(x, 1.0)}));
  llvm::Value *p = b.CreateFMul(
      t, polynomial(b, t, {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429}));
  llvm::Value *y = b.CreateFSub(constant(x, 1.0),
                                b.CreateFMul(p, emitExp(b, b.CreateFNeg(b.CreateFMul(a, a)))));
  llvm::Value *result = b.CreateIntrinsic(llvm::Intrinsic::copysign, {x->getType()}, {y, x});
  // Near 0 the rational form loses x's relative precision: 2 / sqrt(pi)
  // (x - x^3/3 + x^5/10 - ...), whose first term left out (x^15) is under
  // 1e-9 for |x| < 0.5.
  llvm::Value *series = b.CreateFMul(
      x, polynomial(b, b.CreateFMul(x, x),
                    {M_2_SQRTPI, -M_2_SQRTPI / 3, M_2_SQRTPI / 10, -M_2_SQRTPI / 42,
                     M_2_SQRTPI / 216, -M_2_SQRTPI / 1320, M_2_SQRTPI / 9360}));
  result = b.CreateSelect(b.CreateFCmpOLT(a, constant(x, 0.5)), series, result);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, result);
}

} // namespace r1c
