//===- ControlFlow.cpp - ONNX If, Loop and Scan ---------------------------===//
//
// r1 graphs have no control flow: every op runs once, on host and GPU alike.
// So subgraphs are inlined where the node was. An If whose condition folds
// keeps the branch it takes; otherwise both branches run (they have no side
// effects) and r1.where picks. Loop and Scan are unrolled, which needs the
// number of iterations when compiling; each copy of the body is legalized
// with its iteration number known, so most of it folds.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// How many imported nodes a subgraph holds, those of nested subgraphs too.
int64_t countNodes(Region &body) {
  int64_t count = 0;
  body.walk([&](OnnxNodeOp) { ++count; });
  return count;
}

/// Refuses to unroll `iterations` copies of `body` when that is too large.
LogicalResult checkUnrolledSize(OnnxNode &node, Region &body, int64_t iterations, StringRef what) {
  int64_t perIteration = std::max<int64_t>(countNodes(body), 1);
  if (iterations <= kMaxUnrolledNodes / perIteration)
    return success();
  return node.emitError() << "unrolling " << iterations << " " << what << " of a body of "
                          << perIteration << " nodes is beyond r1c's limit of " << kMaxUnrolledNodes
                          << " copied nodes",
         failure();
}

Result legalizeIf(OnnxNode &node) {
  FailureOr<Value> cond = node.requiredInput(0);
  FailureOr<Region *> thenBranch = node.requiredSubgraph("then_branch");
  FailureOr<Region *> elseBranch = node.requiredSubgraph("else_branch");
  if (failed(cond) || failed(thenBranch) || failed(elseBranch))
    return failure();
  // A known condition (often a shape test) keeps one branch; the other may
  // not even be valid for these shapes, so it is never legalized.
  if (std::optional<double> known = node.constantScalar(0))
    return node.inlineSubgraph(*known != 0 ? **thenBranch : **elseBranch, {});

  Result thenValues = node.inlineSubgraph(**thenBranch, {});
  if (failed(thenValues))
    return failure();
  Result elseValues = node.inlineSubgraph(**elseBranch, {});
  if (failed(elseValues))
    return failure();
  if (thenValues->size() != elseValues->size())
    return node.emitError() << "then_branch has " << thenValues->size()
                            << " outputs but else_branch has " << elseValues->size(),
           failure();
  for (auto [index, values] : llvm::enumerate(llvm::zip(*thenValues, *elseValues))) {
    auto [onTrue, onFalse] = values;
    if (onTrue.getType() != onFalse.getType())
      return node.emitError() << "the condition is computed from data, so r1c computes both "
                                 "branches and selects, which needs outputs of one type; "
                                 "output #"
                              << index << " is " << onTrue.getType() << " in then_branch but "
                              << onFalse.getType() << " in else_branch",
             failure();
  }
  // The condition holds one element, of any rank; as a scalar it broadcasts.
  Value flag = *cond;
  if (auto shape = getShapeOf(flag); !shape || !shape->empty())
    flag = node.create<ReshapeOp>(flag, node.i64Vector({}), node.getBuilder().getBoolAttr(false));
  SmallVector<Value> selected;
  for (auto [onTrue, onFalse] : llvm::zip(*thenValues, *elseValues))
    selected.push_back(onTrue == onFalse ? onTrue
                                         : Value(node.create<WhereOp>(flag, onTrue, onFalse)));
  return selected;
}

/// The number of iterations an output of a scan declares: the static first
/// dim of its type, when the file gives one.
std::optional<int64_t> declaredIterations(OnnxNode &node, unsigned firstScanOutput) {
  for (unsigned index = firstScanOutput; index < node.getNumOutputs(); ++index) {
    auto shape = getShapeOf(node.getDeclaredOutputType(index));
    if (shape && !shape->empty() && (*shape)[0] != kDynamic)
      return (*shape)[0];
  }
  return std::nullopt;
}

