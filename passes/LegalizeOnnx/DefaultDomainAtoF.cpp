//===- DefaultDomainAtoF.cpp - ONNX ops Abs to Floor ----------------------===//
#include "passes/LegalizeOnnx/OnnxNode.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

template <typename OpTy>
Result legalizeArg(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<OpTy>(*x, b.getI64IntegerAttr(node.getInt("axis", 0)),
                                   b.getBoolAttr(node.getInt("keepdims", 1) != 0),
                                   b.getBoolAttr(node.getInt("select_last_index", 0) != 0)));
}

Result legalizeAveragePool(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return buildPool<AveragePoolOp>(node, *x, node.getInt("count_include_pad", 0) != 0);
}

/// In training mode (opset 14 on) the batch is normalized by its own mean
/// and population variance per channel, and the second and third outputs
/// blend those into the running statistics by `momentum`.
Result batchNormTraining(OnnxNode &node, ArrayRef<Value> operands) {
  Value x = operands[0];
  std::optional<int64_t> rank = getRankOf(x);
  if (!rank || *rank < 2)
    return node.emitError() << "training_mode needs an input of rank 2 or more", failure();
  OpBuilder &b = node.getBuilder();
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < *rank; ++d)
    axes.push_back(d);
  auto meanOver = [&](Value v) {
    return node.create<ReduceMeanOp>(v, Value(), b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true),
                                     b.getBoolAttr(false));
  };
  Value mean = meanOver(x);
  Value centered = node.create<SubOp>(x, mean);
  Value variance = meanOver(node.create<MulOp>(centered, centered));
  auto perChannel = [&](Value v) {
    return node.create<ReshapeOp>(v, node.i64Vector({-1}), b.getBoolAttr(false));
  };
  Value batchMean = perChannel(mean), batchVariance = perChannel(variance);
  Value y = node.create<BatchNormOp>(x, operands[1], operands[2], batchMean, batchVariance,
                                     b.getF32FloatAttr(node.getFloat("epsilon", 1e-5f)));
  Type element = getElementTypeOf(x);
  double momentum = node.getFloat("momentum", 0.9f);
  auto blend = [&](Value running, Value batch) {
    return node.create<AddOp>(node.create<MulOp>(running, node.scalar(element, momentum)),
                              node.create<MulOp>(batch, node.scalar(element, 1 - momentum)));
  };
  return SmallVector<Value>{y, blend(operands[3], batchMean), blend(operands[4], batchVariance)};
}

Result legalizeBatchNormalization(OnnxNode &node) {
  FailureOr<SmallVector<Value>> inputs = node.requiredInputs(5);
  if (failed(inputs))
    return failure();
  ArrayRef<Value> operands = *inputs;
  OpBuilder &b = node.getBuilder();
  if (node.getInt("training_mode", 0) != 0) {
    if (node.getOpset() < 14)
      return node.emitError() << "training_mode needs opset 14 or later", failure();
    return batchNormTraining(node, operands);
  }
  return results(node.create<BatchNormOp>(operands[0], operands[1], operands[2],
                                          operands[3], operands[4],
                                          b.getF32FloatAttr(node.getFloat("epsilon", 1e-5f))));
}

Result legalizeCast(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  FailureOr<int64_t> to = node.requiredInt("to");
  if (failed(x) || failed(to))
    return failure();
  FailureOr<Type> element = getOnnxElementType(node, *to);
  if (failed(element))
    return failure();
  return results(node.create<CastOp>(*x, TypeAttr::get(*element)));
}

Result legalizeCastLike(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), like = node.requiredInput(1);
  if (failed(x) || failed(like))
    return failure();
  return results(node.create<CastOp>(*x, TypeAttr::get(getElementTypeOf(*like))));
}

/// Clip is min(max(x, lower), upper). Constant bounds make one r1.clip; a
/// bound computed at run time becomes an elementwise max (lower) or min
/// (upper), applied in that order.
Result legalizeClip(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  std::optional<double> lower = node.constantScalar(1), upper = node.constantScalar(2);
  Value computedLower = lower ? Value() : node.input(1);
  Value computedUpper = upper ? Value() : node.input(2);
  auto bound = [&](std::optional<double> v) { return v ? b.getF64FloatAttr(*v) : FloatAttr(); };
  if (!computedLower && !computedUpper)
    return results(node.create<ClipOp>(*x, bound(lower), bound(upper)));
  Value y = *x;
  if (computedLower)
    y = node.create<MaxOp>(y, computedLower);
  else if (lower)
    y = node.create<ClipOp>(y, bound(lower), FloatAttr());
  if (computedUpper)
    y = node.create<MinOp>(y, computedUpper);
  else if (upper)
    y = node.create<ClipOp>(y, FloatAttr(), bound(upper));
  return results(y);
}

