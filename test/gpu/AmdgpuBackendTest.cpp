//===- AmdgpuBackendTest.cpp - Code objects from retargeted bitcode -------===//
//
// compileAmdgpuCodeObject on bitcode shaped like comgr's (gfx90a functions,
// device-library constants), without comgr: what the code object says it
// is for, that the library constants follow the new architecture, and that
// bad bitcode and a kernel LLVM rejects are errors, not a dead process.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/AmdgpuBackend.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

using r1c::gpu::amdgpuBackendSupports;
using r1c::gpu::compileAmdgpuCodeObject;

/// A kernel compiled for gfx90a that stores the ISA version the device
/// libraries define, with their ABI version (400: code object version 4).
constexpr const char *kGfx90aKernel = R"(
target triple = "amdgcn-amd-amdhsa"
@__oclc_ISA_version = linkonce_odr protected local_unnamed_addr addrspace(4) constant i32 9010
@__oclc_ABI_version = linkonce_odr protected local_unnamed_addr addrspace(4) constant i32 400
define protected amdgpu_kernel void @k(ptr addrspace(1) %out) #0 {
  %isa = load i32, ptr addrspace(4) @__oclc_ISA_version
  store i32 %isa, ptr addrspace(1) %out
  ret void
}
attributes #0 = { "target-cpu"="gfx90a" "target-features"="+gfx90a-insts,+mai-insts" }
)";

/// A kernel whose LDS (128 KiB) is twice what a gfx942 work group has.
constexpr const char *kTooMuchLds = R"(
target triple = "amdgcn-amd-amdhsa"
@lds = internal addrspace(3) global [32768 x float] undef
define protected amdgpu_kernel void @k(ptr addrspace(1) %out, i32 %i, i32 %j) #0 {
  %p = getelementptr [32768 x float], ptr addrspace(3) @lds, i32 0, i32 %i
  %q = getelementptr [32768 x float], ptr addrspace(3) @lds, i32 0, i32 %j
  store float 1.0, ptr addrspace(3) %p
  %v = load float, ptr addrspace(3) %q
  store float %v, ptr addrspace(1) %out
  ret void
}
attributes #0 = { "target-cpu"="gfx90a" }
)";

std::string bitcodeOf(const char *text) {
  llvm::LLVMContext context;
  llvm::SMDiagnostic error;
  std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(text, error, context);
  if (!module) {
    std::string message;
    llvm::raw_string_ostream os(message);
    error.print("test", os);
    ADD_FAILURE() << message;
    return "";
  }
  std::string bitcode;
  llvm::raw_string_ostream os(bitcode);
  llvm::WriteBitcodeToFile(*module, os);
  return os.str();
}

bool contains(const std::string &haystack, const void *needle, size_t size) {
  return std::search(haystack.begin(), haystack.end(), static_cast<const char *>(needle),
                     static_cast<const char *>(needle) + size) != haystack.end();
}

TEST(AmdgpuBackend, KnowsCdnaArchitectures) {
  EXPECT_TRUE(amdgpuBackendSupports("gfx942"));
  EXPECT_TRUE(amdgpuBackendSupports("gfx90a"));
  EXPECT_FALSE(amdgpuBackendSupports("gfx9999"));
  EXPECT_FALSE(amdgpuBackendSupports("sm_90"));
}

TEST(AmdgpuBackend, RetargetsGfx90aBitcodeToGfx942) {
  std::string codeObject, log;
  ASSERT_TRUE(compileAmdgpuCodeObject(bitcodeOf(kGfx90aKernel), "gfx942", codeObject, log))
      << log;
  ASSERT_GE(codeObject.size(), 64u);
  // A shared object (ET_DYN) for AMDGPU (EM_AMDGPU = 224) whose e_flags
  // name gfx942 (0x4c in the low byte).
  EXPECT_EQ(codeObject.compare(0, 4, "\x7f" "ELF"), 0);
  uint16_t type, machine;
  uint32_t flags;
  std::memcpy(&type, codeObject.data() + 16, 2);
  std::memcpy(&machine, codeObject.data() + 18, 2);
  std::memcpy(&flags, codeObject.data() + 48, 4);
  EXPECT_EQ(type, 3);
  EXPECT_EQ(machine, 224);
  EXPECT_EQ(flags & 0xff, 0x4cu);
  EXPECT_NE(codeObject.find("amdgcn-amd-amdhsa--gfx942"), std::string::npos);
  // The kernel stores gfx942's ISA version (9402) as an immediate, never
  // gfx90a's (9010).
  const uint32_t gfx942Isa = 9402, gfx90aIsa = 9010;
  EXPECT_TRUE(contains(codeObject, &gfx942Isa, sizeof gfx942Isa));
  EXPECT_FALSE(contains(codeObject, &gfx90aIsa, sizeof gfx90aIsa));
  // Code object version 4, as the libraries' ABI version says: the
  // metadata's amdhsa.version is the msgpack array [1, 1].
  size_t version = codeObject.find("amdhsa.version");
  ASSERT_NE(version, std::string::npos);
  EXPECT_EQ(codeObject.compare(version + 14, 3, "\x92\x01\x01"), 0);
}

TEST(AmdgpuBackend, RejectsBitcodeItCannotRead) {
  std::string codeObject, log;
  EXPECT_FALSE(compileAmdgpuCodeObject("not bitcode", "gfx942", codeObject, log));
  EXPECT_NE(log.find("cannot read the front end's bitcode"), std::string::npos) << log;
  EXPECT_TRUE(codeObject.empty());
}

TEST(AmdgpuBackend, ReportsWhatCodeGenerationRejects) {
  std::string codeObject, log;
  EXPECT_FALSE(compileAmdgpuCodeObject(bitcodeOf(kTooMuchLds), "gfx942", codeObject, log));
  EXPECT_NE(log.find("local memory"), std::string::npos) << log;
}

} // namespace
