//===- MlDomain.cpp - Ops of the ai.onnx.ml domain ------------------------===//
//
// The numeric ops of classical ML pipelines (scikit-learn exports):
// Binarizer, ArrayFeatureExtractor and TreeEnsemble. A tree ensemble's
// structure is constant, so every row walks all trees at once, one level
// per step: the node each (row, tree) is at indexes constant tables of
// features, splits and children. As many steps as the deepest tree has
// levels bring every walk to a leaf, whose weight adds to its target.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// 1 where x > threshold, else 0, in x's type.
Result legalizeBinarizer(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  Type element = getElementTypeOf(*x);
  Value above = node.create<GreaterOp>(*x, node.scalar(element, node.getFloat("threshold", 0)));
  return results(node.create<CastOp>(above, TypeAttr::get(element)));
}

/// The last axis's elements at the given indices; a 1-D input gives one row.
Result legalizeArrayFeatureExtractor(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), indices = node.requiredInput(1);
  if (failed(x) || failed(indices))
    return failure();
  std::optional<int64_t> rank = getRankOf(*x);
  if (!rank || *rank < 1)
    return node.emitError() << "needs a ranked input", failure();
  OpBuilder &b = node.getBuilder();
  Value input = *x;
  if (*rank == 1) {
    input = node.create<UnsqueezeOp>(input, b.getDenseI64ArrayAttr({0}));
    rank = 2;
  }
  Value flat = node.create<ReshapeOp>(*indices, node.i64Vector({-1}), b.getBoolAttr(false));
  return results(node.create<GatherOp>(input, flat, b.getI64IntegerAttr(*rank - 1)));
}

/// The values of a tensor attribute as doubles (empty when absent).
SmallVector<double> tensorValues(OnnxNode &node, StringRef name) {
  SmallVector<double> values;
  ElementsAttr tensor = node.getTensor(name);
  if (!tensor)
    return values;
  for (Attribute value : tensor.getValues<Attribute>()) {
    if (auto f = dyn_cast<FloatAttr>(value))
      values.push_back(f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(value))
      values.push_back(double(i.getValue().getZExtValue()));
  }
  return values;
}

/// The ensemble's node and leaf tables, read from the attributes and
/// checked, and how deep its trees go.
struct TreeTables {
  SmallVector<int64_t> features, trueNext, falseNext, trueLeaf, falseLeaf, targets, roots;
  SmallVector<double> splits, modes, weights, missingTrue;
  /// Per node, its set's members for mode MEMBER (6), padded with NaN.
  SmallVector<SmallVector<double>> members;
  int64_t depth = 0;

  LogicalResult read(OnnxNode &node) {
    auto ints = [&](StringRef name) { return node.getInts(name).value_or(SmallVector<int64_t>()); };
    features = ints("nodes_featureids");
    trueNext = ints("nodes_truenodeids");
    falseNext = ints("nodes_falsenodeids");
    trueLeaf = ints("nodes_trueleafs");
    falseLeaf = ints("nodes_falseleafs");
    targets = ints("leaf_targetids");
    roots = ints("tree_roots");
    splits = tensorValues(node, "nodes_splits");
    modes = tensorValues(node, "nodes_modes");
    weights = tensorValues(node, "leaf_weights");
    for (int64_t tracks : ints("nodes_missing_value_tracks_true"))
      missingTrue.push_back(double(tracks));
    size_t n = features.size();
    if (n == 0 || roots.empty() || splits.size() != n || modes.size() != n ||
        trueNext.size() != n || falseNext.size() != n || trueLeaf.size() != n ||
        falseLeaf.size() != n || targets.size() != weights.size() ||
        (!missingTrue.empty() && missingTrue.size() != n))
      return node.emitError() << "the node and leaf attributes must be non-empty and of matching "
                                 "lengths",
             failure();
    missingTrue.resize(n, 0);
    // Each MEMBER node takes the next NaN-terminated run of members.
    SmallVector<double> sets = tensorValues(node, "membership_values");
    members.resize(n);
    size_t next = 0;
    for (size_t i = 0; i < n; ++i) {
      if (modes[i] != 6)
        continue;
      while (next < sets.size() && !std::isnan(sets[next]))
        members[i].push_back(sets[next++]);
      ++next;
    }
    auto inRange = [&](int64_t index, bool leaf) {
      return index >= 0 && size_t(index) < (leaf ? weights.size() : n);
    };
    for (size_t i = 0; i < n; ++i)
      if (!inRange(trueNext[i], trueLeaf[i]) || !inRange(falseNext[i], falseLeaf[i]))
        return node.emitError() << "node " << i << " has a child out of range", failure();
    // Levels below each root; a cycle would never end, so it is an error.
    std::function<FailureOr<int64_t>(int64_t, int64_t)> levels =
        [&](int64_t at, int64_t seen) -> FailureOr<int64_t> {
      if (seen > int64_t(n))
        return failure();
      int64_t deepest = 0;
      for (auto [child, leaf] :
           {std::pair(trueNext[at], trueLeaf[at]), std::pair(falseNext[at], falseLeaf[at])})
        if (!leaf) {
          FailureOr<int64_t> below = levels(child, seen + 1);
          if (failed(below))
            return failure();
          deepest = std::max(deepest, *below);
        }
      return deepest + 1;
    };
    for (int64_t root : roots) {
      if (root < 0 || size_t(root) >= n)
        return node.emitError() << "tree root " << root << " is out of range", failure();
      FailureOr<int64_t> d = levels(root, 0);
      if (failed(d))
        return node.emitError() << "the tree at root " << root << " has a cycle", failure();
      depth = std::max(depth, *d);
    }
    return success();
  }
};

