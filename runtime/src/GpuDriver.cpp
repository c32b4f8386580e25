// What the CUDA and HIP interfaces share: finding their library.
#include "GpuDriver.h"

#include <cstdlib>
#include <dlfcn.h>

namespace r1rt::detail {

void *openDriverLibrary(const char *variable, const char *const *defaults, size_t count,
                        std::string &path, std::string &error) {
  const char *chosen = std::getenv(variable);
  if (chosen && *chosen) {
    path = chosen;
    void *library = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *why = dlerror();
      error = std::string("cannot load ") + chosen + " (from $" + variable +
              "): " + (why ? why : "unknown error");
    }
    return library;
  }
  for (size_t i = 0; i < count; ++i) {
    path = defaults[i];
    if (void *library = dlopen(defaults[i], RTLD_NOW | RTLD_LOCAL))
      return library;
  }
  error = std::string("cannot load ") + defaults[0] + " (no driver installed; set $" + variable +
          " to its path)";
  return nullptr;
}

void *lookupSymbol(void *library, const char *name) { return dlsym(library, name); }

} // namespace r1rt::detail
