// Reader of the artifact container: validates an artifact and describes it.
#ifndef R1RT_SRC_ARTIFACT_H
#define R1RT_SRC_ARTIFACT_H

#include "r1c/runtime.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace r1rt {

// A graph input or output from the metadata section.
struct TensorMeta {
  std::string name;
  r1rt_dtype_t dtype = R1RT_DTYPE_FLOAT;
  std::vector<int64_t> dims;
  std::vector<std::string> dimNames;
  // Views of dimNames for r1rt_tensor_info_t; set once the owner is final.
  std::vector<const char *> dimNamePtrs;
};

struct SectionMeta {
  uint32_t kind = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string name;
};

// An EXTERNAL_WEIGHTS_REF section, decoded.
struct ExternalWeightsRef {
  std::string sectionName;
  std::string fileName;
  uint64_t size = 0;
  uint32_t checksum = 0;
};

// What a validated artifact holds. Offsets index into the bytes it was
// parsed from, which the owner keeps alive. Not copyable or movable: the
// pointer views in TensorMeta point into its own strings.
struct Artifact {
  Artifact() = default;
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  std::string producer;
  std::string modelName;
  std::vector<TensorMeta> inputs;
  std::vector<TensorMeta> outputs;
  std::vector<SectionMeta> sections; // in section table order
  std::vector<ExternalWeightsRef> externalWeights;
};

// "metadata", "weights", ... for messages; "kind N" for kinds this runtime
// does not know.
std::string sectionKindName(uint32_t kind);

// Validates the `size` bytes at `data` as an artifact and fills `out`.
// Everything is checked before anything is used, and nothing outside
// [data, data + size) is read, whatever the bytes hold. Returns NULL on
// success; on failure `out` is left partly filled and must be discarded.
// `sharedWeights`, for a tier of a tiered artifact: the size of that
// artifact's WEIGHTS section, which the tiers share; a reference naming no
// file reads it when the tier has no WEIGHTS section of its own, and may
// read less than all of it. May throw std::bad_alloc.
r1rt_status_t parseArtifact(const uint8_t *data, size_t size, Artifact &out,
                            std::optional<uint64_t> sharedWeights = std::nullopt);

} // namespace r1rt

#endif // R1RT_SRC_ARTIFACT_H