/// Opsets 6 to 10 gave the bounds as attributes.
Result legalizeClipV6(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  auto bound = [&](StringRef name) {
    return node.hasAttr(name) ? b.getF64FloatAttr(node.getFloat(name, 0)) : FloatAttr();
  };
  return results(node.create<ClipOp>(*x, bound("min"), bound("max")));
}

Result legalizeConcat(OnnxNode &node) {
  // Before opset 4, axis was optional and defaulted to 1.
  FailureOr<int64_t> axis =
      node.getOpset() < 4 ? FailureOr<int64_t>(node.getInt("axis", 1)) : node.requiredInt("axis");
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (Value input = node.input(i))
      inputs.push_back(input);
  if (inputs.empty())
    return node.emitError() << "needs at least one input", failure();
  return results(
      node.create<ConcatOp>(inputs, node.getBuilder().getI64IntegerAttr(*axis)));
}

Result legalizeConstant(OnnxNode &node) {
  OpBuilder &b = node.getBuilder();
  if (ElementsAttr value = node.getTensor("value"))
    return results(node.create<ConstantOp>(value));
  if (node.hasAttr("value_float")) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return results(node.create<ConstantOp>(cast<ElementsAttr>(
        DenseElementsAttr::get(type, node.getFloat("value_float", 0)))));
  }
  if (node.hasAttr("value_int")) {
    auto type = RankedTensorType::get({}, b.getI64Type());
    return results(node.create<ConstantOp>(
        cast<ElementsAttr>(DenseElementsAttr::get(type, node.getInt("value_int", 0)))));
  }
  if (auto ints = node.getInts("value_ints"))
    return results(node.i64Vector(*ints));
  if (auto floats = node.getFloats("value_floats")) {
    auto type = RankedTensorType::get({int64_t(floats->size())}, b.getF32Type());
    return results(node.create<ConstantOp>(
        cast<ElementsAttr>(DenseElementsAttr::get(type, ArrayRef<float>(*floats)))));
  }
  return node.emitError() << "only tensor, int and float constants are supported "
                          << "(string and sparse constants are unsupported)",
         failure();
}

Result legalizeConstantOfShape(OnnxNode &node) {
  FailureOr<Value> shape = node.requiredInput(0);
  if (failed(shape))
    return failure();
  ElementsAttr value = node.getTensor("value");
  if (!value) {
    auto type = RankedTensorType::get({1}, node.getBuilder().getF32Type());
    value = cast<ElementsAttr>(DenseElementsAttr::get(type, 0.0f));
  }
  return results(node.create<ConstantOfShapeOp>(*shape, value));
}

/// A 1-D convolution written as 2-D with a k x 1 kernel over [N, C, L, 1]
/// (how tf2onnx writes Conv1D) runs as its 1 x k twin over [N, C, 1, L]:
/// moving a dim of size 1 is a reshape, and the host and GPU convolutions
/// vectorize along the width, which the k x 1 form leaves at one element.
std::optional<Value> convAlongWidth(OnnxNode &node, Value x, Value w, const Window &window) {
  auto shape = getShapeOf(x), weightShape = getShapeOf(w);
  if (!shape || !weightShape || shape->size() != 4 || weightShape->size() != 4 ||
      llvm::is_contained(*shape, kDynamic) || llvm::is_contained(*weightShape, kDynamic))
    return std::nullopt;
  if ((*shape)[3] != 1 || (*weightShape)[3] != 1 || (*weightShape)[2] == 1 || window.pads[1] != 0 ||
      window.pads[3] != 0)
    return std::nullopt;
  OpBuilder &b = node.getBuilder();
  auto swapLast = [&](Value v, ArrayRef<int64_t> dims) {
    return node.create<ReshapeOp>(v, node.i64Vector({dims[0], dims[1], dims[3], dims[2]}),
                                  b.getBoolAttr(false));
  };
  auto swapPair = [](ArrayRef<int64_t> pair) { return SmallVector<int64_t>{pair[1], pair[0]}; };
  SmallVector<int64_t> pads = {0, window.pads[0], 0, window.pads[2]};
  Value y = node.create<ConvOp>(swapLast(x, *shape), swapLast(w, *weightShape), node.input(2),
                                b.getDenseI64ArrayAttr(swapPair(window.strides)),
                                b.getDenseI64ArrayAttr(pads),
                                b.getDenseI64ArrayAttr(swapPair(window.dilations)),
                                b.getI64IntegerAttr(node.getInt("group", 1)));
  auto outShape = getShapeOf(y);
  if (!outShape)
    return std::nullopt;
  return Value(swapLast(y, *outShape));
}

