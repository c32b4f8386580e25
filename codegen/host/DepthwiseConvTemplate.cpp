//===- DepthwiseConvTemplate.cpp - Direct host depthwise convolution ------===//
//
// A depthwise convolution has one input channel per group: nothing to
// block as a GEMM, few FLOPs per byte, and so it is bound by how its loads
// are issued. Each task computes one output channel of one image, row by
// row; a step of a row keeps `vectors` vectors of adjacent output columns
// in registers and, per tap of the filter (a broadcast), loads the input
// lanes those columns read:
//
// - stride 1: one vector load of adjacent input columns;
// - stride 2: two adjacent loads whose even lanes a shuffle keeps;
// - other strides: a gather.
//
// Loads are masked to the input row, so the pads read as zero without a
// padded copy; a tap row outside the input is skipped, a test the loop
// drops when no output row reaches the pads. Stores are masked to the
// output row, and the fused body runs over the channel's plane right after
// it is stored, while it is in cache.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/DepthwiseConvTemplate.h"
#include "dialects/R1/IR/PoolWindow.h"

#include "llvm/IR/Intrinsics.h"

using namespace mlir;

namespace r1c {
namespace {

class DepthwiseConvEmitter {
public:
  DepthwiseConvEmitter(KernelBuilder &kb, r1::ConvOp op, r1k::HostDepthwiseConvAttr variant)
      : kb(kb), b(kb.b), op(op), lanes(variant.getVector()), vectors(variant.getVectors()),
        f32(b.getFloatTy()), vectorType(llvm::FixedVectorType::get(f32, lanes)) {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<r1::WindowDim> window = r1::windowDims(
        inType.getShape(), outType.getShape(), weightType.getShape().drop_front(2),
        op.getStrides(), op.getPads(), op.getDilations());
    columns = window.back();
    // A 1-D convolution is a 2-D one with a single row.
    rows = window.size() == 2 ? window.front() : r1::WindowDim{1, 1, 1, 1, 0, 0, 1};
    spatialRank = window.size();
    images = inType.getDimSize(0);
    inChannels = inType.getDimSize(1);
    outChannels = outType.getDimSize(1);
  }

