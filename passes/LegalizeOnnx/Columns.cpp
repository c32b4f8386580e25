//===- Columns.cpp - Per-position arithmetic, now or at run time ----------===//
#include "passes/LegalizeOnnx/Columns.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/ConstantBytes.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <cmath>

using namespace mlir;
using namespace mlir::r1;

int64_t Column::size() const {
  if (computed)
    return cast<RankedTensorType>(computed.getType()).getDimSize(0);
  return known.size();
}

Column ColumnBuilder::scalar(double value) { return known({value}); }

Column ColumnBuilder::known(ArrayRef<double> values) {
  Column column;
  column.owner = this;
  column.known.assign(values.begin(), values.end());
  return column;
}

Column ColumnBuilder::iota(int64_t count) {
  SmallVector<double> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(i);
  return known(values);
}

Column ColumnBuilder::fromValue(Value value, bool mask) {
  Column column;
  column.owner = this;
  column.computed = value;
  column.mask = mask;
  return column;
}

Column ColumnBuilder::computed(Value value) {
  Type f64 = node.getBuilder().getF64Type();
  if (getElementTypeOf(value) != f64)
    value = node.create<CastOp>(value, TypeAttr::get(f64));
  return fromValue(value, /*mask=*/false);
}

Value ColumnBuilder::asTensor(const Column &column) {
  if (!column.isKnown())
    return column.computed;
  OpBuilder &b = node.getBuilder();
  Type element = column.mask ? Type(b.getI1Type()) : Type(b.getF64Type());
  return makeTable(node, {column.size()}, element, column.known);
}

Column ColumnBuilder::binary(const Column &a, const Column &b, double (*compute)(double, double),
                             Value (*build)(OnnxNode &, Value, Value), bool mask) {
  if (a.isKnown() && b.isKnown()) {
    assert((a.size() == b.size() || a.size() == 1 || b.size() == 1) && "columns differ");
    int64_t size = std::max(a.size(), b.size());
    Column result = known({});
    result.mask = mask;
    for (int64_t i = 0; i < size; ++i)
      result.known.push_back(
          compute(a.known[a.size() == 1 ? 0 : i], b.known[b.size() == 1 ? 0 : i]));
    return result;
  }
  return fromValue(build(node, asTensor(a), asTensor(b)), mask);
}

Column ColumnBuilder::unary(const Column &a, double (*compute)(double),
                            Value (*build)(OnnxNode &, Value)) {
  if (!a.isKnown())
    return fromValue(build(node, a.computed), /*mask=*/false);
  Column result = known({});
  for (double v : a.known)
    result.known.push_back(compute(v));
  return result;
}

template <typename OpTy> static Value buildBinary(OnnxNode &node, Value a, Value b) {
  return node.create<OpTy>(a, b);
}
template <typename OpTy> static Value buildUnary(OnnxNode &node, Value a) {
  return node.create<OpTy>(a);
}

Column ColumnBuilder::add(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return x + y; }, buildBinary<AddOp>);
}
Column ColumnBuilder::sub(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return x - y; }, buildBinary<SubOp>);
}
Column ColumnBuilder::mul(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return x * y; }, buildBinary<MulOp>);
}
Column ColumnBuilder::div(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return x / y; }, buildBinary<DivOp>);
}
Column ColumnBuilder::min(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return std::min(x, y); }, buildBinary<MinOp>);
}
Column ColumnBuilder::max(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return std::max(x, y); }, buildBinary<MaxOp>);
}
Column ColumnBuilder::floor(const Column &a) {
  return unary(
      a, [](double x) { return std::floor(x); }, buildUnary<FloorOp>);
}
Column ColumnBuilder::ceil(const Column &a) {
  return unary(
      a, [](double x) { return std::ceil(x); }, buildUnary<CeilOp>);
}
Column ColumnBuilder::abs(const Column &a) {
  return unary(
      a, [](double x) { return std::fabs(x); }, buildUnary<AbsOp>);
}

Column ColumnBuilder::roundToF32(const Column &a) {
  return unary(
      a, [](double x) { return double(float(x)); },
      [](OnnxNode &node, Value x) -> Value {
        OpBuilder &b = node.getBuilder();
        Value narrow = node.create<CastOp>(x, TypeAttr::get(b.getF32Type()));
        return node.create<CastOp>(narrow, TypeAttr::get(b.getF64Type()));
      });
}

Column ColumnBuilder::less(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return double(x < y); }, buildBinary<LessOp>,
      /*mask=*/true);
}
Column ColumnBuilder::lessEqual(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return double(x <= y); }, buildBinary<LessEqualOp>,
      /*mask=*/true);
}
Column ColumnBuilder::equal(const Column &a, const Column &b) {
  return binary(
      a, b, [](double x, double y) { return double(x == y); }, buildBinary<EqualOp>,
      /*mask=*/true);
}
Column ColumnBuilder::logicalOr(const Column &a, const Column &b) {
  assert(a.mask && b.mask && "logicalOr takes masks");
  return binary(
      a, b, [](double x, double y) { return double(x != 0 || y != 0); }, buildBinary<OrOp>,
      /*mask=*/true);
}

