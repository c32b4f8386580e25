// C++17 wrapper over the runtime C API (runtime.h): RAII handles and results.
//
// Header-only; it adds no symbols to libr1rt. Errors come back as values:
// a `Result<T>` holds either a T or a failed `Status`, so the wrapper also
// works in code built without exceptions. Where exceptions are on,
// `Result::valueOrThrow()` and `throwIfError()` turn a failure into an
// `r1c::Error`.
//
//   auto model = r1c::Model::fromFile("model.r1");
//   if (!model.ok()) { std::cerr << model.status().message() << "\n"; return 1; }
//   for (const r1c::TensorInfo &input : model->inputs()) ...
//   auto session = r1c::Session::create(*model);
//
// Views a Model returns (names, section data) live as long as that Model.
#ifndef R1C_RUNTIME_HPP
#define R1C_RUNTIME_HPP

#include "r1c/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define R1C_RUNTIME_HPP_EXCEPTIONS 1
#include <stdexcept>
#endif

namespace r1c {

// Owns an r1rt_status_t; a default-constructed Status is success.
class Status {
public:
  Status() = default;
  // Takes ownership of `status` (NULL is success).
  explicit Status(r1rt_status_t status) : status_(status) {}
  Status(r1rt_status_code_t code, const char *message)
      : status_(r1rt_status_create(code, message)) {}
  Status(Status &&other) noexcept : status_(std::exchange(other.status_, nullptr)) {}
  Status &operator=(Status &&other) noexcept {
    if (this != &other) {
      r1rt_status_release(status_);
      status_ = std::exchange(other.status_, nullptr);
    }
    return *this;
  }
  Status(const Status &) = delete;
  Status &operator=(const Status &) = delete;
  ~Status() { r1rt_status_release(status_); }

