//===- Recurrent.cpp - ONNX RNN, GRU and LSTM -----------------------------===//
//
// The recurrent ops become r1 ops unrolled over their static sequence
// length. The input projection of every step is one matmul up front
// ([seq * batch, input] x W^T, both directions at once, biases added), so
// each step costs only the recurrent matmul (H x R^T) and the gates.
//
// sequence_lens follows ONNX Runtime: past its length a batch entry keeps
// its state and its Y rows are zeros; the reverse direction walks each entry
// from its own last step, which a gather along time arranges.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

enum class Cell { Rnn, Gru, Lstm };

/// Gates per cell, in the order W, R and B stack them.
int64_t numGates(Cell cell) { return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4; }

/// The activations one direction applies: f for RNN; f, g for GRU; f, g, h
/// for LSTM.
SmallVector<StringRef> defaultActivations(Cell cell) {
  if (cell == Cell::Rnn)
    return {"Tanh"};
  if (cell == Cell::Gru)
    return {"Sigmoid", "Tanh"};
  return {"Sigmoid", "Tanh", "Tanh"};
}

/// What one step of a cell counts against kMaxUnrolledNodes: about the
/// number of ONNX nodes it would take written out (an LSTM step is a
/// matmul, an add, a split, five activations and four products and sums).
constexpr int64_t kNodesPerStep = 10;

enum class ActivationKind {
  Relu,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus,
  Unknown
};

struct Activation {
  ActivationKind kind;
  float alpha = 0, beta = 0;
};

/// Whether an activation takes alpha and beta, and their defaults: those
/// of the ONNX operator of that name.
struct ActivationParams {
  bool alpha, beta;
  float defaultAlpha, defaultBeta;
};

ActivationParams paramsOf(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Affine:
    return {true, true, 1.0f, 0.0f};
  case ActivationKind::LeakyRelu:
    return {true, false, 0.01f, 0.0f};
  case ActivationKind::ThresholdedRelu:
    return {true, false, 1.0f, 0.0f};
  case ActivationKind::ScaledTanh:
    return {true, true, 1.0f, 1.0f};
  case ActivationKind::HardSigmoid:
    return {true, true, 0.2f, 0.5f};
  case ActivationKind::Elu:
    return {true, false, 1.0f, 0.0f};
  default:
    return {false, false, 0.0f, 0.0f};
  }
}

/// The activations of every direction, with their alphas and betas: the
/// `activation_alpha` and `activation_beta` lists are consumed in order by
/// the activations that take them.
FailureOr<SmallVector<Activation>> getActivations(OnnxNode &node, Cell cell,
                                                  int64_t numDirections) {
  SmallVector<StringRef> defaults = defaultActivations(cell);
  SmallVector<StringRef> names;
  if (std::optional<SmallVector<StringRef>> given = node.getStrings("activations"))
    names = *given;
  else
    for (int64_t d = 0; d < numDirections; ++d)
      names.append(defaults);
  size_t expected = defaults.size() * numDirections;
  // One list for both directions is common enough to accept.
  if (names.size() == defaults.size() && numDirections == 2)
    names.append(SmallVector<StringRef>(names));
  if (names.size() != expected)
    return node.emitError() << "expects " << expected << " activations (" << defaults.size()
                            << " per direction), got " << names.size(),
           failure();
  SmallVector<float> alphas = node.getFloats("activation_alpha").value_or(SmallVector<float>{});
  SmallVector<float> betas = node.getFloats("activation_beta").value_or(SmallVector<float>{});
  size_t nextAlpha = 0, nextBeta = 0;
  SmallVector<Activation> activations;
  for (StringRef name : names) {
    ActivationKind kind = llvm::StringSwitch<ActivationKind>(name.lower())
                              .Case("relu", ActivationKind::Relu)
                              .Case("tanh", ActivationKind::Tanh)
                              .Case("sigmoid", ActivationKind::Sigmoid)
                              .Case("affine", ActivationKind::Affine)
                              .Case("leakyrelu", ActivationKind::LeakyRelu)
                              .Case("thresholdedrelu", ActivationKind::ThresholdedRelu)
                              .Case("scaledtanh", ActivationKind::ScaledTanh)
                              .Case("hardsigmoid", ActivationKind::HardSigmoid)
                              .Case("elu", ActivationKind::Elu)
                              .Case("softsign", ActivationKind::Softsign)
                              .Case("softplus", ActivationKind::Softplus)
                              .Default(ActivationKind::Unknown);
    if (kind == ActivationKind::Unknown)
      return node.emitError() << "unknown activation '" << name << "'", failure();
    ActivationParams params = paramsOf(kind);
    Activation activation{kind, params.defaultAlpha, params.defaultBeta};
    if (params.alpha && nextAlpha < alphas.size())
      activation.alpha = alphas[nextAlpha++];
    if (params.beta && nextBeta < betas.size())
      activation.beta = betas[nextBeta++];
    activations.push_back(activation);
  }
  return activations;
}

