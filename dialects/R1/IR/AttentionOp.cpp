//===- AttentionOp.cpp - r1.attention and its gate attribute --------------===//
//
// Type inference and verification of the fused attention op, and the
// assembly format of #r1.attention_gate.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/DialectImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

//===----------------------------------------------------------------------===//
// #r1.attention_gate
//===----------------------------------------------------------------------===//

Attribute AttentionGateAttr::parse(AsmParser &parser, Type) {
  int64_t block = 0, window = 0, global = 0;
  double keep = 0, threshold = 0;
  StringRef rest;
  if (parser.parseLess() || parser.parseKeyword("block") || parser.parseEqual() ||
      parser.parseInteger(block) || parser.parseComma() || parser.parseKeyword("keep") ||
      parser.parseEqual() || parser.parseFloat(keep) || parser.parseComma())
    return {};
  // The threshold is optional: 0 (none) when absent.
  if (succeeded(parser.parseOptionalKeyword("threshold")) &&
      (parser.parseEqual() || parser.parseFloat(threshold) || parser.parseComma()))
    return {};
  if (parser.parseKeyword("window") || parser.parseEqual() || parser.parseInteger(window) ||
      parser.parseComma() || parser.parseKeyword("global") || parser.parseEqual() ||
      parser.parseInteger(global) || parser.parseComma() || parser.parseKeyword("rest") ||
      parser.parseEqual() || parser.parseKeyword(&rest))
    return {};
  if (rest != "drop" && rest != "mean") {
    parser.emitError(parser.getCurrentLocation()) << "rest must be drop or mean, not " << rest;
    return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, parser.getContext(),
                    block, llvm::APFloat(keep), llvm::APFloat(threshold), window, global,
                    rest == "mean");
}

void AttentionGateAttr::print(AsmPrinter &printer) const {
  printer << "<block = " << getBlock() << ", keep = " << getKeepRatio();
  if (getThresholdShare() > 0)
    printer << ", threshold = " << getThresholdShare();
  printer << ", window = " << getWindow() << ", global = " << getGlobal()
          << ", rest = " << (getEstimateRest() ? "mean" : "drop") << ">";
}

LogicalResult AttentionGateAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t block,
                                        llvm::APFloat keepRatio, llvm::APFloat thresholdShare,
                                        int64_t window, int64_t global, bool estimateRest) {
  double keep = keepRatio.convertToDouble();
  double threshold = thresholdShare.convertToDouble();
  if (block < 16 || block % 16 != 0)
    return emitError() << "gate block " << block << " is not a positive multiple of 16";
  if (!(keep > 0 && keep <= 1))
    return emitError() << "gate keep " << keep << " is not in (0, 1]";
  if (!(threshold >= 0 && threshold < 1))
    return emitError() << "gate threshold " << threshold << " is not in [0, 1)";
  if (threshold > 0 && !estimateRest)
    return emitError() << "a gate threshold needs rest = mean, whose block estimates it reads";
  if (window < 0 || global < 0)
    return emitError() << "gate window and global blocks must not be negative";
  return success();
}

int64_t AttentionGateAttr::getKeptBlocks(int64_t visible) const {
  auto kept = static_cast<int64_t>(std::ceil(getKeepRatio() * double(visible) - 1e-9));
  return std::clamp<int64_t>(kept, 1, std::max<int64_t>(visible, 1));
}

std::pair<int64_t, int64_t> AttentionGateAttr::countBlocks(int64_t queries, int64_t keys,
                                                           bool causal) const {
  int64_t block = getBlock();
  int64_t keyBlocks = (keys + block - 1) / block;
  int64_t kept = 0, visibleTotal = 0;
  for (int64_t first = 0; first < queries; first += block) {
    int64_t visible = keyBlocks;
    if (causal)
      visible = (std::min(keys, std::min(first + block, queries)) + block - 1) / block;
    int64_t own = first / block, forced = 0;
    for (int64_t b = 0; b < visible; ++b)
      forced += std::abs(b - own) <= getWindow() || b < getGlobal();
    kept += std::max(forced, getKeptBlocks(visible));
    visibleTotal += visible;
  }
  return {kept, visibleTotal};
}

//===----------------------------------------------------------------------===//
// r1.attention
//===----------------------------------------------------------------------===//

namespace {

/// [b, h, s, d] of a rank-4 shape in either layout; kDynamic when unknown.
std::array<int64_t, 4> headMajorDims(std::optional<SmallVector<int64_t>> shape,
                                     bool sequenceMajor) {
  if (!shape || shape->size() != 4)
    return {kDynamic, kDynamic, kDynamic, kDynamic};
  auto &s = *shape;
  return sequenceMajor ? std::array<int64_t, 4>{s[0], s[2], s[1], s[3]}
                       : std::array<int64_t, 4>{s[0], s[1], s[2], s[3]};
}

bool known(int64_t dim) { return dim != kDynamic; }

} // namespace

