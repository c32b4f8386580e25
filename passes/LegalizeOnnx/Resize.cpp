//===- Resize.cpp - ONNX Resize and Upsample, one axis at a time ----------===//
//
// Resize is separable: along each resized axis, out[i] = sum_k w[i][k] *
// in[idx[i][k]], and resizing every axis in turn resizes the tensor. An
// axis becomes, per tap k, a gather by idx[.][k] scaled by w[.][k], summed
// (a kernel per tap; wide antialiasing kernels gather all taps at once and
// reduce); an axis whose taps pick one element each becomes a lone gather,
// one that maps every position to itself nothing, and nearest upsampling
// by whole factors one broadcast for all such axes together.
//
// The tables follow ONNX's reference implementation (onnx/reference/ops/
// op_resize.py): the source coordinate of each output position, the taps
// around it, and their weights. They are constants when the scales, sizes
// and roi are; when one of those is only known at run time, the same
// formulas become r1 ops on the input (Columns.h), and the output size
// comes from the type the file declares.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"
#include "passes/LegalizeOnnx/ImageOps.h"

#include "mlir/IR/Matchers.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::r1;

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// How a Resize or Upsample node interpolates, with its opset's defaults.
struct ResizeMode {
  std::string interpolation; // nearest, linear, cubic
  std::string coordinates;   // coordinate_transformation_mode
  /// nearest_mode; "simple" before opset 11: floor when upsampling, ceil when
  /// downsampling (as ONNX Runtime keeps it for those opsets).
  std::string nearest;
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0;
  bool antialias = false;
};

/// One resized axis, with its scale and roi as one-value columns.
struct ResizedAxis {
  int64_t axis, in, out;
  Column scale;
  /// The reference multiplies an f32 scale by the input length in f32.
  bool scaleIsF32;
  Column roiStart, roiEnd;
};

/// Tap k of every output position reads indices[k] with weight weights[k].
struct AxisTaps {
  SmallVector<Column> indices, weights;
  /// Positions whose source lies outside the input (tf_crop_and_resize).
  std::optional<Column> outside;
};

FailureOr<Column> sourceCoordinate(OnnxNode &node, const ResizeMode &mode, const ResizedAxis &axis,
                                   const Column &x) {
  ColumnBuilder &cb = x.getBuilder();
  double in = axis.in;
  // The reference's output width: the scaled length, before flooring.
  auto width = [&] {
    Column width = axis.scale * in;
    return axis.scaleIsF32 ? cb.roundToF32(width) : width;
  };
  auto isOne = [&](const Column &c) { return cb.equal(c, cb.scalar(1)); };
  StringRef name = mode.coordinates;
  if (name == "half_pixel")
    return (x + 0.5) / axis.scale - 0.5;
  if (name == "half_pixel_symmetric") {
    // Centers the part of the input that the whole output covers.
    Column offset = (in / 2) * (1.0 - double(axis.out) / width());
    return offset + (x + 0.5) / axis.scale - 0.5;
  }
  if (name == "pytorch_half_pixel")
    return cb.select(isOne(width()), cb.scalar(-0.5), (x + 0.5) / axis.scale - 0.5);
  if (name == "tf_half_pixel_for_nn")
    return (x + 0.5) / axis.scale;
  if (name == "align_corners") {
    Column w = width();
    return cb.select(isOne(w), cb.scalar(0), x * (in - 1) / (w - 1));
  }
  if (name == "asymmetric")
    return x / axis.scale;
  if (name == "tf_crop_and_resize") {
    Column w = width(), span = axis.roiEnd - axis.roiStart;
    Column spread = cb.select(isOne(w), span * (in - 1) / 2, x * span * (in - 1) / (w - 1));
    return spread + axis.roiStart * (in - 1);
  }
  return node.emitError() << "unknown coordinate_transformation_mode \"" << name << "\"", failure();
}

