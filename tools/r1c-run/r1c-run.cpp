//===- r1c-run.cpp - Runs a compiled r1c artifact on tensor files ---------===//
//
// Loads OUT.r1 through the runtime's C API, feeds it inputs (ONNX test-data
// folders, TensorProto .pb or .npy files, or random data for timing), and
// compares its outputs with expected ones. Exit status: 0 when everything
// matches, 1 on a mismatch, 2 on a usage or loading error.
//
//===----------------------------------------------------------------------===//
#include "TensorFile.h"
#include "r1c/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace r1c::run;

namespace {

const char *kUsage =
    "usage: r1c-run MODEL.r1 [options]\n"
    "\n"
    "Runs a model compiled with `r1c --target=... -o MODEL` and checks its outputs.\n"
    "\n"
    "Inputs (in the model's input order), one of:\n"
    "  --test-data DIR     an ONNX test-data folder: input_K.pb, and output_K.pb as the\n"
    "                      expected outputs\n"
    "  --input FILE        one input (.pb TensorProto or .npy); repeat per input.\n"
    "                      A bfloat16 input may be a uint16 .npy of its bit patterns\n"
    "  (none)              random inputs (standard normal floats, zero integers),\n"
    "                      shaped as the model's first shape bucket, or by --bucket\n"
    "Expected outputs (besides those in --test-data):\n"
    "  --expected FILE     one expected output (.pb or .npy); repeat per output\n"
    "Options:\n"
    "  --atol X --rtol X   tolerance: |got - want| <= atol + rtol * |want| (default\n"
    "                      1e-5 and 1e-4, fp32's); integers and booleans must be equal\n"
    "  --save-outputs DIR  write each output as DIR/output_K.npy (DIR is created;\n"
    "                      bfloat16 as uint16 bit patterns)\n"
    "  --bench N           run N more times and print median and p90 latency\n"
    "  --threads N         run kernels on N threads (0: one per CPU; default 1)\n"
    "  --device D          where to run: auto (default: a CUDA GPU, else an AMD GPU,\n"
    "                      else the host, as the artifact has code for), host,\n"
    "                      cuda or hip; cuda:N and hip:N pick GPU N\n"
    "  --no-graphs         on a GPU, launch kernels one by one instead of replaying\n"
    "                      a captured graph\n"
    "  --bucket K          shape bucket K (0-based, in the order r1c compiled them)\n"
    "                      for random inputs\n"
    "  --tier T            for an artifact of tiers (r1c --tiers): run tier T, by its\n"
    "                      name or 0-based index\n"
    "  --json              print the results as one JSON object\n"
    "  -h, --help          this text\n";

r1rt_session_options_t defaultSessionOptions() {
  r1rt_session_options_t options;
  r1rt_session_options_init(&options);
  return options;
}

struct Options {
  std::string model, testData, saveDir, tier;
  std::vector<std::string> inputs, expected;
  double atol = 1e-5, rtol = 1e-4;
  int bench = 0;
  int bucket = 0;
  int threads = 1;
  bool json = false;
  r1rt_session_options_t session = defaultSessionOptions();
};

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "error: %s (see r1c-run --help)\n", message.c_str());
  std::exit(2);
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&](double &out) {
      std::string text = value();
      char *end = nullptr;
      out = std::strtod(text.c_str(), &end);
      if (!end || *end || !(out >= 0))
        usageError(arg + " needs a non-negative number, not '" + text + "'");
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--test-data") {
      options.testData = value();
    } else if (arg == "--input") {
      options.inputs.push_back(value());
    } else if (arg == "--expected") {
      options.expected.push_back(value());
    } else if (arg == "--atol") {
      number(options.atol);
    } else if (arg == "--rtol") {
      number(options.rtol);
    } else if (arg == "--save-outputs") {
      options.saveDir = value();
    } else if (arg == "--bench") {
      double runs;
      number(runs);
      options.bench = int(runs);
    } else if (arg == "--threads") {
      double threads;
      number(threads);
      options.threads = int(threads);
    } else if (arg == "--bucket") {
      double bucket;
      number(bucket);
      options.bucket = int(bucket);
    } else if (arg == "--tier" || arg.rfind("--tier=", 0) == 0) {
      options.tier = arg == "--tier" ? value() : arg.substr(7);
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--no-graphs") {
      options.session.disable_graphs = 1;
    } else if (arg == "--device" || arg.rfind("--device=", 0) == 0) {
      std::string device = arg == "--device" ? value() : arg.substr(9);
      std::string kind = device.substr(0, device.find(':'));
      if (device.find(':') != std::string::npos) {
        std::string ordinal = device.substr(device.find(':') + 1);
        char *end = nullptr;
        long parsed = std::strtol(ordinal.c_str(), &end, 10);
        if (ordinal.empty() || *end || parsed < 0 || parsed > 1024)
          usageError("--device " + device + ": the GPU number must be 0 or more");
        options.session.device_ordinal = int32_t(parsed);
      }
      if (kind == "auto")
        options.session.device = R1RT_DEVICE_AUTO;
      else if (kind == "host")
        options.session.device = R1RT_DEVICE_HOST;
      else if (kind == "cuda")
        options.session.device = R1RT_DEVICE_CUDA;
      else if (kind == "hip")
        options.session.device = R1RT_DEVICE_HIP;
      else
        usageError("--device " + device + ": not auto, host, cuda or hip");
    } else if (!arg.empty() && arg[0] == '-') {
      usageError("unknown option " + arg);
    } else if (options.model.empty()) {
      options.model = arg;
    } else {
      usageError("more than one model given");
    }
  }
  if (options.model.empty())
    usageError("no model given");
  if (!options.testData.empty() && !options.inputs.empty())
    usageError("--test-data and --input exclude each other");
  return options;
}

