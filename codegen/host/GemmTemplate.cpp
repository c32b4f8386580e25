//===- GemmTemplate.cpp - Register-blocked host matmul from its variant ----===//
//
// The loop nest of a #r1k.host_gemm variant, as BLIS and MLAS lay it out:
// each task owns an MC x NC block of C (per batch); it walks K in KC steps,
// and for each step runs the micro-kernel over NR-wide panels of B (outer)
// and MR-row groups of A (inner), so one KC x NR panel of B stays in L1
// while the MC x KC block of A streams from L2. The micro-kernel keeps MR x
// NR sums in MR * NR / vector registers, loads NR / vector vectors of B and
// broadcasts MR elements of A per step of k, one FMA per register.
//
// Every size is static, so the only tails are the last row group of M and
// the last panel of N, each emitted as its own micro-kernel. B is read as
// the variant says: packed at compile time (NR-wide panels, zero-padded,
// one per panel over all of K), packed per task into the stack, or in
// place. The fused body runs over the task's block once its sums are
// final, while the block is still in L2. 16-bit floats are widened on load
// and rounded once on the final store; the select pass gives them one K
// step, so no partial sum is rounded.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/GemmTemplate.h"
#include "codegen/host/ScalarOps.h"

#include "llvm/IR/Intrinsics.h"

#include <algorithm>
#include <cstring>

using namespace mlir;

namespace r1c {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The shape facts of one matmul, with 1-D operands made 2-D.
struct GemmShape {
  int64_t m, n, k;
  SmallVector<int64_t> batch, aBatch, bBatch;
  int64_t batchCount = 1;
};

GemmShape shapeOf(r1::MatMulOp op) {
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bType = cast<RankedTensorType>(op.getRhs().getType());
  auto c = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t> aShape(a.getShape()), bShape(bType.getShape());
  if (aShape.size() == 1)
    aShape.insert(aShape.begin(), 1);
  if (bShape.size() == 1)
    bShape.push_back(1);
  GemmShape shape;
  shape.m = aShape[aShape.size() - 2];
  shape.k = aShape.back();
  shape.n = bShape.back();
  shape.aBatch.assign(aShape.begin(), aShape.end() - 2);
  shape.bBatch.assign(bShape.begin(), bShape.end() - 2);
  shape.batch.assign(c.getShape().begin(),
                     c.getShape().begin() + std::max(shape.aBatch.size(), shape.bBatch.size()));
  for (int64_t dim : shape.batch)
    shape.batchCount *= dim;
  return shape;
}

class GemmEmitter {
public:
  GemmEmitter(KernelBuilder &kb, r1::MatMulOp op, r1k::HostGemmAttr variant)
      : kb(kb), b(kb.b), variant(variant), shape(shapeOf(op)),
        element(cast<RankedTensorType>(op.getType()).getElementType()),
        storage(getScalarType(b.getContext(), element)), f32(b.getFloatTy()),
        vectorType(llvm::FixedVectorType::get(f32, variant.getVector())),
        storageVector(llvm::FixedVectorType::get(storage, variant.getVector())),
        vectors(variant.getNr() / variant.getVector()) {}

  void emit(llvm::Value *a, llvm::Value *bMatrix, llvm::Value *c, const FusedBody &fused);

private:
  /// Where the micro-kernel reads its panel of B: `base` at k = 0 of the
  /// panel's first column, `stride` elements between rows of k.
  struct Panel {
    llvm::Value *base;
    int64_t stride;
    /// Columns that exist; loads past them are masked (in-place B only).
    int64_t loadColumns;
  };

  /// MR x NR (or a tail of rows/columns) += A[rows, k0:k0+kLen] * panel.
  void emitMicroKernel(int64_t rows, int64_t columns, llvm::Value *aTile, Panel panel,
                       llvm::Value *cTile, llvm::Value *kLen, llvm::Value *first);
  /// Copies B[k0:k0+kLen, panels of columns] (B at `bMatrix` + `bBase`)
  /// into NR-wide panels at `packed`, zero-filled past N: run-time packing.
  void emitPackBlock(llvm::Value *bMatrix, llvm::Value *bBase, llvm::Value *k0,
                     llvm::Value *kLen, llvm::Value *firstColumn, llvm::Value *panels,
                     llvm::Value *packed);

