//===- CompilerDriver.cpp - What `r1c` does, as a library -----------------===//
#include "compiler/driver/CompilerDriver.h"
#include "codegen/gpu/TargetInfo.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/HostTarget.h"
#include "codegen/llvm/SharedObjectLinker.h"
#include "compiler/calibration/Calibration.h"
#include "compiler/driver/GpuTargets.h"
#include "compiler/driver/ShapeBuckets.h"
#include "compiler/driver/Tuning.h"
#include "compiler/driver/WeightPlacement.h"
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/precision/AutoPrecision.h"
#include "dialects/R1/IR/R1Dialect.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "passes/Passes.h"
#include "r1c/artifact_writer.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

using namespace mlir;
using r1c::ArtifactMetadata;
using r1c::ArtifactTensor;
using r1c::ArtifactWriter;
using r1c::HostPlanEntry;

namespace r1c {
namespace {

/// One shape bucket compiled to the requested phase.
struct CompiledBucket {
  ShapeBucket bucket;
  OwningOpRef<ModuleOp> module;
};

/// Describes where a diagnostic points: the model file and, for errors on a
/// node, the node's name.
std::string describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string prefix = describeLocation(name.getChildLoc());
    return prefix + "node '" + name.getName().str() + "': ";
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    if (file.getLine() == 0)
      return file.getFilename().str() + ": ";
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()) + ": ")
        .str();
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describeLocation(fused.getLocations().front());
  return "";
}

/// Shows the first error as one line; later ones are usually its fallout.
class OneLineDiagnostics {
public:
  explicit OneLineDiagnostics(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) { return report(diag); }) {}
  bool sawError() const { return errors > 0; }

private:
  LogicalResult report(Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    if (errors++ == 0) {
      std::string message = diag.str();
      for (char &c : message)
        if (c == '\n' || c == '\r')
          c = ' ';
      llvm::errs() << "error: " << describeLocation(diag.getLocation()) << message << "\n";
      llvm::errs().flush();
    }
    return success();
  }

  ScopedDiagnosticHandler handler;
  int errors = 0;
};

