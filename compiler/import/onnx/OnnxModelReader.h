//===- OnnxModelReader.h - Reads .onnx files and their external data ------===//
//
// Everything that touches protobuf parsing and the file system lives here,
// compiled with exceptions on; the rest of the compiler never sees them.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_IMPORT_ONNX_ONNXMODELREADER_H
#define R1C_COMPILER_IMPORT_ONNX_ONNXMODELREADER_H

#include <memory>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace r1c {

/// Parses the ONNX model at `path` and loads every external-data tensor into
/// memory, so the result is self-contained. On failure returns null and sets
/// `error` to a one-line message naming the file and the problem.
std::unique_ptr<onnx::ModelProto> readOnnxModel(const std::string &path,
                                                std::string &error);

/// Parses an in-memory serialized model; external data is resolved relative
/// to `baseDir`.
std::unique_ptr<onnx::ModelProto> parseOnnxModel(const std::string &bytes,
                                                 const std::string &displayName,
                                                 const std::string &baseDir,
                                                 std::string &error);

} // namespace r1c

#endif // R1C_COMPILER_IMPORT_ONNX_ONNXMODELREADER_H
