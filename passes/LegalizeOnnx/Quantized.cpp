//===- Quantized.cpp - QDQ and QOperator ops to integer r1 ops ------------===//
//
// QuantizeLinear and DequantizeLinear become r1.quantize and r1.dequantize,
// elementwise ops whose per-axis scale and zero point are reshaped to
// broadcast along the axis. MatMulInteger and ConvInteger become the exact
// i32 contractions r1.matmul_integer and r1.conv_integer; QLinearMatMul and
// QLinearConv are those followed by their requantization, elementwise ops
// (scale the i32 sums by a_scale * b_scale / y_scale, round, add y's zero
// point, saturate) that the kernel former fuses after the contraction.
// Blocked quantization (opset 21's block_size) and the 4-bit and float8
// types are refused, naming the node.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"

#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// The integer types quantized tensors take here: 8- and 16-bit.
bool isQuantizedInteger(Type type) {
  auto integer = dyn_cast<IntegerType>(type);
  return integer && (integer.getWidth() == 8 || integer.getWidth() == 16);
}

/// An error for an element type r1c does not quantize with, naming it.
LogicalResult checkQuantizedType(OnnxNode &node, Type type, StringRef what, bool allowI32 = false) {
  if (isQuantizedInteger(type) || (allowI32 && type.isInteger(32)))
    return success();
  if (isa<FloatType>(type))
    return node.emitError() << what << " of float type " << type
                            << ": float8 quantization is not supported",
           failure();
  return node.emitError() << what << " of type " << type
                          << " is not supported (int8, uint8, int16 or uint16)",
         failure();
}

Value castTo(OnnxNode &node, Value x, Type element) {
  if (getElementTypeOf(x) == element)
    return x;
  return node.create<CastOp>(x, TypeAttr::get(element));
}

Value reshapeTo(OnnxNode &node, Value x, ArrayRef<int64_t> shape) {
  return node.create<ReshapeOp>(x, node.i64Vector(shape), node.getBuilder().getBoolAttr(false));
}

/// A scale or zero point made to broadcast against an input of rank `rank`
/// quantized along `axis`: one value stays as it is; a 1-D tensor of
/// several gets trailing dims of 1 so that its dim lines up with `axis`.
/// `axis` is std::nullopt where the op has none (per tensor only).
FailureOr<Value> alongAxis(OnnxNode &node, Value param, std::optional<int64_t> rank,
                           std::optional<int64_t> axis, StringRef what) {
  auto shape = getShapeOf(param);
  if (!shape)
    return node.emitError() << what << " must be ranked", failure();
  if (shape->empty() || (shape->size() == 1 && (*shape)[0] == 1))
    return param;
  if (shape->size() > 1)
    return node.emitError() << what << " of shape ["
                            << llvm::make_range(shape->begin(), shape->end())
                            << "] quantizes in blocks, which is not supported",
           failure();
  if (!axis)
    return node.emitError() << what << " must be one value before opset 13 (per tensor)", failure();
  if (!rank)
    return node.emitError() << "needs a ranked input for a per-axis " << what, failure();
  std::optional<int64_t> normalized = normalizeAxis(*axis, *rank);
  if (!normalized)
    return node.emitError() << "axis " << *axis << " is out of range for rank " << *rank, failure();
  SmallVector<int64_t> dims(*rank - *normalized, 1);
  dims.front() = (*shape)[0];
  return reshapeTo(node, param, dims);
}

/// opset 21's block_size: nonzero means blocked quantization.
LogicalResult refuseBlocks(OnnxNode &node) {
  if (int64_t block = node.getInt("block_size", 0))
    return node.emitError() << "blocked quantization (block_size " << block << ") is not supported",
           failure();
  return success();
}

