// Sessions: a model loaded for execution on one device, with its own
// buffers. The session checks requests, picks the shape bucket, pads and
// trims; an executor (Executor.h) runs the bucket's entry point on the
// host or a GPU.
#include "AlignedBuffer.h"
#include "Error.h"
#include "Executor.h"
#include "r1c/artifact_format.h"
#include "r1c/runtime.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <sched.h>
#include <string>
#include <vector>

namespace {

using r1rt::AlignedBuffer;
using r1rt::TensorInfo;

uint64_t elementCount(const std::vector<int64_t> &dims) {
  uint64_t count = 1;
  for (int64_t dim : dims)
    count *= uint64_t(dim);
  return count;
}

std::string formatDims(const int64_t *dims, size_t rank) {
  std::string text = "[";
  for (size_t d = 0; d < rank; ++d)
    text += (d ? "," : "") + (dims[d] < 0 ? std::string("?") : std::to_string(dims[d]));
  return text + "]";
}
std::string formatDims(const std::vector<int64_t> &dims) {
  return formatDims(dims.data(), dims.size());
}

// Copies a tensor of `from` dims into one of `to` dims that differ only
// along `axis` (either way: padding with zeros, or trimming).
void copyAlongAxis(const void *source, const std::vector<int64_t> &from, void *target,
                   const std::vector<int64_t> &to, int32_t axis, size_t elementSize) {
  uint64_t outer = 1, inner = elementSize;
  for (int32_t d = 0; d < axis; ++d)
    outer *= uint64_t(from[d]);
  for (size_t d = axis + 1; d < from.size(); ++d)
    inner *= uint64_t(from[d]);
  uint64_t fromRow = uint64_t(from[axis]) * inner, toRow = uint64_t(to[axis]) * inner;
  uint64_t common = std::min(fromRow, toRow);
  auto *out = static_cast<char *>(target);
  auto *in = static_cast<const char *>(source);
  for (uint64_t o = 0; o < outer; ++o) {
    std::memcpy(out + o * toRow, in + o * fromRow, common);
    if (toRow > common)
      std::memset(out + o * toRow + common, 0, toRow - common);
  }
}

} // namespace

struct r1rt_session {
  r1rt_model_t model = nullptr;
  std::unique_ptr<r1rt::Executor> executor;
  std::vector<r1rt::PlanEntry> entries; // the executor's, one per bucket
  std::vector<TensorInfo> inputs, outputs;
  // Padded inputs, outputs run at bucket size, and session-owned outputs.
  std::vector<AlignedBuffer> paddedInputs, stagedOutputs, ownedOutputs;
  std::vector<int64_t> outputDims;
};

