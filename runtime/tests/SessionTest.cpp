// Sessions on artifacts that r1c compiled from the models in test/runtime/:
// values against references computed here, shape buckets, argument checks,
// outputs with dims computed at run time, and concurrent sessions.
//
// Each artifact's path comes from an environment variable (ctest's
// runtime.sessions sets them all); a test whose variable is unset skips.
#include "r1c/runtime.h"
#include "r1c/runtime.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// What a call returned, with the status already released.
struct Outcome {
  r1rt_status_code_t code = R1RT_OK;
  std::string message;
};

Outcome take(r1rt_status_t status) {
  Outcome outcome{r1rt_status_code(status), r1rt_status_message(status)};
  r1rt_status_release(status);
  return outcome;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Values in [-1, 1] away from zero, so a kernel that skips an element or
// reads the wrong one shows.
std::vector<float> randomValues(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(0.1f, 1.0f);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> values(count);
  for (float &value : values)
    value = negative(generator) ? -uniform(generator) : uniform(generator);
  return values;
}

// A buffer of NaN, so elements a run leaves unwritten fail the comparison.
std::vector<float> poisoned(size_t count) {
  return std::vector<float>(count, std::numeric_limits<float>::quiet_NaN());
}

// fp32 per-op tolerances; a NaN never passes.
void expectClose(const float *actual, const std::vector<double> &expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    double error = std::fabs(double(actual[i]) - expected[i]);
    EXPECT_TRUE(error <= 1e-5 + 1e-4 * std::fabs(expected[i]))
        << "element " << i << ": got " << actual[i] << ", expected " << expected[i];
  }
}

r1rt_tensor_t tensor(const void *data, size_t bytes, r1rt_dtype_t dtype,
                     const std::vector<int64_t> &dims) {
  return r1c::makeTensor(data, bytes, dtype, dims);
}

// Loads the artifact named by an environment variable and opens a session
// on it; skips when the variable is unset.
class CompiledModelTest : public testing::Test {
protected:
  explicit CompiledModelTest(const char *variable) : variable_(variable) {}

  void SetUp() override {
    const char *value = std::getenv(variable_);
    if (!value || !*value)
      GTEST_SKIP() << variable_
                   << " is unset: it names an artifact r1c compiled from test/runtime/ "
                      "(ctest -R runtime.sessions compiles them and sets it)";
    path_ = value;
    Outcome loaded = take(r1rt_model_create_from_file(path_.c_str(), &model));
    ASSERT_EQ(loaded.code, R1RT_OK) << loaded.message;
    session = newSession();
  }

  void TearDown() override {
    r1rt_session_release(session);
    r1rt_model_release(model);
  }

  // Another session of the model, owned by the caller.
  r1rt_session_t newSession() {
    r1rt_session_t created = nullptr;
    Outcome outcome = take(r1rt_session_create(model, &created));
    EXPECT_EQ(outcome.code, R1RT_OK) << outcome.message;
    return created;
  }

  const std::string &path() const { return path_; }

  r1rt_model_t model = nullptr;
  r1rt_session_t session = nullptr;

private:
  const char *variable_;
  std::string path_;
};

/*===------------------------------------------------------------------===*
 * A symbolic batch (test/runtime/bucketed_softmax.txt): y = Softmax(x @ w)
 * with x [batch, 16], w [16, 32], compiled with --dim batch=1,4.
 *===------------------------------------------------------------------===*/

constexpr int64_t kFeatures = 16, kClasses = 32;

