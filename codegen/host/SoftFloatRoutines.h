//===- SoftFloatRoutines.h - Float conversions LLVM may call by name -*- C++ -*-===//
#ifndef R1C_CODEGEN_HOST_SOFTFLOATROUTINES_H
#define R1C_CODEGEN_HOST_SOFTFLOATROUTINES_H

namespace llvm {
class Module;
} // namespace llvm

namespace r1c {

/// Defines, in a module that holds bfloat16 values, the conversion routine
/// LLVM's x86 back end calls when it legalizes bfloat16 on CPUs without
/// AVX512-BF16 (__truncsfbf2, f32 to bf16). The kernels round by integer
/// arithmetic themselves (emitFloatTruncate), but instruction selection still
/// converts vector bfloat16 values that live across blocks (the loop
/// vectorizer's recurrences) through f32 and back, by a call. Loaded host
/// code has no compiler runtime to find the routine in, and a program that
/// links OUT.o may have none either, so each module carries its own: weak
/// (modules of several models share one) and hidden (nothing outside sees it).
void defineSoftFloatRoutines(llvm::Module &module);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_SOFTFLOATROUTINES_H
