//===- MovementPrinter.cpp - Transpose, slice, gather, concat, split... ----===//
//
// One thread per output element, reading the input element that the op's
// index map names (split: one per input element, writing it to the result
// that holds it). Strided maps (transpose, expand, slice) merge adjacent
// dims that stay contiguous, so a transpose that keeps its inner dims costs
// one divide per moved block of dims. The gathers read negative indices
// from the end as ONNX says; an index still out of range is clamped, so a bad
// index reads a wrong element instead of faulting the device.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Sum over the dims of `outShape` of (index of dim d at `linear`) *
/// strides[d]; a stride of 0 drops the dim. Adjacent dims whose strides
/// are contiguous (outer = inner * inner size) become one term.
std::string stridedOffset(const KernelWriter &w, ArrayRef<int64_t> outShape,
                          ArrayRef<int64_t> strides, StringRef linear) {
  struct Run {
    int64_t size, outStride, inStride;
  };
  SmallVector<Run> runs;
  bool open = false;
  int64_t outStride = 1, total = productOfDims(outShape);
  for (int64_t d = int64_t(outShape.size()) - 1; d >= 0; --d) {
    int64_t size = outShape[d];
    if (size == 1)
      continue;
    if (strides[d] == 0) {
      open = false;
    } else if (open && strides[d] == runs.back().inStride * runs.back().size) {
      runs.back().size *= size;
    } else {
      runs.push_back({size, outStride, strides[d]});
      open = true;
    }
    outStride *= size;
  }
  std::string text;
  for (const Run &run : runs) {
    std::string term = ("(" + linear + ")").str();
    if (run.outStride != 1)
      term = "(" + term + " / " + w.index(run.outStride) + ")";
    if (run.outStride * run.size != total)
      term = "(" + term + " % " + w.index(run.size) + ")";
    if (run.inStride != 1)
      term = "(" + term + " * " + w.index(run.inStride) + ")";
    text = text.empty() ? term : term + " + " + text;
  }
  return text.empty() ? "0" : text;
}

/// The loop over every output element (`r1_o`), its body `printValue`
/// (statements, returning the anchor's value there), then the fused body
/// and the store.
LogicalResult printPerOutput(KernelWriter &w,
                             const std::function<std::string(StringRef indent)> &printValue) {
  int64_t count = w.resultType().getNumElements();
  w.os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_o < "
       << w.index(count) << "; r1_o += (r1_i)gridDim.x * " << kThreads << ") {\n";
  std::string value = printValue("    ");
  if (value.empty() || failed(w.printStore("    ", value, "r1_o")))
    return failure();
  w.os << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(count, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

LogicalResult printTranspose(KernelWriter &w, TransposeOp op) {
  SmallVector<int64_t> inStrides = rowMajorStrides(shapeOf(op.getInput()));
  SmallVector<int64_t> strides;
  for (int64_t p : op.getPerm())
    strides.push_back(inStrides[p]);
  ArrayRef<int64_t> outShape = shapeOf(op.getResult());
  return printPerOutput(w, [&](StringRef) {
    return w.element(op.getInput(), stridedOffset(w, outShape, strides, "r1_o"));
  });
}

LogicalResult printExpand(KernelWriter &w, ExpandOp op) {
  ArrayRef<int64_t> outShape = shapeOf(op.getResult());
  ArrayRef<int64_t> inShape = shapeOf(op.getInput());
  return printPerOutput(w, [&](StringRef) {
    return w.element(op.getInput(), KernelWriter::broadcastOffset(outShape, inShape, "r1_o"));
  });
}

LogicalResult printSlice(KernelWriter &w, SliceOp op) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput()), outShape = shapeOf(op.getResult());
  SmallVector<int64_t> first(inShape.size(), 0), step(inShape.size(), 1);
  for (size_t i = 0; i < op.getAxes().size(); ++i) {
    int64_t axis = *normalizeAxis(op.getAxes()[i], inShape.size());
    step[axis] = op.getSteps()[i];
    first[axis] = sliceFirstIndex(inShape[axis], op.getStarts()[i], step[axis]);
  }
  SmallVector<int64_t> inStrides = rowMajorStrides(inShape), strides;
  int64_t base = 0;
  for (size_t d = 0; d < inShape.size(); ++d) {
    base += first[d] * inStrides[d];
    strides.push_back(step[d] * inStrides[d]);
  }
  return printPerOutput(w, [&](StringRef) {
    // Negative steps make negative strides, which stridedOffset keeps.
    return w.element(op.getInput(),
                     w.index(base) + " + " + stridedOffset(w, outShape, strides, "r1_o"));
  });
}

