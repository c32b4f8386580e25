//===- KernelPrinter.cpp - Dispatch to a template, assemble the function --===//
//
// Checks what every template relies on (static shapes, element types with a
// GPU spelling, a fused body that is one chain after the anchor), picks
// the anchor's template, and wraps the printed body in the function: its
// parameters, its index type and __launch_bounds__. The function is named
// after a hash of the whole source, so identical kernels (the layers of a
// transformer, the buckets of a batch) compile once.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelPrinter.h"
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/xxhash.h"

#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

/// Stands for the function's name until the source is hashed.
constexpr llvm::StringLiteral kSymbolPlaceholder = "R1_KERNEL_SYMBOL";

void collectNodeNames(Location loc, std::vector<std::string> &names) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (!llvm::is_contained(names, name.getName().str()))
      names.push_back(name.getName().str());
  } else if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      collectNodeNames(inner, names);
}

std::string describeType(RankedTensorType type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type.getElementType() << "[";
  // A dim the data decide (keep_leading's) prints as "?".
  llvm::interleave(
      type.getShape(), os,
      [&](int64_t dim) { ShapedType::isDynamic(dim) ? void(os << "?") : void(os << dim); }, ",");
  os << "]";
  return text;
}

/// Reports the first value GPU code cannot hold: a dynamic or unranked
/// shape, or an element type without a C++ spelling.
LogicalResult checkValue(Value value, Operation *at) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return at->emitOpError("has a value of type ")
           << value.getType() << ", which GPU code cannot hold";
  // keep_leading writes its dims where the runtime reads them; other ops
  // whose dims the data decide have no GPU code yet.
  bool dataSized = !type.hasStaticShape() && r1k::getDataDependentShapeBound(value);
  if (dataSized && !value.getDefiningOp<KeepLeadingOp>())
    return at->emitError("its result's size depends on the data (")
           << type << "); GPU targets do not support such results yet, the host target does";
  if (!type.hasStaticShape() && !dataSized)
    return at->emitOpError("has a tensor with a dynamic dim (")
           << type << "); GPU code needs static shapes";
  if (KernelWriter::computeType(type.getElementType()).empty())
    return at->emitOpError("uses element type ")
           << type.getElementType() << ", which has no GPU code yet";
  return success();
}

LogicalResult checkKernel(r1k::KernelOp kernel, Operation *anchor) {
  Block &body = kernel.getBody().front();
  for (BlockArgument arg : body.getArguments())
    if (failed(checkValue(arg, kernel)))
      return failure();
  for (Operation &op : body.without_terminator())
    for (Value result : op.getResults())
      if (failed(checkValue(result, &op)))
        return failure();
  Operation *yield = body.getTerminator();
  bool fused = anchor && yield->getOperand(0) != anchor->getResult(0);
  if ((!anchor || fused) && kernel.getNumResults() != 1)
    return kernel.emitOpError("with several results and a fused body has no GPU code yet");
  if (!anchor)
    return success();
  for (Operation &op : body.without_terminator()) {
    if (&op == anchor)
      break;
    if (!isa<ConstantOp>(op))
      return op.emitOpError("runs before the anchor of kernel '")
             << kernel.getName() << "'; GPU code fuses only bodies after it";
  }
  // Templates read anchor operands from parameters, or as literals.
  for (Value operand : anchor->getOperands()) {
    if (isa<BlockArgument>(operand))
      continue;
    auto constant = operand.getDefiningOp<ConstantOp>();
    auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
    if (!dense || !dense.isSplat())
      return anchor->emitOpError("has an operand GPU code cannot read in kernel '")
             << kernel.getName() << "' (only kernel inputs and splat constants)";
  }
  // Every fused op computes one element of the result from the same element
  // of the anchor's result, so each has the result's shape.
  ArrayRef<int64_t> shape = cast<RankedTensorType>(kernel.getResult(0).getType()).getShape();
  for (Operation *op = anchor->getNextNode(); fused && op != yield; op = op->getNextNode())
    if (!isa<ConstantOp>(op) &&
        cast<RankedTensorType>(op->getResult(0).getType()).getShape() != shape)
      return op->emitOpError("in the fused body of kernel '")
             << kernel.getName() << "' changes the shape; GPU code cannot fuse it";
  return success();
}

/// Whether some tensor of the kernel has too many elements for int indices.
bool needsWideIndex(r1k::KernelOp kernel) {
  auto tooLarge = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.hasStaticShape() &&
           tensor.getNumElements() > std::numeric_limits<int32_t>::max() / 2;
  };
  bool wide = llvm::any_of(kernel.getResultTypes(), tooLarge) ||
              llvm::any_of(kernel.getBody().getArgumentTypes(), tooLarge);
  kernel.getBody().walk(
      [&](Operation *op) { wide = wide || llvm::any_of(op->getResultTypes(), tooLarge); });
  return wide;
}

