//===- Comgr.cpp - HIP C++ to LLVM bitcode with AMD's comgr ---------------===//
//
// The comgr entry points r1c calls, bound by name. comgr's handles are
// structs of one uint64_t passed by value, and its enums are int-sized;
// the constants below are comgr's stable API values (amd_comgr.h, which is
// not needed to build r1c).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/Comgr.h"
#include "codegen/gpu/DynamicLibrary.h"

#include <cstdint>

namespace r1c::gpu {

std::mutex &amdCompilerMutex() {
  static std::mutex mutex;
  return mutex;
}

namespace {

struct Handle {
  uint64_t handle = 0;
};

enum DataKind : int { kSource = 0x1, kInclude = 0x2, kLog = 0x5, kBitcode = 0x6 };
enum ActionKind : int {
  kCompileSourceToBitcode = 0x2,
  kAddDeviceLibraries = 0x3,
  kLinkBitcodeToBitcode = 0x4,
};
constexpr int kLanguageHip = 0x4;

constexpr const char *kRuntimeHeaderName = "hiprtc_runtime.h";

} // namespace

/// comgr's functions, as r1c calls them (0 is success).
struct ComgrSymbols {
  int (*statusString)(int, const char **) = nullptr;
  void (*getVersion)(size_t *, size_t *) = nullptr;
  int (*createData)(int, Handle *) = nullptr;
  int (*releaseData)(Handle) = nullptr;
  int (*setData)(Handle, size_t, const char *) = nullptr;
  int (*setDataName)(Handle, const char *) = nullptr;
  int (*getData)(Handle, size_t *, char *) = nullptr;
  int (*createDataSet)(Handle *) = nullptr;
  int (*destroyDataSet)(Handle) = nullptr;
  int (*dataSetAdd)(Handle, Handle) = nullptr;
  int (*actionDataCount)(Handle, int, size_t *) = nullptr;
  int (*actionDataGetData)(Handle, int, size_t, Handle *) = nullptr;
  int (*createActionInfo)(Handle *) = nullptr;
  int (*destroyActionInfo)(Handle) = nullptr;
  int (*setIsaName)(Handle, const char *) = nullptr;
  int (*setLanguage)(Handle, int) = nullptr;
  int (*setOptionList)(Handle, const char **, size_t) = nullptr;
  int (*setLogging)(Handle, bool) = nullptr;
  int (*doAction)(int, Handle, Handle, Handle) = nullptr;
};

namespace {

/// A comgr object, destroyed with its owner.
class Owned {
public:
  Owned(int (*create)(Handle *), int (*destroy)(Handle)) : destroy(destroy) {
    ok = create(&handle) == 0;
  }
  ~Owned() {
    if (ok)
      destroy(handle);
  }
  Owned(const Owned &) = delete;
  Owned &operator=(const Owned &) = delete;

  bool valid() const { return ok; }
  Handle get() const { return handle; }

private:
  int (*destroy)(Handle);
  Handle handle;
  bool ok = false;
};

/// A comgr data set: an action's input or result.
class DataSet : public Owned {
public:
  explicit DataSet(const ComgrSymbols &api)
      : Owned(api.createDataSet, api.destroyDataSet), api(api) {}

  /// Adds named bytes of `kind`; the set keeps its own reference.
  bool add(int kind, const char *name, llvm::StringRef bytes) {
    Handle data;
    if (api.createData(kind, &data) != 0)
      return false;
    bool added = api.setData(data, bytes.size(), bytes.data()) == 0 &&
                 api.setDataName(data, name) == 0 && api.dataSetAdd(get(), data) == 0;
    api.releaseData(data);
    return added;
  }