LogicalResult printTile(KernelWriter &w, TileOp op) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput()), outShape = shapeOf(op.getResult());
  SmallVector<int64_t> inStrides = rowMajorStrides(inShape);
  std::string offset;
  for (size_t d = 0; d < outShape.size(); ++d) {
    if (inShape[d] == 1)
      continue;
    std::string term = "(" + KernelWriter::dimIndex(outShape, d, "r1_o") + " % " +
                       w.index(inShape[d]) + ") * " + w.index(inStrides[d]);
    offset = offset.empty() ? term : offset + " + " + term;
  }
  return printPerOutput(
      w, [&](StringRef) { return w.element(op.getInput(), offset.empty() ? "0" : offset); });
}

LogicalResult printGather(KernelWriter &w, GatherOp op) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  int64_t inner = productOfDims(dataShape.drop_front(axis + 1));
  int64_t picked = productOfDims(indexShape), extent = dataShape[axis];
  return printPerOutput(w, [&](StringRef indent) {
    w.os << indent << "const r1_i r1_inner = r1_o % " << w.index(inner) << ";\n"
         << indent << "const r1_i r1_pick = (r1_o / " << w.index(inner) << ") % " << w.index(picked)
         << ";\n"
         << indent << "const r1_i r1_outer = r1_o / " << w.index(inner * picked) << ";\n"
         << indent << "long long r1_at = (long long)" << w.element(op.getIndices(), "r1_pick")
         << ";\n"
         << indent << "if (r1_at < 0)\n"
         << indent << "  r1_at += " << extent << "ll;\n"
         << indent << "r1_at = r1_at < 0 ? 0 : (r1_at >= " << extent << "ll ? " << extent - 1
         << "ll : r1_at);\n";
    return w.element(op.getData(), ("(r1_outer * " + w.index(extent) + " + (r1_i)r1_at) * " +
                                    w.index(inner) + " + r1_inner"));
  });
}

/// Prints `r1_at` (long long): the index read by `read`, counted from the
/// end when negative, then clamped to [0, extent) as gather does.
void printWrappedIndex(KernelWriter &w, StringRef indent, StringRef name, const std::string &read,
                       int64_t extent) {
  w.os << indent << "long long " << name << " = (long long)" << read << ";\n"
       << indent << "if (" << name << " < 0)\n"
       << indent << "  " << name << " += " << extent << "ll;\n"
       << indent << name << " = " << name << " < 0 ? 0 : (" << name << " >= " << extent << "ll ? "
       << extent - 1 << "ll : " << name << ");\n";
}

LogicalResult printGatherElements(KernelWriter &w, GatherElementsOp op) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  // The output has the indices' shape: every dim but the axis maps to the
  // data's by its stride, and the axis by the index read there.
  SmallVector<int64_t> strides = rowMajorStrides(dataShape);
  int64_t axisStride = strides[axis];
  strides[axis] = 0;
  return printPerOutput(w, [&](StringRef indent) {
    std::string read = w.element(op.getIndices(), "r1_o");
    printWrappedIndex(w, indent, "r1_at", read, dataShape[axis]);
    return w.element(op.getData(), stridedOffset(w, indexShape, strides, "r1_o") +
                                       " + (r1_i)r1_at * " + w.index(axisStride));
  });
}

LogicalResult printGatherND(KernelWriter &w, GatherNDOp op) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t batch = op.getBatchDims(), tuple = indexShape.back();
  SmallVector<int64_t> strides = rowMajorStrides(dataShape);
  // Empty dims leave no element to print; 1 keeps the divisions defined.
  int64_t inner = std::max<int64_t>(1, productOfDims(dataShape.drop_front(batch + tuple)));
  int64_t block = productOfDims(dataShape.drop_front(batch));
  int64_t tuplesPerBatch =
      std::max<int64_t>(1, productOfDims(indexShape.slice(batch, indexShape.size() - 1 - batch)));
  return printPerOutput(w, [&](StringRef indent) {
    // Output element = (tuple number, position in the slice it names).
    w.os << indent << "const r1_i r1_inner = r1_o % " << w.index(inner) << ";\n"
         << indent << "const r1_i r1_t = r1_o / " << w.index(inner) << ";\n"
         << indent << "r1_i r1_from = (r1_t / " << w.index(tuplesPerBatch) << ") * "
         << w.index(block) << ";\n";
    for (int64_t k = 0; k < tuple; ++k) {
      std::string name = "r1_at" + std::to_string(k);
      std::string read =
          w.element(op.getIndices(), "r1_t * " + w.index(tuple) + " + " + w.index(k));
      printWrappedIndex(w, indent, name, read, dataShape[batch + k]);
      w.os << indent << "r1_from += (r1_i)" << name << " * " << w.index(strides[batch + k])
           << ";\n";
    }
    return w.element(op.getData(), "r1_from + r1_inner");
  });
}

