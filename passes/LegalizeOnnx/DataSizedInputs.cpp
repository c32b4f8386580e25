//===- DataSizedInputs.cpp - Nodes that read results sized by the data ----===//
//
// A value whose size depends on the data (NonZero's result, say) is an
// r1.keep_leading of a padded value: the result computed to its bound. A
// node that reads one runs on the padded value instead, and its outputs are
// cut to the same count, when the node treats the entries along the
// data-sized axis independently: elementwise ops whose other operands
// broadcast along it, transposes, squeezes and unsqueezes, gathers by
// data-sized indices, slices, splits, concatenations, reductions and
// softmax along other axes, and matmul rows. The padding is the bound's
// extra entries: zero coordinates, -1 rows of NonMaxSuppression, which
// index validly; whatever
// the node computes from them is cut away. So `x[mask]` as torch exports
// it (NonZero, Transpose, GatherND) and the gathers after
// NonMaxSuppression run with sizes the data give.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Ops of one input (and scalar parameters) whose output has its shape.
const llvm::StringSet<> kSameShapeOps = {"Identity",    "Cast",       "Abs",
                                         "Neg",         "Not",        "Relu",
                                         "Sigmoid",     "Tanh",       "Exp",
                                         "Log",         "Sqrt",       "Floor",
                                         "Ceil",        "Round",      "Sign",
                                         "Reciprocal",  "Erf",        "Sin",
                                         "Cos",         "IsNaN",      "IsInf",
                                         "LeakyRelu",   "Elu",        "Selu",
                                         "Celu",        "Softplus",   "Softsign",
                                         "HardSigmoid", "HardSwish",  "Gelu",
                                         "Mish",        "BitwiseNot", "ThresholdedRelu",
                                         "Shrink",      "Clip"};

/// Elementwise ops that broadcast their operands, numpy style.
const llvm::StringSet<> kBroadcastOps = {
    "Add",        "Sub",         "Mul",        "Div",
    "Pow",        "Mod",         "Max",        "Min",
    "And",        "Or",          "Xor",        "Equal",
    "Less",       "LessOrEqual", "Greater",    "GreaterOrEqual",
    "BitwiseAnd", "BitwiseOr",   "BitwiseXor", "BitShift",
    "Where",      "PRelu",       "Sum",        "Mean"};

const llvm::StringSet<> kReduceOps = {
    "ReduceSum", "ReduceMean",   "ReduceMax",       "ReduceMin",       "ReduceProd", "ReduceL1",
    "ReduceL2",  "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax",     "ArgMin"};

/// An axis of a node's outputs, per output; std::nullopt where an output
/// does not depend on the data-sized axis.
using OutputAxes = SmallVector<std::optional<int64_t>>;

/// Maps the data-sized axis of each input (`sized[i]`, std::nullopt for
/// inputs that are not data-sized) to the node's outputs; failure when the
/// node mixes the padding into entries it keeps.
class AxisMapper {
public:
  AxisMapper(OnnxNode &node, OnnxNodeOp op, ArrayRef<std::optional<int64_t>> sized)
      : node(node), op(op), sized(sized) {}

  FailureOr<OutputAxes> map() {
    StringRef type = node.getOpType();
    if (kSameShapeOps.contains(type)) {
      if (!onlyInput(0))
        return failure();
      return all(*sized[0]);
    }
    if (kBroadcastOps.contains(type))
      return broadcast();
    if (type == "Transpose")
      return transpose();
    if (type == "Unsqueeze")
      return unsqueeze();
    if (type == "Squeeze")
      return squeeze();
    if (type == "Gather")
      return gather();
    if (type == "GatherND")
      return gatherND();
    if (type == "Slice" || type == "Split")
      return alongOtherAxes(type == "Slice" ? sliceAxes() : splitAxis());
    if (type == "Concat")
      return concat();
    if (type == "Softmax" || type == "LogSoftmax")
      return softmax();
    if (kReduceOps.contains(type))
      return reduce();
    if (type == "MatMul")
      return matmul();
    return failure();
  }

private:
  std::optional<int64_t> rank(unsigned input) { return getRankOf(op.getInputs()[input]); }

  /// Whether input `index` is the only data-sized one.
  bool onlyInput(unsigned index) {
    for (auto [i, axis] : llvm::enumerate(sized))
      if (axis.has_value() != (i == index))
        return false;
    return true;
  }

  OutputAxes all(int64_t axis) { return OutputAxes(node.getNumOutputs(), axis); }

  /// How many of `axes` (of input 0, rank `r`) come before its data-sized
  /// axis, which drops them; failure when one is that axis, or invalid.
  FailureOr<int64_t> countBefore(ArrayRef<int64_t> axes, int64_t r) {
    int64_t before = 0;
    for (int64_t axis : axes) {
      std::optional<int64_t> normalized = normalizeAxis(axis, r);
      if (!normalized || *normalized == *sized[0])
        return failure();
      before += *normalized < *sized[0];
    }
    return before;
  }

