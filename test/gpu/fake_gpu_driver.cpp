// A stand-in for the CUDA driver API (libcuda.so.1) and the HIP runtime
// (libamdhip64.so) that runs r1c's kernels on the CPU, so the runtime's GPU
// path can be tested end to end on machines without a GPU.
//
// Device memory is host memory, copies are memcpy, and every call runs to
// completion before it returns (streams are handles). Kernels come from a
// kernel library that build_fake_kernels.py builds from an `r1c
// --emit=kernels` directory: cuModuleGetFunction(NAME) binds r1sim_NAME
// there, which runs the printed kernel with simt.h. What the driver checks
// is what a real one rejects: images for another GPU, kernels a module does
// not hold, copies outside allocations, launches beyond a kernel's launch
// bounds, calls without a current context, and work that stream capture
// does not allow (copies of pageable memory, synchronization, allocation).
//
// Environment:
//   R1C_FAKE_GPU_ARCH     sm_XX (one CUDA device) or gfxXXX (one HIP
//                         device); unset or empty: no device at all.
//   R1C_FAKE_GPU_KERNELS  the kernel library, opened at the first lookup.
//   R1C_FAKE_GPU_FAIL     "launch": a device that fails on purpose; kernels
//                         bind without a kernel library, and every launch
//                         and graph launch fails (CUDA_ERROR_LAUNCH_FAILED,
//                         hipErrorLaunchFailure), as a lost device would.
//   R1C_FAKE_GPU_LOG      a file to append one line per event to: load,
//                         launch, capture-begin, capture-end, graph-launch,
//                         alloc, free, htod, dtoh, dtod, and error lines
//                         naming the call that failed and why.
#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Internal; the library exports only the driver entry points (it is built
// with hidden visibility).
namespace r1c_fake_gpu {

// HIP took CUDA's error numbers, so one set of codes serves both APIs; only
// the names differ.
enum Result : int {
  Success = 0,
  InvalidValue = 1,
  OutOfMemory = 2,
  NotInitialized = 3,
  NoDevice = 100,
  InvalidDevice = 101,
  InvalidImage = 200,
  InvalidContext = 201,
  NoBinaryForGpu = 209,
  InvalidPtx = 218,
  UnsupportedPtxVersion = 222,
  InvalidHandle = 400,
  IllegalState = 401,
  NotFound = 500,
  LaunchOutOfResources = 701,
  LaunchFailed = 719,
  CaptureUnsupported = 900,
  CaptureInvalidated = 901,
  CaptureUnmatched = 903,
  CaptureImplicit = 906,
  Unknown = 999,
};

struct ResultName {
  Result code;
  const char *cuda, *hip, *text;
};

const ResultName kResultNames[] = {
    {Success, "CUDA_SUCCESS", "hipSuccess", "no error"},
    {InvalidValue, "CUDA_ERROR_INVALID_VALUE", "hipErrorInvalidValue", "invalid argument"},
    {OutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY", "hipErrorOutOfMemory", "out of memory"},
    {NotInitialized, "CUDA_ERROR_NOT_INITIALIZED", "hipErrorNotInitialized",
     "initialization error"},
    {NoDevice, "CUDA_ERROR_NO_DEVICE", "hipErrorNoDevice", "no GPU device is detected"},
    {InvalidDevice, "CUDA_ERROR_INVALID_DEVICE", "hipErrorInvalidDevice", "invalid device ordinal"},
    {InvalidImage, "CUDA_ERROR_INVALID_IMAGE", "hipErrorInvalidImage",
     "device kernel image is invalid"},
    {InvalidContext, "CUDA_ERROR_INVALID_CONTEXT", "hipErrorInvalidContext",
     "invalid device context"},
    {NoBinaryForGpu, "CUDA_ERROR_NO_BINARY_FOR_GPU", "hipErrorNoBinaryForGpu",
     "no kernel image is available for execution on the device"},
    {InvalidPtx, "CUDA_ERROR_INVALID_PTX", "hipErrorInvalidKernelFile",
     "a PTX JIT compilation failed"},
    {UnsupportedPtxVersion, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "hipErrorUnknown",
     "the provided PTX was compiled with an unsupported toolchain"},
    {InvalidHandle, "CUDA_ERROR_INVALID_HANDLE", "hipErrorInvalidHandle",
     "invalid resource handle"},
    {IllegalState, "CUDA_ERROR_ILLEGAL_STATE", "hipErrorIllegalState",
     "the operation cannot be performed in the present state"},
    {NotFound, "CUDA_ERROR_NOT_FOUND", "hipErrorNotFound", "named symbol not found"},
    {LaunchFailed, "CUDA_ERROR_LAUNCH_FAILED", "hipErrorLaunchFailure",
     "unspecified launch failure"},
    {LaunchOutOfResources, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "hipErrorLaunchOutOfResources",
     "too many resources requested for launch"},
    {CaptureUnsupported, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
     "hipErrorStreamCaptureUnsupported", "operation not permitted when stream is capturing"},
    {CaptureInvalidated, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
     "hipErrorStreamCaptureInvalidated", "operation failed due to a previous error during capture"},
    {CaptureUnmatched, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "hipErrorStreamCaptureUnmatched",
     "capture was not initiated in this stream"},
    {CaptureImplicit, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "hipErrorStreamCaptureImplicit",
     "operation would make the legacy stream depend on a capturing stream"},
    {Unknown, "CUDA_ERROR_UNKNOWN", "hipErrorUnknown", "unknown error"},
};

const ResultName *findResult(int code) {
  for (const ResultName &name : kResultNames)
    if (name.code == code)
      return &name;
  return nullptr;
}

enum class Api { Cuda, Hip };

// The device R1C_FAKE_GPU_ARCH describes.
struct Device {
  std::string arch;    // as given; empty: no device
  bool cuda = false;   // sm_XX, else gfxXXX
  int sm = 0;          // 90 for sm_90
  bool smOnly = false; // sm_90a: arch-specific, no other sm runs it
  int gfxMach = 0;     // EF_AMDGPU_MACH of the gfx name

  bool present(Api api) const { return !arch.empty() && cuda == (api == Api::Cuda); }
  // The runtime reports a CUDA device's sm itself; HIP reports no arch.
  std::string name() const { return cuda ? "r1c fake GPU" : "r1c fake GPU (" + arch + ")"; }
};

// EF_AMDGPU_MACH values from LLVM's ELF.h, for the names hipRTC compiles to.
const std::pair<const char *, int> kGfxMachs[] = {
    {"gfx900", 0x2c},  {"gfx906", 0x2f},  {"gfx908", 0x30},  {"gfx90a", 0x3f},
    {"gfx940", 0x40},  {"gfx941", 0x4b},  {"gfx942", 0x4c},  {"gfx950", 0x4f},
    {"gfx1030", 0x36}, {"gfx1100", 0x41}, {"gfx1101", 0x46}, {"gfx1102", 0x47},
};

Device readDevice() {
  Device device;
  const char *arch = std::getenv("R1C_FAKE_GPU_ARCH");
  if (!arch || !*arch)
    return device;
  int sm = 0;
  char suffix = 0;
  if (std::sscanf(arch, "sm_%d%c", &sm, &suffix) >= 1 && sm >= 10 && (!suffix || suffix == 'a')) {
    device.cuda = true;
    device.sm = sm;
    device.smOnly = suffix == 'a';
  } else {
    for (const auto &[name, mach] : kGfxMachs)
      if (std::strcmp(name, arch) == 0)
        device.gfxMach = mach;
    if (!device.gfxMach) {
      std::fprintf(stderr,
                   "r1c fake GPU: R1C_FAKE_GPU_ARCH=%s is neither sm_XX nor a known gfx name\n",
                   arch);
      return device;
    }
  }
  device.arch = arch;
  return device;
}

using Launcher = void (*)(const unsigned grid[3], const unsigned block[3], unsigned sharedBytes,
                          void **params);

struct Module;

struct Function {
  Module *module;
  std::string name;
  Launcher launch;
  unsigned argc;
  unsigned blockLimit; // 0: not recorded
  /// Dynamic shared memory a launch may ask for: 48 KB on CUDA unless
  /// cuFuncSetAttribute raised it, 64 KB (the LDS) on HIP.
  unsigned sharedLimit;
};

struct Module {
  std::vector<unsigned char> image;
  bool ptx = false;
  std::map<std::string, std::unique_ptr<Function>> functions;
};

// One launch as a graph holds it: arguments are copied when it is recorded,
// as CUDA does, so later changes to the caller's argument storage do not
// reach the graph.
struct Launch {
  const Function *function;
  Launcher launch;
  unsigned grid[3], block[3];
  unsigned sharedBytes;
  std::vector<uint64_t> args;
};

struct Graph {
  std::vector<Launch> launches;
};

struct Stream {
  bool capturing = false;
  bool invalidated = false;
  int mode = 0; // CU_STREAM_CAPTURE_MODE_GLOBAL, _THREAD_LOCAL, _RELAXED
  std::vector<Launch> recorded;
  std::thread::id capturer; // the thread that began the capture
};

struct Context {
  int device = 0;
  int references = 0;
};

constexpr int kCaptureModeGlobal = 0;
constexpr int kCaptureModeRelaxed = 2;

// Everything the driver holds. It is never destroyed, so a caller's static
// destructors may still free memory or unload modules at exit.
struct State {
  std::mutex mutex;
  bool initialized = false;
  Device device = readDevice();
  Context primary;
  void *kernels = nullptr;
  std::string kernelsPath;
  std::map<uintptr_t, size_t> allocations;
  std::set<Module *> modules;
  std::set<const Function *> functions; // those of the loaded modules
  std::set<Stream *> streams;
  std::set<Graph *> graphs;
  std::set<Graph *> execs;
};

State &state() {
  static State *instance = new State;
  return *instance;
}

thread_local Context *currentContext = nullptr;

void note(const char *format, ...) {
  const char *path = std::getenv("R1C_FAKE_GPU_LOG");
  if (!path || !*path)
    return;
  // Opened per line, so lines of several processes (a test's successive
  // runs) land in order and nothing is lost if a run crashes.
  FILE *log = std::fopen(path, "a");
  if (!log)
    return;
  va_list args;
  va_start(args, format);
  std::vfprintf(log, format, args);
  va_end(args);
  std::fputc('\n', log);
  std::fclose(log);
}

/// Returns `result`, logging why the call `call` failed.
Result fail(Api api, const char *call, Result result, const char *why) {
  const ResultName *name = findResult(result);
  note("error %s %s: %s", call, name ? (api == Api::Cuda ? name->cuda : name->hip) : "?", why);
  return result;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Whether [address, address + bytes) lies inside one live allocation.
bool inAllocation(uintptr_t address, size_t bytes) {
  auto &allocations = state().allocations;
  auto next = allocations.upper_bound(address);
  if (next == allocations.begin())
    return false;
  auto [base, size] = *std::prev(next);
  return address - base <= size && bytes <= size - (address - base);
}

//===----------------------------------------------------------------------===//
// Code images
//===----------------------------------------------------------------------===//

constexpr int kEmCuda = 190, kEmAmdgpu = 224;

template <typename T> T field(const unsigned char *bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof(T));
  return value;
}

bool isElf(const unsigned char *image) {
  const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
  return std::memcmp(image, magic, 4) == 0;
}

/// The size of a 64-bit ELF image, which cuModuleLoadData is not told: the
/// end of whatever lies furthest, the section and program header tables or
/// a section's contents (NVRTC's cubins put the program headers last).
size_t elfSize(const unsigned char *image) {
  uint64_t shoff = field<uint64_t>(image, 0x28), phoff = field<uint64_t>(image, 0x20);
  uint16_t phentsize = field<uint16_t>(image, 0x36), phnum = field<uint16_t>(image, 0x38);
  uint16_t shentsize = field<uint16_t>(image, 0x3a), shnum = field<uint16_t>(image, 0x3c);
  uint64_t end = std::max<uint64_t>(
      {64, shoff + uint64_t(shentsize) * shnum, phoff + uint64_t(phentsize) * phnum});
  for (unsigned i = 0; i < shnum; ++i) {
    const unsigned char *section = image + shoff + uint64_t(i) * shentsize;
    constexpr uint32_t kNoBits = 8;
    if (field<uint32_t>(section, 4) != kNoBits)
      end = std::max(end, field<uint64_t>(section, 0x18) + field<uint64_t>(section, 0x20));
  }
  return end;
}

/// Whether an ELF image defines the function `name` (a kernel).
bool elfDefinesFunction(const std::vector<unsigned char> &image, const std::string &name) {
  const unsigned char *bytes = image.data();
  uint64_t shoff = field<uint64_t>(bytes, 0x28);
  uint16_t shentsize = field<uint16_t>(bytes, 0x3a), shnum = field<uint16_t>(bytes, 0x3c);
  auto section = [&](unsigned i) { return bytes + shoff + uint64_t(i) * shentsize; };
  for (unsigned i = 0; i < shnum; ++i) {
    constexpr uint32_t kSymTab = 2, kDynSym = 11;
    uint32_t type = field<uint32_t>(section(i), 4);
    if (type != kSymTab && type != kDynSym)
      continue;
    uint64_t offset = field<uint64_t>(section(i), 0x18), size = field<uint64_t>(section(i), 0x20);
    uint64_t entry = field<uint64_t>(section(i), 0x38);
    uint32_t link = field<uint32_t>(section(i), 0x28);
    if (!entry || link >= shnum)
      continue;
    uint64_t strings = field<uint64_t>(section(link), 0x18);
    uint64_t stringsSize = field<uint64_t>(section(link), 0x20);
    for (uint64_t symbol = offset; symbol + entry <= offset + size; symbol += entry) {
      constexpr unsigned char kFunc = 2;
      uint32_t nameOffset = field<uint32_t>(bytes, symbol);
      if ((bytes[symbol + 4] & 0xf) != kFunc || nameOffset >= stringsSize)
        continue;
      const char *symbolName = reinterpret_cast<const char *>(bytes + strings + nameOffset);
      if (strnlen(symbolName, stringsSize - nameOffset) == name.size() &&
          name.compare(0, name.size(), symbolName, name.size()) == 0)
        return true;
    }
  }
  return false;
}

bool ptxDefinesEntry(const std::vector<unsigned char> &image, const std::string &name) {
  std::string text(image.begin(), image.end());
  std::string entry = ".entry " + name;
  for (size_t at = text.find(entry); at != std::string::npos; at = text.find(entry, at + 1)) {
    char next = text[at + entry.size()];
    if (!(std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == '$'))
      return true;
  }
  return false;
}

Result reject(std::string &why, std::string text, Result result) {
  why = std::move(text);
  return result;
}

// The newest PTX ISA that the JIT of CUDA 13.0, the driver this stands
// in for, reads.
constexpr int kPtxIsaMajor = 9, kPtxIsaMinor = 0;

/// Checks a CUDA image against the device: a cubin for the device's sm (or
/// an older one of the same major version, which runs unchanged), or PTX
/// for an sm up to the device's, which the driver compiles.
Result checkCudaImage(const unsigned char *image, Module &module, std::string &why) {
  const Device &device = state().device;
  if (isElf(image)) {
    if (image[4] != 2 || image[5] != 1)
      return reject(why, "not a 64-bit little-endian ELF", InvalidImage);
    module.image.assign(image, image + elfSize(image));
    if (field<uint16_t>(image, 0x12) != kEmCuda)
      return reject(why, "an ELF image for another machine than EM_CUDA", NoBinaryForGpu);
    // ELF ABI version 8 (CUDA 12.8 and newer) records the sm in bits 8-15
    // of e_flags; older cubins in bits 0-7.
    uint32_t flags = field<uint32_t>(image, 0x30);
    int sm = image[8] >= 8 ? (flags >> 8) & 0xff : flags & 0xff;
    bool runs =
        device.smOnly ? sm == device.sm : sm / 10 == device.sm / 10 && sm % 10 <= device.sm % 10;
    if (!runs)
      return reject(why,
                    "a cubin for sm_" + std::to_string(sm) + " on an " + device.arch + " device",
                    NoBinaryForGpu);
    return Success;
  }
  // PTX is NUL-terminated text: a comment first, as NVRTC writes it, or at
  // least a .version directive.
  const char *text = reinterpret_cast<const char *>(image);
  const char *version = nullptr;
  if ((!std::isprint(image[0]) && !std::isspace(image[0])) ||
      (std::strncmp(text, "//", 2) != 0 && !(version = std::strstr(text, ".version"))))
    return reject(why, "neither an ELF image nor PTX text", InvalidImage);
  module.image.assign(image, image + std::strlen(text) + 1);
  module.ptx = true;
  version = std::strstr(text, ".version");
  int major = 0, minor = 0;
  if (!version || std::sscanf(version, ".version %d.%d", &major, &minor) != 2)
    return reject(why, "PTX without a .version", InvalidPtx);
  if (major > kPtxIsaMajor || (major == kPtxIsaMajor && minor > kPtxIsaMinor))
    return reject(why,
                  "PTX ISA " + std::to_string(major) + "." + std::to_string(minor) +
                      " is newer than this driver's JIT",
                  UnsupportedPtxVersion);
  const char *target = std::strstr(text, ".target");
  int sm = 0;
  char suffix = 0;
  if (!target || std::sscanf(target, ".target sm_%d%c", &sm, &suffix) < 1)
    return reject(why, "PTX without a .target sm_XX", InvalidPtx);
  bool specific = suffix == 'a';
  if (sm > device.sm || (specific && sm != device.sm))
    return reject(why,
                  "PTX for sm_" + std::to_string(sm) + (specific ? "a" : "") + " on an " +
                      device.arch + " device",
                  NoBinaryForGpu);
  return Success;
}

/// Checks an AMDGPU code object against the device: its machine must be
/// the device's, and its xnack and sramecc settings (code object v4 and
/// newer) must allow the device's, which like MI200 and MI300 in their
/// default mode has xnack off and sramecc on.
Result checkHipImage(const unsigned char *image, Module &module, std::string &why) {
  const Device &device = state().device;
  if (!isElf(image))
    return reject(why, "not an ELF code object (an offload bundle must be unbundled)",
                  InvalidImage);
  if (image[4] != 2 || image[5] != 1)
    return reject(why, "not a 64-bit little-endian ELF", InvalidImage);
  module.image.assign(image, image + elfSize(image));
  if (field<uint16_t>(image, 0x12) != kEmAmdgpu)
    return reject(why, "an ELF image for another machine than EM_AMDGPU", NoBinaryForGpu);
  uint32_t flags = field<uint32_t>(image, 0x30);
  int mach = flags & 0xff;
  if (mach != device.gfxMach) {
    char message[96];
    std::snprintf(message, sizeof message, "a code object for EF_AMDGPU_MACH 0x%x on an %s device",
                  mach, device.arch.c_str());
    return reject(why, message, NoBinaryForGpu);
  }
  constexpr int kAbiV4 = 2;
  constexpr uint32_t kXnackMask = 0x300, kXnackOn = 0x300, kSrameccMask = 0xc00,
                     kSrameccOff = 0x800;
  if (image[8] >= kAbiV4 &&
      ((flags & kXnackMask) == kXnackOn || (flags & kSrameccMask) == kSrameccOff))
    return reject(why, "a code object for xnack+ or sramecc-", NoBinaryForGpu);
  return Success;
}

//===----------------------------------------------------------------------===//
// The calls both APIs share
//===----------------------------------------------------------------------===//

/// The stream a call names: a live stream, or null for the default stream.
Result findStream(Api api, const char *call, Stream *stream) {
  if (stream && !state().streams.count(stream))
    return fail(api, call, InvalidHandle, "not a live stream");
  return Success;
}

/// Any capture but a relaxed one: work on the legacy default stream would
/// join it, whichever thread began it.
Stream *anyCapture() {
  for (Stream *stream : state().streams)
    if (stream->capturing && stream->mode != kCaptureModeRelaxed)
      return stream;
  return nullptr;
}

/// The capture that forbids unsafe calls on this thread, as CUDA rules: one
/// this thread began, unless relaxed, or another thread's in global mode.
Stream *activeCapture() {
  for (Stream *stream : state().streams) {
    if (!stream->capturing || stream->mode == kCaptureModeRelaxed)
      continue;
    if (stream->capturer == std::this_thread::get_id() || stream->mode == kCaptureModeGlobal)
      return stream;
  }
  return nullptr;
}

/// Ends a capture in error, as CUDA does when captured work breaks its
/// rules: the capture goes on, and cuStreamEndCapture reports it.
Result breakCapture(Api api, const char *call, Stream *capture, Result result, const char *why) {
  capture->invalidated = true;
  return fail(api, call, result, why);
}

/// Calls that may not run while a stream captures (activeCapture):
/// allocation, module loading and synchronization.
Result checkUnsafeDuringCapture(Api api, const char *call) {
  Stream *capture = activeCapture();
  if (capture)
    return breakCapture(api, call, capture, CaptureUnsupported,
                        "not permitted while a stream captures");
  return Success;
}

/// Copies: on a capturing stream, CUDA would capture a copy of pageable
/// host memory, which graphs do not allow; on the default stream during a
/// capture, it would join the captured work.
Result checkCopyStream(Api api, const char *call, Stream *stream) {
  if (Result result = findStream(api, call, stream))
    return result;
  if (stream && stream->capturing)
    return breakCapture(api, call, stream, CaptureUnsupported,
                        "a copy of pageable host memory on a capturing stream");
  if (Stream *capture = anyCapture(); !stream && capture)
    return breakCapture(api, call, capture, CaptureImplicit,
                        "the default stream while another stream captures");
  return Success;
}

Result allocate(Api api, const char *call, void **out, size_t bytes) {
  if (!out)
    return fail(api, call, InvalidValue, "null result pointer");
  if (Result result = checkUnsafeDuringCapture(api, call))
    return result;
  if (bytes == 0) {
    // hipMalloc of nothing succeeds with a null pointer; cuMemAlloc fails.
    if (api == Api::Hip) {
      *out = nullptr;
      return Success;
    }
    return fail(api, call, InvalidValue, "zero bytes");
  }
  size_t rounded = (bytes + 255) / 256 * 256;
  void *memory = std::aligned_alloc(256, rounded);
  if (!memory)
    return fail(api, call, OutOfMemory, "host allocation failed");
  // Poison: what no kernel or copy writes reads as NaN or all-ones.
  std::memset(memory, 0xff, rounded);
  state().allocations[reinterpret_cast<uintptr_t>(memory)] = bytes;
  note("alloc %zu", bytes);
  *out = memory;
  return Success;
}

Result release(Api api, const char *call, void *memory) {
  if (!memory) {
    if (api == Api::Hip)
      return Success;
    return fail(api, call, InvalidValue, "a null device pointer");
  }
  if (Result result = checkUnsafeDuringCapture(api, call))
    return result;
  auto found = state().allocations.find(reinterpret_cast<uintptr_t>(memory));
  if (found == state().allocations.end())
    return fail(api, call, InvalidValue, "not the start of a live allocation");
  state().allocations.erase(found);
  std::free(memory);
  note("free");
  return Success;
}

enum class Direction { HostToDevice, DeviceToHost, DeviceToDevice };

Result copy(Api api, const char *call, Direction direction, void *dst, const void *src,
            size_t bytes, Stream *stream) {
  if (Result result = checkCopyStream(api, call, stream))
    return result;
  if (bytes == 0)
    return Success;
  bool dstDevice = direction != Direction::DeviceToHost;
  bool srcDevice = direction != Direction::HostToDevice;
  if (dstDevice && !inAllocation(reinterpret_cast<uintptr_t>(dst), bytes))
    return fail(api, call, InvalidValue, "the destination is not inside one device allocation");
  if (srcDevice && !inAllocation(reinterpret_cast<uintptr_t>(src), bytes))
    return fail(api, call, InvalidValue, "the source is not inside one device allocation");
  if ((!dstDevice && !dst) || (!srcDevice && !src))
    return fail(api, call, InvalidValue, "a null host pointer");
  std::memmove(dst, src, bytes);
  const char *kinds[] = {"htod", "dtoh", "dtod"};
  note("%s %zu", kinds[static_cast<int>(direction)], bytes);
  return Success;
}

Result loadModule(Api api, const char *call, Module **out, const void *image) {
  if (!out || !image)
    return fail(api, call, InvalidValue, "a null pointer");
  if (Result result = checkUnsafeDuringCapture(api, call))
    return result;
  auto module = std::make_unique<Module>();
  std::string why;
  const auto *bytes = static_cast<const unsigned char *>(image);
  Result result =
      api == Api::Cuda ? checkCudaImage(bytes, *module, why) : checkHipImage(bytes, *module, why);
  if (result != Success)
    return fail(api, call, result, why.c_str());
  note("load %zu", module->image.size());
  *out = module.release();
  state().modules.insert(*out);
  return Success;
}

Result unloadModule(Api api, const char *call, Module *module) {
  if (!state().modules.erase(module))
    return fail(api, call, InvalidHandle, "not a loaded module");
  for (const auto &[name, function] : module->functions)
    state().functions.erase(function.get());
  delete module;
  return Success;
}

/// Opens the kernel library at the first lookup, so a process that only
/// asks about devices needs none.
Result openKernels(Api api, const char *call) {
  State &s = state();
  if (s.kernels)
    return Success;
  const char *path = std::getenv("R1C_FAKE_GPU_KERNELS");
  std::string why;
  if (!path || !*path) {
    why = "R1C_FAKE_GPU_KERNELS is not set; it names what build_fake_kernels.py builds";
  } else if (!(s.kernels = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
    const char *error = dlerror();
    why = std::string("cannot open R1C_FAKE_GPU_KERNELS: ") + (error ? error : path);
  } else {
    s.kernelsPath = path;
    return Success;
  }
  // A broken test setup rather than a runtime bug: say so where it shows.
  std::fprintf(stderr, "r1c fake GPU: %s\n", why.c_str());
  return fail(api, call, NotFound, why.c_str());
}

// R1C_FAKE_GPU_FAIL=launch: every launch fails on purpose.
bool failsLaunches() {
  const char *mode = std::getenv("R1C_FAKE_GPU_FAIL");
  return mode && std::strcmp(mode, "launch") == 0;
}

Result getFunction(Api api, const char *call, Function **out, Module *module, const char *name) {
  if (!out || !name)
    return fail(api, call, InvalidValue, "a null pointer");
  if (!state().modules.count(module))
    return fail(api, call, InvalidHandle, "not a loaded module");
  auto found = module->functions.find(name);
  if (found != module->functions.end()) {
    *out = found->second.get();
    return Success;
  }
  bool defined =
      module->ptx ? ptxDefinesEntry(module->image, name) : elfDefinesFunction(module->image, name);
  if (!defined)
    return fail(api, call, NotFound, (std::string(name) + " is not in the module").c_str());
  if (failsLaunches()) {
    // Nothing to run: every launch fails before it would.
    auto function = std::make_unique<Function>(Function{module, name, nullptr, 0, 0});
    *out = function.get();
    state().functions.insert(function.get());
    module->functions[name] = std::move(function);
    return Success;
  }
  if (Result result = openKernels(api, call))
    return result;
  std::string symbol = std::string("r1sim_") + name;
  auto launch = reinterpret_cast<Launcher>(dlsym(state().kernels, symbol.c_str()));
  auto argc = static_cast<const unsigned *>(dlsym(state().kernels, (symbol + "_argc").c_str()));
  auto limit =
      static_cast<const unsigned *>(dlsym(state().kernels, (symbol + "_block_limit").c_str()));
  if (!launch || !argc) {
    std::string why = state().kernelsPath + " has no " + symbol +
                      "; build it with build_fake_kernels.py from the same r1c run";
    std::fprintf(stderr, "r1c fake GPU: %s\n", why.c_str());
    return fail(api, call, NotFound, why.c_str());
  }
  unsigned sharedLimit = (api == Api::Cuda ? 48 : 64) * 1024;
  auto function = std::make_unique<Function>(
      Function{module, name, launch, *argc, limit ? *limit : 0, sharedLimit});
  *out = function.get();
  state().functions.insert(function.get());
  module->functions[name] = std::move(function);
  return Success;
}

bool liveFunction(const Function *function) { return state().functions.count(function); }

void run(const Launch &launch) {
  std::vector<void *> params(launch.args.size());
  for (size_t i = 0; i < params.size(); ++i)
    params[i] = const_cast<uint64_t *>(&launch.args[i]);
  launch.launch(launch.grid, launch.block, launch.sharedBytes, params.data());
}

Result launchKernel(Api api, const char *call, Function *function, const unsigned grid[3],
                    const unsigned block[3], unsigned sharedBytes, Stream *stream, void **params,
                    void **extra) {
  if (!liveFunction(function))
    return fail(api, call, InvalidHandle, "not a function of a loaded module");
  if (failsLaunches())
    return fail(api, call, LaunchFailed, "R1C_FAKE_GPU_FAIL=launch fails every launch");
  if (Result result = findStream(api, call, stream))
    return result;
  if (extra)
    return fail(api, call, InvalidValue, "arguments through `extra` are not supported here");
  if (function->argc && !params)
    return fail(api, call, InvalidValue, "no kernel arguments");
  unsigned threads = block[0] * block[1] * block[2];
  if (!grid[0] || !grid[1] || !grid[2] || !block[0] || !block[1] || !block[2] ||
      grid[0] > 0x7fffffffu || grid[1] > 65535 || grid[2] > 65535 || block[0] > 1024 ||
      block[1] > 1024 || block[2] > 64 || threads > 1024)
    return fail(api, call, InvalidValue, "grid or block out of range");
  if (sharedBytes > function->sharedLimit)
    return fail(api, call, InvalidValue,
                api == Api::Cuda ? "more dynamic shared memory than the function allows "
                                   "(cuFuncSetAttribute raises the 48 KB default)"
                                 : "more dynamic shared memory than the 64 KB LDS");
  if (function->blockLimit && threads > function->blockLimit)
    return fail(api, call, LaunchOutOfResources, "more threads than the kernel's launch bounds");
  Launch launch{function,
                function->launch,
                {grid[0], grid[1], grid[2]},
                {block[0], block[1], block[2]},
                sharedBytes,
                std::vector<uint64_t>(function->argc)};
  for (unsigned i = 0; i < function->argc; ++i)
    std::memcpy(&launch.args[i], params[i], sizeof(uint64_t));
  if (stream && stream->capturing) {
    stream->recorded.push_back(std::move(launch));
    return Success;
  }
  if (Stream *capture = anyCapture(); !stream && capture)
    return breakCapture(api, call, capture, CaptureImplicit,
                        "the default stream while another stream captures");
  note("launch %s", function->name.c_str());
  run(launch);
  return Success;
}

Result createStream(Api api, const char *call, Stream **out) {
  if (!out)
    return fail(api, call, InvalidValue, "a null pointer");
  *out = new Stream;
  state().streams.insert(*out);
  return Success;
}

Result destroyStream(Api api, const char *call, Stream *stream) {
  if (!state().streams.erase(stream))
    return fail(api, call, InvalidHandle, "not a live stream");
  delete stream;
  return Success;
}

Result synchronize(Api api, const char *call, Stream *stream) {
  if (Result result = findStream(api, call, stream))
    return result;
  if (stream && stream->capturing)
    return breakCapture(api, call, stream, CaptureUnsupported, "synchronizing a capturing stream");
  return checkUnsafeDuringCapture(api, call);
}

Result beginCapture(Api api, const char *call, Stream *stream, int mode) {
  if (!stream)
    return fail(api, call, CaptureUnsupported, "the default stream cannot capture");
  if (Result result = findStream(api, call, stream))
    return result;
  if (stream->capturing)
    return fail(api, call, IllegalState, "the stream captures already");
  if (mode < 0 || mode > kCaptureModeRelaxed)
    return fail(api, call, InvalidValue, "not a capture mode");
  *stream = Stream{true, false, mode, {}, std::this_thread::get_id()};
  note("capture-begin");
  return Success;
}

Result endCapture(Api api, const char *call, Stream *stream, Graph **out) {
  if (!out)
    return fail(api, call, InvalidValue, "a null pointer");
  if (Result result = findStream(api, call, stream))
    return result;
  if (!stream || !stream->capturing)
    return fail(api, call, IllegalState, "the stream is not capturing");
  bool invalidated = stream->invalidated;
  std::vector<Launch> launches = std::move(stream->recorded);
  *stream = Stream{};
  *out = nullptr;
  if (invalidated)
    return fail(api, call, CaptureInvalidated, "a call during the capture broke it");
  note("capture-end %zu", launches.size());
  *out = new Graph{std::move(launches)};
  state().graphs.insert(*out);
  return Success;
}

Result instantiate(Api api, const char *call, Graph **out, Graph *graph) {
  if (!out)
    return fail(api, call, InvalidValue, "a null pointer");
  if (!state().graphs.count(graph))
    return fail(api, call, InvalidHandle, "not a live graph");
  *out = new Graph(*graph);
  state().execs.insert(*out);
  return Success;
}

Result launchGraph(Api api, const char *call, Graph *exec, Stream *stream) {
  if (!state().execs.count(exec))
    return fail(api, call, InvalidHandle, "not a live executable graph");
  if (failsLaunches())
    return fail(api, call, LaunchFailed, "R1C_FAKE_GPU_FAIL=launch fails every launch");
  if (Result result = findStream(api, call, stream))
    return result;
  if (stream && stream->capturing)
    return breakCapture(api, call, stream, CaptureUnsupported, "a graph launch while capturing");
  for (const Launch &launch : exec->launches)
    if (!liveFunction(launch.function))
      return fail(api, call, InvalidHandle, "the module of a captured kernel was unloaded");
  note("graph-launch %zu", exec->launches.size());
  for (const Launch &launch : exec->launches)
    run(launch);
  return Success;
}

Result destroyGraph(Api api, const char *call, std::set<Graph *> &live, Graph *graph) {
  if (!live.erase(graph))
    return fail(api, call, InvalidHandle, "not a live graph");
  delete graph;
  return Success;
}

void copyName(char *out, int length, const std::string &name) {
  if (out && length > 0)
    std::snprintf(out, length, "%s", name.c_str());
}

//===----------------------------------------------------------------------===//
// CUDA driver API preconditions
//===----------------------------------------------------------------------===//

Result cudaReady(const char *call) {
  if (!state().initialized)
    return fail(Api::Cuda, call, NotInitialized, "cuInit has not been called");
  return Success;
}

/// Most driver calls act on the calling thread's current context.
Result cudaContext(const char *call) {
  if (Result result = cudaReady(call))
    return result;
  if (!currentContext)
    return fail(Api::Cuda, call, InvalidContext, "no current context on this thread");
  return Success;
}

Result cudaDevice(const char *call, int device) {
  if (Result result = cudaReady(call))
    return result;
  if (device != 0 || !state().device.present(Api::Cuda))
    return fail(Api::Cuda, call, InvalidDevice, "no such device");
  return Success;
}

Result hipDevice(const char *call) {
  if (!state().device.present(Api::Hip))
    return fail(Api::Hip, call, NoDevice, "no HIP device");
  return Success;
}

void *toPointer(unsigned long long address) { return reinterpret_cast<void *>(address); }

void writeCudaName(int result, const char **out, bool text) {
  const ResultName *name = findResult(result);
  *out = name ? (text ? name->text : name->cuda) : nullptr;
}

} // namespace r1c_fake_gpu

using namespace r1c_fake_gpu;

#define R1_EXPORT extern "C" __attribute__((visibility("default")))
#define LOCKED std::lock_guard<std::mutex> lock(state().mutex)

//===----------------------------------------------------------------------===//
// CUDA driver API
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;

R1_EXPORT CUresult cuInit(unsigned flags) {
  LOCKED;
  if (flags != 0)
    return fail(Api::Cuda, "cuInit", InvalidValue, "flags must be 0");
  state().initialized = true;
  return Success;
}

R1_EXPORT CUresult cuDriverGetVersion(int *version) {
  if (!version)
    return InvalidValue;
  *version = 13000;
  return Success;
}

R1_EXPORT CUresult cuDeviceGetCount(int *count) {
  LOCKED;
  if (!count)
    return InvalidValue;
  if (Result result = cudaReady("cuDeviceGetCount"))
    return result;
  *count = state().device.present(Api::Cuda) ? 1 : 0;
  return Success;
}

R1_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  LOCKED;
  if (!device)
    return InvalidValue;
  if (Result result = cudaDevice("cuDeviceGet", ordinal))
    return result;
  *device = ordinal;
  return Success;
}

R1_EXPORT CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
  LOCKED;
  if (Result result = cudaDevice("cuDeviceGetName", device))
    return result;
  copyName(name, length, state().device.name());
  return Success;
}

