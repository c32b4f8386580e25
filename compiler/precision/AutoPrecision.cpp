//===- AutoPrecision.cpp - --precision=auto in the driver -----------------===//
#include "compiler/precision/AutoPrecision.h"
#include "codegen/host/HostTarget.h"
#include "compiler/calibration/CalibrationInputs.h"
#include "compiler/driver/CompilerDriver.h"
#include "compiler/pipelines/Pipelines.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/IntegerQuantization.h"
#include "passes/Passes.h"
#include "r1c/runtime.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

func::FuncOp mainOf(ModuleOp module) { return *module.getOps<func::FuncOp>().begin(); }

/// The name a user knows an op by: its ONNX node's, where the location
/// holds one.
std::string describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

/// The switched model, compiled and loaded for the host.
struct SwitchedHostModel {
  r1rt_model_t model = nullptr;
  r1rt_session_t session = nullptr;
  size_t outputs = 0;
  SwitchedHostModel() = default;
  SwitchedHostModel(const SwitchedHostModel &) = delete;
  ~SwitchedHostModel() {
    r1rt_session_release(session);
    r1rt_model_release(model);
  }

  FailureOr<RunOutputs> run(const CalibrationSet &set, ArrayRef<float> switches) {
    std::vector<r1rt_tensor_t> inputs;
    for (const run::HostTensor &tensor : set.tensors)
      inputs.push_back(toRuntimeInput(tensor));
    // The switches: one f32 per switch, the last input.
    r1rt_tensor_t flags{};
    flags.data = const_cast<float *>(switches.data());
    flags.bytes = switches.size() * sizeof(float);
    flags.dtype = R1RT_DTYPE_FLOAT;
    flags.rank = 1;
    flags.dims[0] = int64_t(switches.size());
    inputs.push_back(flags);
    std::vector<r1rt_tensor_t> results(outputs, r1rt_tensor_t{});
    if (r1rt_status_t status = r1rt_session_run_tensors(session, inputs.data(), inputs.size(),
                                                        results.data(), results.size())) {
      llvm::errs() << "error: precision search, set '" << set.label
                   << "': " << r1rt_status_message(status) << "\n";
      r1rt_status_release(status);
      return failure();
    }
    RunOutputs out;
    for (const r1rt_tensor_t &result : results) {
      const auto *values = static_cast<const float *>(result.data);
      // Only float outputs carry an error; others compare as empty.
      if (result.dtype == R1RT_DTYPE_FLOAT)
        out.values.emplace_back(values, values + result.bytes / sizeof(float));
      else
        out.values.emplace_back();
      out.shapes.emplace_back(result.dims, result.dims + result.rank);
    }
    return out;
  }
};

} // namespace

