//===- CompilerDriver.cpp - What `r1c` does, as a library -----------------===//
#include "compiler/driver/CompilerDriver.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/HostLinker.h"
#include "codegen/host/HostTarget.h"
#include "r1c/artifact_writer.h"
#include "compiler/import/onnx/OnnxImporter.h"
#include "dialects/R1/IR/R1Dialect.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
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

using namespace mlir;
using r1c::ArtifactMetadata;
using r1c::ArtifactTensor;
using r1c::ArtifactWriter;

namespace r1c {
namespace {

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
  if (phase < CompilePhase::Plan)
    return;
  module.walk([&](func::FuncOp func) {
    if (auto arena = func->getAttrOfType<IntegerAttr>("r1k.arena_size"))
      llvm::errs() << "arena: " << arena.getInt() << " bytes\n";
    int64_t runtimePlaced = 0;
    func.walk([&](r1k::KernelOp kernel) {
      if (auto offsets = kernel->getAttrOfType<DenseI64ArrayAttr>("result_offsets"))
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

/// Inputs and outputs of @main as the artifact describes them.
ArtifactMetadata artifactMetadata(func::FuncOp func, const std::string &modelName) {
  ArtifactMetadata metadata;
  metadata.producer = getVersionString();
  metadata.modelName = modelName;
  auto describe = [](Type type, DictionaryAttr attrs, size_t index) {
    ArtifactTensor tensor;
    auto name = attrs ? attrs.getAs<StringAttr>("r1.name") : StringAttr();
    tensor.name = name ? name.str() : "value" + std::to_string(index);
    auto ranked = cast<RankedTensorType>(type);
    tensor.dtype = onnxDtypeOf(ranked.getElementType());
    auto dimNames = attrs ? attrs.getAs<ArrayAttr>("r1.dim_names") : ArrayAttr();
    for (auto [d, dim] : llvm::enumerate(ranked.getShape())) {
      tensor.dims.push_back(ShapedType::isDynamic(dim) ? R1RT_ARTIFACT_SYMBOLIC_DIM : dim);
      std::string dimName;
      if (dimNames && d < dimNames.size() && ShapedType::isDynamic(dim))
        dimName = cast<StringAttr>(dimNames[d]).str();
      tensor.dimNames.push_back(dimName);
    }
    return tensor;
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    metadata.inputs.push_back(describe(func.getArgumentTypes()[i], func.getArgAttrDict(i), i));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    metadata.outputs.push_back(describe(func.getResultTypes()[i], func.getResultAttrDict(i), i));
  return metadata;
}

/// The artifact section name of host code built for `cpu`.
std::string hostSectionName(const std::string &cpu) {
  if (cpu == "native")
    return llvm::sys::getHostCPUFeatures().lookup("avx512f") ? "host-x86-64-v4"
                                                              : "host-x86-64-v3";
  return "host-" + cpu;
}

/// --target=host: LLVM IR, or OUT.o, OUT.h and OUT.r1, from the plan phase.
int emitHost(ModuleOp module, const CompilerOptions &options) {
  if (options.outputPath == "-" && options.emit == EmitFormat::Object) {
    llvm::errs() << "error: --target=host writes OUT.o and OUT.h; give -o OUT\n";
    return 1;
  }
  HostModuleInfo info;
  info.symbolPrefix = symbolPrefixFor(options.outputPath == "-" ? "model" : options.outputPath);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = emitHostModule(module, llvmContext, info);
  if (!llvmModule)
    return 1;
  std::string error;
  if (options.emit == EmitFormat::Llvm) {
    if (!optimizeHostModule(*llvmModule, options.cpu, error)) {
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
  std::string base = options.outputPath;
  if (llvm::sys::path::extension(base) == ".o")
    base = base.substr(0, base.size() - 2);
  llvm::SmallVector<char, 0> objectBytes;
  llvm::raw_svector_ostream objectStream(objectBytes);
  std::vector<char> sharedObject;
  if (!emitHostObject(*llvmModule, options.cpu, objectStream, error) ||
      !linkSharedObject(llvm::StringRef(objectBytes.data(), objectBytes.size()), sharedObject,
                        error)) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }

  // OUT.r1: metadata, the plan (entry point, arena size), the shared object.
  func::FuncOp func = *module.getOps<func::FuncOp>().begin();
  ArtifactWriter artifact;
  artifact.setMetadata(artifactMetadata(func, llvm::sys::path::stem(options.inputPath).str()));
  std::vector<uint8_t> plan;
  std::string entry = info.symbolPrefix + "_run";
  uint32_t entryLength = entry.size();
  uint64_t arenaSize = func->getAttrOfType<IntegerAttr>("r1k.arena_size").getInt();
  plan.insert(plan.end(), reinterpret_cast<uint8_t *>(&entryLength),
              reinterpret_cast<uint8_t *>(&entryLength) + sizeof entryLength);
  plan.insert(plan.end(), entry.begin(), entry.end());
  plan.insert(plan.end(), reinterpret_cast<uint8_t *>(&arenaSize),
              reinterpret_cast<uint8_t *>(&arenaSize) + sizeof arenaSize);
  artifact.addSection(R1RT_SECTION_PLAN, "plan", std::move(plan));
  artifact.addSectionView(R1RT_SECTION_HOST_CODE, hostSectionName(options.cpu),
                          sharedObject.data(), sharedObject.size());

  std::unique_ptr<llvm::ToolOutputFile> object = openOutputFile(base + ".o", &error);
  std::unique_ptr<llvm::ToolOutputFile> header =
      object ? openOutputFile(base + ".h", &error) : nullptr;
  if (!object || !header) {
    llvm::errs() << "error: cannot write '" << base << ".o/.h': " << error << "\n";
    return 1;
  }
  object->os() << llvm::StringRef(objectBytes.data(), objectBytes.size());
  header->os() << emitHostHeader(module, info);
  if (!artifact.writeFile(base + ".r1", error)) {
    llvm::errs() << "error: cannot write '" << base << ".r1': " << error << "\n";
    return 1;
  }
  object->keep();
  header->keep();
  return 0;
}

} // namespace

int runCompiler(const CompilerOptions &options) {
  DialectRegistry registry;
  registry.insert<r1::R1Dialect, r1k::R1KDialect, func::FuncDialect>();
  MLIRContext context(registry);
  // Large models: the pipeline runs per function, and there is one.
  context.disableMultithreading();
  OneLineDiagnostics diagnostics(context);
  Progress progress(options.progress);

  progress.step("importing " + options.inputPath);
  OwningOpRef<ModuleOp> module = importOnnxFile(context, options.inputPath);
  if (!module)
    return progress.done(), 1;

  PassManager pm(&context);
  bool host = options.target == "host";
  if (!options.target.empty() && !host) {
    llvm::errs() << "error: --target=" << options.target
                 << " is not supported yet (supported: host)\n";
    return 1;
  }
  CompilePhase phase = host ? CompilePhase::Plan : options.phase;
  buildPipelineToPhase(pm, phase);
  if (options.timing)
    pm.enableTiming();
  progress.step("compiling to the " + getCompilePhaseName(options.phase) + " phase");
  if (failed(pm.run(*module)) || diagnostics.sawError())
    return progress.done(), 1;

  if (options.stats)
    printStats(*module, phase);
  if (host) {
    progress.step("generating host code");
    int status = emitHost(*module, options);
    progress.done();
    return status;
  }

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
}

std::string getVersionString() {
  return "r1c 0.1.0 (LLVM " LLVM_VERSION_STRING ", ONNX opsets " +
         std::to_string(kMinOnnxOpset) + " to " + std::to_string(kMaxOnnxOpset) + ")";
}

} // namespace r1c
