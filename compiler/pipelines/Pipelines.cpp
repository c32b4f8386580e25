//===- Pipelines.cpp - Named pass pipelines of r1c ------------------------===//
#include "compiler/pipelines/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace r1c {

static const llvm::StringRef kPhaseNames[] = {"import", "graph"};

std::optional<CompilePhase> parseCompilePhase(llvm::StringRef name) {
  if (name == "import")
    return CompilePhase::Import;
  if (name == "graph")
    return CompilePhase::Graph;
  return std::nullopt;
}

llvm::StringRef getCompilePhaseName(CompilePhase phase) {
  return kPhaseNames[static_cast<int>(phase)];
}

llvm::ArrayRef<llvm::StringRef> getCompilePhaseNames() { return kPhaseNames; }

void buildGraphPassPipeline(OpPassManager &pm, const GraphPipelineOptions &) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(r1::createLegalizeOnnx());
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
}

void buildPipelineToPhase(OpPassManager &pm, CompilePhase phase) {
  if (phase >= CompilePhase::Graph)
    buildGraphPassPipeline(pm, GraphPipelineOptions{});
}

void registerR1CPipelines() {
  PassPipelineRegistration<>(
      "r1c-graph-pipeline", "Legalize imported ONNX nodes into a folded r1 graph",
      [](OpPassManager &pm) { buildGraphPassPipeline(pm, GraphPipelineOptions{}); });
}

} // namespace r1c
