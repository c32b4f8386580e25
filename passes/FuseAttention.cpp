//===- FuseAttention.cpp - One r1.attention for each attention exporters write ===//
//
// Exporters spell attention out:
//
//   scores = matmul(q, k^T)           k^T a transpose, or folded into one
//   scores = scores * c  or  / c      before or after the matmul, on q or k
//   scores = scores + bias            padding or position bias, any number
//   scores = where(keep, scores, f)   a boolean mask, f a constant
//   p      = softmax(scores)          over the keys (the last axis)
//   out    = matmul(p, v)
//
// with casts around the softmax in 16-bit models, a `where(is_nan(p), 0,
// p)` guard for rows that every key masks, and the head transposes before
// and after. The pass decides first: for every softmax it matches the
// chain from the first matmul to the second and records what it found
// (AttentionMatch). Then it applies: one r1.attention per match, reading
// q, k and v where the transposes found them. A chain whose middle values
// are read by anything else stays as it is, as does anything that does not
// match exactly: a softmax over another axis, a mask that is multiplied.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <limits>

namespace mlir::r1 {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// The value of a scalar that constants alone decide: a constant whose
/// elements are all equal, or casts, square roots and arithmetic of such
/// (a scale computed from the head dim, as some exporters leave it).
std::optional<double> scalarValue(Value value, int depth = 0) {
  if (depth > 8)
    return std::nullopt;
  DenseElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr))) {
    if (!attr.isSplat())
      return std::nullopt;
    if (auto floats = dyn_cast<DenseFPElementsAttr>(attr))
      return floats.getSplatValue<APFloat>().convertToDouble();
    if (auto ints = dyn_cast<DenseIntElementsAttr>(attr);
        ints && !ints.getElementType().isInteger(1))
      return double(ints.getSplatValue<APInt>().getSExtValue());
    return std::nullopt;
  }
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumResults() != 1)
    return std::nullopt;
  // Only scalars and one-element tensors: a larger one would broadcast.
  auto shape = getShapeOf(value);
  if (!shape || llvm::any_of(*shape, [](int64_t dim) { return dim != 1; }))
    return std::nullopt;
  auto operand = [&](unsigned i) { return scalarValue(def->getOperand(i), depth + 1); };
  if (isa<CastOp>(def))
    return operand(0);
  if (isa<SqrtOp>(def))
    if (auto x = operand(0); x && *x >= 0)
      return std::sqrt(*x);
  if (isa<ReciprocalOp>(def))
    if (auto x = operand(0))
      return 1 / *x;
  if (isa<MulOp, DivOp, AddOp, SubOp>(def)) {
    auto lhs = operand(0), rhs = operand(1);
    if (!lhs || !rhs)
      return std::nullopt;
    if (isa<MulOp>(def))
      return *lhs * *rhs;
    if (isa<DivOp>(def))
      return *lhs / *rhs;
    return isa<AddOp>(def) ? *lhs + *rhs : *lhs - *rhs;
  }
  return std::nullopt;
}

/// A tensor read by q, k or v: operand dim i is dim perm[i] of `source`
/// (-1 for a dim of 1 the source does not have). `top` is the operand with
/// only its scales stripped, for when the source's order is no view of
/// what the fused op reads.
struct Traced {
  Value source, top;
  SmallVector<int64_t> perm;
  double scale = 1, topScale = 1;
  /// Key/value heads repeated to the query's count by a tile (h mod n)
  /// or by an expand and reshape (h / g); 1 when not repeated.
  int64_t repeats = 1;
  bool tiled = false;
};

SmallVector<int64_t> identityPerm(int64_t rank) {
  SmallVector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i)
    perm[i] = i;
  return perm;
}

/// The dims other than 1, by position.
SmallVector<int64_t> nonUnitDims(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> dims;
  for (auto [i, dim] : llvm::enumerate(shape))
    if (dim != 1)
      dims.push_back(i);
  return dims;
}