namespace {

r1rt_status_t readTensorInfo(r1rt_model_t model, bool input, size_t count,
                             std::vector<TensorInfo> &out) {
  for (size_t i = 0; i < count; ++i) {
    r1rt_tensor_info_t info;
    if (r1rt_status_t status = input ? r1rt_model_input_info(model, i, &info)
                                     : r1rt_model_output_info(model, i, &info))
      return status;
    if (info.rank > R1RT_MAX_RANK)
      return r1rt::makeError(R1RT_UNIMPLEMENTED, "%s %zu has rank %d; the runtime runs up to %d",
                             input ? "input" : "output", i, int(info.rank), R1RT_MAX_RANK);
    out.push_back({info.name, info.dtype, std::vector<int64_t>(info.dims, info.dims + info.rank)});
  }
  return nullptr;
}

// How a request fits one entry: not at all, exactly, or padded to `extent`
// along the entry's pad axes.
struct Fit {
  bool fits = false;
  int64_t padded = -1; // the request's extent along the pad axes; -1 if exact
};

Fit fitOf(const r1rt::PlanEntry &entry, const r1rt_tensor_t *inputs) {
  Fit fit{true, -1};
  for (size_t i = 0; i < entry.inputs.size(); ++i) {
    const r1rt::PlanTensor &planned = entry.inputs[i];
    for (size_t d = 0; d < planned.dims.size(); ++d) {
      int64_t want = planned.dims[d], got = inputs[i].dims[d];
      if (got == want)
        continue;
      if (int32_t(d) != planned.padAxis || got > want || (fit.padded >= 0 && fit.padded != got))
        return Fit{};
      fit.padded = got;
    }
  }
  // Every padded tensor pads the same rows: inputs at full size along a pad
  // axis would then disagree with the ones padded.
  if (fit.padded >= 0)
    for (size_t i = 0; i < entry.inputs.size(); ++i)
      if (entry.inputs[i].padAxis >= 0 &&
          inputs[i].dims[entry.inputs[i].padAxis] != fit.padded)
        return Fit{};
  return fit;
}

// What the model takes, for an error about input `index`.
std::string acceptedShapes(const r1rt_session *session, size_t index) {
  std::string text;
  for (size_t e = 0; e < session->entries.size() && e < 16; ++e)
    text += (e ? ", " : "") + formatDims(session->entries[e].inputs[index].dims);
  if (session->entries.size() > 16)
    text += ", ...";
  return text;
}

r1rt_status_t checkInput(const r1rt_session *session, size_t i, const r1rt_tensor_t &input) {
  const TensorInfo &info = session->inputs[i];
  const char *name = info.name.c_str();
  if (input.dtype != info.dtype)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "input %zu ('%s') is %s but the model takes %s",
                           i, name, r1rt_dtype_name(input.dtype), r1rt_dtype_name(info.dtype));
  if (input.rank != int32_t(info.dims.size()))
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "input %zu ('%s') has rank %d but the model takes rank %zu %s", i, name,
                           int(input.rank), info.dims.size(), formatDims(info.dims).c_str());
  uint64_t elements = 1;
  for (int32_t d = 0; d < input.rank; ++d) {
    if (input.dims[d] < 0 || input.dims[d] > (int64_t(1) << 40))
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "input %zu ('%s') has dim %d = %lld", i, name,
                             int(d), (long long)input.dims[d]);
    elements *= uint64_t(input.dims[d]);
    if (elements > (uint64_t(1) << 48))
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "input %zu ('%s') is too large", i, name);
  }
  uint64_t bytes = elements * r1rt_dtype_size(info.dtype);
  if (input.bytes < bytes)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "input %zu ('%s') %s needs %llu bytes but its buffer has %zu", i, name,
                           formatDims(input.dims, input.rank).c_str(),
                           (unsigned long long)bytes, input.bytes);
  if (bytes && !input.data)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "inputs[%zu].data is NULL", i);
  return nullptr;
}

// The input and output arrays of a run match the model's counts.
r1rt_status_t checkCounts(const r1rt_session *session, const void *inputs, size_t input_count,
                          const void *outputs, size_t output_count) {
  if (input_count != session->inputs.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "the model takes %zu inputs, got %zu",
                           session->inputs.size(), input_count);
  if (output_count != session->outputs.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "the model produces %zu outputs, got %zu",
                           session->outputs.size(), output_count);
  if ((input_count && !inputs) || (output_count && !outputs))
    return r1rt::nullArgument(!inputs ? "inputs" : "outputs");
  return nullptr;
}

// A caller-owned output buffer must hold the output.
r1rt_status_t checkCapacity(const r1rt_session *session, size_t i, const r1rt_tensor_t &output,
                            const std::vector<int64_t> &dims) {
  uint64_t bytes = elementCount(dims) * r1rt_dtype_size(session->outputs[i].dtype);
  if (!output.data || output.bytes >= bytes)
    return nullptr;
  return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                         "output %zu ('%s') %s needs %llu bytes but its buffer has %zu", i,
                         session->outputs[i].name.c_str(), formatDims(dims).c_str(),
                         (unsigned long long)bytes, output.bytes);
}

} // namespace

