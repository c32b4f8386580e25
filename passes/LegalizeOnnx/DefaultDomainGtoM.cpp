//===- DefaultDomainGtoM.cpp - ONNX ops Gather to Mul ---------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/ImageOps.h"
#include "passes/LegalizeOnnx/OnnxNode.h"

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

Result legalizeGather(OnnxNode &node) {
  FailureOr<Value> data = node.requiredInput(0), indices = node.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  return results(node.create<GatherOp>(
      *data, *indices, node.getBuilder().getI64IntegerAttr(node.getInt("axis", 0))));
}

Result legalizeGatherElements(OnnxNode &node) {
  FailureOr<Value> data = node.requiredInput(0), indices = node.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  int64_t axis = node.getInt("axis", 0);
  // The verifier would say the same, but only once the rank is known here.
  if (auto shape = getShapeOf(*data); shape && !normalizeAxis(axis, shape->size()))
    return node.emitError() << "axis " << axis << " is out of range for data of rank "
                            << shape->size(),
           failure();
  return results(
      node.create<GatherElementsOp>(*data, *indices, node.getBuilder().getI64IntegerAttr(axis)));
}

Result buildGatherND(OnnxNode &node, int64_t batch) {
  FailureOr<Value> data = node.requiredInput(0), indices = node.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  auto dataShape = getShapeOf(*data), indexShape = getShapeOf(*indices);
  if (batch < 0)
    return node.emitError() << "batch_dims " << batch << " is negative", failure();
  if (dataShape && indexShape && batch >= int64_t(std::min(dataShape->size(), indexShape->size())))
    return node.emitError() << "batch_dims " << batch << " must be less than the ranks of data ("
                            << dataShape->size() << ") and indices (" << indexShape->size() << ")",
           failure();
  if (dataShape && indexShape && !indexShape->empty() && indexShape->back() != kDynamic &&
      batch + indexShape->back() > int64_t(dataShape->size()))
    return node.emitError() << "the last dim of indices (" << indexShape->back()
                            << ") is larger than the data rank " << dataShape->size()
                            << " less batch_dims " << batch,
           failure();
  return results(
      node.create<GatherNDOp>(*data, *indices, node.getBuilder().getI64IntegerAttr(batch)));
}

/// Opset 11 has no batch_dims: every index tuple addresses the whole data.
Result legalizeGatherND11(OnnxNode &node) { return buildGatherND(node, 0); }

Result legalizeGatherND(OnnxNode &node) {
  return buildGatherND(node, node.getInt("batch_dims", 0));
}

Result legalizeGelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<GeluOp>(
      *x, node.getBuilder().getStringAttr(node.getString("approximate", "none"))));
}

/// alpha * A' * B' + beta * C, as matmul with a scaled, broadcast addend.
Result legalizeGemm(OnnxNode &node) {
  FailureOr<Value> a = node.requiredInput(0), bIn = node.requiredInput(1);
  if (failed(a) || failed(bIn))
    return failure();
  OpBuilder &b = node.getBuilder();
  auto swap = b.getDenseI64ArrayAttr({1, 0});
  Value lhs = node.getInt("transA", 0) ? node.create<TransposeOp>(*a, swap).getResult() : *a;
  Value rhs =
      node.getInt("transB", 0) ? node.create<TransposeOp>(*bIn, swap).getResult() : *bIn;
  Type element = getElementTypeOf(*a);
  Value product = node.create<MatMulOp>(lhs, rhs);
  float alpha = node.getFloat("alpha", 1.0f), beta = node.getFloat("beta", 1.0f);
  if (alpha != 1.0f)
    product = node.create<MulOp>(product, node.scalar(element, alpha));
  if (Value c = node.input(2)) {
    if (beta != 1.0f)
      c = node.create<MulOp>(c, node.scalar(element, beta));
    product = node.create<AddOp>(product, c);
  }
  return results(product);
}

/// Global pooling is a reduction over every spatial dim, keeping them as 1.
template <typename ReduceOpTy>
Result legalizeGlobalPool(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  auto type = dyn_cast<RankedTensorType>(x->getType());
  if (!type || type.getRank() < 3)
    return node.emitError() << "needs an input of known rank 3 or more", failure();
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < type.getRank(); ++i)
    axes.push_back(i);
  OpBuilder &b = node.getBuilder();
  return results(node.create<ReduceOpTy>(*x, Value(), b.getDenseI64ArrayAttr(axes),
                                         b.getBoolAttr(true), b.getBoolAttr(false)));
}

Result legalizeHardSigmoid(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<HardSigmoidOp>(*x, b.getF32FloatAttr(node.getFloat("alpha", 0.2f)),
                                            b.getF32FloatAttr(node.getFloat("beta", 0.5f))));
}

Result legalizeIdentity(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(*x);
}

