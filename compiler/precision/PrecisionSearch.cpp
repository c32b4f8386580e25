//===- PrecisionSearch.cpp - Per-op formats within an accuracy budget -----===//
#include "compiler/precision/PrecisionSearch.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {

std::optional<AccuracyBudget> AccuracyBudget::parse(llvm::StringRef text) {
  AccuracyBudget budget;
  if (text.consume_front("top1:"))
    budget.metric = Metric::TopOneAgreement;
  double value;
  if (text.getAsDouble(value) || !(value > 0) || !(value < 1))
    return std::nullopt;
  budget.limit = value;
  return budget;
}

std::string AccuracyBudget::describe() const {
  if (metric == Metric::TopOneAgreement)
    return llvm::formatv("top-1 agreement with f32 at least {0}", limit).str();
  return llvm::formatv("relative error of the outputs at most {0}", limit).str();
}

int64_t countMultiplyAdds(Operation *op) {
  auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  auto weight = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  if (!result || !weight || !result.hasStaticShape() || !weight.hasStaticShape())
    return 0;
  // Each output element sums K products: K is the weight's rows (matmul)
  // or its elements per filter (convolution, per group).
  int64_t k = isa<MatMulOp>(op) ? weight.getDimSize(weight.getRank() - 2)
                                : weight.getNumElements() / weight.getDimSize(0);
  return result.getNumElements() * k;
}

double estimatedSpeedup(LoweredFormat format) {
  switch (format) {
  case LoweredFormat::Int8:
    return 3.5; // vpdpbusd: 4 products per lane, 4x vfmadd231ps's
  case LoweredFormat::BFloat16:
    return 2.0; // vdpbf16ps: bench/results/2026-12-07-bf16-gemm.md
  case LoweredFormat::Float16:
    return 1.0; // widened to f32 on CPUs without AVX512-FP16
  }
  return 1.0;
}

namespace {

/// Rounds of the greedy choice with its limit scaled by measurement.
constexpr int kScalingRounds = 4;

/// Sets each switch alone runs on: its error only ranks the switches (the
/// mixes are measured on every search set), and one run per switch and set
/// is most of the search's time.
constexpr size_t kSensitivitySets = 2;

double relativeError(ArrayRef<float> got, ArrayRef<float> want) {
  double difference = 0, norm = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    double d = double(got[i]) - double(want[i]);
    difference += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  if (norm == 0)
    return difference == 0 ? 0 : INFINITY;
  return std::sqrt(difference / norm);
}

/// Rows of the first output (its last dim the classes) whose arg max
/// differs between `got` and `want`, and the rows there are.
std::pair<int64_t, int64_t> topOneDisagreements(const RunOutputs &got, const RunOutputs &want) {
  const std::vector<float> &a = got.values.front(), &b = want.values.front();
  int64_t classes = want.shapes.front().empty() ? 1 : want.shapes.front().back();
  int64_t rows = classes > 0 ? int64_t(b.size()) / classes : 0, differ = 0;
  for (int64_t row = 0; row < rows; ++row) {
    auto first = [&](const std::vector<float> &v) {
      auto begin = v.begin() + row * classes;
      return std::max_element(begin, begin + classes) - begin;
    };
    differ += first(a) != first(b);
  }
  return {differ, rows};
}

struct Search {
  const SearchSetup &setup;
  std::vector<SwitchReport> &reports;
  SwitchedRun run;
  /// f32's outputs per set.
  std::vector<RunOutputs> reference;

  std::vector<float> switchesOf(ArrayRef<size_t> on) const {
    std::vector<float> switches(reports.size(), 0.0f);
    for (size_t j : on)
      switches[j] = 1.0f;
    return switches;
  }

  /// The outputs' worst relative error over `sets` with `on` switched on.
  FailureOr<double> relativeErrorOf(ArrayRef<size_t> on, ArrayRef<size_t> sets) {
    double worst = 0;
    std::vector<float> switches = switchesOf(on);
    for (size_t set : sets) {
      FailureOr<RunOutputs> outputs = run(set, switches);
      if (failed(outputs))
        return failure();
      for (size_t o = 0; o < setup.modelOutputs; ++o)
        worst = std::max(worst, relativeError(outputs->values[o], reference[set].values[o]));
    }
    return worst;
  }

  /// The budget's own measure over `sets`: the relative error, or the
  /// top-1 agreement.
  FailureOr<double> measureOf(ArrayRef<size_t> on, ArrayRef<size_t> sets) {
    if (setup.budget.metric == AccuracyBudget::Metric::RelativeError)
      return relativeErrorOf(on, sets);
    int64_t differ = 0, rows = 0;
    std::vector<float> switches = switchesOf(on);
    for (size_t set : sets) {
      FailureOr<RunOutputs> outputs = run(set, switches);
      if (failed(outputs))
        return failure();
      auto [d, r] = topOneDisagreements(*outputs, reference[set]);
      differ += d;
      rows += r;
    }
    return rows ? 1.0 - double(differ) / double(rows) : 1.0;
  }

