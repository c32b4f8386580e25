//===- FuseQuantizedContractions.cpp - QDQ contractions on integers -------===//
//
// A float matmul or convolution whose operands are r1.dequantize of 8-bit
// integers computes sum((a - za) * sa * (b - zb) * sb), which is
// sa * sb * sum((a - za) * (b - zb)): an exact integer contraction scaled
// once. That holds when sa is one value and sb is one per column of b (a
// convolution: one per output channel), which is how ONNX Runtime
// quantizes activations and weights.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/Passes.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_FUSEQUANTIZEDCONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// The r1.dequantize of an 8-bit integer tensor, with an f32 scale, that
/// defines `value`.
DequantizeOp int8Dequantize(Value value) {
  auto dequantize = value.getDefiningOp<DequantizeOp>();
  if (!dequantize || !getElementTypeOf(dequantize.getScale()).isF32())
    return {};
  auto integer = dyn_cast<IntegerType>(getElementTypeOf(dequantize.getInput()));
  if (!integer || integer.getWidth() != 8)
    return {};
  return dequantize;
}

bool isOneValue(Value value) {
  auto shape = getShapeOf(value);
  return shape && productOfDims(*shape) == 1;
}

/// Whether `value` (a scale or zero point of b, of rank `rank`) is one
/// value or one per column: its second-to-last dim, if any, is 1.
bool isPerColumn(Value value, int64_t rank) {
  auto shape = getShapeOf(value);
  if (!shape || int64_t(shape->size()) > rank || llvm::is_contained(*shape, kDynamic))
    return false;
  return shape->size() < 2 || (*shape)[shape->size() - 2] == 1;
}

/// Whether `value` (a scale or zero point of a convolution's weight) is
/// one value or one per output channel ([C_out, 1, ..., 1] as legalization
/// shapes it, or [C_out]).
bool isPerChannel(Value value) {
  auto shape = getShapeOf(value);
  if (!shape || llvm::is_contained(*shape, kDynamic))
    return false;
  return productOfDims(*shape) == 1 || productOfDims(*shape) == (*shape)[0];
}

Value reshapeTo(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape) {
  // A literal takes its new shape now.
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto literal = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return b.create<ConstantOp>(loc, cast<ElementsAttr>(literal.reshape(RankedTensorType::get(
                                           shape, literal.getType().getElementType()))));
  auto type = RankedTensorType::get({int64_t(shape.size())}, b.getI64Type());
  Value dims =
      b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseIntElementsAttr::get(type, shape)));
  return b.create<ReshapeOp>(loc, value, dims, b.getBoolAttr(false));
}

/// `a` times `b`: computed now when both are f32 literals (the scales
/// r1c's own quantization writes), so that no kernel multiplies them at
/// every run; else an r1.mul.
Value scaleProduct(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto literal = [](Value value) -> DenseFPElementsAttr {
    auto constant = value.getDefiningOp<ConstantOp>();
    auto values = constant ? dyn_cast<DenseFPElementsAttr>(constant.getValue()) : nullptr;
    return values && values.getElementType().isF32() ? values : nullptr;
  };
  DenseFPElementsAttr x = literal(lhs), y = literal(rhs);
  // One side a single value: the product has the other's shape.
  if (x && y && (x.getNumElements() == 1 || y.getNumElements() == 1)) {
    DenseFPElementsAttr many = x.getNumElements() == 1 ? y : x;
    float one = (x.getNumElements() == 1 ? x : y).getValues<float>()[0];
    SmallVector<float> product;
    for (float value : many.getValues<float>())
      product.push_back(value * one);
    auto type = cast<RankedTensorType>(many.getType());
    return b.create<ConstantOp>(
        loc, cast<ElementsAttr>(DenseElementsAttr::get(type, ArrayRef<float>(product))));
  }
  return b.createOrFold<MulOp>(loc, lhs, rhs);
}

/// `sums` (i32) as f32, times `scale`.
Value scaled(OpBuilder &b, Location loc, Value sums, Value scale) {
  Value floats = b.create<CastOp>(loc, sums, TypeAttr::get(b.getF32Type()));
  return b.create<MulOp>(loc, floats, scale);
}

LogicalResult fuseMatMul(MatMulOp matmul) {
  DequantizeOp a = int8Dequantize(matmul.getLhs()), b = int8Dequantize(matmul.getRhs());
  if (!a || !b)
    return failure();
  std::optional<int64_t> aRank = getRankOf(a.getInput()), bRank = getRankOf(b.getInput());
  if (!aRank || !bRank || *aRank < 2 || *bRank < 2 || !isOneValue(a.getScale()) ||
      !isOneValue(a.getZeroPoint()) || !isPerColumn(b.getScale(), *bRank) ||
      !isPerColumn(b.getZeroPoint(), *bRank))
    return failure();
  OpBuilder builder(matmul);
  Location loc = matmul.getLoc();
  Value sums = builder.create<MatMulIntegerOp>(loc, a.getInput(), b.getInput(), a.getZeroPoint(),
                                               b.getZeroPoint());
  Value scale = scaleProduct(builder, loc, a.getScale(), b.getScale());
  matmul.replaceAllUsesWith(scaled(builder, loc, sums, scale));
  matmul.erase();
  return success();
}

