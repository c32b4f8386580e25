//===- AttentionTemplate.cpp - Fused online-softmax host attention --------===//
//
// Each task is one block of query rows of one (batch, head). Its rows, the
// running maximum and sum of each row's scores and its output (f32) stay
// on the stack while the task walks the keys a block at a time:
//
// 1. the block of K is packed transposed (head dim major), so that the
//    scores are a small GEMM: `rows` query rows by up to four vectors of
//    keys in registers, a broadcast of q[r][d] and a vector load of the
//    packed keys per step of d;
// 2. the scores are scaled and masked (bias, boolean mask, causal order,
//    keys past the end) in registers and stored to the block's score rows;
// 3. each row's maximum grows to the block's, the row's sum and output
//    are rescaled by e^(old max - new max), and the scores become their
//    exponentials (the block's probabilities, unnormalized);
// 4. the output rows accumulate probabilities times values: `rows` rows by
//    up to four vectors of the head dim in registers, a broadcast of p per
//    key and the value row loaded in place.
//
// At the end each row is divided by its sum and stored in the model's
// element type. Nothing of size queries x keys is ever written, so memory
// grows with the sequence, not its square. A gate (#r1.attention_gate)
// picks the key blocks per task first; the walk skips the others.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/AttentionTemplate.h"
#include "codegen/host/FloatApproximations.h"
#include "codegen/host/ScalarOps.h"

#include "llvm/IR/Intrinsics.h"

#include <limits>

using namespace mlir;

namespace r1c {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
/// Vectors of keys (or of the head dim) a micro-kernel keeps per row.
constexpr int64_t kMaxVectors = 4;

/// Element strides of a [b, h, s, d] operand (or [b, s, h, d]) per
/// batch, head and sequence position; d is contiguous.
struct RowLayout {
  int64_t batch = 0, head = 0, position = 0;
};

RowLayout rowLayout(Value operand, bool sequenceMajor) {
  ArrayRef<int64_t> s = cast<RankedTensorType>(operand.getType()).getShape();
  if (sequenceMajor)
    return {s[1] * s[2] * s[3], s[3], s[2] * s[3]};
  return {s[1] * s[2] * s[3], s[2] * s[3], s[3]};
}

class AttentionEmitter {
public:
  AttentionEmitter(KernelBuilder &kb, r1::AttentionOp op, r1k::HostAttentionAttr variant)
      : kb(kb), b(kb.b), op(op), dims(op.getDims()), lanes(variant.getVector()),
        rows(variant.getRows()), queryBlock(variant.getQueryBlock()),
        keyBlock(variant.getKeyBlock()), f32(b.getFloatTy()),
        vectorType(llvm::FixedVectorType::get(f32, lanes)),
        element(cast<RankedTensorType>(op.getQuery().getType()).getElementType()) {
    groups = (queryBlock + rows - 1) / rows;
    paddedRows = groups * rows;
    keyVectors = keyBlock / lanes;
    valueVectors = (dims.valueDim + lanes - 1) / lanes;
    q = rowLayout(op.getQuery(), op.isSequenceMajor(0));
    k = rowLayout(op.getKey(), op.isSequenceMajor(1));
    v = rowLayout(op.getValue(), op.isSequenceMajor(2));
    o = rowLayout(op.getResult(), op.isSequenceMajor(3));
  }

