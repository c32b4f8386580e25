// r1rt_model_t: loading an artifact from memory or a file, and its queries.
#include "Artifact.h"
#include "Error.h"
#include "Executor.h"
#include "ExternalWeights.h"
#include "PlanReader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

// The artifact's bytes, either a private read-only mapping of the file or a
// heap copy. Both start at least 64-byte aligned, so section data (at 64-byte
// offsets) is aligned in memory too.
class Storage {
public:
  Storage() = default;
  Storage(const Storage &) = delete;
  Storage &operator=(const Storage &) = delete;
  ~Storage() { reset(); }

  const uint8_t *data() const { return static_cast<const uint8_t *>(data_); }
  size_t size() const { return size_; }

  // Allocates `size` bytes (at least one, so data() is never NULL).
  bool allocate(size_t size) {
    reset();
    void *p = nullptr;
    if (posix_memalign(&p, R1RT_ARTIFACT_SECTION_ALIGNMENT, size ? size : 1) != 0)
      return false;
    data_ = p;
    size_ = size;
    return true;
  }
  uint8_t *mutableData() { return static_cast<uint8_t *>(data_); }
  void shrink(size_t size) { size_ = size < size_ ? size : size_; }

  void adoptMapping(void *data, size_t size) {
    reset();
    data_ = data;
    size_ = size;
    mapped_ = true;
  }

  // Bytes another Storage owns (a tier inside its artifact), never freed here.
  void borrow(const void *data, size_t size) {
    reset();
    data_ = const_cast<void *>(data);
    size_ = size;
    borrowed_ = true;
  }

private:
  void reset() {
    if (borrowed_)
      ;
    else if (mapped_)
      munmap(data_, size_);
    else
      std::free(data_);
    data_ = nullptr;
    size_ = 0;
    mapped_ = false;
    borrowed_ = false;
  }

  void *data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  bool borrowed_ = false;
};

// strerror_r comes in a GNU and an XSI flavour; these overloads take either.
[[maybe_unused]] const char *strerrorResult(int result, const char *buffer) {
  return result == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char *strerrorResult(const char *result, const char *) { return result; }

std::string errnoMessage(int error) {
  char buffer[256] = "";
  return strerrorResult(strerror_r(error, buffer, sizeof buffer), buffer);
}

// Reads all of `fd` (a pipe, a device, or a file that could not be mapped).
r1rt_status_t readAll(int fd, size_t sizeHint, Storage &storage) {
  std::vector<uint8_t> bytes;
  bytes.reserve(sizeHint);
  uint8_t chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return r1rt::makeError(R1RT_INVALID_ARGUMENT, "cannot read: %s", errnoMessage(errno).c_str());
    if (n == 0)
      break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  if (!storage.allocate(bytes.size()))
    return r1rt::makeError(R1RT_OUT_OF_MEMORY, "cannot allocate %zu bytes for the artifact",
                           bytes.size());
  if (!bytes.empty())
    std::memcpy(storage.mutableData(), bytes.data(), bytes.size());
  return nullptr;
}

r1rt_status_t loadFile(const char *path, Storage &storage) {
  int fd;
  do
    fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int error = errno;
    return r1rt::makeError(error == ENOENT ? R1RT_NOT_FOUND : R1RT_INVALID_ARGUMENT,
                           "cannot open: %s", errnoMessage(error).c_str());
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};

  struct stat info;
  if (fstat(fd, &info) != 0)
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "cannot stat: %s", errnoMessage(errno).c_str());
  if (S_ISDIR(info.st_mode))
    return r1rt::makeError(R1RT_INVALID_ARGUMENT, "is a directory, not an artifact");
  if (S_ISREG(info.st_mode) && info.st_size > 0 && uint64_t(info.st_size) <= uint64_t(SIZE_MAX)) {
    size_t size = size_t(info.st_size);
    void *mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping != MAP_FAILED) {
      storage.adoptMapping(mapping, size);
      return nullptr;
    }
  }
  return readAll(fd, S_ISREG(info.st_mode) ? size_t(info.st_size) : 0, storage);
}

} // namespace