  bool holds(double measure) const {
    return setup.budget.metric == AccuracyBudget::Metric::RelativeError
               ? measure <= setup.budget.limit
               : measure >= setup.budget.limit;
  }

  /// The chosen switch whose error is largest: it goes back to a higher
  /// precision.
  void backOff(std::vector<size_t> &chosen) {
    auto worst = std::max_element(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
      return reports[a].error < reports[b].error;
    });
    size_t dropped = *worst;
    chosen.erase(worst);
    reports[dropped].chosen = false;
    // int8 to bf16 when bf16 is a switch of the same op and errs less.
    if (reports[dropped].format != LoweredFormat::Int8)
      return;
    for (size_t j = 0; j < reports.size(); ++j)
      if (setup.switchOp[j] == setup.switchOp[dropped] &&
          reports[j].format == LoweredFormat::BFloat16 &&
          reports[j].error < reports[dropped].error && reports[j].estimatedGain > 0) {
        reports[j].chosen = true;
        chosen.push_back(j);
        return;
      }
  }
};

} // namespace

FailureOr<SearchResult> searchPrecisions(const SearchSetup &setup,
                                         std::vector<SwitchReport> reports, SwitchedRun run) {
  Search search{setup, reports, run, {}};
  auto progress = [&](const llvm::Twine &what) {
    if (setup.progress)
      setup.progress(what);
  };
  size_t sets = 0;
  for (size_t set : setup.searchSets)
    sets = std::max(sets, set + 1);
  for (size_t set : setup.heldOutSets)
    sets = std::max(sets, set + 1);
  search.reference.resize(sets);
  std::vector<float> off(reports.size(), 0.0f);
  for (size_t set = 0; set < sets; ++set) {
    FailureOr<RunOutputs> outputs = run(set, off);
    if (failed(outputs))
      return failure();
    search.reference[set] = std::move(*outputs);
  }

  // 1. Each switch alone. The ranking uses the relative error whatever
  // the budget's metric: top-1 agreement barely moves for one op.
  for (size_t j = 0; j < reports.size(); ++j) {
    progress(llvm::formatv("precision search: {0} in {1} ({2} of {3})", reports[j].name,
                           getLoweredFormatName(reports[j].format), j + 1, reports.size()));
    size_t on[] = {j};
    FailureOr<double> error =
        search.relativeErrorOf(on, ArrayRef<size_t>(setup.searchSets).take_front(kSensitivitySets));
    if (failed(error))
      return failure();
    reports[j].error = *error;
  }

  // 2. Greedy: most time saved per unit of error first, one format per op,
  // while the errors added in quadrature fit. A top-1 budget has no error
  // scale of its own: every switch is tried, and step 3 backs off.
  std::vector<size_t> order(reports.size());
  std::iota(order.begin(), order.end(), 0);
  auto merit = [&](size_t j) {
    return reports[j].estimatedGain / std::max(reports[j].error, 1e-12);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return merit(a) > merit(b); });
  // An op moves to a switch only if it saves more than its current one
  // (f32, then bf16, then int8): bf16 may come first and int8 replace it
  // when the budget still holds.
  auto choose = [&](double limit) {
    double squares = 0;
    std::vector<std::optional<size_t>> current(setup.opNames.size());
    for (SwitchReport &entry : reports)
      entry.chosen = false;
    for (size_t j : order) {
      double error = reports[j].error;
      std::optional<size_t> &held = current[setup.switchOp[j]];
      double heldGain = held ? reports[*held].estimatedGain : 0;
      double heldError = held ? reports[*held].error : 0;
      double replaced = squares - heldError * heldError + error * error;
      if (reports[j].estimatedGain <= heldGain || !std::isfinite(error) ||
          std::sqrt(std::max(replaced, 0.0)) > limit)
        continue;
      squares = replaced;
      if (held)
        reports[*held].chosen = false;
      held = j;
      reports[j].chosen = true;
    }
    std::vector<size_t> chosen;
    for (size_t j = 0; j < reports.size(); ++j)
      if (reports[j].chosen)
        chosen.push_back(j);
    return chosen;
  };
  std::vector<size_t> chosen;
  if (setup.budget.metric == AccuracyBudget::Metric::TopOneAgreement) {
    chosen = choose(INFINITY);
  } else {
    // Errors partly cancel, so the quadrature sum overestimates the mix's:
    // a few rounds scale the estimate's limit by what the mix measured,
    // keeping the mix that saves most within the budget.
    double limit = setup.budget.limit, best = -1;
    for (int round = 0; round < kScalingRounds; ++round) {
      std::vector<size_t> candidate = choose(limit);
      FailureOr<double> measured = search.relativeErrorOf(candidate, setup.searchSets);
      if (failed(measured))
        return failure();
      double gain = 0;
      for (size_t j : candidate)
        gain += reports[j].estimatedGain;
      if (*measured <= setup.budget.limit && gain > best) {
        best = gain;
        chosen = candidate;
      }
      if (*measured > 0.8 * setup.budget.limit || candidate.size() == reports.size())
        break;
      limit *= setup.budget.limit / std::max(*measured, setup.budget.limit * 0.05);
    }
    if (best < 0)
      chosen = choose(setup.budget.limit);
    for (SwitchReport &entry : reports)
      entry.chosen = false;
    for (size_t j : chosen)
      reports[j].chosen = true;
  }

  // 3. Verify the mix, on the search sets, then on held-out ones.
  SearchResult result;
  for (bool heldOut : {false, true}) {
    ArrayRef<size_t> sets = heldOut ? setup.heldOutSets : setup.searchSets;
    if (sets.empty())
      continue;
    while (true) {
      progress(llvm::formatv("precision search: verifying {0} lowered ops on {1} sets",
                             chosen.size(), heldOut ? "held-out" : "search"));
      FailureOr<double> measure = search.measureOf(chosen, sets);
      if (failed(measure))
        return failure();
      (heldOut ? result.heldOutMeasure : result.searchMeasure) = *measure;
      if (search.holds(*measure) || chosen.empty())
        break;
      search.backOff(chosen);
    }
  }
  result.budgetMet = search.holds(result.heldOutMeasure) && search.holds(result.searchMeasure);

  // 4. The first op to depart, per format, with every op in it: whose
  // output is more than kDeparture from f32's, past the percent that one
  // int8 rounding of its operands costs.
  constexpr double kDeparture = 0.05;
  for (LoweredFormat format : {LoweredFormat::Int8, LoweredFormat::BFloat16}) {
    std::vector<size_t> all;
    for (size_t j = 0; j < reports.size(); ++j)
      if (reports[j].format == format)
        all.push_back(j);
    if (all.empty() || setup.searchSets.empty())
      continue;
    size_t set = setup.searchSets.front();
    FailureOr<RunOutputs> outputs = run(set, search.switchesOf(all));
    if (failed(outputs))
      return failure();
    std::string first;
    for (size_t op = 0; op < setup.opNames.size(); ++op) {
      size_t index = setup.modelOutputs + op;
      if (index >= outputs->values.size())
        break;
      if (relativeError(outputs->values[index], search.reference[set].values[index]) > kDeparture) {
        first = setup.opNames[op];
        break;
      }
    }
    result.firstDivergent.push_back({format, first});
  }
  result.switches = std::move(reports);
  return result;
}

