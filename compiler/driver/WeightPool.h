//===- WeightPool.h - Weights the tiers of one artifact share ---*- C++ -*-===//
//
// The tiers of an artifact (r1c --tiers) are compiled one after another, each
// in its own MLIR context. A tier's code reads its weights at offsets from
// `context->weights`; the pool hands out those offsets so that a tensor two
// tiers hold alike (the same element type and bytes: biases, normalization
// weights, everything a lower precision does not convert) lies once, in the
// tiered artifact's WEIGHTS section (or, with --weights=external, its side
// file), which every tier reads.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_WEIGHTPOOL_H
#define R1C_COMPILER_DRIVER_WEIGHTPOOL_H

#include "codegen/host/SafetensorsWriter.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace r1c {

class WeightPool {
public:
  /// The offset of a tensor of `dtype` (safetensors' name) holding `bytes`:
  /// where an equal tensor already lies, else where it is appended, at a
  /// multiple of R1RT_DEVICE_WEIGHT_ALIGNMENT, which suits host and GPU code.
  /// A tensor appended keeps `name` and `shape` (a later tier's name for it
  /// is the same weight's, or one its bytes equal).
  uint64_t intern(const std::string &dtype, llvm::ArrayRef<char> bytes, const std::string &name,
                  llvm::ArrayRef<int64_t> shape);

  /// Every tensor interned so far, at its offset; holes are zero.
  const std::vector<uint8_t> &bytes() const { return data_; }
  /// What lies where in bytes(), in offset order, named as the first tier
  /// that held each tensor named it (a name two tensors would share gets
  /// its offset appended): the side file's header.
  const std::vector<SafetensorsTensor> &tensors() const { return tensors_; }

  /// Tensors asked for, and those of them found already there.
  size_t requested() const { return requested_; }
  size_t shared() const { return shared_; }
  /// Bytes that sharing saved.
  uint64_t sharedBytes() const { return sharedBytes_; }

private:
  struct Entry {
    std::string dtype;
    uint64_t offset;
    uint64_t size;
  };
  std::vector<uint8_t> data_;
  std::vector<SafetensorsTensor> tensors_;
  std::unordered_set<std::string> names_;
  // By a hash of the bytes; equal hashes are compared byte for byte.
  std::unordered_multimap<uint64_t, Entry> index_;
  size_t requested_ = 0;
  size_t shared_ = 0;
  uint64_t sharedBytes_ = 0;
};

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_WEIGHTPOOL_H