/// For a view that only inserts or drops dims of 1 (a reshape, squeeze or
/// unsqueeze), which input dim each result dim is (-1 for an inserted 1).
std::optional<SmallVector<int64_t>> unitViewMap(Operation *view) {
  if (!isa_and_nonnull<ReshapeOp, SqueezeOp, UnsqueezeOp>(view))
    return std::nullopt;
  auto in = getShapeOf(view->getOperand(0)), out = getShapeOf(view->getResult(0));
  if (!in || !out || llvm::is_contained(*in, kDynamic) || llvm::is_contained(*out, kDynamic))
    return std::nullopt;
  SmallVector<int64_t> inDims = nonUnitDims(*in), outDims = nonUnitDims(*out);
  if (inDims.size() != outDims.size())
    return std::nullopt;
  SmallVector<int64_t> map(out->size(), -1);
  for (auto [o, i] : llvm::zip(outDims, inDims)) {
    if ((*out)[o] != (*in)[i])
      return std::nullopt;
    map[o] = i;
  }
  return map;
}

/// Whether `value` is [b, h, s, d] repeated along h from [b, h / g, s, d]
/// by an unsqueeze (or reshape) to [b, h / g, 1, s, d], an expand to g and
/// a reshape back to rank 4, as PyTorch's repeat_kv writes it; gives the
/// unrepeated tensor and g.
std::optional<std::pair<Value, int64_t>> repeatedHeads(Value value) {
  auto merge = value.getDefiningOp<ReshapeOp>();
  auto expand = merge ? merge.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
  if (!expand)
    return std::nullopt;
  Value inserted = expand.getInput();
  Operation *insert = inserted.getDefiningOp();
  if (!isa_and_nonnull<UnsqueezeOp, ReshapeOp>(insert))
    return std::nullopt;
  Value base = insert->getOperand(0);
  auto baseShape = getShapeOf(base), insertedShape = getShapeOf(inserted);
  auto expandedShape = getShapeOf(expand.getResult()), shape = getShapeOf(value);
  if (!baseShape || !insertedShape || !expandedShape || !shape || baseShape->size() != 4 ||
      insertedShape->size() != 5 || expandedShape->size() != 5 || shape->size() != 4)
    return std::nullopt;
  auto &b = *baseShape, &i = *insertedShape, &e = *expandedShape, &s = *shape;
  bool inserted1 = i[0] == b[0] && i[1] == b[1] && i[2] == 1 && i[3] == b[2] && i[4] == b[3];
  int64_t groups = e[2];
  bool expanded = e[0] == b[0] && e[1] == b[1] && e[3] == b[2] && e[4] == b[3] && groups > 0;
  bool merged = s[0] == b[0] && s[1] == b[1] * groups && s[2] == b[2] && s[3] == b[3];
  if (!inserted1 || !expanded || !merged || llvm::is_contained(b, kDynamic))
    return std::nullopt;
  return std::make_pair(base, groups);
}

/// A multiplication or division of `value` by a constant scalar: the other
/// operand and the factor.
std::optional<std::pair<Value, double>> scaledBy(Value value) {
  Operation *def = value.getDefiningOp();
  if (!isa_and_nonnull<MulOp, DivOp>(def))
    return std::nullopt;
  bool divide = isa<DivOp>(def);
  std::optional<double> rhs = scalarValue(def->getOperand(1));
  std::optional<double> lhs = divide || rhs ? std::nullopt : scalarValue(def->getOperand(0));
  Value other = rhs ? def->getOperand(0) : lhs ? def->getOperand(1) : Value();
  if (!other || getShapeOf(other) != getShapeOf(value))
    return std::nullopt;
  double factor = rhs ? *rhs : *lhs;
  if (!(factor > 0) || !std::isfinite(factor))
    return std::nullopt;
  return std::make_pair(other, divide ? 1 / factor : factor);
}

