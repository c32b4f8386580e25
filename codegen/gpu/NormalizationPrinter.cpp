//===- NormalizationPrinter.cpp - softmax, log_softmax and layer_norm ------===//
//
// One row per warp (rows up to 1024 elements) or per block of 256 threads,
// lanes striding over the row, 16 bytes of elements at a time (four
// floats, eight halves) with one load and store where the row divides into
// them and each lane still gets work. Rows of up to 16 elements per thread stay in
// registers between passes; longer ones are read again from memory. Each
// pass ends in a warp-shuffle (and, for a block, shared-memory) reduction,
// so every thread holds the row's maximum, sum, mean or variance. The
// arithmetic is the host's: softmax subtracts the row maximum and
// multiplies by the reciprocal of the sum; layer norm takes the mean, then
// the mean of squared deviations, and scales by 1 / sqrt(var + epsilon).
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
/// Rows longer than this get a block instead of a warp.
constexpr int64_t kWarpRowLimit = 1024;
/// Elements per thread kept in registers between passes.
constexpr int64_t kMaxCached = 16;

/// How rows map to threads, and the loops over a row. A thread steps over
/// the row by units: one element, or 16 bytes of consecutive elements (four
/// floats, eight halves) moved with one load and one store when the row
/// allows (see vectorInput).
struct RowLayout {
  KernelWriter &w;
  int64_t rows, length;
  bool perWarp;
  int64_t threadsPerRow;
  /// Elements per unit (1, or 16 bytes of them), the parameter a unit is
  /// loaded from, and the element type of the row and the result.
  int64_t lanes;
  std::string input;
  Type element;
  int64_t units, perThread;
  bool cached;

  RowLayout(KernelWriter &w, int64_t rows, int64_t length, std::string vectorInput)
      : w(w), rows(rows), length(length), perWarp(length <= kWarpRowLimit),
        threadsPerRow(perWarp ? w.target.getWarpSize() : kBlockThreads),
        lanes(unitLanes(w, length, threadsPerRow, vectorInput)),
        input(lanes > 1 ? std::move(vectorInput) : ""), element(w.resultType().getElementType()),
        units(length / lanes), perThread((units + threadsPerRow - 1) / threadsPerRow),
        cached(perThread * lanes <= kMaxCached) {}

  /// 16 bytes of the result's elements a unit, only when every thread still
  /// gets a unit; else 1.
  static int64_t unitLanes(KernelWriter &w, int64_t length, int64_t threadsPerRow,
                           StringRef vectorInput) {
    int64_t lanes = KernelWriter::lanesPer16Bytes(w.resultType().getElementType());
    if (vectorInput.empty() || length % lanes != 0 || length / lanes < threadsPerRow)
      return 1;
    return lanes;
  }
  std::string vectorType() const { return KernelWriter::vectorType(element, lanes); }

  /// Sets r1_q (the row) and r1_t (the thread's place in it); a warp past
  /// the last row returns.
  void printStart() {
    raw_ostream &os = w.os;
    if (perWarp) {
      int64_t rowsPerBlock = kBlockThreads / threadsPerRow;
      os << "  const int r1_t = threadIdx.x % R1_WARP;\n"
         << "  const r1_i r1_q = (r1_i)blockIdx.x * " << rowsPerBlock
         << " + threadIdx.x / R1_WARP;\n"
         << "  if (r1_q >= " << w.index(rows) << ")\n    return;\n";
      w.launch.grid = {KernelWriter::blocksFor(rows, rowsPerBlock), 1, 1};
    } else {
      os << "  const int r1_t = threadIdx.x;\n  const r1_i r1_q = blockIdx.x;\n";
      w.launch.grid = {std::max<int64_t>(rows, 1), 1, 1};
    }
    w.launch.block = {kBlockThreads, 1, 1};
  }

  /// A loop over this thread's elements of the row: `r1_j` in the row and,
  /// when cached, `r1_p` the unit in the register cache. With four lanes,
  /// `load` reads the unit into `r1_vx` (the row starts at r1_base) and
  /// `store` collects results in `r1_out` for one 16-byte store.
  void open(StringRef indent, bool load = false, bool store = false) {
    raw_ostream &os = w.os;
    if (cached)
      os << indent << "#pragma unroll\n"
         << indent << "for (int r1_p = 0; r1_p < " << perThread << "; ++r1_p) {\n"
         << indent << "  const r1_i r1_u = r1_t + r1_p * " << threadsPerRow << ";\n"
         << indent << "  if (r1_u >= " << w.index(units) << ")\n"
         << indent << "    break;\n";
    else
      os << indent << "for (r1_i r1_u = r1_t; r1_u < " << w.index(units)
         << "; r1_u += " << threadsPerRow << ") {\n";
    if (lanes == 1) {
      os << indent << "  const r1_i r1_j = r1_u;\n";
      return;
    }
    if (load)
      os << indent << "  const " << vectorType() << " r1_vx = reinterpret_cast<const "
         << vectorType() << " *>(" << input << " + r1_base)[r1_u];\n";
    if (store)
      os << indent << "  " << vectorType() << " r1_out;\n";
    os << indent << "  #pragma unroll\n"
       << indent << "  for (int r1_l = 0; r1_l < " << lanes << "; ++r1_l) {\n"
       << indent << "  const r1_i r1_j = " << lanes << " * r1_u + r1_l;\n";
  }
  void close(StringRef indent, bool store = false) {
    if (lanes > 1) {
      w.os << indent << "  }\n";
      if (store)
        w.os << indent << "  reinterpret_cast<" << vectorType() << " *>("
             << KernelWriter::resultName(0) << " + r1_base)[r1_u] = r1_out;\n";
    }
    w.os << indent << "}\n";
  }

