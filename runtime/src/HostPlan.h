// The host plan section: one entry point per shape bucket.
#ifndef R1RT_SRC_HOSTPLAN_H
#define R1RT_SRC_HOSTPLAN_H

#include "r1c/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1rt {

struct PlanTensor {
  std::vector<int64_t> dims; // exact extents of this entry; -1: computed from data
  int32_t padAxis = -1;      // axis a smaller request may be padded along
  uint64_t maxElements = 0;  // outputs: the most elements it can have
  bool dataDependent() const {
    for (int64_t dim : dims)
      if (dim < 0)
        return true;
    return false;
  }
};

struct PlanEntry {
  std::string symbol;
  uint64_t arenaSize = 0;
  std::vector<PlanTensor> inputs, outputs;
};

// Parses a PLAN section (layout in artifact_format.h) whose tensors have
// the given ranks. R1RT_DATA_LOSS for anything malformed, R1RT_UNIMPLEMENTED
// for another plan version.
r1rt_status_t parseHostPlan(const uint8_t *data, size_t size,
                            const std::vector<int32_t> &inputRanks,
                            const std::vector<int32_t> &outputRanks,
                            std::vector<PlanEntry> &entries);

} // namespace r1rt

#endif // R1RT_SRC_HOSTPLAN_H