// Every entry takes and makes the dims the metadata declares static:
// r1rt_session_run sizes its buffers by the metadata alone.
r1rt_status_t r1rt::checkEntriesMatchModel(const std::vector<r1rt::PlanEntry> &entries,
                                           const std::vector<TensorInfo> &inputs,
                                           const std::vector<TensorInfo> &outputs) {
  for (const r1rt::PlanEntry &entry : entries)
    for (bool input : {true, false}) {
      const std::vector<TensorInfo> &declared = input ? inputs : outputs;
      const std::vector<r1rt::PlanTensor> &planned = input ? entry.inputs : entry.outputs;
      for (size_t i = 0; i < declared.size(); ++i)
        for (size_t d = 0; d < declared[i].dims.size(); ++d)
          if (declared[i].dims[d] >= 0 && planned[i].dims[d] != declared[i].dims[d])
            return r1rt::makeError(
                R1RT_DATA_LOSS, "the plan's entry %s has %s %zu ('%s') as %s; the model declares %s",
                r1rt::quoted(entry.symbol).c_str(), input ? "input" : "output", i,
                declared[i].name.c_str(), formatDims(planned[i].dims).c_str(),
                formatDims(declared[i].dims).c_str());
    }
  return nullptr;
}

extern "C" void r1rt_session_options_init(r1rt_session_options_t *options) {
  if (options)
    *options = r1rt_session_options_t{R1RT_DEVICE_AUTO, 0, 0};
}

namespace {

bool hasSection(r1rt_model_t model, uint32_t kind) {
  const void *data;
  size_t size;
  r1rt_status_t status = r1rt_model_find_section(model, kind, nullptr, &data, &size);
  r1rt_status_release(status);
  return status == nullptr;
}

// The executor for `options`: the device it names, or with AUTO the first
// of CUDA, HIP and host that the artifact has code for and that runs.
r1rt_status_t createExecutor(r1rt_model_t model, const r1rt_session_options_t &options,
                             const std::vector<TensorInfo> &inputs,
                             const std::vector<TensorInfo> &outputs,
                             std::unique_ptr<r1rt::Executor> &executor) {
  bool graphs = !options.disable_graphs;
  switch (options.device) {
  case R1RT_DEVICE_HOST:
    return r1rt::createHostExecutor(model, inputs, outputs, executor);
  case R1RT_DEVICE_CUDA:
  case R1RT_DEVICE_HIP:
    return r1rt::createDeviceExecutor(model, options.device, options.device_ordinal, graphs,
                                      inputs, outputs, executor);
  case R1RT_DEVICE_AUTO:
    break;
  default:
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "options->device is %d, not an r1rt_device_t",
                           int(options.device));
  }
  std::string reasons;
  // Each reason names its device already.
  auto attempt = [&](r1rt_status_t status) {
    if (!status)
      return true;
    reasons += (reasons.empty() ? "" : "; ") + std::string(r1rt_status_message(status));
    r1rt_status_release(status);
    return false;
  };
  if (hasSection(model, R1RT_SECTION_CUDA_CODE) &&
      attempt(r1rt::createDeviceExecutor(model, R1RT_DEVICE_CUDA, options.device_ordinal,
                                                 graphs, inputs, outputs, executor)))
    return nullptr;
  if (hasSection(model, R1RT_SECTION_HIP_CODE) &&
      attempt(r1rt::createDeviceExecutor(model, R1RT_DEVICE_HIP, options.device_ordinal,
                                                graphs, inputs, outputs, executor)))
    return nullptr;
  if (hasSection(model, R1RT_SECTION_HOST_CODE) || reasons.empty()) {
    r1rt_status_t status = r1rt::createHostExecutor(model, inputs, outputs, executor);
    // A corrupt or incomplete host section is reported as such.
    if (!status || r1rt_status_code(status) != R1RT_UNAVAILABLE || reasons.empty())
      return status;
    attempt(status);
  }
  return r1rt::makeError(R1RT_UNAVAILABLE, "no device runs this model (%s)", reasons.c_str());
}

} // namespace

