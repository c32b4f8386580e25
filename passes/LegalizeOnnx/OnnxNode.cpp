//===- OnnxNode.cpp - An imported ONNX node, as legalization sees it ------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::r1;

Value OnnxNode::input(unsigned index) {
  if (index >= op.getInputs().size())
    return nullptr;
  Value value = op.getInputs()[index];
  return isa<NoneType>(value.getType()) ? Value() : value;
}

FailureOr<Value> OnnxNode::requiredInput(unsigned index) {
  if (Value value = input(index))
    return value;
  return emitError() << "input #" << index << " is required", failure();
}

FailureOr<SmallVector<Value>> OnnxNode::requiredInputs(unsigned count) {
  SmallVector<Value> values;
  for (unsigned i = 0; i < count; ++i) {
    FailureOr<Value> value = requiredInput(i);
    if (failed(value))
      return failure();
    values.push_back(*value);
  }
  return values;
}

FailureOr<Region *> OnnxNode::requiredSubgraph(StringRef name) {
  if (Region *region = op.getSubgraph(name))
    return region;
  return emitError() << "missing required subgraph attribute '" << name << "'", failure();
}

int64_t OnnxNode::getInt(StringRef name, int64_t fallback) {
  if (auto attr = op.getOnnxAttrs().getAs<IntegerAttr>(name))
    return attr.getInt();
  return fallback;
}

FailureOr<int64_t> OnnxNode::requiredInt(StringRef name) {
  if (auto attr = op.getOnnxAttrs().getAs<IntegerAttr>(name))
    return attr.getInt();
  return emitError() << "missing required attribute '" << name << "'", failure();
}

float OnnxNode::getFloat(StringRef name, float fallback) {
  if (auto attr = op.getOnnxAttrs().getAs<FloatAttr>(name))
    return attr.getValueAsDouble();
  // Some exporters write whole numbers as ints.
  if (auto attr = op.getOnnxAttrs().getAs<IntegerAttr>(name))
    return attr.getInt();
  return fallback;
}

StringRef OnnxNode::getString(StringRef name, StringRef fallback) {
  if (auto attr = op.getOnnxAttrs().getAs<StringAttr>(name))
    return attr.getValue();
  return fallback;
}

std::optional<SmallVector<int64_t>> OnnxNode::getInts(StringRef name) {
  if (auto attr = op.getOnnxAttrs().getAs<DenseI64ArrayAttr>(name))
    return llvm::to_vector(attr.asArrayRef());
  if (auto attr = op.getOnnxAttrs().getAs<IntegerAttr>(name))
    return SmallVector<int64_t>{attr.getInt()};
  return std::nullopt;
}

std::optional<SmallVector<float>> OnnxNode::getFloats(StringRef name) {
  if (auto attr = op.getOnnxAttrs().getAs<DenseF32ArrayAttr>(name))
    return llvm::to_vector(attr.asArrayRef());
  return std::nullopt;
}

std::optional<SmallVector<StringRef>> OnnxNode::getStrings(StringRef name) {
  auto attr = op.getOnnxAttrs().getAs<ArrayAttr>(name);
  if (!attr)
    return std::nullopt;
  SmallVector<StringRef> strings;
  for (Attribute element : attr)
    if (auto string = dyn_cast<StringAttr>(element))
      strings.push_back(string.getValue());
  return strings;
}

ElementsAttr OnnxNode::getTensor(StringRef name) {
  return op.getOnnxAttrs().getAs<ElementsAttr>(name);
}

std::optional<SmallVector<int64_t>> OnnxNode::constantInts(unsigned index) {
  Value value = input(index);
  if (!value)
    return std::nullopt;
  // Read literals directly: INT64_MIN is a valid Slice end, not "unknown".
  Attribute attr;
  if (matchPattern(value, m_Constant(&attr)))
    return getIntElements(attr);
  return getConstantIntValues(value);
}

std::optional<double> OnnxNode::constantScalar(unsigned index) {
  Value value = input(index);
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  if (isa<FloatType>(dense.getElementType()))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  if (dense.getElementType().isUnsignedInteger())
    return double((*dense.getValues<APInt>().begin()).getZExtValue());
  return double((*dense.getValues<APInt>().begin()).getSExtValue());
}

