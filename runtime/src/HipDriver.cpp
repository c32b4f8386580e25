// The HIP runtime through dlopen: one device, one stream, modules from AMD
// code objects, and stream capture into graphs. HIP does not report a
// device's gfx name through a stable interface (its device properties
// changed layout between ROCm releases), so the runtime tells code objects
// for another GPU by the load error instead. Types are declared here with
// the library's ABI (the HIP headers are not needed to build the runtime).
#include "Error.h"
#include "GpuDriver.h"

namespace r1rt {
namespace {

using hipError_t = int;
using hipDevice_t = int;
using hipModule_t = void *;
using hipFunction_t = void *;
using hipStream_t = void *;
using hipGraph_t = void *;
using hipGraphExec_t = void *;

constexpr hipError_t kSuccess = 0;
constexpr hipError_t kOutOfMemory = 2;
constexpr hipError_t kNoDevice = 100;
constexpr hipError_t kInvalidImage = 200;
constexpr hipError_t kNoBinaryForGpu = 209;
constexpr int kCaptureModeThreadLocal = 1;

struct HipSymbols {
  hipError_t (*hipInit)(unsigned);
  hipError_t (*hipGetDeviceCount)(int *);
  hipError_t (*hipDeviceGet)(hipDevice_t *, int);
  hipError_t (*hipDeviceGetName)(char *, int, hipDevice_t);
  hipError_t (*hipSetDevice)(int);
  hipError_t (*hipStreamCreate)(hipStream_t *);
  hipError_t (*hipStreamDestroy)(hipStream_t);
  hipError_t (*hipStreamSynchronize)(hipStream_t);
  hipError_t (*hipMalloc)(void **, size_t);
  hipError_t (*hipFree)(void *);
  hipError_t (*hipMemcpyHtoDAsync)(void *, void *, size_t, hipStream_t);
  hipError_t (*hipMemcpyDtoHAsync)(void *, void *, size_t, hipStream_t);
  hipError_t (*hipModuleLoadData)(hipModule_t *, const void *);
  hipError_t (*hipModuleUnload)(hipModule_t);
  hipError_t (*hipModuleGetFunction)(hipFunction_t *, hipModule_t, const char *);
  hipError_t (*hipModuleLaunchKernel)(hipFunction_t, unsigned, unsigned, unsigned, unsigned,
                                      unsigned, unsigned, unsigned, hipStream_t, void **, void **);
  const char *(*hipGetErrorName)(hipError_t);
  const char *(*hipGetErrorString)(hipError_t);
  // Graphs: optional.
  hipError_t (*hipStreamBeginCapture)(hipStream_t, int);
  hipError_t (*hipStreamEndCapture)(hipStream_t, hipGraph_t *);
  hipError_t (*hipGraphInstantiateWithFlags)(hipGraphExec_t *, hipGraph_t, unsigned long long);
  hipError_t (*hipGraphLaunch)(hipGraphExec_t, hipStream_t);
  hipError_t (*hipGraphExecDestroy)(hipGraphExec_t);
  hipError_t (*hipGraphDestroy)(hipGraph_t);
};

void *toPointer(DevicePointer pointer) { return reinterpret_cast<void *>(uintptr_t(pointer)); }

class HipDriver final : public GpuDriver {
public:
  HipDriver(const HipSymbols &hip, std::string path) : hip(hip), path(std::move(path)) {}
  ~HipDriver() override {
    if (stream) {
      hip.hipSetDevice(ordinal);
      hip.hipStreamSynchronize(stream);
      hip.hipStreamDestroy(stream);
    }
  }

  const char *apiName() const override { return "HIP"; }
  uint32_t sectionKind() const override { return R1RT_SECTION_HIP_CODE; }
  const std::string &libraryPath() const override { return path; }
  const std::string &deviceName() const override { return name; }
  const std::string &deviceArch() const override { return arch; }

