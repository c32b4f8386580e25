//===- IntegerGemmTemplate.cpp - Exact packed integer GEMMs on the host ---===//
//
// Every operand is packed once per call with its zero point subtracted, as
// 16-bit integers in pairs along K, so that the micro-kernel needs one
// instruction per 2 x lanes products: vpmaddwd multiplies 16-bit pairs and
// adds each pair into an i32 lane, exactly (|a - za|, |b - zb| <= 255, so a
// lane gains at most 2 * 255^2 per step). vpmaddubsw would take the 8-bit
// values as they are but saturates its 16-bit pair sums, so it is not used.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/IntegerGemmTemplate.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"

#include "llvm/IR/IntrinsicsX86.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// Helpers shared by the two phases of one kernel.
struct IntegerGemm {
  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  Operation *anchor;
  r1k::HostIntegerGemmAttr variant;
  const IntegerGemmBuffers &buffers;
  r1k::IntegerGemmDims dims;
  r1k::IntegerGemmScratch scratch;

  IntegerGemm(KernelBuilder &kb, Operation *anchor, r1k::HostIntegerGemmAttr variant,
              const IntegerGemmBuffers &buffers)
      : kb(kb), b(kb.b), anchor(anchor), variant(variant), buffers(buffers),
        dims(*r1k::getIntegerGemmDims(anchor)), scratch(r1k::getIntegerGemmScratch(dims, variant)) {
  }

  bool isConv() const { return isa<ConvIntegerOp>(anchor); }
  Value aOperand() const { return anchor->getOperand(isConv() ? 1 : 0); }
  Value bOperand() const { return anchor->getOperand(isConv() ? 0 : 1); }
  llvm::Value *aPointer() const { return isConv() ? buffers.rhs : buffers.lhs; }
  llvm::Value *bPointer() const { return isConv() ? buffers.lhs : buffers.rhs; }
  llvm::Value *aZeroPointer() const { return isConv() ? buffers.rhsZero : buffers.lhsZero; }
  llvm::Value *bZeroPointer() const { return isConv() ? buffers.lhsZero : buffers.rhsZero; }
  Value aZero() const { return anchor->getOperand(isConv() ? 3 : 2); }
  Value bZero() const { return anchor->getOperand(isConv() ? 2 : 3); }

  /// An 8-bit element widened to i32, signed or not as its type says.
  llvm::Value *widen(llvm::Value *pointer, llvm::Value *offset, Type element) {
    llvm::Value *value = kb.load(pointer, offset, element);
    return element.isUnsignedInteger() ? b.CreateZExt(value, b.getInt32Ty())
                                       : b.CreateSExt(value, b.getInt32Ty());
  }

  /// `value` where `inRange`, else 0; `offset` is replaced by 0 outside, so
  /// nothing is read out of bounds.
  llvm::Value *guarded(llvm::Value *inRange, llvm::function_ref<llvm::Value *(llvm::Value *)> read,
                       llvm::Value *offset) {
    if (!inRange)
      return read(offset);
    llvm::Value *safe = b.CreateSelect(inRange, offset, kb.i64(0));
    return b.CreateSelect(inRange, read(safe), b.getInt32(0));
  }

  /// Two 16-bit differences as one i32, the first in the low half.
  llvm::Value *pair(llvm::Value *low, llvm::Value *high) {
    llvm::Value *lowBits = b.CreateAnd(low, b.getInt32(0xFFFF));
    return b.CreateOr(lowBits, b.CreateShl(high, b.getInt32(16)));
  }