Column ColumnBuilder::select(const Column &mask, const Column &onTrue, const Column &onFalse) {
  assert(mask.mask && "select takes a mask");
  if (mask.isKnown() && onTrue.isKnown() && onFalse.isKnown()) {
    int64_t size = std::max({mask.size(), onTrue.size(), onFalse.size()});
    Column result = known({});
    for (int64_t i = 0; i < size; ++i) {
      auto at = [&](const Column &c) { return c.known[c.size() == 1 ? 0 : i]; };
      result.known.push_back(at(mask) != 0 ? at(onTrue) : at(onFalse));
    }
    return result;
  }
  // A known mask that picks one side everywhere needs no op.
  if (mask.isKnown() && llvm::all_of(mask.known, [](double v) { return v != 0; }))
    return onTrue;
  if (mask.isKnown() && llvm::all_of(mask.known, [](double v) { return v == 0; }))
    return onFalse;
  return fromValue(node.create<WhereOp>(asTensor(mask), asTensor(onTrue), asTensor(onFalse)),
                   /*mask=*/false);
}

Value ColumnBuilder::materialize(const Column &column, Type element, int64_t length) {
  if (column.isKnown()) {
    SmallVector<double> values(column.known);
    if (values.size() == 1 && length > 1)
      values.assign(length, values.front());
    return makeTable(node, {length}, element, values);
  }
  Value value = column.computed;
  if (column.size() != length)
    value = node.create<ExpandOp>(value, node.i64Vector({length}));
  if (getElementTypeOf(value) != element)
    value = node.create<CastOp>(value, TypeAttr::get(element));
  return value;
}

Column mlir::r1::operator+(const Column &a, const Column &b) { return a.getBuilder().add(a, b); }
Column mlir::r1::operator-(const Column &a, const Column &b) { return a.getBuilder().sub(a, b); }
Column mlir::r1::operator*(const Column &a, const Column &b) { return a.getBuilder().mul(a, b); }
Column mlir::r1::operator/(const Column &a, const Column &b) { return a.getBuilder().div(a, b); }
Column mlir::r1::operator+(const Column &a, double b) { return a + a.getBuilder().scalar(b); }
Column mlir::r1::operator-(const Column &a, double b) { return a - a.getBuilder().scalar(b); }
Column mlir::r1::operator*(const Column &a, double b) { return a * a.getBuilder().scalar(b); }
Column mlir::r1::operator/(const Column &a, double b) { return a / a.getBuilder().scalar(b); }
Column mlir::r1::operator+(double a, const Column &b) { return b.getBuilder().scalar(a) + b; }
Column mlir::r1::operator-(double a, const Column &b) { return b.getBuilder().scalar(a) - b; }
Column mlir::r1::operator*(double a, const Column &b) { return b.getBuilder().scalar(a) * b; }
Column mlir::r1::operator/(double a, const Column &b) { return b.getBuilder().scalar(a) / b; }

Value mlir::r1::makeTable(OnnxNode &node, ArrayRef<int64_t> shape, Type element,
                          ArrayRef<double> values) {
  auto type = RankedTensorType::get(shape, element);
  assert(int64_t(values.size()) == type.getNumElements() && "table size differs from shape");
  if (element.isInteger(1)) {
    SmallVector<bool> bits;
    for (double v : values)
      bits.push_back(v != 0);
    return node.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(type, bits)));
  }
  unsigned width = element.getIntOrFloatBitWidth();
  std::vector<char> bytes;
  bytes.reserve(values.size() * width / 8);
  for (double v : values) {
    APInt bits;
    if (auto floatType = dyn_cast<FloatType>(element)) {
      APFloat value(v);
      bool lost;
      value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      bits = value.bitcastToAPInt();
    } else {
      bits = APInt(64, uint64_t(int64_t(v)), /*isSigned=*/true).trunc(width);
    }
    for (unsigned byte = 0; byte < width / 8; ++byte)
      bytes.push_back(char(bits.extractBitsAsZExtValue(8, byte * 8)));
  }
  // Like the importer's weights: large tables out of line, named by their
  // contents so that equal tables (shape buckets, repeated nodes) share one.
  bool outOfLine = bytes.size() > 4096 || (isa<FloatType>(element) && values.size() > 16);
  std::string name;
  if (outOfLine)
    name = llvm::formatv("r1c.table.{0:x16}",
                         llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
                             reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size())))
               .str();
  return node.create<ConstantOp>(
      makeConstant(node.getBuilder().getContext(), type, outOfLine, name, [&] { return bytes; }));
}
