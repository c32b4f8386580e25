//===- Tiers.h - Several compiled models in one artifact (r1c --tiers) ----===//
#ifndef R1C_COMPILER_DRIVER_TIERS_H
#define R1C_COMPILER_DRIVER_TIERS_H

#include "compiler/driver/CompilerDriver.h"

#include <string>
#include <vector>

namespace r1c {

struct TierOptions {
  /// The tiers' ONNX models, cheapest first; each compiles with the same
  /// options (targets, dims, cpu) as one model would. With `precisions`,
  /// the one model every tier compiles.
  std::vector<std::string> models;
  /// Precision tiers of one model (r1c MODEL --tiers=bf16,fp32): each
  /// tier's --precision, cheapest first, which also names it. Empty for
  /// tiers of several models.
  std::vector<std::string> precisions;
  /// "confidence:T" or "margin:T" (T in (0, 1]): the runtime's allocator
  /// runs tier 0 and escalates when a row of `cascadeOutput` scores below T.
  /// Empty: no cascade.
  std::string cascade;
  /// The output a cascade scores, by name; empty: the first output.
  std::string cascadeOutput;
};

/// Sorts the entries of --tiers into `tiers`: entries that are all
/// precisions (fp32, bf16, fp16) are precision tiers of `model`; otherwise
/// they are models, and `model` must be empty. Returns false after one line
/// on stderr: int8 and auto, which r1c cannot compile yet, a precision twice
/// or fp32 before a cheaper one, precisions mixed with models, or a MODEL
/// missing or given where it does not belong.
bool resolveTierEntries(const std::vector<std::string> &entries, const std::string &model,
                        TierOptions &tiers);

/// Compiles every tier with `options` (inputPath ignored) and bundles them
/// into one artifact, OUT.r1 (artifact_format.h, "Tiers"). The tiers must
/// take the same inputs and give the same outputs. A weight that several
/// tiers hold alike is stored once, in the artifact's WEIGHTS section. Returns the exit code,
/// with one line on stderr for a user error.
int runTieredCompiler(const CompilerOptions &options, const TierOptions &tiers);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_TIERS_H
