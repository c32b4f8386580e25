//===- ElementwisePrinter.cpp - Kernels of elementwise ops only ------------===//
//
// One thread per output element in a grid-stride loop. When every input is
// either of the result's shape or a single element, each thread computes
// the consecutive elements of one 16-byte access of the widest element type
// instead (8 halves, 4 floats; an f32 input of an f16 result makes it 4,
// read as 16 and stored as 8 bytes), one vector load or store per tensor.
// Both read an element before writing it, so an input the memory plan
// shares with the result is safe.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"

using namespace mlir;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 256;
/// Enough blocks to fill any GPU; the loop strides over the rest.
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

/// How many consecutive elements of the result a thread computes with one
/// access per full-size tensor: 16 bytes of the widest element among the
/// result and the full-size inputs the body reads (8 halves, 4 floats).
/// 1 when an input is neither of the result's shape nor a single element,
/// or when the lanes do not divide the result.
int64_t vectorLanes(KernelWriter &w) {
  RankedTensorType out = w.resultType();
  int64_t widest = KernelWriter::storageBytes(out.getElementType());
  for (BlockArgument arg : w.kernel.getBody().getArguments()) {
    if (arg.use_empty())
      continue;
    auto type = cast<RankedTensorType>(arg.getType());
    if (type.getNumElements() == 1)
      continue;
    if (type.getShape() != out.getShape())
      return 1;
    widest = std::max(widest, KernelWriter::storageBytes(type.getElementType()));
  }
  if (widest > 8 || 16 % widest != 0)
    return 1;
  int64_t lanes = 16 / widest;
  return out.getNumElements() % lanes == 0 ? lanes : 1;
}

LogicalResult printVectorized(KernelWriter &w, int64_t lanes) {
  RankedTensorType out = w.resultType();
  int64_t vectors = out.getNumElements() / lanes;
  llvm::raw_ostream &os = w.os;
  os << "  for (r1_i r1_v = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_v < "
     << w.index(vectors) << "; r1_v += (r1_i)gridDim.x * " << kThreads << ") {\n";
  // Whole vectors of every full-size input first: an input shared with the
  // result is read before the store.
  SmallVector<std::string> vectorOf(w.kernel.getBody().getNumArguments());
  for (BlockArgument arg : w.kernel.getBody().getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (arg.use_empty() || type.getNumElements() == 1)
      continue;
    std::string name = "r1_in" + std::to_string(arg.getArgNumber());
    std::string vector = KernelWriter::vectorType(type.getElementType(), lanes);
    os << "    const " << vector << " " << name << " = reinterpret_cast<const " << vector << " *>("
       << KernelWriter::inputName(arg.getArgNumber()) << ")[r1_v];\n";
    vectorOf[arg.getArgNumber()] = name;
  }
  std::string outVector = KernelWriter::vectorType(out.getElementType(), lanes);
  os << "    " << outVector << " r1_out;\n";
  for (int64_t lane = 0; lane < lanes; ++lane) {
    os << "    {\n";
    std::string value;
    std::string outIndex = std::to_string(lanes) + " * r1_v + " + std::to_string(lane);
    auto read = [&](BlockArgument arg) {
      const std::string &vector = vectorOf[arg.getArgNumber()];
      if (vector.empty())
        return w.element(arg, "0");
      return KernelWriter::fromStorage(cast<RankedTensorType>(arg.getType()).getElementType(),
                                       vector + ".v[" + std::to_string(lane) + "]");
    };
    if (failed(w.printBody("      ", "", outIndex, value, read)))
      return failure();
    os << "      r1_out.v[" << lane
       << "] = " << KernelWriter::toStorage(out.getElementType(), value) << ";\n    }\n";
  }
  os << "    reinterpret_cast<" << outVector << " *>(" << KernelWriter::resultName(0)
     << ")[r1_v] = r1_out;\n"
     << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(vectors, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

} // namespace

LogicalResult printElementwiseKernel(KernelWriter &w) {
  if (int64_t lanes = vectorLanes(w); lanes > 1)
    return printVectorized(w, lanes);
  int64_t count = w.resultType().getNumElements();
  w.os << "  for (r1_i r1_o = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_o < "
       << w.index(count) << "; r1_o += (r1_i)gridDim.x * " << kThreads << ") {\n";
  if (failed(w.printStore("    ", "", "r1_o")))
    return failure();
  w.os << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(count, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

} // namespace r1c::gpu
