//===- ReductionPrinter.cpp - reduce_* and arg_max / arg_min ---------------===//
//
// A reduction whose innermost input dim is reduced reads rows: a warp per
// output element (a block of 256 threads for rows longer than 2048), lanes
// striding over the row, then a warp-shuffle (and, for a block, shared
// memory) tree; f32 rows of a multiple of four go four elements to a 16-byte
// load. Otherwise consecutive outputs read consecutive inputs, so
// one thread per output loops over its reduced elements, coalesced across
// the warp. Dims are grouped into runs of kept and reduced dims, so offsets
// cost one divide per run. Semantics follow the host: sum, mean, product,
// and max and min that keep NaN, accumulated in the compute type (int for
// narrow integers, which wrap back on the store).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kBlockThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;
/// Rows longer than this get a block instead of a warp.
constexpr int64_t kWarpRowLimit = 2048;

enum class Combine { Sum, Mean, Max, Min, Prod };

/// A run of adjacent input dims that are all kept or all reduced.
struct DimRun {
  int64_t size, stride;
};

/// Offset contributed by `runs` (outermost first) for the linear index
/// `linear` over their sizes.
std::string runOffset(const KernelWriter &w, ArrayRef<DimRun> runs, StringRef linear) {
  std::string text;
  int64_t inner = 1;
  for (size_t i = runs.size(); i-- > 0;) {
    std::string term = ("(" + linear + ")").str();
    if (inner != 1)
      term = "(" + term + " / " + w.index(inner) + ")";
    if (i != 0)
      term = "(" + term + " % " + w.index(runs[i].size) + ")";
    if (runs[i].stride != 1)
      term = "(" + term + " * " + w.index(runs[i].stride) + ")";
    text = text.empty() ? term : term + " + " + text;
    inner *= runs[i].size;
  }
  return text.empty() ? "0" : text;
}

} // namespace

