//===- KernelWriter.h - What every GPU kernel template needs ----*- C++ -*-===//
//
// Internal to codegen/gpu. A template prints the body of one kernel
// function into a KernelWriter: element types as C++ types, operand loads,
// index arithmetic over static shapes (with numpy broadcasting), the fused
// elementwise body applied before the store, and warp and block reductions
// spelled through the target's preamble.
//
// Values are computed in a "compute type": float for f16, bf16 and f32,
// double for f64, the integer type itself (bool for i1). Half precision is
// rounded back after every op, as the host's half arithmetic does.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_KERNELWRITER_H
#define R1C_CODEGEN_GPU_KERNELWRITER_H

#include "codegen/gpu/KernelPrinter.h"

#include "mlir/IR/Operation.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <vector>

namespace r1c::gpu {

class KernelWriter {
public:
  KernelWriter(mlir::r1k::KernelOp kernel, mlir::Operation *anchor, const TargetInfo &target);

  mlir::r1k::KernelOp kernel;
  /// The anchor op; null for an "elementwise" kernel.
  mlir::Operation *anchor;
  const TargetInfo &target;
  /// The function body; templates print into it.
  std::string body;
  llvm::raw_string_ostream os{body};
  /// Set by the template.
  LaunchShape launch;
  /// A launch a template finished before the one it prints now: a scatter
  /// copies its data in one launch and applies the updates in the next, so
  /// that every copy is done before any update lands. All launches of a
  /// kernel take its parameters.
  struct EarlierLaunch {
    /// Added to the kernel's name and to the anchor in its symbol.
    std::string suffix;
    std::string body;
    LaunchShape launch;
  };
  std::vector<EarlierLaunch> earlierLaunches;
  /// Ends the launch printed so far (`body`, `launch`), which runs first,
  /// named with `suffix`; the template goes on to print the next.
  void endLaunch(llvm::StringRef suffix);
  /// Whether indices need 64 bits (a tensor of 2^31 elements or more).
  bool wideIndex = false;

  // Element types.
  static std::string computeType(mlir::Type element);
  static std::string storageType(mlir::Type element);
  /// Bytes of one stored element (booleans take one).
  static int64_t storageBytes(mlir::Type element);
  /// How many stored elements one 16-byte access moves (1 for wider ones).
  static int64_t lanesPer16Bytes(mlir::Type element);
  /// The preamble's type that moves `lanes` stored elements in one access.
  static std::string vectorType(mlir::Type element, int64_t lanes);
  /// What reductions accumulate in: the compute type, widened to int for
  /// 8- and 16-bit integers so warp shuffles can move it.
  static std::string accumulatorType(mlir::Type element);
  /// A stored element as a compute value, and back.
  static std::string fromStorage(mlir::Type element, llvm::StringRef raw);
  static std::string toStorage(mlir::Type element, llvm::StringRef value);
  /// A compute value rounded to `element` (f16, bf16; others unchanged).
  static std::string roundTo(mlir::Type element, llvm::StringRef value);
  /// The C++ literal of `value` in the compute type of `element`.
  static std::string literal(mlir::Type element, double value);
  /// The most negative and most positive value of `element`'s compute type
  /// (infinities for floats).
  static std::string lowest(mlir::Type element);
  static std::string highest(mlir::Type element);
  /// A math function for the compute type of `element`: "expf" or "exp".
  static std::string math(mlir::Type element, llvm::StringRef name);

  // Operands.
  /// The parameter that holds a kernel input, or a kernel result.
  static std::string inputName(unsigned index);
  static std::string resultName(unsigned index);
  /// `value` (a block argument or a splat constant of the body) at linear
  /// element `index`, as a compute value; "" (after an error on the op)
  /// for anything else.
  std::string element(mlir::Value value, llvm::StringRef index);
  /// The same as a stored value (for staging through shared memory).
  std::string storageElement(mlir::Value value, llvm::StringRef index);

  // Index arithmetic; `linear` is a C++ expression.
  /// "((linear / stride) % size)": index of dim `d` of `shape`, simplified.
  static std::string dimIndex(llvm::ArrayRef<int64_t> shape, unsigned d, llvm::StringRef linear);
  /// Offset in a tensor of `inShape` broadcast (numpy, aligned right) to
  /// `outShape`, of the element at `linear` in `outShape`.
  static std::string broadcastOffset(llvm::ArrayRef<int64_t> outShape,
                                     llvm::ArrayRef<int64_t> inShape, llvm::StringRef linear);
  /// An integer constant in the kernel's index type.
  std::string index(int64_t value) const;