LogicalResult fuseConv(ConvOp conv) {
  DequantizeOp x = int8Dequantize(conv.getInput()), w = int8Dequantize(conv.getWeight());
  if (!x || !w || !isOneValue(x.getScale()) || !isOneValue(x.getZeroPoint()) ||
      !isPerChannel(w.getScale()) || !isPerChannel(w.getZeroPoint()))
    return failure();
  auto result = dyn_cast<RankedTensorType>(conv.getType());
  if (!result || !result.hasStaticShape())
    return failure();
  OpBuilder builder(conv);
  Location loc = conv.getLoc();
  int64_t channels = result.getDimSize(1), rank = result.getRank();
  // Per-channel values line up with dim 1 of the result: [C_out, 1, ...].
  auto perChannel = [&](Value value, int64_t valueRank) {
    if (isOneValue(value))
      return value;
    SmallVector<int64_t> shape(valueRank, 1);
    shape.front() = channels;
    return reshapeTo(builder, loc, value, shape);
  };
  Value sums = builder.create<ConvIntegerOp>(
      loc, x.getInput(), w.getInput(), x.getZeroPoint(), perChannel(w.getZeroPoint(), 1),
      conv.getStridesAttr(), conv.getPadsAttr(), conv.getDilationsAttr(), conv.getGroupAttr());
  Value scale = scaleProduct(builder, loc, x.getScale(), perChannel(w.getScale(), rank - 1));
  Value value = scaled(builder, loc, sums, scale);
  if (Value bias = conv.getBias())
    value = builder.create<AddOp>(loc, value, perChannel(bias, rank - 1));
  conv.replaceAllUsesWith(value);
  conv.erase();
  return success();
}

/// Whether `value` is a constant of one element that is positive.
bool isPositiveScalar(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseFPElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || dense.getNumElements() != 1)
    return false;
  APFloat scale = *dense.value_begin<APFloat>();
  return scale.isFiniteNonZero() && !scale.isNegative();
}

/// The constant value `value` holds, or null.
Attribute constantValue(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  return constant ? constant.getValue() : Attribute();
}

/// `quantize(max_pool(x))` as `max_pool(quantize(x))` where every reader
/// of the pool is that quantization (one per reader until CSE merges them:
/// the same scale, zero point and type) and it is per tensor with a
/// positive scale: rounding, adding the zero point and saturating never
/// reverse an order, so the max of the codes is the code of the max, bit
/// for bit, and padding (which never wins a max) stays out of both. The
/// kernel that makes x then writes 8-bit codes, and the pool reads a
/// quarter of the bytes (a ResNet stem's 64 x 112 x 112 activation).
LogicalResult quantizeBeforeMaxPool(MaxPoolOp pool) {
  SmallVector<QuantizeOp> readers;
  for (Operation *user : pool->getUsers()) {
    auto quantize = dyn_cast<QuantizeOp>(user);
    if (!quantize || quantize.getInput() != pool.getResult())
      return failure();
    readers.push_back(quantize);
  }
  if (readers.empty() || llvm::any_of(readers, [&](QuantizeOp quantize) {
        return quantize->getBlock() != pool->getBlock();
      }))
    return failure();
  // The new ops go where the earliest reader is, after its constants.
  QuantizeOp first =
      *llvm::min_element(readers, [](QuantizeOp a, QuantizeOp b) { return a->isBeforeInBlock(b); });
  Attribute scale = constantValue(first.getScale()),
            zeroPoint = constantValue(first.getZeroPoint());
  auto isSame = [&](QuantizeOp other) {
    return constantValue(other.getScale()) == scale &&
           constantValue(other.getZeroPoint()) == zeroPoint && other.getType() == first.getType();
  };
  auto poolType = dyn_cast<RankedTensorType>(pool.getType());
  auto inputType = dyn_cast<RankedTensorType>(pool.getInput().getType());
  Type code = getElementTypeOf(first.getOutput());
  if (!scale || !zeroPoint || !llvm::all_of(readers, isSame) ||
      !isPositiveScalar(first.getScale()) || !isOneValue(first.getZeroPoint()) || !poolType ||
      !inputType || !code.isInteger(8))
    return failure();
  OpBuilder builder(first);
  Value codes = builder.create<QuantizeOp>(first.getLoc(), inputType.clone(code), pool.getInput(),
                                           first.getScale(), first.getZeroPoint());
  auto pooled = builder.create<MaxPoolOp>(pool.getLoc(), poolType.clone(code), codes,
                                          pool.getKernelShapeAttr(), pool.getStridesAttr(),
                                          pool.getPadsAttr(), pool.getDilationsAttr(),
                                          pool.getCeilModeAttr(), pool.getCountIncludePadAttr());
  for (QuantizeOp quantize : readers) {
    quantize.replaceAllUsesWith(pooled.getResult());
    quantize.erase();
  }
  pool.erase();
  return success();
}

/// Whether every target of the module around `op` is the host, whose pool
/// kernels take 8-bit codes (none is a host module too).
bool targetsHostOnly(Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  return !module || llvm::all_of(r1k::getTargets(module),
                                 [](r1k::TargetAttr target) { return target.isHost(); });
}

struct FuseQuantizedContractions
    : r1::impl::FuseQuantizedContractionsBase<FuseQuantizedContractions> {
  void runOnOperation() override {
    if (targetsHostOnly(getOperation())) {
      SmallVector<MaxPoolOp> pools;
      getOperation().walk([&](MaxPoolOp op) { pools.push_back(op); });
      for (MaxPoolOp op : pools)
        (void)quantizeBeforeMaxPool(op);
    }
    SmallVector<Operation *> contractions;
    getOperation().walk([&](Operation *op) {
      if (isa<MatMulOp, ConvOp>(op))
        contractions.push_back(op);
    });
    for (Operation *op : contractions) {
      if (auto matmul = dyn_cast<MatMulOp>(op))
        (void)fuseMatMul(matmul);
      else
        (void)fuseConv(cast<ConvOp>(op));
    }
    // Dequantizations only the contractions read are left without readers.
    getOperation().walk([&](DequantizeOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};

} // namespace