/// Walks back from an operand through transposes, views that insert or
/// drop dims of 1, and, when `scales`, multiplications and divisions by
/// constant scalars; stops at anything else. Also looks through the
/// repeat of key/value heads.
Traced trace(Value value, bool scales) {
  auto rank = getRankOf(value);
  Traced traced{value, value, identityPerm(rank ? *rank : 0)};
  while (scales)
    if (auto scaled = scaledBy(traced.top)) {
      traced.top = scaled->first;
      traced.topScale *= scaled->second;
    } else {
      break;
    }
  for (int steps = 0; steps < 24; ++steps) {
    Operation *def = traced.source.getDefiningOp();
    if (auto transpose = dyn_cast_or_null<TransposeOp>(def)) {
      ArrayRef<int64_t> perm = transpose.getPerm();
      for (int64_t &dim : traced.perm)
        dim = dim < 0 ? dim : perm[dim];
      traced.source = transpose.getInput();
      continue;
    }
    if (auto map = unitViewMap(def)) {
      for (int64_t &dim : traced.perm)
        dim = dim < 0 ? dim : (*map)[dim];
      traced.source = def->getOperand(0);
      continue;
    }
    if (scales)
      if (auto scaled = scaledBy(traced.source)) {
        traced.source = scaled->first;
        traced.scale *= scaled->second;
        continue;
      }
    if (traced.repeats != 1 || traced.perm.size() != 4 || traced.perm[1] < 0)
      break;
    // The head dim of a rank-4 operand is perm[1] of its source.
    if (auto tile = dyn_cast_or_null<TileOp>(def)) {
      auto repeats = getConstantIntValues(tile.getRepeats());
      if (!repeats)
        break;
      int64_t heads = traced.perm[1];
      bool onlyHeads = llvm::all_of(llvm::enumerate(*repeats), [&](auto entry) {
        return entry.value() == 1 || int64_t(entry.index()) == heads;
      });
      if (!onlyHeads)
        break;
      traced.repeats = (*repeats)[heads];
      traced.tiled = true;
      traced.source = tile.getInput();
      continue;
    }
    // k^T swaps the last two dims, which the repeat keeps where they are.
    bool headMajor = traced.perm[0] == 0 && traced.perm[1] == 1 &&
                     traced.perm[2] + traced.perm[3] == 5 && traced.perm[2] >= 2;
    if (headMajor)
      if (auto repeated = repeatedHeads(traced.source)) {
        traced.source = repeated->first;
        traced.repeats = repeated->second;
        continue;
      }
    break;
  }
  return traced;
}

/// What the decide step found for one softmax.
struct AttentionMatch {
  SoftmaxOp softmax;
  Traced query, key, value;
  double scale = 1;
  SmallVector<Value> biases;
  Value keep;
  double maskedScore = -kInfinity;
  bool causal = false;
  /// The value the fused op replaces, and whether it is the context
  /// transposed to [b, s, h, d] (or [s, b * h, d] for rank 3).
  Value replaced;
  bool outputSequenceMajor = false;
  SmallVector<Location> locations;
};

/// Whether `value` is a constant 0, 1, ..., n - 1 along its dim `axis`
/// (counted from the end) and of size 1 in every other dim.
bool isPositions(Value value, int64_t axisFromEnd, int64_t n) {
  auto shape = getShapeOf(value);
  if (!shape || int64_t(shape->size()) < axisFromEnd)
    return false;
  for (int64_t i = 0; i < int64_t(shape->size()); ++i)
    if ((*shape)[i] != (i == int64_t(shape->size()) - axisFromEnd ? n : 1))
      return false;
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return false;
  auto values = getIntElements(attr);
  if (!values || int64_t(values->size()) != n)
    return false;
  for (int64_t i = 0; i < n; ++i)
    if ((*values)[i] != i)
      return false;
  return true;
}

