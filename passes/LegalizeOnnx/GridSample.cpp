//===- GridSample.cpp - ONNX GridSample as arithmetic and one gather ------===//
//
// GridSample reads the input at positions the grid holds, so its indices
// and weights are data: computed here by elementwise r1 ops on the grid, as
// ONNX's reference does per element (onnx/reference/ops/op_grid_sample.py).
// Per spatial dim: the normalized coordinate to a pixel one, the padding
// mode applied to coordinates outside the input, the taps around it
// (nearest: 1, linear: 2, cubic: 4) with their weights and their indices
// brought inside the input. Every combination of one tap per dim is one
// element to read: all of them are one gather_nd from the input seen as
// [N, pixels, C], weighted and summed over the taps.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/ImageOps.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// Elementwise arithmetic on grid-shaped tensors of one float type.
struct GridMath {
  OnnxNode &node;
  Type element;

  Value c(double v) { return node.scalar(element, v); }
  Value add(Value a, Value b) { return node.create<AddOp>(a, b); }
  Value sub(Value a, Value b) { return node.create<SubOp>(a, b); }
  Value mul(Value a, Value b) { return node.create<MulOp>(a, b); }
  Value div(Value a, Value b) { return node.create<DivOp>(a, b); }
  Value floor(Value a) { return node.create<FloorOp>(a); }
  Value clip(Value a, double lo, double hi) {
    OpBuilder &b = node.getBuilder();
    return node.create<ClipOp>(a, b.getF64FloatAttr(lo), b.getF64FloatAttr(hi));
  }
  Value less(Value a, Value b) { return node.create<LessOp>(a, b); }
  Value select(Value m, Value a, Value b) { return node.create<WhereOp>(m, a, b); }
  Value outside(Value x, double lo, double hi) {
    return node.create<OrOp>(less(x, c(lo)), less(c(hi), x));
  }

  /// x reflected at lo and hi until it lies between them.
  Value reflect(Value x, double lo, double hi) {
    double span = hi - lo;
    if (span <= 0)
      return clip(x, lo, lo);
    // Whole spans travelled past the border and what remains; an even
    // count comes back from that border, an odd one from the other.
    auto fold = [&](Value distance, double near, double far, bool towardsHigh) {
      Value spans = floor(div(distance, c(span)));
      Value rest = sub(distance, mul(spans, c(span)));
      Value odd = less(c(0.5), sub(spans, mul(c(2), floor(div(spans, c(2))))));
      Value fromNear = towardsHigh ? add(c(near), rest) : sub(c(near), rest);
      Value fromFar = towardsHigh ? sub(c(far), rest) : add(c(far), rest);
      return select(odd, fromFar, fromNear);
    };
    Value below = fold(sub(c(lo), x), lo, hi, /*towardsHigh=*/true);
    Value above = fold(sub(x, c(hi)), hi, lo, /*towardsHigh=*/false);
    return select(less(x, c(lo)), below, select(less(c(hi), x), above, x));
  }
};

/// Cubic convolution weights (Keys, a = -0.75) of the taps at floor(x) - 1
/// to floor(x) + 2, from t = x - floor(x).
SmallVector<Value> cubicWeights(GridMath &m, Value t) {
  double a = -0.75;
  Value t1 = m.add(t, m.c(1)), s = m.sub(m.c(1), t), s1 = m.sub(m.c(2), t);
  auto outer = [&](Value u) {
    return m.sub(m.mul(m.add(m.mul(m.sub(m.mul(m.c(a), u), m.c(5 * a)), u), m.c(8 * a)), u),
                 m.c(4 * a));
  };
  auto inner = [&](Value u) {
    return m.add(m.mul(m.mul(m.sub(m.mul(m.c(a + 2), u), m.c(a + 3)), u), u), m.c(1));
  };
  return {outer(t1), inner(t), inner(s), outer(s1)};
}

/// One dim's taps: index (integral, as a float) and weight per tap.
struct DimTaps {
  SmallVector<Value> indices, weights;
};

} // namespace

