// External weights: a session maps the side file an artifact names and
// checks it first, before looking for host code. These artifacts have no
// host code, so a side file that passes shows as the "no host code" error.
#include "TestArtifacts.h"

#include <cstdio>
#include <unistd.h>

using namespace r1rt_test;

namespace {

// A safetensors file the way r1c writes one: the data starts 64-byte aligned.
std::vector<uint8_t> sideFile() {
  std::string header = "{\"__metadata__\":{\"format\":\"r1c\"}}";
  header.resize(64 - 8, ' ');
  std::vector<uint8_t> bytes(8);
  r1c::artifact::storeU64(bytes.data(), header.size());
  bytes.insert(bytes.end(), header.begin(), header.end());
  std::vector<uint8_t> data = patternBytes(64, 17);
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::vector<uint8_t> artifactReferencing(const std::string &fileName,
                                         const std::vector<uint8_t> &side) {
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  writer.addSection(
      R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
      r1c::artifact::encodeExternalWeightsRef(
          fileName, side.size(), r1c::artifact::crc32Update(0, side.data(), side.size())));
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(writer.finish(bytes, error)) << error;
  return bytes;
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  ASSERT_EQ(std::fclose(f), 0);
}

// An artifact and its side file in the test temp dir, named after the test;
// `stored` is what the side file holds, `recorded` what the artifact expects.
struct ModelOnDisk {
  std::string artifact, side, sideName;
  ModelOnDisk(const std::string &name, const std::vector<uint8_t> &recorded,
              const std::vector<uint8_t> *stored) {
    std::string base = std::to_string(getpid()) + "-" + name;
    sideName = base + ".safetensors";
    artifact = testing::TempDir() + base + ".r1";
    side = testing::TempDir() + sideName;
    std::remove(side.c_str());
    writeFile(artifact, artifactReferencing(sideName, recorded));
    if (stored)
      writeFile(side, *stored);
  }
  ~ModelOnDisk() {
    std::remove(artifact.c_str());
    std::remove(side.c_str());
  }
  LoadResult createSession() const {
    r1rt_model_t model = nullptr;
    LoadResult loaded = takeStatus(r1rt_model_create_from_file(artifact.c_str(), &model));
    EXPECT_EQ(loaded.code, R1RT_OK) << loaded.message;
    r1rt_session_t session = nullptr;
    LoadResult result = takeStatus(r1rt_session_create(model, &session));
    EXPECT_EQ(session, nullptr);
    r1rt_model_release(model);
    return result;
  }
};

} // namespace

TEST(ExternalWeights, AGoodSideFilePasses) {
  std::vector<uint8_t> side = sideFile();
  ModelOnDisk disk("good", side, &side);
  LoadResult result = disk.createSession();
  EXPECT_EQ(result.code, R1RT_UNAVAILABLE) << result.message;
  EXPECT_NE(result.message.find("no host code"), std::string::npos) << result.message;
}

TEST(ExternalWeights, AMissingSideFileIsNamed) {
  std::vector<uint8_t> side = sideFile();
  ModelOnDisk disk("missing", side, nullptr);
  LoadResult result = disk.createSession();
  EXPECT_EQ(result.code, R1RT_NOT_FOUND) << result.message;
  EXPECT_NE(result.message.find(disk.side), std::string::npos) << result.message;
}

TEST(ExternalWeights, ASizeMismatchIsDataLoss) {
  std::vector<uint8_t> side = sideFile();
  std::vector<uint8_t> shorter(side.begin(), side.end() - 1);
  ModelOnDisk disk("short", side, &shorter);
  LoadResult result = disk.createSession();
  EXPECT_EQ(result.code, R1RT_DATA_LOSS) << result.message;
  EXPECT_NE(result.message.find(disk.sideName), std::string::npos) << result.message;
}

TEST(ExternalWeights, AFlippedByteFailsTheChecksum) {
  std::vector<uint8_t> side = sideFile();
  std::vector<uint8_t> flipped = side;
  flipped.back() ^= 1;
  ModelOnDisk disk("flipped", side, &flipped);
  LoadResult result = disk.createSession();
  EXPECT_EQ(result.code, R1RT_DATA_LOSS) << result.message;
  EXPECT_NE(result.message.find("checksum"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find(disk.sideName), std::string::npos) << result.message;
}

TEST(ExternalWeights, AHeaderPastTheEndIsDataLoss) {
  std::vector<uint8_t> side = sideFile();
  r1c::artifact::storeU64(side.data(), side.size());
  ModelOnDisk disk("header", side, &side);
  LoadResult result = disk.createSession();
  EXPECT_EQ(result.code, R1RT_DATA_LOSS) << result.message;
  EXPECT_NE(result.message.find("header"), std::string::npos) << result.message;
}

TEST(ExternalWeights, AModelFromMemoryCannotFindItsSideFile) {
  std::vector<uint8_t> side = sideFile();
  LoadedModel loaded(artifactReferencing("m.safetensors", side));
  r1rt_session_t session = nullptr;
  LoadResult result = takeStatus(r1rt_session_create(loaded.model, &session));
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(result.code, R1RT_INVALID_ARGUMENT) << result.message;
  EXPECT_NE(result.message.find("r1rt_model_create_from_file"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("m.safetensors"), std::string::npos) << result.message;
}