/// Whether `keep` keeps key j for query i exactly when j <= i: a constant
/// lower triangle over its last two dims (the leading dims 1), or key
/// positions compared with query positions.
bool isCausalKeep(Value keep, int64_t queries, int64_t keys) {
  if (auto compare = keep.getDefiningOp<LessEqualOp>())
    return isPositions(compare.getLhs(), 1, keys) && isPositions(compare.getRhs(), 2, queries);
  if (auto compare = keep.getDefiningOp<GreaterEqualOp>())
    return isPositions(compare.getLhs(), 2, queries) && isPositions(compare.getRhs(), 1, keys);
  // not(j > i), as ONNX's Attention writes its causal mask.
  bool negated = false;
  if (auto inverse = keep.getDefiningOp<NotOp>()) {
    keep = inverse.getInput();
    negated = true;
  }
  DenseElementsAttr attr;
  if (!matchPattern(keep, m_Constant(&attr)) || !attr.getElementType().isInteger(1))
    return false;
  auto shape = attr.getType().getShape();
  if (shape.size() < 2 || shape[shape.size() - 2] != queries || shape.back() != keys ||
      attr.getNumElements() != queries * keys)
    return false;
  auto values = attr.getValues<bool>();
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      if (values[i * keys + j] != ((j <= i) != negated))
        return false;
  return true;
}

/// The score of masked keys when `bias` is a constant causal bias: 0 where
/// j <= i and one very negative value above the diagonal.
std::optional<double> causalBiasScore(Value bias, int64_t queries, int64_t keys) {
  DenseFPElementsAttr attr;
  if (!matchPattern(bias, m_Constant(&attr)) || queries < 2 || keys < 2)
    return std::nullopt;
  auto shape = attr.getType().getShape();
  if (shape.size() < 2 || shape[shape.size() - 2] != queries || shape.back() != keys ||
      attr.getNumElements() != queries * keys)
    return std::nullopt;
  auto values = attr.getValues<APFloat>();
  double masked = values[1].convertToDouble();
  // Scores masked this way may as well be replaced: adding -1e30 or less
  // leaves nothing of an f32 score that softmax could see.
  if (!(masked <= -1e30))
    return std::nullopt;
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      if (values[i * keys + j].convertToDouble() != (j <= i ? 0.0 : masked))
        return std::nullopt;
  return masked;
}

class Matcher {
public:
  std::optional<AttentionMatch> match(SoftmaxOp softmax);

private:
  bool matchScores(Value scores, AttentionMatch &m, int depth);
  bool matchProbabilities(Value probabilities, AttentionMatch &m, MatMulOp &context);
};

/// Follows the softmax's result to the matmul with v: through a cast back
/// to the model's type and a guard that zeroes NaN rows.
bool Matcher::matchProbabilities(Value p, AttentionMatch &m, MatMulOp &context) {
  for (int steps = 0; steps < 4; ++steps) {
    if (p.hasOneUse()) {
      Operation *user = *p.getUsers().begin();
      if (auto matmul = dyn_cast<MatMulOp>(user)) {
        if (matmul.getLhs() != p)
          return false;
        context = matmul;
        return true;
      }
      if (auto cast = dyn_cast<CastOp>(user)) {
        m.locations.push_back(cast.getLoc());
        p = cast.getResult();
        continue;
      }
      return false;
    }
    // where(is_nan(p), 0, p): read twice, by the test and the select.
    if (!llvm::hasNItems(p.getUses(), 2))
      return false;
    IsNaNOp isNan;
    WhereOp where;
    for (Operation *user : p.getUsers()) {
      isNan = isNan ? isNan : dyn_cast<IsNaNOp>(user);
      where = where ? where : dyn_cast<WhereOp>(user);
    }
    if (!isNan || !where || !isNan->hasOneUse() || where.getCondition() != isNan.getResult() ||
        where.getOnFalse() != p || scalarValue(where.getOnTrue()) != 0.0)
      return false;
    m.locations.append({isNan.getLoc(), where.getLoc()});
    p = where.getResult();
  }
  return false;
}