/// Everything a step needs that does not change from step to step.
struct RecurrentNode {
  Cell cell;
  int64_t hidden, seqLength, numDirections;
  bool reverseOnly;
  Type element;
  std::optional<float> clip;
  bool linearBeforeReset = false, inputForget = false;
  SmallVector<Activation> activations;
};

class RecurrentBuilder {
public:
  RecurrentBuilder(OnnxNode &node, const RecurrentNode &info) : node(node), info(info) {}

  Value scalar(double value) { return node.scalar(info.element, value); }

  /// Applies an activation; `clip` bounds gate inputs first (not the cell
  /// state that LSTM's h reads, as in ONNX Runtime).
  Value activate(const Activation &activation, Value x, bool clip = true) {
    OpBuilder &b = node.getBuilder();
    if (clip && info.clip)
      x = node.create<ClipOp>(x, b.getF64FloatAttr(-*info.clip), b.getF64FloatAttr(*info.clip));
    switch (activation.kind) {
    case ActivationKind::Relu:
      return node.create<ReluOp>(x);
    case ActivationKind::Tanh:
      return node.create<TanhOp>(x);
    case ActivationKind::Sigmoid:
      return node.create<SigmoidOp>(x);
    case ActivationKind::Affine:
      return node.create<AddOp>(node.create<MulOp>(x, scalar(activation.alpha)),
                                scalar(activation.beta));
    case ActivationKind::LeakyRelu:
      return node.create<LeakyReluOp>(x, b.getF32FloatAttr(activation.alpha));
    case ActivationKind::ThresholdedRelu:
      return node.create<ThresholdedReluOp>(x, b.getF32FloatAttr(activation.alpha));
    case ActivationKind::ScaledTanh: {
      Value inner = node.create<TanhOp>(node.create<MulOp>(x, scalar(activation.beta)));
      return node.create<MulOp>(inner, scalar(activation.alpha));
    }
    case ActivationKind::HardSigmoid:
      return node.create<HardSigmoidOp>(x, b.getF32FloatAttr(activation.alpha),
                                        b.getF32FloatAttr(activation.beta));
    case ActivationKind::Elu:
      return node.create<EluOp>(x, b.getF32FloatAttr(activation.alpha));
    case ActivationKind::Softsign:
      return node.create<SoftsignOp>(x);
    case ActivationKind::Softplus:
      return node.create<SoftplusOp>(x);
    case ActivationKind::Unknown:
      break;
    }
    llvm_unreachable("activations are checked when read");
  }

  /// Columns [begin, begin + size) of a [rows, cols] value.
  Value columns(Value value, int64_t begin, int64_t size) {
    OpBuilder &b = node.getBuilder();
    return node.create<SliceOp>(value, b.getDenseI64ArrayAttr({1}), b.getDenseI64ArrayAttr({begin}),
                                b.getDenseI64ArrayAttr({begin + size}),
                                b.getDenseI64ArrayAttr({1}));
  }

