//===- ConstantBytes.cpp - Reading and making weight constants ------------===//
#include "passes/ConstantBytes.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::r1 {

std::optional<ArrayRef<char>> getConstantBytes(ElementsAttr value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || dense.isSplat())
    return std::nullopt;
  return dense.getRawData();
}

ElementsAttr makeConstant(MLIRContext *context, ShapedType type, bool outOfLine,
                          const std::string &name,
                          llvm::function_ref<std::vector<char>()> compute) {
  if (!outOfLine)
    return DenseElementsAttr::getFromRawBuffer(type, compute());
  auto &resources = DenseResourceElementsHandle::getManagerInterface(context);
  auto *builtin = context->getLoadedDialect<BuiltinDialect>();
  if (auto *entry = resources.getBlobManager().lookup(name))
    return DenseResourceElementsAttr::get(type, DenseResourceElementsHandle(entry, builtin));
  return DenseResourceElementsAttr::get(
      type, resources.insert(name, HeapAsmResourceBlob::allocateAndCopyWithAlign(
                                       compute(), alignof(uint64_t))));
}

} // namespace mlir::r1
