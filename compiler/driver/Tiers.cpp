//===- Tiers.cpp - Several compiled models in one artifact (r1c --tiers) --===//
//
// Each tier is compiled on its own, as `r1c TIER.onnx --target=...` (or
// `r1c MODEL --precision=P`) would, into a temporary folder; its whole
// artifact becomes one TIER section of the tiered artifact, beside a TIERS
// table with the cascade and the METADATA the tiers share. The tiers' weights
// go to one pool, the tiered artifact's WEIGHTS section, where a tensor that
// several tiers hold alike lies once. The runtime loads each tier as a model
// over those bytes.
//===----------------------------------------------------------------------===//
#include "compiler/driver/Tiers.h"
#include "compiler/driver/WeightPool.h"

#include "r1c/artifact_format.h"
#include "r1c/artifact_writer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>

namespace r1c {
namespace {

using artifact::loadU32;
using artifact::loadU64;

int fail(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

// The sections of an artifact r1c just wrote, as (kind, name, bytes).
struct Section {
  uint32_t kind;
  std::string name;
  const uint8_t *data;
  size_t size;
};

bool readSections(const std::vector<uint8_t> &bytes, std::vector<Section> &out) {
  if (bytes.size() < R1RT_ARTIFACT_HEADER_SIZE)
    return false;
  uint64_t table = loadU64(bytes.data() + artifact::kHeaderSectionTableOffset);
  uint32_t count = loadU32(bytes.data() + artifact::kHeaderSectionCount);
  if (table > bytes.size() || (bytes.size() - table) / R1RT_ARTIFACT_SECTION_ENTRY_SIZE < count)
    return false;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *entry = bytes.data() + table + i * R1RT_ARTIFACT_SECTION_ENTRY_SIZE;
    uint64_t offset = loadU64(entry + artifact::kEntryOffset);
    uint64_t size = loadU64(entry + artifact::kEntrySize);
    if (offset > bytes.size() || size > bytes.size() - offset)
      return false;
    const char *name = reinterpret_cast<const char *>(entry + artifact::kEntryName);
    out.push_back(Section{loadU32(entry + artifact::kEntryKind),
                          std::string(name, strnlen(name, R1RT_ARTIFACT_SECTION_NAME_SIZE)),
                          bytes.data() + offset, size_t(size)});
  }
  return true;
}

// The metadata payload past its producer and model name: the inputs and
// outputs, which every tier must share byte for byte.
bool interfaceBytes(const Section &metadata, std::string &out) {
  size_t offset = 0;
  for (int field = 0; field < 2; ++field) {
    if (metadata.size - offset < 4)
      return false;
    uint32_t length = loadU32(metadata.data + offset);
    if (metadata.size - offset - 4 < length)
      return false;
    offset += 4 + length;
  }
  out.assign(reinterpret_cast<const char *>(metadata.data + offset), metadata.size - offset);
  return true;
}

// The index of output `name` in a metadata payload; -1 if it has none.
int64_t findOutput(const Section &metadata, const std::string &name) {
  size_t offset = 0;
  auto u32 = [&](uint32_t &v) {
    if (metadata.size - offset < 4)
      return false;
    v = loadU32(metadata.data + offset);
    offset += 4;
    return true;
  };
  auto skip = [&](size_t n) {
    if (metadata.size - offset < n)
      return false;
    offset += n;
    return true;
  };
  uint32_t length;
  for (int field = 0; field < 2; ++field)
    if (!u32(length) || !skip(length))
      return -1;
  for (int role = 0; role < 2; ++role) {
    uint32_t count;
    if (!u32(count))
      return -1;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t nameLength, dtype, rank;
      if (!u32(nameLength) || metadata.size - offset < nameLength)
        return -1;
      std::string tensor(reinterpret_cast<const char *>(metadata.data + offset), nameLength);
      offset += nameLength;
      if (role == 1 && tensor == name)
        return i;
      if (!u32(dtype) || !u32(rank) || !skip(size_t(rank) * 8))
        return -1;
      for (uint32_t d = 0; d < rank; ++d)
        if (!u32(length) || !skip(length))
          return -1;
    }
  }
  return -1;
}

void appendU32(std::vector<uint8_t> &out, uint32_t v) {
  size_t at = out.size();
  out.resize(at + 4);
  artifact::storeU32(out.data() + at, v);
}

void appendString(std::vector<uint8_t> &out, const std::string &s) {
  appendU32(out, uint32_t(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// What --tiers accepts as a precision; int8 and auto are named so that they
// get a message of their own rather than "no such model".
bool isPrecisionName(const std::string &entry) {
  return entry == "fp32" || entry == "bf16" || entry == "fp16" || entry == "int8" ||
         entry == "auto";
}

std::string joined(const std::vector<std::string> &entries) {
  std::string out;
  for (const std::string &entry : entries)
    out += (out.empty() ? "" : ",") + entry;
  return out;
}

} // namespace

bool resolveTierEntries(const std::vector<std::string> &entries, const std::string &model,
                        TierOptions &tiers) {
  std::string given = "--tiers=" + joined(entries);
  size_t precisions = std::count_if(entries.begin(), entries.end(), isPrecisionName);
  if (precisions != 0 && precisions != entries.size()) {
    std::cerr << "error: " << given
              << " mixes precisions and models: give the precisions of one model "
                 "(r1c MODEL --tiers=bf16,fp32) or models only (r1c --tiers=A.onnx,B.onnx)\n";
    return false;
  }
  if (precisions == 0) {
    if (!model.empty()) {
      std::cerr << "error: " << given
                << " names the models of every tier; give no MODEL beside it, or give "
                   "precisions to compile MODEL at each (r1c MODEL --tiers=bf16,fp32)\n";
      return false;
    }
    tiers.models = entries;
    return true;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string &precision = entries[i];

    if (std::find(entries.begin(), entries.begin() + i, precision) != entries.begin() + i) {
      std::cerr << "error: " << given << ": " << precision << " is given twice; each precision "
                << "makes one tier\n";
      return false;
    }
    if (precision == "fp32" && i + 1 != entries.size()) {
      std::cerr << "error: " << given
                << ": tiers go cheapest first, and fp32 is the most accurate: put it last "
                   "(e.g. --tiers=bf16,fp32)\n";
      return false;
    }
  }
  if (model.empty()) {
    std::cerr << "error: " << given
              << " compiles one model at each precision: give the MODEL (r1c model.onnx " << given
              << " --target=host -o OUT)\n";
    return false;
  }
  tiers.models = {model};
  tiers.precisions = entries;
  return true;
}

int runTieredCompiler(const CompilerOptions &options, const TierOptions &tiers) {
  bool byPrecision = !tiers.precisions.empty();
  size_t count = byPrecision ? tiers.precisions.size() : tiers.models.size();
  if (count < 2 || count > R1RT_MAX_TIERS)
    return fail("--tiers takes 2 to " + std::to_string(R1RT_MAX_TIERS) +
                (byPrecision ? " precisions" : " models") + ", cheapest first; got " +
                std::to_string(count));
  if (options.target.empty() || options.emit != EmitFormat::Object)
    return fail("--tiers compiles code: give --target (e.g. --target=host)");
  if (options.outputPath.empty() || options.outputPath == "-")
    return fail("--tiers writes OUT.r1: give -o OUT");
  uint32_t metric = R1RT_CASCADE_NONE;
  float threshold = 0;
  if (!tiers.cascade.empty()) {
    std::string kind = tiers.cascade.substr(0, tiers.cascade.find(':'));
    std::string value =
        tiers.cascade.find(':') == std::string::npos ? "" : tiers.cascade.substr(kind.size() + 1);
    char *end = nullptr;
    threshold = std::strtof(value.c_str(), &end);
    if (kind == "confidence")
      metric = R1RT_CASCADE_CONFIDENCE;
    else if (kind == "margin")
      metric = R1RT_CASCADE_MARGIN;
    if (metric == R1RT_CASCADE_NONE || value.empty() || *end || !(threshold > 0) ||
        !(threshold <= 1))
      return fail("--cascade=" + tiers.cascade +
                  ": use confidence:T or margin:T with T in (0, 1], e.g. confidence:0.9");
  }

  llvm::SmallString<128> scratch;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("r1c-tiers", scratch))
    return fail("cannot create a temporary folder for the tiers: " + ec.message());
  struct Cleanup {
    std::string dir;
    ~Cleanup() { llvm::sys::fs::remove_directories(dir); }
  } cleanup{std::string(scratch)};

  std::vector<std::vector<uint8_t>> artifacts(count);
  std::vector<std::string> names;
  std::vector<Section> sharedMetadata;
  std::string interface;
  WeightPool pool;
  for (size_t i = 0; i < count; ++i) {
    // What messages call the tier: its model, and its precision if it has one.
    std::string model =
        byPrecision ? tiers.models[0] + " (" + tiers.precisions[i] + ")" : tiers.models[i];
    CompilerOptions tier = options;
    tier.inputPath = byPrecision ? tiers.models[0] : tiers.models[i];
    if (byPrecision)
      tier.precision = tiers.precisions[i];
    tier.outputPath = (scratch + "/tier" + std::to_string(i)).str();
    tier.sharedWeights = &pool;
    if (int code = runCompiler(tier))
      return code; // its error named the model already
    auto buffer = llvm::MemoryBuffer::getFile(tier.outputPath + ".r1", /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail(model + ": the compiled tier is missing: " + buffer.getError().message());
    artifacts[i].assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
    std::vector<Section> sections;
    if (!readSections(artifacts[i], sections))
      return fail(model + ": cannot read back the compiled tier");
    const Section *metadata = nullptr;
    for (const Section &s : sections)
      if (s.kind == R1RT_SECTION_METADATA)
        metadata = &s;
    std::string tierInterface;
    if (!metadata || !interfaceBytes(*metadata, tierInterface))
      return fail(model + ": the compiled tier has no readable metadata");
    if (i == 0) {
      interface = tierInterface;
      sharedMetadata.push_back(*metadata);
    } else if (tierInterface != interface) {
      return fail(model +
                  ": the tiers must take the same inputs and give the same outputs "
                  "(names, element types and dims) as " +
                  tiers.models[0]);
    }
    std::string stem = byPrecision ? tiers.precisions[i] : llvm::sys::path::stem(model).str();
    for (const std::string &other : names)
      if (other == stem)
        stem += "_" + std::to_string(i);
    names.push_back(stem);
  }

  uint32_t scored = 0;
  if (!tiers.cascadeOutput.empty()) {
    int64_t index = findOutput(sharedMetadata[0], tiers.cascadeOutput);
    if (index < 0)
      return fail("--cascade-output=" + tiers.cascadeOutput + ": the tiers have no such output");
    scored = uint32_t(index);
  }

  std::vector<uint8_t> table;
  appendU32(table, R1RT_TIERS_MAGIC);
  appendU32(table, R1RT_TIERS_VERSION);
  appendU32(table, uint32_t(count));
  appendU32(table, metric);
  uint32_t thresholdBits;
  std::memcpy(&thresholdBits, &threshold, sizeof thresholdBits);
  appendU32(table, thresholdBits);
  appendU32(table, scored);
  ArtifactWriter writer;
  const Section &metadata = sharedMetadata[0];
  writer.addSectionView(R1RT_SECTION_METADATA, "metadata", metadata.data, metadata.size);
  for (size_t i = 0; i < names.size(); ++i) {
    std::string section = "tier" + std::to_string(i);
    appendString(table, names[i]);
    appendString(table, section);
    writer.addSectionView(R1RT_SECTION_TIER, section, artifacts[i].data(), artifacts[i].size());
  }
  writer.addSection(R1RT_SECTION_TIERS, "tiers", std::move(table));
  // Every tier's code reads its weights here (an empty pool: no tier has
  // any): the WEIGHTS section, or with --weights=external OUT.safetensors,
  // which the artifact references as a single model's would.
  std::string error;
  if (!pool.bytes().empty() && options.weights == WeightStorage::External) {
    uint64_t size = 0;
    uint32_t checksum = 0;
    std::string sideFile = options.outputPath + ".safetensors";
    if (!writeSafetensors(pool.tensors(), pool.bytes(), sideFile, size, checksum, error))
      return fail(error);
    writer.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                      artifact::encodeExternalWeightsRef(llvm::sys::path::filename(sideFile).str(),
                                                         size, checksum));
  } else if (!pool.bytes().empty()) {
    writer.addSectionView(R1RT_SECTION_WEIGHTS, "weights", pool.bytes().data(),
                          pool.bytes().size());
  }
  if (options.stats)
    llvm::errs() << "tiers: " << count << ", weights " << pool.requested() << " (" << pool.shared()
                 << " shared with an earlier tier, " << pool.sharedBytes()
                 << " bytes stored once), "
                 << (options.weights == WeightStorage::External ? "side file's data "
                                                                : "WEIGHTS section ")
                 << pool.bytes().size() << " bytes\n";
  if (!writer.writeFile(options.outputPath + ".r1", error))
    return fail(error);
  return 0;
}

} // namespace r1c
