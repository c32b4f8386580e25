//===- KernelWriter.cpp - Types, operands, indices and the fused body -----===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {

KernelWriter::KernelWriter(r1k::KernelOp kernel, Operation *anchor, const TargetInfo &target)
    : kernel(kernel), anchor(anchor), target(target) {}

void KernelWriter::endLaunch(StringRef suffix) {
  earlierLaunches.push_back({suffix.str(), std::move(body), launch});
  body.clear();
  launch = LaunchShape();
}

std::string KernelWriter::computeType(Type element) {
  if (element.isF32() || element.isF16() || element.isBF16())
    return "float";
  if (element.isF64())
    return "double";
  if (element.isInteger(1))
    return "bool";
  auto integer = dyn_cast<IntegerType>(element);
  if (!integer)
    return "";
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 8:
    return isUnsigned ? "unsigned char" : "signed char";
  case 16:
    return isUnsigned ? "unsigned short" : "short";
  case 32:
    return isUnsigned ? "unsigned" : "int";
  case 64:
    return isUnsigned ? "unsigned long long" : "long long";
  }
  return "";
}

std::string KernelWriter::storageType(Type element) {
  if (element.isF16())
    return "r1_f16";
  if (element.isBF16())
    return "r1_bf16";
  if (element.isInteger(1))
    return "unsigned char";
  return computeType(element);
}

int64_t KernelWriter::storageBytes(Type element) {
  return std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
}

int64_t KernelWriter::lanesPer16Bytes(Type element) {
  return std::max<int64_t>(1, 16 / storageBytes(element));
}

std::string KernelWriter::vectorType(Type element, int64_t lanes) {
  return "r1_vec<" + storageType(element) + ", " + std::to_string(lanes) + ">";
}

std::string KernelWriter::accumulatorType(Type element) {
  if (auto integer = dyn_cast<IntegerType>(element))
    if (integer.getWidth() < 32)
      return "int";
  return computeType(element);
}

std::string KernelWriter::fromStorage(Type element, StringRef raw) {
  if (element.isF16())
    return ("r1_f16_to_f32(" + raw + ")").str();
  if (element.isBF16())
    return ("r1_bf16_to_f32(" + raw + ")").str();
  if (element.isInteger(1))
    return ("(" + raw + " != 0)").str();
  return raw.str();
}

std::string KernelWriter::toStorage(Type element, StringRef value) {
  if (element.isF16())
    return ("r1_f32_to_f16(" + value + ")").str();
  if (element.isBF16())
    return ("r1_f32_to_bf16(" + value + ")").str();
  if (isa<IntegerType>(element))
    return "(" + storageType(element) + ")(" + value.str() + ")";
  return value.str();
}

std::string KernelWriter::roundTo(Type element, StringRef value) {
  if (element.isF16())
    return ("r1_round_f16(" + value + ")").str();
  if (element.isBF16())
    return ("r1_round_bf16(" + value + ")").str();
  return value.str();
}

namespace {

/// A float literal that reads back as exactly `value` in `type`.
std::string floatLiteral(double value, bool isDouble) {
  const char *inf = isDouble ? "R1_INF64" : "R1_INF";
  if (std::isnan(value))
    return isDouble ? "R1_NAN64" : "R1_NAN";
  if (std::isinf(value))
    return value > 0 ? inf : "(-" + std::string(inf) + ")";
  char buffer[64];
  // 9 and 17 significant digits round-trip a float and a double.
  std::snprintf(buffer, sizeof(buffer), isDouble ? "%.17g" : "%.9g", value);
  std::string text = buffer;
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  if (!isDouble)
    text += "f";
  return value < 0 ? "(" + text + ")" : text;
}

/// An integer literal of the compute type of `element`.
std::string integerLiteral(Type element, const llvm::APInt &value) {
  if (element.isInteger(1))
    return value.isZero() ? "false" : "true";
  auto integer = cast<IntegerType>(element);
  std::string type = KernelWriter::computeType(element);
  if (integer.isUnsigned()) {
    std::string digits = llvm::utostr(value.getZExtValue());
    return "((" + type + ")" + digits + "ull)";
  }
  int64_t v = value.getSExtValue();
  if (v == std::numeric_limits<int64_t>::min())
    return "((" + type + ")(-9223372036854775807ll - 1))";
  return "((" + type + ")" + (v < 0 ? "(" + std::to_string(v) + "ll)" : std::to_string(v) + "ll") +
         ")";
}

} // namespace

std::string KernelWriter::literal(Type element, double value) {
  if (isa<FloatType>(element))
    return floatLiteral(value, element.isF64());
  if (element.isInteger(1))
    return value != 0 ? "true" : "false";
  unsigned width = element.getIntOrFloatBitWidth();
  return integerLiteral(element,
                        llvm::APInt(width, static_cast<int64_t>(value), /*isSigned=*/true));
}

