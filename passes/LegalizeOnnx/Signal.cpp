//===- Signal.cpp - Window functions and the DFT --------------------------===//
//
// HannWindow, HammingWindow and BlackmanWindow depend only on their length,
// which is a constant in real models (or, when the graph gives it as data,
// the length the model declares for the output): r1c computes the window at
// compile time. The DFT is two matmuls by constant cosine and sine matrices.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// w[n] = a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D), D = N (periodic) or N - 1.
Result buildWindow(OnnxNode &node, double a0, double a1, double a2) {
  std::optional<double> size = node.constantScalar(0);
  if (auto declared = node.declaredShape(0); !size && declared && declared->size() == 1)
    size = double((*declared)[0]);
  if (!size)
    return node.emitError() << "size must be a constant, or the output's length declared in "
                               "the model",
           failure();
  FailureOr<Type> element = getOnnxElementType(node, node.getInt("output_datatype", 1));
  if (failed(element))
    return failure();
  int64_t length = int64_t(*size);
  double period = node.getInt("periodic", 1) != 0 ? double(length) : double(length - 1);
  SmallVector<Attribute> values;
  for (int64_t n = 0; n < length; ++n) {
    double phase = 2 * M_PI * double(n) / period;
    double w = a0 - a1 * std::cos(phase) + a2 * std::cos(2 * phase);
    if (isa<FloatType>(*element))
      values.push_back(FloatAttr::get(*element, w));
    else
      values.push_back(IntegerAttr::get(*element, int64_t(w)));
  }
  auto type = RankedTensorType::get({length}, *element);
  return results(node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, values))));
}

Result legalizeHannWindow(OnnxNode &node) { return buildWindow(node, 0.5, 0.5, 0); }
Result legalizeHammingWindow(OnnxNode &node) {
  return buildWindow(node, 25.0 / 46.0, 21.0 / 46.0, 0);
}
Result legalizeBlackmanWindow(OnnxNode &node) { return buildWindow(node, 0.42, 0.5, 0.08); }

/// A constant [rows, cols] matrix of f(row, col) in `element`.
Value constantMatrix(OnnxNode &node, Type element, int64_t rows, int64_t cols,
                     llvm::function_ref<double(int64_t, int64_t)> f) {
  SmallVector<Attribute> values;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      values.push_back(FloatAttr::get(element, f(r, c)));
  auto type = RankedTensorType::get({rows, cols}, element);
  return node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, values)));
}

/// The DFT of `x` ([..., 1] real or [..., 2] complex) along signal dim
/// `axis`: the signal dim moved last, two matmuls by constant cosine and
/// sine matrices, and back. [..., N', 2] with N' = N, or N / 2 + 1 when
/// one-sided.
FailureOr<Value> transformAlong(OnnxNode &node, Value x, int64_t axis) {
  OpBuilder &b = node.getBuilder();
  auto shape = getShapeOf(x);
  int64_t rank = shape->size();
  if (axis < 0 || axis >= rank - 1 || (*shape)[axis] == kDynamic)
    return node.emitError() << "axis must name a static signal dim", failure();
  Type element = getElementTypeOf(x);
  int64_t n = (*shape)[axis];
  bool inverse = node.getInt("inverse", 0) != 0, onesided = node.getInt("onesided", 0) != 0;
  int64_t bins = onesided ? n / 2 + 1 : n;
  double sign = inverse ? 1 : -1, scale = inverse ? 1.0 / double(n) : 1;
  auto angle = [&](int64_t t, int64_t k) { return 2 * M_PI * double(t * k % n) / double(n); };
  Value cosines = constantMatrix(
      node, element, n, bins, [&](int64_t t, int64_t k) { return scale * std::cos(angle(t, k)); });
  Value sines = constantMatrix(node, element, n, bins, [&](int64_t t, int64_t k) {
    return sign * scale * std::sin(angle(t, k));
  });
  // [..., N at axis, ..., 1|2] -> per part, [..., rest..., N].
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  SmallVector<int64_t> back(rank - 1);
  for (auto [i, d] : llvm::enumerate(perm))
    back[d] = i;
  auto part = [&](int64_t which) {
    Value slice =
        node.create<SliceOp>(x, b.getDenseI64ArrayAttr({rank - 1}), b.getDenseI64ArrayAttr({which}),
                             b.getDenseI64ArrayAttr({which + 1}), b.getDenseI64ArrayAttr({1}));
    Value squeezed = node.create<SqueezeOp>(slice, b.getDenseI64ArrayAttr({rank - 1}));
    return node.create<TransposeOp>(squeezed, b.getDenseI64ArrayAttr(perm));
  };
  bool complex = (*shape)[rank - 1] == 2;
  Value re = part(0);
  // e^{sign i theta} = cos + sign i sin (the sign is folded into `sines`).
  Value outRe = node.create<MatMulOp>(re, cosines);
  Value outIm = node.create<MatMulOp>(re, sines);
  if (complex) {
    Value im = part(1);
    outRe = node.create<SubOp>(outRe, node.create<MatMulOp>(im, sines));
    outIm = node.create<AddOp>(outIm, node.create<MatMulOp>(im, cosines));
  }
  auto restore = [&](Value v) {
    Value moved = node.create<TransposeOp>(v, b.getDenseI64ArrayAttr(back));
    return node.create<UnsqueezeOp>(moved, b.getDenseI64ArrayAttr({rank - 1}));
  };
  return Value(node.create<ConcatOp>(ValueRange{restore(outRe), restore(outIm)},
                                     b.getI64IntegerAttr(rank - 1)));
}