LogicalResult printConcat(KernelWriter &w, ConcatOp op) {
  ArrayRef<int64_t> outShape = shapeOf(op.getResult());
  int64_t axis = *normalizeAxis(op.getAxis(), outShape.size());
  int64_t inner = productOfDims(outShape.drop_front(axis + 1)), extent = outShape[axis];
  std::string type = KernelWriter::computeType(getElementTypeOf(op.getResult()));
  return printPerOutput(w, [&](StringRef indent) -> std::string {
    raw_ostream &os = w.os;
    os << indent << "const r1_i r1_inner = r1_o % " << w.index(inner) << ";\n"
       << indent << "const r1_i r1_a = (r1_o / " << w.index(inner) << ") % " << w.index(extent)
       << ";\n"
       << indent << "const r1_i r1_outer = r1_o / " << w.index(inner * extent) << ";\n"
       << indent << type << " r1_value;\n";
    int64_t start = 0;
    StringRef keyword = "if";
    for (auto [i, input] : llvm::enumerate(op.getInputs())) {
      int64_t size = shapeOf(input)[axis];
      std::string value =
          w.element(input, "(r1_outer * " + w.index(size) + " + r1_a - " + w.index(start) + ") * " +
                               w.index(inner) + " + r1_inner");
      if (value.empty())
        return "";
      if (i + 1 == op.getInputs().size()) {
        if (i > 0)
          os << indent << "else\n";
      } else
        os << indent << keyword << " (r1_a < " << w.index(start + size) << ")\n";
      os << indent << "  r1_value = " << value << ";\n";
      keyword = "else if";
      start += size;
    }
    return "r1_value";
  });
}

/// One thread per input element, stored as is into the result that holds it.
LogicalResult printSplit(KernelWriter &w, SplitOp op) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput());
  int64_t axis = *normalizeAxis(op.getAxis(), inShape.size());
  int64_t inner = productOfDims(inShape.drop_front(axis + 1)), extent = inShape[axis];
  int64_t count = productOfDims(inShape);
  raw_ostream &os = w.os;
  os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_o < "
     << w.index(count) << "; r1_o += (r1_i)gridDim.x * " << kThreads << ") {\n"
     << "    const r1_i r1_inner = r1_o % " << w.index(inner) << ";\n"
     << "    const r1_i r1_a = (r1_o / " << w.index(inner) << ") % " << w.index(extent) << ";\n"
     << "    const r1_i r1_outer = r1_o / " << w.index(inner * extent) << ";\n"
     << "    const " << KernelWriter::storageType(getElementTypeOf(op.getInput()))
     << " r1_x = " << w.storageElement(op.getInput(), "r1_o") << ";\n";
  int64_t start = 0;
  for (auto [i, result] : llvm::enumerate(op.getResults())) {
    int64_t size = shapeOf(result)[axis];
    if (size == 0)
      continue;
    os << "    " << (start == 0 ? "if" : "else if") << " (r1_a < " << w.index(start + size) << ")\n"
       << "      " << KernelWriter::resultName(i) << "[(r1_outer * " << w.index(size)
       << " + r1_a - " << w.index(start) << ") * " << w.index(inner) << " + r1_inner] = r1_x;\n";
    start += size;
  }
  os << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(count, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

LogicalResult printRange(KernelWriter &w, RangeOp op) {
  Type element = getElementTypeOf(op.getResult());
  std::string type = KernelWriter::computeType(element);
  return printPerOutput(w, [&](StringRef) {
    std::string start = w.element(op.getStart(), "0"), delta = w.element(op.getDelta(), "0");
    return "(" + start + " + (" + type + ")r1_o * " + delta + ")";
  });
}

LogicalResult printConstantOfShape(KernelWriter &w, ConstantOfShapeOp op) {
  auto value = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!value || value.getNumElements() != 1)
    return op.emitOpError("with a resource value has no GPU code yet");
  Type element = getElementTypeOf(op.getResult());
  Attribute splat = value.getSplatValue<Attribute>();
  std::string fill;
  if (auto f = dyn_cast<FloatAttr>(splat))
    fill = KernelWriter::literal(element, f.getValueAsDouble());
  else
    fill =
        KernelWriter::literal(element, double(cast<IntegerAttr>(splat).getValue().getSExtValue()));
  return printPerOutput(w, [&](StringRef) { return fill; });
}

