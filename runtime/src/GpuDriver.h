// One GPU programming interface, the CUDA driver API or the HIP runtime,
// loaded with dlopen through a table of symbols: the runtime has no
// link-time dependency on either, and a machine without them still runs
// host code. Every call acts on one device and one stream.
#ifndef R1RT_SRC_GPUDRIVER_H
#define R1RT_SRC_GPUDRIVER_H

#include "r1c/runtime.h"

#include <cstdint>
#include <memory>
#include <string>

namespace r1rt {

// A device address: CUdeviceptr, or a HIP pointer as an integer.
using DevicePointer = uint64_t;

class GpuDriver {
public:
  virtual ~GpuDriver() = default;

  // "CUDA" or "HIP", for messages.
  virtual const char *apiName() const = 0;
  // The artifact section kind whose code this interface loads.
  virtual uint32_t sectionKind() const = 0;
  // The library that was loaded, for messages.
  virtual const std::string &libraryPath() const = 0;

  // Opens device `ordinal` and a stream on it. R1RT_UNAVAILABLE when the
  // driver does not start or has no such device.
  virtual r1rt_status_t open(int ordinal) = 0;
  // The device's name ("NVIDIA H200"), and its architecture ("sm_90"); the
  // architecture is "" where the interface does not report it (HIP).
  virtual const std::string &deviceName() const = 0;
  virtual const std::string &deviceArch() const = 0;
  // Makes the device current on the calling thread.
  virtual r1rt_status_t makeCurrent() = 0;

  // Loads a code image (a cubin, PTX text or an AMD code object). When the
  // image is for another GPU, `*wrongDevice` is set and the status says so.
  virtual r1rt_status_t loadModule(const void *image, void **module, bool *wrongDevice) = 0;
  virtual r1rt_status_t getFunction(void *module, const char *symbol, void **function) = 0;
  // Lets `function` be launched with `bytes` of dynamic shared memory, past
  // the 48 KB that CUDA allows without asking (a no-op where nothing
  // needs asking).
  virtual r1rt_status_t allowSharedBytes(void *function, uint32_t bytes) = 0;
  virtual void unloadModule(void *module) = 0;

  virtual r1rt_status_t allocate(size_t bytes, DevicePointer *pointer) = 0;
  virtual void free(DevicePointer pointer) = 0;
  // Copies are queued on the stream; a host buffer must stay valid until
  // synchronize() returns.
  virtual r1rt_status_t copyToDevice(DevicePointer target, const void *source, size_t bytes) = 0;
  virtual r1rt_status_t copyToHost(void *target, DevicePointer source, size_t bytes) = 0;
  virtual r1rt_status_t launch(void *function, const uint32_t grid[3], const uint32_t block[3],
                               uint32_t sharedBytes, void **params) = 0;
  virtual r1rt_status_t synchronize() = 0;

  // Stream capture into a replayable graph. beginCapture is
  // R1RT_UNIMPLEMENTED where the driver lacks graphs.
  virtual r1rt_status_t beginCapture() = 0;
  virtual r1rt_status_t endCapture(void **graph) = 0;
  virtual r1rt_status_t launchGraph(void *graph) = 0;
  virtual void destroyGraph(void *graph) = 0;
};

// Loads the CUDA driver library: $R1RT_CUDA_LIBRARY, else libcuda.so.1.
// R1RT_UNAVAILABLE naming the library when it is missing or lacks a symbol.
r1rt_status_t loadCudaDriver(std::unique_ptr<GpuDriver> &driver);
// Loads the HIP runtime: $R1RT_HIP_LIBRARY, else libamdhip64.so (6, 5).
r1rt_status_t loadHipDriver(std::unique_ptr<GpuDriver> &driver);

namespace detail {
// dlopen of $`variable`, else the first of `defaults` that opens; the
// handle is never closed (drivers do not support unloading).
void *openDriverLibrary(const char *variable, const char *const *defaults, size_t count,
                        std::string &path, std::string &error);
void *lookupSymbol(void *library, const char *name);
// dlsym of `name` into `function`; false when it is missing.
template <typename Function> bool bind(void *library, const char *name, Function &function) {
  function = reinterpret_cast<Function>(lookupSymbol(library, name));
  return function != nullptr;
}
} // namespace detail

} // namespace r1rt

#endif // R1RT_SRC_GPUDRIVER_H
