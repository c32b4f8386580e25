// Sessions: a model's host code loaded for execution, with its own arena.
//
// Host code is a shared object inside the artifact. It is loaded from
// memory without touching the file system: written to an anonymous memfd
// and opened through /proc/self/fd, so the runtime needs only libdl.
#include "Error.h"
#include "r1c/artifact_format.h"
#include "r1c/runtime.h"

#include <cerrno>
#include <cstdlib>
#include <new>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

using EntryPoint = void (*)(void *const *inputs, void *const *outputs, void *arena);

// Host ISA sections, best first, and whether this CPU runs each.
struct HostIsa {
  const char *section;
  bool (*supported)();
};
const HostIsa kHostIsas[] = {
    {"host-x86-64-v4",
     [] {
       return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
     }},
    {"host-x86-64-v3",
     [] {
       return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("bmi2");
     }},
};

// Reads the host plan: the entry symbol and the arena size.
bool parsePlan(const uint8_t *data, size_t size, std::string &entry, uint64_t &arenaSize) {
  uint32_t length;
  if (size < sizeof length)
    return false;
  std::memcpy(&length, data, sizeof length);
  if (length == 0 || length > 256 || size != sizeof length + length + sizeof arenaSize)
    return false;
  entry.assign(reinterpret_cast<const char *>(data + sizeof length), length);
  std::memcpy(&arenaSize, data + sizeof length + length, sizeof arenaSize);
  return arenaSize < (uint64_t(1) << 48);
}

} // namespace

struct r1rt_session {
  r1rt_model_t model = nullptr;
  void *library = nullptr;
  EntryPoint entry = nullptr;
  void *arena = nullptr;
  size_t arenaSize = 0;
  size_t inputCount = 0, outputCount = 0;

  ~r1rt_session() {
    std::free(arena);
    if (library)
      dlclose(library);
  }
};

extern "C" r1rt_status_t r1rt_session_create(r1rt_model_t model, r1rt_session_t *out_session) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_session)
    return r1rt::nullArgument("out_session");
  const void *code = nullptr;
  size_t codeSize = 0;
  const char *chosen = nullptr;
  std::string available;
  for (const HostIsa &isa : kHostIsas) {
    const void *data;
    size_t size;
    r1rt_status_t status = r1rt_model_find_section(model, R1RT_SECTION_HOST_CODE, isa.section,
                                                   &data, &size);
    if (status) {
      r1rt_status_release(status);
      continue;
    }
    available += (available.empty() ? "" : ", ") + std::string(isa.section);
    if (isa.supported()) {
      code = data;
      codeSize = size;
      chosen = isa.section;
      break;
    }
  }
  if (!chosen) {
    if (available.empty())
      return r1rt::makeError(R1RT_UNAVAILABLE,
                             "the artifact has no host code (compile with r1c --target=host)");
    return r1rt::makeError(R1RT_UNAVAILABLE,
                           "this CPU cannot run the artifact's host code (%s); recompile with "
                           "r1c --cpu=x86-64-v3 for AVX2 machines",
                           available.c_str());
  }
  const void *planData;
  size_t planSize;
  if (r1rt_status_t status =
          r1rt_model_find_section(model, R1RT_SECTION_PLAN, nullptr, &planData, &planSize))
    return r1rt::prefixError("host artifact without a plan", status);
  std::string entryName;
  uint64_t arenaSize;
  if (!parsePlan(static_cast<const uint8_t *>(planData), planSize, entryName, arenaSize))
    return r1rt::makeError(R1RT_DATA_LOSS, "the artifact's plan section is malformed");

  auto *session = new (std::nothrow) r1rt_session;
  if (!session)
    return r1rt::makeError(R1RT_OUT_OF_MEMORY, "out of memory creating a session");
  session->model = model;
  int fd = memfd_create("r1c-host-code", MFD_CLOEXEC);
  if (fd < 0) {
    delete session;
    return r1rt::makeError(R1RT_UNAVAILABLE, "memfd_create failed: %s", std::strerror(errno));
  }
  const char *bytes = static_cast<const char *>(code);
  for (size_t written = 0; written < codeSize;) {
    ssize_t n = write(fd, bytes + written, codeSize - written);
    if (n <= 0) {
      close(fd);
      delete session;
      return r1rt::makeError(R1RT_UNAVAILABLE, "cannot stage the host code: %s",
                             std::strerror(errno));
    }
    written += size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  session->library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (!session->library) {
    const char *why = dlerror();
    delete session;
    return r1rt::makeError(R1RT_DATA_LOSS, "cannot load the host code (%s): %s", chosen,
                           why ? why : "unknown error");
  }
  session->entry = reinterpret_cast<EntryPoint>(dlsym(session->library, entryName.c_str()));
  if (!session->entry) {
    delete session;
    return r1rt::makeError(R1RT_DATA_LOSS, "the host code lacks its entry point %s",
                           r1rt::quoted(entryName).c_str());
  }
  // 64-byte alignment matches the plan's offsets; never a zero-size request.
  session->arenaSize = size_t(arenaSize);
  session->arena = std::aligned_alloc(64, (session->arenaSize + 63) / 64 * 64 + 64);
  if (!session->arena) {
    delete session;
    return r1rt::makeError(R1RT_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena",
                           session->arenaSize);
  }
  if (r1rt_status_t status = r1rt_model_input_count(model, &session->inputCount)) {
    delete session;
    return status;
  }
  if (r1rt_status_t status = r1rt_model_output_count(model, &session->outputCount)) {
    delete session;
    return status;
  }
  *out_session = session;
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_run(r1rt_session_t session, const void *const *inputs,
                                          size_t input_count, void *const *outputs,
                                          size_t output_count) {
  if (!session)
    return r1rt::nullArgument("session");
  if (input_count != session->inputCount)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "the model takes %zu inputs, got %zu",
                           session->inputCount, input_count);
  if (output_count != session->outputCount)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "the model produces %zu outputs, got %zu",
                           session->outputCount, output_count);
  if ((input_count && !inputs) || (output_count && !outputs))
    return r1rt::nullArgument(!inputs ? "inputs" : "outputs");
  for (size_t i = 0; i < input_count; ++i)
    if (!inputs[i])
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "inputs[%zu] is NULL", i);
  for (size_t i = 0; i < output_count; ++i)
    if (!outputs[i])
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "outputs[%zu] is NULL", i);
  session->entry(const_cast<void *const *>(inputs), outputs, session->arena);
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_arena_size(r1rt_session_t session, size_t *out_bytes) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_bytes)
    return r1rt::nullArgument("out_bytes");
  *out_bytes = session->arenaSize;
  return nullptr;
}

extern "C" void r1rt_session_release(r1rt_session_t session) { delete session; }
