// The artifact container: writer layout, reader round trip, and every kind
// of corruption the reader must refuse without crashing.
#include "TestArtifacts.h"

#include <cstring>
#include <random>

using namespace r1rt_test;
using namespace r1c::artifact;

namespace {

std::vector<uint8_t> encode(const r1c::ArtifactMetadata &metadata) {
  std::vector<uint8_t> payload;
  std::string error;
  EXPECT_TRUE(encodeMetadata(metadata, payload, error)) << error;
  return payload;
}

// Checks that loading fails with `code` and a message containing `text`.
void expectRefused(const std::vector<uint8_t> &bytes, r1rt_status_code_t code,
                   const std::string &text) {
  LoadResult r = tryLoad(bytes);
  EXPECT_EQ(r.code, code) << r1rt_status_code_name(r.code) << ": " << r.message;
  EXPECT_NE(r.message.find(text), std::string::npos)
      << "message '" << r.message << "' lacks '" << text << "'";
}

} // namespace

TEST(Crc32, KnownValues) {
  EXPECT_EQ(crc32Update(0, "", 0), 0u);
  EXPECT_EQ(crc32Update(0, "123456789", 9), 0xCBF43926u);
  // Incremental equals one shot, across the 8-byte fast path.
  std::vector<uint8_t> bytes = patternBytes(1000, 1);
  uint32_t whole = crc32Update(0, bytes.data(), bytes.size());
  uint32_t parts = crc32Update(0, bytes.data(), 13);
  parts = crc32Update(parts, bytes.data() + 13, bytes.size() - 13);
  EXPECT_EQ(whole, parts);
}

TEST(ArtifactWriter, Layout) {
  std::vector<uint8_t> bytes = sampleArtifact();
  const uint8_t *h = bytes.data();
  ASSERT_GE(bytes.size(), 64u);
  EXPECT_EQ(std::memcmp(h, "R1CARTF\0", 8), 0);
  EXPECT_EQ(loadU32(h + kHeaderFormatVersion), R1RT_ARTIFACT_FORMAT_VERSION);
  EXPECT_EQ(loadU32(h + kHeaderHeaderSize), 64u);
  EXPECT_EQ(loadU64(h + kHeaderFileSize), bytes.size());
  EXPECT_EQ(loadU64(h + kHeaderSectionTableOffset), 64u);
  const size_t count = sampleSections().size() + 1;
  EXPECT_EQ(loadU32(h + kHeaderSectionCount), count);
  EXPECT_EQ(loadU32(h + kHeaderFlags), 0u);
  EXPECT_EQ(loadU32(h + kHeaderChecksum), crc32Update(0, h + 64, bytes.size() - 64));
  for (size_t i = kHeaderReserved; i < 64; ++i)
    EXPECT_EQ(h[i], 0) << "header byte " << i;

  // Sections follow the table in order, each at the next 64-byte boundary.
  uint64_t end = 64 + count * 48;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t *e = h + entryAt(i);
    uint64_t offset = loadU64(e + kEntryOffset);
    EXPECT_EQ(offset % 64, 0u) << "section " << i;
    EXPECT_EQ(offset, alignUp(end, 64)) << "section " << i;
    end = offset + loadU64(e + kEntrySize);
    if (i == 0) {
      EXPECT_EQ(loadU32(e + kEntryKind), uint32_t(R1RT_SECTION_METADATA));
      EXPECT_STREQ(reinterpret_cast<const char *>(e + kEntryName), "metadata");
    } else {
      const SampleSection &s = sampleSections()[i - 1];
      EXPECT_EQ(loadU32(e + kEntryKind), s.kind);
      EXPECT_STREQ(reinterpret_cast<const char *>(e + kEntryName), s.name);
      EXPECT_EQ(loadU64(e + kEntrySize), s.size);
      EXPECT_EQ(std::memcmp(h + offset, patternBytes(s.size, s.seed).data(), s.size), 0);
    }
  }
  EXPECT_EQ(end, bytes.size());
}

