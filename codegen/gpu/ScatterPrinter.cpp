//===- ScatterPrinter.cpp - scatter_elements and scatter_nd ---------------===//
//
// Two launches: one thread per element copies the data into the result,
// then one thread per update element writes it where its index says. The
// launch boundary orders every copy before every update. Threads of the
// second launch run in no set order, so updates that land on one element
// combine atomically: add, mul, max and min as a compare-and-swap loop on
// the element's 32- or 64-bit word, which CUDA and HIP both have for every
// element type of that size (native atomic mul, and max and min of floats,
// exist on neither). Elements of 8 or 16 bits share their word with others
// and are refused with a reduction. With reduction none, two updates of one
// element race; ONNX leaves that case undefined (host code, like ONNX
// Runtime, keeps the later one). An index still out of range after
// negative ones count from the end writes nothing, so a bad index cannot
// fault the device or reach another tensor.
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

/// `for (r1_u ...)` over `count` work items, each thread taking every
/// grid's worth; `printItem` prints the body.
void printGridLoop(KernelWriter &w, StringRef var, int64_t count,
                   const std::function<void(StringRef indent)> &printItem) {
  w.os << "  for (r1_i " << var << " = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; " << var
       << " < " << w.index(count) << "; " << var << " += (r1_i)gridDim.x * " << kThreads << ") {\n";
  printItem("    ");
  w.os << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(count, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
}

/// Reads index `read` into `name` (long long), counted from the end of a
/// dim of size `extent` when negative, and ands its being in range into
/// `valid`.
void printIndex(KernelWriter &w, StringRef indent, StringRef name, const std::string &read,
                int64_t extent, StringRef valid) {
  w.os << indent << "long long " << name << " = (long long)" << read << ";\n"
       << indent << "if (" << name << " < 0)\n"
       << indent << "  " << name << " += " << extent << "ll;\n"
       << indent << valid << " = " << valid << " && " << name << " >= 0 && " << name << " < "
       << extent << "ll;\n";
}

/// The combined value of the compute values `old` and `update`.
std::string combined(ScatterReduction reduction, StringRef old, StringRef update) {
  switch (reduction) {
  case ScatterReduction::add:
    return ("(" + old + " + " + update + ")").str();
  case ScatterReduction::mul:
    return ("(" + old + " * " + update + ")").str();
  case ScatterReduction::max:
    return ("r1_max(" + old + ", " + update + ")").str();
  case ScatterReduction::min:
    return ("r1_min(" + old + ", " + update + ")").str();
  case ScatterReduction::none:
    break;
  }
  return update.str();
}

/// Statements that apply the update at `from` (an index into updates) to
/// result element `to`.
void printApply(KernelWriter &w, StringRef indent, Value updates, StringRef from, StringRef to,
                ScatterReduction reduction) {
  Type element = getElementTypeOf(updates);
  if (reduction == ScatterReduction::none) {
    w.os << indent << "r0[" << to << "] = " << w.storageElement(updates, from) << ";\n";
    return;
  }
  std::string type = KernelWriter::computeType(element);
  std::string word = element.getIntOrFloatBitWidth() == 64 ? "unsigned long long" : "unsigned";
  w.os << indent << word << " *r1_word = (" << word << " *)(r0 + " << to << ");\n"
       << indent << "const " << type << " r1_update = " << w.element(updates, from) << ";\n"
       << indent << word << " r1_seen, r1_old = *r1_word;\n"
       << indent << "do {\n"
       << indent << "  r1_seen = r1_old;\n"
       << indent << "  const " << type << " r1_new = "
       << combined(reduction, "__builtin_bit_cast(" + type + ", r1_seen)", "r1_update") << ";\n"
       << indent << "  r1_old = atomicCAS(r1_word, r1_seen, __builtin_bit_cast(" << word
       << ", r1_new));\n"
       << indent << "} while (r1_old != r1_seen);\n";
}

LogicalResult printScatterElements(KernelWriter &w, ScatterElementsOp op) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t axis = *normalizeAxis(op.getAxis(), dataShape.size());
  int64_t axisStride = productOfDims(dataShape.drop_front(axis + 1));
  printGridLoop(w, "r1_u", productOfDims(indexShape), [&](StringRef indent) {
    w.os << indent << "bool r1_valid = true;\n";
    printIndex(w, indent, "r1_at", w.element(op.getIndices(), "r1_u"), dataShape[axis], "r1_valid");
    // Off the axis, the update's position is its position in the result.
    w.os << indent << "r1_i r1_to = (r1_i)r1_at * " << w.index(axisStride) << ";\n";
    for (size_t d = 0; d < dataShape.size(); ++d)
      if (int64_t(d) != axis && indexShape[d] != 1)
        w.os << indent << "r1_to += " << KernelWriter::dimIndex(indexShape, d, "r1_u") << " * "
             << w.index(productOfDims(dataShape.drop_front(d + 1))) << ";\n";
    w.os << indent << "if (r1_valid) {\n";
    printApply(w, (indent + "  ").str(), op.getUpdates(), "r1_u", "r1_to", op.getReduction());
    w.os << indent << "}\n";
  });
  return success();
}