R1_EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
  LOCKED;
  if (!value)
    return InvalidValue;
  if (Result result = cudaDevice("cuDeviceGetAttribute", device))
    return result;
  // An H100-like device, whatever its compute capability.
  const std::map<int, int> attributes = {
      {1, 1024},                    // MAX_THREADS_PER_BLOCK
      {2, 1024},                    // MAX_BLOCK_DIM_X
      {3, 1024},                    // MAX_BLOCK_DIM_Y
      {4, 64},                      // MAX_BLOCK_DIM_Z
      {5, 0x7fffffff},              // MAX_GRID_DIM_X
      {6, 65535},                   // MAX_GRID_DIM_Y
      {7, 65535},                   // MAX_GRID_DIM_Z
      {8, 48 * 1024},               // MAX_SHARED_MEMORY_PER_BLOCK
      {9, 64 * 1024},               // TOTAL_CONSTANT_MEMORY
      {10, 32},                     // WARP_SIZE
      {12, 65536},                  // MAX_REGISTERS_PER_BLOCK
      {16, 132},                    // MULTIPROCESSOR_COUNT
      {39, 2048},                   // MAX_THREADS_PER_MULTIPROCESSOR
      {75, state().device.sm / 10}, // COMPUTE_CAPABILITY_MAJOR
      {76, state().device.sm % 10}, // COMPUTE_CAPABILITY_MINOR
      {81, 228 * 1024},             // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
      {97, 227 * 1024},             // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
  };
  auto found = attributes.find(attribute);
  if (found == attributes.end())
    return fail(Api::Cuda, "cuDeviceGetAttribute", InvalidValue,
                ("attribute " + std::to_string(attribute) + " is not modelled").c_str());
  *value = found->second;
  return Success;
}