Result mlir::r1::legalizeGridSample(OnnxNode &node) {
  FailureOr<Value> maybeX = node.requiredInput(0), maybeGrid = node.requiredInput(1);
  if (failed(maybeX) || failed(maybeGrid))
    return failure();
  Value x = *maybeX, grid = *maybeGrid;
  auto xShape = getShapeOf(x), gridShape = getShapeOf(grid);
  if (!xShape || !gridShape)
    return node.emitError() << "needs input and grid of known rank", failure();
  int64_t dims = int64_t(xShape->size()) - 2;
  if (dims < 1 || int64_t(gridShape->size()) != dims + 2 || gridShape->back() != dims)
    return node.emitError() << "needs a grid of shape [N, out dims..., " << dims
                            << "] for an input of rank " << xShape->size(),
           failure();
  if (node.getOpset() < 20 && dims != 2)
    return node.emitError() << "takes 4-D inputs before opset 20", failure();
  if (llvm::is_contained(ArrayRef<int64_t>(*xShape).drop_front(), kDynamic) ||
      llvm::is_contained(ArrayRef<int64_t>(*gridShape).drop_front(), kDynamic))
    return node.emitError() << "needs static dims but the batch", failure();
  Type xElement = getElementTypeOf(x), element = getElementTypeOf(grid);
  if (!isa<FloatType>(xElement) || !isa<FloatType>(element))
    return node.emitError() << "needs floating-point input and grid", failure();

  std::string mode = node.getString("mode", node.getOpset() < 20 ? "bilinear" : "linear").str();
  if (mode == "bilinear")
    mode = "linear";
  else if (mode == "bicubic")
    mode = "cubic";
  StringRef padding = node.getString("padding_mode", "zeros");
  bool alignCorners = node.getInt("align_corners", 0) != 0;
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return node.emitError() << "unknown mode \"" << mode << "\"", failure();
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return node.emitError() << "unknown padding_mode \"" << padding << "\"", failure();

  OpBuilder &b = node.getBuilder();
  GridMath m{node, element};
  int64_t batch = (*xShape)[0], channels = (*xShape)[1];
  ArrayRef<int64_t> sizes = ArrayRef<int64_t>(*xShape).drop_front(2);
  ArrayRef<int64_t> outSizes = ArrayRef<int64_t>(*gridShape).slice(1, dims);
  int64_t lastAxis = dims + 1;

  SmallVector<DimTaps> taps;
  for (int64_t k = 0; k < dims; ++k) {
    double length = sizes[k];
    // The grid's last dim lists coordinates innermost dim first (x, y, ...).
    int64_t component = dims - 1 - k;
    Value g = node.create<SqueezeOp>(node.create<SliceOp>(grid, b.getDenseI64ArrayAttr({lastAxis}),
                                                          b.getDenseI64ArrayAttr({component}),
                                                          b.getDenseI64ArrayAttr({component + 1}),
                                                          b.getDenseI64ArrayAttr({1})),
                                     b.getDenseI64ArrayAttr({lastAxis}));
    // -1 and 1 are the centers of the corner pixels with align_corners,
    // else their outer edges.
    Value coordinate = alignCorners
                           ? m.mul(m.div(m.add(g, m.c(1)), m.c(2)), m.c(length - 1))
                           : m.div(m.sub(m.mul(m.add(g, m.c(1)), m.c(length)), m.c(1)), m.c(2));
    if (mode == "nearest")
      coordinate = node.create<RoundOp>(coordinate);
    double lo = alignCorners ? 0 : -0.5, hi = alignCorners ? length - 1 : length - 0.5;
    if (padding == "border")
      coordinate =
          m.select(m.outside(coordinate, lo, hi), m.clip(coordinate, 0, length - 1), coordinate);
    else if (padding == "reflection")
      coordinate =
          m.select(m.outside(coordinate, lo, hi), m.reflect(coordinate, lo, hi), coordinate);

    DimTaps dim;
    if (mode == "nearest") {
      dim.indices.push_back(coordinate);
      dim.weights.push_back(m.c(1));
    } else {
      Value first = m.floor(coordinate), t = m.sub(coordinate, first);
      SmallVector<int64_t> offsets =
          mode == "linear" ? SmallVector<int64_t>{0, 1} : SmallVector<int64_t>{-1, 0, 1, 2};
      SmallVector<Value> weights =
          mode == "linear" ? SmallVector<Value>{m.sub(m.c(1), t), t} : cubicWeights(m, t);
      for (auto [offset, weight] : llvm::zip(offsets, weights)) {
        dim.indices.push_back(offset ? m.add(first, m.c(offset)) : first);
        dim.weights.push_back(weight);
      }
    }
    // Taps outside the input: zeros weigh nothing, border reads the edge,
    // reflection reads the mirrored pixel. Indices then stay in range.
    for (auto [index, weight] : llvm::zip(dim.indices, dim.weights)) {
      if (padding == "zeros")
        weight = m.select(m.outside(index, 0, length - 1), m.c(0), weight);
      else if (padding == "reflection")
        index = m.reflect(index, lo, hi);
      index = m.clip(index, 0, length - 1);
    }
    taps.push_back(std::move(dim));
  }

  // Every combination of one tap per dim: its flat pixel index and weight.
  Type i64 = b.getI64Type();
  SmallVector<Value> flat, weights;
  SmallVector<int64_t> choice(dims, 0);
  bool weighted = mode != "nearest" || padding == "zeros";
  while (true) {
    Value index, weight;
    int64_t stride = 1;
    for (int64_t k = dims - 1; k >= 0; --k) {
      Value term = node.create<CastOp>(taps[k].indices[choice[k]], TypeAttr::get(i64));
      if (stride != 1)
        term = node.create<MulOp>(term, node.scalar(i64, stride));
      index = index ? node.create<AddOp>(index, term).getResult() : term;
      Value w = taps[k].weights[choice[k]];
      weight = weight ? m.mul(weight, w) : w;
      stride *= sizes[k];
    }
    flat.push_back(index);
    weights.push_back(weight);
    int64_t k = dims - 1;
    while (k >= 0 && ++choice[k] == int64_t(taps[k].indices.size()))
      choice[k--] = 0;
    if (k < 0)
      break;
  }

  int64_t count = flat.size(), pixels = productOfDims(sizes), outPixels = productOfDims(outSizes);
  auto stack = [&](ArrayRef<Value> parts, Type type) {
    SmallVector<Value> columns;
    for (Value part : parts) {
      if (getElementTypeOf(part) != type)
        part = node.create<CastOp>(part, TypeAttr::get(type));
      columns.push_back(node.create<UnsqueezeOp>(part, b.getDenseI64ArrayAttr({lastAxis})));
    }
    return columns.size() == 1
               ? columns.front()
               : node.create<ConcatOp>(columns, b.getI64IntegerAttr(lastAxis)).getResult();
  };
  // The input as [N, pixels, C], so that one index tuple reads all channels.
  SmallVector<int64_t> toChannelsLast = {0};
  for (int64_t k = 0; k < dims; ++k)
    toChannelsLast.push_back(2 + k);
  toChannelsLast.push_back(1);
  Value table = reshapeTo(node, node.create<TransposeOp>(x, b.getDenseI64ArrayAttr(toChannelsLast)),
                          {batch, pixels, channels});
  Value indices = reshapeTo(node, stack(flat, i64), {batch, outPixels * count, 1});
  Value picked = node.create<GatherNDOp>(table, indices, b.getI64IntegerAttr(1));
  Value sampled;
  if (weighted) {
    Value tapWeights = reshapeTo(node, stack(weights, xElement), {batch, outPixels, count, 1});
    Value products = node.create<MulOp>(
        reshapeTo(node, picked, {batch, outPixels, count, channels}), tapWeights);
    sampled = node.create<ReduceSumOp>(products, Value(), b.getDenseI64ArrayAttr({2}),
                                       b.getBoolAttr(false), b.getBoolAttr(false));
  } else {
    sampled = picked;
  }
  // [N, out pixels, C] -> [N, C, out dims...].
  Value channelsFirst = node.create<TransposeOp>(sampled, b.getDenseI64ArrayAttr({0, 2, 1}));
  SmallVector<int64_t> outShape = {batch, channels};
  outShape.append(outSizes.begin(), outSizes.end());
  return results(reshapeTo(node, channelsFirst, outShape));
}
