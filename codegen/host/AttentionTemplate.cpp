//===- AttentionTemplate.cpp - Fused online-softmax host attention --------===//
//
// Each task is one block of queries of one (batch, head), held transposed
// on the stack: q^T [head dim][queries], scaled, so that a vector holds one
// dim of many queries. Everything per query then runs down the lanes: the
// task walks the keys a block at a time and
//
// 1. computes the block's scores transposed, s^T [keys][queries]: `rows`
//    keys by up to four vectors of queries in registers, a broadcast of
//    k[j][d] read in place and a vector of q^T[d] per step of d, so keys
//    need no packing;
// 2. masks them (bias, boolean mask, causal order, keys past the end);
// 3. moves each query's running maximum to the block's (a vertical max
//    over the key rows, taken as the scores are stored), rescales its
//    running sum, and turns the scores into their exponentials;
// 4. adds the block's weighted values to the output, held transposed too,
//    o^T [value dim][queries]: `rows` value dims by up to four vectors of
//    queries in registers, rescaled once as they are loaded, a broadcast of
//    v[j][e] read in place and a vector of p^T[j] per key.
//
// At the end each query's output is divided by its sum and stored in the
// model's element type. Nothing of size queries x keys reaches memory, so
// memory grows with the sequence, not its square. A gate
// (#r1.attention_gate) picks the key blocks per task first; the walk skips
// the others.
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
/// Vectors of queries a micro-kernel keeps per row of sums.
constexpr int64_t kMaxVectors = 4;

