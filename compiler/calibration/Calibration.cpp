//===- Calibration.cpp - Measured value ranges for integer formats --------===//
#include "compiler/calibration/Calibration.h"
#include "codegen/host/HostTarget.h"
#include "compiler/calibration/CalibrationInputs.h"
#include "compiler/calibration/RangeStatistics.h"
#include "compiler/driver/CompilerDriver.h"
#include "compiler/pipelines/Pipelines.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "passes/Passes.h"
#include "r1c/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <memory>

using namespace mlir;

namespace r1c {
namespace {

using OperandKey = std::pair<CalibratedOpKey, unsigned>;

/// The ops whose operands are measured: f32 matrix products, which integer
/// formats compute.
bool isCalibratedOp(Operation *op) {
  if (!isa<r1::MatMulOp, r1::ConvOp>(op) || op->getNumResults() != 1)
    return false;
  auto type = dyn_cast<ShapedType>(op->getResult(0).getType());
  return type && type.getElementType().isF32();
}

/// A non-constant f32 operand; a constant's values the compiler reads itself.
bool isMeasured(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  if (!type || !type.getElementType().isF32())
    return false;
  Operation *def = value.getDefiningOp();
  return !def || !def->hasTrait<OpTrait::ConstantLike>();
}

func::FuncOp mainFunction(ModuleOp module) { return *module.getOps<func::FuncOp>().begin(); }

/// Where a measured value is read after a run.
struct Probe {
  bool isArgument;
  unsigned index; ///< the argument, or the result of the measuring @main
  OperandKey key; ///< whose statistics it feeds: its first reader's
  /// Channels measured along the last dim (a matmul's activation), or 0.
  int64_t channels = 0;
  /// Channels whose means are measured (a matmul's or a convolution's
  /// activation), 0 for none, and the elements of a channel that lie
  /// together (1 along a last dim; a convolution's plane).
  int64_t meanChannels = 0, meanInner = 1;
};

/// How many channels of operand `index` of `op` calibration measures: the
/// static last dim of a matmul's activation (operand 0), else none.
int64_t measuredChannels(Operation *op, unsigned index) {
  auto type = dyn_cast<RankedTensorType>(op->getOperand(index).getType());
  if (!isa<r1::MatMulOp>(op) || index != 0 || !type || type.getRank() < 1 ||
      ShapedType::isDynamic(type.getShape().back()))
    return 0;
  return type.getShape().back();
}

/// The channel dim of operand `index` of `op` whose means calibration
/// measures: the last dim of a matmul's activation, dim 1 of a
/// convolution's (NCHW); -1 for none.
int64_t meanChannelDim(Operation *op, unsigned index) {
  auto type = dyn_cast<RankedTensorType>(op->getOperand(index).getType());
  if (index != 0 || !type)
    return -1;
  if (isa<r1::MatMulOp>(op) && type.getRank() >= 1)
    return type.getRank() - 1;
  if (isa<r1::ConvOp>(op) && type.getRank() >= 3)
    return 1;
  return -1;
}

/// How many channels operand `index` of `op` has its means measured
/// over, 0 for none or a dynamic count.
int64_t meanChannelCount(Operation *op, unsigned index) {
  int64_t dim = meanChannelDim(op, index);
  if (dim < 0)
    return 0;
  int64_t count = cast<RankedTensorType>(op->getOperand(index).getType()).getDimSize(dim);
  return ShapedType::isDynamic(count) ? 0 : count;
}

/// The model compiled for one set of input shapes, with every measured
/// value as an extra result, loaded for the host.
struct MeasuringModel {
  std::vector<std::string> sizes;
  std::vector<Probe> probes;
  /// Every measured operand -> the key of its value's statistics.
  std::map<OperandKey, OperandKey> readers;
  size_t resultCount = 0;
  /// Rows of the gathers each argument indexes, for random sets.
  std::vector<int64_t> gatherRows;
  r1rt_model_t model = nullptr;
  r1rt_session_t session = nullptr;

