//===- KnownValues.h - What is known of small integer tensors --*- C++ -*-===//
//
// Shapes in exported graphs are computed at run time (Shape -> Gather ->
// Concat -> Reshape). To keep result types static where a dim is known, type
// inference looks through such chains and learns each element that is a
// constant, even when others (a dynamic batch) are not.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1_IR_KNOWNVALUES_H
#define R1C_DIALECTS_R1_IR_KNOWNVALUES_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace mlir::r1 {

/// The elements of a 0-D or 1-D integer tensor, each a constant or kDynamic
/// when unknown; std::nullopt when not even the element count is known.
std::optional<SmallVector<int64_t>> getKnownIntValues(Value value);

/// The elements when all of them are constants.
std::optional<SmallVector<int64_t>> getConstantIntValues(Value value);

/// The elements of a constant attribute of integers, when it is small enough
/// to unpack (folding never copies weights).
std::optional<SmallVector<int64_t>> getIntElements(Attribute attr,
                                                   int64_t maxElements = 1 << 16);

} // namespace mlir::r1

#endif // R1C_DIALECTS_R1_IR_KNOWNVALUES_H