class AttentionEmitter {
public:
  AttentionEmitter(KernelBuilder &kb, r1::AttentionOp op, r1k::HostAttentionAttr variant)
      : kb(kb), b(kb.b), op(op), dims(op.getDims()), lanes(variant.getVector()),
        rows(variant.getRows()), queryBlock(variant.getQueryBlock()),
        keyBlock(variant.getKeyBlock()), f32(b.getFloatTy()),
        vectorType(llvm::FixedVectorType::get(f32, lanes)),
        element(cast<RankedTensorType>(op.getQuery().getType()).getElementType()) {
    queryVectors = (queryBlock + lanes - 1) / lanes;
    width = queryVectors * lanes;
    keyRows = (keyBlock + rows - 1) / rows * rows;
    valueRows = (dims.valueDim + rows - 1) / rows * rows;
    q = op.getStrides(0);
    k = op.getStrides(1);
    v = op.getStrides(2);
    o = op.getStrides(3);
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
  /// Element `row * width + column` of a transposed buffer.
  llvm::Value *cell(llvm::Value *row, int64_t column) {
    return b.CreateAdd(b.CreateMul(row, i64(width)), i64(column));
  }
  /// The query positions first + c * lanes + lane, as i64.
  llvm::Value *queryPositions(llvm::Value *firstRow, int64_t c) {
    SmallVector<llvm::Constant *> offsets;
    for (int64_t i = 0; i < lanes; ++i)
      offsets.push_back(b.getInt64(c * lanes + i));
    return b.CreateAdd(splat(firstRow), llvm::ConstantVector::get(offsets));
  }
  /// Vector slots in the function's entry block, which SROA keeps in
  /// registers.
  SmallVector<llvm::Value *> vectorSlots(int64_t count);
  /// The scores of key `key` (an i64 position, valid when `valid`) for
  /// queries c * lanes.. of the block, masked as the op says.
  llvm::Value *maskedScores(llvm::Value *sum, llvm::Value *key, llvm::Value *valid,
                            llvm::Value *firstRow, int64_t c, llvm::Value *batch,
                            llvm::Value *head);

  /// Where one step of the walk reads up to `keyBlock` keys and their
  /// values: rows first.. of a key and a value tensor (the operands, or
  /// the block estimates on the stack), of which `count` are valid.
  struct KeySource {
    llvm::Value *key, *keyBase;
    int64_t keyStride;
    Type keyElement;
    llvm::Value *value, *valueBase;
    int64_t valueStride;
    Type valueElement;
    llvm::Value *first, *count;
    /// The last row that may be read (rows past `count` read it, masked).
    int64_t lastRow;
    /// For estimates: per row, the log of the keys it stands for, added to
    /// its score; the op's masks then do not apply. Null for real keys.
    llvm::Value *logWeights;
    /// For estimates: per row, the variance of its keys per head dim.
    llvm::Value *variances;
  };

  /// The weight of key `key` under a mask that is the same for every
  /// query: 0 or 1 for a keep mask, e^bias for a bias; 1 without a mask.
  llvm::Value *keyWeight(llvm::Value *key, llvm::Value *batch, llvm::Value *head);
  void emitGate(llvm::Value *firstRow, llvm::Value *validRows, llvm::Value *visibleBlocks,
                llvm::Value *batch, llvm::Value *head, llvm::Value *keyBase,
                llvm::Value *valueBase);
  void emitKeys(const KeySource &source, llvm::Value *firstRow, llvm::Value *batch,
                llvm::Value *head);
  /// Marks in `selected` every visible block that some query of the block
  /// is estimated to give at least the gate's threshold of its weight.
  void emitThresholdSelection(llvm::Value *validRows, llvm::Value *visibleBlocks);

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  r1::AttentionOp op;
  r1::AttentionOp::Dims dims;
  int64_t lanes, rows, queryBlock, keyBlock;
  llvm::Type *f32;
  llvm::FixedVectorType *vectorType;
  Type element;
  /// Vectors of queries per block, and the queries they hold; key rows
  /// and value rows rounded up to whole micro-kernel steps.
  int64_t queryVectors = 0, width = 0, keyRows = 0, valueRows = 0;
  r1::AttentionOp::Strides q{}, k{}, v{}, o{};

  llvm::Value *query = nullptr, *key = nullptr, *value = nullptr, *mask = nullptr;
  // The task's buffers: q^T, s^T, o^T and per query the running maximum,
  // sum and the block's rescale factor.
  llvm::Value *queries = nullptr, *scores = nullptr, *output = nullptr;
  llvm::Value *rowMax = nullptr, *rowSum = nullptr, *rowRescale = nullptr;
  llvm::Value *selected = nullptr, *blockScores = nullptr, *meanQuery = nullptr;
  llvm::Value *keySum = nullptr;
  // Per visible block, for `rest = mean`: its mean key, mean value and the
  // log of its (mask-weighted) key count, -inf once the walk computed it.
  llvm::Value *blockKeys = nullptr, *blockValues = nullptr, *blockLogWeights = nullptr;
  llvm::Value *blockVariances = nullptr, *keySquareSum = nullptr, *halfSquaredQueries = nullptr;
  // For a gate threshold: per visible block and query, the estimated log
  // of the block's weight; per query, the largest and the sum of them.
  llvm::Value *blockEstimates = nullptr, *estimateMax = nullptr, *estimateSum = nullptr;
  SmallVector<llvm::Value *> sums, blockMax;
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

llvm::Value *AttentionEmitter::maskedScores(llvm::Value *sum, llvm::Value *key, llvm::Value *valid,
                                            llvm::Value *firstRow, int64_t c, llvm::Value *batch,
                                            llvm::Value *head) {
  llvm::Value *score = sum;
  llvm::Value *masked = splat(f32Constant(op.getMaskedScore().convertToDouble()));
  llvm::Value *positions = queryPositions(firstRow, c);
  if (mask) {
    auto maskType = cast<RankedTensorType>(op.getMask().getType());
    std::array<int64_t, 4> strides = op.getMaskStrides();
    Type maskElement = maskType.getElementType();
    llvm::Type *storage = getStorageType(b.getContext(), maskElement);
    llvm::Value *base = b.CreateAdd(
        b.CreateAdd(b.CreateMul(batch, i64(strides[0])), b.CreateMul(head, i64(strides[1]))),
        b.CreateMul(minimum(key, i64(dims.keys - 1)), i64(strides[3])));
    llvm::Value *lanesOfMask;
    if (strides[2] == 0) {
      // One value for every query of the key (a padding mask).
      lanesOfMask = splat(b.CreateLoad(storage, b.CreateInBoundsGEP(storage, mask, base)));
    } else {
      // Queries past the last read the last query's entry.
      llvm::Value *rowsRead = b.CreateSelect(b.CreateICmpSLT(positions, splat(i64(dims.queries))),
                                             positions, splat(i64(dims.queries - 1)));
      llvm::Value *offsets =
          b.CreateAdd(splat(base), b.CreateMul(rowsRead, splat(i64(strides[2]))));
      lanesOfMask = b.CreateMaskedGather(
          llvm::FixedVectorType::get(storage, lanes), b.CreateInBoundsGEP(storage, mask, offsets),
          llvm::Align(storage->getPrimitiveSizeInBits() / 8),
          llvm::Constant::getAllOnesValue(llvm::FixedVectorType::get(b.getInt1Ty(), lanes)));
    }
    if (maskElement.isInteger(1)) {
      llvm::Value *keep =
          b.CreateICmpNE(lanesOfMask, llvm::Constant::getNullValue(lanesOfMask->getType()));
      score = b.CreateSelect(keep, score, masked);
    } else {
      llvm::Value *bias = lanesOfMask;
      if (storage->isBFloatTy()) {
        auto *words = llvm::FixedVectorType::get(b.getInt32Ty(), lanes);
        bias = b.CreateBitCast(
            b.CreateShl(b.CreateZExt(b.CreateBitCast(
                                         bias, llvm::FixedVectorType::get(b.getInt16Ty(), lanes)),
                                     words),
                        llvm::ConstantInt::get(words, 16)),
            vectorType);
      } else if (bias->getType() != vectorType) {
        bias = b.CreateFPCast(bias, vectorType);
      }
      score = b.CreateFAdd(score, bias);
    }
  }
  if (op.getCausal())
    score = b.CreateSelect(b.CreateICmpSLE(splat(key), positions), score, masked);
  return b.CreateSelect(valid, score, splat(f32Constant(-kInfinity)));
}

llvm::Value *AttentionEmitter::keyWeight(llvm::Value *key, llvm::Value *batch, llvm::Value *head) {
  if (!mask)
    return f32Constant(1);
  auto maskType = cast<RankedTensorType>(op.getMask().getType());
  std::array<int64_t, 4> strides = op.getMaskStrides();
  llvm::Value *offset = b.CreateAdd(
      b.CreateAdd(b.CreateMul(batch, i64(strides[0])), b.CreateMul(head, i64(strides[1]))),
      b.CreateMul(key, i64(strides[3])));
  Type maskElement = maskType.getElementType();
  if (maskElement.isInteger(1))
    return b.CreateSelect(kb.load(mask, offset, maskElement), f32Constant(1), f32Constant(0));
  return emitExp(b, kb.loadComputed(mask, offset, maskElement));
}

void AttentionEmitter::emitGate(llvm::Value *firstRow, llvm::Value *validRows,
                                llvm::Value *visibleBlocks, llvm::Value *batch, llvm::Value *head,
                                llvm::Value *keyBase, llvm::Value *valueBase) {
  r1::AttentionGateAttr gate = op.getGateAttr();
  int64_t headDim = dims.headDim;
  // The block's mean query (the scale does not change the ranking).
  llvm::Value *inverseRows = b.CreateFDiv(f32Constant(1), b.CreateSIToFP(validRows, f32));
  kb.loop(headDim, [&](llvm::Value *d) {
    llvm::Value *slot = kb.accumulator(FloatType::getF32(op.getContext()));
    b.CreateStore(f32Constant(0), slot);
    kb.loop(validRows, [&](llvm::Value *r) {
      llvm::Value *x = loadScalar(queries, b.CreateAdd(b.CreateMul(d, i64(width)), r));
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f32, slot), x), slot);
    });
    b.CreateStore(b.CreateFMul(b.CreateLoad(f32, slot), inverseRows), at(meanQuery, d));
  });
  // Each visible key block's score: q_mean . (the sum of its keys) / count.
  // The sums run along the contiguous head dims, which vectorizes. With
  // `rest = mean` the sums weigh each key by its mask, and the block's mean
  // key and value are kept for the estimate.
  bool estimate = gate.getEstimateRest();
  int64_t valueDim = dims.valueDim;
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *first = b.CreateMul(block, i64(keyBlock));
    llvm::Value *count = minimum(i64(keyBlock), b.CreateSub(i64(dims.keys), first));
    llvm::Value *weightSlot = kb.accumulator(FloatType::getF32(op.getContext()));
    b.CreateStore(f32Constant(0), weightSlot);
    llvm::Value *keysOut = b.CreateMul(block, i64(headDim));
    llvm::Value *valuesOut = b.CreateMul(block, i64(valueDim));
    kb.loop(headDim, [&](llvm::Value *d) {
      b.CreateStore(f32Constant(0), at(keySum, d));
      if (estimate)
        b.CreateStore(f32Constant(0), at(keySquareSum, d));
    });
    if (estimate)
      kb.loop(valueDim, [&](llvm::Value *e) {
        b.CreateStore(f32Constant(0), at(blockValues, b.CreateAdd(valuesOut, e)));
      });
    kb.loop(count, [&](llvm::Value *j) {
      llvm::Value *position = b.CreateAdd(first, j);
      llvm::Value *row = b.CreateAdd(keyBase, b.CreateMul(position, i64(k.position)));
      llvm::Value *weight = estimate ? keyWeight(position, batch, head) : f32Constant(1);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f32, weightSlot), weight), weightSlot);
      kb.loop(headDim, [&](llvm::Value *d) {
        llvm::Value *x = kb.loadComputed(key, b.CreateAdd(row, d), element);
        if (estimate) {
          x = b.CreateFMul(x, weight);
          llvm::Value *square = b.CreateFMul(x, kb.loadComputed(key, b.CreateAdd(row, d), element));
          b.CreateStore(b.CreateFAdd(loadScalar(keySquareSum, d), square), at(keySquareSum, d));
        }
        b.CreateStore(b.CreateFAdd(loadScalar(keySum, d), x), at(keySum, d));
      });
      if (!estimate)
        return;
      llvm::Value *valueRow = b.CreateAdd(valueBase, b.CreateMul(position, i64(v.position)));
      kb.loop(valueDim, [&](llvm::Value *e) {
        llvm::Value *x = kb.loadComputed(value, b.CreateAdd(valueRow, e), element);
        llvm::Value *index = b.CreateAdd(valuesOut, e);
        b.CreateStore(b.CreateFAdd(loadScalar(blockValues, index), b.CreateFMul(x, weight)),
                      at(blockValues, index));
      });
    });
    llvm::Value *weight = b.CreateLoad(f32, weightSlot);
    // A block every key of which is masked has no mean; its score is -inf.
    llvm::Value *inverse = b.CreateSelect(b.CreateFCmpOGT(weight, f32Constant(0)),
                                          b.CreateFDiv(f32Constant(1), weight), f32Constant(0));
    llvm::Value *slot = kb.accumulator(FloatType::getF32(op.getContext()));
    b.CreateStore(f32Constant(0), slot);
    kb.loop(headDim, [&](llvm::Value *d) {
      llvm::Value *mean = b.CreateFMul(loadScalar(keySum, d), inverse);
      if (estimate) {
        b.CreateStore(mean, at(blockKeys, b.CreateAdd(keysOut, d)));
        llvm::Value *variance = b.CreateFSub(b.CreateFMul(loadScalar(keySquareSum, d), inverse),
                                             b.CreateFMul(mean, mean));
        b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32}, {variance, f32Constant(0)}),
                      at(blockVariances, b.CreateAdd(keysOut, d)));
      }
      llvm::Value *product = b.CreateFMul(mean, loadScalar(meanQuery, d));
      auto *sum = llvm::cast<llvm::Instruction>(b.CreateFAdd(b.CreateLoad(f32, slot), product));
      sum->setHasAllowReassoc(true);
      b.CreateStore(sum, slot);
    });
    llvm::Value *empty = b.CreateFCmpOLE(weight, f32Constant(0));
    b.CreateStore(b.CreateSelect(empty, f32Constant(-kInfinity), b.CreateLoad(f32, slot)),
                  at(blockScores, block));
    if (!estimate)
      return;
    kb.loop(valueDim, [&](llvm::Value *e) {
      llvm::Value *index = b.CreateAdd(valuesOut, e);
      b.CreateStore(b.CreateFMul(loadScalar(blockValues, index), inverse), at(blockValues, index));
    });
    llvm::Value *logWeight = b.CreateIntrinsic(llvm::Intrinsic::log, {f32}, {weight});
    b.CreateStore(b.CreateSelect(empty, f32Constant(-kInfinity), logWeight),
                  at(blockLogWeights, block));
  });
  // The first `global` blocks, those within `window` of the query block's
  // own and those over the threshold are kept; then the best-scored
  // others, up to the count.
  if (blockEstimates)
    emitThresholdSelection(validRows, visibleBlocks);
  llvm::Value *own = b.CreateSDiv(firstRow, i64(keyBlock));
  llvm::Value *keptSlot = kb.accumulator(IntegerType::get(op.getContext(), 64));
  b.CreateStore(i64(0), keptSlot);
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *distance = b.CreateSub(block, own);
    llvm::Value *near = b.CreateAnd(b.CreateICmpSGE(distance, i64(-gate.getWindow())),
                                    b.CreateICmpSLE(distance, i64(gate.getWindow())));
    llvm::Value *forced = b.CreateOr(near, b.CreateICmpSLT(block, i64(gate.getGlobal())));
    llvm::Value *flag = b.CreateInBoundsGEP(b.getInt8Ty(), selected, block);
    if (blockEstimates)
      forced = b.CreateOr(forced, b.CreateICmpNE(b.CreateLoad(b.getInt8Ty(), flag), b.getInt8(0)));
    b.CreateStore(b.CreateZExt(forced, b.getInt8Ty()), flag);
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

