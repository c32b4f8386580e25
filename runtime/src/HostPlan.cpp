// Reads the host plan section, bounds-checking every field: a corrupt plan
// is an error status, never a read outside the section.
#include "HostPlan.h"
#include "PlanReader.h"
#include "Error.h"
#include "r1c/artifact_format.h"

namespace r1rt {

r1rt_status_t parseHostPlan(const uint8_t *data, size_t size,
                            const std::vector<int32_t> &inputRanks,
                            const std::vector<int32_t> &outputRanks,
                            std::vector<PlanEntry> &entries) {
  auto malformed = [] {
    return makeError(R1RT_DATA_LOSS, "the artifact's plan section is malformed");
  };
  PlanReader reader(data, size);
  uint32_t magic, version, count;
  if (!reader.u32(magic) || magic != R1RT_HOST_PLAN_MAGIC || !reader.u32(version))
    return malformed();
  if (version != R1RT_HOST_PLAN_VERSION)
    return makeError(R1RT_UNIMPLEMENTED,
                     "the artifact's host plan has version %u; this runtime reads version %u "
                     "(recompile the model with a matching r1c)",
                     version, R1RT_HOST_PLAN_VERSION);
  if (!reader.u32(count) || count == 0 || count > kMaxEntries)
    return malformed();
  entries.clear();
  entries.resize(count);
  for (PlanEntry &entry : entries)
    if (!reader.string(entry.symbol, 256) || !reader.u64(entry.arenaSize) ||
        entry.arenaSize >= kMaxArena || !readTensors(reader, inputRanks, /*outputs=*/false, entry.inputs) ||
        !readTensors(reader, outputRanks, /*outputs=*/true, entry.outputs))
      return malformed();
  if (!reader.atEnd())
    return malformed();
  return nullptr;
}

} // namespace r1rt
