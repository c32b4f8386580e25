//===- OnnxModelReader.cpp - Reads .onnx files and their external data ----===//
#include "compiler/import/onnx/OnnxModelReader.h"
#include "compiler/import/onnx/OnnxTypes.h"

#include "onnx/onnx_pb.h"
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace r1c {
namespace {

/// Reads a whole file; false when it cannot be opened or read.
bool readFile(const fs::path &path, std::string &contents) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return false;
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  contents = buffer.str();
  return !stream.bad();
}

/// Moves the bytes an external-data tensor refers to into its raw_data.
bool loadExternalData(onnx::TensorProto &tensor, const fs::path &baseDir,
                      const std::string &what, std::string &error) {
  std::string location;
  long long offset = 0, length = -1;
  try {
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::stoll(entry.value());
      else if (entry.key() == "length")
        length = std::stoll(entry.value());
    }
  } catch (const std::exception &) {
    error = "external data of " + what + " has a malformed offset or length";
    return false;
  }
  if (location.empty()) {
    error = "external data of " + what + " names no location";
    return false;
  }
  fs::path relative(location);
  // Data files must sit beside the model: no absolute paths, no escaping up.
  if (relative.is_absolute() ||
      std::any_of(relative.begin(), relative.end(), [](const fs::path &p) { return p == ".."; })) {
    error = "external data location '" + location + "' of " + what +
            " must be a relative path inside the model's folder";
    return false;
  }
  fs::path file = baseDir / relative;
  std::error_code ec;
  auto fileSize = fs::file_size(file, ec);
  if (ec) {
    error = "external data file '" + file.string() + "' of " + what + " not found";
    return false;
  }
  if (length < 0) {
    auto needed = byteSizeOf(tensor);
    length = needed ? static_cast<long long>(*needed)
                    : static_cast<long long>(fileSize) - offset;
  }
  if (offset < 0 || length < 0 ||
      static_cast<unsigned long long>(offset) + static_cast<unsigned long long>(length) >
          fileSize) {
    error = "external data of " + what + " spans bytes [" + std::to_string(offset) + ", " +
            std::to_string(offset + length) + ") but '" + file.string() + "' has " +
            std::to_string(fileSize) + " bytes";
    return false;
  }
  std::ifstream stream(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(length), '\0');
  if (!stream.seekg(offset) || !stream.read(bytes.data(), length)) {
    error = "cannot read external data file '" + file.string() + "' of " + what;
    return false;
  }
  tensor.set_raw_data(std::move(bytes));
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
  return true;
}

bool loadAllExternalData(onnx::GraphProto &graph, const fs::path &baseDir,
                         std::string &error) {
  for (auto &tensor : *graph.mutable_initializer())
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL &&
        !loadExternalData(tensor, baseDir, "initializer '" + tensor.name() + "'", error))
      return false;
  for (auto &node : *graph.mutable_node())
    for (auto &attr : *node.mutable_attribute()) {
      if (attr.has_t() && attr.t().data_location() == onnx::TensorProto::EXTERNAL &&
          !loadExternalData(*attr.mutable_t(), baseDir,
                            "attribute '" + attr.name() + "' of node '" + node.name() + "'",
                            error))
        return false;
    }
  return true;
}

} // namespace

std::unique_ptr<onnx::ModelProto> parseOnnxModel(const std::string &bytes,
                                                 const std::string &displayName,
                                                 const std::string &baseDir,
                                                 std::string &error) {
  if (bytes.empty()) {
    error = "cannot parse '" + displayName + "' as an ONNX model: the file is empty";
    return nullptr;
  }
  auto model = std::make_unique<onnx::ModelProto>();
  try {
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>(bytes.data()), static_cast<int>(bytes.size()));
    stream.SetTotalBytesLimit(INT32_MAX);
    if (!model->ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
      error = "cannot parse '" + displayName +
              "' as an ONNX model: the protobuf data is malformed or truncated";
      return nullptr;
    }
  } catch (const std::exception &e) {
    error = "cannot parse '" + displayName + "' as an ONNX model: " + e.what();
    return nullptr;
  }
  if (!model->has_graph()) {
    error = "cannot parse '" + displayName + "' as an ONNX model: it holds no graph";
    return nullptr;
  }
  try {
    if (!loadAllExternalData(*model->mutable_graph(), baseDir, error))
      return nullptr;
  } catch (const std::exception &e) {
    error = "cannot load external data of '" + displayName + "': " + e.what();
    return nullptr;
  }
  return model;
}

std::unique_ptr<onnx::ModelProto> readOnnxModel(const std::string &path, std::string &error) {
  std::string bytes;
  std::error_code ec;
  if (fs::is_directory(path, ec) || !readFile(path, bytes)) {
    error = "cannot read '" + path + "': no such file or not readable";
    return nullptr;
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    error = "'" + path + "' is larger than 2 GiB; store its weights as external data";
    return nullptr;
  }
  fs::path base = fs::path(path).parent_path();
  return parseOnnxModel(bytes, path, base.empty() ? "." : base.string(), error);
}

} // namespace r1c
