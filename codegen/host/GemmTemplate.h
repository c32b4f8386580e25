//===- GemmTemplate.h - Register-blocked host matmul -------------*- C++ -*-===//
//
// Host code for a matmul kernel that a select pass gave a #r1k.host_gemm
// variant: the loop nest, micro-kernel and B packing the variant names,
// with the kernel's fused body applied per block of C; with dot = dpbusd,
// the same for an 8-bit integer matmul or convolution.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_GEMMTEMPLATE_H
#define R1C_CODEGEN_HOST_GEMMTEMPLATE_H

#include "codegen/host/KernelBuilder.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include <functional>
#include <vector>

namespace r1c {

/// Computes and stores the fused body's element at `indices` of the result
/// (`linearOffset` elements into it), reading the matmul's element back
/// from the result buffer.
using FusedBody =
    std::function<void(llvm::ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset)>;

/// Which part of a GEMM kernel a phase emits: with pack_b = per_call, B is
/// packed into the kernel's scratch by a phase of its own, before the
/// tasks that compute C read it; every other variant has only `compute`.
enum class GemmPhase { packing, compute };

/// Emits `phase` of `op` as `variant` says. `bMatrix` is B in row-major
/// order, or, with pack_b = compile_time, B packed by packGemmPanels;
/// `scratch` (pack_b = per_call) holds getPerCallPanelElements elements.
/// `fused`, when set, runs once per element of C after its sum is final.
void emitGemm(KernelBuilder &kb, mlir::r1::MatMulOp op, mlir::r1k::HostGemmAttr variant,
              llvm::Value *a, llvm::Value *bMatrix, llvm::Value *c, llvm::Value *scratch,
              GemmPhase phase, const FusedBody &fused);

/// The same for a convolution, as an implicit GEMM per (image, group):
/// A is the weight, B the im2col matrix of the image, gathered into the
/// packed panels (pack_b = run_time per task, per_call once), or read in
/// place for a pointwise convolution (none); `bias` (may be null) starts
/// the sums.
void emitConvGemm(KernelBuilder &kb, mlir::r1::ConvOp op, mlir::r1k::HostGemmAttr variant,
                  llvm::Value *input, llvm::Value *weight, llvm::Value *bias, llvm::Value *out,
                  llvm::Value *scratch, GemmPhase phase, const FusedBody &fused);

/// Whether the result's indices are (batch..., row, column), so that a
/// fused body can run inside the GEMM (false when an operand is 1-D): a
/// matmul or matmul_integer.
bool canFuseIntoGemm(mlir::Operation *op);

/// An r1.matmul_integer or r1.conv_integer with dot = dpbusd: the
/// activation as the model gives it, the weight as packQuantizedWeight
/// packed it (a matmul's with pack_b = per_call: as the model gives it),
/// and its i32 terms (per output: the zero points' constant term, then the
/// weight's zero point, read when `weightZeros`).
struct QuantizedGemmOperands {
  llvm::Value *activation, *weight, *terms;
  bool activationSigned, weightSigned;
  int64_t activationZero;
  bool weightZeros;
};

/// Emits `phase` of the 8-bit GEMM `anchor` with vpdpbusd, exact i32 sums
/// into `c`: the same blocking as emitGemm and emitConvGemm (a matmul's
/// activation read in place as A, a convolution's gathered per call into
/// B's panels), the zero points applied as each block's sums are stored.
void emitQuantizedGemm(KernelBuilder &kb, mlir::Operation *anchor, mlir::r1k::HostGemmAttr variant,
                       const QuantizedGemmOperands &operands, llvm::Value *c, llvm::Value *scratch,
                       GemmPhase phase, const FusedBody &fused);

/// A constant 8-bit weight laid out for emitQuantizedGemm, as signed bytes
/// (a u8 weight flipped, w - 128): a matmul's as NR-wide panels of k-quads
/// (four k of a column in one 32-bit lane), a convolution's as rows of
/// whole quads (`nr` = 0) or, transposed, as NR-wide panels of its output
/// channels; K padded to a multiple of 4 with zeros. `terms`: per
/// output column (padded to whole panels) or channel, -za' * sum_k w' +
/// K * za' * zw', then zw', with za' and zw' the zero points as flipped.
struct QuantizedPacking {
  std::vector<char> bytes;
  std::vector<int32_t> terms;
  /// Whether some zw' is not 0, so that the activation's sums are needed.
  bool weightZeros = false;
};
QuantizedPacking packQuantizedWeight(mlir::Operation *anchor,
                                     const mlir::r1k::QuantizedWeight &weight,
                                     llvm::ArrayRef<char> bytes, int64_t nr);

/// A row-major K x N matrix of `elementBytes`-wide elements laid out as
/// ceil(N / nr) panels of K rows of `nr` elements, zero-padded past N: the
/// layout emitGemm reads with pack_b = compile_time. With `pairs` (dot =
/// dpbf16) each panel holds ceil(K / 2) row pairs, a column's two elements
/// side by side, an odd K's pad row zero.
std::vector<char> packGemmPanels(llvm::ArrayRef<char> bytes, int64_t k, int64_t n, int64_t nr,
                                 int64_t elementBytes, bool pairs = false);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_GEMMTEMPLATE_H
