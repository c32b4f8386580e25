//===- R1Ops.cpp - Type inference and verifiers of r1 ops -----------------===//
//
// Inference never fails on inconsistent operands: it yields the best type it
// can (a dynamic dim where operands conflict) and the verifier explains the
// conflict. That keeps builders total and puts every message in one place.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/KnownValues.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::r1;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static LogicalResult inferSameAsInput(Value input, SmallVectorImpl<Type> &types) {
  types.push_back(input.getType());
  return success();
}

/// Result of reducing `axes` (all dims when empty) of `input`.
static TensorType reducedType(Value input, ArrayRef<int64_t> axes, bool keepDims,
                              Type element) {
  auto shape = getShapeOf(input);
  if (!shape)
    return makeTensorType(std::nullopt, element);
  int64_t rank = shape->size();
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes)
    if (auto dim = normalizeAxis(axis, rank))
      reduced[*dim] = true;
  SmallVector<int64_t> result;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      result.push_back((*shape)[i]);
    else if (keepDims)
      result.push_back(1);
  }
  return makeTensorType(ArrayRef<int64_t>(result), element);
}

static LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes, int64_t rank,
                                StringRef what = "axis") {
  SmallVector<bool> seen(rank, false);
  for (int64_t axis : axes) {
    auto dim = normalizeAxis(axis, rank);
    if (!dim)
      return op->emitOpError() << what << " " << axis << " is out of range for rank "
                               << rank;
    if (seen[*dim])
      return op->emitOpError() << what << " " << axis << " is listed twice";
    seen[*dim] = true;
  }
  return success();
}

static std::optional<int64_t> rankOf(Value value) {
  if (auto shape = getShapeOf(value))
    return int64_t(shape->size());
  return std::nullopt;
}

/// Shape given by a 1-D i64 operand, as far as its values are known.
static std::optional<SmallVector<int64_t>> shapeFromOperand(Value shape) {
  auto known = getKnownIntValues(shape);
  if (!known)
    return std::nullopt;
  // Negative values other than markers are invalid; treat as unknown here and
  // let the verifier complain.
  for (int64_t &dim : *known)
    if (dim < 0 && dim != kDynamic)
      dim = kDynamic;
  return known;
}

//===----------------------------------------------------------------------===//
// Imported nodes
//===----------------------------------------------------------------------===//

LogicalResult OnnxNodeOp::verify() {
  size_t named = getSubgraphs() ? getSubgraphs()->size() : 0;
  if (named != getBodies().size())
    return emitOpError() << "names " << named << " subgraphs but has " << getBodies().size()
                         << " regions";
  return success();
}

Region *OnnxNodeOp::getSubgraph(StringRef name) {
  if (!getSubgraphs())
    return nullptr;
  for (auto [attr, region] : llvm::zip(*getSubgraphs(), getBodies()))
    if (cast<StringAttr>(attr).getValue() == name)
      return &region;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Unary ops keep the operand's type.
#define R1_INFER_SAME_AS_INPUT(OP)                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferSameAsInput(adaptor.getInput(), types);                        \
  }
R1_INFER_SAME_AS_INPUT(AbsOp)
R1_INFER_SAME_AS_INPUT(NegOp)
R1_INFER_SAME_AS_INPUT(ReluOp)
R1_INFER_SAME_AS_INPUT(SigmoidOp)
R1_INFER_SAME_AS_INPUT(TanhOp)
R1_INFER_SAME_AS_INPUT(ErfOp)
R1_INFER_SAME_AS_INPUT(SqrtOp)
R1_INFER_SAME_AS_INPUT(ExpOp)
R1_INFER_SAME_AS_INPUT(LogOp)
R1_INFER_SAME_AS_INPUT(ReciprocalOp)
R1_INFER_SAME_AS_INPUT(FloorOp)
R1_INFER_SAME_AS_INPUT(CeilOp)
R1_INFER_SAME_AS_INPUT(RoundOp)
R1_INFER_SAME_AS_INPUT(SignOp)
R1_INFER_SAME_AS_INPUT(SinOp)
R1_INFER_SAME_AS_INPUT(CosOp)
R1_INFER_SAME_AS_INPUT(TanOp)
R1_INFER_SAME_AS_INPUT(AsinOp)
R1_INFER_SAME_AS_INPUT(AcosOp)
R1_INFER_SAME_AS_INPUT(AtanOp)
R1_INFER_SAME_AS_INPUT(SinhOp)
R1_INFER_SAME_AS_INPUT(CoshOp)
R1_INFER_SAME_AS_INPUT(AsinhOp)
R1_INFER_SAME_AS_INPUT(AcoshOp)
R1_INFER_SAME_AS_INPUT(AtanhOp)
R1_INFER_SAME_AS_INPUT(SoftplusOp)
R1_INFER_SAME_AS_INPUT(SoftsignOp)
R1_INFER_SAME_AS_INPUT(HardSwishOp)
R1_INFER_SAME_AS_INPUT(NotOp)
R1_INFER_SAME_AS_INPUT(BitwiseNotOp)
R1_INFER_SAME_AS_INPUT(LeakyReluOp)
R1_INFER_SAME_AS_INPUT(CeluOp)
R1_INFER_SAME_AS_INPUT(MishOp)
R1_INFER_SAME_AS_INPUT(ThresholdedReluOp)
R1_INFER_SAME_AS_INPUT(ShrinkOp)
R1_INFER_SAME_AS_INPUT(EluOp)
R1_INFER_SAME_AS_INPUT(SeluOp)
R1_INFER_SAME_AS_INPUT(HardSigmoidOp)
R1_INFER_SAME_AS_INPUT(GeluOp)
R1_INFER_SAME_AS_INPUT(ClipOp)
R1_INFER_SAME_AS_INPUT(BatchNormOp)
R1_INFER_SAME_AS_INPUT(LayerNormOp)
R1_INFER_SAME_AS_INPUT(SoftmaxOp)
R1_INFER_SAME_AS_INPUT(LogSoftmaxOp)
R1_INFER_SAME_AS_INPUT(TriluOp)
#undef R1_INFER_SAME_AS_INPUT

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError() << "approximate must be \"none\" or \"tanh\", not \""
                         << getApproximate() << "\"";
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(makeTensorType(getShapeOf(adaptor.getInput()), adaptor.getTo()));
  return success();
}

// Tests keep the operand's shape and answer in i1.
#define R1_INFER_BOOL_OF_INPUT(OP)                                                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *context, std::optional<Location>,                \
                                     Adaptor adaptor, SmallVectorImpl<Type> &types) {              \
    types.push_back(makeTensorType(getShapeOf(adaptor.getInput()), IntegerType::get(context, 1))); \
    return success();                                                                              \
  }
R1_INFER_BOOL_OF_INPUT(IsNaNOp)
R1_INFER_BOOL_OF_INPUT(IsInfOp)
#undef R1_INFER_BOOL_OF_INPUT

static LogicalResult verifyBroadcast(Operation *op, ValueRange operands) {
  SmallVector<int64_t> shape;
  for (Value operand : operands) {
    auto operandShape = getShapeOf(operand);
    if (!operandShape)
      return success();
    bool conflict = false;
    SmallVector<int64_t> next = broadcastShapes(shape, *operandShape, &conflict);
    if (conflict) {
      InFlightDiagnostic diag = op->emitOpError() << "operand shapes";
      for (Value v : operands)
        if (auto s = getShapeOf(v))
          diag << " " << describeShape(*s);
      return diag << " do not broadcast";
    }
    shape = std::move(next);
  }
  return success();
}