template <bool HasAxis> Result legalizeQuantizeLinear(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1);
  if (failed(x) || failed(scale) || failed(refuseBlocks(node)))
    return failure();
  Value zeroPoint = node.input(2);
  Type quantized;
  if (zeroPoint) {
    quantized = getElementTypeOf(zeroPoint);
  } else {
    // uint8 unless opset 21's output_dtype says otherwise.
    FailureOr<Type> type = getOnnxElementType(node, node.getInt("output_dtype", 2));
    if (failed(type))
      return failure();
    quantized = *type;
  }
  if (failed(checkQuantizedType(node, quantized, "quantizing to a zero point")))
    return failure();
  if (!zeroPoint)
    zeroPoint = node.scalar(quantized, 0);
  Value input = *x;
  if (!isa<FloatType>(getElementTypeOf(input)))
    input = castTo(node, input, node.getBuilder().getF32Type());
  std::optional<int64_t> rank = getRankOf(input);
  std::optional<int64_t> axis =
      HasAxis ? std::optional<int64_t>(node.getInt("axis", 1)) : std::nullopt;
  FailureOr<Value> s = alongAxis(node, *scale, rank, axis, "y_scale");
  if (failed(s))
    return failure();
  FailureOr<Value> z = alongAxis(node, zeroPoint, rank, axis, "y_zero_point");
  if (failed(z))
    return failure();
  return results(node.create<QuantizeOp>(input, *s, *z));
}

template <bool HasAxis> Result legalizeDequantizeLinear(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1);
  if (failed(x) || failed(scale) || failed(refuseBlocks(node)))
    return failure();
  Type quantized = getElementTypeOf(*x);
  if (failed(checkQuantizedType(node, quantized, "dequantizing x", /*allowI32=*/true)))
    return failure();
  Value zeroPoint = node.input(2);
  if (!zeroPoint)
    zeroPoint = node.scalar(quantized, 0);
  std::optional<int64_t> rank = getRankOf(*x);
  std::optional<int64_t> axis =
      HasAxis ? std::optional<int64_t>(node.getInt("axis", 1)) : std::nullopt;
  FailureOr<Value> s = alongAxis(node, *scale, rank, axis, "x_scale");
  if (failed(s))
    return failure();
  FailureOr<Value> z = alongAxis(node, zeroPoint, rank, axis, "x_zero_point");
  if (failed(z))
    return failure();
  Value result = node.create<DequantizeOp>(*x, *s, *z);
  // opset 23's output_dtype names the scale's type when given.
  if (node.hasAttr("output_dtype")) {
    FailureOr<Type> type = getOnnxElementType(node, node.getInt("output_dtype", 1));
    if (failed(type))
      return failure();
    result = castTo(node, result, *type);
  }
  return results(result);
}

/// DynamicQuantizeLinear's function body: the uint8 range covers [min(x, 0),
/// max(x, 0)], the zero point is where 0 lands, clipped then rounded.
Result legalizeDynamicQuantizeLinear(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  Type f32 = b.getF32Type(), u8 = b.getIntegerType(8, false);
  if (getElementTypeOf(*x) != f32)
    return node.emitError() << "takes float32 input, not " << getElementTypeOf(*x), failure();
  auto reduceAll = [&](auto tag) -> Value {
    using ReduceTy = decltype(tag);
    return node.create<ReduceTy>(*x, Value(), b.getDenseI64ArrayAttr({}), b.getBoolAttr(false),
                                 b.getBoolAttr(false));
  };
  Value zero = node.scalar(f32, 0);
  Value low = node.create<MinOp>(reduceAll(ReduceMinOp()), zero);
  Value high = node.create<MaxOp>(reduceAll(ReduceMaxOp()), zero);
  Value scale = node.create<DivOp>(node.create<SubOp>(high, low), node.scalar(f32, 255));
  Value initial = node.create<SubOp>(zero, node.create<DivOp>(low, scale));
  Value clipped = node.create<ClipOp>(initial, b.getF64FloatAttr(0), b.getF64FloatAttr(255));
  Value zeroPoint = castTo(node, node.create<RoundOp>(clipped), u8);
  Value y = node.create<QuantizeOp>(*x, scale, zeroPoint);
  return SmallVector<Value>{y, scale, zeroPoint};
}

/// The operands of an integer contraction must be int8 or uint8.
LogicalResult checkInt8(OnnxNode &node, Value value, StringRef what) {
  Type type = getElementTypeOf(value);
  auto integer = dyn_cast<IntegerType>(type);
  if (integer && integer.getWidth() == 8)
    return success();
  return node.emitError() << what << " of type " << type << " is not supported (int8 or uint8)",
         failure();
}

