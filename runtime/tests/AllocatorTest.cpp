// The tier-switching allocator (r1rt_allocator_*) on artifacts r1c compiled
// from test/runtime/make_tier_models.py: a cascade of a cheap and a costly
// classifier (R1RT_TEST_TIERED), and the same for sm_90 and the host, run on
// a fake GPU that fails every launch (R1RT_TEST_TIERED_GPU, R1RT_TEST_FAKE_GPU).
#include "r1c/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Status {
  r1rt_status_code_t code;
  std::string message;
};

Status take(r1rt_status_t status) {
  Status s{r1rt_status_code(status), r1rt_status_message(status)};
  r1rt_status_release(status);
  return s;
}

constexpr int64_t kClasses = 3;

// One request: x [rows, 3], and a buffer for probs [rows, 3].
struct Request {
  std::vector<float> x;
  int64_t rows;
  r1rt_tensor_t input() const {
    r1rt_tensor_t t{};
    t.data = const_cast<float *>(x.data());
    t.bytes = x.size() * sizeof(float);
    t.dtype = R1RT_DTYPE_FLOAT;
    t.rank = 2;
    t.dims[0] = rows;
    t.dims[1] = kClasses;
    return t;
  }
};

r1rt_tensor_t outputFor(std::vector<float> &probs) {
  std::fill(probs.begin(), probs.end(), NAN);
  r1rt_tensor_t t{};
  t.data = probs.data();
  t.bytes = probs.size() * sizeof(float);
  return t;
}

// A row the coarse tier (Softmax(x)) is sure of, and one it is not.
const Request kConfident{{8.0f, 0.0f, 0.5f}, 1};
const Request kUncertain{{0.2f, 0.1f, 0.0f}, 1};

class Allocator : public testing::Test {
protected:
  void SetUp() override {
    const char *path = std::getenv("R1RT_TEST_TIERED");
    if (!path || !*path)
      GTEST_SKIP() << "R1RT_TEST_TIERED is unset: it names the cascade r1c compiled from "
                      "test/runtime/make_tier_models.py (ctest -R runtime.sessions sets it)";
    Status loaded = take(r1rt_model_create_from_file(path, &model));
    ASSERT_EQ(loaded.code, R1RT_OK) << loaded.message;
  }
  void TearDown() override { r1rt_model_release(model); }

  // What tier `tier` alone computes for `request`, through a session of its own.
  std::vector<float> tierAlone(size_t tier, const Request &request) {
    r1rt_model_t tierModel = nullptr;
    EXPECT_EQ(take(r1rt_model_tier(model, tier, &tierModel, nullptr)).code, R1RT_OK);
    r1rt_session_t session = nullptr;
    EXPECT_EQ(take(r1rt_session_create(tierModel, &session)).code, R1RT_OK);
    std::vector<float> probs(size_t(request.rows * kClasses));
    r1rt_tensor_t in = request.input(), out = outputFor(probs);
    Status run = take(r1rt_session_run_tensors(session, &in, 1, &out, 1));
    EXPECT_EQ(run.code, R1RT_OK) << run.message;
    r1rt_session_release(session);
    return probs;
  }

  Status run(r1rt_allocator_t allocator, const Request &request, std::vector<float> &probs,
             r1rt_request_result_t &result, const r1rt_request_t *options = nullptr) {
    probs.resize(size_t(request.rows * kClasses));
    r1rt_tensor_t in = request.input(), out = outputFor(probs);
    return take(r1rt_allocator_run(allocator, &in, 1, &out, 1, options, &result));
  }

  r1rt_tier_stats_t stats(r1rt_allocator_t allocator, size_t tier) {
    r1rt_tier_stats_t s{};
    EXPECT_EQ(take(r1rt_allocator_tier_stats(allocator, tier, &s)).code, R1RT_OK);
    return s;
  }

  r1rt_model_t model = nullptr;
};

