//===- WeightLayout.cpp - Where weights lie in a side file ----------------===//
#include "codegen/host/WeightLayout.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace r1c {
namespace {

int64_t elementBytes(Type element) {
  return std::max<int64_t>(1, (element.getIntOrFloatBitWidth() + 7) / 8);
}

/// The safetensors name of an element type; empty if it has none.
std::string safetensorsDtype(Type type) {
  if (type.isF64()) return "F64";
  if (type.isF32()) return "F32";
  if (type.isF16()) return "F16";
  if (type.isBF16()) return "BF16";
  if (type.isFloat8E4M3FN()) return "F8_E4M3";
  if (type.isFloat8E5M2()) return "F8_E5M2";
  if (type.isInteger(1)) return "BOOL";
  if (auto integer = dyn_cast<IntegerType>(type)) {
    unsigned width = integer.getWidth();
    if (width == 8 || width == 16 || width == 32 || width == 64)
      return (integer.isUnsigned() ? "U" : "I") + std::to_string(width);
  }
  return "";
}

/// The name the importer gave a constant (its initializer's or node's),
/// looking through fused locations that folding leaves.
std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = locationName(part); !name.empty())
        return name;
  return "";
}

} // namespace

FailureOr<WeightLayout> layoutWeights(ArrayRef<func::FuncOp> functions, uint64_t alignment) {
  WeightLayout layout;
  llvm::StringSet<> taken{"__metadata__"};
  // Unique names in the order constants are met, so they do not depend on
  // the file order below.
  auto uniqueName = [&](std::string name) {
    if (name.empty())
      name = "weight_" + std::to_string(layout.weights.size());
    // The header is JSON: a name that is not UTF-8 is repaired here, before
    // it is made unique, not by the JSON writer after.
    if (!llvm::json::isUTF8(name))
      name = llvm::json::fixUTF8(name);
    std::string candidate = name;
    for (int suffix = 2; !taken.insert(candidate).second; ++suffix)
      candidate = name + "_" + std::to_string(suffix);
    return candidate;
  };
  DenseSet<Attribute> seen;
  for (func::FuncOp function : functions) {
    for (auto constant : function.getBody().front().getOps<r1::ConstantOp>()) {
      ElementsAttr value = constant.getValue();
      if (!seen.insert(value).second)
        continue;
      auto type = cast<ShapedType>(value.getType());
      LaidOutWeight weight;
      weight.value = value;
      weight.dtype = safetensorsDtype(type.getElementType());
      if (weight.dtype.empty())
        return constant.emitOpError("holds ")
               << type.getElementType()
               << " weights, which a safetensors side file cannot name; use --weights=embedded";
      weight.size = uint64_t(type.getNumElements()) * elementBytes(type.getElementType());
      weight.name = uniqueName(locationName(constant.getLoc()));
      layout.weights.push_back(std::move(weight));
    }
  }
  // Widest elements first: each offset is then a multiple of the element
  // size of every tensor after it.
  std::stable_sort(layout.weights.begin(), layout.weights.end(),
                   [](const LaidOutWeight &a, const LaidOutWeight &b) {
                     return elementBytes(cast<ShapedType>(a.value.getType()).getElementType()) >
                            elementBytes(cast<ShapedType>(b.value.getType()).getElementType());
                   });
  for (LaidOutWeight &weight : layout.weights) {
    weight.offset = llvm::alignTo(layout.dataSize, std::max<uint64_t>(alignment, 1));
    layout.dataSize = weight.offset + weight.size;
    layout.offsets[weight.value] = weight.offset;
  }
  return layout;
}

std::vector<uint8_t> packWeights(const WeightLayout &layout) {
  std::vector<uint8_t> bytes(layout.dataSize, 0);
  std::vector<char> scratch;
  for (const LaidOutWeight &weight : layout.weights) {
    ArrayRef<char> data = weightBytes(weight.value, scratch);
    std::copy(data.begin(), data.end(), bytes.begin() + weight.offset);
  }
  return bytes;
}

ArrayRef<char> weightBytes(ElementsAttr value, std::vector<char> &scratch) {
  auto type = cast<ShapedType>(value.getType());
  size_t size = size_t(type.getNumElements()) * elementBytes(type.getElementType());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    ArrayRef<char> data = blob ? blob->getData() : ArrayRef<char>();
    if (data.size() == size)
      return data;
    // A blob shorter than its type (never written by the importer) reads
    // as zeros past its end.
    scratch.assign(size, 0);
    std::copy_n(data.begin(), std::min(data.size(), size), scratch.begin());
    return scratch;
  }
  auto dense = cast<DenseElementsAttr>(value);
  if (type.getElementType().isInteger(1)) {
    scratch.assign(size, 0);
    for (auto [i, flag] : llvm::enumerate(dense.getValues<bool>()))
      scratch[i] = flag;
    return scratch;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    scratch.assign(size, 0);
    size_t element = elementBytes(type.getElementType());
    for (size_t offset = 0; offset + element <= size; offset += element)
      std::copy_n(raw.begin(), element, scratch.begin() + offset);
    return scratch;
  }
  if (raw.size() == size)
    return raw;
  scratch.assign(size, 0);
  std::copy_n(raw.begin(), std::min(raw.size(), size), scratch.begin());
  return scratch;
}

} // namespace r1c
