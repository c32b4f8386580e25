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

/// A float constant whose elements are all equal, if `value` is one.
std::optional<double> splatFloat(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// A tensor read by q, k or v, and the order its dims take to give the
/// operand head-major: operand dim i is source dim perm[i].
struct Traced {
  Value source;
  SmallVector<int64_t> perm;
  double scale = 1;
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

/// Walks back from an operand through transposes and, when `scales`,
/// multiplications and divisions by constant scalars; stops at anything
/// else. Also looks through the repeat of key/value heads.
Traced trace(Value value, bool scales) {
  auto rank = getRankOf(value);
  Traced traced{value, identityPerm(rank ? *rank : 0)};
  for (int steps = 0; steps < 16; ++steps) {
    Operation *def = traced.source.getDefiningOp();
    if (auto transpose = dyn_cast_or_null<TransposeOp>(def)) {
      ArrayRef<int64_t> perm = transpose.getPerm();
      for (int64_t &dim : traced.perm)
        dim = perm[dim];
      traced.source = transpose.getInput();
      continue;
    }
    if (scales && isa_and_nonnull<MulOp, DivOp>(def)) {
      bool divide = isa<DivOp>(def);
      std::optional<double> rhs = splatFloat(def->getOperand(1));
      std::optional<double> lhs = divide ? std::nullopt : splatFloat(def->getOperand(0));
      Value other = rhs ? def->getOperand(0) : lhs ? def->getOperand(1) : Value();
      // A scalar constant only: a tensor would broadcast q or k.
      if (!other || getShapeOf(other) != getShapeOf(def->getResult(0)))
        break;
      double factor = rhs ? *rhs : *lhs;
      traced.scale = divide ? traced.scale / factor : traced.scale * factor;
      traced.source = other;
      continue;
    }
    if (traced.repeats != 1 || traced.perm.size() != 4)
      break;
    // The head dim of a rank-4 operand is perm[1] of its source.
    if (auto tile = dyn_cast_or_null<TileOp>(def)) {
      auto repeats = getConstantIntValues(tile.getRepeats());
      if (!repeats || repeats->size() != 4)
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
    if (traced.perm == identityPerm(4))
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

/// Whether `keep` is a constant lower triangle over its last two dims, the
/// leading dims 1: key j kept for query i exactly when j <= i.
bool isCausalKeep(Value keep, int64_t queries, int64_t keys) {
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
      if (values[i * keys + j] != (j <= i))
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
        where.getOnFalse() != p || splatFloat(where.getOnTrue()) != 0.0)
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
  if (isa<MulOp, DivOp>(def)) {
    bool divide = isa<DivOp>(def);
    std::optional<double> rhs = splatFloat(def->getOperand(1));
    std::optional<double> lhs = divide ? std::nullopt : splatFloat(def->getOperand(0));
    Value inner = rhs ? def->getOperand(0) : lhs ? def->getOperand(1) : Value();
    if (!inner || !sameShape(inner))
      return false;
    double factor = rhs ? *rhs : *lhs;
    factor = divide ? 1 / factor : factor;
    if (!(factor > 0) || !std::isfinite(factor))
      return false;
    m.scale *= factor;
    m.locations.push_back(def->getLoc());
    return matchScores(inner, m, depth + 1);
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
    std::optional<double> onFalse = splatFloat(where.getOnFalse());
    std::optional<double> onTrue = splatFloat(where.getOnTrue());
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
  m.scale *= m.query.scale * m.key.scale;
  Value out = context.getResult();
  m.replaced = out;
  if (out.hasOneUse())
    if (auto transpose = dyn_cast<TransposeOp>(*out.getUsers().begin())) {
      ArrayRef<int64_t> perm = transpose.getPerm();
      if (perm == ArrayRef<int64_t>{0, 2, 1, 3} || perm == ArrayRef<int64_t>{1, 0, 2}) {
        m.replaced = transpose.getResult();
        m.outputSequenceMajor = true;
        m.locations.push_back(transpose.getLoc());
      }
    }
  // All three operands of one element type and static shapes.
  Type element = getElementTypeOf(context.getResult());
  for (Value v : {m.query.source, m.key.source, m.value.source, m.replaced}) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape() || type.getElementType() != element)
      return std::nullopt;
  }
  // Key and value heads repeat the same way, or not at all.
  if (m.key.repeats != m.value.repeats || (m.key.repeats > 1 && m.key.tiled != m.value.tiled))
    return std::nullopt;
  return m;
}

//===----------------------------------------------------------------------===//
// Apply
//===----------------------------------------------------------------------===//

Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  return b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseIntElementsAttr::get(type, values)));
}