TEST(ArtifactWriter, StreamsTheSameBytesAsFinish) {
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  std::vector<uint8_t> weights = patternBytes(5000, 2);
  writer.addSectionView(R1RT_SECTION_WEIGHTS, "weights", weights.data(), weights.size());
  std::vector<uint8_t> whole, streamed;
  std::string error;
  ASSERT_TRUE(writer.finish(whole, error)) << error;
  size_t pieces = 0;
  ASSERT_TRUE(writer.write(
      [&](const void *data, size_t size) {
        ++pieces;
        streamed.insert(streamed.end(), static_cast<const uint8_t *>(data),
                        static_cast<const uint8_t *>(data) + size);
        return true;
      },
      error));
  EXPECT_EQ(whole, streamed);
  EXPECT_GT(pieces, 2u);
  // A failing sink stops the write with an error.
  EXPECT_FALSE(writer.write([](const void *, size_t) { return false; }, error));
  EXPECT_EQ(error, "writing the artifact failed");
}

TEST(ArtifactWriter, RefusesWhatTheReaderWouldRefuse) {
  auto fails = [](r1c::ArtifactWriter &writer, const std::string &text) {
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_FALSE(writer.finish(bytes, error));
    EXPECT_NE(error.find(text), std::string::npos) << error;
  };
  {
    r1c::ArtifactWriter w;
    fails(w, "no metadata");
  }
  {
    r1c::ArtifactWriter w;
    w.setMetadata(sampleMetadata());
    w.addSection(R1RT_SECTION_WEIGHTS, "a-name-of-twenty-four-ch", {});
    fails(w, "longer than 23 characters");
  }
  {
    r1c::ArtifactWriter w;
    w.setMetadata(sampleMetadata());
    w.addSection(R1RT_SECTION_WEIGHTS, "weights", {1});
    w.addSection(R1RT_SECTION_WEIGHTS, "weights", {2});
    fails(w, "two sections of kind 6 are named 'weights'");
  }
  {
    r1c::ArtifactWriter w;
    w.setMetadata(sampleMetadata());
    w.addSection(R1RT_SECTION_METADATA, "other", {});
    fails(w, "more than one metadata section");
  }
  struct Case {
    void (*edit)(r1c::ArtifactMetadata &);
    const char *text;
  };
  const Case cases[] = {
      {[](r1c::ArtifactMetadata &m) { m.inputs[0].name.clear(); }, "input 0 has no name"},
      {[](r1c::ArtifactMetadata &m) { m.inputs[1].name = "input_ids"; },
       "two inputs are named 'input_ids'"},
      {[](r1c::ArtifactMetadata &m) { m.outputs[0].dtype = 0; }, "unknown dtype 0"},
      {[](r1c::ArtifactMetadata &m) { m.inputs[0].dims[1] = -2; }, "dim 1 is -2"},
      {[](r1c::ArtifactMetadata &m) { m.outputs[0].dimNames[2] = "vocab"; },
       "dim 2 is static but named 'vocab'"},
      {[](r1c::ArtifactMetadata &m) { m.inputs[0].dimNames.pop_back(); },
       "has 2 dims but 1 dim names"},
      {[](r1c::ArtifactMetadata &m) { m.modelName = std::string("a\0b", 3); },
       "model name contains a NUL byte"},
  };
  for (const Case &c : cases) {
    r1c::ArtifactMetadata m = sampleMetadata();
    c.edit(m);
    r1c::ArtifactWriter w;
    w.setMetadata(m);
    fails(w, c.text);
  }
}