std::vector<double> softmaxReference(const std::vector<float> &x, const std::vector<float> &w,
                                     int64_t batch) {
  std::vector<double> y(size_t(batch * kClasses));
  for (int64_t b = 0; b < batch; ++b) {
    double *row = &y[size_t(b * kClasses)];
    double largest = -INFINITY;
    for (int64_t j = 0; j < kClasses; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < kFeatures; ++k)
        sum += double(x[size_t(b * kFeatures + k)]) * double(w[size_t(k * kClasses + j)]);
      row[j] = sum;
      largest = std::max(largest, sum);
    }
    double total = 0;
    for (int64_t j = 0; j < kClasses; ++j)
      total += row[j] = std::exp(row[j] - largest);
    for (int64_t j = 0; j < kClasses; ++j)
      row[j] /= total;
  }
  return y;
}

// One request to the bucketed model: its inputs and the reference output.
struct SoftmaxRequest {
  int64_t batch;
  std::vector<float> x, w;
  std::vector<double> expected;

  SoftmaxRequest(int64_t batch, uint32_t seed)
      : batch(batch), x(randomValues(size_t(batch * kFeatures), seed)),
        w(randomValues(size_t(kFeatures * kClasses), seed + 1000)),
        expected(softmaxReference(x, w, batch)) {}

  std::vector<r1rt_tensor_t> inputs() const {
    return {tensor(x.data(), x.size() * sizeof(float), R1RT_DTYPE_FLOAT, {batch, kFeatures}),
            tensor(w.data(), w.size() * sizeof(float), R1RT_DTYPE_FLOAT, {kFeatures, kClasses})};
  }
};

class BucketedSession : public CompiledModelTest {
protected:
  BucketedSession() : CompiledModelTest("R1RT_TEST_BUCKETED") {}

  // Runs `request` into `y` (caller-owned, poisoned first).
  Outcome run(const SoftmaxRequest &request, std::vector<float> &y, r1rt_tensor_t &output) {
    std::vector<r1rt_tensor_t> inputs = request.inputs();
    output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
    return take(r1rt_session_run_tensors(session, inputs.data(), inputs.size(), &output, 1));
  }
};

TEST_F(BucketedSession, RunsEachBucket) {
  for (int64_t batch : {1, 4, 1}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    SoftmaxRequest request(batch, uint32_t(batch));
    std::vector<float> y = poisoned(size_t(batch * kClasses));
    r1rt_tensor_t output;
    Outcome outcome = run(request, y, output);
    ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
    EXPECT_EQ(output.data, static_cast<void *>(y.data()));
    EXPECT_EQ(output.bytes, y.size() * sizeof(float));
    EXPECT_EQ(output.dtype, R1RT_DTYPE_FLOAT);
    EXPECT_EQ(r1c::dimsOf(output), (std::vector<int64_t>{batch, kClasses}));
    expectClose(y.data(), request.expected);
  }
}

TEST_F(BucketedSession, SizesOutsideTheBuckets) {
  // Larger than every bucket: refused, listing what the model takes.
  SoftmaxRequest five(5, 5);
  std::vector<float> y = poisoned(5 * kClasses);
  r1rt_tensor_t output;
  Outcome outcome = run(five, y, output);
  EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(outcome.message, "input 0 ('x') has dims [5,16]")) << outcome.message;
  EXPECT_TRUE(contains(outcome.message, "[1,16]")) << outcome.message;
  EXPECT_TRUE(contains(outcome.message, "[4,16]")) << outcome.message;
  EXPECT_TRUE(std::isnan(y[0])) << "a refused run wrote its output";

  // Between buckets: a batch is padded up to the next bucket only where the
  // plan marks the batch axis as one whose rows never interact; otherwise
  // it is refused the same way. Either way no wrong answer comes back.
  for (int64_t batch : {2, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    SoftmaxRequest between(batch, uint32_t(batch));
    y = poisoned(size_t(batch * kClasses));
    outcome = run(between, y, output);
    if (outcome.code == R1RT_OK) {
      EXPECT_EQ(r1c::dimsOf(output), (std::vector<int64_t>{batch, kClasses}));
      EXPECT_EQ(output.bytes, y.size() * sizeof(float));
      expectClose(y.data(), between.expected);
      // Trimmed into a buffer the session owns, too.
      std::vector<r1rt_tensor_t> inputs = between.inputs();
      r1rt_tensor_t owned{};
      Outcome again = take(r1rt_session_run_tensors(session, inputs.data(), 2, &owned, 1));
      ASSERT_EQ(again.code, R1RT_OK) << again.message;
      EXPECT_EQ(r1c::dimsOf(owned), (std::vector<int64_t>{batch, kClasses}));
      EXPECT_EQ(owned.bytes, y.size() * sizeof(float));
      expectClose(static_cast<const float *>(owned.data), between.expected);
    } else {
      EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
      EXPECT_TRUE(
          contains(outcome.message, "input 0 ('x') has dims [" + std::to_string(batch) + ",16]"))
          << outcome.message;
      EXPECT_TRUE(contains(outcome.message, "[1,16]")) << outcome.message;
      EXPECT_TRUE(contains(outcome.message, "[4,16]")) << outcome.message;
    }
  }
}

