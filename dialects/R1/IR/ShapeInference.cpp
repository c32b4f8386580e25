//===- ShapeInference.cpp - Shape rules shared by r1 ops ------------------===//
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/Value.h"
#include <algorithm>

using namespace mlir;

std::optional<SmallVector<int64_t>> r1::getShapeOf(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return std::nullopt;
  return llvm::to_vector(ranked.getShape());
}

std::optional<SmallVector<int64_t>> r1::getShapeOf(Value value) {
  return getShapeOf(value.getType());
}

Type r1::getElementTypeOf(Value value) {
  if (auto shaped = dyn_cast<ShapedType>(value.getType()))
    return shaped.getElementType();
  return value.getType();
}

TensorType r1::makeTensorType(std::optional<ArrayRef<int64_t>> shape, Type element) {
  if (!shape)
    return UnrankedTensorType::get(element);
  return RankedTensorType::get(*shape, element);
}

TensorType r1::broadcastType(ValueRange operands, Type element) {
  SmallVector<int64_t> shape;
  for (Value operand : operands) {
    auto operandShape = getShapeOf(operand);
    if (!operandShape)
      return makeTensorType(std::nullopt, element);
    shape = broadcastShapes(shape, *operandShape);
  }
  return makeTensorType(ArrayRef<int64_t>(shape), element);
}

std::string r1::describeShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::interleave(
      shape, [&](int64_t dim) { text += dim == kDynamic ? "?" : std::to_string(dim); },
      [&] { text += ", "; });
  return text + "]";
}

SmallVector<int64_t> r1::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                         bool *conflict) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing dim behaves like 1.
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == 1) {
      result[i] = b;
    } else if (b == 1) {
      result[i] = a;
    } else if (a == kDynamic) {
      result[i] = b;
    } else if (b == kDynamic || a == b) {
      result[i] = a;
    } else {
      result[i] = kDynamic;
      if (conflict)
        *conflict = true;
    }
  }
  return result;
}

std::optional<int64_t> r1::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

int64_t r1::addDims(int64_t a, int64_t b) {
  int64_t sum;
  if (a == kDynamic || b == kDynamic || __builtin_add_overflow(a, b, &sum) || sum == kDynamic)
    return kDynamic;
  return sum;
}

int64_t r1::mulDims(int64_t a, int64_t b) {
  int64_t product;
  if (a == kDynamic || b == kDynamic || __builtin_mul_overflow(a, b, &product) ||
      product == kDynamic)
    return kDynamic;
  return product;
}

int64_t r1::windowOutputSize(int64_t input, int64_t kernel, int64_t stride,
                             int64_t padBegin, int64_t padEnd, int64_t dilation,
                             bool ceilMode) {
  if (input == kDynamic || kernel == kDynamic || stride <= 0 || dilation <= 0 ||
      kernel <= 0 || padBegin < 0 || padEnd < 0)
    return kDynamic;
  // 128-bit: window attributes come from files and may be absurd.
  __int128 span = __int128(dilation) * (kernel - 1) + 1;
  __int128 padded = __int128(input) + padBegin + padEnd;
  if (padded < span)
    return 0;
  __int128 steps = padded - span;
  __int128 size = (ceilMode ? (steps + stride - 1) / stride : steps / stride) + 1;
  // With ceil_mode a window may not start in the end padding alone.
  if (ceilMode && (size - 1) * stride >= __int128(input) + padBegin)
    --size;
  return size > INT64_MAX / 2 ? kDynamic : int64_t(size);
}

static int64_t clampSliceBound(int64_t value, int64_t dim, int64_t step) {
  if (value < 0)
    value += dim; // cannot overflow: dim >= 0
  // Positive steps clamp to [0, dim], negative ones to [-1, dim - 1].
  if (step > 0)
    return std::clamp<int64_t>(value, 0, dim);
  return std::clamp<int64_t>(value, -1, dim - 1);
}

int64_t r1::sliceFirstIndex(int64_t dim, int64_t start, int64_t step) {
  return clampSliceBound(start, dim, step);
}

int64_t r1::sliceOutputSize(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim == kDynamic || step == 0)
    return kDynamic;
  __int128 first = clampSliceBound(start, dim, step);
  __int128 last = clampSliceBound(end, dim, step);
  if (step > 0)
    return last > first ? int64_t((last - first + step - 1) / step) : 0;
  return first > last ? int64_t((first - last - step - 1) / -__int128(step)) : 0;
}

std::optional<int64_t> r1::getRankOf(Value value) {
  if (auto shape = getShapeOf(value))
    return int64_t(shape->size());
  return std::nullopt;
}

SmallVector<r1::PadRange> r1::getPadRanges(ArrayRef<int64_t> shape, ArrayRef<int64_t> pads) {
  SmallVector<PadRange> ranges;
  int64_t rank = shape.size();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t begin = pads[d], end = pads[d + rank];
    ranges.push_back(
        {begin, std::max<int64_t>(0, -begin), shape[d] - 1 - std::max<int64_t>(0, -end)});
  }
  return ranges;
}

int64_t r1::productOfDims(ArrayRef<int64_t> dims) {
  int64_t product = 1;
  for (int64_t dim : dims)
    product = mulDims(product, dim);
  return product;
}
