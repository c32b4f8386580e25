//===- ConvPrinter.cpp - Convolution, pooling and batch normalization ------===//
//
// Convolution over NCHW (any number of spatial dims) is an implicit GEMM
// per group: C[f][p] = sum over k of W[f][k] X[k][p], with f a filter of
// the group, p = (image, output position) and k = (input channel, tap).
// W is the weight tensor as stored; X is gathered from the input while
// tiles are staged (zero in the pads), so no im2col buffer exists. Block z
// is the group. Convolutions with one input channel per group (depthwise)
// would waste the GEMM's tiles, so they, and pooling, are direct: one
// thread per output element walks its window. Batch normalization is one
// thread per element. Windows follow the host (codegen/host/ConvAnchors.cpp):
// input coordinate = o * stride + k * dilation - pad_begin, max pooling
// starts from the lowest finite value, and an average divides by the taps
// inside the input (or inside the padded input with count_include_pad).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/PoolWindow.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/GemmDims.h"

#include <cfloat>

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

using mlir::r1::WindowDim;

/// Prints `const r1_i NAMEd = ...;` for the index of each dim of `shape`
/// at `linear`.
void printIndices(KernelWriter &w, StringRef indent, StringRef name, ArrayRef<int64_t> shape,
                  StringRef linear) {
  for (size_t d = 0; d < shape.size(); ++d)
    w.os << indent << "const r1_i " << name << d << " = "
         << KernelWriter::dimIndex(shape, d, linear) << ";\n";
}

/// The input coordinate of output `o` and tap `k` along `dim`.
std::string sourceCoordinate(const KernelWriter &w, const WindowDim &dim, StringRef o,
                             StringRef k) {
  return ("(" + o + " * " + w.index(dim.stride) + " + " + k + " * " + w.index(dim.dilation) +
          " - " + w.index(dim.padBegin) + ")")
      .str();
}

/// "a * s1 + b * s2 ...": row-major offset of indices `names` (N0, N1...)
/// in `shape`.
std::string rowMajor(const KernelWriter &w, StringRef name, ArrayRef<int64_t> shape) {
  std::string text;
  int64_t stride = 1;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    std::string term = (name + Twine(d)).str();
    if (stride != 1)
      term += " * " + w.index(stride);
    text = text.empty() ? term : term + " + " + text;
    stride *= shape[d];
  }
  return text.empty() ? "0" : text;
}

LogicalResult checkOneElementType(Operation *op) {
  Type element = getElementTypeOf(op->getResult(0));
  for (Value operand : op->getOperands())
    if (getElementTypeOf(operand) != element)
      return op->emitOpError("mixes element types; GPU code needs one for every operand");
  if (!isa<FloatType>(element))
    return op->emitOpError("on ") << element << " has no GPU code; it takes floats";
  return success();
}

/// Grid-stride loop over `count` outputs, one per thread, index `r1_o`.
void openOutputLoop(KernelWriter &w, int64_t count) {
  w.os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_o < "
       << w.index(count) << "; r1_o += (r1_i)gridDim.x * " << kThreads << ") {\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(count, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
}

/// Opens a loop per window dim over its taps, from `indent` on (which it
/// deepens), setting r1_x<d> to the input coordinate of tap r1_k<d> of
/// output r1_out<d> and skipping taps in the pads.
void printWindowLoops(KernelWriter &w, ArrayRef<WindowDim> dims, std::string &indent) {
  raw_ostream &os = w.os;
  for (auto [d, dim] : llvm::enumerate(dims)) {
    os << indent << "for (int r1_k" << d << " = 0; r1_k" << d << " < " << dim.kernel << "; ++r1_k"
       << d << ") {\n";
    indent += "  ";
    os << indent << "const r1_i r1_x" << d << " = "
       << sourceCoordinate(w, dim, ("r1_out" + Twine(d)).str(), ("r1_k" + Twine(d)).str()) << ";\n"
       << indent << "if (r1_x" << d << " < 0 || r1_x" << d << " >= " << w.index(dim.input)
       << ") continue;\n";
  }
}

