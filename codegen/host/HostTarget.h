//===- HostTarget.h - x86-64 machine code from an LLVM module --*- C++ -*-===//
#ifndef R1C_CODEGEN_HOST_HOSTTARGET_H
#define R1C_CODEGEN_HOST_HOSTTARGET_H

#include "dialects/R1K/IR/R1KDialect.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace r1c {

/// The x86-64 level above x86-64-v4 for deep-learning dot products:
/// AVX512-BF16 (vdpbf16ps) and AVX512-VNNI (vpdpbusd), as Zen 4 and later
/// and Sapphire Rapids and later have them.
constexpr const char *kX86DlLevel = "x86-64-v4-dl";

/// How LLVM names a level: its CPU and the features beyond it.
struct LlvmCpu {
  std::string cpu, features;
};
LlvmCpu getLlvmCpu(const std::string &level);

/// Optimizes `module` for `cpu` ("native", "x86-64-v3" (AVX2) or
/// "x86-64-v4" (AVX-512), "x86-64-v4-dl") and writes an ELF relocatable object to `os`.
/// Returns false with `error` set when the CPU is unknown or LLVM fails.
bool emitHostObject(llvm::Module &module, const std::string &cpu, llvm::raw_pwrite_stream &os,
                    std::string &error);

/// The description of host `cpu` that select passes read: ISA features,
/// vector registers, caches and cores. For "native" what this machine has;
/// for x86-64-v3 (AVX2) and x86-64-v4 (AVX-512) what such CPUs have in
/// common, balanced for 8 cores, so the artifact does not depend on the
/// machine that compiled it. Null for an unknown CPU.
mlir::r1k::TargetAttr describeHostTarget(mlir::MLIRContext *context, const std::string &cpu);

/// Runs only the optimization pipeline (for --emit=llvm after optimizing).
bool optimizeHostModule(llvm::Module &module, const std::string &cpu, std::string &error);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_HOSTTARGET_H
