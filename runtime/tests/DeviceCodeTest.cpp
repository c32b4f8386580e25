// GPU code sections: the parser's checks on what the compiler writes and on
// every corruption of it, and device selection errors through the C API
// on a machine without the driver asked for.
#include "DeviceCode.h"
#include "TestArtifacts.h"

#include <cstdlib>
#include <cstring>

using namespace r1rt_test;

namespace {

// Two inputs (a padded batch and a static vector) and one output.
const std::vector<int32_t> kInputRanks = {2, 1};
const std::vector<int32_t> kOutputRanks = {2};

r1c::DeviceEntry deviceEntry(int64_t batch) {
  r1c::DeviceEntry entry;
  r1c::HostPlanEntry &s = entry.signature;
  s.symbol = "batch" + std::to_string(batch);
  s.arenaSize = 256 * uint64_t(batch);
  s.inputDims = {{batch, 16}, {16}};
  s.inputPadAxes = {0, -1};
  s.outputDims = {{batch, 4}};
  s.outputPadAxes = {0};
  s.outputMaxElements = {uint64_t(batch) * 4};
  r1c::DeviceLaunch first;
  first.module = 0;
  first.grid[0] = uint32_t(batch);
  first.block[0] = 128;
  first.args = {{R1RT_DEVICE_INPUT, 0}, {R1RT_DEVICE_WEIGHTS, 64}, {R1RT_DEVICE_ARENA, 0}};
  r1c::DeviceLaunch second = first;
  second.module = 1;
  second.args = {{R1RT_DEVICE_ARENA, 0}, {R1RT_DEVICE_INPUT, 1}, {R1RT_DEVICE_ARENA, 128}};
  entry.launches = {first, second};
  entry.outputs = {{R1RT_DEVICE_ARENA, 128}};
  return entry;
}

std::vector<r1c::DeviceModule> deviceModules() {
  return {{"r1_matmul_0123", "\x7f" "ELF-cubin-bytes", ".version 8.0\n.target sm_90\n"},
          {"r1_softmax_4567", "\x7f" "ELF-more-bytes", ""}};
}

std::vector<uint8_t> validSection() {
  return r1c::artifact::encodeDeviceCode(deviceModules(), {deviceEntry(2), deviceEntry(8)});
}

constexpr uint64_t kWeightsSize = 1024;

r1rt_status_code_t parseCode(const std::vector<uint8_t> &bytes, r1rt::DeviceCode &code) {
  r1rt_status_t status = r1rt::parseDeviceCode(bytes.data(), bytes.size(), kInputRanks,
                                               kOutputRanks, kWeightsSize, code);
  r1rt_status_code_t result = r1rt_status_code(status);
  r1rt_status_release(status);
  return result;
}

r1rt_status_code_t parseCode(const std::vector<uint8_t> &bytes) {
  r1rt::DeviceCode code;
  return parseCode(bytes, code);
}

TEST(DeviceCode, ReadsWhatTheWriterWrites) {
  // The parsed modules are views into the section's bytes.
  std::vector<uint8_t> section = validSection();
  r1rt::DeviceCode code;
  ASSERT_EQ(parseCode(section, code), R1RT_OK);
  ASSERT_EQ(code.modules.size(), 2u);
  EXPECT_EQ(code.modules[0].symbol, "r1_matmul_0123");
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(code.modules[1].binary),
                        code.modules[1].binarySize),
            "\x7f" "ELF-more-bytes");
  EXPECT_EQ(code.modules[1].ptxSize, 0u);
  EXPECT_FALSE(code.hasPtx()); // the second module has none
  ASSERT_EQ(code.entries.size(), 2u);
  const r1rt::DeviceEntry &entry = code.entries[1];
  EXPECT_EQ(entry.plan.symbol, "batch8");
  EXPECT_EQ(entry.plan.arenaSize, 2048u);
  EXPECT_EQ(entry.plan.inputs[0].dims, (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(entry.plan.inputs[0].padAxis, 0);
  EXPECT_EQ(entry.plan.outputs[0].maxElements, 32u);
  ASSERT_EQ(entry.launches.size(), 2u);
  EXPECT_EQ(entry.launches[1].module, 1u);
  EXPECT_EQ(entry.launches[0].grid[0], 8u);
  EXPECT_EQ(entry.launches[0].block[0], 128u);
  EXPECT_EQ(entry.launches[0].args[1].kind, R1RT_DEVICE_WEIGHTS);
  EXPECT_EQ(entry.launches[0].args[1].value, 64u);
  EXPECT_EQ(entry.outputs[0].value, 128u);
}

TEST(DeviceCode, OtherVersionIsUnimplemented) {
  std::vector<uint8_t> bytes = validSection();
  bytes[4] = R1RT_DEVICE_CODE_VERSION + 1;
  EXPECT_EQ(parseCode(bytes), R1RT_UNIMPLEMENTED);
}

TEST(DeviceCode, TruncatedAtEveryLength) {
  std::vector<uint8_t> bytes = validSection();
  for (size_t size = 0; size < bytes.size(); ++size)
    EXPECT_EQ(parseCode(std::vector<uint8_t>(bytes.begin(), bytes.begin() + size)),
              R1RT_DATA_LOSS)
        << "truncated to " << size << " bytes";
  bytes.push_back(0);
  EXPECT_EQ(parseCode(bytes), R1RT_DATA_LOSS) << "a trailing byte";
}

TEST(DeviceCode, FlippedBytesNeverCrash) {
  // Whatever the field, a flipped byte is read as another valid value or
  // refused; ASan runs this too.
  std::vector<uint8_t> bytes = validSection();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> flipped = bytes;
    flipped[i] ^= 0xff;
    r1rt_status_code_t code = parseCode(flipped);
    EXPECT_TRUE(code == R1RT_OK || code == R1RT_DATA_LOSS || code == R1RT_UNIMPLEMENTED)
        << "byte " << i;
  }
}