LogicalResult printImplicitGemm(KernelWriter &w, ConvOp op, ArrayRef<WindowDim> dims,
                                const r1k::GpuGemmShape &shape) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  // A and B are the operands' type; C may be f32 from 16-bit operands.
  Type element = inType.getElementType();
  Type resultElement = outType.getElementType();
  int64_t channels = inType.getDimSize(1);
  int64_t filters = weightType.getDimSize(0), group = op.getGroup();
  int64_t groupChannels = channels / group, groupFilters = filters / group;
  SmallVector<int64_t> kernelShape = windowField(dims, &WindowDim::kernel);
  SmallVector<int64_t> outSpatial = windowField(dims, &WindowDim::output);
  SmallVector<int64_t> inSpatial = windowField(dims, &WindowDim::input);
  int64_t taps = productOfDims(kernelShape), outPlane = productOfDims(outSpatial);
  int64_t inPlane = productOfDims(inSpatial);

  // The GEMM the variant was chosen for: per group, groupFilters x
  // (groupChannels taps) times that by (images outPlane).
  GemmProblem p;
  p.batch = shape.batch;
  p.m = shape.m;
  p.n = shape.n;
  p.k = shape.k;
  p.element = element;
  p.loadA = [&, k = p.k](raw_ostream &os, StringRef indent, StringRef row, StringRef col,
                         StringRef dst) {
    os << indent << dst << " = "
       << w.storageElement(op.getWeight(), ("(r1_b * " + w.index(groupFilters) + " + " + row +
                                            ") * " + w.index(k) + " + " + col)
                                               .str())
       << ";\n";
  };
  // The weights' rows (a filter's channels and taps) lie one after another.
  if (auto weights = dyn_cast<BlockArgument>(op.getWeight()))
    p.addressA = [&, name = KernelWriter::inputName(weights.getArgNumber()),
                  k = p.k](StringRef row, StringRef col) {
      return ("&" + name + "[(r1_b * " + w.index(groupFilters) + " + " + row + ") * " + w.index(k) +
              " + " + col + "]")
          .str();
    };
  p.loadB = [&](raw_ostream &os, StringRef indent, StringRef row, StringRef col, StringRef dst) {
    // row = (channel, taps...), col = (image, output position...).
    std::string channel = taps == 1 ? row.str() : ("(" + row + ") / " + w.index(taps)).str();
    std::string tap = ("(" + row + ") % " + w.index(taps)).str();
    os << indent << "const r1_i r1_cv_ch = " << channel << ";\n"
       << indent << "const r1_i r1_cv_img = (" << col << ") / " << w.index(outPlane) << ";\n"
       << indent << "const r1_i r1_cv_sp = (" << col << ") % " << w.index(outPlane) << ";\n";
    printIndices(w, indent, "r1_cv_k", kernelShape, tap);
    printIndices(w, indent, "r1_cv_o", outSpatial, "r1_cv_sp");
    std::string inside;
    for (auto [d, dim] : llvm::enumerate(dims)) {
      os << indent << "const r1_i r1_cv_x" << d << " = "
         << sourceCoordinate(w, dim, ("r1_cv_o" + Twine(d)).str(), ("r1_cv_k" + Twine(d)).str())
         << ";\n";
      inside +=
          (inside.empty() ? "" : " && ") +
          ("r1_cv_x" + Twine(d) + " >= 0 && r1_cv_x" + Twine(d) + " < " + w.index(dim.input)).str();
    }
    std::string offset = "(r1_cv_img * " + w.index(channels) + " + r1_b * " +
                         w.index(groupChannels) + " + r1_cv_ch) * " + w.index(inPlane) + " + " +
                         rowMajor(w, "r1_cv_x", inSpatial);
    os << indent << "if (" << inside << ")\n"
       << indent << "  " << dst << " = " << w.storageElement(op.getInput(), offset) << ";\n";
  };
  // K as (tap, channel): the weights are read with a stride of `taps`, and
  // a column's window origin is found once, each tap's bounds once a step.
  GemmProblem::TapMajor tapMajor;
  tapMajor.channels = groupChannels;
  tapMajor.taps = taps;
  tapMajor.channelStride = inPlane;
  tapMajor.inputElements = inType.getNumElements();
  tapMajor.weight = [&, k = p.k](StringRef f, StringRef channel, StringRef tap) {
    auto weights = cast<BlockArgument>(op.getWeight());
    return ("&" + KernelWriter::inputName(weights.getArgNumber()) + "[(r1_b * " +
            w.index(groupFilters) + " + " + f + ") * " + w.index(k) + " + (" + channel + ") * " +
            w.index(taps) + " + " + tap + "]")
        .str();
  };
  tapMajor.column = [&](raw_ostream &os, StringRef indent, StringRef col) {
    os << indent << "const r1_i r1_cv_img = (" << col << ") / " << w.index(outPlane) << ";\n"
       << indent << "const r1_i r1_cv_sp = (" << col << ") % " << w.index(outPlane) << ";\n";
    printIndices(w, indent, "r1_cv_o", outSpatial, "r1_cv_sp");
    for (auto [d, dim] : llvm::enumerate(dims))
      os << indent << "const r1_i r1_cv_y" << d << " = "
         << sourceCoordinate(w, dim, ("r1_cv_o" + Twine(d)).str(), "0") << ";\n";
    os << indent << "const r1_i r1_cv_base = (r1_cv_img * " << w.index(channels) << " + r1_b * "
       << w.index(groupChannels) << ") * " << w.index(inPlane) << ";\n";
  };
  tapMajor.tap = [&](raw_ostream &os, StringRef indent, StringRef tap) {
    printIndices(w, indent, "r1_cv_k", kernelShape, tap);
    std::string inside;
    for (auto [d, dim] : llvm::enumerate(dims)) {
      os << indent << "const r1_i r1_cv_x" << d << " = r1_cv_y" << d << " + r1_cv_k" << d << " * "
         << w.index(dim.dilation) << ";\n";
      inside +=
          (inside.empty() ? "" : " && ") +
          ("r1_cv_x" + Twine(d) + " >= 0 && r1_cv_x" + Twine(d) + " < " + w.index(dim.input)).str();
    }
    os << indent << "const bool r1_cv_ok = " << (inside.empty() ? "true" : inside) << ";\n"
       << indent << "const r1_i r1_cv_at = r1_cv_base + " << rowMajor(w, "r1_cv_x", inSpatial)
       << ";\n";
  };
  tapMajor.input = [&](StringRef channel) {
    auto input = cast<BlockArgument>(op.getInput());
    return ("&" + KernelWriter::inputName(input.getArgNumber()) + "[r1_cv_at + (" + channel +
            ") * " + w.index(inPlane) + "]")
        .str();
  };
  // A pointwise convolution that reads every input position as its output
  // position (one tap, strides 1, no pads) is a plain GEMM per image: B's
  // row (channel) is a run of the input plane, so 16-byte runs of output
  // positions stay inside one image when the plane is a multiple of 8.
  bool pointwise = taps == 1 && inPlane == outPlane && outPlane % 8 == 0 &&
                   llvm::all_of(dims, [](const WindowDim &dim) {
                     return dim.stride == 1 && dim.padBegin == 0 && dim.padEnd == 0;
                   });
  if (auto input = dyn_cast<BlockArgument>(op.getInput()); input && pointwise)
    p.addressB = [&, name = KernelWriter::inputName(input.getArgNumber())](StringRef row,
                                                                           StringRef col) {
      return ("&" + name + "[((" + col + ") / " + w.index(outPlane) + " * " + w.index(channels) +
              " + r1_b * " + w.index(groupChannels) + " + " + row + ") * " + w.index(inPlane) +
              " + (" + col + ") % " + w.index(outPlane) + "]")
          .str();
    };
  // Both read straight from the kernel's parameters; pointwise ones are
  // better served as the plain GEMM.
  else if (isa<BlockArgument>(op.getWeight()) && isa<BlockArgument>(op.getInput()))
    p.tapMajor = tapMajor;
  p.store = [&](StringRef indent, StringRef row, StringRef col, StringRef acc) {
    std::string filter = ("r1_b * " + w.index(groupFilters) + " + " + row).str();
    std::string value = acc.str();
    if (op.getBias())
      value = "(" + value + " + " + w.element(op.getBias(), filter) + ")";
    std::string out =
        ("(((" + col + ") / " + w.index(outPlane) + ") * " + w.index(filters) + " + " + filter +
         ") * " + w.index(outPlane) + " + (" + col + ") % " + w.index(outPlane))
            .str();
    return w.printStore(indent, KernelWriter::roundTo(resultElement, value), out);
  };
  return printGemm(w, p);
}