  llvm::Value *entryAlloca(llvm::Type *type, int64_t count = 1);
  llvm::Value *mask(int64_t lanes);
  llvm::Value *loadVector(llvm::Value *pointer, int64_t lanes);
  void storeVector(llvm::Value *value, llvm::Value *pointer, int64_t lanes);
  /// `if (condition) whenTrue() else whenFalse()`.
  void branch(llvm::Value *condition, llvm::function_ref<void()> whenTrue,
              llvm::function_ref<void()> whenFalse);
  llvm::Value *gep(llvm::Value *base, llvm::Value *offset) {
    return b.CreateInBoundsGEP(storage, base, offset);
  }

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  r1k::HostGemmAttr variant;
  GemmShape shape;
  Type element;
  llvm::Type *storage, *f32;
  llvm::FixedVectorType *vectorType, *storageVector;
  int64_t vectors;
};

llvm::Value *GemmEmitter::entryAlloca(llvm::Type *type, int64_t count) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
  llvm::AllocaInst *slot = entry.CreateAlloca(type, entry.getInt64(count));
  slot->setAlignment(llvm::Align(64));
  return slot;
}

llvm::Value *GemmEmitter::mask(int64_t lanes) {
  SmallVector<llvm::Constant *> bits;
  for (int64_t lane = 0; lane < variant.getVector(); ++lane)
    bits.push_back(b.getInt1(lane < lanes));
  return llvm::ConstantVector::get(bits);
}

llvm::Value *GemmEmitter::loadVector(llvm::Value *pointer, int64_t lanes) {
  llvm::Value *value;
  if (lanes >= variant.getVector())
    value = b.CreateAlignedLoad(storageVector, pointer, llvm::Align(storage->getPrimitiveSizeInBits() / 8));
  else
    value = b.CreateMaskedLoad(storageVector, pointer, llvm::Align(1), mask(lanes),
                               llvm::Constant::getNullValue(storageVector));
  return storage == f32 ? value : b.CreateFPExt(value, vectorType);
}

void GemmEmitter::storeVector(llvm::Value *value, llvm::Value *pointer, int64_t lanes) {
  if (storage != f32)
    value = b.CreateFPTrunc(value, storageVector);
  if (lanes >= variant.getVector())
    b.CreateAlignedStore(value, pointer, llvm::Align(storage->getPrimitiveSizeInBits() / 8));
  else
    b.CreateMaskedStore(value, pointer, llvm::Align(1), mask(lanes));
}

void GemmEmitter::branch(llvm::Value *condition, llvm::function_ref<void()> whenTrue,
                         llvm::function_ref<void()> whenFalse) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  auto *then = llvm::BasicBlock::Create(b.getContext(), "then", function);
  auto *otherwise = llvm::BasicBlock::Create(b.getContext(), "else", function);
  auto *done = llvm::BasicBlock::Create(b.getContext(), "endif", function);
  b.CreateCondBr(condition, then, otherwise);
  b.SetInsertPoint(then);
  whenTrue();
  b.CreateBr(done);
  b.SetInsertPoint(otherwise);
  whenFalse();
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void GemmEmitter::emitMicroKernel(int64_t rows, int64_t columns, llvm::Value *aTile, Panel panel,
                                  llvm::Value *cTile, llvm::Value *kLen, llvm::Value *first) {
  int64_t width = variant.getVector();
  int64_t usedVectors = ceilDiv(columns, width);
  auto lanesOf = [&](int64_t v) { return std::min(width, columns - v * width); };
  // Sums in stack slots that SROA turns into registers: every index is static.
  SmallVector<llvm::Value *> sums;
  for (int64_t i = 0; i < rows * usedVectors; ++i)
    sums.push_back(entryAlloca(vectorType));
  branch(
      first,
      [&] {
        for (llvm::Value *sum : sums)
          b.CreateStore(llvm::Constant::getNullValue(vectorType), sum);
      },
      [&] {
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t v = 0; v < usedVectors; ++v) {
            llvm::Value *at = gep(cTile, kb.i64(r * shape.n + v * width));
            b.CreateStore(loadVector(at, lanesOf(v)), sums[r * usedVectors + v]);
          }
      });
  kb.loop(kLen, [&](llvm::Value *kk) {
    SmallVector<llvm::Value *> bVectors;
    llvm::Value *bRow = gep(panel.base, b.CreateMul(kk, kb.i64(panel.stride)));
    for (int64_t v = 0; v < usedVectors; ++v)
      bVectors.push_back(loadVector(gep(bRow, kb.i64(v * width)),
                                    std::min(width, panel.loadColumns - v * width)));
    for (int64_t r = 0; r < rows; ++r) {
      llvm::Value *aValue =
          b.CreateLoad(storage, gep(aTile, b.CreateAdd(kb.i64(r * shape.k), kk)));
      if (storage != f32)
        aValue = b.CreateFPExt(aValue, f32);
      llvm::Value *broadcast = b.CreateVectorSplat(width, aValue);
      for (int64_t v = 0; v < usedVectors; ++v) {
        llvm::Value *slot = sums[r * usedVectors + v];
        llvm::Value *sum = b.CreateLoad(vectorType, slot);
        b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                        {broadcast, bVectors[v], sum}),
                      slot);
      }
    }
  });
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < usedVectors; ++v)
      storeVector(b.CreateLoad(vectorType, sums[r * usedVectors + v]),
                  gep(cTile, kb.i64(r * shape.n + v * width)), lanesOf(v));
}

