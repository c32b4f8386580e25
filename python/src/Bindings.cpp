// r1c._r1c: the runtime C API (runtime.h) for Python, the layer r1c.Engine builds on.
//
// Tensors cross as numpy arrays without copies: an input that is C-contiguous
// and aligned is read in place, and an output array passed in is written in
// place. Runs release the GIL. A failed status becomes the r1c.errors class of
// its code, with the runtime's message.
#include "r1c/runtime.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace nb = nanobind;

namespace {

// A failed r1rt status on its way to Python; the translator below raises it.
struct StatusError : std::runtime_error {
  StatusError(r1rt_status_code_t code, const std::string &message)
      : std::runtime_error(message), code(code) {}
  r1rt_status_code_t code;
};

void check(r1rt_status_t status) {
  if (!status)
    return;
  StatusError error(r1rt_status_code(status), r1rt_status_message(status));
  r1rt_status_release(status);
  throw error;
}

[[noreturn]] void invalid(const std::string &message) {
  throw StatusError(R1RT_INVALID_ARGUMENT, message);
}

// numpy's element types as DLPack describes them, and r1rt's codes for them.
struct DTypeMapping {
  uint8_t code;
  uint8_t bits;
  r1rt_dtype_t dtype;
};
constexpr DTypeMapping kDTypes[] = {
    {uint8_t(nb::dlpack::dtype_code::Float), 32, R1RT_DTYPE_FLOAT},
    {uint8_t(nb::dlpack::dtype_code::Float), 16, R1RT_DTYPE_FLOAT16},
    {uint8_t(nb::dlpack::dtype_code::Float), 64, R1RT_DTYPE_DOUBLE},
    {uint8_t(nb::dlpack::dtype_code::Bfloat), 16, R1RT_DTYPE_BFLOAT16},
    {uint8_t(nb::dlpack::dtype_code::Int), 8, R1RT_DTYPE_INT8},
    {uint8_t(nb::dlpack::dtype_code::Int), 16, R1RT_DTYPE_INT16},
    {uint8_t(nb::dlpack::dtype_code::Int), 32, R1RT_DTYPE_INT32},
    {uint8_t(nb::dlpack::dtype_code::Int), 64, R1RT_DTYPE_INT64},
    {uint8_t(nb::dlpack::dtype_code::UInt), 8, R1RT_DTYPE_UINT8},
    {uint8_t(nb::dlpack::dtype_code::UInt), 16, R1RT_DTYPE_UINT16},
    {uint8_t(nb::dlpack::dtype_code::UInt), 32, R1RT_DTYPE_UINT32},
    {uint8_t(nb::dlpack::dtype_code::UInt), 64, R1RT_DTYPE_UINT64},
    {uint8_t(nb::dlpack::dtype_code::Bool), 8, R1RT_DTYPE_BOOL},
    {uint8_t(nb::dlpack::dtype_code::Complex), 64, R1RT_DTYPE_COMPLEX64},
    {uint8_t(nb::dlpack::dtype_code::Complex), 128, R1RT_DTYPE_COMPLEX128},
};

r1rt_dtype_t toR1rt(nb::dlpack::dtype dtype, const char *what) {
  for (const DTypeMapping &m : kDTypes)
    if (m.code == dtype.code && m.bits == dtype.bits && dtype.lanes == 1)
      return m.dtype;
  invalid(std::string(what) + " has an element type the runtime does not take");
}

nb::dlpack::dtype toDlpack(r1rt_dtype_t dtype) {
  for (const DTypeMapping &m : kDTypes)
    if (m.dtype == dtype)
      return nb::dlpack::dtype{m.code, m.bits, 1};
  throw StatusError(R1RT_UNIMPLEMENTED, std::string("the runtime returned a ") +
                                            r1rt_dtype_name(dtype) +
                                            " tensor, which numpy has no type for");
}

using InputArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using OutputArray = nb::ndarray<nb::c_contig, nb::device::cpu>;

// Fills `tensor` from a C-contiguous array; `what` names it in errors.
void describe(r1rt_tensor_t &tensor, const void *data, size_t bytes, nb::dlpack::dtype dtype,
              size_t ndim, const int64_t *shape, const std::string &what) {
  if (ndim > R1RT_MAX_RANK)
    invalid(what + " has rank " + std::to_string(ndim) + "; the runtime takes at most " +
            std::to_string(R1RT_MAX_RANK));
  std::memset(&tensor, 0, sizeof(tensor));
  tensor.data = const_cast<void *>(data);
  tensor.bytes = bytes;
  tensor.dtype = toR1rt(dtype, what.c_str());
  tensor.rank = int32_t(ndim);
  for (size_t d = 0; d < ndim; ++d)
    tensor.dims[d] = shape[d];
}

nb::dict tensorInfo(const r1rt_tensor_info_t &info) {
  nb::dict result;
  result["name"] = nb::str(info.name);
  result["dtype"] = int(info.dtype);
  nb::list dims, names;
  for (int32_t d = 0; d < info.rank; ++d) {
    dims.append(info.dims[d]);
    names.append(nb::str(info.dim_names[d]));
  }
  result["dims"] = dims;
  result["dim_names"] = names;
  return result;
}

class Model {
public:
  explicit Model(const std::string &path) {
    check(r1rt_model_create_from_file(path.c_str(), &model_));
  }
  explicit Model(nb::bytes bytes) {
    check(r1rt_model_create_from_memory(bytes.c_str(), bytes.size(), &model_));
  }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;
  ~Model() { r1rt_model_release(model_); }

