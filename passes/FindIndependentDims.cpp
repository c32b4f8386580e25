//===- FindIndependentDims.cpp - Symbolic dims whose rows never mix -------===//
//
// A request smaller than a shape bucket can run in that bucket, with zero
// rows added and trimmed off the outputs, only when no op lets one row of
// the dim reach another and every output keeps the dim whole at one axis.
// That is decided here, once, on the unspecialized graph: a forward
// dataflow in program order gives each value what it holds with respect to
// the dim. Every rule is conservative: an op it does not know, or knows
// only partly, makes the dim fail, so a missed chance costs a bucket, never
// a wrong answer.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_FINDINDEPENDENTDIMS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// What a value holds with respect to one symbolic dim B.
struct Rows {
  enum Kind {
    Free,    ///< nothing that depends on B's rows or on B itself
    Carried, ///< dim `axis` is B * factor long; index i there is row i / factor
    Extent,  ///< a 0-D or 1-D integer tensor: element `axis` is B * factor
    Mixed,   ///< rows may meet, or the rules cannot tell
  };
  Kind kind = Free;
  int64_t axis = 0;
  int64_t factor = 1;

  static Rows free() { return {}; }
  static Rows mixed() { return {Mixed}; }
  static Rows extent(int64_t element, int64_t factor) { return {Extent, element, factor}; }
  bool is(Kind k) const { return kind == k; }
  bool sameAs(const Rows &other) const {
    return kind == other.kind && axis == other.axis && factor == other.factor;
  }
};

SmallVector<int64_t> shapeOf(Value value) {
  return getShapeOf(value).value_or(SmallVector<int64_t>{});
}
int64_t rankOf(Value value) { return shapeOf(value).size(); }

/// Carried along `axis` of `result`, as long as that dim is symbolic there:
/// a static extent would tie the graph to one size of B.
Rows carried(Value result, int64_t axis, int64_t factor) {
  std::optional<SmallVector<int64_t>> shape = getShapeOf(result);
  if (!shape || axis < 0 || axis >= int64_t(shape->size()) ||
      !ShapedType::isDynamic((*shape)[axis]))
    return Rows::mixed();
  return {Rows::Carried, axis, factor};
}

/// True when a Free operand broadcasts along result axis `axis`: it lacks the
/// dim, or has it as 1, so every row reads the same elements.
bool broadcastsAlong(Value operand, int64_t axis, int64_t resultRank) {
  SmallVector<int64_t> shape = shapeOf(operand);
  int64_t own = axis - (resultRank - int64_t(shape.size()));
  return own < 0 || shape[own] == 1;
}

/// A view keeps elements in order, so rows stay whole where the dims before
/// the carried one hold as many elements on both sides; what follows it may
/// merge into it (a larger factor) or split off (a smaller one).
Rows throughView(Value input, Value result, const Rows &rows) {
  SmallVector<int64_t> in = shapeOf(input), out = shapeOf(result);
  if (int64_t(in.size()) <= rows.axis)
    return Rows::mixed();
  int64_t before = productOfDims(ArrayRef(in).take_front(rows.axis));
  int64_t after = productOfDims(ArrayRef(in).drop_front(rows.axis + 1));
  auto symbolic = [](int64_t d) { return ShapedType::isDynamic(d); };
  if (llvm::count_if(out, symbolic) != 1)
    return Rows::mixed();
  int64_t axis = llvm::find_if(out, symbolic) - out.begin();
  int64_t resultBefore = productOfDims(ArrayRef(out).take_front(axis));
  int64_t resultAfter = productOfDims(ArrayRef(out).drop_front(axis + 1));
  if (ShapedType::isDynamic(before) || ShapedType::isDynamic(after) || before != resultBefore ||
      resultAfter <= 0 || (rows.factor * after) % resultAfter != 0)
    return Rows::mixed();
  return carried(result, axis, rows.factor * after / resultAfter);
}

/// The dataflow for one dim name over one function.
class RowFlow {
public:
  RowFlow(func::FuncOp func, StringRef dim) : func(func), dim(dim) {}

