//===- DeformConv.cpp - ONNX DeformConv as a gather and a matmul ----------===//
//
// A deformable convolution reads each kernel tap not at its grid position
// but shifted by an offset the graph computes, sampled bilinearly (zeros
// outside the input), optionally scaled by a mask; the samples then meet
// the weights as in any convolution. ONNX's reference samples with
// GridSample (bilinear, zeros, align_corners), which in pixel coordinates
// is: the taps at floor(y) and floor(y) + 1 weighted 1 - t and t, a tap
// outside the input weighing nothing.
//
// So: sample coordinates by elementwise r1 ops on the offsets, one
// gather_nd of the four corners of every sample from the input seen as
// [N, offset groups, pixels, channels of the group], weighted and summed
// into columns [N, C * taps, output pixels] (im2col with moved taps), then
// one batched matmul per conv group with the weights, and the bias.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

using namespace mlir;
using namespace mlir::r1;

FailureOr<SmallVector<Value>> mlir::r1::legalizeDeformConv(OnnxNode &node) {
  FailureOr<Value> maybeX = node.requiredInput(0), maybeW = node.requiredInput(1),
                   maybeOffset = node.requiredInput(2);
  if (failed(maybeX) || failed(maybeW) || failed(maybeOffset))
    return failure();
  Value x = *maybeX, w = *maybeW, offset = *maybeOffset;
  Value bias = node.input(3), mask = node.input(4);
  auto xShape = getShapeOf(x), wShape = getShapeOf(w), offsetShape = getShapeOf(offset);
  if (!xShape || !wShape || !offsetShape)
    return node.emitError() << "needs input, weight and offset of known rank", failure();
  if (xShape->size() != 4 || wShape->size() != 4 || offsetShape->size() != 4)
    return node.emitError() << "supports 2-D inputs [N, C, H, W] (as ONNX's reference does)",
           failure();
  if (llvm::is_contained(ArrayRef(*xShape).drop_front(), kDynamic) ||
      llvm::is_contained(*wShape, kDynamic) ||
      llvm::is_contained(ArrayRef(*offsetShape).drop_front(), kDynamic))
    return node.emitError() << "needs static dims but the batch", failure();
  Type element = getElementTypeOf(x);
  if (!isa<FloatType>(element))
    return node.emitError() << "needs a floating-point input", failure();

  int64_t batch = (*xShape)[0], channels = (*xShape)[1], height = (*xShape)[2],
          width = (*xShape)[3];
  int64_t outChannels = (*wShape)[0];
  int64_t group = node.getInt("group", 1), offsetGroup = node.getInt("offset_group", 1);
  SmallVector<int64_t> kernel(wShape->begin() + 2, wShape->end());
  if (auto attr = node.getInts("kernel_shape"); attr && *attr != kernel)
    return node.emitError() << "kernel_shape differs from the weight's spatial dims", failure();
  SmallVector<int64_t> strides = node.getInts("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> dilations = node.getInts("dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads = node.getInts("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return node.emitError() << "strides and dilations need 2 values each and pads 4", failure();
  if (group <= 0 || channels % group || outChannels % group || (*wShape)[1] * group != channels)
    return node.emitError() << "input has " << channels << " channels but the weight [" << *wShape
                            << "] with group " << group << " expects " << (*wShape)[1] * group,
           failure();
  int64_t taps = kernel[0] * kernel[1];
  if (offsetGroup <= 0 || channels % offsetGroup || (*offsetShape)[1] != offsetGroup * taps * 2)
    return node.emitError() << "needs offsets [N, offset_group * " << taps * 2
                            << ", out H, out W] and channels divisible by offset_group "
                            << offsetGroup,
           failure();
  int64_t outHeight = (*offsetShape)[2], outWidth = (*offsetShape)[3];
  SmallVector<int64_t> outSizes = {outHeight, outWidth}, inSizes = {height, width};
  for (int64_t d = 0; d < 2; ++d) {
    int64_t expected = windowOutputSize(inSizes[d], kernel[d], strides[d], pads[d], pads[d + 2],
                                        dilations[d], /*ceilMode=*/false);
    if (expected != outSizes[d])
      return node.emitError() << "offsets give " << outSizes[d] << " outputs along spatial dim "
                              << d << " where the window gives " << expected,
             failure();
  }

  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  auto c = [&](double v) { return node.scalar(element, v); };
  int64_t outPixels = outHeight * outWidth, groupChannels = channels / offsetGroup;
  // Offsets [N, G, KH, KW, 2, OH, OW]: (dy, dx) per tap and output pixel.
  Value offsets =
      reshapeTo(node, offset, {batch, offsetGroup, kernel[0], kernel[1], 2, outHeight, outWidth});
  // Where each tap reads without offsets: [KH, 1, OH, 1] rows, [KW, 1, OW]
  // columns, broadcasting against [.., KH, KW, OH, OW].
  SmallVector<double> baseRows, baseCols;
  for (int64_t k = 0; k < kernel[0]; ++k)
    for (int64_t o = 0; o < outHeight; ++o)
      baseRows.push_back(double(o * strides[0] + k * dilations[0] - pads[0]));
  for (int64_t k = 0; k < kernel[1]; ++k)
    for (int64_t o = 0; o < outWidth; ++o)
      baseCols.push_back(double(o * strides[1] + k * dilations[1] - pads[1]));
  Value rowAt =
      node.create<AddOp>(takeAlong(node, offsets, 4, 0),
                         makeTable(node, {kernel[0], 1, outHeight, 1}, element, baseRows));
  Value colAt = node.create<AddOp>(takeAlong(node, offsets, 4, 1),
                                   makeTable(node, {kernel[1], 1, outWidth}, element, baseCols));

  // Per axis, the two taps around each sample: index (clamped inside the
  // input) and weight (zero outside it).
  auto axisTaps = [&](Value at, int64_t size) {
    Value first = node.create<FloorOp>(at);
    Value fraction = node.create<SubOp>(at, first);
    SmallVector<std::pair<Value, Value>> result;
    for (int64_t step = 0; step < 2; ++step) {
      Value index = step ? Value(node.create<AddOp>(first, c(1))) : first;
      Value weight = step ? fraction : Value(node.create<SubOp>(c(1), fraction));
      Value outside = node.create<OrOp>(node.create<LessOp>(index, c(0)),
                                        node.create<LessOp>(c(double(size - 1)), index));
      weight = node.create<WhereOp>(outside, c(0), weight);
      index = node.create<ClipOp>(index, b.getF64FloatAttr(0), b.getF64FloatAttr(double(size - 1)));
      result.push_back({node.create<CastOp>(index, TypeAttr::get(i64)), weight});
    }
    return result;
  };
  auto rowTaps = axisTaps(rowAt, height), colTaps = axisTaps(colAt, width);
  Value scale;
  if (mask)
    scale = reshapeTo(node, mask, {batch, offsetGroup, kernel[0], kernel[1], outHeight, outWidth});
  SmallVector<Value> pixels, weights;
  for (auto [row, rowWeight] : rowTaps)
    for (auto [col, colWeight] : colTaps) {
      pixels.push_back(
          node.create<AddOp>(node.create<MulOp>(row, node.scalar(i64, double(width))), col));
      Value weight = node.create<MulOp>(rowWeight, colWeight);
      weights.push_back(scale ? Value(node.create<MulOp>(weight, scale)) : weight);
    }
  // [N, G, 4, KH, KW, OH, OW] corners of every sample, gathered per offset
  // group from the input seen as [N, G, pixels, C / G].
  int64_t corners = 4 * taps * outPixels;
  Value indices = reshapeTo(node, stackAlong(node, pixels, 2), {batch, offsetGroup, corners, 1});
  Value table = node.create<TransposeOp>(
      reshapeTo(node, x, {batch, offsetGroup, groupChannels, height * width}),
      b.getDenseI64ArrayAttr({0, 1, 3, 2}));
  Value picked = node.create<GatherNDOp>(table, indices, b.getI64IntegerAttr(2));
  picked = reshapeTo(node, picked, {batch, offsetGroup, 4, taps * outPixels, groupChannels});
  Value weight =
      reshapeTo(node, stackAlong(node, weights, 2), {batch, offsetGroup, 4, taps * outPixels, 1});
  Value sampled = node.create<ReduceSumOp>(node.create<MulOp>(picked, weight), Value(),
                                           b.getDenseI64ArrayAttr({2}), b.getBoolAttr(false),
                                           b.getBoolAttr(false));
  // [N, G, taps, pixels, C / G] -> [N, C, taps, pixels]: columns as im2col
  // lays them out, input channel major, tap minor.
  sampled = reshapeTo(node, sampled, {batch, offsetGroup, taps, outPixels, groupChannels});
  sampled = node.create<TransposeOp>(sampled, b.getDenseI64ArrayAttr({0, 1, 4, 2, 3}));
  int64_t convChannels = channels / group, outGroup = outChannels / group;
  Value columns, filters;
  if (group == 1) {
    columns = reshapeTo(node, sampled, {batch, channels * taps, outPixels});
    filters = reshapeTo(node, w, {outChannels, channels * taps});
  } else {
    columns = reshapeTo(node, sampled, {batch, group, convChannels * taps, outPixels});
    filters = reshapeTo(node, w, {group, outGroup, convChannels * taps});
  }
  Value y = reshapeTo(node, node.create<MatMulOp>(filters, columns),
                      {batch, outChannels, outHeight, outWidth});
  if (bias)
    y = node.create<AddOp>(y, node.create<UnsqueezeOp>(bias, b.getDenseI64ArrayAttr({1, 2})));
  return results(y);
}
