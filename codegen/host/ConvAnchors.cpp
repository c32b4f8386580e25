//===- ConvAnchors.cpp - Host code for convolution, pooling, batch norm ---===//
//
// Direct loop nests over NCHW (any number of spatial dims). Convolution and
// pooling work one output row (the last spatial dim) at a time: the row is
// initialized (bias, 0 or the lowest float), then kernel taps add into it
// with loops over the row that are unit-stride for stride 1, so O3
// vectorizes them. Taps of the last kernel dim are unrolled at compile time,
// which makes the part of the row that reads inside the input a pair of
// constants: padding costs no per-element branch, and convolution takes all
// those taps of two input channels in one pass over the row's interior. The
// outer spatial dims test one condition per input row. f16 accumulates in
// f32 in a stack row, rounded once. The packed implicit-GEMM template of
// docs/design/host-codegen.md replaces the convolution loop nest.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/PoolWindow.h"
#include "dialects/R1/IR/R1Ops.h"

#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/MDBuilder.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

using mlir::r1::WindowDim;
using mlir::r1::windowDims;

/// The type an anchor accumulates in: f32 for f16 (whose sums would round at
/// every step), the element type for f32 and f64; null for anything else.
/// bf16 is left out: rounding to it needs a runtime call before AVX-512 BF16.
Type accumulationType(Type element) {
  if (element.isF16() || element.isBF16() || element.isF32() || element.isF64())
    return getComputeType(element);
  return nullptr;
}

/// Alias scopes telling LLVM that an anchor's result never overlaps its
/// operands (the memory plan writes in place only for elementwise kernels),
/// so the vectorized row loops need no run-time overlap checks.
struct AliasScopes {
  llvm::MDNode *result, *operands;

  explicit AliasScopes(llvm::LLVMContext &context) {
    llvm::MDBuilder builder(context);
    llvm::MDNode *domain = builder.createAnonymousAliasScopeDomain("r1c.anchor");
    result = llvm::MDNode::get(context, builder.createAnonymousAliasScope(domain, "result"));
    operands = llvm::MDNode::get(context, builder.createAnonymousAliasScope(domain, "operands"));
  }
  void mark(llvm::Value *access, bool isResult) const {
    auto *instruction = cast<llvm::Instruction>(access);
    instruction->setMetadata(llvm::LLVMContext::MD_alias_scope, isResult ? result : operands);
    instruction->setMetadata(llvm::LLVMContext::MD_noalias, isResult ? operands : result);
  }
};

/// Element loads and stores that convert between storage and accumulation.
struct Converter {
  KernelBuilder &kb;
  Type element, acc;
  AliasScopes scopes;

  Converter(KernelBuilder &kb, Type element, Type acc)
      : kb(kb), element(element), acc(acc), scopes(kb.b.getContext()) {}

  /// An operand element in the accumulation type.
  llvm::Value *load(llvm::Value *base, llvm::Value *offset) { return load(base, offset, element); }
  /// An operand element of type `from` (a convolution's 16-bit operands
  /// with an f32 result) in the accumulation type.
  llvm::Value *load(llvm::Value *base, llvm::Value *offset, Type from) {
    llvm::Value *value = kb.load(base, offset, from);
    scopes.mark(value, /*isResult=*/false);
    if (from == acc)
      return value;
    return kb.b.CreateFPExt(value, getScalarType(kb.b.getContext(), acc));
  }
  /// A result element from the accumulation type.
  void store(llvm::Value *value, llvm::Value *base, llvm::Value *offset) {
    llvm::Type *type = getScalarType(kb.b.getContext(), element);
    if (element != acc)
      value = emitFloatTruncate(kb.b, value, type);
    scopes.mark(kb.b.CreateStore(value, kb.b.CreateGEP(type, base, offset)), /*isResult=*/true);
  }
};

/// Where an output row accumulates: the output itself, or, for 16-bit
/// elements, a stack row of the accumulation type that is rounded into the
/// output once complete.
struct RowAccumulator {
  llvm::Value *base;
  llvm::Value *start; // offset of element 0 in `base`
  llvm::Type *type;
  const AliasScopes *scopes;