/// DFT. The axis is an attribute before opset 20, an input from then on;
/// an axis given as data selects among the transforms along every signal
/// dim of the same length.
Result legalizeDFT(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || llvm::is_contained(*shape, kDynamic) || shape->size() < 2 ||
      (shape->back() != 1 && shape->back() != 2))
    return node.emitError() << "needs a static input whose last dim is 1 (real) or 2 (complex)",
           failure();
  if (node.input(1))
    return node.emitError() << "dft_length is unsupported; pad or slice the signal instead",
           failure();
  int64_t rank = shape->size();
  auto normalize = [&](int64_t axis) { return axis < 0 ? axis + rank : axis; };
  if (node.getOpset() < 20) {
    FailureOr<Value> y = transformAlong(node, *x, normalize(node.getInt("axis", 1)));
    return failed(y) ? Result(failure()) : results(*y);
  }
  if (!node.input(2)) {
    FailureOr<Value> y = transformAlong(node, *x, rank - 2);
    return failed(y) ? Result(failure()) : results(*y);
  }
  if (std::optional<SmallVector<int64_t>> axis = node.constantInts(2)) {
    FailureOr<Value> y = transformAlong(node, *x, normalize((*axis)[0]));
    return failed(y) ? Result(failure()) : results(*y);
  }
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Value axis = node.create<ReshapeOp>(node.create<CastOp>(node.input(2), TypeAttr::get(i64)),
                                      node.i64Vector({}), b.getBoolAttr(false));
  axis = node.create<WhereOp>(node.create<LessOp>(axis, node.scalar(i64, 0)),
                              node.create<AddOp>(axis, node.scalar(i64, rank)), axis);
  Value y;
  for (int64_t candidate = rank - 2; candidate >= 1; --candidate) {
    FailureOr<Value> along = transformAlong(node, *x, candidate);
    if (failed(along))
      return failure();
    if (y && getShapeOf(*along) != getShapeOf(y))
      continue;
    y = y ? Value(node.create<WhereOp>(node.create<EqualOp>(axis, node.scalar(i64, candidate)),
                                       *along, y))
          : *along;
  }
  if (!y)
    return node.emitError() << "needs a signal dim", failure();
  return results(y);
}

} // namespace

void mlir::r1::addSignalOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"BlackmanWindow", 17, legalizeBlackmanWindow},
      {"DFT", 17, legalizeDFT},
      {"HammingWindow", 17, legalizeHammingWindow},
      {"HannWindow", 17, legalizeHannWindow},
  });
}
