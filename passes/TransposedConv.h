//===- TransposedConv.h - Convolutions computed as C^T on the host -*- C++ -*-===//
//
// A convolution's implicit GEMM keeps its output positions in the vectors,
// so a narrow output plane wastes lanes (7 x 7 = 49 positions fill 49 of
// 64). The transposed variant (#r1k.host_gemm<..., transposed = true>)
// broadcasts positions and fills the vectors with output channels instead;
// this is where the select passes decide it, for vpdpbusd and vdpbf16ps.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_TRANSPOSEDCONV_H
#define R1C_PASSES_TRANSPOSEDCONV_H

#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <string>

namespace r1c {

/// Tasks per core that the host's one-candidate GEMM variants (integer and
/// transposed) aim for, so that blocks of uneven cost still balance.
inline constexpr int64_t kHostTasksPerCore = 4;

/// Whether the convolution `conv` (r1.conv or r1.conv_integer) with GEMM
/// dims `dims` runs transposed with `dot` (dpbusd or dpbf16): one group
/// whose channels are whole k-groups of the instruction (quads, pairs),
/// output channels in whole 16-lane vectors, and an output plane that
/// vectors of positions would fill with more than 10% of the lanes empty.
bool runsTransposed(mlir::Operation *conv, const mlir::r1k::GemmDims &dims, mlir::r1k::HostDot dot);

/// The transposed variant: blocks of 8 positions x 48 output channels (24
/// accumulators), one K step, the tasks split over the output channels
/// until each core has several. `reason` says so, for the variant log.
mlir::r1k::HostGemmAttr chooseTransposedGemm(mlir::Operation *conv, const mlir::r1k::GemmDims &dims,
                                             mlir::r1k::HostDot dot, mlir::r1k::TargetAttr target,
                                             std::string &reason);

} // namespace r1c

#endif // R1C_PASSES_TRANSPOSEDCONV_H
