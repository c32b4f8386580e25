//===- DynamicLibrary.h - A shared library opened at run time ---*- C++ -*-===//
//
// NVRTC and hipRTC are not linked: r1c opens them with dlopen when a GPU
// target is asked for (STYLE.md 10), so it builds and runs where neither is
// installed and says which library it looked for.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_DYNAMICLIBRARY_H
#define R1C_CODEGEN_GPU_DYNAMICLIBRARY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>

namespace r1c::gpu {

class DynamicLibrary {
public:
  /// Opens the first of `names` (file names the loader searches for, or
  /// paths) that loads. When the environment variable `overrideVariable`
  /// is set, its value is the only name tried. On failure, `error` names
  /// every library tried and the loader's last message.
  static std::unique_ptr<DynamicLibrary> open(llvm::ArrayRef<llvm::StringRef> names,
                                              const char *overrideVariable, std::string &error);

  /// The library stays loaded for the life of the process: compilers
  /// keep state (and threads) that unloading would pull from under them.
  ~DynamicLibrary() = default;

  /// The address of `symbol`, or null.
  void *lookup(const char *symbol) const;
  /// The name it was opened by.
  const std::string &getName() const { return name; }

  /// Fills `function` from `symbol`; false (and `missing` set to the
  /// symbol) when the library lacks it.
  template <typename Function>
  bool bind(Function &function, const char *symbol, std::string &missing) const {
    function = reinterpret_cast<Function>(lookup(symbol));
    if (!function && missing.empty())
      missing = symbol;
    return function != nullptr;
  }

private:
  DynamicLibrary(void *handle, std::string name) : handle(handle), name(std::move(name)) {}
  void *handle;
  std::string name;
};

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_DYNAMICLIBRARY_H