  r1rt_status_t open(int requested) override {
    // Without a GPU, hipInit fails (hipErrorInvalidDevice, or NoDevice).
    if (hipError_t result = hip.hipInit(0))
      return makeError(R1RT_UNAVAILABLE, "no HIP device is usable (runtime %s): %s", path.c_str(),
                       describe(result).c_str());
    int count = 0;
    hipError_t result = hip.hipGetDeviceCount(&count);
    if (result == kNoDevice || (result == kSuccess && count == 0))
      return makeError(R1RT_UNAVAILABLE, "no HIP device is present (runtime %s)", path.c_str());
    if (result)
      return fail("hipGetDeviceCount", result);
    if (requested < 0 || requested >= count)
      return makeError(R1RT_UNAVAILABLE, "HIP device %d was asked for; there are %d", requested,
                       count);
    ordinal = requested;
    hipDevice_t device = 0;
    if ((result = hip.hipSetDevice(ordinal)) || (result = hip.hipDeviceGet(&device, ordinal)))
      return fail("hipSetDevice", result);
    char text[256] = {};
    if ((result = hip.hipDeviceGetName(text, sizeof text - 1, device)))
      return fail("hipDeviceGetName", result);
    name = text;
    if ((result = hip.hipStreamCreate(&stream)))
      return fail("hipStreamCreate", result);
    return nullptr;
  }

  r1rt_status_t makeCurrent() override { return check("hipSetDevice", hip.hipSetDevice(ordinal)); }

  r1rt_status_t loadModule(const void *image, void **module, bool *wrongDevice) override {
    hipError_t result = hip.hipModuleLoadData(module, image);
    *wrongDevice = result == kNoBinaryForGpu || result == kInvalidImage;
    return check("hipModuleLoadData", result);
  }
  r1rt_status_t getFunction(void *module, const char *symbol, void **function) override {
    return check("hipModuleGetFunction", hip.hipModuleGetFunction(function, module, symbol));
  }
  void unloadModule(void *module) override { hip.hipModuleUnload(module); }

  r1rt_status_t allocate(size_t bytes, DevicePointer *pointer) override {
    void *address = nullptr;
    hipError_t result = hip.hipMalloc(&address, bytes ? bytes : 1);
    if (result == kOutOfMemory)
      return makeError(R1RT_OUT_OF_MEMORY, "the HIP device (%s) has no %zu bytes free",
                       name.c_str(), bytes);
    *pointer = DevicePointer(uintptr_t(address));
    return check("hipMalloc", result);
  }
  void free(DevicePointer pointer) override { hip.hipFree(toPointer(pointer)); }
  r1rt_status_t copyToDevice(DevicePointer target, const void *source, size_t bytes) override {
    return check("hipMemcpyHtoDAsync", hip.hipMemcpyHtoDAsync(toPointer(target),
                                                              const_cast<void *>(source), bytes,
                                                              stream));
  }
  r1rt_status_t copyToHost(void *target, DevicePointer source, size_t bytes) override {
    return check("hipMemcpyDtoHAsync",
                 hip.hipMemcpyDtoHAsync(target, toPointer(source), bytes, stream));
  }
  // AMD's LDS (64 KB on gfx90a and gfx942) takes no opt-in.
  r1rt_status_t allowSharedBytes(void *, uint32_t) override { return nullptr; }
  r1rt_status_t launch(void *function, const uint32_t grid[3], const uint32_t block[3],
                       uint32_t sharedBytes, void **params) override {
    return check("hipModuleLaunchKernel",
                 hip.hipModuleLaunchKernel(function, grid[0], grid[1], grid[2], block[0],
                                           block[1], block[2], sharedBytes, stream, params,
                                           nullptr));
  }
  r1rt_status_t synchronize() override {
    return check("hipStreamSynchronize", hip.hipStreamSynchronize(stream));
  }