/// The number of iterations of a Loop, or an error saying why it is unknown.
/// A constant trip count with a condition that starts true (or absent) runs
/// until the count or until the body's condition folds to false. Without
/// those, a scan output whose declared first dim is static still fixes the
/// count (the file says how many iterations run).
struct LoopCount {
  int64_t iterations;
  /// Whether the body's condition decides when to stop early.
  bool followCondition;
};

FailureOr<LoopCount> getLoopCount(OnnxNode &node, unsigned numCarried) {
  std::optional<double> tripCount = node.constantScalar(0);
  bool hasTripCount = static_cast<bool>(node.input(0));
  std::optional<double> cond = node.input(1) ? node.constantScalar(1) : 1.0;
  if ((tripCount || !hasTripCount) && cond) {
    if (*cond == 0)
      return LoopCount{0, false};
    // Clamped before converting: the file may hold any int64.
    if (tripCount)
      return LoopCount{int64_t(std::clamp(*tripCount, 0.0, 1e15)), true};
  }
  if (std::optional<int64_t> declared = declaredIterations(node, numCarried))
    return LoopCount{*declared, false};
  if (hasTripCount && !tripCount)
    return node.emitError() << "the trip count is computed from data and no scan output "
                               "declares a static length; r1c unrolls loops, which needs "
                               "the number of iterations when compiling",
           failure();
  if (!hasTripCount)
    return node.emitError() << "has no trip count, so only its condition ends it; r1c "
                               "unrolls loops, which needs the number of iterations when "
                               "compiling",
           failure();
  return node.emitError() << "the condition is computed from data; r1c unrolls loops, "
                             "which needs the number of iterations when compiling",
         failure();
}

/// Loop (opsets 1 to 23): inputs M, cond and the initial loop-carried
/// values; the body maps (iteration, cond, carried...) to (cond, carried...,
/// scan outputs...), and each scan output is stacked along a new first dim.
Result legalizeLoop(OnnxNode &node) {
  FailureOr<Region *> body = node.requiredSubgraph("body");
  if (failed(body))
    return failure();
  if (node.getNumInputs() < 2)
    return node.emitError() << "expects inputs M and cond (either may be empty)", failure();
  unsigned numCarried = node.getNumInputs() - 2;
  Block &block = (*body)->front();
  unsigned bodyOutputs = block.getTerminator()->getNumOperands();
  if (block.getNumArguments() != numCarried + 2 || bodyOutputs < numCarried + 1 ||
      node.getNumOutputs() != bodyOutputs - 1)
    return node.emitError() << "the body takes " << block.getNumArguments() << " inputs and has "
                            << bodyOutputs << " outputs; with " << numCarried
                            << " loop-carried values and " << node.getNumOutputs()
                            << " node outputs it needs " << numCarried + 2 << " and "
                            << node.getNumOutputs() + 1,
           failure();
  unsigned numScans = bodyOutputs - 1 - numCarried;
  FailureOr<LoopCount> count = getLoopCount(node, numCarried);
  if (failed(count) || failed(checkUnrolledSize(node, **body, count->iterations, "iterations")))
    return failure();

  OpBuilder &b = node.getBuilder();
  SmallVector<Value> carried;
  for (unsigned i = 0; i < numCarried; ++i)
    carried.push_back(node.input(2 + i));
  if (llvm::is_contained(carried, Value()))
    return node.emitError() << "a loop-carried input is empty", failure();
  SmallVector<SmallVector<Value>> scans(numScans);
  Value alwaysTrue = node.scalar(b.getI1Type(), 1);
  for (int64_t iteration = 0; iteration < count->iterations; ++iteration) {
    SmallVector<Value> arguments{node.scalar(b.getI64Type(), double(iteration)), alwaysTrue};
    arguments.append(carried);
    Result outputs = node.inlineSubgraph(**body, arguments);
    if (failed(outputs))
      return failure();
    carried.assign(outputs->begin() + 1, outputs->begin() + 1 + numCarried);
    for (unsigned k = 0; k < numScans; ++k)
      scans[k].push_back((*outputs)[1 + numCarried + k]);
    if (!count->followCondition)
      continue;
    std::optional<double> next;
    Attribute attr;
    if (Value cond = outputs->front(); cond && matchPattern(cond, m_Constant(&attr)))
      if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.getNumElements() == 1)
        next = (*dense.getValues<APInt>().begin()).getBoolValue();
    if (!next)
      return node.emitError() << "the body computes its condition from data (iteration "
                              << iteration
                              << "); r1c unrolls loops, which needs the number of "
                                 "iterations when compiling",
             failure();
    if (*next == 0)
      break;
  }
  SmallVector<Value> results = carried;
  for (unsigned k = 0; k < numScans; ++k) {
    if (scans[k].empty())
      return node.emitError() << "runs no iterations, so scan output #" << k
                              << " would be empty; r1c cannot type it",
             failure();
    results.push_back(stackAlong(node, scans[k], 0));
  }
  return results;
}

