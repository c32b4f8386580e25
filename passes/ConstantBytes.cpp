//===- ConstantBytes.cpp - Reading and making weight constants ------------===//
#include "passes/ConstantBytes.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

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

std::vector<char> permuteBytes(ArrayRef<char> bytes, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm, ArrayRef<bool> flips, size_t elementSize) {
  int64_t rank = shape.size();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  SmallVector<int64_t> extents, steps;
  int64_t source = 0;
  for (int64_t i = 0; i < rank; ++i) {
    extents.push_back(shape[perm[i]]);
    // A reversed dim starts at its last element and steps back.
    steps.push_back(flips[i] ? -strides[perm[i]] : strides[perm[i]]);
    if (flips[i])
      source += (shape[perm[i]] - 1) * strides[perm[i]];
  }
  std::vector<char> out(bytes.size());
  SmallVector<int64_t> index(rank, 0);
  size_t count = bytes.size() / elementSize;
  for (size_t target = 0; target < count; ++target) {
    std::memcpy(out.data() + target * elementSize, bytes.data() + source * elementSize,
                elementSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      source += steps[d];
      if (++index[d] < extents[d])
        break;
      source -= steps[d] * extents[d];
      index[d] = 0;
    }
  }
  return out;
}

} // namespace mlir::r1