TEST_F(BucketedSession, ChecksEveryInputAndOutput) {
  SoftmaxRequest request(4, 7);
  struct Case {
    const char *what;
    void (*edit)(std::vector<r1rt_tensor_t> &inputs, r1rt_tensor_t &output);
    const char *message;
  };
  const Case cases[] = {
      {"dtype",
       [](std::vector<r1rt_tensor_t> &in, r1rt_tensor_t &) { in[0].dtype = R1RT_DTYPE_INT64; },
       "input 0 ('x') is int64 but the model takes float"},
      {"rank", [](std::vector<r1rt_tensor_t> &in, r1rt_tensor_t &) { in[1].rank = 3; },
       "input 1 ('w') has rank 3 but the model takes rank 2 [16,32]"},
      {"negative dim", [](std::vector<r1rt_tensor_t> &in, r1rt_tensor_t &) { in[0].dims[0] = -1; },
       "input 0 ('x') has dim 0 = -1"},
      {"input buffer too small",
       [](std::vector<r1rt_tensor_t> &in, r1rt_tensor_t &) { in[0].bytes -= 1; },
       "input 0 ('x') [4,16] needs 256 bytes but its buffer has 255"},
      {"input data NULL",
       [](std::vector<r1rt_tensor_t> &in, r1rt_tensor_t &) { in[1].data = nullptr; },
       "inputs[1].data is NULL"},
      {"output buffer too small",
       [](std::vector<r1rt_tensor_t> &, r1rt_tensor_t &out) { out.bytes -= 4; },
       "output 0 ('y') [4,32] needs 512 bytes but its buffer has 508"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<r1rt_tensor_t> inputs = request.inputs();
    std::vector<float> y = poisoned(4 * kClasses);
    r1rt_tensor_t output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
    c.edit(inputs, output);
    Outcome outcome =
        take(r1rt_session_run_tensors(session, inputs.data(), inputs.size(), &output, 1));
    EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
    EXPECT_EQ(outcome.message, c.message);
    EXPECT_TRUE(std::isnan(y[0])) << "a refused run wrote its output";
  }

  // Counts and arrays.
  std::vector<r1rt_tensor_t> inputs = request.inputs();
  std::vector<float> y = poisoned(4 * kClasses);
  r1rt_tensor_t output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
  EXPECT_EQ(take(r1rt_session_run_tensors(session, inputs.data(), 1, &output, 1)).message,
            "the model takes 2 inputs, got 1");
  EXPECT_EQ(take(r1rt_session_run_tensors(session, inputs.data(), 2, &output, 2)).message,
            "the model produces 1 outputs, got 2");
  EXPECT_EQ(take(r1rt_session_run_tensors(session, nullptr, 2, &output, 1)).message,
            "inputs is NULL");
  EXPECT_EQ(take(r1rt_session_run_tensors(session, inputs.data(), 2, nullptr, 1)).message,
            "outputs is NULL");
  EXPECT_TRUE(std::isnan(y[0]));

  // The session still runs after every refusal.
  Outcome outcome = take(r1rt_session_run_tensors(session, inputs.data(), 2, &output, 1));
  ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
  expectClose(y.data(), request.expected);
}

TEST_F(BucketedSession, SessionOwnedOutputs) {
  for (int64_t batch : {4, 1}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    SoftmaxRequest request(batch, uint32_t(20 + batch));
    std::vector<r1rt_tensor_t> inputs = request.inputs();
    r1rt_tensor_t output{}; // data NULL: the session owns the buffer
    Outcome outcome =
        take(r1rt_session_run_tensors(session, inputs.data(), inputs.size(), &output, 1));
    ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
    ASSERT_NE(output.data, nullptr);
    EXPECT_EQ(output.bytes, size_t(batch * kClasses) * sizeof(float));
    EXPECT_EQ(output.dtype, R1RT_DTYPE_FLOAT);
    EXPECT_EQ(r1c::dimsOf(output), (std::vector<int64_t>{batch, kClasses}));
    expectClose(static_cast<const float *>(output.data), request.expected);
  }
}

TEST_F(BucketedSession, ArenaGrowsWithTheBucket) {
  size_t bytes = 1;
  ASSERT_EQ(take(r1rt_session_arena_size(session, &bytes)).code, R1RT_OK);
  EXPECT_EQ(bytes, 0u) << "the arena is allocated by the first run";

  auto runAndMeasure = [&](int64_t batch) {
    SoftmaxRequest request(batch, 40);
    std::vector<float> y = poisoned(size_t(batch * kClasses));
    r1rt_tensor_t output;
    Outcome outcome = run(request, y, output);
    EXPECT_EQ(outcome.code, R1RT_OK) << outcome.message;
    size_t arena = 0;
    EXPECT_EQ(take(r1rt_session_arena_size(session, &arena)).code, R1RT_OK);
    return arena;
  };
  size_t small = runAndMeasure(1);
  size_t large = runAndMeasure(4);
  EXPECT_GT(large, small);
  // A smaller bucket later reuses the larger arena.
  EXPECT_EQ(runAndMeasure(1), large);
}

TEST_F(BucketedSession, Buckets) {
  size_t count = 0;
  ASSERT_EQ(take(r1rt_session_bucket_count(session, &count)).code, R1RT_OK);
  EXPECT_EQ(count, 2u);
  std::set<std::vector<int64_t>> xDims;
  for (size_t bucket = 0; bucket < count; ++bucket) {
    for (size_t input = 0; input < 2; ++input) {
      int32_t rank = -1;
      const int64_t *dims = nullptr;
      Outcome outcome = take(r1rt_session_bucket_input_dims(session, bucket, input, &rank, &dims));
      ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
      ASSERT_EQ(rank, 2);
      std::vector<int64_t> got(dims, dims + rank);
      if (input == 0)
        xDims.insert(got);
      else
        EXPECT_EQ(got, (std::vector<int64_t>{kFeatures, kClasses}));
    }
  }
  EXPECT_EQ(xDims, (std::set<std::vector<int64_t>>{{1, kFeatures}, {4, kFeatures}}));

  int32_t rank = 0;
  const int64_t *dims = nullptr;
  size_t value = 0;
  struct Case {
    r1rt_status_t status;
    const char *message;
  };
  const Case cases[] = {
      {r1rt_session_bucket_input_dims(session, 2, 0, &rank, &dims),
       "bucket 2 is out of range (the model has 2)"},
      {r1rt_session_bucket_input_dims(session, 0, 2, &rank, &dims),
       "input 2 is out of range (the model has 2)"},
      {r1rt_session_bucket_input_dims(session, 0, 0, nullptr, &dims), "out_rank is NULL"},
      {r1rt_session_bucket_input_dims(session, 0, 0, &rank, nullptr), "out_dims is NULL"},
      {r1rt_session_bucket_count(session, nullptr), "out_count is NULL"},
      {r1rt_session_arena_size(session, nullptr), "out_bytes is NULL"},
  };
  for (const Case &c : cases) {
    Outcome outcome = take(c.status);
    EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(outcome.message, c.message);
  }
  EXPECT_EQ(rank, 0);
  EXPECT_EQ(dims, nullptr);
  EXPECT_EQ(value, 0u);
}

TEST_F(BucketedSession, RunWithoutShapesRefusesBuckets) {
  SoftmaxRequest request(1, 50);
  std::vector<float> y = poisoned(kClasses);
  const void *inputs[] = {request.x.data(), request.w.data()};
  void *outputs[] = {y.data()};
  Outcome outcome = take(r1rt_session_run(session, inputs, 2, outputs, 1));
  EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(outcome.message, "the model has 2 shape buckets; run it with "
                             "r1rt_session_run_tensors, which passes shapes");
  EXPECT_TRUE(std::isnan(y[0]));
}

// Two sessions of one model, each on its own thread, give what serial runs
// of one session give, bit for bit.
TEST_F(BucketedSession, ConcurrentSessionsMatchSerialRuns) {
  std::vector<SoftmaxRequest> requests;
  for (uint32_t i = 0; i < 6; ++i)
    requests.emplace_back(i % 2 ? 4 : 1, 100 + i);
  std::vector<std::vector<float>> serial;
  for (const SoftmaxRequest &request : requests) {
    std::vector<float> y = poisoned(size_t(request.batch * kClasses));
    r1rt_tensor_t output;
    Outcome outcome = run(request, y, output);
    ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
    expectClose(y.data(), request.expected);
    serial.push_back(std::move(y));
  }

  r1rt_session_t sessions[2] = {newSession(), newSession()};
  ASSERT_NE(sessions[0], nullptr);
  ASSERT_NE(sessions[1], nullptr);
  constexpr int kRounds = 400;
  // Per thread: runs that failed or differed, and the first failure.
  int mismatches[2] = {0, 0};
  std::string firstError[2];
  auto work = [&](int t) {
    for (int round = 0; round < kRounds; ++round) {
      // The threads walk the requests in opposite orders, so they run
      // different buckets at the same time.
      size_t index = size_t(t == 0 ? round : kRounds - 1 - round) % requests.size();
      const SoftmaxRequest &request = requests[index];
      std::vector<r1rt_tensor_t> inputs = request.inputs();
      std::vector<float> y = poisoned(size_t(request.batch * kClasses));
      r1rt_tensor_t output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
      Outcome outcome =
          take(r1rt_session_run_tensors(sessions[t], inputs.data(), inputs.size(), &output, 1));
      bool same = outcome.code == R1RT_OK &&
                  std::memcmp(y.data(), serial[index].data(), y.size() * sizeof(float)) == 0;
      if (!same && mismatches[t]++ == 0)
        firstError[t] = outcome.code == R1RT_OK ? "request " + std::to_string(index) + " differs"
                                                : outcome.message;
    }
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();
  r1rt_session_release(sessions[0]);
  r1rt_session_release(sessions[1]);
  EXPECT_EQ(mismatches[0], 0) << firstError[0];
  EXPECT_EQ(mismatches[1], 0) << firstError[1];
}

// Two models' host code loaded at once: each session must run its own. The
// loader names each library by the /proc/self/fd path it was opened from, so
// a second model staged in a reused descriptor used to get the first model's
// library (and miss its entry points).
TEST_F(BucketedSession, TwoModelsLoadedAtOnce) {
  const char *staticPath = std::getenv("R1RT_TEST_STATIC");
  if (!staticPath || !*staticPath)
    GTEST_SKIP() << "R1RT_TEST_STATIC is unset";
  r1rt_model_t other = nullptr;
  ASSERT_EQ(take(r1rt_model_create_from_file(staticPath, &other)).code, R1RT_OK);
  r1rt_session_t otherSession = nullptr;
  Outcome created = take(r1rt_session_create(other, &otherSession));
  EXPECT_EQ(created.code, R1RT_OK) << created.message;

  SoftmaxRequest request(4, 77);
  std::vector<float> y = poisoned(size_t(4 * kClasses));
  r1rt_tensor_t output;
  Outcome outcome = run(request, y, output);
  EXPECT_EQ(outcome.code, R1RT_OK) << outcome.message;
  expectClose(y.data(), request.expected);
  if (otherSession) {
    std::vector<float> x = randomValues(16, 5), w = randomValues(24, 6), b(3, 0.0f);
    std::vector<float> z = poisoned(6);
    const void *inputs[] = {x.data(), w.data(), b.data()};
    void *outputs[] = {z.data()};
    outcome = take(r1rt_session_run(otherSession, inputs, 3, outputs, 1));
    EXPECT_EQ(outcome.code, R1RT_OK) << outcome.message;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        double sum = 0;
        for (int k = 0; k < 8; ++k)
          sum += double(x[size_t(i * 8 + k)]) * double(w[size_t(k * 3 + j)]);
        EXPECT_NEAR(z[size_t(i * 3 + j)], std::max(sum, 0.0), 1e-5 + 1e-4 * std::fabs(sum));
      }
  }
  r1rt_session_release(otherSession);
  r1rt_model_release(other);
}

TEST_F(BucketedSession, CppWrapper) {
  r1c::Result<r1c::Model> loaded = r1c::Model::fromFile(path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().toString();
  r1c::Result<r1c::Session> created = r1c::Session::create(*loaded);
  ASSERT_TRUE(created.ok()) << created.status().toString();
  r1c::Session wrapped = std::move(created).value();
  EXPECT_EQ(wrapped.bucketCount(), 2u);
  EXPECT_EQ(wrapped.device().rfind("host (host-x86-64-", 0), 0u) << wrapped.device();
  EXPECT_EQ(wrapped.arenaSize(), 0u);
  EXPECT_EQ(*wrapped.bucketInputDims(0, 1), (std::vector<int64_t>{kFeatures, kClasses}));
  EXPECT_EQ(wrapped.bucketInputDims(2, 0).status().code(), R1RT_INVALID_ARGUMENT);

  // No output tensors given: the session owns them.
  SoftmaxRequest request(4, 60);
  std::vector<r1rt_tensor_t> outputs;
  r1c::Status status = wrapped.run(request.inputs(), outputs);
  ASSERT_TRUE(status.ok()) << status.toString();
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(r1c::dimsOf(outputs[0]), (std::vector<int64_t>{4, kClasses}));
  expectClose(static_cast<const float *>(outputs[0].data), request.expected);
  EXPECT_GT(wrapped.arenaSize(), 0u);

  // Two threads give the same values.
  ASSERT_TRUE(wrapped.setThreads(2).ok());
  status = wrapped.run(request.inputs(), outputs);
  ASSERT_TRUE(status.ok()) << status.toString();
  expectClose(static_cast<const float *>(outputs[0].data), request.expected);
  ASSERT_TRUE(wrapped.setThreads(1).ok());

  // A caller-owned output, and a refused request.
  std::vector<float> y = poisoned(kClasses);
  SoftmaxRequest one(1, 61);
  outputs = {r1c::makeTensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT)};
  status = wrapped.run(one.inputs(), outputs);
  ASSERT_TRUE(status.ok()) << status.toString();
  expectClose(y.data(), one.expected);
  SoftmaxRequest five(5, 62);
  status = wrapped.run(five.inputs(), outputs);
  EXPECT_EQ(status.code(), R1RT_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(status.message(), "[5,16]")) << status.toString();
}

/*===------------------------------------------------------------------===*
 * Static shapes (test/runtime/static_gemm.txt): y = Relu(x @ w + b) with
 * x [2, 8], w [8, 3], b [3].
 *===------------------------------------------------------------------===*/

class StaticSession : public CompiledModelTest {
protected:
  StaticSession() : CompiledModelTest("R1RT_TEST_STATIC") {}
};

TEST_F(StaticSession, RunMatchesRunTensors) {
  std::vector<float> x = randomValues(2 * 8, 1), w = randomValues(8 * 3, 2), b = randomValues(3, 3);
  std::vector<double> expected(2 * 3);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      double sum = b[size_t(j)];
      for (int k = 0; k < 8; ++k)
        sum += double(x[size_t(i * 8 + k)]) * double(w[size_t(k * 3 + j)]);
      expected[size_t(i * 3 + j)] = std::max(sum, 0.0);
    }

  size_t buckets = 0;
  ASSERT_EQ(take(r1rt_session_bucket_count(session, &buckets)).code, R1RT_OK);
  EXPECT_EQ(buckets, 1u);

  std::vector<float> viaRun = poisoned(6);
  const void *inputs[] = {x.data(), w.data(), b.data()};
  void *outputs[] = {viaRun.data()};
  Outcome outcome = take(r1rt_session_run(session, inputs, 3, outputs, 1));
  ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
  expectClose(viaRun.data(), expected);

  std::vector<float> viaTensors = poisoned(6);
  std::vector<r1rt_tensor_t> tensors = {
      tensor(x.data(), x.size() * sizeof(float), R1RT_DTYPE_FLOAT, {2, 8}),
      tensor(w.data(), w.size() * sizeof(float), R1RT_DTYPE_FLOAT, {8, 3}),
      tensor(b.data(), b.size() * sizeof(float), R1RT_DTYPE_FLOAT, {3})};
  r1rt_tensor_t output =
      tensor(viaTensors.data(), viaTensors.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
  outcome = take(r1rt_session_run_tensors(session, tensors.data(), 3, &output, 1));
  ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
  EXPECT_EQ(r1c::dimsOf(output), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(viaRun.data(), viaTensors.data(), 6 * sizeof(float)), 0);
}

TEST_F(StaticSession, RunChecksItsArguments) {
  float x[16] = {}, w[24] = {}, b[3] = {}, y[6] = {};
  const void *inputs[] = {x, w, b};
  const void *withNull[] = {x, nullptr, b};
  void *outputs[] = {y};
  void *nullOutput[] = {nullptr};
  struct Case {
    r1rt_status_t status;
    const char *message;
  };
  const Case cases[] = {
      {r1rt_session_run(session, inputs, 2, outputs, 1), "the model takes 3 inputs, got 2"},
      {r1rt_session_run(session, inputs, 3, outputs, 0), "the model produces 1 outputs, got 0"},
      {r1rt_session_run(session, nullptr, 3, outputs, 1), "inputs is NULL"},
      {r1rt_session_run(session, inputs, 3, nullptr, 1), "outputs is NULL"},
      {r1rt_session_run(session, withNull, 3, outputs, 1), "inputs[1] is NULL"},
      {r1rt_session_run(session, inputs, 3, nullOutput, 1), "outputs[0] is NULL"},
  };
  for (const Case &c : cases) {
    Outcome outcome = take(c.status);
    EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(outcome.message, c.message);
  }
}

/*===------------------------------------------------------------------===*
 * Dims computed at run time (test/runtime/reduce_sum_axes.txt):
 * y = ReduceSum(x, axes) with keepdims=1, x [3, 5], axes an int64[1] input.
 *===------------------------------------------------------------------===*/

class ComputedDimsSession : public CompiledModelTest {
protected:
  ComputedDimsSession() : CompiledModelTest("R1RT_TEST_COMPUTED_DIMS") {}

  std::vector<float> x = randomValues(15, 9);

  std::vector<r1rt_tensor_t> inputs(const int64_t *axes) const {
    return {tensor(x.data(), x.size() * sizeof(float), R1RT_DTYPE_FLOAT, {3, 5}),
            tensor(axes, sizeof(int64_t), R1RT_DTYPE_INT64, {1})};
  }

  std::vector<double> rowSums() const {
    std::vector<double> sums(3, 0.0);
    for (size_t i = 0; i < 15; ++i)
      sums[i / 5] += x[i];
    return sums;
  }
  std::vector<double> columnSums() const {
    std::vector<double> sums(5, 0.0);
    for (size_t i = 0; i < 15; ++i)
      sums[i % 5] += x[i];
    return sums;
  }
};

TEST_F(ComputedDimsSession, AxesChooseTheOutputShape) {
  struct Case {
    int64_t axis;
    std::vector<int64_t> dims;
    std::vector<double> expected;
  };
  const Case cases[] = {
      {1, {3, 1}, rowSums()},
      {0, {1, 5}, columnSums()},
      {-1, {3, 1}, rowSums()},
      {0, {1, 5}, columnSums()}, // back to a larger output after a smaller one
  };
  for (const Case &c : cases) {
    SCOPED_TRACE("axes {" + std::to_string(c.axis) + "}");
    int64_t axes[1] = {c.axis};
    std::vector<r1rt_tensor_t> in = inputs(axes);
    // Once into a caller buffer with room for any result, once into the
    // session's own.
    std::vector<float> y = poisoned(15);
    r1rt_tensor_t outputs[2] = {tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {}),
                                r1rt_tensor_t{}};
    for (r1rt_tensor_t &output : outputs) {
      Outcome outcome = take(r1rt_session_run_tensors(session, in.data(), 2, &output, 1));
      ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
      EXPECT_EQ(r1c::dimsOf(output), c.dims);
      EXPECT_EQ(output.bytes, c.expected.size() * sizeof(float));
      EXPECT_EQ(output.dtype, R1RT_DTYPE_FLOAT);
      ASSERT_NE(output.data, nullptr);
      expectClose(static_cast<const float *>(output.data), c.expected);
    }
    EXPECT_TRUE(std::isnan(y[c.expected.size()])) << "wrote past the result";
  }
}