TEST(ArtifactReader, RoundTrip) {
  std::vector<uint8_t> bytes = sampleArtifact();
  LoadedModel loaded(bytes);
  r1rt_model_t model = loaded.model;
  ASSERT_NE(model, nullptr);

  const char *text = nullptr;
  ASSERT_EQ(r1rt_model_name(model, &text), nullptr);
  EXPECT_STREQ(text, "tiny-llm");
  ASSERT_EQ(r1rt_model_producer(model, &text), nullptr);
  EXPECT_STREQ(text, "r1c 0.1.0");

  // Every tensor as written, in order.
  r1c::ArtifactMetadata expected = sampleMetadata();
  for (int list = 0; list < 2; ++list) {
    const std::vector<r1c::ArtifactTensor> &tensors = list ? expected.outputs : expected.inputs;
    size_t count = 0;
    ASSERT_EQ((list ? r1rt_model_output_count : r1rt_model_input_count)(model, &count), nullptr);
    ASSERT_EQ(count, tensors.size());
    for (size_t i = 0; i < count; ++i) {
      SCOPED_TRACE(tensors[i].name);
      r1rt_tensor_info_t info;
      ASSERT_EQ((list ? r1rt_model_output_info : r1rt_model_input_info)(model, i, &info), nullptr);
      EXPECT_STREQ(info.name, tensors[i].name.c_str());
      EXPECT_EQ(uint32_t(info.dtype), tensors[i].dtype);
      ASSERT_EQ(size_t(info.rank), tensors[i].dims.size());
      if (info.rank == 0) {
        EXPECT_EQ(info.dims, nullptr);
        EXPECT_EQ(info.dim_names, nullptr);
      }
      for (int32_t d = 0; d < info.rank; ++d) {
        EXPECT_EQ(info.dims[d], tensors[i].dims[d]);
        std::string name = tensors[i].dimNames.empty() ? "" : tensors[i].dimNames[d];
        EXPECT_STREQ(info.dim_names[d], name.c_str());
      }
      size_t found = 99;
      ASSERT_EQ((list ? r1rt_model_find_output
                      : r1rt_model_find_input)(model, tensors[i].name.c_str(), &found),
                nullptr);
      EXPECT_EQ(found, i);
    }
  }
  r1rt_tensor_info_t ids;
  ASSERT_EQ(r1rt_model_input_info(model, 0, &ids), nullptr);
  EXPECT_EQ(ids.dims[0], R1RT_ARTIFACT_SYMBOLIC_DIM);
  EXPECT_STREQ(ids.dim_names[0], "batch");

  // Sections: all of them counted, found by kind and name, bytes intact and
  // 64-byte aligned in memory.
  size_t sectionCount = 0;
  ASSERT_EQ(r1rt_model_section_count(model, &sectionCount), nullptr);
  EXPECT_EQ(sectionCount, sampleSections().size() + 1);
  for (size_t i = 0; i < sampleSections().size(); ++i) {
    const SampleSection &s = sampleSections()[i];
    SCOPED_TRACE(s.name);
    const void *data = nullptr;
    size_t size = 0;
    ASSERT_EQ(r1rt_model_find_section(model, s.kind, s.name, &data, &size), nullptr);
    ASSERT_EQ(size, s.size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
    EXPECT_EQ(std::memcmp(data, patternBytes(s.size, s.seed).data(), size), 0);

    r1rt_section_info_t info;
    ASSERT_EQ(r1rt_model_section_info(model, i + 1, &info), nullptr);
    EXPECT_EQ(info.kind, s.kind);
    EXPECT_STREQ(info.name, s.name);
    EXPECT_EQ(info.data, data);
    EXPECT_EQ(info.size, size);
  }
  // NULL name: the first section of that kind.
  const void *data = nullptr;
  size_t size = 0;
  ASSERT_EQ(r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, nullptr, &data, &size), nullptr);
  EXPECT_EQ(size, 300u);
  // Metadata is a section like the others.
  ASSERT_EQ(r1rt_model_find_section(model, R1RT_SECTION_METADATA, "metadata", &data, &size),
            nullptr);
  EXPECT_EQ(size, encode(sampleMetadata()).size());
}

TEST(ArtifactReader, MissingSectionsAndNames) {
  LoadedModel loaded(sampleArtifact());
  const void *data = nullptr;
  size_t size = 0, index = 0;
  LoadResult r = takeStatus(
      r1rt_model_find_section(loaded.model, R1RT_SECTION_CUDA_CODE, "sm_80", &data, &size));
  EXPECT_EQ(r.code, R1RT_NOT_FOUND);
  EXPECT_EQ(r.message, "the model has no CUDA code section named 'sm_80'");
  r = takeStatus(
      r1rt_model_find_section(loaded.model, R1RT_SECTION_HIP_CODE, nullptr, &data, &size));
  EXPECT_EQ(r.code, R1RT_NOT_FOUND);
  EXPECT_EQ(r.message, "the model has no HIP code section");
  r = takeStatus(r1rt_model_find_input(loaded.model, "logits", &index));
  EXPECT_EQ(r.code, R1RT_NOT_FOUND);
  EXPECT_EQ(r.message, "the model has no input named 'logits'");
  r = takeStatus(r1rt_model_find_output(loaded.model, "input_ids", &index));
  EXPECT_EQ(r.code, R1RT_NOT_FOUND);
  EXPECT_EQ(r.message, "the model has no output named 'input_ids'");
  EXPECT_EQ(data, nullptr) << "out_ parameters are written only on success";
}

