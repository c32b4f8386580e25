//===- Comgr.h - HIP C++ to LLVM bitcode with AMD's comgr ------*- C++ -*-===//
//
// hipRTC is a thin layer over AMD's code object manager (comgr): clang
// compiles the source to bitcode, comgr links the device libraries, then
// generates and links the code object. ComgrFrontEnd runs only the first
// two steps, with hipRTC's own runtime header, so that r1c can generate the
// code itself for an architecture the installed comgr's clang does not know
// (HipRetargetCompiler.h). Both libraries are loaded with dlopen.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_COMGR_H
#define R1C_CODEGEN_GPU_COMGR_H

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <mutex>
#include <string>

namespace r1c::gpu {

class DynamicLibrary;
struct ComgrSymbols;

/// Held while comgr or hipRTC compiles: comgr's in-process clang from ROCm
/// 5.2 crashes when two compiles overlap, whichever API started them.
std::mutex &amdCompilerMutex();

class ComgrFrontEnd {
public:
  /// Loads libamd_comgr and libhiprtc-builtins; null with `error` naming
  /// what is missing.
  static std::unique_ptr<ComgrFrontEnd> load(std::string &error);
  ~ComgrFrontEnd();

  /// "comgr 2.4 (libamd_comgr.so.2)".
  std::string describe() const;

  /// Compiles one HIP translation unit for `arch` (one comgr's clang
  /// knows) into LLVM bitcode with the device libraries linked in,
  /// optimized as before code generation. False with the log on failure.
  bool compileToBitcode(const std::string &source, const std::string &fileName,
                        llvm::StringRef arch, std::string &bitcode, std::string &log) const;

private:
  ComgrFrontEnd(std::unique_ptr<DynamicLibrary> comgr, std::unique_ptr<DynamicLibrary> builtins,
                std::unique_ptr<ComgrSymbols> symbols, llvm::StringRef runtimeHeader);

  std::unique_ptr<DynamicLibrary> comgr, builtins;
  std::unique_ptr<ComgrSymbols> api;
  /// hipRTC's runtime header (HIP's device API without system headers),
  /// which lives in libhiprtc-builtins.
  llvm::StringRef runtimeHeader;
};

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_COMGR_H
