//===- Col2Im.cpp - ONNX Col2Im as one scatter-add ------------------------===//
//
// Col2Im folds columns [N, C * prod(block), L] back into an image: each
// column element is the value of one kernel tap (its offset in the block)
// of one sliding block (its position among the blocks), and lands on the
// padded image at block position * stride + offset * dilation, summing with
// the others that land there. All of it is one scatter_elements with `add`
// into zeros over the padded image, then a slice that drops the pads.
//
// The image size decides the result's shape, so it is a constant or read
// from the model's declared output. The block shape only decides where
// elements land: when it is a constant, the landing index of every element
// is computed here and becomes a table; when it is data, the same formulas
// (over Columns) become arithmetic on an iota at run time.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

using namespace mlir;
using namespace mlir::r1;

Value mlir::r1::zerosOf(OnnxNode &node, Value batchOf, ArrayRef<int64_t> dims, Type element) {
  OpBuilder &b = node.getBuilder();
  Attribute zero = isa<FloatType>(element) ? Attribute(b.getFloatAttr(element, 0))
                                           : b.getIntegerAttr(element, 0);
  if (!llvm::is_contained(dims, kDynamic)) {
    auto type = RankedTensorType::get(dims, element);
    return node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, zero)));
  }
  // Only the batch (dim 0) may vary: it comes from `batchOf` at run time.
  Value batch = node.create<ShapeOp>(batchOf, b.getI64IntegerAttr(0), b.getI64IntegerAttr(1));
  Value rest = node.i64Vector(dims.drop_front());
  Value shape = node.create<ConcatOp>(ValueRange{batch, rest}, b.getI64IntegerAttr(0));
  auto fill = DenseElementsAttr::get(RankedTensorType::get({1}, element), zero);
  return node.create<ConstantOfShapeOp>(shape, cast<ElementsAttr>(fill));
}

