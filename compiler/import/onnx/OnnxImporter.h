//===- OnnxImporter.h - ONNX protobuf to r1.onnx_node graph -----*- C++ -*-===//
//
// The importer is mechanical: one r1.onnx_node per ONNX node, keeping its
// name, domain, opset and attributes; initializers become r1.constant. It
// checks only what it must to build valid IR (types of graph inputs, defined
// values, an order without cycles); op semantics are legalization's business.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H
#define R1C_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace onnx {
class ModelProto;
} // namespace onnx

namespace r1c {

/// Lowest and highest opset of the default ONNX domain r1c imports.
constexpr int64_t kMinOnnxOpset = 1;
constexpr int64_t kMaxOnnxOpset = 23;

/// Imports a parsed model into a module with one function, @main. Emits a
/// diagnostic and returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(mlir::MLIRContext &context,
                                                  const onnx::ModelProto &model,
                                                  llvm::StringRef modelPath);

/// Reads an .onnx file (with its external data) and imports it.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext &context,
                                                 llvm::StringRef path);

} // namespace r1c

#endif // R1C_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H
