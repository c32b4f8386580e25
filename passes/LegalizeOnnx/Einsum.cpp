//===- Einsum.cpp - Einsum as transposes, reductions and matmuls ----------===//
//
// The equation is read at compile time. Each operand first loses its
// repeated labels (a diagonal) and the labels no one else reads (a sum);
// operands then combine pairwise, each pair as one batched matmul: labels
// both keep are batch dims, labels both drop are contracted, the rest are
// the rows and columns. A transpose puts the result in the output's order.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/DenseSet.h"

#include <cctype>
#include <map>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// A label: a letter, or one dim an ellipsis stands for (kEllipsis + k,
/// counted from the ellipsis' last dim, so broadcast dims line up).
using Label = int;
constexpr Label kEllipsis = 1000;

struct Term {
  Value value;
  SmallVector<Label> labels;
};

/// Parses one side's subscripts ("b...ij") for an operand of rank `rank`
/// (or the output, rank -1: an ellipsis there stands for `ellipsisDims`).
FailureOr<SmallVector<Label>> parseSubscripts(OnnxNode &node, StringRef text, int64_t rank,
                                              int64_t ellipsisDims) {
  SmallVector<Label> labels;
  size_t letters = llvm::count_if(text, [](char c) { return std::isalpha(c); });
  bool seenEllipsis = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isalpha(c)) {
      labels.push_back(c);
      continue;
    }
    if (text.substr(i).starts_with("...") && !seenEllipsis) {
      seenEllipsis = true;
      int64_t dims = rank >= 0 ? rank - int64_t(letters) : ellipsisDims;
      if (dims < 0)
        return node.emitError() << "subscripts '" << text << "' name more dims than rank " << rank,
               failure();
      for (int64_t k = dims - 1; k >= 0; --k)
        labels.push_back(kEllipsis + int(k));
      i += 2;
      continue;
    }
    return node.emitError() << "cannot read the equation at '" << text.substr(i) << "'", failure();
  }
  if (rank >= 0 && int64_t(labels.size()) != rank)
    return node.emitError() << "subscripts '" << text << "' name " << labels.size()
                            << " dims of an operand of rank " << rank,
           failure();
  return labels;
}

int64_t positionOf(ArrayRef<Label> labels, Label label) {
  return llvm::find(labels, label) - labels.begin();
}

Value transposeTo(OnnxNode &node, Term &term, ArrayRef<Label> order) {
  SmallVector<int64_t> perm;
  for (Label label : order)
    perm.push_back(positionOf(term.labels, label));
  bool identity = llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()));
  term.labels.assign(order.begin(), order.end());
  if (!identity)
    term.value = node.create<TransposeOp>(term.value, node.getBuilder().getDenseI64ArrayAttr(perm));
  return term.value;
}

Value sumOver(OnnxNode &node, Value x, ArrayRef<int64_t> axes) {
  OpBuilder &b = node.getBuilder();
  return node.create<ReduceSumOp>(x, Value(), b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false),
                                  b.getBoolAttr(false));
}

/// Takes the diagonal of each label an operand repeats: x times the
/// identity along the two dims, summed over the second.
FailureOr<Term> takeDiagonals(OnnxNode &node, Term term) {
  for (size_t q = 0; q < term.labels.size(); ++q) {
    size_t p = positionOf(term.labels, term.labels[q]);
    if (p == q)
      continue;
    auto shape = getShapeOf(term.value);
    if (!shape || (*shape)[p] == kDynamic || (*shape)[p] != (*shape)[q])
      return node.emitError() << "a repeated label needs equal static dims", failure();
    int64_t n = (*shape)[p], rank = shape->size();
    SmallVector<int64_t> maskShape(rank, 1);
    maskShape[p] = maskShape[q] = n;
    SmallVector<Attribute> ones;
    Type element = getElementTypeOf(term.value);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        ones.push_back(isa<FloatType>(element) ? Attribute(FloatAttr::get(element, i == j))
                                               : Attribute(IntegerAttr::get(element, i == j)));
    auto maskType = RankedTensorType::get(maskShape, element);
    Value mask =
        node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(maskType, ones)));
    term.value = sumOver(node, node.create<MulOp>(term.value, mask), {int64_t(q)});
    term.labels.erase(term.labels.begin() + q);
    --q;
  }
  return term;
}

/// The product of static dims, or an error naming what needs them.
FailureOr<int64_t> staticProduct(OnnxNode &node, ArrayRef<int64_t> dims) {
  int64_t product = 1;
  for (int64_t d : dims) {
    if (d == kDynamic)
      return node.emitError() << "needs static dims for the labels a matmul joins", failure();
    product *= d;
  }
  return product;
}