struct r1rt_model {
  Storage storage;
  r1rt::Artifact artifact;
  // The file it was loaded from; empty when loaded from memory. External
  // weights are found relative to it.
  std::string path;
  // External weights, mapped by the first session and shared by all.
  std::mutex weightsMutex;
  std::unique_ptr<r1rt::MappedWeights> weights;
  // What sessions share (r1rt::modelSharedState), held by the sessions.
  std::mutex sharedMutex;
  std::map<std::string, std::weak_ptr<void>> shared;
  // A tiered artifact (format version 2): its tiers, models over this one's
  // bytes, cheapest first, and the cascade its TIERS section describes.
  // Empty for an artifact of one model.
  std::vector<std::unique_ptr<r1rt_model>> tiers;
  std::vector<std::string> tierNames;
  r1rt_cascade_metric_t cascadeMetric = R1RT_CASCADE_NONE;
  float cascadeThreshold = 0;
  uint32_t cascadeOutput = 0;
  // Set on a tier: the tiered model that owns it (and its bytes).
  r1rt_model *owner = nullptr;
};

namespace {

// The reference of `model` to a side file of weights, if it has one.
const r1rt::ExternalWeightsRef *sideFileRef(r1rt_model_t model) {
  for (const r1rt::ExternalWeightsRef &ref : model->artifact.externalWeights)
    if (!ref.fileName.empty())
      return &ref;
  return nullptr;
}

} // namespace

r1rt_status_t
r1rt::modelSharedState(r1rt_model_t model, const std::string &key,
                       const std::function<r1rt_status_t(std::shared_ptr<void> &)> &create,
                       std::shared_ptr<void> &out) {
  try {
    std::lock_guard<std::mutex> lock(model->sharedMutex);
    out = model->shared[key].lock();
    if (out)
      return nullptr;
    if (r1rt_status_t status = create(out))
      return status;
    model->shared[key] = out;
    return nullptr;
  } catch (const std::bad_alloc &) {
    return makeError(R1RT_OUT_OF_MEMORY, "out of memory sharing state between sessions");
  }
}

r1rt_status_t r1rt::modelExternalWeights(r1rt_model_t model, const void **out_weights,
                                         size_t *out_size) {
  const std::vector<ExternalWeightsRef> &refs = model->artifact.externalWeights;
  *out_weights = nullptr;
  size_t ignored = 0;
  size_t &size = out_size ? *out_size : ignored;
  size = 0;
  if (refs.empty())
    return nullptr;
  try {
    // Host code takes one weights pointer.
    if (refs.size() > 1)
      return makeError(R1RT_UNIMPLEMENTED,
                       "the artifact references %zu weight files; this runtime reads one",
                       refs.size());
    // A tier of an artifact whose weights are in a side file reads that
    // file, mapped once for every tier.
    if (refs.front().fileName.empty() && model->owner && sideFileRef(model->owner)) {
      if (r1rt_status_t status = modelExternalWeights(model->owner, out_weights, &size))
        return status;
      if (size < refs.front().size)
        return makeError(R1RT_DATA_LOSS,
                         "a tier reads %llu bytes of weights, but the weights file has %zu",
                         (unsigned long long)refs.front().size, size);
      return nullptr;
    }
    if (refs.front().fileName.empty()) {
      // The artifact's WEIGHTS section, shared with its GPU code; parsing
      // checked that it is there at the right size, and sections start
      // 64-byte aligned in memory.
      const void *data = nullptr;
      if (r1rt_status_t status =
              r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, "weights", &data, &size))
        return status;
      *out_weights = data;
      return nullptr;
    }
    if (model->path.empty())
      return makeError(R1RT_INVALID_ARGUMENT,
                       "the model's weights are in a side file, %s, found beside the "
                       "artifact: load it with r1rt_model_create_from_file, not from memory",
                       quoted(refs.front().fileName).c_str());
    std::lock_guard<std::mutex> lock(model->weightsMutex);
    if (!model->weights)
      if (r1rt_status_t status = MappedWeights::open(model->path, refs.front(), model->weights))
        return status;
    *out_weights = model->weights->data();
    size = model->weights->dataSize();
    return nullptr;
  } catch (const std::bad_alloc &) {
    return makeError(R1RT_OUT_OF_MEMORY, "out of memory mapping the weights file");
  }
}

namespace {

bool sameTensors(const std::vector<r1rt::TensorMeta> &a, const std::vector<r1rt::TensorMeta> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].dtype != b[i].dtype || a[i].dims != b[i].dims)
      return false;
  return true;
}

