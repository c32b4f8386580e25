//===- Hiprtc.cpp - HIP C++ to AMDGPU code objects with hipRTC ------------===//
//
// The hipRTC entry points r1c calls, bound by name (hiprtcResult is an
// int-sized enum, 0 on success). Before ROCm 5.3 hipRTC lived inside
// libamdhip64, which also answers hipRuntimeGetVersion without a GPU; that
// version decides whether gfx942 is known, because hipRTC from HIP 5.2
// aborts the whole process on an architecture it does not know instead of
// returning an error.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/Hiprtc.h"
#include "codegen/gpu/Comgr.h"
#include "codegen/gpu/DynamicLibrary.h"

#include <vector>

namespace r1c::gpu {
namespace {

struct ProgramTag;
using Program = ProgramTag *;

struct HiprtcSymbols {
  const char *(*getErrorString)(int) = nullptr;
  int (*createProgram)(Program *, const char *, const char *, int, const char **,
                       const char **) = nullptr;
  int (*destroyProgram)(Program *) = nullptr;
  int (*compileProgram)(Program, int, const char **) = nullptr;
  int (*getProgramLogSize)(Program, size_t *) = nullptr;
  int (*getProgramLog)(Program, char *) = nullptr;
  int (*getCodeSize)(Program, size_t *) = nullptr;
  int (*getCode)(Program, char *) = nullptr;
  // Only in libamdhip64; HIP_VERSION as major * 10^7 + minor * 10^5 + patch.
  int (*runtimeGetVersion)(int *) = nullptr;
};

/// HIP versions from which hipRTC knows each architecture (gfx942 came
/// with ROCm 5.7's compiler).
struct ArchSupport {
  const char *arch;
  int firstVersion;
};
constexpr ArchSupport kArchSupport[] = {{"gfx90a", 40300000}, {"gfx942", 50700000}};

class Hiprtc : public GpuCompiler {
public:
  Hiprtc(std::unique_ptr<DynamicLibrary> library, const HiprtcSymbols &symbols)
      : library(std::move(library)), hiprtc(symbols) {
    if (hiprtc.runtimeGetVersion && hiprtc.runtimeGetVersion(&version) != 0)
      version = 0;
  }

  std::string describe() const override {
    std::string text = "hipRTC";
    if (version > 0)
      text +=
          " " + std::to_string(version / 10000000) + "." + std::to_string(version / 100000 % 100);
    return text + " (" + library->getName() + ")";
  }

  bool supports(llvm::StringRef arch, std::string &why) const override {
    for (const ArchSupport &support : kArchSupport) {
      if (arch != support.arch)
        continue;
      // An unknown version (a separate libhiprtc) is ROCm 5.3 or newer;
      // let it answer for itself.
      if (version == 0 || version >= support.firstVersion)
        return true;
      why = describe() + " does not know " + arch.str() + "; it needs HIP " +
            std::to_string(support.firstVersion / 10000000) + "." +
            std::to_string(support.firstVersion / 100000 % 100) + " or newer";
      return false;
    }
    why = describe() + " is not used for " + arch.str();
    return false;
  }

  // hipRTC 5.2 crashes when two programs compile at the same time.
  unsigned getMaxParallelCompiles() const override { return 1; }

  bool compile(const std::string &source, const std::string &fileName, llvm::StringRef arch,
               CompiledCode &code, std::string &log) const override {
    // Compiles take turns (see getMaxParallelCompiles), whoever calls,
    // with comgr's own too.
    std::lock_guard<std::mutex> lock(amdCompilerMutex());
    Program program = nullptr;
    int status =
        hiprtc.createProgram(&program, source.c_str(), fileName.c_str(), 0, nullptr, nullptr);
    if (status != 0) {
      log = std::string("hiprtcCreateProgram failed: ") + hiprtc.getErrorString(status);
      return false;
    }
    std::string archOption = "--offload-arch=" + arch.str();
    const char *options[] = {archOption.c_str(), "-O3", "-std=c++17"};
    status = hiprtc.compileProgram(program, 3, options);
    size_t logSize = 0;
    if (hiprtc.getProgramLogSize(program, &logSize) == 0 && logSize > 1) {
      std::vector<char> text(logSize + 1, '\0');
      if (hiprtc.getProgramLog(program, text.data()) == 0)
        log.assign(text.data());
    }
    bool ok = status == 0;
    if (!ok && log.empty())
      log = std::string("hiprtcCompileProgram failed: ") + hiprtc.getErrorString(status);
    size_t size = 0;
    if (ok && hiprtc.getCodeSize(program, &size) == 0 && size > 0) {
      code.binary.resize(size);
      if (hiprtc.getCode(program, code.binary.data()) != 0)
        code.binary.clear();
    }
    if (ok && code.binary.empty()) {
      log = "hipRTC produced no code object for " + arch.str();
      ok = false;
    }
    hiprtc.destroyProgram(&program);
    return ok;
  }

private:
  std::unique_ptr<DynamicLibrary> library;
  HiprtcSymbols hiprtc;
  int version = 0;
};

} // namespace

std::unique_ptr<GpuCompiler> loadHiprtc(std::string &error) {
  static const llvm::StringRef names[] = {"libhiprtc.so",
                                          "libhiprtc.so.6",
                                          "libhiprtc.so.5",
                                          "libamdhip64.so",
                                          "libamdhip64.so.6",
                                          "libamdhip64.so.5",
                                          "/opt/rocm/lib/libhiprtc.so",
                                          "/opt/rocm/lib/libamdhip64.so"};
  std::unique_ptr<DynamicLibrary> library =
      DynamicLibrary::open(names, kHiprtcLibraryVariable, error);
  if (!library) {
    error = "hipRTC is needed for HIP targets: " + error +
            "; install ROCm's hipRTC (Debian: libamdhip64-dev) or set " + kHiprtcLibraryVariable;
    return nullptr;
  }
  HiprtcSymbols s;
  std::string missing;
  library->bind(s.getErrorString, "hiprtcGetErrorString", missing);
  library->bind(s.createProgram, "hiprtcCreateProgram", missing);
  library->bind(s.destroyProgram, "hiprtcDestroyProgram", missing);
  library->bind(s.compileProgram, "hiprtcCompileProgram", missing);
  library->bind(s.getProgramLogSize, "hiprtcGetProgramLogSize", missing);
  library->bind(s.getProgramLog, "hiprtcGetProgramLog", missing);
  library->bind(s.getCodeSize, "hiprtcGetCodeSize", missing);
  library->bind(s.getCode, "hiprtcGetCode", missing);
  if (!missing.empty()) {
    error = library->getName() + " has no " + missing + "; it is not a hipRTC library";
    return nullptr;
  }
  std::string optional;
  library->bind(s.runtimeGetVersion, "hipRuntimeGetVersion", optional);
  return std::make_unique<Hiprtc>(std::move(library), s);
}

} // namespace r1c::gpu