std::string KernelWriter::lowest(Type element) {
  if (isa<FloatType>(element))
    return floatLiteral(-std::numeric_limits<double>::infinity(), element.isF64());
  if (element.isInteger(1))
    return "false";
  unsigned width = element.getIntOrFloatBitWidth();
  bool isUnsigned = element.isUnsignedInteger();
  return integerLiteral(element, isUnsigned ? llvm::APInt::getMinValue(width)
                                            : llvm::APInt::getSignedMinValue(width));
}

std::string KernelWriter::highest(Type element) {
  if (isa<FloatType>(element))
    return floatLiteral(std::numeric_limits<double>::infinity(), element.isF64());
  if (element.isInteger(1))
    return "true";
  unsigned width = element.getIntOrFloatBitWidth();
  bool isUnsigned = element.isUnsignedInteger();
  return integerLiteral(element, isUnsigned ? llvm::APInt::getMaxValue(width)
                                            : llvm::APInt::getSignedMaxValue(width));
}

std::string KernelWriter::math(Type element, StringRef name) {
  return element.isF64() ? name.str() : (name + "f").str();
}

std::string KernelWriter::inputName(unsigned index) { return "p" + std::to_string(index); }
std::string KernelWriter::resultName(unsigned index) { return "r" + std::to_string(index); }

std::string KernelWriter::element(Value value, StringRef index) {
  Type type = getElementTypeOf(value);
  if (auto arg = dyn_cast<BlockArgument>(value))
    return fromStorage(type, (inputName(arg.getArgNumber()) + "[" + index + "]").str());
  if (auto constant = value.getDefiningOp<ConstantOp>()) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (dense && dense.isSplat()) {
      Attribute splat = dense.getSplatValue<Attribute>();
      if (auto f = dyn_cast<FloatAttr>(splat))
        return literal(type, f.getValueAsDouble());
      if (auto i = dyn_cast<IntegerAttr>(splat))
        return integerLiteral(type, i.getValue());
    }
    constant.emitOpError("is a constant GPU code cannot inline (only splats are)");
    return "";
  }
  value.getDefiningOp()->emitOpError("feeds the anchor from inside the kernel; GPU code "
                                     "reads anchor operands from kernel inputs only");
  return "";
}

std::string KernelWriter::storageElement(Value value, StringRef index) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return (inputName(arg.getArgNumber()) + "[" + index + "]").str();
  std::string computed = element(value, index);
  return computed.empty() ? "" : toStorage(getElementTypeOf(value), computed);
}

std::string KernelWriter::index(int64_t value) const {
  if (value > std::numeric_limits<int32_t>::max() || value < std::numeric_limits<int32_t>::min())
    return std::to_string(value) + "ll";
  return std::to_string(value);
}

namespace {
std::string integer(int64_t value) {
  if (value > std::numeric_limits<int32_t>::max())
    return std::to_string(value) + "ll";
  return std::to_string(value);
}
} // namespace

std::string KernelWriter::dimIndex(ArrayRef<int64_t> shape, unsigned d, StringRef linear) {
  if (shape[d] == 1)
    return "0";
  int64_t stride = productOfDims(shape.drop_front(d + 1));
  int64_t outer = productOfDims(shape.take_front(d));
  std::string text = ("(" + linear + ")").str();
  if (stride != 1)
    text = "(" + text + " / " + integer(stride) + ")";
  if (outer != 1)
    text = "(" + text + " % " + integer(shape[d]) + ")";
  return text;
}

std::string KernelWriter::broadcastOffset(ArrayRef<int64_t> outShape, ArrayRef<int64_t> inShape,
                                          StringRef linear) {
  assert(inShape.size() <= outShape.size() && "broadcast to a lower rank");
  size_t skip = outShape.size() - inShape.size();
  int64_t total = productOfDims(outShape);
  // Runs of adjacent output dims that the input keeps; dims of size 1 join
  // any run (their index is 0), broadcast dims end one.
  struct Run {
    int64_t size, outStride, inStride;
  };
  SmallVector<Run> runs;
  bool open = false;
  int64_t outStride = 1, inStride = 1;
  for (int64_t d = int64_t(outShape.size()) - 1; d >= 0; --d) {
    int64_t out = outShape[d];
    if (out == 1)
      continue;
    bool kept = d >= int64_t(skip) && inShape[d - skip] == out;
    if (kept) {
      if (open)
        runs.back().size *= out;
      else
        runs.push_back({out, outStride, inStride});
      inStride *= out;
    }
    open = kept;
    outStride *= out;
  }
  std::string text;
  for (const Run &run : runs) {
    std::string term = ("(" + linear + ")").str();
    if (run.outStride != 1)
      term = "(" + term + " / " + integer(run.outStride) + ")";
    if (run.outStride * run.size != total)
      term = "(" + term + " % " + integer(run.size) + ")";
    if (run.inStride != 1)
      term = "(" + term + " * " + integer(run.inStride) + ")";
    text = text.empty() ? term : text + " + " + term;
  }
  return text.empty() ? "0" : text;
}

RankedTensorType KernelWriter::resultType(unsigned index) {
  return cast<RankedTensorType>(kernel.getResult(index).getType());
}