/// Progress lines for long compiles, only on a terminal.
class Progress {
public:
  explicit Progress(bool enabled)
      : enabled(enabled && llvm::sys::Process::StandardErrIsDisplayed()),
        start(std::chrono::steady_clock::now()) {}
  void step(const Twine &what) {
    if (!enabled)
      return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::format("\r\033[K[%6.2fs] ", seconds) << what;
    llvm::errs().flush();
  }
  void done() {
    if (enabled)
      llvm::errs() << "\r\033[K";
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point start;
};

/// One line per attention kernel: its sizes, and dense or the key blocks
/// the gate keeps.
void printAttentionStats(ModuleOp module) {
  module.walk([&](r1k::KernelOp kernel) {
    kernel.getBody().walk([&](r1::AttentionOp op) {
      r1::AttentionOp::Dims dims = op.getDims();
      llvm::errs() << "attention " << kernel.getName() << ": " << dims.batch << " x " << dims.heads
                   << " heads, " << dims.queries << " queries x " << dims.keys << " keys, head dim "
                   << dims.headDim << (op.getCausal() ? ", causal" : "");
      if (!op.getGateAttr()) {
        llvm::errs() << ", dense\n";
        return;
      }
      auto [kept, visible] = op.getGateAttr().countBlocks(dims.queries, dims.keys, op.getCausal());
      bool threshold = op.getGateAttr().getThresholdShare() > 0;
      llvm::errs() << llvm::format(", gated: %s%lld of %lld key blocks of %lld (%.1f%%)",
                                   threshold ? "at least " : "", (long long)kept,
                                   (long long)visible, (long long)op.getGateAttr().getBlock(),
                                   100.0 * double(kept) / double(std::max<int64_t>(visible, 1)));
      if (threshold)
        llvm::errs() << llvm::format(", and any whose estimated share of a query's weight "
                                     "reaches %g",
                                     op.getGateAttr().getThresholdShare());
      llvm::errs() << "\n";
    });
  });
}

/// `--stats`: what the compiled model holds, on stderr.
void printStats(ModuleOp module, CompilePhase phase) {
  int64_t weightBytes = 0, weightCount = 0, ops = 0;
  llvm::MapVector<StringRef, int64_t> kernelsByAnchor;
  int64_t kernels = 0;
  module.walk([&](Operation *op) {
    if (auto constant = dyn_cast<r1::ConstantOp>(op)) {
      if (op->getParentOfType<r1k::KernelOp>())
        return;
      auto type = cast<ShapedType>(constant.getType());
      weightBytes += type.getNumElements() *
                     std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
      ++weightCount;
    } else if (auto kernel = dyn_cast<r1k::KernelOp>(op)) {
      ++kernelsByAnchor[kernel.getAnchor()];
      ++kernels;
    } else if (isa<r1::R1Dialect>(op->getDialect()) && !op->getParentOfType<r1k::KernelOp>()) {
      ++ops;
    }
  });
  llvm::errs() << "phase: " << getCompilePhaseName(phase) << "\n";
  llvm::errs() << "weights: " << weightCount << " tensors, " << weightBytes << " bytes\n";
  if (phase < CompilePhase::Kernel) {
    llvm::errs() << "ops: " << ops << "\n";
    return;
  }
  llvm::errs() << "kernels: " << kernels;
  StringRef separator = " (";
  for (auto [anchor, count] : kernelsByAnchor) {
    llvm::errs() << separator << anchor << " " << count;
    separator = ", ";
  }
  llvm::errs() << (kernels ? ")" : "") << "\n";
  llvm::errs() << "ops between kernels (views): " << ops << "\n";
  printAttentionStats(module);
  if (phase < CompilePhase::Plan)
    return;
  module.walk([&](func::FuncOp func) {
    if (auto arena = r1k::getArenaSize(func))
      llvm::errs() << "arena: " << arena.getInt() << " bytes\n";
    int64_t runtimePlaced = 0;
    func.walk([&](r1k::KernelOp kernel) {
      if (auto offsets = kernel.getResultOffsetsAttr())
        runtimePlaced += llvm::count(offsets.asArrayRef(), -1);
    });
    if (runtimePlaced)
      llvm::errs() << "results placed at run time (dynamic dims): " << runtimePlaced << "\n";
  });
}

/// The model's C symbol prefix: the output file's stem as an identifier.
std::string symbolPrefixFor(const std::string &outputPath) {
  std::string stem = llvm::sys::path::stem(outputPath).str();
  std::string prefix;
  for (char c : stem)
    prefix.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (prefix.empty() || std::isdigit(static_cast<unsigned char>(prefix.front())))
    prefix.insert(0, "model_");
  return prefix;
}

/// The ONNX element type code of an MLIR element type; 0 if none.
uint32_t onnxDtypeOf(Type type) {
  if (type.isF32()) return R1RT_DTYPE_FLOAT;
  if (type.isF64()) return R1RT_DTYPE_DOUBLE;
  if (type.isF16()) return R1RT_DTYPE_FLOAT16;
  if (type.isBF16()) return R1RT_DTYPE_BFLOAT16;
  if (type.isInteger(1)) return R1RT_DTYPE_BOOL;
  if (auto integer = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = integer.isUnsigned();
    switch (integer.getWidth()) {
    case 8: return isUnsigned ? R1RT_DTYPE_UINT8 : R1RT_DTYPE_INT8;
    case 16: return isUnsigned ? R1RT_DTYPE_UINT16 : R1RT_DTYPE_INT16;
    case 32: return isUnsigned ? R1RT_DTYPE_UINT32 : R1RT_DTYPE_INT32;
    case 64: return isUnsigned ? R1RT_DTYPE_UINT64 : R1RT_DTYPE_INT64;
    }
  }
  return 0;
}

/// The plan-phase @main of a compiled module.
func::FuncOp mainFunction(ModuleOp module) { return *module.getOps<func::FuncOp>().begin(); }

/// Inputs and outputs of @main as the artifact describes them, from every
/// bucket's specialization: a dim whose size differs between buckets is
/// symbolic. Inputs name it from the model; an output dim is named after
/// the symbolic dim whose sizes it has in every bucket, if just one does.
ArtifactMetadata artifactMetadata(ArrayRef<CompiledBucket> compiled,
                                  const std::string &modelName) {
  ArtifactMetadata metadata;
  metadata.producer = getVersionString();
  metadata.modelName = modelName;
  func::FuncOp first = mainFunction(*compiled.front().module);
  auto describe = [&](bool isInput, unsigned index) {
    DictionaryAttr attrs = isInput ? first.getArgAttrDict(index) : first.getResultAttrDict(index);
    auto typeIn = [&](const CompiledBucket &bucket) {
      func::FuncOp func = mainFunction(*bucket.module);
      return cast<RankedTensorType>(isInput ? func.getArgumentTypes()[index]
                                            : func.getResultTypes()[index]);
    };
    ArtifactTensor tensor;
    auto name = attrs ? attrs.getAs<StringAttr>("r1.name") : StringAttr();
    tensor.name = name ? name.str() : "value" + std::to_string(index);
    RankedTensorType type = typeIn(compiled.front());
    tensor.dtype = onnxDtypeOf(type.getElementType());
    auto dimNames = attrs ? attrs.getAs<ArrayAttr>("r1.dim_names") : ArrayAttr();
    for (auto [axis, dim] : llvm::enumerate(type.getShape())) {
      bool varies = llvm::any_of(compiled, [&](const CompiledBucket &bucket) {
        return typeIn(bucket).getDimSize(axis) != dim;
      });
      std::string dimName;
      if (varies && dimNames && axis < dimNames.size()) {
        dimName = cast<StringAttr>(dimNames[axis]).str();
      } else if (varies) {
        for (auto [symbol, size] : compiled.front().bucket) {
          bool matches = llvm::all_of(compiled, [&](const CompiledBucket &bucket) {
            return llvm::is_contained(bucket.bucket,
                                      std::make_pair(symbol, typeIn(bucket).getDimSize(axis)));
          });
          if (matches)
            dimName = dimName.empty() ? symbol : "";
        }
      }
      // Dims computed from data at run time are symbolic too, without a name.
      tensor.dims.push_back(varies || ShapedType::isDynamic(dim) ? R1RT_ARTIFACT_SYMBOLIC_DIM
                                                                 : dim);
      tensor.dimNames.push_back(dimName);
    }
    return tensor;
  };
  for (unsigned i = 0; i < first.getNumArguments(); ++i)
    metadata.inputs.push_back(describe(/*isInput=*/true, i));
  for (unsigned i = 0; i < first.getNumResults(); ++i)
    metadata.outputs.push_back(describe(/*isInput=*/false, i));
  return metadata;
}

/// The host plan entry of one compiled bucket.
HostPlanEntry hostPlanEntry(func::FuncOp func, const std::string &symbol) {
  HostPlanEntry entry;
  entry.symbol = symbol;
  entry.arenaSize = r1k::getArenaSize(func).getInt();
  // Set by markPadAxes; none means a request must fit the bucket exactly.
  auto padAxis = [](DictionaryAttr attrs) -> int32_t {
    auto axis = attrs ? attrs.getAs<IntegerAttr>("r1.pad_axis") : IntegerAttr();
    return axis ? int32_t(axis.getInt()) : -1;
  };
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes())) {
    entry.inputDims.emplace_back(cast<RankedTensorType>(type).getShape());
    entry.inputPadAxes.push_back(padAxis(func.getArgAttrDict(index)));
  }
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [index, value] : llvm::enumerate(ret->getOperands())) {
    auto type = cast<RankedTensorType>(value.getType());
    std::vector<int64_t> dims;
    for (int64_t dim : type.getShape())
      dims.push_back(ShapedType::isDynamic(dim) ? -1 : dim);
    entry.outputDims.push_back(dims);
    entry.outputPadAxes.push_back(padAxis(func.getResultAttrDict(index)));
    entry.outputMaxElements.push_back(type.hasStaticShape()
                                          ? type.getNumElements()
                                          : r1k::getDataDependentShapeBound(value).value_or(0));
  }
  return entry;
}