  r1rt_model_t get() const { return model_; }

  std::string name() const {
    const char *name = nullptr;
    check(r1rt_model_name(model_, &name));
    return name;
  }
  std::string producer() const {
    const char *producer = nullptr;
    check(r1rt_model_producer(model_, &producer));
    return producer;
  }
  nb::list inputs() const { return tensors(r1rt_model_input_count, r1rt_model_input_info); }
  // The tiers' names, cheapest first; empty for a model of one tier.
  std::vector<std::string> tierNames() const {
    size_t count = 0;
    check(r1rt_model_tier_count(model_, &count));
    std::vector<std::string> names;
    for (size_t i = 0; i < count; ++i) {
      r1rt_model_t tier = nullptr;
      const char *name = nullptr;
      check(r1rt_model_tier(model_, i, &tier, &name));
      names.push_back(name);
    }
    return names;
  }
  nb::dict cascade() const {
    r1rt_cascade_metric_t metric;
    float threshold;
    size_t output;
    check(r1rt_model_cascade(model_, &metric, &threshold, &output));
    nb::dict result;
    result["metric"] = int(metric);
    result["threshold"] = threshold;
    result["output"] = output;
    return result;
  }
  nb::list outputs() const { return tensors(r1rt_model_output_count, r1rt_model_output_info); }

private:
  template <typename Count, typename Info> nb::list tensors(Count count, Info info) const {
    size_t n = 0;
    check(count(model_, &n));
    nb::list result;
    for (size_t i = 0; i < n; ++i) {
      r1rt_tensor_info_t tensor;
      check(info(model_, i, &tensor));
      result.append(tensorInfo(tensor));
    }
    return result;
  }

  r1rt_model_t model_ = nullptr;
};

class Session {
public:
  Session(const Model &model, int device, int ordinal, bool disableGraphs) {
    r1rt_session_options_t options;
    r1rt_session_options_init(&options);
    options.device = r1rt_device_t(device);
    options.device_ordinal = ordinal;
    options.disable_graphs = disableGraphs ? 1 : 0;
    r1rt_status_t status;
    {
      // Creating a GPU session may load a driver and upload weights.
      nb::gil_scoped_release release;
      status = r1rt_session_create_with_options(model.get(), &options, &session_);
    }
    check(status);
    check(r1rt_model_output_count(model.get(), &outputCount_));
    check(r1rt_model_input_count(model.get(), &inputCount_));
  }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session() { r1rt_session_release(session_); }

