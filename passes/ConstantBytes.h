//===- ConstantBytes.h - Reading and making weight constants ----*- C++ -*-===//
//
// The graph passes that compute new weights at compile time (transposed,
// batch norm folded in) read a constant's bytes and write new constants the
// way the importer makes them: out of line for weights, so the artifact
// stores them once, and literal for literals.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_CONSTANTBYTES_H
#define R1C_PASSES_CONSTANTBYTES_H

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::r1 {

/// The bytes of a constant's elements, row-major, or std::nullopt for an
/// attribute whose bytes are not stored one element after another (a splat
/// literal, a resource without data).
std::optional<ArrayRef<char>> getConstantBytes(ElementsAttr value);

/// A constant of `type` holding `bytes`: a dense_resource blob named `name`
/// when `outOfLine` (found again by name, so that shape buckets compiling
/// copies of one graph share it; `compute` runs only when the blob is new),
/// else a literal.
ElementsAttr makeConstant(MLIRContext *context, ShapedType type, bool outOfLine,
                          const std::string &name,
                          llvm::function_ref<std::vector<char>()> compute);

/// `bytes` (elements of `elementSize` bytes in `shape`, row-major) with dims
/// permuted (result dim i is input dim perm[i]) and the result dims in
/// `flips` reversed. An odometer over the result's indices: each element
/// costs an add and a copy.
std::vector<char> permuteBytes(ArrayRef<char> bytes, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> perm, ArrayRef<bool> flips, size_t elementSize);

} // namespace mlir::r1

#endif // R1C_PASSES_CONSTANTBYTES_H
