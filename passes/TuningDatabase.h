//===- TuningDatabase.h - Measured kernel variants, by problem ---*- C++ -*-===//
//
// `--tune` times the best candidates of each distinct kernel problem on the
// machine compiling and records the fastest here; r1c-select-variants then
// takes a recorded variant over its cost model's. The file is text, one
// record a line, sorted by key, so that runs merge by key and the same file
// always gives the same artifact:
//
//   host-x86-64-v4 gemm f32 b1 m128 k768 n768 weight -> mr=14 nr=32 vector=16 kc=256 mc=112 nc=512 pack_b=compile_time pack_a=false ms=0.0123 model_ms=0.0131
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_TUNINGDATABASE_H
#define R1C_PASSES_TUNINGDATABASE_H

#include "passes/HostGemmCostModel.h"

#include <map>
#include <optional>
#include <string>

namespace r1c {

/// The key of a GEMM problem on a target: what a measurement depends on.
std::string tuningKey(const std::string &variantKey, const GemmProblem &problem);

struct TunedVariant {
  GemmCandidate variant;
  /// Measured milliseconds of the tuned variant, and of the cost model's
  /// choice, for the record.
  double milliseconds = 0, modelMilliseconds = 0;
};

class TuningDatabase {
public:
  /// Reads `path`; a missing file is an empty database. Fails with `error`
  /// naming the file and line on a malformed record.
  bool load(const std::string &path, std::string &error);
  /// Writes every record, sorted by key.
  bool save(const std::string &path, std::string &error) const;

  const TunedVariant *lookup(const std::string &key) const;
  void record(const std::string &key, const TunedVariant &tuned) { records[key] = tuned; }
  size_t size() const { return records.size(); }

private:
  std::map<std::string, TunedVariant> records;
};

} // namespace r1c

#endif // R1C_PASSES_TUNINGDATABASE_H