R1_EXPORT CUresult cuDevicePrimaryCtxRetain(Context **context, CUdevice device) {
  LOCKED;
  if (!context)
    return InvalidValue;
  if (Result result = cudaDevice("cuDevicePrimaryCtxRetain", device))
    return result;
  ++state().primary.references;
  *context = &state().primary;
  return Success;
}

R1_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  LOCKED;
  if (Result result = cudaDevice("cuDevicePrimaryCtxRelease_v2", device))
    return result;
  if (state().primary.references == 0)
    return fail(Api::Cuda, "cuDevicePrimaryCtxRelease_v2", InvalidContext,
                "the primary context is not retained");
  --state().primary.references;
  return Success;
}

R1_EXPORT CUresult cuCtxSetCurrent(Context *context) {
  LOCKED;
  if (Result result = cudaReady("cuCtxSetCurrent"))
    return result;
  if (context && (context != &state().primary || state().primary.references == 0))
    return fail(Api::Cuda, "cuCtxSetCurrent", InvalidContext, "not a retained context");
  currentContext = context;
  return Success;
}

R1_EXPORT CUresult cuStreamCreate(Stream **stream, unsigned flags) {
  LOCKED;
  if (Result result = cudaContext("cuStreamCreate"))
    return result;
  return createStream(Api::Cuda, "cuStreamCreate", stream);
}