Result legalizeConv(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), w = node.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  // Without kernel_shape, the weight's spatial dims are the kernel.
  std::optional<SmallVector<int64_t>> weightKernel;
  auto weightType = dyn_cast<RankedTensorType>(w->getType());
  if (weightType && weightType.getRank() >= 3 &&
      !llvm::is_contained(weightType.getShape().drop_front(2), ShapedType::kDynamic))
    weightKernel = llvm::to_vector(weightType.getShape().drop_front(2));
  FailureOr<Window> window = getWindow(node, *x, weightKernel);
  if (failed(window))
    return failure();
  OpBuilder &b = node.getBuilder();
  if (std::optional<Value> swapped = convAlongWidth(node, *x, *w, *window))
    return results(*swapped);
  return results(node.create<ConvOp>(*x, *w, node.input(2),
                                     b.getDenseI64ArrayAttr(window->strides),
                                     b.getDenseI64ArrayAttr(window->pads),
                                     b.getDenseI64ArrayAttr(window->dilations),
                                     b.getI64IntegerAttr(node.getInt("group", 1))));
}

Result legalizeElu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<EluOp>(
      *x, node.getBuilder().getF32FloatAttr(node.getFloat("alpha", 1.0f))));
}

Result legalizeCelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  float alpha = node.getFloat("alpha", 1.0f);
  if (alpha == 0)
    return node.emitError() << "alpha must not be 0";
  return results(node.create<CeluOp>(*x, node.getBuilder().getF32FloatAttr(alpha)));
}

Result legalizeBitShift(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), y = node.requiredInput(1);
  if (failed(x) || failed(y))
    return failure();
  StringRef direction = node.getString("direction", "");
  if (direction == "LEFT")
    return results(node.create<ShiftLeftOp>(*x, *y));
  if (direction == "RIGHT")
    return results(node.create<ShiftRightOp>(*x, *y));
  return node.emitError() << "direction must be \"LEFT\" or \"RIGHT\", not \"" << direction << "\"";
}

Result legalizeExpand(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), shape = node.requiredInput(1);
  if (failed(x) || failed(shape))
    return failure();
  return results(node.create<ExpandOp>(*x, *shape));
}

Result legalizeFlatten(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(
      node.create<FlattenOp>(*x, node.getBuilder().getI64IntegerAttr(node.getInt("axis", 1))));
}

} // namespace

void mlir::r1::addDefaultDomainAtoF(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Abs", 1, legalizeUnary<AbsOp>},
      {"Acos", 7, legalizeUnary<AcosOp>},
      {"Acosh", 9, legalizeUnary<AcoshOp>},
      {"Add", 1, legalizeBinary<AddOp>},
      {"And", 1, legalizeBinary<AndOp>},
      {"ArgMax", 1, legalizeArg<ArgMaxOp>},
      {"ArgMin", 1, legalizeArg<ArgMinOp>},
      {"Asin", 7, legalizeUnary<AsinOp>},
      {"Asinh", 9, legalizeUnary<AsinhOp>},
      {"Atan", 7, legalizeUnary<AtanOp>},
      {"Atanh", 9, legalizeUnary<AtanhOp>},
      {"AveragePool", 1, legalizeAveragePool},
      {"BatchNormalization", 1, legalizeBatchNormalization},
      {"BitShift", 11, legalizeBitShift},
      {"BitwiseAnd", 18, legalizeBinary<BitwiseAndOp>},
      {"BitwiseNot", 18, legalizeUnary<BitwiseNotOp>},
      {"BitwiseOr", 18, legalizeBinary<BitwiseOrOp>},
      {"BitwiseXor", 18, legalizeBinary<BitwiseXorOp>},
      {"Cast", 1, legalizeCast},
      {"CastLike", 15, legalizeCastLike},
      {"Ceil", 1, legalizeUnary<CeilOp>},
      {"Celu", 12, legalizeCelu},
      {"Clip", 6, legalizeClipV6},
      {"Clip", 11, legalizeClip},
      {"Concat", 1, legalizeConcat},
      {"Constant", 1, legalizeConstant},
      {"ConstantOfShape", 9, legalizeConstantOfShape},
      {"Conv", 1, legalizeConv},
      {"Cos", 7, legalizeUnary<CosOp>},
      {"Cosh", 9, legalizeUnary<CoshOp>},
      {"Div", 1, legalizeBinary<DivOp>},
      {"Elu", 1, legalizeElu},
      {"Equal", 1, legalizeBinary<EqualOp>},
      {"Erf", 9, legalizeUnary<ErfOp>},
      {"Exp", 1, legalizeUnary<ExpOp>},
      {"Expand", 8, legalizeExpand},
      {"Flatten", 1, legalizeFlatten},
      {"Floor", 1, legalizeUnary<FloorOp>},
  });
}