  void emit(llvm::Value *query, llvm::Value *key, llvm::Value *value, llvm::Value *mask,
            llvm::Value *out, const FusedBody &fused);

private:
  llvm::Value *i64(int64_t value) { return kb.i64(value); }
  llvm::Value *f32Constant(double value) { return llvm::ConstantFP::get(f32, value); }
  llvm::Value *splat(llvm::Value *scalar) { return b.CreateVectorSplat(lanes, scalar); }
  llvm::Value *minimum(llvm::Value *x, llvm::Value *y) {
    return b.CreateSelect(b.CreateICmpSLT(x, y), x, y);
  }
  /// f32 buffer element `index`, loaded or stored.
  llvm::Value *at(llvm::Value *buffer, llvm::Value *index) {
    return b.CreateInBoundsGEP(f32, buffer, index);
  }
  llvm::Value *loadScalar(llvm::Value *buffer, llvm::Value *index) {
    return b.CreateLoad(f32, at(buffer, index));
  }
  llvm::Value *loadVector(llvm::Value *buffer, llvm::Value *index) {
    return b.CreateAlignedLoad(vectorType, at(buffer, index), llvm::Align(4));
  }
  void storeVector(llvm::Value *x, llvm::Value *buffer, llvm::Value *index) {
    b.CreateAlignedStore(x, at(buffer, index), llvm::Align(4));
  }
  /// A vector of `type`'s elements at `base + offset`, widened to f32;
  /// lanes off `laneMask` (when given) are not read and are zero.
  llvm::Value *loadLanes(llvm::Value *base, llvm::Value *offset, Type type, llvm::Value *laneMask);
  /// Stores f32 lanes as `element` at `base + offset`, those of `laneMask`.
  void storeLanes(llvm::Value *x, llvm::Value *base, llvm::Value *offset, llvm::Value *laneMask);
  /// Lanes below `count` of a vector of `lanes` (null when all are).
  llvm::Value *lanesBelow(int64_t count) {
    if (count >= lanes)
      return nullptr;
    SmallVector<llvm::Constant *> bits;
    for (int64_t i = 0; i < lanes; ++i)
      bits.push_back(b.getInt1(i < count));
    return llvm::ConstantVector::get(bits);
  }
  /// The vector of key positions j0 + c * lanes + lane, as i64.
  llvm::Value *keyPositions(llvm::Value *first) {
    SmallVector<llvm::Constant *> offsets;
    for (int64_t i = 0; i < lanes; ++i)
      offsets.push_back(b.getInt64(i));
    return b.CreateAdd(splat(first), llvm::ConstantVector::get(offsets));
  }
  /// Vector slots in the function's entry block, which SROA keeps in
  /// registers.
  SmallVector<llvm::Value *> vectorSlots(int64_t count);

  void emitTask(llvm::Value *task);
  void emitGate(llvm::Value *firstRow, llvm::Value *validRows, llvm::Value *visibleBlocks,
                llvm::Value *keyBase);
  void emitKeyBlock(llvm::Value *block, llvm::Value *firstRow, llvm::Value *batch,
                    llvm::Value *head, llvm::Value *keyBase, llvm::Value *valueBase);
  /// Step 2: the scaled, masked scores of rows r0.. and key vectors c0..
  llvm::Value *maskedScore(llvm::Value *sum, llvm::Value *row, llvm::Value *firstKey,
                           llvm::Value *batch, llvm::Value *head);

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  r1::AttentionOp op;
  r1::AttentionOp::Dims dims;
  int64_t lanes, rows, queryBlock, keyBlock;
  llvm::Type *f32;
  llvm::FixedVectorType *vectorType;
  Type element;
  int64_t groups = 0, paddedRows = 0, keyVectors = 0, valueVectors = 0;
  RowLayout q, k, v, o;

