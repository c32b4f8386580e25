//===- RoiAlign.cpp - ONNX RoiAlign as arithmetic and one gather ----------===//
//
// RoiAlign pools each region of interest into an output_height x
// output_width grid; each bin takes sampling_ratio x sampling_ratio samples,
// each sample a bilinear mix of four pixels. Where the samples lie depends
// on the rois, which are data, so the sample coordinates are elementwise r1
// ops on the rois, as ONNX's reference computes them per element
// (onnx/reference/ops/op_roi_align.py). Coordinates are separable: rows
// depend on the roi, bin row and sample row only, columns likewise, so each
// axis is computed on its own and the two meet by broadcasting.
//
// Every (sample, corner) pair is one pixel to read: one gather_nd from the
// input seen as [N, pixels, C], with the roi's batch index in each tuple.
// avg mode sums the weighted corners over the bin's samples and divides by
// their count; max mode takes the largest weighted corner (weight times
// value, not the interpolated value) over the bin, as the reference does.
//
// sampling_ratio 0 (adaptive: ceil(roi size / bins) samples per bin) makes
// the number of samples depend on the rois' values, which a static graph
// cannot follow; a positive sampling_ratio is required.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Where one axis of every sample lies: the two pixels around it along the
/// axis and their weights (zero for samples outside the input), [R, P, G]
/// for P bins and G samples per bin.
struct AxisTaps {
  Value low, high;             // i64
  Value lowWeight, highWeight; // the input's float type
};

AxisTaps sampleAxis(OnnxNode &node, Value rois, int64_t startColumn, int64_t endColumn,
                    int64_t size, int64_t bins, int64_t samples, double scale, bool halfPixel) {
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(rois);
  auto c = [&](double v) { return node.scalar(element, v); };
  auto add = [&](Value x, Value y) -> Value { return node.create<AddOp>(x, y); };
  auto sub = [&](Value x, Value y) -> Value { return node.create<SubOp>(x, y); };
  auto mul = [&](Value x, Value y) -> Value { return node.create<MulOp>(x, y); };
  auto div = [&](Value x, Value y) -> Value { return node.create<DivOp>(x, y); };
  auto select = [&](Value m, Value x, Value y) -> Value { return node.create<WhereOp>(m, x, y); };

  // Per roi, [R, 1, 1]: where its first bin starts and how long bins are.
  double offset = halfPixel ? 0.5 : 0.0;
  auto column = [&](int64_t index) {
    Value value = takeAlong(node, rois, 1, index);
    return node.create<UnsqueezeOp>(value, b.getDenseI64ArrayAttr({1, 2})).getResult();
  };
  Value start = sub(mul(column(startColumn), c(scale)), c(offset));
  Value end = sub(mul(column(endColumn), c(scale)), c(offset));
  Value length = sub(end, start);
  // Without half_pixel a malformed roi is forced to at least one pixel.
  if (!halfPixel)
    length = node.create<MaxOp>(length, c(1));
  Value bin = div(length, c(double(bins)));

  // start + p * bin + (g + 0.5) * bin / G, in the reference's order.
  SmallVector<double> binIndex, sampleIndex;
  for (int64_t p = 0; p < bins; ++p)
    binIndex.push_back(double(p));
  for (int64_t g = 0; g < samples; ++g)
    sampleIndex.push_back(double(g) + 0.5);
  Value p = makeTable(node, {1, bins, 1}, element, binIndex);
  Value g = makeTable(node, {1, 1, samples}, element, sampleIndex);
  Value at = add(add(start, mul(p, bin)), div(mul(g, bin), c(double(samples))));

  // Samples beyond a pixel outside the input read nothing; the others are
  // clamped to the input, and at its last pixel both taps are that pixel.
  Value outside =
      node.create<OrOp>(node.create<LessOp>(at, c(-1)), node.create<LessOp>(c(double(size)), at));
  at = node.create<MaxOp>(at, c(0));
  Value low = node.create<FloorOp>(at);
  Value atEdge = node.create<GreaterEqualOp>(low, c(double(size - 1)));
  Value last = c(double(size - 1));
  Value high = select(atEdge, last, add(low, c(1)));
  low = select(atEdge, last, low);
  at = select(atEdge, low, at);
  Value fraction = sub(at, low);
  Value zero = c(0);
  AxisTaps taps;
  Type i64 = b.getI64Type();
  taps.low = node.create<CastOp>(low, TypeAttr::get(i64));
  taps.high = node.create<CastOp>(high, TypeAttr::get(i64));
  taps.lowWeight = select(outside, zero, sub(c(1), fraction));
  taps.highWeight = select(outside, zero, fraction);
  return taps;
}

} // namespace

