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

#define GET_OP_CLASSES
#include "dialects/R1/IR/R1Ops.h.inc"

#endif // R1C_DIALECTS_R1_IR_R1OPS_H