// Reads the TIERS section of `model`, if it has one, and loads each tier as a
// model over its TIER section's bytes. May throw std::bad_alloc.
r1rt_status_t loadTiers(r1rt_model *model) {
  const r1rt::SectionMeta *table = nullptr;
  for (const r1rt::SectionMeta &section : model->artifact.sections) {
    if (section.kind == R1RT_SECTION_TIERS) {
      if (table)
        return r1rt::makeError(R1RT_DATA_LOSS, "the artifact has two tiers sections");
      table = &section;
    }
  }
  if (!table)
    return nullptr;
  for (const r1rt::SectionMeta &section : model->artifact.sections)
    if (section.kind == R1RT_SECTION_PLAN || section.kind == R1RT_SECTION_HOST_CODE ||
        section.kind == R1RT_SECTION_CUDA_CODE || section.kind == R1RT_SECTION_HIP_CODE)
      return r1rt::makeError(R1RT_DATA_LOSS,
                             "a tiered artifact has a %s section of its own; its code belongs "
                             "in its tiers",
                             r1rt::sectionKindName(section.kind).c_str());
  r1rt::PlanReader reader(model->storage.data() + table->offset, size_t(table->size));
  uint32_t magic = 0, version = 0, count = 0, metric = 0, thresholdBits = 0, output = 0;
  if (!reader.u32(magic) || magic != R1RT_TIERS_MAGIC)
    return r1rt::makeError(R1RT_DATA_LOSS, "the tiers section does not start with \"R1TR\"");
  if (!reader.u32(version) || version != R1RT_TIERS_VERSION)
    return r1rt::makeError(R1RT_UNIMPLEMENTED,
                           "tiers section version %u is not supported (reads %u)",
                           unsigned(version), R1RT_TIERS_VERSION);
  if (!reader.u32(count) || count < 2 || count > R1RT_MAX_TIERS || !reader.u32(metric) ||
      metric > R1RT_CASCADE_MARGIN || !reader.u32(thresholdBits) || !reader.u32(output))
    return r1rt::makeError(R1RT_DATA_LOSS, "the tiers section is malformed");
  float threshold;
  std::memcpy(&threshold, &thresholdBits, sizeof threshold);
  if (!(threshold >= 0 && threshold <= 1) ||
      (metric != R1RT_CASCADE_NONE && output >= model->artifact.outputs.size()))
    return r1rt::makeError(R1RT_DATA_LOSS, "the tiers section's cascade is malformed");
  model->cascadeMetric = r1rt_cascade_metric_t(metric);
  model->cascadeThreshold = threshold;
  model->cascadeOutput = output;
  // The weights the tiers share (r1c --tiers stores a tensor that several
  // tiers hold alike once); tiers find it through r1rt_model_find_section,
  // or with --weights=external in the tiered artifact's side file, whose
  // size bounds what a tier may read (modelExternalWeights checks its data).
  std::optional<uint64_t> sharedWeights;
  for (const r1rt::SectionMeta &section : model->artifact.sections)
    if (section.kind == R1RT_SECTION_WEIGHTS && section.name == "weights")
      sharedWeights = section.size;
  if (const r1rt::ExternalWeightsRef *file = sideFileRef(model))
    sharedWeights = file->size;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, sectionName;
    if (!reader.string(name, 256) || !reader.string(sectionName, R1RT_ARTIFACT_SECTION_NAME_SIZE))
      return r1rt::makeError(R1RT_DATA_LOSS, "the tiers section is malformed");
    for (const std::string &other : model->tierNames)
      if (other == name)
        return r1rt::makeError(R1RT_DATA_LOSS, "two tiers are named %s",
                               r1rt::quoted(name).c_str());
    const r1rt::SectionMeta *found = nullptr;
    for (const r1rt::SectionMeta &section : model->artifact.sections)
      if (section.kind == R1RT_SECTION_TIER && section.name == sectionName)
        found = &section;
    if (!found)
      return r1rt::makeError(R1RT_DATA_LOSS, "tier %s: the artifact has no tier section %s",
                             r1rt::quoted(name).c_str(), r1rt::quoted(sectionName).c_str());
    auto tier = std::make_unique<r1rt_model>();
    tier->storage.borrow(model->storage.data() + found->offset, size_t(found->size));
    tier->path = model->path;
    tier->owner = model;
    if (r1rt_status_t status = r1rt::parseArtifact(tier->storage.data(), tier->storage.size(),
                                                   tier->artifact, sharedWeights))
      return r1rt::prefixError(("tier " + r1rt::quoted(name)).c_str(), status);
    for (const r1rt::SectionMeta &section : tier->artifact.sections)
      if (section.kind == R1RT_SECTION_TIERS)
        return r1rt::makeError(R1RT_DATA_LOSS, "tier %s has tiers of its own",
                               r1rt::quoted(name).c_str());
    if (!sameTensors(tier->artifact.inputs, model->artifact.inputs) ||
        !sameTensors(tier->artifact.outputs, model->artifact.outputs))
      return r1rt::makeError(R1RT_DATA_LOSS,
                             "tier %s does not take the artifact's inputs and outputs",
                             r1rt::quoted(name).c_str());
    model->tierNames.push_back(name);
    model->tiers.push_back(std::move(tier));
  }
  if (!reader.atEnd())
    return r1rt::makeError(R1RT_DATA_LOSS, "the tiers section has bytes after its last tier");
  return nullptr;
}