/// A matmul zero point as r1.matmul_integer takes it: one value, or for
/// lhs one per row ([M] becomes [M, 1]); rhs's [N] broadcasts as it is.
FailureOr<Value> matmulZeroPoint(OnnxNode &node, Value zeroPoint, Value operand, bool lhs,
                                 StringRef what) {
  if (!zeroPoint)
    return node.scalar(getElementTypeOf(operand), 0);
  if (failed(checkInt8(node, zeroPoint, what)))
    return failure();
  auto shape = getShapeOf(zeroPoint);
  if (lhs && shape && shape->size() == 1 && (*shape)[0] != 1)
    return reshapeTo(node, zeroPoint, {(*shape)[0], 1});
  return zeroPoint;
}

/// An exact i32 matmul of 8-bit operands; 1-D operands are made a row
/// (lhs) or a column (rhs) and the added dim dropped again, as MatMul does.
FailureOr<Value> buildMatMulInteger(OnnxNode &node, Value a, Value b, Value aZero, Value bZero) {
  if (failed(checkInt8(node, a, "A")) || failed(checkInt8(node, b, "B")))
    return failure();
  std::optional<int64_t> aRank = getRankOf(a), bRank = getRankOf(b);
  if (!aRank || !bRank)
    return node.emitError() << "needs ranked operands", failure();
  auto aShape = *getShapeOf(a), bShape = *getShapeOf(b);
  if (*aRank == 1)
    a = reshapeTo(node, a, {1, aShape[0]});
  if (*bRank == 1)
    b = reshapeTo(node, b, {bShape[0], 1});
  FailureOr<Value> za = matmulZeroPoint(node, aZero, a, true, "a_zero_point");
  FailureOr<Value> zb = matmulZeroPoint(node, bZero, b, false, "b_zero_point");
  if (failed(za) || failed(zb))
    return failure();
  Value product = node.create<MatMulIntegerOp>(a, b, *za, *zb);
  if (*aRank > 1 && *bRank > 1)
    return product;
  auto shape = *getShapeOf(product);
  SmallVector<int64_t> kept(shape.begin(), shape.end() - 2);
  if (*aRank > 1)
    kept.push_back(shape[shape.size() - 2]);
  if (*bRank > 1)
    kept.push_back(shape.back());
  if (llvm::is_contained(kept, kDynamic))
    return node.emitError() << "needs static dims for a 1-D operand", failure();
  return reshapeTo(node, product, kept);
}

Result legalizeMatMulInteger(OnnxNode &node) {
  FailureOr<Value> a = node.requiredInput(0), b = node.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> product = buildMatMulInteger(node, *a, *b, node.input(2), node.input(3));
  if (failed(product))
    return failure();
  return results(*product);
}

/// An exact i32 convolution of 8-bit operands with ONNX Conv's window.
FailureOr<Value> buildConvInteger(OnnxNode &node, Value x, Value w, Value xZero, Value wZero) {
  if (failed(checkInt8(node, x, "x")) || failed(checkInt8(node, w, "w")))
    return failure();
  std::optional<SmallVector<int64_t>> weightKernel;
  auto weightType = dyn_cast<RankedTensorType>(w.getType());
  if (weightType && weightType.getRank() >= 3 &&
      !llvm::is_contained(weightType.getShape().drop_front(2), ShapedType::kDynamic))
    weightKernel = llvm::to_vector(weightType.getShape().drop_front(2));
  FailureOr<Window> window = getWindow(node, x, weightKernel);
  if (failed(window))
    return failure();
  if (!xZero)
    xZero = node.scalar(getElementTypeOf(x), 0);
  if (!wZero)
    wZero = node.scalar(getElementTypeOf(w), 0);
  if (failed(checkInt8(node, xZero, "x_zero_point")) ||
      failed(checkInt8(node, wZero, "w_zero_point")))
    return failure();
  OpBuilder &b = node.getBuilder();
  return Value(node.create<ConvIntegerOp>(
      x, w, xZero, wZero, b.getDenseI64ArrayAttr(window->strides),
      b.getDenseI64ArrayAttr(window->pads), b.getDenseI64ArrayAttr(window->dilations),
      b.getI64IntegerAttr(node.getInt("group", 1))));
}

Result legalizeConvInteger(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), w = node.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  FailureOr<Value> conv = buildConvInteger(node, *x, *w, node.input(2), node.input(3));
  if (failed(conv))
    return failure();
  return results(*conv);
}

