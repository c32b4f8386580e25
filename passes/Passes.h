//===- Passes.h - Passes of r1c ---------------------------------*- C++ -*-===//
#ifndef R1C_PASSES_PASSES_H
#define R1C_PASSES_PASSES_H

#include "dialects/R1/IR/R1Dialect.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::r1 {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::r1

#endif // R1C_PASSES_PASSES_H