/// One thread per output element; each walks the taps of its input channels.
LogicalResult printDirectConv(KernelWriter &w, ConvOp op, ArrayRef<WindowDim> dims) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  // The sums run in the result's compute type: f32 for 16-bit operands
  // whether the result keeps f32 or rounds to their type.
  Type element = outType.getElementType();
  std::string type = KernelWriter::computeType(element);
  int64_t channels = inType.getDimSize(1), filters = outType.getDimSize(1);
  int64_t group = op.getGroup(), groupChannels = channels / group, groupFilters = filters / group;
  SmallVector<int64_t> kernelShape = windowField(dims, &WindowDim::kernel);
  SmallVector<int64_t> outSpatial = windowField(dims, &WindowDim::output);
  SmallVector<int64_t> inSpatial = windowField(dims, &WindowDim::input);
  int64_t outPlane = productOfDims(outSpatial), inPlane = productOfDims(inSpatial);
  int64_t taps = productOfDims(kernelShape);
  raw_ostream &os = w.os;
  openOutputLoop(w, outType.getNumElements());
  os << "    const r1_i r1_img = r1_o / " << w.index(filters * outPlane) << ";\n"
     << "    const r1_i r1_f = (r1_o / " << w.index(outPlane) << ") % " << w.index(filters) << ";\n"
     << "    const r1_i r1_sp = r1_o % " << w.index(outPlane) << ";\n";
  printIndices(w, "    ", "r1_out", outSpatial, "r1_sp");
  std::string init =
      op.getBias() ? w.element(op.getBias(), "r1_f") : KernelWriter::literal(element, 0);
  os << "    " << type << " r1_acc = " << init << ";\n"
     << "    for (int r1_c = 0; r1_c < " << groupChannels << "; ++r1_c) {\n"
     << "      const r1_i r1_plane = (r1_img * " << w.index(channels) << " + (r1_f / "
     << w.index(groupFilters) << ") * " << w.index(groupChannels) << " + r1_c) * "
     << w.index(inPlane) << ";\n"
     << "      const r1_i r1_wbase = (r1_f * " << w.index(groupChannels) << " + r1_c) * "
     << w.index(taps) << ";\n";
  std::string indent = "      ";
  printWindowLoops(w, dims, indent);
  std::string x = w.element(op.getInput(), "r1_plane + " + rowMajor(w, "r1_x", inSpatial));
  std::string weight = w.element(op.getWeight(), "r1_wbase + " + rowMajor(w, "r1_k", kernelShape));
  os << indent << "r1_acc = " << KernelWriter::math(element, "fma") << "(" << x << ", " << weight
     << ", r1_acc);\n";
  for (size_t d = 0; d <= dims.size(); ++d) {
    indent.resize(indent.size() - 2);
    os << indent << "}\n";
  }
  if (failed(w.printStore("    ", KernelWriter::roundTo(element, "r1_acc"), "r1_o")))
    return failure();
  os << "  }\n";
  return success();
}

} // namespace