/// The nearest tap, picked by nearest_mode.
FailureOr<Column> nearestIndex(OnnxNode &node, const ResizeMode &mode, const ResizedAxis &axis,
                               const Column &x, const Column &left, const Column &ratio) {
  ColumnBuilder &cb = x.getBuilder();
  Column zero = cb.scalar(0), one = cb.scalar(1), half = cb.scalar(0.5);
  if (mode.nearest == "simple")
    return cb.select(cb.less(axis.scale, one), cb.ceil(x), cb.floor(x));
  Column step = zero;
  if (mode.nearest == "round_prefer_floor")
    step = cb.select(cb.lessEqual(ratio, half), zero, one);
  else if (mode.nearest == "round_prefer_ceil")
    step = cb.select(cb.less(ratio, half), zero, one);
  else if (mode.nearest == "ceil")
    step = one;
  else if (mode.nearest != "floor")
    return node.emitError() << "unknown nearest_mode \"" << mode.nearest << "\"", failure();
  // An integral x is its own nearest tap, whatever the mode.
  return left + cb.select(cb.equal(ratio, one), one, step);
}

/// Cubic convolution weights of the four taps around x (Keys, with `a`).
SmallVector<Column> cubicWeights(const Column &r, double a) {
  Column r1 = r + 1, q = 1.0 - r, q1 = q + 1;
  return {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * q - (a + 3)) * q * q + 1, ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a};
}

/// The taps of one axis and their weights.
FailureOr<AxisTaps> computeTaps(OnnxNode &node, ColumnBuilder &cb, const ResizeMode &mode,
                                const ResizedAxis &axis) {
  FailureOr<Column> found = sourceCoordinate(node, mode, axis, cb.iota(axis.out));
  if (failed(found))
    return failure();
  Column x = *found;
  double in = axis.in;
  Column zero = cb.scalar(0), one = cb.scalar(1);
  AxisTaps taps;
  if (mode.coordinates == "tf_crop_and_resize")
    taps.outside = cb.logicalOr(cb.less(x, zero), cb.less(cb.scalar(in - 1), x));
  // The reference's taps around x start from the one left of it, and for an
  // integral x from x - 1 with a ratio of 1, so `ratio` is in (0, 1].
  Column left = cb.ceil(x) - 1;
  Column ratio = x - left;
  auto clampIndex = [&](const Column &index) {
    return cb.min(cb.max(index, zero), cb.scalar(in - 1));
  };

  if (mode.interpolation == "nearest") {
    FailureOr<Column> index = nearestIndex(node, mode, axis, x, left, ratio);
    if (failed(index))
      return failure();
    taps.indices.push_back(clampIndex(*index));
    taps.weights.push_back(one);
    return taps;
  }
  bool linear = mode.interpolation == "linear";
  if (!linear && mode.interpolation != "cubic")
    return node.emitError() << "unknown mode \"" << mode.interpolation << "\"", failure();

  SmallVector<int64_t> offsets;
  SmallVector<Column> weights;
  if (!mode.antialias) {
    offsets = linear ? SmallVector<int64_t>{0, 1} : SmallVector<int64_t>{-1, 0, 1, 2};
    weights = linear ? SmallVector<Column>{1.0 - ratio, ratio} : cubicWeights(ratio, mode.cubicA);
  } else {
    // Downsampling widens the kernel by 1 / scale. Its tap count follows
    // from the scale; for one known only at run time, the most any scale
    // that gives `out` positions can need (taps past the kernel weigh 0).
    Column scale = cb.min(axis.scale, one);
    double smallest =
        scale.isKnown() ? scale.getKnown().front() : std::min(1.0, (double(axis.out) - 0.5) / in);
    if (!(smallest > 0))
      return node.emitError() << "antialias needs a positive scale", failure();
    double support = linear ? 1 : 2;
    int64_t start = int64_t(std::floor(-support / smallest)) + 1;
    if (2 - 2 * start > 1024)
      return node.emitError() << "antialias over " << 2 - 2 * start << " taps is unsupported",
             failure();
    double a = mode.cubicA;
    Column sum = zero;
    for (int64_t offset = start; offset <= 1 - start; ++offset) {
      Column t = (double(offset) - ratio) * scale;
      Column weight = zero;
      if (linear) {
        weight = cb.min(cb.max(1.0 - cb.abs(t), zero), one);
      } else {
        Column s = cb.abs(t), s2 = s * s, s3 = s * s2;
        Column inner = (a + 2) * s3 - (a + 3) * s2 + 1;
        Column outer = a * s3 - 5 * a * s2 + 8 * a * s - 4 * a;
        weight = cb.select(cb.lessEqual(s, one), inner,
                           cb.select(cb.less(s, cb.scalar(2)), outer, zero));
      }
      offsets.push_back(offset);
      weights.push_back(weight);
      sum = sum + weight;
    }
    for (Column &weight : weights)
      weight = weight / sum;
  }
  if (mode.excludeOutside) {
    // Taps outside the input weigh nothing; the rest share the whole weight.
    Column sum = zero;
    for (auto [offset, weight] : llvm::zip(offsets, weights)) {
      Column tap = left + double(offset);
      weight = cb.select(cb.logicalOr(cb.less(tap, zero), cb.less(cb.scalar(in - 1), tap)), zero,
                         weight);
      sum = sum + weight;
    }
    for (Column &weight : weights)
      weight = weight / sum;
  }
  for (auto [offset, weight] : llvm::zip(offsets, weights)) {
    taps.indices.push_back(clampIndex(left + double(offset)));
    taps.weights.push_back(weight);
  }
  return taps;
}

