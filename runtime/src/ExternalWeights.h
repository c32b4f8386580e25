// External weights (r1c --weights=external): the safetensors side file an
// artifact names, mapped read-only and checked against the artifact.
#ifndef R1RT_SRC_EXTERNALWEIGHTS_H
#define R1RT_SRC_EXTERNALWEIGHTS_H

#include "Artifact.h"
#include "r1c/runtime.h"

#include <cstddef>
#include <memory>
#include <string>

namespace r1rt {

// A side file's bytes, mapped for as long as this lives.
class MappedWeights {
public:
  MappedWeights(const MappedWeights &) = delete;
  MappedWeights &operator=(const MappedWeights &) = delete;
  ~MappedWeights();

  // The data after the safetensors header: what host code gets as
  // `context->weights`. 64-byte aligned.
  const void *data() const { return data_; }
  // Bytes from data() to the end of the file.
  size_t dataSize() const {
    return size_ - size_t(static_cast<const char *>(data_) - static_cast<const char *>(mapping_));
  }

  // Maps the file `ref` names, relative to the directory of the artifact at
  // `artifactPath` (unless it is absolute). NOT_FOUND naming the path when
  // it is missing; DATA_LOSS naming it when its size or CRC-32 differ from
  // what the artifact recorded, or its header is malformed.
  static r1rt_status_t open(const std::string &artifactPath, const ExternalWeightsRef &ref,
                            std::unique_ptr<MappedWeights> &out);

private:
  MappedWeights(void *mapping, size_t size, const void *data)
      : mapping_(mapping), size_(size), data_(data) {}

  void *mapping_;
  size_t size_;
  const void *data_;
};

// What a session passes host code as `context->weights` for `model`, and
// what GPU code uploads: NULL when the weights are in the code; the
// artifact's WEIGHTS section when the reference names no file (host and GPU
// code share it); else the model's side file's data, mapped and checked by
// the first call and kept by the model. `out_size`, when given, receives the
// bytes there (0 with NULL). An error when the model needs a side file but
// was loaded from memory. Safe to call from several threads. Defined with
// the model (Model.cpp).
r1rt_status_t modelExternalWeights(r1rt_model_t model, const void **out_weights,
                                   size_t *out_size = nullptr);

} // namespace r1rt

#endif // R1RT_SRC_EXTERNALWEIGHTS_H
