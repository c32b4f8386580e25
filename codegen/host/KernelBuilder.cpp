//===- KernelBuilder.cpp - Loops, loads and stores for host kernels -------===//
#include "codegen/host/KernelBuilder.h"
#include "codegen/host/ScalarOps.h"

#include <functional>

namespace r1c {

bool KernelBuilder::splitLoop(int64_t count, llvm::function_ref<void(llvm::Value *)> body) {
  if (!split || depth != 0)
    return false;
  if (split->count >= 0) {
    // A second top-level loop: tasks would each run all of it.
    split->valid = false;
    return false;
  }
  split->count = count;
  ++depth;
  body(split->index);
  --depth;
  return true;
}

void KernelBuilder::loop(int64_t count, llvm::function_ref<void(llvm::Value *)> body) {
  if (count <= 0)
    return;
  if (splitLoop(count, body))
    return;
  emitLoop(b.getInt64(count), /*mayBeEmpty=*/false, body);
}

void KernelBuilder::loop(llvm::Value *count, llvm::function_ref<void(llvm::Value *)> body) {
  // A trip count known only at run time cannot size the tasks.
  if (split && depth == 0)
    split->valid = false;
  emitLoop(count, /*mayBeEmpty=*/true, body);
}

void KernelBuilder::emitLoop(llvm::Value *count, bool mayBeEmpty,
                             llvm::function_ref<void(llvm::Value *)> body) {
  ++depth;
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *before = b.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(b.getContext(), "loop", function);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(b.getContext(), "loop.end", function);
  if (mayBeEmpty)
    b.CreateCondBr(b.CreateICmpSGT(count, b.getInt64(0)), header, exit);
  else
    b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode *index = b.CreatePHI(b.getInt64Ty(), 2, "i");
  index->addIncoming(b.getInt64(0), before);
  body(index);
  llvm::Value *next = b.CreateAdd(index, b.getInt64(1), "", /*HasNUW=*/true, /*HasNSW=*/true);
  index->addIncoming(next, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpSLT(next, count), header, exit);
  b.SetInsertPoint(exit);
  --depth;
}

void KernelBuilder::ifElse(llvm::Value *condition, llvm::function_ref<void()> whenTrue,
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

void KernelBuilder::loopNestFrom(llvm::ArrayRef<int64_t> shape,
                                 llvm::SmallVectorImpl<llvm::Value *> &indices,
                                 llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body) {
  if (indices.size() == shape.size())
    return body(indices);
  loop(shape[indices.size()], [&](llvm::Value *i) {
    indices.push_back(i);
    loopNestFrom(shape, indices, body);
    indices.pop_back();
  });
}

void KernelBuilder::loopNest(llvm::ArrayRef<int64_t> shape,
                             llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body) {
  if (split && depth == 0 && shape.size() >= 2)
    return loopNestInRowChunks(shape, body);
  llvm::SmallVector<llvm::Value *> indices;
  loopNestFrom(shape, indices, body);
}

void KernelBuilder::loopNest(llvm::ArrayRef<llvm::Value *> extents,
                             llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body) {
  llvm::SmallVector<llvm::Value *> indices;
  std::function<void()> nest = [&] {
    if (indices.size() == extents.size())
      return body(indices);
    loop(extents[indices.size()], [&](llvm::Value *i) {
      indices.push_back(i);
      nest();
      indices.pop_back();
    });
  };
  nest();
}

void KernelBuilder::loopNestInRowChunks(
    llvm::ArrayRef<int64_t> shape, llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body) {
  // About 8K elements per chunk, in whole rows; a divisor of the row count
  // keeps every chunk the same static size.
  constexpr int64_t kChunkElements = 8192;
  int64_t inner = shape.back(), rows = 1;
  for (int64_t dim : shape.drop_back())
    rows *= dim;
  if (rows <= 0 || inner <= 0)
    return;
  int64_t perChunk = std::max<int64_t>(1, std::min(rows, kChunkElements / inner));
  while (rows % perChunk != 0)
    --perChunk;
  loop(rows / perChunk, [&](llvm::Value *chunk) {
    loop(perChunk, [&](llvm::Value *r) {
      // The leading indices of row `row`, innermost first.
      llvm::Value *row = b.CreateAdd(b.CreateMul(chunk, b.getInt64(perChunk)), r);
      llvm::SmallVector<llvm::Value *> indices(shape.size());
      for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d) {
        indices[d] = d == 0 ? row : b.CreateURem(row, b.getInt64(shape[d]));
        if (d > 0)
          row = b.CreateUDiv(row, b.getInt64(shape[d]));
      }
      loop(inner, [&](llvm::Value *i) {
        indices.back() = i;
        body(indices);
      });
    });
  });
}

llvm::Value *KernelBuilder::offset(llvm::ArrayRef<llvm::Value *> indices,
                                   llvm::ArrayRef<int64_t> shape) {
  llvm::Value *linear = b.getInt64(0);
  int64_t stride = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    linear = b.CreateAdd(linear, b.CreateMul(indices[d], b.getInt64(stride)));
    stride *= shape[d];
  }
  return linear;
}