LogicalResult printConvKernel(KernelWriter &w) {
  auto op = cast<ConvOp>(w.anchor);
  // Input and weight share one type and the result is that type or, for
  // 16-bit operands, f32 (the verifier's rules): the templates multiply the
  // operands' type, sum in f32 either way and store the result's.
  Type element = getElementTypeOf(op.getInput());
  if (!isa<FloatType>(element))
    return op.emitOpError("on ") << element << " has no GPU code; it takes floats";
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  if (inType.getRank() < 3)
    return op.emitOpError("has no spatial dims; GPU code needs at least one");
  SmallVector<WindowDim> dims =
      windowDims(inType.getShape(), outType.getShape(), weightType.getShape().drop_front(2),
                 op.getStrides(), op.getPads(), op.getDilations());
  // One input channel per group (depthwise) has no GEMM shape.
  std::optional<r1k::GpuGemmShape> shape = r1k::getGpuGemmShape(op);
  if (!shape)
    return printDirectConv(w, op, dims);
  return printImplicitGemm(w, op, dims, *shape);
}

LogicalResult printPoolKernel(KernelWriter &w) {
  Operation *anchor = w.anchor;
  PoolWindow window = getPoolWindow(anchor);
  bool isMax = window.isMax;
  ArrayRef<int64_t> kernel = window.kernel, strides = window.strides, pads = window.pads,
                    dilations = window.dilations;
  bool countIncludePad = window.countIncludePad;
  if (failed(checkOneElementType(anchor)))
    return failure();
  auto inType = cast<RankedTensorType>(anchor->getOperand(0).getType());
  auto outType = cast<RankedTensorType>(anchor->getResult(0).getType());
  if (inType.getRank() < 3)
    return anchor->emitOpError("has no spatial dims; GPU code needs at least one");
  // 8-bit codes are pooled on the host only (int8 targets the host).
  if (!isa<FloatType>(outType.getElementType()))
    return anchor->emitOpError("pools ")
           << outType.getElementType() << " values; GPU pooling takes floats";
  Type element = outType.getElementType();
  std::string type = KernelWriter::computeType(element);
  SmallVector<WindowDim> dims =
      windowDims(inType.getShape(), outType.getShape(), kernel, strides, pads, dilations);
  SmallVector<int64_t> outSpatial = windowField(dims, &WindowDim::output);
  SmallVector<int64_t> inSpatial = windowField(dims, &WindowDim::input);
  int64_t outPlane = productOfDims(outSpatial), inPlane = productOfDims(inSpatial);
  raw_ostream &os = w.os;
  openOutputLoop(w, outType.getNumElements());
  os << "    const r1_i r1_plane = (r1_o / " << w.index(outPlane) << ") * " << w.index(inPlane)
     << ";\n"
     << "    const r1_i r1_sp = r1_o % " << w.index(outPlane) << ";\n";
  printIndices(w, "    ", "r1_out", outSpatial, "r1_sp");
  // The lowest finite value, as ONNX Runtime starts a max from.
  std::string lowestFinite = element.isF64() ? KernelWriter::literal(element, -DBL_MAX)
                                             : KernelWriter::literal(element, -FLT_MAX);
  os << "    " << type << " r1_acc = " << (isMax ? lowestFinite : KernelWriter::literal(element, 0))
     << ";\n";
  std::string indent = "    ";
  printWindowLoops(w, dims, indent);
  std::string x = w.element(anchor->getOperand(0), "r1_plane + " + rowMajor(w, "r1_x", inSpatial));
  os << indent << "const " << type << " r1_v = " << x << ";\n";
  if (isMax)
    os << indent << "r1_acc = r1_v > r1_acc ? r1_v : r1_acc;\n";
  else
    os << indent << "r1_acc += r1_v;\n";
  for (size_t d = 0; d < dims.size(); ++d) {
    indent.resize(indent.size() - 2);
    os << indent << "}\n";
  }
  std::string value = "r1_acc";
  if (!isMax) {
    // Taps per dim inside the input (or the padded input); the window is
    // their product. An empty window sums to 0, and 0 / 1 stays 0.
    os << "    long long r1_count = 1;\n";
    for (auto [d, dim] : llvm::enumerate(dims)) {
      std::string at = sourceCoordinate(w, dim, ("r1_out" + Twine(d)).str(), "r1_t");
      std::string counted = countIncludePad ? at + " < " + w.index(dim.input + dim.padEnd)
                                            : at + " >= 0 && " + at + " < " + w.index(dim.input);
      os << "    {\n      int r1_n = 0;\n"
         << "      for (int r1_t = 0; r1_t < " << dim.kernel << "; ++r1_t)\n"
         << "        r1_n += (" << counted << ") ? 1 : 0;\n"
         << "      r1_count *= r1_n;\n    }\n";
    }
    value = "(r1_acc / (" + type + ")(r1_count > 1 ? r1_count : 1))";
  }
  if (failed(w.printStore("    ", KernelWriter::roundTo(element, value), "r1_o")))
    return failure();
  os << "  }\n";
  return success();
}