/// How one axis is resampled.
struct AxisPlan {
  enum Kind { Identity, Repeat, Select, Weighted } kind = Weighted;
  int64_t axis, in, out;
  /// Repeat: each input element `factor` times.
  int64_t factor = 1;
  /// Known tables: rows of (index, weight), equal indices merged.
  SmallVector<SmallVector<std::pair<int64_t, double>>> rows;
  /// Tables computed at run time.
  AxisTaps taps;
};

/// Decides how an axis with known taps is resampled, and merges taps that
/// read the same element.
void planKnownAxis(AxisPlan &plan) {
  const AxisTaps &taps = plan.taps;
  bool select = true;
  for (int64_t i = 0; i < plan.out; ++i) {
    std::map<int64_t, double> merged;
    for (auto [index, weight] : llvm::zip(taps.indices, taps.weights)) {
      auto at = [&](const Column &c) { return c.getKnown()[c.size() == 1 ? 0 : i]; };
      merged[int64_t(at(index))] += at(weight);
    }
    SmallVector<std::pair<int64_t, double>> row;
    for (auto [index, weight] : merged)
      if (weight != 0)
        row.push_back({index, weight});
    if (row.empty())
      row.push_back({0, 0.0});
    // Weights that sum to 1 up to rounding pick that element.
    select &= row.size() == 1 && std::fabs(row.front().second - 1) <= 1e-12;
    plan.rows.push_back(std::move(row));
  }
  if (!select)
    return;
  plan.kind = AxisPlan::Select;
  int64_t factor = plan.out / plan.in;
  bool identity = plan.out == plan.in, repeat = factor > 1 && plan.out % plan.in == 0;
  for (int64_t i = 0; i < plan.out; ++i) {
    identity &= plan.rows[i].front().first == i;
    repeat &= repeat && plan.rows[i].front().first == i / factor;
  }
  if (identity)
    plan.kind = AxisPlan::Identity;
  else if (repeat) {
    plan.kind = AxisPlan::Repeat;
    plan.factor = factor;
  }
}