LogicalResult printScatterND(KernelWriter &w, ScatterNDOp op) {
  ArrayRef<int64_t> dataShape = shapeOf(op.getData()), indexShape = shapeOf(op.getIndices());
  int64_t tuple = indexShape.back();
  // Empty dims leave no update to print; 1 keeps the divisions defined.
  int64_t slice = std::max<int64_t>(1, productOfDims(dataShape.drop_front(tuple)));
  printGridLoop(w, "r1_u", productOfDims(shapeOf(op.getUpdates())), [&](StringRef indent) {
    // Update element = (tuple number, position in the slice it names).
    w.os << indent << "const r1_i r1_t = r1_u / " << w.index(slice) << ";\n"
         << indent << "r1_i r1_to = r1_u % " << w.index(slice) << ";\n"
         << indent << "bool r1_valid = true;\n";
    for (int64_t k = 0; k < tuple; ++k) {
      std::string name = "r1_at" + std::to_string(k);
      printIndex(w, indent, name,
                 w.element(op.getIndices(), "r1_t * " + w.index(tuple) + " + " + w.index(k)),
                 dataShape[k], "r1_valid");
      w.os << indent << "r1_to += (r1_i)" << name << " * "
           << w.index(productOfDims(dataShape.drop_front(k + 1))) << ";\n";
    }
    w.os << indent << "if (r1_valid) {\n";
    printApply(w, (indent + "  ").str(), op.getUpdates(), "r1_u", "r1_to", op.getReduction());
    w.os << indent << "}\n";
  });
  return success();
}

} // namespace

LogicalResult printScatterKernel(KernelWriter &w) {
  Operation *op = w.anchor;
  Value data = op->getOperand(0);
  Type element = getElementTypeOf(data);
  auto reduction = op->getAttrOfType<ScatterReductionAttr>("reduction").getValue();
  unsigned bits = element.getIntOrFloatBitWidth();
  if (reduction != ScatterReduction::none && bits != 32 && bits != 64)
    return op->emitOpError("with reduction '")
           << stringifyScatterReduction(reduction) << "' of element type " << element
           << " has no GPU code: its atomic update works on 32- and 64-bit elements (kernel '"
           << w.kernel.getName() << "')";
  printGridLoop(w, "r1_o", productOfDims(shapeOf(data)), [&](StringRef indent) {
    w.os << indent << "r0[r1_o] = " << w.storageElement(data, "r1_o") << ";\n";
  });
  w.endLaunch("copy");
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ScatterElementsOp op) { return printScatterElements(w, op); })
      .Case([&](ScatterNDOp op) { return printScatterND(w, op); })
      .Default([&](Operation *op) { return op->emitOpError("is not a scatter"); });
}

} // namespace r1c::gpu
