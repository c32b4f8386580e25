//===- TensorConversion.h - ONNX tensors and types to MLIR ------*- C++ -*-===//
#ifndef R1C_COMPILER_IMPORT_ONNX_TENSORCONVERSION_H
#define R1C_COMPILER_IMPORT_ONNX_TENSORCONVERSION_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"

namespace onnx {
class TensorProto;
class TypeProto;
} // namespace onnx

namespace r1c {

/// The MLIR element type of an ONNX element type code; null if unsupported.
mlir::Type convertOnnxElementType(mlir::MLIRContext *context, int32_t dataType);

/// The tensor type an ONNX TypeProto declares. `what` names the value in
/// errors, emitted at `loc`.
mlir::FailureOr<mlir::Type> convertOnnxType(const onnx::TypeProto &type,
                                            llvm::StringRef what, mlir::Location loc);

/// Converts a tensor's data. Large floating-point tensors become
/// dense_resource blobs named after `resourceName`, so dumps stay readable;
/// small and integer tensors become dense literals that folding can read.
mlir::FailureOr<mlir::ElementsAttr> convertOnnxTensor(const onnx::TensorProto &tensor,
                                                      llvm::StringRef what,
                                                      llvm::StringRef resourceName,
                                                      mlir::Location loc);

} // namespace r1c

#endif // R1C_COMPILER_IMPORT_ONNX_TENSORCONVERSION_H
