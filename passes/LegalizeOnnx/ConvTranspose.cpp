//===- ConvTranspose.cpp - ONNX ConvTranspose as a GEMM or a convolution --===//
//
// ConvTranspose scatters each input element, times the kernel, into the
// output at stride steps. Two decompositions:
//
//  - kernel == stride, no pads or dilation (UNet and FPN upsampling): the
//    windows tile the output without overlap, so it is one GEMM of the
//    weight, [Cout*K, Cin], by the input, [Cin, H*W], then a pixel shuffle
//    (reshape, transpose, reshape) that puts each product in its place.
//  - otherwise: a convolution with stride 1 of the zero-inserted input
//    (stride - 1 zeros between elements), padded by what the kernel
//    overhangs, with the weight spatially flipped and its channel dims
//    swapped within each group. The zeros come from a gather and a select
//    per strided dim (index and mask tables), one kernel each.
//
// A constant weight is rearranged here, once; another goes through
// transpose and reversing slices at run time.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// Python's floor division, which the reference uses to split odd pads.
int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// The node's geometry, per spatial dim.
struct Geometry {
  int64_t spatial, group, inChannels, outChannels;
  SmallVector<int64_t> in, kernel, strides, dilations;
  /// Where the output starts in the full scatter, and the output size.
  SmallVector<int64_t> padBegin, out;
};