std::string formatReportJson(const SearchResult &result, const AccuracyBudget &budget) {
  llvm::json::Array layers;
  for (const SwitchReport &entry : result.switches)
    layers.push_back(llvm::json::Object{{"name", entry.name},
                                        {"op", entry.kind},
                                        {"multiply_adds", entry.macs},
                                        {"format", getLoweredFormatName(entry.format)},
                                        {"error_alone", entry.error},
                                        {"chosen", entry.chosen}});
  llvm::json::Object divergent;
  for (const auto &[format, name] : result.firstDivergent)
    divergent[getLoweredFormatName(format)] =
        name.empty() ? llvm::json::Value(nullptr) : llvm::json::Value(name);
  llvm::json::Object report{
      {"budget",
       llvm::json::Object{{"metric", budget.metric == AccuracyBudget::Metric::RelativeError
                                         ? "relative_error"
                                         : "top1_agreement"},
                          {"limit", budget.limit}}},
      {"search_sets_measure", result.searchMeasure},
      {"held_out_measure", result.heldOutMeasure},
      {"budget_met", result.budgetMet},
      {"first_divergent", std::move(divergent)},
      {"switches", std::move(layers)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  return text;
}

std::string formatReportTable(const SearchResult &result, const AccuracyBudget &budget) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "precision search: " << budget.describe() << "\n";
  os << llvm::formatv("measured: {0} on the search sets, {1} on held-out sets ({2})\n",
                      result.searchMeasure, result.heldOutMeasure,
                      result.budgetMet ? "within the budget" : "NOT within the budget");
  // One line per op: the format chosen, and each format's error alone.
  std::vector<std::string> names;
  for (const SwitchReport &entry : result.switches)
    if (llvm::find(names, entry.name) == names.end())
      names.push_back(entry.name);
  os << llvm::formatv("{0,-48} {1,-7} {2,14} {3,-6} {4,12} {5,12}\n", "op", "kind", "multiply-adds",
                      "chosen", "int8 error", "bf16 error");
  for (const std::string &name : names) {
    std::string kind, chosen = "fp32", int8 = "-", bf16 = "-";
    int64_t macs = 0;
    for (const SwitchReport &entry : result.switches) {
      if (entry.name != name)
        continue;
      kind = entry.kind;
      macs = entry.macs;
      std::string error = llvm::formatv("{0:e2}", entry.error).str();
      (entry.format == LoweredFormat::Int8 ? int8 : bf16) = error;
      if (entry.chosen)
        chosen = getLoweredFormatName(entry.format).str();
    }
    os << llvm::formatv("{0,-48} {1,-7} {2,14} {3,-6} {4,12} {5,12}\n", name, kind, macs, chosen,
                        int8, bf16);
  }
  for (const auto &[format, name] : result.firstDivergent)
    os << "first op 5% from f32 with all in " << getLoweredFormatName(format) << ": "
       << (name.empty() ? "none" : name) << "\n";
  return text;
}

} // namespace r1c
