//===- Random.cpp - Random values from a counter-based hash ---------------===//
//
// RandomUniform(Like), RandomNormal(Like), Bernoulli and Dropout in
// training mode draw from a hash of each element's position and the
// node's seed: integer ops on an iota, so they decompose into r1 ops that
// run on every target, in parallel, with no state between elements. The
// hash is 32-bit (two rounds of multiply and xor-shift), kept in i64 with
// multipliers below 2^31 so that no product overflows. A node without a
// seed gets one from its output's name, fixed when the model is compiled:
// every run of an artifact draws the same values, as ONNX allows (the seed
// is "auto-generated" once).
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/Hashing.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

constexpr int64_t kLow32 = 0xFFFFFFFF;

/// Draws uniform values in [0, 1) of `element`, shaped `shape`: stream
/// `stream` of the node's seed (a normal draw uses two streams).
class HashStream {
public:
  explicit HashStream(OnnxNode &node) : node(node), i64(node.getBuilder().getI64Type()) {
    if (node.hasAttr("seed")) {
      seed = int64_t(llvm::bit_cast<uint32_t>(node.getFloat("seed", 0)));
    } else {
      Location loc = node.getLoc();
      seed = int64_t(llvm::hash_value(isa<NameLoc>(loc) ? cast<NameLoc>(loc).getName().str()
                                                        : std::string("r1c")) &
                     kLow32);
    }
  }

  Value uniform(ArrayRef<int64_t> shape, Type element, int64_t stream) {
    OpBuilder &b = node.getBuilder();
    int64_t count = productOfDims(shape);
    // Each element's counter is its position, offset by seed and stream.
    int64_t offset = (seed * 0x9E37 + stream * 0x632BE5AB) & kLow32;
    Value h = node.create<BitwiseAndOp>(
        node.create<AddOp>(node.iota(count), node.scalar(i64, double(offset))), low32());
    h = mix(h, 0x7FEB352D, 15);
    h = mix(h, 0x5BD1E995, 16);
    h = node.create<BitwiseXorOp>(h, shiftRight(h, 16));
    // The top 24 bits, as a fraction.
    Value fraction =
        node.create<MulOp>(node.create<CastOp>(shiftRight(h, 8), TypeAttr::get(b.getF32Type())),
                           node.scalar(b.getF32Type(), std::ldexp(1.0, -24)));
    Value shaped = node.create<ReshapeOp>(fraction, node.i64Vector(shape),
                                          node.getBuilder().getBoolAttr(false));
    if (element.isF32())
      return shaped;
    return node.create<CastOp>(shaped, TypeAttr::get(element));
  }

  /// Standard normal values (Box-Muller on two uniform streams).
  Value normal(ArrayRef<int64_t> shape, Type element) {
    Type f32 = node.getBuilder().getF32Type();
    Value u1 = uniform(shape, f32, 0), u2 = uniform(shape, f32, 1);
    // 1 - u1 is in (0, 1], so its log is finite.
    Value radius = node.create<SqrtOp>(node.create<MulOp>(
        node.create<LogOp>(node.create<SubOp>(node.scalar(f32, 1), u1)), node.scalar(f32, -2)));
    Value angle = node.create<MulOp>(u2, node.scalar(f32, 2 * M_PI));
    Value z = node.create<MulOp>(radius, node.create<CosOp>(angle));
    if (element.isF32())
      return z;
    return node.create<CastOp>(z, TypeAttr::get(element));
  }

private:
  Value low32() { return node.scalar(i64, double(kLow32)); }
  /// h >> bits for h in [0, 2^32).
  Value shiftRight(Value h, int64_t bits) {
    return node.create<DivOp>(h, node.scalar(i64, double(int64_t(1) << bits)));
  }
  /// (h ^ h >> shift) * multiplier, kept to 32 bits.
  Value mix(Value h, int64_t multiplier, int64_t shift) {
    Value x = node.create<BitwiseXorOp>(h, shiftRight(h, shift));
    return node.create<BitwiseAndOp>(node.create<MulOp>(x, node.scalar(i64, double(multiplier))),
                                     low32());
  }

  OnnxNode &node;
  Type i64;
  int64_t seed;
};

/// The static shape of the `*Like` input, or of the `shape` attribute.
FailureOr<SmallVector<int64_t>> drawShape(OnnxNode &node, bool like) {
  if (like) {
    FailureOr<Value> x = node.requiredInput(0);
    if (failed(x))
      return failure();
    auto shape = getShapeOf(*x);
    if (!shape || llvm::is_contained(*shape, kDynamic))
      return node.emitError() << "needs an input of static shape", failure();
    return SmallVector<int64_t>(*shape);
  }
  std::optional<SmallVector<int64_t>> shape = node.getInts("shape");
  if (!shape)
    return node.emitError() << "needs the 'shape' attribute", failure();
  return *shape;
}

