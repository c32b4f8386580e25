// Validation of the artifact container and decoding of its known sections.
//
// The reader trusts nothing: every offset, size, length and count comes from
// the file and is checked against the bytes actually present before it is
// used, with arithmetic that cannot overflow. Counts are bounded by the bytes
// that could hold them before anything is allocated from them.
#include "Artifact.h"

#include "Error.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <string_view>
#include <unordered_set>

namespace r1rt {
namespace {

using namespace r1c::artifact;

// A bounded reader over one section's bytes.
class Cursor {
public:
  Cursor(const uint8_t *data, uint64_t size) : data_(data), size_(size) {}

  uint64_t left() const { return size_ - at_; }
  uint64_t offset() const { return at_; }

  bool u32(uint32_t &value) {
    if (left() < 4)
      return false;
    value = loadU32(data_ + at_);
    at_ += 4;
    return true;
  }
  bool u64(uint64_t &value) {
    if (left() < 8)
      return false;
    value = loadU64(data_ + at_);
    at_ += 8;
    return true;
  }
  bool bytes(uint64_t count, std::string &out) {
    if (count > left())
      return false;
    out.assign(reinterpret_cast<const char *>(data_ + at_), size_t(count));
    at_ += count;
    return true;
  }

private:
  const uint8_t *data_;
  uint64_t size_;
  uint64_t at_ = 0;
};

// Decodes one section's payload; errors are prefixed with `where_`.
class PayloadReader {
public:
  PayloadReader(std::string where, const uint8_t *data, uint64_t size)
      : where_(std::move(where)), cursor_(data, size), size_(size) {}

  Cursor &cursor() { return cursor_; }

  r1rt_status_t pastEnd(const std::string &what) {
    return makeError(R1RT_DATA_LOSS,
                     "%s: %s runs past the end of the section (%" PRIu64 " of %" PRIu64
                     " bytes read)",
                     where_.c_str(), what.c_str(), cursor_.offset(), size_);
  }

  r1rt_status_t error(r1rt_status_code_t code, const std::string &message) {
    return makeError(code, "%s: %s", where_.c_str(), message.c_str());
  }

  r1rt_status_t readU32(const std::string &what, uint32_t &value) {
    return cursor_.u32(value) ? nullptr : pastEnd(what);
  }
  r1rt_status_t readU64(const std::string &what, uint64_t &value) {
    return cursor_.u64(value) ? nullptr : pastEnd(what);
  }

  // A length-prefixed string without NUL bytes.
  r1rt_status_t readString(const std::string &what, bool allowEmpty, std::string &out) {
    uint32_t length = 0;
    if (!cursor_.u32(length))
      return pastEnd(what + " length");
    if (!cursor_.bytes(length, out))
      return error(R1RT_DATA_LOSS, what + " length " + std::to_string(length) +
                                       " runs past the end of the section (" +
                                       std::to_string(cursor_.left()) + " bytes left)");
    if (!allowEmpty && out.empty())
      return error(R1RT_DATA_LOSS, what + " is empty");
    if (out.find('\0') != std::string::npos)
      return error(R1RT_DATA_LOSS, what + " " + quoted(out) + " contains a NUL byte");
    return nullptr;
  }

  // Refuses a count that the remaining bytes could not hold at `minBytes`
  // each, so no allocation is ever sized by an unchecked count.
  r1rt_status_t checkCount(const std::string &what, uint64_t count, uint64_t minBytes) {
    if (count > cursor_.left() / minBytes)
      return error(R1RT_DATA_LOSS, what + " " + std::to_string(count) + " is more than the " +
                                       std::to_string(cursor_.left()) + " bytes left can hold");
    return nullptr;
  }