std::optional<SmallVector<double>> OnnxNode::constantDoubles(unsigned index) {
  Value value = input(index);
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<double> values;
  if (isa<FloatType>(dense.getElementType())) {
    for (const APFloat &v : dense.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else if (dense.getElementType().isIntOrIndex()) {
    bool isUnsigned = dense.getElementType().isUnsignedInteger();
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(isUnsigned ? double(v.getZExtValue()) : double(v.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return values;
}

InFlightDiagnostic OnnxNode::emitError() {
  InFlightDiagnostic diag = mlir::emitError(getLoc()) << getOpType();
  if (!op.getDomain().empty())
    diag << " (domain '" << op.getDomain() << "', opset " << getOpset() << "): ";
  else
    diag << " (opset " << getOpset() << "): ";
  return diag;
}

std::optional<SmallVector<int64_t>> OnnxNode::declaredShape(unsigned index) {
  auto type = dyn_cast<RankedTensorType>(op.getResult(index).getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return SmallVector<int64_t>(type.getShape());
}

FailureOr<Value> OnnxNode::leadingEntries(unsigned index, Value padded, Value count, int64_t axis) {
  auto declared = dyn_cast<RankedTensorType>(getDeclaredOutputType(index));
  auto type = cast<RankedTensorType>(padded.getType());
  if (!declared || declared.getRank() != type.getRank() || declared.isDynamicDim(axis))
    return Value(create<KeepLeadingOp>(padded, count, builder.getI64IntegerAttr(axis)));
  int64_t extent = declared.getDimSize(axis), bound = type.getDimSize(axis);
  if (bound != kDynamic && extent > bound)
    return emitError() << "output #" << index << " is declared with " << extent
                       << " entries along dim " << axis << ", but the data can give at most "
                       << bound,
           failure();
  return Value(create<SliceOp>(
      padded, builder.getDenseI64ArrayAttr({axis}), builder.getDenseI64ArrayAttr({0}),
      builder.getDenseI64ArrayAttr({extent}), builder.getDenseI64ArrayAttr({1})));
}

Value OnnxNode::scalar(Type element, double value) {
  auto type = RankedTensorType::get({}, element);
  Attribute attr;
  if (isa<FloatType>(element))
    attr = DenseElementsAttr::get(type, builder.getFloatAttr(element, value));
  else
    attr = DenseElementsAttr::get(type, builder.getIntegerAttr(element, int64_t(value)));
  return create<ConstantOp>(cast<ElementsAttr>(attr));
}

Value OnnxNode::i64Vector(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, builder.getI64Type());
  return create<ConstantOp>(cast<ElementsAttr>(DenseIntElementsAttr::get(type, values)));
}

Value OnnxNode::toScalar(Value value, Type element) {
  if (getElementTypeOf(value) != element)
    value = create<CastOp>(value, TypeAttr::get(element));
  return create<ReshapeOp>(value, i64Vector({}), builder.getBoolAttr(false));
}

Value OnnxNode::dataAxis(Value axis, int64_t rank) {
  Type i64 = builder.getI64Type();
  Value value = toScalar(axis, i64);
  Value negative = create<LessOp>(value, scalar(i64, 0));
  return create<WhereOp>(negative, create<AddOp>(value, scalar(i64, rank)), value);
}

Value OnnxNode::iota(int64_t extent, int64_t axis, int64_t rank) {
  Type i64 = builder.getI64Type();
  Value range = create<RangeOp>(scalar(i64, 0), scalar(i64, extent), scalar(i64, 1));
  if (rank == 1)
    return range;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = extent;
  return create<ReshapeOp>(range, i64Vector(shape), builder.getBoolAttr(false));
}

/// Explicit pads: from `pads`, or computed for `auto_pad`.
static FailureOr<SmallVector<int64_t>> getWindowPads(OnnxNode &node, Value input,
                                                     ArrayRef<int64_t> kernel,
                                                     ArrayRef<int64_t> strides,
                                                     ArrayRef<int64_t> dilations) {
  size_t spatial = kernel.size();
  StringRef autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads =
        node.getInts("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
    if (pads.size() != 2 * spatial)
      return node.emitError() << "expects " << 2 * spatial << " pads, got " << pads.size(),
             failure();
    return pads;
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * spatial, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return node.emitError() << "unknown auto_pad \"" << autoPad << "\"", failure();
  auto shape = dyn_cast<RankedTensorType>(input.getType());
  if (!shape || shape.getRank() != int64_t(spatial) + 2)
    return node.emitError() << "auto_pad " << autoPad << " needs a ranked input", failure();
  SmallVector<int64_t> pads(2 * spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t size = shape.getDimSize(i + 2);
    if (ShapedType::isDynamic(size))
      return node.emitError() << "auto_pad " << autoPad
                              << " needs static spatial dims, but dim " << i + 2
                              << " is dynamic",
             failure();
    // SAME keeps ceil(size / stride) outputs; the odd pad goes last for
    // SAME_UPPER and first for SAME_LOWER.
    if (strides[i] <= 0 || dilations[i] <= 0 || kernel[i] <= 0)
      return node.emitError() << "kernel_shape, strides and dilations must be positive",
             failure();
    // 128-bit: the attributes come from the file and may be absurd.
    __int128 outputs = (__int128(size) + strides[i] - 1) / strides[i];
    __int128 needed = (outputs - 1) * strides[i] + __int128(kernel[i] - 1) * dilations[i] +
                      1 - size;
    if (needed > INT32_MAX)
      return node.emitError() << "auto_pad " << autoPad << " needs absurd padding",
             failure();
    int64_t total = std::max<int64_t>(int64_t(needed), 0);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}

FailureOr<Window> mlir::r1::getWindow(OnnxNode &node, Value input,
                                      std::optional<SmallVector<int64_t>> kernel) {
  if (auto attr = node.getInts("kernel_shape"))
    kernel = attr;
  if (!kernel)
    return node.emitError() << "missing required attribute 'kernel_shape'", failure();
  Window window;
  window.kernel = *kernel;
  size_t spatial = kernel->size();
  window.strides = node.getInts("strides").value_or(SmallVector<int64_t>(spatial, 1));
  window.dilations = node.getInts("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  if (window.strides.size() != spatial || window.dilations.size() != spatial)
    return node.emitError() << "strides and dilations need " << spatial << " values each",
           failure();
  FailureOr<SmallVector<int64_t>> pads =
      getWindowPads(node, input, window.kernel, window.strides, window.dilations);
  if (failed(pads))
    return failure();
  window.pads = std::move(*pads);
  return window;
}

FailureOr<SmallVector<int64_t>> mlir::r1::getAxesOperand(OnnxNode &node,
                                                        int64_t inputSinceOpset) {
  if (node.getOpset() < inputSinceOpset)
    return node.getInts("axes").value_or(SmallVector<int64_t>{});
  if (!node.input(1))
    return SmallVector<int64_t>{};
  if (auto axes = node.constantInts(1))
    return *axes;
  return node.emitError() << "axes must be a constant; computed axes are unsupported",
         failure();
}

/// The element type ONNX's `to` attribute names.
FailureOr<Type> mlir::r1::getOnnxElementType(OnnxNode &node, int64_t code) {
  Builder b(node.getBuilder().getContext());
  switch (code) {
  case 1: return Type(b.getF32Type());
  case 2: return Type(b.getIntegerType(8, false));
  case 3: return Type(b.getIntegerType(8));
  case 4: return Type(b.getIntegerType(16, false));
  case 5: return Type(b.getIntegerType(16));
  case 6: return Type(b.getI32Type());
  case 7: return Type(b.getI64Type());
  case 9: return Type(b.getI1Type());
  case 10: return Type(b.getF16Type());
  case 11: return Type(b.getF64Type());
  case 12: return Type(b.getIntegerType(32, false));
  case 13: return Type(b.getIntegerType(64, false));
  case 16: return Type(b.getBF16Type());
  case 17: return Type(b.getFloat8E4M3FNType());
  case 18: return Type(b.getFloat8E4M3FNUZType());
  case 19: return Type(b.getFloat8E5M2Type());
  case 20: return Type(b.getFloat8E5M2FNUZType());
  default:
    return node.emitError() << "cast to element type code " << code << " is unsupported",
           failure();
  }
}

Value mlir::r1::takeAlong(OnnxNode &node, Value value, int64_t axis, int64_t index) {
  OpBuilder &b = node.getBuilder();
  Value slice =
      node.create<SliceOp>(value, b.getDenseI64ArrayAttr({axis}), b.getDenseI64ArrayAttr({index}),
                           b.getDenseI64ArrayAttr({index + 1}), b.getDenseI64ArrayAttr({1}));
  return node.create<SqueezeOp>(slice, b.getDenseI64ArrayAttr({axis}));
}

Value mlir::r1::stackAlong(OnnxNode &node, ArrayRef<Value> values, int64_t axis) {
  OpBuilder &b = node.getBuilder();
  SmallVector<Value> expanded = llvm::map_to_vector(values, [&](Value value) -> Value {
    return node.create<UnsqueezeOp>(value, b.getDenseI64ArrayAttr({axis}));
  });
  if (expanded.size() == 1)
    return expanded.front();
  return node.create<ConcatOp>(expanded, b.getI64IntegerAttr(axis));
}

ArrayRef<OnnxPattern> mlir::r1::getDefaultDomainPatterns() {
  static const SmallVector<OnnxPattern> patterns = [] {
    SmallVector<OnnxPattern> all;
    addDefaultDomainAtoF(all);
    addDefaultDomainGtoM(all);
    addDefaultDomainNtoR(all);
    addDefaultDomainStoZ(all);
    addTransformerOps(all);
    addNormalizationOps(all);
    addLossOps(all);
    addIndexingOps(all);
    addSignalOps(all);
    addUniqueOps(all);
    addRandomOps(all);
    addEinsumOps(all);
    addDeterminantOps(all);
    addQuantizedOps(all);
    addImageOps(all);
    addControlFlow(all);
    addRecurrent(all);
    llvm::sort(all, [](const OnnxPattern &a, const OnnxPattern &b) {
      return std::make_pair(a.opType, a.sinceOpset) < std::make_pair(b.opType, b.sinceOpset);
    });
    return all;
  }();
  return patterns;
}

FailureOr<Value> mlir::r1::alignLegacyBroadcast(OnnxNode &node, Value a, Value b) {
  if (node.getOpset() >= 7 || node.getInt("broadcast", 0) == 0 || !node.hasAttr("axis"))
    return b;
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  auto bType = dyn_cast<RankedTensorType>(b.getType());
  if (!aType || !bType)
    return node.emitError() << "broadcasting from an axis needs ranked inputs", failure();
  int64_t rank = aType.getRank(), axis = node.getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  int64_t trailing = rank - axis - bType.getRank();
  if (axis < 0 || trailing < 0)
    return node.emitError() << "axis " << node.getInt("axis", 0) << " does not fit B of rank "
                            << bType.getRank() << " into A of rank " << rank,
           failure();
  if (trailing == 0)
    return b;
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < trailing; ++i)
    axes.push_back(bType.getRank() + i);
  return Value(node.create<UnsqueezeOp>(b, node.getBuilder().getDenseI64ArrayAttr(axes)));
}

/// The newest pattern of `patterns` (sorted by op type, then opset) for
/// `opType` at `opset`.
static const OnnxPattern *findIn(ArrayRef<OnnxPattern> patterns, StringRef opType, int64_t opset) {
  const OnnxPattern *best = nullptr;
  for (const OnnxPattern &pattern : patterns)
    if (pattern.opType == opType && pattern.sinceOpset <= opset)
      best = &pattern; // sorted by opset, so the last match is the newest
  return best;
}

const OnnxPattern *mlir::r1::findDefaultDomainPattern(StringRef opType, int64_t opset) {
  return findIn(getDefaultDomainPatterns(), opType, opset);
}

const OnnxPattern *mlir::r1::findPattern(StringRef domain, StringRef opType, int64_t opset) {
  if (domain.empty() || domain == "ai.onnx")
    return findDefaultDomainPattern(opType, opset);
  if (domain == "ai.onnx.ml")
    return findIn(getMlDomainPatterns(), opType, opset);
  return nullptr;
}

/// The op types of sorted `patterns`, once each.
static SmallVector<StringRef> opTypesOf(ArrayRef<OnnxPattern> patterns) {
  SmallVector<StringRef> ops;
  for (const OnnxPattern &pattern : patterns)
    if (ops.empty() || ops.back() != pattern.opType)
      ops.push_back(pattern.opType);
  return ops;
}

SmallVector<StringRef> mlir::r1::getSupportedOnnxOps() {
  return opTypesOf(getDefaultDomainPatterns());
}

SmallVector<StringRef> mlir::r1::getSupportedMlOps() { return opTypesOf(getMlDomainPatterns()); }
