//===- OnnxNode.h - An imported ONNX node, as legalization sees it -*- C++ -*-===//
//
// Patterns read attributes and constant inputs through OnnxNode and build r1
// ops with it; errors it emits name the node, its op type and opset.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_LEGALIZEONNX_ONNXNODE_H
#define R1C_PASSES_LEGALIZEONNX_ONNXNODE_H

#include "dialects/R1/IR/R1Ops.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/ArrayRef.h"

#include <optional>

namespace mlir::r1 {

/// Legalizes the nodes of a subgraph where a control-flow pattern wants its
/// computation: the pass implements it, patterns reach it through OnnxNode.
class SubgraphInliner {
public:
  virtual ~SubgraphInliner() = default;
  /// Copies the nodes of `body` to the builder's insertion point, with
  /// `arguments` for its inputs, and legalizes each copy (folding as it
  /// goes, so a loop's iteration number becomes a constant in the copy).
  /// Returns the values of the subgraph's outputs, or failure after an
  /// error at the node that failed.
  virtual FailureOr<SmallVector<Value>> inlineSubgraph(Region &body, ValueRange arguments,
                                                       OpBuilder &builder) = 0;
};

class OnnxNode {
public:
  OnnxNode(OnnxNodeOp op, OpBuilder &builder, SubgraphInliner &inliner)
      : op(op), builder(builder), inliner(inliner) {}

  StringRef getOpType() { return op.getOpType(); }
  int64_t getOpset() { return op.getOpset(); }
  Location getLoc() { return op.getLoc(); }
  OpBuilder &getBuilder() { return builder; }
  unsigned getNumOutputs() { return op.getNumResults(); }

  /// Input `index`, or null when absent (omitted or given as "").
  Value input(unsigned index);
  /// Input `index`; emits an error naming it when absent.
  FailureOr<Value> requiredInput(unsigned index);
  /// Inputs 0 to count - 1, all required.
  FailureOr<SmallVector<Value>> requiredInputs(unsigned count);
  unsigned getNumInputs() { return op.getInputs().size(); }
  /// Whether the model reads output `index`.
  bool isOutputUsed(unsigned index) { return !op.getResult(index).use_empty(); }
  /// The type the file declares for output `index` (r1.unknown if none).
  Type getDeclaredOutputType(unsigned index) { return op.getResult(index).getType(); }

  /// The region of graph attribute `name`; emits an error when missing.
  FailureOr<Region *> requiredSubgraph(StringRef name);
  /// See SubgraphInliner::inlineSubgraph; the argument count must match.
  FailureOr<SmallVector<Value>> inlineSubgraph(Region &body, ValueRange arguments) {
    return inliner.inlineSubgraph(body, arguments, builder);
  }

  bool hasAttr(StringRef name) { return static_cast<bool>(op.getOnnxAttrs().get(name)); }
  int64_t getInt(StringRef name, int64_t fallback);
  float getFloat(StringRef name, float fallback);
  StringRef getString(StringRef name, StringRef fallback);
  std::optional<SmallVector<int64_t>> getInts(StringRef name);
  std::optional<SmallVector<float>> getFloats(StringRef name);
  std::optional<SmallVector<StringRef>> getStrings(StringRef name);
  ElementsAttr getTensor(StringRef name);
  /// A required integer attribute; emits an error when missing.
  FailureOr<int64_t> requiredInt(StringRef name);

  /// The static shape the model declares for output `index` (in value_info
  /// or as a graph output), when it declares one. A shape that depends on
  /// data (axes, sizes or pads given as graph inputs) is read from it: a
  /// valid model's declared shape is the one its data produce.
  std::optional<SmallVector<int64_t>> declaredShape(unsigned index);

  /// Output `index` of a node whose size depends on the data, from `padded`
  /// (the result computed to its bound along `axis`) and `count` (a
  /// one-element i64 tensor, how many entries are real): cut to the extent
  /// the model declares for that dim when it declares one, else to `count`
  /// at run time with r1.keep_leading. Failure after an error when the
  /// declared extent exceeds the bound.
  FailureOr<Value> leadingEntries(unsigned index, Value padded, Value count, int64_t axis);

  /// Values of a constant integer input, when it is one.
  std::optional<SmallVector<int64_t>> constantInts(unsigned index);
  /// A constant scalar input (any numeric type) as double.
  std::optional<double> constantScalar(unsigned index);
  /// Values of a constant numeric input (any element type) as doubles.
  std::optional<SmallVector<double>> constantDoubles(unsigned index);

  /// Emits an error at the node, prefixed with its op type and opset.
  InFlightDiagnostic emitError();

