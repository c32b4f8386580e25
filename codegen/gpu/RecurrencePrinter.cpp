//===- RecurrencePrinter.cpp - recurrence as one block per entry ----------===//
//
// The host's time loop (codegen/host/RecurrenceAnchors.cpp) with a block
// per entry (direction, batch entry): the entry's state lives in its
// record of the kernel's scratch (r1k::RecurrenceLayout), the block walks
// the steps in order, and its threads share each step: a warp per sum of
// the product h x R^T (a dot product of h with a row of R, the lanes along
// the row), then a thread per hidden unit for the gates, with a barrier
// between the phases. Whether a step runs
// depends only on the entry, so every thread of a block reaches every
// barrier.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/RecurrenceLayout.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kMaxThreads = 256;

class RecurrencePrinter {
public:
  RecurrencePrinter(KernelWriter &w, RecurrenceOp op)
      : w(w), os(w.os), op(op), layout(r1k::getRecurrenceLayout(op)),
        element(getElementTypeOrSelf(op.getInputs().getType())),
        seq(cast<RankedTensorType>(op.getInputs().getType()).getDimSize(0)), hidden(layout.hidden),
        width(layout.gates * layout.hidden), type(layout.elementBytes == 8 ? "double" : "float") {}

  LogicalResult print() {
    // Whole wavefronts of 64 on AMD, whole warps on NVIDIA alike.
    int64_t threads = std::min<int64_t>(kMaxThreads, llvm::alignTo(width, 64));
    w.launch.grid = {layout.entries(), 1, 1};
    w.launch.block = {threads, 1, 1};
    w.launch.scratch = true;
    os << "  const r1_i r1_b = (r1_i)blockIdx.x % " << w.index(layout.batch) << ";\n"
       << "  " << type << " *r1_rec = (" << type << " *)r1_scratch + (r1_i)blockIdx.x * "
       << w.index(layout.recordElements()) << ";\n"
       << "  " << type << " *r1_h = r1_rec + " << layout.hAt() << ", *r1_c = r1_rec + "
       << layout.cAt() << ";\n"
       << "  " << type << " *r1_g = r1_rec + " << layout.gatesAt() << ", *r1_rh = r1_rec + "
       << layout.resetHAt() << ";\n";
    if (op.getNumDirections() == 1)
      return printEntry(0, "  ");
    os << "  if ((r1_i)blockIdx.x < " << w.index(layout.batch) << ") {\n";
    if (failed(printEntry(0, "    ")))
      return failure();
    os << "  } else {\n";
    if (failed(printEntry(1, "    ")))
      return failure();
    os << "  }\n";
    return success();
  }

private:
  KernelWriter &w;
  raw_ostream &os;
  RecurrenceOp op;
  r1k::RecurrenceLayout layout;
  Type element;
  int64_t seq, hidden, width;
  std::string type;
  /// Set when an operand could not be read; its error is already out.
  bool failedRead = false;

  std::string literal(double value) { return w.literal(element, value); }
  std::string read(Value value, const std::string &index) {
    std::string expression = w.element(value, index);
    failedRead |= expression.empty();
    return "(" + type + ")(" + expression + ")";
  }
  /// A loop of the block's threads over [0, count).
  std::string threadLoop(StringRef var, int64_t count) {
    return ("for (r1_i " + var + " = threadIdx.x; " + var + " < " + w.index(count) + "; " + var +
            " += blockDim.x)")
        .str();
  }