AttentionOp::Dims AttentionOp::getDims() {
  auto q = headMajorDims(getShapeOf(getQuery()), isSequenceMajor(0));
  auto k = headMajorDims(getShapeOf(getKey()), isSequenceMajor(1));
  auto v = headMajorDims(getShapeOf(getValue()), isSequenceMajor(2));
  return Dims{q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
}

AttentionOp::Strides AttentionOp::getStrides(unsigned operand) {
  Value value = operand == 3 ? getResult() : getOperand(operand);
  ArrayRef<int64_t> s = cast<RankedTensorType>(value.getType()).getShape();
  if (isSequenceMajor(operand))
    return {s[1] * s[2] * s[3], s[3], s[2] * s[3]};
  return {s[1] * s[2] * s[3], s[2] * s[3], s[3]};
}

std::array<int64_t, 4> AttentionOp::getMaskStrides() {
  std::array<int64_t, 4> strides = {0, 0, 0, 0};
  if (!getMask())
    return strides;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(getMask().getType()).getShape();
  int64_t stride = 1;
  for (int64_t i = int64_t(shape.size()) - 1, d = 3; i >= 0; --i, --d) {
    strides[d] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  ArrayRef<bool> layout = adaptor.getSequenceMajor();
  bool queryMajor = layout.size() == 4 && layout[0], outputMajor = layout.size() == 4 && layout[3];
  bool valueMajor = layout.size() == 4 && layout[2];
  auto q = headMajorDims(getShapeOf(adaptor.getQuery()), queryMajor);
  auto v = headMajorDims(getShapeOf(adaptor.getValue()), valueMajor);
  SmallVector<int64_t> shape = outputMajor ? SmallVector<int64_t>{q[0], q[2], q[1], v[3]}
                                           : SmallVector<int64_t>{q[0], q[1], q[2], v[3]};
  types.push_back(makeTensorType(ArrayRef<int64_t>(shape), getElementTypeOf(adaptor.getQuery())));
  return success();
}

LogicalResult AttentionOp::verify() {
  if (getSequenceMajor().size() != 4)
    return emitOpError() << "sequence_major needs 4 entries (query, key, value, output), not "
                         << getSequenceMajor().size();
  for (Value operand : {getQuery(), getKey(), getValue()}) {
    auto rank = getRankOf(operand);
    if (rank && *rank != 4)
      return emitOpError() << "query, key and value must have rank 4, not " << *rank;
  }
  Type element = getElementTypeOf(getQuery());
  if (getElementTypeOf(getKey()) != element || getElementTypeOf(getValue()) != element)
    return emitOpError() << "query, key and value element types differ";
  Dims dims = getDims();
  auto v = headMajorDims(getShapeOf(getValue()), isSequenceMajor(2));
  auto k = headMajorDims(getShapeOf(getKey()), isSequenceMajor(1));
  if (known(dims.headDim) && known(k[3]) && dims.headDim != k[3])
    return emitOpError() << "query and key head dims differ: " << dims.headDim << " and " << k[3];
  if (known(k[1]) && known(v[1]) && k[1] != v[1])
    return emitOpError() << "key and value head counts differ: " << k[1] << " and " << v[1];
  if (known(k[2]) && known(v[2]) && k[2] != v[2])
    return emitOpError() << "key and value lengths differ: " << k[2] << " and " << v[2];
  if (known(dims.batch) && known(k[0]) && known(v[0]) && (k[0] != dims.batch || v[0] != dims.batch))
    return emitOpError() << "query, key and value batch sizes differ";
  if (known(dims.heads) && known(dims.kvHeads) &&
      (dims.kvHeads == 0 || dims.heads % dims.kvHeads != 0))
    return emitOpError() << dims.heads << " query heads do not share " << dims.kvHeads
                         << " key/value heads evenly";
  if (Value mask = getMask()) {
    Type maskElement = getElementTypeOf(mask);
    if (!isa<FloatType>(maskElement) && !maskElement.isInteger(1))
      return emitOpError() << "mask must be float (added) or i1 (kept where true), not "
                           << maskElement;
    if (auto shape = getShapeOf(mask)) {
      if (shape->size() > 4)
        return emitOpError() << "mask of rank " << shape->size()
                             << " does not broadcast to [batch, heads, queries, keys]";
      std::array<int64_t, 4> scores = {dims.batch, dims.heads, dims.queries, dims.keys};
      for (size_t i = 0; i < shape->size(); ++i) {
        int64_t dim = (*shape)[shape->size() - 1 - i], target = scores[3 - i];
        if (known(dim) && known(target) && dim != 1 && dim != target)
          return emitOpError() << "mask dim " << dim << " does not broadcast to the scores' "
                               << target;
      }
    }
  }
  if (getScale().isNaN())
    return emitOpError("scale is NaN");
  return success();
}