bool isKnown(const AxisTaps &taps) {
  return llvm::all_of(taps.indices, [](const Column &c) { return c.isKnown(); }) &&
         llvm::all_of(taps.weights, [](const Column &c) { return c.isKnown(); });
}

/// Up to this many taps an axis gathers each tap on its own.
constexpr size_t kMaxTapGathers = 4;

/// Gathers each position's taps along the axis and sums them by weight.
Value resampleAxis(OnnxNode &node, ColumnBuilder &cb, Value x, const AxisPlan &plan, int64_t rank,
                   Type element) {
  OpBuilder &b = node.getBuilder();
  auto axisAttr = b.getI64IntegerAttr(plan.axis);
  Type i64 = b.getI64Type();
  int64_t trailing = rank - plan.axis - 1;
  if (plan.kind == AxisPlan::Select) {
    Value indices;
    if (!plan.rows.empty()) {
      SmallVector<double> table;
      for (const auto &row : plan.rows)
        table.push_back(row.front().first);
      indices = makeTable(node, {plan.out}, i64, table);
    } else {
      indices = cb.materialize(plan.taps.indices.front(), i64, plan.out);
    }
    return node.create<GatherOp>(x, indices, axisAttr);
  }
  // Known tables hold rows of merged taps; short rows repeat their first
  // tap with no weight.
  SmallVector<int64_t> weightShape = {plan.out};
  weightShape.append(trailing, 1);
  size_t count = plan.taps.indices.size();
  if (!plan.rows.empty()) {
    count = 0;
    for (const auto &row : plan.rows)
      count = std::max(count, row.size());
  }
  auto knownColumn = [&](size_t k, bool weight) {
    SmallVector<double> column;
    for (const auto &row : plan.rows)
      column.push_back(weight ? (k < row.size() ? row[k].second : 0)
                              : row[k < row.size() ? k : 0].first);
    return column;
  };
  if (count <= kMaxTapGathers) {
    // One gather per tap, scaled by its weights and added to the taps
    // before it: a kernel each, writing an output-sized tensor.
    Value sum;
    for (size_t k = 0; k < count; ++k) {
      Value index, weight;
      if (!plan.rows.empty()) {
        index = makeTable(node, {plan.out}, i64, knownColumn(k, false));
        weight = makeTable(node, weightShape, element, knownColumn(k, true));
      } else {
        index = cb.materialize(plan.taps.indices[k], i64, plan.out);
        weight = cb.materialize(plan.taps.weights[k], element, plan.out);
        if (trailing)
          weight = reshapeTo(node, weight, weightShape);
      }
      Value term = node.create<MulOp>(node.create<GatherOp>(x, index, axisAttr), weight);
      sum = sum ? node.create<AddOp>(sum, term).getResult() : term;
    }
    return sum;
  }
  // Wide kernels (antialiased downsampling): all taps in one gather, then a
  // sum over them, two kernels whatever the tap count.
  SmallVector<int64_t> tableShape = {plan.out, int64_t(count)};
  tableShape.append(trailing, 1);
  Value indices, weights;
  if (!plan.rows.empty()) {
    SmallVector<double> indexTable, weightTable;
    for (const auto &row : plan.rows)
      for (size_t k = 0; k < count; ++k) {
        indexTable.push_back(row[k < row.size() ? k : 0].first);
        weightTable.push_back(k < row.size() ? row[k].second : 0);
      }
    indices = makeTable(node, {plan.out, int64_t(count)}, i64, indexTable);
    weights = makeTable(node, tableShape, element, weightTable);
  } else {
    SmallVector<Value> indexColumns, weightColumns;
    for (size_t k = 0; k < count; ++k) {
      auto column = [&](const Column &c, Type type) {
        return node.create<UnsqueezeOp>(cb.materialize(c, type, plan.out),
                                        b.getDenseI64ArrayAttr({1}));
      };
      indexColumns.push_back(column(plan.taps.indices[k], i64));
      weightColumns.push_back(column(plan.taps.weights[k], element));
    }
    indices = node.create<ConcatOp>(indexColumns, b.getI64IntegerAttr(1));
    weights =
        reshapeTo(node, node.create<ConcatOp>(weightColumns, b.getI64IntegerAttr(1)), tableShape);
  }
  Value gathered = node.create<GatherOp>(x, indices, axisAttr);
  Value weighted = node.create<MulOp>(gathered, weights);
  return node.create<ReduceSumOp>(weighted, Value(), b.getDenseI64ArrayAttr({plan.axis + 1}),
                                  b.getBoolAttr(false), b.getBoolAttr(false));
}

