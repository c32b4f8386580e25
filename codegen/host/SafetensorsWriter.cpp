//===- SafetensorsWriter.cpp - Weights as a safetensors side file ---------===//
#include "codegen/host/SafetensorsWriter.h"
#include "r1c/artifact_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace r1c {

namespace {

/// Calls `visitHole(offset, size)` for each run of the `dataSize` bytes of
/// data that none of `tensors` (in offset order, each with an offset and a
/// size) covers (the alignment GPU code asks for), and `visitTensor(tensor)`
/// for each tensor, in file order.
template <typename Tensor, typename HoleFn, typename TensorFn>
void walkData(llvm::ArrayRef<Tensor> tensors, uint64_t dataSize, HoleFn visitHole,
              TensorFn visitTensor) {
  uint64_t end = 0;
  for (const Tensor &tensor : tensors) {
    if (tensor.offset > end)
      visitHole(end, tensor.offset - end);
    visitTensor(tensor);
    end = tensor.offset + tensor.size;
  }
  if (dataSize > end)
    visitHole(end, dataSize - end);
}

/// The tensor of zero bytes that fills the gap at `offset` in a layout
/// aligned for GPU code: safetensors data has no holes.
std::string paddingTensorName(uint64_t offset) { return "__r1c_padding_" + std::to_string(offset); }

} // namespace

std::string safetensorsHeader(llvm::ArrayRef<SafetensorsTensor> tensors, uint64_t dataSize) {
  std::string header;
  llvm::raw_string_ostream os(header);
  llvm::json::OStream json(os);
  auto tensor = [&](const std::string &name, const std::string &dtype,
                    llvm::ArrayRef<int64_t> shape, uint64_t begin, uint64_t end) {
    json.attributeObject(name, [&] {
      json.attribute("dtype", dtype);
      json.attributeArray("shape", [&] {
        for (int64_t dim : shape)
          json.value(dim);
      });
      json.attributeArray("data_offsets", [&] {
        json.value(int64_t(begin));
        json.value(int64_t(end));
      });
    });
  };
  json.object([&] {
    auto hole = [&](uint64_t offset, uint64_t size) {
      int64_t bytes = int64_t(size);
      tensor(paddingTensorName(offset), "U8", bytes, offset, offset + size);
    };
    walkData(tensors, dataSize, hole, [&](const SafetensorsTensor &t) {
      tensor(t.name, t.dtype, t.shape, t.offset, t.offset + t.size);
    });
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

std::string safetensorsHeader(const WeightLayout &layout) {
  std::vector<SafetensorsTensor> tensors;
  for (const LaidOutWeight &weight : layout.weights) {
    llvm::ArrayRef<int64_t> shape = llvm::cast<mlir::ShapedType>(weight.value.getType()).getShape();
    tensors.push_back(
        {weight.name, weight.dtype, {shape.begin(), shape.end()}, weight.offset, weight.size});
  }
  return safetensorsHeader(tensors, layout.dataSize);
}

namespace {

/// Writes the file: the header's length, `header`, then `dataSize` bytes
/// that `writeData` passes to its argument in order.
bool writeFile(const std::string &path, const std::string &header, uint64_t dataSize,
               llvm::function_ref<void(llvm::function_ref<void(const char *, size_t)>)> writeData,
               uint64_t &fileSize, uint32_t &checksum, std::string &error) {
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
  uint8_t length[8];
  r1c::artifact::storeU64(length, header.size());
  write(reinterpret_cast<const char *>(length), sizeof length);
  write(header.data(), header.size());
  writeData(write);
  file.os().close();
  if (file.os().has_error()) {
    error = "cannot write '" + path + "': " + file.os().error().message();
    file.os().clear_error();
    return false;
  }
  fileSize = sizeof length + header.size() + dataSize;
  checksum = crc;
  file.keep();
  return true;
}

} // namespace

bool writeSafetensors(const WeightLayout &layout, const std::string &path, uint64_t &fileSize,
                      uint32_t &checksum, std::string &error) {
  auto writeData = [&](llvm::function_ref<void(const char *, size_t)> write) {
    std::vector<char> scratch;
    auto hole = [&](uint64_t, uint64_t size) {
      scratch.assign(size, 0);
      write(scratch.data(), size);
    };
    walkData(llvm::ArrayRef(layout.weights), layout.dataSize, hole,
             [&](const LaidOutWeight &weight) {
               llvm::ArrayRef<char> bytes = weightBytes(weight.value, scratch);
               write(bytes.data(), bytes.size());
             });
  };
  return writeFile(path, safetensorsHeader(layout), layout.dataSize, writeData, fileSize, checksum,
                   error);
}

bool writeSafetensors(llvm::ArrayRef<SafetensorsTensor> tensors, llvm::ArrayRef<uint8_t> data,
                      const std::string &path, uint64_t &fileSize, uint32_t &checksum,
                      std::string &error) {
  auto writeData = [&](llvm::function_ref<void(const char *, size_t)> write) {
    write(reinterpret_cast<const char *>(data.data()), data.size());
  };
  return writeFile(path, safetensorsHeader(tensors, data.size()), data.size(), writeData, fileSize,
                   checksum, error);
}

} // namespace r1c