/// Matches scores back to the first matmul, collecting scales and masks.
/// Every value in between must be read by the chain alone.
bool Matcher::matchScores(Value scores, AttentionMatch &m, int depth) {
  if (depth > 12 || !scores.hasOneUse())
    return false;
  Operation *def = scores.getDefiningOp();
  if (!def)
    return false;
  auto sameShape = [&](Value v) { return getShapeOf(v) == getShapeOf(scores); };
  if (auto matmul = dyn_cast<MatMulOp>(def)) {
    auto lhsRank = getRankOf(matmul.getLhs()), rhsRank = getRankOf(matmul.getRhs());
    if (!lhsRank || !rhsRank || *lhsRank != *rhsRank || (*lhsRank != 3 && *lhsRank != 4))
      return false;
    m.query = trace(matmul.getLhs(), /*scales=*/true);
    m.key = trace(matmul.getRhs(), /*scales=*/true);
    m.locations.push_back(matmul.getLoc());
    return true;
  }
  if (auto scaled = scaledBy(scores)) {
    m.scale *= scaled->second;
    m.locations.push_back(def->getLoc());
    return matchScores(scaled->first, m, depth + 1);
  }
  if (auto add = dyn_cast<AddOp>(def)) {
    // Either operand may be the scores; the other is a bias.
    for (int which = 0; which < 2; ++which) {
      Value inner = add->getOperand(which), bias = add->getOperand(1 - which);
      if (!sameShape(inner) || !isa<FloatType>(getElementTypeOf(bias)))
        continue;
      AttentionMatch attempt = m;
      // Scales seen so far are applied after this bias: they scale it too.
      if (m.scale != 1) {
        OpBuilder b(add);
        Type element = getElementTypeOf(bias);
        Value factor = b.create<ConstantOp>(add.getLoc(), cast<ElementsAttr>(DenseElementsAttr::get(
                                                              RankedTensorType::get({}, element),
                                                              FloatAttr::get(element, m.scale))));
        bias = b.create<MulOp>(add.getLoc(), bias, factor);
      }
      attempt.biases.push_back(bias);
      attempt.locations.push_back(add.getLoc());
      if (matchScores(inner, attempt, depth + 1)) {
        m = attempt;
        return true;
      }
    }
    return false;
  }
  if (auto where = dyn_cast<WhereOp>(def)) {
    Value condition = where.getCondition();
    std::optional<double> onFalse = scalarValue(where.getOnFalse());
    std::optional<double> onTrue = scalarValue(where.getOnTrue());
    Value inner = onFalse ? where.getOnTrue() : onTrue ? where.getOnFalse() : Value();
    if (!inner || !sameShape(inner))
      return false;
    // Scales seen so far are applied after the replacement.
    double fill = (onFalse ? *onFalse : *onTrue) * m.scale;
    if (m.keep && m.maskedScore != fill)
      return false;
    OpBuilder b(where);
    Value keep = condition;
    // where(masked, fill, scores) keeps the scores where the condition is false.
    if (!onFalse)
      keep = b.create<NotOp>(where.getLoc(), condition);
    m.keep = m.keep ? Value(b.create<AndOp>(where.getLoc(), m.keep, keep)) : keep;
    m.maskedScore = fill;
    m.locations.push_back(where.getLoc());
    return matchScores(inner, m, depth + 1);
  }
  if (auto cast = dyn_cast<CastOp>(def)) {
    m.locations.push_back(cast.getLoc());
    return isa<FloatType>(getElementTypeOf(cast.getInput())) &&
           matchScores(cast.getInput(), m, depth + 1);
  }
  return false;
}

