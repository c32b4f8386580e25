//===- ImageOps.h - Resampling and rearranging ops, between files -*- C++ -*-===//
//
// The image ops (Resize, Upsample, ConvTranspose, DepthToSpace, SpaceToDepth,
// GridSample, AffineGrid, Col2Im, MaxUnpool, RoiAlign, DeformConv) are
// registered together by addImageOps, in ImageOps.cpp; the larger ones live
// in files of their own.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_LEGALIZEONNX_IMAGEOPS_H
#define R1C_PASSES_LEGALIZEONNX_IMAGEOPS_H

#include "passes/LegalizeOnnx/OnnxNode.h"

namespace mlir::r1 {

FailureOr<SmallVector<Value>> legalizeResize(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeUpsample(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeConvTranspose(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeGridSample(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeCol2Im(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeMaxUnpool(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeRoiAlign(OnnxNode &node);
FailureOr<SmallVector<Value>> legalizeDeformConv(OnnxNode &node);

/// MaxPool of `x` where r1.max_pool does not apply: an integer input, or
/// the Indices output read (PoolIndices.cpp).
FailureOr<SmallVector<Value>> legalizeMaxPoolByTaps(OnnxNode &node, Value x);

/// `input` reshaped to `dims`, which must be static except where a dim is
/// the input's own at the same position (written as 0, "copy"); null when
/// neither holds.
Value reshapeTo(OnnxNode &node, Value input, ArrayRef<int64_t> dims);

/// Zeros of `dims` and `element` type, where dim 0 alone may be dynamic
/// and then is dim 0 of `batchOf` at run time.
Value zerosOf(OnnxNode &node, Value batchOf, ArrayRef<int64_t> dims, Type element);

} // namespace mlir::r1

#endif // R1C_PASSES_LEGALIZEONNX_IMAGEOPS_H
