// The host executor: the artifact's host code, a shared object, loaded
// from memory without touching the file system (written to an anonymous
// memfd and opened through /proc/self/fd, so the runtime needs only libdl).
#include "AlignedBuffer.h"
#include "Error.h"
#include "Executor.h"
#include "ExternalWeights.h"
#include "ThreadPool.h"
#include "r1c/host_abi.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <new>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

namespace r1rt {
namespace {

using EntryPoint = void (*)(void *const *inputs, void *const *outputs, void *arena,
                           int64_t *output_dims, const r1c_host_context_t *context);

bool runsX86_64V4() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512cd");
}

// x86-64-v4-dl: AVX512-BF16 and AVX512-VNNI on top of x86-64-v4.
bool runsX86_64V4Dl() {
  return runsX86_64V4() && __builtin_cpu_supports("avx512bf16") &&
         __builtin_cpu_supports("avx512vnni");
}

bool runsX86_64V3() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi2");
}

// What the code of a fat section (r1c --cpu=auto) runs here: it checks
// the CPU itself, and R1C_MAX_CPU_ISA naming a lower level holds it there
// (codegen/host/CpuDispatch.h).
bool capAllows(const char *level) {
  const char *cap = std::getenv("R1C_MAX_CPU_ISA");
  if (!cap)
    return true;
  if (std::strcmp(cap, "x86-64-v3") == 0)
    return false;
  return !(std::strcmp(cap, "x86-64-v4") == 0 && std::strcmp(level, "x86-64-v4-dl") == 0);
}
const char *fatSectionLevel() {
  return runsX86_64V4() && capAllows("x86-64-v4") ? "x86-64-v4" : "x86-64-v3";
}
const char *fatDlSectionLevel() {
  if (runsX86_64V4Dl() && capAllows("x86-64-v4-dl"))
    return "x86-64-v4-dl";
  return fatSectionLevel();
}

// Host ISA sections, best first, whether this CPU runs each, and for a fat
// section the level its code picks.
struct HostIsa {
  const char *section;
  bool (*supported)();
  const char *(*level)();
};
const HostIsa kHostIsas[] = {
    {"host-x86-64-v4-dl", runsX86_64V4Dl, nullptr},
    {"host-x86-64-v4", runsX86_64V4, nullptr},
    {"host-x86-64-v3+v4+v4-dl", runsX86_64V3, fatDlSectionLevel},
    {"host-x86-64-v3+v4", runsX86_64V3, fatSectionLevel},
    {"host-x86-64-v3", runsX86_64V3, nullptr},
};

class HostExecutor final : public Executor {
public:
  ~HostExecutor() override {
    if (library)
      dlclose(library);
    if (codeFd >= 0)
      close(codeFd);
  }
  const std::vector<PlanEntry> &entries() const override { return plan; }
  r1rt_status_t run(size_t entry, const void *const *inputs, void *const *outputs,
                    int64_t *outputDims) override {
    void *scratch = external;
    if (!scratch) {
      if (!arena.reserve(plan[entry].arenaSize))
        return makeError(R1RT_OUT_OF_MEMORY, "cannot allocate a %llu-byte arena",
                         (unsigned long long)plan[entry].arenaSize);
      scratch = arena.data();
    }
    functions[entry](const_cast<void *const *>(inputs), outputs, scratch, outputDims, &context);
    return nullptr;
  }
  size_t arenaBytes() const override { return external ? externalBytes : arena.capacity(); }
  r1rt_status_t setArena(void *data, size_t bytes) override {
    if (data) {
      uint64_t needed = 0;
      for (const PlanEntry &entry : plan)
        needed = entry.arenaSize > needed ? entry.arenaSize : needed;
      if (reinterpret_cast<uintptr_t>(data) % R1RT_ARTIFACT_SECTION_ALIGNMENT != 0)
        return makeError(R1RT_INVALID_ARGUMENT, "the arena must be %u-byte aligned",
                         R1RT_ARTIFACT_SECTION_ALIGNMENT);
      if (bytes < needed)
        return makeError(R1RT_INVALID_ARGUMENT,
                         "the arena has %zu bytes; the session's largest bucket needs %llu", bytes,
                         (unsigned long long)needed);
      arena.clear(); // its own memory is not needed any more
    }
    external = data;
    externalBytes = data ? bytes : 0;
    return nullptr;
  }
  r1rt_status_t setThreads(size_t threads) override {
    pool.reset();
    context.parallel_for = nullptr;
    context.pool = nullptr;
    if (threads <= 1)
      return nullptr;
    pool.reset(new (std::nothrow) ThreadPool(threads));
    if (!pool)
      return makeError(R1RT_OUT_OF_MEMORY, "out of memory starting %zu threads", threads);
    context.parallel_for = &ThreadPool::parallelForEntry;
    context.pool = pool.get();
    return nullptr;
  }
  const std::string &description() const override { return describedAs; }