  /// Constant axes of the node: its `axes` attribute, or input `index`.
  std::optional<SmallVector<int64_t>> constantAxes(unsigned index) {
    if (node.hasAttr("axes"))
      return node.getInts("axes");
    return node.constantInts(index);
  }

  FailureOr<OutputAxes> broadcast() {
    SmallVector<int64_t> ranks;
    for (unsigned i = 0; i < op.getInputs().size(); ++i) {
      std::optional<int64_t> r = rank(i);
      if (!r)
        return failure();
      ranks.push_back(*r);
    }
    int64_t outRank = *llvm::max_element(ranks);
    std::optional<int64_t> out;
    for (auto [i, axis] : llvm::enumerate(sized))
      if (axis) {
        int64_t o = *axis + outRank - ranks[i];
        if (out && *out != o)
          return failure();
        out = o;
      }
    // The other operands must broadcast along the axis (extent 1 or no
    // such dim), and a divisor must not be padding: integer division by
    // zero traps.
    for (auto [i, axis] : llvm::enumerate(sized)) {
      if (axis) {
        bool divisor = i == 1 && (node.getOpType() == "Div" || node.getOpType() == "Mod");
        if (divisor && !isa<FloatType>(getElementTypeOf(op.getInputs()[i])))
          return failure();
        continue;
      }
      int64_t d = *out - (outRank - ranks[i]);
      auto shape = getShapeOf(op.getInputs()[i]);
      if (d >= 0 && (!shape || (*shape)[d] != 1))
        return failure();
    }
    return all(*out);
  }

  FailureOr<OutputAxes> transpose() {
    std::optional<int64_t> r = rank(0);
    if (!r)
      return failure();
    SmallVector<int64_t> perm;
    if (std::optional<SmallVector<int64_t>> given = node.getInts("perm"))
      perm = *given;
    else
      for (int64_t d = *r - 1; d >= 0; --d)
        perm.push_back(d);
    const auto *at = llvm::find(perm, *sized[0]);
    if (at == perm.end())
      return failure();
    return all(at - perm.begin());
  }

  FailureOr<OutputAxes> unsqueeze() {
    std::optional<SmallVector<int64_t>> axes = constantAxes(1);
    std::optional<int64_t> r = rank(0);
    if (!axes || !r)
      return failure();
    int64_t outRank = *r + axes->size();
    SmallVector<bool> inserted(outRank, false);
    for (int64_t axis : *axes) {
      std::optional<int64_t> normalized = normalizeAxis(axis, outRank);
      if (!normalized)
        return failure();
      inserted[*normalized] = true;
    }
    // The input's dims fill the positions not inserted, in order.
    int64_t seen = 0;
    for (int64_t o = 0; o < outRank; ++o)
      if (!inserted[o] && seen++ == *sized[0])
        return all(o);
    return failure();
  }

  FailureOr<OutputAxes> squeeze() {
    std::optional<SmallVector<int64_t>> axes = constantAxes(1);
    std::optional<int64_t> r = rank(0);
    // Without axes every dim of 1 goes, which may include a bound of 1.
    if (!axes || !r)
      return failure();
    FailureOr<int64_t> before = countBefore(*axes, *r);
    if (failed(before))
      return failure();
    return all(*sized[0] - *before);
  }

  FailureOr<OutputAxes> gather() {
    std::optional<int64_t> dataRank = rank(0), indexRank = rank(1);
    if (!dataRank || !indexRank)
      return failure();
    std::optional<int64_t> axis = normalizeAxis(node.getInt("axis", 0), *dataRank);
    if (!axis)
      return failure();
    // Indices sized by the data pick as many slices; data sized along
    // another axis keeps it. Gathering along the data-sized axis could
    // count a negative index from the padding's end.
    if (onlyInput(1))
      return all(*axis + *sized[1]);
    if (onlyInput(0) && *sized[0] != *axis)
      return all(*sized[0] < *axis ? *sized[0] : *sized[0] + *indexRank - 1);
    return failure();
  }

  FailureOr<OutputAxes> gatherND() {
    std::optional<int64_t> indexRank = rank(1);
    if (!indexRank || node.getInt("batch_dims", 0) != 0 || !onlyInput(1) ||
        *sized[1] >= *indexRank - 1)
      return failure();
    return all(*sized[1]);
  }

  std::optional<SmallVector<int64_t>> sliceAxes() {
    if (node.getOpset() < 10)
      return node.getInts("axes");
    return node.constantInts(3);
  }
  std::optional<SmallVector<int64_t>> splitAxis() {
    return SmallVector<int64_t>{node.getInt("axis", 0)};
  }