TEST(ArtifactReader, MinimalArtifact) {
  r1c::ArtifactWriter writer;
  writer.setMetadata(r1c::ArtifactMetadata{});
  writer.addSection(R1RT_SECTION_WEIGHTS, "empty", {});
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(writer.finish(bytes, error)) << error;
  LoadedModel loaded(bytes);
  size_t count = 1;
  ASSERT_EQ(r1rt_model_input_count(loaded.model, &count), nullptr);
  EXPECT_EQ(count, 0u);
  const char *name = nullptr;
  ASSERT_EQ(r1rt_model_name(loaded.model, &name), nullptr);
  EXPECT_STREQ(name, "");
  const void *data = nullptr;
  size_t size = 1;
  ASSERT_EQ(r1rt_model_find_section(loaded.model, R1RT_SECTION_WEIGHTS, "empty", &data, &size),
            nullptr);
  EXPECT_EQ(size, 0u);
}

TEST(ArtifactReader, ExternalWeightsReference) {
  r1c::ArtifactWriter writer;
  writer.setMetadata(sampleMetadata());
  writer.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                    encodeExternalWeightsRef("model.safetensors", 123456789, 0xDEADBEEF));
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(writer.finish(bytes, error)) << error;
  { LoadedModel loaded(bytes); }

  // Malformed payloads: short, trailing bytes.
  const std::vector<uint8_t> payloads[] = {
      std::vector<uint8_t>{5, 0, 0, 0, 'a', 'b'},
      [] {
        std::vector<uint8_t> p = encodeExternalWeightsRef("w.safetensors", 1, 2);
        p.push_back(0);
        return p;
      }(),
  };
  const char *texts[] = {"file name length 5 runs past the end",
                         "1 unexpected bytes after the payload"};
  for (size_t i = 0; i < 2; ++i) {
    r1c::ArtifactWriter w;
    w.setMetadata(sampleMetadata());
    w.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights", payloads[i]);
    ASSERT_TRUE(w.finish(bytes, error)) << error;
    expectRefused(bytes, R1RT_DATA_LOSS, texts[i]);
  }
}

// An empty file name: the weights are the artifact's own WEIGHTS section
// (host and GPU code sharing them), which must be there at that size.
TEST(ArtifactReader, WeightsReferenceToOwnSection) {
  std::vector<uint8_t> weights(640, 7);
  auto build = [&](bool withWeights, uint64_t size) {
    r1c::ArtifactWriter writer;
    writer.setMetadata(sampleMetadata());
    if (withWeights)
      writer.addSection(R1RT_SECTION_WEIGHTS, "weights", weights);
    writer.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                      encodeExternalWeightsRef("", size, 0));
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_TRUE(writer.finish(bytes, error)) << error;
    return bytes;
  };
  { LoadedModel loaded(build(true, weights.size())); }
  expectRefused(build(false, weights.size()), R1RT_DATA_LOSS,
                "external weights reference 'weights' names the artifact's WEIGHTS section, "
                "which it does not have");
  expectRefused(build(true, 64), R1RT_DATA_LOSS,
                "external weights reference 'weights' expects a WEIGHTS section of 64 bytes; "
                "it has 640");
}

TEST(ArtifactCorruption, TruncatedAtEveryLength) {
  std::vector<uint8_t> bytes = sampleArtifact();
  for (size_t length = 0; length < bytes.size(); ++length) {
    SCOPED_TRACE("length " + std::to_string(length));
    // A fresh allocation of exactly `length` bytes, so ASan sees any read
    // past the end.
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    LoadResult r = tryLoad(prefix);
    EXPECT_EQ(r.code, R1RT_DATA_LOSS) << r.message;
    std::string expected;
    if (length == 0)
      expected = "artifact truncated: it is empty";
    else if (length < 64)
      expected = "artifact truncated: got " + std::to_string(length) +
                 " bytes, less than the 64-byte header";
    else
      expected = "artifact truncated: header says " + std::to_string(bytes.size()) +
                 " bytes, got " + std::to_string(length);
    EXPECT_EQ(r.message, expected);
  }
  EXPECT_EQ(tryLoad(bytes).code, R1RT_OK);
}