static LogicalResult verifyBinary(Operation *op, bool sameElementTypes = true) {
  Type lhs = getElementTypeOf(op->getOperand(0));
  Type rhs = getElementTypeOf(op->getOperand(1));
  if (sameElementTypes && lhs != rhs)
    return op->emitOpError() << "operand element types differ: " << lhs << " and "
                             << rhs;
  return verifyBroadcast(op, op->getOperands());
}

// Arithmetic keeps the lhs element type; comparisons and logic give i1.
#define R1_BINARY_OP(OP, RESULT_ELEMENT, SAME_TYPES)                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *context,                     \
                                     std::optional<Location>, Adaptor adaptor, \
                                     SmallVectorImpl<Type> &types) {           \
    Type lhsElement = getElementTypeOf(adaptor.getLhs());                      \
    (void)lhsElement;                                                          \
    types.push_back(broadcastType({adaptor.getLhs(), adaptor.getRhs()},        \
                                  RESULT_ELEMENT));                            \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() { return verifyBinary(*this, SAME_TYPES); }
R1_BINARY_OP(AddOp, lhsElement, true)
R1_BINARY_OP(SubOp, lhsElement, true)
R1_BINARY_OP(MulOp, lhsElement, true)
R1_BINARY_OP(DivOp, lhsElement, true)
R1_BINARY_OP(PowOp, lhsElement, false)
R1_BINARY_OP(MaxOp, lhsElement, true)
R1_BINARY_OP(MinOp, lhsElement, true)
R1_BINARY_OP(ModOp, lhsElement, true)
R1_BINARY_OP(AndOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(OrOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(XorOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(BitwiseAndOp, lhsElement, true)
R1_BINARY_OP(BitwiseOrOp, lhsElement, true)
R1_BINARY_OP(BitwiseXorOp, lhsElement, true)
R1_BINARY_OP(ShiftLeftOp, lhsElement, true)
R1_BINARY_OP(ShiftRightOp, lhsElement, true)
R1_BINARY_OP(EqualOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(LessOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(LessEqualOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(GreaterOp, IntegerType::get(context, 1), true)
R1_BINARY_OP(GreaterEqualOp, IntegerType::get(context, 1), true)
#undef R1_BINARY_OP

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(
      broadcastType({adaptor.getCondition(), adaptor.getOnTrue(), adaptor.getOnFalse()},
                    getElementTypeOf(adaptor.getOnTrue())));
  return success();
}

LogicalResult WhereOp::verify() {
  Type onTrue = getElementTypeOf(getOnTrue()), onFalse = getElementTypeOf(getOnFalse());
  if (onTrue != onFalse)
    return emitOpError() << "branch element types differ: " << onTrue << " and "
                         << onFalse;
  return verifyBroadcast(*this, getOperands());
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling, normalization
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getLhs());
  auto lhs = getShapeOf(adaptor.getLhs()), rhs = getShapeOf(adaptor.getRhs());
  if (!lhs || !rhs || lhs->empty() || rhs->empty()) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  // 1-D operands act as a row (lhs) or column (rhs) whose added dim is dropped.
  bool lhsVector = lhs->size() == 1, rhsVector = rhs->size() == 1;
  SmallVector<int64_t> a = *lhs, b = *rhs;
  if (lhsVector)
    a.insert(a.begin(), 1);
  if (rhsVector)
    b.push_back(1);
  SmallVector<int64_t> batch =
      broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2));
  if (!lhsVector)
    batch.push_back(a[a.size() - 2]);
  if (!rhsVector)
    batch.push_back(b.back());
  types.push_back(makeTensorType(ArrayRef<int64_t>(batch), element));
  return success();
}

LogicalResult MatMulOp::verify() {
  if (getElementTypeOf(getLhs()) != getElementTypeOf(getRhs()))
    return emitOpError() << "operand element types differ: " << getElementTypeOf(getLhs())
                         << " and " << getElementTypeOf(getRhs());
  if (!isContractionResultElement(getElementTypeOf(getLhs()), getElementTypeOf(getOutput())))
    return emitOpError() << "result element type " << getElementTypeOf(getOutput())
                         << " is neither the operands' " << getElementTypeOf(getLhs())
                         << " nor f32 from 16-bit floats";
  auto lhs = getShapeOf(getLhs()), rhs = getShapeOf(getRhs());
  if (!lhs || !rhs)
    return success();
  if (lhs->empty() || rhs->empty())
    return emitOpError("operands must have rank 1 or more");
  int64_t k1 = lhs->back();
  int64_t k2 = rhs->size() == 1 ? rhs->front() : (*rhs)[rhs->size() - 2];
  if (k1 != kDynamic && k2 != kDynamic && k1 != k2)
    return emitOpError() << "incompatible shapes " << describeShape(*lhs) << " and "
                         << describeShape(*rhs) << ": contraction dims " << k1
                         << " and " << k2 << " differ";
  if (lhs->size() > 2 && rhs->size() > 2) {
    bool conflict = false;
    broadcastShapes(ArrayRef(*lhs).drop_back(2), ArrayRef(*rhs).drop_back(2), &conflict);
    if (conflict)
      return emitOpError() << "batch dims of shapes " << describeShape(*lhs) << " and "
                           << describeShape(*rhs) << " do not broadcast";
  }
  return success();
}

/// Checks the window attributes of conv and pooling ops against the input.
static LogicalResult verifyWindow(Operation *op, int64_t spatialRank,
                                  ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations) {
  if (int64_t(strides.size()) != spatialRank || int64_t(dilations.size()) != spatialRank ||
      int64_t(pads.size()) != 2 * spatialRank)
    return op->emitOpError() << "expects " << spatialRank << " strides and dilations and "
                             << 2 * spatialRank << " pads for " << spatialRank
                             << " spatial dims";
  if (llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d <= 0; }))
    return op->emitOpError("strides and dilations must be positive");
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return op->emitOpError("pads must not be negative");
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto input = getShapeOf(adaptor.getInput()), weight = getShapeOf(adaptor.getWeight());
  if (!input || !weight || input->size() < 3 || weight->size() != input->size()) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  size_t spatial = input->size() - 2;
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  SmallVector<int64_t> result = {(*input)[0], (*weight)[0]};
  for (size_t i = 0; i < spatial; ++i) {
    bool windowKnown = strides.size() == spatial && dilations.size() == spatial &&
                       pads.size() == 2 * spatial;
    result.push_back(windowKnown ? windowOutputSize((*input)[i + 2], (*weight)[i + 2],
                                                    strides[i], pads[i], pads[i + spatial],
                                                    dilations[i], false)
                                 : kDynamic);
  }
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult ConvOp::verify() {
  auto input = getShapeOf(getInput()), weight = getShapeOf(getWeight());
  int64_t group = getGroup();
  if (group <= 0)
    return emitOpError() << "group must be positive, not " << group;
  Type element = getElementTypeOf(getInput()), result = getElementTypeOf(getOutput());
  if (getElementTypeOf(getWeight()) != element)
    return emitOpError() << "input and weight element types differ: " << element << " and "
                         << getElementTypeOf(getWeight());
  if (!isContractionResultElement(element, result))
    return emitOpError() << "result element type " << result << " is neither the input's "
                         << element << " nor f32 from 16-bit floats";
  if (Value bias = getBias())
    if (getElementTypeOf(bias) != element && getElementTypeOf(bias) != result)
      return emitOpError() << "bias element type " << getElementTypeOf(bias)
                           << " is neither the input's nor the result's";
  if (!input || !weight)
    return success();
  if (input->size() < 3)
    return emitOpError() << "input must have rank 3 or more (N, C, spatial...), not "
                         << input->size();
  if (weight->size() != input->size())
    return emitOpError() << "weight rank " << weight->size() << " differs from input rank "
                         << input->size();
  if (failed(verifyWindow(*this, input->size() - 2, getStrides(), getPads(),
                          getDilations())))
    return failure();
  int64_t channels = (*input)[1], weightChannels = (*weight)[1], filters = (*weight)[0];
  if (channels != kDynamic && weightChannels != kDynamic &&
      channels != weightChannels * group)
    return emitOpError() << "input has " << channels << " channels but the weight "
                         << describeShape(*weight) << " with group " << group
                         << " expects " << weightChannels * group;
  if (filters != kDynamic && filters % group != 0)
    return emitOpError() << "channel count " << filters
                         << " of the weight is not a multiple of group " << group;
  if (Value bias = getBias()) {
    auto biasShape = getShapeOf(bias);
    if (biasShape && (biasShape->size() != 1 ||
                      (filters != kDynamic && (*biasShape)[0] != kDynamic &&
                       (*biasShape)[0] != filters)))
      return emitOpError() << "bias shape " << describeShape(*biasShape)
                           << " does not match the " << filters << " output channels";
  }
  return success();
}

static TensorType pooledType(Value input, ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                             ArrayRef<int64_t> dilations, bool ceilMode) {
  Type element = getElementTypeOf(input);
  auto shape = getShapeOf(input);
  if (!shape || shape->size() < 3)
    return makeTensorType(std::nullopt, element);
  size_t spatial = shape->size() - 2;
  SmallVector<int64_t> result = {(*shape)[0], (*shape)[1]};
  bool windowKnown = kernel.size() == spatial && strides.size() == spatial &&
                     dilations.size() == spatial && pads.size() == 2 * spatial;
  for (size_t i = 0; i < spatial; ++i)
    result.push_back(windowKnown
                         ? windowOutputSize((*shape)[i + 2], kernel[i], strides[i], pads[i],
                                            pads[i + spatial], dilations[i], ceilMode)
                         : kDynamic);
  return makeTensorType(ArrayRef<int64_t>(result), element);
}

#define R1_POOL_OP(OP)                                                         \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    types.push_back(pooledType(adaptor.getInput(), adaptor.getKernelShape(),   \
                               adaptor.getStrides(), adaptor.getPads(),        \
                               adaptor.getDilations(), adaptor.getCeilMode())); \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    auto rank = rankOf(getInput());                                            \
    if (!rank)                                                                 \
      return success();                                                        \
    if (*rank < 3)                                                             \
      return emitOpError() << "input must have rank 3 or more, not " << *rank; \
    if (int64_t(getKernelShape().size()) != *rank - 2)                         \
      return emitOpError() << "kernel_shape has " << getKernelShape().size()   \
                           << " dims for " << *rank - 2 << " spatial dims";    \
    return verifyWindow(*this, *rank - 2, getStrides(), getPads(),             \
                        getDilations());                                       \
  }
