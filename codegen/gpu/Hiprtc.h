//===- Hiprtc.h - HIP C++ to AMDGPU code objects with hipRTC ----*- C++ -*-===//
#ifndef R1C_CODEGEN_GPU_HIPRTC_H
#define R1C_CODEGEN_GPU_HIPRTC_H

#include "codegen/gpu/GpuCompiler.h"

#include <memory>

namespace r1c::gpu {

/// The environment variable that names the hipRTC library to load instead
/// of the usual ones (a file name or a path).
inline constexpr const char *kHiprtcLibraryVariable = "R1C_HIPRTC_LIBRARY";

/// Loads hipRTC: libhiprtc.so (ROCm 5.3 and later), or libamdhip64.so,
/// which carried it before. Null on failure, with `error` naming what was
/// tried.
std::unique_ptr<GpuCompiler> loadHiprtc(std::string &error);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_HIPRTC_H
