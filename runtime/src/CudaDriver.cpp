// The CUDA driver API through dlopen: a primary context per device, one
// non-blocking stream, modules from cubins or PTX, and stream capture into
// graphs. Types are declared here with the driver's ABI (cuda.h is not
// needed to build the runtime).
#include "Error.h"
#include "GpuDriver.h"

namespace r1rt {
namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUgraph = void *;
using CUgraphExec = void *;

constexpr CUresult kSuccess = 0;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kNoDevice = 100;
constexpr CUresult kNoBinaryForGpu = 209;
constexpr CUresult kUnsupportedPtxVersion = 222;
constexpr int kComputeCapabilityMajor = 75;
constexpr int kComputeCapabilityMinor = 76;
constexpr unsigned kStreamNonBlocking = 1;
constexpr int kCaptureModeThreadLocal = 1;

// The driver functions the runtime calls, by their exported names.
struct CudaSymbols {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, CUstream, void **, void **);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  // Graphs: optional, absent from old drivers.
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
};

class CudaDriver final : public GpuDriver {
public:
  CudaDriver(const CudaSymbols &cu, std::string path) : cu(cu), path(std::move(path)) {}
  ~CudaDriver() override {
    if (stream) {
      cu.cuCtxSetCurrent(context);
      cu.cuStreamSynchronize(stream);
      cu.cuStreamDestroy(stream);
    }
    if (context)
      cu.cuDevicePrimaryCtxRelease(device);
  }

  const char *apiName() const override { return "CUDA"; }
  uint32_t sectionKind() const override { return R1RT_SECTION_CUDA_CODE; }
  const std::string &libraryPath() const override { return path; }
  const std::string &deviceName() const override { return name; }
  const std::string &deviceArch() const override { return arch; }

  r1rt_status_t open(int ordinal) override {
    if (CUresult result = cu.cuInit(0))
      return makeError(R1RT_UNAVAILABLE, "the CUDA driver (%s) does not start: %s", path.c_str(),
                       describe(result).c_str());
    int count = 0;
    CUresult result = cu.cuDeviceGetCount(&count);
    if (result == kNoDevice || (result == kSuccess && count == 0))
      return makeError(R1RT_UNAVAILABLE, "no CUDA device is present (driver %s)", path.c_str());
    if (result)
      return fail("cuDeviceGetCount", result);
    if (ordinal < 0 || ordinal >= count)
      return makeError(R1RT_UNAVAILABLE, "CUDA device %d was asked for; there are %d", ordinal,
                       count);
    if ((result = cu.cuDeviceGet(&device, ordinal)))
      return fail("cuDeviceGet", result);
    char text[256] = {};
    if ((result = cu.cuDeviceGetName(text, sizeof text - 1, device)))
      return fail("cuDeviceGetName", result);
    name = text;
    int major = 0, minor = 0;
    if ((result = cu.cuDeviceGetAttribute(&major, kComputeCapabilityMajor, device)) ||
        (result = cu.cuDeviceGetAttribute(&minor, kComputeCapabilityMinor, device)))
      return fail("cuDeviceGetAttribute", result);
    arch = "sm_" + std::to_string(major * 10 + minor);
    if ((result = cu.cuDevicePrimaryCtxRetain(&context, device)))
      return fail("cuDevicePrimaryCtxRetain", result);
    if ((result = cu.cuCtxSetCurrent(context)))
      return fail("cuCtxSetCurrent", result);
    if ((result = cu.cuStreamCreate(&stream, kStreamNonBlocking)))
      return fail("cuStreamCreate", result);
    return nullptr;
  }

  r1rt_status_t makeCurrent() override { return check("cuCtxSetCurrent", cu.cuCtxSetCurrent(context)); }

  r1rt_status_t loadModule(const void *image, void **module, bool *wrongDevice) override {
    CUresult result = cu.cuModuleLoadData(reinterpret_cast<CUmodule *>(module), image);
    *wrongDevice = result == kNoBinaryForGpu || result == kUnsupportedPtxVersion;
    return check("cuModuleLoadData", result);
  }
  r1rt_status_t getFunction(void *module, const char *symbol, void **function) override {
    return check("cuModuleGetFunction",
                 cu.cuModuleGetFunction(reinterpret_cast<CUfunction *>(function), module, symbol));
  }
  r1rt_status_t allowSharedBytes(void *function, uint32_t bytes) override {
    constexpr uint32_t kWithoutAsking = 48 * 1024;
    constexpr int kMaxDynamicSharedSizeBytes = 8; // CU_FUNC_ATTRIBUTE_...
    if (bytes <= kWithoutAsking)
      return nullptr;
    return check("cuFuncSetAttribute",
                 cu.cuFuncSetAttribute(function, kMaxDynamicSharedSizeBytes, int(bytes)));
  }
  void unloadModule(void *module) override { cu.cuModuleUnload(module); }

