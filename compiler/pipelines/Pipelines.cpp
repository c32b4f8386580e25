//===- Pipelines.cpp - Named pass pipelines of r1c ------------------------===//
#include "compiler/pipelines/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace r1c {

static const llvm::StringRef kPhaseNames[] = {"import", "graph", "kernel", "plan"};

std::optional<CompilePhase> parseCompilePhase(llvm::StringRef name) {
  if (name == "import")
    return CompilePhase::Import;
  if (name == "graph")
    return CompilePhase::Graph;
  if (name == "kernel")
    return CompilePhase::Kernel;
  if (name == "plan")
    return CompilePhase::Plan;
  return std::nullopt;
}

llvm::StringRef getCompilePhaseName(CompilePhase phase) {
  return kPhaseNames[static_cast<int>(phase)];
}

llvm::ArrayRef<llvm::StringRef> getCompilePhaseNames() { return kPhaseNames; }

void buildGraphPassPipeline(OpPassManager &pm, const GraphPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(r1::createLegalizeOnnx());
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
  func.addPass(r1::createFoldWeightTransposes());
  func.addPass(r1::createFoldBatchNorms());
  func.addPass(r1::createFuseDecomposedOps());
  func.addPass(r1::createFuseQuantizedContractions());
  if (options.fuseAttention)
    func.addPass(r1::createFuseAttention());
}

void buildPrecisionPassPipeline(OpPassManager &pm, const GraphPipelineOptions &options) {
  if (options.precision != "fp32") {
    OpPassManager &func = pm.nest<func::FuncOp>();
    func.addPass(r1::createSelectPrecision(
        {options.precision, options.int8Smoothing, options.int8BiasCorrection}));
    func.addPass(r1::createApplyPrecision());
    // int8 leaves QDQ around its contractions, made integer here.
    func.addPass(r1::createFuseQuantizedContractions());
    func.addPass(createCanonicalizerPass());
    func.addPass(createCSEPass());
  }
}

void buildKernelPassPipeline(OpPassManager &pm, const KernelPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(r1::createSelectAttentionGate({options.sparseAttention}));
  func.addPass(r1::createFormKernels());
  func.addPass(createCSEPass());
  pm.addPass(
      r1::createSelectVariants({options.variantLog, options.packWeights, options.tuningDb}));
}

void buildPlanPassPipeline(OpPassManager &pm) {
  pm.nest<func::FuncOp>().addPass(r1::createPlanMemory());
}

void buildPipelineToPhase(OpPassManager &pm, CompilePhase phase,
                          const KernelPipelineOptions &kernelOptions,
                          const GraphPipelineOptions &graphOptions) {
  if (phase >= CompilePhase::Graph)
    buildGraphPassPipeline(pm, graphOptions);
  buildPipelineFromGraph(pm, phase, kernelOptions, graphOptions);
}

void buildPipelineFromGraph(OpPassManager &pm, CompilePhase phase,
                            const KernelPipelineOptions &kernelOptions,
                            const GraphPipelineOptions &graphOptions) {
  if (phase >= CompilePhase::Graph)
    buildPrecisionPassPipeline(pm, graphOptions);
  if (phase >= CompilePhase::Kernel)
    buildKernelPassPipeline(pm, kernelOptions);
  if (phase >= CompilePhase::Plan)
    buildPlanPassPipeline(pm);
}

void registerR1CPipelines() {
  PassPipelineRegistration<>(
      "r1c-graph-pipeline", "Legalize imported ONNX nodes into a folded r1 graph",
      [](OpPassManager &pm) { buildGraphPassPipeline(pm, GraphPipelineOptions{}); });
  PassPipelineRegistration<>(
      "r1c-kernel-pipeline", "Group a legalized r1 graph into r1k kernels",
      [](OpPassManager &pm) { buildKernelPassPipeline(pm, KernelPipelineOptions{}); });
}

} // namespace r1c