TEST_F(Allocator, TheArtifactHoldsTwoTiersAndItsCascade) {
  size_t tiers = 0;
  ASSERT_EQ(take(r1rt_model_tier_count(model, &tiers)).code, R1RT_OK);
  EXPECT_EQ(tiers, 2u);
  const char *names[2] = {nullptr, nullptr};
  for (size_t t = 0; t < 2; ++t) {
    r1rt_model_t tier = nullptr;
    ASSERT_EQ(take(r1rt_model_tier(model, t, &tier, &names[t])).code, R1RT_OK);
    r1rt_model_release(tier); // owned by the tiered model: a no-op
  }
  EXPECT_STREQ(names[0], "tier_coarse");
  EXPECT_STREQ(names[1], "tier_fine");
  r1rt_cascade_metric_t metric;
  float threshold = 0;
  size_t output = 9;
  ASSERT_EQ(take(r1rt_model_cascade(model, &metric, &threshold, &output)).code, R1RT_OK);
  EXPECT_EQ(metric, R1RT_CASCADE_CONFIDENCE);
  EXPECT_FLOAT_EQ(threshold, 0.8f);
  EXPECT_EQ(output, 0u);
  r1rt_session_t session = nullptr;
  Status refused = take(r1rt_session_create(model, &session));
  EXPECT_EQ(refused.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(refused.message.find("holds 2 tiers"), std::string::npos) << refused.message;
  r1rt_model_t third = nullptr;
  EXPECT_EQ(take(r1rt_model_tier(model, 2, &third, nullptr)).code, R1RT_INVALID_ARGUMENT);
}

TEST_F(Allocator, TheCascadeEscalatesWhatTheCoarseTierDoubts) {
  r1rt_allocator_t allocator = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, nullptr, &allocator)).code, R1RT_OK);
  std::vector<float> probs;
  r1rt_request_result_t result;
  ASSERT_EQ(run(allocator, kConfident, probs, result).code, R1RT_OK);
  EXPECT_EQ(result.tier, 0);
  EXPECT_FALSE(result.escalated);
  EXPECT_GT(result.score, 0.8f);
  EXPECT_EQ(probs, tierAlone(0, kConfident));

  Status status = run(allocator, kUncertain, probs, result);
  ASSERT_EQ(status.code, R1RT_OK) << status.message;
  EXPECT_EQ(result.first_tier, 0);
  EXPECT_EQ(result.tier, 1);
  EXPECT_TRUE(result.escalated);
  EXPECT_LT(result.score, 0.8f);
  EXPECT_EQ(probs, tierAlone(1, kUncertain));
  EXPECT_NE(probs, tierAlone(0, kUncertain));

  // Two rows: one doubtful row escalates the request.
  Request both{{8.0f, 0.0f, 0.5f, 0.2f, 0.1f, 0.0f}, 2};
  ASSERT_EQ(run(allocator, both, probs, result).code, R1RT_OK);
  EXPECT_EQ(result.tier, 1);
  EXPECT_EQ(probs, tierAlone(1, both));

  r1rt_tier_stats_t coarse = stats(allocator, 0), fine = stats(allocator, 1);
  EXPECT_EQ(coarse.requests, 3u);
  EXPECT_EQ(coarse.escalations, 2u);
  EXPECT_EQ(fine.requests, 2u);
  EXPECT_EQ(fine.escalations, 0u);
  EXPECT_GT(fine.arena_bytes, coarse.arena_bytes);
  EXPECT_GT(coarse.p50_us, 0.0);
  EXPECT_LE(coarse.p50_us, coarse.p99_us);
  r1rt_allocator_release(allocator);
}