std::optional<AttentionMatch> Matcher::match(SoftmaxOp softmax) {
  auto rank = getRankOf(softmax.getInput());
  if (!rank || (*rank != 3 && *rank != 4) || normalizeAxis(softmax.getAxis(), *rank) != *rank - 1)
    return std::nullopt;
  AttentionMatch m;
  m.softmax = softmax;
  m.locations.push_back(softmax.getLoc());
  MatMulOp context;
  if (!matchProbabilities(softmax.getResult(), m, context))
    return std::nullopt;
  m.locations.push_back(context.getLoc());
  // Values are not scaled: a constant there would scale the output.
  m.value = trace(context.getRhs(), /*scales=*/false);
  // Ops built while matching (nots, ands, scaled masks) are dead if the
  // match fails and are swept afterwards.
  if (!matchScores(softmax.getInput(), m, 0))
    return std::nullopt;
  // A context transposed to [b, s, h, d] (or [s, b * h, d]; dims of 1
  // aside) is written that way directly.
  Value out = context.getResult();
  m.replaced = out;
  auto outShape = getShapeOf(out);
  // Through a reshape to the same shape, as the classic exporter writes.
  Value toTranspose = out;
  if (toTranspose.hasOneUse())
    if (auto same = dyn_cast<ReshapeOp>(*toTranspose.getUsers().begin());
        same && getShapeOf(same.getResult()) == outShape)
      toTranspose = same.getResult();
  if (toTranspose.hasOneUse() && outShape)
    if (auto transpose = dyn_cast<TransposeOp>(*toTranspose.getUsers().begin())) {
      SmallVector<int64_t> order, wanted;
      for (int64_t dim : transpose.getPerm())
        if ((*outShape)[dim] != 1)
          order.push_back(dim);
      SmallVector<int64_t> sequenceMajor =
          outShape->size() == 4 ? SmallVector<int64_t>{0, 2, 1, 3} : SmallVector<int64_t>{1, 0, 2};
      for (int64_t dim : sequenceMajor)
        if ((*outShape)[dim] != 1)
          wanted.push_back(dim);
      if (order == wanted) {
        m.replaced = transpose.getResult();
        m.outputSequenceMajor = true;
        m.locations.push_back(transpose.getLoc());
      }
    }
  // All three operands of one element type and static shapes.
  Type element = getElementTypeOf(context.getResult());
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return std::nullopt;
  for (Value v : {m.query.source, m.key.source, m.value.source, m.replaced}) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape() || type.getElementType() != element)
      return std::nullopt;
  }
  return m;
}

//===----------------------------------------------------------------------===//
// Apply
//===----------------------------------------------------------------------===//

/// swapped: [b, h, s, d], or [b * h, s, d] for rank 3.
SmallVector<int64_t> logicalShape(const Traced &traced, bool swapLast) {
  SmallVector<int64_t> shape = *getShapeOf(traced.top);
  if (swapLast)
    std::swap(shape[shape.size() - 2], shape[shape.size() - 1]);
  return shape;
}

/// Whether the fused op can read the traced source in place: false for
/// [b, h, s, d] order in memory, true for [b, s, h, d]; nothing when the
/// source holds the dims in another order. Dims of 1 do not count.
std::optional<bool> viewOrder(const Traced &traced, bool swapLast) {
  SmallVector<int64_t> perm = traced.perm, logical = logicalShape(traced, swapLast);
  if (swapLast)
    std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
  SmallVector<int64_t> order;
  for (int64_t i = 0; i < int64_t(perm.size()); ++i)
    if (perm[i] >= 0 && logical[i] != 1)
      order.push_back(i);
  llvm::sort(order, [&](int64_t x, int64_t y) { return perm[x] < perm[y]; });
  auto matches = [&](ArrayRef<int64_t> canonical) {
    SmallVector<int64_t> kept;
    for (int64_t dim : canonical)
      if (logical[dim] != 1)
        kept.push_back(dim);
    return kept == order;
  };
  bool rank4 = perm.size() == 4;
  if (matches(rank4 ? ArrayRef<int64_t>{0, 1, 2, 3} : ArrayRef<int64_t>{0, 1, 2}))
    return false;
  if (matches(rank4 ? ArrayRef<int64_t>{0, 2, 1, 3} : ArrayRef<int64_t>{1, 0, 2}))
    return true;
  return std::nullopt;
}

Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  return b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseIntElementsAttr::get(type, values)));
}

Value reshapeTo(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape) {
  if (getShapeOf(value) == SmallVector<int64_t>(shape))
    return value;
  return b.create<ReshapeOp>(loc, value, i64Constant(b, loc, shape), b.getBoolAttr(false));
}

Value scalarConstant(OpBuilder &b, Location loc, Type element, double value) {
  return b.create<ConstantOp>(
      loc, cast<ElementsAttr>(DenseElementsAttr::get(RankedTensorType::get({}, element),
                                                     FloatAttr::get(element, value))));
}

/// How the fused op reads one of q, k and v.
struct OperandPlan {
  std::optional<bool> view; // the traced source in place, sequence-major or not
  int64_t repeats = 1;
};