  r1rt_status_t allocate(size_t bytes, DevicePointer *pointer) override {
    CUdeviceptr address = 0;
    CUresult result = cu.cuMemAlloc(&address, bytes ? bytes : 1);
    if (result == kOutOfMemory)
      return makeError(R1RT_OUT_OF_MEMORY, "the CUDA device (%s) has no %zu bytes free",
                       name.c_str(), bytes);
    *pointer = address;
    return check("cuMemAlloc", result);
  }
  void free(DevicePointer pointer) override { cu.cuMemFree(pointer); }
  r1rt_status_t copyToDevice(DevicePointer target, const void *source, size_t bytes) override {
    return check("cuMemcpyHtoDAsync", cu.cuMemcpyHtoDAsync(target, source, bytes, stream));
  }
  r1rt_status_t copyToHost(void *target, DevicePointer source, size_t bytes) override {
    return check("cuMemcpyDtoHAsync", cu.cuMemcpyDtoHAsync(target, source, bytes, stream));
  }
  r1rt_status_t launch(void *function, const uint32_t grid[3], const uint32_t block[3],
                       uint32_t sharedBytes, void **params) override {
    return check("cuLaunchKernel",
                 cu.cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1],
                                   block[2], sharedBytes, stream, params, nullptr));
  }
  r1rt_status_t synchronize() override {
    return check("cuStreamSynchronize", cu.cuStreamSynchronize(stream));
  }

  r1rt_status_t beginCapture() override {
    if (!cu.cuStreamBeginCapture || !cu.cuStreamEndCapture || !cu.cuGraphInstantiateWithFlags ||
        !cu.cuGraphLaunch || !cu.cuGraphExecDestroy || !cu.cuGraphDestroy)
      return makeError(R1RT_UNIMPLEMENTED, "the CUDA driver (%s) has no graphs", path.c_str());
    return check("cuStreamBeginCapture",
                 cu.cuStreamBeginCapture(stream, kCaptureModeThreadLocal));
  }
  r1rt_status_t endCapture(void **graph) override {
    CUgraph captured = nullptr;
    if (r1rt_status_t status = check("cuStreamEndCapture", cu.cuStreamEndCapture(stream, &captured)))
      return status;
    CUresult result = cu.cuGraphInstantiateWithFlags(graph, captured, 0);
    cu.cuGraphDestroy(captured);
    return check("cuGraphInstantiateWithFlags", result);
  }
  r1rt_status_t launchGraph(void *graph) override {
    return check("cuGraphLaunch", cu.cuGraphLaunch(graph, stream));
  }
  void destroyGraph(void *graph) override { cu.cuGraphExecDestroy(graph); }

private:
  std::string describe(CUresult result) const {
    const char *errorName = nullptr, *text = nullptr;
    cu.cuGetErrorName(result, &errorName);
    cu.cuGetErrorString(result, &text);
    return std::string(errorName ? errorName : "CUDA error " + std::to_string(result)) +
           (text ? std::string(" (") + text + ")" : "");
  }
  r1rt_status_t fail(const char *call, CUresult result) const {
    return makeError(R1RT_UNAVAILABLE, "%s failed on %s: %s", call,
                     name.empty() ? "the CUDA device" : name.c_str(), describe(result).c_str());
  }
  r1rt_status_t check(const char *call, CUresult result) const {
    return result == kSuccess ? nullptr : fail(call, result);
  }

  CudaSymbols cu;
  std::string path, name, arch;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
};

} // namespace

r1rt_status_t loadCudaDriver(std::unique_ptr<GpuDriver> &driver) {
  static const char *const kLibraries[] = {"libcuda.so.1", "libcuda.so"};
  std::string path, error;
  void *library = detail::openDriverLibrary("R1RT_CUDA_LIBRARY", kLibraries, 2, path, error);
  if (!library)
    return makeError(R1RT_UNAVAILABLE, "CUDA: %s", error.c_str());
  CudaSymbols cu{};
  using detail::bind;
  const char *missing = nullptr;
  auto need = [&](const char *symbol, auto &function) {
    if (!bind(library, symbol, function) && !missing)
      missing = symbol;
  };
  need("cuInit", cu.cuInit);
  need("cuDriverGetVersion", cu.cuDriverGetVersion);
  need("cuDeviceGetCount", cu.cuDeviceGetCount);
  need("cuDeviceGet", cu.cuDeviceGet);
  need("cuDeviceGetName", cu.cuDeviceGetName);
  need("cuDeviceGetAttribute", cu.cuDeviceGetAttribute);
  need("cuDevicePrimaryCtxRetain", cu.cuDevicePrimaryCtxRetain);
  need("cuDevicePrimaryCtxRelease_v2", cu.cuDevicePrimaryCtxRelease);
  need("cuCtxSetCurrent", cu.cuCtxSetCurrent);
  need("cuStreamCreate", cu.cuStreamCreate);
  need("cuStreamDestroy_v2", cu.cuStreamDestroy);
  need("cuStreamSynchronize", cu.cuStreamSynchronize);
  need("cuMemAlloc_v2", cu.cuMemAlloc);
  need("cuMemFree_v2", cu.cuMemFree);
  need("cuMemcpyHtoDAsync_v2", cu.cuMemcpyHtoDAsync);
  need("cuMemcpyDtoHAsync_v2", cu.cuMemcpyDtoHAsync);
  need("cuModuleLoadData", cu.cuModuleLoadData);
  need("cuModuleUnload", cu.cuModuleUnload);
  need("cuModuleGetFunction", cu.cuModuleGetFunction);
  need("cuFuncSetAttribute", cu.cuFuncSetAttribute);
  need("cuLaunchKernel", cu.cuLaunchKernel);
  need("cuGetErrorName", cu.cuGetErrorName);
  need("cuGetErrorString", cu.cuGetErrorString);
  if (missing)
    return makeError(R1RT_UNAVAILABLE, "CUDA: %s lacks %s (the driver is too old)", path.c_str(),
                     missing);
  bind(library, "cuStreamBeginCapture_v2", cu.cuStreamBeginCapture);
  bind(library, "cuStreamEndCapture", cu.cuStreamEndCapture);
  bind(library, "cuGraphInstantiateWithFlags", cu.cuGraphInstantiateWithFlags);
  bind(library, "cuGraphLaunch", cu.cuGraphLaunch);
  bind(library, "cuGraphExecDestroy", cu.cuGraphExecDestroy);
  bind(library, "cuGraphDestroy", cu.cuGraphDestroy);
  driver = std::make_unique<CudaDriver>(cu, path);
  return nullptr;
}

} // namespace r1rt