TEST_F(ComputedDimsSession, CallerBufferTooSmallForTheResult) {
  // Room for 3 floats: enough for axes {1} ([3,1]), not for axes {0} ([1,5]).
  std::vector<float> y = poisoned(3);
  int64_t columns[1] = {0};
  std::vector<r1rt_tensor_t> in = inputs(columns);
  r1rt_tensor_t output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
  Outcome outcome = take(r1rt_session_run_tensors(session, in.data(), 2, &output, 1));
  EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(outcome.message, "output 0 ('y') [1,5] needs 20 bytes but its buffer has 12");

  int64_t rows[1] = {1};
  in = inputs(rows);
  output = tensor(y.data(), y.size() * sizeof(float), R1RT_DTYPE_FLOAT, {});
  outcome = take(r1rt_session_run_tensors(session, in.data(), 2, &output, 1));
  ASSERT_EQ(outcome.code, R1RT_OK) << outcome.message;
  EXPECT_EQ(r1c::dimsOf(output), (std::vector<int64_t>{3, 1}));
  expectClose(y.data(), rowSums());
}

TEST_F(ComputedDimsSession, RunWithoutShapesRefusesComputedDims) {
  int64_t axes[1] = {0};
  float y[15];
  const void *in[] = {x.data(), axes};
  void *out[] = {y};
  Outcome outcome = take(r1rt_session_run(session, in, 2, out, 1));
  EXPECT_EQ(outcome.code, R1RT_INVALID_ARGUMENT);
  EXPECT_EQ(outcome.message, "the model's output dims are computed at run time; run it with "
                             "r1rt_session_run_tensors, which returns them");
}

} // namespace
