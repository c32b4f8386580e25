//===- WeightPool.cpp - Weights the tiers of one artifact share -----------===//
#include "compiler/driver/WeightPool.h"
#include "r1c/artifact_format.h"

#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstring>

namespace r1c {

uint64_t WeightPool::intern(const std::string &dtype, llvm::ArrayRef<char> bytes,
                            const std::string &name, llvm::ArrayRef<int64_t> shape) {
  ++requested_;
  uint64_t hash = llvm::xxh3_64bits(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  auto [begin, end] = index_.equal_range(hash);
  for (auto it = begin; it != end; ++it) {
    const Entry &entry = it->second;
    // The element type matters even for equal bytes: the code reads the
    // tensor as its own type, and the pool should say what it holds.
    if (entry.dtype == dtype && entry.size == bytes.size() &&
        std::equal(bytes.begin(), bytes.end(),
                   reinterpret_cast<const char *>(data_.data()) + entry.offset)) {
      ++shared_;
      sharedBytes_ += bytes.size();
      return entry.offset;
    }
  }
  uint64_t offset = llvm::alignTo(data_.size(), R1RT_DEVICE_WEIGHT_ALIGNMENT);
  data_.resize(offset + bytes.size(), 0);
  if (!bytes.empty())
    std::memcpy(data_.data() + offset, bytes.data(), bytes.size());
  index_.emplace(hash, Entry{dtype, offset, uint64_t(bytes.size())});
  // Each tier names its own weights: two tiers' different tensors of one
  // name (two models' `w`) stay apart in the file.
  std::string unique = name;
  if (!names_.insert(unique).second) {
    unique += "@" + std::to_string(offset);
    names_.insert(unique);
  }
  tensors_.push_back({unique, dtype, {shape.begin(), shape.end()}, offset, uint64_t(bytes.size())});
  return offset;
}

} // namespace r1c