FailureOr<SmallVector<Value>> mlir::r1::legalizeCol2Im(OnnxNode &node) {
  FailureOr<Value> maybeX = node.requiredInput(0);
  if (failed(maybeX) || failed(node.requiredInput(1)) || failed(node.requiredInput(2)))
    return failure();
  Value x = *maybeX;
  auto xShape = getShapeOf(x);
  if (!xShape || xShape->size() != 3 || (*xShape)[1] == kDynamic || (*xShape)[2] == kDynamic)
    return node.emitError() << "needs an input [N, C * prod(block_shape), L] with static C and L",
           failure();
  auto blockShape = getShapeOf(node.input(2));
  if (!blockShape || blockShape->size() != 1 || (*blockShape)[0] == kDynamic ||
      (*blockShape)[0] < 1)
    return node.emitError() << "needs a block_shape of static length", failure();
  int64_t dims = (*blockShape)[0];

  // The image size and the channels: constants, or the declared output.
  std::optional<SmallVector<int64_t>> image = node.constantInts(1);
  std::optional<SmallVector<int64_t>> block = node.constantInts(2);
  std::optional<SmallVector<int64_t>> declared = node.declaredShape(0);
  if (declared && int64_t(declared->size()) != dims + 2)
    declared.reset();
  if (!image && declared)
    image = SmallVector<int64_t>(declared->begin() + 2, declared->end());
  if (!image)
    return node.emitError() << "image_shape is data and decides the output's shape: it needs a "
                               "constant image_shape, or the output's shape [N, C, image...] "
                               "declared in the model",
           failure();
  int64_t columns = (*xShape)[1], length = (*xShape)[2];
  int64_t channels = kDynamic;
  if (block && int64_t(block->size()) == dims && productOfDims(*block) > 0 &&
      columns % productOfDims(*block) == 0)
    channels = columns / productOfDims(*block);
  else if (declared)
    channels = (*declared)[1];
  if (channels == kDynamic || channels <= 0 || columns % channels)
    return node.emitError() << "block_shape is data: the channels come from the output's shape "
                               "[N, C, image...] declared in the model, which it lacks",
           failure();
  int64_t taps = columns / channels;

  auto ones = SmallVector<int64_t>(dims, 1);
  SmallVector<int64_t> strides = node.getInts("strides").value_or(ones);
  SmallVector<int64_t> dilations = node.getInts("dilations").value_or(ones);
  SmallVector<int64_t> pads = node.getInts("pads").value_or(SmallVector<int64_t>(2 * dims, 0));
  if (int64_t(image->size()) != dims || int64_t(strides.size()) != dims ||
      int64_t(dilations.size()) != dims || int64_t(pads.size()) != 2 * dims)
    return node.emitError() << "image_shape, strides and dilations need " << dims
                            << " values each and pads " << 2 * dims,
           failure();
  if (llvm::any_of(*image, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dilations, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(pads, [](int64_t s) { return s < 0; }))
    return node.emitError() << "needs a positive image size, strides and dilations and "
                               "non-negative pads",
           failure();

  // Element j of a channel's columns is tap k = j / L of block l = j % L.
  // Taps are numbered row-major over the block dims, blocks row-major
  // over how many fit along each dim.
  ColumnBuilder cb(node);
  Column j = cb.iota(taps * length);
  Column k = cb.floor(j / double(length));
  Column l = j - k * double(length);
  SmallVector<int64_t> padded;
  for (int64_t d = 0; d < dims; ++d)
    padded.push_back((*image)[d] + pads[d] + pads[d + dims]);
  OpBuilder &b = node.getBuilder();
  Value blockInput = node.input(2);
  auto blockDim = [&](int64_t d) {
    if (block)
      return cb.scalar(double((*block)[d]));
    return cb.computed(
        node.create<SliceOp>(blockInput, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({d}),
                             b.getDenseI64ArrayAttr({d + 1}), b.getDenseI64ArrayAttr({1})));
  };
  auto split = [&](Column &rest, const Column &extent) {
    Column quotient = cb.floor(rest / extent);
    Column digit = rest - quotient * extent;
    rest = quotient;
    return digit;
  };
  Column landing = cb.scalar(0);
  int64_t stride = 1;
  for (int64_t d = dims - 1; d >= 0; --d) {
    Column size = blockDim(d);
    Column blocks = cb.floor((double(padded[d]) - double(dilations[d]) * (size - 1.0) - 1.0) /
                             double(strides[d])) +
                    1.0;
    Column at = split(l, blocks) * double(strides[d]) + split(k, size) * double(dilations[d]);
    landing = landing + at * double(stride);
    stride *= padded[d];
  }

  // Scatter-add every channel's columns onto its padded image, then crop.
  Type element = getElementTypeOf(x);
  int64_t batch = (*xShape)[0], area = productOfDims(padded);
  Value updates = reshapeTo(node, x, {batch, channels, taps * length});
  Value index = reshapeTo(node, cb.materialize(landing, b.getI64Type(), taps * length),
                          {1, 1, taps * length});
  index = node.create<ExpandOp>(
      index, node.create<ShapeOp>(updates, b.getI64IntegerAttr(0), b.getI64IntegerAttr(3)));
  Value sums = node.create<ScatterElementsOp>(
      zerosOf(node, x, {batch, channels, area}, element), index, updates, b.getI64IntegerAttr(2),
      ScatterReductionAttr::get(b.getContext(), ScatterReduction::add));
  SmallVector<int64_t> paddedShape = {batch, channels};
  paddedShape.append(padded);
  Value y = reshapeTo(node, sums, paddedShape);
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    SmallVector<int64_t> crop(2 * (dims + 2), 0);
    for (int64_t d = 0; d < dims; ++d) {
      crop[2 + d] = -pads[d];
      crop[2 + d + dims + 2] = -pads[d + dims];
    }
    y = node.create<PadOp>(y, b.getDenseI64ArrayAttr(crop), b.getStringAttr("constant"),
                           b.getF64FloatAttr(0));
  }
  return results(y);
}