FailureOr<PrecisionPlan> searchAutoPrecision(ModuleOp imported, const CalibrationTable &ranges,
                                             const AutoPrecisionOptions &options) {
  const CalibrationOptions &calibration = options.calibration;
  auto progress = [&](const Twine &what) {
    if (calibration.progress)
      calibration.progress(what);
  };
  std::string error;
  auto fail = [&]() -> FailureOr<PrecisionPlan> {
    llvm::errs() << "error: --precision=auto: " << error << "\n";
    return failure();
  };
  std::optional<std::vector<CalibrationInput>> inputs = describeInputs(mainOf(imported), error);
  if (!inputs)
    return fail();

  // The sets: the calibration folder's, the last quarter held out; or
  // random ones, with held-out sets from another seed.
  std::vector<CalibrationSet> sets;
  std::vector<std::string> sizes;
  // Sets of another shape than the search's.
  size_t setAside = 0;
  if (!calibration.inputDir.empty()) {
    std::optional<std::vector<CalibrationSet>> loaded =
        loadCalibrationSets(calibration.inputDir, *inputs, error);
    if (!loaded)
      return fail();
    // The search runs one compiled model: the sets of the shape most sets
    // have (all of them calibrated the ranges).
    std::map<std::vector<std::string>, std::vector<CalibrationSet>> byShape;
    for (CalibrationSet &set : *loaded) {
      std::optional<std::vector<std::string>> setSizes = symbolicSizesOf(set, *inputs, error);
      if (!setSizes)
        return fail();
      byShape[*setSizes].push_back(std::move(set));
    }
    auto most = std::max_element(byShape.begin(), byShape.end(), [](const auto &a, const auto &b) {
      return a.second.size() < b.second.size();
    });
    sizes = most->first;
    sets = std::move(most->second);
    setAside = loaded->size() - sets.size();
  } else {
    CalibrationSet shapes;
    for (auto [input, shape] : llvm::zip(*inputs, randomInputDims(*inputs, calibration.dimSizes)))
      shapes.tensors.push_back(run::HostTensor::zeros(input.dtype, shape));
    std::optional<std::vector<std::string>> setSizes = symbolicSizesOf(shapes, *inputs, error);
    if (!setSizes)
      return fail();
    sizes = *setSizes;
  }

  // The f32 graph at those shapes, with the measured ranges.
  progress("precision search: compiling the model with a switch per op and format");
  MLIRContext *context = imported.getContext();
  OwningOpRef<ModuleOp> clone = imported.clone();
  r1k::setTargets(*clone, {describeHostTarget(context, calibration.cpu)});
  PassManager graph(context);
  if (!sizes.empty())
    graph.nest<func::FuncOp>().addPass(r1::createSpecializeDims({sizes}));
  buildGraphPassPipeline(graph, {calibration.fuseAttention, "fp32"});
  if (failed(graph.run(*clone)))
    return failure();
  annotateRanges(*clone, ranges);
  func::FuncOp func = mainOf(*clone);
  std::vector<int64_t> gatherRows = gatherRowsOfArguments(func);
  std::map<Operation *, CalibratedOpKey> keys;
  forEachCalibratedOp(func, [&](Operation *op, CalibratedOpKey key) { keys.emplace(op, key); });

  // Formats this CPU has dot products for; bf16 elsewhere is f32's speed.
  r1k::TargetAttr host = describeHostTarget(context, calibration.cpu);
  auto hasFeature = [&](llvm::StringRef feature) {
    return llvm::any_of(host.getFeatures(), [&](Attribute attr) {
      return cast<StringAttr>(attr).getValue() == feature;
    });
  };
  SmallVector<LoweredFormat> formats = {LoweredFormat::Int8};
  if (hasFeature("avx512bf16"))
    formats.push_back(LoweredFormat::BFloat16);
  SwitchedModel switched =
      insertPrecisionSwitches(func, formats, options.int8Smoothing, options.int8BiasCorrection);

  PrecisionPlan plan;
  plan.int8Smoothing = options.int8Smoothing;
  plan.int8BiasCorrection = options.int8BiasCorrection;
  std::vector<SwitchReport> reports;
  SearchSetup setup;
  setup.budget = options.budget;
  setup.modelOutputs = switched.modelResults;
  setup.progress = calibration.progress;
  for (Operation *op : switched.ops)
    setup.opNames.push_back(describeLocation(op->getLoc()));
  for (auto [index, entry] : llvm::enumerate(switched.switches)) {
    SwitchReport report;
    report.name = setup.opNames[switched.switchOp[index]];
    report.kind = isa<MatMulOp>(entry.op) ? "matmul" : "conv";
    report.macs = countMultiplyAdds(entry.op);
    report.format = entry.format;
    double speedup = estimatedSpeedup(entry.format);
    // Without VNNI the integer kernel multiplies 16-bit pairs: about bf16's
    // rate, not vpdpbusd's.
    if (entry.format == LoweredFormat::Int8 && !hasFeature("avx512vnni"))
      speedup = 1.5;
    report.estimatedGain = double(report.macs) * (1.0 - 1.0 / speedup);
    reports.push_back(report);
    setup.switchOp.push_back(switched.switchOp[index]);
  }
  if (reports.empty()) {
    plan.summary = "auto: no matmul or convolution to lower; the model stays f32";
    return plan;
  }

  PassManager code(context);
  buildKernelPassPipeline(code, {"", /*packWeights=*/false, "", "dense"});
  buildPlanPassPipeline(code);
  if (failed(code.run(*clone)))
    return failure();
  std::vector<uint8_t> bytes;
  if (failed(compileHostArtifact(*clone, calibration.cpu, bytes)))
    return failure();
  SwitchedHostModel model;
  r1rt_session_options_t sessionOptions;
  r1rt_session_options_init(&sessionOptions);
  sessionOptions.device = R1RT_DEVICE_HOST;
  r1rt_status_t status = r1rt_model_create_from_memory(bytes.data(), bytes.size(), &model.model);
  if (!status)
    status = r1rt_session_create_with_options(model.model, &sessionOptions, &model.session);
  if (status) {
    error = std::string("cannot load the switched model: ") + r1rt_status_message(status);
    r1rt_status_release(status);
    return fail();
  }
  model.outputs = func.getNumResults();

  if (calibration.inputDir.empty()) {
    RandomInputPlan random{gatherRows, randomInputDims(*inputs, calibration.dimSizes)};
    sets = drawRandomSets(*inputs, random, calibration.samples, calibration.seed);
    std::vector<CalibrationSet> heldOut = drawRandomSets(
        *inputs, random, std::max<int64_t>(2, calibration.samples / 2), calibration.seed + 1);
    for (size_t i = 0; i < sets.size(); ++i)
      setup.searchSets.push_back(i);
    for (CalibrationSet &set : heldOut) {
      set.label = "held-out " + set.label;
      setup.heldOutSets.push_back(sets.size());
      sets.push_back(std::move(set));
    }
  } else {
    size_t held = sets.size() >= 2 ? std::max<size_t>(1, sets.size() / 4) : 0;
    for (size_t i = 0; i < sets.size(); ++i)
      (i + held < sets.size() ? setup.searchSets : setup.heldOutSets).push_back(i);
  }

  FailureOr<SearchResult> result =
      searchPrecisions(setup, std::move(reports), [&](size_t set, ArrayRef<float> switches) {
        return model.run(sets[set], switches);
      });
  if (failed(result))
    return failure();

  std::map<LoweredFormat, int64_t> counts;
  for (auto [index, entry] : llvm::enumerate(result->switches)) {
    if (!entry.chosen)
      continue;
    Operation *op = switched.ops[switched.switchOp[index]];
    plan.formats[keys.at(op)] = entry.format;
    ++counts[entry.format];
  }
  int64_t lowered = 0;
  for (const auto &[format, count] : counts)
    lowered += count;
  std::string measured = options.budget.metric == AccuracyBudget::Metric::RelativeError
                             ? "relative error"
                             : "top-1 agreement";
  plan.summary = llvm::formatv("auto: {0} int8, {1} bf16, {2} f32 of {3} matmuls and "
                               "convolutions; {4} {5} on held-out sets ({6} {7})",
                               counts[LoweredFormat::Int8], counts[LoweredFormat::BFloat16],
                               switched.ops.size() - lowered, switched.ops.size(), measured,
                               llvm::format("%.3g", result->heldOutMeasure),
                               result->budgetMet ? "budget" : "OVER the budget",
                               llvm::format("%.3g", options.budget.limit))
                     .str();
  if (setup.heldOutSets.empty())
    plan.summary += " (no held-out set: give two or more calibration sets)";
  if (setAside)
    plan.summary += llvm::formatv(" (searched on the {0} sets of the commonest shape; {1} of "
                                  "other shapes only calibrated)",
                                  sets.size(), setAside)
                        .str();

  if (!options.reportPath.empty()) {
    for (auto [path, text] :
         {std::pair{options.reportPath, formatReportJson(*result, options.budget)},
          std::pair{options.reportPath + ".txt", formatReportTable(*result, options.budget)}}) {
      std::error_code failure;
      llvm::raw_fd_ostream file(path, failure);
      if (failure) {
        error = "cannot write --precision-report '" + path + "': " + failure.message();
        return fail();
      }
      file << text;
    }
  }
  return plan;
}

int64_t applyPrecisionPlan(ModuleOp graph, const PrecisionPlan &plan) {
  int64_t marked = 0;
  for (func::FuncOp func : graph.getOps<func::FuncOp>())
    forEachCalibratedOp(func, [&](Operation *op, CalibratedOpKey key) {
      auto format = plan.formats.find(key);
      if (format == plan.formats.end() || !canLowerTo(op, format->second))
        return;
      op->setAttr(PrecisionAttr::kName, getLoweredPrecision(op->getContext(), format->second));
      if (format->second == LoweredFormat::Int8)
        markInt8Choices(op, plan.int8Smoothing, plan.int8BiasCorrection,
                        /*shareActivation=*/false);
      ++marked;
    });
  return marked;
}

} // namespace r1c