  /// Whether padding along the dim is sound; then `argAxes` and `resultAxes`
  /// hold the axis of each argument and result (-1: does not carry it).
  bool run();
  SmallVector<int64_t> argAxes, resultAxes;

private:
  Rows stateOf(Value value) const { return states.lookup(value); }
  Rows transfer(Operation *op);
  Rows elementwise(Operation *op);
  Rows matmul(MatMulOp op);
  Rows attention(AttentionOp op);
  Rows view(Operation *op);
  Rows gather(GatherOp op);
  Rows gatherElements(GatherElementsOp op);
  Rows gatherND(GatherNDOp op);
  Rows scatterElements(ScatterElementsOp op);
  Rows scatterND(ScatterNDOp op);
  Rows slice(SliceOp op);
  Rows concat(ConcatOp op);
  Rows expand(ExpandOp op);
  Rows shape(ShapeOp op);
  Rows reduce(Operation *op, Value input, ArrayRef<int64_t> axes, bool keepdims);

  func::FuncOp func;
  StringRef dim;
  llvm::DenseMap<Value, Rows> states;
};

bool RowFlow::run() {
  for (BlockArgument arg : func.getArguments()) {
    auto names = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "r1.dim_names");
    SmallVector<int64_t> shape = shapeOf(arg);
    int64_t axis = -1;
    for (auto [index, name] : llvm::enumerate(names ? names.getValue() : ArrayRef<Attribute>())) {
      auto text = dyn_cast<StringAttr>(name);
      if (!text || text.getValue() != dim || index >= shape.size() ||
          !ShapedType::isDynamic(shape[index]))
        continue;
      // Two axes of one input sized by B: a padded request pads both, which
      // pairs real rows with padding.
      if (axis >= 0)
        return false;
      axis = index;
    }
    argAxes.push_back(axis);
    if (axis >= 0)
      states[arg] = {Rows::Carried, axis, 1};
  }
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value value : ret.getOperands()) {
        Rows rows = stateOf(value);
        // The runtime trims an output along one axis exactly B long.
        if (!rows.is(Rows::Free) && !(rows.is(Rows::Carried) && rows.factor == 1))
          return false;
        resultAxes.push_back(rows.is(Rows::Carried) ? rows.axis : -1);
      }
      continue;
    }
    Rows rows = transfer(&op);
    if (rows.is(Rows::Mixed))
      return false;
    for (Value result : op.getResults())
      states[result] = rows;
  }
  return true;
}

