// Reads a GPU code section, bounds-checking every field: a corrupt section
// is an error status, never a read outside it or a launch outside the
// device memory the plan sizes.
#include "DeviceCode.h"
#include "Error.h"
#include "PlanReader.h"

namespace r1rt {
namespace {

constexpr uint32_t kMaxModules = 1 << 16;
constexpr uint32_t kMaxLaunches = 1 << 20;
constexpr uint32_t kMaxArgs = 1024;

bool readLocation(PlanReader &reader, const PlanEntry &plan, uint64_t weightsSize,
                  DeviceLocation &location) {
  if (!reader.u32(location.kind) || !reader.u64(location.value))
    return false;
  switch (location.kind) {
  case R1RT_DEVICE_INPUT:
    return location.value < plan.inputs.size();
  case R1RT_DEVICE_ARENA:
    return location.value <= plan.arenaSize;
  case R1RT_DEVICE_WEIGHTS:
    return location.value <= weightsSize;
  default:
    return false;
  }
}

bool readEntry(PlanReader &reader, const std::vector<int32_t> &inputRanks,
               const std::vector<int32_t> &outputRanks, uint64_t weightsSize,
               uint32_t moduleCount, DeviceEntry &entry) {
  PlanEntry &plan = entry.plan;
  if (!reader.string(plan.symbol, 256) || !reader.u64(plan.arenaSize) ||
      plan.arenaSize >= kMaxArena || !readTensors(reader, inputRanks, false, plan.inputs) ||
      !readTensors(reader, outputRanks, true, plan.outputs))
    return false;
  uint32_t launchCount;
  if (!reader.u32(launchCount) || launchCount > kMaxLaunches)
    return false;
  entry.launches.resize(launchCount);
  for (DeviceLaunch &launch : entry.launches) {
    if (!reader.u32(launch.module) || launch.module >= moduleCount)
      return false;
    for (uint32_t &v : launch.grid)
      if (!reader.u32(v) || v == 0)
        return false;
    for (uint32_t &v : launch.block)
      if (!reader.u32(v) || v == 0)
        return false;
    uint32_t argCount;
    if (!reader.u32(launch.sharedBytes) || !reader.u32(argCount) || argCount > kMaxArgs)
      return false;
    launch.args.resize(argCount);
    for (DeviceLocation &arg : launch.args)
      if (!readLocation(reader, plan, weightsSize, arg))
        return false;
  }
  entry.outputs.resize(plan.outputs.size());
  for (DeviceLocation &output : entry.outputs)
    if (!readLocation(reader, plan, weightsSize, output))
      return false;
  entry.outputDims.resize(plan.outputs.size());
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    if (!plan.outputs[i].dataDependent())
      continue;
    // The dims are int64s in the arena, within it.
    DeviceLocation &dims = entry.outputDims[i];
    if (!readLocation(reader, plan, weightsSize, dims) || dims.kind != R1RT_DEVICE_ARENA ||
        dims.value + 8 * plan.outputs[i].dims.size() > plan.arenaSize)
      return false;
  }
  return true;
}

} // namespace

r1rt_status_t parseDeviceCode(const uint8_t *data, size_t size,
                              const std::vector<int32_t> &inputRanks,
                              const std::vector<int32_t> &outputRanks, uint64_t weightsSize,
                              DeviceCode &code) {
  auto malformed = [] {
    return makeError(R1RT_DATA_LOSS, "the artifact's GPU code section is malformed");
  };
  PlanReader reader(data, size);
  uint32_t magic, version, moduleCount, entryCount;
  if (!reader.u32(magic) || magic != R1RT_DEVICE_CODE_MAGIC || !reader.u32(version))
    return malformed();
  if (version != R1RT_DEVICE_CODE_VERSION)
    return makeError(R1RT_UNIMPLEMENTED,
                     "the artifact's GPU code has version %u; this runtime reads version %u "
                     "(recompile the model with a matching r1c)",
                     version, R1RT_DEVICE_CODE_VERSION);
  if (!reader.u32(moduleCount) || moduleCount == 0 || moduleCount > kMaxModules)
    return malformed();
  code.modules.assign(moduleCount, DeviceModule{});
  for (DeviceModule &module : code.modules)
    if (!reader.string(module.symbol, 256) || !reader.bytes(module.binary, module.binarySize) ||
        module.binarySize == 0 || !reader.bytes(module.ptx, module.ptxSize))
      return malformed();
  if (!reader.u32(entryCount) || entryCount == 0 || entryCount > kMaxEntries)
    return malformed();
  code.entries.assign(entryCount, DeviceEntry{});
  for (DeviceEntry &entry : code.entries)
    if (!readEntry(reader, inputRanks, outputRanks, weightsSize, moduleCount, entry))
      return malformed();
  if (!reader.atEnd())
    return malformed();
  return nullptr;
}

} // namespace r1rt
