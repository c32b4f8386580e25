//===- HostDepthwiseConv.h - Which convolutions run the depthwise kernel -*- C++ -*-===//
//
// The direct host kernel for depthwise convolutions (#r1k.host_depthwise_conv):
// which kernels it computes, and its variant on a target.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_HOSTDEPTHWISECONV_H
#define R1C_PASSES_HOSTDEPTHWISECONV_H

#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/R1KDialect.h"

namespace r1c {

/// The convolution `kernel` computes when the depthwise kernel can: every
/// group reads one input channel, f32, one or two spatial dims, static
/// shapes, operands that are kernel inputs. Null otherwise.
mlir::r1::ConvOp getHostDepthwiseConv(mlir::r1k::KernelOp kernel);

/// The variant for `conv` on the host `target`: vectors as wide as the
/// target's, and as many per step as an output row fills, up to four, so
/// that each tap's broadcast serves several loads and FMAs.
mlir::r1k::HostDepthwiseConvAttr chooseHostDepthwiseConv(mlir::r1::ConvOp conv,
                                                         mlir::r1k::TargetAttr target);

} // namespace r1c

#endif // R1C_PASSES_HOSTDEPTHWISECONV_H
