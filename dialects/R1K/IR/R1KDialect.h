//===- R1KDialect.h - The r1k kernel-level dialect -------------*- C++ -*-===//
#ifndef R1C_DIALECTS_R1K_IR_R1KDIALECT_H
#define R1C_DIALECTS_R1K_IR_R1KDIALECT_H

#include "dialects/R1/IR/R1Dialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::r1k {
/// The name of the host CPU target, as --target spells it and as kernels'
/// `variants` are keyed.
inline constexpr llvm::StringLiteral kHostTargetName = "host";
} // namespace mlir::r1k

#include "dialects/R1K/IR/R1KDialect.h.inc"
#include "dialects/R1K/IR/R1KEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1K/IR/R1KAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/R1K/IR/R1KOps.h.inc"

namespace mlir::r1k {

/// The most elements a kernel result (or a view of one) whose dims are
/// computed at run time can have: r1::getDataDependentShapeBound of the
/// value the kernel yields. std::nullopt for any other value.
std::optional<int64_t> getDataDependentShapeBound(Value value);

/// The variant chosen for `kernel` on the target named `target`, if a select
/// pass wrote one of type T.
template <typename T>
T getVariant(KernelOp kernel, llvm::StringRef target) {
  DictionaryAttr variants = kernel.getVariantsAttr();
  return variants ? llvm::dyn_cast_or_null<T>(variants.get(target)) : T();
}

/// Records `variant` as the one chosen for `kernel` on `target`, keeping
/// those of other targets.
void setVariant(KernelOp kernel, llvm::StringRef target, Attribute variant);

/// The targets a module is compiled for (r1k.targets), empty when none.
llvm::SmallVector<TargetAttr> getTargets(ModuleOp module);
void setTargets(ModuleOp module, llvm::ArrayRef<TargetAttr> targets);

/// A plan-phase function's arena size in bytes (r1k.arena_size), null
/// before the memory plan.
IntegerAttr getArenaSize(Operation *func);
void setArenaSize(Operation *func, int64_t bytes);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_R1KDIALECT_H
