// The C++ wrapper (runtime.hpp): RAII, results and exceptions.
#include "TestArtifacts.h"

#include "r1c/runtime.hpp"

#include <type_traits>

using namespace r1rt_test;

static_assert(!std::is_copy_constructible_v<r1c::Model>, "Model owns its handle");
static_assert(std::is_nothrow_move_constructible_v<r1c::Model>, "Model moves cheaply");
static_assert(!std::is_copy_constructible_v<r1c::Session>, "Session owns its handle");
static_assert(std::is_nothrow_move_constructible_v<r1c::Session>, "Session moves cheaply");

TEST(Wrapper, LoadsAndDescribes) {
  std::vector<uint8_t> bytes = sampleArtifact();
  r1c::Result<r1c::Model> result = r1c::Model::fromMemory(bytes.data(), bytes.size());
  ASSERT_TRUE(result.ok()) << result.status().toString();
  r1c::Model model = std::move(result).value();
  EXPECT_EQ(model.name(), "tiny-llm");
  EXPECT_EQ(model.producer(), "r1c 0.1.0");
  EXPECT_EQ(model.inputCount(), 3u);
  EXPECT_EQ(model.outputCount(), 2u);

  std::vector<r1c::TensorInfo> inputs = model.inputs();
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[0].name, "input_ids");
  EXPECT_EQ(inputs[0].dtype, R1RT_DTYPE_INT64);
  EXPECT_EQ(inputs[0].dims, (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(inputs[0].dimNames[1], "sequence");
  EXPECT_TRUE(inputs[2].dims.empty());

  r1c::Result<r1c::TensorInfo> logits = model.output(0);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->dims[2], 32000);
  EXPECT_EQ(logits->dimNames[2], "");
  EXPECT_FALSE(model.output(2).ok());
  EXPECT_EQ(model.output(2).status().code(), R1RT_INVALID_ARGUMENT);

  EXPECT_EQ(*model.findInput("attention_mask"), 1u);
  r1c::Result<size_t> missing = model.findOutput("nope");
  EXPECT_EQ(missing.status().code(), R1RT_NOT_FOUND);
  EXPECT_EQ(missing.status().toString(), "NOT_FOUND: the model has no output named 'nope'");

  EXPECT_EQ(model.sections().size(), 6u);
  r1c::Result<r1c::Section> weights = model.findSection(R1RT_SECTION_WEIGHTS);
  ASSERT_TRUE(weights.ok());
  EXPECT_EQ(weights->name, "weights");
  EXPECT_EQ(weights->size, 300u);
  EXPECT_EQ(model.findSection(R1RT_SECTION_CUDA_CODE, "sm_90")->size, 65u);
  EXPECT_EQ(model.findSection(R1RT_SECTION_CUDA_CODE, "sm_80").status().code(), R1RT_NOT_FOUND);
}

TEST(Wrapper, MovedFromModelIsEmpty) {
  std::vector<uint8_t> bytes = sampleArtifact();
  r1c::Model a = r1c::Model::fromMemory(bytes.data(), bytes.size()).valueOrThrow();
  r1c::Model b = std::move(a);
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(a.inputCount(), 0u);
  EXPECT_EQ(a.name(), "");
  EXPECT_TRUE(a.inputs().empty());
  EXPECT_EQ(b.inputCount(), 3u);
  r1rt_model_t raw = b.release();
  EXPECT_EQ(b.get(), nullptr);
  r1c::Model c(raw);
  EXPECT_EQ(c.outputCount(), 2u);
}

TEST(Wrapper, ErrorsAsResultsAndExceptions) {
  r1c::Result<r1c::Model> missing = r1c::Model::fromFile("/nonexistent/model.r1");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), R1RT_NOT_FOUND);
  EXPECT_STREQ(missing.status().message(),
               "/nonexistent/model.r1: cannot open: No such file or directory");
  try {
    r1c::Model::fromFile("/nonexistent/model.r1").valueOrThrow();
    FAIL() << "no exception";
  } catch (const r1c::Error &error) {
    EXPECT_EQ(error.code(), R1RT_NOT_FOUND);
    EXPECT_NE(std::string(error.what()).find("cannot open"), std::string::npos);
  }
  EXPECT_NO_THROW(r1c::throwIfError(r1c::Status()));
  EXPECT_THROW(r1c::throwIfError(r1c::Status(R1RT_DATA_LOSS, "bad")), r1c::Error);
}