  /// Cuts [batch, n * hidden] into n pieces of [batch, hidden].
  SmallVector<Value> gates(Value value, int64_t count) {
    if (count == 1)
      return {value};
    OpBuilder &b = node.getBuilder();
    auto split =
        node.create<SplitOp>(value, b.getI64IntegerAttr(1),
                             b.getDenseI64ArrayAttr(SmallVector<int64_t>(count, info.hidden)));
    return SmallVector<Value>(split.getResults());
  }

  Value transposed(Value weight) {
    return node.create<TransposeOp>(weight, node.getBuilder().getDenseI64ArrayAttr({1, 0}));
  }

  /// R^T of one direction, [hidden, gates * hidden]. GRU without
  /// linear_before_reset multiplies H by the z and r columns and r * H by
  /// the h columns, so it keeps the two apart.
  struct Recurrence {
    Value all, resetGates, hidden;
  };
  Recurrence recurrence(Value r) {
    if (info.cell == Cell::Gru && !info.linearBeforeReset)
      return {Value(), transposed(rows(r, 0, 2 * info.hidden)),
              transposed(rows(r, 2 * info.hidden, info.hidden))};
    return {transposed(r), Value(), Value()};
  }

  /// One step of one direction: the new hidden (and cell) state from the
  /// step's input projection `xw` ([batch, gates * hidden], biases in).
  struct State {
    Value h, c;
  };
  State step(const State &state, Value xw, const Recurrence &r, Value recurrentBiasH,
             ArrayRef<Value> peepholes, ArrayRef<Activation> activations) {
    int64_t gateCount = numGates(info.cell);
    switch (info.cell) {
    case Cell::Rnn: {
      Value pre = node.create<AddOp>(xw, node.create<MatMulOp>(state.h, r.all));
      return {activate(activations[0], pre), Value()};
    }
    case Cell::Gru: {
      SmallVector<Value> x = gates(xw, gateCount);
      Value z, reset, candidate;
      if (info.linearBeforeReset) {
        SmallVector<Value> hr = gates(node.create<MatMulOp>(state.h, r.all), gateCount);
        z = activate(activations[0], node.create<AddOp>(x[0], hr[0]));
        reset = activate(activations[0], node.create<AddOp>(x[1], hr[1]));
        Value linear = recurrentBiasH ? node.create<AddOp>(hr[2], recurrentBiasH) : hr[2];
        candidate =
            activate(activations[1], node.create<AddOp>(x[2], node.create<MulOp>(reset, linear)));
      } else {
        // The reset gate applies to H before its matmul with Rh.
        SmallVector<Value> hr = gates(node.create<MatMulOp>(state.h, r.resetGates), 2);
        z = activate(activations[0], node.create<AddOp>(x[0], hr[0]));
        reset = activate(activations[0], node.create<AddOp>(x[1], hr[1]));
        Value resetH = node.create<MulOp>(reset, state.h);
        candidate = activate(activations[1],
                             node.create<AddOp>(x[2], node.create<MatMulOp>(resetH, r.hidden)));
      }
      // H = (1 - z) * candidate + z * H
      Value keep = node.create<SubOp>(scalar(1.0), z);
      Value h =
          node.create<AddOp>(node.create<MulOp>(keep, candidate), node.create<MulOp>(z, state.h));
      return {h, Value()};
    }
    case Cell::Lstm: {
      SmallVector<Value> pre =
          gates(node.create<AddOp>(xw, node.create<MatMulOp>(state.h, r.all)), 4);
      // Gate order i, o, f, c; peepholes i, o, f.
      Value preI = pre[0], preO = pre[1], preF = pre[2], preC = pre[3];
      if (!peepholes.empty()) {
        preI = node.create<AddOp>(preI, node.create<MulOp>(peepholes[0], state.c));
        preF = node.create<AddOp>(preF, node.create<MulOp>(peepholes[2], state.c));
      }
      Value i = activate(activations[0], preI);
      Value f = info.inputForget ? Value(node.create<SubOp>(scalar(1.0), i))
                                 : activate(activations[0], preF);
      Value candidate = activate(activations[1], preC);
      Value c =
          node.create<AddOp>(node.create<MulOp>(f, state.c), node.create<MulOp>(i, candidate));
      if (!peepholes.empty())
        preO = node.create<AddOp>(preO, node.create<MulOp>(peepholes[1], c));
      Value o = activate(activations[0], preO);
      Value h = node.create<MulOp>(o, activate(activations[2], c, /*clip=*/false));
      return {h, c};
    }
    }
    llvm_unreachable("all cells handled");
  }

