//===- DynamicLibrary.cpp - A shared library opened at run time -----------===//
#include "codegen/gpu/DynamicLibrary.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <cstdlib>
#include <dlfcn.h>

namespace r1c::gpu {

std::unique_ptr<DynamicLibrary> DynamicLibrary::open(llvm::ArrayRef<llvm::StringRef> names,
                                                     const char *overrideVariable,
                                                     std::string &error) {
  llvm::SmallVector<llvm::StringRef> tried(names.begin(), names.end());
  const char *chosen = overrideVariable ? std::getenv(overrideVariable) : nullptr;
  if (chosen && *chosen)
    tried = {chosen};
  std::string lastError;
  for (llvm::StringRef name : tried) {
    std::string path = name.str();
    // RTLD_LOCAL: their symbols stay out of r1c's own namespace.
    if (void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))
      return std::unique_ptr<DynamicLibrary>(new DynamicLibrary(handle, path));
    const char *message = dlerror();
    lastError = message ? message : "unknown error";
  }
  error = "cannot load " + llvm::join(tried, ", ") + " (" + lastError + ")";
  if (chosen && *chosen)
    error += "; it was named by " + std::string(overrideVariable);
  return nullptr;
}

void *DynamicLibrary::lookup(const char *symbol) const { return dlsym(handle, symbol); }

} // namespace r1c::gpu
