//===- SafetensorsWriter.cpp - Weights as a safetensors side file ---------===//
#include "codegen/host/SafetensorsWriter.h"
#include "r1c/artifact_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace r1c {

std::string safetensorsHeader(const WeightLayout &layout) {
  std::string header;
  llvm::raw_string_ostream os(header);
  llvm::json::OStream json(os);
  json.object([&] {
    for (const LaidOutWeight &weight : layout.weights) {
      json.attributeObject(weight.name, [&] {
        json.attribute("dtype", weight.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t dim : llvm::cast<mlir::ShapedType>(weight.value.getType()).getShape())
            json.value(dim);
        });
        json.attributeArray("data_offsets", [&] {
          json.value(int64_t(weight.offset));
          json.value(int64_t(weight.offset + weight.size));
        });
      });
    }
    json.attributeObject("__metadata__", [&] { json.attribute("format", "r1c"); });
  });
  os.flush();
  // Safetensors allows trailing spaces in the header; they align the data.
  uint64_t unaligned = 8 + header.size();
  header.append((kSafetensorsDataAlignment - unaligned % kSafetensorsDataAlignment) %
                    kSafetensorsDataAlignment,
                ' ');
  return header;
}

bool writeSafetensors(const WeightLayout &layout, const std::string &path, uint64_t &fileSize,
                      uint32_t &checksum, std::string &error) {
  std::error_code code;
  llvm::ToolOutputFile file(path, code, llvm::sys::fs::OF_None);
  if (code) {
    error = "cannot write '" + path + "': " + code.message();
    return false;
  }
  uint32_t crc = 0;
  auto write = [&](const char *data, size_t size) {
    crc = r1c::artifact::crc32Update(crc, data, size);
    file.os().write(data, size);
  };
  std::string header = safetensorsHeader(layout);
  uint8_t length[8];
  r1c::artifact::storeU64(length, header.size());
  write(reinterpret_cast<const char *>(length), sizeof length);
  write(header.data(), header.size());
  std::vector<char> scratch;
  for (const LaidOutWeight &weight : layout.weights) {
    llvm::ArrayRef<char> bytes = weightBytes(weight.value, scratch);
    write(bytes.data(), bytes.size());
  }
  file.os().close();
  if (file.os().has_error()) {
    error = "cannot write '" + path + "': " + file.os().error().message();
    file.os().clear_error();
    return false;
  }
  fileSize = sizeof length + header.size() + layout.dataSize;
  checksum = crc;
  file.keep();
  return true;
}

} // namespace r1c
