//===- Tiers.h - Several compiled models in one artifact (r1c --tiers) ----===//
#ifndef R1C_COMPILER_DRIVER_TIERS_H
#define R1C_COMPILER_DRIVER_TIERS_H

#include "compiler/driver/CompilerDriver.h"

#include <string>
#include <vector>

namespace r1c {

struct TierOptions {
  /// The tiers' ONNX models, cheapest first; each compiles with the same
  /// options (targets, dims, cpu) as one model would.
  std::vector<std::string> models;
  /// "confidence:T" or "margin:T" (T in (0, 1]): the runtime's allocator
  /// runs tier 0 and escalates when a row of `cascadeOutput` scores below T.
  /// Empty: no cascade.
  std::string cascade;
  /// The output a cascade scores, by name; empty: the first output.
  std::string cascadeOutput;
};

/// Compiles every tier with `options` (inputPath ignored) and bundles them
/// into one artifact, OUT.r1 (artifact_format.h, "Tiers"). The tiers must
/// take the same inputs and give the same outputs. Returns the exit code,
/// with one line on stderr for a user error.
int runTieredCompiler(const CompilerOptions &options, const TierOptions &tiers);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_TIERS_H