/// The x86-64 levels host code may be built for, lowest first. --cpu=auto
/// offers x86-64-v3 (AVX2), x86-64-v4 (AVX-512) and x86-64-v4-dl (its
/// dot products) for one artifact whose code picks by the CPU it runs on,
/// so the default artifact runs fast on every kind of CPU and runs at all
/// on each; r1c-select-variants keeps x86-64-v4-dl only where a kernel
/// uses it. Any other --cpu builds that one level.
std::vector<std::string> hostCpuLevels(const std::string &cpu) {
  if (cpu == "auto")
    return {"x86-64-v3", "x86-64-v4", kX86DlLevel};
  return {cpu};
}

/// The levels host code is built for: those of the compiled modules' host
/// targets (the select pass drops the levels no kernel needs), in their
/// order, or --cpu=native itself.
std::vector<std::string> builtHostLevels(ArrayRef<CompiledBucket> compiled,
                                         const std::string &cpu) {
  if (cpu == "native")
    return {cpu};
  std::vector<std::string> levels;
  for (const std::string &level : hostCpuLevels(cpu))
    for (const CompiledBucket &bucket : compiled)
      if (llvm::any_of(r1k::getTargets(*bucket.module), [&](r1k::TargetAttr target) {
            return target.isHost() && target.getCpu() == level;
          })) {
        levels.push_back(level);
        break;
      }
  return levels;
}

/// Whether the compiling CPU runs code built for `cpu`, so that --tune can
/// time it.
bool compilingCpuRuns(const std::string &cpu) {
  if (cpu != "x86-64-v4" && cpu != kX86DlLevel)
    return true;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  bool avx512 = features.lookup("avx512f") && features.lookup("avx512bw") &&
                features.lookup("avx512dq") && features.lookup("avx512vl") &&
                features.lookup("avx512cd");
  return avx512 &&
         (cpu != kX86DlLevel || (features.lookup("avx512bf16") && features.lookup("avx512vnni")));
}

/// The artifact section name of host code built for `cpus`, which the
/// runtime matches against the CPU it runs on.
std::string hostSectionName(ArrayRef<std::string> cpus) {
  if (cpus.size() > 1) {
    // "host-x86-64-v3+v4", "host-x86-64-v3+v4+v4-dl".
    std::string name = "host-" + cpus.front();
    for (const std::string &cpu : cpus.drop_front())
      name += "+" + llvm::StringRef(cpu).drop_front(strlen("x86-64-")).str();
    return name;
  }
  if (cpus.front() == "native")
    return llvm::sys::getHostCPUFeatures().lookup("avx512f") ? "host-x86-64-v4"
                                                              : "host-x86-64-v3";
  return "host-" + cpus.front();
}

/// OUT for -o OUT, OUT.o or OUT.r1.
std::string outputBase(const std::string &path) {
  llvm::StringRef extension = llvm::sys::path::extension(path);
  if (extension == ".o" || extension == ".r1")
    return path.substr(0, path.size() - extension.size());
  return path;
}

