//===- GemmTemplates.h - The GEMM templates printGemm dispatches to -*- C++ -*-===//
//
// Internal to codegen/gpu. printGemm (GemmPrinter.cpp) reads the kernel's
// #r1k.gpu_gemm variant and hands the problem to the template it names;
// templates with a file of their own are declared here.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_GEMMTEMPLATES_H
#define R1C_CODEGEN_GPU_GEMMTEMPLATES_H

#include "codegen/gpu/KernelWriter.h"
#include "codegen/gpu/TargetInfo.h"
#include "dialects/R1K/IR/R1KDialect.h"

namespace r1c::gpu {

/// The error for a variant a template cannot print: r1c-select-variants
/// writes only variants the templates take.
mlir::LogicalResult unprintableGemm(mlir::Operation *at, mlir::r1k::GpuGemmAttr variant,
                                    llvm::StringRef needs);

/// `mma` with two or more stages (MmaGemmPrinter.cpp): f16 and bf16 on
/// sm_80 to sm_90, a cp.async pipeline into swizzled shared memory,
/// fragments through ldmatrix.
mlir::LogicalResult printPipelinedMmaGemm(KernelWriter &w, const GemmProblem &p,
                                          const MatrixInstruction &mi,
                                          mlir::r1k::GpuGemmAttr variant, mlir::Operation *at);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_GEMMTEMPLATES_H
