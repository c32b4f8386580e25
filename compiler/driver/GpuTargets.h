//===- GpuTargets.h - --target lists and GPU kernel compilation -*- C++ -*-===//
//
// `--target` takes a comma list of the host and GPU architectures
// (`--target=sm_80,sm_90,gfx90a,host`). For each GPU architecture r1c
// prints every kernel of every shape bucket's plan as CUDA or HIP C++ and
// compiles it in-process (NVRTC, hipRTC). `--emit=kernels -o DIR` writes
// the sources and what they compiled to; GPU sections of the artifact are
// not written yet (docs/design/gpu-codegen.md).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_GPUTARGETS_H
#define R1C_COMPILER_DRIVER_GPUTARGETS_H

#include "compiler/driver/CompilerDriver.h"

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

/// One shape bucket's plan-phase function, and the prefix of its kernels'
/// names ("batch8"; empty for a model without symbolic dims).
struct GpuEntry {
  mlir::func::FuncOp function;
  std::string stem;
};

/// Prints and compiles every kernel of `entries` for each of
/// targets.gpuArchs; writes them with --emit=kernels, and reports counts
/// with --stats. Returns the process exit code; errors name the kernel and
/// its ONNX nodes.
int emitGpuTargets(llvm::ArrayRef<GpuEntry> entries, const CodegenTargets &targets,
                   const CompilerOptions &options);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_GPUTARGETS_H
