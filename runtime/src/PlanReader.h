// Bounds-checked reading of plan payloads: the host plan and the device
// plans of GPU code sections share the encoding of an entry's tensors.
#ifndef R1RT_SRC_PLANREADER_H
#define R1RT_SRC_PLANREADER_H

#include "HostPlan.h"
#include "r1c/artifact_format.h"

namespace r1rt {

// Reads little-endian fields front to back; every read checks the bytes left.
class PlanReader {
public:
  PlanReader(const uint8_t *data, size_t size) : data(data), size(size) {}
  bool u32(uint32_t &out) {
    if (size - offset < 4)
      return false;
    out = r1c::artifact::loadU32(data + offset);
    offset += 4;
    return true;
  }
  bool u64(uint64_t &out) {
    if (size - offset < 8)
      return false;
    out = r1c::artifact::loadU64(data + offset);
    offset += 8;
    return true;
  }
  bool string(std::string &out, uint32_t maxLength) {
    uint32_t length;
    if (!u32(length) || length == 0 || length > maxLength || size - offset < length)
      return false;
    out.assign(reinterpret_cast<const char *>(data + offset), length);
    offset += length;
    return true;
  }
  // A uint64 length and that many bytes, returned as a view.
  bool bytes(const uint8_t *&out, uint64_t &length) {
    if (!u64(length) || size - offset < length)
      return false;
    out = data + offset;
    offset += size_t(length);
    return true;
  }
  bool atEnd() const { return offset == size; }

private:
  const uint8_t *data;
  size_t size;
  size_t offset = 0;
};

// Extents beyond this are corrupt, and products of up to 8 of them stay
// far from overflowing 64 bits in the checks below.
inline constexpr uint64_t kMaxExtent = uint64_t(1) << 40;
inline constexpr uint64_t kMaxArena = uint64_t(1) << 48;
inline constexpr uint32_t kMaxEntries = 4096;

inline bool readTensors(PlanReader &reader, const std::vector<int32_t> &ranks, bool outputs,
                 std::vector<PlanTensor> &tensors) {
  tensors.resize(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) {
    PlanTensor &tensor = tensors[i];
    uint64_t elements = 1;
    for (int32_t d = 0; d < ranks[i]; ++d) {
      uint64_t dim;
      if (!reader.u64(dim))
        return false;
      // Only outputs have dims computed at run time.
      bool computed = outputs && int64_t(dim) == -1;
      if (!computed && dim > kMaxExtent)
        return false;
      if (!computed)
        elements = dim == 0 ? 0 : elements;
      if (!computed && elements && (elements *= dim) > kMaxArena)
        return false;
      tensor.dims.push_back(int64_t(dim));
    }
    uint32_t axis;
    if (!reader.u32(axis))
      return false;
    tensor.padAxis = int32_t(axis);
    if (tensor.padAxis < -1 || tensor.padAxis >= ranks[i])
      return false;
    if (outputs) {
      if (!reader.u64(tensor.maxElements) || tensor.maxElements > kMaxArena)
        return false;
      if (!tensor.dataDependent() && tensor.maxElements != elements)
        return false;
      // A pad axis must be a known dim.
      if (tensor.padAxis >= 0 && tensor.dims[tensor.padAxis] < 0)
        return false;
    }
  }
  return true;
}

} // namespace r1rt

#endif // R1RT_SRC_PLANREADER_H