/// Nearest upsampling by whole factors, of every such axis at once: a
/// broadcast into a new dim after each, then merging it into its axis.
Value repeatAxes(OnnxNode &node, Value x, ArrayRef<AxisPlan> plans) {
  auto shape = getShapeOf(x);
  std::map<int64_t, int64_t> factors;
  for (const AxisPlan &plan : plans)
    factors[plan.axis] = plan.factor;
  SmallVector<int64_t> split, broadcast, merged;
  for (auto [d, dim] : llvm::enumerate(*shape)) {
    split.push_back(dim);
    broadcast.push_back(1);
    auto factor = factors.find(d);
    if (factor == factors.end()) {
      merged.push_back(dim);
      continue;
    }
    split.push_back(1);
    broadcast.push_back(factor->second);
    merged.push_back(dim * factor->second);
  }
  Value expanded = reshapeTo(node, x, split);
  if (!expanded)
    return nullptr;
  expanded = node.create<ExpandOp>(expanded, node.i64Vector(broadcast));
  return reshapeTo(node, expanded, merged);
}

/// Where tf_crop_and_resize finds no source, extrapolation_value.
Value extrapolate(OnnxNode &node, ColumnBuilder &cb, Value y, const AxisPlan &plan, int64_t rank,
                  double value) {
  const Column &outside = *plan.taps.outside;
  if (outside.isKnown() && llvm::all_of(outside.getKnown(), [](double v) { return v == 0; }))
    return y;
  OpBuilder &b = node.getBuilder();
  Value mask = cb.materialize(outside, b.getI1Type(), plan.out);
  SmallVector<int64_t> axes;
  for (int64_t i = 1; i < rank - plan.axis; ++i)
    axes.push_back(i);
  if (!axes.empty())
    mask = node.create<UnsqueezeOp>(mask, b.getDenseI64ArrayAttr(axes));
  return node.create<WhereOp>(mask, node.scalar(getElementTypeOf(y), value), y);
}

/// Where a node gives its scales, sizes and roi.
struct ResizeInputs {
  Value scales, sizes, roi;
  std::optional<SmallVector<double>> scaleAttr;
};

/// Per-axis columns of a 1-D input: known values, or its elements read at
/// run time.
std::optional<SmallVector<Column>> readColumns(OnnxNode &node, ColumnBuilder &cb, Value input,
                                               int64_t count) {
  SmallVector<Column> columns;
  Attribute attr;
  if (matchPattern(input, m_Constant(&attr))) {
    auto dense = dyn_cast<DenseElementsAttr>(attr);
    if (!dense || dense.getNumElements() != count)
      return std::nullopt;
    if (isa<FloatType>(dense.getElementType()))
      for (const APFloat &v : dense.getValues<APFloat>())
        columns.push_back(cb.scalar(v.convertToDouble()));
    else
      for (const APInt &v : dense.getValues<APInt>())
        columns.push_back(cb.scalar(double(v.getSExtValue())));
    return columns;
  }
  auto shape = getShapeOf(input);
  if (!shape || shape->size() != 1 || (*shape)[0] != count)
    return std::nullopt;
  OpBuilder &b = node.getBuilder();
  for (int64_t i = 0; i < count; ++i)
    columns.push_back(cb.computed(
        node.create<SliceOp>(input, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({i}),
                             b.getDenseI64ArrayAttr({i + 1}), b.getDenseI64ArrayAttr({1}))));
  return columns;
}

