//===- WeightLayout.h - Where weights lie in a side file ---------*- C++ -*-===//
//
// With --weights=external the host code reads each weight at an offset from
// `context->weights` instead of from a constant of its own. The layout is
// decided once for all entry points of a module, before any code is emitted;
// the emitter reads offsets from it and the safetensors writer writes it.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_WEIGHTLAYOUT_H
#define R1C_CODEGEN_HOST_WEIGHTLAYOUT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/ADT/DenseMap.h"

#include <cstdint>
#include <string>
#include <vector>

namespace r1c {

/// One tensor of the side file.
struct LaidOutWeight {
  /// The ONNX initializer (or node) name, else "weight_K"; unique.
  std::string name;
  mlir::ElementsAttr value;
  /// Safetensors dtype: "F32", "I64", "BOOL", ...
  std::string dtype;
  /// Byte offset from the start of the data (after the header), and size.
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct WeightLayout {
  /// In file order: 8-byte elements first, then 4, 2 and 1, so every tensor
  /// is aligned to its element size without padding between tensors.
  std::vector<LaidOutWeight> weights;
  /// Offset of each weight by value: entry points specialized from one model
  /// (shape buckets) share a weight they hold alike.
  llvm::DenseMap<mlir::Attribute, uint64_t> offsets;
  /// Bytes of data, all covered by `weights` unless they were aligned.
  uint64_t dataSize = 0;
};

/// Lays out the top-level constants of `functions` (constants copied into
/// kernel bodies stay in the code). Emits an error at a constant whose
/// element type safetensors cannot name, and fails. With `alignment` above
/// 1, every offset is a multiple of it (GPU kernels load 16 bytes at a
/// time), with zero bytes between tensors.
mlir::FailureOr<WeightLayout> layoutWeights(llvm::ArrayRef<mlir::func::FuncOp> functions,
                                            uint64_t alignment = 1);

/// All weights of `layout` back to back at their offsets, holes zeroed.
std::vector<uint8_t> packWeights(const WeightLayout &layout);

/// The bytes of `value` as host code reads them (booleans one byte each):
/// a view of the attribute's storage when it has them as is, else of
/// `scratch`, filled here.
llvm::ArrayRef<char> weightBytes(mlir::ElementsAttr value, std::vector<char> &scratch);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_WEIGHTLAYOUT_H