  MeasuringModel() = default;
  MeasuringModel(const MeasuringModel &) = delete;
  ~MeasuringModel() {
    r1rt_session_release(session);
    r1rt_model_release(model);
  }
};

/// Specializes a copy of `imported` to `sizes`, takes it to the graph
/// phase in f32, returns the measured values too, and compiles it for the
/// host.
std::unique_ptr<MeasuringModel> buildMeasuringModel(ModuleOp imported,
                                                    const std::vector<std::string> &sizes,
                                                    const CalibrationOptions &options) {
  auto measuring = std::make_unique<MeasuringModel>();
  measuring->sizes = sizes;
  MLIRContext *context = imported.getContext();
  OwningOpRef<ModuleOp> clone = imported.clone();
  r1k::setTargets(*clone, {describeHostTarget(context, options.cpu)});
  PassManager graph(context);
  if (!sizes.empty())
    graph.nest<func::FuncOp>().addPass(r1::createSpecializeDims({sizes}));
  buildGraphPassPipeline(graph, {options.fuseAttention, "fp32"});
  if (failed(graph.run(*clone)))
    return nullptr;

  func::FuncOp func = mainFunction(*clone);
  measuring->gatherRows = gatherRowsOfArguments(func);
  Operation *ret = func.getBody().front().getTerminator();
  llvm::DenseMap<Value, OperandKey> firstReader;
  forEachCalibratedOp(func, [&](Operation *op, CalibratedOpKey key) {
    for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
      // A value inside a control-flow region has no value at @main's return.
      if (!isMeasured(operand) || operand.getParentRegion() != &func.getBody())
        continue;
      OperandKey operandKey{key, unsigned(index)};
      auto [known, inserted] = firstReader.try_emplace(operand, operandKey);
      measuring->readers[operandKey] = known->second;
      if (!inserted)
        continue;
      Probe probe{false, 0, operandKey, measuredChannels(op, unsigned(index))};
      // The measuring model's shapes are static: a channel's plane is too.
      if (int64_t count = meanChannelCount(op, unsigned(index)); count > 0) {
        auto type = cast<RankedTensorType>(operand.getType());
        if (type.hasStaticShape()) {
          probe.meanChannels = count;
          probe.meanInner = r1::productOfDims(
              type.getShape().drop_front(size_t(meanChannelDim(op, unsigned(index)) + 1)));
        }
      }
      if (auto arg = dyn_cast<BlockArgument>(operand)) {
        probe.isArgument = true;
        probe.index = arg.getArgNumber();
        measuring->probes.push_back(probe);
        continue;
      }
      unsigned result = func.getNumResults();
      func.insertResult(
          result, operand.getType(),
          DictionaryAttr::get(
              context,
              {NamedAttribute(StringAttr::get(context, "r1.name"),
                              StringAttr::get(context, "__calibration_" + Twine(result)))}));
      ret->insertOperands(ret->getNumOperands(), operand);
      probe.index = result;
      measuring->probes.push_back(probe);
    }
  });
  measuring->resultCount = func.getNumResults();

  PassManager code(context);
  buildKernelPassPipeline(code, {"", /*packWeights=*/false, "", "dense"});
  buildPlanPassPipeline(code);
  if (failed(code.run(*clone)))
    return nullptr;
  std::vector<uint8_t> bytes;
  if (failed(compileHostArtifact(*clone, options.cpu, bytes)))
    return nullptr;
  r1rt_session_options_t sessionOptions;
  r1rt_session_options_init(&sessionOptions);
  sessionOptions.device = R1RT_DEVICE_HOST;
  r1rt_status_t status =
      r1rt_model_create_from_memory(bytes.data(), bytes.size(), &measuring->model);
  if (!status)
    status =
        r1rt_session_create_with_options(measuring->model, &sessionOptions, &measuring->session);
  if (status) {
    llvm::errs() << "error: calibration: cannot load the measuring model: "
                 << r1rt_status_message(status) << "\n";
    r1rt_status_release(status);
    return nullptr;
  }
  return measuring;
}

/// Runs one set and hands each probe and its values to `visit`.
template <typename Visit>
LogicalResult runSet(MeasuringModel &measuring, const CalibrationSet &set, Visit visit) {
  std::vector<r1rt_tensor_t> inputs;
  for (const run::HostTensor &tensor : set.tensors)
    inputs.push_back(toRuntimeInput(tensor));
  std::vector<r1rt_tensor_t> outputs(measuring.resultCount, r1rt_tensor_t{});
  r1rt_status_t status = r1rt_session_run_tensors(measuring.session, inputs.data(), inputs.size(),
                                                  outputs.data(), outputs.size());
  if (status) {
    llvm::errs() << "error: calibration set '" << set.label << "': " << r1rt_status_message(status)
                 << "\n";
    r1rt_status_release(status);
    return failure();
  }
  for (const Probe &probe : measuring.probes) {
    if (probe.isArgument) {
      const run::HostTensor &tensor = set.tensors[probe.index];
      visit(probe, tensor.data<float>(), size_t(tensor.numElements()));
    } else {
      const r1rt_tensor_t &output = outputs[probe.index];
      visit(probe, static_cast<const float *>(output.data), output.bytes / sizeof(float));
    }
  }
  return success();
}

} // namespace

