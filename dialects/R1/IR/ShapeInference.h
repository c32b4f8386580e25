//===- ShapeInference.h - Shape rules shared by r1 ops ---------*- C++ -*-===//
//
// The shape arithmetic of ONNX (broadcasting, windows, slices) in one place,
// used both by result type inference and by the verifiers.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1_IR_SHAPEINFERENCE_H
#define R1C_DIALECTS_R1_IR_SHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::r1 {

constexpr int64_t kDynamic = ShapedType::kDynamic;

/// The dims of a ranked tensor value or type; std::nullopt when unranked.
std::optional<SmallVector<int64_t>> getShapeOf(Type type);
std::optional<SmallVector<int64_t>> getShapeOf(Value value);
/// The rank of a ranked tensor value.
std::optional<int64_t> getRankOf(Value value);
Type getElementTypeOf(Value value);

/// A ranked tensor type, or an unranked one when `shape` is std::nullopt.
TensorType makeTensorType(std::optional<ArrayRef<int64_t>> shape, Type element);

/// Numpy broadcasting of two shapes. A conflict between static dims gives a
/// dynamic dim and sets `conflict`, so inference always yields a type and the
/// verifier reports the problem with context.
SmallVector<int64_t> broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                                     bool *conflict = nullptr);

/// The numpy broadcast of the operands' shapes in `element` (unranked when
/// one of them is).
TensorType broadcastType(ValueRange operands, Type element);

/// A shape as diagnostics print it: [2, ?, 768].
std::string describeShape(ArrayRef<int64_t> shape);

/// Maps an ONNX axis in [-rank, rank) to [0, rank); std::nullopt when outside.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Output size of a sliding window (conv, pool) along one dim.
int64_t windowOutputSize(int64_t input, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);

/// Number of elements ONNX Slice keeps along a dim of size `dim`, with starts
/// and ends clamped the way ONNX specifies.
int64_t sliceOutputSize(int64_t dim, int64_t start, int64_t end, int64_t step);
/// The first index ONNX Slice reads along a dim of size `dim`.
int64_t sliceFirstIndex(int64_t dim, int64_t start, int64_t step);

/// How Pad reads one dim: output index o reads input index o - begin, and
/// negative pads first crop the input to [lo, hi] (empty when hi < lo),
/// inside which the pad modes mirror, clamp or wrap.
struct PadRange {
  int64_t begin, lo, hi;
};
/// Per dim of a static `shape`, from Pad's begin-then-end `pads`.
SmallVector<PadRange> getPadRanges(ArrayRef<int64_t> shape, ArrayRef<int64_t> pads);

/// Product of dims, or kDynamic when one of them is dynamic or it overflows.
int64_t productOfDims(ArrayRef<int64_t> dims);

/// Dim arithmetic on values read from files: kDynamic in, or overflow, gives
/// kDynamic (never undefined behaviour).
int64_t addDims(int64_t a, int64_t b);
int64_t mulDims(int64_t a, int64_t b);

} // namespace mlir::r1

#endif // R1C_DIALECTS_R1_IR_SHAPEINFERENCE_H