  /// Activation `index` of direction d of `x`, clipped first unless `clip`
  /// is false (LSTM's h(c)).
  std::string activate(int64_t d, int64_t index, const std::string &x, bool clip = true) {
    int64_t at = d * op.getActivationsPerDirection() + index;
    std::string v = x;
    if (clip && op.getClipAttr()) {
      std::string bound = literal(op.getClipAttr().getValueAsDouble());
      // NaN stays NaN, as the host's clip keeps it.
      v = "r1_clip(" + x + ", " + bound + ")";
    }
    std::string alpha = literal(op.getActivationAlpha()[at]);
    std::string beta = literal(op.getActivationBeta()[at]);
    std::string exp = w.math(element, "exp"), tanh = w.math(element, "tanh");
    switch (cast<RecurrentActivationAttr>(op.getActivations()[at]).getValue()) {
    case RecurrentActivation::relu:
      return "r1_relu(" + v + ")";
    case RecurrentActivation::tanh:
      return tanh + "(" + v + ")";
    case RecurrentActivation::sigmoid:
      return "r1_sigmoid(" + v + ")";
    case RecurrentActivation::affine:
      return "(" + alpha + " * " + v + " + " + beta + ")";
    case RecurrentActivation::leaky_relu:
      return "r1_leaky(" + v + ", " + alpha + ")";
    case RecurrentActivation::thresholded_relu:
      return "r1_thresholded(" + v + ", " + alpha + ")";
    case RecurrentActivation::scaled_tanh:
      return "(" + alpha + " * " + tanh + "(" + beta + " * " + v + "))";
    case RecurrentActivation::hard_sigmoid:
      return "r1_hard_sigmoid(" + v + ", " + alpha + ", " + beta + ")";
    case RecurrentActivation::elu:
      return "r1_elu(" + v + ", " + alpha + ")";
    case RecurrentActivation::softsign:
      return "r1_softsign(" + v + ")";
    case RecurrentActivation::softplus:
      return w.math(element, "log") + "(" + literal(1) + " + " + exp + "(" + v + "))";
    }
    llvm_unreachable("every activation handled");
  }

  /// The lambdas the activations call, once per entry's code.
  void printHelpers(StringRef indent) {
    std::string t = type, exp = w.math(element, "exp"), fabs = w.math(element, "fabs");
    std::string zero = literal(0), one = literal(1);
    os << indent << "auto r1_clip = [](" << t << " x, " << t << " c) -> " << t
       << " { return x < -c ? -c : (x > c ? c : x); };\n"
       << indent << "auto r1_relu = [](" << t << " x) -> " << t << " { return x < " << zero << " ? "
       << zero << " : x; };\n"
       << indent << "auto r1_sigmoid = [](" << t << " x) -> " << t << " { return " << one << " / ("
       << one << " + " << exp << "(-x)); };\n"
       << indent << "auto r1_leaky = [](" << t << " x, " << t << " a) -> " << t << " { return x < "
       << zero << " ? x * a : x; };\n"
       << indent << "auto r1_thresholded = [](" << t << " x, " << t << " a) -> " << t
       << " { return x > a ? x : " << zero << "; };\n"
       << indent << "auto r1_hard_sigmoid = [](" << t << " x, " << t << " a, " << t << " b) -> "
       << t << " { " << t << " y = a * x + b; y = y < " << one << " ? y : " << one
       << "; return y > " << zero << " ? y : " << zero << "; };\n"
       << indent << "auto r1_elu = [](" << t << " x, " << t << " a) -> " << t << " { return x < "
       << zero << " ? a * (" << exp << "(x) - " << one << ") : x; };\n"
       << indent << "auto r1_softsign = [](" << t << " x) -> " << t << " { return x / (" << one
       << " + " << fabs << "(x)); };\n";
    os << indent << "(void)r1_clip; (void)r1_relu; (void)r1_sigmoid; (void)r1_leaky;\n"
       << indent
       << "(void)r1_thresholded; (void)r1_hard_sigmoid; (void)r1_elu; (void)r1_softsign;\n";
  }

  /// g[first + j] = sum over k of source[k] * R[d][first + j][k], for
  /// j < rows: a warp per sum, its lanes along the row, so a warp reads
  /// neighbouring weights.
  void printProduct(int64_t d, StringRef indent, StringRef source, int64_t first, int64_t rows) {
    std::string weight = read(op.getRecurrence(), "(" + w.index(d * width + first) + " + r1_j) * " +
                                                      w.index(hidden) + " + r1_k");
    std::string in = (indent + "  ").str();
    os << indent << "for (r1_i r1_j = threadIdx.x / R1_WARP; r1_j < " << w.index(rows)
       << "; r1_j += blockDim.x / R1_WARP) {\n"
       << in << type << " r1_sum = " << literal(0) << ";\n"
       << in << "for (r1_i r1_k = threadIdx.x % R1_WARP; r1_k < " << w.index(hidden)
       << "; r1_k += R1_WARP)\n"
       << in << "  r1_sum += " << source << "[r1_k] * " << weight << ";\n";
    w.printWarpReduce(in, "r1_sum", [](StringRef a, StringRef b) { return (a + " + " + b).str(); });
    os << in << "if (threadIdx.x % R1_WARP == 0)\n"
       << in << "  r1_g[" << first << " + r1_j] = r1_sum;\n"
       << indent << "}\n"
       << indent << "__syncthreads();\n";
  }