/// Host code compiled and linked: `objectBytes` gets the relocatable object
/// (OUT.o), `sharedObject` the shared object the runtime loads, and
/// `artifact` the plan (an entry point per bucket) and a view of the shared
/// object, which must outlive it.
bool linkHostCode(llvm::Module &llvmModule, ArrayRef<HostEntryPoint> entries,
                  ArrayRef<std::string> cpus, ArtifactWriter &artifact,
                  std::vector<char> &sharedObject, llvm::SmallVectorImpl<char> &objectBytes) {
  // A fat module is compiled for its lowest level; its functions of higher
  // levels say so themselves.
  std::string error;
  llvm::raw_svector_ostream objectStream(objectBytes);
  if (!emitHostObject(llvmModule, cpus.front(), objectStream, error) ||
      !linkSharedObject(llvm::StringRef(objectBytes.data(), objectBytes.size()),
                        {"--hash-style=gnu", "-z", "noexecstack"}, "the host code", sharedObject,
                        error)) {
    llvm::errs() << "error: " << error << "\n";
    return false;
  }
  std::vector<HostPlanEntry> plan;
  for (const HostEntryPoint &entry : entries)
    plan.push_back(hostPlanEntry(entry.function, entry.stem + "_run"));
  artifact.addSection(R1RT_SECTION_PLAN, "plan", artifact::encodeHostPlan(plan));
  artifact.addSectionView(R1RT_SECTION_HOST_CODE, hostSectionName(cpus), sharedObject.data(),
                          sharedObject.size());
  return true;
}