  r1rt_status_t beginCapture() override {
    if (!hip.hipStreamBeginCapture || !hip.hipStreamEndCapture ||
        !hip.hipGraphInstantiateWithFlags || !hip.hipGraphLaunch || !hip.hipGraphExecDestroy ||
        !hip.hipGraphDestroy)
      return makeError(R1RT_UNIMPLEMENTED, "the HIP runtime (%s) has no graphs", path.c_str());
    return check("hipStreamBeginCapture",
                 hip.hipStreamBeginCapture(stream, kCaptureModeThreadLocal));
  }
  r1rt_status_t endCapture(void **graph) override {
    hipGraph_t captured = nullptr;
    if (r1rt_status_t status =
            check("hipStreamEndCapture", hip.hipStreamEndCapture(stream, &captured)))
      return status;
    hipError_t result = hip.hipGraphInstantiateWithFlags(graph, captured, 0);
    hip.hipGraphDestroy(captured);
    return check("hipGraphInstantiateWithFlags", result);
  }
  r1rt_status_t launchGraph(void *graph) override {
    return check("hipGraphLaunch", hip.hipGraphLaunch(graph, stream));
  }
  void destroyGraph(void *graph) override { hip.hipGraphExecDestroy(graph); }

private:
  std::string describe(hipError_t result) const {
    const char *errorName = hip.hipGetErrorName(result);
    const char *text = hip.hipGetErrorString(result);
    return std::string(errorName ? errorName : "HIP error " + std::to_string(result)) +
           (text ? std::string(" (") + text + ")" : "");
  }
  r1rt_status_t fail(const char *call, hipError_t result) const {
    return makeError(R1RT_UNAVAILABLE, "%s failed on %s: %s", call,
                     name.empty() ? "the HIP device" : name.c_str(), describe(result).c_str());
  }
  r1rt_status_t check(const char *call, hipError_t result) const {
    return result == kSuccess ? nullptr : fail(call, result);
  }

  HipSymbols hip;
  std::string path, name, arch;
  int ordinal = 0;
  hipStream_t stream = nullptr;
};

} // namespace

r1rt_status_t loadHipDriver(std::unique_ptr<GpuDriver> &driver) {
  static const char *const kLibraries[] = {"libamdhip64.so", "libamdhip64.so.6",
                                           "libamdhip64.so.5"};
  std::string path, error;
  void *library = detail::openDriverLibrary("R1RT_HIP_LIBRARY", kLibraries, 3, path, error);
  if (!library)
    return makeError(R1RT_UNAVAILABLE, "HIP: %s", error.c_str());
  HipSymbols hip{};
  using detail::bind;
  const char *missing = nullptr;
  auto need = [&](const char *symbol, auto &function) {
    if (!bind(library, symbol, function) && !missing)
      missing = symbol;
  };
  need("hipInit", hip.hipInit);
  need("hipGetDeviceCount", hip.hipGetDeviceCount);
  need("hipDeviceGet", hip.hipDeviceGet);
  need("hipDeviceGetName", hip.hipDeviceGetName);
  need("hipSetDevice", hip.hipSetDevice);
  need("hipStreamCreate", hip.hipStreamCreate);
  need("hipStreamDestroy", hip.hipStreamDestroy);
  need("hipStreamSynchronize", hip.hipStreamSynchronize);
  need("hipMalloc", hip.hipMalloc);
  need("hipFree", hip.hipFree);
  need("hipMemcpyHtoDAsync", hip.hipMemcpyHtoDAsync);
  need("hipMemcpyDtoHAsync", hip.hipMemcpyDtoHAsync);
  need("hipModuleLoadData", hip.hipModuleLoadData);
  need("hipModuleUnload", hip.hipModuleUnload);
  need("hipModuleGetFunction", hip.hipModuleGetFunction);
  need("hipModuleLaunchKernel", hip.hipModuleLaunchKernel);
  need("hipGetErrorName", hip.hipGetErrorName);
  need("hipGetErrorString", hip.hipGetErrorString);
  if (missing)
    return makeError(R1RT_UNAVAILABLE, "HIP: %s lacks %s (the runtime is too old)", path.c_str(),
                     missing);
  bind(library, "hipStreamBeginCapture", hip.hipStreamBeginCapture);
  bind(library, "hipStreamEndCapture", hip.hipStreamEndCapture);
  bind(library, "hipGraphInstantiateWithFlags", hip.hipGraphInstantiateWithFlags);
  bind(library, "hipGraphLaunch", hip.hipGraphLaunch);
  bind(library, "hipGraphExecDestroy", hip.hipGraphExecDestroy);
  bind(library, "hipGraphDestroy", hip.hipGraphDestroy);
  driver = std::make_unique<HipDriver>(hip, path);
  return nullptr;
}

} // namespace r1rt
