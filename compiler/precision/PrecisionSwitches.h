//===- PrecisionSwitches.h - One model that runs any precision mix -*- C++ -*-===//
//
// --precision=auto measures what lowering each matmul and convolution costs
// in accuracy, alone and in mixes. Compiling a model per mix would take
// minutes; instead one f32 model reads, per (op, format), a switch from an
// extra input, and each switched-on op reads its operands as the format
// would give them: an int8 op its activation through ui8 codes and its
// weight's per-channel i8 codes, dequantized; a bf16 op both rounded to
// bf16. Its f32 sums then differ from the lowered kernel's by summation
// order only.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PRECISION_PRECISIONSWITCHES_H
#define R1C_COMPILER_PRECISION_PRECISIONSWITCHES_H

#include "passes/PrecisionRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace r1c {

/// One switch: `op` computes in `format` when it is on.
struct PrecisionSwitch {
  mlir::Operation *op;
  mlir::r1::LoweredFormat format;
};

/// The name of the switches' input.
inline constexpr llvm::StringLiteral kPrecisionSwitchesInput = "__precision_switches";

/// The switched model's switches and the ops they act on.
struct SwitchedModel {
  llvm::SmallVector<PrecisionSwitch> switches;
  /// Every op with a switch, in walk order; `switchOp[j]` indexes it.
  llvm::SmallVector<mlir::Operation *> ops;
  llvm::SmallVector<size_t> switchOp;
  /// The model's own results, before the ops' results appended after them.
  unsigned modelResults = 0;
};

/// Gives `func` (graph phase, f32, calibrated where int8 is asked for) a
/// last argument `__precision_switches: tensor<N x f32>`, one element per
/// switch (1 on, 0 off), for every lowerable contraction and each of
/// `formats` it can take, and returns every such op's result after the
/// model's results, so that runs can say which op departs first. Nothing
/// changes when there is no switch. int8 is emulated smoothed with alpha
/// `int8Smoothing` (0 for off) where int8 compiles the op smoothed, and
/// with `int8BiasCorrection` has the bias shift taken off where int8
/// compiles the op corrected.
SwitchedModel insertPrecisionSwitches(mlir::func::FuncOp func,
                                      llvm::ArrayRef<mlir::r1::LoweredFormat> formats,
                                      double int8Smoothing = 0.0, bool int8BiasCorrection = false);

} // namespace r1c

#endif // R1C_COMPILER_PRECISION_PRECISIONSWITCHES_H