/// The operand as the fused op reads it, rank 4: the traced source viewed
/// as [b, h, s, d] or [b, s, h, d] per `plan`, or else the operand itself
/// (scales stripped) transposed where k needs it, [b, h, s, d].
Value operandFor(OpBuilder &b, Location loc, const Traced &traced, bool swapLast,
                 const OperandPlan &plan, bool &sequenceMajor, double &scale) {
  SmallVector<int64_t> logical = logicalShape(traced, swapLast);
  if (logical.size() == 3)
    logical.insert(logical.begin(), 1);
  int64_t batch = logical[0], heads = logical[1] / plan.repeats, seq = logical[2], dim = logical[3];
  if (plan.view) {
    sequenceMajor = *plan.view;
    scale = traced.scale;
    return reshapeTo(b, loc, traced.source,
                     sequenceMajor ? SmallVector<int64_t>{batch, seq, heads, dim}
                                   : SmallVector<int64_t>{batch, heads, seq, dim});
  }
  sequenceMajor = false;
  scale = traced.topScale;
  Value top = traced.top;
  if (swapLast) {
    SmallVector<int64_t> perm = identityPerm(*getRankOf(top));
    std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
    top = b.create<TransposeOp>(loc, top, b.getDenseI64ArrayAttr(perm));
  }
  return reshapeTo(b, loc, top, {batch, heads, seq, dim});
}

/// The conjuncts of a keep mask, looking through expands (the fused op
/// broadcasts) and ands.
void collectConjuncts(Value keep, SmallVectorImpl<Value> &conjuncts) {
  if (auto expand = keep.getDefiningOp<ExpandOp>())
    return collectConjuncts(expand.getInput(), conjuncts);
  if (auto both = keep.getDefiningOp<AndOp>()) {
    collectConjuncts(both.getLhs(), conjuncts);
    collectConjuncts(both.getRhs(), conjuncts);
    return;
  }
  conjuncts.push_back(keep);
}

bool isAllTrue(Value keep) {
  DenseElementsAttr attr;
  return matchPattern(keep, m_Constant(&attr)) && attr.getElementType().isInteger(1) &&
         attr.isSplat() && attr.getSplatValue<bool>();
}

/// A float bias that only masks: where(keep, 0, fill) with fill -inf or so
/// negative that adding it leaves nothing of a score. Gives keep and fill.
/// Also where(masked, fill, 0), whose keep mask is built as not(masked).
std::optional<std::pair<Value, double>> maskingBias(OpBuilder &b, Value bias) {
  auto where = bias.getDefiningOp<WhereOp>();
  if (!where)
    return std::nullopt;
  std::optional<double> onTrue = scalarValue(where.getOnTrue());
  std::optional<double> onFalse = scalarValue(where.getOnFalse());
  if (onTrue == 0.0 && onFalse && *onFalse <= -1e30)
    return std::make_pair(where.getCondition(), *onFalse);
  if (onFalse == 0.0 && onTrue && *onTrue <= -1e30)
    return std::make_pair(Value(b.create<NotOp>(where.getLoc(), where.getCondition())), *onTrue);
  return std::nullopt;
}

