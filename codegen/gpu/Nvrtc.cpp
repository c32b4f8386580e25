//===- Nvrtc.cpp - CUDA C++ to cubin and PTX with NVRTC -------------------===//
//
// The few NVRTC entry points r1c calls, bound by name from the loaded
// library: nvrtc.h is not needed to build r1c. Their C signatures are
// NVRTC's stable API (nvrtcResult is an int-sized enum, 0 on success).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/Nvrtc.h"
#include "codegen/gpu/DynamicLibrary.h"

#include "llvm/ADT/STLExtras.h"

#include <vector>

namespace r1c::gpu {
namespace {

struct ProgramTag;
using Program = ProgramTag *;

/// NVRTC's functions, as r1c calls them.
struct NvrtcSymbols {
  const char *(*getErrorString)(int) = nullptr;
  int (*version)(int *, int *) = nullptr;
  int (*createProgram)(Program *, const char *, const char *, int, const char *const *,
                       const char *const *) = nullptr;
  int (*destroyProgram)(Program *) = nullptr;
  int (*compileProgram)(Program, int, const char *const *) = nullptr;
  int (*getProgramLogSize)(Program, size_t *) = nullptr;
  int (*getProgramLog)(Program, char *) = nullptr;
  int (*getPTXSize)(Program, size_t *) = nullptr;
  int (*getPTX)(Program, char *) = nullptr;
  int (*getCUBINSize)(Program, size_t *) = nullptr;
  int (*getCUBIN)(Program, char *) = nullptr;
  // Optional (NVRTC 11.2 and later): the architectures it compiles for.
  int (*getNumSupportedArchs)(int *) = nullptr;
  int (*getSupportedArchs)(int *) = nullptr;
};

class Nvrtc : public GpuCompiler {
public:
  Nvrtc(std::unique_ptr<DynamicLibrary> library, const NvrtcSymbols &symbols)
      : library(std::move(library)), nvrtc(symbols) {
    int major = 0, minor = 0;
    nvrtc.version(&major, &minor);
    versionText = std::to_string(major) + "." + std::to_string(minor);
    int count = 0;
    if (nvrtc.getNumSupportedArchs && nvrtc.getSupportedArchs &&
        nvrtc.getNumSupportedArchs(&count) == 0 && count > 0) {
      archs.resize(count);
      if (nvrtc.getSupportedArchs(archs.data()) != 0)
        archs.clear();
    }
  }

  std::string describe() const override {
    return "NVRTC " + versionText + " (" + library->getName() + ")";
  }

  bool supports(llvm::StringRef arch, std::string &why) const override {
    unsigned number = 0;
    // sm_XXa: the architecture-specific features of sm_XX.
    if (!arch.consume_front("sm_") || (arch.consume_back("a"), arch.getAsInteger(10, number))) {
      why = describe() + " compiles for sm_XX architectures only";
      return false;
    }
    // An NVRTC that cannot list its architectures gets to say for itself.
    if (archs.empty() || llvm::is_contained(archs, int(number)))
      return true;
    why = describe() + " cannot compile for sm_" + std::to_string(number);
    return false;
  }

  bool compile(const std::string &source, const std::string &fileName, llvm::StringRef arch,
               CompiledCode &code, std::string &log) const override {
    Program program = nullptr;
    int status =
        nvrtc.createProgram(&program, source.c_str(), fileName.c_str(), 0, nullptr, nullptr);
    if (status != 0) {
      log = std::string("nvrtcCreateProgram failed: ") + nvrtc.getErrorString(status);
      return false;
    }
    std::string archOption = "--gpu-architecture=" + arch.str();
    const char *options[] = {archOption.c_str(), "-std=c++17"};
    status = nvrtc.compileProgram(program, 2, options);
    size_t logSize = 0;
    if (nvrtc.getProgramLogSize(program, &logSize) == 0 && logSize > 1) {
      std::vector<char> text(logSize);
      if (nvrtc.getProgramLog(program, text.data()) == 0)
        log.assign(text.data());
    }
    bool ok = status == 0;
    if (!ok && log.empty())
      log = std::string("nvrtcCompileProgram failed: ") + nvrtc.getErrorString(status);
    // Sizes count the terminating NUL of PTX; a cubin's is its byte count.
    size_t size = 0;
    if (ok && nvrtc.getPTXSize(program, &size) == 0 && size > 0) {
      std::vector<char> ptx(size);
      if (nvrtc.getPTX(program, ptx.data()) == 0)
        code.assembly.assign(ptx.data());
    }
    if (ok && nvrtc.getCUBINSize(program, &size) == 0 && size > 0) {
      code.binary.resize(size);
      if (nvrtc.getCUBIN(program, code.binary.data()) != 0)
        code.binary.clear();
    }
    if (ok && code.binary.empty()) {
      log = "NVRTC produced no cubin for " + arch.str();
      ok = false;
    }
    nvrtc.destroyProgram(&program);
    return ok;
  }

private:
  std::unique_ptr<DynamicLibrary> library;
  NvrtcSymbols nvrtc;
  std::string versionText;
  std::vector<int> archs;
};

} // namespace

std::unique_ptr<GpuCompiler> loadNvrtc(std::string &error) {
  static const llvm::StringRef names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
                                          "libnvrtc.so.11.2", "/usr/local/cuda/lib64/libnvrtc.so"};
  std::unique_ptr<DynamicLibrary> library =
      DynamicLibrary::open(names, kNvrtcLibraryVariable, error);
  if (!library) {
    error = "NVRTC is needed for CUDA targets: " + error +
            "; install the CUDA toolkit's NVRTC or set " + kNvrtcLibraryVariable;
    return nullptr;
  }
  NvrtcSymbols s;
  std::string missing;
  library->bind(s.getErrorString, "nvrtcGetErrorString", missing);
  library->bind(s.version, "nvrtcVersion", missing);
  library->bind(s.createProgram, "nvrtcCreateProgram", missing);
  library->bind(s.destroyProgram, "nvrtcDestroyProgram", missing);
  library->bind(s.compileProgram, "nvrtcCompileProgram", missing);
  library->bind(s.getProgramLogSize, "nvrtcGetProgramLogSize", missing);
  library->bind(s.getProgramLog, "nvrtcGetProgramLog", missing);
  library->bind(s.getPTXSize, "nvrtcGetPTXSize", missing);
  library->bind(s.getPTX, "nvrtcGetPTX", missing);
  library->bind(s.getCUBINSize, "nvrtcGetCUBINSize", missing);
  library->bind(s.getCUBIN, "nvrtcGetCUBIN", missing);
  if (!missing.empty()) {
    error = library->getName() + " has no " + missing + "; r1c needs NVRTC 11.2 or newer";
    return nullptr;
  }
  std::string optional;
  library->bind(s.getNumSupportedArchs, "nvrtcGetNumSupportedArchs", optional);
  library->bind(s.getSupportedArchs, "nvrtcGetSupportedArchs", optional);
  return std::make_unique<Nvrtc>(std::move(library), s);
}

} // namespace r1c::gpu