  /// Gate `gate`'s input projection at hidden unit r1_j, time r1_t.
  std::string projected(int64_t d, int64_t gate) {
    return read(op.getInputs(), "(r1_t * " + w.index(layout.batch) + " + r1_b) * " +
                                    w.index(op.getNumDirections() * width) + " + " +
                                    w.index(d * width + gate * hidden) + " + r1_j");
  }
  std::string preActivation(int64_t d, int64_t gate) {
    return "(" + projected(d, gate) + " + r1_g[" + std::to_string(gate * hidden) + " + r1_j])";
  }
  std::string yRow(int64_t d, StringRef time) {
    return ("(" + time + " * " + w.index(op.getNumDirections() * layout.batch) + " + " +
            w.index(d * layout.batch) + " + r1_b) * " + w.index(hidden))
        .str();
  }

  void printStep(int64_t d, StringRef indent) {
    RecurrentCell cell = op.getCell();
    bool resetFirst = cell == RecurrentCell::gru && !op.getLinearBeforeReset();
    printProduct(d, indent, "r1_h", 0, resetFirst ? 2 * hidden : width);
    if (resetFirst) {
      // GRU applies its reset gate to h before the product with Rh.
      os << indent << threadLoop("r1_j", hidden) << "\n"
         << indent << "  r1_rh[r1_j] = " << activate(d, 0, preActivation(d, 1))
         << " * r1_h[r1_j];\n"
         << indent << "__syncthreads();\n";
      printProduct(d, indent, "r1_rh", 2 * hidden, hidden);
    }
    std::string y = KernelWriter::resultName(0) + "[" + yRow(d, "r1_t") + " + r1_j]";
    os << indent << threadLoop("r1_j", hidden) << " {\n";
    std::string in = (indent + "  ").str();
    switch (cell) {
    case RecurrentCell::rnn:
      os << in << "const " << type << " r1_next = " << activate(d, 0, preActivation(d, 0)) << ";\n";
      break;
    case RecurrentCell::gru: {
      os << in << "const " << type << " r1_z = " << activate(d, 0, preActivation(d, 0)) << ";\n";
      if (resetFirst) {
        os << in << "const " << type << " r1_cand = " << activate(d, 1, preActivation(d, 2))
           << ";\n";
      } else {
        std::string linear = "r1_g[" + std::to_string(2 * hidden) + " + r1_j]";
        if (op.getResetBias())
          linear = "(" + linear + " + " +
                   read(op.getResetBias(), std::to_string(d * hidden) + " + r1_j") + ")";
        os << in << "const " << type << " r1_reset = " << activate(d, 0, preActivation(d, 1))
           << ";\n"
           << in << "const " << type << " r1_cand = "
           << activate(d, 1, "(" + projected(d, 2) + " + r1_reset * " + linear + ")") << ";\n";
      }
      os << in << "const " << type << " r1_next = (" << literal(1)
         << " - r1_z) * r1_cand + r1_z * r1_h[r1_j];\n";
      break;
    }
    case RecurrentCell::lstm: {
      // Gates i, o, f, c; peepholes i, o, f.
      auto peephole = [&](int64_t offset) {
        return read(op.getPeepholes(), std::to_string(d * 3 * hidden + offset) + " + r1_j");
      };
      bool peepholes = bool(op.getPeepholes());
      os << in << type << " r1_pi = " << preActivation(d, 0) << ";\n"
         << in << type << " r1_po = " << preActivation(d, 1) << ";\n"
         << in << type << " r1_pf = " << preActivation(d, 2) << ";\n";
      if (peepholes)
        os << in << "r1_pi += " << peephole(0) << " * r1_c[r1_j];\n"
           << in << "r1_pf += " << peephole(2 * hidden) << " * r1_c[r1_j];\n";
      os << in << "const " << type << " r1_i = " << activate(d, 0, "r1_pi") << ";\n"
         << in << "const " << type
         << " r1_f = " << (op.getInputForget() ? literal(1) + " - r1_i" : activate(d, 0, "r1_pf"))
         << ";\n"
         << in << "const " << type << " r1_cell = r1_f * r1_c[r1_j] + r1_i * "
         << activate(d, 1, preActivation(d, 3)) << ";\n"
         << in << "r1_c[r1_j] = r1_cell;\n";
      if (peepholes)
        os << in << "r1_po += " << peephole(hidden) << " * r1_cell;\n";
      os << in << "const " << type << " r1_next = " << activate(d, 0, "r1_po") << " * "
         << activate(d, 2, "r1_cell", /*clip=*/false) << ";\n";
      break;
    }
    }
    os << in << "r1_h[r1_j] = r1_next;\n"
       << in << y << " = " << KernelWriter::toStorage(element, "r1_next") << ";\n"
       << indent << "}\n"
       << indent << "__syncthreads();\n";
  }

