//===- HostTarget.cpp - x86-64 machine code from an LLVM module -----------===//
#include "codegen/host/HostTarget.h"
#include "codegen/llvm/OptimizationPipeline.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <thread>
#include <unistd.h>

extern "C" {
void LLVMInitializeX86TargetInfo();
void LLVMInitializeX86Target();
void LLVMInitializeX86TargetMC();
void LLVMInitializeX86AsmPrinter();
void LLVMInitializeX86AsmParser();
}

namespace r1c {
namespace {

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const std::string &level,
                                                         std::string &error) {
  static bool initialized = [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    // Fat modules ask the CPU with inline cpuid (CpuDispatch.h).
    LLVMInitializeX86AsmParser();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple.str(), error);
  if (!target)
    return nullptr;
  auto [cpu, features] = getLlvmCpu(level);
  std::string cpuName = cpu;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  } else if (cpu != "x86-64-v3" && cpu != "x86-64-v4" && cpu != "x86-64-v2" &&
             cpu != "x86-64") {
    error =
        "unknown --cpu '" + level + "' (use native, x86-64-v3, x86-64-v4 or " + kX86DlLevel + ")";
    return nullptr;
  }
  llvm::TargetOptions options;
  // Contraction into FMA is what ONNX Runtime's kernels do as well.
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple.str(), cpuName, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

void runOptimizationPipeline(llvm::Module &module, llvm::TargetMachine &machine) {
  // LLVM tunes AVX-512 CPUs for 256-bit vectors by default (clock throttling
  // on early parts); dense kernels want the full 512 bits, as ONNX Runtime's
  // AVX-512 kernels use them.
  // In a module of several levels a function's own "target-cpu" says
  // which; each level is asked once.
  bool machineAvx512 = machine.getMCSubtargetInfo()->checkFeatures("+avx512f");
  llvm::StringMap<bool> levelAvx512;
  auto hasAvx512 = [&](llvm::StringRef cpu) {
    auto [it, inserted] = levelAvx512.try_emplace(cpu, false);
    if (inserted) {
      std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
          machine.getTarget().createMCSubtargetInfo(machine.getTargetTriple().str(), cpu, ""));
      it->second = subtarget && subtarget->checkFeatures("+avx512f");
    }
    return it->second;
  };
  for (llvm::Function &function : module) {
    if (function.isDeclaration())
      continue;
    bool avx512 = function.hasFnAttribute("target-cpu")
                      ? hasAvx512(function.getFnAttribute("target-cpu").getValueAsString())
                      : machineAvx512;
    if (avx512)
      function.addFnAttr("prefer-vector-width", "512");
  }
  runO3Pipeline(module, machine);
}

} // namespace

LlvmCpu getLlvmCpu(const std::string &level) {
  if (level == kX86DlLevel)
    return {"x86-64-v4", "+avx512bf16,+avx512vnni"};
  return {level, ""};
}

/// Creates the target machine for `cpu`, retargets `module` to it and runs
/// the O3 pipeline; null with `error` set when the CPU is unknown.
static std::unique_ptr<llvm::TargetMachine> optimizeFor(llvm::Module &module,
                                                        const std::string &cpu,
                                                        std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(cpu, error);
  if (!machine)
    return nullptr;
  module.setDataLayout(machine->createDataLayout());
  module.setTargetTriple(machine->getTargetTriple().str());
  runOptimizationPipeline(module, *machine);
  return machine;
}

mlir::r1k::TargetAttr describeHostTarget(mlir::MLIRContext *context, const std::string &cpu) {
  // What every CPU of the level has (and the cores a server part has);
  // native overrides it with this machine's own facts below.
  bool dl = cpu == kX86DlLevel;
  bool avx512 = cpu == "x86-64-v4" || dl;
  std::vector<llvm::StringRef> features = {"avx2", "fma"};
  int64_t l1 = 32 * 1024, l2 = 1024 * 1024, l3 = 32 * 1024 * 1024, cores = 8;
  if (cpu == "native") {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    avx512 = host.lookup("avx512f");
    static const char *const kNamed[][2] = {
        {"avx512f", "avx512f"},       {"avx512bf16", "avx512bf16"},
        {"avx512fp16", "avx512fp16"}, {"avx512vnni", "avx512vnni"},
        {"amx-tile", "amx"}};
    for (const auto &named : kNamed)
      if (host.lookup(named[0]))
        features.push_back(named[1]);
    auto cache = [](int name, int64_t fallback) {
      long bytes = sysconf(name);
      return bytes > 0 ? int64_t(bytes) : fallback;
    };
    l1 = cache(_SC_LEVEL1_DCACHE_SIZE, l1);
    l2 = cache(_SC_LEVEL2_CACHE_SIZE, l2);
    l3 = cache(_SC_LEVEL3_CACHE_SIZE, l3);
    cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  } else if (avx512) {
    features.push_back("avx512f");
    if (dl) {
      features.push_back("avx512bf16");
      features.push_back("avx512vnni");
    }
    l1 = 48 * 1024;
  } else if (cpu != "x86-64-v3") {
    return nullptr;
  }
  context->getOrLoadDialect<mlir::r1k::R1KDialect>();
  mlir::Builder builder(context);
  llvm::SmallVector<mlir::Attribute> featureAttrs;
  for (llvm::StringRef feature : features)
    featureAttrs.push_back(builder.getStringAttr(feature));
  return mlir::r1k::TargetAttr::get(
      context, mlir::r1k::kHostTargetName, cpu == "native" ? (avx512 ? "x86-64-v4" : "x86-64-v3") : cpu,
      builder.getArrayAttr(featureAttrs), /*vector_bits=*/avx512 ? 512 : 256,
      /*vector_registers=*/avx512 ? 32 : 16, l1, l2, l3, cores, /*fma_per_cycle=*/2,
      /*compute_units=*/0, /*warp_size=*/0, /*shared_per_block=*/0, /*shared_per_unit=*/0,
      /*registers_per_unit=*/0, /*matrix_ops=*/nullptr);
}

bool optimizeHostModule(llvm::Module &module, const std::string &cpu, std::string &error) {
  return optimizeFor(module, cpu, error) != nullptr;
}

bool emitHostObject(llvm::Module &module, const std::string &cpu, llvm::raw_pwrite_stream &os,
                    std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine = optimizeFor(module, cpu, error);
  if (!machine)
    return false;
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "LLVM cannot emit an object file for this target";
    return false;
  }
  codegen.run(module);
  return true;
}

} // namespace r1c
