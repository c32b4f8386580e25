//===- R1Folders.cpp - Constant folding of r1 ops -------------------------===//
//
// Folding is for shape computations: small integer tensors. Weights are never
// copied or rewritten here (limits below keep folds cheap).
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::r1;

// Larger tensors are not worth folding into literals.
static constexpr int64_t kMaxFoldedElements = 4096;

static RankedTensorType getStaticType(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape() ||
      ranked.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return ranked;
}

static Attribute makeIntElements(RankedTensorType type, ArrayRef<int64_t> values) {
  auto element = dyn_cast<IntegerType>(type.getElementType());
  if (!element || int64_t(values.size()) != type.getNumElements())
    return nullptr;
  SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(64, uint64_t(v), /*isSigned=*/true).trunc(element.getWidth()));
  return DenseElementsAttr::get(type, ints);
}

/// For each element of `result`, the linear index of the element of a
/// broadcast operand of shape `operand` that it reads.
static SmallVector<int64_t> broadcastIndexMap(ArrayRef<int64_t> result,
                                              ArrayRef<int64_t> operand) {
  int64_t count = productOfDims(result);
  SmallVector<int64_t> map(count);
  size_t offset = result.size() - operand.size();
  for (int64_t linear = 0; linear < count; ++linear) {
    int64_t rest = linear, index = 0, stride = 1;
    for (int64_t d = result.size() - 1; d >= 0; --d) {
      int64_t coord = rest % result[d];
      rest /= result[d];
      if (d >= int64_t(offset)) {
        int64_t dim = operand[d - offset];
        index += (dim == 1 ? 0 : coord) * stride;
        stride *= dim;
      }
    }
    map[linear] = index;
  }
  return map;
}

/// Folds an elementwise op over integer constants with broadcasting.
template <typename Fn>
static Attribute foldIntElementwise(Type resultType, ArrayRef<Attribute> operands,
                                    ArrayRef<Type> operandTypes, Fn compute) {
  RankedTensorType type = getStaticType(resultType);
  if (!type)
    return nullptr;
  SmallVector<SmallVector<int64_t>> values, maps;
  for (auto [attr, operandType] : llvm::zip(operands, operandTypes)) {
    auto ints = getIntElements(attr, kMaxFoldedElements);
    auto shape = getShapeOf(operandType);
    if (!ints || !shape || shape->size() > size_t(type.getRank()))
      return nullptr;
    values.push_back(std::move(*ints));
    maps.push_back(broadcastIndexMap(type.getShape(), *shape));
  }
  SmallVector<int64_t> result;
  SmallVector<int64_t> args(values.size());
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    for (size_t k = 0; k < values.size(); ++k)
      args[k] = values[k][maps[k][i]];
    std::optional<int64_t> value = compute(args);
    if (!value)
      return nullptr;
    result.push_back(*value);
  }
  return makeIntElements(type, result);
}

template <typename Op, typename Fn>
static Attribute foldIntBinary(Op op, typename Op::FoldAdaptor adaptor, Fn compute) {
  return foldIntElementwise(
      op.getType(), {adaptor.getLhs(), adaptor.getRhs()},
      {op.getLhs().getType(), op.getRhs().getType()},
      [&](ArrayRef<int64_t> a) -> std::optional<int64_t> { return compute(a[0], a[1]); });
}