  // The fused body.
  /// Reads a kernel input at the current output element.
  using InputReader = std::function<std::string(mlir::BlockArgument)>;
  /// Prints statements (each line starting with `indent`) that compute
  /// the kernel's result at output element `outIndex` from the anchor's
  /// value there (`anchorValue`, a compute value; unused without anchor),
  /// and sets `result` to the compute value. `read` overrides how inputs
  /// are read (default: broadcast loads at outIndex).
  mlir::LogicalResult printBody(llvm::StringRef indent, llvm::StringRef anchorValue,
                                llvm::StringRef outIndex, std::string &result,
                                const InputReader &read = nullptr);
  /// printBody, then stores the result into result 0 at `outIndex`.
  mlir::LogicalResult printStore(llvm::StringRef indent, llvm::StringRef anchorValue,
                                 llvm::StringRef outIndex);
  /// printStore at `outIndex` and the element after it, whose anchor values
  /// are `anchorValue` and `nextAnchorValue`: one 32-bit store of both when
  /// result 0 has 16-bit elements (`outIndex` must then be even), two
  /// stores otherwise.
  mlir::LogicalResult printStorePair(llvm::StringRef indent, llvm::StringRef anchorValue,
                                     llvm::StringRef nextAnchorValue, llvm::StringRef outIndex);
  /// The element type and shape of the kernel's result 0.
  mlir::RankedTensorType resultType(unsigned index = 0);

  // Reductions across threads; `combine(a, b)` is the C++ expression that
  // merges two partial values.
  using Combine = std::function<std::string(llvm::StringRef, llvm::StringRef)>;
  /// `var` combined over the lanes of each warp, in every lane.
  void printWarpReduce(llvm::StringRef indent, llvm::StringRef var, const Combine &combine);
  /// `var` (of C++ type `type`) combined over all `threads` threads of the
  /// block, in every thread; `identity` is the value that changes nothing.
  /// It declares its own shared scratch and ends with a barrier, so a
  /// template may reduce again right after it.
  void printBlockReduce(llvm::StringRef indent, llvm::StringRef var, llvm::StringRef type,
                        llvm::StringRef identity, const Combine &combine, int64_t threads);

  /// A fresh C++ identifier.
  std::string fresh(llvm::StringRef prefix);