Value reshapeTo(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape) {
  if (getShapeOf(value) == SmallVector<int64_t>(shape))
    return value;
  return b.create<ReshapeOp>(loc, value, i64Constant(b, loc, shape), b.getBoolAttr(false));
}

/// The operand as the fused op reads it: rank 4, [b, h, s, d] or
/// [b, s, h, d] (sets `sequenceMajor`). Other orders of the source's dims
/// are transposed to [b, h, s, d]; rank 3 ([b * h, s, d]) gets a batch of 1.
/// `swapLast` is for k, which the graph multiplies as k^T.
Value operandFor(OpBuilder &b, Location loc, const Traced &traced, bool swapLast,
                 bool &sequenceMajor) {
  SmallVector<int64_t> perm = traced.perm;
  if (swapLast)
    std::swap(perm[perm.size() - 2], perm[perm.size() - 1]);
  auto shape = *getShapeOf(traced.source);
  sequenceMajor = false;
  if (perm.size() == 4) {
    if (perm == SmallVector<int64_t>{0, 2, 1, 3}) {
      sequenceMajor = true;
      return traced.source;
    }
    if (perm == identityPerm(4))
      return traced.source;
    return b.create<TransposeOp>(loc, traced.source, b.getDenseI64ArrayAttr(perm));
  }
  // Rank 3: [s, b * h, d] is [1, s, b * h, d] in place.
  if (perm == SmallVector<int64_t>{1, 0, 2}) {
    sequenceMajor = true;
    return reshapeTo(b, loc, traced.source, {1, shape[0], shape[1], shape[2]});
  }
  Value source = traced.source;
  if (perm != identityPerm(3))
    source = b.create<TransposeOp>(loc, source, b.getDenseI64ArrayAttr(perm));
  auto dims = *getShapeOf(source);
  return reshapeTo(b, loc, source, {1, dims[0], dims[1], dims[2]});
}

/// The replaced value's dims, as the fused op writes them (rank 4).
SmallVector<int64_t> fusedOutputShape(const AttentionMatch &m) {
  auto shape = *getShapeOf(m.replaced);
  if (shape.size() == 4)
    return shape;
  return {1, shape[0], shape[1], shape[2]};
}

void apply(AttentionMatch &m) {
  OpBuilder b(m.replaced.getDefiningOp());
  b.setInsertionPointAfter(m.replaced.getDefiningOp());
  Location loc = FusedLoc::get(b.getContext(), m.locations);
  std::array<bool, 4> layout = {false, false, false, m.outputSequenceMajor};
  Value q = operandFor(b, loc, m.query, /*swapLast=*/false, layout[0]);
  Value k = operandFor(b, loc, m.key, /*swapLast=*/true, layout[1]);
  Value v = operandFor(b, loc, m.value, /*swapLast=*/false, layout[2]);

  auto queries = layout[0] ? getShapeOf(q)->begin()[1] : getShapeOf(q)->begin()[2];
  auto keys = layout[1] ? getShapeOf(k)->begin()[1] : getShapeOf(k)->begin()[2];
  Value mask;
  bool causal = false;
  double maskedScore = m.maskedScore;
  if (m.keep && isCausalKeep(m.keep, queries, keys)) {
    causal = true;
  } else if (m.keep) {
    mask = m.keep;
  }
  SmallVector<Value> biases = m.biases;
  if (!causal && !mask && biases.size() == 1)
    if (auto score = causalBiasScore(biases.front(), queries, keys)) {
      causal = true;
      maskedScore = *score;
      biases.clear();
    }
  if (!biases.empty()) {
    Type element = getElementTypeOf(biases.front());
    Value sum = biases.front();
    for (Value bias : ArrayRef(biases).drop_front())
      sum = b.create<AddOp>(loc, sum, bias);
    // Both kinds: the boolean mask becomes a bias of 0 or the masked score.
    if (mask) {
      auto scalar = [&](double value) {
        return b.create<ConstantOp>(
            loc, cast<ElementsAttr>(DenseElementsAttr::get(RankedTensorType::get({}, element),
                                                           FloatAttr::get(element, value))));
      };
      sum = b.create<AddOp>(loc, sum, b.create<WhereOp>(loc, mask, scalar(0), scalar(maskedScore)));
    }
    mask = sum;
  }
  auto attention =
      b.create<AttentionOp>(loc, q, k, v, mask, b.getF64FloatAttr(m.scale), b.getBoolAttr(causal),
                            b.getF64FloatAttr(maskedScore), b.getBoolAttr(m.key.tiled),
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
        if (fusedOutputShape(*match).size() == 4)
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