R1_POOL_OP(MaxPoolOp)
R1_POOL_OP(AveragePoolOp)
#undef R1_POOL_OP

/// Per-channel operands of batch norm must be 1-D of the channel count.
LogicalResult BatchNormOp::verify() {
  auto input = getShapeOf(getInput());
  if (!input)
    return success();
  if (input->size() < 2)
    return emitOpError() << "input must have rank 2 or more, not " << input->size();
  int64_t channels = (*input)[1];
  for (Value param : {getScale(), getBias(), getMean(), getVariance()}) {
    auto shape = getShapeOf(param);
    if (shape && (shape->size() != 1 || (channels != kDynamic && (*shape)[0] != kDynamic &&
                                         (*shape)[0] != channels)))
      return emitOpError() << "per-channel operand of shape " << describeShape(*shape)
                           << " does not match " << channels << " channels";
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto rank = rankOf(getInput());
  if (!rank)
    return success();
  auto axis = normalizeAxis(getAxis(), *rank);
  if (!axis)
    return emitOpError() << "axis " << int64_t(getAxis()) << " is out of range for rank "
                         << *rank;
  auto input = getShapeOf(getInput());
  ArrayRef<int64_t> normalized = ArrayRef(*input).drop_front(*axis);
  for (Value param : {getScale(), getBias()}) {
    if (!param)
      continue;
    auto shape = getShapeOf(param);
    if (!shape)
      continue;
    bool conflict = false;
    SmallVector<int64_t> joined = broadcastShapes(normalized, *shape, &conflict);
    if (conflict || joined.size() != normalized.size())
      return emitOpError() << "scale or bias of shape " << describeShape(*shape)
                           << " does not broadcast to the normalized dims "
                           << describeShape(normalized);
  }
  return success();
}

#define R1_AXIS_OP_VERIFY(OP)                                                  \
  LogicalResult OP::verify() {                                                 \
    auto rank = rankOf(getInput());                                            \
    if (rank && !normalizeAxis(getAxis(), std::max<int64_t>(*rank, 1)))        \
      return emitOpError() << "axis " << int64_t(getAxis())                    \
                           << " is out of range for rank " << *rank;           \
    return success();                                                          \
  }
R1_AXIS_OP_VERIFY(SoftmaxOp)
R1_AXIS_OP_VERIFY(LogSoftmaxOp)
#undef R1_AXIS_OP_VERIFY

LogicalResult TriluOp::verify() {
  auto rank = rankOf(getInput());
  if (rank && *rank < 2)
    return emitOpError() << "input must have rank 2 or more, not " << *rank;
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Result of a reduction whose axes are known only at run time.
static TensorType reducedTypeOverComputedAxes(Value input, Value axes, bool keepDims,
                                              bool noopWhenEmpty) {
  Type element = getElementTypeOf(input);
  auto shape = getShapeOf(input);
  auto axesShape = getShapeOf(axes);
  if (!shape)
    return makeTensorType(std::nullopt, element);
  if (keepDims) {
    // Every dim may be reduced to 1; only dims of 1 are sure.
    SmallVector<int64_t> result;
    for (int64_t dim : *shape)
      result.push_back(dim == 1 ? 1 : kDynamic);
    return makeTensorType(ArrayRef<int64_t>(result), element);
  }
  if (!axesShape || axesShape->size() != 1 || (*axesShape)[0] == kDynamic)
    return makeTensorType(std::nullopt, element);
  int64_t count = (*axesShape)[0];
  if (count == 0)
    return noopWhenEmpty ? cast<TensorType>(input.getType())
                         : makeTensorType(ArrayRef<int64_t>{}, element);
  int64_t rank = std::max<int64_t>(shape->size() - count, 0);
  return makeTensorType(ArrayRef<int64_t>(SmallVector<int64_t>(rank, kDynamic)), element);
}

static LogicalResult verifyReduce(Operation *op, Value input, Value computedAxes,
                                  ArrayRef<int64_t> axes) {
  if (computedAxes) {
    if (!axes.empty())
      return op->emitOpError("takes static axes or computed axes, not both");
    auto rank = rankOf(computedAxes);
    if (rank && *rank != 1)
      return op->emitOpError() << "computed axes must be 1-D, not rank " << *rank;
    return success();
  }
  auto rank = rankOf(input);
  return rank ? verifyAxes(op, axes, *rank) : success();
}

#define R1_REDUCE_OP(OP)                                                       \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    if (Value axes = adaptor.getComputedAxes())                                \
      types.push_back(reducedTypeOverComputedAxes(                             \
          adaptor.getInput(), axes, adaptor.getKeepdims(),                     \
          adaptor.getNoopWithEmptyAxes()));                                    \
    else                                                                       \
      types.push_back(reducedType(adaptor.getInput(), adaptor.getAxes(),       \
                                  adaptor.getKeepdims(),                       \
                                  getElementTypeOf(adaptor.getInput())));      \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    return verifyReduce(*this, getInput(), getComputedAxes(), getAxes());      \
  }
R1_REDUCE_OP(ReduceSumOp)
R1_REDUCE_OP(ReduceMeanOp)
R1_REDUCE_OP(ReduceMaxOp)
R1_REDUCE_OP(ReduceMinOp)
R1_REDUCE_OP(ReduceProdOp)
#undef R1_REDUCE_OP

#define R1_ARG_OP(OP)                                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext *context,                     \
                                     std::optional<Location>, Adaptor adaptor, \
                                     SmallVectorImpl<Type> &types) {           \
    int64_t axis = adaptor.getAxis();                                          \
    types.push_back(reducedType(adaptor.getInput(), ArrayRef<int64_t>(axis),   \
                                adaptor.getKeepdims(),                         \
                                IntegerType::get(context, 64)));               \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    auto rank = rankOf(getInput());                                            \
    int64_t axis = getAxis();                                                  \
    return rank ? verifyAxes(*this, ArrayRef<int64_t>(axis), *rank)            \
                : success();                                                   \
  }