  // Operands and the task's buffers.
  llvm::Value *query = nullptr, *key = nullptr, *value = nullptr, *mask = nullptr;
  llvm::Value *queries = nullptr, *packedKeys = nullptr, *scores = nullptr, *output = nullptr;
  llvm::Value *rowMax = nullptr, *rowSum = nullptr, *rowRescale = nullptr;
  llvm::Value *selected = nullptr, *blockScores = nullptr, *meanQuery = nullptr;
  SmallVector<llvm::Value *> sums;
};

SmallVector<llvm::Value *> AttentionEmitter::vectorSlots(int64_t count) {
  llvm::IRBuilderBase::InsertPoint here = b.saveIP();
  llvm::Function *function = b.GetInsertBlock()->getParent();
  b.SetInsertPoint(&function->getEntryBlock(), function->getEntryBlock().begin());
  SmallVector<llvm::Value *> slots;
  for (int64_t i = 0; i < count; ++i)
    slots.push_back(b.CreateAlloca(vectorType));
  b.restoreIP(here);
  return slots;
}

llvm::Value *AttentionEmitter::loadLanes(llvm::Value *base, llvm::Value *offset, Type type,
                                         llvm::Value *laneMask) {
  llvm::Type *storage = getStorageType(b.getContext(), type);
  auto *stored = llvm::FixedVectorType::get(storage, lanes);
  llvm::Value *pointer = b.CreateInBoundsGEP(storage, base, offset);
  llvm::Align align(storage->getPrimitiveSizeInBits() / 8);
  llvm::Value *x =
      laneMask ? static_cast<llvm::Value *>(b.CreateMaskedLoad(
                     stored, pointer, align, laneMask, llvm::Constant::getNullValue(stored)))
               : b.CreateAlignedLoad(stored, pointer, align);
  if (storage->isFloatTy())
    return x;
  if (storage->isHalfTy())
    return b.CreateFPExt(x, vectorType);
  // bfloat16 is the high half of an f32.
  auto *words = llvm::FixedVectorType::get(b.getInt32Ty(), lanes);
  llvm::Value *bits =
      b.CreateZExt(b.CreateBitCast(x, llvm::FixedVectorType::get(b.getInt16Ty(), lanes)), words);
  return b.CreateBitCast(b.CreateShl(bits, llvm::ConstantInt::get(words, 16)), vectorType);
}

void AttentionEmitter::storeLanes(llvm::Value *x, llvm::Value *base, llvm::Value *offset,
                                  llvm::Value *laneMask) {
  llvm::Type *storage = getStorageType(b.getContext(), element);
  auto *stored = llvm::FixedVectorType::get(storage, lanes);
  if (!storage->isFloatTy())
    x = emitFloatTruncate(b, x, stored);
  llvm::Value *pointer = b.CreateInBoundsGEP(storage, base, offset);
  llvm::Align align(storage->getPrimitiveSizeInBits() / 8);
  if (laneMask)
    b.CreateMaskedStore(x, pointer, align, laneMask);
  else
    b.CreateAlignedStore(x, pointer, align);
}

llvm::Value *AttentionEmitter::maskedScore(llvm::Value *sum, llvm::Value *row,
                                           llvm::Value *firstKey, llvm::Value *batch,
                                           llvm::Value *head) {
  llvm::Value *score = b.CreateFMul(sum, splat(f32Constant(op.getScale().convertToDouble())));
  llvm::Value *positions = keyPositions(firstKey);
  llvm::Value *inRange = b.CreateICmpSLT(positions, splat(i64(dims.keys)));
  llvm::Value *masked = splat(f32Constant(op.getMaskedScore().convertToDouble()));
  if (mask) {
    auto maskType = cast<RankedTensorType>(op.getMask().getType());
    // Strides of the mask broadcast to [batch, heads, queries, keys].
    SmallVector<int64_t, 4> strides(4, 0);
    ArrayRef<int64_t> shape = maskType.getShape();
    int64_t stride = 1;
    for (int64_t i = int64_t(shape.size()) - 1, d = 3; i >= 0; --i, --d) {
      strides[d] = shape[i] == 1 ? 0 : stride;
      stride *= shape[i];
    }
    // Rows past the last query are computed but never stored: they read
    // the last query's mask.
    llvm::Value *clampedRow = minimum(row, i64(dims.queries - 1));
    llvm::Value *offset = b.CreateAdd(
        b.CreateAdd(b.CreateMul(batch, i64(strides[0])), b.CreateMul(head, i64(strides[1]))),
        b.CreateMul(clampedRow, i64(strides[2])));
    Type maskElement = maskType.getElementType();
    llvm::Value *lanesOfMask;
    if (strides[3] == 0) {
      llvm::Value *scalar = kb.load(mask, offset, maskElement);
      lanesOfMask = splat(scalar);
    } else {
      llvm::Value *start = b.CreateAdd(offset, b.CreateMul(firstKey, i64(strides[3])));
      if (maskElement.isInteger(1)) {
        auto *bytes = llvm::FixedVectorType::get(b.getInt8Ty(), lanes);
        lanesOfMask =
            b.CreateMaskedLoad(bytes, b.CreateInBoundsGEP(b.getInt8Ty(), mask, start),
                               llvm::Align(1), inRange, llvm::Constant::getNullValue(bytes));
      } else {
        lanesOfMask = loadLanes(mask, start, maskElement, inRange);
      }
    }
    if (maskElement.isInteger(1)) {
      llvm::Value *keep =
          lanesOfMask->getType()->getScalarType()->isIntegerTy(1)
              ? lanesOfMask
              : b.CreateICmpNE(lanesOfMask, llvm::Constant::getNullValue(lanesOfMask->getType()));
      score = b.CreateSelect(keep, score, masked);
    } else {
      if (lanesOfMask->getType() != vectorType)
        lanesOfMask = b.CreateFPCast(lanesOfMask, vectorType);
      score = b.CreateFAdd(score, lanesOfMask);
    }
  }
  if (op.getCausal())
    score = b.CreateSelect(b.CreateICmpSLE(positions, splat(row)), score, masked);
  return b.CreateSelect(inRange, score, splat(f32Constant(-kInfinity)));
}

void AttentionEmitter::emitGate(llvm::Value *firstRow, llvm::Value *validRows,
                                llvm::Value *visibleBlocks, llvm::Value *keyBase) {
  r1::AttentionGateAttr gate = op.getGateAttr();
  int64_t headDim = dims.headDim;
  // The block's mean query (the scale does not change the ranking).
  llvm::Value *inverseRows = b.CreateFDiv(f32Constant(1), b.CreateSIToFP(validRows, f32));
  kb.loop(headDim, [&](llvm::Value *d) {
    llvm::Value *slot = kb.accumulator(FloatType::getF32(op.getContext()));
    b.CreateStore(f32Constant(0), slot);
    kb.loop(validRows, [&](llvm::Value *r) {
      llvm::Value *x = loadScalar(queries, b.CreateAdd(b.CreateMul(r, i64(headDim)), d));
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f32, slot), x), slot);
    });
    b.CreateStore(b.CreateFMul(b.CreateLoad(f32, slot), inverseRows), at(meanQuery, d));
  });
  // Each visible key block's score: the mean over its keys of q_mean . k.
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *first = b.CreateMul(block, i64(keyBlock));
    llvm::Value *count = minimum(i64(keyBlock), b.CreateSub(i64(dims.keys), first));
    llvm::Value *slot = kb.accumulator(FloatType::getF32(op.getContext()));
    b.CreateStore(f32Constant(0), slot);
    kb.loop(count, [&](llvm::Value *j) {
      llvm::Value *row = b.CreateAdd(keyBase, b.CreateMul(b.CreateAdd(first, j), i64(k.position)));
      kb.loop(headDim, [&](llvm::Value *d) {
        llvm::Value *x = kb.loadComputed(key, b.CreateAdd(row, d), element);
        llvm::Value *product = b.CreateFMul(x, loadScalar(meanQuery, d));
        auto *sum = llvm::cast<llvm::Instruction>(b.CreateFAdd(b.CreateLoad(f32, slot), product));
        sum->setHasAllowReassoc(true);
        b.CreateStore(sum, slot);
      });
    });
    b.CreateStore(b.CreateFDiv(b.CreateLoad(f32, slot), b.CreateSIToFP(count, f32)),
                  at(blockScores, block));
  });
  // The first `global` blocks and those within `window` of the query
  // block's own are kept; then the best-scored others, up to the count.
  llvm::Value *own = b.CreateSDiv(firstRow, i64(keyBlock));
  llvm::Value *keptSlot = kb.accumulator(IntegerType::get(op.getContext(), 64));
  b.CreateStore(i64(0), keptSlot);
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *distance = b.CreateSub(block, own);
    llvm::Value *near = b.CreateAnd(b.CreateICmpSGE(distance, i64(-gate.getWindow())),
                                    b.CreateICmpSLE(distance, i64(gate.getWindow())));
    llvm::Value *forced = b.CreateOr(near, b.CreateICmpSLT(block, i64(gate.getGlobal())));
    b.CreateStore(b.CreateZExt(forced, b.getInt8Ty()),
                  b.CreateInBoundsGEP(b.getInt8Ty(), selected, block));
    b.CreateStore(
        b.CreateAdd(b.CreateLoad(b.getInt64Ty(), keptSlot), b.CreateZExt(forced, b.getInt64Ty())),
        keptSlot);
  });
  // ceil(keep * visible), at least 1.
  llvm::Value *wanted = b.CreateFPToSI(
      b.CreateIntrinsic(
          llvm::Intrinsic::ceil, {b.getDoubleTy()},
          {b.CreateFSub(b.CreateFMul(b.CreateSIToFP(visibleBlocks, b.getDoubleTy()),
                                     llvm::ConstantFP::get(b.getDoubleTy(), gate.getKeepRatio())),
                        llvm::ConstantFP::get(b.getDoubleTy(), 1e-9))}),
      b.getInt64Ty());
  wanted = b.CreateSelect(b.CreateICmpSLT(wanted, i64(1)), i64(1), wanted);
  llvm::Value *forcedCount = b.CreateLoad(b.getInt64Ty(), keptSlot);
  llvm::Value *more = b.CreateSub(wanted, forcedCount);
  more = b.CreateSelect(b.CreateICmpSLT(more, i64(0)), i64(0), more);
  llvm::Value *bestSlot = kb.accumulator(IntegerType::get(op.getContext(), 64));
  llvm::Value *bestScoreSlot = kb.accumulator(FloatType::getF32(op.getContext()));
  kb.loop(more, [&](llvm::Value *) {
    b.CreateStore(i64(-1), bestSlot);
    b.CreateStore(f32Constant(-kInfinity), bestScoreSlot);
    kb.loop(visibleBlocks, [&](llvm::Value *block) {
      llvm::Value *taken = b.CreateICmpNE(
          b.CreateLoad(b.getInt8Ty(), b.CreateInBoundsGEP(b.getInt8Ty(), selected, block)),
          b.getInt8(0));
      llvm::Value *score = loadScalar(blockScores, block);
      llvm::Value *better =
          b.CreateAnd(b.CreateNot(taken),
                      b.CreateOr(b.CreateFCmpOGT(score, b.CreateLoad(f32, bestScoreSlot)),
                                 b.CreateICmpSLT(b.CreateLoad(b.getInt64Ty(), bestSlot), i64(0))));
      b.CreateStore(b.CreateSelect(better, block, b.CreateLoad(b.getInt64Ty(), bestSlot)),
                    bestSlot);
      b.CreateStore(b.CreateSelect(better, score, b.CreateLoad(f32, bestScoreSlot)), bestScoreSlot);
    });
    llvm::Value *best = b.CreateLoad(b.getInt64Ty(), bestSlot);
    kb.ifElse(
        b.CreateICmpSGE(best, i64(0)),
        [&] { b.CreateStore(b.getInt8(1), b.CreateInBoundsGEP(b.getInt8Ty(), selected, best)); },
        [] {});
  });
}