/// The element type of `dtype`, else the `*Like` input's, else f32.
FailureOr<Type> drawType(OnnxNode &node, bool like) {
  if (node.hasAttr("dtype"))
    return getOnnxElementType(node, node.getInt("dtype", 1));
  if (like)
    return getElementTypeOf(node.input(0));
  return Type(node.getBuilder().getF32Type());
}

template <bool Like> Result legalizeRandomUniform(OnnxNode &node) {
  FailureOr<SmallVector<int64_t>> shape = drawShape(node, Like);
  FailureOr<Type> element = drawType(node, Like);
  if (failed(shape) || failed(element))
    return failure();
  double low = node.getFloat("low", 0), high = node.getFloat("high", 1);
  Value u = HashStream(node).uniform(*shape, *element, 0);
  return results(node.create<AddOp>(node.create<MulOp>(u, node.scalar(*element, high - low)),
                                    node.scalar(*element, low)));
}

template <bool Like> Result legalizeRandomNormal(OnnxNode &node) {
  FailureOr<SmallVector<int64_t>> shape = drawShape(node, Like);
  FailureOr<Type> element = drawType(node, Like);
  if (failed(shape) || failed(element))
    return failure();
  double mean = node.getFloat("mean", 0), scale = node.getFloat("scale", 1);
  Value z = HashStream(node).normal(*shape, *element);
  return results(node.create<AddOp>(node.create<MulOp>(z, node.scalar(*element, scale)),
                                    node.scalar(*element, mean)));
}

/// 1 with probability p (the input), else 0.
Result legalizeBernoulli(OnnxNode &node) {
  FailureOr<SmallVector<int64_t>> shape = drawShape(node, true);
  FailureOr<Type> element = drawType(node, true);
  if (failed(shape) || failed(element))
    return failure();
  Value p = node.input(0);
  Value u = HashStream(node).uniform(*shape, getElementTypeOf(p), 0);
  return results(node.create<CastOp>(node.create<LessOp>(u, p), TypeAttr::get(*element)));
}

/// In inference (training_mode absent or a constant false) Dropout is the
/// identity with an all-true mask. In training each element is kept with
/// probability 1 - ratio and scaled by 1 / (1 - ratio); a training_mode
/// given as data selects between the two at run time.
Result legalizeDropout(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  Value training = node.input(2);
  std::optional<double> constantTraining = training ? node.constantScalar(2) : std::optional(0.0);
  bool wantsMask = node.getNumOutputs() > 1 && node.isOutputUsed(1);
  OpBuilder &b = node.getBuilder();
  Type i1 = b.getI1Type();
  if (constantTraining && *constantTraining == 0) {
    SmallVector<Value> outputs = {*x};
    if (wantsMask) {
      std::optional<int64_t> rank = getRankOf(*x);
      if (!rank)
        return node.emitError() << "the mask output needs an input of known rank", failure();
      Value shape = node.create<ShapeOp>(*x, b.getI64IntegerAttr(0), b.getI64IntegerAttr(*rank));
      auto one = RankedTensorType::get({1}, i1);
      outputs.push_back(node.create<ConstantOfShapeOp>(
          shape, cast<ElementsAttr>(DenseElementsAttr::get(one, true))));
    }
    return outputs;
  }
  auto shape = getShapeOf(*x);
  if (!shape || llvm::is_contained(*shape, kDynamic))
    return node.emitError() << "training mode needs an input of static shape", failure();
  Type element = getElementTypeOf(*x);
  // The ratio is an attribute before opset 12, an input from then on.
  Value ratio = node.getOpset() >= 12 && node.input(1)
                    ? node.toScalar(node.input(1), element)
                    : node.scalar(element, node.getFloat("ratio", 0.5f));
  Value u = HashStream(node).uniform(*shape, element, 0);
  Value keep = node.create<GreaterEqualOp>(u, ratio);
  Value scale = node.create<DivOp>(node.scalar(element, 1),
                                   node.create<SubOp>(node.scalar(element, 1), ratio));
  Value dropped =
      node.create<WhereOp>(keep, node.create<MulOp>(*x, scale), node.scalar(element, 0));
  Value mask = keep;
  if (!constantTraining) {
    Value on = node.create<ReshapeOp>(training, node.i64Vector({}), b.getBoolAttr(false));
    if (getElementTypeOf(on) != i1)
      on = node.create<NotOp>(node.create<EqualOp>(on, node.scalar(getElementTypeOf(on), 0)));
    dropped = node.create<WhereOp>(on, dropped, *x);
    mask = node.create<OrOp>(keep, node.create<NotOp>(on));
  }
  SmallVector<Value> outputs = {dropped};
  if (wantsMask)
    outputs.push_back(mask);
  return outputs;
}

} // namespace

void mlir::r1::addRandomOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Bernoulli", 15, legalizeBernoulli},
      {"Dropout", 1, legalizeDropout},
      {"RandomNormal", 1, legalizeRandomNormal<false>},
      {"RandomNormalLike", 1, legalizeRandomNormal<true>},
      {"RandomUniform", 1, legalizeRandomUniform<false>},
      {"RandomUniformLike", 1, legalizeRandomUniform<true>},
  });
}
