//===- HostTarget.cpp - x86-64 machine code from an LLVM module -----------===//
#include "codegen/host/HostTarget.h"
#include "codegen/llvm/OptimizationPipeline.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

extern "C" {
void LLVMInitializeX86TargetInfo();
void LLVMInitializeX86Target();
void LLVMInitializeX86TargetMC();
void LLVMInitializeX86AsmPrinter();
}

namespace r1c {
namespace {

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const std::string &cpu,
                                                         std::string &error) {
  static bool initialized = [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple.str(), error);
  if (!target)
    return nullptr;
  std::string cpuName = cpu, features;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  } else if (cpu != "x86-64-v3" && cpu != "x86-64-v4" && cpu != "x86-64-v2" &&
             cpu != "x86-64") {
    error = "unknown --cpu '" + cpu + "' (use native, x86-64-v3 or x86-64-v4)";
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
  if (machine.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    for (llvm::Function &function : module)
      if (!function.isDeclaration())
        function.addFnAttr("prefer-vector-width", "512");
  runO3Pipeline(module, machine);
}

} // namespace

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