/// The requantization of i32 sums: saturate(round(sums * multiplier) +
/// zero_point), the multiplier being a_scale * b_scale / y_scale in f32 (as
/// ONNX Runtime computes it), each broadcast as the caller shaped it.
Value requantize(OnnxNode &node, Value sums, Value aScale, Value bScale, Value yScale,
                 Value yZero) {
  Type f32 = node.getBuilder().getF32Type();
  Value multiplier =
      node.create<DivOp>(node.create<MulOp>(castTo(node, aScale, f32), castTo(node, bScale, f32)),
                         castTo(node, yScale, f32));
  Value scaled = node.create<MulOp>(castTo(node, sums, f32), multiplier);
  return node.create<QuantizeOp>(scaled, node.scalar(f32, 1), yZero);
}

/// QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point,
/// y_scale, y_zero_point. Scales of a and y are one value or one per row,
/// of b one value or one per column.
Result legalizeQLinearMatMul(OnnxNode &node) {
  FailureOr<SmallVector<Value>> in = node.requiredInputs(8);
  if (failed(in))
    return failure();
  Value a = (*in)[0], aScale = (*in)[1], aZero = (*in)[2], b = (*in)[3], bScale = (*in)[4];
  Value bZero = (*in)[5], yScale = (*in)[6], yZero = (*in)[7];
  if (failed(checkInt8(node, yZero, "y_zero_point")))
    return failure();
  FailureOr<Value> sums = buildMatMulInteger(node, a, b, aZero, bZero);
  if (failed(sums))
    return failure();
  // Per-row parameters line up with the rows of the result.
  auto perRow = [&](Value v) -> Value {
    auto shape = getShapeOf(v);
    if (shape && shape->size() == 1 && (*shape)[0] != 1)
      return reshapeTo(node, v, {(*shape)[0], 1});
    return v;
  };
  return results(requantize(node, *sums, perRow(aScale), bScale, perRow(yScale), perRow(yZero)));
}

/// QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point,
/// y_scale, y_zero_point, and an optional i32 bias B (scale x_scale *
/// w_scale, zero point 0) added to the sums. w_scale is one value or one
/// per output channel.
Result legalizeQLinearConv(OnnxNode &node) {
  FailureOr<SmallVector<Value>> in = node.requiredInputs(8);
  if (failed(in))
    return failure();
  Value x = (*in)[0], xScale = (*in)[1], xZero = (*in)[2], w = (*in)[3], wScale = (*in)[4];
  Value wZero = (*in)[5], yScale = (*in)[6], yZero = (*in)[7];
  if (failed(checkInt8(node, yZero, "y_zero_point")))
    return failure();
  FailureOr<Value> sums = buildConvInteger(node, x, w, xZero, wZero);
  if (failed(sums))
    return failure();
  int64_t rank = *getRankOf(*sums);
  // Per output channel: [C_out] lines up with dim 1 of the result.
  auto perChannel = [&](Value v) -> FailureOr<Value> {
    return alongAxis(node, v, rank, 1, "a per-channel parameter");
  };
  Value total = *sums;
  if (Value bias = node.input(8)) {
    if (!getElementTypeOf(bias).isInteger(32))
      return node.emitError() << "bias B must be int32, not " << getElementTypeOf(bias), failure();
    FailureOr<Value> shaped = perChannel(bias);
    if (failed(shaped))
      return failure();
    total = node.create<AddOp>(total, *shaped);
  }
  FailureOr<Value> channelScale = perChannel(wScale);
  if (failed(channelScale))
    return failure();
  return results(requantize(node, total, xScale, *channelScale, yScale, yZero));
}

} // namespace

void mlir::r1::addQuantizedOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"ConvInteger", 10, legalizeConvInteger},
      {"DequantizeLinear", 10, legalizeDequantizeLinear<false>},
      // axis (per-axis scales) from 13; int16, blocks and output_dtype
      // from 21 and 23 read by the same pattern.
      {"DequantizeLinear", 13, legalizeDequantizeLinear<true>},
      {"DynamicQuantizeLinear", 11, legalizeDynamicQuantizeLinear},
      {"MatMulInteger", 10, legalizeMatMulInteger},
      {"QLinearConv", 10, legalizeQLinearConv},
      {"QLinearMatMul", 10, legalizeQLinearMatMul},
      {"QuantizeLinear", 10, legalizeQuantizeLinear<false>},
      {"QuantizeLinear", 13, legalizeQuantizeLinear<true>},
  });
}
