//===- Tuning.h - Measured variant selection for host kernels ---*- C++ -*-===//
//
// `r1c --tune`: the cost model ranks each host GEMM's candidates; tuning
// times the best few on this machine and records the fastest in the tuning
// database, which r1c-select-variants then prefers
// (docs/design/variants.md).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_TUNING_H
#define R1C_COMPILER_DRIVER_TUNING_H

#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/TuningDatabase.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace r1c {

/// Times the best candidates of every host GEMM problem of `functions`
/// (kernel-level or plan-phase) that `database` does not hold yet, on one
/// thread of this machine, built for `cpu`, and records each problem's
/// fastest. `report` is told which kernel is being tuned. Returns false
/// with `error` set when a candidate cannot be built or loaded.
bool tuneHostKernels(llvm::ArrayRef<mlir::func::FuncOp> functions, const std::string &cpu,
                     mlir::r1k::TargetAttr target, bool packWeights, TuningDatabase &database,
                     llvm::function_ref<void(const std::string &)> report, std::string &error);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_TUNING_H
