//===- GpuTargets.cpp - --target lists and GPU kernel compilation ---------===//
//
// Printing runs first, for every architecture, so a kernel without a
// template is reported before any compiler is loaded. Then the compilers
// the targets need are loaded, every distinct source compiles once on all
// cores, and the first failure is reported at its kernel: the ONNX node,
// the kernel's name and nodes, the architecture and the compiler's log.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/GpuTargets.h"
#include "compiler/driver/DevicePlan.h"
#include "codegen/gpu/HipRetargetCompiler.h"
#include "codegen/gpu/Hiprtc.h"
#include "codegen/gpu/KernelCompiler.h"
#include "codegen/gpu/KernelPrinter.h"
#include "codegen/gpu/Nvrtc.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <thread>

using namespace mlir;
using namespace r1c::gpu;

namespace r1c {
namespace {

/// The log of a failed compile, cut to what one error line can carry.
constexpr size_t kMaxLogInMessage = 4000;

/// The kernels of one architecture.
struct ArchKernels {
  std::unique_ptr<TargetInfo> target;
  const GpuCompiler *compiler = nullptr;
  std::vector<r1k::KernelOp> ops;
  std::vector<PrintedKernel> printed;
  /// Output file names without extension ("k3_matmul", "batch8_k3_matmul").
  std::vector<std::string> stems;
  /// The entry (shape bucket) each kernel belongs to.
  std::vector<size_t> entryOf;
  std::vector<size_t> jobs;
  /// The device plan: distinct kernels, and per entry its launches and the
  /// file stems of their kernels.
  std::vector<DeviceModule> modules;
  std::vector<DeviceEntry> entries;
  std::vector<std::vector<std::string>> entryStems;
};

/// The compilers the architectures need, each loaded the first time one
/// asks for it.
class GpuCompilers {
public:
  /// NVRTC for CUDA. For AMD, hipRTC where it knows the architecture, else
  /// its front end with LLVM's back end (HipRetargetCompiler.h). Null with
  /// `error` saying why none fits.
  const GpuCompiler *choose(const TargetInfo &target, std::string &error) {
    llvm::StringRef arch = target.getArch();
    if (target.getCompilerKind() == GpuCompilerKind::Nvrtc) {
      const GpuCompiler *compiler = load(nvrtc, loadNvrtc, error);
      return compiler && compiler->supports(arch, error) ? compiler : nullptr;
    }
    const GpuCompiler *compiler = load(hiprtc, loadHiprtc, error);
    if (compiler && compiler->supports(arch, error))
      return compiler;
    if (frontEndArchFor(arch).empty())
      return nullptr;
    std::string why;
    compiler = load(hipRetarget, loadHipRetargetCompiler, why);
    if (compiler && compiler->supports(arch, why))
      return compiler;
    error += "; nor can r1c generate the code itself: " + why;
    return nullptr;
  }

private:
  struct Loaded {
    std::unique_ptr<GpuCompiler> compiler;
    std::string error;
    bool tried = false;
  };

  static const GpuCompiler *load(Loaded &loaded,
                                 std::unique_ptr<GpuCompiler> (*loader)(std::string &),
                                 std::string &error) {
    if (!loaded.tried)
      loaded.compiler = loader(loaded.error);
    loaded.tried = true;
    if (!loaded.compiler)
      error = loaded.error;
    return loaded.compiler.get();
  }