// Parses the bytes `model` holds; on success hands it to `out_model`.
r1rt_status_t finishLoad(r1rt_model *model, r1rt_model_t *out_model) {
  r1rt_status_t status =
      r1rt::parseArtifact(model->storage.data(), model->storage.size(), model->artifact);
  if (!status)
    status = loadTiers(model);
  if (status) {
    delete model;
    return status;
  }
  *out_model = model;
  return nullptr;
}

r1rt_status_t outOfMemory(const char *what) {
  return r1rt::makeError(R1RT_OUT_OF_MEMORY, "out of memory %s", what);
}

r1rt_status_t tensorInfo(const std::vector<r1rt::TensorMeta> &tensors, const char *role,
                         size_t index, r1rt_tensor_info_t *out_info) {
  if (index >= tensors.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "index %zu is out of range: the model has %zu %ss", index,
                           tensors.size(), role);
  const r1rt::TensorMeta &tensor = tensors[index];
  out_info->name = tensor.name.c_str();
  out_info->dtype = tensor.dtype;
  out_info->rank = int32_t(tensor.dims.size());
  out_info->dims = tensor.dims.empty() ? nullptr : tensor.dims.data();
  out_info->dim_names = tensor.dimNamePtrs.empty() ? nullptr : tensor.dimNamePtrs.data();
  return nullptr;
}

r1rt_status_t findTensor(const std::vector<r1rt::TensorMeta> &tensors, const char *role,
                         const char *name, size_t *out_index) {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) {
      *out_index = i;
      return nullptr;
    }
  try {
    return r1rt::makeError(R1RT_NOT_FOUND, "the model has no %s named %s", role,
                           r1rt::quoted(name).c_str());
  } catch (const std::bad_alloc &) {
    return outOfMemory("reporting a missing name");
  }
}

} // namespace

extern "C" r1rt_status_t r1rt_model_create_from_memory(const void *data, size_t size,
                                                       r1rt_model_t *out_model) {
  if (!data)
    return r1rt::nullArgument("data");
  if (!out_model)
    return r1rt::nullArgument("out_model");
  try {
    r1rt_model *model = new r1rt_model;
    if (!model->storage.allocate(size)) {
      delete model;
      return r1rt::makeError(R1RT_OUT_OF_MEMORY, "cannot allocate %zu bytes for the artifact",
                             size);
    }
    if (size)
      std::memcpy(model->storage.mutableData(), data, size);
    return finishLoad(model, out_model);
  } catch (const std::bad_alloc &) {
    return outOfMemory("loading the artifact");
  }
}

extern "C" r1rt_status_t r1rt_model_create_from_file(const char *path, r1rt_model_t *out_model) {
  if (!path)
    return r1rt::nullArgument("path");
  if (!out_model)
    return r1rt::nullArgument("out_model");
  try {
    r1rt_model *model = new r1rt_model;
    if (r1rt_status_t status = loadFile(path, model->storage)) {
      delete model;
      return r1rt::prefixError(path, status);
    }
    model->path = path;
    return r1rt::prefixError(path, finishLoad(model, out_model));
  } catch (const std::bad_alloc &) {
    return outOfMemory("loading the artifact");
  }
}

extern "C" void r1rt_model_release(r1rt_model_t model) {
  // A tier belongs to its tiered model, which releases it.
  if (model && !model->owner)
    delete model;
}