  /// Row-major indices of `linear` in `shape`.
  SmallVector<llvm::Value *> unflatten(llvm::Value *linear, ArrayRef<int64_t> shape) {
    SmallVector<llvm::Value *> indices(shape.size());
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      indices[d] = d == 0 ? linear : b.CreateURem(linear, kb.i64(shape[d]));
      if (d > 0)
        linear = b.CreateUDiv(linear, kb.i64(shape[d]));
    }
    return indices;
  }

  /// The difference A[ai][m][k] - its zero point, i32 (k < K).
  llvm::Value *aElement(llvm::Value *ai, llvm::Value *m, llvm::Value *k) {
    Type element = getElementTypeOf(aOperand());
    llvm::Value *row = b.CreateAdd(b.CreateMul(ai, kb.i64(dims.m)), m);
    llvm::Value *value =
        widen(aPointer(), b.CreateAdd(b.CreateMul(row, kb.i64(dims.k)), k), element);
    return b.CreateSub(value, aZeroAt(ai, m));
  }

  /// A's zero point for row m of A's matrix ai.
  llvm::Value *aZeroAt(llvm::Value *ai, llvm::Value *m) {
    Type element = getElementTypeOf(aZero());
    SmallVector<int64_t> zpShape = *getShapeOf(aZero());
    if (productOfDims(zpShape) == 1)
      return widen(aZeroPointer(), kb.i64(0), element);
    if (isConv()) // one per output channel
      return widen(aZeroPointer(), b.CreateAdd(b.CreateMul(ai, kb.i64(dims.m)), m), element);
    // Broadcast against lhs with its last dim 1.
    SmallVector<llvm::Value *> indices = unflatten(ai, dims.aBatch);
    if (dims.aBatch.empty())
      indices.clear();
    indices.push_back(m);
    indices.push_back(kb.i64(0));
    return widen(aZeroPointer(), kb.broadcastOffset(indices, zpShape), element);
  }

  /// The difference B[bi][k][n] - its zero point, i32 (k < K, n < N).
  llvm::Value *bElement(llvm::Value *bi, llvm::Value *k, llvm::Value *n, llvm::Value *&inRange) {
    Type element = getElementTypeOf(bOperand());
    if (!isConv()) {
      llvm::Value *offset = b.CreateAdd(
          b.CreateMul(b.CreateAdd(b.CreateMul(bi, kb.i64(dims.k)), k), kb.i64(dims.n)), n);
      SmallVector<int64_t> zpShape = *getShapeOf(bZero());
      llvm::Value *zpOffset = kb.i64(0);
      if (productOfDims(zpShape) != 1) {
        SmallVector<llvm::Value *> indices = unflatten(bi, dims.bBatch);
        if (dims.bBatch.empty())
          indices.clear();
        indices.push_back(kb.i64(0));
        indices.push_back(n);
        zpOffset = kb.broadcastOffset(indices, zpShape);
      }
      return b.CreateSub(widen(bPointer(), offset, element),
                         widen(bZeroPointer(), zpOffset, getElementTypeOf(bZero())));
    }
    // im2col: k is (channel in the group, kernel taps...), n the output
    // position; a tap in the padding reads the zero point (difference 0).
    auto conv = cast<ConvIntegerOp>(anchor);
    auto input = cast<RankedTensorType>(conv.getInput().getType());
    auto weight = cast<RankedTensorType>(conv.getWeight().getType());
    auto output = cast<RankedTensorType>(conv.getType());
    int64_t spatial = input.getRank() - 2;
    SmallVector<llvm::Value *> taps = unflatten(k, weight.getShape().drop_front(1));
    SmallVector<llvm::Value *> positions = unflatten(n, output.getShape().drop_front(2));
    llvm::Value *image = b.CreateUDiv(bi, kb.i64(dims.groups));
    llvm::Value *group = b.CreateURem(bi, kb.i64(dims.groups));
    llvm::Value *channel = b.CreateAdd(b.CreateMul(group, kb.i64(weight.getDimSize(1))), taps[0]);
    SmallVector<llvm::Value *> at = {image, channel};
    inRange = b.getTrue();
    for (int64_t d = 0; d < spatial; ++d) {
      llvm::Value *position =
          b.CreateAdd(b.CreateSub(b.CreateMul(positions[d], kb.i64(conv.getStrides()[d])),
                                  kb.i64(conv.getPads()[d])),
                      b.CreateMul(taps[d + 1], kb.i64(conv.getDilations()[d])));
      // Unsigned compare: a negative position is out of range too.
      inRange = b.CreateAnd(inRange, b.CreateICmpULT(position, kb.i64(input.getDimSize(d + 2))));
      at.push_back(position);
    }
    llvm::Value *offset = kb.offset(at, input.getShape());
    return b.CreateSub(
        guarded(
            inRange, [&](llvm::Value *o) { return widen(bPointer(), o, element); }, offset),
        b.CreateSelect(inRange, widen(bZeroPointer(), kb.i64(0), getElementTypeOf(bZero())),
                       b.getInt32(0)));
  }

  llvm::Value *aPacked() { return buffers.scratch; }
  llvm::Value *bPacked() {
    return b.CreateInBoundsGEP(b.getInt8Ty(), buffers.scratch, kb.i64(scratch.bOffset));
  }

  void emitPacking() {
    int64_t kPairs = dims.kPairs();
    bool oddK = dims.k % 2 != 0;
    // A: one i32 per (matrix, row, pair of k).
    kb.loop(dims.aCount() * dims.m, [&](llvm::Value *row) {
      llvm::Value *ai = b.CreateUDiv(row, kb.i64(dims.m));
      llvm::Value *m = b.CreateURem(row, kb.i64(dims.m));
      kb.loop(kPairs, [&](llvm::Value *kp) {
        llvm::Value *k0 = b.CreateMul(kp, kb.i64(2));
        llvm::Value *k1 = b.CreateAdd(k0, kb.i64(1));
        llvm::Value *low = aElement(ai, m, k0);
        llvm::Value *high;
        if (oddK) {
          llvm::Value *inRange = b.CreateICmpULT(k1, kb.i64(dims.k));
          high = b.CreateSelect(inRange, aElement(ai, m, b.CreateSelect(inRange, k1, kb.i64(0))),
                                b.getInt32(0));
        } else {
          high = aElement(ai, m, k1);
        }
        llvm::Value *at = b.CreateAdd(b.CreateMul(row, kb.i64(kPairs)), kp);
        b.CreateStore(pair(low, high), b.CreateInBoundsGEP(b.getInt32Ty(), aPacked(), at));
      });
    });
    // B: panels of nr columns, each (pair of k, column) an i32.
    int64_t nr = variant.getNr();
    kb.loop(dims.bCount() * scratch.panels, [&](llvm::Value *panelIndex) {
      llvm::Value *bi = b.CreateUDiv(panelIndex, kb.i64(scratch.panels));
      llvm::Value *panel = b.CreateURem(panelIndex, kb.i64(scratch.panels));
      kb.loop(kPairs, [&](llvm::Value *kp) {
        kb.loop(nr, [&](llvm::Value *j) {
          llvm::Value *n = b.CreateAdd(b.CreateMul(panel, kb.i64(nr)), j);
          llvm::Value *nInRange = dims.n % nr == 0 ? nullptr : b.CreateICmpULT(n, kb.i64(dims.n));
          llvm::Value *safeN = nInRange ? b.CreateSelect(nInRange, n, kb.i64(0)) : n;
          auto element = [&](llvm::Value *k, llvm::Value *kInRange) {
            llvm::Value *inRange = nInRange;
            if (kInRange)
              inRange = inRange ? b.CreateAnd(inRange, kInRange) : kInRange;
            llvm::Value *safeK = kInRange ? b.CreateSelect(kInRange, k, kb.i64(0)) : k;
            llvm::Value *tapInRange = nullptr;
            llvm::Value *value = bElement(bi, safeK, safeN, tapInRange);
            return inRange ? b.CreateSelect(inRange, value, b.getInt32(0)) : value;
          };
          llvm::Value *k0 = b.CreateMul(kp, kb.i64(2));
          llvm::Value *k1 = b.CreateAdd(k0, kb.i64(1));
          llvm::Value *low = element(k0, nullptr);
          llvm::Value *high = element(k1, oddK ? b.CreateICmpULT(k1, kb.i64(dims.k)) : nullptr);
          llvm::Value *at = b.CreateAdd(
              b.CreateMul(b.CreateAdd(b.CreateMul(panelIndex, kb.i64(kPairs)), kp), kb.i64(nr)), j);
          b.CreateStore(pair(low, high), b.CreateInBoundsGEP(b.getInt32Ty(), bPacked(), at));
        });
      });
    });
  }

  /// A vector slot in the function's entry block, so that loops keep it in
  /// a register.
  llvm::Value *vectorSlot(llvm::Type *type) {
    llvm::Function *function = b.GetInsertBlock()->getParent();
    llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
    return entry.CreateAlloca(type);
  }

  llvm::Value *multiplyAddPairs(llvm::Value *x, llvm::Value *y) {
    llvm::Intrinsic::ID id = variant.getLanes() == 16  ? llvm::Intrinsic::x86_avx512_pmaddw_d_512
                             : variant.getLanes() == 8 ? llvm::Intrinsic::x86_avx2_pmadd_wd
                                                       : llvm::Intrinsic::x86_sse2_pmadd_wd;
    return b.CreateIntrinsic(id, {}, {x, y});
  }

  /// Sums of `rows` rows from `firstRow` for one panel, stored to C, then
  /// the fused body over them.
  void emitMicroKernel(int64_t rows, llvm::Value *g, llvm::Value *ai, llvm::Value *bi,
                       llvm::Value *panel, llvm::Value *firstRow, const FusedBody &fused) {
    int64_t lanes = variant.getLanes(), vectors = variant.getVectors(), nr = variant.getNr();
    int64_t kPairs = dims.kPairs();
    auto *sumType = llvm::FixedVectorType::get(b.getInt32Ty(), lanes);
    auto *pairType = llvm::FixedVectorType::get(b.getInt16Ty(), 2 * lanes);
    SmallVector<llvm::Value *> slots;
    for (int64_t i = 0; i < rows * vectors; ++i) {
      slots.push_back(vectorSlot(sumType));
      b.CreateStore(llvm::Constant::getNullValue(sumType), slots.back());
    }
    llvm::Value *aRows = b.CreateInBoundsGEP(
        b.getInt32Ty(), aPacked(),
        b.CreateMul(b.CreateAdd(b.CreateMul(ai, kb.i64(dims.m)), firstRow), kb.i64(kPairs)));
    llvm::Value *bPanel =
        b.CreateInBoundsGEP(b.getInt32Ty(), bPacked(),
                            b.CreateMul(b.CreateAdd(b.CreateMul(bi, kb.i64(scratch.panels)), panel),
                                        kb.i64(kPairs * nr)));
    kb.loop(kPairs, [&](llvm::Value *kp) {
      SmallVector<llvm::Value *> bVectors;
      for (int64_t v = 0; v < vectors; ++v)
        bVectors.push_back(b.CreateAlignedLoad(
            pairType,
            b.CreateInBoundsGEP(b.getInt32Ty(), bPanel,
                                b.CreateAdd(b.CreateMul(kp, kb.i64(nr)), kb.i64(v * lanes))),
            llvm::Align(4)));
      for (int64_t r = 0; r < rows; ++r) {
        llvm::Value *aPair = b.CreateAlignedLoad(
            b.getInt32Ty(),
            b.CreateInBoundsGEP(b.getInt32Ty(), aRows, b.CreateAdd(kb.i64(r * kPairs), kp)),
            llvm::Align(4));
        llvm::Value *broadcast = b.CreateBitCast(b.CreateVectorSplat(lanes, aPair), pairType);
        for (int64_t v = 0; v < vectors; ++v) {
          llvm::Value *slot = slots[r * vectors + v];
          llvm::Value *sum =
              b.CreateAdd(b.CreateLoad(sumType, slot), multiplyAddPairs(broadcast, bVectors[v]));
          b.CreateStore(sum, slot);
        }
      }
    });
    // Store the sums; a panel past N stores only its columns inside.
    llvm::Value *firstColumn = b.CreateMul(panel, kb.i64(nr));
    llvm::Value *rowBase =
        b.CreateAdd(b.CreateMul(g, kb.i64(dims.m)), firstRow); // C's row of the block
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v) {
        llvm::Value *column = b.CreateAdd(firstColumn, kb.i64(v * lanes));
        llvm::Value *offset =
            b.CreateAdd(b.CreateMul(b.CreateAdd(rowBase, kb.i64(r)), kb.i64(dims.n)), column);
        llvm::Value *address = b.CreateInBoundsGEP(b.getInt32Ty(), buffers.sums, offset);
        llvm::Value *sum = b.CreateLoad(sumType, slots[r * vectors + v]);
        if (dims.n % nr == 0) {
          b.CreateAlignedStore(sum, address, llvm::Align(4));
          continue;
        }
        SmallVector<llvm::Constant *> iota;
        for (int64_t lane = 0; lane < lanes; ++lane)
          iota.push_back(b.getInt64(lane));
        llvm::Value *columns =
            b.CreateAdd(b.CreateVectorSplat(lanes, column), llvm::ConstantVector::get(iota));
        llvm::Value *mask = b.CreateICmpULT(columns, b.CreateVectorSplat(lanes, kb.i64(dims.n)));
        b.CreateMaskedStore(sum, address, llvm::Align(4), mask);
      }
    if (!fused)
      return;
    ArrayRef<int64_t> shape = cast<RankedTensorType>(anchor->getResult(0).getType()).getShape();
    llvm::Value *columns =
        dims.n % nr == 0 ? kb.i64(nr)
                         : b.CreateSelect(b.CreateICmpEQ(panel, kb.i64(scratch.panels - 1)),
                                          kb.i64(dims.n - (scratch.panels - 1) * nr), kb.i64(nr));
    kb.loop(rows, [&](llvm::Value *r) {
      llvm::Value *rowStart =
          b.CreateAdd(b.CreateMul(b.CreateAdd(rowBase, r), kb.i64(dims.n)), firstColumn);
      auto body = [&](llvm::Value *j) {
        llvm::Value *linear = b.CreateAdd(rowStart, j);
        fused(unflatten(linear, shape), linear);
      };
      if (dims.n % nr == 0)
        kb.loop(nr, body);
      else
        kb.loop(columns, body);
    });
  }

  void emitCompute(const FusedBody &fused) {
    int64_t mc = variant.getMc(), mr = variant.getMr();
    int64_t rowBlocks = (dims.m + mc - 1) / mc;
    int64_t panels = scratch.panels;
    kb.loop(dims.batchCount() * rowBlocks * panels, [&](llvm::Value *task) {
      llvm::Value *panel = b.CreateURem(task, kb.i64(panels));
      llvm::Value *rest = b.CreateUDiv(task, kb.i64(panels));
      llvm::Value *rowBlock = b.CreateURem(rest, kb.i64(rowBlocks));
      llvm::Value *g = b.CreateUDiv(rest, kb.i64(rowBlocks));
      llvm::Value *ai, *bi;
      if (isConv()) {
        ai = b.CreateURem(g, kb.i64(dims.groups));
        bi = g;
      } else {
        SmallVector<llvm::Value *> indices = unflatten(g, dims.batch);
        if (dims.batch.empty())
          indices.clear();
        ai = dims.aBatch.empty() ? kb.i64(0) : kb.broadcastOffset(indices, dims.aBatch);
        bi = dims.bBatch.empty() ? kb.i64(0) : kb.broadcastOffset(indices, dims.bBatch);
      }
      llvm::Value *firstRow = b.CreateMul(rowBlock, kb.i64(mc));
      // The last block is shorter when mc does not divide M.
      llvm::Value *rows = dims.m % mc == 0
                              ? kb.i64(mc)
                              : b.CreateSelect(b.CreateICmpEQ(rowBlock, kb.i64(rowBlocks - 1)),
                                               kb.i64(dims.m - (rowBlocks - 1) * mc), kb.i64(mc));
      llvm::Value *fullBlocks = b.CreateUDiv(rows, kb.i64(mr));
      kb.loop(fullBlocks, [&](llvm::Value *block) {
        emitMicroKernel(mr, g, ai, bi, panel, b.CreateAdd(firstRow, b.CreateMul(block, kb.i64(mr))),
                        fused);
      });
      if (mr > 1) {
        llvm::Value *done = b.CreateAdd(firstRow, b.CreateMul(fullBlocks, kb.i64(mr)));
        kb.loop(b.CreateURem(rows, kb.i64(mr)), [&](llvm::Value *row) {
          emitMicroKernel(1, g, ai, bi, panel, b.CreateAdd(done, row), fused);
        });
      }
    });
  }
};

} // namespace

void emitIntegerGemmPacking(KernelBuilder &kb, Operation *anchor, r1k::HostIntegerGemmAttr variant,
                            const IntegerGemmBuffers &buffers) {
  IntegerGemm(kb, anchor, variant, buffers).emitPacking();
}

void emitIntegerGemm(KernelBuilder &kb, Operation *anchor, r1k::HostIntegerGemmAttr variant,
                     const IntegerGemmBuffers &buffers, const FusedBody &fused) {
  IntegerGemm(kb, anchor, variant, buffers).emitCompute(fused);
}

} // namespace r1c
