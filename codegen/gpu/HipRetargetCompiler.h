//===- HipRetargetCompiler.h - HIP for GPUs hipRTC does not know -*- C++ -*-===//
//
// hipRTC and comgr from ROCm before 5.7 (Debian 12 has 5.2) do not know
// gfx942. This compiler runs their front end for the closest architecture
// they do know (Comgr.h), then generates the code object with r1c's own
// LLVM (AmdgpuBackend.h), which does know it. Used only where hipRTC
// itself cannot compile for the architecture.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_HIPRETARGETCOMPILER_H
#define R1C_CODEGEN_GPU_HIPRETARGETCOMPILER_H

#include "codegen/gpu/GpuCompiler.h"

#include <memory>

namespace r1c::gpu {

/// The architecture whose front end stands in for `arch`, or "" when
/// there is none ("gfx90a" for "gfx942").
llvm::StringRef frontEndArchFor(llvm::StringRef arch);

/// Loads comgr and hipRTC's runtime header; null with `error` set.
std::unique_ptr<GpuCompiler> loadHipRetargetCompiler(std::string &error);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_HIPRETARGETCOMPILER_H
