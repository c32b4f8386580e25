//===- OptimizationPipeline.h - LLVM's O3 pipeline for a target -*- C++ -*-===//
#ifndef R1C_CODEGEN_LLVM_OPTIMIZATIONPIPELINE_H
#define R1C_CODEGEN_LLVM_OPTIMIZATIONPIPELINE_H

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace r1c {

/// Runs LLVM's default O3 module pipeline on `module`, with `machine`'s
/// own passes and cost model, and loop and SLP vectorization on.
void runO3Pipeline(llvm::Module &module, llvm::TargetMachine &machine);

} // namespace r1c

#endif // R1C_CODEGEN_LLVM_OPTIMIZATIONPIPELINE_H
