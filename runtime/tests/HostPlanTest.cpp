// Session creation on artifacts built in memory: the host plan's checks,
// host ISA selection, and the session functions' argument checks.
#include "TestArtifacts.h"

#include <cstring>

using namespace r1rt_test;

namespace {

// Session creation reads the plan of the best host ISA section the CPU runs;
// the sections below are "host-x86-64-v3", which needs what the runtime asks
// of it.
bool cpuRunsX86_64V3() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi2");
}
bool cpuRunsX86_64V4() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512cd");
}
#define REQUIRE_X86_64_V3()                                                                        \
  do {                                                                                             \
    if (!cpuRunsX86_64V3())                                                                        \
      GTEST_SKIP() << "this CPU lacks AVX2/FMA/BMI2, so sessions never read an x86-64-v3 plan";    \
  } while (0)

// A model with a batch dim, a static input, and an output whose dims the
// code computes: every kind of plan tensor.
r1c::ArtifactMetadata planMetadata() {
  r1c::ArtifactMetadata m;
  m.producer = "r1c 0.1.0";
  m.modelName = "plan-test";
  m.inputs.push_back({"x", R1RT_DTYPE_FLOAT, {-1, 16}, {"batch", ""}});
  m.inputs.push_back({"axes", R1RT_DTYPE_INT64, {1}, {}});
  m.outputs.push_back({"y", R1RT_DTYPE_FLOAT, {-1, 4}, {"batch", ""}});
  m.outputs.push_back({"sum", R1RT_DTYPE_FLOAT, {-1, -1}, {}});
  return m;
}

// The entry of bucket batch=`batch` of planMetadata().
r1c::HostPlanEntry planEntry(int64_t batch) {
  r1c::HostPlanEntry e;
  e.symbol = "plan_test_batch" + std::to_string(batch) + "_run";
  e.arenaSize = 64 * uint64_t(batch);
  e.inputDims = {{batch, 16}, {1}};
  e.inputPadAxes = {0, -1};
  e.outputDims = {{batch, 4}, {-1, -1}};
  e.outputPadAxes = {0, -1};
  e.outputMaxElements = {uint64_t(batch) * 4, uint64_t(batch) * 16};
  return e;
}

std::vector<r1c::HostPlanEntry> validPlan() { return {planEntry(1), planEntry(4)}; }

// An artifact with `plan` as its PLAN section (none if `withPlan` is false)
// and arbitrary bytes as host code in each of `isas`.
std::vector<uint8_t> planArtifact(const std::vector<uint8_t> &plan,
                                  r1c::ArtifactMetadata metadata = planMetadata(),
                                  std::vector<std::string> isas = {"host-x86-64-v3"},
                                  bool withPlan = true) {
  r1c::ArtifactWriter writer;
  writer.setMetadata(std::move(metadata));
  if (withPlan)
    writer.addSection(R1RT_SECTION_PLAN, "plan", plan);
  for (const std::string &isa : isas)
    writer.addSection(R1RT_SECTION_HOST_CODE, isa, patternBytes(200, 17));
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(writer.finish(bytes, error)) << error;
  return bytes;
}

// Loads `artifact` (which must load) and creates a session on it, releasing
// everything. On success the session must have been written, on failure not.
LoadResult tryCreateSession(const std::vector<uint8_t> &artifact) {
  LoadedModel loaded(artifact);
  if (!loaded.model)
    return {R1RT_INTERNAL, "the artifact did not load"};
  r1rt_session_t session = nullptr;
  LoadResult result = takeStatus(r1rt_session_create(loaded.model, &session));
  if (result.code == R1RT_OK) {
    EXPECT_NE(session, nullptr);
  } else {
    EXPECT_EQ(session, nullptr) << "out_session written on failure";
  }
  r1rt_session_release(session);
  return result;
}

