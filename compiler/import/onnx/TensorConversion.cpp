//===- TensorConversion.cpp - ONNX tensors and types to MLIR --------------===//
#include "compiler/import/onnx/TensorConversion.h"
#include "compiler/import/onnx/OnnxTypes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "onnx/onnx_pb.h"

#include <cstring>

using namespace mlir;

namespace r1c {

Type convertOnnxElementType(MLIRContext *context, int32_t dataType) {
  Builder b(context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  case onnx::TensorProto::INT8: return b.getIntegerType(8);
  case onnx::TensorProto::INT16: return b.getIntegerType(16);
  case onnx::TensorProto::INT32: return b.getI32Type();
  case onnx::TensorProto::INT64: return b.getI64Type();
  case onnx::TensorProto::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16: return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32: return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64: return b.getIntegerType(64, false);
  case 17: return b.getFloat8E4M3FNType();
  case 18: return b.getFloat8E4M3FNUZType();
  case 19: return b.getFloat8E5M2Type();
  case 20: return b.getFloat8E5M2FNUZType();
  default: return nullptr;
  }
}

FailureOr<Type> convertOnnxType(const onnx::TypeProto &type, StringRef what, Location loc) {
  if (!type.has_tensor_type())
    return emitError(loc) << what << " is not a tensor (sequences, maps and optionals "
                          << "are unsupported)",
           failure();
  const auto &tensor = type.tensor_type();
  Type element = convertOnnxElementType(loc.getContext(), tensor.elem_type());
  if (!element)
    return emitError(loc) << what << " has unsupported element type "
                          << onnxTypeName(tensor.elem_type()),
           failure();
  if (!tensor.has_shape())
    return Type(UnrankedTensorType::get(element));
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim()) {
    // A dim_param, no dim at all, or -1, which exporters write for an
    // unknown size (ONNX Runtime reads it so too): a symbolic dim.
    if (!dim.has_dim_value() || dim.dim_value() == -1) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    if (dim.dim_value() < 0)
      return emitError(loc) << what << " has a negative dim " << dim.dim_value(),
             failure();
    shape.push_back(dim.dim_value());
  }
  return Type(RankedTensorType::get(shape, element));
}

namespace {

/// Copies the values of a typed repeated field into little-endian bytes of
/// `elementSize` each (ONNX stores narrow types widened in int32_data).
template <typename Field>
std::string packField(const Field &field, int64_t elementSize) {
  std::string bytes(field.size() * elementSize, '\0');
  for (int i = 0; i < field.size(); ++i) {
    auto value = field.Get(i);
    std::memcpy(bytes.data() + i * elementSize, &value, elementSize);
  }
  return bytes;
}

/// The tensor's data as raw bytes; false with an error when it is missing or
/// has the wrong length.
LogicalResult getTensorBytes(const onnx::TensorProto &tensor, int64_t count,
                             int64_t elementSize, StringRef what, Location loc,
                             std::string &bytes) {
  int64_t expected = count * elementSize;
  if (tensor.has_raw_data()) {
    if (int64_t(tensor.raw_data().size()) != expected)
      return emitError(loc) << "data size of " << what << " is "
                            << tensor.raw_data().size() << " bytes, but its "
                            << count << " elements of " << onnxTypeName(tensor.data_type())
                            << " need " << expected;
    bytes = tensor.raw_data();
    return success();
  }
  int64_t values = 0;
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    values = tensor.float_data_size();
    bytes = packField(tensor.float_data(), elementSize);
    break;
  case onnx::TensorProto::DOUBLE:
    values = tensor.double_data_size();
    bytes = packField(tensor.double_data(), elementSize);
    break;
  case onnx::TensorProto::INT64:
    values = tensor.int64_data_size();
    bytes = packField(tensor.int64_data(), elementSize);
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    values = tensor.uint64_data_size();
    bytes = packField(tensor.uint64_data(), elementSize);
    break;
  default:
    values = tensor.int32_data_size();
    bytes = packField(tensor.int32_data(), elementSize);
    break;
  }
  if (values != count)
    return emitError(loc) << "data size of " << what << " is " << values
                          << " values, but its dims need " << count;
  return success();
}

std::string sanitizeResourceName(StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key.front())))
    key.insert(key.begin(), 'w');
  return key;
}

} // namespace

FailureOr<ElementsAttr> convertOnnxTensor(const onnx::TensorProto &tensor, StringRef what,
                                          StringRef resourceName, Location loc) {
  MLIRContext *context = loc.getContext();
  Type element = convertOnnxElementType(context, tensor.data_type());
  auto elementSize = onnxElementByteSize(tensor.data_type());
  if (!element || !elementSize)
    return emitError(loc) << what << " has unsupported element type "
                          << onnxTypeName(tensor.data_type()),
           failure();
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return emitError(loc) << what << " has a negative dim " << dim, failure();
    if (dim > 0 && count > (int64_t(1) << 40) / dim)
      return emitError(loc) << what << " is too large (dim " << dim << ")", failure();
    shape.push_back(dim);
    count *= dim;
  }
  std::string bytes;
  if (failed(getTensorBytes(tensor, count, *elementSize, what, loc, bytes)))
    return failure();
  auto type = RankedTensorType::get(shape, element);

  if (element.isInteger(1)) {
    // MLIR packs booleans into bits; ONNX stores one byte each.
    SmallVector<bool> flags(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i)
      flags[i] = bytes[i] != 0;
    return ElementsAttr(DenseElementsAttr::get(type, flags));
  }
  // Weights go out of line; shape vectors and indices stay foldable literals.
  bool isWeight = (isa<FloatType>(element) && count > 16) || bytes.size() > 4096;
  if (!isWeight) {
    ArrayRef<char> raw(bytes.data(), bytes.size());
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, raw));
  }
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(bytes.data(), bytes.size()), alignof(uint64_t));
  return ElementsAttr(DenseResourceElementsAttr::get(
      type, sanitizeResourceName(resourceName), std::move(blob)));
}

} // namespace r1c