OpFoldResult NoneOp::fold(FoldAdaptor) { return UnitAttr::get(getContext()); }

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// Whether every value of float type `narrow` is one of `wide` (bf16 and
/// f16 in f32, f32 in f64): a round trip through `wide` then changes
/// nothing.
static bool widensExactly(FloatType narrow, FloatType wide) {
  const llvm::fltSemantics &from = narrow.getFloatSemantics(), &to = wide.getFloatSemantics();
  using llvm::APFloatBase;
  return APFloatBase::semanticsPrecision(from) <= APFloatBase::semanticsPrecision(to) &&
         APFloatBase::semanticsMaxExponent(from) <= APFloatBase::semanticsMaxExponent(to) &&
         APFloatBase::semanticsMinExponent(from) >= APFloatBase::semanticsMinExponent(to);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // x -> wider -> x's type again is x (the casts r1c-apply-precision leaves
  // between two ops that both compute in a lower format).
  if (auto inner = getInput().getDefiningOp<CastOp>()) {
    auto source = dyn_cast<FloatType>(getElementTypeOf(inner.getInput()));
    auto middle = dyn_cast<FloatType>(inner.getTo());
    if (source && middle && inner.getInput().getType() == getType() &&
        widensExactly(source, middle))
      return inner.getInput();
  }
  if (!isa<IntegerType>(getTo()) || !isa<IntegerType>(getElementTypeOf(getInput())))
    return nullptr;
  bool toBool = getTo().isInteger(1);
  return foldIntElementwise(getType(), {adaptor.getInput()}, {getInput().getType()},
                            [&](ArrayRef<int64_t> a) -> std::optional<int64_t> {
                              return toBool ? int64_t(a[0] != 0) : a[0];
                            });
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    int64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? std::nullopt : std::optional(sum);
  });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    int64_t difference;
    return __builtin_sub_overflow(a, b, &difference) ? std::nullopt
                                                     : std::optional(difference);
  });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    int64_t product;
    return __builtin_mul_overflow(a, b, &product) ? std::nullopt : std::optional(product);
  });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    if (b == 0 || (a == INT64_MIN && b == -1))
      return std::nullopt;
    return a / b;
  });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  bool fmod = getFmod();
  return foldIntBinary(*this, adaptor, [&](int64_t a, int64_t b) -> std::optional<int64_t> {
    if (b == 0 || (a == INT64_MIN && b == -1))
      return std::nullopt;
    int64_t rem = a % b;
    // Without fmod the remainder takes the divisor's sign, as in Python.
    if (!fmod && rem != 0 && ((rem < 0) != (b < 0)))
      rem += b;
    return rem;
  });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    return a == b;
  });
}

template <typename Op, typename Fn>
static Attribute foldIntUnary(Op op, typename Op::FoldAdaptor adaptor, Fn compute) {
  return foldIntElementwise(
      op.getType(), {adaptor.getInput()}, {op.getInput().getType()},
      [&](ArrayRef<int64_t> a) -> std::optional<int64_t> { return compute(a[0]); });
}

/// Whether integer values of `value`'s elements order as int64 (a ui64 above
/// INT64_MAX would not).
static bool ordersAsInt64(Value value) {
  Type element = getElementTypeOf(value);
  return element && !(element.isUnsignedInteger() && element.getIntOrFloatBitWidth() == 64);
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldIntUnary(*this, adaptor, [](int64_t a) -> std::optional<int64_t> {
    return a == INT64_MIN ? std::nullopt : std::optional(a < 0 ? -a : a);
  });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldIntUnary(*this, adaptor, [](int64_t a) -> std::optional<int64_t> {
    return a == INT64_MIN ? std::nullopt : std::optional(-a);
  });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldIntUnary(*this, adaptor, [](int64_t a) -> std::optional<int64_t> { return a == 0; });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor,
                       [](int64_t a, int64_t b) -> std::optional<int64_t> { return a && b; });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor,
                       [](int64_t a, int64_t b) -> std::optional<int64_t> { return a || b; });
}

OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor, [](int64_t a, int64_t b) -> std::optional<int64_t> {
    return (a != 0) != (b != 0);
  });
}

/// Folds an ordering op (max, min, comparisons) of integer constants.
template <typename Op, typename Fn>
static Attribute foldIntOrdering(Op op, typename Op::FoldAdaptor adaptor, Fn compute) {
  if (!ordersAsInt64(op.getLhs()))
    return nullptr;
  return foldIntBinary(
      op, adaptor, [&](int64_t a, int64_t b) -> std::optional<int64_t> { return compute(a, b); });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) { return std::max(a, b); });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) { return std::min(a, b); });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) -> int64_t { return a < b; });
}

OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) -> int64_t { return a <= b; });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) -> int64_t { return a > b; });
}

OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldIntOrdering(*this, adaptor, [](int64_t a, int64_t b) -> int64_t { return a >= b; });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  return foldIntElementwise(
      getType(), {adaptor.getCondition(), adaptor.getOnTrue(), adaptor.getOnFalse()},
      {getCondition().getType(), getOnTrue().getType(), getOnFalse().getType()},
      [](ArrayRef<int64_t> a) -> std::optional<int64_t> { return a[0] ? a[1] : a[2]; });
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  RankedTensorType type = getStaticType(getType());
  auto known = getKnownIntValues(getResult());
  if (!type || !known || llvm::is_contained(*known, kDynamic))
    return nullptr;
  return makeIntElements(type, *known);
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto shape = getShapeOf(getInput());
  // The result may be written as tensor<*xi64>, which no literal has.
  auto type = dyn_cast<RankedTensorType>(getType());
  if (!type || !shape || productOfDims(*shape) == kDynamic)
    return nullptr;
  return makeIntElements(type, {productOfDims(*shape)});
}

/// Shared by ops that only change how elements are grouped into dims.
static OpFoldResult foldReshapeLike(Value input, Attribute constant, Type resultType) {
  if (input.getType() == resultType && getStaticType(resultType))
    return input;
  auto dense = dyn_cast_or_null<DenseElementsAttr>(constant);
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!dense || !type || !type.hasStaticShape())
    return nullptr;
  return dense.reshape(type);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}
OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}
OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}
OpFoldResult FlattenOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getInput(), adaptor.getInput(), getType());
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (int64_t(i) != p)
      return nullptr;
  return getInput().getType() == getType() ? getInput() : nullptr;
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  RankedTensorType type = getStaticType(getType());
  auto known = getKnownIntValues(getResult());
  if (!type || type.getRank() != 1 || !known || llvm::is_contained(*known, kDynamic))
    return nullptr;
  return makeIntElements(type, *known);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType() && getStaticType(getType()) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  RankedTensorType type = getStaticType(getType());
  auto known = getKnownIntValues(getResult());
  if (!type || type.getRank() != 1 || !known || llvm::is_contained(*known, kDynamic))
    return nullptr;
  return makeIntElements(type, *known);
}

OpFoldResult GatherOp::fold(FoldAdaptor) {
  RankedTensorType type = getStaticType(getType());
  auto known = getKnownIntValues(getResult());
  if (!type || type.getRank() > 1 || !known || llvm::is_contained(*known, kDynamic))
    return nullptr;
  return makeIntElements(type, *known);
}

/// Row-major strides of `shape`.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// An index into a dim of size `size`, negative counting from the end;
/// std::nullopt when out of range (left for run time to report).
static std::optional<int64_t> wrapIndex(int64_t index, int64_t size) {
  if (index < -size || index >= size)
    return std::nullopt;
  return index < 0 ? index + size : index;
}

/// Picks elements of `data` by linear index into a literal of `type`; any
/// element type, since the elements are only moved.
static Attribute pickElements(DenseElementsAttr data, RankedTensorType type,
                              ArrayRef<int64_t> picks) {
  auto first = data.value_begin<Attribute>();
  SmallVector<Attribute> values;
  values.reserve(picks.size());
  for (int64_t pick : picks)
    values.push_back(data.isSplat() ? *first : *(first + pick));
  return DenseElementsAttr::get(type, values);
}

// Element gathers fold when both operands are literals: exporters write
// constant lookups (BERT's token types by position) as GatherElements.
OpFoldResult GatherElementsOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getStaticType(getType());
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  auto indices = getIntElements(adaptor.getIndices(), kMaxFoldedElements);
  if (type && !data && type.getRank() <= 1) {
    // A shape vector whose picked elements are all known.
    auto known = getKnownIntValues(getResult());
    if (known && !llvm::is_contained(*known, kDynamic))
      return makeIntElements(type, *known);
  }
  if (!type || !data || !indices || int64_t(indices->size()) != type.getNumElements())
    return nullptr;
  ArrayRef<int64_t> dataShape = data.getType().getShape(), shape = type.getShape();
  auto axis = normalizeAxis(getAxis(), dataShape.size());
  if (!axis || shape.size() != dataShape.size())
    return nullptr;
  SmallVector<int64_t> dataStrides = stridesOf(dataShape), picks;
  for (int64_t linear = 0; linear < type.getNumElements(); ++linear) {
    int64_t rest = linear, offset = 0;
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      int64_t coord = rest % shape[d];
      rest /= shape[d];
      if (d == *axis) {
        auto at = wrapIndex((*indices)[linear], dataShape[d]);
        if (!at)
          return nullptr;
        coord = *at;
      } else if (coord >= dataShape[d]) {
        return nullptr;
      }
      offset += coord * dataStrides[d];
    }
    picks.push_back(offset);
  }
  return pickElements(data, type, picks);
}

