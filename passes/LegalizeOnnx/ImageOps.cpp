//===- ImageOps.cpp - ONNX image ops: registry and the small ones ---------===//
//
// Every image op decomposes into r1 ops that host and GPU targets already
// compile: DepthToSpace and SpaceToDepth are a transpose between two
// reshapes (views), so one kernel each; AffineGrid is a matmul of a
// constant table of pixel centers by the transforms.
//
//===----------------------------------------------------------------------===//
#include "passes/LegalizeOnnx/ImageOps.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "passes/LegalizeOnnx/Columns.h"

using namespace mlir;
using namespace mlir::r1;

Value mlir::r1::reshapeTo(OnnxNode &node, Value input, ArrayRef<int64_t> dims) {
  // One unknown dim is whatever the others leave: Reshape's -1.
  if (llvm::count(dims, kDynamic) > 1)
    return nullptr;
  SmallVector<int64_t> shape(dims);
  for (int64_t &dim : shape)
    if (dim == kDynamic)
      dim = -1;
  return node.create<ReshapeOp>(input, node.i64Vector(shape), node.getBuilder().getBoolAttr(false));
}

namespace {

using Result = FailureOr<SmallVector<Value>>;

/// The [N, C, H, W] input of a block rearrangement and its block size, with
/// C, H and W static (N may vary).
FailureOr<std::pair<Value, SmallVector<int64_t>>> blockInput(OnnxNode &node, int64_t &block) {
  FailureOr<Value> x = node.requiredInput(0);
  FailureOr<int64_t> size = node.requiredInt("blocksize");
  if (failed(x) || failed(size))
    return failure();
  block = *size;
  auto shape = getShapeOf(*x);
  if (!shape || shape->size() != 4)
    return node.emitError() << "needs an input of rank 4", failure();
  if (llvm::is_contained(ArrayRef<int64_t>(*shape).drop_front(), kDynamic))
    return node.emitError() << "needs static channel and spatial dims", failure();
  if (block <= 0)
    return node.emitError() << "blocksize must be positive, not " << block, failure();
  return std::make_pair(*x, *shape);
}

Value rearrange(OnnxNode &node, Value x, ArrayRef<int64_t> split, ArrayRef<int64_t> perm,
                ArrayRef<int64_t> merged) {
  Value blocks = reshapeTo(node, x, split);
  Value moved = node.create<TransposeOp>(blocks, node.getBuilder().getDenseI64ArrayAttr(perm));
  return reshapeTo(node, moved, merged);
}

/// Moves channel blocks into spatial blocks. DCR (the default) takes the
/// block offset from the channel's high part, CRD from its low part.
Result legalizeDepthToSpace(OnnxNode &node) {
  int64_t b = 0;
  auto input = blockInput(node, b);
  if (failed(input))
    return failure();
  auto [x, shape] = *input;
  int64_t n = shape[0], c = shape[1], h = shape[2], w = shape[3];
  if (c % (b * b))
    return node.emitError() << "channels (" << c << ") must be a multiple of blocksize squared ("
                            << b * b << ")",
           failure();
  StringRef mode = node.getOpset() >= 11 ? node.getString("mode", "DCR") : "DCR";
  SmallVector<int64_t> merged = {n, c / (b * b), h * b, w * b};
  if (mode == "DCR")
    return results(rearrange(node, x, {n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2}, merged));
  if (mode == "CRD")
    return results(rearrange(node, x, {n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3}, merged));
  return node.emitError() << "unknown mode \"" << mode << "\"", failure();
}

/// Moves spatial blocks into channels, block offset in the channel's high part.
Result legalizeSpaceToDepth(OnnxNode &node) {
  int64_t b = 0;
  auto input = blockInput(node, b);
  if (failed(input))
    return failure();
  auto [x, shape] = *input;
  int64_t n = shape[0], c = shape[1], h = shape[2], w = shape[3];
  if (h % b || w % b)
    return node.emitError() << "spatial dims " << h << "x" << w
                            << " must be multiples of blocksize " << b,
           failure();
  return results(rearrange(node, x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                           {n, c * b * b, h / b, w / b}));
}

/// The sampling grid of an affine transform: the transforms [N, 2, 3] (or
/// [N, 3, 4]) times the normalized pixel centers of the output, with a 1
/// appended: one constant [pixels, 3] (or 4) table and one matmul.
Result legalizeAffineGrid(OnnxNode &node) {
  FailureOr<Value> theta = node.requiredInput(0);
  if (failed(theta) || failed(node.requiredInput(1)))
    return failure();
  auto thetaShape = getShapeOf(*theta);
  if (!thetaShape || thetaShape->size() != 3 || (*thetaShape)[1] == kDynamic ||
      (*thetaShape)[1] < 2 || (*thetaShape)[1] > 3 || (*thetaShape)[2] != (*thetaShape)[1] + 1)
    return node.emitError() << "needs theta of shape [N, 2, 3] or [N, 3, 4]", failure();
  int64_t dims = (*thetaShape)[1];
  // The output's spatial size: the size input, or the declared output
  // where that input is only known at run time.
  SmallVector<int64_t> sizes;
  if (auto size = node.constantInts(1)) {
    if (int64_t(size->size()) != dims + 2)
      return node.emitError() << "needs a size of " << dims + 2 << " values", failure();
    sizes.assign(size->begin() + 2, size->end());
  } else if (auto declared = getShapeOf(node.getDeclaredOutputType(0));
             declared && int64_t(declared->size()) == dims + 2) {
    sizes.assign(declared->begin() + 1, declared->end() - 1);
  }
  if (int64_t(sizes.size()) != dims || llvm::any_of(sizes, [](int64_t s) { return s <= 0; }))
    return node.emitError() << "needs a constant size, or a declared static output shape",
           failure();
  bool alignCorners = node.getInt("align_corners", 0) != 0;
  // Pixel centers from -1 to 1 with align_corners, else half a pixel in.
  auto position = [&](int64_t i, int64_t n) {
    if (alignCorners)
      return n == 1 ? -1.0 : -1.0 + 2.0 * double(i) / double(n - 1);
    return (2.0 * double(i) + 1.0) / double(n) - 1.0;
  };
  // Rows in output order; columns x (innermost dim), y[, z], then 1.
  SmallVector<double> table;
  int64_t pixels = productOfDims(sizes);
  for (int64_t p = 0; p < pixels; ++p) {
    SmallVector<double> row;
    for (int64_t k = dims - 1, rest = p; k >= 0; --k) {
      row.push_back(position(rest % sizes[k], sizes[k]));
      rest /= sizes[k];
    }
    row.push_back(1);
    table.append(row);
  }
  OpBuilder &b = node.getBuilder();
  Type element = getElementTypeOf(*theta);
  Value base = makeTable(node, {pixels, dims + 1}, element, table);
  Value transposed = node.create<TransposeOp>(*theta, b.getDenseI64ArrayAttr({0, 2, 1}));
  Value grid = node.create<MatMulOp>(base, transposed);
  SmallVector<int64_t> shape = {(*thetaShape)[0]};
  shape.append(sizes);
  shape.push_back(dims);
  return results(reshapeTo(node, grid, shape));
}

} // namespace

void mlir::r1::addImageOps(SmallVectorImpl<OnnxPattern> &patterns) {
  patterns.append({
      {"AffineGrid", 20, legalizeAffineGrid},
      {"Col2Im", 18, legalizeCol2Im},
      {"ConvTranspose", 1, legalizeConvTranspose},
      {"DeformConv", 19, legalizeDeformConv},
      {"DepthToSpace", 1, legalizeDepthToSpace},
      {"GridSample", 16, legalizeGridSample},
      {"MaxUnpool", 9, legalizeMaxUnpool},
      {"Resize", 10, legalizeResize},
      {"RoiAlign", 10, legalizeRoiAlign},
      {"SpaceToDepth", 1, legalizeSpaceToDepth},
      {"Upsample", 7, legalizeUpsample},
  });
}
