//===- ImageOps.h - Resampling and rearranging ops, between files -*- C++ -*-===//
//
// The image ops (Resize, Upsample, ConvTranspose, DepthToSpace, SpaceToDepth,
// GridSample, AffineGrid) are registered together by addImageOps, in
// ImageOps.cpp; the larger ones live in files of their own.
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

/// `input` reshaped to `dims`, which must be static except where a dim is
/// the input's own at the same position (written as 0, "copy"); null when
/// neither holds.
Value reshapeTo(OnnxNode &node, Value input, ArrayRef<int64_t> dims);

} // namespace mlir::r1

#endif // R1C_PASSES_LEGALIZEONNX_IMAGEOPS_H