R1_EXPORT CUresult cuStreamDestroy_v2(Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuStreamDestroy_v2"))
    return result;
  return destroyStream(Api::Cuda, "cuStreamDestroy_v2", stream);
}

R1_EXPORT CUresult cuStreamSynchronize(Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuStreamSynchronize"))
    return result;
  return synchronize(Api::Cuda, "cuStreamSynchronize", stream);
}

R1_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *address, size_t bytes) {
  LOCKED;
  if (Result result = cudaContext("cuMemAlloc_v2"))
    return result;
  void *memory = nullptr;
  Result result = allocate(Api::Cuda, "cuMemAlloc_v2", &memory, bytes);
  if (result == Success)
    *address = reinterpret_cast<uintptr_t>(memory);
  return result;
}

R1_EXPORT CUresult cuMemFree_v2(CUdeviceptr address) {
  LOCKED;
  if (Result result = cudaContext("cuMemFree_v2"))
    return result;
  return release(Api::Cuda, "cuMemFree_v2", toPointer(address));
}

R1_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                                        Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuMemcpyHtoDAsync_v2"))
    return result;
  return copy(Api::Cuda, "cuMemcpyHtoDAsync_v2", Direction::HostToDevice, toPointer(dst), src,
              bytes, stream);
}

R1_EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuMemcpyDtoHAsync_v2"))
    return result;
  return copy(Api::Cuda, "cuMemcpyDtoHAsync_v2", Direction::DeviceToHost, dst, toPointer(src),
              bytes, stream);
}

