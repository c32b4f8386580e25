//===- Calibration.h - Measured value ranges for integer formats -*- C++ -*-===//
//
// Calibration runs the f32 model on input sets and records the range of
// every non-constant f32 operand of r1.matmul and r1.conv, which integer
// formats spread their codes over. The ranges land on the graph-phase ops
// as r1.operand_ranges (#r1.range per operand, unit where not measured),
// which RangeAttr::ofOperand reads; a matmul's activation is also measured
// per channel of its last dim (r1.operand_channel_ranges), which int8
// smoothing reads, and the mean of each channel of a matmul's or a
// convolution's activation (r1.operand_channel_means), which int8 bias
// correction reads. docs/precision.md#calibration says what each method
// computes and which inputs are drawn without a folder.
//
// Measuring is separate from writing: with shape buckets the driver
// measures once, on a copy of the imported module specialized to the
// calibration inputs' shapes, and annotates each bucket's graph. Ops are
// matched by location, op name and ordinal among ops with both, so the
// graphs only need to come from the same imported model.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CALIBRATION_CALIBRATION_H
#define R1C_COMPILER_CALIBRATION_CALIBRATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace r1c {

/// How a measured distribution becomes a range.
enum class CalibrationMethod {
  MinMax,     ///< the smallest and largest value seen
  Percentile, ///< clipped at the 99.99th percentile of |x|
  Entropy,    ///< clipped where the KL divergence of 128 levels is least
};

std::optional<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name);

struct CalibrationOptions {
  /// A folder with one subfolder per input set (input_K.pb, or NAME.npy per
  /// input); empty to draw `samples` random sets.
  std::string inputDir;
  CalibrationMethod method = CalibrationMethod::MinMax;
  int64_t samples = 8;
  /// Seed of the random sets.
  uint64_t seed = 0;
  /// "NAME=SIZE[,SIZE...]" as r1c --dim: a random set's symbolic dim takes
  /// the first size given for it (8 if none).
  std::vector<std::string> dimSizes;
  /// As the graph pipeline of the compile: which matmuls stay matmuls.
  bool fuseAttention = true;
  /// Host level the measuring copy is compiled for.
  std::string cpu = "native";
  /// Called with a line of progress ("calibrating: set 3 of 8"); may be null.
  llvm::function_ref<void(const llvm::Twine &)> progress;
};

/// An op of a graph-phase module, independent of the module: its location,
/// name, and how many ops with both come before it in walk order.
using CalibratedOpKey = std::tuple<const void *, const void *, unsigned>;

/// The ranges one calibration measured, by op and operand index: [min,
/// max] after the method's clipping, f32 values held as doubles. Keys hold
/// uniqued locations and op names, so a table is valid for modules of the
/// MLIRContext it was measured in.
struct CalibrationTable {
  std::map<std::pair<CalibratedOpKey, unsigned>, std::pair<double, double>> ranges;
  /// Per channel (last dim), the unclipped min and max of a matmul's
  /// activation (operand 0), which int8 smoothing reads.
  std::map<std::pair<CalibratedOpKey, unsigned>, std::pair<std::vector<float>, std::vector<float>>>
      channelRanges;
  /// Per channel (a matmul activation's last dim, a convolution's dim 1),
  /// the mean of the activation (operand 0), which int8 bias correction
  /// reads.
  std::map<std::pair<CalibratedOpKey, unsigned>, std::vector<float>> channelMeans;
};

/// Calls `fn(op, key)` for every f32 r1.matmul and r1.conv of `func` (the
/// ops calibration measures), in walk order, with the key that finds the
/// op again in another graph of the same imported model.
void forEachCalibratedOp(mlir::func::FuncOp func,
                         llvm::function_ref<void(mlir::Operation *, CalibratedOpKey)> fn);

/// Measures ranges by running `imported` (import phase, or graph phase as
/// --compile-to writes it; not modified) on the input sets `options` names.
/// Fails after one error line on stderr that names the file and the input
/// (a missing input, a wrong dtype, rank or size, no sets).
mlir::FailureOr<CalibrationTable> measureRanges(mlir::ModuleOp imported,
                                                const CalibrationOptions &options);

/// Writes r1.operand_ranges on every f32 r1.matmul and r1.conv of `graph`
/// (the f32 graph phase: buildGraphPassPipeline's output, before
/// buildPrecisionPassPipeline) that `table` has a range for: one entry per
/// operand, a #r1.range or unit; r1.operand_channel_ranges on the
/// matmuls whose activation was measured per channel, and
/// r1.operand_channel_means on the matmuls and convolutions whose
/// activation's channel means were. Ops the measured graph did not have (a
/// graph specialized differently enough to fold other ops) get nothing.
/// Returns how many ops it annotated.
int64_t annotateRanges(mlir::ModuleOp graph, const CalibrationTable &table);

/// measureRanges on `imported`, then annotateRanges on each of `graphs`
/// (graph-phase modules compiled from `imported`, e.g. one per shape
/// bucket). Fails after an error on stderr.
mlir::LogicalResult calibrate(mlir::ModuleOp imported, llvm::ArrayRef<mlir::ModuleOp> graphs,
                              const CalibrationOptions &options);

} // namespace r1c

#endif // R1C_COMPILER_CALIBRATION_CALIBRATION_H