TEST(Wrapper, StatusOwnership) {
  r1c::Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.toString(), "OK");
  r1c::Status error(R1RT_DATA_LOSS, "artifact truncated");
  r1c::Status moved = std::move(error);
  EXPECT_TRUE(error.ok());
  EXPECT_EQ(moved.toString(), "DATA_LOSS: artifact truncated");
  r1rt_status_t raw = moved.release();
  EXPECT_TRUE(moved.ok());
  EXPECT_EQ(r1rt_status_code(raw), R1RT_DATA_LOSS);
  r1rt_status_release(raw);
  // A Result made from a success without a value is an internal error.
  r1c::Result<int> odd{r1c::Status()};
  EXPECT_EQ(odd.status().code(), R1RT_INTERNAL);
}

TEST(WrapperDeathTest, ValueOfAnErrorAborts) {
  r1c::Result<int> failed{r1c::Status(R1RT_NOT_FOUND, "no such thing")};
  EXPECT_DEATH((void)failed.value(), "NOT_FOUND: no such thing");
}

TEST(WrapperSession, CreateErrorsAreResults) {
  // No host code at all: the session cannot be made, on any CPU.
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(writer.finish(bytes, error)) << error;
  r1c::Model model = r1c::Model::fromMemory(bytes.data(), bytes.size()).valueOrThrow();
  r1c::Result<r1c::Session> session = r1c::Session::create(model);
  EXPECT_FALSE(session.ok());
  EXPECT_EQ(session.status().toString(),
            "UNAVAILABLE: the artifact has no host code (compile with r1c --target=host)");
  EXPECT_THROW(r1c::Session::create(model).valueOrThrow(), r1c::Error);
  EXPECT_EQ(r1c::Session::create(model, R1RT_DEVICE_CUDA).status().toString(),
            "UNAVAILABLE: the artifact has no CUDA code (compile with r1c --target=sm_90)");

  // The sample has x86-64-v3 code and a plan of pattern bytes: refused as
  // corrupt where this CPU would run it.
  std::vector<uint8_t> sample = sampleArtifact();
  r1c::Model sampleModel = r1c::Model::fromMemory(sample.data(), sample.size()).valueOrThrow();
  r1c::Result<r1c::Session> corrupt = r1c::Session::create(sampleModel);
  EXPECT_FALSE(corrupt.ok());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2")) {
    EXPECT_EQ(corrupt.status().toString(), "DATA_LOSS: the artifact's plan section is malformed");
  }

  // A moved-from Model has no handle to make a session of.
  r1c::Model moved = std::move(sampleModel);
  EXPECT_EQ(r1c::Session::create(sampleModel).status().toString(),
            "INVALID_ARGUMENT: model is NULL");
}

TEST(WrapperSession, EmptySessionRefusesToRun) {
  r1c::Session session;
  EXPECT_EQ(session.get(), nullptr);
  EXPECT_EQ(session.arenaSize(), 0u);
  EXPECT_EQ(session.bucketCount(), 0u);
  EXPECT_EQ(session.device(), "");
  EXPECT_EQ(session.bucketInputDims(0, 0).status().toString(), "INVALID_ARGUMENT: session is NULL");
  float x = 1;
  std::vector<r1rt_tensor_t> outputs;
  r1c::Status status = session.run({r1c::makeTensor(&x, sizeof x, R1RT_DTYPE_FLOAT, {1})}, outputs);
  EXPECT_EQ(status.toString(), "INVALID_ARGUMENT: session is NULL");
  EXPECT_TRUE(outputs.empty());

  r1c::Session moved = std::move(session);
  EXPECT_EQ(moved.get(), nullptr);
  EXPECT_EQ(moved.release(), nullptr);
}

TEST(WrapperSession, MakeTensor) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  r1rt_tensor_t t = r1c::makeTensor(data, sizeof data, R1RT_DTYPE_FLOAT, {2, 3});
  EXPECT_EQ(t.data, static_cast<void *>(data));
  EXPECT_EQ(t.bytes, sizeof data);
  EXPECT_EQ(t.dtype, R1RT_DTYPE_FLOAT);
  EXPECT_EQ(t.rank, 2);
  EXPECT_EQ(r1c::dimsOf(t), (std::vector<int64_t>{2, 3}));

  r1rt_tensor_t scalar = r1c::makeTensor(data, 4, R1RT_DTYPE_FLOAT);
  EXPECT_EQ(scalar.rank, 0);
  EXPECT_TRUE(r1c::dimsOf(scalar).empty());

  // Too many dims: the rank says so, for the run to refuse, and only
  // R1RT_MAX_RANK of them are kept.
  r1rt_tensor_t deep =
      r1c::makeTensor(nullptr, 0, R1RT_DTYPE_FLOAT, std::vector<int64_t>(R1RT_MAX_RANK + 2, 1));
  EXPECT_EQ(deep.rank, R1RT_MAX_RANK + 2);
  EXPECT_EQ(r1c::dimsOf(deep).size(), size_t(R1RT_MAX_RANK));
}