/// Combines two terms into one whose labels are those `keep` holds.
FailureOr<Term> contract(OnnxNode &node, Term a, Term b, const llvm::DenseSet<Label> &keep) {
  SmallVector<Label> batch, rows, cols, inner;
  for (Label label : a.labels) {
    bool inB = llvm::is_contained(b.labels, label);
    if (inB)
      (keep.contains(label) ? batch : inner).push_back(label);
    else
      rows.push_back(label);
  }
  for (Label label : b.labels)
    if (!llvm::is_contained(a.labels, label))
      cols.push_back(label);
  SmallVector<Label> aOrder(batch), bOrder(batch);
  aOrder.append(rows.begin(), rows.end());
  aOrder.append(inner.begin(), inner.end());
  bOrder.append(inner.begin(), inner.end());
  bOrder.append(cols.begin(), cols.end());
  transposeTo(node, a, aOrder);
  transposeTo(node, b, bOrder);
  auto aShape = getShapeOf(a.value), bShape = getShapeOf(b.value);
  if (!aShape || !bShape)
    return node.emitError() << "needs ranked operands", failure();
  size_t nb = batch.size();
  ArrayRef<int64_t> aDims(*aShape), bDims(*bShape);
  FailureOr<int64_t> m = staticProduct(node, aDims.slice(nb, rows.size()));
  FailureOr<int64_t> k = staticProduct(node, aDims.drop_front(nb + rows.size()));
  FailureOr<int64_t> n = staticProduct(node, bDims.drop_front(nb + inner.size()));
  if (failed(m) || failed(k) || failed(n))
    return failure();
  OpBuilder &builder = node.getBuilder();
  // Reshape keeps the batch dims (0 copies a dim) and flattens the rest.
  auto flatten = [&](Value x, int64_t first, int64_t second) {
    SmallVector<int64_t> shape(nb, 0);
    shape.append({first, second});
    return node.create<ReshapeOp>(x, node.i64Vector(shape), builder.getBoolAttr(false));
  };
  Value product = node.create<MatMulOp>(flatten(a.value, *m, *k), flatten(b.value, *k, *n));
  SmallVector<int64_t> shape(nb, 0);
  for (size_t i = 0; i < rows.size(); ++i)
    shape.push_back(aDims[nb + i]);
  for (size_t i = 0; i < cols.size(); ++i)
    shape.push_back(bDims[nb + inner.size() + i]);
  Term result;
  result.value = node.create<ReshapeOp>(product, node.i64Vector(shape), builder.getBoolAttr(false));
  result.labels = batch;
  result.labels.append(rows.begin(), rows.end());
  result.labels.append(cols.begin(), cols.end());
  return result;
}

Result legalizeEinsum(OnnxNode &node) {
  std::string equation;
  for (char c : node.getString("equation", ""))
    if (!std::isspace(static_cast<unsigned char>(c)))
      equation.push_back(c);
  StringRef text(equation);
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  SmallVector<StringRef> subscripts;
  lhs.split(subscripts, ',');
  if (subscripts.size() != node.getNumInputs())
    return node.emitError() << "equation '" << text << "' names " << subscripts.size()
                            << " operands for " << node.getNumInputs() << " inputs",
           failure();

  SmallVector<Term> terms;
  int64_t ellipsisDims = 0;
  for (auto [i, part] : llvm::enumerate(subscripts)) {
    FailureOr<Value> x = node.requiredInput(i);
    if (failed(x))
      return failure();
    std::optional<int64_t> rank = getRankOf(*x);
    if (!rank)
      return node.emitError() << "needs ranked inputs", failure();
    FailureOr<SmallVector<Label>> labels = parseSubscripts(node, part, *rank, 0);
    if (failed(labels))
      return failure();
    for (Label label : *labels)
      if (label >= kEllipsis)
        ellipsisDims = std::max<int64_t>(ellipsisDims, label - kEllipsis + 1);
    terms.push_back({*x, *labels});
  }
  SmallVector<Label> output;
  if (explicitOutput) {
    FailureOr<SmallVector<Label>> labels = parseSubscripts(node, rhs, -1, ellipsisDims);
    if (failed(labels))
      return failure();
    output = *labels;
  } else {
    // Implicit output: the broadcast dims, then every letter used once, sorted.
    for (int64_t k = ellipsisDims - 1; k >= 0; --k)
      output.push_back(kEllipsis + int(k));
    std::map<Label, int> uses;
    for (Term &term : terms)
      for (Label label : term.labels)
        if (label < kEllipsis)
          ++uses[label];
    for (auto [label, count] : uses)
      if (count == 1)
        output.push_back(label);
  }

  // Labels that a later operand or the output still reads.
  auto neededAfter = [&](size_t index) {
    llvm::DenseSet<Label> needed(output.begin(), output.end());
    for (size_t j = index + 1; j < terms.size(); ++j)
      needed.insert(terms[j].labels.begin(), terms[j].labels.end());
    return needed;
  };
  for (auto [i, term] : llvm::enumerate(terms)) {
    FailureOr<Term> diagonal = takeDiagonals(node, term);
    if (failed(diagonal))
      return failure();
    term = *diagonal;
  }
  Term acc = terms[0];
  for (size_t i = 0; i < terms.size(); ++i) {
    // Sum out what neither the others nor the output read.
    llvm::DenseSet<Label> needed = neededAfter(i);
    Term &current = i == 0 ? acc : terms[i];
    llvm::DenseSet<Label> others = needed;
    if (i > 0)
      others.insert(acc.labels.begin(), acc.labels.end());
    SmallVector<int64_t> unused;
    SmallVector<Label> kept;
    for (auto [axis, label] : llvm::enumerate(current.labels)) {
      if (others.contains(label))
        kept.push_back(label);
      else
        unused.push_back(axis);
    }
    if (!unused.empty()) {
      current.value = sumOver(node, current.value, unused);
      current.labels = kept;
    }
    if (i == 0)
      continue;
    FailureOr<Term> joined = contract(node, acc, current, needed);
    if (failed(joined))
      return failure();
    acc = *joined;
  }
  for (Label label : output)
    if (!llvm::is_contained(acc.labels, label))
      return node.emitError() << "the output names a label no operand has", failure();
  return results(transposeTo(node, acc, output));
}

} // namespace

void mlir::r1::addEinsumOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({{"Einsum", 12, legalizeEinsum}});
}