  /// The bytes of the first data object of `kind`; false when there is none.
  bool read(int kind, std::string &bytes) const {
    size_t count = 0;
    Handle data;
    if (api.actionDataCount(get(), kind, &count) != 0 || count == 0 ||
        api.actionDataGetData(get(), kind, 0, &data) != 0)
      return false;
    size_t size = 0;
    bool read = api.getData(data, &size, nullptr) == 0;
    if (read) {
      bytes.resize(size);
      read = api.getData(data, &size, bytes.data()) == 0;
    }
    api.releaseData(data);
    return read;
  }

private:
  const ComgrSymbols &api;
};

} // namespace

ComgrFrontEnd::ComgrFrontEnd(std::unique_ptr<DynamicLibrary> comgr,
                             std::unique_ptr<DynamicLibrary> builtins,
                             std::unique_ptr<ComgrSymbols> symbols, llvm::StringRef runtimeHeader)
    : comgr(std::move(comgr)), builtins(std::move(builtins)), api(std::move(symbols)),
      runtimeHeader(runtimeHeader) {}

ComgrFrontEnd::~ComgrFrontEnd() = default;

std::string ComgrFrontEnd::describe() const {
  size_t major = 0, minor = 0;
  api->getVersion(&major, &minor);
  return "comgr " + std::to_string(major) + "." + std::to_string(minor) + " (" +
         comgr->getName() + ")";
}

bool ComgrFrontEnd::compileToBitcode(const std::string &source, const std::string &fileName,
                                     llvm::StringRef arch, std::string &bitcode,
                                     std::string &log) const {
  std::lock_guard<std::mutex> lock(amdCompilerMutex());
  const ComgrSymbols &c = *api;
  auto fail = [&](const char *step, int status) {
    const char *text = nullptr;
    if (c.statusString(status, &text) != 0 || !text)
      text = "unknown status";
    log += std::string(log.empty() ? "" : "\n") + "comgr " + step + " failed: " + text;
    return false;
  };
  auto appendLog = [&](const DataSet &result) {
    std::string text;
    if (result.read(kLog, text))
      log += llvm::StringRef(text.c_str()).trim().str();
  };

  DataSet inputs(c);
  Owned info(c.createActionInfo, c.destroyActionInfo);
  if (!inputs.valid() || !info.valid())
    return fail("setup", 1);
  if (!inputs.add(kSource, fileName.c_str(), source) ||
      !inputs.add(kInclude, kRuntimeHeaderName, runtimeHeader))
    return fail("adding the source", 1);
  std::string isa = "amdgcn-amd-amdhsa--" + arch.str();
  std::string archOption = "--offload-arch=" + arch.str();
  // What hipRTC passes: the runtime header stands in for HIP's headers, and
  // "prelink" defers library-dependent optimizations to after the link.
  const char *compileOptions[] = {"-O3",         "-mllvm",          "-amdgpu-prelink",
                                  "-D__HIPCC_RTC__", "-include",    kRuntimeHeaderName,
                                  "-std=c++17",  "-nogpuinc",       archOption.c_str()};
  if (c.setIsaName(info.get(), isa.c_str()) != 0 || c.setLanguage(info.get(), kLanguageHip) != 0 ||
      c.setLogging(info.get(), true) != 0 ||
      c.setOptionList(info.get(), compileOptions, std::size(compileOptions)) != 0)
    return fail("setup", 1);

  DataSet compiled(c);
  int status = c.doAction(kCompileSourceToBitcode, info.get(), inputs.get(), compiled.get());
  appendLog(compiled);
  if (status != 0)
    return fail("compiling the source", status);

  // r1c's AMD targets all run wavefronts of 64; the device libraries are
  // told so (their default is 32).
  const char *libraryOptions[] = {"wavefrontsize64"};
  DataSet withLibraries(c);
  if (c.setOptionList(info.get(), libraryOptions, std::size(libraryOptions)) != 0)
    return fail("setup", 1);
  status = c.doAction(kAddDeviceLibraries, info.get(), compiled.get(), withLibraries.get());
  if (status != 0)
    return fail("adding the device libraries", status);

  DataSet linked(c);
  if (c.setOptionList(info.get(), nullptr, 0) != 0)
    return fail("setup", 1);
  status = c.doAction(kLinkBitcodeToBitcode, info.get(), withLibraries.get(), linked.get());
  appendLog(linked);
  if (status != 0)
    return fail("linking the device libraries", status);
  if (!linked.read(kBitcode, bitcode) || bitcode.empty()) {
    log += "comgr produced no bitcode";
    return false;
  }
  return true;
}

std::unique_ptr<ComgrFrontEnd> ComgrFrontEnd::load(std::string &error) {
  static const llvm::StringRef comgrNames[] = {"libamd_comgr.so", "libamd_comgr.so.3",
                                               "libamd_comgr.so.2",
                                               "/opt/rocm/lib/libamd_comgr.so"};
  static const llvm::StringRef builtinsNames[] = {
      "libhiprtc-builtins.so", "libhiprtc-builtins.so.6", "libhiprtc-builtins.so.5",
      "/opt/rocm/lib/libhiprtc-builtins.so"};
  std::unique_ptr<DynamicLibrary> comgr = DynamicLibrary::open(comgrNames, nullptr, error);
  if (!comgr)
    return nullptr;
  std::unique_ptr<DynamicLibrary> builtins = DynamicLibrary::open(builtinsNames, nullptr, error);
  if (!builtins)
    return nullptr;

  auto s = std::make_unique<ComgrSymbols>();
  std::string missing;
  comgr->bind(s->statusString, "amd_comgr_status_string", missing);
  comgr->bind(s->getVersion, "amd_comgr_get_version", missing);
  comgr->bind(s->createData, "amd_comgr_create_data", missing);
  comgr->bind(s->releaseData, "amd_comgr_release_data", missing);
  comgr->bind(s->setData, "amd_comgr_set_data", missing);
  comgr->bind(s->setDataName, "amd_comgr_set_data_name", missing);
  comgr->bind(s->getData, "amd_comgr_get_data", missing);
  comgr->bind(s->createDataSet, "amd_comgr_create_data_set", missing);
  comgr->bind(s->destroyDataSet, "amd_comgr_destroy_data_set", missing);
  comgr->bind(s->dataSetAdd, "amd_comgr_data_set_add", missing);
  comgr->bind(s->actionDataCount, "amd_comgr_action_data_count", missing);
  comgr->bind(s->actionDataGetData, "amd_comgr_action_data_get_data", missing);
  comgr->bind(s->createActionInfo, "amd_comgr_create_action_info", missing);
  comgr->bind(s->destroyActionInfo, "amd_comgr_destroy_action_info", missing);
  comgr->bind(s->setIsaName, "amd_comgr_action_info_set_isa_name", missing);
  comgr->bind(s->setLanguage, "amd_comgr_action_info_set_language", missing);
  comgr->bind(s->setOptionList, "amd_comgr_action_info_set_option_list", missing);
  comgr->bind(s->setLogging, "amd_comgr_action_info_set_logging", missing);
  comgr->bind(s->doAction, "amd_comgr_do_action", missing);
  if (!missing.empty()) {
    error = comgr->getName() + " has no " + missing + "; it is not comgr";
    return nullptr;
  }

  // The header's bytes, and in a second symbol their count (32 bits).
  const char *header = static_cast<const char *>(builtins->lookup("__hipRTC_header"));
  const auto *headerSize = static_cast<const uint32_t *>(builtins->lookup("__hipRTC_header_size"));
  if (!header || !headerSize || *headerSize == 0) {
    error = builtins->getName() + " has no __hipRTC_header; it is not hipRTC's builtins library";
    return nullptr;
  }
  llvm::StringRef runtimeHeader(header, *headerSize);
  return std::unique_ptr<ComgrFrontEnd>(
      new ComgrFrontEnd(std::move(comgr), std::move(builtins), std::move(s), runtimeHeader));
}

} // namespace r1c::gpu
