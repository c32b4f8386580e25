//===- R1Dialect.h - The r1 graph dialect ----------------------*- C++ -*-===//
#ifndef R1C_DIALECTS_R1_IR_R1DIALECT_H
#define R1C_DIALECTS_R1_IR_R1DIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/TypeRange.h"

#include "dialects/R1/IR/R1Dialect.h.inc"
#include "dialects/R1/IR/R1Enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1/IR/R1Attrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/R1/IR/R1Types.h.inc"

namespace mlir::r1 {
/// True when `actual` are the `inferred` types, possibly with more static
/// dims: same count, same element types, compatible shapes.
bool areRefinableTypes(TypeRange inferred, TypeRange actual);

/// True when `refined` says all that `general` says and maybe more: same
/// element type, and `general` is unranked or has `?` wherever the dims differ.
bool isRefinementOf(Type refined, Type general);

/// True when each `actual` type is its `inferred` one (refinable) but with
/// f32 elements where the inferred elements are bf16 or f16: a contraction
/// of 16-bit floats that keeps its f32 sums.
bool isWidenedResult(TypeRange inferred, TypeRange actual);

/// Whether a contraction of `operand` elements may give `result` elements:
/// the same type, or f32 from bf16 or f16.
bool isContractionResultElement(Type operand, Type result);
} // namespace mlir::r1

#endif // R1C_DIALECTS_R1_IR_R1DIALECT_H