R1_ARG_OP(ArgMaxOp)
R1_ARG_OP(ArgMinOp)
#undef R1_ARG_OP

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput()), index = IntegerType::get(context, 64);
  auto shape = getShapeOf(adaptor.getInput());
  std::optional<int64_t> axis;
  if (shape)
    axis = normalizeAxis(adaptor.getAxis(), shape->size());
  if (!shape || !axis) {
    types.push_back(makeTensorType(std::nullopt, element));
    types.push_back(makeTensorType(std::nullopt, index));
    return success();
  }
  SmallVector<int64_t> result = *shape;
  // A negative k is the verifier's to report.
  result[*axis] = adaptor.getK() < 0 ? kDynamic : int64_t(adaptor.getK());
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), index));
  return success();
}

LogicalResult TopKOp::verify() {
  int64_t k = getK();
  if (k < 0)
    return emitOpError() << "k " << k << " is negative";
  auto shape = getShapeOf(getInput());
  if (!shape)
    return success();
  if (shape->empty())
    return emitOpError("input must have rank 1 or more");
  int64_t axis = getAxis();
  if (failed(verifyAxes(*this, ArrayRef<int64_t>(axis), shape->size())))
    return failure();
  int64_t extent = (*shape)[*normalizeAxis(axis, shape->size())];
  if (extent != kDynamic && k > extent)
    return emitOpError() << "k " << k << " is larger than dim " << axis << " of input "
                         << describeShape(*shape);
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                          Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type i64 = IntegerType::get(context, 64);
  auto shape = getShapeOf(adaptor.getInput());
  int64_t rank = shape ? int64_t(shape->size()) : kDynamic;
  int64_t elements =
      shape && !llvm::is_contained(*shape, kDynamic) ? productOfDims(*shape) : kDynamic;
  types.push_back(makeTensorType(ArrayRef<int64_t>{rank, elements}, i64));
  types.push_back(makeTensorType(ArrayRef<int64_t>{1}, i64));
  return success();
}

LogicalResult NonZeroOp::verify() {
  if (std::optional<int64_t> rank = getRankOf(getInput()); rank && *rank == 0)
    return emitOpError("needs an input of rank 1 or more");
  return success();
}

LogicalResult KeepLeadingOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                              Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  std::optional<int64_t> axis =
      shape ? normalizeAxis(adaptor.getAxis(), shape->size()) : std::nullopt;
  if (!axis) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result = *shape;
  result[*axis] = kDynamic;
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult KeepLeadingOp::verify() {
  std::optional<int64_t> rank = getRankOf(getInput());
  if (rank && !normalizeAxis(getAxis(), *rank))
    return emitOpError() << "axis " << getAxis() << " is out of range for rank " << *rank;
  auto count = getShapeOf(getCount());
  if (count && !llvm::is_contained(*count, kDynamic) && productOfDims(*count) != 1)
    return emitOpError() << "count must have one element, not " << describeShape(*count);
  return success();
}

static int64_t gatesOf(RecurrentCell cell) {
  return cell == RecurrentCell::rnn ? 1 : cell == RecurrentCell::gru ? 3 : 4;
}

int64_t RecurrenceOp::getNumGates() { return gatesOf(getCell()); }
int64_t RecurrenceOp::getNumDirections() {
  return getDirection() == RecurrentDirection::bidirectional ? 2 : 1;
}
int64_t RecurrenceOp::getActivationsPerDirection() {
  return getCell() == RecurrentCell::rnn ? 1 : getCell() == RecurrentCell::gru ? 2 : 3;
}
int64_t RecurrenceOp::getHiddenSize() {
  auto shape = getShapeOf(getRecurrence());
  return shape && shape->size() == 3 ? (*shape)[2] : kDynamic;
}

LogicalResult RecurrenceOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                             Adaptor adaptor, SmallVectorImpl<Type> &types) {
  auto inputs = getShapeOf(adaptor.getInputs());
  auto recurrence = getShapeOf(adaptor.getRecurrence());
  int64_t seq = inputs && inputs->size() == 3 ? (*inputs)[0] : kDynamic;
  int64_t batch = inputs && inputs->size() == 3 ? (*inputs)[1] : kDynamic;
  int64_t hidden = recurrence && recurrence->size() == 3 ? (*recurrence)[2] : kDynamic;
  int64_t dirs = adaptor.getDirection() == RecurrentDirection::bidirectional ? 2 : 1;
  Type element = getElementTypeOrSelf(adaptor.getInputs().getType());
  types.push_back(makeTensorType(ArrayRef<int64_t>{seq, dirs, batch, hidden}, element));
  auto state = makeTensorType(ArrayRef<int64_t>{dirs, batch, hidden}, element);
  types.push_back(state);
  if (adaptor.getCell() == RecurrentCell::lstm)
    types.push_back(state);
  return success();
}

