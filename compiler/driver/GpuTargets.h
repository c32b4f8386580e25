//===- GpuTargets.h - --target lists and GPU kernel compilation -*- C++ -*-===//
//
// `--target` takes a comma list of the host and GPU architectures
// (`--target=sm_80,sm_90,gfx90a,host`). For each GPU architecture r1c
// prints every kernel of every shape bucket's plan as CUDA or HIP C++ and
// compiles it in-process (NVRTC, hipRTC), then plans the launches of each
// bucket for the artifact (docs/design/gpu-codegen.md). `--emit=kernels -o
// DIR` writes the sources, what they compiled to and the launch lists.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_GPUTARGETS_H
#define R1C_COMPILER_DRIVER_GPUTARGETS_H

#include "compiler/driver/CompilerDriver.h"
#include "codegen/host/WeightLayout.h"
#include "r1c/artifact_writer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace r1c {

/// What --target asked for.
struct CodegenTargets {
  bool host = false;
  /// GPU architectures in the order given, each once.
  std::vector<std::string> gpuArchs;

  bool any() const { return host || !gpuArchs.empty(); }
};

/// Parses options.target (empty: no code generation) and checks that
/// options.emit goes with it. On error prints one line naming the entry or
/// option at fault and returns std::nullopt.
std::optional<CodegenTargets> parseCodegenTargets(const CompilerOptions &options);

/// One shape bucket's plan-phase function, the prefix of its kernels'
/// names ("batch8"; empty for a model without symbolic dims), and the dims
/// it takes and makes, as the host plan records them (symbol: the
/// bucket's name in the device plan).
struct GpuEntry {
  mlir::func::FuncOp function;
  std::string stem;
  HostPlanEntry signature;
};

/// Prints and compiles every kernel of `entries` for each of
/// targets.gpuArchs and plans their launches. Adds a CUDA_CODE or HIP_CODE
/// section per architecture and the device weights to `artifact`; writes
/// the kernels and launch lists instead with --emit=kernels (`artifact`
/// null). Reports counts with --stats. Returns the process exit code;
/// errors name the kernel and its ONNX nodes. The kernels read the weights
/// at `weights`' offsets (WeightPlacement.h), which the caller writes; null:
/// the model has none.
int emitGpuTargets(llvm::ArrayRef<GpuEntry> entries, const CodegenTargets &targets,
                   const CompilerOptions &options, ArtifactWriter *artifact,
                   const WeightLayout *weights);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_GPUTARGETS_H