TEST_F(Allocator, ADeadlineBelowTheFineTiersLatencyKeepsTheCoarseTier) {
  for (float threshold : {-1.0f, 0.0f}) { // the artifact's cascade; no cascade
    r1rt_allocator_options_t options;
    r1rt_allocator_options_init(&options);
    options.cascade_threshold = threshold;
    r1rt_allocator_t allocator = nullptr;
    ASSERT_EQ(take(r1rt_allocator_create(model, &options, &allocator)).code, R1RT_OK);
    std::vector<float> probs;
    r1rt_request_result_t result;
    // Without a deadline the fine tier answers (cascade: escalated; else: the
    // most accurate by the default penalties).
    ASSERT_EQ(run(allocator, kUncertain, probs, result).code, R1RT_OK);
    EXPECT_EQ(result.tier, 1) << "threshold " << threshold;
    // Measure both tiers.
    r1rt_request_t forced;
    r1rt_request_init(&forced);
    for (int i = 0; i < 50; ++i)
      for (int32_t tier : {0, 1}) {
        forced.tier = tier;
        ASSERT_EQ(run(allocator, kUncertain, probs, result, &forced).code, R1RT_OK);
        EXPECT_EQ(result.tier, tier);
      }
    // More coarse runs last, so that a run the machine preempted has decayed
    // out of the coarse tier's average; medians, which one such run does not move.
    forced.tier = 0;
    for (int i = 0; i < 30; ++i)
      ASSERT_EQ(run(allocator, kUncertain, probs, result, &forced).code, R1RT_OK);
    double coarse = stats(allocator, 0).p50_us, fine = stats(allocator, 1).p50_us;
    ASSERT_GT(fine, 4 * coarse) << "the fine tier should cost more than the coarse one";
    r1rt_request_t request;
    r1rt_request_init(&request);
    request.deadline_us = fine / 2;
    ASSERT_EQ(run(allocator, kUncertain, probs, result, &request).code, R1RT_OK);
    EXPECT_EQ(result.tier, 0) << "deadline " << request.deadline_us << " us, fine tier " << fine
                              << " us, threshold " << threshold;
    EXPECT_FALSE(result.escalated);
    EXPECT_EQ(probs, tierAlone(0, kUncertain));
    r1rt_allocator_release(allocator);
  }
}

TEST_F(Allocator, AMemoryBudgetBelowTheFineTiersArenaRunsTheCoarseTier) {
  r1rt_allocator_t probe = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, nullptr, &probe)).code, R1RT_OK);
  uint64_t coarseArena = stats(probe, 0).arena_bytes, fineArena = stats(probe, 1).arena_bytes;
  r1rt_allocator_release(probe);
  ASSERT_LT(coarseArena, fineArena);

  r1rt_allocator_options_t options;
  r1rt_allocator_options_init(&options);
  options.memory_budget = fineArena - 1;
  r1rt_allocator_t allocator = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, &options, &allocator)).code, R1RT_OK);
  std::vector<float> probs;
  r1rt_request_result_t result;
  ASSERT_EQ(run(allocator, kUncertain, probs, result).code, R1RT_OK);
  EXPECT_EQ(result.tier, 0);
  EXPECT_FALSE(result.escalated);
  EXPECT_EQ(probs, tierAlone(0, kUncertain));
  r1rt_allocator_release(allocator);

  options.memory_budget = coarseArena ? coarseArena - 1 : 0;
  if (options.memory_budget) {
    ASSERT_EQ(take(r1rt_allocator_create(model, &options, &allocator)).code, R1RT_OK);
    Status none = run(allocator, kUncertain, probs, result);
    EXPECT_EQ(none.code, R1RT_OUT_OF_MEMORY);
    EXPECT_NE(none.message.find("memory budget"), std::string::npos) << none.message;
    r1rt_allocator_release(allocator);
  }
}

// A request that escalates runs both tiers in one arena, the fine tier's size.
TEST_F(Allocator, OneArenaServesEveryTierOfARequest) {
  r1rt_allocator_t allocator = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, nullptr, &allocator)).code, R1RT_OK);
  std::vector<float> probs;
  r1rt_request_result_t result;
  ASSERT_EQ(run(allocator, kUncertain, probs, result).code, R1RT_OK);
  ASSERT_TRUE(result.escalated);
  EXPECT_EQ(probs, tierAlone(1, kUncertain));
  ASSERT_EQ(run(allocator, kConfident, probs, result).code, R1RT_OK);
  EXPECT_EQ(probs, tierAlone(0, kConfident));
  uint64_t bytes = 0;
  size_t slots = 0;
  ASSERT_EQ(take(r1rt_allocator_arena_bytes(allocator, &bytes, &slots)).code, R1RT_OK);
  EXPECT_EQ(slots, 1u);
  uint64_t coarse = stats(allocator, 0).arena_bytes, fine = stats(allocator, 1).arena_bytes;
  EXPECT_EQ(bytes, std::max(coarse, fine));
  EXPECT_LT(bytes, coarse + fine);
  r1rt_allocator_release(allocator);
}