extern "C" r1rt_status_t r1rt_model_tier_count(r1rt_model_t model, size_t *out_count) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_count)
    return r1rt::nullArgument("out_count");
  *out_count = model->tiers.size();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_tier(r1rt_model_t model, size_t index, r1rt_model_t *out_tier,
                                         const char **out_name) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_tier)
    return r1rt::nullArgument("out_tier");
  if (index >= model->tiers.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "tier %zu is out of range: the model has %zu tiers", index,
                           model->tiers.size());
  *out_tier = model->tiers[index].get();
  if (out_name)
    *out_name = model->tierNames[index].c_str();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_cascade(r1rt_model_t model, r1rt_cascade_metric_t *out_metric,
                                            float *out_threshold, size_t *out_output) {
  if (!model)
    return r1rt::nullArgument("model");
  if (out_metric)
    *out_metric = model->cascadeMetric;
  if (out_threshold)
    *out_threshold = model->cascadeThreshold;
  if (out_output)
    *out_output = model->cascadeOutput;
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_name(r1rt_model_t model, const char **out_name) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_name)
    return r1rt::nullArgument("out_name");
  *out_name = model->artifact.modelName.c_str();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_producer(r1rt_model_t model, const char **out_producer) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_producer)
    return r1rt::nullArgument("out_producer");
  *out_producer = model->artifact.producer.c_str();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_input_count(r1rt_model_t model, size_t *out_count) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_count)
    return r1rt::nullArgument("out_count");
  *out_count = model->artifact.inputs.size();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_output_count(r1rt_model_t model, size_t *out_count) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_count)
    return r1rt::nullArgument("out_count");
  *out_count = model->artifact.outputs.size();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_input_info(r1rt_model_t model, size_t index,
                                               r1rt_tensor_info_t *out_info) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_info)
    return r1rt::nullArgument("out_info");
  return tensorInfo(model->artifact.inputs, "input", index, out_info);
}

extern "C" r1rt_status_t r1rt_model_output_info(r1rt_model_t model, size_t index,
                                                r1rt_tensor_info_t *out_info) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_info)
    return r1rt::nullArgument("out_info");
  return tensorInfo(model->artifact.outputs, "output", index, out_info);
}

extern "C" r1rt_status_t r1rt_model_find_input(r1rt_model_t model, const char *name,
                                               size_t *out_index) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!name)
    return r1rt::nullArgument("name");
  if (!out_index)
    return r1rt::nullArgument("out_index");
  return findTensor(model->artifact.inputs, "input", name, out_index);
}

extern "C" r1rt_status_t r1rt_model_find_output(r1rt_model_t model, const char *name,
                                                size_t *out_index) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!name)
    return r1rt::nullArgument("name");
  if (!out_index)
    return r1rt::nullArgument("out_index");
  return findTensor(model->artifact.outputs, "output", name, out_index);
}

extern "C" r1rt_status_t r1rt_model_section_count(r1rt_model_t model, size_t *out_count) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_count)
    return r1rt::nullArgument("out_count");
  *out_count = model->artifact.sections.size();
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_section_info(r1rt_model_t model, size_t index,
                                                 r1rt_section_info_t *out_info) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_info)
    return r1rt::nullArgument("out_info");
  const std::vector<r1rt::SectionMeta> &sections = model->artifact.sections;
  if (index >= sections.size())
    return r1rt::makeError(R1RT_INVALID_ARGUMENT,
                           "index %zu is out of range: the model has %zu sections", index,
                           sections.size());
  const r1rt::SectionMeta &section = sections[index];
  out_info->kind = section.kind;
  out_info->name = section.name.c_str();
  out_info->data = model->storage.data() + section.offset;
  out_info->size = size_t(section.size);
  return nullptr;
}

extern "C" r1rt_status_t r1rt_model_find_section(r1rt_model_t model, uint32_t kind,
                                                 const char *name, const void **out_data,
                                                 size_t *out_size) {
  if (!model)
    return r1rt::nullArgument("model");
  if (!out_data)
    return r1rt::nullArgument("out_data");
  if (!out_size)
    return r1rt::nullArgument("out_size");
  for (const r1rt::SectionMeta &section : model->artifact.sections)
    if (section.kind == kind && (!name || section.name == name)) {
      *out_data = model->storage.data() + section.offset;
      *out_size = size_t(section.size);
      return nullptr;
    }
  // A tier's weights may be those its tiered artifact shares among its tiers.
  if (kind == R1RT_SECTION_WEIGHTS && model->owner)
    return r1rt_model_find_section(model->owner, kind, name, out_data, out_size);
  try {
    std::string kindName = r1rt::sectionKindName(kind);
    if (name)
      return r1rt::makeError(R1RT_NOT_FOUND, "the model has no %s section named %s",
                             kindName.c_str(), r1rt::quoted(name).c_str());
    return r1rt::makeError(R1RT_NOT_FOUND, "the model has no %s section", kindName.c_str());
  } catch (const std::bad_alloc &) {
    return outOfMemory("reporting a missing section");
  }
}
