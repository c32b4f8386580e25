//===- KnownValues.cpp - What is known of small integer tensors -----------===//
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1;

std::optional<SmallVector<int64_t>> r1::getIntElements(Attribute attr,
                                                       int64_t maxElements) {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense || dense.getNumElements() > maxElements)
    return std::nullopt;
  // Booleans are integers of width 1; their getSExtValue would give -1.
  // Unsigned integers (ui8 200) must not read as negative either.
  bool zeroExtend = dense.getElementType().isInteger(1) ||
                    dense.getElementType().isUnsignedInteger();
  SmallVector<int64_t> values;
  values.reserve(dense.getNumElements());
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(zeroExtend ? int64_t(v.getZExtValue()) : v.getSExtValue());
  return values;
}

// A small bound on how much is unpacked: shape vectors have a few elements.
static constexpr int64_t kMaxKnownElements = 64;

/// Whether `value` is known to be 0-D or 1-D. Constants and reshapes hand on
/// their elements flattened, which only ops that ignore layout may read.
static bool isVector(Value value) {
  auto shape = getShapeOf(value);
  return shape && shape->size() <= 1;
}

static std::optional<SmallVector<int64_t>> unknownOfStaticLength(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape() ||
      type.getNumElements() > kMaxKnownElements)
    return std::nullopt;
  return SmallVector<int64_t>(type.getNumElements(), kDynamic);
}

/// The elements of the vector `data` at the constant `indices` (negative
/// ones from the end), where both are known and every index is in range.
static std::optional<SmallVector<int64_t>> pickKnownElements(Value data, Value indices) {
  auto elements = r1::getKnownIntValues(data);
  auto picks = getConstantIntValues(indices);
  if (!elements || !picks)
    return std::nullopt;
  SmallVector<int64_t> picked;
  int64_t size = elements->size();
  for (int64_t index : *picks) {
    if (index < -size || index >= size)
      return std::nullopt;
    picked.push_back((*elements)[index < 0 ? index + size : index]);
  }
  return picked;
}

std::optional<SmallVector<int64_t>> r1::getKnownIntValues(Value value) {
  Operation *def = value.getDefiningOp();
  std::optional<SmallVector<int64_t>> known;
  if (def) {
    known =
        llvm::TypeSwitch<Operation *, std::optional<SmallVector<int64_t>>>(def)
            .Case([](ConstantOp op) {
              return getIntElements(op.getValue(), kMaxKnownElements);
            })
            .Case([](ShapeOp op) -> std::optional<SmallVector<int64_t>> {
              auto shape = getShapeOf(op.getInput());
              int64_t start = op.getStart(), end = op.getEnd();
              if (!shape || start < 0 || end > int64_t(shape->size()) || start > end)
                return std::nullopt;
              return SmallVector<int64_t>(shape->begin() + start, shape->begin() + end);
            })
            .Case([](ConcatOp op) -> std::optional<SmallVector<int64_t>> {
              SmallVector<int64_t> all;
              if (!isVector(op.getResult()))
                return std::nullopt;
              for (Value input : op.getInputs()) {
                auto part = getKnownIntValues(input);
                if (!part)
                  return std::nullopt;
                all.append(*part);
              }
              return all;
            })
            // Ops that only re-wrap a 0-D or 1-D vector keep its elements.
            .Case<UnsqueezeOp, SqueezeOp, ReshapeOp, FlattenOp>(
                [](auto op) { return getKnownIntValues(op.getInput()); })
            .Case([](CastOp op) -> std::optional<SmallVector<int64_t>> {
              if (!isa<IntegerType>(getElementTypeOf(op.getInput())))
                return std::nullopt;
              return getKnownIntValues(op.getInput());
            })
            .Case([](GatherOp op) -> std::optional<SmallVector<int64_t>> {
              if (!isVector(op.getData()))
                return std::nullopt;
              return pickKnownElements(op.getData(), op.getIndices());
            })
            // On vectors, an element gather is a gather along the only axis.
            .Case([](GatherElementsOp op) -> std::optional<SmallVector<int64_t>> {
              if (!isVector(op.getData()) || !isVector(op.getIndices()))
                return std::nullopt;
              return pickKnownElements(op.getData(), op.getIndices());
            })
            .Case([](SliceOp op) -> std::optional<SmallVector<int64_t>> {
              if (!isVector(op.getInput()))
                return std::nullopt;
              auto data = getKnownIntValues(op.getInput());
              if (!data || op.getAxes().size() != 1 ||
                  normalizeAxis(op.getAxes()[0], 1) != 0)
                return std::nullopt;
              int64_t size = data->size(), step = op.getSteps()[0];
              int64_t count = sliceOutputSize(size, op.getStarts()[0], op.getEnds()[0], step);
              int64_t index = sliceFirstIndex(size, op.getStarts()[0], step);
              SmallVector<int64_t> picked;
              for (int64_t i = 0; i < count; ++i, index += step)
                picked.push_back((*data)[index]);
              return picked;
            })
            .Default([](Operation *) { return std::nullopt; });
  }
  if (known)
    return known;
  return unknownOfStaticLength(value);
}

std::optional<SmallVector<int64_t>> r1::getConstantIntValues(Value value) {
  auto known = getKnownIntValues(value);
  if (!known || llvm::is_contained(*known, kDynamic))
    return std::nullopt;
  return known;
}
