//===- FormKernels.cpp - Group r1 ops into kernels ------------------------===//
//
// Producer/consumer fusion of elementwise epilogues into their anchor. The
// rule is deliberately simple and always legal: a value is fused only into
// its single consumer, and only when the consumer does not broadcast it to a
// larger shape, so every kernel computes one output tensor element by element
// after its anchor. A value read several times joins too when all its
// readers are elementwise ops of its shape that meet again in one op before
// anything else reads them (x * sigmoid(x), an exported GELU, a softmax
// guarded by is_nan): the whole region joins at once, and the kernel still
// has one result. A dequantization read once, at its own shape, by an op of
// another kernel joins that kernel instead of making one of its own: the
// kernel reads the bytes and dequantizes them as it goes.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

namespace mlir::r1 {
#define GEN_PASS_DEF_FORMKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

/// Scalars and splats are copied into the kernels that read them, so code
/// generation sees their value; every other constant is a weight and stays
/// a kernel input.
bool isInlinedConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  return dense && (dense.getNumElements() <= 1 || dense.isSplat());
}

/// The kernel's anchor name: the r1 op's name without the dialect prefix.
std::string anchorName(Operation *op) {
  if (isElementwise(op))
    return "elementwise";
  return op->getName().stripDialect().str();
}

/// Ops of one kernel, in program order; the last one's results leave it.
struct Group {
  SmallVector<Operation *> ops;
  std::string anchor;
};

struct FormKernelsPass : r1::impl::FormKernelsBase<FormKernelsPass> {
  void runOnOperation() override;
};

/// Whether `op` is an elementwise op of one result shaped like `value`, so
/// that it may join a kernel whose output `value` is.
bool isSameShapeElementwise(Operation *op, Value value) {
  if (!isElementwise(op) || op->getNumResults() != 1)
    return false;
  // No broadcasting of the kernel's output to a larger shape.
  auto produced = dyn_cast<RankedTensorType>(value.getType());
  auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return produced && result && produced.getShape() == result.getShape();
}

/// Ops a convergent region may hold, and ops scanned to find its end.
constexpr int kMaxRegionOps = 16;
constexpr int kMaxScannedOps = 64;

/// The ops, in program order, that read `value` (read more than once) and
/// the values they make, up to the first op where every one of them is
/// consumed: empty unless all are same-shape elementwise ops and they meet
/// within a few ops.
SmallVector<Operation *> convergentRegion(Value value) {
  llvm::SmallPtrSet<Operation *, 8> region;
  SmallVector<Operation *> ordered;
  llvm::SmallSetVector<Value, 4> open;
  open.insert(value);
  auto consumed = [&](Value v) {
    return llvm::all_of(v.getUsers(), [&](Operation *user) { return region.contains(user); });
  };
  int scanned = 0;
  for (Operation *op = value.getDefiningOp()->getNextNode(); op && scanned < kMaxScannedOps;
       op = op->getNextNode(), ++scanned) {
    if (llvm::none_of(op->getOperands(), [&](Value operand) { return open.contains(operand); }))
      continue;
    if (!isSameShapeElementwise(op, value) || int(ordered.size()) == kMaxRegionOps)
      return {};
    region.insert(op);
    ordered.push_back(op);
    for (Value operand : op->getOperands())
      if (open.contains(operand) && consumed(operand))
        open.remove(operand);
    open.insert(op->getResult(0));
    if (open.size() == 1)
      return ordered;
  }
  return {};
}

/// Whether `consumer` may join the group that produced `value` on its own
/// (`value` read once), or, filled into `region`, with the convergent
/// region of a value read several times.
bool canFuseInto(Value value, Operation *consumer, const Group &group,
                 SmallVector<Operation *> &region) {
  if (group.ops.back() != value.getDefiningOp() || value.getDefiningOp()->getNumResults() != 1 ||
      !isSameShapeElementwise(consumer, value))
    return false;
  // A scatter's element is final only after the last update that lands on
  // it, which GPU code applies in a launch after the copy: a body fused
  // after it would need a launch of its own anyway. Non-maximum
  // suppression's rows are likewise final only in its last pass, and
  // non_zero's columns only once every element is counted. A body after
  // keep_leading would run over dims known only at run time.
  if (isa<ScatterElementsOp, ScatterNDOp, NonMaxSuppressionOp, NonZeroOp, KeepLeadingOp>(
          value.getDefiningOp()))
    return false;
  if (value.hasOneUse())
    return true;
  region = convergentRegion(value);
  return !region.empty() && region.front() == consumer;
}

/// Whether `group` holds one r1.dequantize and nothing else.
bool isLoneDequantize(const Group &group) {
  return group.ops.size() == 1 && isa<DequantizeOp>(group.ops.front());
}

