//===- KernelPrinter.h - One r1k.kernel as CUDA or HIP source ---*- C++ -*-===//
//
// The GPU printer reads a plan-phase kernel (an anchor and its fused
// elementwise body, static shapes) and writes one `extern "C" __global__`
// function from the template of its anchor, with the launch shape it was
// written for. It never changes the IR.
//
// The function's contract, which the runtime's launch list must keep:
//   - one pointer parameter per kernel input, then one per result, in the
//     kernel's order; each points at a dense row-major buffer of the
//     tensor's storage type (f16 and bf16 as 16-bit patterns, i1 as one
//     byte per element) and is 16-byte aligned;
//   - then, where `launch.scratch` says so, a pointer to the kernel's arena
//     scratch, 64-byte aligned, which no input or result overlaps;
//   - it is launched with exactly `launch` (grid, block, dynamic shared
//     memory); the source also names the block size in __launch_bounds__;
//   - results never overlap inputs, except that an "elementwise" kernel may
//     write over an input of its result's shape (the memory plan does that),
//     which its one-thread-per-element template allows.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_KERNELPRINTER_H
#define R1C_CODEGEN_GPU_KERNELPRINTER_H

#include "codegen/gpu/TargetInfo.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/IR/BuiltinTypes.h"

#include <array>
#include <string>
#include <vector>

namespace r1c::gpu {

struct LaunchShape {
  std::array<int64_t, 3> grid = {1, 1, 1};
  std::array<int64_t, 3> block = {1, 1, 1};
  /// Dynamic shared memory in bytes (templates declare theirs statically
  /// today, so this is 0).
  int64_t sharedBytes = 0;
  /// Whether the function takes the kernel's arena scratch
  /// (r1k::getScratchBytes) as a last parameter, `r1_scratch`.
  bool scratch = false;
};

struct KernelParameter {
  /// "p0".. for inputs, "r0".. for results, as the source names them.
  std::string name;
  mlir::RankedTensorType type;
  bool isResult = false;
};

struct PrintedKernel {
  /// The kernel's name in the plan, e.g. "k3_matmul", and for a launch
  /// before its last one, that launch's suffix ("k3_scatter_nd_copy").
  std::string kernelName;
  /// The function's name: the anchor and a hash of the source, so kernels
  /// that print the same share a symbol and, after deduplication, a binary.
  std::string symbol;
  /// The translation unit to compile: the target's preamble and the function.
  std::string source;
  LaunchShape launch;
  std::vector<KernelParameter> parameters;
  /// The ONNX nodes whose ops the kernel holds, in order, for messages.
  std::vector<std::string> nodes;
};

/// Prints `kernel` for `target`: one function per launch, in the order they
/// run (one for most anchors; a scatter copies, then updates). Emits an
/// error on the op that has no template (or on the kernel, for shapes or
/// types GPU code cannot take) and returns failure.
mlir::FailureOr<std::vector<PrintedKernel>> printKernel(mlir::r1k::KernelOp kernel,
                                                        const TargetInfo &target);

/// A comment block for a written source file: the kernel, its nodes, the
/// target, the launch shape and the parameters.
std::string describeKernel(const PrintedKernel &kernel, const TargetInfo &target);

/// "Softmax#0, Add#2": the nodes as one list.
std::string joinNodes(const std::vector<std::string> &nodes);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_KERNELPRINTER_H