LogicalResult printBatchNormKernel(KernelWriter &w) {
  auto op = cast<BatchNormOp>(w.anchor);
  if (failed(checkOneElementType(op)))
    return failure();
  auto type = cast<RankedTensorType>(op.getType());
  Type element = type.getElementType();
  std::string compute = KernelWriter::computeType(element);
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() < 2)
    return op.emitOpError("has no channel dim; GPU code needs N x C x ...");
  int64_t plane = productOfDims(shape.drop_front(2));
  raw_ostream &os = w.os;
  openOutputLoop(w, type.getNumElements());
  // y = x * (scale / sqrt(var + eps)) + (bias - mean * that), as the host
  // and ONNX Runtime fold it.
  os << "    const r1_i r1_c = (r1_o / " << w.index(plane) << ") % " << w.index(shape[1]) << ";\n"
     << "    const " << compute << " r1_dev = " << KernelWriter::math(element, "sqrt") << "("
     << w.element(op.getVariance(), "r1_c") << " + "
     << KernelWriter::literal(element, op.getEpsilon().convertToDouble()) << ");\n"
     << "    const " << compute << " r1_scale = " << w.element(op.getScale(), "r1_c")
     << " / r1_dev;\n"
     << "    const " << compute << " r1_shift = " << w.element(op.getBias(), "r1_c") << " - "
     << w.element(op.getMean(), "r1_c") << " * r1_scale;\n";
  std::string value = "(" + w.element(op.getInput(), "r1_o") + " * r1_scale + r1_shift)";
  if (failed(w.printStore("    ", KernelWriter::roundTo(element, value), "r1_o")))
    return failure();
  os << "  }\n";
  return success();
}

} // namespace r1c::gpu
