//===- R1KAttrs.cpp - Targets and kernel variants of r1k --------------------===//
#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1k;

#include "dialects/R1K/IR/R1KEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1K/IR/R1KAttrs.cpp.inc"

void R1KDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/R1K/IR/R1KAttrs.cpp.inc"
      >();
}

bool TargetAttr::hasFeature(StringRef feature) const {
  ArrayAttr features = getFeatures();
  return features && llvm::any_of(features, [&](Attribute attr) {
           auto name = llvm::dyn_cast<StringAttr>(attr);
           return name && name.getValue() == feature;
         });
}

LogicalResult HostGemmAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t mr,
                                   int64_t nr, int64_t vector, int64_t kc, int64_t mc, int64_t nc,
                                   Packing, bool, bool) {
  if (mr < 1 || nr < 1 || vector < 1 || kc < 1 || mc < 1 || nc < 1)
    return emitError() << "host_gemm sizes must be positive";
  if (nr % vector != 0)
    return emitError() << "host_gemm nr (" << nr << ") must be a multiple of vector (" << vector
                       << ")";
  if (mc % mr != 0 || nc % nr != 0)
    return emitError() << "host_gemm mc must be a multiple of mr and nc of nr";
  return success();
}

LogicalResult HostDepthwiseConvAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                            int64_t vector, int64_t vectors) {
  if (vector < 1 || vectors < 1)
    return emitError() << "host_depthwise_conv sizes must be positive";
  return success();
}

void mlir::r1k::setVariant(KernelOp kernel, StringRef target, Attribute variant) {
  NamedAttrList variants(kernel.getVariantsAttr() ? kernel.getVariantsAttr()
                                                  : DictionaryAttr::get(kernel.getContext()));
  variants.set(target, variant);
  kernel.setVariantsAttr(variants.getDictionary(kernel.getContext()));
}

SmallVector<TargetAttr> mlir::r1k::getTargets(ModuleOp module) {
  SmallVector<TargetAttr> targets;
  if (ArrayAttr list = R1KDialect::TargetsAttrHelper(module.getContext()).getAttr(module))
    for (Attribute attr : list)
      if (auto target = dyn_cast<TargetAttr>(attr))
        targets.push_back(target);
  return targets;
}

void mlir::r1k::setTargets(ModuleOp module, ArrayRef<TargetAttr> targets) {
  SmallVector<Attribute> list(targets.begin(), targets.end());
  R1KDialect::TargetsAttrHelper(module.getContext())
      .setAttr(module, ArrayAttr::get(module.getContext(), list));
}

IntegerAttr mlir::r1k::getArenaSize(Operation *func) {
  return R1KDialect::ArenaSizeAttrHelper(func->getContext()).getAttr(func);
}

void mlir::r1k::setArenaSize(Operation *func, int64_t bytes) {
  R1KDialect::ArenaSizeAttrHelper(func->getContext())
      .setAttr(func, Builder(func->getContext()).getI64IntegerAttr(bytes));
}