TEST(DeviceCode, LocationsOutsideTheirBuffersAreRefused) {
  auto withArg = [](r1c::DeviceLocation arg) {
    std::vector<r1c::DeviceEntry> entries = {deviceEntry(2)};
    entries[0].launches[0].args[0] = arg;
    return r1c::artifact::encodeDeviceCode(deviceModules(), entries);
  };
  EXPECT_EQ(parseCode(withArg({R1RT_DEVICE_INPUT, 1})), R1RT_OK);
  EXPECT_EQ(parseCode(withArg({R1RT_DEVICE_INPUT, 2})), R1RT_DATA_LOSS);
  EXPECT_EQ(parseCode(withArg({R1RT_DEVICE_ARENA, 512})), R1RT_OK);
  EXPECT_EQ(parseCode(withArg({R1RT_DEVICE_ARENA, 513})), R1RT_DATA_LOSS);
  EXPECT_EQ(parseCode(withArg({R1RT_DEVICE_WEIGHTS, kWeightsSize + 1})), R1RT_DATA_LOSS);
  EXPECT_EQ(parseCode(withArg({7, 0})), R1RT_DATA_LOSS);
  std::vector<r1c::DeviceEntry> entries = {deviceEntry(2)};
  entries[0].launches[1].module = 2;
  EXPECT_EQ(parseCode(r1c::artifact::encodeDeviceCode(deviceModules(), entries)), R1RT_DATA_LOSS);
  entries = {deviceEntry(2)};
  entries[0].launches[0].block[1] = 0;
  EXPECT_EQ(parseCode(r1c::artifact::encodeDeviceCode(deviceModules(), entries)), R1RT_DATA_LOSS);
}

TEST(DeviceCode, OutputsComputedAtRunTimeSayWhereTheirDimsAre) {
  std::vector<r1c::DeviceEntry> entries = {deviceEntry(2)};
  entries[0].signature.outputDims = {{2, -1}};
  // Without a location for the dims the section is short.
  EXPECT_EQ(parseCode(r1c::artifact::encodeDeviceCode(deviceModules(), entries)), R1RT_DATA_LOSS);
  // Two int64s at the end of the arena (512 bytes).
  entries[0].outputDims = {{R1RT_DEVICE_ARENA, 496}};
  r1rt::DeviceCode code;
  ASSERT_EQ(parseCode(r1c::artifact::encodeDeviceCode(deviceModules(), entries), code), R1RT_OK);
  EXPECT_EQ(code.entries[0].outputDims[0].value, 496u);
  // Dims that would end past the arena, or that are not in it.
  for (r1c::DeviceLocation dims :
       {r1c::DeviceLocation{R1RT_DEVICE_ARENA, 504}, r1c::DeviceLocation{R1RT_DEVICE_WEIGHTS, 0},
        r1c::DeviceLocation{R1RT_DEVICE_INPUT, 0}}) {
    entries[0].outputDims = {dims};
    EXPECT_EQ(parseCode(r1c::artifact::encodeDeviceCode(deviceModules(), entries)), R1RT_DATA_LOSS)
        << "dims of kind " << dims.kind << " at " << dims.value;
  }
}

