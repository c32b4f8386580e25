//===- GpuCompiler.h - An in-process compiler for kernel sources -*- C++ -*-===//
//
// NVRTC (Nvrtc.h) and hipRTC (Hiprtc.h) behind one interface, so kernel
// compilation (KernelCompiler.h) deduplicates and parallelizes the same way
// for both. Implementations are safe to call from several threads at once.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_GPUCOMPILER_H
#define R1C_CODEGEN_GPU_GPUCOMPILER_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace r1c::gpu {

struct CompiledCode {
  /// A cubin (NVRTC) or an AMDGPU code object (hipRTC).
  std::string binary;
  /// PTX (NVRTC), which a driver can still compile for a newer GPU; empty
  /// for hipRTC.
  std::string assembly;
};

class GpuCompiler {
public:
  virtual ~GpuCompiler() = default;

  /// The compiler and the library it came from, for messages:
  /// "NVRTC 13.0 (libnvrtc.so)".
  virtual std::string describe() const = 0;

  /// Whether it can compile for `arch`; if not, `why` says so. Checked
  /// before compiling, because some versions abort the process on an
  /// architecture they do not know.
  virtual bool supports(llvm::StringRef arch, std::string &why) const = 0;

  /// How many compiles may run at once; 0 for no limit. Callers that
  /// schedule compiles keep to it (the implementation is safe either way).
  virtual unsigned getMaxParallelCompiles() const { return 0; }

  /// Compiles one translation unit for `arch`; `fileName` names it in
  /// messages. False on failure, with the compiler's log in `log`.
  virtual bool compile(const std::string &source, const std::string &fileName, llvm::StringRef arch,
                       CompiledCode &code, std::string &log) const = 0;
};

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_GPUCOMPILER_H
