//===- CompilerDriver.cpp - What `r1c` does, as a library -----------------===//
#include "compiler/driver/CompilerDriver.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/HostTarget.h"
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
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

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

/// --target=host: LLVM IR, or OUT.o and OUT.h, from the plan phase.
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
  std::unique_ptr<llvm::ToolOutputFile> object = openOutputFile(base + ".o", &error);
  std::unique_ptr<llvm::ToolOutputFile> header =
      object ? openOutputFile(base + ".h", &error) : nullptr;
  if (!object || !header) {
    llvm::errs() << "error: cannot write '" << base << ".o/.h': " << error << "\n";
    return 1;
  }
  if (!emitHostObject(*llvmModule, options.cpu, object->os(), error)) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  header->os() << emitHostHeader(module, info);
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
