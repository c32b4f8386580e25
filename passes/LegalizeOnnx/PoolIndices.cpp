//===- PoolIndices.cpp - MaxPool's taps and indices, and MaxUnpool --------===//
//
// r1.max_pool computes floating-point maxima and nothing else. MaxPool over
// integers (uint8 images) and MaxPool's Indices output decompose instead:
// one gather per spatial dim reads every window's taps (a table of input
// positions per output position and tap, clamped, with a mask for the taps
// in the pads), a reduce_max over the taps is the value and an arg_max the
// tap it came from, mapped back to a position in the flattened input.
// That reads each input element once per window it is in, which the pool
// kernel avoids; integer pools are rare enough not to warrant integer
// paths through the host and GPU pool kernels.
//
// MaxUnpool is the inverse: the values scattered to their indices in zeros.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace {

/// The smallest value of `element`, which the masked taps take so that no
/// maximum picks them: the lowest finite float, as the pool kernels start
/// from, or the integer type's minimum.
double lowestOf(Type element) {
  if (auto type = dyn_cast<FloatType>(element))
    return llvm::APFloat::getLargest(type.getFloatSemantics(), /*Negative=*/true).convertToDouble();
  if (element.isUnsignedInteger())
    return 0;
  return -std::ldexp(1.0, int(element.getIntOrFloatBitWidth()) - 1);
}

} // namespace

FailureOr<SmallVector<Value>> mlir::r1::legalizeMaxPoolByTaps(OnnxNode &node, Value x) {
  auto shape = getShapeOf(x);
  if (!shape || shape->size() < 3 || llvm::is_contained(ArrayRef(*shape).drop_front(), kDynamic))
    return node.emitError() << "needs an input [N, C, spatial...] with static C and spatial dims "
                               "for an integer input or the Indices output",
           failure();
  FailureOr<Window> window = getWindow(node, x);
  if (failed(window))
    return failure();
  int64_t dims = int64_t(shape->size()) - 2;
  if (int64_t(window->kernel.size()) != dims)
    return node.emitError() << "kernel_shape needs " << dims << " values", failure();
  bool ceilMode = node.getInt("ceil_mode", 0) != 0;
  int64_t storageOrder = node.getInt("storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return node.emitError() << "storage_order must be 0 or 1, not " << storageOrder, failure();

  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Type element = getElementTypeOf(x);
  int64_t batch = (*shape)[0], channels = (*shape)[1];
  ArrayRef<int64_t> sizes = ArrayRef(*shape).drop_front(2);
  SmallVector<int64_t> outSizes;
  // Gathering dim d with a [O, K] table turns it into two dims, outputs
  // then taps: x becomes [N, C, O1, K1, ..., Or, Kr].
  Value taps = x;
  SmallVector<int64_t> maskShape;
  SmallVector<double> inside = {1};
  bool anyOutside = false;
  for (int64_t d = 0; d < dims; ++d) {
    int64_t kernel = window->kernel[d], stride = window->strides[d],
            dilation = window->dilations[d], padBegin = window->pads[d];
    int64_t out = windowOutputSize(sizes[d], kernel, stride, padBegin, window->pads[d + dims],
                                   dilation, ceilMode);
    if (out == kDynamic || out <= 0)
      return node.emitError() << "the window leaves no output along spatial dim " << d, failure();
    outSizes.push_back(out);
    SmallVector<double> index, valid;
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < kernel; ++k) {
        int64_t at = o * stride + k * dilation - padBegin;
        bool in = at >= 0 && at < sizes[d];
        anyOutside |= !in;
        index.push_back(std::clamp<int64_t>(at, 0, sizes[d] - 1));
        valid.push_back(in);
      }
    taps = node.create<GatherOp>(taps, makeTable(node, {out, kernel}, i64, index),
                                 b.getI64IntegerAttr(2 + 2 * d));
    SmallVector<double> combined;
    for (double before : inside)
      for (double now : valid)
        combined.push_back(before * now);
    inside = std::move(combined);
    maskShape.append({out, kernel});
  }
  if (anyOutside) {
    SmallVector<int64_t> fullMask = {1, 1};
    fullMask.append(maskShape);
    taps = node.create<WhereOp>(makeTable(node, fullMask, b.getI1Type(), inside), taps,
                                node.scalar(element, lowestOf(element)));
  }
  SmallVector<int64_t> perm = {0, 1};
  for (int64_t d = 0; d < dims; ++d)
    perm.push_back(2 + 2 * d);
  for (int64_t d = 0; d < dims; ++d)
    perm.push_back(3 + 2 * d);
  int64_t count = productOfDims(window->kernel);
  SmallVector<int64_t> windows = {batch, channels};
  windows.append(outSizes);
  windows.push_back(count);
  taps = reshapeTo(node, node.create<TransposeOp>(taps, b.getDenseI64ArrayAttr(perm)), windows);
  int64_t tapAxis = 2 + dims;
  Value y = node.create<ReduceMaxOp>(taps, Value(), b.getDenseI64ArrayAttr({tapAxis}),
                                     b.getBoolAttr(false), b.getBoolAttr(false));
  if (node.getNumOutputs() < 2)
    return results(y);
  if (!node.isOutputUsed(1))
    return SmallVector<Value>{y, Value()};

  // The first largest tap, as its position in the flattened input: the
  // plane (n * C + c) times the plane's size, plus the spatial position in
  // row-major order (storage_order 0) or column-major order (1).
  if (batch == kDynamic)
    return node.emitError() << "needs a static batch for the Indices output", failure();
  Value tap = node.create<ArgMaxOp>(taps, b.getI64IntegerAttr(tapAxis), b.getBoolAttr(false),
                                    b.getBoolAttr(false));
  int64_t rank = 2 + dims, area = productOfDims(sizes);
  auto constant = [&](int64_t v) { return node.scalar(i64, double(v)); };
  Value plane =
      node.create<AddOp>(node.create<MulOp>(node.iota(batch, 0, rank), constant(channels)),
                         node.iota(channels, 1, rank));
  Value position = node.create<MulOp>(plane, constant(area));
  int64_t tapStride = count;
  for (int64_t d = 0; d < dims; ++d) {
    tapStride /= window->kernel[d];
    Value k = node.create<ModOp>(node.create<DivOp>(tap, constant(tapStride)),
                                 constant(window->kernel[d]), b.getBoolAttr(false));
    Value at = node.create<AddOp>(
        node.create<MulOp>(node.iota(outSizes[d], 2 + d, rank), constant(window->strides[d])),
        node.create<SubOp>(node.create<MulOp>(k, constant(window->dilations[d])),
                           constant(window->pads[d])));
    int64_t stride = 1;
    if (storageOrder == 0)
      for (int64_t e = d + 1; e < dims; ++e)
        stride *= sizes[e];
    else
      for (int64_t e = 0; e < d; ++e)
        stride *= sizes[e];
    position = node.create<AddOp>(position, node.create<MulOp>(at, constant(stride)));
  }
  return SmallVector<Value>{y, position};
}