/// One pass of a Scan body over the sequence: slices of each scan input
/// (along its axis, reversed where its direction says) go in with the
/// states; returns the final states and each scan output per iteration.
struct ScanRun {
  SmallVector<Value> states;
  SmallVector<SmallVector<Value>> scans;
};

FailureOr<ScanRun> runScan(OnnxNode &node, Region &body, ArrayRef<Value> initialStates,
                           ArrayRef<Value> scanInputs, ArrayRef<int64_t> axes,
                           ArrayRef<int64_t> directions, int64_t length, unsigned numScans) {
  ScanRun run{SmallVector<Value>(initialStates), SmallVector<SmallVector<Value>>(numScans)};
  for (int64_t step = 0; step < length; ++step) {
    SmallVector<Value> arguments = run.states;
    for (auto [input, axis, direction] : llvm::zip(scanInputs, axes, directions))
      arguments.push_back(takeAlong(node, input, axis, direction ? length - 1 - step : step));
    Result outputs = node.inlineSubgraph(body, arguments);
    if (failed(outputs))
      return failure();
    run.states.assign(outputs->begin(), outputs->begin() + initialStates.size());
    for (unsigned k = 0; k < numScans; ++k)
      run.scans[k].push_back((*outputs)[initialStates.size() + k]);
  }
  return run;
}

/// Reads one int per scan input or output from `name` (default 0), and
/// checks that directions are 0 or 1.
FailureOr<SmallVector<int64_t>> getPerScanInts(OnnxNode &node, StringRef name, size_t count,
                                               bool isDirection) {
  SmallVector<int64_t> values = node.getInts(name).value_or(SmallVector<int64_t>(count, 0));
  if (values.size() != count)
    return node.emitError() << name << " has " << values.size() << " entries, expected " << count,
           failure();
  if (isDirection && llvm::any_of(values, [](int64_t d) { return d != 0 && d != 1; }))
    return node.emitError() << name << " entries must be 0 (forward) or 1 (reverse)", failure();
  return values;
}

/// The common length of the scan inputs along their (normalized) axes.
FailureOr<int64_t> getSequenceLength(OnnxNode &node, ArrayRef<Value> scanInputs,
                                     SmallVectorImpl<int64_t> &axes) {
  int64_t length = kDynamic;
  for (auto [index, input] : llvm::enumerate(scanInputs)) {
    auto shape = getShapeOf(input);
    if (!shape)
      return node.emitError() << "scan input #" << index << " needs a known rank", failure();
    std::optional<int64_t> axis = normalizeAxis(axes[index], shape->size());
    if (!axis)
      return node.emitError() << "scan axis " << axes[index] << " is out of range for scan input #"
                              << index << " of rank " << shape->size(),
             failure();
    axes[index] = *axis;
    int64_t dim = (*shape)[*axis];
    if (dim == kDynamic)
      return node.emitError() << "scan input #" << index
                              << " has a dynamic sequence length; r1c unrolls scans, which "
                                 "needs it when compiling",
             failure();
    if (length != kDynamic && dim != length)
      return node.emitError() << "scan inputs have sequence lengths " << length << " and " << dim,
             failure();
    length = dim;
  }
  if (length == kDynamic)
    return node.emitError() << "has no scan inputs", failure();
  return length;
}

