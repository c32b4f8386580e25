//===- KernelBuilder.h - Loops, loads and stores for host kernels -*- C++ -*-===//
//
// What every anchor emitter needs: counted loops and loop nests over static
// shapes, row-major offsets (with numpy broadcasting), and element loads and
// stores in ONNX's storage layout (booleans one byte each).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_KERNELBUILDER_H
#define R1C_CODEGEN_HOST_KERNELBUILDER_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/IR/IRBuilder.h"

namespace r1c {

class KernelBuilder {
public:
  explicit KernelBuilder(llvm::IRBuilder<> &builder) : b(builder) {}

  llvm::IRBuilder<> &b;

  /// Splits a kernel into tasks for threads: while set, the outermost loop
  /// the anchor emits is not a loop; its body runs once, for iteration
  /// `index` (the task's), and its trip count becomes the task count.
  /// The split is `valid` only if that loop is the only top-level loop and
  /// nothing is stored outside it, so tasks write disjoint data.
  struct TaskSplit {
    llvm::Value *index = nullptr;
    int64_t count = -1;
    bool valid = true;
  };
  TaskSplit *split = nullptr;
  /// The kernel's arena scratch (r1k::getScratchBytes) past what the
  /// emitter stages there, while an anchor that works in it is emitted;
  /// null otherwise.
  llvm::Value *scratch = nullptr;

  llvm::Value *i64(int64_t value) { return b.getInt64(value); }

  /// `for (i = 0; i < count; ++i) body(i)`.
  void loop(int64_t count, llvm::function_ref<void(llvm::Value *)> body);
  /// `for (i = 0; i < count; ++i) body(i)` with a count known at run time.
  void loop(llvm::Value *count, llvm::function_ref<void(llvm::Value *)> body);
  /// `if (condition) whenTrue() else whenFalse()`.
  void ifElse(llvm::Value *condition, llvm::function_ref<void()> whenTrue,
              llvm::function_ref<void()> whenFalse);
  /// Nested loops over every index of `shape`, innermost dim last.
  void loopNest(llvm::ArrayRef<int64_t> shape,
                llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body);

  /// Nested loops over extents known only at run time, innermost last.
  void loopNest(llvm::ArrayRef<llvm::Value *> extents,
                llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body);

  /// Row-major element offset of `indices` in a tensor of `shape` (same rank).
  llvm::Value *offset(llvm::ArrayRef<llvm::Value *> indices, llvm::ArrayRef<int64_t> shape);
  /// Offset in a tensor of `shape` broadcast to the rank of `indices`
  /// (aligned right; dims of 1 repeat).
  llvm::Value *broadcastOffset(llvm::ArrayRef<llvm::Value *> indices,
                               llvm::ArrayRef<int64_t> shape);

  llvm::Value *load(llvm::Value *base, llvm::Value *offset, mlir::Type element);
  void store(llvm::Value *value, llvm::Value *base, llvm::Value *offset, mlir::Type element);

  /// An element loaded and widened to its compute type (getComputeType),
  /// and the reverse: a compute-type value rounded to `element` and stored.
  llvm::Value *loadComputed(llvm::Value *base, llvm::Value *offset, mlir::Type element);
  void storeComputed(llvm::Value *value, llvm::Value *base, llvm::Value *offset,
                     mlir::Type element);

  /// A scalar of `element` type in registers.
  llvm::Value *constant(mlir::Type element, double value);

  /// A stack slot for an accumulator, hoisted to the function entry so loops
  /// can keep it in a register.
  llvm::Value *accumulator(mlir::Type element);
  /// A row of `length` elements of `element` type on the stack, 64-byte
  /// aligned, allocated once in the function's entry block.
  llvm::Value *stackRow(mlir::Type element, int64_t length);

private:
  /// Loops entered and not yet left; 0 is the kernel's top level.
  int depth = 0;
  /// `for (i = 0; i < count; ++i)`, with an entry test when count may be 0.
  void emitLoop(llvm::Value *count, bool mayBeEmpty,
                llvm::function_ref<void(llvm::Value *)> body);
  /// Emits `body` as the task split's iteration, if this loop is the split.
  bool splitLoop(int64_t count, llvm::function_ref<void(llvm::Value *)> body);
  /// loopNest as chunks of whole rows, so a task split has enough tasks
  /// even when the leading dims are 1.
  void loopNestInRowChunks(llvm::ArrayRef<int64_t> shape,
                           llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body);

  void loopNestFrom(llvm::ArrayRef<int64_t> shape, llvm::SmallVectorImpl<llvm::Value *> &indices,
                    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)> body);
};

} // namespace r1c

#endif // R1C_CODEGEN_HOST_KERNELBUILDER_H
