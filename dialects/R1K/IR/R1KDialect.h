//===- R1KDialect.h - The r1k kernel-level dialect -------------*- C++ -*-===//
#ifndef R1C_DIALECTS_R1K_IR_R1KDIALECT_H
#define R1C_DIALECTS_R1K_IR_R1KDIALECT_H

#include "dialects/R1/IR/R1Dialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/R1K/IR/R1KDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/R1K/IR/R1KOps.h.inc"

namespace mlir::r1k {

/// The most elements a kernel result (or a view of one) whose dims are
/// computed at run time can have: r1::getDataDependentShapeBound of the
/// value the kernel yields. std::nullopt for any other value.
std::optional<int64_t> getDataDependentShapeBound(Value value);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_R1KDIALECT_H