LoadResult tryPlan(const std::vector<uint8_t> &plan) {
  return tryCreateSession(planArtifact(plan));
}
LoadResult tryPlan(const std::vector<r1c::HostPlanEntry> &entries) {
  return tryPlan(r1c::artifact::encodeHostPlan(entries));
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// The plan was refused as corrupt.
void expectMalformed(const LoadResult &r) {
  EXPECT_EQ(r.code, R1RT_DATA_LOSS) << r.message;
  EXPECT_EQ(r.message, "the artifact's plan section is malformed");
}

// The plan passed every check: creation went on to load the host code,
// which here is not a shared object.
void expectPlanAccepted(const LoadResult &r) {
  EXPECT_EQ(r.code, R1RT_DATA_LOSS) << r.message;
  EXPECT_TRUE(contains(r.message, "cannot load the host code (host-x86-64-v3)")) << r.message;
}

} // namespace

TEST(HostPlan, ValidPlanReachesTheHostCode) {
  REQUIRE_X86_64_V3();
  expectPlanAccepted(tryPlan(validPlan()));
  // One entry, zero-sized tensors and a 256-byte symbol are all in bounds.
  r1c::HostPlanEntry empty = planEntry(0);
  empty.symbol = std::string(256, 's');
  empty.arenaSize = 0;
  expectPlanAccepted(tryPlan(std::vector<r1c::HostPlanEntry>{empty}));
}

TEST(HostPlan, WrongMagic) {
  REQUIRE_X86_64_V3();
  std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
  plan[0] ^= 0x20;
  expectMalformed(tryPlan(plan));
}

TEST(HostPlan, OtherVersionIsUnimplemented) {
  REQUIRE_X86_64_V3();
  for (uint32_t version : {0u, R1RT_HOST_PLAN_VERSION + 1, 0xFFFFFFFFu}) {
    std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
    r1c::artifact::storeU32(plan.data() + 4, version);
    LoadResult r = tryPlan(plan);
    EXPECT_EQ(r.code, R1RT_UNIMPLEMENTED) << r.message;
    EXPECT_TRUE(contains(r.message, "host plan has version " + std::to_string(version) +
                                        "; this runtime reads version " +
                                        std::to_string(R1RT_HOST_PLAN_VERSION)))
        << r.message;
  }
}

TEST(HostPlan, EntryCount) {
  REQUIRE_X86_64_V3();
  expectMalformed(tryPlan(std::vector<r1c::HostPlanEntry>{}));
  // More entries than the plan holds: the count is bounded before anything
  // is allocated for it, and then the bytes run out.
  for (uint32_t count : {3u, 4096u, 4097u, 0xFFFFFFFFu}) {
    SCOPED_TRACE("count " + std::to_string(count));
    std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
    r1c::artifact::storeU32(plan.data() + 8, count);
    expectMalformed(tryPlan(plan));
  }
}

TEST(HostPlan, TruncatedAtEveryLength) {
  REQUIRE_X86_64_V3();
  std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
  for (size_t length = 0; length < plan.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    expectMalformed(tryPlan(std::vector<uint8_t>(plan.begin(), plan.begin() + length)));
  }
  expectPlanAccepted(tryPlan(plan));
}

TEST(HostPlan, TrailingBytes) {
  REQUIRE_X86_64_V3();
  for (size_t extra : {1, 4, 100}) {
    std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
    plan.resize(plan.size() + extra, 0);
    expectMalformed(tryPlan(plan));
  }
}

TEST(HostPlan, SymbolLength) {
  REQUIRE_X86_64_V3();
  for (size_t length : {size_t(0), size_t(257), size_t(100000)}) {
    SCOPED_TRACE("length " + std::to_string(length));
    std::vector<r1c::HostPlanEntry> entries = validPlan();
    entries[1].symbol = std::string(length, 's');
    expectMalformed(tryPlan(entries));
  }
  // A length within bounds that runs past the end of the section.
  std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan({planEntry(1)});
  ASSERT_LT(plan.size(), 12 + 4 + 256u);
  r1c::artifact::storeU32(plan.data() + 12, 256);
  expectMalformed(tryPlan(plan));
}