extern "C" r1rt_status_t r1rt_session_create_with_options(r1rt_model_t model,
                                                          const r1rt_session_options_t *options,
                                                          r1rt_session_t *out_session) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_session)
    return r1rt::nullArgument("out_session");
  r1rt_session_options_t defaults;
  r1rt_session_options_init(&defaults);
  if (!options)
    options = &defaults;
  auto session = std::unique_ptr<r1rt_session>(new (std::nothrow) r1rt_session);
  if (!session)
    return r1rt::makeError(R1RT_OUT_OF_MEMORY, "out of memory creating a session");
  session->model = model;
  size_t tierCount = 0;
  r1rt_status_t status = r1rt_model_tier_count(model, &tierCount);
  if (status)
    return status;
  if (tierCount)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "the artifact holds %zu tiers: run it with an allocator "
                           "(r1rt_allocator_create), or one tier's model (r1rt_model_tier)",
                           tierCount);
  size_t inputCount = 0, outputCount = 0;
  status = r1rt_model_input_count(model, &inputCount);
  if (!status)
    status = r1rt_model_output_count(model, &outputCount);
  if (!status)
    status = readTensorInfo(model, /*input=*/true, inputCount, session->inputs);
  if (!status)
    status = readTensorInfo(model, /*input=*/false, outputCount, session->outputs);
  if (!status)
    status = createExecutor(model, *options, session->inputs, session->outputs,
                            session->executor);
  if (status)
    return status;
  session->entries = session->executor->entries();
  session->paddedInputs.resize(inputCount);
  session->stagedOutputs.resize(outputCount);
  session->ownedOutputs.resize(outputCount);
  *out_session = session.release();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_max_arena_size(r1rt_session_t session, size_t *out_bytes) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_bytes)
    return r1rt::nullArgument("out_bytes");
  uint64_t largest = 0;
  for (const r1rt::PlanEntry &entry : session->entries)
    largest = entry.arenaSize > largest ? entry.arenaSize : largest;
  *out_bytes = size_t(largest);
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_create(r1rt_model_t model, r1rt_session_t *out_session) {
  return r1rt_session_create_with_options(model, nullptr, out_session);
}