void forEachCalibratedOp(func::FuncOp func,
                         llvm::function_ref<void(Operation *, CalibratedOpKey)> fn) {
  std::map<std::pair<const void *, const void *>, unsigned> ordinals;
  func.walk([&](Operation *op) {
    if (!isCalibratedOp(op))
      return;
    const void *loc = op->getLoc().getAsOpaquePointer();
    const void *name = op->getName().getAsOpaquePointer();
    unsigned ordinal = ordinals[{loc, name}]++;
    fn(op, CalibratedOpKey{loc, name, ordinal});
  });
}

std::optional<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name) {
  if (name == "minmax")
    return CalibrationMethod::MinMax;
  if (name == "percentile")
    return CalibrationMethod::Percentile;
  if (name == "entropy")
    return CalibrationMethod::Entropy;
  return std::nullopt;
}

FailureOr<CalibrationTable> measureRanges(ModuleOp imported, const CalibrationOptions &options) {
  auto progress = [&](const Twine &what) {
    if (options.progress)
      options.progress(what);
  };
  std::string error;
  auto fail = [&]() -> FailureOr<CalibrationTable> {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  };
  std::optional<std::vector<CalibrationInput>> inputs =
      describeInputs(mainFunction(imported), error);
  if (!inputs)
    return fail();

  // The sets, and which measuring model (one per distinct set of symbolic
  // sizes) runs each.
  std::vector<CalibrationSet> sets;
  std::vector<std::vector<std::string>> sizesOfSet;
  if (!options.inputDir.empty()) {
    progress("calibrating: reading " + options.inputDir);
    std::optional<std::vector<CalibrationSet>> loaded =
        loadCalibrationSets(options.inputDir, *inputs, error);
    if (!loaded)
      return fail();
    sets = std::move(*loaded);
    for (const CalibrationSet &set : sets) {
      std::optional<std::vector<std::string>> sizes = symbolicSizesOf(set, *inputs, error);
      if (!sizes)
        return fail();
      sizesOfSet.push_back(*sizes);
    }
  } else {
    if (options.samples < 1) {
      error = "--calibration-samples must be at least 1";
      return fail();
    }
    CalibrationSet shapes;
    shapes.label = "random sets";
    std::vector<std::vector<int64_t>> dims = randomInputDims(*inputs, options.dimSizes);
    for (auto [input, shape] : llvm::zip(*inputs, dims))
      shapes.tensors.push_back(run::HostTensor::zeros(input.dtype, shape));
    std::optional<std::vector<std::string>> sizes = symbolicSizesOf(shapes, *inputs, error);
    if (!sizes)
      return fail();
    sizesOfSet.assign(size_t(options.samples), *sizes);
  }

  std::vector<std::unique_ptr<MeasuringModel>> models;
  std::vector<MeasuringModel *> modelOfSet;
  for (const std::vector<std::string> &sizes : sizesOfSet) {
    auto known = llvm::find_if(models, [&](const auto &model) { return model->sizes == sizes; });
    if (known != models.end()) {
      modelOfSet.push_back(known->get());
      continue;
    }
    std::string what = "calibrating: compiling the f32 model";
    for (const std::string &size : sizes)
      what += (size == sizes.front() ? " for " : ", ") + size;
    progress(what);
    std::unique_ptr<MeasuringModel> model = buildMeasuringModel(imported, sizes, options);
    if (!model)
      return failure();
    models.push_back(std::move(model));
    modelOfSet.push_back(models.back().get());
  }
  if (options.inputDir.empty()) {
    RandomInputPlan plan{models.front()->gatherRows, randomInputDims(*inputs, options.dimSizes)};
    sets = drawRandomSets(*inputs, plan, options.samples, options.seed);
  }

  // Min/max first; the histogram methods then bin |x| over [0, max |x|].
  std::map<OperandKey, RangeStatistics> statistics;
  for (const std::unique_ptr<MeasuringModel> &model : models)
    for (const Probe &probe : model->probes) {
      if (statistics.count(probe.key))
        continue;
      RangeStatistics &measured = statistics[probe.key];
      if (probe.channels > 0)
        measured.trackChannels(probe.channels);
      if (probe.meanChannels > 0)
        measured.trackChannelMeans(probe.meanChannels);
    }
  bool histograms = options.method != CalibrationMethod::MinMax;
  for (int pass = 0; pass < (histograms ? 2 : 1); ++pass) {
    for (auto [index, set] : llvm::enumerate(sets)) {
      progress("calibrating: " + Twine(pass ? "histograms, set " : "set ") + Twine(index + 1) +
               " of " + Twine(sets.size()));
      LogicalResult ran = runSet(*modelOfSet[index], set,
                                 [&](const Probe &probe, const float *values, size_t count) {
                                   RangeStatistics &measured = statistics[probe.key];
                                   if (pass == 0) {
                                     measured.addMinMax(values, count);
                                     measured.addChannelSums(values, count, probe.meanInner);
                                   } else {
                                     measured.addHistogram(values, count);
                                   }
                                 });
      if (failed(ran))
        return failure();
    }
  }

  // One range per value (the entropy search is the costly part), then one
  // entry per operand that reads it.
  progress("calibrating: computing " + Twine(statistics.size()) + " ranges");
  std::map<OperandKey, std::pair<double, double>> rangeOf;
  for (const auto &[key, measured] : statistics)
    if (measured.seen())
      rangeOf[key] = measured.range(options.method);
  CalibrationTable table;
  for (const std::unique_ptr<MeasuringModel> &model : models)
    for (const auto &[operand, key] : model->readers) {
      auto range = rangeOf.find(key);
      if (range != rangeOf.end())
        table.ranges[operand] = range->second;
      const RangeStatistics &measured = statistics[key];
      bool channelsSeen =
          !measured.channelMin().empty() &&
          llvm::none_of(measured.channelMin(), [](float x) { return std::isnan(x); });
      if (range != rangeOf.end() && channelsSeen)
        table.channelRanges[operand] = {measured.channelMin(), measured.channelMax()};
      if (std::vector<float> means = measured.channelMeans();
          range != rangeOf.end() && !means.empty())
        table.channelMeans[operand] = std::move(means);
    }
  return table;
}