TEST(HostPlan, ArenaSize) {
  REQUIRE_X86_64_V3();
  for (uint64_t size : {uint64_t(1) << 48, ~uint64_t(0)}) {
    std::vector<r1c::HostPlanEntry> entries = validPlan();
    entries[0].arenaSize = size;
    expectMalformed(tryPlan(entries));
  }
}

TEST(HostPlan, Dims) {
  REQUIRE_X86_64_V3();
  struct Case {
    const char *what;
    void (*edit)(r1c::HostPlanEntry &);
  };
  const Case cases[] = {
      {"negative input dim", [](r1c::HostPlanEntry &e) { e.inputDims[0][0] = -1; }},
      {"very negative input dim", [](r1c::HostPlanEntry &e) { e.inputDims[1][0] = INT64_MIN; }},
      {"huge input dim", [](r1c::HostPlanEntry &e) { e.inputDims[0][1] = int64_t(1) << 41; }},
      {"input elements overflow",
       [](r1c::HostPlanEntry &e) {
         e.inputDims[0] = {int64_t(1) << 30, int64_t(1) << 30};
       }},
      // -1 is the only negative dim an output may have.
      {"output dim -2", [](r1c::HostPlanEntry &e) { e.outputDims[1][0] = -2; }},
      {"huge output dim",
       [](r1c::HostPlanEntry &e) {
         e.outputDims[0][0] = int64_t(1) << 41;
         e.outputMaxElements[0] = uint64_t(1) << 43;
       }},
      {"output elements overflow",
       [](r1c::HostPlanEntry &e) {
         e.outputDims[0] = {int64_t(1) << 40, int64_t(1) << 10};
         e.outputMaxElements[0] = uint64_t(1) << 50;
       }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<r1c::HostPlanEntry> entries = validPlan();
    c.edit(entries[1]);
    expectMalformed(tryPlan(entries));
  }
}

TEST(HostPlan, PadAxis) {
  REQUIRE_X86_64_V3();
  struct Case {
    const char *what;
    void (*edit)(r1c::HostPlanEntry &);
  };
  const Case cases[] = {
      {"input axis = rank", [](r1c::HostPlanEntry &e) { e.inputPadAxes[0] = 2; }},
      {"input axis -2", [](r1c::HostPlanEntry &e) { e.inputPadAxes[1] = -2; }},
      {"input axis huge", [](r1c::HostPlanEntry &e) { e.inputPadAxes[0] = INT32_MAX; }},
      {"output axis = rank", [](r1c::HostPlanEntry &e) { e.outputPadAxes[0] = 2; }},
      {"output axis INT32_MIN", [](r1c::HostPlanEntry &e) { e.outputPadAxes[0] = INT32_MIN; }},
      // Rows of a dim computed at run time cannot be trimmed.
      {"output axis on a computed dim", [](r1c::HostPlanEntry &e) { e.outputPadAxes[1] = 1; }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<r1c::HostPlanEntry> entries = validPlan();
    c.edit(entries[0]);
    expectMalformed(tryPlan(entries));
  }
}

TEST(HostPlan, MaxElements) {
  REQUIRE_X86_64_V3();
  // A static output's bound is the product of its dims, exactly.
  for (uint64_t bound : {uint64_t(0), uint64_t(15), uint64_t(17), ~uint64_t(0)}) {
    std::vector<r1c::HostPlanEntry> entries = validPlan();
    entries[1].outputMaxElements[0] = bound;
    expectMalformed(tryPlan(entries));
  }
  // A computed output's bound is free, up to the arena limit.
  std::vector<r1c::HostPlanEntry> entries = validPlan();
  entries[1].outputMaxElements[1] = uint64_t(1) << 49;
  expectMalformed(tryPlan(entries));
  entries[1].outputMaxElements[1] = 0;
  expectPlanAccepted(tryPlan(entries));
}

TEST(HostPlan, DimsDisagreeWithTheModel) {
  REQUIRE_X86_64_V3();
  // Where the metadata declares a dim, every entry must take (make) it.
  std::vector<r1c::HostPlanEntry> entries = validPlan();
  entries[1].inputDims[0][1] = 17;
  LoadResult r = tryPlan(entries);
  EXPECT_EQ(r.code, R1RT_DATA_LOSS);
  EXPECT_EQ(r.message,
            "the plan's entry 'plan_test_batch4_run' has input 0 ('x') as [4,17]; the model "
            "declares [?,16]");

  entries = validPlan();
  entries[0].inputDims[1] = {2};
  EXPECT_EQ(tryPlan(entries).message, "the plan's entry 'plan_test_batch1_run' has input 1 "
                                      "('axes') as [2]; the model declares [1]");

  entries = validPlan();
  entries[0].outputDims[0] = {1, 5};
  entries[0].outputMaxElements[0] = 5;
  EXPECT_EQ(tryPlan(entries).message, "the plan's entry 'plan_test_batch1_run' has output 0 "
                                      "('y') as [1,5]; the model declares [?,4]");

  // A static output the plan says is computed at run time.
  entries = validPlan();
  entries[0].outputDims[0] = {1, -1};
  EXPECT_EQ(tryPlan(entries).message, "the plan's entry 'plan_test_batch1_run' has output 0 "
                                      "('y') as [1,?]; the model declares [?,4]");
}

TEST(HostPlan, FlippedBytesNeverCrash) {
  REQUIRE_X86_64_V3();
  // Every byte of the plan with its bits flipped: whatever the field, the
  // result is a refusal or a plan that still satisfies every check.
  std::vector<uint8_t> plan = r1c::artifact::encodeHostPlan(validPlan());
  for (size_t i = 0; i < plan.size(); ++i) {
    SCOPED_TRACE("byte " + std::to_string(i));
    std::vector<uint8_t> edited = plan;
    edited[i] ^= 0xFF;
    LoadResult r = tryPlan(edited);
    EXPECT_TRUE(r.code == R1RT_DATA_LOSS || r.code == R1RT_UNIMPLEMENTED) << r.message;
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(HostPlan, MissingPlan) {
  REQUIRE_X86_64_V3();
  LoadResult r = tryCreateSession(planArtifact({}, planMetadata(), {"host-x86-64-v3"},
                                               /*withPlan=*/false));
  EXPECT_NE(r.code, R1RT_OK);
  EXPECT_TRUE(contains(r.message, "host artifact without a plan")) << r.message;
}

TEST(HostPlan, RankBeyondTheRuntime) {
  REQUIRE_X86_64_V3();
  r1c::ArtifactMetadata m = planMetadata();
  m.inputs[0].dims.assign(R1RT_MAX_RANK + 1, 2);
  m.inputs[0].dimNames.clear();
  LoadResult r = tryCreateSession(planArtifact({}, m));
  EXPECT_EQ(r.code, R1RT_UNIMPLEMENTED) << r.message;
  EXPECT_EQ(r.message, "input 0 has rank 9; the runtime runs up to 8");
}

TEST(HostIsa, NoHostCode) {
  // No host code section, or only one for an ISA this runtime does not know.
  for (std::vector<std::string> isas : {std::vector<std::string>{}, {"host-x86-64-v9"}}) {
    LoadResult r = tryCreateSession(
        planArtifact(r1c::artifact::encodeHostPlan(validPlan()), planMetadata(), isas));
    EXPECT_EQ(r.code, R1RT_UNAVAILABLE);
    EXPECT_EQ(r.message, "the artifact has no host code (compile with r1c --target=host)");
  }
  // The sample artifact has host code for v3 and a plan of pattern bytes.
  LoadResult sample = tryCreateSession(sampleArtifact());
  if (cpuRunsX86_64V3())
    expectMalformed(sample);
  else
    EXPECT_EQ(sample.code, R1RT_UNAVAILABLE) << sample.message;
}

TEST(HostIsa, AnIsaThisCpuLacksIsNamed) {
  bool v4 = cpuRunsX86_64V4();
  LoadResult r = tryCreateSession(
      planArtifact(r1c::artifact::encodeHostPlan(validPlan()), planMetadata(), {"host-x86-64-v4"}));
  if (v4) {
    EXPECT_EQ(r.code, R1RT_DATA_LOSS) << r.message;
    EXPECT_TRUE(contains(r.message, "cannot load the host code (host-x86-64-v4)")) << r.message;
  } else {
    EXPECT_EQ(r.code, R1RT_UNAVAILABLE);
    EXPECT_TRUE(contains(r.message, "cannot run the artifact's host code (host-x86-64-v4)"))
        << r.message;
  }
}

TEST(HostIsa, BestSupportedIsaIsChosen) {
  REQUIRE_X86_64_V3();
  bool v4 = cpuRunsX86_64V4();
  LoadResult r =
      tryCreateSession(planArtifact(r1c::artifact::encodeHostPlan(validPlan()), planMetadata(),
                                    {"host-x86-64-v3", "host-x86-64-v4"}));
  EXPECT_EQ(r.code, R1RT_DATA_LOSS) << r.message;
  EXPECT_TRUE(contains(r.message, v4 ? "(host-x86-64-v4)" : "(host-x86-64-v3)")) << r.message;
}

TEST(HostIsa, FatSectionRunsOnAnyX86_64V3Cpu) {
  // A section of x86-64-v3 and v4 code (r1c --cpu=auto) picks its level
  // itself: the runtime takes it wherever v3 runs, before a plain v3 one,
  // and after a v4 one where the CPU runs that.
  REQUIRE_X86_64_V3();
  bool v4 = cpuRunsX86_64V4();
  auto load = [](std::vector<std::string> isas) {
    return tryCreateSession(
        planArtifact(r1c::artifact::encodeHostPlan(validPlan()), planMetadata(), isas));
  };
  LoadResult fat = load({"host-x86-64-v3+v4"});
  EXPECT_EQ(fat.code, R1RT_DATA_LOSS) << fat.message;
  EXPECT_TRUE(contains(fat.message, "cannot load the host code (host-x86-64-v3+v4)"))
      << fat.message;
  LoadResult beforeV3 = load({"host-x86-64-v3", "host-x86-64-v3+v4"});
  EXPECT_TRUE(contains(beforeV3.message, "(host-x86-64-v3+v4)")) << beforeV3.message;
  LoadResult afterV4 = load({"host-x86-64-v3+v4", "host-x86-64-v4"});
  EXPECT_TRUE(contains(afterV4.message, v4 ? "(host-x86-64-v4)" : "(host-x86-64-v3+v4)"))
      << afterV4.message;
}

TEST(Session, NullArgumentsAreNamed) {
  std::vector<uint8_t> bytes = sampleArtifact();
  LoadedModel loaded(bytes);
  r1rt_session_t out = nullptr;
  r1rt_tensor_t tensor{};
  const void *input = nullptr;
  void *output = nullptr;
  size_t count = 0;
  int32_t rank = 0;
  const int64_t *dims = nullptr;

  struct Case {
    r1rt_status_t status;
    const char *message;
  };
  const Case cases[] = {
      {r1rt_session_create(nullptr, &out), "model is NULL"},
      {r1rt_session_create(loaded.model, nullptr), "out_session is NULL"},
      {r1rt_session_run_tensors(nullptr, &tensor, 1, &tensor, 1), "session is NULL"},
      {r1rt_session_run_tensors(nullptr, nullptr, 0, nullptr, 0), "session is NULL"},
      {r1rt_session_run(nullptr, &input, 1, &output, 1), "session is NULL"},
      {r1rt_session_arena_size(nullptr, &count), "session is NULL"},
      {r1rt_session_bucket_count(nullptr, &count), "session is NULL"},
      {r1rt_session_bucket_input_dims(nullptr, 0, 0, &rank, &dims), "session is NULL"},
  };
  for (const Case &c : cases) {
    LoadResult r = takeStatus(c.status);
    EXPECT_EQ(r.code, R1RT_INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(r.message, c.message);
  }
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(dims, nullptr);
  r1rt_session_release(nullptr);
}