// An artifact with one CUDA section, its weights, and no host code.
std::vector<uint8_t> gpuArtifact() {
  r1c::ArtifactMetadata m;
  m.producer = "r1c 0.1.0";
  m.modelName = "gpu-test";
  m.inputs.push_back({"x", R1RT_DTYPE_FLOAT, {-1, 16}, {"batch", ""}});
  m.inputs.push_back({"v", R1RT_DTYPE_FLOAT, {16}, {""}});
  m.outputs.push_back({"y", R1RT_DTYPE_FLOAT, {-1, 4}, {"batch", ""}});
  r1c::ArtifactWriter writer;
  writer.setMetadata(m);
  writer.addSection(R1RT_SECTION_CUDA_CODE, "sm_90", validSection());
  writer.addSection(R1RT_SECTION_WEIGHTS, "weights", std::vector<uint8_t>(kWeightsSize, 1));
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(writer.finish(bytes, error)) << error;
  return bytes;
}

// Session creation's status code and message on `device`.
struct Created {
  r1rt_status_code_t code;
  std::string message;
};
Created createSession(const std::vector<uint8_t> &artifact, r1rt_device_t device) {
  r1rt_model_t model = nullptr;
  r1rt_status_t status = r1rt_model_create_from_memory(artifact.data(), artifact.size(), &model);
  EXPECT_EQ(status, nullptr) << r1rt_status_message(status);
  r1rt_session_options_t options;
  r1rt_session_options_init(&options);
  options.device = device;
  r1rt_session_t session = nullptr;
  status = r1rt_session_create_with_options(model, &options, &session);
  Created created{r1rt_status_code(status), r1rt_status_message(status)};
  r1rt_status_release(status);
  r1rt_session_release(session);
  r1rt_model_release(model);
  return created;
}

// Points the runtime at a driver library for one test.
class DriverLibrary {
public:
  DriverLibrary(const char *variable, const char *path) : variable(variable) {
    if (const char *old = std::getenv(variable))
      saved = old, hadValue = true;
    setenv(variable, path, 1);
  }
  ~DriverLibrary() {
    if (hadValue)
      setenv(variable, saved.c_str(), 1);
    else
      unsetenv(variable);
  }

private:
  const char *variable;
  std::string saved;
  bool hadValue = false;
};

TEST(DeviceSelection, AMissingDriverIsNamed) {
  DriverLibrary cuda("R1RT_CUDA_LIBRARY", "/nonexistent/libcuda.so.1");
  Created created = createSession(gpuArtifact(), R1RT_DEVICE_CUDA);
  EXPECT_EQ(created.code, R1RT_UNAVAILABLE);
  EXPECT_NE(created.message.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << created.message;
}

TEST(DeviceSelection, CodeForAnotherApiIsNamed) {
  Created created = createSession(gpuArtifact(), R1RT_DEVICE_HIP);
  EXPECT_EQ(created.code, R1RT_UNAVAILABLE);
  EXPECT_NE(created.message.find("no HIP code"), std::string::npos) << created.message;
}

TEST(DeviceSelection, AutoListsWhyEachDeviceFailed) {
  DriverLibrary cuda("R1RT_CUDA_LIBRARY", "/nonexistent/libcuda.so.1");
  Created created = createSession(gpuArtifact(), R1RT_DEVICE_AUTO);
  EXPECT_EQ(created.code, R1RT_UNAVAILABLE);
  EXPECT_NE(created.message.find("no device runs this model"), std::string::npos)
      << created.message;
  EXPECT_NE(created.message.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << created.message;
}

TEST(DeviceSelection, UnknownDeviceIsAnInvalidArgument) {
  Created created = createSession(gpuArtifact(), r1rt_device_t(9));
  EXPECT_EQ(created.code, R1RT_INVALID_ARGUMENT);
}

} // namespace