R1_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                        Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuMemcpyDtoDAsync_v2"))
    return result;
  return copy(Api::Cuda, "cuMemcpyDtoDAsync_v2", Direction::DeviceToDevice, toPointer(dst),
              toPointer(src), bytes, stream);
}

R1_EXPORT CUresult cuModuleLoadData(Module **module, const void *image) {
  LOCKED;
  if (Result result = cudaContext("cuModuleLoadData"))
    return result;
  return loadModule(Api::Cuda, "cuModuleLoadData", module, image);
}

R1_EXPORT CUresult cuModuleUnload(Module *module) {
  LOCKED;
  if (Result result = cudaContext("cuModuleUnload"))
    return result;
  return unloadModule(Api::Cuda, "cuModuleUnload", module);
}

R1_EXPORT CUresult cuModuleGetFunction(Function **function, Module *module, const char *name) {
  LOCKED;
  if (Result result = cudaContext("cuModuleGetFunction"))
    return result;
  return getFunction(Api::Cuda, "cuModuleGetFunction", function, module, name);
}

/// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, up to sm_90's 227 KB;
/// other attributes are not used by the runtime.
R1_EXPORT CUresult cuFuncSetAttribute(Function *function, int attribute, int value) {
  LOCKED;
  if (Result result = cudaContext("cuFuncSetAttribute"))
    return result;
  if (!liveFunction(function))
    return fail(Api::Cuda, "cuFuncSetAttribute", InvalidHandle,
                "not a function of a loaded module");
  constexpr int kMaxDynamicSharedSizeBytes = 8;
  if (attribute != kMaxDynamicSharedSizeBytes || value < 0 || value > 227 * 1024)
    return fail(Api::Cuda, "cuFuncSetAttribute", InvalidValue,
                "only the dynamic shared memory limit, up to 227 KB, is supported here");
  function->sharedLimit = unsigned(value);
  return Success;
}

