//===- Recurrent.cpp - ONNX RNN, GRU and LSTM -----------------------------===//
//
// A recurrent node becomes two parts. The input projection of every step
// does not depend on the state, so it is one matmul up front
// ([seq * batch, input] x W^T, both directions at once, biases added),
// which runs as an ordinary GEMM. The time loop that remains is one
// r1.recurrence on R as given, which host and GPU code run as one kernel,
// each step being the recurrent product h x R^T and the gates.
//
// layout = 1 (batch first) becomes transposes around the two parts.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// The activations one direction applies: f for RNN; f, g for GRU; f, g, h
/// for LSTM.
SmallVector<StringRef> defaultActivations(RecurrentCell cell) {
  if (cell == RecurrentCell::rnn)
    return {"Tanh"};
  if (cell == RecurrentCell::gru)
    return {"Sigmoid", "Tanh"};
  return {"Sigmoid", "Tanh", "Tanh"};
}

int64_t numGates(RecurrentCell cell) {
  return cell == RecurrentCell::rnn ? 1 : cell == RecurrentCell::gru ? 3 : 4;
}

struct Activation {
  RecurrentActivation kind;
  float alpha = 0, beta = 0;
};

/// Whether an activation takes alpha and beta, and their defaults: those
/// of the ONNX operator of that name.
struct ActivationParams {
  bool alpha, beta;
  float defaultAlpha, defaultBeta;
};

ActivationParams paramsOf(RecurrentActivation kind) {
  switch (kind) {
  case RecurrentActivation::affine:
    return {true, true, 1.0f, 0.0f};
  case RecurrentActivation::leaky_relu:
    return {true, false, 0.01f, 0.0f};
  case RecurrentActivation::thresholded_relu:
    return {true, false, 1.0f, 0.0f};
  case RecurrentActivation::scaled_tanh:
    return {true, true, 1.0f, 1.0f};
  case RecurrentActivation::hard_sigmoid:
    return {true, true, 0.2f, 0.5f};
  case RecurrentActivation::elu:
    return {true, false, 1.0f, 0.0f};
  default:
    return {false, false, 0.0f, 0.0f};
  }
}

/// The activations of every direction, with their alphas and betas: the
/// `activation_alpha` and `activation_beta` lists are consumed in order by
/// the activations that take them.
FailureOr<SmallVector<Activation>> getActivations(OnnxNode &node, RecurrentCell cell,
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
    std::optional<RecurrentActivation> kind =
        llvm::StringSwitch<std::optional<RecurrentActivation>>(name.lower())
            .Case("relu", RecurrentActivation::relu)
            .Case("tanh", RecurrentActivation::tanh)
            .Case("sigmoid", RecurrentActivation::sigmoid)
            .Case("affine", RecurrentActivation::affine)
            .Case("leakyrelu", RecurrentActivation::leaky_relu)
            .Case("thresholdedrelu", RecurrentActivation::thresholded_relu)
            .Case("scaledtanh", RecurrentActivation::scaled_tanh)
            .Case("hardsigmoid", RecurrentActivation::hard_sigmoid)
            .Case("elu", RecurrentActivation::elu)
            .Case("softsign", RecurrentActivation::softsign)
            .Case("softplus", RecurrentActivation::softplus)
            .Default(std::nullopt);
    if (!kind)
      return node.emitError() << "unknown activation '" << name << "'", failure();
    ActivationParams params = paramsOf(*kind);
    Activation activation{*kind, params.defaultAlpha, params.defaultBeta};
    if (params.alpha && nextAlpha < alphas.size())
      activation.alpha = alphas[nextAlpha++];
    if (params.beta && nextBeta < betas.size())
      activation.beta = betas[nextBeta++];
    activations.push_back(activation);
  }
  return activations;
}

/// The node's attributes, checked against the shapes of X, W and R.
struct RecurrentNode {
  RecurrentCell cell;
  RecurrentDirection direction;
  int64_t hidden, seqLength, numDirections;
  std::optional<float> clip;
  bool linearBeforeReset = false, inputForget = false, batchFirst = false;
  SmallVector<Activation> activations;
};