extern "C" r1rt_status_t r1rt_session_device(r1rt_session_t session,
                                             const char **out_description) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_description)
    return r1rt::nullArgument("out_description");
  *out_description = session->executor->description().c_str();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_run_tensors(r1rt_session_t session,
                                                  const r1rt_tensor_t *inputs, size_t input_count,
                                                  r1rt_tensor_t *outputs, size_t output_count) {
  if (!session)
    return r1rt::nullArgument("session");
  if (r1rt_status_t status = checkCounts(session, inputs, input_count, outputs, output_count))
    return status;
  for (size_t i = 0; i < input_count; ++i)
    if (r1rt_status_t status = checkInput(session, i, inputs[i]))
      return status;

  // The bucket: an exact fit, else the smallest one that pads.
  size_t chosen = session->entries.size();
  Fit best;
  for (size_t e = 0; e < session->entries.size(); ++e) {
    Fit fit = fitOf(session->entries[e], inputs);
    if (!fit.fits)
      continue;
    if (fit.padded < 0) {
      chosen = e, best = fit;
      break;
    }
    if (chosen == session->entries.size() ||
        elementCount(session->entries[e].inputs[0].dims) <
            elementCount(session->entries[chosen].inputs[0].dims))
      chosen = e, best = fit;
  }
  if (chosen == session->entries.size()) {
    size_t culprit = 0;
    for (size_t i = 0; i < input_count; ++i)
      if (!std::equal(inputs[i].dims, inputs[i].dims + inputs[i].rank,
                      session->entries[0].inputs[i].dims.begin()))
        culprit = i;
    return r1rt::makeError(
        R1RT_INVALID_ARGUMENT,
        "input %zu ('%s') has dims %s; the model takes %s (compiled shape buckets; recompile "
        "with r1c --dim NAME=SIZE,... for others)",
        culprit, session->inputs[culprit].name.c_str(),
        formatDims(inputs[culprit].dims, inputs[culprit].rank).c_str(),
        acceptedShapes(session, culprit).c_str());
  }
  const r1rt::PlanEntry &entry = session->entries[chosen];

  // Output sizes, after trimming padded rows; outputs with dims computed
  // from data are sized after the run.
  std::vector<std::vector<int64_t>> outputDims(output_count);
  for (size_t i = 0; i < output_count; ++i) {
    outputDims[i] = entry.outputs[i].dims;
    if (entry.outputs[i].dataDependent())
      continue;
    if (best.padded >= 0 && entry.outputs[i].padAxis >= 0)
      outputDims[i][entry.outputs[i].padAxis] = best.padded;
    if (r1rt_status_t status = checkCapacity(session, i, outputs[i], outputDims[i]))
      return status;
  }

  auto outOfMemory = [] {
    return r1rt::makeError(R1RT_OUT_OF_MEMORY, "out of memory running the model");
  };
  std::vector<const void *> inputPointers(input_count);
  for (size_t i = 0; i < input_count; ++i) {
    const r1rt::PlanTensor &planned = entry.inputs[i];
    std::vector<int64_t> given(inputs[i].dims, inputs[i].dims + inputs[i].rank);
    inputPointers[i] = inputs[i].data;
    if (given == planned.dims)
      continue;
    size_t elementSize = r1rt_dtype_size(session->inputs[i].dtype);
    AlignedBuffer &padded = session->paddedInputs[i];
    if (!padded.reserve(elementCount(planned.dims) * elementSize))
      return outOfMemory();
    copyAlongAxis(inputs[i].data, given, padded.data(), planned.dims, planned.padAxis,
                  elementSize);
    inputPointers[i] = padded.data();
  }
  // Outputs go straight to their buffers, except padded ones (run at the
  // bucket's size, then trimmed) and ones sized by data (run into room for
  // their largest size, then copied).
  std::vector<void *> outputPointers(output_count);
  for (size_t i = 0; i < output_count; ++i) {
    const r1rt::PlanTensor &planned = entry.outputs[i];
    size_t elementSize = r1rt_dtype_size(session->outputs[i].dtype);
    AlignedBuffer &staged = session->stagedOutputs[i];
    if (planned.dataDependent() || outputDims[i] != planned.dims) {
      if (!staged.reserve(planned.maxElements * elementSize))
        return outOfMemory();
      outputPointers[i] = staged.data();
      continue;
    }
    if (!outputs[i].data) {
      if (!session->ownedOutputs[i].reserve(planned.maxElements * elementSize))
        return outOfMemory();
      outputs[i].data = session->ownedOutputs[i].data();
    }
    outputPointers[i] = outputs[i].data;
  }
  size_t dimCount = 0;
  for (const TensorInfo &info : session->outputs)
    dimCount += info.dims.size();
  session->outputDims.assign(dimCount, 0);
  if (r1rt_status_t status = session->executor->run(chosen, inputPointers.data(),
                                                    outputPointers.data(),
                                                    session->outputDims.data()))
    return status;

  const int64_t *reported = session->outputDims.data();
  for (size_t i = 0; i < output_count; ++i) {
    const r1rt::PlanTensor &planned = entry.outputs[i];
    size_t elementSize = r1rt_dtype_size(session->outputs[i].dtype);
    size_t rank = planned.dims.size();
    if (planned.dataDependent()) {
      outputDims[i].assign(reported, reported + rank);
      uint64_t elements = elementCount(outputDims[i]);
      bool valid = elements <= planned.maxElements;
      for (int64_t dim : outputDims[i])
        valid &= dim >= 0;
      if (!valid)
        return r1rt::makeError(R1RT_INTERNAL, "output %zu ('%s') came out with dims %s", i,
                               session->outputs[i].name.c_str(),
                               formatDims(outputDims[i]).c_str());
      if (!outputs[i].data) {
        outputs[i].data = session->stagedOutputs[i].data();
      } else {
        if (r1rt_status_t status = checkCapacity(session, i, outputs[i], outputDims[i]))
          return status;
        std::memcpy(outputs[i].data, outputPointers[i], elements * elementSize);
      }
    } else if (outputPointers[i] != outputs[i].data) {
      if (!outputs[i].data) {
        if (!session->ownedOutputs[i].reserve(elementCount(outputDims[i]) * elementSize))
          return outOfMemory();
        outputs[i].data = session->ownedOutputs[i].data();
      }
      copyAlongAxis(outputPointers[i], planned.dims, outputs[i].data, outputDims[i],
                    planned.padAxis, elementSize);
    }
    reported += rank;
    outputs[i].bytes = elementCount(outputDims[i]) * elementSize;
    outputs[i].dtype = session->outputs[i].dtype;
    outputs[i].rank = int32_t(rank);
    std::copy(outputDims[i].begin(), outputDims[i].end(), outputs[i].dims);
  }
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_run(r1rt_session_t session, const void *const *inputs,
                                          size_t input_count, void *const *outputs,
                                          size_t output_count) {
  if (!session)
    return r1rt::nullArgument("session");
  if (session->entries.size() != 1)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "the model has %zu shape buckets; run it with "
                           "r1rt_session_run_tensors, which passes shapes",
                           session->entries.size());
  for (const r1rt::PlanTensor &output : session->entries.front().outputs)
    if (output.dataDependent())
      return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                             "the model's output dims are computed at run time; run it with "
                             "r1rt_session_run_tensors, which returns them");
  if (r1rt_status_t status = checkCounts(session, inputs, input_count, outputs, output_count))
    return status;
  for (size_t i = 0; i < input_count; ++i)
    if (!inputs[i])
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "inputs[%zu] is NULL", i);
  for (size_t i = 0; i < output_count; ++i)
    if (!outputs[i])
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "outputs[%zu] is NULL", i);
  return session->executor->run(0, inputs, outputs, nullptr);
}

