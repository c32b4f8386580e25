//===- R1Ops.h - Ops of the r1 graph dialect -------------------*- C++ -*-===//
#ifndef R1C_DIALECTS_R1_IR_R1OPS_H
#define R1C_DIALECTS_R1_IR_R1OPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/R1/IR/R1Dialect.h"

#include <array>

#define GET_OP_CLASSES
#include "dialects/R1/IR/R1Ops.h.inc"

namespace mlir::r1 {

/// Elementwise ops: each result element comes from the same (broadcast)
/// element of each operand. Kernel formation fuses them; emitters compute
/// them one element at a time.
bool isElementwise(Operation *op);

/// Ops that only reinterpret a tensor's dims (reshape, squeeze, unsqueeze,
/// flatten): no data moves, so they alias their input's storage.
bool isView(Operation *op);

/// For a result whose dims depend on data, not only on its operands' types
/// (a reduction over axes that arrive as a tensor, r1.keep_leading), the most
/// elements it can have; std::nullopt for every other value, and when no
/// bound is known.
std::optional<int64_t> getDataDependentShapeBound(Value value);

} // namespace mlir::r1

#endif // R1C_DIALECTS_R1_IR_R1OPS_H
