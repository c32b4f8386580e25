//===- AutoPrecision.h - --precision=auto in the driver ----------*- C++ -*-===//
//
// Compiles the calibrated model with precision switches for this CPU, runs
// the search of PrecisionSearch.h on the calibration sets (and held-out
// ones), and returns the chosen format of each op by the key that finds it
// in every shape bucket's graph; the report goes to --precision-report.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PRECISION_AUTOPRECISION_H
#define R1C_COMPILER_PRECISION_AUTOPRECISION_H

#include "compiler/calibration/Calibration.h"
#include "compiler/precision/PrecisionSearch.h"

#include <map>

namespace r1c {

struct AutoPrecisionOptions {
  AccuracyBudget budget;
  /// --precision-report: the JSON report here, the readable table beside
  /// it (FILE.txt); empty for neither.
  std::string reportPath;
  /// The sets, the CPU and progress, as calibration has them.
  CalibrationOptions calibration;
  /// --int8-smoothing and --int8-bias-correction: int8 is emulated
  /// smoothed and corrected as it will be compiled.
  double int8Smoothing = 0.75;
  bool int8BiasCorrection = true;
};

/// The format --precision=auto gives each op it lowers.
struct PrecisionPlan {
  std::map<CalibratedOpKey, mlir::r1::LoweredFormat> formats;
  /// How int8 ops are smoothed and corrected, as the search emulated them.
  double int8Smoothing = 0.0;
  bool int8BiasCorrection = false;
  /// One line for the user: how many ops took each format, and the
  /// measured accuracy against the budget.
  std::string summary;
};

/// Searches formats for the f32 contractions of `imported` with `ranges`
/// measured on the same sets. Fails after an error on stderr.
mlir::FailureOr<PrecisionPlan> searchAutoPrecision(mlir::ModuleOp imported,
                                                   const CalibrationTable &ranges,
                                                   const AutoPrecisionOptions &options);

/// Writes r1.precision on the ops of `graph` (graph phase, f32, before the
/// precision passes) that `plan` lowers, and on its int8 ops the smoothing
/// and bias correction the search emulated (not a shared activation: the
/// search measured each op alone); returns how many.
int64_t applyPrecisionPlan(mlir::ModuleOp graph, const PrecisionPlan &plan);

} // namespace r1c

#endif // R1C_COMPILER_PRECISION_AUTOPRECISION_H
