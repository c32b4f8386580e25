//===- Columns.h - Per-position arithmetic, now or at run time -*- C++ -*-===//
//
// Resize's source coordinates, tap indices and weights are a column of
// doubles, one per output position along an axis. When the node's scales,
// sizes and roi are constants the column is computed here and becomes a
// constant table; when one of them arrives at run time the same arithmetic
// builds r1 ops on 1-D f64 tensors instead. The formulas are written once,
// over Column, and each operation picks the one or the other.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_PASSES_LEGALIZEONNX_COLUMNS_H
#define R1C_PASSES_LEGALIZEONNX_COLUMNS_H

#include "passes/LegalizeOnnx/OnnxNode.h"

namespace mlir::r1 {

class ColumnBuilder;

/// One double per position, or a single one that stands for every position.
/// Known values live here; computed ones are a `tensor<Nxf64>` (or
/// `tensor<Nxi1>` for a mask), N being the column's length or 1.
class Column {
public:
  bool isKnown() const { return !computed; }
  ArrayRef<double> getKnown() const { return known; }
  /// The length: 1 for a column that holds one value for all positions.
  int64_t size() const;
  bool isMask() const { return mask; }
  ColumnBuilder &getBuilder() const { return *owner; }

private:
  friend class ColumnBuilder;
  ColumnBuilder *owner = nullptr;
  SmallVector<double> known;
  Value computed;
  bool mask = false;
};

class ColumnBuilder {
public:
  explicit ColumnBuilder(OnnxNode &node) : node(node) {}

  Column scalar(double value);
  Column known(ArrayRef<double> values);
  /// 0, 1, ..., count - 1.
  Column iota(int64_t count);
  /// A 1-D tensor of any numeric type, read as f64 at run time.
  Column computed(Value value);

  Column add(const Column &a, const Column &b);
  Column sub(const Column &a, const Column &b);
  Column mul(const Column &a, const Column &b);
  Column div(const Column &a, const Column &b);
  Column min(const Column &a, const Column &b);
  Column max(const Column &a, const Column &b);
  Column floor(const Column &a);
  Column ceil(const Column &a);
  Column abs(const Column &a);
  /// `a` rounded to the nearest f32 (ONNX's reference computes some terms
  /// in the precision of the tensor they come from).
  Column roundToF32(const Column &a);

  /// Masks: 1 where the comparison holds.
  Column less(const Column &a, const Column &b);
  Column lessEqual(const Column &a, const Column &b);
  Column equal(const Column &a, const Column &b);
  Column logicalOr(const Column &a, const Column &b);
  /// `onTrue` where `mask` holds, else `onFalse`.
  Column select(const Column &mask, const Column &onTrue, const Column &onFalse);

  /// The column as a 1-D tensor of `length` elements of `element` type
  /// (indices: i64, truncating): a constant when known.
  Value materialize(const Column &column, Type element, int64_t length);

  OnnxNode &getNode() { return node; }

private:
  Column fromValue(Value value, bool mask);
  /// A known column as a tensor, or the computed one.
  Value asTensor(const Column &column);
  Column binary(const Column &a, const Column &b, double (*known)(double, double),
                Value (*build)(OnnxNode &, Value, Value), bool mask = false);
  Column unary(const Column &a, double (*known)(double), Value (*build)(OnnxNode &, Value));

  OnnxNode &node;
};

/// A constant of `shape` and `element` type holding `values` (integers
/// truncated): a literal when small, else an out-of-line blob.
Value makeTable(OnnxNode &node, ArrayRef<int64_t> shape, Type element, ArrayRef<double> values);

// Arithmetic on columns reads like the formulas it implements; a double
// operand stands for every position.
Column operator+(const Column &a, const Column &b);
Column operator-(const Column &a, const Column &b);
Column operator*(const Column &a, const Column &b);
Column operator/(const Column &a, const Column &b);
Column operator+(const Column &a, double b);
Column operator-(const Column &a, double b);
Column operator*(const Column &a, double b);
Column operator/(const Column &a, double b);
Column operator+(double a, const Column &b);
Column operator-(double a, const Column &b);
Column operator*(double a, const Column &b);
Column operator/(double a, const Column &b);

} // namespace mlir::r1

#endif // R1C_PASSES_LEGALIZEONNX_COLUMNS_H