llvm::Value *KernelBuilder::broadcastOffset(llvm::ArrayRef<llvm::Value *> indices,
                                            llvm::ArrayRef<int64_t> shape) {
  llvm::Value *linear = b.getInt64(0);
  int64_t stride = 1;
  size_t skip = indices.size() - shape.size();
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] != 1)
      linear = b.CreateAdd(linear, b.CreateMul(indices[d + skip], b.getInt64(stride)));
    stride *= shape[d];
  }
  return linear;
}

llvm::Value *KernelBuilder::load(llvm::Value *base, llvm::Value *offset, mlir::Type element) {
  llvm::Type *storage = getStorageType(b.getContext(), element);
  llvm::Value *value = b.CreateLoad(storage, b.CreateGEP(storage, base, offset));
  return element.isInteger(1) ? b.CreateICmpNE(value, b.getInt8(0)) : value;
}

void KernelBuilder::store(llvm::Value *value, llvm::Value *base, llvm::Value *offset,
                          mlir::Type element) {
  // Every task would store it.
  if (split && depth == 0)
    split->valid = false;
  llvm::Type *storage = getStorageType(b.getContext(), element);
  if (element.isInteger(1))
    value = b.CreateZExt(value, storage);
  b.CreateStore(value, b.CreateGEP(storage, base, offset));
}

llvm::Value *KernelBuilder::loadComputed(llvm::Value *base, llvm::Value *offset,
                                         mlir::Type element) {
  llvm::Value *value = load(base, offset, element);
  mlir::Type compute = getComputeType(element);
  if (compute == element)
    return value;
  return b.CreateFPExt(value, getScalarType(b.getContext(), compute));
}

void KernelBuilder::storeComputed(llvm::Value *value, llvm::Value *base, llvm::Value *offset,
                                  mlir::Type element) {
  llvm::Type *type = getScalarType(b.getContext(), element);
  if (value->getType() != type)
    value = emitFloatTruncate(b, value, type);
  store(value, base, offset, element);
}

llvm::Value *KernelBuilder::constant(mlir::Type element, double value) {
  llvm::Type *type = getScalarType(b.getContext(), element);
  if (type->isFloatingPointTy())
    return llvm::ConstantFP::get(type, value);
  return llvm::ConstantInt::getSigned(type, static_cast<int64_t>(value));
}

llvm::Value *KernelBuilder::accumulator(mlir::Type element) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
  return entry.CreateAlloca(getScalarType(b.getContext(), element));
}

llvm::Value *KernelBuilder::stackRow(mlir::Type element, int64_t length) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
  llvm::AllocaInst *row =
      entry.CreateAlloca(getScalarType(b.getContext(), element), entry.getInt64(length));
  row->setAlignment(llvm::Align(64));
  return row;
}

} // namespace r1c