  /// Builds an r1 op at the node; its result types are inferred.
  template <typename OpTy, typename... Args>
  OpTy create(Args &&...args) {
    return builder.create<OpTy>(getLoc(), std::forward<Args>(args)...);
  }
  /// A 0-D constant of `element` type.
  Value scalar(Type element, double value);
  /// A 1-D i64 constant.
  Value i64Vector(ArrayRef<int64_t> values);
  /// A one-element tensor the graph computes, as a rank-0 tensor of `element`.
  Value toScalar(Value value, Type element);
  /// An axis the graph computes (a one-element tensor), as a rank-0 i64 in
  /// [0, rank): negative axes count from the end.
  Value dataAxis(Value axis, int64_t rank);
  /// 0, 1, ..., extent - 1 (i64) along dim `axis` of a rank-`rank` tensor
  /// whose other dims are 1, so that it broadcasts along that axis.
  Value iota(int64_t extent, int64_t axis = 0, int64_t rank = 1);

private:
  OnnxNodeOp op;
  OpBuilder &builder;
  SubgraphInliner &inliner;
};

/// The element type an ONNX TensorProto data type code names (Cast's `to`,
/// EyeLike's `dtype`); emits an error at the node for codes r1c lacks.
FailureOr<Type> getOnnxElementType(OnnxNode &node, int64_t code);

/// A pattern returns the values that replace the node's outputs, in order
/// (null for an output the model cannot read), or failure after an error.
using OnnxLegalizeFn = FailureOr<SmallVector<Value>> (*)(OnnxNode &);

struct OnnxPattern {
  StringRef opType;
  int64_t sinceOpset;
  OnnxLegalizeFn legalize;
};

void addDefaultDomainAtoF(SmallVectorImpl<OnnxPattern> &patterns);
void addDefaultDomainGtoM(SmallVectorImpl<OnnxPattern> &patterns);
void addDefaultDomainNtoR(SmallVectorImpl<OnnxPattern> &patterns);
void addDefaultDomainStoZ(SmallVectorImpl<OnnxPattern> &patterns);
/// Ops that decompose into r1 ops, by family.
void addTransformerOps(SmallVectorImpl<OnnxPattern> &patterns);
void addNormalizationOps(SmallVectorImpl<OnnxPattern> &patterns);
void addLossOps(SmallVectorImpl<OnnxPattern> &patterns);
void addIndexingOps(SmallVectorImpl<OnnxPattern> &patterns);
void addSignalOps(SmallVectorImpl<OnnxPattern> &patterns);
void addUniqueOps(SmallVectorImpl<OnnxPattern> &patterns);
void addRandomOps(SmallVectorImpl<OnnxPattern> &patterns);
void addEinsumOps(SmallVectorImpl<OnnxPattern> &patterns);
void addDeterminantOps(SmallVectorImpl<OnnxPattern> &patterns);
/// QDQ and QOperator ops, to integer r1 ops (Quantized.cpp).
void addQuantizedOps(SmallVectorImpl<OnnxPattern> &patterns);
/// Resampling and rearranging ops of images (ImageOps.cpp).
void addImageOps(SmallVectorImpl<OnnxPattern> &patterns);
/// If, Loop and Scan (ControlFlow.cpp).
void addControlFlow(SmallVectorImpl<OnnxPattern> &patterns);
/// RNN, GRU and LSTM (Recurrent.cpp).
void addRecurrent(SmallVectorImpl<OnnxPattern> &patterns);

/// How a node reads inputs whose size depends on the data (results of
/// r1.keep_leading), from DataSizedInputs.cpp.
struct DataSizedPlan {
  /// The count those inputs were cut to; the outputs are cut to it too.
  Value count;
  /// Per output, the axis along which it is cut; std::nullopt for outputs
  /// whose size does not depend on the data.
  SmallVector<std::optional<int64_t>> outputAxes;
};

/// For a node that reads values whose size depends on the data: points it
/// at the padded values they were cut from and says how to cut its outputs.
/// std::nullopt for a node without such inputs; failure, after an error
/// naming the input and the node that computed it, when the node mixes the
/// entries along the data-sized axis (or r1c does not know that it keeps
/// them apart).
FailureOr<std::optional<DataSizedPlan>> planDataSizedInputs(OnnxNode &node, OnnxNodeOp op);

/// Loops and scans are unrolled during legalization; beyond
/// this many copies of body nodes (iterations times nodes per iteration) a
/// node is refused rather than compiled into an enormous graph.
constexpr int64_t kMaxUnrolledNodes = 20000;

/// Every pattern of the default ONNX domain, sorted by op type and opset.
ArrayRef<OnnxPattern> getDefaultDomainPatterns();
/// The pattern for `opType` at the largest opset not above `opset`.
const OnnxPattern *findDefaultDomainPattern(StringRef opType, int64_t opset);
/// The patterns of the ai.onnx.ml domain (MlDomain.cpp), sorted by op type.
ArrayRef<OnnxPattern> getMlDomainPatterns();
/// The pattern of `domain` ("" is ai.onnx) for `opType` at the largest
/// opset not above `opset`, or null.
const OnnxPattern *findPattern(StringRef domain, StringRef opType, int64_t opset);
/// Op types of the default domain that legalization supports, sorted.
SmallVector<StringRef> getSupportedOnnxOps();
/// Op types of the ai.onnx.ml domain that legalization supports, sorted.
SmallVector<StringRef> getSupportedMlOps();

//===----------------------------------------------------------------------===//
// Building blocks shared by the pattern files
//===----------------------------------------------------------------------===//

/// The sliding window of a conv or pooling node, with explicit pads.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
};