R1_EXPORT CUresult cuLaunchKernel(Function *function, unsigned gx, unsigned gy, unsigned gz,
                                  unsigned bx, unsigned by, unsigned bz, unsigned sharedBytes,
                                  Stream *stream, void **params, void **extra) {
  LOCKED;
  if (Result result = cudaContext("cuLaunchKernel"))
    return result;
  const unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  return launchKernel(Api::Cuda, "cuLaunchKernel", function, grid, block, sharedBytes, stream,
                      params, extra);
}

R1_EXPORT CUresult cuGetErrorName(CUresult result, const char **name) {
  if (!name)
    return InvalidValue;
  writeCudaName(result, name, false);
  return *name ? Success : InvalidValue;
}

R1_EXPORT CUresult cuGetErrorString(CUresult result, const char **text) {
  if (!text)
    return InvalidValue;
  writeCudaName(result, text, true);
  return *text ? Success : InvalidValue;
}

R1_EXPORT CUresult cuStreamBeginCapture_v2(Stream *stream, int mode) {
  LOCKED;
  if (Result result = cudaContext("cuStreamBeginCapture_v2"))
    return result;
  return beginCapture(Api::Cuda, "cuStreamBeginCapture_v2", stream, mode);
}

R1_EXPORT CUresult cuStreamEndCapture(Stream *stream, Graph **graph) {
  LOCKED;
  if (Result result = cudaContext("cuStreamEndCapture"))
    return result;
  return endCapture(Api::Cuda, "cuStreamEndCapture", stream, graph);
}

