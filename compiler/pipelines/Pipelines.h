//===- Pipelines.h - Named pass pipelines of r1c ----------------*- C++ -*-===//
//
// Each phase boundary of the compiler is a named pipeline, so `r1c
// --compile-to=<phase>` and `r1c-opt --r1c-<phase>-pipeline` produce the same,
// testable IR.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PIPELINES_PIPELINES_H
#define R1C_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace r1c {

/// Where compilation stops; each phase is printable IR.
enum class CompilePhase {
  Import, ///< one r1.onnx_node per ONNX node, as imported
  Graph,  ///< typed r1 ops, folded and canonicalized
  Kernel, ///< r1k.kernel ops: an anchor and its fused elementwise body
  Plan,   ///< kernels with arena offsets for their results
};

std::optional<CompilePhase> parseCompilePhase(llvm::StringRef name);
llvm::StringRef getCompilePhaseName(CompilePhase phase);
/// Phase names, in pipeline order, for help texts.
llvm::ArrayRef<llvm::StringRef> getCompilePhaseNames();

struct GraphPipelineOptions {
  /// r1c-fuse-attention runs (off only to compare with the unfused chain).
  bool fuseAttention = true;
  /// r1c-select-precision's policy: fp32, bf16 or fp16.
  std::string precision = "fp32";
  /// r1c-select-precision's int8-smoothing: alpha of int8 matmul smoothing
  /// (0 for off).
  double int8Smoothing = 0.75;
  /// r1c-select-precision's int8-bias-correction: take off the mean shift
  /// of int8 weight rounding where calibration measured channel means.
  bool int8BiasCorrection = true;
};

/// Import -> graph: legalize ONNX nodes, fold, canonicalize, deduplicate,
/// transpose constant weights once, fold batch norms into convolutions,
/// fuse what exporters spell out (layer norm, attention). The ops are still
/// f32 here: calibration measures this IR.
void buildGraphPassPipeline(mlir::OpPassManager &pm, const GraphPipelineOptions &options);

/// The end of the graph phase: decide and apply each op's number format
/// (nothing for fp32). Formats that need measured ranges read the
/// r1.operand_ranges calibration wrote between the two.
void buildPrecisionPassPipeline(mlir::OpPassManager &pm, const GraphPipelineOptions &options);

struct KernelPipelineOptions {
  /// r1c-select-variants: where to append every candidate ('-': stderr;
  /// empty: nowhere).
  std::string variantLog;
  /// Constant weights may be stored packed in the host code.
  bool packWeights = true;
  /// A tuning database whose measured variants win (empty: none).
  std::string tuningDb;
  /// r1c-select-attention-gate's policy: dense, or gated[:...].
  std::string sparseAttention = "dense";
};
/// Graph -> kernel: decide which attentions are gated, group ops into
/// kernels with fused epilogues, and choose each kernel's variant for the
/// module's targets (r1k.targets).
void buildKernelPassPipeline(mlir::OpPassManager &pm, const KernelPipelineOptions &options);

/// Kernel -> plan: place every kernel result in the static arena.
void buildPlanPassPipeline(mlir::OpPassManager &pm);

/// Adds the passes that take freshly imported IR to `phase`.
void buildPipelineToPhase(mlir::OpPassManager &pm, CompilePhase phase,
                          const KernelPipelineOptions &kernelOptions = {},
                          const GraphPipelineOptions &graphOptions = {});

/// Adds the passes that take graph IR (buildGraphPassPipeline's, with any
/// calibrated ranges) to `phase`: precision, then kernel and plan.
void buildPipelineFromGraph(mlir::OpPassManager &pm, CompilePhase phase,
                            const KernelPipelineOptions &kernelOptions,
                            const GraphPipelineOptions &graphOptions);

/// Registers the named pipelines for r1c-opt (--r1c-graph-pipeline,
/// --r1c-kernel-pipeline).
void registerR1CPipelines();

} // namespace r1c

#endif // R1C_COMPILER_PIPELINES_PIPELINES_H