/// Stacks a scan output's values along `axis` of the result (negative
/// counts from the end of the result), last iteration first when reversed.
FailureOr<Value> stackScanOutput(OnnxNode &node, SmallVector<Value> values, int64_t axis,
                                 int64_t direction, unsigned index) {
  if (values.empty())
    return node.emitError() << "scan output #" << index << " would be empty", failure();
  auto shape = getShapeOf(values.front());
  if (!shape)
    return node.emitError() << "scan output #" << index << " needs a known rank", failure();
  std::optional<int64_t> normalized = normalizeAxis(axis, shape->size() + 1);
  if (!normalized)
    return node.emitError() << "scan output axis " << axis << " is out of range for rank "
                            << shape->size() + 1,
           failure();
  if (direction)
    std::reverse(values.begin(), values.end());
  return stackAlong(node, values, *normalized);
}

/// Scan from opset 9: states and scan inputs without a batch dim, with
/// per-input axes and directions and per-output axes and directions.
Result legalizeScan(OnnxNode &node) {
  FailureOr<Region *> body = node.requiredSubgraph("body");
  FailureOr<int64_t> numScanInputs = node.requiredInt("num_scan_inputs");
  if (failed(body) || failed(numScanInputs))
    return failure();
  if (*numScanInputs < 1 || *numScanInputs > node.getNumInputs())
    return node.emitError() << "num_scan_inputs " << *numScanInputs << " does not fit "
                            << node.getNumInputs() << " inputs",
           failure();
  unsigned numStates = node.getNumInputs() - *numScanInputs;
  if (node.getNumOutputs() < numStates)
    return node.emitError() << "has " << node.getNumOutputs() << " outputs, fewer than its "
                            << numStates << " states",
           failure();
  unsigned numScans = node.getNumOutputs() - numStates;
  Block &block = (*body)->front();
  if (block.getNumArguments() != node.getNumInputs() ||
      block.getTerminator()->getNumOperands() != node.getNumOutputs())
    return node.emitError() << "the body takes " << block.getNumArguments() << " inputs and has "
                            << block.getTerminator()->getNumOperands() << " outputs; the node has "
                            << node.getNumInputs() << " and " << node.getNumOutputs(),
           failure();
  SmallVector<Value> states, scanInputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    FailureOr<Value> input = node.requiredInput(i);
    if (failed(input))
      return failure();
    (i < numStates ? states : scanInputs).push_back(*input);
  }
  auto inputAxes = getPerScanInts(node, "scan_input_axes", scanInputs.size(), false);
  auto inputDirections = getPerScanInts(node, "scan_input_directions", scanInputs.size(), true);
  auto outputAxes = getPerScanInts(node, "scan_output_axes", numScans, false);
  auto outputDirections = getPerScanInts(node, "scan_output_directions", numScans, true);
  if (failed(inputAxes) || failed(inputDirections) || failed(outputAxes) ||
      failed(outputDirections))
    return failure();
  FailureOr<int64_t> length = getSequenceLength(node, scanInputs, *inputAxes);
  if (failed(length) || failed(checkUnrolledSize(node, **body, *length, "steps")))
    return failure();
  FailureOr<ScanRun> run =
      runScan(node, **body, states, scanInputs, *inputAxes, *inputDirections, *length, numScans);
  if (failed(run))
    return failure();
  SmallVector<Value> results = run->states;
  for (unsigned k = 0; k < numScans; ++k) {
    FailureOr<Value> stacked =
        stackScanOutput(node, run->scans[k], (*outputAxes)[k], (*outputDirections)[k], k);
    if (failed(stacked))
      return failure();
    results.push_back(*stacked);
  }
  return results;
}