int64_t annotateRanges(ModuleOp graph, const CalibrationTable &table) {
  int64_t annotated = 0;
  MLIRContext *context = graph.getContext();
  for (func::FuncOp func : graph.getOps<func::FuncOp>()) {
    forEachCalibratedOp(func, [&](Operation *op, CalibratedOpKey key) {
      SmallVector<Attribute> ranges;
      bool any = false;
      for (unsigned index = 0; index < op->getNumOperands(); ++index) {
        auto range = table.ranges.find({key, index});
        if (range == table.ranges.end()) {
          ranges.push_back(UnitAttr::get(context));
          continue;
        }
        ranges.push_back(r1::RangeAttr::get(context, llvm::APFloat(range->second.first),
                                            llvm::APFloat(range->second.second)));
        any = true;
      }
      if (!any)
        return;
      op->setAttr(r1::RangeAttr::kOperandRangesName, ArrayAttr::get(context, ranges));
      // Per channel: a matmul's activation, where the measured graph's
      // channels are this op's.
      auto channels = table.channelRanges.find({key, 0});
      int64_t count = measuredChannels(op, 0);
      if (channels != table.channelRanges.end() &&
          count == int64_t(channels->second.first.size())) {
        SmallVector<Attribute> entries(op->getNumOperands(), UnitAttr::get(context));
        entries[0] = r1::ChannelRangesAttr::get(
            context, DenseF32ArrayAttr::get(context, channels->second.first),
            DenseF32ArrayAttr::get(context, channels->second.second));
        op->setAttr(r1::ChannelRangesAttr::kOperandChannelRangesName,
                    ArrayAttr::get(context, entries));
      }
      // Channel means: a matmul's or a convolution's activation.
      auto means = table.channelMeans.find({key, 0});
      if (means != table.channelMeans.end() &&
          meanChannelCount(op, 0) == int64_t(means->second.size())) {
        SmallVector<Attribute> entries(op->getNumOperands(), UnitAttr::get(context));
        entries[0] =
            r1::ChannelMeansAttr::get(context, DenseF32ArrayAttr::get(context, means->second));
        op->setAttr(r1::ChannelMeansAttr::kOperandChannelMeansName,
                    ArrayAttr::get(context, entries));
      }
      ++annotated;
    });
  }
  return annotated;
}

LogicalResult calibrate(ModuleOp imported, ArrayRef<ModuleOp> graphs,
                        const CalibrationOptions &options) {
  FailureOr<CalibrationTable> table = measureRanges(imported, options);
  if (failed(table))
    return failure();
  for (ModuleOp graph : graphs)
    annotateRanges(graph, *table);
  return success();
}

} // namespace r1c