extern "C" r1rt_status_t r1rt_session_arena_size(r1rt_session_t session, size_t *out_bytes) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_bytes)
    return r1rt::nullArgument("out_bytes");
  *out_bytes = session->executor->arenaBytes();
  return nullptr;
}

r1rt_status_t r1rt::Executor::setArena(void *, size_t) {
  return makeError(R1RT_UNIMPLEMENTED,
                   "a GPU session's arena is device memory: only host sessions take the "
                   "caller's arena");
}

extern "C" r1rt_status_t r1rt_session_set_arena(r1rt_session_t session, void *arena, size_t bytes) {
  if (!session)
    return r1rt::nullArgument("session");
  return session->executor->setArena(arena, bytes);
}

extern "C" r1rt_status_t r1rt_session_set_threads(r1rt_session_t session, size_t threads) {
  if (!session)
    return r1rt::nullArgument("session");
  if (threads == 0) {
    cpu_set_t allowed;
    threads = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? size_t(CPU_COUNT(&allowed)) : 1;
  }
  if (threads > 1024)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "%zu threads is more than 1024", threads);
  return session->executor->setThreads(threads);
}

extern "C" r1rt_status_t r1rt_session_bucket_count(r1rt_session_t session, size_t *out_count) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_count)
    return r1rt::nullArgument("out_count");
  *out_count = session->entries.size();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_session_bucket_input_dims(r1rt_session_t session, size_t bucket,
                                                        size_t input, int32_t *out_rank,
                                                        const int64_t **out_dims) {
  if (!session)
    return r1rt::nullArgument("session");
  if (!out_rank || !out_dims)
    return r1rt::nullArgument(!out_rank ? "out_rank" : "out_dims");
  if (bucket >= session->entries.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "bucket %zu is out of range (the model has %zu)",
                           bucket, session->entries.size());
  if (input >= session->inputs.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "input %zu is out of range (the model has %zu)",
                           input, session->inputs.size());
  const std::vector<int64_t> &dims = session->entries[bucket].inputs[input].dims;
  *out_rank = int32_t(dims.size());
  *out_dims = dims.data();
  return nullptr;
}

extern "C" void r1rt_session_release(r1rt_session_t session) { delete session; }