  llvm::Value *address(KernelBuilder &kb, llvm::Value *index) const {
    return kb.b.CreateGEP(type, base, kb.b.CreateAdd(start, index));
  }
  llvm::Value *load(KernelBuilder &kb, llvm::Value *index) const {
    llvm::Value *value = kb.b.CreateLoad(type, address(kb, index));
    scopes->mark(value, /*isResult=*/true);
    return value;
  }
  void store(KernelBuilder &kb, llvm::Value *value, llvm::Value *index) const {
    scopes->mark(kb.b.CreateStore(value, address(kb, index)), /*isResult=*/true);
  }
};

RowAccumulator rowFor(KernelBuilder &kb, Converter &convert, llvm::Value *out, llvm::Value *outRow,
                      int64_t length) {
  llvm::Type *type = getScalarType(kb.b.getContext(), convert.acc);
  if (convert.element == convert.acc)
    return {out, outRow, type, &convert.scopes};
  return {kb.stackRow(convert.acc, length), kb.i64(0), type, &convert.scopes};
}

/// Emits `body` under `condition`.
void emitIf(llvm::IRBuilder<> &b, llvm::Value *condition, llvm::function_ref<void()> body) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  auto *then = llvm::BasicBlock::Create(b.getContext(), "if.then", function);
  auto *end = llvm::BasicBlock::Create(b.getContext(), "if.end", function);
  b.CreateCondBr(condition, then, end);
  b.SetInsertPoint(then);
  body();
  b.CreateBr(end);
  b.SetInsertPoint(end);
}

/// `for (o = first; o < last; ++o) body(o)` with constant bounds.
void loopRange(KernelBuilder &kb, int64_t first, int64_t last,
               llvm::function_ref<void(llvm::Value *)> body) {
  kb.loop(last - first, [&](llvm::Value *i) { body(kb.b.CreateAdd(i, kb.i64(first))); });
}

/// Input coordinates of the outer (all but last) spatial dims for outputs
/// `o` and taps `k`, and whether all of them fall inside the input (null
/// when there are no outer dims).
llvm::Value *outerSources(KernelBuilder &kb, ArrayRef<WindowDim> outer, ArrayRef<llvm::Value *> o,
                          ArrayRef<llvm::Value *> k, SmallVectorImpl<llvm::Value *> &sources) {
  llvm::IRBuilder<> &b = kb.b;
  llvm::Value *inside = nullptr;
  for (auto [d, dim] : llvm::enumerate(outer)) {
    llvm::Value *at = b.CreateSub(
        b.CreateAdd(b.CreateMul(o[d], kb.i64(dim.stride)), b.CreateMul(k[d], kb.i64(dim.dilation))),
        kb.i64(dim.padBegin));
    sources.push_back(at);
    // Unsigned: a negative coordinate compares above any size.
    llvm::Value *valid = b.CreateICmpULT(at, kb.i64(dim.input));
    inside = inside ? b.CreateAnd(inside, valid) : valid;
  }
  return inside;
}

int64_t product(ArrayRef<int64_t> values) {
  int64_t result = 1;
  for (int64_t v : values)
    result *= v;
  return result;
}

} // namespace