LogicalResult printTrilu(KernelWriter &w, TriluOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  if (shape.size() < 2)
    return op.emitOpError("needs at least two dims");
  Type element = getElementTypeOf(op.getResult());
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  return printPerOutput(w, [&](StringRef indent) {
    // Column minus row against k decides the triangle.
    w.os << indent << "const r1_i r1_diag = r1_o % " << w.index(cols) << " - (r1_o / "
         << w.index(cols) << ") % " << w.index(rows) << ";\n";
    std::string keep = op.getUpper() ? "r1_diag >= " : "r1_diag <= ";
    return "(" + keep + w.index(op.getK()) + " ? " + w.element(op.getInput(), "r1_o") + " : " +
           KernelWriter::literal(element, 0) + ")";
  });
}

/// Pad: as on the host, each output index minus the begin pad is mapped
/// into the range negative pads keep, by the mode; constant mode reads
/// `value` where any index falls outside it.
LogicalResult printPad(KernelWriter &w, PadOp op) {
  ArrayRef<int64_t> inShape = shapeOf(op.getInput()), outShape = shapeOf(op.getResult());
  StringRef mode = op.getMode();
  std::string fill =
      KernelWriter::literal(getElementTypeOf(op.getResult()), op.getValue().convertToDouble());
  SmallVector<PadRange> ranges = getPadRanges(inShape, op.getPads());
  if (llvm::any_of(ranges, [](const PadRange &r) { return r.hi < r.lo; })) {
    if (mode != "constant")
      return op.emitOpError("pads an empty input in mode '") << mode << "'";
    return printPerOutput(w, [&](StringRef) { return fill; });
  }
  SmallVector<int64_t> strides = rowMajorStrides(inShape);
  return printPerOutput(w, [&](StringRef indent) {
    raw_ostream &os = w.os;
    os << indent << "bool r1_inside = true;\n" << indent << "r1_i r1_from = 0;\n";
    for (size_t d = 0; d < inShape.size(); ++d) {
      const PadRange &r = ranges[d];
      std::string at = "r1_p" + std::to_string(d);
      std::string lo = std::to_string(r.lo) + "ll", hi = std::to_string(r.hi) + "ll";
      os << indent << "{\n"
         << indent << "  long long " << at << " = (long long)("
         << KernelWriter::dimIndex(outShape, d, "r1_o") << ") - " << r.begin << "ll;\n";
      if (mode == "reflect") {
        os << indent << "  " << at << " = " << at << " < " << lo << " ? " << 2 * r.lo << "ll - "
           << at << " : " << at << ";\n"
           << indent << "  " << at << " = " << at << " > " << hi << " ? " << 2 * r.hi << "ll - "
           << at << " : " << at << ";\n";
      } else if (mode == "wrap") {
        std::string n = std::to_string(r.hi - r.lo + 1) + "ll";
        os << indent << "  " << at << " = (((" << at << " - " << lo << ") % " << n << ") + " << n
           << ") % " << n << " + " << lo << ";\n";
      } else if (mode == "constant") {
        os << indent << "  r1_inside = r1_inside && " << at << " >= " << lo << " && " << at
           << " <= " << hi << ";\n";
      }
      os << indent << "  " << at << " = " << at << " < " << lo << " ? " << lo << " : (" << at
         << " > " << hi << " ? " << hi << " : " << at << ");\n"
         << indent << "  r1_from += (r1_i)" << at << " * " << w.index(strides[d]) << ";\n"
         << indent << "}\n";
    }
    return "(r1_inside ? " + w.element(op.getInput(), "r1_from") + " : " + fill + ")";
  });
}

} // namespace

LogicalResult printMovementKernel(KernelWriter &w) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(w.anchor)
      .Case([&](TransposeOp op) { return printTranspose(w, op); })
      .Case([&](ExpandOp op) { return printExpand(w, op); })
      .Case([&](SliceOp op) { return printSlice(w, op); })
      .Case([&](TileOp op) { return printTile(w, op); })
      .Case([&](GatherOp op) { return printGather(w, op); })
      .Case([&](GatherElementsOp op) { return printGatherElements(w, op); })
      .Case([&](GatherNDOp op) { return printGatherND(w, op); })
      .Case([&](ConcatOp op) { return printConcat(w, op); })
      .Case([&](SplitOp op) { return printSplit(w, op); })
      .Case([&](RangeOp op) { return printRange(w, op); })
      .Case([&](ConstantOfShapeOp op) { return printConstantOfShape(w, op); })
      .Case([&](TriluOp op) { return printTrilu(w, op); })
      .Case([&](PadOp op) { return printPad(w, op); })
      .Default([&](Operation *op) {
        return op->emitOpError("has no GPU code generation yet (kernel '")
               << w.kernel.getName() << "')";
      });
}

} // namespace r1c::gpu