  /// An op that works along `axes` only, which must not include the
  /// data-sized one.
  FailureOr<OutputAxes> alongOtherAxes(std::optional<SmallVector<int64_t>> axes) {
    std::optional<int64_t> r = rank(0);
    if (!axes || !r || !onlyInput(0))
      return failure();
    for (int64_t axis : *axes)
      if (normalizeAxis(axis, *r) == sized[0])
        return failure();
    return all(*sized[0]);
  }

  /// Along another axis, of inputs all cut to the count along one axis.
  FailureOr<OutputAxes> concat() {
    std::optional<int64_t> r = rank(0);
    if (!r || llvm::any_of(sized, [&](std::optional<int64_t> axis) { return axis != sized[0]; }))
      return failure();
    if (normalizeAxis(node.getInt("axis", 0), *r) == sized[0])
      return failure();
    return all(*sized[0]);
  }

  FailureOr<OutputAxes> softmax() {
    // Before opset 13 the input is coerced to 2-D from `axis` on.
    if (node.getOpset() < 13)
      return failure();
    return alongOtherAxes(SmallVector<int64_t>{node.getInt("axis", -1)});
  }

  FailureOr<OutputAxes> reduce() {
    std::optional<int64_t> r = rank(0);
    bool isArg = node.getOpType().starts_with("Arg");
    std::optional<SmallVector<int64_t>> axes =
        isArg ? std::optional(SmallVector<int64_t>{node.getInt("axis", 0)}) : constantAxes(1);
    // No axes reduces every dim (unless noop_with_empty_axes).
    if (!r || !axes || axes->empty() || !onlyInput(0))
      return failure();
    FailureOr<int64_t> before = countBefore(*axes, *r);
    if (failed(before))
      return failure();
    return all(node.getInt("keepdims", 1) ? *sized[0] : *sized[0] - *before);
  }

  FailureOr<OutputAxes> matmul() {
    // Rows of A, each its own dot products; not the contracted dim.
    std::optional<int64_t> a = rank(0), b = rank(1);
    if (!a || !b || *a < 2 || *b < 2 || !onlyInput(0) || *sized[0] == *a - 1)
      return failure();
    return all(*sized[0] + std::max(*a, *b) - *a);
  }

  OnnxNode &node;
  OnnxNodeOp op;
  ArrayRef<std::optional<int64_t>> sized;
};

/// "input #N has a size that depends on the data (computed by node 'X')",
/// at the node, for the caller to finish.
InFlightDiagnostic emitDataSizedInputError(OnnxNode &node, unsigned index, KeepLeadingOp keep) {
  InFlightDiagnostic diag = node.emitError()
                            << "input #" << index << " has a size that depends on the data";
  if (auto name = dyn_cast<NameLoc>(keep.getLoc()))
    diag << " (computed by node '" << name.getName().getValue() << "')";
  return diag;
}

} // namespace

FailureOr<std::optional<DataSizedPlan>> mlir::r1::planDataSizedInputs(OnnxNode &node,
                                                                      OnnxNodeOp op) {
  SmallVector<std::optional<int64_t>> sized(op.getInputs().size());
  SmallVector<KeepLeadingOp> cuts(op.getInputs().size());
  Value count;
  bool any = false;
  for (auto [index, input] : llvm::enumerate(op.getInputs())) {
    auto keep = input ? input.getDefiningOp<KeepLeadingOp>() : KeepLeadingOp();
    if (!keep)
      continue;
    if (any && keep.getCount() != count)
      return emitDataSizedInputError(node, index, keep)
                 << ", counted apart from the node's other such input; r1c supports this only "
                    "when both come from one node",
             failure();
    std::optional<int64_t> rank = getRankOf(keep.getInput());
    sized[index] = rank ? normalizeAxis(keep.getAxis(), *rank) : std::nullopt;
    if (!sized[index])
      return emitDataSizedInputError(node, index, keep) << " and no known rank", failure();
    cuts[index] = keep;
    count = keep.getCount();
    any = true;
  }
  if (!any)
    return std::optional<DataSizedPlan>();
  FailureOr<OutputAxes> outputs = AxisMapper(node, op, sized).map();
  if (failed(outputs)) {
    unsigned index =
        llvm::find_if(cuts, [](KeepLeadingOp keep) { return bool(keep); }) - cuts.begin();
    return emitDataSizedInputError(node, index, cuts[index])
               << ", and " << node.getOpType()
               << " mixes entries along that axis or is not yet supported on such values",
           failure();
  }
  // The node reads the padded values; the cuts nothing else reads go.
  for (auto [index, keep] : llvm::enumerate(cuts)) {
    if (!keep)
      continue;
    op->setOperand(index, keep.getInput());
    if (keep->use_empty())
      keep->erase();
  }
  return std::optional(DataSizedPlan{count, std::move(*outputs)});
}