void AttentionEmitter::emitThresholdSelection(llvm::Value *validRows, llvm::Value *visibleBlocks) {
  // Query r's estimate of block j's log weight is what the walk gives the
  // block's estimate row: q.mean_j + (q^2 / 2).variance_j + log(count_j)
  // (q scaled), the log of the mean of e^(q.k) over its keys to second
  // order, plus the log of how many there are. Loops run over the queries,
  // which are contiguous in q^T, so they vectorize.
  int64_t headDim = dims.headDim;
  kb.loop(width, [&](llvm::Value *r) {
    b.CreateStore(f32Constant(-kInfinity), at(estimateMax, r));
    b.CreateStore(f32Constant(0), at(estimateSum, r));
  });
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *row = b.CreateMul(block, i64(width));
    llvm::Value *logWeight = loadScalar(blockLogWeights, block);
    kb.loop(width, [&](llvm::Value *r) {
      b.CreateStore(logWeight, at(blockEstimates, b.CreateAdd(row, r)));
    });
    kb.loop(headDim, [&](llvm::Value *d) {
      llvm::Value *meanKey =
          loadScalar(blockKeys, b.CreateAdd(b.CreateMul(block, i64(headDim)), d));
      llvm::Value *variance =
          loadScalar(blockVariances, b.CreateAdd(b.CreateMul(block, i64(headDim)), d));
      llvm::Value *column = b.CreateMul(d, i64(width));
      kb.loop(width, [&](llvm::Value *r) {
        llvm::Value *index = b.CreateAdd(row, r);
        llvm::Value *term = b.CreateFAdd(
            b.CreateFMul(loadScalar(queries, b.CreateAdd(column, r)), meanKey),
            b.CreateFMul(loadScalar(halfSquaredQueries, b.CreateAdd(column, r)), variance));
        b.CreateStore(b.CreateFAdd(loadScalar(blockEstimates, index), term),
                      at(blockEstimates, index));
      });
    });
    kb.loop(width, [&](llvm::Value *r) {
      b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::maxnum, {f32},
                                      {loadScalar(estimateMax, r),
                                       loadScalar(blockEstimates, b.CreateAdd(row, r))}),
                    at(estimateMax, r));
    });
  });
  // A query none of whose blocks has a key (all masked) gives no shares.
  auto shift = [&](llvm::Value *r) {
    llvm::Value *largest = loadScalar(estimateMax, r);
    return b.CreateSelect(b.CreateFCmpOEQ(largest, f32Constant(-kInfinity)), f32Constant(0),
                          largest);
  };
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *row = b.CreateMul(block, i64(width));
    kb.loop(width, [&](llvm::Value *r) {
      llvm::Value *weight =
          emitExp(b, b.CreateFSub(loadScalar(blockEstimates, b.CreateAdd(row, r)), shift(r)));
      b.CreateStore(b.CreateFAdd(loadScalar(estimateSum, r), weight), at(estimateSum, r));
    });
  });
  // Block j is kept when e^(estimate - max) >= threshold x sum for some
  // valid query: its share of that query's estimated weight.
  llvm::Value *threshold = f32Constant(op.getGateAttr().getThresholdShare());
  kb.loop(visibleBlocks, [&](llvm::Value *block) {
    llvm::Value *row = b.CreateMul(block, i64(width));
    llvm::Value *over = kb.accumulator(IntegerType::get(op.getContext(), 8));
    b.CreateStore(b.getInt8(0), over);
    kb.loop(validRows, [&](llvm::Value *r) {
      llvm::Value *weight =
          emitExp(b, b.CreateFSub(loadScalar(blockEstimates, b.CreateAdd(row, r)), shift(r)));
      llvm::Value *sum = loadScalar(estimateSum, r);
      llvm::Value *reaches = b.CreateAnd(b.CreateFCmpOGT(sum, f32Constant(0)),
                                         b.CreateFCmpOGE(weight, b.CreateFMul(threshold, sum)));
      b.CreateStore(
          b.CreateOr(b.CreateLoad(b.getInt8Ty(), over), b.CreateZExt(reaches, b.getInt8Ty())),
          over);
    });
    b.CreateStore(b.CreateLoad(b.getInt8Ty(), over),
                  b.CreateInBoundsGEP(b.getInt8Ty(), selected, block));
  });
}