  /// Rows [begin, begin + size) of a [rows, cols] value.
  Value rows(Value value, int64_t begin, int64_t size) {
    OpBuilder &b = node.getBuilder();
    return node.create<SliceOp>(value, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({begin}),
                                b.getDenseI64ArrayAttr({begin + size}),
                                b.getDenseI64ArrayAttr({1}));
  }

private:
  OnnxNode &node;
  const RecurrentNode &info;
};

/// Reads and checks the attributes and input shapes shared by the cells.
FailureOr<RecurrentNode> readRecurrentNode(OnnxNode &node, Cell cell, Value x, Value w, Value r) {
  RecurrentNode info;
  info.cell = cell;
  info.element = getElementTypeOf(x);
  StringRef direction = node.getString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return node.emitError() << "direction must be forward, reverse or bidirectional, not '"
                            << direction << "'",
           failure();
  info.numDirections = direction == "bidirectional" ? 2 : 1;
  info.reverseOnly = direction == "reverse";
  auto xShape = getShapeOf(x), wShape = getShapeOf(w), rShape = getShapeOf(r);
  if (!xShape || xShape->size() != 3 || !wShape || wShape->size() != 3 || !rShape ||
      rShape->size() != 3)
    return node.emitError() << "X, W and R must be 3-D tensors of known rank", failure();
  int64_t layout = node.getOpset() >= 14 ? node.getInt("layout", 0) : 0;
  if (layout != 0 && layout != 1)
    return node.emitError() << "layout must be 0 or 1, not " << layout, failure();
  info.seqLength = (*xShape)[layout == 0 ? 0 : 1];
  if (info.seqLength == kDynamic)
    return node.emitError() << "the sequence length of X is dynamic; r1c unrolls recurrent ops "
                               "over it, which needs it when compiling",
           failure();
  if (info.seqLength == 0)
    return node.emitError() << "the sequence of X is empty", failure();
  info.hidden = node.getInt("hidden_size", (*rShape)[2]);
  if (info.hidden == kDynamic || info.hidden <= 0)
    return node.emitError() << "needs hidden_size, or R with a static last dim", failure();
  int64_t gates = numGates(cell);
  auto mismatch = [&](StringRef what, int64_t dim, int64_t expected) {
    return dim != kDynamic && dim != expected
               ? (node.emitError() << what << " is " << dim << ", expected " << expected, true)
               : false;
  };
  if (mismatch("the first dim of W (directions)", (*wShape)[0], info.numDirections) ||
      mismatch("the second dim of W (gates x hidden_size)", (*wShape)[1], gates * info.hidden) ||
      mismatch("the last dim of W (input size)", (*wShape)[2], (*xShape)[2]) ||
      mismatch("the first dim of R (directions)", (*rShape)[0], info.numDirections) ||
      mismatch("the second dim of R (gates x hidden_size)", (*rShape)[1], gates * info.hidden) ||
      mismatch("the last dim of R (hidden_size)", (*rShape)[2], info.hidden))
    return failure();
  if ((*xShape)[2] == kDynamic)
    return node.emitError() << "needs a static input size (the last dim of X)", failure();
  if (info.seqLength * info.numDirections > kMaxUnrolledNodes / kNodesPerStep)
    return node.emitError() << "unrolling " << info.seqLength << " steps in " << info.numDirections
                            << " direction(s) is beyond r1c's limit of "
                            << kMaxUnrolledNodes / kNodesPerStep << " steps",
           failure();
  if (node.hasAttr("clip")) {
    info.clip = node.getFloat("clip", 0);
    if (*info.clip < 0)
      return node.emitError() << "clip must not be negative", failure();
  }
  info.linearBeforeReset = node.getInt("linear_before_reset", 0) != 0;
  info.inputForget = node.getInt("input_forget", 0) != 0;
  FailureOr<SmallVector<Activation>> activations = getActivations(node, cell, info.numDirections);
  if (failed(activations))
    return failure();
  info.activations = std::move(*activations);
  return info;
}

