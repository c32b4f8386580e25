//===- TargetInfo.h - What a GPU architecture gives kernel templates -*- C++ -*-===//
//
// One interface for every GPU target (STYLE.md 8): kernel templates ask it
// for the warp size, the preamble that defines element conversions, warp
// shuffles and matrix-instruction fragments, and the matrix instruction
// for an element type. They never ask which vendor it is. CudaTarget
// (sm_80 to sm_90, NVRTC) and HipTarget (gfx90a, gfx942, hipRTC) implement
// it. The facts about the hardware (compute units, warp size, which matrix
// instructions the code may use) are those of the target's #r1k.target,
// which describeGpuTarget builds and the select passes read too.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_TARGETINFO_H
#define R1C_CODEGEN_GPU_TARGETINFO_H

#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>

namespace r1c::gpu {

/// A warp-level matrix multiply-accumulate with fp32 accumulators, as the
/// preamble exposes it. One call of `function`
///   void F(r1_mma_acc &acc, const S *a, int lda, const S *b, int ldb, int lane)
/// where S is the element's storage type (16-bit patterns for f16 and
/// bf16, float for f32) adds A (m x k, row-major in shared memory, row
/// stride lda) times
/// B (k x n, row-major, row stride ldb) into the warp's m x n accumulator
/// tile. Lane `lane` holds `accumulators` floats of it, `acc.v[i]` being
/// element (r1_mma_row(lane, i), r1_mma_col(lane, i)).
///
/// AMD's (HipTarget) is the instruction alone, on registers:
///   void F(r1_mfma_acc &acc, unsigned a0, unsigned a1, unsigned b0, unsigned b1)
/// adds one v_mfma_f32_32x32x8 of the lane's operand registers into the
/// wave's 32 x 32 accumulator tile; the template (MfmaGemmPrinter.cpp)
/// gathers the operands and places the accumulators as the ISA lays them out.
struct MatrixInstruction {
  int m, n, k;
  int accumulators;
  /// The preamble's device function, e.g. "r1_mma_f16" or "r1_mfma_f16".
  std::string function;
  /// The hardware instruction, for comments in the printed source.
  std::string instruction;
  /// A preamble function each value passes through as it is staged in
  /// shared memory ("r1_round_tf32"), or empty to stage values as stored.
  std::string stageConversion = "";
  /// The preamble's function of one instruction on fragment registers
  /// ("r1_mma_m16n8k16_f16"), for templates that load fragments
  /// themselves; empty where the target has none.
  std::string fragmentFunction = "";
};

/// Which in-process compiler builds a target's source.
enum class GpuCompilerKind { Nvrtc, Hiprtc };

/// What a compile asks of every GPU target (r1c's options).
struct GpuCodegenOptions {
  /// f32 matrix products may round their inputs to TF32 (10-bit mantissa)
  /// to use tensor cores (--tf32); by default they run FFMA in full f32.
  bool allowTf32 = false;
};

class TargetInfo {
public:
  virtual ~TargetInfo() = default;

  /// The description the select passes chose this target's variants by.
  mlir::r1k::TargetAttr getDescription() const { return description; }
  /// The architecture name as given to --target: "sm_90", "gfx90a".
  llvm::StringRef getArch() const { return description.getName(); }
  /// "CUDA" or "HIP", for messages and comments.
  virtual llvm::StringRef getLanguageName() const = 0;
  /// ".cu" or ".hip", for --emit=kernels.
  virtual llvm::StringRef getSourceExtension() const = 0;
  virtual GpuCompilerKind getCompilerKind() const = 0;

  /// Threads that run in lockstep and exchange registers by shuffles.
  int getWarpSize() const { return description.getWarpSize(); }
  /// Streaming multiprocessors (compute units) of the architecture's
  /// largest part.
  int getMultiprocessorCount() const { return description.getComputeUnits(); }

