//===- TopKPrinter.cpp - top_k, one thread per row ------------------------===//
//
// The algorithm of the host's top_k (codegen/host/TopKAnchors.cpp): each
// row keeps its k best elements in a binary heap held in its own rows of
// the two results, worst at the root; a later element replaces the root
// only when its value is strictly better (ties go to the lower index,
// which the kept ones have); popping the root to the end k - 1 times
// leaves the row sorted best first. One thread per row is correct for any
// k and plenty for the rows top_k sees in models (a few, of a vocabulary);
// a block per row would be the next step for long rows.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 64;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

/// Prints the heap operations of one row over results r0 (values) and r1
/// (indices), slot s being element `r1_to + s * stride` of each.
class HeapPrinter {
public:
  HeapPrinter(KernelWriter &w, TopKOp op, int64_t stride)
      : w(w), os(w.os), stride(stride), largest(op.getLargest()),
        element(getElementTypeOf(op.getValues())), type(KernelWriter::computeType(element)) {}

  std::string slot(StringRef s) const {
    return ("r1_to + (r1_i)(" + s + ") * " + w.index(stride)).str();
  }
  /// The compute value in slot `s`.
  std::string valueAt(StringRef s) const {
    return KernelWriter::fromStorage(element, "r0[" + slot(s) + "]");
  }
  /// Whether compute value `x` is better than `y`: larger (or smaller).
  std::string better(StringRef x, StringRef y) const {
    return ("(" + x + (largest ? " > " : " < ") + y + ")").str();
  }
  /// Whether (xv, xi) comes after (yv, yi): a worse value, or an equal one
  /// at a higher index.
  std::string worse(StringRef xv, StringRef xi, StringRef yv, StringRef yi) const {
    return "(" + better(yv, xv) + " || (" + xv.str() + " == " + yv.str() + " && " + xi.str() +
           " > " + yi.str() + "))";
  }

  /// Declares the entry `r1_xs` (stored), `r1_xv` (compute), `r1_xi`.
  void printEntry(StringRef indent, const std::string &stored, StringRef index) {
    os << indent << "const " << KernelWriter::storageType(element) << " r1_xs = " << stored << ";\n"
       << indent << "const " << type << " r1_xv = " << KernelWriter::fromStorage(element, "r1_xs")
       << ";\n"
       << indent << "const long long r1_xi = " << index << ";\n";
  }
  void printPlace(StringRef indent) {
    os << indent << "r0[" << slot("r1_s") << "] = r1_xs;\n"
       << indent << "r1[" << slot("r1_s") << "] = r1_xi;\n";
  }
  void printMove(StringRef indent, StringRef to, StringRef from) {
    os << indent << "r0[" << slot(to) << "] = r0[" << slot(from) << "];\n"
       << indent << "r1[" << slot(to) << "] = r1[" << slot(from) << "];\n";
  }

  /// Places the entry at slot `start` below the heap [0, start).
  void printSiftUp(StringRef indent, StringRef start) {
    std::string in = (indent + "  ").str();
    os << indent << "long long r1_s = " << start << ";\n"
       << indent << "while (r1_s > 0) {\n"
       << in << "const long long r1_p = (r1_s - 1) >> 1;\n"
       << in << "const " << type << " r1_pv = " << valueAt("r1_p") << ";\n"
       << in << "if (!" << worse("r1_xv", "r1_xi", "r1_pv", "r1[" + slot("r1_p") + "]") << ")\n"
       << in << "  break;\n";
    printMove(in, "r1_s", "r1_p");
    os << in << "r1_s = r1_p;\n" << indent << "}\n";
    printPlace(indent);
  }

