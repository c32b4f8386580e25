// Artifacts for the runtime tests: a sample built with the writer, and
// helpers to corrupt one and to load bytes through the C API.
#ifndef R1RT_TESTS_TESTARTIFACTS_H
#define R1RT_TESTS_TESTARTIFACTS_H

#include "r1c/artifact_writer.h"
#include "r1c/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace r1rt_test {

// Bytes with a recognisable, never-zero pattern.
inline std::vector<uint8_t> patternBytes(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i)
    bytes[i] = uint8_t(seed + i * 7) | 1;
  return bytes;
}

// A transformer-like signature: symbolic named dims, static dims, an
// anonymous symbolic dim, several dtypes and a scalar.
inline r1c::ArtifactMetadata sampleMetadata() {
  r1c::ArtifactMetadata m;
  m.producer = "r1c 0.1.0";
  m.modelName = "tiny-llm";
  m.inputs.push_back({"input_ids", R1RT_DTYPE_INT64, {-1, -1}, {"batch", "sequence"}});
  m.inputs.push_back({"attention_mask", R1RT_DTYPE_BOOL, {-1, -1}, {"batch", "sequence"}});
  m.inputs.push_back({"temperature", R1RT_DTYPE_FLOAT, {}, {}});
  m.outputs.push_back({"logits", R1RT_DTYPE_FLOAT16, {-1, -1, 32000}, {"batch", "sequence", ""}});
  m.outputs.push_back({"hidden", R1RT_DTYPE_BFLOAT16, {-1, 64}, {}});
  return m;
}

// Section names and kinds of sampleArtifact(), after the metadata section.
struct SampleSection {
  uint32_t kind;
  const char *name;
  size_t size;
  uint8_t seed;
};
inline const std::vector<SampleSection> &sampleSections() {
  static const std::vector<SampleSection> sections = {
      {R1RT_SECTION_PLAN, "plan", 37, 3},
      {R1RT_SECTION_HOST_CODE, "host-x86-64-v3", 100, 5},
      {R1RT_SECTION_CUDA_CODE, "sm_90", 65, 9},
      {99, "from-the-future", 10, 11}, // a kind this runtime does not know
      {R1RT_SECTION_WEIGHTS, "weights", 300, 13},
  };
  return sections;
}

inline std::vector<uint8_t> sampleArtifact() {
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  for (const SampleSection &s : sampleSections())
    writer.addSection(s.kind, s.name, patternBytes(s.size, s.seed));
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(writer.finish(bytes, error)) << error;
  return bytes;
}

// An artifact whose only section is a METADATA section holding `payload`,
// to test the metadata decoder on raw bytes.
inline std::vector<uint8_t> artifactWithMetadataPayload(const std::vector<uint8_t> &payload) {
  r1c::ArtifactWriter writer;
  writer.addSection(R1RT_SECTION_METADATA, "metadata", payload);
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(writer.finish(bytes, error)) << error;
  return bytes;
}

// Recomputes the header checksum after a test patched the bytes, so the
// reader gets past the checksum to the check under test.
inline void reseal(std::vector<uint8_t> &bytes) {
  using namespace r1c::artifact;
  if (bytes.size() < R1RT_ARTIFACT_HEADER_SIZE)
    return;
  storeU32(bytes.data() + kHeaderChecksum, crc32Update(0, bytes.data() + R1RT_ARTIFACT_HEADER_SIZE,
                                                       bytes.size() - R1RT_ARTIFACT_HEADER_SIZE));
}

// Where section `index`'s table entry starts (the writer puts the table at 64).
inline size_t entryAt(size_t index) {
  return R1RT_ARTIFACT_HEADER_SIZE + index * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;
}

// What a load returned, with the status already released.
struct LoadResult {
  r1rt_status_code_t code = R1RT_OK;
  std::string message;
};

inline LoadResult takeStatus(r1rt_status_t status) {
  LoadResult result{r1rt_status_code(status), r1rt_status_message(status)};
  r1rt_status_release(status);
  return result;
}

// Loads `size` bytes from memory and releases the model; for corruption tests.
inline LoadResult tryLoad(const uint8_t *data, size_t size) {
  r1rt_model_t model = nullptr;
  LoadResult result = takeStatus(r1rt_model_create_from_memory(data, size, &model));
  if (result.code == R1RT_OK) {
    EXPECT_NE(model, nullptr);
  } else {
    EXPECT_EQ(model, nullptr) << "out_model written on failure";
  }
  r1rt_model_release(model);
  return result;
}
inline LoadResult tryLoad(const std::vector<uint8_t> &bytes) {
  // A non-NULL pointer also for an empty vector: the size is under test.
  static const uint8_t empty = 0;
  return tryLoad(bytes.empty() ? &empty : bytes.data(), bytes.size());
}

// Owns a model loaded from bytes that must be valid.
struct LoadedModel {
  r1rt_model_t model = nullptr;
  explicit LoadedModel(const std::vector<uint8_t> &bytes) {
    LoadResult r = takeStatus(r1rt_model_create_from_memory(bytes.data(), bytes.size(), &model));
    EXPECT_EQ(r.code, R1RT_OK) << r.message;
  }
  ~LoadedModel() { r1rt_model_release(model); }
  LoadedModel(const LoadedModel &) = delete;
  LoadedModel &operator=(const LoadedModel &) = delete;
};

} // namespace r1rt_test

#endif // R1RT_TESTS_TESTARTIFACTS_H