FailureOr<Geometry> getGeometry(OnnxNode &node, ArrayRef<int64_t> x, ArrayRef<int64_t> w) {
  Geometry g;
  g.spatial = int64_t(x.size()) - 2;
  g.group = node.getInt("group", 1);
  if (g.spatial < 1 || int64_t(w.size()) != g.spatial + 2)
    return node.emitError() << "needs input and weight of the same rank, 3 or more", failure();
  if (llvm::is_contained(x.drop_front(), kDynamic) || llvm::is_contained(w, kDynamic))
    return node.emitError() << "needs static channel and spatial dims and a static weight shape",
           failure();
  if (g.group <= 0 || x[1] % g.group || w[0] != x[1])
    return node.emitError() << "input has " << x[1] << " channels but the weight [" << w
                            << "] with group " << g.group << " expects " << w[0],
           failure();
  g.inChannels = x[1];
  g.outChannels = w[1] * g.group;
  g.in.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  if (auto kernel = node.getInts("kernel_shape"); kernel && *kernel != g.kernel)
    return node.emitError() << "kernel_shape differs from the weight's spatial dims", failure();
  auto ones = SmallVector<int64_t>(g.spatial, 1), zeros = SmallVector<int64_t>(g.spatial, 0);
  g.strides = node.getInts("strides").value_or(ones);
  g.dilations = node.getInts("dilations").value_or(ones);
  SmallVector<int64_t> outputPadding = node.getInts("output_padding").value_or(zeros);
  std::optional<SmallVector<int64_t>> outputShape = node.getInts("output_shape");
  // Some exporters write the whole output shape, batch and channels too.
  if (outputShape && int64_t(outputShape->size()) == g.spatial + 2)
    outputShape->erase(outputShape->begin(), outputShape->begin() + 2);
  if (int64_t(g.strides.size()) != g.spatial || int64_t(g.dilations.size()) != g.spatial ||
      int64_t(outputPadding.size()) != g.spatial ||
      (outputShape && int64_t(outputShape->size()) != g.spatial))
    return node.emitError() << "strides, dilations, output_padding and output_shape need "
                            << g.spatial << " values each",
           failure();
  for (int64_t i = 0; i < g.spatial; ++i)
    if (g.strides[i] <= 0 || g.dilations[i] <= 0 || g.kernel[i] <= 0)
      return node.emitError() << "kernel, strides and dilations must be positive", failure();

  // The full scatter covers stride * (in - 1) + dilated kernel positions;
  // pads cut it at both ends, output_padding extends its end.
  auto full = [&](int64_t i) {
    return g.strides[i] * (g.in[i] - 1) + (g.kernel[i] - 1) * g.dilations[i] + 1;
  };
  StringRef autoPad = node.getString("auto_pad", "NOTSET");
  std::optional<SmallVector<int64_t>> pads = node.getInts("pads");
  if ((autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") && !pads) {
    // As ONNX's reference: the output is in * stride unless output_shape
    // says, and SAME_UPPER puts the larger half of the cut at the end.
    for (int64_t i = 0; i < g.spatial; ++i) {
      int64_t out = outputShape ? (*outputShape)[i] : g.in[i] * g.strides[i];
      int64_t total = full(i) + outputPadding[i] - out;
      g.padBegin.push_back(autoPad == "SAME_UPPER" ? floorDiv(total, 2)
                                                   : total - floorDiv(total, 2));
      g.out.push_back(out);
    }
    return g;
  }
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return node.emitError() << "unknown auto_pad \"" << autoPad << "\"", failure();
  if (!pads || autoPad == "VALID")
    pads = SmallVector<int64_t>(2 * g.spatial, 0);
  if (int64_t(pads->size()) != 2 * g.spatial)
    return node.emitError() << "expects " << 2 * g.spatial << " pads, got " << pads->size(),
           failure();
  for (int64_t i = 0; i < g.spatial; ++i) {
    g.padBegin.push_back((*pads)[i]);
    // An output_shape keeps the begin pads and takes its size as given.
    g.out.push_back(outputShape ? (*outputShape)[i]
                                : full(i) + outputPadding[i] - (*pads)[i] - (*pads)[i + g.spatial]);
    if (g.out.back() <= 0)
      return node.emitError() << "output dim " << i + 2 << " would be " << g.out.back(), failure();
  }
  return g;
}

/// `weight` seen as `view`, permuted by `perm` with the result dims in
/// `flips` reversed, then seen as `result`: computed now for a constant,
/// else by reshape, transpose and reversing slices.
Value rearrangeWeight(OnnxNode &node, Value weight, ArrayRef<int64_t> view, ArrayRef<int64_t> perm,
                      ArrayRef<bool> flips, ArrayRef<int64_t> result, StringRef purpose) {
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(weight);
  auto constant = weight.getDefiningOp<ConstantOp>();
  std::optional<ArrayRef<char>> bytes =
      constant ? getConstantBytes(constant.getValue()) : std::nullopt;
  size_t elementSize = element.getIntOrFloatBitWidth() / 8;
  if (bytes && bytes->size() == size_t(productOfDims(view)) * elementSize) {
    // A weight stays out of line, named after the original, so that shape
    // buckets keep one rearranged copy; a literal stays a literal.
    auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
    std::string name =
        resource ? (resource.getRawHandle().getKey() + "." + purpose).str() : std::string();
    auto type = RankedTensorType::get(result, element);
    return node.create<ConstantOp>(
        makeConstant(b.getContext(), type, resource != nullptr, name,
                     [&] { return permuteBytes(*bytes, view, perm, flips, elementSize); }));
  }
  Value moved =
      node.create<TransposeOp>(reshapeTo(node, weight, view), b.getDenseI64ArrayAttr(perm));
  SmallVector<int64_t> axes, starts, ends, steps;
  for (auto [i, flip] : llvm::enumerate(flips))
    if (flip) {
      axes.push_back(i);
      starts.push_back(-1);
      ends.push_back(INT64_MIN);
      steps.push_back(-1);
    }
  if (!axes.empty())
    moved =
        node.create<SliceOp>(moved, b.getDenseI64ArrayAttr(axes), b.getDenseI64ArrayAttr(starts),
                             b.getDenseI64ArrayAttr(ends), b.getDenseI64ArrayAttr(steps));
  return reshapeTo(node, moved, result);
}

/// Kernel == stride: out[n, co, s*k] = sum_ci W[ci, co, k] * x[n, ci, s], a
/// GEMM per group, then each product moved to its pixel.
Value buildAsGemm(OnnxNode &node, const Geometry &g, Value x, Value w, Value bias, int64_t batch) {
  OpBuilder &b = node.getBuilder();
  int64_t r = g.spatial, groups = g.group;
  int64_t cig = g.inChannels / groups, cog = g.outChannels / groups;
  int64_t pixels = productOfDims(g.in), taps = productOfDims(g.kernel);
  // Weight [g, Cin/g, Cout/g * K] -> [g, Cout/g * K, Cin/g].
  SmallVector<int64_t> view = {groups, cig, cog * taps}, matrix = {groups, cog * taps, cig};
  SmallVector<int64_t> inputView = {batch, groups, cig, pixels};
  if (groups == 1) {
    matrix.erase(matrix.begin());
    inputView.erase(inputView.begin() + 1);
  }
  Value weights = rearrangeWeight(node, w, view, {0, 2, 1}, {false, false, false}, matrix,
                                  "conv_transpose_gemm");
  Value product = node.create<MatMulOp>(weights, reshapeTo(node, x, inputView));
  // [N, Cout, K1..Kr, S1..Sr] -> [N, Cout, S1, K1, ..., Sr, Kr] -> [N, Cout, S1*K1, ...].
  SmallVector<int64_t> split = {batch, g.outChannels}, perm = {0, 1},
                       merged = {batch, g.outChannels};
  split.append(g.kernel.begin(), g.kernel.end());
  split.append(g.in.begin(), g.in.end());
  for (int64_t i = 0; i < r; ++i) {
    perm.push_back(2 + r + i);
    perm.push_back(2 + i);
    merged.push_back(g.in[i] * g.kernel[i]);
  }
  Value shuffled =
      node.create<TransposeOp>(reshapeTo(node, product, split), b.getDenseI64ArrayAttr(perm));
  // Added before the last reshape, which is a view, the bias runs in the
  // transpose's kernel.
  if (bias) {
    SmallVector<int64_t> axes;
    for (int64_t i = 1; i <= 2 * r; ++i)
      axes.push_back(i);
    shuffled =
        node.create<AddOp>(shuffled, node.create<UnsqueezeOp>(bias, b.getDenseI64ArrayAttr(axes)));
  }
  return reshapeTo(node, shuffled, merged);
}

/// Otherwise: a stride-1 convolution of the zero-inserted input with the
/// flipped weight.
/// Null when the pads crop away the whole input.
Value buildAsConv(OnnxNode &node, const Geometry &g, Value x, Value w, Value bias) {
  OpBuilder &b = node.getBuilder();
  int64_t r = g.spatial;
  Type element = getElementTypeOf(x);
  Value dilated = x;
  SmallVector<int64_t> convPads(2 * r, 0);
  for (int64_t i = 0; i < r; ++i) {
    int64_t stride = g.strides[i], span = (g.kernel[i] - 1) * g.dilations[i];
    // The zero-inserted input (stride - 1 zeros between elements) is
    // `inserted` long; the kernel overhangs it by its span less the pads.
    int64_t inserted = stride * (g.in[i] - 1) + 1;
    int64_t padEnd = inserted + span - g.padBegin[i] - g.out[i];
    int64_t begin = span - g.padBegin[i], end = span - padEnd;
    convPads[i] = std::max<int64_t>(begin, 0);
    convPads[i + r] = std::max<int64_t>(end, 0);
    // A negative overhang crops, which the convolution's pads cannot.
    int64_t cropBegin = std::max<int64_t>(-begin, 0), cropEnd = std::max<int64_t>(-end, 0);
    int64_t length = inserted - cropBegin - cropEnd;
    if (length <= 0)
      return nullptr;
    int64_t axis = 2 + i;
    if (stride == 1) {
      if (cropBegin || cropEnd)
        dilated = node.create<SliceOp>(
            dilated, b.getDenseI64ArrayAttr({axis}), b.getDenseI64ArrayAttr({cropBegin}),
            b.getDenseI64ArrayAttr({g.in[i] - cropEnd}), b.getDenseI64ArrayAttr({1}));
      continue;
    }
    // Position p reads element (p + crop) / stride where that divides
    // evenly, else is zero: a gather and a select, one kernel.
    SmallVector<double> indices, keep;
    for (int64_t p = 0; p < length; ++p) {
      indices.push_back((p + cropBegin) / stride);
      keep.push_back((p + cropBegin) % stride == 0);
    }
    SmallVector<int64_t> maskShape = {length};
    maskShape.append(r - 1 - i, 1);
    Value gathered = node.create<GatherOp>(
        dilated, makeTable(node, {length}, b.getI64Type(), indices), b.getI64IntegerAttr(axis));
    dilated = node.create<WhereOp>(makeTable(node, maskShape, b.getI1Type(), keep), gathered,
                                   node.scalar(element, 0));
  }
  // Weight [g, Cin/g, Cout/g, K..] -> [g, Cout/g, Cin/g, K reversed] = [Cout, Cin/g, K].
  int64_t cig = g.inChannels / g.group, cog = g.outChannels / g.group;
  SmallVector<int64_t> view = {g.group, cig, cog}, perm = {0, 2, 1}, result = {g.outChannels, cig};
  SmallVector<bool> flips = {false, false, false};
  for (int64_t i = 0; i < r; ++i) {
    view.push_back(g.kernel[i]);
    perm.push_back(3 + i);
    result.push_back(g.kernel[i]);
    flips.push_back(true);
  }
  Value weights = rearrangeWeight(node, w, view, perm, flips, result, "conv_transpose_flipped");
  return node.create<ConvOp>(dilated, weights, bias,
                             b.getDenseI64ArrayAttr(SmallVector<int64_t>(r, 1)),
                             b.getDenseI64ArrayAttr(convPads), b.getDenseI64ArrayAttr(g.dilations),
                             b.getI64IntegerAttr(g.group));
}

} // namespace

Result mlir::r1::legalizeConvTranspose(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), w = node.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  Value bias = node.input(2);
  auto xShape = getShapeOf(*x), wShape = getShapeOf(*w);
  if (!xShape || !wShape)
    return node.emitError() << "needs input and weight of known rank", failure();
  if (!isa<FloatType>(getElementTypeOf(*x)))
    return node.emitError() << "needs a floating-point input", failure();
  FailureOr<Geometry> g = getGeometry(node, *xShape, *wShape);
  if (failed(g))
    return failure();
  int64_t batch = (*xShape)[0];
  bool tiles = true;
  for (int64_t i = 0; i < g->spatial; ++i)
    tiles &= g->kernel[i] == g->strides[i] && (g->dilations[i] == 1 || g->kernel[i] == 1) &&
             g->padBegin[i] == 0 && g->out[i] == g->in[i] * g->strides[i];
  if (tiles)
    return results(buildAsGemm(node, *g, *x, *w, bias, batch));
  Value y = buildAsConv(node, *g, *x, *w, bias);
  if (!y)
    return node.emitError() << "pads crop away the whole input", failure();
  return results(y);
}