void AttentionEmitter::emitKeyBlock(llvm::Value *block, llvm::Value *firstRow, llvm::Value *batch,
                                    llvm::Value *head, llvm::Value *keyBase,
                                    llvm::Value *valueBase) {
  int64_t headDim = dims.headDim;
  llvm::Value *firstKey = b.CreateMul(block, i64(keyBlock));
  llvm::Value *validKeys = minimum(i64(keyBlock), b.CreateSub(i64(dims.keys), firstKey));

  // 1. K^T of the block, zero past the last key.
  kb.loop(validKeys, [&](llvm::Value *j) {
    llvm::Value *row = b.CreateAdd(keyBase, b.CreateMul(b.CreateAdd(firstKey, j), i64(k.position)));
    kb.loop(headDim, [&](llvm::Value *d) {
      b.CreateStore(kb.loadComputed(key, b.CreateAdd(row, d), element),
                    at(packedKeys, b.CreateAdd(b.CreateMul(d, i64(keyBlock)), j)));
    });
  });
  if (dims.keys % keyBlock != 0)
    kb.loop(b.CreateSub(i64(keyBlock), validKeys), [&](llvm::Value *t) {
      llvm::Value *j = b.CreateAdd(validKeys, t);
      kb.loop(headDim, [&](llvm::Value *d) {
        b.CreateStore(f32Constant(0),
                      at(packedKeys, b.CreateAdd(b.CreateMul(d, i64(keyBlock)), j)));
      });
    });

  // 2. Scores, `rows` rows by up to four key vectors at a time.
  kb.loop(groups, [&](llvm::Value *group) {
    llvm::Value *r0 = b.CreateMul(group, i64(rows));
    for (int64_t c0 = 0; c0 < keyVectors; c0 += kMaxVectors) {
      int64_t width = std::min(kMaxVectors, keyVectors - c0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < width; ++c)
          b.CreateStore(llvm::Constant::getNullValue(vectorType), sums[r * kMaxVectors + c]);
      kb.loop(headDim, [&](llvm::Value *d) {
        SmallVector<llvm::Value *> keys;
        for (int64_t c = 0; c < width; ++c)
          keys.push_back(loadVector(
              packedKeys, b.CreateAdd(b.CreateMul(d, i64(keyBlock)), i64((c0 + c) * lanes))));
        for (int64_t r = 0; r < rows; ++r) {
          llvm::Value *x = splat(loadScalar(
              queries, b.CreateAdd(b.CreateMul(b.CreateAdd(r0, i64(r)), i64(headDim)), d)));
          for (int64_t c = 0; c < width; ++c) {
            llvm::Value *slot = sums[r * kMaxVectors + c];
            b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                            {x, keys[c], b.CreateLoad(vectorType, slot)}),
                          slot);
          }
        }
      });
      for (int64_t r = 0; r < rows; ++r) {
        llvm::Value *local = b.CreateAdd(r0, i64(r));
        llvm::Value *row = b.CreateAdd(firstRow, local);
        for (int64_t c = 0; c < width; ++c) {
          llvm::Value *keysFrom = b.CreateAdd(firstKey, i64((c0 + c) * lanes));
          llvm::Value *score = maskedScore(b.CreateLoad(vectorType, sums[r * kMaxVectors + c]), row,
                                           keysFrom, batch, head);
          storeVector(score, scores,
                      b.CreateAdd(b.CreateMul(local, i64(keyBlock)), i64((c0 + c) * lanes)));
        }
      }
    }
  });

  // 3. Online softmax: the running maximum, rescale, exponentials.
  kb.loop(paddedRows, [&](llvm::Value *r) {
    llvm::Value *rowStart = b.CreateMul(r, i64(keyBlock));
    llvm::Value *largest = splat(f32Constant(-kInfinity));
    for (int64_t c = 0; c < keyVectors; ++c)
      largest =
          b.CreateIntrinsic(llvm::Intrinsic::maxnum, {vectorType},
                            {largest, loadVector(scores, b.CreateAdd(rowStart, i64(c * lanes)))});
    llvm::Value *blockMax = b.CreateFPMaxReduce(largest);
    llvm::Value *oldMax = loadScalar(rowMax, r);
    llvm::Value *newMax = b.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32}, {oldMax, blockMax});
    // A row whose scores are all -inf so far subtracts 0, not -inf.
    llvm::Value *shift =
        b.CreateSelect(b.CreateFCmpOEQ(newMax, f32Constant(-kInfinity)), f32Constant(0), newMax);
    llvm::Value *rescale = emitExp(b, b.CreateFSub(oldMax, shift));
    llvm::Value *total = llvm::Constant::getNullValue(vectorType);
    for (int64_t c = 0; c < keyVectors; ++c) {
      llvm::Value *index = b.CreateAdd(rowStart, i64(c * lanes));
      llvm::Value *p = emitExp(b, b.CreateFSub(loadVector(scores, index), splat(shift)));
      storeVector(p, scores, index);
      total = b.CreateFAdd(total, p);
    }
    auto *blockSum = llvm::cast<llvm::Instruction>(b.CreateFAddReduce(f32Constant(0), total));
    blockSum->setHasAllowReassoc(true);
    b.CreateStore(newMax, at(rowMax, r));
    b.CreateStore(
        b.CreateIntrinsic(llvm::Intrinsic::fma, {f32}, {loadScalar(rowSum, r), rescale, blockSum}),
        at(rowSum, r));
    b.CreateStore(rescale, at(rowRescale, r));
  });

  // 4. Output rows += probabilities x values, `rows` rows by up to four
  // vectors of the value's head dim at a time.
  int64_t paddedValueDim = valueVectors * lanes;
  kb.loop(groups, [&](llvm::Value *group) {
    llvm::Value *r0 = b.CreateMul(group, i64(rows));
    for (int64_t c0 = 0; c0 < valueVectors; c0 += kMaxVectors) {
      int64_t width = std::min(kMaxVectors, valueVectors - c0);
      auto outputIndex = [&](int64_t r, int64_t c) {
        return b.CreateAdd(b.CreateMul(b.CreateAdd(r0, i64(r)), i64(paddedValueDim)),
                           i64((c0 + c) * lanes));
      };
      for (int64_t r = 0; r < rows; ++r) {
        llvm::Value *rescale = splat(loadScalar(rowRescale, b.CreateAdd(r0, i64(r))));
        for (int64_t c = 0; c < width; ++c)
          b.CreateStore(b.CreateFMul(loadVector(output, outputIndex(r, c)), rescale),
                        sums[r * kMaxVectors + c]);
      }
      kb.loop(validKeys, [&](llvm::Value *j) {
        llvm::Value *row =
            b.CreateAdd(valueBase, b.CreateMul(b.CreateAdd(firstKey, j), i64(v.position)));
        SmallVector<llvm::Value *> values;
        for (int64_t c = 0; c < width; ++c) {
          int64_t column = (c0 + c) * lanes;
          values.push_back(loadLanes(value, b.CreateAdd(row, i64(column)), element,
                                     lanesBelow(dims.valueDim - column)));
        }
        for (int64_t r = 0; r < rows; ++r) {
          llvm::Value *p = splat(loadScalar(
              scores, b.CreateAdd(b.CreateMul(b.CreateAdd(r0, i64(r)), i64(keyBlock)), j)));
          for (int64_t c = 0; c < width; ++c) {
            llvm::Value *slot = sums[r * kMaxVectors + c];
            b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                            {p, values[c], b.CreateLoad(vectorType, slot)}),
                          slot);
          }
        }
      });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < width; ++c)
          storeVector(b.CreateLoad(vectorType, sums[r * kMaxVectors + c]), output,
                      outputIndex(r, c));
    }
  });
}

