// Header-only writer of r1c artifacts (the layout in artifact_format.h).
//
// The compiler bundles its output with it, and the runtime tests build
// artifacts with it, so both sides share one encoder. It needs C++17 and no
// exceptions: every failure comes back as `false` plus a message.
//
//   r1c::ArtifactWriter writer;
//   writer.setMetadata(metadata);
//   writer.addSection(R1RT_SECTION_WEIGHTS, "weights", std::move(bytes));
//   std::vector<uint8_t> artifact;
//   std::string error;
//   if (!writer.finish(artifact, error)) report(error);
#ifndef R1C_ARTIFACT_WRITER_H
#define R1C_ARTIFACT_WRITER_H

#include "r1c/artifact_format.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace r1c {

// One graph input or output as the metadata section records it.
struct ArtifactTensor {
  std::string name;
  uint32_t dtype = R1RT_DTYPE_FLOAT; // an r1rt_dtype_t (ONNX element type)
  // Extents; R1RT_ARTIFACT_SYMBOLIC_DIM (-1) for a symbolic dim.
  std::vector<int64_t> dims;
  // Either empty (no names) or one per dim: the symbolic dim's name
  // ("batch"), "" for static dims and anonymous symbolic ones.
  std::vector<std::string> dimNames;
};

struct ArtifactMetadata {
  std::string producer; // e.g. "r1c 0.1.0"
  std::string modelName;
  std::vector<ArtifactTensor> inputs;
  std::vector<ArtifactTensor> outputs;
};

// One host entry point as the plan section records it: the model
// specialized for one set of input shapes.
struct HostPlanEntry {
  std::string symbol;
  uint64_t arenaSize = 0;
  // Per input (output), its exact dims, and the axis a smaller request may be
  // padded along (-1: none). Ranks match the metadata.
  std::vector<std::vector<int64_t>> inputDims, outputDims;
  std::vector<int32_t> inputPadAxes, outputPadAxes;
  // Per output, the most elements it can have (dims of -1 are computed by
  // the code at run time).
  std::vector<uint64_t> outputMaxElements;
};

// One distinct kernel of a device code section.
struct DeviceModule {
  std::string symbol;
  std::string binary;
  std::string ptx; // empty but in the newest CUDA section
};

// One shape bucket of a device plan: its signature (the host plan's
// fields, symbol aside), its launches and where its outputs end up.
struct DeviceEntry {
  HostPlanEntry signature;
  std::vector<DeviceLaunch> launches;
  std::vector<DeviceLocation> outputs;
  // Where the dims of each output computed at run time lie, in output order.
  std::vector<DeviceLocation> outputDims;
};