void GemmEmitter::emitPackBlock(llvm::Value *bMatrix, llvm::Value *bBase, llvm::Value *k0,
                                llvm::Value *kLen, llvm::Value *firstColumn, llvm::Value *panels,
                                llvm::Value *packed) {
  int64_t nr = variant.getNr();
  kb.loop(panels, [&](llvm::Value *panel) {
    llvm::Value *column0 = b.CreateAdd(firstColumn, b.CreateMul(panel, kb.i64(nr)));
    llvm::Value *panelBase = gep(packed, b.CreateMul(b.CreateMul(panel, kLen), kb.i64(nr)));
    kb.loop(kLen, [&](llvm::Value *kk) {
      llvm::Value *row = b.CreateAdd(
          bBase, b.CreateAdd(b.CreateMul(b.CreateAdd(k0, kk), kb.i64(shape.n)), column0));
      llvm::Value *target = gep(panelBase, b.CreateMul(kk, kb.i64(nr)));
      kb.loop(nr, [&](llvm::Value *j) {
        // Zero past N, so the micro-kernel loads whole vectors.
        llvm::Value *inside = b.CreateICmpULT(b.CreateAdd(column0, j), kb.i64(shape.n));
        llvm::Value *at = b.CreateSelect(inside, b.CreateAdd(row, j), bBase);
        llvm::Value *value = b.CreateLoad(storage, gep(bMatrix, at));
        b.CreateStore(b.CreateSelect(inside, value, llvm::Constant::getNullValue(storage)),
                      gep(target, j));
      });
    });
  });
}