R1_EXPORT CUresult cuGraphInstantiateWithFlags(Graph **exec, Graph *graph,
                                               unsigned long long flags) {
  LOCKED;
  if (Result result = cudaContext("cuGraphInstantiateWithFlags"))
    return result;
  return instantiate(Api::Cuda, "cuGraphInstantiateWithFlags", exec, graph);
}

R1_EXPORT CUresult cuGraphLaunch(Graph *exec, Stream *stream) {
  LOCKED;
  if (Result result = cudaContext("cuGraphLaunch"))
    return result;
  return launchGraph(Api::Cuda, "cuGraphLaunch", exec, stream);
}

R1_EXPORT CUresult cuGraphExecDestroy(Graph *exec) {
  LOCKED;
  if (Result result = cudaContext("cuGraphExecDestroy"))
    return result;
  return destroyGraph(Api::Cuda, "cuGraphExecDestroy", state().execs, exec);
}

R1_EXPORT CUresult cuGraphDestroy(Graph *graph) {
  LOCKED;
  if (Result result = cudaContext("cuGraphDestroy"))
    return result;
  return destroyGraph(Api::Cuda, "cuGraphDestroy", state().graphs, graph);
}

//===----------------------------------------------------------------------===//
// HIP runtime
//===----------------------------------------------------------------------===//

using hipError_t = int;
using hipDevice_t = int;

R1_EXPORT hipError_t hipInit(unsigned flags) {
  if (flags != 0)
    return InvalidValue;
  return Success;
}

