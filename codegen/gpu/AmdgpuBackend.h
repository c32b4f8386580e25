//===- AmdgpuBackend.h - AMDGPU code objects from LLVM bitcode --*- C++ -*-===//
//
// r1c's own LLVM (19) generates AMDGPU machine code from bitcode that an
// older front end produced for a related architecture, so that r1c can
// target GPUs the installed hipRTC does not know yet (HipRetargetCompiler).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_AMDGPUBACKEND_H
#define R1C_CODEGEN_GPU_AMDGPUBACKEND_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace r1c::gpu {

/// Whether this LLVM generates code for `arch` ("gfx942").
bool amdgpuBackendSupports(llvm::StringRef arch);

/// Turns device bitcode (kernels with the device libraries linked in) into
/// a code object for `arch`: every function is retargeted to `arch`, the
/// device libraries' ISA version constant is set to match, everything but
/// the kernels is internalized, then the module is optimized (O3),
/// compiled, and linked into a shared object with lld. The code object
/// version is the one the device libraries were built for. False with
/// `log` set on failure.
bool compileAmdgpuCodeObject(llvm::StringRef bitcode, llvm::StringRef arch,
                             std::string &codeObject, std::string &log);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_AMDGPUBACKEND_H