LogicalResult printReduceKernel(KernelWriter &w) {
  Operation *op = w.anchor;
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  Combine combine = isa<ReduceSumOp>(op)    ? Combine::Sum
                    : isa<ReduceMeanOp>(op) ? Combine::Mean
                    : isa<ReduceMaxOp>(op)  ? Combine::Max
                    : isa<ReduceMinOp>(op)  ? Combine::Min
                                            : Combine::Prod;
  if (op->getNumOperands() > 1)
    return op->emitOpError("takes its axes at run time; GPU code needs them static");
  if (combine == Combine::Mean && !isa<FloatType>(element))
    return op->emitOpError("of integers has no GPU code yet");
  if (element.isInteger(1))
    return op->emitOpError("of booleans has no GPU code yet");

  ArrayRef<int64_t> shape = type.getShape();
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  SmallVector<bool> isReduced(shape.size(), axes.empty());
  for (int64_t axis : axes)
    isReduced[*normalizeAxis(axis, shape.size())] = true;
  // Runs of kept and reduced dims; dims of 1 join any run.
  SmallVector<DimRun> kept, reduced;
  int64_t stride = 1;
  std::optional<bool> lastStatus, innermostReduced;
  SmallVector<std::pair<bool, DimRun>> runs; // innermost first
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 1)
      continue;
    if (!innermostReduced)
      innermostReduced = isReduced[d];
    if (lastStatus == isReduced[d])
      runs.back().second.size *= shape[d];
    else
      runs.push_back({isReduced[d], {shape[d], stride}});
    lastStatus = isReduced[d];
    stride *= shape[d];
  }
  for (auto it = runs.rbegin(); it != runs.rend(); ++it)
    (it->first ? reduced : kept).push_back(it->second);
  int64_t outputs = 1, count = 1;
  for (const DimRun &run : kept)
    outputs *= run.size;
  for (const DimRun &run : reduced)
    count *= run.size;

  std::string acc = KernelWriter::accumulatorType(element);
  std::string init = combine == Combine::Prod  ? KernelWriter::literal(element, 1)
                     : combine == Combine::Max ? KernelWriter::lowest(element)
                     : combine == Combine::Min ? KernelWriter::highest(element)
                                               : KernelWriter::literal(element, 0);
  auto merge = [&](StringRef a, StringRef b) -> std::string {
    switch (combine) {
    case Combine::Sum:
    case Combine::Mean:
      return ("(" + a + " + " + b + ")").str();
    case Combine::Prod:
      return ("(" + a + " * " + b + ")").str();
    case Combine::Max:
      return ("r1_max(" + a + ", " + b + ")").str();
    case Combine::Min:
      return ("r1_min(" + a + ", " + b + ")").str();
    }
    return "";
  };
  auto finish = [&](StringRef value) {
    std::string result = ("(" + KernelWriter::computeType(element) + ")(" + value + ")").str();
    if (combine == Combine::Mean)
      result = "(" + result + " / " + KernelWriter::literal(element, double(count)) + ")";
    return KernelWriter::roundTo(element, result);
  };
  auto read = [&](StringRef outIndex, StringRef r) {
    std::string offset = runOffset(w, kept, outIndex) + " + " + runOffset(w, reduced, r);
    return "(" + acc + ")(" + w.element(op->getOperand(0), offset) + ")";
  };
  raw_ostream &os = w.os;
  // Rows read 16 bytes of elements (four floats, eight halves) with one
  // load when the reduced dims are one contiguous run of a multiple of that
  // (so every row starts 16-byte aligned) and each of the `threads` gets at
  // least one vector.
  auto input = dyn_cast<BlockArgument>(op->getOperand(0));
  bool vectorElement = element.isF32() || element.isF16() || element.isBF16();
  int64_t lanes = vectorElement ? KernelWriter::lanesPer16Bytes(element) : 1;
  auto vectorized = [&](int64_t threads) {
    return input && vectorElement && reduced.size() == 1 && reduced[0].stride == 1 &&
           count % lanes == 0 && count / lanes >= threads;
  };
  // Accumulates this thread's part of row r1_o into r1_acc: elements (or
  // vectors) first, first + step, ...
  auto printAccumulate = [&](StringRef first, StringRef step, int64_t threads) {
    if (!vectorized(threads)) {
      os << "  for (r1_i r1_r = " << first << "; r1_r < " << w.index(count) << "; r1_r += " << step
         << ")\n"
         << "    r1_acc = " << merge("r1_acc", read("r1_o", "r1_r")) << ";\n";
      return;
    }
    std::string vector = KernelWriter::vectorType(element, lanes);
    os << "  const r1_i r1_base = " << runOffset(w, kept, "r1_o") << ";\n"
       << "  for (r1_i r1_u = " << first << "; r1_u < " << w.index(count / lanes)
       << "; r1_u += " << step << ") {\n"
       << "    const " << vector << " r1_vx = reinterpret_cast<const " << vector << " *>("
       << KernelWriter::inputName(input.getArgNumber()) << " + r1_base)[r1_u];\n";
    for (int64_t lane = 0; lane < lanes; ++lane) {
      std::string value =
          KernelWriter::fromStorage(element, "r1_vx.v[" + std::to_string(lane) + "]");
      os << "    r1_acc = " << merge("r1_acc", "(" + acc + ")(" + value + ")") << ";\n";
    }
    os << "  }\n";
  };

  if (!innermostReduced.value_or(false) || count == 1) {
    // One thread per output.
    os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kBlockThreads << " + threadIdx.x; r1_o < "
       << w.index(outputs) << "; r1_o += (r1_i)gridDim.x * " << kBlockThreads << ") {\n"
       << "    " << acc << " r1_acc = " << init << ";\n"
       << "    for (r1_i r1_r = 0; r1_r < " << w.index(count) << "; ++r1_r)\n"
       << "      r1_acc = " << merge("r1_acc", read("r1_o", "r1_r")) << ";\n";
    if (failed(w.printStore("    ", finish("r1_acc"), "r1_o")))
      return failure();
    os << "  }\n";
    w.launch.grid = {std::min(KernelWriter::blocksFor(outputs, kBlockThreads), kMaxBlocks), 1, 1};
    w.launch.block = {kBlockThreads, 1, 1};
    return success();
  }

  if (count <= kWarpRowLimit) {
    // A warp per output.
    int64_t rowsPerBlock = kBlockThreads / w.target.getWarpSize();
    os << "  const int r1_lane = threadIdx.x % R1_WARP;\n"
       << "  const r1_i r1_o = (r1_i)blockIdx.x * " << rowsPerBlock << " + threadIdx.x / R1_WARP;\n"
       << "  if (r1_o >= " << w.index(outputs) << ")\n    return;\n"
       << "  " << acc << " r1_acc = " << init << ";\n";
    printAccumulate("r1_lane", "R1_WARP", w.target.getWarpSize());
    w.printWarpReduce("  ", "r1_acc", merge);
    os << "  if (r1_lane == 0) {\n";
    if (failed(w.printStore("    ", finish("r1_acc"), "r1_o")))
      return failure();
    os << "  }\n";
    w.launch.grid = {KernelWriter::blocksFor(outputs, rowsPerBlock), 1, 1};
    w.launch.block = {kBlockThreads, 1, 1};
    return success();
  }

  // A block per output.
  os << "  const r1_i r1_o = blockIdx.x;\n"
     << "  " << acc << " r1_acc = " << init << ";\n";
  printAccumulate("threadIdx.x", std::to_string(kBlockThreads), kBlockThreads);
  w.printBlockReduce("  ", "r1_acc", acc, init, merge, kBlockThreads);
  os << "  if (threadIdx.x == 0) {\n";
  if (failed(w.printStore("    ", finish("r1_acc"), "r1_o")))
    return failure();
  os << "  }\n";
  w.launch.grid = {outputs, 1, 1};
  w.launch.block = {kBlockThreads, 1, 1};
  return success();
}