  std::string device() const {
    const char *description = nullptr;
    check(r1rt_session_device(session_, &description));
    return description;
  }
  void setThreads(size_t threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    check(r1rt_session_set_threads(session_, threads));
  }
  size_t arenaSize() const {
    size_t bytes = 0;
    check(r1rt_session_arena_size(session_, &bytes));
    return bytes;
  }
  size_t bucketCount() const {
    size_t count = 0;
    check(r1rt_session_bucket_count(session_, &count));
    return count;
  }
  std::vector<int64_t> bucketInputDims(size_t bucket, size_t input) const {
    int32_t rank = 0;
    const int64_t *dims = nullptr;
    check(r1rt_session_bucket_input_dims(session_, bucket, input, &rank, &dims));
    return std::vector<int64_t>(dims, dims + rank);
  }

  // Runs on `inputs` (model order). outputs[i] is an array to write output
  // i into, or None for a new array the size the run gives. Returns the
  // outputs: the arrays passed in, or the new ones.
  nb::list run(const std::vector<InputArray> &inputs,
               const std::vector<std::optional<OutputArray>> &outputs) {
    if (inputs.size() != inputCount_)
      invalid("the model takes " + std::to_string(inputCount_) + " inputs; got " +
              std::to_string(inputs.size()));
    if (outputs.size() != outputCount_)
      invalid("the model has " + std::to_string(outputCount_) + " outputs; got " +
              std::to_string(outputs.size()) + " output slots");
    std::vector<r1rt_tensor_t> in(inputs.size()), out(outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const InputArray &a = inputs[i];
      describe(in[i], a.data(), a.nbytes(), a.dtype(), a.ndim(), a.shape_ptr(),
               "input " + std::to_string(i));
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (!outputs[i]) {
        std::memset(&out[i], 0, sizeof(out[i])); // data == NULL: the session's buffer
        continue;
      }
      const OutputArray &a = *outputs[i];
      describe(out[i], a.data(), a.nbytes(), a.dtype(), a.ndim(), a.shape_ptr(),
               "output " + std::to_string(i));
    }
    r1rt_status_t status;
    std::vector<std::unique_ptr<uint8_t[]>> owned(outputs.size());
    std::vector<bool> mine(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i)
      mine[i] = !outputs[i];
    {
      nb::gil_scoped_release release;
      // One request at a time per session (runtime.h); Engine keeps a pool so
      // this lock is uncontended there.
      std::lock_guard<std::mutex> lock(mutex_);
      status = r1rt_session_run_tensors(session_, in.data(), in.size(), out.data(), out.size());
      if (!status)
        status = copyOwnedOutputs(out, mine, owned);
    }
    check(status);
    nb::list result;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i]) {
        result.append(nb::cast(*outputs[i]));
        continue;
      }
      // The copy made under the lock, owned by a capsule from here on.
      uint8_t *data = owned[i].release();
      nb::capsule owner(data, [](void *p) noexcept { delete[] static_cast<uint8_t *>(p); });
      size_t shape[R1RT_MAX_RANK];
      for (int32_t d = 0; d < out[i].rank; ++d)
        shape[d] = size_t(out[i].dims[d]);
      result.append(nb::ndarray<nb::numpy>(data, size_t(out[i].rank), shape, owner, nullptr,
                                           toDlpack(out[i].dtype))
                        .cast());
    }
    return result;
  }

private:
  // Session-owned outputs live until the next run, so they are copied out
  // while this thread still holds the session.
  // Copies output i where mine[i] (its buffer is the session's) into owned[i].
  static r1rt_status_t copyOwnedOutputs(const std::vector<r1rt_tensor_t> &out,
                                        const std::vector<bool> &mine,
                                        std::vector<std::unique_ptr<uint8_t[]>> &owned) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (!mine[i])
        continue;
      // At least one byte, so an empty output still has an owner to free.
      owned[i].reset(new (std::nothrow) uint8_t[out[i].bytes ? out[i].bytes : 1]);
      if (!owned[i])
        return r1rt_status_create(R1RT_OUT_OF_MEMORY, "no memory for a copy of an output");
      std::memcpy(owned[i].get(), out[i].data, out[i].bytes);
    }
    return nullptr;
  }

  r1rt_session_t session_ = nullptr;
  size_t inputCount_ = 0, outputCount_ = 0;
  std::mutex mutex_;
};

