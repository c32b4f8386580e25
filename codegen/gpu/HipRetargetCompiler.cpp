//===- HipRetargetCompiler.cpp - HIP for GPUs hipRTC does not know --------===//
#include "codegen/gpu/HipRetargetCompiler.h"
#include "codegen/gpu/AmdgpuBackend.h"
#include "codegen/gpu/Comgr.h"

#include "llvm/Config/llvm-config.h"

namespace r1c::gpu {

llvm::StringRef frontEndArchFor(llvm::StringRef arch) {
  // gfx942 (CDNA 3) keeps gfx90a's (CDNA 2) wavefront size, LDS size and
  // MFMA intrinsics that the kernels use; what differs (caches, memory
  // model, scheduling) is code generation's business.
  if (arch == "gfx942")
    return "gfx90a";
  return "";
}

namespace {

class HipRetargetCompiler : public GpuCompiler {
public:
  explicit HipRetargetCompiler(std::unique_ptr<ComgrFrontEnd> frontEnd)
      : frontEnd(std::move(frontEnd)) {}

  std::string describe() const override {
    return frontEnd->describe() + " as the front end, LLVM " LLVM_VERSION_STRING
                                  "'s AMDGPU back end";
  }

  bool supports(llvm::StringRef arch, std::string &why) const override {
    if (frontEndArchFor(arch).empty()) {
      why = "r1c cannot retarget HIP code to " + arch.str();
      return false;
    }
    if (!amdgpuBackendSupports(arch)) {
      why = "LLVM " LLVM_VERSION_STRING " has no AMDGPU back end for " + arch.str();
      return false;
    }
    return true;
  }

  bool compile(const std::string &source, const std::string &fileName, llvm::StringRef arch,
               CompiledCode &code, std::string &log) const override {
    std::string bitcode;
    if (!frontEnd->compileToBitcode(source, fileName, frontEndArchFor(arch), bitcode, log))
      return false;
    return compileAmdgpuCodeObject(bitcode, arch, code.binary, log);
  }

private:
  std::unique_ptr<ComgrFrontEnd> frontEnd;
};

} // namespace

std::unique_ptr<GpuCompiler> loadHipRetargetCompiler(std::string &error) {
  std::unique_ptr<ComgrFrontEnd> frontEnd = ComgrFrontEnd::load(error);
  if (!frontEnd)
    return nullptr;
  return std::make_unique<HipRetargetCompiler>(std::move(frontEnd));
}

} // namespace r1c::gpu