TEST(ArtifactCorruption, TrailingBytes) {
  std::vector<uint8_t> bytes = sampleArtifact();
  size_t size = bytes.size();
  bytes.push_back(0);
  expectRefused(bytes, R1RT_DATA_LOSS,
                "artifact size mismatch: header says " + std::to_string(size) + " bytes, got " +
                    std::to_string(size + 1));
}

TEST(ArtifactCorruption, EveryFlippedByteIsCaught) {
  const std::vector<uint8_t> original = sampleArtifact();
  for (size_t at = 0; at < original.size(); ++at) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::vector<uint8_t> bytes = original;
      bytes[at] ^= mask;
      LoadResult r = tryLoad(bytes);
      ASSERT_NE(r.code, R1RT_OK) << "byte " << at << " ^ " << int(mask) << " went unnoticed";
      if (at >= 64) {
        EXPECT_NE(r.message.find("checksum mismatch"), std::string::npos) << r.message;
      }
    }
  }
}

TEST(ArtifactCorruption, BadMagic) {
  std::vector<uint8_t> bytes = sampleArtifact();
  bytes[0] = 'X';
  expectRefused(bytes, R1RT_INVALID_ARGUMENT,
                "not an r1c artifact: it does not start with \"R1CARTF\"");
  // Also when it is too short to be anything: an ONNX file's first bytes.
  std::vector<uint8_t> onnx = {0x08, 0x07, 0x12};
  expectRefused(onnx, R1RT_INVALID_ARGUMENT, "not an r1c artifact");
}

// Version 1 (before tiers) is refused with what to do about it.
TEST(ArtifactCorruption, OlderFormatVersion) {
  static_assert(R1RT_ARTIFACT_FORMAT_VERSION == 2, "update the versions this test refuses");
  std::vector<uint8_t> bytes = sampleArtifact();
  storeU32(bytes.data() + kHeaderFormatVersion, 1);
  LoadResult r = tryLoad(bytes);
  EXPECT_EQ(r.code, R1RT_UNIMPLEMENTED);
  EXPECT_EQ(r.message, "artifact format version 1 is older than this runtime reads (version 2): "
                       "recompile the model with this release's r1c");
}

TEST(ArtifactCorruption, OtherFormatVersion) {
  for (uint32_t version : {0u, R1RT_ARTIFACT_FORMAT_VERSION + 1, 0xFFFFFFFFu}) {
    std::vector<uint8_t> bytes = sampleArtifact();
    storeU32(bytes.data() + kHeaderFormatVersion, version);
    std::string message = "artifact format version " + std::to_string(version) +
                          " is not supported by this runtime (reads version " +
                          std::to_string(R1RT_ARTIFACT_FORMAT_VERSION) + ")";
    LoadResult r = tryLoad(bytes);
    EXPECT_EQ(r.code, R1RT_UNIMPLEMENTED);
    EXPECT_EQ(r.message, message);
    // The version is reported before anything a newer layout may change,
    // even for a file cut short.
    bytes.resize(12);
    r = tryLoad(bytes);
    EXPECT_EQ(r.code, R1RT_UNIMPLEMENTED);
    EXPECT_EQ(r.message, message);
  }
}

TEST(ArtifactCorruption, HeaderFields) {
  const std::vector<uint8_t> original = sampleArtifact();
  std::vector<uint8_t> bytes = original;
  storeU32(bytes.data() + kHeaderHeaderSize, 128);
  expectRefused(bytes, R1RT_DATA_LOSS, "artifact header size is 128, expected 64");

  bytes = original;
  storeU32(bytes.data() + kHeaderFlags, 4);
  expectRefused(bytes, R1RT_UNIMPLEMENTED, "artifact header flags 0x4 are not known");

  bytes = original;
  bytes[63] = 1;
  expectRefused(bytes, R1RT_DATA_LOSS, "artifact header padding is not zero");

  bytes = original;
  bytes[kHeaderChecksum] ^= 1;
  expectRefused(bytes, R1RT_DATA_LOSS, "artifact checksum mismatch");

  bytes = original;
  storeU64(bytes.data() + kHeaderFileSize, UINT64_MAX);
  expectRefused(bytes, R1RT_DATA_LOSS, "artifact truncated: header says 18446744073709551615");
}