LogicalResult emitConv(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                       ArrayRef<llvm::Value *> outputs) {
  auto op = cast<ConvOp>(anchor);
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  Type element = outType.getElementType();
  Type acc = accumulationType(element);
  if (!acc)
    return op.emitOpError("host code supports f16, bf16, f32 and f64 convolution only, not ")
           << element;
  // 16-bit operands may give f32 sums (r1.conv's verifier allows that and
  // nothing else); the bias has the operands' or the result's type.
  Type operandElement = inType.getElementType();
  Type biasElement =
      op.getBias() ? cast<ShapedType>(op.getBias().getType()).getElementType() : operandElement;
  if (weightType.getElementType() != operandElement ||
      (operandElement != element && !accumulationType(operandElement)) ||
      (biasElement != operandElement && biasElement != element))
    return op.emitOpError("host code needs input and weight of one element type, and a result "
                          "and bias of that type or f32");
  llvm::Value *input = inputs[0], *weight = inputs[1], *out = outputs[0];
  llvm::Value *bias = op.getBias() ? inputs[2] : nullptr;
  if (!input || !weight || (op.getBias() && !bias))
    return op.emitOpError("has an operand the host kernel cannot address");

  ArrayRef<int64_t> inShape = inType.getShape(), weightShape = weightType.getShape();
  SmallVector<WindowDim> dims = windowDims(inShape, outType.getShape(), weightShape.drop_front(2),
                                           op.getStrides(), op.getPads(), op.getDilations());
  // A pointwise convolution reads each plane as one long row.
  bool pointwise = llvm::all_of(dims, [](const WindowDim &d) {
    return d.kernel == 1 && d.stride == 1 && d.padBegin == 0 && d.padEnd == 0;
  });
  int64_t inPlane = product(inShape.drop_front(2));
  if (pointwise && dims.size() > 1 && (element == acc || inPlane <= 16384))
    dims = {WindowDim{inPlane, inPlane, 1, 1, 0, 0, 1}};

  int64_t batch = inShape[0], channels = inShape[1], filters = weightShape[0];
  int64_t group = op.getGroup(), groupChannels = channels / group, groupFilters = filters / group;
  ArrayRef<WindowDim> outer = ArrayRef(dims).drop_back();
  const WindowDim &last = dims.back();
  SmallVector<int64_t> outOuter = windowField(outer, &WindowDim::output),
                       inOuter = windowField(outer, &WindowDim::input),
                       kernelOuter = windowField(outer, &WindowDim::kernel);
  int64_t outPlane = product(outOuter) * last.output;
  int64_t kernelPlane = product(kernelOuter) * last.kernel;
  inPlane = product(inOuter) * last.input;

  // Inside [interiorBegin, interiorEnd) every tap of the last kernel dim reads
  // the input, so one pass takes them all; the edges go tap by tap.
  int64_t interiorBegin = 0, interiorEnd = last.output;
  for (int64_t kw = 0; kw < last.kernel; ++kw) {
    auto [first, end] = last.validOutputs(kw);
    interiorBegin = std::max(interiorBegin, first);
    interiorEnd = std::min(interiorEnd, end);
  }
  if (interiorBegin >= interiorEnd)
    interiorBegin = interiorEnd = last.output;
  // Input channels added in one pass over the row, which loads and stores the
  // row once per pass. Two measured best on x86-64-v4 for 3x3 and 7x7
  // kernels; four ran out of general registers for the input row pointers.
  int64_t channelBlock = last.kernel <= 8 ? 2 : 1;

  llvm::IRBuilder<> &b = kb.b;
  Converter convert(kb, element, acc);
  // One loop over (image, filter) pairs: each computes one output plane,
  // so a task split has enough tasks at batch 1.
  kb.loop(batch * filters, [&](llvm::Value *plane) {
    llvm::Value *n = b.CreateUDiv(plane, kb.i64(filters));
    llvm::Value *filter = b.CreateURem(plane, kb.i64(filters));
    llvm::Value *g = b.CreateUDiv(filter, kb.i64(groupFilters));
    llvm::Value *outChannel = b.CreateMul(plane, kb.i64(outPlane));
    kb.loopNest(outOuter, [&](ArrayRef<llvm::Value *> o) {
      llvm::Value *outRow =
          b.CreateAdd(outChannel, b.CreateMul(kb.offset(o, outOuter), kb.i64(last.output)));
      RowAccumulator row = rowFor(kb, convert, out, outRow, last.output);
      llvm::Value *init = bias ? convert.load(bias, filter, biasElement) : kb.constant(acc, 0);
      kb.loop(last.output, [&](llvm::Value *ow) { row.store(kb, init, ow); });
      // Adds input channels [firstChannel, firstChannel + count) of the group
      // into the row, all their taps along the row in one pass.
      auto addChannels = [&](llvm::Value *firstChannel, int64_t count) {
        SmallVector<llvm::Value *> inChannels, weightChannels;
        for (int64_t j = 0; j < count; ++j) {
          llvm::Value *ic = b.CreateAdd(firstChannel, kb.i64(j));
          llvm::Value *channel = b.CreateAdd(b.CreateMul(g, kb.i64(groupChannels)), ic);
          inChannels.push_back(b.CreateMul(
              b.CreateAdd(b.CreateMul(n, kb.i64(channels)), channel), kb.i64(inPlane)));
          weightChannels.push_back(
              b.CreateMul(b.CreateAdd(b.CreateMul(filter, kb.i64(groupChannels)), ic),
                          kb.i64(kernelPlane)));
        }
        kb.loopNest(kernelOuter, [&](ArrayRef<llvm::Value *> k) {
          SmallVector<llvm::Value *> sources;
          llvm::Value *inside = outerSources(kb, outer, o, k, sources);
          auto taps = [&] {
            llvm::Value *inRow = b.CreateMul(kb.offset(sources, inOuter), kb.i64(last.input));
            llvm::Value *weightRow =
                b.CreateMul(kb.offset(k, kernelOuter), kb.i64(last.kernel));
            // Tap (j, kw): weight w[j][kw], reading input row j from shifted[j][kw].
            SmallVector<SmallVector<llvm::Value *>> w(count), shifted(count);
            for (int64_t j = 0; j < count; ++j)
              for (int64_t kw = 0; kw < last.kernel; ++kw) {
                w[j].push_back(convert.load(
                    weight, b.CreateAdd(weightChannels[j], b.CreateAdd(weightRow, kb.i64(kw))),
                    operandElement));
                shifted[j].push_back(
                    b.CreateAdd(inChannels[j], b.CreateAdd(inRow, kb.i64(last.source(0, kw)))));
              }
            // Adds taps [fromTap, toTap) of the last kernel dim of every
            // channel into outputs [first, end).
            auto accumulate = [&](int64_t fromTap, int64_t toTap, int64_t first, int64_t end) {
              loopRange(kb, first, end, [&](llvm::Value *ow) {
                llvm::Value *sum = row.load(kb, ow);
                llvm::Value *at = b.CreateMul(ow, kb.i64(last.stride));
                for (int64_t j = 0; j < count; ++j)
                  for (int64_t kw = fromTap; kw < toTap; ++kw) {
                    llvm::Value *x =
                        convert.load(input, b.CreateAdd(shifted[j][kw], at), operandElement);
                    sum = b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {x->getType()},
                                            {w[j][kw], x, sum});
                  }
                row.store(kb, sum, ow);
              });
            };
            for (int64_t kw = 0; kw < last.kernel; ++kw) {
              auto [first, end] = last.validOutputs(kw);
              accumulate(kw, kw + 1, first, std::min(end, interiorBegin));
              accumulate(kw, kw + 1, std::max(first, interiorEnd), end);
            }
            accumulate(0, last.kernel, interiorBegin, interiorEnd);
          };
          if (inside)
            emitIf(b, inside, taps);
          else
            taps();
        });
      };
      kb.loop(groupChannels / channelBlock, [&](llvm::Value *block) {
        addChannels(b.CreateMul(block, kb.i64(channelBlock)), channelBlock);
      });
      int64_t blocked = groupChannels / channelBlock * channelBlock;
      kb.loop(groupChannels - blocked,
              [&](llvm::Value *rest) { addChannels(b.CreateAdd(rest, kb.i64(blocked)), 1); });
      if (row.base != out)
        kb.loop(last.output, [&](llvm::Value *ow) {
          convert.store(row.load(kb, ow), out, b.CreateAdd(outRow, ow));
        });
    });
  });
  return success();
}

