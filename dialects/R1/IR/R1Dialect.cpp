//===- R1Dialect.cpp - Registration and constants of the r1 dialect -------===//
#include "dialects/R1/IR/R1Dialect.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1;

#include "dialects/R1/IR/R1Dialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/R1/IR/R1Types.cpp.inc"

#include "dialects/R1/IR/R1Enums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1/IR/R1Attrs.cpp.inc"

void R1Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/R1/IR/R1Ops.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/R1/IR/R1Types.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/R1/IR/R1Attrs.cpp.inc"
      >();
}

Operation *R1Dialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (isa<NoneType>(type))
    return builder.create<NoneOp>(loc);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

bool mlir::r1::isRefinementOf(Type refined, Type general) {
  if (refined == general)
    return true;
  auto refinedTensor = dyn_cast<TensorType>(refined);
  auto generalTensor = dyn_cast<TensorType>(general);
  if (!refinedTensor || !generalTensor ||
      refinedTensor.getElementType() != generalTensor.getElementType())
    return false;
  if (!generalTensor.hasRank())
    return true;
  if (!refinedTensor.hasRank() || refinedTensor.getRank() != generalTensor.getRank())
    return false;
  for (auto [r, g] : llvm::zip(refinedTensor.getShape(), generalTensor.getShape()))
    if (!ShapedType::isDynamic(g) && r != g)
      return false;
  return true;
}

bool mlir::r1::areRefinableTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [lhs, rhs] : llvm::zip(inferred, actual)) {
    if (lhs == rhs)
      continue;
    auto lhsTensor = dyn_cast<TensorType>(lhs);
    auto rhsTensor = dyn_cast<TensorType>(rhs);
    if (!lhsTensor || !rhsTensor ||
        lhsTensor.getElementType() != rhsTensor.getElementType() ||
        failed(verifyCompatibleShape(lhsTensor, rhsTensor)))
      return false;
  }
  return true;
}

bool mlir::r1::isContractionResultElement(Type operand, Type result) {
  return operand == result || (result.isF32() && (operand.isBF16() || operand.isF16()));
}

bool mlir::r1::isWidenedResult(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [lhs, rhs] : llvm::zip(inferred, actual)) {
    auto lhsTensor = dyn_cast<TensorType>(lhs);
    auto rhsTensor = dyn_cast<TensorType>(rhs);
    if (!lhsTensor || !rhsTensor ||
        !isContractionResultElement(lhsTensor.getElementType(), rhsTensor.getElementType()) ||
        failed(verifyCompatibleShape(lhsTensor, rhsTensor)))
      return false;
  }
  return true;
}