// The tier-switching allocator (r1rt_allocator_*): thread-safe, so runs
// need no lock here.
class Allocator {
public:
  Allocator(const Model &model, int device, int ordinal, float threshold, int metric,
            uint64_t memoryBudget, const std::vector<double> &penalties, double smoothing,
            uint32_t threads) {
    r1rt_allocator_options_t options;
    r1rt_allocator_options_init(&options);
    options.device = r1rt_device_t(device);
    options.device_ordinal = ordinal;
    options.cascade_threshold = threshold;
    options.cascade_metric = r1rt_cascade_metric_t(metric);
    options.memory_budget = memoryBudget;
    if (penalties.size() > R1RT_MAX_TIERS)
      invalid("accuracy_penalty_us has " + std::to_string(penalties.size()) +
              " values; there are at most " + std::to_string(R1RT_MAX_TIERS) + " tiers");
    for (size_t i = 0; i < penalties.size(); ++i)
      options.accuracy_penalty_us[i] = penalties[i];
    if (smoothing > 0)
      options.latency_smoothing = smoothing;
    options.threads = threads;
    r1rt_status_t status;
    {
      nb::gil_scoped_release release;
      status = r1rt_allocator_create(model.get(), &options, &allocator_);
    }
    check(status);
    check(r1rt_model_input_count(model.get(), &inputCount_));
    check(r1rt_model_output_count(model.get(), &outputCount_));
  }
  Allocator(const Allocator &) = delete;
  Allocator &operator=(const Allocator &) = delete;
  ~Allocator() { r1rt_allocator_release(allocator_); }

  size_t tierCount() const {
    size_t count = 0;
    check(r1rt_allocator_tier_count(allocator_, &count));
    return count;
  }

  // Runs one request into `outputs` (arrays, one per output); returns what
  // happened (r1rt_request_result_t) as a dict.
  nb::dict run(const std::vector<InputArray> &inputs, const std::vector<OutputArray> &outputs,
               double deadlineUs, double complexity, int tier) {
    if (inputs.size() != inputCount_ || outputs.size() != outputCount_)
      invalid("the model takes " + std::to_string(inputCount_) + " inputs and " +
              std::to_string(outputCount_) + " outputs; got " + std::to_string(inputs.size()) +
              " and " + std::to_string(outputs.size()));
    std::vector<r1rt_tensor_t> in(inputs.size()), out(outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i)
      describe(in[i], inputs[i].data(), inputs[i].nbytes(), inputs[i].dtype(), inputs[i].ndim(),
               inputs[i].shape_ptr(), "input " + std::to_string(i));
    for (size_t i = 0; i < outputs.size(); ++i)
      describe(out[i], outputs[i].data(), outputs[i].nbytes(), outputs[i].dtype(),
               outputs[i].ndim(), outputs[i].shape_ptr(), "output " + std::to_string(i));
    r1rt_request_t request;
    r1rt_request_init(&request);
    request.deadline_us = deadlineUs;
    request.complexity = complexity;
    request.tier = tier;
    r1rt_request_result_t result;
    r1rt_status_t status;
    {
      nb::gil_scoped_release release;
      status = r1rt_allocator_run(allocator_, in.data(), in.size(), out.data(), out.size(),
                                  &request, &result);
    }
    check(status);
    nb::dict info;
    info["tier"] = result.tier;
    info["first_tier"] = result.first_tier;
    info["escalated"] = bool(result.escalated);
    info["fell_back"] = bool(result.fell_back);
    info["score"] = result.score;
    info["latency_us"] = result.latency_us;
    return info;
  }