FailureOr<SmallVector<Value>> mlir::r1::legalizeRoiAlign(OnnxNode &node) {
  FailureOr<Value> maybeX = node.requiredInput(0), maybeRois = node.requiredInput(1),
                   maybeBatch = node.requiredInput(2);
  if (failed(maybeX) || failed(maybeRois) || failed(maybeBatch))
    return failure();
  Value x = *maybeX, rois = *maybeRois, batchIndices = *maybeBatch;
  auto xShape = getShapeOf(x), roiShape = getShapeOf(rois);
  if (!xShape || xShape->size() != 4 ||
      llvm::is_contained(ArrayRef(*xShape).drop_front(), kDynamic))
    return node.emitError() << "needs an input [N, C, H, W] with static C, H and W", failure();
  if (!roiShape || roiShape->size() != 2 || (*roiShape)[1] != 4)
    return node.emitError() << "needs rois of shape [num_rois, 4]", failure();
  Type element = getElementTypeOf(x);
  if (!isa<FloatType>(element))
    return node.emitError() << "needs a floating-point input", failure();
  if (getElementTypeOf(rois) != element)
    rois = node.create<CastOp>(rois, TypeAttr::get(element));

  // Before opset 16 there was no coordinate_transformation_mode: coordinates
  // were not shifted by half a pixel (what output_half_pixel names now).
  StringRef transform = node.getOpset() >= 16
                            ? node.getString("coordinate_transformation_mode", "half_pixel")
                            : "output_half_pixel";
  if (transform != "half_pixel" && transform != "output_half_pixel")
    return node.emitError() << "unknown coordinate_transformation_mode \"" << transform << "\"",
           failure();
  StringRef mode = node.getString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return node.emitError() << "unknown mode \"" << mode << "\"", failure();
  int64_t outHeight = node.getInt("output_height", 1), outWidth = node.getInt("output_width", 1);
  int64_t ratio = node.getInt("sampling_ratio", 0);
  double scale = node.getFloat("spatial_scale", 1.0f);
  if (outHeight <= 0 || outWidth <= 0)
    return node.emitError() << "output_height and output_width must be positive", failure();
  if (ratio <= 0)
    return node.emitError() << "sampling_ratio " << ratio
                            << " (adaptive) takes ceil(roi size / bins) samples per bin, which "
                               "depends on the rois' values; r1c needs a positive sampling_ratio",
           failure();

  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  int64_t channels = (*xShape)[1], height = (*xShape)[2], width = (*xShape)[3];
  int64_t numRois = (*roiShape)[0];
  bool halfPixel = transform == "half_pixel";
  AxisTaps rows = sampleAxis(node, rois, 1, 3, height, outHeight, ratio, scale, halfPixel);
  AxisTaps cols = sampleAxis(node, rois, 0, 2, width, outWidth, ratio, scale, halfPixel);

  // Rows [R, PH, GH, 1, 1] meet columns [R, 1, 1, PW, GW].
  auto asRows = [&](Value v) {
    return node.create<UnsqueezeOp>(v, b.getDenseI64ArrayAttr({3, 4})).getResult();
  };
  auto asCols = [&](Value v) {
    return node.create<UnsqueezeOp>(v, b.getDenseI64ArrayAttr({1, 2})).getResult();
  };
  SmallVector<Value> pixels, weights;
  for (auto [row, rowWeight] :
       {std::pair(rows.low, rows.lowWeight), std::pair(rows.high, rows.highWeight)})
    for (auto [col, colWeight] :
         {std::pair(cols.low, cols.lowWeight), std::pair(cols.high, cols.highWeight)}) {
      pixels.push_back(node.create<AddOp>(
          asRows(node.create<MulOp>(row, node.scalar(i64, double(width)))), asCols(col)));
      weights.push_back(node.create<MulOp>(asRows(rowWeight), asCols(colWeight)));
    }
  // [R, PH, GH, PW, GW, 4] pixels, each with its roi's batch index.
  Value pixel = stackAlong(node, pixels, 5);
  Value weight = stackAlong(node, weights, 5);
  Value batch = batchIndices;
  if (getElementTypeOf(batch) != i64)
    batch = node.create<CastOp>(batch, TypeAttr::get(i64));
  batch = node.create<UnsqueezeOp>(batch, b.getDenseI64ArrayAttr({1, 2, 3, 4, 5}));
  batch = node.create<AddOp>(batch, node.create<MulOp>(pixel, node.scalar(i64, 0)));
  int64_t count = outHeight * ratio * outWidth * ratio * 4;
  Value tuples = reshapeTo(node, stackAlong(node, {batch, pixel}, 6), {numRois, count, 2});

  Value table = reshapeTo(node, node.create<TransposeOp>(x, b.getDenseI64ArrayAttr({0, 2, 3, 1})),
                          {(*xShape)[0], height * width, channels});
  Value picked = node.create<GatherNDOp>(table, tuples, b.getI64IntegerAttr(0));
  picked = reshapeTo(node, picked, {numRois, outHeight, ratio, outWidth, ratio, 4, channels});
  Value weighted =
      node.create<MulOp>(picked, node.create<UnsqueezeOp>(weight, b.getDenseI64ArrayAttr({6})));
  auto axes = b.getDenseI64ArrayAttr({2, 4, 5});
  Value pooled;
  if (mode == "avg")
    pooled =
        node.create<DivOp>(node.create<ReduceSumOp>(weighted, Value(), axes, b.getBoolAttr(false),
                                                    b.getBoolAttr(false)),
                           node.scalar(element, double(ratio * ratio)));
  else
    pooled = node.create<ReduceMaxOp>(weighted, Value(), axes, b.getBoolAttr(false),
                                      b.getBoolAttr(false));
  // [R, PH, PW, C] -> [R, C, PH, PW].
  return results(node.create<TransposeOp>(pooled, b.getDenseI64ArrayAttr({0, 3, 1, 2})));
}
