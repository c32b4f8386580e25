//===- HostEmitter.h - Plan-phase IR to an LLVM module for x86-64 -*- C++ -*-===//
//
// The host emitter reads the plan phase (kernels with arena offsets) and
// builds one LLVM module: a function per kernel and an entry point that runs
// them in order. It never changes the MLIR it reads.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_HOSTEMITTER_H
#define R1C_CODEGEN_HOST_HOSTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace r1c {

struct HostModuleInfo {
  /// C identifier prefix of the model's symbols, e.g. "mlp" for mlp_run.
  std::string symbolPrefix = "r1c_model";
};

/// Builds the LLVM module for the plan-phase `module`. The entry point is
///   void PREFIX_run(void *const *inputs, void *const *outputs, void *arena);
/// and `PREFIX_arena_size` holds the arena's size in bytes. Weights are
/// constants inside the module. Emits an MLIR diagnostic naming the kernel
/// and returns null for what the host target cannot compile yet.
std::unique_ptr<llvm::Module> emitHostModule(mlir::ModuleOp module,
                                             llvm::LLVMContext &context,
                                             const HostModuleInfo &info);

/// A C header declaring the entry point of `module`, with the inputs and
/// outputs named and typed in comments.
std::string emitHostHeader(mlir::ModuleOp module, const HostModuleInfo &info);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_HOSTEMITTER_H
