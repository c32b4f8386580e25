// A GPU code section (CUDA_CODE or HIP_CODE): the kernels built for one
// architecture and the device plan that launches them.
#ifndef R1RT_SRC_DEVICECODE_H
#define R1RT_SRC_DEVICECODE_H

#include "HostPlan.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1rt {

struct DeviceModule {
  std::string symbol;
  // Views into the section, which the model owns.
  const uint8_t *binary = nullptr;
  uint64_t binarySize = 0;
  const uint8_t *ptx = nullptr;
  uint64_t ptxSize = 0;
};

// The compiler writes these as it reads them (r1c/artifact_format.h).
using DeviceLocation = r1c::DeviceLocation;
using DeviceLaunch = r1c::DeviceLaunch;

struct DeviceEntry {
  PlanEntry plan; // the bucket's name as its symbol, arena size, tensors
  std::vector<DeviceLaunch> launches;
  std::vector<DeviceLocation> outputs;
  // Per output: where the launches leave its dims, for outputs with dims
  // computed at run time (kind R1RT_DEVICE_ARENA); unused for the others.
  std::vector<DeviceLocation> outputDims;
};

struct DeviceCode {
  std::vector<DeviceModule> modules;
  std::vector<DeviceEntry> entries;
  bool hasPtx() const {
    for (const DeviceModule &module : modules)
      if (!module.ptxSize)
        return false;
    return !modules.empty();
  }
};

// Parses a device code section for a model with tensors of the given ranks.
// Every index and offset is checked against what the section and
// `weightsSize` (bytes of the WEIGHTS section, 0 without one) hold: a
// corrupt section is R1RT_DATA_LOSS, another version R1RT_UNIMPLEMENTED.
r1rt_status_t parseDeviceCode(const uint8_t *data, size_t size,
                              const std::vector<int32_t> &inputRanks,
                              const std::vector<int32_t> &outputRanks, uint64_t weightsSize,
                              DeviceCode &code);

} // namespace r1rt

#endif // R1RT_SRC_DEVICECODE_H