/// The group that `group`, a lone r1.dequantize, joins: its one reader's,
/// where that reader is an elementwise op of the dequantized shape in
/// another group (nullptr otherwise).
Group *joinReader(const Group &group, const DenseMap<Operation *, Group *> &groupOf) {
  if (!isLoneDequantize(group))
    return nullptr;
  Value value = group.ops.front()->getResult(0);
  if (!value.hasOneUse())
    return nullptr;
  Operation *user = *value.getUsers().begin();
  auto reader = groupOf.find(user);
  if (reader == groupOf.end() || reader->second == &group || !isSameShapeElementwise(user, value))
    return nullptr;
  return reader->second;
}

void materialize(Group &group, OpBuilder &builder) {
  Operation *last = group.ops.back();
  llvm::SmallPtrSet<Operation *, 8> members(group.ops.begin(), group.ops.end());
  llvm::SetVector<Value> inputs;
  for (Operation *op : group.ops)
    for (Value operand : op->getOperands())
      if (!members.contains(operand.getDefiningOp()) && !isInlinedConstant(operand))
        inputs.insert(operand);

  builder.setInsertionPoint(last);
  // Named once all kernels are placed (see runOnOperation).
  auto kernel = builder.create<r1k::KernelOp>(
      last->getLoc(), last->getResultTypes(), builder.getStringAttr(group.anchor),
      builder.getStringAttr(group.anchor), inputs.getArrayRef(), /*variants=*/nullptr,
      /*result_offsets=*/nullptr, /*scratch_offset=*/nullptr);
  Block *body = builder.createBlock(&kernel.getBody());
  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
  builder.setInsertionPointToStart(body);
  for (Operation *op : group.ops) {
    for (Value operand : op->getOperands())
      if (!mapping.contains(operand) && isInlinedConstant(operand))
        mapping.map(operand, builder.clone(*operand.getDefiningOp())->getResult(0));
    builder.clone(*op, mapping);
  }
  SmallVector<Value> yielded;
  for (Value result : last->getResults())
    yielded.push_back(mapping.lookup(result));
  builder.create<r1k::YieldOp>(last->getLoc(), yielded);

  last->replaceAllUsesWith(kernel.getResults());
  for (Operation *op : llvm::reverse(group.ops))
    op->erase();
}

void FormKernelsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  // Groups in the order their anchors appear; `groupOf` maps each member.
  SmallVector<std::unique_ptr<Group>> groups;
  DenseMap<Operation *, Group *> groupOf;
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (op.getDialect() != getContext().getLoadedDialect<R1Dialect>() ||
        matchPattern(&op, m_Constant()) || isView(&op) || groupOf.count(&op))
      continue;
    if (isElementwise(&op)) {
      Group *joined = nullptr;
      SmallVector<Operation *> region;
      // A lone dequantization is the last choice: it would rather join
      // this op's kernel (joinReader) than take this op into its own.
      SmallVector<Value> operands(op.getOperands());
      std::stable_partition(operands.begin(), operands.end(), [&](Value operand) {
        auto it = groupOf.find(operand.getDefiningOp());
        return it == groupOf.end() || !isLoneDequantize(*it->second);
      });
      for (Value operand : operands) {
        region.clear();
        auto it = groupOf.find(operand.getDefiningOp());
        // An op joins one kernel only: a convergent region that reaches an
        // op another region has taken stays apart.
        if (it != groupOf.end() && canFuseInto(operand, &op, *it->second, region) &&
            llvm::none_of(region, [&](Operation *member) { return groupOf.count(member); })) {
          joined = it->second;
          break;
        }
      }
      if (joined) {
        // A convergent region joins whole, so that no value inside it is
        // read from outside the kernel.
        if (region.empty())
          region.push_back(&op);
        for (Operation *member : region) {
          joined->ops.push_back(member);
          groupOf[member] = joined;
        }
        continue;
      }
    }
    groups.push_back(std::make_unique<Group>());
    groups.back()->ops.push_back(&op);
    groups.back()->anchor = anchorName(&op);
    groupOf[&op] = groups.back().get();
  }
  for (std::unique_ptr<Group> &group : groups)
    if (Group *reader = joinReader(*group, groupOf)) {
      Operation *dequantize = group->ops.front();
      Operation *user = *dequantize->getUsers().begin();
      reader->ops.insert(llvm::find(reader->ops, user), dequantize);
      groupOf[dequantize] = reader;
      group->ops.clear();
    }
  OpBuilder builder(&getContext());
  for (std::unique_ptr<Group> &group : groups)
    if (!group->ops.empty())
      materialize(*group, builder);
  // Kernels sit where their last op was; number them in their final order
  // so names read top to bottom.
  int index = 0;
  func.walk([&](r1k::KernelOp kernel) {
    kernel.setName("k" + std::to_string(index++) + "_" + kernel.getAnchor().str());
  });
}

} // namespace
