// The r1k kernel-level dialect: its definition and declared discardable
// attributes.
#ifndef R1K_DIALECT_TD
#define R1K_DIALECT_TD

include "mlir/IR/OpBase.td"

def R1K_Dialect : Dialect {
  let name = "r1k";
  let cppNamespace = "::mlir::r1k";
  let summary = "Kernels: one anchor op with its fused body";
  let description = [{
    At the kernel level a function is a sequence of `r1k.kernel` ops. Each
    kernel holds, in its region, the r1 ops it computes: one anchor (a
    contraction, convolution, reduction, normalization, pooling or data
    movement op, or an elementwise op for kernels that have none) and the
    elementwise ops fused after it. Ops that only reinterpret a tensor's
    shape (reshape, squeeze, unsqueeze, flatten) and constants stay between
    kernels: they cost no kernel. Every target's code generation starts here.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
  // Attributes other dialects' ops carry, declared once so that no pass
  // spells their names.
  let discardableAttrs = (ins
    // On the module: the targets being compiled for, #r1k.target each, read
    // by the select passes.
    "::mlir::ArrayAttr":$targets,
    // On a plan-phase function: the static arena's size in bytes.
    "::mlir::IntegerAttr":$arena_size
  );
}

#endif // R1K_DIALECT_TD
