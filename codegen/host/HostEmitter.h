//===- HostEmitter.h - Plan-phase IR to an LLVM module for x86-64 -*- C++ -*-===//
//
// The host emitter reads the plan phase (kernels with arena offsets) and
// builds one LLVM module: a function per kernel and an entry point that runs
// them in order. It never changes the MLIR it reads.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_HOSTEMITTER_H
#define R1C_CODEGEN_HOST_HOSTEMITTER_H

#include "codegen/host/WeightLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace r1c {

/// One x86-64 level a host module is built for.
struct HostIsaBuild {
  /// LLVM's name of the level ("x86-64-v4").
  std::string cpu;
  /// Which of a kernel's `variants` its code reads: the host target's
  /// variant key ("host-x86-64-v4"). Kernels without one get the reference
  /// templates.
  std::string variantKey;
};

struct HostModuleInfo {
  /// C identifier prefix of the model's symbols, e.g. "mlp" for mlp_run.
  std::string symbolPrefix = "r1c_model";
  /// --weights=external: where each top-level weight lies in the side file,
  /// which the code reads at `context->weights` plus the weight's offset.
  /// Null: weights are constants inside the module.
  const WeightLayout *externalWeights = nullptr;
  /// The side file's name, for the header's comments.
  std::string weightsFile;
  /// The x86-64 levels the code is built for, lowest first. With one, every
  /// function is built for the target machine the module is compiled with.
  /// With several (a fat module), every kernel is emitted once per level,
  /// its functions marked with the level's "target-cpu", and each entry
  /// point runs the best level the CPU has (CpuDispatch.h); the weights,
  /// and packed copies of equal panel width, are shared by the levels.
  std::vector<HostIsaBuild> isas;
  /// The external weights are the artifact's own WEIGHTS section, which its
  /// GPU code reads too, not a side file.
  bool weightsInArtifact = false;
};

/// One compiled specialization of the model: a plan-phase function and the
/// stem of its symbols. `stem` is the prefix itself for a model with static
/// shapes, and PREFIX_batch8 (say) for one shape bucket of a model with
/// symbolic dims.
struct HostEntryPoint {
  mlir::func::FuncOp function;
  std::string stem;
  /// The sizes this entry fixes, for the header ("batch=8"); empty if none.
  std::string sizes;
};

/// Builds one LLVM module for the plan-phase functions of `entries`. Each
/// entry point is
///   void STEM_run(void *const *inputs, void *const *outputs, void *arena,
///                 int64_t *output_dims, const r1c_host_context_t *context);
/// and `STEM_arena_size` holds its arena's size in bytes. `output_dims`, when
/// not null, receives every output's dims, output after output. Weights are
/// constants inside the module, or read from `context->weights` (see
/// HostModuleInfo::externalWeights), shared by all entries. Emits an MLIR
/// diagnostic naming the kernel and returns null for what the host target
/// cannot compile yet.
std::unique_ptr<llvm::Module> emitHostModule(llvm::ArrayRef<HostEntryPoint> entries,
                                             llvm::LLVMContext &context,
                                             const HostModuleInfo &info);

/// A C header declaring the entry points, with the inputs and outputs named
/// and typed in comments.
std::string emitHostHeader(llvm::ArrayRef<HostEntryPoint> entries, const HostModuleInfo &info);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_HOSTEMITTER_H