  bool ok() const { return status_ == nullptr; }
  r1rt_status_code_t code() const { return r1rt_status_code(status_); }
  // "" for success.
  const char *message() const { return r1rt_status_message(status_); }
  // "DATA_LOSS: artifact truncated: ..." or "OK".
  std::string toString() const {
    if (ok())
      return "OK";
    return std::string(r1rt_status_code_name(code())) + ": " + message();
  }
  // Gives the C status back to the caller, who must release it.
  r1rt_status_t release() { return std::exchange(status_, nullptr); }

private:
  r1rt_status_t status_ = nullptr;
};

#ifdef R1C_RUNTIME_HPP_EXCEPTIONS
// What valueOrThrow() and throwIfError() throw.
class Error : public std::runtime_error {
public:
  Error(r1rt_status_code_t code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  r1rt_status_code_t code() const { return code_; }

private:
  r1rt_status_code_t code_;
};

inline void throwIfError(const Status &status) {
  if (!status.ok())
    throw Error(status.code(), status.message());
}
#endif

// Either a value or a failed Status.
template <typename T> class Result {
public:
  Result(T value) : value_(std::move(value)) {}
  // `status` must be a failure; a success without a value becomes INTERNAL.
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok())
      status_ = Status(R1RT_INTERNAL, "r1c::Result made from a success without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status &status() const { return status_; }

  // The value; calling these on a failure aborts with the message.
  T &value() & {
    check();
    return *value_;
  }
  const T &value() const & {
    check();
    return *value_;
  }
  T &&value() && {
    check();
    return std::move(*value_);
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

#ifdef R1C_RUNTIME_HPP_EXCEPTIONS
  T valueOrThrow() && {
    throwIfError(status_);
    return std::move(*value_);
  }
#endif

private:
  void check() const {
    if (!value_) {
      std::fprintf(stderr, "r1c::Result::value() on an error: %s\n", status_.toString().c_str());
      std::abort();
    }
  }

  std::optional<T> value_;
  Status status_;
};

// A graph input or output; the views live as long as the Model.
struct TensorInfo {
  std::string_view name;
  r1rt_dtype_t dtype = R1RT_DTYPE_FLOAT;
  std::vector<int64_t> dims;              // -1 for a symbolic dim
  std::vector<std::string_view> dimNames; // "" for static or unnamed dims
};

// A section of the artifact; `data` lives as long as the Model.
struct Section {
  uint32_t kind = 0;
  std::string_view name;
  const void *data = nullptr;
  size_t size = 0;
};

// Owns an r1rt_model_t. Move-only; a moved-from Model holds nothing and its
// queries return empty values.
class Model {
public:
  static Result<Model> fromFile(const std::string &path) {
    r1rt_model_t model = nullptr;
    if (r1rt_status_t status = r1rt_model_create_from_file(path.c_str(), &model))
      return Status(status);
    return Model(model);
  }
  // Copies the bytes.
  static Result<Model> fromMemory(const void *data, size_t size) {
    r1rt_model_t model = nullptr;
    if (r1rt_status_t status = r1rt_model_create_from_memory(data, size, &model))
      return Status(status);
    return Model(model);
  }

  Model() = default;
  // Takes ownership of `model`.
  explicit Model(r1rt_model_t model) : model_(model) {}
  Model(Model &&other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
  Model &operator=(Model &&other) noexcept {
    if (this != &other) {
      r1rt_model_release(model_);
      model_ = std::exchange(other.model_, nullptr);
    }
    return *this;
  }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;
  ~Model() { r1rt_model_release(model_); }

  r1rt_model_t get() const { return model_; }
  r1rt_model_t release() { return std::exchange(model_, nullptr); }

  std::string_view name() const { return string(r1rt_model_name); }
  std::string_view producer() const { return string(r1rt_model_producer); }

  size_t inputCount() const { return count(r1rt_model_input_count); }
  size_t outputCount() const { return count(r1rt_model_output_count); }

  Result<TensorInfo> input(size_t index) const { return info(r1rt_model_input_info, index); }
  Result<TensorInfo> output(size_t index) const { return info(r1rt_model_output_info, index); }

  std::vector<TensorInfo> inputs() const {
    return all(r1rt_model_input_count, r1rt_model_input_info);
  }
  std::vector<TensorInfo> outputs() const {
    return all(r1rt_model_output_count, r1rt_model_output_info);
  }

  Result<size_t> findInput(const std::string &name) const {
    return find(r1rt_model_find_input, name);
  }
  Result<size_t> findOutput(const std::string &name) const {
    return find(r1rt_model_find_output, name);
  }

  std::vector<Section> sections() const {
    std::vector<Section> out;
    size_t n = count(r1rt_model_section_count);
    for (size_t i = 0; i < n; ++i) {
      r1rt_section_info_t info;
      Status status(r1rt_model_section_info(model_, i, &info));
      if (status.ok())
        out.push_back(Section{info.kind, info.name, info.data, info.size});
    }
    return out;
  }

  // The section of `kind` called `name`, or the first of `kind` for NULL.
  Result<Section> findSection(uint32_t kind, const char *name = nullptr) const {
    for (const Section &section : sections())
      if (section.kind == kind && (!name || section.name == name))
        return section;
    // Not there: let the C API make the error, which names what was asked.
    const void *data = nullptr;
    size_t size = 0;
    Status status(r1rt_model_find_section(model_, kind, name, &data, &size));
    if (status.ok())
      return Status(R1RT_INTERNAL, "section lookup disagrees with the section list");
    return Result<Section>(std::move(status));
  }

private:
  using StringQuery = r1rt_status_t (*)(r1rt_model_t, const char **);
  using CountQuery = r1rt_status_t (*)(r1rt_model_t, size_t *);
  using InfoQuery = r1rt_status_t (*)(r1rt_model_t, size_t, r1rt_tensor_info_t *);
  using FindQuery = r1rt_status_t (*)(r1rt_model_t, const char *, size_t *);

  std::string_view string(StringQuery query) const {
    const char *value = "";
    Status status(query(model_, &value));
    return status.ok() ? value : "";
  }
  size_t count(CountQuery query) const {
    size_t value = 0;
    Status status(query(model_, &value));
    return status.ok() ? value : 0;
  }
  Result<TensorInfo> info(InfoQuery query, size_t index) const {
    r1rt_tensor_info_t raw;
    if (r1rt_status_t status = query(model_, index, &raw))
      return Status(status);
    TensorInfo out;
    out.name = raw.name;
    out.dtype = raw.dtype;
    for (int32_t d = 0; d < raw.rank; ++d) {
      out.dims.push_back(raw.dims[d]);
      out.dimNames.emplace_back(raw.dim_names[d]);
    }
    return out;
  }
  std::vector<TensorInfo> all(CountQuery countQuery, InfoQuery infoQuery) const {
    std::vector<TensorInfo> out;
    size_t n = count(countQuery);
    for (size_t i = 0; i < n; ++i) {
      Result<TensorInfo> one = info(infoQuery, i);
      if (one.ok())
        out.push_back(std::move(one).value());
    }
    return out;
  }
  Result<size_t> find(FindQuery query, const std::string &name) const {
    size_t index = 0;
    if (r1rt_status_t status = query(model_, name.c_str(), &index))
      return Status(status);
    return index;
  }

  r1rt_model_t model_ = nullptr;
};

// An r1rt_tensor_t over `bytes` bytes of `dtype` at `data` with `dims`, for
// Session::run. An input's data is only read. For an output, `data` is a
// buffer of `bytes` capacity, or nullptr for one the session owns; its
// dims are written by the run. More than R1RT_MAX_RANK dims keep the rank,
// which the run then refuses.
inline r1rt_tensor_t makeTensor(const void *data, size_t bytes, r1rt_dtype_t dtype,
                                const std::vector<int64_t> &dims = {}) {
  r1rt_tensor_t tensor{};
  tensor.data = const_cast<void *>(data);
  tensor.bytes = bytes;
  tensor.dtype = dtype;
  tensor.rank = int32_t(dims.size());
  for (size_t d = 0; d < dims.size() && d < R1RT_MAX_RANK; ++d)
    tensor.dims[d] = dims[d];
  return tensor;
}

// The dims of a tensor, e.g. of an output after a run.
inline std::vector<int64_t> dimsOf(const r1rt_tensor_t &tensor) {
  int32_t rank = tensor.rank < 0 ? 0 : tensor.rank > R1RT_MAX_RANK ? R1RT_MAX_RANK : tensor.rank;
  return std::vector<int64_t>(tensor.dims, tensor.dims + rank);
}

// Owns an r1rt_session_t: a Model loaded for execution, with its arena. The
// Model must outlive its Sessions. One Session runs one request at a time;
// use one per thread. Move-only; a moved-from Session holds nothing, its
// runs fail and its queries return 0.
//
//   r1c::Session session = r1c::Session::create(model).valueOrThrow();
//   std::vector<r1rt_tensor_t> outputs;  // empty: the session owns them
//   r1c::Status status = session.run(
//       {r1c::makeTensor(x.data(), x.size() * 4, R1RT_DTYPE_FLOAT, {4, 16})}, outputs);
class Session {
public:
  static Result<Session> create(const Model &model) {
    r1rt_session_t session = nullptr;
    if (r1rt_status_t status = r1rt_session_create(model.get(), &session))
      return Status(status);
    return Session(session, model.outputCount());
  }
  // A session on `device` (R1RT_DEVICE_CUDA, ...), GPU number `ordinal`.
  static Result<Session> create(const Model &model, r1rt_device_t device, int32_t ordinal = 0) {
    r1rt_session_options_t options;
    r1rt_session_options_init(&options);
    options.device = device;
    options.device_ordinal = ordinal;
    r1rt_session_t session = nullptr;
    if (r1rt_status_t status = r1rt_session_create_with_options(model.get(), &options, &session))
      return Status(status);
    return Session(session, model.outputCount());
  }

  Session() = default;
  // Takes ownership of `session`, a session of a model with `outputCount`
  // outputs.
  Session(r1rt_session_t session, size_t outputCount)
      : session_(session), outputCount_(outputCount) {}
  Session(Session &&other) noexcept
      : session_(std::exchange(other.session_, nullptr)),
        outputCount_(std::exchange(other.outputCount_, 0)) {}
  Session &operator=(Session &&other) noexcept {
    if (this != &other) {
      r1rt_session_release(session_);
      session_ = std::exchange(other.session_, nullptr);
      outputCount_ = std::exchange(other.outputCount_, 0);
    }
    return *this;
  }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session() { r1rt_session_release(session_); }

  r1rt_session_t get() const { return session_; }
  r1rt_session_t release() {
    outputCount_ = 0;
    return std::exchange(session_, nullptr);
  }

  // Runs the model (r1rt_session_run_tensors): it picks the shape bucket
  // from the inputs' dims. `outputs` holds one tensor per output, or is
  // empty for outputs the session owns; either way each comes back with its
  // data, bytes and dims. Session-owned data stays valid until the next run.
  Status run(const std::vector<r1rt_tensor_t> &inputs, std::vector<r1rt_tensor_t> &outputs) {
    if (outputs.empty())
      outputs.resize(outputCount_, r1rt_tensor_t{});
    return Status(r1rt_session_run_tensors(session_, inputs.data(), inputs.size(), outputs.data(),
                                           outputs.size()));
  }

  // Runs kernels on `threads` threads, the caller's included; 0 means one
  // per CPU the process may use (r1rt_session_set_threads).
  Status setThreads(size_t threads) { return Status(r1rt_session_set_threads(session_, threads)); }

  // What runs the session: "host (host-x86-64-v4)", "CUDA device 0: ...".
  std::string device() const {
    const char *description = "";
    if (r1rt_status_t status = r1rt_session_device(session_, &description))
      r1rt_status_release(status);
    return description;
  }

  // Bytes of the arena now: 0 before the first run.
  size_t arenaSize() const { return count(r1rt_session_arena_size); }
  // Number of shape buckets (entry points).
  size_t bucketCount() const { return count(r1rt_session_bucket_count); }

  // The dims input `input` takes in bucket `bucket`.
  Result<std::vector<int64_t>> bucketInputDims(size_t bucket, size_t input) const {
    int32_t rank = 0;
    const int64_t *dims = nullptr;
    if (r1rt_status_t status =
            r1rt_session_bucket_input_dims(session_, bucket, input, &rank, &dims))
      return Status(status);
    return std::vector<int64_t>(dims, dims + rank);
  }

private:
  using CountQuery = r1rt_status_t (*)(r1rt_session_t, size_t *);

  size_t count(CountQuery query) const {
    size_t value = 0;
    Status status(query(session_, &value));
    return status.ok() ? value : 0;
  }

  r1rt_session_t session_ = nullptr;
  size_t outputCount_ = 0;
};

} // namespace r1c

#endif // R1C_RUNTIME_HPP