namespace artifact {

// Byte by byte: GCC 12 warns (wrongly) about range inserts of a small local
// array into a vector it cannot size.
inline void appendU32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}
inline void appendU64(std::vector<uint8_t> &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}
inline void appendString(std::vector<uint8_t> &out, const std::string &s) {
  appendU32(out, uint32_t(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

inline bool checkString(const std::string &s, const std::string &what, std::string &error) {
  if (s.size() > UINT32_MAX) {
    error = what + " is longer than 4 GiB";
    return false;
  }
  if (s.find('\0') != std::string::npos) {
    error = what + " contains a NUL byte";
    return false;
  }
  return true;
}

// Encodes the payload of the METADATA section. Refuses what a reader would
// refuse, so a written artifact always loads.
inline bool encodeMetadata(const ArtifactMetadata &metadata, std::vector<uint8_t> &out,
                           std::string &error) {
  out.clear();
  if (!checkString(metadata.producer, "producer", error) ||
      !checkString(metadata.modelName, "model name", error))
    return false;
  appendString(out, metadata.producer);
  appendString(out, metadata.modelName);
  for (int list = 0; list < 2; ++list) {
    const std::vector<ArtifactTensor> &tensors = list ? metadata.outputs : metadata.inputs;
    const char *role = list ? "output" : "input";
    appendU32(out, uint32_t(tensors.size()));
    for (size_t i = 0; i < tensors.size(); ++i) {
      const ArtifactTensor &t = tensors[i];
      std::string what = std::string(role) + " " + std::to_string(i);
      if (t.name.empty()) {
        error = what + " has no name";
        return false;
      }
      what = std::string(role) + " '" + t.name + "'";
      if (!checkString(t.name, what + " name", error))
        return false;
      for (size_t j = 0; j < i; ++j)
        if (tensors[j].name == t.name) {
          error = "two " + std::string(role) + "s are named '" + t.name + "'";
          return false;
        }
      if (!t.dimNames.empty() && t.dimNames.size() != t.dims.size()) {
        error = what + " has " + std::to_string(t.dims.size()) + " dims but " +
                std::to_string(t.dimNames.size()) + " dim names";
        return false;
      }
      if (t.dtype < R1RT_DTYPE_FIRST || t.dtype > R1RT_DTYPE_LAST) {
        error = what + " has unknown dtype " + std::to_string(t.dtype);
        return false;
      }
      appendString(out, t.name);
      appendU32(out, t.dtype);
      appendU32(out, uint32_t(t.dims.size()));
      for (size_t d = 0; d < t.dims.size(); ++d) {
        if (t.dims[d] < R1RT_ARTIFACT_SYMBOLIC_DIM) {
          error = what + " dim " + std::to_string(d) + " is " + std::to_string(t.dims[d]);
          return false;
        }
        appendU64(out, uint64_t(t.dims[d]));
      }
      for (size_t d = 0; d < t.dims.size(); ++d) {
        static const std::string empty;
        const std::string &name = t.dimNames.empty() ? empty : t.dimNames[d];
        if (!name.empty() && t.dims[d] != R1RT_ARTIFACT_SYMBOLIC_DIM) {
          error = what + " dim " + std::to_string(d) + " is static but named '" + name + "'";
          return false;
        }
        if (!checkString(name, what + " dim name", error))
          return false;
        appendString(out, name);
      }
    }
  }
  return true;
}

// Encodes the payload of an EXTERNAL_WEIGHTS_REF section.
inline std::vector<uint8_t> encodeExternalWeightsRef(const std::string &fileName, uint64_t size,
                                                     uint32_t checksum) {
  std::vector<uint8_t> out;
  appendString(out, fileName);
  appendU64(out, size);
  appendU32(out, checksum);
  return out;
}

// Encodes the payload of a host PLAN section.
inline std::vector<uint8_t> encodeHostPlan(const std::vector<HostPlanEntry> &entries) {
  std::vector<uint8_t> out;
  appendU32(out, R1RT_HOST_PLAN_MAGIC);
  appendU32(out, R1RT_HOST_PLAN_VERSION);
  appendU32(out, uint32_t(entries.size()));
  auto appendTensors = [&](const std::vector<std::vector<int64_t>> &dims,
                           const std::vector<int32_t> &padAxes,
                           const std::vector<uint64_t> *maxElements) {
    for (size_t i = 0; i < dims.size(); ++i) {
      for (int64_t dim : dims[i])
        appendU64(out, uint64_t(dim));
      appendU32(out, uint32_t(i < padAxes.size() ? padAxes[i] : -1));
      if (maxElements)
        appendU64(out, i < maxElements->size() ? (*maxElements)[i] : 0);
    }
  };
  for (const HostPlanEntry &entry : entries) {
    appendString(out, entry.symbol);
    appendU64(out, entry.arenaSize);
    appendTensors(entry.inputDims, entry.inputPadAxes, nullptr);
    appendTensors(entry.outputDims, entry.outputPadAxes, &entry.outputMaxElements);
  }
  return out;
}

// Encodes the payload of a CUDA_CODE or HIP_CODE section.
inline std::vector<uint8_t> encodeDeviceCode(const std::vector<DeviceModule> &modules,
                                             const std::vector<DeviceEntry> &entries) {
  // Room for the binaries up front: they are most of the section.
  size_t binaries = 0;
  for (const DeviceModule &module : modules)
    binaries += module.symbol.size() + module.binary.size() + module.ptx.size() + 20;
  std::vector<uint8_t> out;
  out.reserve(12 + binaries + 4);
  appendU32(out, R1RT_DEVICE_CODE_MAGIC);
  appendU32(out, R1RT_DEVICE_CODE_VERSION);
  appendU32(out, uint32_t(modules.size()));
  auto appendBytes = [&](const std::string &bytes) {
    appendU64(out, bytes.size());
    out.insert(out.end(), bytes.begin(), bytes.end());
  };
  for (const DeviceModule &module : modules) {
    appendString(out, module.symbol);
    appendBytes(module.binary);
    appendBytes(module.ptx);
  }
  auto appendLocation = [&](const DeviceLocation &location) {
    appendU32(out, location.kind);
    appendU64(out, location.value);
  };
  appendU32(out, uint32_t(entries.size()));
  for (const DeviceEntry &entry : entries) {
    // The host plan's encoding of one entry, without its magic and count.
    std::vector<uint8_t> signature = encodeHostPlan({entry.signature});
    out.insert(out.end(), signature.begin() + 12, signature.end());
    appendU32(out, uint32_t(entry.launches.size()));
    for (const DeviceLaunch &launch : entry.launches) {
      appendU32(out, launch.module);
      for (uint32_t v : launch.grid)
        appendU32(out, v);
      for (uint32_t v : launch.block)
        appendU32(out, v);
      appendU32(out, launch.sharedBytes);
      appendU32(out, uint32_t(launch.args.size()));
      for (const DeviceLocation &arg : launch.args)
        appendLocation(arg);
    }
    for (const DeviceLocation &output : entry.outputs)
      appendLocation(output);
    for (const DeviceLocation &dims : entry.outputDims)
      appendLocation(dims);
  }
  return out;
}

} // namespace artifact

class ArtifactWriter {
public:
  // Sets the metadata; finish() encodes it as the first section, named
  // "metadata". Without it, the caller must add a METADATA section itself.
  void setMetadata(ArtifactMetadata metadata) {
    metadata_ = std::move(metadata);
    hasMetadata_ = true;
  }

  // Adds a section that owns its bytes.
  void addSection(uint32_t kind, std::string name, std::vector<uint8_t> bytes) {
    Section s{kind, std::move(name), std::move(bytes), nullptr, 0};
    s.size = s.owned.size();
    sections_.push_back(std::move(s));
  }

  // Adds a section whose bytes stay with the caller, alive until the last
  // finish()/write() returns. For large weights, which then are not copied.
  void addSectionView(uint32_t kind, std::string name, const void *data, size_t size) {
    sections_.push_back(Section{kind, std::move(name), {}, data, size});
  }

  // Streams the artifact to `sink`, in order, in pieces. `sink` returns
  // false to stop (e.g. a failed write). Nothing is buffered beyond the
  // header, table and metadata.
  bool write(const std::function<bool(const void *, size_t)> &sink, std::string &error) const {
    using namespace artifact;
    std::vector<Piece> pieces;
    std::vector<uint8_t> metadataBytes;
    if (hasMetadata_) {
      if (!encodeMetadata(metadata_, metadataBytes, error))
        return false;
      pieces.push_back(
          Piece{R1RT_SECTION_METADATA, "metadata", metadataBytes.data(), metadataBytes.size()});
    }
    for (const Section &s : sections_)
      pieces.push_back(Piece{s.kind, s.name, s.view ? s.view : s.owned.data(), s.size});

    // Validate names the way the reader will.
    for (size_t i = 0; i < pieces.size(); ++i) {
      const Piece &p = pieces[i];
      if (p.name.size() >= R1RT_ARTIFACT_SECTION_NAME_SIZE) {
        error = "section name '" + p.name + "' is longer than " +
                std::to_string(R1RT_ARTIFACT_SECTION_NAME_SIZE - 1) + " characters";
        return false;
      }
      if (p.name.find('\0') != std::string::npos) {
        error = "section name contains a NUL byte";
        return false;
      }
      for (size_t j = 0; j < i; ++j)
        if (pieces[j].kind == p.kind && pieces[j].name == p.name) {
          error = "two sections of kind " + std::to_string(p.kind) + " are named '" + p.name + "'";
          return false;
        }
    }
    size_t metadataCount = 0;
    for (const Piece &p : pieces)
      metadataCount += p.kind == R1RT_SECTION_METADATA;
    if (metadataCount != 1) {
      error = metadataCount ? "more than one metadata section" : "no metadata (call setMetadata)";
      return false;
    }
    if (pieces.size() > UINT32_MAX) {
      error = "too many sections";
      return false;
    }

    // Layout: header, table, then each section at the next 64-byte boundary.
    const uint64_t tableOffset = R1RT_ARTIFACT_HEADER_SIZE;
    uint64_t end = tableOffset + uint64_t(pieces.size()) * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;
    std::vector<uint64_t> offsets;
    for (const Piece &p : pieces) {
      uint64_t offset = alignUp(end, R1RT_ARTIFACT_SECTION_ALIGNMENT);
      offsets.push_back(offset);
      end = offset + p.size;
    }
    const uint64_t fileSize = end;

    std::vector<uint8_t> table(pieces.size() * R1RT_ARTIFACT_SECTION_ENTRY_SIZE, 0);
    for (size_t i = 0; i < pieces.size(); ++i) {
      uint8_t *e = table.data() + i * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;
      storeU32(e + kEntryKind, pieces[i].kind);
      storeU32(e + kEntryFlags, 0);
      storeU64(e + kEntryOffset, offsets[i]);
      storeU64(e + kEntrySize, pieces[i].size);
      std::memcpy(e + kEntryName, pieces[i].name.data(), pieces[i].name.size());
    }

    // The checksum covers everything after the header: compute it over the
    // same pieces, with the same padding, that are written below.
    static const uint8_t zeros[R1RT_ARTIFACT_SECTION_ALIGNMENT] = {};
    uint32_t crc = crc32Update(0, table.data(), table.size());
    uint64_t at = tableOffset + table.size();
    for (size_t i = 0; i < pieces.size(); ++i) {
      crc = crc32Update(crc, zeros, size_t(offsets[i] - at));
      crc = crc32Update(crc, pieces[i].data, pieces[i].size);
      at = offsets[i] + pieces[i].size;
    }

    uint8_t header[R1RT_ARTIFACT_HEADER_SIZE] = {};
    std::memcpy(header, R1RT_ARTIFACT_MAGIC, R1RT_ARTIFACT_MAGIC_SIZE);
    storeU32(header + kHeaderFormatVersion, R1RT_ARTIFACT_FORMAT_VERSION);
    storeU32(header + kHeaderHeaderSize, R1RT_ARTIFACT_HEADER_SIZE);
    storeU64(header + kHeaderFileSize, fileSize);
    storeU64(header + kHeaderSectionTableOffset, tableOffset);
    storeU32(header + kHeaderSectionCount, uint32_t(pieces.size()));
    storeU32(header + kHeaderFlags, 0);
    storeU32(header + kHeaderChecksum, crc);

    auto put = [&](const void *data, size_t size) {
      if (size && !sink(data, size)) {
        error = "writing the artifact failed";
        return false;
      }
      return true;
    };
    if (!put(header, sizeof header) || !put(table.data(), table.size()))
      return false;
    at = tableOffset + table.size();
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (!put(zeros, size_t(offsets[i] - at)) || !put(pieces[i].data, pieces[i].size))
        return false;
      at = offsets[i] + pieces[i].size;
    }
    return true;
  }

  // Produces the whole artifact in memory.
  bool finish(std::vector<uint8_t> &out, std::string &error) const {
    out.clear();
    return write(
        [&](const void *data, size_t size) {
          const uint8_t *p = static_cast<const uint8_t *>(data);
          out.insert(out.end(), p, p + size);
          return true;
        },
        error);
  }

  // Writes the artifact to `path`; the error names the path.
  bool writeFile(const std::string &path, std::string &error) const {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) {
      error = "cannot open '" + path + "' for writing";
      return false;
    }
    bool ok =
        write([&](const void *data, size_t size) { return std::fwrite(data, 1, size, f) == size; },
              error);
    if (std::fclose(f) != 0 && ok) {
      ok = false;
      error = "writing the artifact failed";
    }
    if (!ok) {
      error = path + ": " + error;
      std::remove(path.c_str());
    }
    return ok;
  }

private:
  struct Section {
    uint32_t kind;
    std::string name;
    std::vector<uint8_t> owned;
    const void *view;
    size_t size;
  };
  struct Piece {
    uint32_t kind;
    std::string name;
    const void *data;
    size_t size;
  };

  ArtifactMetadata metadata_;
  bool hasMetadata_ = false;
  std::vector<Section> sections_;
};

} // namespace r1c

#endif // R1C_ARTIFACT_WRITER_H
