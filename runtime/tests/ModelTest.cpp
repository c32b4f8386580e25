// The model half of the C API: loading from memory and files, argument
// checks, element types.
#include "TestArtifacts.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace r1rt_test;

extern "C" int r1rt_c_api_sample_check(const void *data, size_t size);
extern "C" int r1rt_c_api_struct_sizes_ok(void);

namespace {

// A path under the test temp dir, unique to this process (test binaries of
// several build trees may run at once).
std::string tempPath(const std::string &name) {
  return testing::TempDir() + std::to_string(getpid()) + "-" + name;
}

// A file under the test temp dir, removed at the end of the test.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string &name) : path(tempPath(name)) { std::remove(path.c_str()); }
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::vector<uint8_t> &bytes) const {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr) << path;
    if (!bytes.empty()) {
      ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    }
    ASSERT_EQ(std::fclose(f), 0);
  }
};

LoadResult tryLoadFile(const std::string &path) {
  r1rt_model_t model = nullptr;
  LoadResult result = takeStatus(r1rt_model_create_from_file(path.c_str(), &model));
  if (result.code != R1RT_OK) {
    EXPECT_EQ(model, nullptr);
  }
  r1rt_model_release(model);
  return result;
}

} // namespace

TEST(CApi, CompilesAsC) {
  std::vector<uint8_t> bytes = sampleArtifact();
  EXPECT_EQ(r1rt_c_api_sample_check(bytes.data(), bytes.size()), 0);
  EXPECT_EQ(r1rt_c_api_struct_sizes_ok(), 1);
}

TEST(Model, FormatVersionComesFromTheHeader) {
  EXPECT_EQ(r1rt_artifact_format_version(), R1RT_ARTIFACT_FORMAT_VERSION);
}

TEST(Model, CopiesTheBytes) {
  std::vector<uint8_t> bytes = sampleArtifact();
  r1rt_model_t model = nullptr;
  ASSERT_EQ(r1rt_model_create_from_memory(bytes.data(), bytes.size(), &model), nullptr);
  std::fill(bytes.begin(), bytes.end(), 0xAB);
  bytes.clear();
  bytes.shrink_to_fit();
  r1rt_tensor_info_t info;
  ASSERT_EQ(r1rt_model_output_info(model, 0, &info), nullptr);
  EXPECT_STREQ(info.name, "logits");
  EXPECT_EQ(info.dims[2], 32000);
  r1rt_model_release(model);
}

TEST(Model, LoadsFromAFile) {
  TempFile file("r1rt_model_test.r1");
  std::vector<uint8_t> bytes = sampleArtifact();
  file.write(bytes);
  r1rt_model_t model = nullptr;
  LoadResult r = takeStatus(r1rt_model_create_from_file(file.path.c_str(), &model));
  ASSERT_EQ(r.code, R1RT_OK) << r.message;
  const void *data = nullptr;
  size_t size = 0;
  ASSERT_EQ(r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, "weights", &data, &size), nullptr);
  EXPECT_EQ(size, 300u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  EXPECT_EQ(std::memcmp(data, patternBytes(300, 13).data(), size), 0);
  size_t count = 0;
  ASSERT_EQ(r1rt_model_input_count(model, &count), nullptr);
  EXPECT_EQ(count, 3u);
  r1rt_model_release(model);
}

TEST(Model, WriterWritesFiles) {
  TempFile file("r1rt_writer_test.r1");
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  std::string error;
  ASSERT_TRUE(writer.writeFile(file.path, error)) << error;
  EXPECT_EQ(tryLoadFile(file.path).code, R1RT_OK);
  EXPECT_FALSE(writer.writeFile("/nonexistent-dir/x.r1", error));
  EXPECT_EQ(error, "cannot open '/nonexistent-dir/x.r1' for writing");
}

TEST(Model, LoadsFromAPipe) {
  // A FIFO cannot be mapped: this takes the read() path.
  std::string path = tempPath("r1rt_model_test.fifo");
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  std::vector<uint8_t> bytes = sampleArtifact();
  std::thread writer([&] {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (f) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
    }
  });
  LoadResult r = tryLoadFile(path);
  writer.join();
  unlink(path.c_str());
  EXPECT_EQ(r.code, R1RT_OK) << r.message;
}