  /// The row's element at r1_j as read by a pass: from the register cache,
  /// the unit just loaded, or memory (`scalar`).
  std::string cachedValue() const {
    return lanes > 1 ? "r1_x[r1_p * " + std::to_string(lanes) + " + r1_l]" : "r1_x[r1_p]";
  }
  std::string loaded(StringRef scalar) const {
    return lanes > 1 ? KernelWriter::fromStorage(element, "r1_vx.v[r1_l]") : scalar.str();
  }
  std::string value(StringRef scalar) const { return cached ? cachedValue() : loaded(scalar); }

  /// Stores element r1_j: through the fused body and one store, or into
  /// the unit's vector (which close() stores).
  LogicalResult printStore(StringRef indent, StringRef anchorValue, StringRef at) {
    if (lanes == 1)
      return w.printStore(indent, anchorValue, at);
    std::string result;
    if (failed(w.printBody(indent, anchorValue, at, result)))
      return failure();
    w.os << indent << "r1_out.v[r1_l] = " << KernelWriter::toStorage(element, result) << ";\n";
    return success();
  }

  void reduce(StringRef var, StringRef type, StringRef identity,
              const KernelWriter::Combine &combine) {
    if (perWarp)
      w.printWarpReduce("  ", var, combine);
    else
      w.printBlockReduce("  ", var, type, identity, combine, kBlockThreads);
  }
};

/// The parameter to read `operand` from with 16-byte loads, or "" when rows
/// of it cannot be: it must be a whole f32, f16 or bf16 kernel input, and
/// the kernel's result must have its shape and element type, so that units
/// line up in both.
std::string vectorInput(KernelWriter &w, Value operand) {
  auto arg = dyn_cast<BlockArgument>(operand);
  auto type = cast<RankedTensorType>(operand.getType());
  RankedTensorType result = w.resultType();
  Type element = type.getElementType();
  if (!arg || !(element.isF32() || element.isF16() || element.isBF16()) ||
      result.getElementType() != element || result.getShape() != type.getShape())
    return "";
  return KernelWriter::inputName(arg.getArgNumber());
}

KernelWriter::Combine sum() {
  return [](StringRef a, StringRef b) { return ("(" + a + " + " + b + ")").str(); };
}

} // namespace

LogicalResult printSoftmaxKernel(KernelWriter &w) {
  Operation *op = w.anchor;
  auto type = cast<RankedTensorType>(op->getOperand(0).getType());
  Type element = type.getElementType();
  std::string compute = KernelWriter::computeType(element);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(),
                                std::max<int64_t>(shape.size(), 1));
  bool logarithm = isa<LogSoftmaxOp>(op);
  int64_t length = shape.empty() ? 1 : shape[axis];
  int64_t inner = shape.empty() ? 1 : productOfDims(shape.drop_front(axis + 1));
  int64_t rows = productOfDims(shape) / std::max<int64_t>(length, 1);
  RowLayout row(w, rows, length, inner == 1 ? vectorInput(w, op->getOperand(0)) : "");
  raw_ostream &os = w.os;
  row.printStart();
  // Element j of row q: rows are (outer, inner) pairs, elements `inner` apart.
  if (inner == 1)
    os << "  const r1_i r1_base = r1_q * " << w.index(length) << ";\n";
  else
    os << "  const r1_i r1_base = (r1_q / " << w.index(inner) << ") * " << w.index(length * inner)
       << " + r1_q % " << w.index(inner) << ";\n";
  std::string at = inner == 1 ? "r1_base + r1_j" : "r1_base + r1_j * " + w.index(inner);
  std::string x = row.loaded(w.element(op->getOperand(0), at));
  std::string value = row.value(x);
  std::string negInf =
      KernelWriter::lowest(element.isF64() ? element : Float32Type::get(element.getContext()));
  auto max = [](StringRef a, StringRef b) { return ("r1_max(" + a + ", " + b + ")").str(); };

  // Pass 1: the row maximum; subtracting it keeps exp from overflowing.
  if (row.cached)
    os << "  " << compute << " r1_x[" << row.perThread * row.lanes << "];\n";
  os << "  " << compute << " r1_rmax = " << negInf << ";\n";
  row.open("  ", /*load=*/true);
  if (row.cached)
    os << "    " << row.cachedValue() << " = " << x << ";\n";
  os << "    r1_rmax = r1_max(r1_rmax, " << value << ");\n";
  row.close("  ");
  row.reduce("r1_rmax", compute, negInf, max);

  // Pass 2: the sum of exponentials, kept in the cache for softmax.
  std::string exp = KernelWriter::math(element, "exp");
  bool keepExp = row.cached && !logarithm;
  os << "  " << compute << " r1_rsum = " << KernelWriter::literal(element, 0) << ";\n";
  row.open("  ", /*load=*/!row.cached);
  if (keepExp)
    os << "    " << value << " = " << exp << "(" << value << " - r1_rmax);\n"
       << "    r1_rsum += " << value << ";\n";
  else
    os << "    r1_rsum += " << exp << "(" << value << " - r1_rmax);\n";
  row.close("  ");
  row.reduce("r1_rsum", compute, KernelWriter::literal(element, 0), sum());

  // Pass 3: normalize, run the fused body, store.
  if (logarithm)
    os << "  const " << compute << " r1_logsum = " << KernelWriter::math(element, "log")
       << "(r1_rsum);\n";
  else
    os << "  const " << compute << " r1_inv = " << KernelWriter::literal(element, 1)
       << " / r1_rsum;\n";
  row.open("  ", /*load=*/!row.cached, /*store=*/true);
  std::string y = logarithm ? "((" + value + " - r1_rmax) - r1_logsum)"
                  : keepExp ? "(" + value + " * r1_inv)"
                            : "(" + exp + "(" + value + " - r1_rmax) * r1_inv)";
  if (failed(row.printStore("    ", KernelWriter::roundTo(element, y), at)))
    return failure();
  row.close("  ", /*store=*/true);
  return success();
}