/// Scan in opset 8: every input and output has a leading batch dim (scan
/// inputs are [batch, sequence, ...]) and the body sees one batch entry at a
/// time; input 0 is the optional sequence_lens.
Result legalizeScan8(OnnxNode &node) {
  FailureOr<Region *> body = node.requiredSubgraph("body");
  FailureOr<int64_t> numScanInputs = node.requiredInt("num_scan_inputs");
  if (failed(body) || failed(numScanInputs))
    return failure();
  if (*numScanInputs < 1 || *numScanInputs + 1 > node.getNumInputs())
    return node.emitError() << "num_scan_inputs " << *numScanInputs << " does not fit "
                            << node.getNumInputs() << " inputs",
           failure();
  unsigned numStates = node.getNumInputs() - 1 - *numScanInputs;
  if (node.getNumOutputs() < numStates)
    return node.emitError() << "has " << node.getNumOutputs() << " outputs, fewer than its "
                            << numStates << " states",
           failure();
  unsigned numScans = node.getNumOutputs() - numStates;
  Block &block = (*body)->front();
  if (block.getNumArguments() != node.getNumInputs() - 1 ||
      block.getTerminator()->getNumOperands() != node.getNumOutputs())
    return node.emitError() << "the body takes " << block.getNumArguments() << " inputs and has "
                            << block.getTerminator()->getNumOperands() << " outputs; the node has "
                            << node.getNumInputs() - 1 << " states and scan inputs and "
                            << node.getNumOutputs() << " outputs",
           failure();
  SmallVector<Value> states, scanInputs;
  for (unsigned i = 1; i < node.getNumInputs(); ++i) {
    FailureOr<Value> input = node.requiredInput(i);
    if (failed(input))
      return failure();
    (i <= numStates ? states : scanInputs).push_back(*input);
  }
  auto directions = getPerScanInts(node, "directions", scanInputs.size(), true);
  if (failed(directions))
    return failure();
  // Sequences are along dim 1, below the batch dim.
  SmallVector<int64_t> axes(scanInputs.size(), 1);
  FailureOr<int64_t> length = getSequenceLength(node, scanInputs, axes);
  if (failed(length))
    return failure();
  if (node.input(0)) {
    std::optional<SmallVector<int64_t>> lengths = node.constantInts(0);
    if (!lengths || llvm::any_of(*lengths, [&](int64_t l) { return l != *length; }))
      return node.emitError() << "sequence_lens must be absent or a constant equal to the "
                                 "sequence length "
                              << *length << " for every batch entry",
             failure();
  }
  auto shape = getShapeOf(scanInputs.front());
  int64_t batch = (*shape)[0];
  if (batch == kDynamic)
    return node.emitError() << "needs a static batch size; r1c runs the body once per batch "
                               "entry",
           failure();
  if (failed(checkUnrolledSize(node, **body, batch, "batch entries")) ||
      failed(checkUnrolledSize(node, **body, *length, "steps")) ||
      failed(checkUnrolledSize(node, **body, batch * *length, "batch entries and steps")))
    return failure();

  SmallVector<SmallVector<Value>> finalStates(numStates), scans(numScans);
  SmallVector<int64_t> entryAxes(scanInputs.size(), 0);
  for (int64_t entry = 0; entry < batch; ++entry) {
    auto take = [&](Value value) { return takeAlong(node, value, 0, entry); };
    SmallVector<Value> entryStates = llvm::map_to_vector(states, take);
    SmallVector<Value> entryInputs = llvm::map_to_vector(scanInputs, take);
    FailureOr<ScanRun> run =
        runScan(node, **body, entryStates, entryInputs, entryAxes, *directions, *length, numScans);
    if (failed(run))
      return failure();
    for (unsigned i = 0; i < numStates; ++i)
      finalStates[i].push_back(run->states[i]);
    for (unsigned k = 0; k < numScans; ++k) {
      FailureOr<Value> stacked = stackScanOutput(node, run->scans[k], 0, 0, k);
      if (failed(stacked))
        return failure();
      scans[k].push_back(*stacked);
    }
  }
  SmallVector<Value> results;
  for (ArrayRef<Value> perEntry : finalStates)
    results.push_back(stackAlong(node, perEntry, 0));
  for (ArrayRef<Value> perEntry : scans)
    results.push_back(stackAlong(node, perEntry, 0));
  return results;
}

} // namespace

void mlir::r1::addControlFlow(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"If", 1, legalizeIf},
      {"Loop", 1, legalizeLoop},
      {"Scan", 8, legalizeScan8},
      {"Scan", 9, legalizeScan},
  });
}