  r1rt_status_t expectEnd() {
    if (cursor_.left() != 0)
      return error(R1RT_DATA_LOSS,
                   std::to_string(cursor_.left()) + " unexpected bytes after the payload");
    return nullptr;
  }

private:
  std::string where_;
  Cursor cursor_;
  uint64_t size_;
};

#define R1RT_RETURN_IF_ERROR(expr)                                                                 \
  do {                                                                                             \
    if (r1rt_status_t status_ = (expr))                                                            \
      return status_;                                                                              \
  } while (0)

r1rt_status_t parseTensors(PayloadReader &reader, const char *role,
                           std::vector<TensorMeta> &tensors) {
  uint32_t count = 0;
  R1RT_RETURN_IF_ERROR(reader.readU32(std::string(role) + " count", count));
  // A tensor needs a name length, a non-empty name, a dtype and a rank.
  R1RT_RETURN_IF_ERROR(reader.checkCount(std::string(role) + " count", count, 13));
  tensors.reserve(count);
  std::unordered_set<std::string_view> seen;
  for (uint32_t i = 0; i < count; ++i) {
    TensorMeta tensor;
    std::string what = std::string(role) + " " + std::to_string(i);
    R1RT_RETURN_IF_ERROR(reader.readString(what + " name", /*allowEmpty=*/false, tensor.name));
    what = std::string(role) + " " + quoted(tensor.name);

    uint32_t dtype = 0;
    R1RT_RETURN_IF_ERROR(reader.readU32(what + " dtype", dtype));
    if (dtype < R1RT_DTYPE_FIRST || dtype > R1RT_DTYPE_LAST)
      return reader.error(R1RT_UNIMPLEMENTED, what + " has dtype code " + std::to_string(dtype) +
                                                  ", which this runtime does not know");
    tensor.dtype = static_cast<r1rt_dtype_t>(dtype);

    uint32_t rank = 0;
    R1RT_RETURN_IF_ERROR(reader.readU32(what + " rank", rank));
    if (rank > uint32_t(INT32_MAX))
      return reader.error(R1RT_DATA_LOSS, what + " rank " + std::to_string(rank) + " is too large");
    // Each dim needs its extent and a name length.
    R1RT_RETURN_IF_ERROR(reader.checkCount(what + " rank", rank, 12));
    tensor.dims.resize(rank);
    for (uint32_t d = 0; d < rank; ++d) {
      uint64_t raw = 0;
      R1RT_RETURN_IF_ERROR(reader.readU64(what + " dim " + std::to_string(d), raw));
      int64_t dim = static_cast<int64_t>(raw);
      if (dim < R1RT_ARTIFACT_SYMBOLIC_DIM)
        return reader.error(R1RT_DATA_LOSS,
                            what + " dim " + std::to_string(d) + " is " + std::to_string(dim));
      tensor.dims[d] = dim;
    }
    tensor.dimNames.resize(rank);
    for (uint32_t d = 0; d < rank; ++d) {
      std::string dimWhat = what + " dim " + std::to_string(d) + " name";
      R1RT_RETURN_IF_ERROR(reader.readString(dimWhat, /*allowEmpty=*/true, tensor.dimNames[d]));
      if (!tensor.dimNames[d].empty() && tensor.dims[d] != R1RT_ARTIFACT_SYMBOLIC_DIM)
        return reader.error(R1RT_DATA_LOSS, what + " dim " + std::to_string(d) +
                                                " is static but named " +
                                                quoted(tensor.dimNames[d]));
    }
    tensors.push_back(std::move(tensor));
  }
  // Names are unique, so find_input/find_output are unambiguous. The views
  // point into `tensors`, which no longer grows.
  for (const TensorMeta &tensor : tensors)
    if (!seen.insert(tensor.name).second)
      return reader.error(R1RT_DATA_LOSS,
                          std::string("two ") + role + "s are named " + quoted(tensor.name));
  return nullptr;
}

r1rt_status_t parseMetadata(const uint8_t *data, uint64_t size, Artifact &out) {
  PayloadReader reader("metadata", data, size);
  R1RT_RETURN_IF_ERROR(reader.readString("producer", /*allowEmpty=*/true, out.producer));
  R1RT_RETURN_IF_ERROR(reader.readString("model name", /*allowEmpty=*/true, out.modelName));
  R1RT_RETURN_IF_ERROR(parseTensors(reader, "input", out.inputs));
  R1RT_RETURN_IF_ERROR(parseTensors(reader, "output", out.outputs));
  return reader.expectEnd();
}

r1rt_status_t parseExternalWeightsRef(const SectionMeta &section, const uint8_t *data,
                                      Artifact &out) {
  PayloadReader reader("external weights reference " + quoted(section.name), data, section.size);
  ExternalWeightsRef ref;
  ref.sectionName = section.name;
  // An empty name means the artifact's own WEIGHTS section (checked once
  // every section is known).
  R1RT_RETURN_IF_ERROR(reader.readString("file name", /*allowEmpty=*/true, ref.fileName));
  R1RT_RETURN_IF_ERROR(reader.readU64("file size", ref.size));
  R1RT_RETURN_IF_ERROR(reader.readU32("file checksum", ref.checksum));
  R1RT_RETURN_IF_ERROR(reader.expectEnd());
  out.externalWeights.push_back(std::move(ref));
  return nullptr;
}

std::string describe(const SectionMeta &section, size_t index) {
  return "section " + std::to_string(index) + " (" + sectionKindName(section.kind) + " " +
         quoted(section.name) + ")";
}

bool isKnownKind(uint32_t kind) {
  return kind >= R1RT_SECTION_METADATA && kind <= R1RT_SECTION_TIER;
}

bool allZero(const uint8_t *p, uint64_t size) {
  for (uint64_t i = 0; i < size; ++i)
    if (p[i])
      return false;
  return true;
}

// The header checks. Order matters: the version is checked before anything
// whose layout a newer version could change, so a newer artifact is reported
// as such and not as corrupt.
r1rt_status_t checkHeader(const uint8_t *data, size_t size) {
  const size_t magicBytes = std::min<size_t>(size, R1RT_ARTIFACT_MAGIC_SIZE);
  if (std::memcmp(data, R1RT_ARTIFACT_MAGIC, magicBytes) != 0)
    return makeError(R1RT_INVALID_ARGUMENT, "not an r1c artifact: it does not start with \"%s\"",
                     R1RT_ARTIFACT_MAGIC);
  if (size == 0)
    return makeError(R1RT_DATA_LOSS, "artifact truncated: it is empty");
  if (size >= kHeaderFormatVersion + 4) {
    uint32_t version = loadU32(data + kHeaderFormatVersion);
    if (version >= 1 && version < R1RT_ARTIFACT_FORMAT_VERSION)
      return makeError(R1RT_UNIMPLEMENTED,
                       "artifact format version %" PRIu32
                       " is older than this runtime reads (version %u): recompile the model "
                       "with this release's r1c",
                       version, R1RT_ARTIFACT_FORMAT_VERSION);
    if (version != R1RT_ARTIFACT_FORMAT_VERSION)
      return makeError(R1RT_UNIMPLEMENTED,
                       "artifact format version %" PRIu32
                       " is not supported by this runtime (reads version %u)",
                       version, R1RT_ARTIFACT_FORMAT_VERSION);
  }
  if (size < R1RT_ARTIFACT_HEADER_SIZE)
    return makeError(R1RT_DATA_LOSS,
                     "artifact truncated: got %zu bytes, less than the %u-byte header", size,
                     R1RT_ARTIFACT_HEADER_SIZE);
  uint32_t headerSize = loadU32(data + kHeaderHeaderSize);
  if (headerSize != R1RT_ARTIFACT_HEADER_SIZE)
    return makeError(R1RT_DATA_LOSS, "artifact header size is %" PRIu32 ", expected %u", headerSize,
                     R1RT_ARTIFACT_HEADER_SIZE);
  uint64_t fileSize = loadU64(data + kHeaderFileSize);
  if (fileSize > size)
    return makeError(R1RT_DATA_LOSS, "artifact truncated: header says %" PRIu64 " bytes, got %zu",
                     fileSize, size);
  if (fileSize < size)
    return makeError(R1RT_DATA_LOSS,
                     "artifact size mismatch: header says %" PRIu64 " bytes, got %zu", fileSize,
                     size);
  uint32_t flags = loadU32(data + kHeaderFlags);
  if (flags != 0)
    return makeError(R1RT_UNIMPLEMENTED,
                     "artifact header flags 0x%" PRIx32 " are not known to this runtime", flags);
  if (!allZero(data + kHeaderReserved, R1RT_ARTIFACT_HEADER_SIZE - kHeaderReserved))
    return makeError(R1RT_DATA_LOSS, "artifact header padding is not zero");
  uint32_t expected = loadU32(data + kHeaderChecksum);
  uint32_t actual =
      crc32Update(0, data + R1RT_ARTIFACT_HEADER_SIZE, size - R1RT_ARTIFACT_HEADER_SIZE);
  if (expected != actual)
    return makeError(R1RT_DATA_LOSS,
                     "artifact checksum mismatch: header says 0x%08" PRIx32
                     ", contents give 0x%08" PRIx32 " (the artifact is corrupt)",
                     expected, actual);
  return nullptr;
}

} // namespace

std::string sectionKindName(uint32_t kind) {
  switch (kind) {
  case R1RT_SECTION_METADATA: return "metadata";
  case R1RT_SECTION_PLAN: return "plan";
  case R1RT_SECTION_HOST_CODE: return "host code";
  case R1RT_SECTION_CUDA_CODE: return "CUDA code";
  case R1RT_SECTION_HIP_CODE: return "HIP code";
  case R1RT_SECTION_WEIGHTS: return "weights";
  case R1RT_SECTION_EXTERNAL_WEIGHTS_REF: return "external weights reference";
  case R1RT_SECTION_TIERS:
    return "tiers";
  case R1RT_SECTION_TIER:
    return "tier";
  }
  return "kind " + std::to_string(kind);
}

r1rt_status_t parseArtifact(const uint8_t *data, size_t size, Artifact &out,
                            std::optional<uint64_t> sharedWeights) {
  if (!data)
    return nullArgument("data");
  R1RT_RETURN_IF_ERROR(checkHeader(data, size));
  const uint64_t fileSize = size;

  // The section table.
  const uint64_t tableOffset = loadU64(data + kHeaderSectionTableOffset);
  const uint32_t count = loadU32(data + kHeaderSectionCount);
  if (tableOffset < R1RT_ARTIFACT_HEADER_SIZE || tableOffset > fileSize ||
      count > (fileSize - tableOffset) / R1RT_ARTIFACT_SECTION_ENTRY_SIZE)
    return makeError(R1RT_DATA_LOSS,
                     "section table (%" PRIu32 " entries at offset %" PRIu64
                     ") lies outside the artifact (%" PRIu64 " bytes)",
                     count, tableOffset, fileSize);
  const uint64_t tableSize = uint64_t(count) * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;

  out.sections.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *entry = data + tableOffset + uint64_t(i) * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;
    SectionMeta section;
    section.kind = loadU32(entry + kEntryKind);
    section.flags = loadU32(entry + kEntryFlags);
    section.offset = loadU64(entry + kEntryOffset);
    section.size = loadU64(entry + kEntrySize);
    const char *name = reinterpret_cast<const char *>(entry + kEntryName);
    size_t nameLength = strnlen(name, R1RT_ARTIFACT_SECTION_NAME_SIZE);
    section.name.assign(name, nameLength);
    if (nameLength == R1RT_ARTIFACT_SECTION_NAME_SIZE)
      return makeError(R1RT_DATA_LOSS, "%s: name is not NUL-terminated",
                       describe(section, i).c_str());
    if (!allZero(entry + kEntryName + nameLength, R1RT_ARTIFACT_SECTION_NAME_SIZE - nameLength))
      return makeError(R1RT_DATA_LOSS, "%s: name is not padded with NUL bytes",
                       describe(section, i).c_str());
    if (section.offset < R1RT_ARTIFACT_HEADER_SIZE || section.offset > fileSize ||
        section.size > fileSize - section.offset)
      return makeError(R1RT_DATA_LOSS,
                       "%s at offset %" PRIu64 " with size %" PRIu64
                       " lies outside the artifact (%" PRIu64 " bytes)",
                       describe(section, i).c_str(), section.offset, section.size, fileSize);
    if (section.offset % R1RT_ARTIFACT_SECTION_ALIGNMENT != 0)
      return makeError(R1RT_DATA_LOSS, "%s at offset %" PRIu64 " is not aligned to %u bytes",
                       describe(section, i).c_str(), section.offset,
                       R1RT_ARTIFACT_SECTION_ALIGNMENT);
    if (isKnownKind(section.kind) && section.flags != 0)
      return makeError(R1RT_UNIMPLEMENTED,
                       "%s has flags 0x%" PRIx32 ", which this runtime does not know",
                       describe(section, i).c_str(), section.flags);
    out.sections.push_back(std::move(section));
  }