LogicalResult emitPool(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                       ArrayRef<llvm::Value *> outputs) {
  PoolWindow window = getPoolWindow(anchor);
  bool isMax = window.isMax;
  ArrayRef<int64_t> kernel = window.kernel, strides = window.strides, pads = window.pads,
                    dilations = window.dilations;
  bool countIncludePad = window.countIncludePad;
  auto inType = cast<RankedTensorType>(anchor->getOperand(0).getType());
  auto outType = cast<RankedTensorType>(anchor->getResult(0).getType());
  Type element = outType.getElementType();
  // A max of 8-bit codes (int8 quantizes before the pool) compares them as
  // they are.
  bool codes = isMax && element.isInteger(8);
  Type acc = codes ? element : accumulationType(element);
  if (!acc)
    return anchor->emitOpError("host code supports f16, f32 and f64 pooling and max pooling of "
                               "8-bit integers only, not ")
           << element;
  llvm::Value *input = inputs[0], *out = outputs[0];
  if (!input)
    return anchor->emitOpError("has an operand the host kernel cannot address");

  ArrayRef<int64_t> inShape = inType.getShape();
  SmallVector<WindowDim> dims =
      windowDims(inShape, outType.getShape(), kernel, strides, pads, dilations);
  ArrayRef<WindowDim> outer = ArrayRef(dims).drop_back();
  const WindowDim &last = dims.back();
  SmallVector<int64_t> outOuter = windowField(outer, &WindowDim::output),
                       inOuter = windowField(outer, &WindowDim::input),
                       kernelOuter = windowField(outer, &WindowDim::kernel);
  int64_t outPlane = product(outOuter) * last.output;
  int64_t inPlane = product(inOuter) * last.input;

  llvm::IRBuilder<> &b = kb.b;
  Converter convert(kb, element, acc);
  llvm::Type *accType = getScalarType(b.getContext(), acc);
  // The lowest finite value, as ONNX Runtime starts a max from; the lowest
  // code for codes.
  llvm::Value *lowest =
      codes ? llvm::ConstantInt::get(accType, element.isUnsignedInteger()
                                                  ? llvm::APInt(8, 0)
                                                  : llvm::APInt::getSignedMinValue(8))
            : llvm::ConstantFP::get(accType, llvm::APFloat::getLargest(accType->getFltSemantics(),
                                                                       /*Negative=*/true));
  // Averages: the divisor of a window is the product of its tap counts per
  // dim. The outer dims' share is counted at run time over the valid rows,
  // the last dim's is a constant for each run of equal counts along the row.
  llvm::Value *rowCount =
      isMax ? nullptr : kb.accumulator(IntegerType::get(anchor->getContext(), 64));
  SmallVector<std::pair<int64_t, int64_t>> runs; // (end of run, tap count)
  for (int64_t ow = 0; ow < last.output; ++ow) {
    int64_t count = last.tapCount(ow, countIncludePad);
    if (runs.empty() || runs.back().second != count)
      runs.push_back({ow, count});
    runs.back().first = ow + 1;
  }

  kb.loop(inShape[0] * inShape[1], [&](llvm::Value *plane) {
    llvm::Value *outPlaneStart = b.CreateMul(plane, kb.i64(outPlane));
    llvm::Value *inPlaneStart = b.CreateMul(plane, kb.i64(inPlane));
    kb.loopNest(outOuter, [&](ArrayRef<llvm::Value *> o) {
      llvm::Value *outRow =
          b.CreateAdd(outPlaneStart, b.CreateMul(kb.offset(o, outOuter), kb.i64(last.output)));
      RowAccumulator row = rowFor(kb, convert, out, outRow, last.output);
      llvm::Value *init = isMax ? lowest : kb.constant(acc, 0);
      kb.loop(last.output, [&](llvm::Value *ow) { row.store(kb, init, ow); });
      if (rowCount)
        b.CreateStore(b.getInt64(0), rowCount);
      kb.loopNest(kernelOuter, [&](ArrayRef<llvm::Value *> k) {
        SmallVector<llvm::Value *> sources;
        llvm::Value *inside = outerSources(kb, outer, o, k, sources);
        if (rowCount && !outer.empty()) {
          llvm::Value *counted = inside;
          if (countIncludePad) {
            // Sources never fall before the begin pads; only the end matters.
            counted = nullptr;
            for (auto [d, dim] : llvm::enumerate(outer)) {
              llvm::Value *valid = b.CreateICmpSLT(sources[d], kb.i64(dim.input + dim.padEnd));
              counted = counted ? b.CreateAnd(counted, valid) : valid;
            }
          }
          b.CreateStore(b.CreateAdd(b.CreateLoad(b.getInt64Ty(), rowCount),
                                    b.CreateZExt(counted, b.getInt64Ty())),
                        rowCount);
        }
        auto taps = [&] {
          llvm::Value *inRow = b.CreateAdd(
              inPlaneStart, b.CreateMul(kb.offset(sources, inOuter), kb.i64(last.input)));
          for (int64_t kw = 0; kw < last.kernel; ++kw) {
            auto [first, end] = last.validOutputs(kw);
            llvm::Value *shifted = b.CreateAdd(inRow, kb.i64(last.source(0, kw)));
            loopRange(kb, first, end, [&](llvm::Value *ow) {
              llvm::Value *x =
                  convert.load(input, b.CreateAdd(shifted, b.CreateMul(ow, kb.i64(last.stride))));
              llvm::Value *current = row.load(kb, ow);
              llvm::Value *next;
              if (!isMax)
                next = b.CreateFAdd(current, x);
              else if (!codes)
                next = b.CreateSelect(b.CreateFCmpOGT(x, current), x, current);
              else if (element.isUnsignedInteger())
                next = b.CreateSelect(b.CreateICmpUGT(x, current), x, current);
              else
                next = b.CreateSelect(b.CreateICmpSGT(x, current), x, current);
              row.store(kb, next, ow);
            });
          }
        };
        if (inside)
          emitIf(b, inside, taps);
        else
          taps();
      });
      if (isMax) {
        if (row.base != out)
          kb.loop(last.output, [&](llvm::Value *ow) {
            convert.store(row.load(kb, ow), out, b.CreateAdd(outRow, ow));
          });
        return;
      }
      // An empty window sums to 0; dividing by at least 1 keeps it 0.
      llvm::Value *outerCount = kb.i64(1);
      if (!outer.empty()) {
        outerCount = b.CreateLoad(b.getInt64Ty(), rowCount);
        outerCount = b.CreateSelect(b.CreateICmpSGT(outerCount, kb.i64(1)), outerCount, kb.i64(1));
      }
      llvm::Value *outerDivisor = b.CreateSIToFP(outerCount, accType);
      int64_t first = 0;
      for (auto [end, count] : runs) {
        llvm::Value *divisor =
            b.CreateFMul(outerDivisor, kb.constant(acc, double(std::max<int64_t>(count, 1))));
        loopRange(kb, first, end, [&](llvm::Value *ow) {
          convert.store(b.CreateFDiv(row.load(kb, ow), divisor), out, b.CreateAdd(outRow, ow));
        });
        first = end;
      }
    });
  });
  return success();
}

