//===- SafetensorsWriter.h - Weights as a safetensors side file -*- C++ -*-===//
#ifndef R1C_CODEGEN_HOST_SAFETENSORSWRITER_H
#define R1C_CODEGEN_HOST_SAFETENSORSWRITER_H

#include "codegen/host/WeightLayout.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1c {

/// Where the data of a safetensors file starts, and the alignment r1c gives
/// it: host code is told its weights' base pointer is aligned this much.
inline constexpr uint64_t kSafetensorsDataAlignment = 64;

/// One tensor of a safetensors file's data, by its bytes' place in it.
struct SafetensorsTensor {
  std::string name;
  /// Safetensors dtype: "F32", "BF16", "I8", ...
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t offset = 0, size = 0;
};

/// The JSON header of `tensors` (in offset order) over `dataSize` bytes of
/// data, padded with spaces so that the 8-byte length and the header end on
/// a multiple of kSafetensorsDataAlignment. Bytes no tensor covers are
/// named as padding tensors of zero bytes: safetensors data has no holes.
std::string safetensorsHeader(llvm::ArrayRef<SafetensorsTensor> tensors, uint64_t dataSize);

/// The JSON header of `layout`, as above.
std::string safetensorsHeader(const WeightLayout &layout);

/// Writes `layout` to `path` in the safetensors layout: the header's length
/// (u64, little-endian), the header, then every weight in layout order, with
/// zero bytes (padding tensors) where the layout aligned a weight. Weights
/// are written one at a time from their attributes, so a large model is
/// never copied whole. On success sets the file's size and CRC-32 (what the
/// artifact records to check it); otherwise sets `error` and leaves no file
/// behind.
bool writeSafetensors(const WeightLayout &layout, const std::string &path, uint64_t &fileSize,
                      uint32_t &checksum, std::string &error);

/// The same for data already in memory: `data`, which `tensors` describe.
bool writeSafetensors(llvm::ArrayRef<SafetensorsTensor> tensors, llvm::ArrayRef<uint8_t> data,
                      const std::string &path, uint64_t &fileSize, uint32_t &checksum,
                      std::string &error);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_SAFETENSORSWRITER_H