Result legalizeTreeEnsemble(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() != 2)
    return node.emitError() << "needs a 2-D input [rows, features]", failure();
  TreeTables t;
  if (failed(t.read(node)))
    return failure();
  int64_t targetCount = node.getInt("n_targets", 1);
  int64_t aggregate = node.getInt("aggregate_function", 1);
  int64_t post = node.getInt("post_transform", 0);
  if (aggregate < 0 || aggregate > 3)
    return node.emitError() << "aggregate_function " << aggregate << " is unknown", failure();
  if (post != 0 && post != 1 && post != 2)
    return node.emitError() << "post_transform " << post
                            << " is unsupported (NONE, SOFTMAX and LOGISTIC are)",
           failure();
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(*x), i64 = b.getI64Type(), i1 = b.getI1Type();
  auto table = [&](ArrayRef<double> values, Type type, ArrayRef<int64_t> dims) -> Value {
    auto tensorType = RankedTensorType::get(dims, type);
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(isa<FloatType>(type) ? Attribute(FloatAttr::get(type, v))
                                           : Attribute(IntegerAttr::get(type, int64_t(v))));
    return node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(tensorType, attrs)));
  };
  auto intTable = [&](ArrayRef<int64_t> values, Type type) {
    return table(llvm::map_to_vector(values, [](int64_t v) { return double(v); }), type,
                 {int64_t(values.size())});
  };
  int64_t n = t.features.size(), trees = t.roots.size();
  auto at = [&](Value tableValue, Value index) {
    return node.create<GatherOp>(tableValue, index, b.getI64IntegerAttr(0));
  };
  Value features = intTable(t.features, i64), splits = table(t.splits, element, {n});
  Value modes = table(t.modes, i64, {n}), missing = table(t.missingTrue, i1, {n});
  Value trueNext = intTable(t.trueNext, i64), falseNext = intTable(t.falseNext, i64);
  Value trueLeaf = intTable(t.trueLeaf, i1), falseLeaf = intTable(t.falseLeaf, i1);
  size_t widest = 1;
  for (const auto &set : t.members)
    widest = std::max(widest, set.size());
  SmallVector<double> memberTable;
  for (const auto &set : t.members)
    for (size_t k = 0; k < widest; ++k)
      memberTable.push_back(k < set.size() ? set[k] : std::nan(""));
  Value members = table(memberTable, element, {n, int64_t(widest)});

  // Every (row, tree) starts at its tree's root, or at its leaf when the
  // root is one: [1, trees], broadcast over the rows.
  SmallVector<double> start, rootLeaf;
  for (int64_t root : t.roots) {
    bool leaf = t.trueLeaf[root] && t.falseLeaf[root] && t.trueNext[root] == t.falseNext[root];
    rootLeaf.push_back(leaf);
    start.push_back(double(leaf ? t.trueNext[root] : root));
  }
  Value current = table(start, i64, {1, trees});
  Value done = table(rootLeaf, i1, {1, trees});
  Value rowsByTrees = node.i64Vector({(*shape)[0], trees});
  current = node.create<ExpandOp>(current, rowsByTrees);
  done = node.create<ExpandOp>(done, rowsByTrees);
  for (int64_t level = 0; level < t.depth; ++level) {
    Value value = node.create<GatherElementsOp>(*x, at(features, current), b.getI64IntegerAttr(1));
    Value split = at(splits, current), mode = at(modes, current);
    Value set = at(members, current);
    Value member = node.create<GreaterOp>(
        node.create<ReduceSumOp>(
            node.create<CastOp>(node.create<EqualOp>(set, node.create<UnsqueezeOp>(
                                                              value, b.getDenseI64ArrayAttr({2}))),
                                TypeAttr::get(i64)),
            Value(), b.getDenseI64ArrayAttr({2}), b.getBoolAttr(false), b.getBoolAttr(false)),
        node.scalar(i64, 0));
    Value holds = member;
    Value byMode[] = {node.create<LessEqualOp>(value, split),
                      node.create<LessOp>(value, split),
                      node.create<GreaterEqualOp>(value, split),
                      node.create<GreaterOp>(value, split),
                      node.create<EqualOp>(value, split),
                      node.create<NotOp>(node.create<EqualOp>(value, split))};
    for (int64_t m = 5; m >= 0; --m)
      holds =
          node.create<WhereOp>(node.create<EqualOp>(mode, node.scalar(i64, m)), byMode[m], holds);
    holds = node.create<OrOp>(
        holds, node.create<AndOp>(node.create<IsNaNOp>(value), at(missing, current)));
    Value next = node.create<WhereOp>(holds, at(trueNext, current), at(falseNext, current));
    Value nextLeaf = node.create<WhereOp>(holds, at(trueLeaf, current), at(falseLeaf, current));
    current = node.create<WhereOp>(done, current, next);
    done = node.create<OrOp>(done, nextLeaf);
  }

  // [rows, trees, 1] weights against [1, 1, targets] ids.
  Value weight =
      node.create<UnsqueezeOp>(at(table(t.weights, element, {int64_t(t.weights.size())}), current),
                               b.getDenseI64ArrayAttr({2}));
  Value target =
      node.create<UnsqueezeOp>(at(intTable(t.targets, i64), current), b.getDenseI64ArrayAttr({2}));
  Value hits = node.create<EqualOp>(target, node.iota(targetCount, 2, 3));
  double none = aggregate == 2   ? double(std::numeric_limits<float>::max())
                : aggregate == 3 ? double(std::numeric_limits<float>::lowest())
                                 : 0;
  if (element.isF64())
    none = aggregate == 2   ? std::numeric_limits<double>::max()
           : aggregate == 3 ? std::numeric_limits<double>::lowest()
                            : 0;
  Value terms = node.create<WhereOp>(hits, weight, node.scalar(element, none));
  auto axes = b.getDenseI64ArrayAttr({1});
  auto keep = b.getBoolAttr(false), noop = b.getBoolAttr(false);
  Value y;
  if (aggregate == 2)
    y = node.create<ReduceMinOp>(terms, Value(), axes, keep, noop);
  else if (aggregate == 3)
    y = node.create<ReduceMaxOp>(terms, Value(), axes, keep, noop);
  else
    y = node.create<ReduceSumOp>(terms, Value(), axes, keep, noop);
  if (aggregate == 0)
    y = node.create<DivOp>(y, node.scalar(element, double(trees)));
  if (post == 1)
    y = node.create<SoftmaxOp>(y, b.getI64IntegerAttr(1));
  else if (post == 2)
    y = node.create<SigmoidOp>(y);
  return results(y);
}

} // namespace

ArrayRef<OnnxPattern> mlir::r1::getMlDomainPatterns() {
  static const SmallVector<OnnxPattern> patterns = {
      {"ArrayFeatureExtractor", 1, legalizeArrayFeatureExtractor},
      {"Binarizer", 1, legalizeBinarizer},
      {"TreeEnsemble", 5, legalizeTreeEnsemble},
  };
  return patterns;
}
