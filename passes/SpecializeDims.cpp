//===- SpecializeDims.cpp - Fixed sizes for named symbolic dims ----------===//
//
// Only the function's arguments change: at the import phase every other
// value is an `r1.onnx_node` result of unknown type, which legalization
// infers from the arguments.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_SPECIALIZEDIMS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;

namespace {

struct SpecializeDimsPass : r1::impl::SpecializeDimsBase<SpecializeDimsPass> {
  using SpecializeDimsBase::SpecializeDimsBase;
  void runOnOperation() override;
};

void SpecializeDimsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  llvm::StringMap<int64_t> sizeOf;
  for (const std::string &pair : sizes) {
    StringRef name, value;
    std::tie(name, value) = StringRef(pair).split('=');
    int64_t size;
    if (name.empty() || value.getAsInteger(10, size) || size < 0) {
      func.emitError("r1c-specialize-dims: '") << pair << "' is not NAME=SIZE";
      return signalPassFailure();
    }
    sizeOf[name] = size;
  }
  llvm::StringSet<> used;
  SmallVector<Type> argumentTypes(func.getArgumentTypes());
  for (auto [index, type] : llvm::enumerate(argumentTypes)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    auto names = func.getArgAttrOfType<ArrayAttr>(index, "r1.dim_names");
    if (!tensor || !names)
      continue;
    SmallVector<int64_t> shape(tensor.getShape());
    for (auto [dim, name] : llvm::zip(shape, names.getAsValueRange<StringAttr>())) {
      auto it = sizeOf.find(name);
      if (!ShapedType::isDynamic(dim) || it == sizeOf.end())
        continue;
      dim = it->second;
      used.insert(name);
    }
    type = tensor.clone(shape);
    func.getArgument(index).setType(type);
  }
  for (auto &entry : sizeOf)
    if (!used.contains(entry.getKey())) {
      func.emitError("no input has a symbolic dim named '") << entry.getKey() << "'";
      return signalPassFailure();
    }
  func.setFunctionType(
      FunctionType::get(&getContext(), argumentTypes, func.getFunctionType().getResults()));
}

} // namespace
