//===- FloatApproximations.h - exp, tanh and erf inline, for f32 -*- C++ -*-===//
//
// Calls to libm (expf, tanhf, erff) keep LLVM from vectorizing the loops
// that contain them, and softmax, GELU and tanh run one element per call.
// These emit the functions as straight-line f32 arithmetic (range
// reduction, polynomials, selects), which loops vectorize. f64 keeps the
// libm functions and the LLVM intrinsics.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_FLOATAPPROXIMATIONS_H
#define R1C_CODEGEN_HOST_FLOATAPPROXIMATIONS_H

#include "llvm/IR/IRBuilder.h"

namespace r1c {

/// e^x, for f32 or a vector of f32: within 2 ulp of f32 for x in
/// [-87.3, 88.72], +inf above, 0 below (an absolute error under 1.2e-38
/// where e^x is subnormal), NaN for NaN.
llvm::Value *emitExp(llvm::IRBuilder<> &b, llvm::Value *x);

/// tanh(x): an odd Taylor polynomial near 0, 1 - 2 / (e^2|x| + 1) beyond,
/// with x's sign; within a few ulp of f32.
llvm::Value *emitTanh(llvm::IRBuilder<> &b, llvm::Value *x);

/// erf(x): its Taylor series near 0, beyond that Abramowitz and Stegun's
/// rational approximation 7.1.26 (absolute error at most 1.5e-7; f32's
/// tolerance is 1e-5 absolute).
llvm::Value *emitErf(llvm::IRBuilder<> &b, llvm::Value *x);

/// A call to libm's `name` (e.g. "asinh") for x's type: `name` for f64, with
/// the "f" suffix for f32. For functions LLVM has no intrinsic for.
llvm::Value *emitLibmCall(llvm::IRBuilder<> &b, llvm::StringRef name, llvm::Value *x);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_FLOATAPPROXIMATIONS_H