LogicalResult printArgReduceKernel(KernelWriter &w) {
  Operation *op = w.anchor;
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(), shape.size());
  bool max = isa<ArgMaxOp>(op);
  bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
  int64_t length = shape[axis], inner = productOfDims(shape.drop_front(axis + 1));
  int64_t outputs = productOfDims(shape) / std::max<int64_t>(length, 1);
  std::string compute = KernelWriter::computeType(element);
  // Ties keep the first index, or move to the last with select_last_index;
  // comparisons are ordered, so a NaN never wins.
  std::string better = max ? (last ? ">=" : ">") : (last ? "<=" : "<");
  raw_ostream &os = w.os;
  os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kBlockThreads << " + threadIdx.x; r1_o < "
     << w.index(outputs) << "; r1_o += (r1_i)gridDim.x * " << kBlockThreads << ") {\n"
     << "    const r1_i r1_base = (r1_o / " << w.index(inner) << ") * " << w.index(length * inner)
     << " + r1_o % " << w.index(inner) << ";\n"
     << "    " << compute << " r1_best = " << w.element(op->getOperand(0), "r1_base") << ";\n"
     << "    long long r1_at = 0;\n"
     << "    for (r1_i r1_j = 1; r1_j < " << w.index(length) << "; ++r1_j) {\n"
     << "      const " << compute
     << " r1_x = " << w.element(op->getOperand(0), ("r1_base + r1_j * " + w.index(inner))) << ";\n"
     << "      if (r1_x " << better << " r1_best) {\n"
     << "        r1_best = r1_x;\n        r1_at = r1_j;\n      }\n"
     << "    }\n";
  if (failed(w.printStore("    ", "r1_at", "r1_o")))
    return failure();
  os << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(outputs, kBlockThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kBlockThreads, 1, 1};
  return success();
}

} // namespace r1c::gpu