// A host session runs in the caller's arena when given one.
TEST_F(Allocator, ASessionRunsInTheCallersArena) {
  r1rt_model_t fine = nullptr;
  ASSERT_EQ(take(r1rt_model_tier(model, 1, &fine, nullptr)).code, R1RT_OK);
  r1rt_session_t session = nullptr;
  ASSERT_EQ(take(r1rt_session_create(fine, &session)).code, R1RT_OK);
  size_t needed = 0;
  ASSERT_EQ(take(r1rt_session_max_arena_size(session, &needed)).code, R1RT_OK);
  ASSERT_GT(needed, 0u);
  std::vector<uint8_t> storage(needed + 128);
  uint8_t *aligned = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64);
  Status small = take(r1rt_session_set_arena(session, aligned, needed - 1));
  EXPECT_EQ(small.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(small.message.find("needs"), std::string::npos) << small.message;
  EXPECT_EQ(take(r1rt_session_set_arena(session, aligned + 8, needed)).code, R1RT_INVALID_ARGUMENT);
  std::fill(storage.begin(), storage.end(), uint8_t(0xA5)); // poisoned scratch
  ASSERT_EQ(take(r1rt_session_set_arena(session, aligned, needed)).code, R1RT_OK);
  std::vector<float> probs(3);
  r1rt_tensor_t in = kUncertain.input(), out = outputFor(probs);
  ASSERT_EQ(take(r1rt_session_run_tensors(session, &in, 1, &out, 1)).code, R1RT_OK);
  EXPECT_EQ(probs, tierAlone(1, kUncertain));
  size_t held = 0;
  ASSERT_EQ(take(r1rt_session_arena_size(session, &held)).code, R1RT_OK);
  EXPECT_EQ(held, needed);
  EXPECT_TRUE(std::any_of(storage.begin(), storage.end(), [](uint8_t b) { return b != 0xA5; }))
      << "the run did not use the arena it was given";
  // Its own arena again.
  ASSERT_EQ(take(r1rt_session_set_arena(session, nullptr, 0)).code, R1RT_OK);
  ASSERT_EQ(take(r1rt_session_run_tensors(session, &in, 1, &out, 1)).code, R1RT_OK);
  EXPECT_EQ(probs, tierAlone(1, kUncertain));
  r1rt_session_release(session);
}

TEST_F(Allocator, WrongRequestsAreRefused) {
  r1rt_allocator_t allocator = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, nullptr, &allocator)).code, R1RT_OK);
  std::vector<float> probs(3);
  r1rt_tensor_t in = kUncertain.input(), out = outputFor(probs);
  out.data = nullptr;
  Status noBuffer = take(r1rt_allocator_run(allocator, &in, 1, &out, 1, nullptr, nullptr));
  EXPECT_EQ(noBuffer.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(noBuffer.message.find("caller's buffers"), std::string::npos) << noBuffer.message;
  Request five{std::vector<float>(15, 0.5f), 5};
  r1rt_request_result_t result;
  Status shape = run(allocator, five, probs, result);
  EXPECT_EQ(shape.code, R1RT_INVALID_ARGUMENT);
  EXPECT_NE(shape.message.find("[5,3]"), std::string::npos) << shape.message;
  r1rt_request_t request;
  r1rt_request_init(&request);
  request.tier = 2;
  EXPECT_EQ(run(allocator, kUncertain, probs, result, &request).code, R1RT_INVALID_ARGUMENT);
  r1rt_allocator_release(allocator);
}

// 8 threads x 1000 requests through one allocator: every output is what a
// single-threaded run gave, bit for bit, and every request is counted.
TEST_F(Allocator, ThreadsGetTheSingleThreadedOutputs) {
  r1rt_allocator_t allocator = nullptr;
  ASSERT_EQ(take(r1rt_allocator_create(model, nullptr, &allocator)).code, R1RT_OK);
  std::vector<Request> requests;
  for (int i = 0; i < 16; ++i) {
    int64_t rows = i % 3 == 0 ? 4 : 1;
    std::vector<float> x(size_t(rows * kClasses));
    for (size_t k = 0; k < x.size(); ++k)
      x[k] = std::sin(float(i * 7 + k)) * (i % 2 ? 6.0f : 0.4f);
    requests.push_back(Request{x, rows});
  }
  std::vector<std::vector<float>> serial(requests.size());
  std::vector<int32_t> serialTier(requests.size());
  uint64_t escalated = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    r1rt_request_result_t result;
    ASSERT_EQ(run(allocator, requests[i], serial[i], result).code, R1RT_OK);
    serialTier[i] = result.tier;
    escalated += result.escalated;
  }
  ASSERT_GT(escalated, 0u);
  ASSERT_LT(escalated, requests.size());

  constexpr int kThreads = 8, kPerThread = 1000;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> probs;
      for (int k = 0; k < kPerThread; ++k) {
        size_t i = size_t(t * 5 + k) % requests.size();
        r1rt_request_result_t result;
        Status s = run(allocator, requests[i], probs, result);
        if (s.code != R1RT_OK || probs != serial[i] || result.tier != serialTier[i])
          ++mismatches[t];
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  // Every request ran the coarse tier once; no request was lost.
  EXPECT_EQ(stats(allocator, 0).requests, uint64_t(requests.size() + kThreads * kPerThread));
  EXPECT_EQ(stats(allocator, 0).escalations, stats(allocator, 1).requests);
  size_t slots = 0;
  ASSERT_EQ(take(r1rt_allocator_arena_bytes(allocator, nullptr, &slots)).code, R1RT_OK);
  EXPECT_GE(slots, 1u);
  EXPECT_LE(slots, size_t(kThreads)); // one per request at once, never more
  r1rt_allocator_release(allocator);
}