FailureOr<RecurrentNode> readRecurrentNode(OnnxNode &node, RecurrentCell cell, Value x, Value w,
                                           Value r) {
  RecurrentNode info;
  info.cell = cell;
  StringRef direction = node.getString("direction", "forward");
  std::optional<RecurrentDirection> parsed =
      llvm::StringSwitch<std::optional<RecurrentDirection>>(direction)
          .Case("forward", RecurrentDirection::forward)
          .Case("reverse", RecurrentDirection::reverse)
          .Case("bidirectional", RecurrentDirection::bidirectional)
          .Default(std::nullopt);
  if (!parsed)
    return node.emitError() << "direction must be forward, reverse or bidirectional, not '"
                            << direction << "'",
           failure();
  info.direction = *parsed;
  info.numDirections = info.direction == RecurrentDirection::bidirectional ? 2 : 1;
  auto xShape = getShapeOf(x), wShape = getShapeOf(w), rShape = getShapeOf(r);
  if (!xShape || xShape->size() != 3 || !wShape || wShape->size() != 3 || !rShape ||
      rShape->size() != 3)
    return node.emitError() << "X, W and R must be 3-D tensors of known rank", failure();
  int64_t layout = node.getOpset() >= 14 ? node.getInt("layout", 0) : 0;
  if (layout != 0 && layout != 1)
    return node.emitError() << "layout must be 0 or 1, not " << layout, failure();
  info.batchFirst = layout == 1;
  info.seqLength = (*xShape)[layout == 0 ? 0 : 1];
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

Result legalizeRecurrent(OnnxNode &node, RecurrentCell cell) {
  FailureOr<Value> xIn = node.requiredInput(0), w = node.requiredInput(1),
                   r = node.requiredInput(2);
  if (failed(xIn) || failed(w) || failed(r))
    return failure();
  FailureOr<RecurrentNode> read = readRecurrentNode(node, cell, *xIn, *w, *r);
  if (failed(read))
    return failure();
  const RecurrentNode &info = *read;
  OpBuilder &b = node.getBuilder();
  Value bias = node.input(3), lengths = node.input(4), initialH = node.input(5);
  bool lstm = cell == RecurrentCell::lstm;
  Value initialC = lstm ? node.input(6) : Value();
  Value peepholes = lstm ? node.input(7) : Value();
  int64_t hidden = info.hidden, width = numGates(cell) * hidden, dirs = info.numDirections;
  bool resetBias = cell == RecurrentCell::gru && info.linearBeforeReset;

  auto transpose = [&](Value value, ArrayRef<int64_t> perm) -> Value {
    return node.create<TransposeOp>(value, b.getDenseI64ArrayAttr(perm));
  };
  auto columns = [&](Value value, int64_t begin, int64_t size) -> Value {
    return node.create<SliceOp>(value, b.getDenseI64ArrayAttr({1}), b.getDenseI64ArrayAttr({begin}),
                                b.getDenseI64ArrayAttr({begin + size}),
                                b.getDenseI64ArrayAttr({1}));
  };

  // From here on X is [seq, batch, input], initial states [dirs, batch, hidden].
  Value x = info.batchFirst ? transpose(*xIn, {1, 0, 2}) : *xIn;
  for (Value *state : {&initialH, &initialC})
    if (*state && info.batchFirst) {
      if (!getShapeOf(*state) || getShapeOf(*state)->size() != 3)
        return node.emitError() << "initial states must be 3-D", failure();
      *state = transpose(*state, {1, 0, 2});
    }
  int64_t inputSize = (*getShapeOf(x))[2];

  // Every step's input projection at once: [seq * batch, input] x W^T for
  // all directions, with the biases that add to it.
  Value flatX = node.create<ReshapeOp>(x, node.i64Vector({-1, inputSize}), b.getBoolAttr(false));
  Value allW =
      node.create<ReshapeOp>(*w, node.i64Vector({dirs * width, inputSize}), b.getBoolAttr(false));
  Value projected = node.create<MatMulOp>(flatX, transpose(allW, {1, 0}));
  // GRU with linear_before_reset keeps Rbh inside the reset product.
  Value recurrentBiasH;
  if (bias) {
    if (!getShapeOf(bias) || getShapeOf(bias)->size() != 2)
      return node.emitError() << "B must be 2-D", failure();
    Value wb = columns(bias, 0, width), rbias = columns(bias, width, width);
    Value inputBias;
    if (resetBias) {
      recurrentBiasH = columns(rbias, 2 * hidden, hidden);
      Value zr = node.create<AddOp>(columns(wb, 0, 2 * hidden), columns(rbias, 0, 2 * hidden));
      inputBias = node.create<ConcatOp>(ValueRange{zr, columns(wb, 2 * hidden, hidden)},
                                        b.getI64IntegerAttr(1));
    } else {
      inputBias = node.create<AddOp>(wb, rbias);
    }
    Value flatBias =
        node.create<ReshapeOp>(inputBias, node.i64Vector({dirs * width}), b.getBoolAttr(false));
    projected = node.create<AddOp>(projected, flatBias);
  }
  // Back to [seq, batch, dirs * width]; seq and batch may be symbolic.
  Value seqAndBatch = node.create<ShapeOp>(x, b.getI64IntegerAttr(0), b.getI64IntegerAttr(2));
  Value projectedShape = node.create<ConcatOp>(
      ValueRange{seqAndBatch, node.i64Vector({dirs * width})}, b.getI64IntegerAttr(0));
  projected = node.create<ReshapeOp>(projected, projectedShape, b.getBoolAttr(false));

  // sequence_lens equal to the sequence length everywhere change nothing.
  if (lengths && info.seqLength != kDynamic)
    if (auto known = node.constantInts(4);
        known && llvm::all_of(*known, [&](int64_t l) { return l == info.seqLength; }))
      lengths = nullptr;

  SmallVector<Attribute> kinds;
  SmallVector<float> alphas, betas;
  for (const Activation &activation : info.activations) {
    kinds.push_back(RecurrentActivationAttr::get(b.getContext(), activation.kind));
    alphas.push_back(activation.alpha);
    betas.push_back(activation.beta);
  }
  auto recurrence = node.create<RecurrenceOp>(
      projected, *r, initialH, initialC, lengths, peepholes, recurrentBiasH,
      RecurrentCellAttr::get(b.getContext(), cell),
      RecurrentDirectionAttr::get(b.getContext(), info.direction), b.getArrayAttr(kinds),
      b.getDenseF32ArrayAttr(alphas), b.getDenseF32ArrayAttr(betas),
      info.clip ? b.getF32FloatAttr(*info.clip) : FloatAttr(),
      b.getBoolAttr(info.linearBeforeReset), b.getBoolAttr(info.inputForget));

  // Y is [seq, dirs, batch, hidden]; Y_h and Y_c [dirs, batch, hidden].
  Value y = recurrence.getY(), yh = recurrence.getYH(), yc = recurrence.getYC();
  if (info.batchFirst) {
    y = transpose(y, {2, 0, 1, 3});
    yh = transpose(yh, {1, 0, 2});
    if (yc)
      yc = transpose(yc, {1, 0, 2});
  }
  SmallVector<Value> outputs{y, yh};
  if (yc)
    outputs.push_back(yc);
  outputs.resize(std::min<size_t>(outputs.size(), node.getNumOutputs()));
  return outputs;
}

Result legalizeRnn(OnnxNode &node) { return legalizeRecurrent(node, RecurrentCell::rnn); }
Result legalizeGru(OnnxNode &node) { return legalizeRecurrent(node, RecurrentCell::gru); }
Result legalizeLstm(OnnxNode &node) { return legalizeRecurrent(node, RecurrentCell::lstm); }

} // namespace

void mlir::r1::addRecurrent(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"GRU", 7, legalizeGru},
      {"LSTM", 7, legalizeLstm},
      {"RNN", 7, legalizeRnn},
  });
}