  nb::dict tierStats(size_t tier) const {
    r1rt_tier_stats_t s;
    check(r1rt_allocator_tier_stats(allocator_, tier, &s));
    nb::dict stats;
    stats["requests"] = s.requests;
    stats["escalations"] = s.escalations;
    stats["failures"] = s.failures;
    stats["arena_bytes"] = s.arena_bytes;
    stats["latency_ema_us"] = s.latency_ema_us;
    stats["p50_us"] = s.p50_us;
    stats["p99_us"] = s.p99_us;
    return stats;
  }

private:
  r1rt_allocator_t allocator_ = nullptr;
  size_t inputCount_ = 0, outputCount_ = 0;
};

} // namespace

NB_MODULE(_r1c, m) {
  m.doc() = "Bindings of libr1rt, the r1c runtime; use the r1c package rather than this module.";

  nb::register_exception_translator([](const std::exception_ptr &p, void *) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError &e) {
      nb::object errors = nb::module_::import_("r1c.errors");
      nb::object cls = errors.attr("error_for_code")(r1rt_status_code_name(e.code));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });

  m.def("version", [] { return std::string(r1rt_version_string()); });
  m.def("artifact_format_version", [] { return r1rt_artifact_format_version(); });
  m.def("dtype_name", [](int dtype) { return std::string(r1rt_dtype_name(r1rt_dtype_t(dtype))); });

  m.attr("DEVICE_AUTO") = int(R1RT_DEVICE_AUTO);
  m.attr("DEVICE_HOST") = int(R1RT_DEVICE_HOST);
  m.attr("DEVICE_CUDA") = int(R1RT_DEVICE_CUDA);
  m.attr("DEVICE_HIP") = int(R1RT_DEVICE_HIP);

  nb::class_<Model>(m, "Model")
      .def(nb::init<const std::string &>(), nb::arg("path"))
      .def_static(
          "from_bytes", [](nb::bytes data) { return new Model(data); }, nb::arg("data"))
      .def_prop_ro("name", &Model::name)
      .def_prop_ro("producer", &Model::producer)
      .def("inputs", &Model::inputs)
      .def("outputs", &Model::outputs)
      .def("tier_names", &Model::tierNames)
      .def("cascade", &Model::cascade);

  nb::class_<Allocator>(m, "Allocator")
      .def(nb::init<const Model &, int, int, float, int, uint64_t, const std::vector<double> &,
                    double, uint32_t>(),
           nb::arg("model"), nb::arg("device"), nb::arg("ordinal"), nb::arg("cascade_threshold"),
           nb::arg("cascade_metric"), nb::arg("memory_budget"), nb::arg("accuracy_penalty_us"),
           nb::arg("latency_smoothing"), nb::arg("threads"), nb::keep_alive<1, 2>())
      .def_prop_ro("tier_count", &Allocator::tierCount)
      .def("run", &Allocator::run, nb::arg("inputs"), nb::arg("outputs"), nb::arg("deadline_us"),
           nb::arg("complexity"), nb::arg("tier"))
      .def("tier_stats", &Allocator::tierStats, nb::arg("tier"));

  nb::class_<Session>(m, "Session")
      // The model outlives its sessions (runtime.h): the session keeps it alive.
      .def(nb::init<const Model &, int, int, bool>(), nb::arg("model"), nb::arg("device") = 0,
           nb::arg("ordinal") = 0, nb::arg("disable_graphs") = false, nb::keep_alive<1, 2>())
      .def_prop_ro("device", &Session::device)
      .def("set_threads", &Session::setThreads, nb::arg("threads"))
      .def_prop_ro("arena_size", &Session::arenaSize)
      .def("bucket_count", &Session::bucketCount)
      .def("bucket_input_dims", &Session::bucketInputDims, nb::arg("bucket"), nb::arg("input"))
      .def("run", &Session::run, nb::arg("inputs"), nb::arg("outputs"));
}