/// Exits with the runtime's message when `status` is an error.
void check(r1rt_status_t status, const std::string &what) {
  if (!status)
    return;
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), r1rt_status_message(status));
  r1rt_status_release(status);
  std::exit(2);
}

/// The model's view of a tensor, for the runtime.
r1rt_tensor_t describe(HostTensor &tensor) {
  // Empty tensors still need a valid pointer.
  static uint64_t emptyTensor[8];
  r1rt_tensor_t view{};
  view.data = tensor.bytes.empty() ? emptyTensor : (void *)tensor.bytes.data();
  view.bytes = tensor.bytes.size();
  view.dtype = static_cast<r1rt_dtype_t>(tensor.dtype);
  view.rank = int32_t(std::min<size_t>(tensor.dims.size(), R1RT_MAX_RANK + 1));
  std::copy_n(tensor.dims.begin(), std::min<size_t>(tensor.dims.size(), R1RT_MAX_RANK),
              view.dims);
  return view;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, size_t(p * (values.size() - 1) + 0.5));
  return values[index];
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  r1rt_model_t model = nullptr;
  check(r1rt_model_create_from_file(options.model.c_str(), &model), options.model);
  r1rt_model_t tiered = model; // released at the end; a tier belongs to it
  size_t tierCount = 0;
  check(r1rt_model_tier_count(model, &tierCount), "tiers");
  if (tierCount || !options.tier.empty()) {
    std::string names;
    size_t chosen = tierCount;
    for (size_t t = 0; t < tierCount; ++t) {
      r1rt_model_t tier = nullptr;
      const char *name = nullptr;
      check(r1rt_model_tier(model, t, &tier, &name), "tiers");
      names += (t ? ", " : "") + std::to_string(t) + " " + name;
      if (options.tier == name || options.tier == std::to_string(t))
        chosen = t;
    }
    if (!tierCount)
      usageError("--tier " + options.tier + ": " + options.model + " has no tiers");
    if (chosen == tierCount)
      usageError(options.model + " holds tiers (" + names + "): pick one with --tier" +
                 (options.tier.empty() ? "" : " (not " + options.tier + ")"));
    check(r1rt_model_tier(tiered, chosen, &model, nullptr), "tiers");
  }
  size_t inputCount = 0, outputCount = 0;
  check(r1rt_model_input_count(model, &inputCount), "inputs");
  check(r1rt_model_output_count(model, &outputCount), "outputs");
  std::vector<r1rt_tensor_info_t> inputInfo(inputCount), outputInfo(outputCount);
  for (size_t i = 0; i < inputCount; ++i)
    check(r1rt_model_input_info(model, i, &inputInfo[i]), "input info");
  for (size_t i = 0; i < outputCount; ++i)
    check(r1rt_model_output_info(model, i, &outputInfo[i]), "output info");

  r1rt_session_t session = nullptr;
  check(r1rt_session_create_with_options(model, &options.session, &session),
        "cannot run " + options.model);
  const char *device = "";
  check(r1rt_session_device(session, &device), "device");
  if (!options.json)
    std::printf("device: %s\n", device);
  check(r1rt_session_set_threads(session, size_t(options.threads)), "--threads");

  // Inputs and expected outputs.
  std::vector<HostTensor> inputs, expected;
  // ONNX's test data and NumPy (which has no bfloat16) store bfloat16
  // tensors as uint16 bit patterns.
  auto relabel = [](std::vector<HostTensor> &tensors, size_t count, const auto *info) {
    for (size_t i = 0; i < std::min(tensors.size(), count); ++i)
      if (tensors[i].dtype == DType::UInt16 && static_cast<DType>(info[i].dtype) == DType::BFloat16)
        tensors[i].dtype = DType::BFloat16;
  };
  if (!options.testData.empty()) {
    ErrorOr<TestDataSet> data = loadTestDataSet(options.testData);
    if (!data)
      usageError(data.error());
    inputs = std::move(data->inputs);
    expected = std::move(data->outputs);
    relabel(inputs, inputCount, inputInfo.data());
    relabel(expected, outputCount, outputInfo.data());
  } else if (!options.inputs.empty()) {
    for (const std::string &path : options.inputs) {
      ErrorOr<HostTensor> tensor = readTensorFile(path);
      if (!tensor)
        usageError(tensor.error());
      inputs.push_back(std::move(*tensor));
    }
    relabel(inputs, inputCount, inputInfo.data());
  } else {
    size_t buckets = 0;
    check(r1rt_session_bucket_count(session, &buckets), "buckets");
    if (options.bucket < 0 || size_t(options.bucket) >= buckets)
      usageError("--bucket " + std::to_string(options.bucket) + ": the model has " +
                 std::to_string(buckets) + " shape buckets");
    std::mt19937 generator(0);
    std::normal_distribution<float> normal;
    for (size_t i = 0; i < inputCount; ++i) {
      int32_t rank;
      const int64_t *dims;
      check(r1rt_session_bucket_input_dims(session, options.bucket, i, &rank, &dims), "input dims");
      HostTensor tensor = HostTensor::zeros(static_cast<DType>(inputInfo[i].dtype),
                                            std::vector<int64_t>(dims, dims + rank),
                                            inputInfo[i].name);
      if (tensor.dtype == DType::Float)
        for (int64_t k = 0; k < tensor.numElements(); ++k)
          tensor.data<float>()[k] = normal(generator);
      inputs.push_back(std::move(tensor));
    }
  }
  for (const std::string &path : options.expected) {
    ErrorOr<HostTensor> tensor = readTensorFile(path);
    if (!tensor)
      usageError(tensor.error());
    expected.push_back(std::move(*tensor));
  }
  if (inputs.size() != inputCount)
    usageError("the model takes " + std::to_string(inputCount) + " inputs, got " +
               std::to_string(inputs.size()));
  if (!expected.empty() && expected.size() != outputCount)
    usageError("the model produces " + std::to_string(outputCount) + " outputs, got " +
               std::to_string(expected.size()) + " expected ones");
  std::vector<r1rt_tensor_t> inputViews;
  for (HostTensor &tensor : inputs)
    inputViews.push_back(describe(tensor));

  // A first run into buffers the session owns gives each output's shape.
  std::vector<r1rt_tensor_t> outputViews(outputCount);
  check(r1rt_session_run_tensors(session, inputViews.data(), inputViews.size(),
                                 outputViews.data(), outputViews.size()),
        "run");
  // Then into buffers poisoned beforehand, so elements the model fails to
  // write show up; these are the outputs compared.
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < outputCount; ++i) {
    outputs.push_back(HostTensor::zeros(
        static_cast<DType>(outputViews[i].dtype),
        std::vector<int64_t>(outputViews[i].dims, outputViews[i].dims + outputViews[i].rank),
        outputInfo[i].name));
    std::fill(outputs.back().bytes.begin(), outputs.back().bytes.end(), uint8_t(0xff));
    outputViews[i] = describe(outputs.back());
  }
  auto runOnce = [&] {
    check(r1rt_session_run_tensors(session, inputViews.data(), inputViews.size(),
                                   outputViews.data(), outputViews.size()),
          "run");
  };
  runOnce();

  std::vector<double> latencies;
  for (int i = 0; i < options.bench; ++i) {
    auto start = std::chrono::steady_clock::now();
    runOnce();
    latencies.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }

  if (!options.saveDir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.saveDir, error);
    if (error)
      usageError("--save-outputs: cannot create '" + options.saveDir + "': " + error.message());
  }
  bool allPassed = true;
  std::string json = "{\"model\": \"" + options.model + "\", \"device\": \"" + device +
                     "\", \"outputs\": [";
  for (size_t i = 0; i < outputCount; ++i) {
    if (!options.saveDir.empty()) {
      Status saved = writeNpy(options.saveDir + "/output_" + std::to_string(i) + ".npy", outputs[i]);
      if (!saved.ok())
        usageError(saved.error());
    }
    json += std::string(i ? ", " : "") + "{\"name\": \"" + outputInfo[i].name + "\"";
    if (expected.empty()) {
      if (!options.json)
        std::printf("output %zu '%s': %s (no expected values)\n", i, outputInfo[i].name,
                    outputs[i].typeString().c_str());
      json += "}";
      continue;
    }
    CompareResult result = compareTensors(expected[i], outputs[i], options.atol, options.rtol);
    allPassed &= result.passed;
    if (!options.json)
      std::printf("output %zu '%s': %s, max abs error %.3g, max rel error %.3g: %s\n", i,
                  outputInfo[i].name, result.passed ? "ok" : "MISMATCH", result.maxAbsError,
                  result.maxRelError, result.summary().c_str());
    char numbers[160];
    std::snprintf(numbers, sizeof numbers,
                  ", \"passed\": %s, \"max_abs_error\": %.6g, \"max_rel_error\": %.6g}",
                  result.passed ? "true" : "false", result.maxAbsError, result.maxRelError);
    json += numbers;
  }
  json += "]";
  if (!latencies.empty()) {
    double median = percentile(latencies, 0.5), p90 = percentile(latencies, 0.9);
    if (!options.json)
      std::printf("latency over %d runs: median %.4g ms, p90 %.4g ms\n", options.bench, median,
                  p90);
    char numbers[160];
    std::snprintf(numbers, sizeof numbers,
                  ", \"runs\": %d, \"median_ms\": %.6g, \"p90_ms\": %.6g", options.bench, median,
                  p90);
    json += numbers;
  }
  json += std::string(", \"passed\": ") + (allPassed ? "true" : "false") + "}";
  if (options.json)
    std::printf("%s\n", json.c_str());
  r1rt_session_release(session);
  r1rt_model_release(tiered);
  return allPassed ? 0 : 1;
}