  LogicalResult printEntry(int64_t d, StringRef indent) {
    bool lstm = op.getCell() == RecurrentCell::lstm;
    std::string in = (indent + "  ").str();
    printHelpers(indent);
    std::string state = "(r1_i)blockIdx.x * " + w.index(hidden) + " + r1_j";
    os << indent << threadLoop("r1_j", hidden) << " {\n"
       << in << "r1_h[r1_j] = " << (op.getInitialH() ? read(op.getInitialH(), state) : literal(0))
       << ";\n";
    if (lstm)
      os << in << "r1_c[r1_j] = " << (op.getInitialC() ? read(op.getInitialC(), state) : literal(0))
         << ";\n";
    os << indent << "}\n" << indent << "long long r1_len = " << seq << "ll;\n";
    if (Value lengths = op.getSequenceLens()) {
      std::string given = w.element(lengths, "r1_b");
      if (given.empty())
        return failure();
      // Clamped to the sequence, so no step reads outside it.
      os << indent << "const long long r1_given = (long long)(" << given << ");\n"
         << indent << "r1_len = r1_given < 0 ? 0 : (r1_given > r1_len ? r1_len : r1_given);\n";
    }
    os << indent << "__syncthreads();\n"
       << indent << "for (long long r1_s = 0; r1_s < " << seq << "ll; ++r1_s) {\n"
       << in << "if (r1_s < r1_len) {\n";
    bool reverse = op.getDirection() == RecurrentDirection::reverse || d == 1;
    // Reverse walks an entry from its own last step.
    os << in << "  const r1_i r1_t = (r1_i)(" << (reverse ? "r1_len - 1 - r1_s" : "r1_s") << ");\n";
    printStep(d, in + "  ");
    // Past its length an entry keeps its state; the times it never visits
    // are those from its length on, and their rows of Y are zeros.
    os << in << "} else {\n"
       << in << "  " << threadLoop("r1_j", hidden) << "\n"
       << in << "    " << KernelWriter::resultName(0) << "[" << yRow(d, "(r1_i)r1_s")
       << " + r1_j] = " << KernelWriter::toStorage(element, literal(0)) << ";\n"
       << in << "}\n"
       << indent << "}\n"
       << indent << threadLoop("r1_j", hidden) << " {\n"
       << in << KernelWriter::resultName(1) << "[(r1_i)blockIdx.x * " << w.index(hidden)
       << " + r1_j] = " << KernelWriter::toStorage(element, "r1_h[r1_j]") << ";\n";
    if (lstm)
      os << in << KernelWriter::resultName(2) << "[(r1_i)blockIdx.x * " << w.index(hidden)
         << " + r1_j] = " << KernelWriter::toStorage(element, "r1_c[r1_j]") << ";\n";
    os << indent << "}\n";
    return failure(failedRead);
  }
};

} // namespace

LogicalResult printRecurrenceKernel(KernelWriter &w) {
  return RecurrencePrinter(w, cast<RecurrenceOp>(w.anchor)).print();
}

} // namespace r1c::gpu
