//===- AmdgpuBackend.cpp - AMDGPU code objects from LLVM bitcode ----------===//
//
// The bitcode comes from comgr's clang for a related architecture (gfx90a
// for gfx942): the same wavefront size and matrix instructions. Kernels
// reach hardware only through LLVM intrinsics and the device libraries, so
// changing each function's target CPU retargets them; the libraries' ISA
// version constant is the one place that names the architecture as data.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/AmdgpuBackend.h"
#include "codegen/llvm/OptimizationPipeline.h"
#include "codegen/llvm/SharedObjectLinker.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/TargetParser.h"
#include "llvm/Transforms/IPO/Internalize.h"

extern "C" {
void LLVMInitializeAMDGPUTargetInfo();
void LLVMInitializeAMDGPUTarget();
void LLVMInitializeAMDGPUTargetMC();
void LLVMInitializeAMDGPUAsmPrinter();
}

namespace r1c::gpu {
namespace {

constexpr const char *kTriple = "amdgcn-amd-amdhsa";

const llvm::Target *lookupAmdgpuTarget(std::string &error) {
  static bool initialized = [] {
    LLVMInitializeAMDGPUTargetInfo();
    LLVMInitializeAMDGPUTarget();
    LLVMInitializeAMDGPUTargetMC();
    LLVMInitializeAMDGPUAsmPrinter();
    return true;
  }();
  (void)initialized;
  return llvm::TargetRegistry::lookupTarget(kTriple, error);
}

/// Collects LLVM's diagnostics instead of letting an error end the process.
class CollectDiagnostics : public llvm::DiagnosticHandler {
public:
  CollectDiagnostics(std::string &log, bool &failed) : log(log), failed(failed) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo &info) override {
    if (info.getSeverity() == llvm::DS_Error)
      failed = true;
    if (info.getSeverity() <= llvm::DS_Warning) {
      llvm::raw_string_ostream os(log);
      llvm::DiagnosticPrinterRawOStream printer(os);
      os << (log.empty() ? "" : "\n");
      info.print(printer);
    }
    return true;
  }

private:
  std::string &log;
  bool &failed;
};

/// The device-library integer constant `name`, if the module has it.
llvm::GlobalVariable *libraryConstant(llvm::Module &module, llvm::StringRef name) {
  llvm::GlobalVariable *global = module.getGlobalVariable(name, /*AllowInternal=*/true);
  if (!global || !global->hasInitializer() ||
      !llvm::isa<llvm::ConstantInt>(global->getInitializer()))
    return nullptr;
  return global;
}

void retarget(llvm::Module &module, llvm::StringRef arch, const llvm::TargetMachine &machine) {
  module.setTargetTriple(kTriple);
  module.setDataLayout(machine.createDataLayout());
  for (llvm::Function &function : module) {
    if (function.hasFnAttribute("target-cpu"))
      function.addFnAttr("target-cpu", arch);
    // The CPU implies the features; the old list names the old CPU's.
    function.removeFnAttr("target-features");
  }
  // The device libraries test this at run time (9402 for gfx942).
  if (llvm::GlobalVariable *version = libraryConstant(module, "__oclc_ISA_version")) {
    llvm::AMDGPU::IsaVersion isa = llvm::AMDGPU::getIsaVersion(arch);
    version->setInitializer(llvm::ConstantInt::get(
        version->getValueType(), isa.Major * 1000 + isa.Minor * 100 + isa.Stepping));
  }
  // Kernel arguments beyond the explicit ones (hidden arguments) are laid
  // out by code object version; the libraries read them the way their ABI
  // version says (400 for version 4), so the code object must match.
  if (!module.getModuleFlag("amdhsa_code_object_version")) {
    llvm::GlobalVariable *abi = libraryConstant(module, "__oclc_ABI_version");
    unsigned version =
        abi ? static_cast<unsigned>(
                  llvm::cast<llvm::ConstantInt>(abi->getInitializer())->getZExtValue())
            : 500;
    module.addModuleFlag(llvm::Module::Error, "amdhsa_code_object_version", version);
  }
  // Only the kernels are entry points; the rest may be inlined and dropped.
  llvm::internalizeModule(module, [](const llvm::GlobalValue &value) {
    const auto *function = llvm::dyn_cast<llvm::Function>(&value);
    return function && function->getCallingConv() == llvm::CallingConv::AMDGPU_KERNEL;
  });
}

} // namespace

bool amdgpuBackendSupports(llvm::StringRef arch) {
  std::string error;
  return lookupAmdgpuTarget(error) &&
         llvm::AMDGPU::parseArchAMDGCN(arch) != llvm::AMDGPU::GK_NONE;
}

bool compileAmdgpuCodeObject(llvm::StringRef bitcode, llvm::StringRef arch,
                             std::string &codeObject, std::string &log) {
  std::string error;
  const llvm::Target *target = lookupAmdgpuTarget(error);
  if (!target) {
    log = "LLVM has no AMDGPU back end: " + error;
    return false;
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      kTriple, arch, "", options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    log = "LLVM cannot generate code for " + arch.str();
    return false;
  }

  llvm::LLVMContext context;
  bool failed = false;
  context.setDiagnosticHandler(std::make_unique<CollectDiagnostics>(log, failed));
  llvm::Expected<std::unique_ptr<llvm::Module>> parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "kernel.bc"), context);
  if (!parsed) {
    log = "cannot read the front end's bitcode: " + llvm::toString(parsed.takeError());
    return false;
  }
  llvm::Module &module = **parsed;
  retarget(module, arch, *machine);
  std::string broken;
  llvm::raw_string_ostream brokenStream(broken);
  if (llvm::verifyModule(module, &brokenStream)) {
    log = "the retargeted module is not valid LLVM IR: " + broken;
    return false;
  }
  runO3Pipeline(module, *machine);

  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream objectStream(object);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, objectStream, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    log = "LLVM cannot emit an object file for " + arch.str();
    return false;
  }
  codegen.run(module);
  if (failed)
    return false;

  std::vector<char> linked;
  if (!linkSharedObject(llvm::StringRef(object.data(), object.size()), {},
                        "the " + arch.str() + " code object", linked, error)) {
    log += (log.empty() ? "" : "\n") + error;
    return false;
  }
  codeObject.assign(linked.begin(), linked.end());
  return true;
}

} // namespace r1c::gpu
