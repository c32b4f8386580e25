//===- DepthwiseConvTemplate.h - Direct host depthwise convolution -*- C++ -*-===//
//
// Host code for a convolution that a select pass gave a
// #r1k.host_depthwise_conv variant: each output channel filters its one
// input plane, a vector of output columns at a time.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_DEPTHWISECONVTEMPLATE_H
#define R1C_CODEGEN_HOST_DEPTHWISECONVTEMPLATE_H

#include "codegen/host/GemmTemplate.h"

namespace r1c {

/// Emits `op` as `variant` says: one task per (image, output channel);
/// `bias` may be null. `fused`, when set, runs on each output plane once
/// the plane is stored.
void emitDepthwiseConv(KernelBuilder &kb, mlir::r1::ConvOp op,
                       mlir::r1k::HostDepthwiseConvAttr variant, llvm::Value *input,
                       llvm::Value *weight, llvm::Value *bias, llvm::Value *out,
                       const FusedBody &fused);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_DEPTHWISECONVTEMPLATE_H