void AttentionEmitter::emitKeys(const KeySource &source, llvm::Value *firstRow, llvm::Value *batch,
                                llvm::Value *head) {
  int64_t headDim = dims.headDim;
  llvm::Value *firstKey = source.first, *validKeys = source.count;

  // 1-2. s^T of the block: `rows` keys by up to four query vectors.
  for (llvm::Value *slot : blockMax)
    b.CreateStore(splat(f32Constant(-kInfinity)), slot);
  kb.loop(keyRows / rows, [&](llvm::Value *group) {
    llvm::Value *r0 = b.CreateMul(group, i64(rows));
    SmallVector<llvm::Value *> keyRow, valid, position;
    for (int64_t r = 0; r < rows; ++r) {
      llvm::Value *local = b.CreateAdd(r0, i64(r));
      valid.push_back(b.CreateICmpSLT(local, validKeys));
      position.push_back(b.CreateAdd(firstKey, local));
      // Rows past the last key read the last key, and are masked.
      llvm::Value *read = minimum(position.back(), i64(source.lastRow));
      keyRow.push_back(b.CreateAdd(source.keyBase, b.CreateMul(read, i64(source.keyStride))));
    }
    for (int64_t c0 = 0; c0 < queryVectors; c0 += kMaxVectors) {
      int64_t step = std::min(kMaxVectors, queryVectors - c0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < step; ++c)
          b.CreateStore(llvm::Constant::getNullValue(vectorType), sums[r * kMaxVectors + c]);
      // sums += keys . query columns, over the head dim.
      auto accumulate = [&](llvm::Value *columnsOf, llvm::Value *keysOf, Type keyType) {
        kb.loop(headDim, [&](llvm::Value *d) {
          SmallVector<llvm::Value *> columns;
          for (int64_t c = 0; c < step; ++c)
            columns.push_back(loadVector(columnsOf, cell(d, (c0 + c) * lanes)));
          for (int64_t r = 0; r < rows; ++r) {
            llvm::Value *x = splat(kb.loadComputed(keysOf, b.CreateAdd(keyRow[r], d), keyType));
            for (int64_t c = 0; c < step; ++c) {
              llvm::Value *slot = sums[r * kMaxVectors + c];
              b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                              {x, columns[c], b.CreateLoad(vectorType, slot)}),
                            slot);
            }
          }
        });
      };
      accumulate(queries, source.key, source.keyElement);
      // An estimate's spread: + q^2 . var / 2, the second-order term of the
      // mean of e^(q.k) over the block's keys.
      if (source.variances)
        accumulate(halfSquaredQueries, source.variances, source.keyElement);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < step; ++c) {
          llvm::Value *sum = b.CreateLoad(vectorType, sums[r * kMaxVectors + c]);
          llvm::Value *score;
          if (source.logWeights) {
            llvm::Value *logWeight =
                loadScalar(source.logWeights, minimum(position[r], i64(source.lastRow)));
            score = b.CreateSelect(valid[r], b.CreateFAdd(sum, splat(logWeight)),
                                   splat(f32Constant(-kInfinity)));
          } else {
            score = maskedScores(sum, position[r], valid[r], firstRow, c0 + c, batch, head);
          }
          storeVector(score, scores, cell(b.CreateAdd(r0, i64(r)), (c0 + c) * lanes));
          // The block's maximum per query, while the scores are in registers.
          llvm::Value *slot = blockMax[c0 + c];
          b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::maxnum, {vectorType},
                                          {b.CreateLoad(vectorType, slot), score}),
                        slot);
        }
    }
  });

  // 3. Online softmax down the lanes: the block's maximum per query, the
  // rescale of what came before, the exponentials and their sums.
  llvm::Value *sumSlot = sums[0];
  for (int64_t c = 0; c < queryVectors; ++c) {
    int64_t column = c * lanes;
    llvm::Value *oldMax = loadVector(rowMax, i64(column));
    llvm::Value *newMax = b.CreateIntrinsic(llvm::Intrinsic::maxnum, {vectorType},
                                            {oldMax, b.CreateLoad(vectorType, blockMax[c])});
    // A query whose scores are all -inf so far subtracts 0, not -inf.
    llvm::Value *shift = b.CreateSelect(b.CreateFCmpOEQ(newMax, splat(f32Constant(-kInfinity))),
                                        splat(f32Constant(0)), newMax);
    llvm::Value *rescale = emitExp(b, b.CreateFSub(oldMax, shift));
    b.CreateStore(llvm::Constant::getNullValue(vectorType), sumSlot);
    kb.loop(keyRows, [&](llvm::Value *r) {
      llvm::Value *index = cell(r, column);
      llvm::Value *p = emitExp(b, b.CreateFSub(loadVector(scores, index), shift));
      storeVector(p, scores, index);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(vectorType, sumSlot), p), sumSlot);
    });
    storeVector(newMax, rowMax, i64(column));
    storeVector(b.CreateIntrinsic(
                    llvm::Intrinsic::fma, {vectorType},
                    {loadVector(rowSum, i64(column)), rescale, b.CreateLoad(vectorType, sumSlot)}),
                rowSum, i64(column));
    storeVector(rescale, rowRescale, i64(column));
  }

  // 4. o^T += v^T p^T: `rows` value dims by up to four query vectors.
  kb.loop(valueRows / rows, [&](llvm::Value *group) {
    llvm::Value *e0 = b.CreateMul(group, i64(rows));
    SmallVector<llvm::Value *> dimRead;
    for (int64_t r = 0; r < rows; ++r)
      dimRead.push_back(minimum(b.CreateAdd(e0, i64(r)), i64(dims.valueDim - 1)));
    for (int64_t c0 = 0; c0 < queryVectors; c0 += kMaxVectors) {
      int64_t step = std::min(kMaxVectors, queryVectors - c0);
      for (int64_t c = 0; c < step; ++c) {
        llvm::Value *rescale = loadVector(rowRescale, i64((c0 + c) * lanes));
        for (int64_t r = 0; r < rows; ++r)
          b.CreateStore(
              b.CreateFMul(loadVector(output, cell(b.CreateAdd(e0, i64(r)), (c0 + c) * lanes)),
                           rescale),
              sums[r * kMaxVectors + c]);
      }
      kb.loop(validKeys, [&](llvm::Value *j) {
        llvm::Value *row = b.CreateAdd(
            source.valueBase, b.CreateMul(b.CreateAdd(firstKey, j), i64(source.valueStride)));
        SmallVector<llvm::Value *> weights;
        for (int64_t c = 0; c < step; ++c)
          weights.push_back(loadVector(scores, cell(j, (c0 + c) * lanes)));
        for (int64_t r = 0; r < rows; ++r) {
          llvm::Value *x = splat(
              kb.loadComputed(source.value, b.CreateAdd(row, dimRead[r]), source.valueElement));
          for (int64_t c = 0; c < step; ++c) {
            llvm::Value *slot = sums[r * kMaxVectors + c];
            b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                            {x, weights[c], b.CreateLoad(vectorType, slot)}),
                          slot);
          }
        }
      });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < step; ++c)
          storeVector(b.CreateLoad(vectorType, sums[r * kMaxVectors + c]), output,
                      cell(b.CreateAdd(e0, i64(r)), (c0 + c) * lanes));
    }
  });
}

