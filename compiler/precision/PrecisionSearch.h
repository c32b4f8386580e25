//===- PrecisionSearch.h - Per-op formats within an accuracy budget -*- C++ -*-===//
//
// --precision=auto: the cheapest format for each matmul and convolution
// such that the model's outputs stay within the user's accuracy budget of
// f32. On a model with precision switches (PrecisionSwitches.h), run on
// calibration sets:
//
// 1. sensitivity: the outputs' error with each switch alone on;
// 2. greedy choice by estimated time saved per unit of error, while the
//    errors, added in quadrature, fit the budget; one format per op, a
//    cheaper one replacing a dearer one where the budget still holds;
// 3. verification of the whole mix on the search sets, then on held-out
//    sets: while the budget does not hold, the chosen switch with the
//    largest error goes back (int8 to bf16 where bf16 is a switch, else to
//    f32);
// 4. for each format, the first op whose output departs from f32 by more
//    than 5% when every op takes that format.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_PRECISION_PRECISIONSEARCH_H
#define R1C_COMPILER_PRECISION_PRECISIONSEARCH_H

#include "compiler/precision/PrecisionSwitches.h"

#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace r1c {

/// What --accuracy-budget bounds: the relative error of the outputs
/// (||y - y_f32|| / ||y_f32||, worst output and set), or, for a
/// classifier, the share of rows of the first output whose arg max agrees
/// with f32's (at least `limit`).
struct AccuracyBudget {
  enum class Metric { RelativeError, TopOneAgreement };
  Metric metric = Metric::RelativeError;
  double limit = 0.01;

  /// "0.01" (relative error) or "top1:0.99"; std::nullopt when malformed.
  static std::optional<AccuracyBudget> parse(llvm::StringRef text);
  std::string describe() const;
};

/// Outputs of one run, each flattened to f32, with each output's shape.
struct RunOutputs {
  std::vector<std::vector<float>> values;
  std::vector<std::vector<int64_t>> shapes;
};

/// Runs set `set` of the switched model with `switches` (one 0/1 per
/// switch); the first `modelOutputs` outputs are the model's, the others
/// each switched op's result, in switch-op order.
using SwitchedRun =
    llvm::function_ref<mlir::FailureOr<RunOutputs>(size_t set, llvm::ArrayRef<float> switches)>;

/// Per switch, what the search knows and chose.
struct SwitchReport {
  std::string name; ///< the op's location
  std::string kind; ///< "matmul", "conv"
  int64_t macs = 0; ///< multiply-adds per run
  mlir::r1::LoweredFormat format;
  double error = 0;         ///< the outputs' relative error with it alone on
  double estimatedGain = 0; ///< multiply-adds' worth of time saved
  bool chosen = false;
};

struct SearchResult {
  std::vector<SwitchReport> switches;
  /// The budget's measure of the chosen mix on the search and held-out sets.
  double searchMeasure = 0, heldOutMeasure = 0;
  bool budgetMet = false;
  /// Per format tried: the first op (name) whose output departs from
  /// f32's by more than 5% with every op in that format; empty when none.
  std::vector<std::pair<mlir::r1::LoweredFormat, std::string>> firstDivergent;
};

struct SearchSetup {
  AccuracyBudget budget;
  /// Which sets the search and the verification run.
  std::vector<size_t> searchSets, heldOutSets;
  size_t modelOutputs = 0;
  /// The op (index into `ops`) of each switch, and each op's name.
  std::vector<size_t> switchOp;
  std::vector<std::string> opNames;
  llvm::function_ref<void(const llvm::Twine &)> progress;
};

/// Runs the search; `reports` arrive with name, kind, macs, format and
/// gain filled, and leave with error and chosen.
mlir::FailureOr<SearchResult> searchPrecisions(const SearchSetup &setup,
                                               std::vector<SwitchReport> reports, SwitchedRun run);

/// Multiply-adds of the contraction `op` per run (static shapes).
int64_t countMultiplyAdds(mlir::Operation *op);

/// How much faster a contraction runs in `format` than in f32 on the host
/// levels with the format's dot products (AVX512-VNNI, AVX512-BF16):
/// measured kernel speed-ups (bench/results), used only to rank choices.
double estimatedSpeedup(mlir::r1::LoweredFormat format);

/// The JSON and the readable table of `result`.
std::string formatReportJson(const SearchResult &result, const AccuracyBudget &budget);
std::string formatReportTable(const SearchResult &result, const AccuracyBudget &budget);

} // namespace r1c

#endif // R1C_COMPILER_PRECISION_PRECISIONSEARCH_H
