//===- TargetDescription.cpp - The facts about each GPU architecture ------===//
//
// One table, read into the #r1k.target that select passes choose variants
// by and that TargetInfo answers the printers from. Shared memory is what
// one block may use with an opt-in (and what a compute unit holds);
// registers are 32-bit, per compute unit.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/TargetInfo.h"

#include "mlir/IR/Builders.h"

namespace r1c::gpu {
namespace {

struct GpuArchitecture {
  llvm::StringLiteral name;
  /// SMs or CUs of the architecture's largest part.
  int64_t computeUnits;
  int64_t warpSize;
  int64_t sharedPerBlock, sharedPerUnit;
  int64_t registersPerUnit;
  /// The matrix instructions' family: "mma" (mma.sync) or "mfma".
  llvm::StringLiteral matrixFamily;
  /// Whether the family has a TF32 form for f32 inputs.
  bool hasTf32;
  /// Whether wgmma (sm_90a's warpgroup MMA) comes before the family for
  /// f16 and bf16.
  bool hasWgmma = false;
};

constexpr GpuArchitecture kArchitectures[] = {
    // A100, A40, RTX 4090 / L40, H100 and H200.
    {"sm_80", 108, 32, 166912, 167936, 65536, "mma", true},
    {"sm_86", 84, 32, 101376, 102400, 65536, "mma", true},
    {"sm_89", 128, 32, 101376, 102400, 65536, "mma", true},
    {"sm_90", 132, 32, 232448, 233472, 65536, "mma", true},
    // H100 and H200 with their architecture-specific instructions (wgmma),
    // whose code runs on those GPUs only.
    {"sm_90a", 132, 32, 232448, 233472, 65536, "mma", true, true},
    // One MI250X die, and MI300X: 64 KiB of LDS and 512 KiB of vector
    // registers per CU.
    {"gfx90a", 110, 64, 65536, 65536, 131072, "mfma", false},
    {"gfx942", 304, 64, 65536, 65536, 131072, "mfma", false},
};

} // namespace

llvm::ArrayRef<llvm::StringRef> getSupportedGpuArchs() {
  static const std::vector<llvm::StringRef> archs = [] {
    std::vector<llvm::StringRef> names;
    for (const GpuArchitecture &arch : kArchitectures)
      names.push_back(arch.name);
    return names;
  }();
  return archs;
}

mlir::r1k::TargetAttr describeGpuTarget(mlir::MLIRContext *context, llvm::StringRef name,
                                        const GpuCodegenOptions &options) {
  const GpuArchitecture *arch = llvm::find_if(
      kArchitectures, [&](const GpuArchitecture &entry) { return entry.name == name; });
  if (arch == std::end(kArchitectures))
    return nullptr;
  context->getOrLoadDialect<mlir::r1k::R1KDialect>();
  mlir::Builder builder(context);
  llvm::SmallVector<mlir::Attribute> matrixOps;
  if (arch->hasWgmma)
    for (llvm::StringRef type : {"f16", "bf16"})
      matrixOps.push_back(builder.getStringAttr("wgmma." + type));
  for (llvm::StringRef type : {"f16", "bf16"})
    matrixOps.push_back(builder.getStringAttr(arch->matrixFamily + "." + type));
  if (arch->hasTf32 && options.allowTf32)
    matrixOps.push_back(builder.getStringAttr(arch->matrixFamily + ".tf32"));
  return mlir::r1k::TargetAttr::get(
      context, arch->name, /*cpu=*/"", /*features=*/nullptr, /*vector_bits=*/0,
      /*vector_registers=*/0, /*l1_bytes=*/0, /*l2_bytes=*/0, /*l3_bytes=*/0, /*cores=*/1,
      /*fma_per_cycle=*/0, arch->computeUnits, arch->warpSize, arch->sharedPerBlock,
      arch->sharedPerUnit, arch->registersPerUnit, builder.getArrayAttr(matrixOps));
}

} // namespace r1c::gpu