/// Reads kernel_shape (or takes `kernel` when the node has none), strides,
/// dilations and pads; `auto_pad` becomes explicit pads, which needs the
/// spatial dims of `input` to be static.
FailureOr<Window> getWindow(OnnxNode &node, Value input,
                            std::optional<SmallVector<int64_t>> kernel = std::nullopt);

/// MaxPool and AveragePool share everything but `count_include_pad`.
template <typename PoolOpTy>
FailureOr<SmallVector<Value>> buildPool(OnnxNode &node, Value input, bool countIncludePad) {
  FailureOr<Window> window = getWindow(node, input);
  if (failed(window))
    return failure();
  OpBuilder &b = node.getBuilder();
  return SmallVector<Value>{node.create<PoolOpTy>(
      input, b.getDenseI64ArrayAttr(window->kernel), b.getDenseI64ArrayAttr(window->strides),
      b.getDenseI64ArrayAttr(window->pads), b.getDenseI64ArrayAttr(window->dilations),
      b.getBoolAttr(node.getInt("ceil_mode", 0) != 0), b.getBoolAttr(countIncludePad))};
}

/// Slice whose starts, ends, axes or steps are data, and Pad whose pads,
/// axes or constant_value are: the result takes the shape the model
/// declares, and its elements are gathered by indices computed at run time
/// (DataBounds.cpp).
FailureOr<SmallVector<Value>> legalizeSliceWithDataBounds(OnnxNode &node, Value x);
FailureOr<SmallVector<Value>> legalizePadWithDataPads(OnnxNode &node, Value x, StringRef mode);

/// Reads the axes of a reduction: an attribute before `inputSinceOpset`,
/// input #1 from then on (which must be a constant).
FailureOr<SmallVector<int64_t>> getAxesOperand(OnnxNode &node, int64_t inputSinceOpset);

/// Element `index` of `value` along `axis`, with that dim removed.
Value takeAlong(OnnxNode &node, Value value, int64_t axis, int64_t index);
/// Joins `values` (of equal shapes) along a new dim at `axis`.
Value stackAlong(OnnxNode &node, ArrayRef<Value> values, int64_t axis);

inline FailureOr<SmallVector<Value>> results(Value value) {
  return SmallVector<Value>{value};
}

template <typename OpTy>
FailureOr<SmallVector<Value>> legalizeUnary(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  return results(node.create<OpTy>(*x));
}

/// Before opset 7, a binary op broadcasts only with `broadcast = 1`, and B's
/// dims then line up with A's from `axis` on rather than with A's last dims.
/// Returns `b` reshaped so that numpy broadcasting means the same.
FailureOr<Value> alignLegacyBroadcast(OnnxNode &node, Value a, Value b);

template <typename OpTy>
FailureOr<SmallVector<Value>> legalizeBinary(OnnxNode &node) {
  FailureOr<Value> a = node.requiredInput(0), b = node.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> aligned = alignLegacyBroadcast(node, *a, *b);
  if (failed(aligned))
    return failure();
  return results(node.create<OpTy>(*a, *aligned));
}

/// Folds a variadic ONNX op (Max, Min, Sum) into a chain of binary ops.
template <typename OpTy>
FailureOr<SmallVector<Value>> legalizeVariadic(OnnxNode &node) {
  FailureOr<Value> acc = node.requiredInput(0);
  if (failed(acc))
    return failure();
  Value value = *acc;
  for (unsigned i = 1; i < node.getNumInputs(); ++i)
    if (Value next = node.input(i))
      value = node.create<OpTy>(value, next);
  return results(value);
}

/// Softmax and LogSoftmax. Before opset 13 they worked on the input seen as
/// 2-D (dims before `axis` by the rest), with `axis` defaulting to 1.
template <typename OpTy>
FailureOr<SmallVector<Value>> legalizeSoftmaxLike(OnnxNode &node) {
  FailureOr<Value> x = node.requiredInput(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.getBuilder();
  if (node.getOpset() >= 13)
    return results(node.create<OpTy>(*x, b.getI64IntegerAttr(node.getInt("axis", -1))));
  auto type = dyn_cast<RankedTensorType>(x->getType());
  if (!type)
    return node.emitError() << "needs a ranked input before opset 13", failure();
  int64_t axis = node.getInt("axis", 1);
  if (axis < -type.getRank() || axis > type.getRank())
    return node.emitError() << "axis " << axis << " is out of range for rank "
                            << type.getRank(),
           failure();
  Value flat = node.create<FlattenOp>(*x, b.getI64IntegerAttr(axis));
  Value normalized = node.create<OpTy>(flat, b.getI64IntegerAttr(1));
  Value shape = node.create<ShapeOp>(*x, b.getI64IntegerAttr(0),
                                     b.getI64IntegerAttr(type.getRank()));
  return results(node.create<ReshapeOp>(normalized, shape, b.getBoolAttr(false)));
}

} // namespace mlir::r1

#endif // R1C_PASSES_LEGALIZEONNX_ONNXNODE_H