  void *library = nullptr;
  // The memfd the library was opened from, open while the library is: the
  // loader knows a library by its path, /proc/self/fd/N, so a later model
  // staged under a reused N would get this library back from dlopen.
  int codeFd = -1;
  std::vector<PlanEntry> plan;
  std::vector<EntryPoint> functions; // one per entry
  AlignedBuffer arena;
  // The caller's arena (r1rt_session_set_arena), used instead of `arena`.
  void *external = nullptr;
  size_t externalBytes = 0;
  r1c_host_context_t context{};
  std::unique_ptr<ThreadPool> pool;
  std::string describedAs;
};

// Opens a shared object held in memory; `fd` receives the memfd it was opened
// from, which the caller closes only after dlclose.
void *loadSharedObject(const void *code, size_t size, const char *section, int &fd,
                       r1rt_status_t &status) {
  fd = memfd_create("r1c-host-code", MFD_CLOEXEC);
  if (fd < 0) {
    status = makeError(R1RT_UNAVAILABLE, "memfd_create failed: %s", std::strerror(errno));
    return nullptr;
  }
  const char *bytes = static_cast<const char *>(code);
  for (size_t written = 0; written < size;) {
    ssize_t n = write(fd, bytes + written, size - written);
    if (n <= 0) {
      close(fd);
      fd = -1;
      status = makeError(R1RT_UNAVAILABLE, "cannot stage the host code: %s", std::strerror(errno));
      return nullptr;
    }
    written += size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    close(fd);
    fd = -1;
    const char *why = dlerror();
    status = makeError(R1RT_DATA_LOSS, "cannot load the host code (%s): %s", section,
                       why ? why : "unknown error");
  }
  return library;
}

} // namespace

r1rt_status_t createHostExecutor(r1rt_model_t model, const std::vector<TensorInfo> &inputs,
                                 const std::vector<TensorInfo> &outputs,
                                 std::unique_ptr<Executor> &executor) {
  // Mapped and checked once per model (--weights=external); NULL otherwise.
  const void *weights = nullptr;
  if (r1rt_status_t status = modelExternalWeights(model, &weights))
    return status;
  const void *code = nullptr;
  size_t codeSize = 0;
  const HostIsa *chosen = nullptr;
  std::string available;
  for (const HostIsa &isa : kHostIsas) {
    const void *data;
    size_t size;
    r1rt_status_t status =
        r1rt_model_find_section(model, R1RT_SECTION_HOST_CODE, isa.section, &data, &size);
    if (status) {
      r1rt_status_release(status);
      continue;
    }
    available += (available.empty() ? "" : ", ") + std::string(isa.section);
    if (isa.supported()) {
      code = data;
      codeSize = size;
      chosen = &isa;
      break;
    }
  }
  if (!chosen) {
    if (available.empty())
      return makeError(R1RT_UNAVAILABLE,
                       "the artifact has no host code (compile with r1c --target=host)");
    return makeError(R1RT_UNAVAILABLE,
                     "this CPU cannot run the artifact's host code (%s); recompile with "
                     "r1c --cpu=auto (the default) or --cpu=x86-64-v3 for AVX2 machines",
                     available.c_str());
  }
  auto host = std::unique_ptr<HostExecutor>(new (std::nothrow) HostExecutor);
  if (!host)
    return makeError(R1RT_OUT_OF_MEMORY, "out of memory creating a session");
  host->context.weights = weights;
  host->describedAs = std::string("host (") + chosen->section +
                      (chosen->level ? std::string(", running ") + chosen->level() + " code" : "") +
                      ")";
  const void *planData;
  size_t planSize;
  if (r1rt_status_t status =
          r1rt_model_find_section(model, R1RT_SECTION_PLAN, nullptr, &planData, &planSize))
    return prefixError("host artifact without a plan", status);
  std::vector<int32_t> inputRanks, outputRanks;
  for (const TensorInfo &info : inputs)
    inputRanks.push_back(int32_t(info.dims.size()));
  for (const TensorInfo &info : outputs)
    outputRanks.push_back(int32_t(info.dims.size()));
  if (r1rt_status_t status = parseHostPlan(static_cast<const uint8_t *>(planData), planSize,
                                           inputRanks, outputRanks, host->plan))
    return status;
  if (r1rt_status_t status = checkEntriesMatchModel(host->plan, inputs, outputs))
    return status;
  r1rt_status_t status = nullptr;
  host->library = loadSharedObject(code, codeSize, chosen->section, host->codeFd, status);
  if (!host->library)
    return status;
  for (const PlanEntry &entry : host->plan) {
    auto function = reinterpret_cast<EntryPoint>(dlsym(host->library, entry.symbol.c_str()));
    if (!function)
      return makeError(R1RT_DATA_LOSS, "the host code lacks its entry point %s",
                       quoted(entry.symbol).c_str());
    host->functions.push_back(function);
  }
  executor = std::move(host);
  return nullptr;
}

} // namespace r1rt
