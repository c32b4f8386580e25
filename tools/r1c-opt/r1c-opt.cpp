//===- r1c-opt.cpp - Runs r1c passes on MLIR files, for tests -------------===//
//
// Registers only the dialects and passes r1c uses, so tests exercise exactly
// what the compiler runs.
//
//===----------------------------------------------------------------------===//
#include "compiler/pipelines/Pipelines.h"
#include "dialects/R1/IR/R1Dialect.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::r1::R1Dialect, mlir::r1k::R1KDialect, mlir::func::FuncDialect>();
  mlir::r1::registerR1CPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  r1c::registerR1CPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "r1c optimizer driver\n", registry));
}