  /// Grid size for `count` work items of `perBlock` each (at least 1).
  static int64_t blocksFor(int64_t count, int64_t perBlock);

private:
  int nextName = 0;
};

/// The C++ expression of one elementwise r1 op (ScalarExpressions.cpp) on
/// compute values `operands`; "" when GPU code has no spelling for it.
std::string printScalarOp(mlir::Operation *op, llvm::ArrayRef<std::string> operands);

// Templates, one family per file. Each prints the function body into the
// writer and sets its launch shape; failure after an error on the op.
mlir::LogicalResult printElementwiseKernel(KernelWriter &w); // ElementwisePrinter.cpp
mlir::LogicalResult printMatMulKernel(KernelWriter &w);      // ContractionPrinter.cpp
mlir::LogicalResult printConvKernel(KernelWriter &w);        // ConvPrinter.cpp
mlir::LogicalResult printPoolKernel(KernelWriter &w);        // ConvPrinter.cpp
mlir::LogicalResult printBatchNormKernel(KernelWriter &w);   // ConvPrinter.cpp
mlir::LogicalResult printReduceKernel(KernelWriter &w);      // ReductionPrinter.cpp
mlir::LogicalResult printArgReduceKernel(KernelWriter &w);   // ReductionPrinter.cpp
mlir::LogicalResult printSoftmaxKernel(KernelWriter &w);     // NormalizationPrinter.cpp
mlir::LogicalResult printLayerNormKernel(KernelWriter &w);   // NormalizationPrinter.cpp
mlir::LogicalResult printMovementKernel(KernelWriter &w);    // MovementPrinter.cpp
mlir::LogicalResult printScatterKernel(KernelWriter &w);     // ScatterPrinter.cpp
mlir::LogicalResult printTopKKernel(KernelWriter &w);        // TopKPrinter.cpp
mlir::LogicalResult printNonMaxSuppressionKernel(KernelWriter &w); // NonMaxSuppressionPrinter.cpp
mlir::LogicalResult printNonZeroKernel(KernelWriter &w);           // DataSizedPrinter.cpp
mlir::LogicalResult printKeepLeadingKernel(KernelWriter &w);       // DataSizedPrinter.cpp
mlir::LogicalResult printRecurrenceKernel(KernelWriter &w);        // RecurrencePrinter.cpp
mlir::LogicalResult printAttentionKernel(KernelWriter &w);         // AttentionPrinter.cpp

/// A batch of matrix products C[b] = A[b] B[b] (m x k times k x n) whose
/// operands and result are read and written through callbacks, so that
/// matmul and convolution (as an implicit GEMM) share one tiled template
/// (GemmPrinter.cpp).
struct GemmProblem {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  /// Storage element type of A and B.
  mlir::Type element;
  /// Statements run once per block, after `r1_b` (the batch index) is set.
  std::function<void(llvm::raw_ostream &, llvm::StringRef indent)> printSetup;
  /// Statements that assign the stored element A[row][col] (or B) to
  /// `dst`; only called in bounds.
  std::function<void(llvm::raw_ostream &, llvm::StringRef indent, llvm::StringRef row,
                     llvm::StringRef col, llvm::StringRef dst)>
      loadA, loadB;
  /// The address of stored element A[row][col] (or B), when a row's
  /// elements are consecutive in memory (a matmul's operands, not a
  /// convolution's gathered patches); null otherwise. Staging may then move
  /// a row's elements in 16-byte vectors.
  std::function<std::string(llvm::StringRef row, llvm::StringRef col)> addressA, addressB;
  /// A convolution that a template may run with K ordered (tap, channel)
  /// rather than as stored, (channel, tap): when its K steps are whole
  /// runs of channels, every element of a step lies in one tap, so the
  /// tap's window coordinates and bounds are worked out once per step and
  /// column instead of per element, and a patch element is one load at a
  /// fixed distance from the last.
  struct TapMajor {
    /// Input channels per group, and taps per channel (K = channels taps).
    int64_t channels = 0, taps = 0;
    /// The address of weight W[f][channel][tap] of the group (A's
    /// element); filters lie `k` elements apart.
    std::function<std::string(llvm::StringRef f, llvm::StringRef channel, llvm::StringRef tap)>
        weight;
    /// Statements run once per thread for output column `col` (image and
    /// output position).
    std::function<void(llvm::raw_ostream &, llvm::StringRef indent, llvm::StringRef col)> column;
    /// Statements for tap `tap` at that column: `r1_cv_ok` says whether the
    /// tap reads inside the input, `r1_cv_at` is the input offset of its
    /// channel 0.
    std::function<void(llvm::raw_ostream &, llvm::StringRef indent, llvm::StringRef tap)> tap;
    /// The address of the input element of channel `channel` at that tap;
    /// channels lie `channelStride` elements apart.
    std::function<std::string(llvm::StringRef channel)> input;
    int64_t channelStride = 0;
    /// Elements of the whole input, from the address of input channel 0 at
    /// offset 0 (r1_cv_at = 0, the first image).
    int64_t inputElements = 0;
  };
  std::optional<TapMajor> tapMajor;
  /// Statements that store the fp32 (or f64) accumulator `acc` of C[row][col].
  std::function<mlir::LogicalResult(llvm::StringRef indent, llvm::StringRef row,
                                    llvm::StringRef col, llvm::StringRef acc)>
      store;
  /// The same for C[row][col] and C[row][col + 1] at once (`col` even and
  /// both inside C), where the result is stored in pairs; null otherwise.
  std::function<mlir::LogicalResult(llvm::StringRef indent, llvm::StringRef row,
                                    llvm::StringRef col, llvm::StringRef acc,
                                    llvm::StringRef nextAcc)>
      storePair;
};
mlir::LogicalResult printGemm(KernelWriter &w, const GemmProblem &problem);

/// printGemm's template for AMD matrix cores (`mfma`, MfmaGemmPrinter.cpp):
/// `instruction` is the target's register-level MFMA.
mlir::LogicalResult printMfmaGemm(KernelWriter &w, const GemmProblem &problem,
                                  const MatrixInstruction &instruction,
                                  mlir::r1k::GpuGemmAttr variant, mlir::Operation *at);

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_KERNELWRITER_H