void apply(AttentionMatch &m) {
  OpBuilder b(m.replaced.getDefiningOp());
  b.setInsertionPointAfter(m.replaced.getDefiningOp());
  Location loc = FusedLoc::get(b.getContext(), m.locations);

  // In place where the sources allow it; key and value repeat their heads
  // the same way or are both read as the graph repeated them.
  OperandPlan qPlan{viewOrder(m.query, false)}, kPlan{viewOrder(m.key, true), m.key.repeats},
      vPlan{viewOrder(m.value, false), m.value.repeats};
  bool repeatsAgree = kPlan.view && vPlan.view && m.key.repeats == m.value.repeats &&
                      (m.key.repeats == 1 || m.key.tiled == m.value.tiled);
  if (!repeatsAgree && (m.key.repeats > 1 || m.value.repeats > 1)) {
    kPlan = OperandPlan{};
    vPlan = OperandPlan{};
  }
  std::array<bool, 4> layout = {false, false, false, m.outputSequenceMajor};
  double qScale = 1, kScale = 1, vScale = 1;
  Value q = operandFor(b, loc, m.query, /*swapLast=*/false, qPlan, layout[0], qScale);
  Value k = operandFor(b, loc, m.key, /*swapLast=*/true, kPlan, layout[1], kScale);
  Value v = operandFor(b, loc, m.value, /*swapLast=*/false, vPlan, layout[2], vScale);
  double scale = m.scale * qScale * kScale;
  bool tiled = kPlan.repeats > 1 && m.key.tiled;

  int64_t queries = getShapeOf(q)->begin()[layout[0] ? 1 : 2];
  int64_t keys = getShapeOf(k)->begin()[layout[1] ? 1 : 2];
  // Masks: a boolean keep (from where on the scores, or from a bias that
  // only masks), whose constant causal triangle becomes `causal` and whose
  // all-true parts go; the other biases are summed.
  double maskedScore = m.maskedScore;
  SmallVector<Value> keeps, biases;
  if (m.keep)
    keeps.push_back(m.keep);
  for (Value bias : m.biases) {
    // A bias of zeros (ONNX's Attention without a mask, expanded) adds nothing.
    if (scalarValue(bias) == 0.0)
      continue;
    auto masking = maskingBias(b, bias);
    if (masking && (keeps.empty() || masking->second == maskedScore)) {
      keeps.push_back(masking->first);
      maskedScore = masking->second;
      continue;
    }
    biases.push_back(bias);
  }
  bool causal = false;
  SmallVector<Value> conjuncts;
  for (Value keep : keeps)
    collectConjuncts(keep, conjuncts);
  Value keep;
  for (Value conjunct : conjuncts) {
    if (isAllTrue(conjunct))
      continue;
    if (isCausalKeep(conjunct, queries, keys)) {
      causal = true;
      continue;
    }
    keep = keep ? Value(b.create<AndOp>(loc, keep, conjunct)) : conjunct;
  }
  if (!causal && !keep && biases.size() == 1)
    if (auto score = causalBiasScore(biases.front(), queries, keys)) {
      causal = true;
      maskedScore = *score;
      biases.clear();
    }
  Value mask = keep;
  if (!biases.empty()) {
    Type element = getElementTypeOf(biases.front());
    Value sum = biases.front();
    for (Value bias : ArrayRef(biases).drop_front())
      sum = b.create<AddOp>(loc, sum, bias);
    // Both kinds: the keep mask becomes a bias of 0 or the masked score.
    if (keep)
      sum = b.create<AddOp>(loc, sum,
                            b.create<WhereOp>(loc, keep, scalarConstant(b, loc, element, 0),
                                              scalarConstant(b, loc, element, maskedScore)));
    mask = sum;
  }
  auto attention =
      b.create<AttentionOp>(loc, q, k, v, mask, b.getF64FloatAttr(scale), b.getBoolAttr(causal),
                            b.getF64FloatAttr(maskedScore), b.getBoolAttr(tiled),
                            b.getDenseBoolArrayAttr(layout), AttentionGateAttr());
  Value result = reshapeTo(b, loc, attention.getResult(), *getShapeOf(m.replaced));
  m.replaced.replaceAllUsesWith(result);
}

struct FuseAttentionPass : r1::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    Matcher matcher;
    std::vector<AttentionMatch> matches;
    for (SoftmaxOp softmax : softmaxes)
      if (auto match = matcher.match(softmax))
        matches.push_back(std::move(*match));
    for (AttentionMatch &match : matches)
      apply(match);
    // The unfused chains, and what matching built for failed matches, are
    // dead now: erase them, users first.
    bool erased = true;
    while (erased) {
      erased = false;
      SmallVector<Operation *> dead;
      getOperation().walk([&](Operation *op) {
        if (op->getDialect() == op->getContext()->getLoadedDialect<R1Dialect>() &&
            isOpTriviallyDead(op))
          dead.push_back(op);
      });
      for (Operation *op : llvm::reverse(dead)) {
        op->erase();
        erased = true;
      }
    }
  }
};

} // namespace