/// --target=host: LLVM IR, or OUT.o and OUT.h, and the host sections of
/// `artifact` (the plan, the shared object), from the plan phase of every
/// bucket. Host code reads the weights where `placement` put them.
int emitHost(ArrayRef<CompiledBucket> compiled, const CompilerOptions &options,
             ArtifactWriter &artifact, std::vector<char> &sharedObject,
             const WeightPlacement &placement) {
  HostModuleInfo info;
  info.symbolPrefix = symbolPrefixFor(options.outputPath == "-" ? "model" : options.outputPath);
  std::vector<HostEntryPoint> entries;
  for (const CompiledBucket &bucket : compiled) {
    std::string stem = info.symbolPrefix;
    if (!bucket.bucket.empty())
      stem += "_" + bucketSymbolSuffix(bucket.bucket);
    entries.push_back({mainFunction(*bucket.module), stem, describeBucket(bucket.bucket)});
  }
  // The variants each level reads: those chosen for its CPU.
  std::vector<std::string> cpus = builtHostLevels(compiled, options.cpu);
  for (const std::string &cpu : cpus)
    info.isas.push_back(
        {cpu, describeHostTarget(mainFunction(*compiled.front().module).getContext(), cpu)
                  .getVariantKey()});
  info.externalWeights = placement.getLayout();
  info.weightsInArtifact =
      placement.home == WeightHome::ArtifactSection || placement.home == WeightHome::SharedSection;
  info.weightsFile = placement.sideFileName;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = emitHostModule(entries, llvmContext, info);
  if (!llvmModule)
    return 1;
  std::string error;
  if (options.emit == EmitFormat::Llvm) {
    if (!optimizeHostModule(*llvmModule, cpus.front(), error)) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(options.outputPath, &error);
    if (!output) {
      llvm::errs() << "error: cannot write '" << options.outputPath << "': " << error << "\n";
      return 1;
    }
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  std::string base = outputBase(options.outputPath);
  llvm::SmallVector<char, 0> objectBytes;
  if (!linkHostCode(*llvmModule, entries, cpus, artifact, sharedObject, objectBytes))
    return 1;
  std::unique_ptr<llvm::ToolOutputFile> object = openOutputFile(base + ".o", &error);
  std::unique_ptr<llvm::ToolOutputFile> header =
      object ? openOutputFile(base + ".h", &error) : nullptr;
  if (!object || !header) {
    llvm::errs() << "error: cannot write '" << base << ".o/.h': " << error << "\n";
    return 1;
  }
  object->os() << llvm::StringRef(objectBytes.data(), objectBytes.size());
  header->os() << emitHostHeader(entries, info);
  object->keep();
  header->keep();
  return 0;
}

/// The shape buckets to compile: one empty bucket unless the model has
/// symbolic dims and code is generated, or --dim sizes them.
FailureOr<std::vector<ShapeBucket>> bucketsToCompile(ModuleOp module,
                                                     const CompilerOptions &options, bool host) {
  if (!host && options.dimSizes.empty())
    return std::vector<ShapeBucket>{ShapeBucket{}};
  FailureOr<std::vector<std::string>> names = symbolicDimNames(mainFunction(module));
  if (failed(names))
    return failure();
  FailureOr<std::vector<ShapeBucket>> buckets =
      enumerateShapeBuckets(*names, options.dimSizes, kDefaultBucketSizes);
  if (failed(buckets))
    return failure();
  if (!host && buckets->size() > 1) {
    llvm::errs() << "error: --compile-to prints one specialization; give one size per --dim "
                    "(shape buckets are for --target)\n";
    return failure();
  }
  constexpr size_t kMaxBuckets = 64;
  if (buckets->size() > kMaxBuckets) {
    llvm::errs() << "error: " << buckets->size() << " shape buckets (every combination of the "
                 << "--dim sizes) is more than " << kMaxBuckets
                 << "; give fewer sizes with --dim NAME=SIZE,...\n";
    return failure();
  }
  return buckets;
}

/// The symbolic dim a smaller request may be padded along, and the axis of
/// each input and output that carries it (-1: none).
struct PadAxes {
  std::string dim;
  std::vector<int64_t> inputs, outputs;
};

/// Runs r1c-find-independent-dims on the graph of a copy of `module`, before
/// any specialization. A model whose graph needs fixed sizes to legalize
/// gets no padding; its buckets report real errors, so this stays quiet.
std::optional<PadAxes> findPadAxes(ModuleOp module) {
  OwningOpRef<ModuleOp> symbolic = module.clone();
  PassManager pm(module.getContext());
  buildPipelineToPhase(pm, CompilePhase::Graph);
  pm.nest<func::FuncOp>().addPass(r1::createFindIndependentDims());
  ScopedDiagnosticHandler quiet(module.getContext(), [](Diagnostic &) { return success(); });
  if (failed(pm.run(*symbolic)))
    return std::nullopt;
  func::FuncOp func = mainFunction(*symbolic);
  auto dim = func->getAttrOfType<StringAttr>("r1.independent_dim");
  if (!dim)
    return std::nullopt;
  PadAxes padding{dim.str(), {}, {}};
  auto axisOf = [](DictionaryAttr attrs) -> int64_t {
    auto axis = attrs ? attrs.getAs<IntegerAttr>("r1.pad_axis") : IntegerAttr();
    return axis ? axis.getInt() : -1;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    padding.inputs.push_back(axisOf(func.getArgAttrDict(i)));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    padding.outputs.push_back(axisOf(func.getResultAttrDict(i)));
  return padding;
}

/// Records `padding` on a bucket's compiled @main, for its plan entry, when
/// every pad axis there has exactly the bucket's size of the dim: the
/// runtime pads inputs and trims outputs along them to the request's size.
void markPadAxes(func::FuncOp func, const PadAxes &padding, const ShapeBucket &bucket) {
  auto size = llvm::find_if(bucket, [&](const auto &entry) { return entry.first == padding.dim; });
  if (size == bucket.end() || padding.inputs.size() != func.getNumArguments() ||
      padding.outputs.size() != func.getNumResults())
    return;
  auto fits = [&](Type type, int64_t axis) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return axis < 0 ||
           (tensor && axis < tensor.getRank() && tensor.getDimSize(axis) == size->second);
  };
  for (auto [type, axis] : llvm::zip(func.getArgumentTypes(), padding.inputs))
    if (!fits(type, axis))
      return;
  for (auto [type, axis] : llvm::zip(func.getResultTypes(), padding.outputs))
    if (!fits(type, axis))
      return;
  Builder builder(func.getContext());
  func->setAttr("r1.independent_dim", builder.getStringAttr(padding.dim));
  for (auto [index, axis] : llvm::enumerate(padding.inputs))
    if (axis >= 0)
      func.setArgAttr(index, "r1.pad_axis", builder.getI64IntegerAttr(axis));
  for (auto [index, axis] : llvm::enumerate(padding.outputs))
    if (axis >= 0)
      func.setResultAttr(index, "r1.pad_axis", builder.getI64IntegerAttr(axis));
}

/// The model as r1 IR: an ONNX file imported, or a file of r1 IR as
/// --compile-to writes it (.mlir), which can hold what no ONNX graph says
/// (a gated attention, say) for tests of the phases after it.
OwningOpRef<ModuleOp> loadModel(MLIRContext &context, StringRef path) {
  if (path.ends_with(".mlir"))
    return parseSourceFile<ModuleOp>(path, &context);
  return importOnnxFile(context, path);
}

} // namespace

LogicalResult compileHostArtifact(ModuleOp module, const std::string &cpu,
                                  std::vector<uint8_t> &bytes) {
  // Weights go into the WEIGHTS section, as with a GPU target: constants in
  // the host code would cost LLVM far more time than the run it is for.
  func::FuncOp function = mainFunction(module);
  FailureOr<WeightPlacement> placement =
      placeWeights({function}, /*gpu=*/true, WeightStorage::Embedded, "");
  if (failed(placement))
    return failure();
  HostModuleInfo info;
  info.symbolPrefix = "model";
  info.isas.push_back({cpu, describeHostTarget(module.getContext(), cpu).getVariantKey()});
  info.externalWeights = placement->getLayout();
  info.weightsInArtifact = placement->home == WeightHome::ArtifactSection;
  std::vector<HostEntryPoint> entries{{function, info.symbolPrefix, ""}};
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = emitHostModule(entries, llvmContext, info);
  if (!llvmModule)
    return failure();
  ArtifactWriter artifact;
  // artifactMetadata reads buckets; this one is borrowed, not owned.
  std::vector<CompiledBucket> compiled;
  compiled.push_back({ShapeBucket{}, OwningOpRef<ModuleOp>(module)});
  artifact.setMetadata(artifactMetadata(compiled, "calibration"));
  (void)compiled.front().module.release();
  std::vector<char> sharedObject;
  llvm::SmallVector<char, 0> objectBytes;
  std::string error;
  if (!linkHostCode(*llvmModule, entries, {cpu}, artifact, sharedObject, objectBytes))
    return failure();
  if (!writeWeights(*placement, /*host=*/true, "", artifact, error) ||
      !artifact.finish(bytes, error)) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  return success();
}