OpFoldResult GatherNDOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getStaticType(getType());
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  auto indices = getIntElements(adaptor.getIndices(), kMaxFoldedElements);
  auto indexShape = getShapeOf(getIndices());
  if (!type || !data || !indices || !indexShape || indexShape->empty())
    return nullptr;
  ArrayRef<int64_t> dataShape = data.getType().getShape();
  int64_t batch = getBatchDims(), tuple = indexShape->back();
  if (tuple < 1 || batch < 0 || batch + tuple > int64_t(dataShape.size()) ||
      int64_t(indices->size()) != productOfDims(*indexShape))
    return nullptr;
  // Each tuple names a slice of `inner` elements; the batch coordinate
  // (the tuple's position over its first `batch` dims) picks the data block.
  int64_t inner = productOfDims(dataShape.drop_front(batch + tuple));
  int64_t tuplesPerBatch =
      productOfDims(ArrayRef(*indexShape).slice(batch, indexShape->size() - 1 - batch));
  int64_t block = productOfDims(dataShape.drop_front(batch));
  int64_t tuples = int64_t(indices->size()) / tuple;
  if (tuples * inner != type.getNumElements())
    return nullptr;
  SmallVector<int64_t> dataStrides = stridesOf(dataShape), picks;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t base = (t / tuplesPerBatch) * block;
    for (int64_t k = 0; k < tuple; ++k) {
      auto at = wrapIndex((*indices)[t * tuple + k], dataShape[batch + k]);
      if (!at)
        return nullptr;
      base += *at * dataStrides[batch + k];
    }
    for (int64_t i = 0; i < inner; ++i)
      picks.push_back(base + i);
  }
  return pickElements(data, type, picks);
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  auto type = dyn_cast<RankedTensorType>(getType());
  auto value = dyn_cast<DenseElementsAttr>(getValue());
  if (!type || !type.hasStaticShape() || !value)
    return nullptr;
  // A splat literal costs one element whatever the shape.
  return DenseElementsAttr::get(type, value.getSplatValue<Attribute>());
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getStaticType(getType());
  auto start = getIntElements(adaptor.getStart());
  auto delta = getIntElements(adaptor.getDelta());
  if (!type || !start || !delta || start->size() != 1 || delta->size() != 1)
    return nullptr;
  SmallVector<int64_t> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    int64_t offset, value;
    if (__builtin_mul_overflow(i, (*delta)[0], &offset) ||
        __builtin_add_overflow((*start)[0], offset, &value))
      return nullptr;
    values.push_back(value);
  }
  return makeIntElements(type, values);
}

// Bitwise ops on the sign- or zero-extended values agree with the ops on the
// narrow ones, which makeIntElements truncates back to.
OpFoldResult BitwiseAndOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor,
                       [](int64_t a, int64_t b) -> std::optional<int64_t> { return a & b; });
}

OpFoldResult BitwiseOrOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor,
                       [](int64_t a, int64_t b) -> std::optional<int64_t> { return a | b; });
}

OpFoldResult BitwiseXorOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor,
                       [](int64_t a, int64_t b) -> std::optional<int64_t> { return a ^ b; });
}

OpFoldResult BitwiseNotOp::fold(FoldAdaptor adaptor) {
  return foldIntElementwise(getType(), {adaptor.getInput()}, {getInput().getType()},
                            [](ArrayRef<int64_t> a) -> std::optional<int64_t> { return ~a[0]; });
}