void AttentionEmitter::emit(llvm::Value *queryIn, llvm::Value *keyIn, llvm::Value *valueIn,
                            llvm::Value *maskIn, llvm::Value *out, const FusedBody &fused) {
  query = queryIn, key = keyIn, value = valueIn, mask = maskIn;
  int64_t headDim = dims.headDim, paddedValueDim = valueVectors * lanes;
  int64_t queryBlocks = (dims.queries + queryBlock - 1) / queryBlock;
  int64_t keyBlocks = (dims.keys + keyBlock - 1) / keyBlock;
  Type f32Type = FloatType::getF32(op.getContext());
  queries = kb.stackRow(f32Type, paddedRows * headDim);
  packedKeys = kb.stackRow(f32Type, headDim * keyBlock);
  scores = kb.stackRow(f32Type, paddedRows * keyBlock);
  output = kb.stackRow(f32Type, paddedRows * paddedValueDim);
  rowMax = kb.stackRow(f32Type, paddedRows);
  rowSum = kb.stackRow(f32Type, paddedRows);
  rowRescale = kb.stackRow(f32Type, paddedRows);
  if (op.getGateAttr()) {
    selected = kb.stackRow(IntegerType::get(op.getContext(), 8), keyBlocks);
    blockScores = kb.stackRow(f32Type, keyBlocks);
    meanQuery = kb.stackRow(f32Type, headDim);
  }
  sums = vectorSlots(rows * kMaxVectors);

  kb.loop(dims.batch * dims.heads * queryBlocks, [&](llvm::Value *task) {
    llvm::Value *batch = b.CreateUDiv(task, i64(dims.heads * queryBlocks));
    llvm::Value *head = b.CreateURem(b.CreateUDiv(task, i64(queryBlocks)), i64(dims.heads));
    llvm::Value *firstRow = b.CreateMul(b.CreateURem(task, i64(queryBlocks)), i64(queryBlock));
    llvm::Value *validRows = minimum(i64(queryBlock), b.CreateSub(i64(dims.queries), firstRow));
    int64_t sharing = dims.heads / dims.kvHeads;
    llvm::Value *kvHead = op.getTiledKvHeads() ? b.CreateURem(head, i64(dims.kvHeads))
                                               : b.CreateUDiv(head, i64(sharing));
    llvm::Value *queryBase =
        b.CreateAdd(b.CreateMul(batch, i64(q.batch)), b.CreateMul(head, i64(q.head)));
    llvm::Value *keyBase =
        b.CreateAdd(b.CreateMul(batch, i64(k.batch)), b.CreateMul(kvHead, i64(k.head)));
    llvm::Value *valueBase =
        b.CreateAdd(b.CreateMul(batch, i64(v.batch)), b.CreateMul(kvHead, i64(v.head)));
    llvm::Value *outBase =
        b.CreateAdd(b.CreateMul(batch, i64(o.batch)), b.CreateMul(head, i64(o.head)));

    // The block's query rows in f32; rows past the last query are zero.
    kb.loop(paddedRows, [&](llvm::Value *r) {
      llvm::Value *rowStart = b.CreateMul(r, i64(headDim));
      kb.ifElse(
          b.CreateICmpSLT(r, validRows),
          [&] {
            llvm::Value *row =
                b.CreateAdd(queryBase, b.CreateMul(b.CreateAdd(firstRow, r), i64(q.position)));
            kb.loop(headDim, [&](llvm::Value *d) {
              b.CreateStore(kb.loadComputed(query, b.CreateAdd(row, d), element),
                            at(queries, b.CreateAdd(rowStart, d)));
            });
          },
          [&] {
            kb.loop(headDim, [&](llvm::Value *d) {
              b.CreateStore(f32Constant(0), at(queries, b.CreateAdd(rowStart, d)));
            });
          });
      b.CreateStore(f32Constant(-kInfinity), at(rowMax, r));
      b.CreateStore(f32Constant(0), at(rowSum, r));
      kb.loop(paddedValueDim, [&](llvm::Value *c) {
        b.CreateStore(f32Constant(0),
                      at(output, b.CreateAdd(b.CreateMul(r, i64(paddedValueDim)), c)));
      });
    });

    // With a causal mask, key blocks after the block's last query are
    // never seen.
    llvm::Value *visibleBlocks = i64(keyBlocks);
    if (op.getCausal()) {
      llvm::Value *lastKey = minimum(i64(dims.keys), b.CreateAdd(firstRow, validRows));
      visibleBlocks = b.CreateUDiv(b.CreateAdd(lastKey, i64(keyBlock - 1)), i64(keyBlock));
    }
    if (op.getGateAttr())
      emitGate(firstRow, validRows, visibleBlocks, keyBase);
    kb.loop(visibleBlocks, [&](llvm::Value *block) {
      auto walk = [&] { emitKeyBlock(block, firstRow, batch, head, keyBase, valueBase); };
      if (!op.getGateAttr())
        return walk();
      llvm::Value *kept =
          b.CreateLoad(b.getInt8Ty(), b.CreateInBoundsGEP(b.getInt8Ty(), selected, block));
      kb.ifElse(b.CreateICmpNE(kept, b.getInt8(0)), walk, [] {});
    });

    // Each row divided by its sum (a row of -inf scores has none: zeros).
    kb.loop(validRows, [&](llvm::Value *r) {
      llvm::Value *sum = loadScalar(rowSum, r);
      llvm::Value *inverse = b.CreateSelect(b.CreateFCmpOGT(sum, f32Constant(0)),
                                            b.CreateFDiv(f32Constant(1), sum), f32Constant(0));
      llvm::Value *position = b.CreateAdd(firstRow, r);
      llvm::Value *row = b.CreateAdd(outBase, b.CreateMul(position, i64(o.position)));
      for (int64_t c = 0; c < valueVectors; ++c) {
        llvm::Value *x =
            loadVector(output, b.CreateAdd(b.CreateMul(r, i64(paddedValueDim)), i64(c * lanes)));
        storeLanes(b.CreateFMul(x, splat(inverse)), out, b.CreateAdd(row, i64(c * lanes)),
                   lanesBelow(dims.valueDim - c * lanes));
      }
      if (!fused)
        return;
      kb.loop(dims.valueDim, [&](llvm::Value *d) {
        SmallVector<llvm::Value *> indices =
            op.isSequenceMajor(3) ? SmallVector<llvm::Value *>{batch, position, head, d}
                                  : SmallVector<llvm::Value *>{batch, head, position, d};
        fused(indices, b.CreateAdd(row, d));
      });
    });
  });
}

} // namespace

void emitAttention(KernelBuilder &kb, r1::AttentionOp op, r1k::HostAttentionAttr variant,
                   llvm::Value *query, llvm::Value *key, llvm::Value *value, llvm::Value *mask,
                   llvm::Value *out, const FusedBody &fused) {
  AttentionEmitter(kb, op, variant).emit(query, key, value, mask, out, fused);
}

} // namespace r1c
