//===- PlanMemory.cpp - Static arena offsets by liveness ------------------===//
//
// Greedy-by-size placement: sort buffers by size, largest first, and give
// each the lowest aligned offset that no buffer with an overlapping lifetime
// occupies. It is simple, fast on models of thousands of kernels, and within
// a few percent of optimal on typical inference graphs.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

constexpr int64_t kAlignment = 64;
/// Marks a result the runtime places (its size depends on a dynamic dim).
constexpr int64_t kRuntimePlaced = -1;

/// Bytes of a tensor, or std::nullopt when a dim is dynamic.
std::optional<int64_t> byteSize(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return std::nullopt;
  int64_t bits = tensor.getElementTypeBitWidth();
  // Booleans and sub-byte types take a byte each, as the runtime stores them.
  int64_t bytes = tensor.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

/// Bytes to reserve for a result whose dims are computed at run time from
/// data, by its bound; std::nullopt when it has none.
std::optional<int64_t> boundedByteSize(Value value) {
  std::optional<int64_t> elements = r1k::getDataDependentShapeBound(value);
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  if (!elements || !tensor)
    return std::nullopt;
  int64_t bytes = *elements * std::max<int64_t>(1, (tensor.getElementTypeBitWidth() + 7) / 8);
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

/// The value whose storage `value` uses: through views to a kernel result,
/// a graph input or a constant.
Value storageOf(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isView(def))
      break;
    value = def->getOperand(0);
  }
  return value;
}

struct Buffer {
  Value leader;  // the kernel result that owns the storage (none for scratch)
  int64_t size;  // bytes, aligned
  int64_t first; // index of the kernel that writes it first
  int64_t last;  // index of the last kernel (or return) that reads it
  int64_t offset = kRuntimePlaced;
};

/// Union-find over kernel results: results in one set share storage.
class StorageSets {
public:
  void insert(Value value) {
    if (indexOf.try_emplace(value, parent.size()).second) {
      parent.push_back(parent.size());
      values.push_back(value);
    }
  }
  size_t find(Value value) { return root(indexOf.lookup(value)); }
  void join(Value a, Value b) { parent[find(a)] = find(b); }
  bool same(Value a, Value b) { return find(a) == find(b); }
  ArrayRef<Value> all() const { return values; }

private:
  size_t root(size_t i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  }
  DenseMap<Value, size_t> indexOf;
  SmallVector<size_t> parent;
  SmallVector<Value> values;
};

struct PlanMemoryPass : r1::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override;
};

