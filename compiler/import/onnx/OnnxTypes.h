//===- OnnxTypes.h - ONNX element types and their sizes ---------*- C++ -*-===//
#ifndef R1C_COMPILER_IMPORT_ONNX_ONNXTYPES_H
#define R1C_COMPILER_IMPORT_ONNX_ONNXTYPES_H

#include <cstdint>
#include <optional>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace r1c {

/// The name ONNX gives an element type code, e.g. "FLOAT" for 1.
std::string onnxTypeName(int32_t dataType);

/// Bytes per element as stored in raw_data; std::nullopt for types r1c does
/// not read (strings, complex, 4-bit types).
std::optional<int64_t> onnxElementByteSize(int32_t dataType);

/// Bytes a tensor's raw_data must hold, from its dims and element type.
std::optional<int64_t> byteSizeOf(const onnx::TensorProto &tensor);

} // namespace r1c

#endif // R1C_COMPILER_IMPORT_ONNX_ONNXTYPES_H