FailureOr<SmallVector<Value>> mlir::r1::legalizeMaxUnpool(OnnxNode &node) {
  FailureOr<Value> maybeX = node.requiredInput(0), maybeIndices = node.requiredInput(1);
  if (failed(maybeX) || failed(maybeIndices))
    return failure();
  Value x = *maybeX, indices = *maybeIndices;
  auto shape = getShapeOf(x), indexShape = getShapeOf(indices);
  if (!shape || shape->size() < 3 || llvm::is_contained(ArrayRef(*shape).drop_front(), kDynamic))
    return node.emitError() << "needs an input [N, C, spatial...] with static C and spatial dims",
           failure();
  if (!indexShape || indexShape->size() != shape->size())
    return node.emitError() << "needs indices of the input's shape", failure();
  std::optional<SmallVector<int64_t>> maybeKernel = node.getInts("kernel_shape");
  if (!maybeKernel)
    return node.emitError() << "missing required attribute 'kernel_shape'", failure();
  int64_t dims = int64_t(shape->size()) - 2;
  SmallVector<int64_t> kernel = *maybeKernel;
  SmallVector<int64_t> strides = node.getInts("strides").value_or(SmallVector<int64_t>(dims, 1));
  SmallVector<int64_t> pads = node.getInts("pads").value_or(SmallVector<int64_t>(2 * dims, 0));
  if (int64_t(kernel.size()) != dims || int64_t(strides.size()) != dims ||
      int64_t(pads.size()) != 2 * dims)
    return node.emitError() << "kernel_shape and strides need " << dims << " values each and pads "
                            << 2 * dims,
           failure();
  // The indices address the unpooled size MaxPool started from, which
  // output_shape may extend (zeros at the end of each dim) or cut.
  int64_t batch = (*shape)[0], channels = (*shape)[1];
  SmallVector<int64_t> unpooled;
  for (int64_t d = 0; d < dims; ++d) {
    unpooled.push_back(((*shape)[2 + d] - 1) * strides[d] - pads[d] - pads[d + dims] + kernel[d]);
    if (unpooled.back() <= 0)
      return node.emitError() << "the unpooled size of spatial dim " << d << " would be "
                              << unpooled.back(),
             failure();
  }
  SmallVector<int64_t> outSizes = unpooled;
  if (node.input(2)) {
    std::optional<SmallVector<int64_t>> full = node.constantInts(2);
    if (!full)
      full = node.declaredShape(0);
    if (!full)
      return node.emitError() << "output_shape is data and decides the output's shape: it needs a "
                                 "constant output_shape, or the output's shape declared in the "
                                 "model",
             failure();
    if (int64_t(full->size()) != dims + 2)
      return node.emitError() << "output_shape needs " << dims + 2 << " values", failure();
    outSizes.assign(full->begin() + 2, full->end());
  }

  OpBuilder &b = node.getBuilder();
  Type i64 = b.getI64Type();
  Type element = getElementTypeOf(x);
  int64_t area = productOfDims(unpooled);
  Value flatIndices = reshapeTo(node, indices, {kDynamic});
  if (getElementTypeOf(flatIndices) != i64)
    flatIndices = node.create<CastOp>(flatIndices, TypeAttr::get(i64));
  Value zeros = reshapeTo(node, zerosOf(node, x, {batch, channels * area}, element), {kDynamic});
  Value scattered = node.create<ScatterElementsOp>(
      zeros, flatIndices, reshapeTo(node, x, {kDynamic}), b.getI64IntegerAttr(0),
      ScatterReductionAttr::get(b.getContext(), ScatterReduction::none));
  SmallVector<int64_t> unpooledShape = {batch, channels};
  unpooledShape.append(unpooled);
  Value y = reshapeTo(node, scattered, unpooledShape);
  if (outSizes != unpooled) {
    SmallVector<int64_t> grow(2 * (dims + 2), 0);
    for (int64_t d = 0; d < dims; ++d)
      grow[dims + 4 + d] = outSizes[d] - unpooled[d];
    y = node.create<PadOp>(y, b.getDenseI64ArrayAttr(grow), b.getStringAttr("constant"),
                           b.getF64FloatAttr(0));
  }
  return results(y);
}