  /// Source placed before every kernel: storage types, conversions between
  /// them and float, the shuffle `r1_shfl_xor`, block reductions and the
  /// matrix fragments. It includes no header: NVRTC and hipRTC must compile
  /// it with nothing but their built-in definitions.
  virtual std::string getPreamble() const = 0;

  /// The matrix instruction for inputs of `element` type with fp32
  /// accumulation, where the description's `matrix_ops` has one (f16,
  /// bf16; f32 as TF32 where that is allowed); std::nullopt elsewhere.
  virtual std::optional<MatrixInstruction> getMatrixInstruction(mlir::Type element) const = 0;

protected:
  explicit TargetInfo(mlir::r1k::TargetAttr description) : description(description) {}

private:
  mlir::r1k::TargetAttr description;
};

/// NVIDIA GPUs from Ampere on (sm_80, sm_86, sm_89, sm_90): CUDA C++ for
/// NVRTC, warps of 32, `mma.sync.aligned.m16n8k16` for f16 and bf16, and
/// `m16n8k8` for TF32 when the description allows it (`mma.tf32`).
class CudaTarget : public TargetInfo {
public:
  explicit CudaTarget(mlir::r1k::TargetAttr description) : TargetInfo(description) {}
  llvm::StringRef getLanguageName() const override { return "CUDA"; }
  llvm::StringRef getSourceExtension() const override { return ".cu"; }
  GpuCompilerKind getCompilerKind() const override { return GpuCompilerKind::Nvrtc; }
  std::string getPreamble() const override;
  std::optional<MatrixInstruction> getMatrixInstruction(mlir::Type element) const override;
};

/// AMD CDNA GPUs (gfx90a, gfx942): HIP C++ for hipRTC, wavefronts of 64,
/// `v_mfma_f32_32x32x8f16` and its bf16 form for f16 and bf16. gfx90a has
/// no TF32 instruction, so f32 stays FFMA even where TF32 is allowed.
class HipTarget : public TargetInfo {
public:
  explicit HipTarget(mlir::r1k::TargetAttr description) : TargetInfo(description) {}
  llvm::StringRef getLanguageName() const override { return "HIP"; }
  llvm::StringRef getSourceExtension() const override { return ".hip"; }
  GpuCompilerKind getCompilerKind() const override { return GpuCompilerKind::Hiprtc; }
  std::string getPreamble() const override;
  std::optional<MatrixInstruction> getMatrixInstruction(mlir::Type element) const override;
};

/// The part of every preamble that is the same C++ for CUDA and HIP. It
/// relies on what each target's part defines first: R1_DEVICE (how helper
/// functions are declared), R1_WARP, r1_f16_to_f32, r1_f32_to_f16 and
/// r1_shfl_xor.
std::string getCommonPreamble();

/// A preamble from its parts, each after a `// r1c section: NAME` line
/// (target, common, matrix and, where a target has one, fragments), so
/// tools that run printed kernels some other way can swap the target's
/// instructions (target, matrix) for their own and keep the rest.
std::string joinPreamble(llvm::StringRef target, llvm::StringRef common, llvm::StringRef matrix,
                         llvm::StringRef fragments = "");

/// The architectures r1c compiles for, in the order --help lists them.
llvm::ArrayRef<llvm::StringRef> getSupportedGpuArchs();

/// The description of `arch` ("sm_80", "gfx90a", ...) that select passes
/// read and TargetInfo answers from: the compute units and shared memory
/// of the architecture's largest part, its warp size and registers, and
/// the matrix instructions the code may use (TF32 for f32 only with
/// options.allowTf32). Null if r1c does not support `arch`.
mlir::r1k::TargetAttr describeGpuTarget(mlir::MLIRContext *context, llvm::StringRef arch,
                                        const GpuCodegenOptions &options = {});

/// The target that `description` (from describeGpuTarget) describes; null
/// if r1c does not support its architecture.
std::unique_ptr<TargetInfo> createTargetInfo(mlir::r1k::TargetAttr description);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_TARGETINFO_H