TEST(ArtifactCorruption, SectionTableOutOfBounds) {
  const std::vector<uint8_t> original = sampleArtifact();
  struct Case {
    uint64_t offset;
    uint32_t count;
  };
  for (Case c : {Case{0, 6}, Case{32, 6}, Case{original.size(), 1}, Case{UINT64_MAX, 6},
                 Case{UINT64_MAX - 47, 1}, Case{64, UINT32_MAX}, Case{64, 1u << 30}}) {
    std::vector<uint8_t> bytes = original;
    storeU64(bytes.data() + kHeaderSectionTableOffset, c.offset);
    storeU32(bytes.data() + kHeaderSectionCount, c.count);
    reseal(bytes);
    expectRefused(bytes, R1RT_DATA_LOSS, "section table (");
  }
}

TEST(ArtifactCorruption, SectionOutOfBounds) {
  const std::vector<uint8_t> original = sampleArtifact();
  const size_t weights = sampleSections().size(); // the last entry
  struct Case {
    uint64_t offset;
    uint64_t size;
  };
  for (Case c : {Case{0, 10}, Case{original.size() + 64, 0}, Case{alignUp(original.size(), 64), 1},
                 Case{64 * 1000, 300}, Case{UINT64_MAX - 63, 300}, Case{1024, UINT64_MAX},
                 Case{512, UINT64_MAX - 500}}) {
    SCOPED_TRACE("offset " + std::to_string(c.offset) + " size " + std::to_string(c.size));
    std::vector<uint8_t> bytes = original;
    storeU64(bytes.data() + entryAt(weights) + kEntryOffset, c.offset);
    storeU64(bytes.data() + entryAt(weights) + kEntrySize, c.size);
    reseal(bytes);
    expectRefused(bytes, R1RT_DATA_LOSS, "lies outside the artifact");
  }
  // The last byte is still in bounds; one more is not.
  std::vector<uint8_t> bytes = original;
  uint64_t size = loadU64(bytes.data() + entryAt(weights) + kEntrySize);
  storeU64(bytes.data() + entryAt(weights) + kEntrySize, size + 1);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "section 5 (weights 'weights') at offset");
}

TEST(ArtifactCorruption, UnalignedSection) {
  std::vector<uint8_t> bytes = sampleArtifact();
  uint8_t *entry = bytes.data() + entryAt(1);
  storeU64(entry + kEntryOffset, loadU64(entry + kEntryOffset) + 8);
  storeU64(entry + kEntrySize, 8);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "is not aligned to 64 bytes");
}

TEST(ArtifactCorruption, OverlappingSections) {
  const std::vector<uint8_t> original = sampleArtifact();
  // The CUDA section moved onto the host code section.
  std::vector<uint8_t> bytes = original;
  storeU64(bytes.data() + entryAt(3) + kEntryOffset,
           loadU64(bytes.data() + entryAt(2) + kEntryOffset));
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS,
                "section 2 (host code 'host-x86-64-v3') overlaps section 3 (CUDA code 'sm_90')");

  // A section grown into the next one.
  bytes = original;
  storeU64(bytes.data() + entryAt(1) + kEntrySize, 200);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "section 1 (plan 'plan') overlaps section 2");

  // A section over the section table.
  bytes = original;
  storeU64(bytes.data() + entryAt(4) + kEntryOffset, 64);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "the section table overlaps section 4");
}

TEST(ArtifactCorruption, SectionNames) {
  const std::vector<uint8_t> original = sampleArtifact();
  std::vector<uint8_t> bytes = original;
  std::memset(bytes.data() + entryAt(2) + kEntryName, 'x', 24);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "name is not NUL-terminated");

  bytes = original;
  bytes[entryAt(2) + kEntryName + 20] = 'z'; // after "host-x86-64-v3" and its NUL
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "name is not padded with NUL bytes");

  // Two WEIGHTS sections named alike.
  r1c::ArtifactWriter w;
  w.setMetadata(sampleMetadata());
  w.addSection(R1RT_SECTION_WEIGHTS, "weights", {1});
  w.addSection(R1RT_SECTION_WEIGHTS, "weightz", {2});
  std::string error;
  ASSERT_TRUE(w.finish(bytes, error)) << error;
  bytes[entryAt(2) + kEntryName + 6] = 's';
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "have the same kind and name");
}

