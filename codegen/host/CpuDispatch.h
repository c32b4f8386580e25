//===- CpuDispatch.h - Which ISA build of a fat host module runs -*- C++ -*-===//
//
// A host module built for several x86-64 levels (--cpu=auto: x86-64-v3,
// x86-64-v4, and x86-64-v4-dl where a kernel uses its dot products) holds every kernel once per
// level and entry points that pick the best level the running CPU has. The choice is made in the
// generated code itself, so OUT.o linked into an application dispatches as the runtime's loaded
// copy does.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_CPUDISPATCH_H
#define R1C_CODEGEN_HOST_CPUDISPATCH_H

#include "llvm/IR/IRBuilder.h"

#include <string>

namespace r1c {

/// The environment variable that caps the level a fat host module runs at
/// ("x86-64-v3" runs the AVX2 code on an AVX-512 CPU), for comparing the
/// builds and for testing the lower one on any machine.
constexpr const char *kMaxCpuIsaVariable = "R1C_MAX_CPU_ISA";

/// Whether the code may run at level `cpu` ("x86-64-v4" or "x86-64-v4-dl";
/// x86-64-v3 is a fat module's baseline). x86-64-v4: the CPU has AVX-512
/// F, CD, BW, DQ and VL and the OS saves the ZMM and mask registers;
/// x86-64-v4-dl: also AVX512-VNNI and AVX512-BF16. False when
/// R1C_MAX_CPU_ISA names a lower level. Emits, once per module and level,
/// a function that asks cpuid on its first call and caches the answer;
/// returns an i1 at `b`'s insertion point.
llvm::Value *emitCpuRuns(llvm::IRBuilder<> &b, const std::string &cpu);

/// Whether emitCpuRuns can check level `cpu`.
bool canDispatchTo(const std::string &cpu);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_CPUDISPATCH_H