/// Whether an optional 1-D input is given with elements (opset 11 passes
/// an empty scales tensor when it gives sizes).
bool hasElements(Value input) {
  if (!input)
    return false;
  auto shape = getShapeOf(input);
  return !shape || shape->empty() || (*shape)[0] != 0;
}

Result buildResize(OnnxNode &node, const ResizeMode &mode, const ResizeInputs &inputs,
                   std::optional<SmallVector<int64_t>> axesAttr, StringRef keepAspect) {
  FailureOr<Value> maybeX = node.requiredInput(0);
  if (failed(maybeX))
    return failure();
  Value x = *maybeX;
  auto shape = getShapeOf(x);
  if (!shape)
    return node.emitError() << "needs an input of known rank", failure();
  int64_t rank = shape->size();
  SmallVector<int64_t> axes;
  if (axesAttr) {
    for (int64_t axis : *axesAttr) {
      auto normalized = normalizeAxis(axis, rank);
      if (!normalized || llvm::is_contained(axes, *normalized))
        return node.emitError() << "axes must be distinct and in range for rank " << rank,
               failure();
      axes.push_back(*normalized);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  int64_t count = axes.size();
  SmallVector<int64_t> declared(rank, kDynamic);
  if (auto outputShape = getShapeOf(node.getDeclaredOutputType(0));
      outputShape && int64_t(outputShape->size()) == rank)
    declared = *outputShape;

  ColumnBuilder cb(node);
  std::vector<ResizedAxis> resized;
  for (int64_t axis : axes)
    resized.push_back(
        {axis, (*shape)[axis], kDynamic, cb.scalar(1), false, cb.scalar(0), cb.scalar(1)});

  bool useSizes = hasElements(inputs.sizes);
  if (useSizes && (hasElements(inputs.scales) || inputs.scaleAttr))
    return node.emitError() << "takes scales or sizes, not both", failure();
  if (useSizes) {
    std::optional<SmallVector<Column>> sizes = readColumns(node, cb, inputs.sizes, count);
    if (!sizes)
      return node.emitError() << "needs sizes with one value per resized axis (" << count << ")",
             failure();
    if (keepAspect == "stretch") {
      for (auto [axis, size] : llvm::zip(resized, *sizes)) {
        // Sizes read at run time equal the declared output, when there is one.
        if (!size.isKnown() && declared[axis.axis] != kDynamic)
          size = cb.scalar(declared[axis.axis]);
        if (size.isKnown())
          axis.out = int64_t(size.getKnown().front());
        axis.scale = size / double(axis.in);
      }
    } else if (keepAspect == "not_larger" || keepAspect == "not_smaller") {
      // One scale for all axes, the one that fits the sizes (or covers them).
      std::optional<Column> common;
      for (auto [axis, size] : llvm::zip(resized, *sizes)) {
        Column scale = size / double(axis.in);
        common = !common                      ? scale
                 : keepAspect == "not_larger" ? cb.min(*common, scale)
                                              : cb.max(*common, scale);
      }
      for (ResizedAxis &axis : resized) {
        axis.scale = *common;
        if (common->isKnown())
          axis.out = int64_t(common->getKnown().front() * axis.in + 0.5);
      }
    } else {
      return node.emitError() << "unknown keep_aspect_ratio_policy \"" << keepAspect << "\"",
             failure();
    }
  } else if (inputs.scaleAttr || hasElements(inputs.scales)) {
    std::optional<SmallVector<Column>> scales;
    if (inputs.scaleAttr) {
      scales.emplace();
      for (double v : *inputs.scaleAttr)
        scales->push_back(cb.scalar(v));
      if (int64_t(scales->size()) != count)
        scales.reset();
    } else {
      scales = readColumns(node, cb, inputs.scales, count);
    }
    if (!scales)
      return node.emitError() << "needs scales with one value per resized axis (" << count << ")",
             failure();
    for (auto [axis, scale] : llvm::zip(resized, *scales)) {
      axis.scale = scale;
      axis.scaleIsF32 = true;
      if (scale.isKnown()) {
        if (!(scale.getKnown().front() > 0))
          return node.emitError() << "scales must be positive", failure();
        if (axis.in != kDynamic)
          axis.out = int64_t(std::floor(scale.getKnown().front() * double(axis.in)));
      }
    }
  } else {
    return node.emitError() << "needs scales or sizes", failure();
  }
  // A scale of 1 keeps a dim as it is (but for a crop), even one whose size
  // is not known: a dynamic batch dim, typically.
  llvm::erase_if(resized, [&](const ResizedAxis &axis) {
    return axis.in == kDynamic && axis.scale.isKnown() && axis.scale.getKnown().front() == 1 &&
           mode.coordinates != "tf_crop_and_resize";
  });
  for (ResizedAxis &axis : resized) {
    if (axis.in == kDynamic)
      return node.emitError() << "needs a static size for resized dim " << axis.axis, failure();
    if (axis.out == kDynamic)
      axis.out = declared[axis.axis];
    if (axis.out == kDynamic)
      return node.emitError() << "needs constant scales or sizes, or a declared static output "
                                 "size, for dim "
                              << axis.axis,
             failure();
    if (axis.out <= 0 || axis.in <= 0)
      return node.emitError() << "cannot resize dim " << axis.axis << " from " << axis.in << " to "
                              << axis.out,
             failure();
  }
  if (mode.coordinates == "tf_crop_and_resize") {
    std::optional<SmallVector<Column>> roi;
    if (inputs.roi)
      roi = readColumns(node, cb, inputs.roi, 2 * count);
    if (!roi)
      return node.emitError() << "tf_crop_and_resize needs a roi of " << 2 * count
                              << " values (starts, then ends)",
             failure();
    for (auto [i, axis] : llvm::enumerate(resized)) {
      axis.roiStart = (*roi)[i];
      axis.roiEnd = (*roi)[i + count];
    }
  }

  // Integer data is interpolated in f32 and truncated back, as the
  // reference's astype does.
  Type element = getElementTypeOf(x);
  bool viaF32 = mode.interpolation != "nearest" && !isa<FloatType>(element);
  Type compute = viaF32 ? Type(node.getBuilder().getF32Type()) : element;
  if (viaF32)
    x = node.create<CastOp>(x, TypeAttr::get(compute));

  std::vector<AxisPlan> plans;
  for (const ResizedAxis &axis : resized) {
    AxisPlan plan;
    plan.axis = axis.axis;
    plan.in = axis.in;
    plan.out = axis.out;
    // Every tap of a dim of one reads that one element, whatever the scale
    // (a crop may still extrapolate).
    if (axis.in == 1 && mode.coordinates != "tf_crop_and_resize") {
      plan.kind = axis.out == 1 ? AxisPlan::Identity : AxisPlan::Repeat;
      plan.factor = axis.out;
      plans.push_back(std::move(plan));
      continue;
    }
    FailureOr<AxisTaps> taps = computeTaps(node, cb, mode, axis);
    if (failed(taps))
      return failure();
    plan.taps = std::move(*taps);
    if (isKnown(plan.taps))
      planKnownAxis(plan);
    else if (plan.taps.indices.size() == 1)
      plan.kind = AxisPlan::Select;
    plans.push_back(std::move(plan));
  }

  // Shrinking axes first, so that later ones move less data.
  SmallVector<AxisPlan *> order;
  std::vector<AxisPlan> repeats;
  for (AxisPlan &plan : plans)
    if (plan.kind == AxisPlan::Repeat)
      repeats.push_back(plan);
    else if (plan.kind != AxisPlan::Identity)
      order.push_back(&plan);
  llvm::stable_sort(order, [](const AxisPlan *a, const AxisPlan *b) {
    return double(a->out) / a->in < double(b->out) / b->in;
  });
  Value y = x;
  for (AxisPlan *plan : order)
    y = resampleAxis(node, cb, y, *plan, rank, compute);
  if (!repeats.empty()) {
    Value repeated = repeatAxes(node, y, repeats);
    if (!repeated) {
      // Dims the reshapes cannot name: gather each axis instead.
      for (AxisPlan &plan : repeats) {
        plan.kind = AxisPlan::Select;
        plan.rows.clear();
        for (int64_t i = 0; i < plan.out; ++i)
          plan.rows.push_back({{i / plan.factor, 1.0}});
        y = resampleAxis(node, cb, y, plan, rank, compute);
      }
    } else {
      y = repeated;
    }
  }
  for (const AxisPlan &plan : plans)
    if (plan.taps.outside)
      y = extrapolate(node, cb, y, plan, rank, mode.extrapolation);
  if (viaF32)
    y = node.create<CastOp>(y, TypeAttr::get(element));
  return results(y);
}

} // namespace

Result mlir::r1::legalizeResize(OnnxNode &node) {
  ResizeMode mode;
  mode.interpolation = node.getString("mode", "nearest").str();
  ResizeInputs inputs;
  std::optional<SmallVector<int64_t>> axes;
  std::string keepAspect = "stretch";
  if (node.getOpset() < 11) {
    // Opset 10: asymmetric coordinates and scales as input #1.
    mode.coordinates = "asymmetric";
    mode.nearest = "simple";
    inputs.scales = node.input(1);
  } else {
    mode.coordinates = node.getString("coordinate_transformation_mode", "half_pixel").str();
    mode.nearest = node.getString("nearest_mode", "round_prefer_floor").str();
    mode.cubicA = node.getFloat("cubic_coeff_a", -0.75f);
    mode.excludeOutside = node.getInt("exclude_outside", 0) != 0;
    mode.extrapolation = node.getFloat("extrapolation_value", 0.0f);
    inputs.roi = node.input(1);
    inputs.scales = node.input(2);
    inputs.sizes = node.input(3);
    if (node.getOpset() >= 18) {
      mode.antialias = node.getInt("antialias", 0) != 0;
      axes = node.getInts("axes");
      keepAspect = node.getString("keep_aspect_ratio_policy", "stretch").str();
    }
  }
  return buildResize(node, mode, inputs, axes, keepAspect);
}

/// Upsample (deprecated at opset 10) is Resize with asymmetric coordinates:
/// scales as an attribute until opset 9, then as input #1.
Result mlir::r1::legalizeUpsample(OnnxNode &node) {
  ResizeMode mode;
  mode.interpolation = node.getString("mode", "nearest").str();
  // Opset 7 called bilinear and trilinear interpolation linear, and so did
  // the exporters that wrote "bilinear".
  if (mode.interpolation == "bilinear" || mode.interpolation == "trilinear")
    mode.interpolation = "linear";
  if (mode.interpolation != "nearest" && mode.interpolation != "linear")
    return node.emitError() << "unknown mode \"" << mode.interpolation << "\"", failure();
  mode.coordinates = "asymmetric";
  mode.nearest = "simple";
  ResizeInputs inputs;
  if (node.getOpset() < 9) {
    std::optional<SmallVector<float>> scales = node.getFloats("scales");
    if (!scales)
      return node.emitError() << "missing required attribute 'scales'", failure();
    inputs.scaleAttr.emplace(scales->begin(), scales->end());
  } else {
    FailureOr<Value> scales = node.requiredInput(1);
    if (failed(scales))
      return failure();
    inputs.scales = *scales;
  }
  return buildResize(node, mode, inputs, std::nullopt, "stretch");
}