void PlanMemoryPass::runOnOperation() {
  func::FuncOp func = getOperation();
  SmallVector<r1k::KernelOp> kernels;
  func.walk([&](r1k::KernelOp kernel) { kernels.push_back(kernel); });
  DenseMap<Operation *, int64_t> indexOf;
  for (auto [index, kernel] : llvm::enumerate(kernels))
    indexOf[kernel] = index;
  int64_t end = kernels.size(); // the return reads after every kernel

  // Kernel results that share storage: an elementwise kernel writes over an
  // input of its own size that it reads for the last time.
  StorageSets sharing;
  DenseMap<Value, int64_t> lastUse;
  auto noteUse = [&](Value value, int64_t at) {
    Value storage = storageOf(value);
    if (!isa_and_nonnull<r1k::KernelOp>(storage.getDefiningOp()))
      return;
    int64_t &last = lastUse[storage];
    last = std::max(last, at);
  };
  for (auto [index, kernel] : llvm::enumerate(kernels))
    for (Value input : kernel.getInputs())
      noteUse(input, index);
  for (Value returned : func.getBody().front().getTerminator()->getOperands())
    noteUse(returned, end);

  for (auto [index, kernel] : llvm::enumerate(kernels)) {
    for (Value result : kernel.getResults())
      sharing.insert(result);
    if (kernel.getAnchor() != "elementwise" || kernel.getNumResults() != 1)
      continue;
    Value result = kernel.getResult(0);
    for (Value input : kernel.getInputs()) {
      Value storage = storageOf(input);
      // Element i must be read before element i is written: the input must
      // have the result's shape (a broadcast input is read many times) and
      // element size, so the two share one layout.
      auto inputType = dyn_cast<RankedTensorType>(input.getType());
      auto resultType = dyn_cast<RankedTensorType>(result.getType());
      if (!isa_and_nonnull<r1k::KernelOp>(storage.getDefiningOp()) ||
          lastUse.lookup(storage) != int64_t(index) || !byteSize(result.getType()) ||
          !inputType || !resultType || inputType.getShape() != resultType.getShape() ||
          inputType.getElementTypeBitWidth() != resultType.getElementTypeBitWidth() ||
          byteSize(storage.getType()) != byteSize(result.getType()) ||
          sharing.same(storage, result))
        continue;
      // The reused storage must not be read by this kernel through two names.
      if (llvm::count_if(kernel.getInputs(),
                         [&](Value v) { return storageOf(v) == storage; }) != 1)
        continue;
      sharing.join(storage, result);
      break;
    }
  }

  // One buffer per set of shared storage, alive from first write to last read.
  SmallVector<Buffer> buffers;
  DenseMap<Value, size_t> bufferOf;
  llvm::MapVector<size_t, size_t> bufferOfSet;
  SmallVector<bool> dynamic;
  for (Value member : sharing.all()) {
    auto [it, inserted] = bufferOfSet.try_emplace(sharing.find(member), buffers.size());
    if (inserted) {
      buffers.push_back(Buffer{member, 0, end, 0});
      dynamic.push_back(false);
    }
    Buffer &buffer = buffers[it->second];
    std::optional<int64_t> size = byteSize(member.getType());
    if (!size)
      size = boundedByteSize(member);
    dynamic[it->second] = dynamic[it->second] || !size;
    buffer.size = std::max(buffer.size, size.value_or(0));
    int64_t def = indexOf.lookup(member.getDefiningOp());
    buffer.first = std::min(buffer.first, def);
    buffer.last = std::max(buffer.last, std::max(def, lastUse.lookup(member)));
    bufferOf[member] = it->second;
  }
  // Scratch a kernel's variant needs while it runs: a buffer alive for
  // that kernel alone, apart from its inputs and results. The dims a
  // keep_leading's GPU code leaves there live on: the runtime reads them
  // after the last launch.
  SmallVector<std::pair<r1k::KernelOp, size_t>> scratchOf;
  for (auto [index, kernel] : llvm::enumerate(kernels)) {
    int64_t bytes = r1k::getScratchBytes(kernel);
    if (bytes == 0) {
      kernel.removeScratchOffsetAttr();
      continue;
    }
    bool reportsDims = llvm::any_of(kernel.getBody().front(),
                                    [](Operation &op) { return isa<r1::KeepLeadingOp>(op); });
    scratchOf.emplace_back(kernel, buffers.size());
    buffers.push_back(Buffer{Value(), (bytes + kAlignment - 1) / kAlignment * kAlignment,
                             int64_t(index), reportsDims ? end : int64_t(index)});
    dynamic.push_back(false);
  }
  // Sizes that depend on a dynamic dim are placed by the runtime.
  for (auto [buffer, isDynamic] : llvm::zip(buffers, dynamic))
    if (isDynamic)
      buffer.size = 0;

  // Largest first, each at the lowest offset free for its whole lifetime.
  SmallVector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::stable_sort(order, [&](size_t a, size_t b) { return buffers[a].size > buffers[b].size; });
  SmallVector<size_t> placed;
  int64_t arenaSize = 0;
  for (size_t index : order) {
    Buffer &buffer = buffers[index];
    if (buffer.size == 0) {
      // Empty tensors hold no bytes: any offset will do.
      if (!dynamic[index])
        buffer.offset = 0;
      continue;
    }
    SmallVector<std::pair<int64_t, int64_t>> taken; // [offset, offset + size)
    for (size_t other : placed) {
      const Buffer &o = buffers[other];
      if (o.first <= buffer.last && buffer.first <= o.last)
        taken.emplace_back(o.offset, o.offset + o.size);
    }
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, finish] : taken) {
      if (offset + buffer.size <= begin)
        break;
      offset = std::max(offset, finish);
    }
    buffer.offset = offset;
    arenaSize = std::max(arenaSize, offset + buffer.size);
    placed.push_back(index);
  }

  Builder builder(&getContext());
  for (r1k::KernelOp kernel : kernels) {
    SmallVector<int64_t> offsets;
    for (Value result : kernel.getResults())
      offsets.push_back(buffers[bufferOf.lookup(result)].offset);
    kernel.setResultOffsets(offsets);
  }
  for (auto [kernel, buffer] : scratchOf)
    kernel.setScratchOffset(buffers[buffer].offset);
  r1k::setArenaSize(func, arenaSize);
}

} // namespace
