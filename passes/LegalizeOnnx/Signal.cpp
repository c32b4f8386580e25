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
FailureOr<Value> transformAlong(OnnxNode &node, Value x, int64_t axis, bool inverse,
                                bool onesided) {
  OpBuilder &b = node.getBuilder();
  auto shape = getShapeOf(x);
  int64_t rank = shape->size();
  if (axis < 0 || axis >= rank - 1 || (*shape)[axis] == kDynamic)
    return node.emitError() << "axis must name a static signal dim", failure();
  Type element = getElementTypeOf(x);
  int64_t n = (*shape)[axis];
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
  bool inverse = node.getInt("inverse", 0) != 0, onesided = node.getInt("onesided", 0) != 0;
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
    FailureOr<Value> y =
        transformAlong(node, *x, normalize(node.getInt("axis", 1)), inverse, onesided);
    return failed(y) ? Result(failure()) : results(*y);
  }
  if (!node.input(2)) {
    FailureOr<Value> y = transformAlong(node, *x, rank - 2, inverse, onesided);
    return failed(y) ? Result(failure()) : results(*y);
  }
  if (std::optional<SmallVector<int64_t>> axis = node.constantInts(2)) {
    FailureOr<Value> y = transformAlong(node, *x, normalize((*axis)[0]), inverse, onesided);
    return failed(y) ? Result(failure()) : results(*y);
  }
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Value axis = node.dataAxis(node.input(2), rank);
  Value y;
  for (int64_t candidate = rank - 2; candidate >= 1; --candidate) {
    FailureOr<Value> along = transformAlong(node, *x, candidate, inverse, onesided);
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

/// STFT: frames `frame_step` apart, times the window, each transformed.
/// The step may be data: the frames are gathered at positions computed at
/// run time. The frame length is the window's, or frame_length; given as
/// data, it is read from the declared output (one-sided, N / 2 + 1 bins
/// fit two lengths: both are computed and the data select one).
Result legalizeSTFT(OnnxNode &node) {
  FailureOr<Value> signal = node.requiredInput(0), step = node.requiredInput(1);
  if (failed(signal) || failed(step))
    return failure();
  Value window = node.input(2), frameLength = node.input(3);
  auto shape = getShapeOf(*signal);
  if (!shape || shape->size() != 3 || llvm::is_contained(*shape, kDynamic) ||
      (shape->back() != 1 && shape->back() != 2))
    return node.emitError() << "needs a static signal [batch, length, 1 or 2]", failure();
  bool onesided = node.getInt("onesided", 1) != 0;
  std::optional<SmallVector<int64_t>> declared = node.declaredShape(0);
  if (declared && declared->size() != 4)
    declared.reset();
  SmallVector<int64_t> lengths;
  if (window) {
    auto windowShape = getShapeOf(window);
    if (!windowShape || windowShape->size() != 1 || (*windowShape)[0] == kDynamic)
      return node.emitError() << "needs a static 1-D window", failure();
    lengths.push_back((*windowShape)[0]);
  } else if (std::optional<double> length = frameLength ? node.constantScalar(3) : std::nullopt) {
    lengths.push_back(int64_t(*length));
  } else if (frameLength && declared) {
    int64_t bins = (*declared)[2];
    lengths.push_back(onesided ? 2 * (bins - 1) : bins);
    if (onesided)
      lengths.push_back(2 * bins - 1);
  } else {
    return node.emitError() << "needs a window, a constant frame_length, or the output's shape "
                               "declared in the model",
           failure();
  }
  int64_t samples = (*shape)[1];
  std::optional<int64_t> frames;
  if (declared)
    frames = (*declared)[1];
  else if (std::optional<double> constantStep = node.constantScalar(1);
           constantStep && *constantStep > 0)
    frames = (samples - lengths[0]) / int64_t(*constantStep) + 1;
  if (!frames)
    return node.emitError() << "frame_step is data: it needs the output's shape declared in the "
                               "model",
           failure();
  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type(), element = getElementTypeOf(*signal);
  Value stride = node.toScalar(*step, i64);
  Value y;
  for (int64_t length : lengths) {
    if (length <= 0 || length > samples)
      continue;
    // [frames, length] positions, clamped so that a length the data do not
    // select still reads inside the signal.
    Value positions = node.create<AddOp>(node.create<MulOp>(node.iota(*frames, 0, 2), stride),
                                         node.iota(length, 1, 2));
    positions = node.create<MinOp>(positions, node.scalar(i64, samples - 1));
    Value framed = node.create<GatherOp>(*signal, positions, b.getI64IntegerAttr(1));
    if (window) {
      Value weights = getElementTypeOf(window) == element
                          ? window
                          : Value(node.create<CastOp>(window, TypeAttr::get(element)));
      framed =
          node.create<MulOp>(framed, node.create<ReshapeOp>(weights, node.i64Vector({length, 1}),
                                                            b.getBoolAttr(false)));
    }
    FailureOr<Value> transformed = transformAlong(node, framed, 2, false, onesided);
    if (failed(transformed))
      return failure();
    y = !y ? *transformed
           : Value(node.create<WhereOp>(
                 node.create<EqualOp>(node.toScalar(frameLength, i64), node.scalar(i64, length)),
                 *transformed, y));
  }
  if (!y)
    return node.emitError() << "the frame length is longer than the signal", failure();
  return results(y);
}

/// MelWeightMatrix [dft_length / 2 + 1, num_mel_bins]: triangles between
/// bins spaced evenly on the mel scale. The inputs are often data, so the
/// matrix is computed at run time from iotas, in f64 past the mel scale as
/// ONNX's reference does; the shape comes from constants or the declared
/// output.
Result legalizeMelWeightMatrix(OnnxNode &node) {
  FailureOr<SmallVector<Value>> inputs = node.requiredInputs(5);
  if (failed(inputs))
    return failure();
  ArrayRef<Value> in = *inputs;
  std::optional<double> mels = node.constantScalar(0), dftLength = node.constantScalar(1);
  std::optional<SmallVector<int64_t>> declared = node.declaredShape(0);
  int64_t rows, cols;
  if (mels && dftLength) {
    rows = int64_t(*dftLength) / 2 + 1;
    cols = int64_t(*mels);
  } else if (declared && declared->size() == 2) {
    rows = (*declared)[0];
    cols = (*declared)[1];
  } else {
    return node.emitError() << "num_mel_bins and dft_length must be constants, or the output's "
                               "shape declared in the model",
           failure();
  }
  FailureOr<Type> outputType = getOnnxElementType(node, node.getInt("output_datatype", 1));
  if (failed(outputType))
    return failure();
  OpBuilder &b = node.getBuilder();
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  auto melOf = [&](Value hertz) {
    Value ratio = node.create<AddOp>(
        node.create<DivOp>(node.toScalar(hertz, f32), node.scalar(f32, 700)), node.scalar(f32, 1));
    Value log10 = node.create<DivOp>(node.create<LogOp>(ratio), node.scalar(f32, std::log(10.0)));
    return node.create<CastOp>(node.create<MulOp>(log10, node.scalar(f32, 2595)),
                               TypeAttr::get(f64));
  };
  Value low = melOf(in[3]), high = melOf(in[4]);
  Value step = node.create<DivOp>(node.create<SubOp>(high, low), node.scalar(f64, cols + 2));
  Value points = node.create<CastOp>(node.iota(cols + 2), TypeAttr::get(f64));
  Value mel = node.create<AddOp>(node.create<MulOp>(points, step), low);
  Value hertz = node.create<MulOp>(
      node.create<SubOp>(
          node.create<ExpOp>(node.create<MulOp>(mel, node.scalar(f64, std::log(10.0) / 2595))),
          node.scalar(f64, 1)),
      node.scalar(f64, 700));
  Value scale =
      node.create<DivOp>(node.create<AddOp>(node.toScalar(in[1], f64), node.scalar(f64, 1)),
                         node.toScalar(in[2], f64));
  Value bin = node.create<FloorOp>(node.create<MulOp>(hertz, scale));
  auto edge = [&](int64_t from) {
    return node.create<UnsqueezeOp>(
        node.create<SliceOp>(bin, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({from}),
                             b.getDenseI64ArrayAttr({from + cols}), b.getDenseI64ArrayAttr({1})),
        b.getDenseI64ArrayAttr({0}));
  };
  Value left = edge(0), center = edge(1), right = edge(2);
  Value j = node.create<CastOp>(node.iota(rows, 0, 2), TypeAttr::get(f64));
  // Later writes of the reference win: the falling edge over the rising one.
  Value falling = node.create<AndOp>(
      node.create<GreaterOp>(right, center),
      node.create<AndOp>(node.create<LessEqualOp>(center, j), node.create<LessOp>(j, right)));
  Value rising = node.create<AndOp>(
      node.create<GreaterOp>(center, left),
      node.create<AndOp>(node.create<LessEqualOp>(left, j), node.create<LessEqualOp>(j, center)));
  Value peak =
      node.create<AndOp>(node.create<EqualOp>(center, left), node.create<EqualOp>(j, center));
  Value down = node.create<DivOp>(node.create<SubOp>(right, j), node.create<SubOp>(right, center));
  Value up = node.create<DivOp>(node.create<SubOp>(j, left), node.create<SubOp>(center, left));
  Value weight = node.create<WhereOp>(
      falling, down,
      node.create<WhereOp>(rising, up,
                           node.create<WhereOp>(peak, node.scalar(f64, 1), node.scalar(f64, 0))));
  return results(node.create<CastOp>(weight, TypeAttr::get(*outputType)));
}

} // namespace

void mlir::r1::addSignalOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"BlackmanWindow", 17, legalizeBlackmanWindow},
      {"DFT", 17, legalizeDFT},
      {"HammingWindow", 17, legalizeHammingWindow},
      {"HannWindow", 17, legalizeHannWindow},
      {"MelWeightMatrix", 17, legalizeMelWeightMatrix},
      {"STFT", 17, legalizeSTFT},
  });
}