LogicalResult RecurrenceOp::verify() {
  int64_t gates = getNumGates(), dirs = getNumDirections();
  bool lstm = getCell() == RecurrentCell::lstm;
  size_t activations = getActivationsPerDirection() * dirs;
  if (getActivations().size() != activations || getActivationAlpha().size() != activations ||
      getActivationBeta().size() != activations)
    return emitOpError() << "needs " << activations
                         << " activations, alphas and betas (one per activation of each "
                            "direction), not "
                         << getActivations().size() << ", " << getActivationAlpha().size()
                         << " and " << getActivationBeta().size();
  if (FloatAttr clip = getClipAttr(); clip && !(clip.getValueAsDouble() >= 0))
    return emitOpError() << "clip " << clip.getValueAsDouble() << " is negative";
  if (!lstm && (getInitialC() || getPeepholes() || getInputForget()))
    return emitOpError("has a cell state, peepholes or input_forget, which only lstm has");
  if ((getLinearBeforeReset() || getResetBias()) && getCell() != RecurrentCell::gru)
    return emitOpError("has linear_before_reset or a reset bias, which only gru has");
  if (getResetBias() && !getLinearBeforeReset())
    return emitOpError("has a reset bias without linear_before_reset");
  Type element = getElementTypeOrSelf(getInputs().getType());
  for (Value operand :
       {getRecurrence(), getInitialH(), getInitialC(), getPeepholes(), getResetBias()})
    if (operand && getElementTypeOrSelf(operand.getType()) != element)
      return emitOpError() << "operands must share the element type of inputs, " << element;

  auto inputs = getShapeOf(getInputs()), recurrence = getShapeOf(getRecurrence());
  if (inputs && inputs->size() != 3)
    return emitOpError() << "inputs must be [seq, batch, dirs * gates * hidden], not "
                         << describeShape(*inputs);
  if (recurrence && recurrence->size() != 3)
    return emitOpError() << "recurrence must be [dirs, gates * hidden, hidden], not "
                         << describeShape(*recurrence);
  auto clash = [](int64_t a, int64_t b) { return a != kDynamic && b != kDynamic && a != b; };
  int64_t hidden = getHiddenSize();
  int64_t batch = inputs ? (*inputs)[1] : kDynamic;
  auto scaled = [&](int64_t factor) { return hidden == kDynamic ? kDynamic : factor * hidden; };
  if (recurrence && (clash((*recurrence)[0], dirs) || clash((*recurrence)[1], scaled(gates))))
    return emitOpError() << "recurrence " << describeShape(*recurrence) << " is not [" << dirs
                         << ", " << gates << " * hidden, hidden]";
  if (inputs && clash((*inputs)[2], scaled(dirs * gates)))
    return emitOpError() << "inputs " << describeShape(*inputs) << " do not have " << dirs * gates
                         << " * hidden columns";
  auto expect = [&](Value value, StringRef name, ArrayRef<int64_t> expected) -> LogicalResult {
    auto shape = value ? getShapeOf(value) : std::nullopt;
    if (!shape)
      return success();
    if (shape->size() != expected.size() ||
        llvm::any_of(llvm::zip(*shape, expected),
                     [&](auto pair) { return clash(std::get<0>(pair), std::get<1>(pair)); }))
      return emitOpError() << name << " is " << describeShape(*shape) << ", expected "
                           << describeShape(expected);
    return success();
  };
  if (failed(expect(getInitialH(), "initial_h", {dirs, batch, hidden})) ||
      failed(expect(getInitialC(), "initial_c", {dirs, batch, hidden})) ||
      failed(expect(getSequenceLens(), "sequence_lens", {batch})) ||
      failed(expect(getPeepholes(), "peepholes", {dirs, scaled(3)})) ||
      failed(expect(getResetBias(), "reset_bias", {dirs, hidden})))
    return failure();
  return success();
}

