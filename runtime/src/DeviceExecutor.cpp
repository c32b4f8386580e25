// The GPU executor: a device code section on a CUDA or HIP device. Weights
// are uploaded once per model and GPU, and shared by the model's sessions
// there; one device allocation per session holds the arena and a slot per
// graph input. A run copies the inputs in, launches the entry's kernels
// (the first run of an entry captures them into a graph, later runs replay
// it), and copies the outputs back.
#include "DeviceCode.h"
#include "Error.h"
#include "Executor.h"
#include "ExternalWeights.h"
#include "GpuDriver.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace r1rt {
namespace {

// Device buffers start on this boundary: the kernels' vector loads need
// 16 bytes, and 256 keeps every slot on its own memory transaction.
constexpr uint64_t kDeviceAlignment = 256;

uint64_t alignUp(uint64_t value) {
  return (value + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
}

uint64_t byteSize(const std::vector<int64_t> &dims, r1rt_dtype_t dtype) {
  uint64_t count = 1;
  for (int64_t dim : dims)
    count *= uint64_t(dim);
  return count * r1rt_dtype_size(dtype);
}

/// The artifact's weights on one GPU, shared by the model's sessions there.
/// It has its own driver handle, so it outlives any one session.
struct DeviceWeights {
  std::unique_ptr<GpuDriver> driver;
  DevicePointer pointer = 0;

  ~DeviceWeights() {
    if (!pointer)
      return;
    if (r1rt_status_t status = driver->makeCurrent())
      r1rt_status_release(status);
    driver->free(pointer);
  }
};

/// Uploads `bytes` of weights to GPU `ordinal` through a driver of its own.
r1rt_status_t uploadWeights(bool cuda, int ordinal, const void *data, size_t bytes,
                            std::shared_ptr<void> &out) {
  auto weights = std::make_shared<DeviceWeights>();
  if (r1rt_status_t status = cuda ? loadCudaDriver(weights->driver) : loadHipDriver(weights->driver))
    return status;
  if (r1rt_status_t status = weights->driver->open(ordinal))
    return status;
  if (r1rt_status_t status = weights->driver->allocate(bytes, &weights->pointer))
    return status;
  if (r1rt_status_t status = weights->driver->copyToDevice(weights->pointer, data, bytes))
    return status;
  if (r1rt_status_t status = weights->driver->synchronize())
    return status;
  out = std::move(weights);
  return nullptr;
}

class DeviceExecutor final : public Executor {
public:
  ~DeviceExecutor() override {
    if (!driver)
      return;
    if (r1rt_status_t status = driver->makeCurrent())
      r1rt_status_release(status);
    for (void *graph : graphs)
      if (graph)
        driver->destroyGraph(graph);
    if (memory)
      driver->free(memory);
    for (void *module : modules)
      driver->unloadModule(module);
  }

  const std::vector<PlanEntry> &entries() const override { return plan; }
  size_t arenaBytes() const override { return memoryBytes; }
  r1rt_status_t setThreads(size_t) override { return nullptr; }
  const std::string &description() const override { return describedAs; }

  r1rt_status_t run(size_t index, const void *const *inputs, void *const *outputs,
                    int64_t *outputDims) override {
    const DeviceEntry &entry = code.entries[index];
    if (r1rt_status_t status = driver->makeCurrent())
      return status;
    // The arena, then one slot per input.
    std::vector<uint64_t> slots;
    uint64_t need = alignUp(entry.plan.arenaSize);
    for (size_t i = 0; i < entry.plan.inputs.size(); ++i) {
      slots.push_back(need);
      need += alignUp(byteSize(entry.plan.inputs[i].dims, inputInfo[i].dtype));
    }
    if (need > memoryBytes) {
      // New addresses: graphs recorded with the old ones are stale.
      for (void *&graph : graphs)
        if (graph)
          driver->destroyGraph(graph), graph = nullptr;
      if (memory)
        driver->free(memory), memory = 0, memoryBytes = 0;
      if (r1rt_status_t status = driver->allocate(need, &memory))
        return status;
      memoryBytes = need;
    }
    for (size_t i = 0; i < slots.size(); ++i)
      if (uint64_t bytes = byteSize(entry.plan.inputs[i].dims, inputInfo[i].dtype))
        if (r1rt_status_t status = driver->copyToDevice(memory + slots[i], inputs[i], bytes))
          return status;
    auto address = [&](const DeviceLocation &location) -> DevicePointer {
      switch (location.kind) {
      case R1RT_DEVICE_INPUT:
        return memory + slots[location.value];
      case R1RT_DEVICE_WEIGHTS:
        return weights + location.value;
      default:
        return memory + location.value;
      }
    };
    if (r1rt_status_t status = launchAll(index, entry, address))
      return status;
    // Every output's dims, rank after rank: the plan's, or for dims computed
    // at run time those the launches left in the arena. Sized up front, as
    // the copies into it are queued. An output of such dims holds its
    // elements packed at the front of room for its most elements, which is
    // copied whole, so no copy waits for the dims.
    size_t dimCount = 0;
    for (const PlanTensor &output : entry.plan.outputs)
      dimCount += output.dims.size();
    reportedDims.resize(dimCount);
    size_t at = 0;
    for (size_t i = 0; i < entry.outputs.size(); ++i) {
      const PlanTensor &planned = entry.plan.outputs[i];
      uint64_t bytes = byteSize(planned.dims, outputInfo[i].dtype);
      if (planned.dataDependent()) {
        bytes = planned.maxElements * r1rt_dtype_size(outputInfo[i].dtype);
        if (r1rt_status_t status =
                driver->copyToHost(reportedDims.data() + at, address(entry.outputDims[i]),
                                   planned.dims.size() * sizeof(int64_t)))
          return status;
      } else {
        std::copy(planned.dims.begin(), planned.dims.end(), reportedDims.begin() + at);
      }
      at += planned.dims.size();
      if (bytes)
        if (r1rt_status_t status = driver->copyToHost(outputs[i], address(entry.outputs[i]), bytes))
          return status;
    }
    if (r1rt_status_t status = driver->synchronize())
      return status;
    if (outputDims)
      std::copy(reportedDims.begin(), reportedDims.end(), outputDims);
    return nullptr;
  }

  template <typename Address>
  r1rt_status_t launchAll(size_t index, const DeviceEntry &entry, const Address &address) {
    auto launchEach = [&]() -> r1rt_status_t {
      std::vector<DevicePointer> values;
      std::vector<void *> params;
      for (const DeviceLaunch &launch : entry.launches) {
        values.assign(launch.args.size(), 0);
        params.assign(launch.args.size(), nullptr);
        for (size_t a = 0; a < launch.args.size(); ++a) {
          values[a] = address(launch.args[a]);
          params[a] = &values[a];
        }
        if (r1rt_status_t status = driver->launch(functions[launch.module], launch.grid,
                                                  launch.block, launch.sharedBytes,
                                                  params.data()))
          return status;
      }
      return nullptr;
    };
    if (!useGraphs)
      return launchEach();
    if (!graphs[index]) {
      if (r1rt_status_t status = driver->beginCapture()) {
        // No graphs on this driver: launch one by one from now on.
        r1rt_status_release(status);
        useGraphs = false;
        return launchEach();
      }
      r1rt_status_t launched = launchEach();
      void *graph = nullptr;
      r1rt_status_t ended = driver->endCapture(&graph);
      if (launched) {
        if (ended)
          r1rt_status_release(ended);
        return launched;
      }
      if (ended)
        return prefixError("capturing the kernel launches into a graph", ended);
      graphs[index] = graph;
    }
    return driver->launchGraph(graphs[index]);
  }

  std::unique_ptr<GpuDriver> driver;
  DeviceCode code;
  std::vector<PlanEntry> plan;
  std::vector<TensorInfo> inputInfo, outputInfo;
  std::vector<void *> modules, functions;
  // The model's weights on this GPU (held, shared with its other sessions).
  std::shared_ptr<void> sharedWeights;
  DevicePointer weights = 0;
  DevicePointer memory = 0;
  uint64_t memoryBytes = 0;
  std::vector<void *> graphs; // per entry, captured at its first run
  std::vector<int64_t> reportedDims;
  bool useGraphs = true;
  std::string describedAs;
};

// A code section of the artifact, by name.
struct CodeSection {
  std::string name;
  const uint8_t *data;
  size_t size;
};

std::vector<CodeSection> codeSections(r1rt_model_t model, uint32_t kind) {
  std::vector<CodeSection> sections;
  size_t count = 0;
  if (r1rt_status_t status = r1rt_model_section_count(model, &count))
    r1rt_status_release(status);
  for (size_t i = 0; i < count; ++i) {
    r1rt_section_info_t info;
    if (r1rt_status_t status = r1rt_model_section_info(model, i, &info)) {
      r1rt_status_release(status);
      continue;
    }
    if (info.kind == kind)
      sections.push_back({info.name, static_cast<const uint8_t *>(info.data), info.size});
  }
  return sections;
}

// The number of "sm_90"; -1 for another name.
int smNumber(const std::string &arch) {
  if (arch.compare(0, 3, "sm_") != 0 || arch.size() < 4)
    return -1;
  int number = 0;
  for (char c : arch.substr(3)) {
    if (c < '0' || c > '9')
      return -1;
    number = number * 10 + (c - '0');
  }
  return number;
}

std::string joinNames(const std::vector<CodeSection> &sections) {
  std::string text;
  for (const CodeSection &section : sections)
    text += (text.empty() ? "" : ", ") + section.name;
  return text;
}

// Loads every module of `code` from its binary or its PTX. Sets
// `wrongDevice` when the first one is for another GPU.
r1rt_status_t loadModules(DeviceExecutor &executor, bool fromPtx, bool &wrongDevice) {
  wrongDevice = false;
  for (const DeviceModule &module : executor.code.modules) {
    // Copied so the driver reads an aligned, and for PTX NUL-terminated, image.
    const uint8_t *bytes = fromPtx ? module.ptx : module.binary;
    uint64_t size = fromPtx ? module.ptxSize : module.binarySize;
    std::vector<uint64_t> image(size / 8 + 2, 0);
    std::memcpy(image.data(), bytes, size);
    void *handle = nullptr;
    bool wrong = false;
    if (r1rt_status_t status = executor.driver->loadModule(image.data(), &handle, &wrong)) {
      wrongDevice = wrong && executor.modules.empty();
      return prefixError("loading kernel " + quoted(module.symbol), status);
    }
    executor.modules.push_back(handle);
    void *function = nullptr;
    if (r1rt_status_t status = executor.driver->getFunction(handle, module.symbol.c_str(), &function))
      return prefixError("kernel " + quoted(module.symbol), status);
    executor.functions.push_back(function);
  }
  // Launches with more dynamic shared memory than a device allows by
  // default (CUDA: 48 KB) are allowed theirs, once per function.
  std::vector<uint32_t> sharedBytes(executor.functions.size(), 0);
  for (const DeviceEntry &entry : executor.code.entries)
    for (const DeviceLaunch &launch : entry.launches)
      sharedBytes[launch.module] = std::max(sharedBytes[launch.module], launch.sharedBytes);
  for (size_t i = 0; i < sharedBytes.size(); ++i)
    if (r1rt_status_t status =
            executor.driver->allowSharedBytes(executor.functions[i], sharedBytes[i]))
      return prefixError("kernel " + quoted(executor.code.modules[i].symbol), status);
  return nullptr;
}

r1rt_status_t parseSection(DeviceExecutor &executor, const CodeSection &section,
                           uint64_t weightsSize) {
  std::vector<int32_t> inputRanks, outputRanks;
  for (const TensorInfo &info : executor.inputInfo)
    inputRanks.push_back(int32_t(info.dims.size()));
  for (const TensorInfo &info : executor.outputInfo)
    outputRanks.push_back(int32_t(info.dims.size()));
  executor.code = DeviceCode{};
  if (r1rt_status_t status = parseDeviceCode(section.data, section.size, inputRanks, outputRanks,
                                             weightsSize, executor.code))
    return prefixError("section " + section.name, status);
  return nullptr;
}

// Picks and loads the section for the executor's device.
r1rt_status_t loadCode(DeviceExecutor &executor, const std::vector<CodeSection> &sections,
                       uint64_t weightsSize, std::string &how) {
  GpuDriver &driver = *executor.driver;
  const std::string &arch = driver.deviceArch();
  auto tryLoad = [&](const CodeSection &section, bool fromPtx, bool &wrongDevice) {
    if (r1rt_status_t status = parseSection(executor, section, weightsSize))
      return status;
    if (fromPtx && !executor.code.hasPtx())
      return makeError(R1RT_UNAVAILABLE, "section %s has no PTX", section.name.c_str());
    for (void *module : executor.modules)
      driver.unloadModule(module);
    executor.modules.clear();
    executor.functions.clear();
    return loadModules(executor, fromPtx, wrongDevice);
  };
  if (arch.empty()) {
    // HIP: the code object that loads is the one for this GPU.
    for (const CodeSection &section : sections) {
      bool wrongDevice = false;
      r1rt_status_t status = tryLoad(section, false, wrongDevice);
      if (!status) {
        how = "code object for " + section.name;
        return nullptr;
      }
      if (!wrongDevice)
        return status;
      r1rt_status_release(status);
    }
    return makeError(R1RT_UNAVAILABLE,
                     "the artifact's %s code (%s) does not run on %s; recompile with r1c "
                     "--target naming this GPU's architecture",
                     driver.apiName(), joinNames(sections).c_str(), driver.deviceName().c_str());
  }
  // CUDA: the exact sm, else a cubin of the same major version below it,
  // else the newest PTX from an older sm.
  int device = smNumber(arch);
  const CodeSection *best = nullptr;
  bool fromPtx = false;
  for (const CodeSection &section : sections) {
    int number = smNumber(section.name);
    if (number == device) {
      best = &section;
      break;
    }
    if (number >= 0 && number < device && number / 10 == device / 10 &&
        (!best || number > smNumber(best->name)))
      best = &section;
  }
  if (!best) {
    for (const CodeSection &section : sections) {
      int number = smNumber(section.name);
      if (number >= 0 && number < device && (!best || number > smNumber(best->name)))
        best = &section;
    }
    fromPtx = best != nullptr;
  }
  if (!best)
    return makeError(R1RT_UNAVAILABLE,
                     "the artifact's CUDA code is for %s; this GPU (%s) is %s: recompile with "
                     "r1c --target=%s",
                     joinNames(sections).c_str(), driver.deviceName().c_str(), arch.c_str(),
                     arch.c_str());
  bool wrongDevice = false;
  if (r1rt_status_t status = tryLoad(*best, fromPtx, wrongDevice))
    return prefixError(std::string("the ") + (fromPtx ? "PTX" : "cubins") + " of " + best->name +
                           " do not load on " + driver.deviceName() + " (" + arch + ")",
                       status);
  how = fromPtx ? "PTX of " + best->name + ", compiled by the driver" : "cubin for " + best->name;
  return nullptr;
}

} // namespace

r1rt_status_t createDeviceExecutor(r1rt_model_t model, r1rt_device_t kind, int ordinal,
                                   bool useGraphs, const std::vector<TensorInfo> &inputs,
                                   const std::vector<TensorInfo> &outputs,
                                   std::unique_ptr<Executor> &executor) {
  bool cuda = kind == R1RT_DEVICE_CUDA;
  const char *api = cuda ? "CUDA" : "HIP";
  std::vector<CodeSection> sections =
      codeSections(model, cuda ? R1RT_SECTION_CUDA_CODE : R1RT_SECTION_HIP_CODE);
  if (sections.empty())
    return makeError(R1RT_UNAVAILABLE, "the artifact has no %s code (compile with r1c "
                                       "--target=%s)",
                     api, cuda ? "sm_90" : "gfx90a");
  auto device = std::unique_ptr<DeviceExecutor>(new (std::nothrow) DeviceExecutor);
  if (!device)
    return makeError(R1RT_OUT_OF_MEMORY, "out of memory creating a session");
  device->inputInfo = inputs;
  device->outputInfo = outputs;
  device->useGraphs = useGraphs;
  if (r1rt_status_t status = cuda ? loadCudaDriver(device->driver) : loadHipDriver(device->driver))
    return status;
  if (r1rt_status_t status = device->driver->open(ordinal))
    return status;
  // The weights: the WEIGHTS section, or the side file that
  // --weights=external wrote, mapped once per model (shared with host code).
  const void *weightData = nullptr;
  size_t weightSize = 0;
  if (r1rt_status_t status =
          r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, "weights", &weightData, &weightSize)) {
    r1rt_status_release(status);
    if (r1rt_status_t status = modelExternalWeights(model, &weightData, &weightSize))
      return status;
  }
  std::string how;
  if (r1rt_status_t status = loadCode(*device, sections, weightSize, how))
    return status;
  for (const DeviceEntry &entry : device->code.entries)
    device->plan.push_back(entry.plan);
  if (r1rt_status_t status = checkEntriesMatchModel(device->plan, inputs, outputs))
    return status;
  device->graphs.assign(device->plan.size(), nullptr);
  if (weightSize) {
    std::string key = std::string("weights on ") + api + " " + std::to_string(ordinal);
    if (r1rt_status_t status = modelSharedState(
            model, key,
            [&](std::shared_ptr<void> &out) {
              return uploadWeights(cuda, ordinal, weightData, weightSize, out);
            },
            device->sharedWeights))
      return prefixError("uploading the weights", status);
    device->weights = static_cast<DeviceWeights *>(device->sharedWeights.get())->pointer;
  }
  device->describedAs = std::string(api) + " device " + std::to_string(ordinal) + ": " +
                        device->driver->deviceName() +
                        (device->driver->deviceArch().empty()
                             ? ""
                             : " (" + device->driver->deviceArch() + ")") +
                        ", " + how;
  executor = std::move(device);
  return nullptr;
}

} // namespace r1rt
