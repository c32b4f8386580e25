//===- OnnxTypes.cpp - ONNX element types and their sizes -----------------===//
#include "compiler/import/onnx/OnnxTypes.h"

#include "onnx/onnx_pb.h"

namespace r1c {

std::string onnxTypeName(int32_t dataType) {
  // Codes newer than the protobuf classes this was built with still get a name.
  static const char *const names[] = {
      "UNDEFINED", "FLOAT",   "UINT8",        "INT8",          "UINT16",
      "INT16",     "INT32",   "INT64",        "STRING",        "BOOL",
      "FLOAT16",   "DOUBLE",  "UINT32",       "UINT64",        "COMPLEX64",
      "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
      "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0"};
  if (dataType >= 0 && dataType < int32_t(sizeof(names) / sizeof(names[0])))
    return names[dataType];
  return "type code " + std::to_string(dataType);
}

std::optional<int64_t> onnxElementByteSize(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
  case 17: // FLOAT8E4M3FN
  case 18: // FLOAT8E4M3FNUZ
  case 19: // FLOAT8E5M2
  case 20: // FLOAT8E5M2FNUZ
    return 1;
  default:
    return std::nullopt;
  }
}

std::optional<int64_t> byteSizeOf(const onnx::TensorProto &tensor) {
  auto element = onnxElementByteSize(tensor.data_type());
  if (!element)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > (INT64_MAX / 16) / dim))
      return std::nullopt;
    count *= dim;
  }
  return count * *element;
}

} // namespace r1c