LogicalResult dispatch(KernelWriter &w) {
  if (!w.anchor)
    return printElementwiseKernel(w);
  using Printer = LogicalResult (*)(KernelWriter &);
  Printer printer =
      llvm::TypeSwitch<Operation *, Printer>(w.anchor)
          .Case<MatMulOp>([](auto) { return printMatMulKernel; })
          .Case<ConvOp>([](auto) { return printConvKernel; })
          .Case<MaxPoolOp, AveragePoolOp>([](auto) { return printPoolKernel; })
          .Case<BatchNormOp>([](auto) { return printBatchNormKernel; })
          .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
              [](auto) { return printReduceKernel; })
          .Case<ArgMaxOp, ArgMinOp>([](auto) { return printArgReduceKernel; })
          .Case<SoftmaxOp, LogSoftmaxOp>([](auto) { return printSoftmaxKernel; })
          .Case<LayerNormOp>([](auto) { return printLayerNormKernel; })
          .Case<TransposeOp, ExpandOp, SliceOp, GatherOp, GatherElementsOp, GatherNDOp, ConcatOp,
                SplitOp, TileOp, RangeOp, ConstantOfShapeOp, TriluOp, PadOp>(
              [](auto) { return printMovementKernel; })
          .Case<ScatterElementsOp, ScatterNDOp>([](auto) { return printScatterKernel; })
          .Case<TopKOp>([](auto) { return printTopKKernel; })
          .Case<NonMaxSuppressionOp>([](auto) { return printNonMaxSuppressionKernel; })
          .Case<NonZeroOp>([](auto) { return printNonZeroKernel; })
          .Case<KeepLeadingOp>([](auto) { return printKeepLeadingKernel; })
          .Case<RecurrenceOp>([](auto) { return printRecurrenceKernel; })
          .Case<AttentionOp>([](auto) { return printAttentionKernel; })
          .Default([](Operation *) { return nullptr; });
  if (!printer)
    return w.anchor->emitOpError("has no GPU code generation yet (kernel '")
           << w.kernel.getName() << "')";
  return printer(w);
}

} // namespace

std::string joinNodes(const std::vector<std::string> &nodes) { return llvm::join(nodes, ", "); }

FailureOr<std::vector<PrintedKernel>> printKernel(r1k::KernelOp kernel, const TargetInfo &target) {
  Block &body = kernel.getBody().front();
  Operation *anchor = nullptr;
  for (Operation &op : body.without_terminator())
    if (!isElementwise(&op) && !isa<ConstantOp>(op)) {
      anchor = &op;
      break;
    }
  if (failed(checkKernel(kernel, anchor)))
    return failure();

  KernelWriter w(kernel, anchor, target);
  w.wideIndex = needsWideIndex(kernel);
  if (failed(dispatch(w)))
    return failure();

  std::vector<std::string> nodes;
  for (Operation &op : body.without_terminator())
    if (!isa<ConstantOp>(op))
      collectNodeNames(op.getLoc(), nodes);
  // Each launch is a function of the kernel's parameters.
  auto assemble = [&](StringRef suffix, StringRef functionBody, const LaunchShape &launch) {
    PrintedKernel printed;
    std::string withSuffix = suffix.empty() ? "" : "_" + suffix.str();
    printed.kernelName = kernel.getName().str() + withSuffix;
    printed.nodes = nodes;
    printed.launch = launch;

    // An elementwise kernel may write over one of its inputs (the memory
    // plan's in-place reuse), so only other kernels promise no aliasing.
    StringRef restrict = anchor ? " __restrict__" : "";
    int64_t threads = launch.block[0] * launch.block[1] * launch.block[2];
    std::string function;
    llvm::raw_string_ostream os(function);
    os << "// r1c section: kernel\nextern \"C\" __global__ void __launch_bounds__(" << threads
       << ") " << kSymbolPlaceholder << "(";
    std::string separator;
    for (BlockArgument arg : body.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      std::string name = KernelWriter::inputName(arg.getArgNumber());
      os << separator << "const " << KernelWriter::storageType(type.getElementType()) << " *"
         << restrict << " " << name;
      printed.parameters.push_back({name, type, false});
      separator = ",\n    ";
    }
    for (auto [index, type] : llvm::enumerate(kernel.getResultTypes())) {
      auto tensor = cast<RankedTensorType>(type);
      std::string name = KernelWriter::resultName(index);
      os << separator << KernelWriter::storageType(tensor.getElementType()) << " *" << restrict
         << " " << name;
      printed.parameters.push_back({name, tensor, true});
      separator = ",\n    ";
    }
    if (launch.scratch)
      os << separator << "unsigned char *" << restrict << " r1_scratch";
    os << ") {\n"
       << "  typedef " << (w.wideIndex ? "long long" : "int") << " r1_i;\n"
       << functionBody << "}\n";

    std::string source = target.getPreamble() + function;
    uint64_t hash = llvm::xxh3_64bits(source);
    printed.symbol = "r1_" + kernel.getAnchor().str() + withSuffix + "_" +
                     llvm::utohexstr(hash, /*LowerCase=*/true);
    size_t at = source.find(kSymbolPlaceholder);
    source.replace(at, kSymbolPlaceholder.size(), printed.symbol);
    printed.source = std::move(source);
    return printed;
  };
  std::vector<PrintedKernel> launches;
  for (const KernelWriter::EarlierLaunch &earlier : w.earlierLaunches)
    launches.push_back(assemble(earlier.suffix, earlier.body, earlier.launch));
  launches.push_back(assemble("", w.body, w.launch));
  return launches;
}

std::string describeKernel(const PrintedKernel &kernel, const TargetInfo &target) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const LaunchShape &launch = kernel.launch;
  os << "// Kernel " << kernel.kernelName << " for " << target.getArch() << " ("
     << target.getLanguageName() << "), from ONNX nodes " << joinNodes(kernel.nodes) << ".\n"
     << "// Launch: grid (" << launch.grid[0] << ", " << launch.grid[1] << ", " << launch.grid[2]
     << "), block (" << launch.block[0] << ", " << launch.block[1] << ", " << launch.block[2]
     << "), " << launch.sharedBytes << " bytes of dynamic shared memory.\n"
     << "// Parameters:";
  for (const KernelParameter &parameter : kernel.parameters)
    os << " " << parameter.name << " " << describeType(parameter.type)
       << (parameter.isResult ? " (result)" : "");
  os << "\n";
  return text;
}

} // namespace r1c::gpu