int runCompiler(const CompilerOptions &options) {
  DialectRegistry registry;
  registry.insert<r1::R1Dialect, r1k::R1KDialect, func::FuncDialect>();
  MLIRContext context(registry);
  // Large models: the pipeline runs per function, and there is one.
  context.disableMultithreading();
  OneLineDiagnostics diagnostics(context);
  Progress progress(options.progress);

  progress.step("importing " + options.inputPath);
  OwningOpRef<ModuleOp> module = loadModel(context, options.inputPath);
  if (!module)
    return progress.done(), 1;

  // --target: the host and GPU architectures (GpuTargets.h). Every code
  // target compiles the plan phase per shape bucket, as the host does.
  std::optional<CodegenTargets> targets = parseCodegenTargets(options);
  if (!targets)
    return progress.done(), 1;
  if (options.allowTf32 && llvm::none_of(targets->gpuArchs, [](const std::string &arch) {
        return llvm::StringRef(arch).starts_with("sm_");
      }))
    llvm::errs() << "warning: --tf32 changes nothing without an NVIDIA --target (sm_80 to "
                    "sm_90)\n";
  if (!targets->gpuArchs.empty() && (options.precision == "int8" || options.precision == "auto")) {
    llvm::errs() << "error: --precision=" << options.precision
                 << " compiles 8-bit integer kernels for the host only; GPU targets have none "
                    "yet: use --precision=fp16 or bf16 for them\n";
    return progress.done(), 1;
  }
  bool host = targets->any();
  // The targets select passes decide for: the host CPU when host code is
  // generated, and when kernels are printed, so that they show its choices;
  // then each GPU architecture, whose printers read the same descriptions.
  KernelPipelineOptions kernelOptions;
  SmallVector<r1k::TargetAttr> selectTargets;
  if (targets->host || (!host && options.phase >= CompilePhase::Kernel)) {
    for (const std::string &cpu : hostCpuLevels(options.cpu)) {
      r1k::TargetAttr hostTarget = describeHostTarget(&context, cpu);
      if (!hostTarget) {
        llvm::errs() << "error: unknown --cpu '" << options.cpu
                     << "' (use auto, native, x86-64-v3, x86-64-v4 or x86-64-v4-dl)\n";
        return progress.done(), 1;
      }
      selectTargets.push_back(hostTarget);
    }
  }
  for (const std::string &arch : targets->gpuArchs)
    selectTargets.push_back(
        gpu::describeGpuTarget(&context, arch, gpu::GpuCodegenOptions{options.allowTf32}));
  if (!selectTargets.empty())
    r1k::setTargets(*module, selectTargets);
  // Packed copies of the weights live in the host code: only where the
  // weights themselves do.
  kernelOptions.packWeights =
      targets->gpuArchs.empty() && options.weights == WeightStorage::Embedded;
  kernelOptions.variantLog = options.variantLog;
  kernelOptions.sparseAttention = options.sparseAttention;
  std::string tuningDb = options.tuningDb;
  if (options.tune && tuningDb.empty())
    tuningDb = outputBase(options.outputPath) + ".tuning";
  if (options.tune && !targets->host) {
    llvm::errs() << "error: --tune times host kernels; it goes with --target=host\n";
    return progress.done(), 1;
  }
  kernelOptions.tuningDb = tuningDb;
  if (!options.variantLog.empty() && options.variantLog != "-") {
    // Every bucket appends to it: start it empty.
    std::error_code error;
    llvm::raw_fd_ostream truncate(options.variantLog, error);
    if (error) {
      llvm::errs() << "error: cannot write --variant-log '" << options.variantLog
                   << "': " << error.message() << "\n";
      return progress.done(), 1;
    }
  }
  FailureOr<std::vector<ShapeBucket>> buckets = bucketsToCompile(*module, options, host);
  if (failed(buckets) || diagnostics.sawError())
    return progress.done(), 1;

  // A request smaller than a bucket runs in it padded, when the graph is
  // proven to keep rows of that dim apart.
  std::optional<PadAxes> padding;
  if (host && !buckets->front().empty()) {
    progress.step("checking which symbolic dim requests can be padded along");
    padding = findPadAxes(*module);
    if (options.stats)
      llvm::errs() << "padded dim: " << (padding ? padding->dim : "none") << "\n";
  }

  // Calibration measures once, on a copy specialized to its inputs' shapes;
  // every bucket's graph then gets the ranges before its precision passes.
  CompilePhase phase = host ? CompilePhase::Plan : options.phase;
  std::optional<CalibrationTable> ranges;
  std::optional<PrecisionPlan> precisionPlan;
  // int8 spreads its codes over the ranges; fp16 keeps an op f32 where an
  // activation passes its range.
  bool calibrating = options.calibrate || !options.calibrationDir.empty() ||
                     options.precision == "int8" || options.precision == "fp16" ||
                     options.precision == "auto";
  if (calibrating) {
    if (phase < CompilePhase::Graph) {
      progress.done();
      llvm::errs() << "error: --calibration writes ranges on the graph phase's ops; it does not "
                      "go with --compile-to=import\n";
      return 1;
    }
    std::optional<CalibrationMethod> method = parseCalibrationMethod(options.calibrationMethod);
    if (!method) {
      progress.done();
      llvm::errs() << "error: unknown --calibration-method '" << options.calibrationMethod
                   << "' (use minmax, percentile or entropy)\n";
      return 1;
    }
    CalibrationOptions calibration;
    calibration.inputDir = options.calibrationDir;
    calibration.method = *method;
    calibration.samples = options.calibrationSamples;
    calibration.dimSizes = options.dimSizes;
    calibration.fuseAttention = options.fuseAttention;
    auto showProgress = [&](const Twine &what) { progress.step(what); };
    calibration.progress = showProgress;
    FailureOr<CalibrationTable> measured = measureRanges(*module, calibration);
    if (failed(measured) || diagnostics.sawError())
      return progress.done(), 1;
    ranges = std::move(*measured);
    if (options.precision == "auto") {
      std::optional<AccuracyBudget> budget = AccuracyBudget::parse(options.accuracyBudget);
      if (!budget) {
        progress.done();
        llvm::errs() << "error: --accuracy-budget=" << options.accuracyBudget
                     << ": expected a relative error in (0, 1) such as 0.01, or top1:A with "
                        "A in (0, 1), such as top1:0.99\n";
        return 1;
      }
      AutoPrecisionOptions search{*budget, options.precisionReport, calibration,
                                  options.int8Smoothing, options.int8BiasCorrection};
      FailureOr<PrecisionPlan> searched = searchAutoPrecision(*module, *ranges, search);
      if (failed(searched) || diagnostics.sawError())
        return progress.done(), 1;
      precisionPlan = std::move(*searched);
      progress.done();
      llvm::errs() << precisionPlan->summary << "\n";
    }
  }

  // Each bucket compiles a copy of the imported module; the last one takes
  // the original. Weights are attributes, shared by the copies.
  std::vector<CompiledBucket> compiled;
  for (auto [index, bucket] : llvm::enumerate(*buckets)) {
    bool last = index + 1 == buckets->size();
    OwningOpRef<ModuleOp> specialized = last ? std::move(module) : module->clone();
    // To the f32 graph, then (with the ranges written) on to `phase`.
    PassManager pm(&context), fromGraph(&context);
    if (!bucket.empty()) {
      std::vector<std::string> sizes;
      for (const auto &[name, size] : bucket)
        sizes.push_back(name + "=" + std::to_string(size));
      pm.nest<func::FuncOp>().addPass(r1::createSpecializeDims({sizes}));
    }
    GraphPipelineOptions graphOptions{options.fuseAttention, options.precision,
                                      options.int8Smoothing, options.int8BiasCorrection};
    if (phase >= CompilePhase::Graph)
      buildGraphPassPipeline(pm, graphOptions);
    buildPipelineFromGraph(fromGraph, phase, kernelOptions, graphOptions);
    if (options.timing) {
      pm.enableTiming();
      fromGraph.enableTiming();
    }
    std::string what = "compiling to the " + getCompilePhaseName(phase).str() + " phase";
    if (!bucket.empty())
      what += " for " + describeBucket(bucket) + " (bucket " + std::to_string(index + 1) +
              " of " + std::to_string(buckets->size()) + ")";
    progress.step(what);
    bool compiledGraph = succeeded(pm.run(*specialized)) && !diagnostics.sawError();
    if (compiledGraph && ranges)
      annotateRanges(*specialized, *ranges);
    if (compiledGraph && precisionPlan)
      applyPrecisionPlan(*specialized, *precisionPlan);
    if (!compiledGraph || failed(fromGraph.run(*specialized)) || diagnostics.sawError()) {
      progress.done();
      if (!bucket.empty())
        llvm::errs() << explainBucketFailure(bucket, options.dimSizes, kDefaultBucketSizes);
      return 1;
    }
    if (padding)
      markPadAxes(mainFunction(*specialized), *padding, bucket);
    if (options.stats) {
      if (!bucket.empty())
        llvm::errs() << "bucket: " << describeBucket(bucket) << "\n";
      printStats(*specialized, phase);
    }
    compiled.push_back({bucket, std::move(specialized)});
  }
  if (options.tune) {
    // Measure what the database lacks, then choose again with it.
    TuningDatabase database;
    std::string error;
    SmallVector<func::FuncOp> functions;
    for (const CompiledBucket &bucket : compiled)
      functions.push_back(mainFunction(*bucket.module));
    // Every level this CPU runs; a level it lacks keeps the cost model's
    // choices. Targets are in the levels' order (selectTargets).
    SmallVector<r1k::TargetAttr> hostTargets = r1k::getTargets(*compiled.front().module);
    bool tuned = database.load(tuningDb, error);
    for (auto [cpu, hostTarget] : llvm::zip(builtHostLevels(compiled, options.cpu), hostTargets)) {
      if (!tuned || !compilingCpuRuns(cpu))
        continue;
      tuned = tuneHostKernels(
          functions, cpu, hostTarget, kernelOptions.packWeights, database,
          [&](const std::string &what) {
            progress.step(what + " for " + hostTarget.getCpu().str());
          },
          error);
    }
    tuned = tuned && database.save(tuningDb, error);
    if (!tuned) {
      progress.done();
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    for (const CompiledBucket &bucket : compiled) {
      PassManager pm(&context);
      // The log then shows the final, measured choices after the model's.
      pm.addPass(r1::createSelectVariants(
          {kernelOptions.variantLog, kernelOptions.packWeights, tuningDb}));
      // A measured variant may need other scratch than the model's.
      pm.nest<func::FuncOp>().addPass(r1::createPlanMemory());
      if (failed(pm.run(*bucket.module)))
        return progress.done(), 1;
    }
  }
  if (host) {
    // OUT.r1: metadata, then each target's sections.
    bool writesArtifact = options.emit != EmitFormat::Kernels && options.emit != EmitFormat::Llvm;
    if (writesArtifact && options.outputPath == "-") {
      progress.done();
      llvm::errs() << "error: --target writes OUT.r1 (and OUT.o, OUT.h for the host); give -o "
                      "OUT\n";
      return 1;
    }
    ArtifactWriter artifact;
    std::vector<char> hostSharedObject;
    artifact.setMetadata(
        artifactMetadata(compiled, llvm::sys::path::stem(options.inputPath).str()));
    // Where the weights go, decided once for every target that reads them.
    std::string base = outputBase(options.outputPath);
    SmallVector<func::FuncOp> functions;
    for (const CompiledBucket &bucket : compiled)
      functions.push_back(mainFunction(*bucket.module));
    // The levels whose packed copies of weights are in the host code.
    std::vector<std::string> packedLevels;
    if (kernelOptions.packWeights && targets->host)
      for (const std::string &cpu : builtHostLevels(compiled, options.cpu))
        packedLevels.push_back(describeHostTarget(&context, cpu).getVariantKey());
    FailureOr<WeightPlacement> placement =
        placeWeights(functions, !targets->gpuArchs.empty(), options.weights, base,
                     options.sharedWeights, packedLevels);
    if (failed(placement))
      return progress.done(), 1;
    if (!targets->gpuArchs.empty()) {
      std::vector<GpuEntry> entries;
      for (const CompiledBucket &bucket : compiled) {
        std::string stem = bucketSymbolSuffix(bucket.bucket);
        func::FuncOp function = mainFunction(*bucket.module);
        entries.push_back(
            {function, stem, hostPlanEntry(function, stem.empty() ? "static" : stem)});
      }
      progress.done();
      int status = emitGpuTargets(entries, *targets, options, writesArtifact ? &artifact : nullptr,
                                  placement->getLayout());
      if (status != 0)
        return status;
    }
    if (targets->host) {
      progress.step("generating host code");
      int status = emitHost(compiled, options, artifact, hostSharedObject, *placement);
      if (status != 0)
        return progress.done(), status;
    }
    if (writesArtifact) {
      if (placement->home == WeightHome::SideFile)
        progress.step("writing " + base + ".safetensors");
      else if (placement->home == WeightHome::ArtifactSection)
        progress.step("packing the weights");
      std::string error;
      if (!writeWeights(*placement, targets->host, base, artifact, error)) {
        progress.done();
        llvm::errs() << "error: " << error << "\n";
        return 1;
      }
      std::string path = base + ".r1";
      progress.step("writing " + path);
      if (!artifact.writeFile(path, error)) {
        progress.done();
        llvm::errs() << "error: cannot write '" << path << "': " << error << "\n";
        return 1;
      }
    }
    progress.done();
    return 0;
  }
  module = std::move(compiled.front().module);

  progress.step("writing " + options.outputPath);
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(options.outputPath, &error);
  if (!output) {
    progress.done();
    llvm::errs() << "error: cannot write '" << options.outputPath << "': " << error << "\n";
    return 1;
  }
  if (options.emit == EmitFormat::MlirBytecode) {
    if (failed(writeBytecodeToFile(*module, output->os())))
      return progress.done(), 1;
  } else {
    OpPrintingFlags flags;
    if (options.printLocations)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
    if (options.elideWeights)
      flags.elideLargeResourceString(64);
    module->print(output->os(), flags);
  }
  progress.done();
  output->keep();
  return 0;
}

void printSupportedOps() {
  for (StringRef op : r1::getSupportedOnnxOps())
    llvm::outs() << op << "\n";
  // Other domains' ops carry their domain, as ONNX's operator lists name them.
  for (StringRef op : r1::getSupportedMlOps())
    llvm::outs() << "ai.onnx.ml." << op << "\n";
}

std::string getVersionString() {
  return "r1c 0.1.0 (LLVM " LLVM_VERSION_STRING ", ONNX opsets " +
         std::to_string(kMinOnnxOpset) + " to " + std::to_string(kMaxOnnxOpset) + ")";
}

} // namespace r1c