R1_EXPORT hipError_t hipDriverGetVersion(int *version) {
  if (!version)
    return InvalidValue;
  *version = 60000000; // HIP 6.0, as HIP_VERSION encodes it
  return Success;
}

/// hipGetDeviceCount reports an empty machine as an error, unlike CUDA.
R1_EXPORT hipError_t hipGetDeviceCount(int *count) {
  LOCKED;
  if (!count)
    return InvalidValue;
  *count = state().device.present(Api::Hip) ? 1 : 0;
  return *count ? Success : NoDevice;
}

R1_EXPORT hipError_t hipDeviceGet(hipDevice_t *device, int ordinal) {
  LOCKED;
  if (!device)
    return InvalidValue;
  if (Result result = hipDevice("hipDeviceGet"))
    return result;
  if (ordinal != 0)
    return fail(Api::Hip, "hipDeviceGet", InvalidDevice, "no such device");
  *device = ordinal;
  return Success;
}

R1_EXPORT hipError_t hipDeviceGetName(char *name, int length, hipDevice_t device) {
  LOCKED;
  if (Result result = hipDevice("hipDeviceGetName"))
    return result;
  if (device != 0)
    return fail(Api::Hip, "hipDeviceGetName", InvalidDevice, "no such device");
  copyName(name, length, state().device.name());
  return Success;
}

R1_EXPORT hipError_t hipSetDevice(int device) {
  LOCKED;
  if (Result result = hipDevice("hipSetDevice"))
    return result;
  if (device != 0)
    return fail(Api::Hip, "hipSetDevice", InvalidDevice, "no such device");
  return Success;
}

R1_EXPORT hipError_t hipStreamCreate(Stream **stream) {
  LOCKED;
  if (Result result = hipDevice("hipStreamCreate"))
    return result;
  return createStream(Api::Hip, "hipStreamCreate", stream);
}

R1_EXPORT hipError_t hipStreamDestroy(Stream *stream) {
  LOCKED;
  return destroyStream(Api::Hip, "hipStreamDestroy", stream);
}

R1_EXPORT hipError_t hipStreamSynchronize(Stream *stream) {
  LOCKED;
  if (Result result = hipDevice("hipStreamSynchronize"))
    return result;
  return synchronize(Api::Hip, "hipStreamSynchronize", stream);
}

R1_EXPORT hipError_t hipMalloc(void **memory, size_t bytes) {
  LOCKED;
  if (Result result = hipDevice("hipMalloc"))
    return result;
  return allocate(Api::Hip, "hipMalloc", memory, bytes);
}

R1_EXPORT hipError_t hipFree(void *memory) {
  LOCKED;
  if (Result result = hipDevice("hipFree"))
    return result;
  return release(Api::Hip, "hipFree", memory);
}

R1_EXPORT hipError_t hipMemcpyHtoDAsync(void *dst, void *src, size_t bytes, Stream *stream) {
  LOCKED;
  if (Result result = hipDevice("hipMemcpyHtoDAsync"))
    return result;
  return copy(Api::Hip, "hipMemcpyHtoDAsync", Direction::HostToDevice, dst, src, bytes, stream);
}

R1_EXPORT hipError_t hipMemcpyDtoHAsync(void *dst, void *src, size_t bytes, Stream *stream) {
  LOCKED;
  if (Result result = hipDevice("hipMemcpyDtoHAsync"))
    return result;
  return copy(Api::Hip, "hipMemcpyDtoHAsync", Direction::DeviceToHost, dst, src, bytes, stream);
}

R1_EXPORT hipError_t hipMemcpyDtoDAsync(void *dst, void *src, size_t bytes, Stream *stream) {
  LOCKED;
  if (Result result = hipDevice("hipMemcpyDtoDAsync"))
    return result;
  return copy(Api::Hip, "hipMemcpyDtoDAsync", Direction::DeviceToDevice, dst, src, bytes, stream);
}

R1_EXPORT hipError_t hipModuleLoadData(Module **module, const void *image) {
  LOCKED;
  if (Result result = hipDevice("hipModuleLoadData"))
    return result;
  return loadModule(Api::Hip, "hipModuleLoadData", module, image);
}

R1_EXPORT hipError_t hipModuleUnload(Module *module) {
  LOCKED;
  return unloadModule(Api::Hip, "hipModuleUnload", module);
}

R1_EXPORT hipError_t hipModuleGetFunction(Function **function, Module *module, const char *name) {
  LOCKED;
  return getFunction(Api::Hip, "hipModuleGetFunction", function, module, name);
}

R1_EXPORT hipError_t hipModuleLaunchKernel(Function *function, unsigned gx, unsigned gy,
                                           unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                           unsigned sharedBytes, Stream *stream, void **params,
                                           void **extra) {
  LOCKED;
  const unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  return launchKernel(Api::Hip, "hipModuleLaunchKernel", function, grid, block, sharedBytes, stream,
                      params, extra);
}

R1_EXPORT const char *hipGetErrorName(hipError_t result) {
  const ResultName *name = findResult(result);
  return name ? name->hip : "hipErrorUnknown";
}

R1_EXPORT const char *hipGetErrorString(hipError_t result) {
  const ResultName *name = findResult(result);
  return name ? name->text : "unknown error";
}

R1_EXPORT hipError_t hipStreamBeginCapture(Stream *stream, int mode) {
  LOCKED;
  return beginCapture(Api::Hip, "hipStreamBeginCapture", stream, mode);
}

R1_EXPORT hipError_t hipStreamEndCapture(Stream *stream, Graph **graph) {
  LOCKED;
  return endCapture(Api::Hip, "hipStreamEndCapture", stream, graph);
}

R1_EXPORT hipError_t hipGraphInstantiateWithFlags(Graph **exec, Graph *graph,
                                                  unsigned long long flags) {
  LOCKED;
  return instantiate(Api::Hip, "hipGraphInstantiateWithFlags", exec, graph);
}

R1_EXPORT hipError_t hipGraphLaunch(Graph *exec, Stream *stream) {
  LOCKED;
  return launchGraph(Api::Hip, "hipGraphLaunch", exec, stream);
}

R1_EXPORT hipError_t hipGraphExecDestroy(Graph *exec) {
  LOCKED;
  return destroyGraph(Api::Hip, "hipGraphExecDestroy", state().execs, exec);
}

R1_EXPORT hipError_t hipGraphDestroy(Graph *graph) {
  LOCKED;
  return destroyGraph(Api::Hip, "hipGraphDestroy", state().graphs, graph);
}

/// At unload, device memory still allocated: a leak in a test that frees
/// what it allocates.
__attribute__((destructor)) static void reportUnfreed() {
  if (size_t count = state().allocations.size())
    note("unfreed %zu", count);
}