LogicalResult KernelWriter::printBody(StringRef indent, StringRef anchorValue, StringRef outIndex,
                                      std::string &result, const InputReader &read) {
  Block &block = kernel.getBody().front();
  ArrayRef<int64_t> outShape = resultType().getShape();
  llvm::DenseMap<Value, std::string> known;
  bool failed = false;
  std::function<std::string(Value)> valueOf = [&](Value value) -> std::string {
    auto found = known.find(value);
    if (found != known.end())
      return found->second;
    std::string expr;
    Type type = getElementTypeOf(value);
    if (anchor && value.getDefiningOp() == anchor) {
      // Named once: the body may read it several times.
      expr = fresh("a");
      os << indent << "const " << computeType(type) << " " << expr << " = " << anchorValue << ";\n";
    } else if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (read) {
        expr = read(arg);
      } else {
        ArrayRef<int64_t> shape = cast<RankedTensorType>(arg.getType()).getShape();
        expr = element(arg, broadcastOffset(outShape, shape, outIndex));
      }
      std::string name = fresh("x");
      os << indent << "const " << computeType(type) << " " << name << " = " << expr << ";\n";
      expr = name;
    } else if (value.getDefiningOp<ConstantOp>()) {
      expr = element(value, "0");
      failed |= expr.empty();
    } else {
      Operation *op = value.getDefiningOp();
      SmallVector<std::string> operands;
      for (Value operand : op->getOperands())
        operands.push_back(valueOf(operand));
      if (failed)
        return "";
      std::string scalar = printScalarOp(op, operands);
      if (scalar.empty()) {
        op->emitOpError("has no GPU code generation for element type ")
            << getElementTypeOf(op->getOperand(0));
        failed = true;
        return "";
      }
      std::string name = fresh("v");
      os << indent << "const " << computeType(type) << " " << name << " = " << roundTo(type, scalar)
         << ";\n";
      expr = name;
    }
    known[value] = expr;
    return expr;
  };
  result = valueOf(block.getTerminator()->getOperand(0));
  return mlir::failure(failed);
}

LogicalResult KernelWriter::printStore(StringRef indent, StringRef anchorValue,
                                       StringRef outIndex) {
  std::string value;
  if (mlir::failed(printBody(indent, anchorValue, outIndex, value)))
    return failure();
  os << indent << resultName(0) << "[" << outIndex
     << "] = " << toStorage(resultType().getElementType(), value) << ";\n";
  return success();
}

LogicalResult KernelWriter::printStorePair(StringRef indent, StringRef anchorValue,
                                           StringRef nextAnchorValue, StringRef outIndex) {
  Type element = resultType().getElementType();
  if (storageBytes(element) != 2) {
    if (failed(printStore(indent, anchorValue, outIndex)))
      return failure();
    return printStore(indent, nextAnchorValue, ("(" + outIndex + ") + 1").str());
  }
  std::string first, second;
  if (failed(printBody(indent, anchorValue, outIndex, first)) ||
      failed(printBody(indent, nextAnchorValue, ("(" + outIndex + ") + 1").str(), second)))
    return failure();
  os << indent << "*reinterpret_cast<unsigned *>(&" << resultName(0) << "[" << outIndex
     << "]) = (unsigned)" << toStorage(element, first) << " | ((unsigned)"
     << toStorage(element, second) << " << 16);\n";
  return success();
}

void KernelWriter::printWarpReduce(StringRef indent, StringRef var, const Combine &combine) {
  os << indent << "for (int r1_m = R1_WARP / 2; r1_m > 0; r1_m >>= 1)\n"
     << indent << "  " << var << " = " << combine(var, ("r1_shfl_xor(" + var + ", r1_m)").str())
     << ";\n";
}

void KernelWriter::printBlockReduce(StringRef indent, StringRef var, StringRef type,
                                    StringRef identity, const Combine &combine, int64_t threads) {
  printWarpReduce(indent, var, combine);
  int64_t warps = threads / target.getWarpSize();
  if (warps <= 1)
    return;
  // Each warp's lane 0 leaves its partial value; then every warp combines
  // all of them, so every thread ends with the total and no broadcast step
  // is needed.
  std::string scratch = fresh("r1_partial");
  os << indent << "{\n"
     << indent << "  __shared__ " << type << " " << scratch << "[" << warps << "];\n"
     << indent << "  if (threadIdx.x % R1_WARP == 0)\n"
     << indent << "    " << scratch << "[threadIdx.x / R1_WARP] = " << var << ";\n"
     << indent << "  __syncthreads();\n"
     << indent << "  " << var << " = threadIdx.x % R1_WARP < " << warps << " ? " << scratch
     << "[threadIdx.x % R1_WARP] : " << identity << ";\n";
  printWarpReduce((indent + "  ").str(), var, combine);
  // The scratch is read by every warp before anyone may write it again.
  os << indent << "  __syncthreads();\n" << indent << "}\n";
}

std::string KernelWriter::fresh(StringRef prefix) {
  return (prefix + "_" + llvm::Twine(nextName++)).str();
}

int64_t KernelWriter::blocksFor(int64_t count, int64_t perBlock) {
  return std::max<int64_t>(1, (count + perBlock - 1) / perBlock);
}

} // namespace r1c::gpu