void GemmEmitter::emit(llvm::Value *a, llvm::Value *bMatrix, llvm::Value *c,
                       const FusedBody &fused) {
  int64_t m = shape.m, n = shape.n, k = shape.k;
  int64_t mr = variant.getMr(), nr = variant.getNr(), kc = std::min(variant.getKc(), k);
  int64_t mc = std::min(variant.getMc(), ceilDiv(m, mr) * mr);
  int64_t nc = std::min(variant.getNc(), ceilDiv(n, nr) * nr);
  int64_t mBlocks = ceilDiv(m, mc), nBlocks = ceilDiv(n, nc), kBlocks = ceilDiv(k, kc);
  int64_t rowGroups = ceilDiv(m, mr), panelsTotal = ceilDiv(n, nr);
  int64_t rowTail = m % mr, columnTail = n % nr;
  r1k::Packing packing = variant.getPackB();
  // A static count, or the shorter one for the last block.
  auto lastOr = [&](llvm::Value *index, int64_t blocks, int64_t full, int64_t last) {
    if (full == last)
      return kb.i64(full);
    return b.CreateSelect(b.CreateICmpEQ(index, kb.i64(blocks - 1)), kb.i64(last),
                          kb.i64(full));
  };
  llvm::Value *packed =
      packing == r1k::Packing::run_time ? entryAlloca(storage, nc * kc) : nullptr;

  kb.loop(shape.batchCount * mBlocks * nBlocks, [&](llvm::Value *task) {
    llvm::Value *nBlock = b.CreateURem(task, kb.i64(nBlocks));
    llvm::Value *rest = b.CreateUDiv(task, kb.i64(nBlocks));
    llvm::Value *mBlock = b.CreateURem(rest, kb.i64(mBlocks));
    llvm::Value *linearBatch = b.CreateUDiv(rest, kb.i64(mBlocks));
    SmallVector<llvm::Value *> indices(shape.batch.size());
    for (int64_t d = int64_t(shape.batch.size()) - 1; d >= 0; --d) {
      indices[d] = d == 0 ? linearBatch : b.CreateURem(linearBatch, kb.i64(shape.batch[d]));
      if (d > 0)
        linearBatch = b.CreateUDiv(linearBatch, kb.i64(shape.batch[d]));
    }
    llvm::Value *aBase = b.CreateMul(kb.broadcastOffset(indices, shape.aBatch), kb.i64(m * k));
    llvm::Value *bBase = b.CreateMul(kb.broadcastOffset(indices, shape.bBatch), kb.i64(k * n));
    llvm::Value *cBase = b.CreateMul(kb.offset(indices, shape.batch), kb.i64(m * n));
    llvm::Value *row0 = b.CreateMul(mBlock, kb.i64(mc));
    llvm::Value *column0 = b.CreateMul(nBlock, kb.i64(nc));
    llvm::Value *groups =
        lastOr(mBlock, mBlocks, mc / mr, rowGroups - (mBlocks - 1) * (mc / mr));
    llvm::Value *panels =
        lastOr(nBlock, nBlocks, nc / nr, panelsTotal - (nBlocks - 1) * (nc / nr));

    kb.loop(kBlocks, [&](llvm::Value *kBlock) {
      llvm::Value *k0 = b.CreateMul(kBlock, kb.i64(kc));
      llvm::Value *kLen = lastOr(kBlock, kBlocks, kc, k - (kBlocks - 1) * kc);
      llvm::Value *first = b.CreateICmpEQ(kBlock, kb.i64(0));
      if (packed)
        emitPackBlock(bMatrix, bBase, k0, kLen, column0, panels, packed);
      kb.loop(panels, [&](llvm::Value *p) {
        llvm::Value *globalPanel = b.CreateAdd(b.CreateMul(nBlock, kb.i64(nc / nr)), p);
        llvm::Value *column = b.CreateAdd(column0, b.CreateMul(p, kb.i64(nr)));
        auto panelFor = [&](int64_t columns) -> Panel {
          switch (packing) {
          case r1k::Packing::compile_time:
            return {gep(bMatrix, b.CreateMul(b.CreateAdd(b.CreateMul(globalPanel, kb.i64(k)), k0),
                                             kb.i64(nr))),
                    nr, nr};
          case r1k::Packing::run_time:
            return {gep(packed, b.CreateMul(b.CreateMul(p, kLen), kb.i64(nr))), nr, nr};
          case r1k::Packing::none:
            break;
          }
          return {gep(bMatrix, b.CreateAdd(bBase, b.CreateAdd(b.CreateMul(k0, kb.i64(n)), column))),
                  n, columns};
        };
        kb.loop(groups, [&](llvm::Value *g) {
          llvm::Value *row = b.CreateAdd(row0, b.CreateMul(g, kb.i64(mr)));
          llvm::Value *aTile =
              gep(a, b.CreateAdd(aBase, b.CreateAdd(b.CreateMul(row, kb.i64(k)), k0)));
          llvm::Value *cTile =
              gep(c, b.CreateAdd(cBase, b.CreateAdd(b.CreateMul(row, kb.i64(n)), column)));
          auto forRows = [&](int64_t columns) {
            Panel panel = panelFor(columns);
            if (!rowTail)
              return emitMicroKernel(mr, columns, aTile, panel, cTile, kLen, first);
            llvm::Value *lastGroup = b.CreateICmpEQ(
                b.CreateAdd(b.CreateMul(mBlock, kb.i64(mc / mr)), g), kb.i64(rowGroups - 1));
            branch(
                lastGroup,
                [&] { emitMicroKernel(rowTail, columns, aTile, panel, cTile, kLen, first); },
                [&] { emitMicroKernel(mr, columns, aTile, panel, cTile, kLen, first); });
          };
          if (!columnTail)
            return forRows(nr);
          branch(
              b.CreateICmpEQ(globalPanel, kb.i64(panelsTotal - 1)),
              [&] { forRows(columnTail); }, [&] { forRows(nr); });
        });
      });
    });

    if (fused) {
      // The block's sums are final: its body runs while it is in cache.
      llvm::Value *rows = lastOr(mBlock, mBlocks, mc, m - (mBlocks - 1) * mc);
      llvm::Value *columns = lastOr(nBlock, nBlocks, nc, n - (nBlocks - 1) * nc);
      kb.loop(rows, [&](llvm::Value *r) {
        kb.loop(columns, [&](llvm::Value *col) {
          SmallVector<llvm::Value *> at(indices);
          at.push_back(b.CreateAdd(row0, r));
          at.push_back(b.CreateAdd(column0, col));
          fused(at);
        });
      });
    }
  });
}

} // namespace

std::vector<char> packGemmPanels(ArrayRef<char> bytes, int64_t k, int64_t n, int64_t nr,
                                 int64_t elementBytes) {
  int64_t panels = ceilDiv(n, nr);
  // Zero past N: the micro-kernel loads whole vectors of the last panel.
  std::vector<char> packed(panels * k * nr * elementBytes, 0);
  for (int64_t panel = 0; panel < panels; ++panel)
    for (int64_t row = 0; row < k; ++row) {
      int64_t columns = std::min(nr, n - panel * nr);
      std::memcpy(&packed[((panel * k + row) * nr) * elementBytes],
                  &bytes[(row * n + panel * nr) * elementBytes], columns * elementBytes);
    }
  return packed;
}

bool canFuseIntoGemm(r1::MatMulOp op) {
  GemmShape shape = shapeOf(op);
  return cast<RankedTensorType>(op.getType()).getRank() == int64_t(shape.batch.size()) + 2;
}

void emitGemm(KernelBuilder &kb, r1::MatMulOp op, r1k::HostGemmAttr variant, llvm::Value *a,
              llvm::Value *bMatrix, llvm::Value *c, const FusedBody &fused) {
  GemmEmitter(kb, op, variant).emit(a, bMatrix, c, fused);
}

} // namespace r1c