LogicalResult printLayerNormKernel(KernelWriter &w) {
  auto op = cast<LayerNormOp>(w.anchor);
  auto type = cast<RankedTensorType>(op.getInput().getType());
  Type element = type.getElementType();
  std::string compute = KernelWriter::computeType(element);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op.getAxis(), shape.size());
  ArrayRef<int64_t> rowShape = shape.drop_front(axis);
  int64_t rows = productOfDims(shape.take_front(axis)), width = productOfDims(rowShape);
  RowLayout row(w, rows, width, vectorInput(w, op.getInput()));
  raw_ostream &os = w.os;
  row.printStart();
  os << "  const r1_i r1_base = r1_q * " << w.index(width) << ";\n";
  std::string x = row.loaded(w.element(op.getInput(), "r1_base + r1_j"));
  std::string value = row.value(x);
  std::string zero = KernelWriter::literal(element, 0);
  std::string widthLiteral = KernelWriter::literal(element, double(width));

  // Pass 1: the mean.
  if (row.cached)
    os << "  " << compute << " r1_x[" << row.perThread * row.lanes << "];\n";
  os << "  " << compute << " r1_rsum = " << zero << ";\n";
  row.open("  ", /*load=*/true);
  if (row.cached)
    os << "    " << row.cachedValue() << " = " << x << ";\n";
  os << "    r1_rsum += " << value << ";\n";
  row.close("  ");
  row.reduce("r1_rsum", compute, zero, sum());
  os << "  const " << compute << " r1_mean = r1_rsum / " << widthLiteral << ";\n";

  // Pass 2: the variance, from deviations (not E[x^2] - mean^2).
  os << "  " << compute << " r1_rvar = " << zero << ";\n";
  row.open("  ", /*load=*/!row.cached);
  os << "    const " << compute << " r1_d = " << value << " - r1_mean;\n"
     << "    r1_rvar += r1_d * r1_d;\n";
  row.close("  ");
  row.reduce("r1_rvar", compute, zero, sum());
  os << "  const " << compute << " r1_inv = " << KernelWriter::literal(element, 1) << " / "
     << KernelWriter::math(element, "sqrt") << "(r1_rvar / " << widthLiteral << " + "
     << KernelWriter::literal(element, op.getEpsilon().convertToDouble()) << ");\n";

  // Pass 3: normalize, scale, shift, run the fused body, store. Scale and
  // bias broadcast over the row; leading dims of 1 beyond it do not count.
  auto rowOffset = [&](Value operand) -> std::optional<std::string> {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(operand.getType()).getShape();
    while (shape.size() > rowShape.size() && shape.front() == 1)
      shape = shape.drop_front();
    if (shape.size() > rowShape.size())
      return std::nullopt;
    return KernelWriter::broadcastOffset(rowShape, shape, "r1_j");
  };
  std::optional<std::string> scaleAt = rowOffset(op.getScale());
  std::optional<std::string> biasAt = op.getBias() ? rowOffset(op.getBias()) : std::string("0");
  if (!scaleAt || !biasAt)
    return op.emitOpError("has a scale or bias of higher rank than the normalized dims");
  row.open("  ", /*load=*/!row.cached, /*store=*/true);
  std::string y = "((" + value + " - r1_mean) * r1_inv) * " + w.element(op.getScale(), *scaleAt);
  if (Value bias = op.getBias())
    y = "(" + y + " + " + w.element(bias, *biasAt) + ")";
  if (failed(row.printStore("    ", KernelWriter::roundTo(element, y), "r1_base + r1_j")))
    return failure();
  row.close("  ", /*store=*/true);
  return success();
}

} // namespace r1c::gpu