LogicalResult NonMaxSuppressionOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                                    Adaptor adaptor, SmallVectorImpl<Type> &types) {
  // A negative row count is the verifier's to report.
  int64_t rows = int64_t(adaptor.getNumSelected());
  if (rows < 0)
    rows = kDynamic;
  types.push_back(makeTensorType(ArrayRef<int64_t>{rows, 3}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult NonMaxSuppressionOp::verify() {
  if (int64_t rows = getNumSelected(); rows < 0)
    return emitOpError() << "num_selected " << rows << " is negative";
  auto boxes = getShapeOf(getBoxes()), scores = getShapeOf(getScores());
  if (boxes && (boxes->size() != 3 || (*boxes)[2] != 4))
    return emitOpError() << "boxes must be [batches, boxes, 4], not " << describeShape(*boxes);
  if (scores && scores->size() != 3)
    return emitOpError() << "scores must be [batches, classes, boxes], not "
                         << describeShape(*scores);
  if (boxes && scores) {
    auto clash = [](int64_t a, int64_t b) { return a != kDynamic && b != kDynamic && a != b; };
    if (clash((*boxes)[0], (*scores)[0]) || clash((*boxes)[1], (*scores)[2]))
      return emitOpError() << "boxes " << describeShape(*boxes) << " and scores "
                           << describeShape(*scores) << " disagree on the batches or the boxes";
    // Box indices are held in 32 bits while boxes are sorted.
    if ((*boxes)[1] != kDynamic && (*boxes)[1] > std::numeric_limits<int32_t>::max())
      return emitOpError() << "has " << (*boxes)[1] << " boxes; at most 2^31 - 1 are supported";
  }
  // The parameters are one value each (a scalar or a one-element tensor).
  for (auto [value, name] :
       {std::pair<Value, StringRef>{getMaxOutputBoxesPerClass(), "max_output_boxes_per_class"},
        {getIouThreshold(), "iou_threshold"},
        {getScoreThreshold(), "score_threshold"}}) {
    auto shape = value ? getShapeOf(value) : std::nullopt;
    if (shape && !llvm::is_contained(*shape, kDynamic) && productOfDims(*shape) != 1)
      return emitOpError() << name << " must have one element, not " << describeShape(*shape);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  int64_t length = kDynamic;
  if (rankOf(adaptor.getInput()))
    length = std::max<int64_t>(int64_t(adaptor.getEnd()) - int64_t(adaptor.getStart()), 0);
  types.push_back(RankedTensorType::get({length}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult ShapeOp::verify() {
  int64_t start = getStart(), end = getEnd();
  auto rank = rankOf(getInput());
  if (start < 0 || end < start || (rank && end > *rank))
    return emitOpError() << "dims [" << start << ", " << end
                         << ") are not a range of the input's dims";
  return success();
}

LogicalResult SizeOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                       Adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get({}, IntegerType::get(context, 64)));
  return success();
}

/// Resolves ONNX's 0 (copy the input dim) and -1 (whatever is left) markers.
static std::optional<SmallVector<int64_t>>
resolveReshape(std::optional<SmallVector<int64_t>> input, ArrayRef<int64_t> requested,
               bool allowZero) {
  SmallVector<int64_t> result(requested);
  // Dynamic dims a 0 copies (a batch) are on both sides of the element
  // count; leaving them out keeps a -1 beside them static.
  SmallVector<bool> copiedDynamic(result.size(), false);
  int64_t inferredIndex = -1;
  for (auto [i, dim] : llvm::enumerate(result)) {
    if (dim == 0 && !allowZero) {
      dim = input && i < input->size() ? (*input)[i] : kDynamic;
      copiedDynamic[i] = input && i < input->size() && dim == kDynamic;
    } else if (dim == -1) {
      inferredIndex = i;
    }
  }
  if (inferredIndex >= 0) {
    int64_t total = input ? 1 : kDynamic;
    if (input)
      for (auto [i, dim] : llvm::enumerate(*input))
        if (i >= copiedDynamic.size() || !copiedDynamic[i])
          total = mulDims(total, dim);
    int64_t known = 1;
    for (auto [i, dim] : llvm::enumerate(result))
      if (int64_t(i) != inferredIndex && !copiedDynamic[i])
        known = mulDims(known, dim);
    result[inferredIndex] = (total == kDynamic || known == kDynamic || known == 0)
                                ? kDynamic
                                : total / known;
  }
  return result;
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                          Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto requested = getKnownIntValues(adaptor.getShape());
  if (!requested) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  auto resolved =
      resolveReshape(getShapeOf(adaptor.getInput()), *requested, adaptor.getAllowzero());
  for (int64_t &dim : *resolved)
    if (dim < 0)
      dim = kDynamic;
  types.push_back(makeTensorType(ArrayRef<int64_t>(*resolved), element));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto shapeRank = rankOf(getShape());
  if (shapeRank && *shapeRank != 1)
    return emitOpError() << "shape operand must be 1-D, not rank " << *shapeRank;
  if (auto requested = getKnownIntValues(getShape())) {
    if (llvm::count(*requested, -1) > 1)
      return emitOpError("cannot reshape with more than one -1 in the shape");
    for (int64_t dim : *requested)
      if (dim < -1 && dim != kDynamic)
        return emitOpError() << "cannot reshape to a negative dim " << dim;
  }
  auto input = getShapeOf(getInput()), output = getShapeOf(getOutput());
  if (input && output) {
    int64_t from = productOfDims(*input), to = productOfDims(*output);
    if (from != kDynamic && to != kDynamic && from != to)
      return emitOpError() << "cannot reshape " << describeShape(*input) << " (" << from
                           << " elements) to " << describeShape(*output) << " (" << to
                           << " elements)";
  }
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (!shape) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result;
  for (int64_t p : perm)
    result.push_back(p >= 0 && p < int64_t(shape->size()) ? (*shape)[p] : kDynamic);
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult TransposeOp::verify() {
  auto rank = rankOf(getInput());
  ArrayRef<int64_t> perm = getPerm();
  if (!rank)
    return success();
  SmallVector<bool> seen(*rank, false);
  bool valid = int64_t(perm.size()) == *rank;
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= *rank || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return emitOpError() << "perm " << describeShape(perm)
                         << " is not a permutation of the dims of a rank-" << *rank
                         << " input";
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  Type element = inputs.empty() ? Type() : getElementTypeOf(inputs.front());
  std::optional<SmallVector<int64_t>> result;
  for (Value input : inputs) {
    auto shape = getShapeOf(input);
    if (!shape) {
      result.reset();
      break;
    }
    auto axis = normalizeAxis(adaptor.getAxis(), shape->size());
    if (!axis || (result && result->size() != shape->size())) {
      result.reset();
      break;
    }
    if (!result) {
      result = *shape;
      continue;
    }
    for (size_t i = 0; i < shape->size(); ++i) {
      int64_t &dim = (*result)[i];
      int64_t other = (*shape)[i];
      if (int64_t(i) == *axis)
        dim = addDims(dim, other);
      else if (dim == kDynamic)
        dim = other;
    }
  }
  if (!element)
    return failure();
  types.push_back(result ? makeTensorType(ArrayRef<int64_t>(*result), element)
                         : makeTensorType(std::nullopt, element));
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  std::optional<SmallVector<int64_t>> first;
  for (auto [index, input] : llvm::enumerate(getInputs())) {
    if (getElementTypeOf(input) != getElementTypeOf(getInputs().front()))
      return emitOpError() << "input #" << index << " has element type "
                           << getElementTypeOf(input) << ", expected "
                           << getElementTypeOf(getInputs().front());
    auto shape = getShapeOf(input);
    if (!shape)
      continue;
    if (!first) {
      first = shape;
      if (!normalizeAxis(getAxis(), shape->size()))
        return emitOpError() << "axis " << int64_t(getAxis())
                             << " is out of range for rank " << shape->size();
      continue;
    }
    if (shape->size() != first->size())
      return emitOpError() << "input #" << index << " has rank " << shape->size()
                           << ", expected rank " << first->size();
    int64_t axis = *normalizeAxis(getAxis(), shape->size());
    for (size_t i = 0; i < shape->size(); ++i)
      if (int64_t(i) != axis && (*shape)[i] != kDynamic && (*first)[i] != kDynamic &&
          (*shape)[i] != (*first)[i])
        return emitOpError() << "input #" << index << " of shape " << describeShape(*shape)
                             << " differs from " << describeShape(*first)
                             << " outside the concatenation axis";
  }
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  std::optional<int64_t> axis;
  if (shape)
    axis = normalizeAxis(adaptor.getAxis(), shape->size());
  for (int64_t size : adaptor.getSizes()) {
    if (!shape || !axis) {
      types.push_back(makeTensorType(std::nullopt, element));
      continue;
    }
    SmallVector<int64_t> piece = *shape;
    // A negative size is the verifier's to report.
    piece[*axis] = size < 0 ? kDynamic : size;
    types.push_back(makeTensorType(ArrayRef<int64_t>(piece), element));
  }
  return success();
}

LogicalResult SplitOp::verify() {
  if (getSizes().size() != getNumResults())
    return emitOpError() << getSizes().size() << " sizes for " << getNumResults()
                         << " results";
  auto shape = getShapeOf(getInput());
  if (!shape)
    return success();
  auto axis = normalizeAxis(getAxis(), shape->size());
  if (!axis)
    return emitOpError() << "axis " << int64_t(getAxis()) << " is out of range for rank "
                         << shape->size();
  int64_t total = 0;
  for (int64_t size : getSizes()) {
    if (size < 0)
      return emitOpError() << "split size " << size << " is negative";
    total = addDims(total, size);
  }
  if ((*shape)[*axis] != kDynamic && total != (*shape)[*axis])
    return emitOpError() << "split sizes add up to " << total << " but dim " << *axis
                         << " has size " << (*shape)[*axis];
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  if (!shape) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result = *shape;
  ArrayRef<int64_t> axes = adaptor.getAxes(), starts = adaptor.getStarts(),
                    ends = adaptor.getEnds(), steps = adaptor.getSteps();
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = normalizeAxis(axes[i], shape->size());
    if (!axis || i >= starts.size() || i >= ends.size() || i >= steps.size())
      continue;
    result[*axis] = sliceOutputSize((*shape)[*axis], starts[i], ends[i], steps[i]);
  }
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult SliceOp::verify() {
  size_t count = getAxes().size();
  if (getStarts().size() != count || getEnds().size() != count ||
      getSteps().size() != count)
    return emitOpError("needs one start, end and step per axis");
  if (llvm::is_contained(getSteps(), 0))
    return emitOpError("steps must not be 0");
  auto rank = rankOf(getInput());
  return rank ? verifyAxes(*this, getAxes(), *rank) : success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getData());
  auto data = getShapeOf(adaptor.getData()), indices = getShapeOf(adaptor.getIndices());
  std::optional<int64_t> axis;
  if (data)
    axis = normalizeAxis(adaptor.getAxis(), data->size());
  if (!data || !indices || !axis) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result(data->begin(), data->begin() + *axis);
  result.append(*indices);
  result.append(data->begin() + *axis + 1, data->end());
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult GatherOp::verify() {
  auto rank = rankOf(getData());
  if (rank && *rank == 0)
    return emitOpError("data must have rank 1 or more");
  int64_t axis = getAxis();
  return rank ? verifyAxes(*this, ArrayRef<int64_t>(axis), *rank) : success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                 Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getData());
  if (auto indices = getShapeOf(adaptor.getIndices())) {
    types.push_back(makeTensorType(ArrayRef<int64_t>(*indices), element));
    return success();
  }
  // The ranks are equal, so the data gives at least the rank.
  if (auto data = getShapeOf(adaptor.getData())) {
    SmallVector<int64_t> result(data->size(), kDynamic);
    types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
    return success();
  }
  types.push_back(makeTensorType(std::nullopt, element));
  return success();
}

/// Gather and scatter of elements along `axis`: indices of data's rank,
/// the axis in range, and off the axis no longer than data (an index
/// position there is also a data position).
static LogicalResult verifyElementIndices(Operation *op,
                                          const std::optional<SmallVector<int64_t>> &data,
                                          const std::optional<SmallVector<int64_t>> &indices,
                                          int64_t axis) {
  if (data && indices && data->size() != indices->size())
    return op->emitOpError() << "indices have rank " << indices->size() << " but data has rank "
                             << data->size();
  if (!data)
    return success();
  if (failed(verifyAxes(op, ArrayRef<int64_t>(axis), data->size())))
    return failure();
  if (!indices)
    return success();
  int64_t along = *normalizeAxis(axis, data->size());
  for (size_t d = 0; d < data->size(); ++d)
    if (int64_t(d) != along && (*data)[d] != kDynamic && (*indices)[d] != kDynamic &&
        (*indices)[d] > (*data)[d])
      return op->emitOpError() << "indices " << describeShape(*indices) << " are longer than data "
                               << describeShape(*data) << " in dim " << d;
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto data = getShapeOf(getData()), indices = getShapeOf(getIndices());
  if (data && data->empty())
    return emitOpError("data must have rank 1 or more");
  return verifyElementIndices(*this, data, indices, getAxis());
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getData());
  auto data = getShapeOf(adaptor.getData()), indices = getShapeOf(adaptor.getIndices());
  int64_t batch = adaptor.getBatchDims();
  // The tuple length decides the rank; without it nothing is known.
  if (!data || !indices || indices->empty() || indices->back() == kDynamic || batch < 0 ||
      batch >= int64_t(std::min(data->size(), indices->size())) || indices->back() < 1 ||
      batch + indices->back() > int64_t(data->size())) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result(indices->begin(), indices->end() - 1);
  // Batch dims are shared: either operand may know one.
  for (int64_t d = 0; d < batch; ++d)
    if (result[d] == kDynamic)
      result[d] = (*data)[d];
  result.append(data->begin() + batch + indices->back(), data->end());
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult GatherNDOp::verify() {
  auto data = getShapeOf(getData()), indices = getShapeOf(getIndices());
  int64_t batch = getBatchDims();
  if (batch < 0)
    return emitOpError() << "batch_dims " << batch << " is negative";
  if (data && data->empty())
    return emitOpError("data must have rank 1 or more");
  if (indices && indices->empty())
    return emitOpError("indices must have rank 1 or more");
  if (data && batch >= int64_t(data->size()))
    return emitOpError() << "batch_dims " << batch << " must be less than the data rank "
                         << data->size();
  if (indices && batch >= int64_t(indices->size()))
    return emitOpError() << "batch_dims " << batch << " must be less than the indices rank "
                         << indices->size();
  if (!data || !indices)
    return success();
  int64_t tuple = indices->back();
  if (tuple != kDynamic && (tuple < 1 || batch + tuple > int64_t(data->size())))
    return emitOpError() << "index tuples of length " << tuple << " (last dim of indices "
                         << describeShape(*indices) << ") do not fit data of rank " << data->size()
                         << " after " << batch << " batch dims";
  for (int64_t d = 0; d < batch; ++d)
    if ((*data)[d] != kDynamic && (*indices)[d] != kDynamic && (*data)[d] != (*indices)[d])
      return emitOpError() << "batch dim " << d << " is " << (*data)[d] << " in data "
                           << describeShape(*data) << " but " << (*indices)[d] << " in indices "
                           << describeShape(*indices);
  return success();
}

/// Scatters write into a copy of data: the result is data's type, and the
/// updates must be of its element type.
static LogicalResult verifyScatterUpdates(Operation *op, Value data, Value updates) {
  if (getElementTypeOf(data) != getElementTypeOf(updates))
    return op->emitOpError() << "updates of element type " << getElementTypeOf(updates)
                             << " differ from data of element type " << getElementTypeOf(data);
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor adaptor, SmallVectorImpl<Type> &types) {
  return inferSameAsInput(adaptor.getData(), types);
}

LogicalResult ScatterElementsOp::verify() {
  if (failed(verifyScatterUpdates(*this, getData(), getUpdates())))
    return failure();
  auto data = getShapeOf(getData()), indices = getShapeOf(getIndices()),
       updates = getShapeOf(getUpdates());
  if (data && data->empty())
    return emitOpError("data must have rank 1 or more");
  if (indices && updates) {
    if (indices->size() != updates->size())
      return emitOpError() << "updates " << describeShape(*updates) << " and indices "
                           << describeShape(*indices) << " differ in rank";
    for (auto [i, u] : llvm::zip(*indices, *updates))
      if (i != kDynamic && u != kDynamic && i != u)
        return emitOpError() << "updates " << describeShape(*updates)
                             << " do not have the shape of indices " << describeShape(*indices);
  }
  return verifyElementIndices(*this, data, indices, getAxis());
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferSameAsInput(adaptor.getData(), types);
}

LogicalResult ScatterNDOp::verify() {
  if (failed(verifyScatterUpdates(*this, getData(), getUpdates())))
    return failure();
  auto data = getShapeOf(getData()), indices = getShapeOf(getIndices()),
       updates = getShapeOf(getUpdates());
  if (data && data->empty())
    return emitOpError("data must have rank 1 or more");
  if (indices && indices->empty())
    return emitOpError("indices must have rank 1 or more");
  if (!data || !indices || indices->back() == kDynamic)
    return success();
  int64_t tuple = indices->back();
  if (tuple < 1 || tuple > int64_t(data->size()))
    return emitOpError() << "index tuples of length " << tuple << " (last dim of indices "
                         << describeShape(*indices) << ") do not fit data of rank " << data->size();
  if (!updates)
    return success();
  // updates = indices.shape[:-1] + data.shape[tuple:]
  SmallVector<int64_t> expected(indices->begin(), indices->end() - 1);
  expected.append(data->begin() + tuple, data->end());
  bool fits = expected.size() == updates->size();
  for (size_t d = 0; fits && d < expected.size(); ++d)
    fits = expected[d] == kDynamic || (*updates)[d] == kDynamic || expected[d] == (*updates)[d];
  if (!fits)
    return emitOpError() << "updates " << describeShape(*updates) << " do not have the shape "
                         << describeShape(expected) << " that indices " << describeShape(*indices)
                         << " and data " << describeShape(*data) << " give";
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  if (!shape) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  int64_t rank = shape->size() + adaptor.getAxes().size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : adaptor.getAxes())
    if (auto dim = normalizeAxis(axis, rank))
      inserted[*dim] = true;
  SmallVector<int64_t> result;
  auto next = shape->begin();
  for (int64_t i = 0; i < rank; ++i)
    result.push_back(inserted[i] || next == shape->end() ? 1 : *next++);
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult UnsqueezeOp::verify() {
  auto rank = rankOf(getInput());
  return rank ? verifyAxes(*this, getAxes(), *rank + getAxes().size()) : success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                          Adaptor adaptor, SmallVectorImpl<Type> &types) {
  types.push_back(reducedType(adaptor.getInput(), adaptor.getAxes(), /*keepDims=*/false,
                              getElementTypeOf(adaptor.getInput())));
  return success();
}

LogicalResult SqueezeOp::verify() {
  auto shape = getShapeOf(getInput());
  if (!shape)
    return success();
  if (getAxes().empty() && !shape->empty())
    return emitOpError("needs the axes to squeeze");
  if (failed(verifyAxes(*this, getAxes(), shape->size())))
    return failure();
  for (int64_t axis : getAxes()) {
    int64_t dim = (*shape)[*normalizeAxis(axis, shape->size())];
    if (dim != 1 && dim != kDynamic)
      return emitOpError() << "cannot squeeze dim " << axis << " of size " << dim;
  }
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                          Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (!shape || axis < -int64_t(shape->size()) || axis > int64_t(shape->size())) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  if (axis < 0)
    axis += shape->size();
  SmallVector<int64_t> result = {productOfDims(ArrayRef(*shape).take_front(axis)),
                                 productOfDims(ArrayRef(*shape).drop_front(axis))};
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult FlattenOp::verify() {
  auto rank = rankOf(getInput());
  int64_t axis = getAxis();
  if (rank && (axis < -*rank || axis > *rank))
    return emitOpError() << "axis " << axis << " is out of range for rank " << *rank;
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                         Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto input = getShapeOf(adaptor.getInput());
  auto target = shapeFromOperand(adaptor.getShape());
  if (!input || !target) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  // An unknown target dim still yields the input dim when that is not 1,
  // since broadcasting could only keep it.
  size_t rank = std::max(input->size(), target->size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - input->size() ? 1 : (*input)[i - (rank - input->size())];
    int64_t b = i < rank - target->size() ? 1 : (*target)[i - (rank - target->size())];
    if (b == kDynamic)
      result[i] = (a != 1 && a != kDynamic) ? a : kDynamic;
    else
      result[i] = broadcastShapes({a}, {b})[0];
  }
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult ExpandOp::verify() {
  if (auto rank = rankOf(getShape()); rank && *rank != 1)
    return emitOpError() << "shape operand must be 1-D, not rank " << *rank;
  auto input = getShapeOf(getInput());
  auto target = getKnownIntValues(getShape());
  if (!input || !target)
    return success();
  SmallVector<int64_t> targetShape = *target;
  for (int64_t &dim : targetShape)
    if (dim < 0)
      dim = kDynamic;
  bool conflict = false;
  broadcastShapes(*input, targetShape, &conflict);
  if (conflict)
    return emitOpError() << "cannot broadcast " << describeShape(*input) << " to "
                         << describeShape(targetShape);
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto input = getShapeOf(adaptor.getInput());
  auto repeats = getKnownIntValues(adaptor.getRepeats());
  if (!input) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result = *input;
  for (size_t i = 0; i < result.size(); ++i) {
    int64_t repeat = repeats && i < repeats->size() ? (*repeats)[i] : kDynamic;
    result[i] = repeat < 0 ? kDynamic : mulDims(result[i], repeat);
  }
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult TileOp::verify() {
  auto rank = rankOf(getInput());
  auto repeats = getShapeOf(getRepeats());
  if (repeats && repeats->size() != 1)
    return emitOpError() << "repeats operand must be 1-D, not rank " << repeats->size();
  if (rank && repeats && repeats->size() == 1 && (*repeats)[0] != kDynamic &&
      (*repeats)[0] != *rank)
    return emitOpError() << "has " << (*repeats)[0] << " repeats for a rank-" << *rank
                         << " input";
  return success();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &types) {
  Type element = adaptor.getValue().getElementType();
  auto shape = shapeFromOperand(adaptor.getShape());
  types.push_back(shape ? makeTensorType(ArrayRef<int64_t>(*shape), element)
                        : makeTensorType(std::nullopt, element));
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (auto rank = rankOf(getShape()); rank && *rank != 1)
    return emitOpError() << "shape operand must be 1-D, not rank " << *rank;
  if (getValue().getNumElements() != 1)
    return emitOpError("value must hold exactly one element");
  if (auto known = getKnownIntValues(getShape()))
    for (int64_t dim : *known)
      if (dim < 0 && dim != kDynamic)
        return emitOpError() << "shape has a negative dim " << dim;
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getStart());
  int64_t count = kDynamic;
  auto start = getConstantIntValues(adaptor.getStart());
  auto limit = getConstantIntValues(adaptor.getLimit());
  auto delta = getConstantIntValues(adaptor.getDelta());
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 &&
      delta->size() == 1 && (*delta)[0] != 0) {
    __int128 span = __int128((*limit)[0]) - (*start)[0], step = (*delta)[0];
    __int128 steps = (span + step + (step > 0 ? -1 : 1)) / step;
    count = steps < 0 ? 0 : steps > INT64_MAX / 2 ? kDynamic : int64_t(steps);
  }
  types.push_back(RankedTensorType::get({count}, element));
  return success();
}

LogicalResult RangeOp::verify() {
  for (Value operand : getOperands()) {
    // Scalars, or (as ONNX's own function bodies pass them) single elements.
    auto shape = getShapeOf(operand);
    if (shape && productOfDims(*shape) != 1 && productOfDims(*shape) != kDynamic)
      return emitOpError() << "start, limit and delta must be scalars, not of shape "
                           << describeShape(*shape);
    if (getElementTypeOf(operand) != getElementTypeOf(getStart()))
      return emitOpError("start, limit and delta must have one element type");
  }
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                      Adaptor adaptor, SmallVectorImpl<Type> &types) {
  Type element = getElementTypeOf(adaptor.getInput());
  auto shape = getShapeOf(adaptor.getInput());
  ArrayRef<int64_t> pads = adaptor.getPads();
  if (!shape || pads.size() != 2 * shape->size()) {
    types.push_back(makeTensorType(std::nullopt, element));
    return success();
  }
  SmallVector<int64_t> result = *shape;
  for (size_t i = 0; i < result.size(); ++i) {
    result[i] = addDims(result[i], addDims(pads[i], pads[i + result.size()]));
    // Cropping more than the dim has is the verifier's to report.
    if (result[i] < 0)
      result[i] = kDynamic;
  }
  types.push_back(makeTensorType(ArrayRef<int64_t>(result), element));
  return success();
}

LogicalResult PadOp::verify() {
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return emitOpError() << "unknown pad mode \"" << mode << "\"";
  auto rank = rankOf(getInput());
  if (rank && int64_t(getPads().size()) != 2 * *rank)
    return emitOpError() << "has " << getPads().size() << " pads for a rank-" << *rank
                         << " input; expected " << 2 * *rank;
  // Judged from the input: a result type written with `?` hides the crop.
  if (auto shape = getShapeOf(getInput()))
    for (size_t i = 0; i < shape->size(); ++i)
      if ((*shape)[i] != kDynamic &&
          __int128((*shape)[i]) + getPads()[i] + getPads()[i + shape->size()] < 0)
        return emitOpError("pads crop more than the input has");
  return success();
}

bool mlir::r1::isElementwise(Operation *op) {
  return isa<AbsOp, NegOp, ReluOp, SigmoidOp, TanhOp, ErfOp, SqrtOp, ExpOp, LogOp, ReciprocalOp,
             FloorOp, CeilOp, RoundOp, SignOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp,
             CoshOp, AsinhOp, AcoshOp, AtanhOp, SoftplusOp, SoftsignOp, HardSwishOp, NotOp,
             BitwiseNotOp, LeakyReluOp, EluOp, SeluOp, CeluOp, MishOp, ThresholdedReluOp, ShrinkOp,
             HardSigmoidOp, GeluOp, ClipOp, CastOp, IsNaNOp, IsInfOp, AddOp, SubOp, MulOp, DivOp,
             PowOp, MaxOp, MinOp, ModOp, AndOp, OrOp, XorOp, BitwiseAndOp, BitwiseOrOp,
             BitwiseXorOp, ShiftLeftOp, ShiftRightOp, EqualOp, LessOp, LessEqualOp, GreaterOp,
             GreaterEqualOp, WhereOp, QuantizeOp, DequantizeOp>(op);
}

bool mlir::r1::isView(Operation *op) {
  return isa<ReshapeOp, SqueezeOp, UnsqueezeOp, FlattenOp>(op);
}

#define GET_OP_CLASSES
#include "dialects/R1/IR/R1Ops.cpp.inc"

std::optional<int64_t> mlir::r1::getDataDependentShapeBound(Value value) {
  Operation *op = value.getDefiningOp();
  if (auto keep = dyn_cast_or_null<KeepLeadingOp>(op)) {
    auto input = dyn_cast<RankedTensorType>(keep.getInput().getType());
    if (!input || !input.hasStaticShape())
      return std::nullopt;
    return std::max<int64_t>(input.getNumElements(), 1);
  }
  // computed_axes is the optional second operand.
  if (!isa_and_nonnull<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(op) ||
      op->getNumOperands() < 2)
    return std::nullopt;
  auto input = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  if (!input || !input.hasStaticShape())
    return std::nullopt;
  // Reducing every dim of an empty tensor still gives one element.
  return std::max<int64_t>(input.getNumElements(), 1);
}