Result legalizeLayerNormalization(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0), scale = node.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  OpBuilder &b = node.getBuilder();
  int64_t axis = node.getInt("axis", -1);
  float epsilon = node.getFloat("epsilon", 1e-5f);
  SmallVector<Value> outputs = {node.create<LayerNormOp>(
      *x, *scale, node.input(2), b.getI64IntegerAttr(axis), b.getF32FloatAttr(epsilon))};
  bool statsUsed = false;
  for (unsigned i = 1; i < node.getNumOutputs(); ++i)
    statsUsed |= node.isOutputUsed(i);
  if (!statsUsed)
    return outputs;
  // The optional Mean and InvStdDev outputs, spelled out: they are rarely
  // read, so the fused op does not carry them.
  auto type = dyn_cast<RankedTensorType>(x->getType());
  std::optional<int64_t> first = type ? normalizeAxis(axis, type.getRank()) : std::nullopt;
  if (!first)
    return node.emitError() << "axis " << axis << " is out of range for the input",
           failure();
  SmallVector<int64_t> axes;
  for (int64_t i = *first; i < type.getRank(); ++i)
    axes.push_back(i);
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(true), noop = b.getBoolAttr(false);
  Value mean = node.create<ReduceMeanOp>(*x, Value(), axesAttr, keep, noop);
  Value centered = node.create<SubOp>(*x, mean);
  Value variance = node.create<ReduceMeanOp>(node.create<MulOp>(centered, centered), Value(),
                                             axesAttr, keep, noop);
  Value shifted = node.create<AddOp>(variance, node.scalar(type.getElementType(), epsilon));
  outputs.push_back(mean);
  outputs.push_back(node.create<ReciprocalOp>(node.create<SqrtOp>(shifted)));
  return outputs;
}

Result legalizeLeakyRelu(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<LeakyReluOp>(
      *x, node.getBuilder().getF32FloatAttr(node.getFloat("alpha", 0.01f))));
}

Result legalizeIsInf(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  return results(node.create<IsInfOp>(*x, b.getBoolAttr(node.getInt("detect_negative", 1) != 0),
                                      b.getBoolAttr(node.getInt("detect_positive", 1) != 0)));
}

/// (sum of |x|^p over each window)^(1/p): the window sums are an average
/// pool that counts padding, times the window's volume.
Result legalizeLpPool(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  Type element = getElementTypeOf(*x);
  double p = double(node.getInt("p", 2));
  Value powered = p == 2 ? Value(node.create<MulOp>(*x, *x)) : Value(node.create<AbsOp>(*x));
  if (p != 1 && p != 2)
    powered = node.create<PowOp>(powered, node.scalar(element, p));
  FailureOr<SmallVector<Value>> averaged = buildPool<AveragePoolOp>(node, powered, true);
  if (failed(averaged))
    return failure();
  auto pool = (*averaged)[0].getDefiningOp<AveragePoolOp>();
  int64_t volume = 1;
  for (int64_t k : pool.getKernelShape())
    volume *= k;
  Value sums = node.create<MulOp>((*averaged)[0], node.scalar(element, double(volume)));
  if (p == 1)
    return results(sums);
  if (p == 2)
    return results(node.create<SqrtOp>(sums));
  return results(node.create<PowOp>(sums, node.scalar(element, 1 / p)));
}

Result legalizeMaxPool(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  // r1.max_pool computes floating-point maxima and no indices.
  if ((node.getNumOutputs() > 1 && node.isOutputUsed(1)) || !isa<FloatType>(getElementTypeOf(*x)))
    return legalizeMaxPoolByTaps(node, *x);
  return buildPool<MaxPoolOp>(node, *x, /*countIncludePad=*/false);
}

Result legalizeMean(OnnxNode &node) {
  Result sum = legalizeVariadic<AddOp>(node);
  if (failed(sum))
    return failure();
  Value total = sum->front();
  unsigned count = 0;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    count += node.input(i) ? 1 : 0;
  if (count == 1)
    return sum;
  return results(node.create<DivOp>(total, node.scalar(getElementTypeOf(total), count)));
}

Result legalizeMod(OnnxNode &node) {
  FailureOr<Value> a = node.requiredInput(0), b = node.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  return results(
      node.create<ModOp>(*a, *b, node.getBuilder().getBoolAttr(node.getInt("fmod", 0) != 0)));
}

} // namespace

void mlir::r1::addDefaultDomainGtoM(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"Gather", 1, legalizeGather},
      {"GatherElements", 11, legalizeGatherElements},
      {"GatherND", 11, legalizeGatherND11},
      {"GatherND", 12, legalizeGatherND},
      {"Gelu", 20, legalizeGelu},
      {"Gemm", 1, legalizeGemm},
      {"GlobalAveragePool", 1, legalizeGlobalPool<ReduceMeanOp>},
      {"GlobalMaxPool", 1, legalizeGlobalPool<ReduceMaxOp>},
      {"Greater", 1, legalizeBinary<GreaterOp>},
      {"GreaterOrEqual", 12, legalizeBinary<GreaterEqualOp>},
      {"HardSigmoid", 1, legalizeHardSigmoid},
      {"HardSwish", 14, legalizeUnary<HardSwishOp>},
      {"Identity", 1, legalizeIdentity},
      {"IsInf", 10, legalizeIsInf},
      {"IsNaN", 9, legalizeUnary<IsNaNOp>},
      {"LayerNormalization", 17, legalizeLayerNormalization},
      {"LeakyRelu", 1, legalizeLeakyRelu},
      {"Less", 1, legalizeBinary<LessOp>},
      {"LessOrEqual", 12, legalizeBinary<LessEqualOp>},
      {"Log", 1, legalizeUnary<LogOp>},
      {"LogSoftmax", 1, legalizeSoftmaxLike<LogSoftmaxOp>},
      {"MatMul", 1, legalizeBinary<MatMulOp>},
      {"Max", 1, legalizeVariadic<MaxOp>},
      {"LpPool", 1, legalizeLpPool},
      {"MaxPool", 1, legalizeMaxPool},
      {"Mean", 1, legalizeMean},
      {"Min", 1, legalizeVariadic<MinOp>},
      {"Mish", 18, legalizeUnary<MishOp>},
      {"Mod", 10, legalizeMod},
      {"Mul", 1, legalizeBinary<MulOp>},
  });
}