void AttentionEmitter::emit(llvm::Value *queryIn, llvm::Value *keyIn, llvm::Value *valueIn,
                            llvm::Value *maskIn, llvm::Value *out, const FusedBody &fused) {
  query = queryIn, key = keyIn, value = valueIn, mask = maskIn;
  int64_t headDim = dims.headDim;
  int64_t queryBlocks = (dims.queries + queryBlock - 1) / queryBlock;
  int64_t keyBlocks = (dims.keys + keyBlock - 1) / keyBlock;
  Type f32Type = FloatType::getF32(op.getContext());
  queries = kb.stackRow(f32Type, headDim * width);
  scores = kb.stackRow(f32Type, keyRows * width);
  output = kb.stackRow(f32Type, valueRows * width);
  rowMax = kb.stackRow(f32Type, width);
  rowSum = kb.stackRow(f32Type, width);
  rowRescale = kb.stackRow(f32Type, width);
  if (op.getGateAttr()) {
    selected = kb.stackRow(IntegerType::get(op.getContext(), 8), keyBlocks);
    blockScores = kb.stackRow(f32Type, keyBlocks);
    meanQuery = kb.stackRow(f32Type, headDim);
    keySum = kb.stackRow(f32Type, headDim);
    if (op.getGateAttr().getEstimateRest()) {
      blockKeys = kb.stackRow(f32Type, keyBlocks * headDim);
      blockValues = kb.stackRow(f32Type, keyBlocks * dims.valueDim);
      blockLogWeights = kb.stackRow(f32Type, keyBlocks);
      blockVariances = kb.stackRow(f32Type, keyBlocks * headDim);
      keySquareSum = kb.stackRow(f32Type, headDim);
      halfSquaredQueries = kb.stackRow(f32Type, headDim * width);
    }
    if (op.getGateAttr().getThresholdShare() > 0) {
      blockEstimates = kb.stackRow(f32Type, keyBlocks * width);
      estimateMax = kb.stackRow(f32Type, width);
      estimateSum = kb.stackRow(f32Type, width);
    }
  }
  sums = vectorSlots(rows * kMaxVectors);
  blockMax = vectorSlots(queryVectors);
  llvm::Value *scale = f32Constant(op.getScale().convertToDouble());

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

    // q^T of the block, scaled; queries past the last are zero.
    kb.loop(width, [&](llvm::Value *r) {
      kb.ifElse(
          b.CreateICmpSLT(r, validRows),
          [&] {
            llvm::Value *row =
                b.CreateAdd(queryBase, b.CreateMul(b.CreateAdd(firstRow, r), i64(q.position)));
            kb.loop(headDim, [&](llvm::Value *d) {
              llvm::Value *x = kb.loadComputed(query, b.CreateAdd(row, d), element);
              b.CreateStore(b.CreateFMul(x, scale),
                            at(queries, b.CreateAdd(b.CreateMul(d, i64(width)), r)));
            });
          },
          [&] {
            kb.loop(headDim, [&](llvm::Value *d) {
              b.CreateStore(f32Constant(0),
                            at(queries, b.CreateAdd(b.CreateMul(d, i64(width)), r)));
            });
          });
      b.CreateStore(f32Constant(-kInfinity), at(rowMax, r));
      b.CreateStore(f32Constant(0), at(rowSum, r));
    });
    kb.loop(valueRows * width,
            [&](llvm::Value *i) { b.CreateStore(f32Constant(0), at(output, i)); });
    if (halfSquaredQueries)
      kb.loop(headDim * width, [&](llvm::Value *i) {
        llvm::Value *x = loadScalar(queries, i);
        b.CreateStore(b.CreateFMul(f32Constant(0.5), b.CreateFMul(x, x)),
                      at(halfSquaredQueries, i));
      });

    // With a causal mask, key blocks after the block's last query are
    // never seen.
    llvm::Value *visibleBlocks = i64(keyBlocks);
    if (op.getCausal()) {
      llvm::Value *lastKey = minimum(i64(dims.keys), b.CreateAdd(firstRow, validRows));
      visibleBlocks = b.CreateUDiv(b.CreateAdd(lastKey, i64(keyBlock - 1)), i64(keyBlock));
    }
    if (op.getGateAttr())
      emitGate(firstRow, validRows, visibleBlocks, batch, head, keyBase, valueBase);
    kb.loop(visibleBlocks, [&](llvm::Value *block) {
      llvm::Value *first = b.CreateMul(block, i64(keyBlock));
      KeySource keys{key,           keyBase,
                     k.position,    element,
                     value,         valueBase,
                     v.position,    element,
                     first,         minimum(i64(keyBlock), b.CreateSub(i64(dims.keys), first)),
                     dims.keys - 1, nullptr,
                     nullptr};
      auto walk = [&] { emitKeys(keys, firstRow, batch, head); };
      if (!op.getGateAttr())
        return walk();
      llvm::Value *kept =
          b.CreateLoad(b.getInt8Ty(), b.CreateInBoundsGEP(b.getInt8Ty(), selected, block));
      kb.ifElse(
          b.CreateICmpNE(kept, b.getInt8(0)),
          [&] {
            walk();
            // Computed exactly: no estimate of it.
            if (blockLogWeights)
              b.CreateStore(f32Constant(-kInfinity), at(blockLogWeights, block));
          },
          [] {});
    });
    // The blocks left out, each as one key (its mean key and value) that
    // weighs as many keys as it holds, `keyBlock` of them a step.
    if (blockLogWeights) {
      Type f32Element = FloatType::getF32(op.getContext());
      llvm::Value *steps =
          b.CreateUDiv(b.CreateAdd(visibleBlocks, i64(keyBlock - 1)), i64(keyBlock));
      kb.loop(steps, [&](llvm::Value *step) {
        llvm::Value *first = b.CreateMul(step, i64(keyBlock));
        KeySource estimates{
            blockKeys,     i64(0),
            dims.headDim,  f32Element,
            blockValues,   i64(0),
            dims.valueDim, f32Element,
            first,         minimum(i64(keyBlock), b.CreateSub(visibleBlocks, first)),
            keyBlocks - 1, blockLogWeights,
            blockVariances};
        emitKeys(estimates, firstRow, batch, head);
      });
    }

    // Each query's output divided by its sum (a query whose scores are all
    // -inf has none: zeros), stored a row at a time.
    kb.loop(validRows, [&](llvm::Value *r) {
      llvm::Value *sum = loadScalar(rowSum, r);
      llvm::Value *inverse = b.CreateSelect(b.CreateFCmpOGT(sum, f32Constant(0)),
                                            b.CreateFDiv(f32Constant(1), sum), f32Constant(0));
      llvm::Value *position = b.CreateAdd(firstRow, r);
      llvm::Value *row = b.CreateAdd(outBase, b.CreateMul(position, i64(o.position)));
      kb.loop(dims.valueDim, [&](llvm::Value *e) {
        llvm::Value *x = loadScalar(output, b.CreateAdd(b.CreateMul(e, i64(width)), r));
        kb.storeComputed(b.CreateFMul(x, inverse), out, b.CreateAdd(row, e), element);
      });
      if (!fused)
        return;
      kb.loop(dims.valueDim, [&](llvm::Value *e) {
        SmallVector<llvm::Value *> indices =
            op.isSequenceMajor(3) ? SmallVector<llvm::Value *>{batch, position, head, e}
                                  : SmallVector<llvm::Value *>{batch, head, position, e};
        fused(indices, b.CreateAdd(row, e));
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