Result legalizeRecurrent(OnnxNode &node, Cell cell) {
  FailureOr<Value> xIn = node.requiredInput(0), w = node.requiredInput(1),
                   r = node.requiredInput(2);
  if (failed(xIn) || failed(w) || failed(r))
    return failure();
  FailureOr<RecurrentNode> read = readRecurrentNode(node, cell, *xIn, *w, *r);
  if (failed(read))
    return failure();
  const RecurrentNode &info = *read;
  RecurrentBuilder rb(node, info);
  OpBuilder &b = node.getBuilder();
  bool batchFirst = node.getOpset() >= 14 && node.getInt("layout", 0) == 1;
  Value bias = node.input(3), lengths = node.input(4), initialH = node.input(5);
  Value initialC = cell == Cell::Lstm ? node.input(6) : Value();
  Value peepholes = cell == Cell::Lstm ? node.input(7) : Value();
  int64_t hidden = info.hidden, gates = numGates(cell), width = gates * hidden;
  int64_t seq = info.seqLength, dirs = info.numDirections;

  // From here on X is [seq, batch, input], initial states [dirs, batch, hidden].
  auto swap01 = [&](Value value) -> Value {
    int64_t rank = getShapeOf(value)->size();
    SmallVector<int64_t> perm{1, 0};
    for (int64_t i = 2; i < rank; ++i)
      perm.push_back(i);
    return node.create<TransposeOp>(value, b.getDenseI64ArrayAttr(perm));
  };
  Value x = batchFirst ? swap01(*xIn) : *xIn;
  for (Value *state : {&initialH, &initialC})
    if (*state && batchFirst) {
      if (!getShapeOf(*state) || getShapeOf(*state)->size() != 3)
        return node.emitError() << "initial states must be 3-D", failure();
      *state = swap01(*state);
    }
  int64_t inputSize = (*getShapeOf(x))[2];

  // Every step's input projection at once: [seq * batch, input] x W^T for
  // all directions, with the biases that add to it.
  Value flatX = node.create<ReshapeOp>(x, node.i64Vector({-1, inputSize}), b.getBoolAttr(false));
  Value allW =
      node.create<ReshapeOp>(*w, node.i64Vector({dirs * width, inputSize}), b.getBoolAttr(false));
  Value projected = node.create<MatMulOp>(flatX, rb.transposed(allW));
  // GRU with linear_before_reset keeps Rbh inside the reset product.
  SmallVector<Value> recurrentBiasH(dirs);
  if (bias) {
    if (!getShapeOf(bias) || getShapeOf(bias)->size() != 2)
      return node.emitError() << "B must be 2-D", failure();
    Value wb = rb.columns(bias, 0, width), rbias = rb.columns(bias, width, width);
    Value inputBias;
    if (cell == Cell::Gru && info.linearBeforeReset) {
      Value rbh = rb.columns(rbias, 2 * hidden, hidden);
      for (int64_t d = 0; d < dirs; ++d)
        recurrentBiasH[d] = takeAlong(node, rbh, 0, d);
      Value zr =
          node.create<AddOp>(rb.columns(wb, 0, 2 * hidden), rb.columns(rbias, 0, 2 * hidden));
      inputBias = node.create<ConcatOp>(ValueRange{zr, rb.columns(wb, 2 * hidden, hidden)},
                                        b.getI64IntegerAttr(1));
    } else {
      inputBias = node.create<AddOp>(wb, rbias);
    }
    Value flatBias =
        node.create<ReshapeOp>(inputBias, node.i64Vector({dirs * width}), b.getBoolAttr(false));
    projected = node.create<AddOp>(projected, flatBias);
  }
  projected = node.create<ReshapeOp>(projected, node.i64Vector({seq, -1, dirs * width}),
                                     b.getBoolAttr(false));

  // States start at zero unless given.
  Value zeros;
  auto zeroState = [&]() {
    if (!zeros) {
      Value batch = node.create<ShapeOp>(x, b.getI64IntegerAttr(1), b.getI64IntegerAttr(2));
      Value shape = node.create<ConcatOp>(ValueRange{batch, node.i64Vector({hidden})},
                                          b.getI64IntegerAttr(0));
      auto one = RankedTensorType::get({1}, info.element);
      zeros = node.create<ConstantOfShapeOp>(
          shape, cast<ElementsAttr>(DenseElementsAttr::get(one, b.getZeroAttr(info.element))));
    }
    return zeros;
  };

  // sequence_lens equal to the sequence length everywhere change nothing.
  if (lengths)
    if (auto known = node.constantInts(4);
        known && llvm::all_of(*known, [&](int64_t l) { return l == seq; }))
      lengths = nullptr;
  Type lengthType = lengths ? getElementTypeOf(lengths) : Type();
  // [batch, 1]: whether step `s` (counted from the direction's start) is
  // inside each entry's sequence.
  auto inside = [&](int64_t s) -> Value {
    Value less = node.create<LessOp>(node.scalar(lengthType, double(s)), lengths);
    return node.create<UnsqueezeOp>(less, b.getDenseI64ArrayAttr({1}));
  };
  // [seq, batch, width] indices that reverse each entry within its own
  // length: index s reads time max(length - 1 - s, 0).
  auto reversalIndices = [&](Value like) -> Value {
    Value steps = node.create<UnsqueezeOp>(
        node.create<RangeOp>(node.scalar(lengthType, 0), node.scalar(lengthType, double(seq)),
                             node.scalar(lengthType, 1)),
        b.getDenseI64ArrayAttr({1}));
    Value last = node.create<SubOp>(lengths, node.scalar(lengthType, 1));
    Value index = node.create<MaxOp>(node.create<SubOp>(last, steps), node.scalar(lengthType, 0));
    Value shape = node.create<ShapeOp>(like, b.getI64IntegerAttr(0), b.getI64IntegerAttr(3));
    return node.create<ExpandOp>(node.create<UnsqueezeOp>(index, b.getDenseI64ArrayAttr({2})),
                                 shape);
  };

  SmallVector<Value> ys, finalH, finalC;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = info.reverseOnly || d == 1;
    ArrayRef<Activation> activations =
        ArrayRef<Activation>(info.activations)
            .slice(d * defaultActivations(cell).size(), defaultActivations(cell).size());
    // [seq, batch, width] of this direction, in the order its steps read it.
    Value xw = node.create<SliceOp>(
        projected, b.getDenseI64ArrayAttr({2}), b.getDenseI64ArrayAttr({d * width}),
        b.getDenseI64ArrayAttr({(d + 1) * width}), b.getDenseI64ArrayAttr({1}));
    Value reversal;
    if (reverse && lengths) {
      reversal = reversalIndices(xw);
      xw = node.create<GatherElementsOp>(xw, reversal, b.getI64IntegerAttr(0));
    }
    RecurrentBuilder::Recurrence rd = rb.recurrence(takeAlong(node, *r, 0, d));
    SmallVector<Value> peep;
    if (peepholes) {
      Value pd = takeAlong(node, peepholes, 0, d);
      for (int64_t g = 0; g < 3; ++g)
        peep.push_back(node.create<SliceOp>(
            pd, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({g * hidden}),
            b.getDenseI64ArrayAttr({(g + 1) * hidden}), b.getDenseI64ArrayAttr({1})));
    }
    RecurrentBuilder::State state{initialH ? takeAlong(node, initialH, 0, d) : zeroState(),
                                  Value()};
    if (cell == Cell::Lstm)
      state.c = initialC ? takeAlong(node, initialC, 0, d) : zeroState();

    SmallVector<Value> outputs(seq);
    for (int64_t s = 0; s < seq; ++s) {
      // Without sequence_lens the reverse direction reads time seq - 1 - s
      // directly; with them xw is already in step order.
      int64_t time = reverse && !lengths ? seq - 1 - s : s;
      Value xt = takeAlong(node, xw, 0, time);
      RecurrentBuilder::State next = rb.step(state, xt, rd, recurrentBiasH[d], peep, activations);
      if (lengths) {
        Value mask = inside(s);
        outputs[reverse ? s : time] = node.create<WhereOp>(mask, next.h, rb.scalar(0));
        next.h = node.create<WhereOp>(mask, next.h, state.h);
        if (next.c)
          next.c = node.create<WhereOp>(mask, next.c, state.c);
      } else {
        outputs[time] = next.h;
      }
      state = next;
    }
    Value y = stackAlong(node, outputs, 0);
    if (reversal) {
      // Back from step order to time order; rows past an entry's length are
      // zeros already in step order, but the gather repeats row 0 there.
      Value steps =
          node.create<SliceOp>(reversal, b.getDenseI64ArrayAttr({2}), b.getDenseI64ArrayAttr({0}),
                               b.getDenseI64ArrayAttr({hidden}), b.getDenseI64ArrayAttr({1}));
      Value gathered = node.create<GatherElementsOp>(y, steps, b.getI64IntegerAttr(0));
      SmallVector<Value> masks;
      for (int64_t t = 0; t < seq; ++t)
        masks.push_back(inside(t));
      Value mask = stackAlong(node, masks, 0);
      y = node.create<WhereOp>(mask, gathered, rb.scalar(0));
    }
    ys.push_back(y);
    finalH.push_back(state.h);
    if (state.c)
      finalC.push_back(state.c);
  }

  // Y is [seq, dirs, batch, hidden]; Y_h and Y_c [dirs, batch, hidden].
  Value y = stackAlong(node, ys, 1);
  Value yh = stackAlong(node, finalH, 0);
  Value yc = cell == Cell::Lstm ? stackAlong(node, finalC, 0) : Value();
  if (batchFirst) {
    y = node.create<TransposeOp>(y, b.getDenseI64ArrayAttr({2, 0, 1, 3}));
    yh = swap01(yh);
    if (yc)
      yc = swap01(yc);
  }
  SmallVector<Value> outputs{y, yh};
  if (yc)
    outputs.push_back(yc);
  outputs.resize(std::min<size_t>(outputs.size(), node.getNumOutputs()));
  return outputs;
}

Result legalizeRnn(OnnxNode &node) { return legalizeRecurrent(node, Cell::Rnn); }
Result legalizeGru(OnnxNode &node) { return legalizeRecurrent(node, Cell::Gru); }
Result legalizeLstm(OnnxNode &node) { return legalizeRecurrent(node, Cell::Lstm); }

} // namespace

void mlir::r1::addRecurrent(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"GRU", 7, legalizeGru},
      {"LSTM", 7, legalizeLstm},
      {"RNN", 7, legalizeRnn},
  });
}