  void emit(llvm::Value *input, llvm::Value *weight, llvm::Value *bias, llvm::Value *out,
            const FusedBody &fused);

private:
  /// <0, 1, ..., lanes - 1> * step + start, as i32 lanes.
  llvm::Value *laneColumns(llvm::Value *start, int64_t step) {
    SmallVector<llvm::Constant *> offsets;
    for (int64_t i = 0; i < lanes; ++i)
      offsets.push_back(b.getInt32(i * step));
    return b.CreateAdd(b.CreateVectorSplat(lanes, b.CreateTrunc(start, b.getInt32Ty())),
                       llvm::ConstantVector::get(offsets));
  }
  llvm::Value *below(llvm::Value *laneValues, int64_t bound) {
    return b.CreateICmpULT(laneValues, b.CreateVectorSplat(lanes, b.getInt32(bound)));
  }
  /// The input lanes that output columns ow0.. read with tap `kw`, from
  /// `row` (an input row), zero where they fall in the pads.
  llvm::Value *loadTap(llvm::Value *row, llvm::Value *ow0, int64_t kw);

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  r1::ConvOp op;
  int64_t lanes, vectors;
  llvm::Type *f32;
  llvm::FixedVectorType *vectorType;
  r1::WindowDim rows{}, columns{};
  int64_t spatialRank = 2, images = 1, inChannels = 1, outChannels = 1;
};

llvm::Value *DepthwiseConvEmitter::loadTap(llvm::Value *row, llvm::Value *ow0, int64_t kw) {
  llvm::Value *zero = llvm::Constant::getNullValue(vectorType);
  // First input column: may be negative (in the leading pad); the lanes
  // there are masked off and never read.
  llvm::Value *first = b.CreateSub(
      b.CreateAdd(b.CreateMul(ow0, kb.i64(columns.stride)), kb.i64(kw * columns.dilation)),
      kb.i64(columns.padBegin));
  auto maskedLoad = [&](llvm::Value *start) {
    llvm::Value *mask = below(laneColumns(start, 1), columns.input);
    return b.CreateMaskedLoad(vectorType, b.CreateGEP(f32, row, start), llvm::Align(4), mask,
                              zero);
  };
  if (columns.stride == 1)
    return maskedLoad(first);
  if (columns.stride == 2) {
    llvm::Value *low = maskedLoad(first);
    llvm::Value *high = maskedLoad(b.CreateAdd(first, kb.i64(lanes)));
    SmallVector<int> even;
    for (int64_t i = 0; i < lanes; ++i)
      even.push_back(2 * i);
    return b.CreateShuffleVector(low, high, even);
  }
  llvm::Value *sources = laneColumns(first, columns.stride);
  llvm::Value *pointers = b.CreateGEP(f32, row, sources);
  return b.CreateMaskedGather(vectorType, pointers, llvm::Align(4), below(sources, columns.input),
                              zero);
}

void DepthwiseConvEmitter::emit(llvm::Value *input, llvm::Value *weight, llvm::Value *bias,
                                llvm::Value *out, const FusedBody &fused) {
  int64_t multiplier = outChannels / inChannels;
  int64_t taps = rows.kernel * columns.kernel;
  int64_t inPlane = rows.input * columns.input, outPlane = rows.output * columns.output;
  int64_t stepColumns = lanes * vectors;
  int64_t steps = (columns.output + stepColumns - 1) / stepColumns;
  // Whether some output row reads a tap row in the pads.
  bool rowPads = false;
  for (int64_t kh = 0; kh < rows.kernel; ++kh)
    rowPads |= rows.validOutputs(kh) != std::pair<int64_t, int64_t>(0, rows.output);

  // The sums, in stack slots that SROA keeps in registers.
  llvm::IRBuilderBase::InsertPoint here = b.saveIP();
  llvm::Function *function = b.GetInsertBlock()->getParent();
  b.SetInsertPoint(&function->getEntryBlock(), function->getEntryBlock().begin());
  SmallVector<llvm::Value *> sums;
  for (int64_t v = 0; v < vectors; ++v)
    sums.push_back(b.CreateAlloca(vectorType));
  b.restoreIP(here);

  kb.loop(images * outChannels, [&](llvm::Value *task) {
    llvm::Value *image = b.CreateUDiv(task, kb.i64(outChannels));
    llvm::Value *channel = b.CreateURem(task, kb.i64(outChannels));
    llvm::Value *plane = b.CreateInBoundsGEP(
        f32, input,
        b.CreateMul(b.CreateAdd(b.CreateMul(image, kb.i64(inChannels)),
                                b.CreateUDiv(channel, kb.i64(multiplier))),
                    kb.i64(inPlane)));
    llvm::Value *outBase = b.CreateMul(task, kb.i64(outPlane));
    SmallVector<llvm::Value *> filter;
    for (int64_t t = 0; t < taps; ++t)
      filter.push_back(b.CreateVectorSplat(
          lanes, b.CreateLoad(f32, b.CreateInBoundsGEP(
                                       f32, weight,
                                       b.CreateAdd(b.CreateMul(channel, kb.i64(taps)), kb.i64(t))))));
    llvm::Value *start =
        bias ? b.CreateVectorSplat(lanes, b.CreateLoad(f32, b.CreateInBoundsGEP(f32, bias, channel)))
             : llvm::Constant::getNullValue(vectorType);

    kb.loop(rows.output, [&](llvm::Value *oh) {
      llvm::Value *outRow = b.CreateAdd(outBase, b.CreateMul(oh, kb.i64(columns.output)));
      kb.loop(steps, [&](llvm::Value *step) {
        SmallVector<llvm::Value *> ow0;
        for (int64_t v = 0; v < vectors; ++v) {
          ow0.push_back(b.CreateAdd(b.CreateMul(step, kb.i64(stepColumns)), kb.i64(v * lanes)));
          b.CreateStore(start, sums[v]);
        }
        for (int64_t kh = 0; kh < rows.kernel; ++kh) {
          llvm::Value *ih = b.CreateSub(
              b.CreateAdd(b.CreateMul(oh, kb.i64(rows.stride)), kb.i64(kh * rows.dilation)),
              kb.i64(rows.padBegin));
          auto accumulate = [&] {
            llvm::Value *row = b.CreateGEP(f32, plane, b.CreateMul(ih, kb.i64(columns.input)));
            for (int64_t kw = 0; kw < columns.kernel; ++kw)
              for (int64_t v = 0; v < vectors; ++v) {
                llvm::Value *sum = b.CreateLoad(vectorType, sums[v]);
                b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {vectorType},
                                                {loadTap(row, ow0[v], kw),
                                                 filter[kh * columns.kernel + kw], sum}),
                              sums[v]);
              }
          };
          if (!rowPads) {
            accumulate();
            continue;
          }
          // Unsigned: a row in the leading pad is negative.
          kb.ifElse(b.CreateICmpULT(ih, kb.i64(rows.input)), accumulate, [] {});
        }
        for (int64_t v = 0; v < vectors; ++v) {
          llvm::Value *mask = below(laneColumns(ow0[v], 1), columns.output);
          b.CreateMaskedStore(b.CreateLoad(vectorType, sums[v]),
                              b.CreateInBoundsGEP(f32, out, b.CreateAdd(outRow, ow0[v])),
                              llvm::Align(4), mask);
        }
      });
    });
    if (!fused)
      return;
    // One loop over the plane, which vectorizes with fewer tails than a
    // loop per row; the plane is still in L1 or L2.
    kb.loop(outPlane, [&](llvm::Value *at) {
      SmallVector<llvm::Value *> indices = {image, channel};
      if (spatialRank == 2)
        indices.push_back(b.CreateUDiv(at, kb.i64(columns.output)));
      indices.push_back(spatialRank == 2 ? b.CreateURem(at, kb.i64(columns.output)) : at);
      fused(indices, b.CreateAdd(outBase, at));
    });
  });
}

} // namespace

void emitDepthwiseConv(KernelBuilder &kb, r1::ConvOp op, r1k::HostDepthwiseConvAttr variant,
                       llvm::Value *input, llvm::Value *weight, llvm::Value *bias,
                       llvm::Value *out, const FusedBody &fused) {
  DepthwiseConvEmitter(kb, op, variant).emit(input, weight, bias, out, fused);
}

} // namespace r1c