  Loaded nvrtc, hiprtc, hipRetarget;
};

bool writeFile(const std::string &path, llvm::StringRef contents) {
  std::error_code error;
  llvm::raw_fd_ostream file(path, error);
  if (!error) {
    file << contents;
    file.close();
    error = file.error();
  }
  if (error) {
    llvm::errs() << "error: cannot write '" << path << "': " << error.message() << "\n";
    return false;
  }
  return true;
}

/// Progress of the compiles on a terminal.
class CompileProgress {
public:
  explicit CompileProgress(bool enabled)
      : enabled(enabled && llvm::sys::Process::StandardErrIsDisplayed()) {}
  void update(size_t done, size_t total) {
    if (enabled)
      llvm::errs() << "\r\033[K[" << done << "/" << total << "] compiling GPU kernels";
  }
  void done() {
    if (enabled)
      llvm::errs() << "\r\033[K";
  }

private:
  bool enabled;
};

/// The CUDA architecture whose section carries PTX: the newest one, so
/// drivers of GPUs newer than every cubin compile it.
std::string newestCudaArch(llvm::ArrayRef<ArchKernels> archs) {
  std::string newest;
  int best = -1;
  for (const ArchKernels &arch : archs) {
    llvm::StringRef name = arch.target->getArch();
    int number = 0;
    if (name.consume_front("sm_") && !name.getAsInteger(10, number) && number > best)
      best = number, newest = arch.target->getArch().str();
  }
  return newest;
}

/// Fills each architecture's modules and device plan entries.
LogicalResult planArchitectures(llvm::MutableArrayRef<ArchKernels> archs,
                                llvm::ArrayRef<GpuEntry> entries, const KernelCompiler &compiler,
                                const WeightLayout &weights) {
  std::string withPtx = newestCudaArch(archs);
  for (ArchKernels &arch : archs) {
    llvm::StringMap<uint32_t> moduleOf;
    std::vector<uint32_t> modules;
    for (size_t i = 0; i < arch.printed.size(); ++i) {
      auto [found, added] = moduleOf.try_emplace(arch.printed[i].symbol, arch.modules.size());
      if (added) {
        const CompiledCode &code = compiler.result(arch.jobs[i]).code;
        arch.modules.push_back({arch.printed[i].symbol, code.binary,
                                arch.target->getArch() == withPtx ? code.assembly : ""});
      }
      modules.push_back(found->second);
    }
    for (auto [index, entry] : llvm::enumerate(entries)) {
      std::vector<PlannedLaunch> launches;
      std::vector<std::string> stems;
      for (size_t i = 0; i < arch.printed.size(); ++i) {
        if (arch.entryOf[i] != index)
          continue;
        const LaunchShape &shape = arch.printed[i].launch;
        launches.push_back(
            {arch.ops[i], modules[i], shape.grid, shape.block, shape.sharedBytes, shape.scratch});
        stems.push_back(arch.stems[i]);
      }
      FailureOr<DeviceEntry> planned =
          planDeviceEntry(entry.function, entry.signature, launches, weights);
      if (failed(planned))
        return failure();
      arch.entries.push_back(std::move(*planned));
      arch.entryStems.push_back(std::move(stems));
    }
  }
  return success();
}

/// --emit=kernels: each kernel's source once per language (per
/// architecture only where it differs), per architecture its binary and,
/// for CUDA, its PTX, and the device weights (weights.bin, what the launch
/// lists' weight:BYTES offsets point into) when there are any.
bool writeKernels(llvm::ArrayRef<ArchKernels> archs, const KernelCompiler &compiler,
                  const CompilerOptions &options, const WeightLayout &weights) {
  const std::string &dir = options.outputPath;
  if (std::error_code error = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "error: cannot create '" << dir << "': " << error.message() << "\n";
    return false;
  }
  std::string header = "// Generated by r1c; do not edit. Regenerate with: r1c " +
                       llvm::sys::path::filename(options.inputPath).str() +
                       " --target=" + options.target + (options.allowTf32 ? " --tf32" : "") +
                       " --emit=kernels -o DIR\n";
  if (weights.dataSize > 0) {
    std::vector<uint8_t> packed = packWeights(weights);
    if (!writeFile(dir + "/weights.bin",
                   llvm::StringRef(reinterpret_cast<const char *>(packed.data()), packed.size())))
      return false;
  }
  // The first architecture of each language writes the plain .cu / .hip.
  llvm::StringMap<const ArchKernels *> firstOfLanguage;
  for (const ArchKernels &arch : archs) {
    const TargetInfo &target = *arch.target;
    const ArchKernels *first =
        firstOfLanguage.try_emplace(target.getLanguageName(), &arch).first->second;
    if (!writeFile(dir + "/launches." + target.getArch().str() + ".txt",
                   printLaunchList(target.getArch(), arch.entries, arch.entryStems, arch.modules)))
      return false;
    for (size_t i = 0; i < arch.printed.size(); ++i) {
      const PrintedKernel &kernel = arch.printed[i];
      std::string base = (llvm::Twine(dir) + "/" + arch.stems[i]).str();
      std::string extension = target.getSourceExtension().str();
      std::string sourcePath;
      if (first == &arch)
        sourcePath = base + extension;
      else if (first->printed[i].source != kernel.source)
        sourcePath = base + "." + target.getArch().str() + extension;
      if (!sourcePath.empty() &&
          !writeFile(sourcePath, header + describeKernel(kernel, target) + kernel.source))
        return false;
      const CompiledCode &code = compiler.result(arch.jobs[i]).code;
      std::string binaryPath =
          base + "." + target.getArch().str() +
          (target.getCompilerKind() == GpuCompilerKind::Nvrtc ? ".cubin" : ".co");
      if (!writeFile(binaryPath, code.binary))
        return false;
      if (!code.assembly.empty() &&
          !writeFile(base + "." + target.getArch().str() + ".ptx", code.assembly))
        return false;
    }
  }
  return true;
}

} // namespace

std::optional<CodegenTargets> parseCodegenTargets(const CompilerOptions &options) {
  CodegenTargets targets;
  if (!options.target.empty()) {
    llvm::SmallVector<llvm::StringRef> entries;
    llvm::StringRef(options.target).split(entries, ',');
    for (llvm::StringRef entry : entries) {
      entry = entry.trim();
      if (entry == "host") {
        targets.host = true;
        continue;
      }
      if (!llvm::is_contained(getSupportedGpuArchs(), entry)) {
        llvm::errs() << "error: --target=" << options.target << ": unknown target '" << entry
                     << "' (supported: host, " << llvm::join(getSupportedGpuArchs(), ", ") << ")\n";
        return std::nullopt;
      }
      if (!llvm::is_contained(targets.gpuArchs, entry))
        targets.gpuArchs.push_back(entry.str());
    }
  }
  bool gpu = !targets.gpuArchs.empty();
  if (options.emit == EmitFormat::Kernels && (!gpu || targets.host)) {
    llvm::errs() << "error: --emit=kernels writes GPU kernels; give --target with GPU "
                    "architectures only (e.g. --target=sm_90)\n";
    return std::nullopt;
  }
  if (options.emit == EmitFormat::Llvm && gpu) {
    llvm::errs() << "error: --emit=llvm writes host code only; give --target=host\n";
    return std::nullopt;
  }
  if (options.emit == EmitFormat::Kernels && options.outputPath == "-") {
    llvm::errs() << "error: --emit=kernels writes files into a directory; give -o DIR\n";
    return std::nullopt;
  }
  return targets;
}

int emitGpuTargets(llvm::ArrayRef<GpuEntry> entries, const CodegenTargets &targets,
                   const CompilerOptions &options, ArtifactWriter *artifact,
                   const WeightLayout *weightLayout) {
  auto start = std::chrono::steady_clock::now();
  // Each architecture prints from the description its variants were
  // chosen by: the module's r1k.targets (every bucket has the same).
  llvm::SmallVector<r1k::TargetAttr> described;
  if (!entries.empty())
    described = r1k::getTargets(entries.front().function->getParentOfType<ModuleOp>());
  std::vector<ArchKernels> archs;
  for (const std::string &arch : targets.gpuArchs) {
    ArchKernels kernels;
    const r1k::TargetAttr *description =
        llvm::find_if(described, [&](r1k::TargetAttr target) { return target.getName() == arch; });
    if (description != described.end())
      kernels.target = createTargetInfo(*description);
    if (!kernels.target) {
      llvm::errs() << "error: --target=" << arch << ": the module has no description of it in "
                   << "r1k.targets\n";
      return 1;
    }
    for (const GpuEntry &entry : entries) {
      func::FuncOp function = entry.function;
      for (r1k::KernelOp kernel : function.getOps<r1k::KernelOp>()) {
        FailureOr<std::vector<PrintedKernel>> launches = printKernel(kernel, *kernels.target);
        if (failed(launches))
          return 1;
        // A kernel of several launches appears once per launch, in order.
        for (PrintedKernel &printed : *launches) {
          kernels.ops.push_back(kernel);
          kernels.entryOf.push_back(&entry - entries.data());
          kernels.stems.push_back((entry.stem.empty() ? "" : entry.stem + "_") +
                                  printed.kernelName);
          kernels.printed.push_back(std::move(printed));
        }
      }
    }
    archs.push_back(std::move(kernels));
  }

  GpuCompilers compilers;
  for (ArchKernels &arch : archs) {
    std::string error;
    arch.compiler = compilers.choose(*arch.target, error);
    if (!arch.compiler) {
      llvm::errs() << "error: --target=" << arch.target->getArch() << ": " << error << "\n";
      return 1;
    }
  }

  KernelCompiler compiler;
  for (ArchKernels &arch : archs)
    for (size_t i = 0; i < arch.printed.size(); ++i)
      arch.jobs.push_back(compiler.add(*arch.compiler, arch.target->getArch(),
                                       arch.printed[i].source,
                                       arch.stems[i] + arch.target->getSourceExtension().str()));
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  CompileProgress progress(options.progress);
  compiler.run(threads, [&](size_t done, size_t total) { progress.update(done, total); });
  progress.done();

  for (ArchKernels &arch : archs) {
    for (size_t i = 0; i < arch.printed.size(); ++i) {
      const KernelCompiler::Result &result = compiler.result(arch.jobs[i]);
      if (result.ok)
        continue;
      std::string log = result.log.substr(0, kMaxLogInMessage);
      arch.ops[i].emitError("kernel '")
          << arch.printed[i].kernelName << "' (ONNX nodes " << joinNodes(arch.printed[i].nodes)
          << ") does not compile for " << arch.target->getArch() << " with "
          << arch.compiler->describe() << ": " << llvm::StringRef(log).trim();
      return 1;
    }
  }

  // No layout: the model has no weights.
  WeightLayout noWeights;
  const WeightLayout &weights = weightLayout ? *weightLayout : noWeights;
  if (failed(planArchitectures(archs, entries, compiler, weights)))
    return 1;
  if (options.emit == EmitFormat::Kernels && !writeKernels(archs, compiler, options, weights))
    return 1;
  if (artifact) {
    for (const ArchKernels &arch : archs)
      artifact->addSection(arch.target->getCompilerKind() == GpuCompilerKind::Nvrtc
                               ? R1RT_SECTION_CUDA_CODE
                               : R1RT_SECTION_HIP_CODE,
                           arch.target->getArch().str(),
                           artifact::encodeDeviceCode(arch.modules, arch.entries));
  }

  if (options.stats) {
    for (const ArchKernels &arch : archs) {
      llvm::DenseSet<size_t> distinct(arch.jobs.begin(), arch.jobs.end());
      llvm::errs() << "gpu: " << arch.printed.size() << " kernels compiled for "
                   << arch.target->getArch() << " (" << distinct.size() << " distinct)\n";
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "gpu: " << compiler.size() << " compiles in " << llvm::format("%.1f", seconds)
                 << " s on " << threads << " threads";
    llvm::SmallPtrSet<const GpuCompiler *, 4> used;
    for (const ArchKernels &arch : archs)
      if (used.insert(arch.compiler).second)
        llvm::errs() << "; " << arch.compiler->describe();
    llvm::errs() << "\n";
  }
  return 0;
}

} // namespace r1c
