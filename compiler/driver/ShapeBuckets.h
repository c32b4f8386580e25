//===- ShapeBuckets.h - Sizes for the symbolic dims of a model --*- C++ -*-===//
//
// A model with symbolic input dims (a batch, a sequence length) compiles to
// one specialization per shape bucket: each combination of the sizes given
// with `--dim NAME=SIZE,...` (or the defaults) for the dims it names.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_SHAPEBUCKETS_H
#define R1C_COMPILER_DRIVER_SHAPEBUCKETS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <utility>
#include <vector>

namespace r1c {

/// One bucket: a size for every symbolic dim name, in first-use order.
using ShapeBucket = std::vector<std::pair<std::string, int64_t>>;

/// The symbolic dim names of `func`'s arguments, in first-use order. A
/// dynamic dim without a name is an error at the function (it cannot be
/// sized from the command line).
mlir::FailureOr<std::vector<std::string>> symbolicDimNames(mlir::func::FuncOp func);

/// Every combination of sizes for `names`: from `dimSizes` ("NAME=S1,S2")
/// where given, else `defaults`. Errors (on stderr, one line) for a
/// malformed option or one naming no symbolic dim.
mlir::FailureOr<std::vector<ShapeBucket>>
enumerateShapeBuckets(const std::vector<std::string> &names,
                      const std::vector<std::string> &dimSizes,
                      llvm::ArrayRef<int64_t> defaults);

/// "batch=8,seq=128": the bucket as r1c-specialize-dims' `sizes` and for people.
std::string describeBucket(const ShapeBucket &bucket);
/// What to tell a user whose model failed to compile in `bucket`: a note
/// naming the bucket, and for the dims that took `defaults` because no
/// `--dim` sized them, how to give the sizes the model really has. A failure
/// at such a size is often a shape the model only allows at one size (a
/// Reshape to a fixed count, a batch the weights fix).
std::string explainBucketFailure(const ShapeBucket &bucket,
                                 const std::vector<std::string> &dimSizes,
                                 llvm::ArrayRef<int64_t> defaults);
/// "batch8_seq128": the bucket as part of a C identifier.
std::string bucketSymbolSuffix(const ShapeBucket &bucket);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_SHAPEBUCKETS_H
