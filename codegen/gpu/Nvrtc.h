//===- Nvrtc.h - CUDA C++ to cubin and PTX with NVRTC -----------*- C++ -*-===//
#ifndef R1C_CODEGEN_GPU_NVRTC_H
#define R1C_CODEGEN_GPU_NVRTC_H

#include "codegen/gpu/GpuCompiler.h"

#include <memory>

namespace r1c::gpu {

/// The environment variable that names the NVRTC library to load instead
/// of the usual ones (a file name or a path).
inline constexpr const char *kNvrtcLibraryVariable = "R1C_NVRTC_LIBRARY";

/// Loads NVRTC (libnvrtc.so, or a versioned soname from CUDA 13 back to
/// 11.2). Null on failure, with `error` naming what was tried.
std::unique_ptr<GpuCompiler> loadNvrtc(std::string &error);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_NVRTC_H
