//===- CompilerDriver.h - What `r1c` does, as a library ---------*- C++ -*-===//
#ifndef R1C_COMPILER_DRIVER_COMPILERDRIVER_H
#define R1C_COMPILER_DRIVER_COMPILERDRIVER_H

#include "compiler/pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1c {

class WeightPool;

/// How compiled IR is written.
enum class EmitFormat {
  Mlir,         ///< MLIR text; weights as dense_resource blobs at the end
  MlirBytecode, ///< MLIR bytecode: compact, weights as raw bytes
  Llvm,         ///< optimized LLVM IR of the host code (with --target=host)
  Object,       ///< OUT.o and OUT.h for linking into an application (--target=host)
  Kernels,      ///< GPU kernel sources and binaries, into the directory -o names
};

/// Where host code finds the model's weights.
enum class WeightStorage {
  Embedded, ///< constants in OUT.o and in the artifact's host code
  External, ///< a side file, OUT.safetensors, that the artifact references
};

struct CompilerOptions {
  std::string inputPath;
  std::string outputPath = "-";
  CompilePhase phase = CompilePhase::Graph;
  EmitFormat emit = EmitFormat::Mlir;
  /// Print `loc(...)` on every op (ONNX node names).
  bool printLocations = false;
  /// Print weights as `__elided__` (readable, but not parseable again).
  bool elideWeights = false;
  /// Print pass timings to stderr.
  bool timing = false;
  /// Print what the model holds (weights, kernels) to stderr.
  bool stats = false;
  /// Code generation target; empty to stop at `phase` and print IR.
  std::string target;
  /// Host ISA: auto (x86-64-v3 and x86-64-v4 code in one artifact, which
  /// runs the best level the CPU has), native, x86-64-v3 (AVX2) or
  /// x86-64-v4 (AVX-512).
  std::string cpu = "auto";
  /// Where r1c-select-variants writes every candidate it scored ('-':
  /// stderr; empty: nowhere).
  std::string variantLog;
  /// --sparse-attention: dense, or
  /// gated[:block=..,keep=..,threshold=..,window=..,global=..,rest=..].
  std::string sparseAttention = "dense";
  /// false: attention stays matmul, softmax, matmul (to compare with).
  bool fuseAttention = true;
  /// --precision: fp32, bf16 or fp16 (r1c-select-precision's policy).
  std::string precision = "fp32";
  /// --int8-smoothing: alpha of int8 matmul smoothing (0 for off), for
  /// --precision=int8 and auto, on matmuls whose activation has outlier
  /// channels.
  double int8Smoothing = 0.75;
  /// --int8-bias-correction: for --precision=int8 and auto, take off the
  /// mean shift weight rounding gives each output channel.
  bool int8BiasCorrection = true;
  /// With --target=host: time the best candidates of each distinct kernel
  /// problem on this machine and record them in `tuningDb`.
  bool tune = false;
  /// The tuning database: read (and with `tune`, merged into and written).
  /// Empty: none, or with `tune`, OUT.tuning beside the output.
  std::string tuningDb;
  /// GPU targets: f32 matrix products may use TF32 tensor cores.
  bool allowTf32 = false;
  /// With --target=host: weights in the code, or in OUT.safetensors.
  WeightStorage weights = WeightStorage::Embedded;
  /// Report progress on stderr when it is a terminal.
  bool progress = true;
  /// Sizes for symbolic input dims, "NAME=SIZE[,SIZE...]" each. With
  /// --target=host every combination becomes a shape bucket with its own
  /// entry point; a symbolic dim not named here gets kDefaultBucketSizes.
  std::vector<std::string> dimSizes;
  /// --calibration: a folder of input sets to measure activation ranges on
  /// (compiler/calibration/Calibration.h). Given, calibration runs and
  /// writes r1.operand_ranges whatever the precision.
  std::string calibrationDir;
  /// Calibrate whatever the precision: set when a --calibration option is
  /// given (a folder, or random sets with --calibration-samples).
  bool calibrate = false;
  /// --calibration-method: minmax, percentile or entropy.
  std::string calibrationMethod = "minmax";
  /// --calibration-samples: random input sets drawn without a folder.
  int64_t calibrationSamples = 8;
  /// --accuracy-budget, for --precision=auto: "0.01" (relative error of
  /// the outputs) or "top1:0.99" (compiler/precision/PrecisionSearch.h).
  std::string accuracyBudget = "0.01";
  /// --precision-report: where --precision=auto writes what it chose (JSON,
  /// and a table in FILE.txt); empty for no report.
  std::string precisionReport;
  /// Set by r1c --tiers for each tier: the weights lie in this pool, which
  /// the tiered artifact stores once as its WEIGHTS section, instead of in
  /// the tier's own code or sections. Not owned.
  WeightPool *sharedWeights = nullptr;
};

/// Bucket sizes of a symbolic dim that `--dim` does not name.
inline constexpr int64_t kDefaultBucketSizes[] = {1, 2, 4, 8};

/// Runs the compiler; returns the process exit code (0 on success, 1 on a
/// user error, which is reported as one line on stderr).
int runCompiler(const CompilerOptions &options);

/// Compiles `module`, whose @main is at the plan phase with r1k.targets set
/// to the host level `cpu`, into an artifact in memory (`bytes`): host code
/// for that level, its plan, and the weights in its WEIGHTS section, so the
/// runtime loads it with r1rt_model_create_from_memory. Fails after an
/// error on stderr.
mlir::LogicalResult compileHostArtifact(mlir::ModuleOp module, const std::string &cpu,
                                        std::vector<uint8_t> &bytes);

/// Prints the ONNX op types r1c supports, one per line.
void printSupportedOps();

/// Version line of `r1c --version`.
std::string getVersionString();

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_COMPILERDRIVER_H