TEST(ArtifactCorruption, SectionFlags) {
  const std::vector<uint8_t> original = sampleArtifact();
  std::vector<uint8_t> bytes = original;
  storeU32(bytes.data() + entryAt(5) + kEntryFlags, 1);
  reseal(bytes);
  expectRefused(bytes, R1RT_UNIMPLEMENTED, "section 5 (weights 'weights') has flags 0x1");
  // Flags of a kind this runtime does not know are that kind's business.
  bytes = original;
  storeU32(bytes.data() + entryAt(4) + kEntryFlags, 1);
  reseal(bytes);
  EXPECT_EQ(tryLoad(bytes).code, R1RT_OK);
}

TEST(ArtifactCorruption, LostTableEntryIsCaught) {
  // One entry fewer in the header: the checksum skips the header, so only
  // the rule that unclaimed bytes are zero notices the orphaned section.
  std::vector<uint8_t> bytes = sampleArtifact();
  storeU32(bytes.data() + kHeaderSectionCount, uint32_t(sampleSections().size()));
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "non-zero bytes");
}

TEST(ArtifactCorruption, NonZeroPadding) {
  std::vector<uint8_t> bytes = sampleArtifact();
  // The byte after the plan section (37 bytes) is padding.
  uint64_t planEnd = loadU64(bytes.data() + entryAt(1) + kEntryOffset) + 37;
  bytes[planEnd] = 1;
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "non-zero bytes between offsets");
}

TEST(ArtifactCorruption, MetadataSectionCount) {
  r1c::ArtifactWriter none;
  none.addSection(R1RT_SECTION_WEIGHTS, "weights", {1, 2, 3});
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_FALSE(none.finish(bytes, error));
  // The writer refuses; build one by retyping the metadata entry.
  bytes = sampleArtifact();
  storeU32(bytes.data() + entryAt(0) + kEntryKind, 77);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "artifact has no metadata section");

  bytes = sampleArtifact();
  storeU32(bytes.data() + entryAt(1) + kEntryKind, R1RT_SECTION_METADATA);
  reseal(bytes);
  expectRefused(bytes, R1RT_DATA_LOSS, "more than one metadata section");
}

TEST(ArtifactCorruption, MetadataTruncatedAtEveryLength) {
  const std::vector<uint8_t> payload = encode(sampleMetadata());
  for (size_t length = 0; length < payload.size(); ++length) {
    std::vector<uint8_t> cut(payload.begin(), payload.begin() + length);
    LoadResult r = tryLoad(artifactWithMetadataPayload(cut));
    EXPECT_EQ(r.code, R1RT_DATA_LOSS) << "length " << length << ": " << r.message;
    EXPECT_EQ(r.message.rfind("metadata: ", 0), 0u) << r.message;
  }
  EXPECT_EQ(tryLoad(artifactWithMetadataPayload(payload)).code, R1RT_OK);
}

TEST(ArtifactCorruption, MetadataLengthsPastTheEnd) {
  const std::vector<uint8_t> payload = encode(sampleMetadata());
  // producer length, then the model name length.
  std::vector<uint8_t> p = payload;
  storeU32(p.data(), 0xFFFFFFFF);
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: producer length 4294967295 runs past the end of the section");
  p = payload;
  storeU32(p.data() + 4 + 9, uint32_t(payload.size()));
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS, "metadata: model name length");
  // The first input's name length.
  p = payload;
  size_t inputs = 4 + 9 + 4 + 8; // producer, model name
  storeU32(p.data() + inputs + 4, 1000);
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: input 0 name length 1000 runs past the end");
  // Trailing bytes after the outputs.
  p = payload;
  p.push_back(0);
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: 1 unexpected bytes after the payload");
}

TEST(ArtifactCorruption, MetadataHugeCounts) {
  const std::vector<uint8_t> payload = encode(sampleMetadata());
  const size_t inputs = 4 + 9 + 4 + 8;
  for (uint32_t count : {4u, 1000u, 0x10000000u, 0xFFFFFFFFu}) {
    std::vector<uint8_t> p = payload;
    storeU32(p.data() + inputs, count);
    LoadResult r = tryLoad(artifactWithMetadataPayload(p));
    EXPECT_EQ(r.code, R1RT_DATA_LOSS) << count << ": " << r.message;
  }
  std::vector<uint8_t> p = payload;
  storeU32(p.data() + inputs, 0xFFFFFFFF);
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: input count 4294967295 is more than the");
  // The rank of input_ids: after its count, name length, name and dtype.
  const size_t rank = inputs + 4 + 4 + 9 + 4;
  ASSERT_EQ(loadU32(payload.data() + rank), 2u);
  for (uint32_t value : {0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    p = payload;
    storeU32(p.data() + rank, value);
    expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                  "metadata: input 'input_ids' rank");
  }
}