TEST(Model, FileErrorsNameThePath) {
  std::string missing = tempPath("no-such-model.r1");
  LoadResult r = tryLoadFile(missing);
  EXPECT_EQ(r.code, R1RT_NOT_FOUND);
  EXPECT_EQ(r.message, missing + ": cannot open: No such file or directory");

  r = tryLoadFile(testing::TempDir());
  EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("is a directory"), std::string::npos) << r.message;

  TempFile empty("r1rt_empty.r1");
  empty.write({});
  r = tryLoadFile(empty.path);
  EXPECT_EQ(r.code, R1RT_DATA_LOSS);
  EXPECT_EQ(r.message, empty.path + ": artifact truncated: it is empty");

  TempFile truncated("r1rt_truncated.r1");
  std::vector<uint8_t> bytes = sampleArtifact();
  size_t size = bytes.size();
  bytes.resize(size - 1);
  truncated.write(bytes);
  r = tryLoadFile(truncated.path);
  EXPECT_EQ(r.code, R1RT_DATA_LOSS);
  EXPECT_EQ(r.message, truncated.path + ": artifact truncated: header says " +
                           std::to_string(size) + " bytes, got " + std::to_string(size - 1));

  TempFile onnx("r1rt_model.onnx");
  onnx.write({0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h'});
  r = tryLoadFile(onnx.path);
  EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(r.message.rfind(onnx.path + ": not an r1c artifact", 0), 0u) << r.message;
}

TEST(Model, NullArgumentsAreNamed) {
  std::vector<uint8_t> bytes = sampleArtifact();
  LoadedModel loaded(bytes);
  r1rt_model_t m = loaded.model;
  r1rt_model_t out = nullptr;
  const char *text = nullptr;
  size_t count = 0;
  r1rt_tensor_info_t info;
  r1rt_section_info_t section;
  const void *data = nullptr;

  struct Case {
    r1rt_status_t status;
    const char *message;
  };
  const Case cases[] = {
      {r1rt_model_create_from_memory(nullptr, 10, &out), "data is NULL"},
      {r1rt_model_create_from_memory(bytes.data(), bytes.size(), nullptr), "out_model is NULL"},
      {r1rt_model_create_from_file(nullptr, &out), "path is NULL"},
      {r1rt_model_create_from_file("x.r1", nullptr), "out_model is NULL"},
      {r1rt_model_name(nullptr, &text), "model is NULL"},
      {r1rt_model_name(m, nullptr), "out_name is NULL"},
      {r1rt_model_producer(nullptr, &text), "model is NULL"},
      {r1rt_model_producer(m, nullptr), "out_producer is NULL"},
      {r1rt_model_input_count(nullptr, &count), "model is NULL"},
      {r1rt_model_input_count(m, nullptr), "out_count is NULL"},
      {r1rt_model_output_count(nullptr, &count), "model is NULL"},
      {r1rt_model_output_count(m, nullptr), "out_count is NULL"},
      {r1rt_model_input_info(nullptr, 0, &info), "model is NULL"},
      {r1rt_model_input_info(m, 0, nullptr), "out_info is NULL"},
      {r1rt_model_output_info(nullptr, 0, &info), "model is NULL"},
      {r1rt_model_output_info(m, 0, nullptr), "out_info is NULL"},
      {r1rt_model_find_input(nullptr, "x", &count), "model is NULL"},
      {r1rt_model_find_input(m, nullptr, &count), "name is NULL"},
      {r1rt_model_find_input(m, "x", nullptr), "out_index is NULL"},
      {r1rt_model_find_output(nullptr, "x", &count), "model is NULL"},
      {r1rt_model_find_output(m, nullptr, &count), "name is NULL"},
      {r1rt_model_find_output(m, "x", nullptr), "out_index is NULL"},
      {r1rt_model_section_count(nullptr, &count), "model is NULL"},
      {r1rt_model_section_count(m, nullptr), "out_count is NULL"},
      {r1rt_model_section_info(nullptr, 0, &section), "model is NULL"},
      {r1rt_model_section_info(m, 0, nullptr), "out_info is NULL"},
      {r1rt_model_find_section(nullptr, 1, nullptr, &data, &count), "model is NULL"},
      {r1rt_model_find_section(m, 1, nullptr, nullptr, &count), "out_data is NULL"},
      {r1rt_model_find_section(m, 1, nullptr, &data, nullptr), "out_size is NULL"},
  };
  for (const Case &c : cases) {
    LoadResult r = takeStatus(c.status);
    EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(r.message, c.message);
  }
  EXPECT_EQ(out, nullptr);
  r1rt_model_release(nullptr);
}

TEST(Model, IndexOutOfRange) {
  LoadedModel loaded(sampleArtifact());
  r1rt_tensor_info_t info;
  r1rt_section_info_t section;
  LoadResult r = takeStatus(r1rt_model_input_info(loaded.model, 3, &info));
  EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "index 3 is out of range: the model has 3 inputs");
  r = takeStatus(r1rt_model_output_info(loaded.model, SIZE_MAX, &info));
  EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("the model has 2 outputs"), std::string::npos);
  r = takeStatus(r1rt_model_section_info(loaded.model, 6, &section));
  EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "index 6 is out of range: the model has 6 sections");
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_FLOAT), 4u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_INT64), 8u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_BOOL), 1u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_FLOAT16), 2u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_BFLOAT16), 2u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_COMPLEX128), 16u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_STRING), 0u);
  EXPECT_EQ(r1rt_dtype_size(R1RT_DTYPE_INT4), 0u);
  EXPECT_EQ(r1rt_dtype_size(static_cast<r1rt_dtype_t>(0)), 0u);
  EXPECT_EQ(r1rt_dtype_size(static_cast<r1rt_dtype_t>(1000)), 0u);
  EXPECT_STREQ(r1rt_dtype_name(R1RT_DTYPE_FLOAT), "float");
  EXPECT_STREQ(r1rt_dtype_name(R1RT_DTYPE_INT64), "int64");
  EXPECT_STREQ(r1rt_dtype_name(R1RT_DTYPE_FLOAT8E4M3FN), "float8e4m3fn");
  EXPECT_STREQ(r1rt_dtype_name(static_cast<r1rt_dtype_t>(0)), "unknown");
  // Every code in the range has a name and the codes are ONNX's.
  for (int code = R1RT_DTYPE_FIRST; code <= R1RT_DTYPE_LAST; ++code)
    EXPECT_STRNE(r1rt_dtype_name(static_cast<r1rt_dtype_t>(code)), "unknown") << code;
  EXPECT_EQ(R1RT_DTYPE_FLOAT16, 10);
  EXPECT_EQ(R1RT_DTYPE_BFLOAT16, 16);
  EXPECT_EQ(R1RT_DTYPE_BOOL, 9);
}