  /// Places the entry at the root of the heap [0, size).
  void printSiftDown(StringRef indent, StringRef size) {
    std::string in = (indent + "  ").str();
    os << indent << "long long r1_s = 0;\n"
       << indent << "while (2 * r1_s + 1 < " << size << ") {\n"
       << in << "long long r1_c = 2 * r1_s + 1;\n"
       << in << type << " r1_cv = " << valueAt("r1_c") << ";\n"
       << in << "long long r1_ci = r1[" << slot("r1_c") << "];\n"
       << in << "if (r1_c + 1 < " << size << ") {\n"
       << in << "  const " << type << " r1_rv = " << valueAt("r1_c + 1") << ";\n"
       << in << "  const long long r1_ri = r1[" << slot("r1_c + 1") << "];\n"
       << in << "  if (" << worse("r1_rv", "r1_ri", "r1_cv", "r1_ci") << ") {\n"
       << in << "    r1_c += 1;\n"
       << in << "    r1_cv = r1_rv;\n"
       << in << "    r1_ci = r1_ri;\n"
       << in << "  }\n"
       << in << "}\n"
       << in << "if (!" << worse("r1_cv", "r1_ci", "r1_xv", "r1_xi") << ")\n"
       << in << "  break;\n";
    printMove(in, "r1_s", "r1_c");
    os << in << "r1_s = r1_c;\n" << indent << "}\n";
    printPlace(indent);
  }

private:
  KernelWriter &w;
  raw_ostream &os;
  int64_t stride;
  bool largest;
  Type element;
  std::string type;
};

} // namespace

LogicalResult printTopKKernel(KernelWriter &w) {
  auto op = cast<TopKOp>(w.anchor);
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> shape = inputType.getShape();
  int64_t axis = *normalizeAxis(op.getAxis(), shape.size());
  int64_t n = shape[axis], k = op.getK();
  int64_t inner = productOfDims(shape.drop_front(axis + 1));
  int64_t rows = productOfDims(shape.take_front(axis)) * inner;
  w.launch.grid = {std::min(KernelWriter::blocksFor(rows, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  if (k == 0 || rows == 0)
    return success();
  HeapPrinter heap(w, op, inner);
  raw_ostream &os = w.os;
  // A row is (outer position, inner position); its elements along the
  // axis are `inner` apart, in the input and in both results.
  os << "  for (r1_i r1_r = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_r < "
     << w.index(rows) << "; r1_r += (r1_i)gridDim.x * " << kThreads << ") {\n"
     << "    const r1_i r1_from = (r1_r / " << w.index(inner) << ") * " << w.index(n * inner)
     << " + r1_r % " << w.index(inner) << ";\n"
     << "    const r1_i r1_to = (r1_r / " << w.index(inner) << ") * " << w.index(k * inner)
     << " + r1_r % " << w.index(inner) << ";\n";
  std::string read = w.storageElement(op.getInput(), "r1_from + (r1_i)r1_j * " + w.index(inner));
  os << "    for (long long r1_j = 0; r1_j < " << k << "ll; ++r1_j) {\n";
  heap.printEntry("      ", read, "r1_j");
  heap.printSiftUp("      ", "r1_j");
  os << "    }\n"
     << "    for (long long r1_j = " << k << "ll; r1_j < " << n << "ll; ++r1_j) {\n";
  heap.printEntry("      ", read, "r1_j");
  os << "      if (!" << heap.better("r1_xv", heap.valueAt("0")) << ")\n"
     << "        continue;\n";
  heap.printSiftDown("      ", std::to_string(k) + "ll");
  os << "    }\n"
     << "    // The root (the worst kept) goes to the end of the shrinking heap.\n"
     << "    for (long long r1_m = " << k - 1 << "ll; r1_m > 0; --r1_m) {\n";
  heap.printEntry("      ", "r0[" + heap.slot("r1_m") + "]", "r1[" + heap.slot("r1_m") + "]");
  heap.printMove("      ", "r1_m", "0");
  heap.printSiftDown("      ", "r1_m");
  os << "    }\n"
     << "  }\n";
  return success();
}

} // namespace r1c::gpu