// A tier whose device fails (a fake GPU that fails every launch) falls back to
// the host, and the request returns the host's result.
TEST(AllocatorFallback, AFailingDeviceFallsBackToTheHost) {
  const char *path = std::getenv("R1RT_TEST_TIERED_GPU");
  const char *driver = std::getenv("R1RT_TEST_FAKE_GPU");
  if (!path || !*path || !driver || !*driver)
    GTEST_SKIP() << "R1RT_TEST_TIERED_GPU or R1RT_TEST_FAKE_GPU is unset";
  if (FILE *file = std::fopen(path, "rb"))
    std::fclose(file);
  else
    GTEST_SKIP() << path << " is missing: the sm_90 cascade compiles only where NVRTC is";
  setenv("R1RT_CUDA_LIBRARY", driver, 1);
  setenv("R1C_FAKE_GPU_ARCH", "sm_90", 1);
  setenv("R1C_FAKE_GPU_FAIL", "launch", 1);
  r1rt_model_t model = nullptr;
  ASSERT_EQ(take(r1rt_model_create_from_file(path, &model)).code, R1RT_OK);
  r1rt_allocator_options_t options;
  r1rt_allocator_options_init(&options);
  options.device = R1RT_DEVICE_CUDA;
  r1rt_allocator_t allocator = nullptr;
  Status created = take(r1rt_allocator_create(model, &options, &allocator));
  ASSERT_EQ(created.code, R1RT_OK) << created.message;

  // The host's answer, from a host session of the fine tier.
  r1rt_model_t fine = nullptr;
  ASSERT_EQ(take(r1rt_model_tier(model, 1, &fine, nullptr)).code, R1RT_OK);
  r1rt_session_options_t host;
  r1rt_session_options_init(&host);
  host.device = R1RT_DEVICE_HOST;
  r1rt_session_t session = nullptr;
  ASSERT_EQ(take(r1rt_session_create_with_options(fine, &host, &session)).code, R1RT_OK);
  std::vector<float> expected(3), probs(3);
  r1rt_tensor_t in = kUncertain.input(), out = outputFor(expected);
  ASSERT_EQ(take(r1rt_session_run_tensors(session, &in, 1, &out, 1)).code, R1RT_OK);
  r1rt_session_release(session);

  for (int round = 0; round < 3; ++round) {
    out = outputFor(probs);
    r1rt_request_result_t result;
    Status s = take(r1rt_allocator_run(allocator, &in, 1, &out, 1, nullptr, &result));
    ASSERT_EQ(s.code, R1RT_OK) << s.message;
    EXPECT_TRUE(result.fell_back);
    EXPECT_EQ(result.tier, 1);
    EXPECT_EQ(probs, expected);
  }
  r1rt_tier_stats_t s{};
  ASSERT_EQ(take(r1rt_allocator_tier_stats(allocator, 1, &s)).code, R1RT_OK);
  EXPECT_GE(s.failures, 3u);
  EXPECT_EQ(s.requests, 3u);
  r1rt_allocator_release(allocator);
  r1rt_model_release(model);
  unsetenv("R1C_FAKE_GPU_FAIL");
  unsetenv("R1C_FAKE_GPU_ARCH");
  unsetenv("R1RT_CUDA_LIBRARY");
}

} // namespace