Rows RowFlow::transfer(Operation *op) {
  if (op->getNumRegions())
    return Rows::mixed();
  bool allFree =
      llvm::all_of(op->getOperands(), [&](Value v) { return stateOf(v).is(Rows::Free); });
  if (allFree)
    return Rows::free();
  if (llvm::any_of(op->getOperands(), [&](Value v) { return stateOf(v).is(Rows::Mixed); }))
    return Rows::mixed();
  if (llvm::any_of(op->getOperandTypes(), [](Type t) { return !isa<RankedTensorType>(t); }) ||
      llvm::any_of(op->getResultTypes(), [](Type t) { return !isa<RankedTensorType>(t); }))
    return Rows::mixed();
  // A shape vector converted to another integer type (exporters cast shapes
  // to i32 and back) still holds B's extent; 32 bits hold any batch.
  if (auto cast = dyn_cast<CastOp>(op)) {
    Rows size = stateOf(cast.getInput());
    auto to = dyn_cast<IntegerType>(getElementTypeOf(cast.getOutput()));
    if (size.is(Rows::Extent) && to && to.getWidth() >= 32 &&
        isa<IntegerType>(getElementTypeOf(cast.getInput())))
      return size;
  }
  if (isElementwise(op))
    return elementwise(op);
  if (isView(op))
    return view(op);
  // Every other op needs its data operand carried and the rest free.
  auto onlyFirst = [&]() -> std::optional<Rows> {
    Rows first = stateOf(op->getOperand(0));
    if (!first.is(Rows::Carried) || llvm::any_of(op->getOperands().drop_front(), [&](Value v) {
          return !stateOf(v).is(Rows::Free);
        }))
      return std::nullopt;
    return first;
  };
  auto keep = [&](std::optional<Rows> rows, auto allowed) -> Rows {
    if (!rows || !allowed(rows->axis, rankOf(op->getOperand(0))))
      return Rows::mixed();
    return carried(op->getResult(0), rows->axis, rows->factor);
  };
  auto notAt = [](std::optional<int64_t> axis) {
    return [axis](int64_t a, int64_t) { return axis && a != *axis; };
  };
  return llvm::TypeSwitch<Operation *, Rows>(op)
      .Case([&](MatMulOp op) { return matmul(op); })
      .Case([&](AttentionOp op) { return attention(op); })
      .Case([&](GatherOp op) { return gather(op); })
      .Case([&](GatherElementsOp op) { return gatherElements(op); })
      .Case([&](GatherNDOp op) { return gatherND(op); })
      .Case([&](ScatterElementsOp op) { return scatterElements(op); })
      .Case([&](ScatterNDOp op) { return scatterND(op); })
      .Case([&](SliceOp op) { return slice(op); })
      .Case([&](ConcatOp op) { return concat(op); })
      .Case([&](ExpandOp op) { return expand(op); })
      .Case([&](ShapeOp op) { return shape(op); })
      // Images are independent along N; channels and pixels mix.
      .Case<ConvOp, MaxPoolOp, AveragePoolOp>(
          [&](auto) { return keep(onlyFirst(), [](int64_t a, int64_t) { return a == 0; }); })
      .Case([&](BatchNormOp) {
        return keep(onlyFirst(), [](int64_t a, int64_t rank) { return a != 1 && rank >= 2; });
      })
      .Case([&](LayerNormOp op) {
        std::optional<int64_t> axis = normalizeAxis(op.getAxis(), rankOf(op.getInput()));
        return keep(onlyFirst(), [axis](int64_t a, int64_t) { return axis && a < *axis; });
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](auto op) {
        return keep(onlyFirst(), notAt(normalizeAxis(op.getAxis(), rankOf(op.getInput()))));
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>([&](auto op) {
        // Axes that arrive as a tensor are known only at run time.
        if (op.getComputedAxes())
          return Rows::mixed();
        if (op.getAxes().empty() && op.getNoopWithEmptyAxes())
          return keep(onlyFirst(), [](int64_t, int64_t) { return true; });
        SmallVector<int64_t> axes(op.getAxes());
        if (axes.empty())
          axes = llvm::to_vector(llvm::seq<int64_t>(0, rankOf(op.getInput())));
        return reduce(op, op.getInput(), axes, op.getKeepdims());
      })
      .Case([&](TopKOp op) {
        return keep(onlyFirst(), notAt(normalizeAxis(op.getAxis(), rankOf(op.getInput()))));
      })
      .Case<ArgMaxOp, ArgMinOp>(
          [&](auto op) { return reduce(op, op.getInput(), {op.getAxis()}, op.getKeepdims()); })
      .Case([&](TransposeOp op) -> Rows {
        std::optional<Rows> rows = onlyFirst();
        if (!rows)
          return Rows::mixed();
        auto it = llvm::find(op.getPerm(), rows->axis);
        return carried(op.getResult(), it - op.getPerm().begin(), rows->factor);
      })
      .Case([&](SplitOp op) {
        return keep(onlyFirst(), notAt(normalizeAxis(op.getAxis(), rankOf(op.getInput()))));
      })
      .Case([&](TileOp op) {
        std::optional<SmallVector<int64_t>> repeats = getConstantIntValues(op.getRepeats());
        return keep(onlyFirst(), [&](int64_t a, int64_t) {
          return repeats && a < int64_t(repeats->size()) && (*repeats)[a] == 1;
        });
      })
      .Case([&](PadOp op) {
        ArrayRef<int64_t> pads = op.getPads();
        return keep(onlyFirst(), [&](int64_t a, int64_t rank) {
          return int64_t(pads.size()) == 2 * rank && pads[a] == 0 && pads[a + rank] == 0;
        });
      })
      .Case([&](TriluOp) {
        return keep(onlyFirst(), [](int64_t a, int64_t rank) { return a < rank - 2; });
      })
      .Case([&](ConstantOfShapeOp op) {
        // Filled with one value: each row's part is the same whatever B is.
        Rows size = stateOf(op.getShape());
        return size.is(Rows::Extent) ? carried(op.getResult(), size.axis, size.factor)
                                     : Rows::mixed();
      })
      .Default([](Operation *) { return Rows::mixed(); });
}

Rows RowFlow::elementwise(Operation *op) {
  // Padding rows are zeros, and an integer division by zero traps.
  if (isa<DivOp, ModOp>(op) && isa<IntegerType>(getElementTypeOf(op->getOperand(1))) &&
      !stateOf(op->getOperand(1)).is(Rows::Free))
    return Rows::mixed();
  int64_t rank = rankOf(op->getResult(0));
  std::optional<Rows> out;
  for (Value operand : op->getOperands()) {
    Rows rows = stateOf(operand);
    if (rows.is(Rows::Free))
      continue;
    if (!rows.is(Rows::Carried))
      return Rows::mixed();
    Rows here{Rows::Carried, rows.axis + rank - rankOf(operand), rows.factor};
    if (out && !out->sameAs(here))
      return Rows::mixed();
    out = here;
  }
  for (Value operand : op->getOperands())
    if (stateOf(operand).is(Rows::Free) && !broadcastsAlong(operand, out->axis, rank))
      return Rows::mixed();
  return carried(op->getResult(0), out->axis, out->factor);
}

Rows RowFlow::matmul(MatMulOp op) {
  Value lhs = op.getLhs(), rhs = op.getRhs(), result = op.getResult();
  int64_t lhsRank = rankOf(lhs), rhsRank = rankOf(rhs), rank = rankOf(result);
  // Where each operand axis lands in the result; K lands nowhere, and a row
  // carried along K is summed with the others.
  auto land = [&](bool isLhs, int64_t axis) -> std::optional<int64_t> {
    int64_t own = isLhs ? lhsRank : rhsRank;
    if (own == 1)
      return std::nullopt;
    int64_t contracted = isLhs ? own - 1 : own - 2;
    if (axis == contracted)
      return std::nullopt;
    if (isLhs && axis == own - 2)
      return rhsRank == 1 ? rank - 1 : rank - 2;
    if (!isLhs && axis == own - 1)
      return rank - 1;
    // A batch dim, aligned from the right over the result's batch dims.
    int64_t batchRank = rank - (lhsRank >= 2) - (rhsRank >= 2);
    return axis + batchRank - (own - 2);
  };
  std::optional<Rows> out;
  for (auto [isLhs, operand] : {std::pair{true, lhs}, std::pair{false, rhs}}) {
    Rows rows = stateOf(operand);
    if (rows.is(Rows::Free))
      continue;
    std::optional<int64_t> axis = rows.is(Rows::Carried) ? land(isLhs, rows.axis) : std::nullopt;
    if (!axis)
      return Rows::mixed();
    Rows here{Rows::Carried, *axis, rows.factor};
    if (out && !out->sameAs(here))
      return Rows::mixed();
    out = here;
  }
  // A free operand must not bring rows of its own along a carried batch dim.
  int64_t batchRank = rank - (lhsRank >= 2) - (rhsRank >= 2);
  for (auto [operand, own] : {std::pair{lhs, lhsRank}, std::pair{rhs, rhsRank}}) {
    if (!stateOf(operand).is(Rows::Free) || out->axis >= batchRank || own < 2)
      continue;
    int64_t batchAxis = out->axis - (batchRank - (own - 2));
    if (batchAxis >= 0 && shapeOf(operand)[batchAxis] != 1)
      return Rows::mixed();
  }
  return carried(result, out->axis, out->factor);
}

/// Each (batch, head) attends on its own: rows carried along the batch
/// (dim 0 of q, k and v in either layout, and of the mask broadcast to
/// rank 4) stay apart.
Rows RowFlow::attention(AttentionOp op) {
  std::optional<int64_t> factor;
  for (Value operand : {op.getQuery(), op.getKey(), op.getValue()}) {
    Rows rows = stateOf(operand);
    if (rows.is(Rows::Free))
      continue;
    if (!rows.is(Rows::Carried) || rows.axis != 0 || (factor && *factor != rows.factor))
      return Rows::mixed();
    factor = rows.factor;
  }
  if (Value mask = op.getMask()) {
    Rows rows = stateOf(mask);
    int64_t batchAxis = rankOf(mask) - 4;
    if (rows.is(Rows::Carried)) {
      if (rows.axis != batchAxis || (factor && *factor != rows.factor))
        return Rows::mixed();
      factor = rows.factor;
    } else if (!rows.is(Rows::Free)) {
      return Rows::mixed();
    }
  }
  return factor ? carried(op.getResult(), 0, *factor) : Rows::free();
}

/// Whether the view `op` gives its result the first dim of its input: its
/// target shape starts with that dim's extent, or with 0 (copy the input's
/// dim) where allowzero is off.
static bool keepsFirstDim(Operation *op, const Rows &size, const Rows &rows) {
  if (size.is(Rows::Extent))
    return size.axis == 0 && size.factor == rows.factor;
  auto reshape = dyn_cast<ReshapeOp>(op);
  if (!reshape || reshape.getAllowzero() || !size.is(Rows::Free))
    return false;
  std::optional<SmallVector<int64_t>> known = getKnownIntValues(reshape.getShape());
  return known && !known->empty() && known->front() == 0;
}

Rows RowFlow::view(Operation *op) {
  Value input = op->getOperand(0), result = op->getResult(0);
  Rows rows = stateOf(input);
  Rows size = op->getNumOperands() > 1 ? stateOf(op->getOperand(1)) : Rows::free();
  // A 0-D or 1-D vector keeps its elements in order.
  if (rows.is(Rows::Extent))
    return size.is(Rows::Free) && rankOf(result) <= 1 ? rows : Rows::mixed();
  if (!rows.is(Rows::Carried) || size.is(Rows::Carried))
    return Rows::mixed();
  // A target shape whose first element is the input's first dim, where the
  // input carries the rows first, keeps row i the i-th block of elements
  // whatever the other dims are: exporters reshape [N, C, H, W] to [N, C, -1]
  // with N read by Shape, or to [0, T, 3, 8, 15] (0: N copied), with H, W
  // and T symbolic too.
  if (rows.axis == 0 && keepsFirstDim(op, size, rows))
    return carried(result, 0, rows.factor);
  // Dropping or adding unit axes moves the rows' axis and nothing else.
  if (auto squeeze = dyn_cast<SqueezeOp>(op)) {
    int64_t axis = rows.axis, rank = rankOf(input);
    for (int64_t a : squeeze.getAxes()) {
      std::optional<int64_t> at = normalizeAxis(a, rank);
      if (!at || *at == rows.axis)
        return Rows::mixed();
      axis -= *at < rows.axis;
    }
    return carried(result, axis, rows.factor);
  }
  if (auto unsqueeze = dyn_cast<UnsqueezeOp>(op)) {
    int64_t rank = rankOf(result), axis = rows.axis;
    SmallVector<int64_t> inserted;
    for (int64_t a : unsqueeze.getAxes()) {
      std::optional<int64_t> at = normalizeAxis(a, rank);
      if (!at)
        return Rows::mixed();
      inserted.push_back(*at);
    }
    llvm::sort(inserted);
    for (int64_t at : inserted)
      axis += at <= axis;
    return carried(result, axis, rows.factor);
  }
  Rows out = throughView(input, result, rows);
  // A target shape that holds B must put it where the rows are.
  if (size.is(Rows::Extent) && (out.axis != size.axis || out.factor != size.factor))
    return Rows::mixed();
  return out;
}

Rows RowFlow::gather(GatherOp op) {
  Rows data = stateOf(op.getData()), indices = stateOf(op.getIndices());
  int64_t dataRank = rankOf(op.getData()), indexRank = rankOf(op.getIndices());
  std::optional<int64_t> axis = normalizeAxis(op.getAxis(), dataRank);
  if (!axis || indices.is(Rows::Extent))
    return Rows::mixed();
  // Picking elements out of a shape vector, as exported graphs do.
  if (data.is(Rows::Extent)) {
    std::optional<SmallVector<int64_t>> picked = getConstantIntValues(op.getIndices());
    if (dataRank != 1 || indexRank > 1 || !picked || !indices.is(Rows::Free))
      return Rows::mixed();
    int64_t length = shapeOf(op.getData())[0];
    std::optional<int64_t> hit;
    for (auto [i, index] : llvm::enumerate(*picked)) {
      if (index != data.axis && index + length != data.axis)
        continue;
      if (hit)
        return Rows::mixed();
      hit = i;
    }
    return hit ? Rows::extent(*hit, data.factor) : Rows::free();
  }
  std::optional<Rows> out;
  if (data.is(Rows::Carried)) {
    if (data.axis == *axis)
      return Rows::mixed();
    out =
        Rows{Rows::Carried, data.axis < *axis ? data.axis : data.axis - 1 + indexRank, data.factor};
  }
  if (indices.is(Rows::Carried)) {
    Rows here{Rows::Carried, *axis + indices.axis, indices.factor};
    if (out && !out->sameAs(here))
      return Rows::mixed();
    out = here;
  }
  return carried(op.getResult(), out->axis, out->factor);
}

/// Output position p reads data at p with the axis replaced: rows stay
/// apart along another dim when data and indices carry it alike, and along
/// any dim when only the indices carry it (padding rows pick index 0).
Rows RowFlow::gatherElements(GatherElementsOp op) {
  Rows data = stateOf(op.getData()), indices = stateOf(op.getIndices());
  std::optional<int64_t> axis = normalizeAxis(op.getAxis(), rankOf(op.getData()));
  if (!axis || data.is(Rows::Extent) || indices.is(Rows::Extent) ||
      (data.is(Rows::Carried) && data.axis == *axis))
    return Rows::mixed();
  if (data.is(Rows::Carried) && !data.sameAs(indices))
    return Rows::mixed();
  if (data.is(Rows::Free) && indices.axis != *axis)
    return Rows::mixed();
  return carried(op.getResult(), indices.axis, indices.factor);
}

/// The batch dims are shared, the index dims of the tuples stay apart, and
/// the data dims after the tuple land after them; a carried dim that a
/// tuple addresses mixes rows.
Rows RowFlow::gatherND(GatherNDOp op) {
  Rows data = stateOf(op.getData()), indices = stateOf(op.getIndices());
  int64_t batch = op.getBatchDims(), indexRank = rankOf(op.getIndices());
  SmallVector<int64_t> indexShape = shapeOf(op.getIndices());
  if (data.is(Rows::Extent) || indices.is(Rows::Extent) || indexShape.empty() ||
      ShapedType::isDynamic(indexShape.back()))
    return Rows::mixed();
  int64_t tuple = indexShape.back();
  std::optional<Rows> out;
  if (data.is(Rows::Carried)) {
    if (data.axis >= batch && data.axis < batch + tuple)
      return Rows::mixed();
    int64_t axis = data.axis < batch ? data.axis : data.axis - batch - tuple + indexRank - 1;
    out = Rows{Rows::Carried, axis, data.factor};
  }
  if (indices.is(Rows::Carried)) {
    // The tuple dim itself holds coordinates, not rows.
    if (indices.axis == indexRank - 1 || (indices.axis < batch && !data.sameAs(indices)))
      return Rows::mixed();
    if (out && !out->sameAs(indices))
      return Rows::mixed();
    out = indices;
  }
  if (out->axis < batch && !(data.sameAs(indices)))
    return Rows::mixed();
  return carried(op.getResult(), out->axis, out->factor);
}

/// An update at position p lands at p with the axis replaced: rows stay
/// apart along another dim that data, indices and updates all carry alike
/// (padding rows scatter within themselves).
Rows RowFlow::scatterElements(ScatterElementsOp op) {
  Rows data = stateOf(op.getData()), indices = stateOf(op.getIndices()),
       updates = stateOf(op.getUpdates());
  std::optional<int64_t> axis = normalizeAxis(op.getAxis(), rankOf(op.getData()));
  if (!axis || !data.is(Rows::Carried) || data.axis == *axis || !data.sameAs(indices) ||
      !data.sameAs(updates))
    return Rows::mixed();
  return carried(op.getResult(), data.axis, data.factor);
}

/// Rows stay apart along a data dim after the index tuple, which updates
/// carry after the tuples' own dims, while the tuples are the same for
/// every row; a dim that a tuple addresses mixes rows.
Rows RowFlow::scatterND(ScatterNDOp op) {
  Rows data = stateOf(op.getData()), indices = stateOf(op.getIndices()),
       updates = stateOf(op.getUpdates());
  SmallVector<int64_t> indexShape = shapeOf(op.getIndices());
  if (!data.is(Rows::Carried) || !indices.is(Rows::Free) || !updates.is(Rows::Carried) ||
      indexShape.empty() || ShapedType::isDynamic(indexShape.back()))
    return Rows::mixed();
  int64_t tuple = indexShape.back(), tuplesRank = int64_t(indexShape.size()) - 1;
  if (data.axis < tuple || updates.axis != tuplesRank + data.axis - tuple ||
      updates.factor != data.factor)
    return Rows::mixed();
  return carried(op.getResult(), data.axis, data.factor);
}

Rows RowFlow::slice(SliceOp op) {
  Rows rows = stateOf(op.getInput());
  int64_t rank = rankOf(op.getInput());
  if (rows.is(Rows::Extent)) {
    if (rank != 1 || op.getAxes().size() != 1)
      return Rows::mixed();
    int64_t length = shapeOf(op.getInput())[0], step = op.getSteps()[0];
    if (ShapedType::isDynamic(length) || step == 0)
      return Rows::mixed();
    int64_t first = sliceFirstIndex(length, op.getStarts()[0], step);
    int64_t count = sliceOutputSize(length, op.getStarts()[0], op.getEnds()[0], step);
    int64_t offset = rows.axis - first;
    if (offset % step != 0 || offset / step < 0 || offset / step >= count)
      return Rows::free();
    return Rows::extent(offset / step, rows.factor);
  }
  for (int64_t axis : op.getAxes())
    if (normalizeAxis(axis, rank) == rows.axis)
      return Rows::mixed();
  return carried(op.getResult(), rows.axis, rows.factor);
}

Rows RowFlow::concat(ConcatOp op) {
  int64_t rank = rankOf(op.getResult());
  std::optional<int64_t> axis = normalizeAxis(op.getAxis(), rank);
  if (!axis)
    return Rows::mixed();
  // Building a shape vector: B's element moves by the lengths before it.
  if (rank == 1) {
    int64_t offset = 0;
    std::optional<Rows> out;
    for (Value input : op.getInputs()) {
      Rows rows = stateOf(input);
      int64_t length = shapeOf(input)[0];
      if (rows.is(Rows::Extent) && !out)
        out = Rows::extent(offset + rows.axis, rows.factor);
      else if (!rows.is(Rows::Free) || ShapedType::isDynamic(length))
        return Rows::mixed();
      offset += length;
    }
    if (out)
      return *out;
  }
  // Every piece must bring the same rows; a free piece would need B rows of its own.
  Rows first = stateOf(op.getInputs().front());
  for (Value input : op.getInputs())
    if (!stateOf(input).sameAs(first))
      return Rows::mixed();
  if (!first.is(Rows::Carried) || first.axis == *axis)
    return Rows::mixed();
  return carried(op.getResult(), first.axis, first.factor);
}

Rows RowFlow::expand(ExpandOp op) {
  Rows rows = stateOf(op.getInput()), size = stateOf(op.getShape());
  int64_t rank = rankOf(op.getResult());
  int64_t offset = rank - rankOf(op.getInput());
  if (size.is(Rows::Extent)) {
    // The shape vector aligns with the result's trailing dims.
    int64_t axis = size.axis + rank - shapeOf(op.getShape())[0];
    // Copies of a free tensor, one per row: as if each row had computed it.
    if (rows.is(Rows::Free) && broadcastsAlong(op.getInput(), axis, rank))
      return carried(op.getResult(), axis, size.factor);
    if (rows.is(Rows::Carried) && rows.axis + offset == axis && rows.factor == size.factor)
      return carried(op.getResult(), axis, size.factor);
    return Rows::mixed();
  }
  // A target of 1 keeps the dim; anything else broadcasts a row of B = 1 over others.
  std::optional<SmallVector<int64_t>> target = getKnownIntValues(op.getShape());
  int64_t at = rows.axis + offset - (rank - int64_t(target ? target->size() : 0));
  if (!rows.is(Rows::Carried) || !size.is(Rows::Free) || !target || (at >= 0 && (*target)[at] != 1))
    return Rows::mixed();
  return carried(op.getResult(), rows.axis + offset, rows.factor);
}

Rows RowFlow::shape(ShapeOp op) {
  Rows rows = stateOf(op.getInput());
  int64_t rank = rankOf(op.getInput());
  if (!rows.is(Rows::Carried))
    return Rows::mixed();
  int64_t start =
      std::clamp<int64_t>(op.getStart() < 0 ? op.getStart() + rank : op.getStart(), 0, rank);
  int64_t end = std::clamp<int64_t>(op.getEnd() < 0 ? op.getEnd() + rank : op.getEnd(), 0, rank);
  if (rows.axis < start || rows.axis >= end)
    return Rows::free();
  return Rows::extent(rows.axis - start, rows.factor);
}

Rows RowFlow::reduce(Operation *op, Value input, ArrayRef<int64_t> axes, bool keepdims) {
  Rows rows = stateOf(input);
  int64_t rank = rankOf(input), removed = 0;
  if (!rows.is(Rows::Carried))
    return Rows::mixed();
  for (int64_t axis : axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized || *normalized == rows.axis)
      return Rows::mixed();
    removed += *normalized < rows.axis;
  }
  return carried(op->getResult(0), keepdims ? rows.axis : rows.axis - removed, rows.factor);
}

struct FindIndependentDimsPass : r1::impl::FindIndependentDimsBase<FindIndependentDimsPass> {
  void runOnOperation() override;
};

void FindIndependentDimsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  Builder builder(&getContext());
  constexpr StringLiteral kDimAttr = "r1.independent_dim", kAxisAttr = "r1.pad_axis";
  // A second run decides afresh.
  func->removeAttr(kDimAttr);
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.removeArgAttr(i, kAxisAttr);
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    func.removeResultAttr(i, builder.getStringAttr(kAxisAttr));

  SmallVector<StringRef> names;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(i, "r1.dim_names");
    SmallVector<int64_t> shape = shapeOf(func.getArgument(i));
    for (auto [axis, name] :
         llvm::enumerate(dimNames ? dimNames.getValue() : ArrayRef<Attribute>()))
      if (auto text = dyn_cast<StringAttr>(name);
          text && !text.getValue().empty() && axis < shape.size() &&
          ShapedType::isDynamic(shape[axis]) && !llvm::is_contained(names, text.getValue()))
        names.push_back(text.getValue());
  }
  for (StringRef name : names) {
    RowFlow flow(func, name);
    if (!flow.run())
      continue;
    func->setAttr(kDimAttr, builder.getStringAttr(name));
    for (auto [i, axis] : llvm::enumerate(flow.argAxes))
      if (axis >= 0)
        func.setArgAttr(i, kAxisAttr, builder.getI64IntegerAttr(axis));
    for (auto [i, axis] : llvm::enumerate(flow.resultAxes))
      if (axis >= 0)
        func.setResultAttr(i, kAxisAttr, builder.getI64IntegerAttr(axis));
    return;
  }
}

} // namespace