TEST(ArtifactCorruption, MetadataValues) {
  const std::vector<uint8_t> payload = encode(sampleMetadata());
  const size_t inputs = 4 + 9 + 4 + 8;
  const size_t dtype = inputs + 4 + 4 + 9;
  const size_t dims = dtype + 8;
  const size_t dimNames = dims + 16;
  std::vector<uint8_t> p = payload;
  storeU32(p.data() + dtype, 0);
  expectRefused(artifactWithMetadataPayload(p), R1RT_UNIMPLEMENTED,
                "metadata: input 'input_ids' has dtype code 0, which this runtime does not know");
  p = payload;
  storeU32(p.data() + dtype, 1000);
  expectRefused(artifactWithMetadataPayload(p), R1RT_UNIMPLEMENTED, "dtype code 1000");
  p = payload;
  storeU64(p.data() + dims + 8, uint64_t(-7));
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: input 'input_ids' dim 1 is -7");
  p = payload;
  storeU64(p.data() + dims, 4); // static, yet named "batch"
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "metadata: input 'input_ids' dim 0 is static but named 'batch'");
  p = payload;
  ASSERT_EQ(loadU32(p.data() + dimNames), 5u);
  p[dimNames + 4 + 2] = 0; // "ba\0ch"
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS,
                "input 'input_ids' dim 0 name 'ba\\x00ch' contains a NUL byte");
  p = payload;
  p[inputs + 4 + 4 + 8] = 0x07; // "input_id\a": unprintable bytes are escaped
  storeU64(p.data() + dims + 8, uint64_t(-3));
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS, "input 'input_id\\x07' dim 1");

  // Names: empty, duplicated.
  r1c::ArtifactMetadata m = sampleMetadata();
  m.inputs[1].name = "input_ids";
  m.inputs[1].dims = {-1};
  m.inputs[1].dimNames = {};
  r1c::ArtifactMetadata unique = m;
  unique.inputs[1].name = "input_idz";
  p = encode(unique);
  size_t second = std::string(p.begin(), p.end()).find("input_idz");
  ASSERT_NE(second, std::string::npos);
  p[second + 8] = 's';
  expectRefused(artifactWithMetadataPayload(p), R1RT_DATA_LOSS, "two inputs are named 'input_ids'");
  p = encode(unique);
  storeU32(p.data() + second - 4, 0);
  LoadResult r = tryLoad(artifactWithMetadataPayload(p));
  EXPECT_EQ(r.code, R1RT_DATA_LOSS);
}

// Random edits of the table and metadata, with the checksum fixed so they
// reach the structural checks. Nothing may crash or read out of bounds (the
// sanitizer build checks the latter); most edits must be refused.
TEST(ArtifactCorruption, RandomEditsNeverCrash) {
  const std::vector<uint8_t> original = sampleArtifact();
  const size_t metadataEnd =
      loadU64(original.data() + entryAt(0) + kEntryOffset) + encode(sampleMetadata()).size();
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<size_t> where(R1RT_ARTIFACT_HEADER_SIZE, metadataEnd - 1);
  std::uniform_int_distribution<int> byte(0, 255), edits(1, 4), kind(0, 3);
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes = original;
    for (int e = edits(rng); e > 0; --e) {
      size_t at = where(rng);
      switch (kind(rng)) {
      case 0: bytes[at] = uint8_t(byte(rng)); break;
      case 1: bytes[at] ^= uint8_t(1 << (byte(rng) % 8)); break;
      case 2: bytes[at] = 0xFF; break;
      default: bytes[at] = 0; break;
      }
    }
    reseal(bytes);
    LoadResult r = tryLoad(bytes);
    accepted += r.code == R1RT_OK;
  }
  // Some edits are harmless (a section renamed to an unused name, a dim
  // name changed); most are not.
  EXPECT_LT(accepted, 20000u / 2);
}
