//===- ElementwisePrinter.cpp - Kernels of elementwise ops only ------------===//
//
// One thread per output element in a grid-stride loop. When every input is
// either of the result's shape or a single element and the f32 result has
// a multiple of four elements, each thread moves four elements with 16-byte
// loads and stores instead. Both read an element before writing it, so an
// input the memory plan shares with the result is safe.
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

/// Whether four consecutive elements of the result can be computed from
/// 16-byte loads: every input the body reads is of the result's shape and
/// f32, or a single element.
bool canVectorize(KernelWriter &w) {
  RankedTensorType out = w.resultType();
  if (!out.getElementType().isF32() || out.getNumElements() % 4 != 0)
    return false;
  for (BlockArgument arg : w.kernel.getBody().getArguments()) {
    if (arg.use_empty())
      continue;
    auto type = cast<RankedTensorType>(arg.getType());
    if (type.getNumElements() == 1)
      continue;
    if (type.getShape() != out.getShape() || !type.getElementType().isF32())
      return false;
  }
  return true;
}

LogicalResult printVectorized(KernelWriter &w) {
  RankedTensorType out = w.resultType();
  int64_t vectors = out.getNumElements() / 4;
  llvm::raw_ostream &os = w.os;
  os << "  for (r1_i r1_v = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_v < "
     << w.index(vectors) << "; r1_v += (r1_i)gridDim.x * " << kThreads << ") {\n";
  // Whole vectors of every full-size input first: an input shared with the
  // result is read before the store.
  SmallVector<std::string> vectorOf(w.kernel.getBody().getNumArguments());
  for (BlockArgument arg : w.kernel.getBody().getArguments()) {
    if (arg.use_empty() || cast<RankedTensorType>(arg.getType()).getNumElements() == 1)
      continue;
    std::string name = "r1_in" + std::to_string(arg.getArgNumber());
    os << "    const r1_f32x4 " << name << " = reinterpret_cast<const r1_f32x4 *>("
       << KernelWriter::inputName(arg.getArgNumber()) << ")[r1_v];\n";
    vectorOf[arg.getArgNumber()] = name;
  }
  os << "    r1_f32x4 r1_out;\n";
  for (int lane = 0; lane < 4; ++lane) {
    os << "    {\n";
    std::string value;
    std::string outIndex = "4 * r1_v + " + std::to_string(lane);
    auto read = [&](BlockArgument arg) {
      const std::string &vector = vectorOf[arg.getArgNumber()];
      return vector.empty() ? w.element(arg, "0") : vector + ".v[" + std::to_string(lane) + "]";
    };
    if (failed(w.printBody("      ", "", outIndex, value, read)))
      return failure();
    os << "      r1_out.v[" << lane << "] = " << value << ";\n    }\n";
  }
  os << "    reinterpret_cast<r1_f32x4 *>(" << KernelWriter::resultName(0) << ")[r1_v] = r1_out;\n"
     << "  }\n";
  w.launch.grid = {std::min(KernelWriter::blocksFor(vectors, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  return success();
}

} // namespace

LogicalResult printElementwiseKernel(KernelWriter &w) {
  if (canVectorize(w))
    return printVectorized(w);
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