LogicalResult emitBatchNorm(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                            ArrayRef<llvm::Value *> outputs) {
  auto op = cast<BatchNormOp>(anchor);
  auto type = cast<RankedTensorType>(op.getType());
  Type element = type.getElementType();
  Type acc = accumulationType(element);
  if (!acc)
    return op.emitOpError("host code supports f16, f32 and f64 batch normalization only, not ")
           << element;
  for (Value operand : op->getOperands())
    if (cast<ShapedType>(operand.getType()).getElementType() != element)
      return op.emitOpError("host code needs all operands of the result's element type");
  if (llvm::is_contained(inputs, nullptr))
    return op.emitOpError("has an operand the host kernel cannot address");
  ArrayRef<int64_t> shape = type.getShape();
  int64_t plane = product(shape.drop_front(2));

  llvm::IRBuilder<> &b = kb.b;
  Converter convert(kb, element, acc);
  llvm::Value *epsilon = kb.constant(acc, op.getEpsilon().convertToDouble());
  // One loop over (image, channel) planes, for enough tasks at batch 1.
  kb.loop(shape[0] * shape[1], [&](llvm::Value *nc) {
    llvm::Value *c = b.CreateURem(nc, kb.i64(shape[1]));
    // y = x * (scale / sqrt(var + eps)) + (bias - mean * that), as ONNX Runtime folds it.
    llvm::Value *variance = convert.load(inputs[4], c);
    llvm::Value *deviation = b.CreateIntrinsic(llvm::Intrinsic::sqrt, {variance->getType()},
                                               {b.CreateFAdd(variance, epsilon)});
    llvm::Value *scale = b.CreateFDiv(convert.load(inputs[1], c), deviation);
    llvm::Value *shift =
        b.CreateFSub(convert.load(inputs[2], c), b.CreateFMul(convert.load(inputs[3], c), scale));
    llvm::Value *start = b.CreateMul(nc, kb.i64(plane));
    kb.loop(plane, [&](llvm::Value *i) {
      llvm::Value *offset = b.CreateAdd(start, i);
      llvm::Value *x = convert.load(inputs[0], offset);
      convert.store(b.CreateFAdd(b.CreateFMul(x, scale), shift), outputs[0], offset);
    });
  });
  return success();
}

} // namespace r1c