  // No two (kind, name) pairs alike, so lookups are unambiguous.
  {
    std::vector<size_t> order(count);
    for (size_t i = 0; i < count; ++i)
      order[i] = i;
    auto key = [&](size_t i) {
      return std::make_pair(out.sections[i].kind, std::string_view(out.sections[i].name));
    };
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
    for (size_t i = 1; i < order.size(); ++i)
      if (key(order[i - 1]) == key(order[i]))
        return makeError(R1RT_DATA_LOSS, "%s and %s have the same kind and name",
                         describe(out.sections[order[i - 1]], order[i - 1]).c_str(),
                         describe(out.sections[order[i]], order[i]).c_str());
  }

  // Sections and the table must not overlap, and every byte that belongs to
  // none of them is zero padding. The second rule catches a section_count
  // that lost entries, which the checksum (it skips the header) cannot.
  {
    struct Range {
      uint64_t begin, end;
      size_t index; // SIZE_MAX for the table
    };
    std::vector<Range> ranges;
    ranges.reserve(size_t(count) + 1);
    if (tableSize)
      ranges.push_back(Range{tableOffset, tableOffset + tableSize, SIZE_MAX});
    for (size_t i = 0; i < count; ++i) {
      const SectionMeta &s = out.sections[i];
      if (s.size)
        ranges.push_back(Range{s.offset, s.offset + s.size, i});
    }
    // Ties put the table first, then sections in table order, so a message
    // names the pair the same way every time.
    std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
      if (a.begin != b.begin)
        return a.begin < b.begin;
      return (a.index == SIZE_MAX ? 0 : a.index + 1) < (b.index == SIZE_MAX ? 0 : b.index + 1);
    });
    auto name = [&](const Range &r) {
      return r.index == SIZE_MAX ? std::string("the section table")
                                 : describe(out.sections[r.index], r.index);
    };
    uint64_t covered = R1RT_ARTIFACT_HEADER_SIZE;
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (i > 0 && ranges[i].begin < ranges[i - 1].end)
        return makeError(R1RT_DATA_LOSS, "%s overlaps %s", name(ranges[i - 1]).c_str(),
                         name(ranges[i]).c_str());
      if (!allZero(data + covered, ranges[i].begin - covered))
        return makeError(R1RT_DATA_LOSS,
                         "artifact has non-zero bytes between offsets %" PRIu64 " and %" PRIu64
                         ", outside every section",
                         covered, ranges[i].begin);
      covered = ranges[i].end;
    }
    if (!allZero(data + covered, fileSize - covered))
      return makeError(
          R1RT_DATA_LOSS,
          "artifact has non-zero bytes after offset %" PRIu64 ", outside every section", covered);
  }

  // Known payloads. Unknown kinds are skipped: a newer writer may add them
  // without a new format version.
  size_t metadataCount = 0;
  for (size_t i = 0; i < count; ++i) {
    const SectionMeta &section = out.sections[i];
    const uint8_t *payload = data + section.offset;
    if (section.kind == R1RT_SECTION_METADATA) {
      if (++metadataCount > 1)
        return makeError(R1RT_DATA_LOSS, "artifact has more than one metadata section");
      R1RT_RETURN_IF_ERROR(parseMetadata(payload, section.size, out));
    } else if (section.kind == R1RT_SECTION_EXTERNAL_WEIGHTS_REF) {
      R1RT_RETURN_IF_ERROR(parseExternalWeightsRef(section, payload, out));
    }
  }
  if (metadataCount == 0)
    return makeError(R1RT_DATA_LOSS, "artifact has no metadata section");
  // Host code that reads the WEIGHTS section (host and GPU targets sharing
  // the weights) needs that section, at the size it was compiled for.
  for (const ExternalWeightsRef &ref : out.externalWeights) {
    if (!ref.fileName.empty())
      continue;
    auto weights = std::find_if(out.sections.begin(), out.sections.end(), [](const SectionMeta &s) {
      return s.kind == R1RT_SECTION_WEIGHTS && s.name == "weights";
    });
    if (weights == out.sections.end()) {
      // A tier reads the WEIGHTS section its tiered artifact shares among
      // its tiers: the bytes up to its last weight, not necessarily all.
      if (sharedWeights && ref.size <= *sharedWeights)
        continue;
      if (sharedWeights)
        return makeError(R1RT_DATA_LOSS,
                         "external weights reference %s expects %" PRIu64
                         " bytes of the tiers' WEIGHTS section; it has %" PRIu64,
                         quoted(ref.sectionName).c_str(), ref.size, *sharedWeights);
      return makeError(R1RT_DATA_LOSS,
                       "external weights reference %s names the artifact's WEIGHTS section, which "
                       "it does not have",
                       quoted(ref.sectionName).c_str());
    }
    if (weights->size != ref.size)
      return makeError(R1RT_DATA_LOSS,
                       "external weights reference %s expects a WEIGHTS section of %" PRIu64
                       " bytes; it has %" PRIu64,
                       quoted(ref.sectionName).c_str(), ref.size, weights->size);
  }

  // `out` is final now; point the C views into it.
  for (std::vector<TensorMeta> *tensors : {&out.inputs, &out.outputs})
    for (TensorMeta &tensor : *tensors) {
      tensor.dimNamePtrs.clear();
      for (const std::string &dimName : tensor.dimNames)
        tensor.dimNamePtrs.push_back(dimName.c_str());
    }
  return nullptr;
}

} // namespace r1rt
