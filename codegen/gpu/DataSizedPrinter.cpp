//===- DataSizedPrinter.cpp - non_zero and keep_leading -------------------===//
//
// The two halves of an op whose result size depends on the data, as the
// host has them (codegen/host/DataSizedAnchors.cpp).
//
// non_zero: the host places each
// nonzero element by how many came before it. One block does the same in
// three steps: each thread counts the nonzero elements of its contiguous
// chunk, one thread turns the counts into each chunk's first column (and
// the total), and each thread writes its chunk's coordinates from there;
// then the columns past the total are zeroed. Element order is kept, so the
// result is the host's exactly. One block suits the masks NonZero sees in
// models (thousands to a few million elements).
//
// keep_leading: a thread per element kept, reading the count from device
// memory, copies it to the front of the result (never over its input: the
// memory plan shares storage only within elementwise kernels); thread 0
// leaves the result's dims in the kernel's scratch, where the runtime reads
// them after the launches.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

} // namespace

LogicalResult printNonZeroKernel(KernelWriter &w) {
  auto op = cast<NonZeroOp>(w.anchor);
  auto type = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t elements = type.getNumElements();
  int64_t chunk = std::max<int64_t>(1, (elements + kThreads - 1) / kThreads);
  std::string x = w.element(op.getInput(), "r1_x");
  if (x.empty())
    return failure();
  std::string nonzero = "(" + x + " != " + KernelWriter::literal(type.getElementType(), 0) + ")";
  w.launch.grid = {1, 1, 1};
  w.launch.block = {kThreads, 1, 1};
  raw_ostream &os = w.os;
  os << "  __shared__ long long r1_first[" << kThreads << "];\n"
     << "  __shared__ long long r1_total;\n"
     << "  const long long r1_begin = (long long)threadIdx.x * " << chunk << "ll;\n"
     << "  const long long r1_end = r1_begin + " << chunk << "ll < " << elements
     << "ll ? r1_begin + " << chunk << "ll : " << elements << "ll;\n"
     << "  long long r1_mine = 0;\n"
     << "  for (long long r1_x = r1_begin; r1_x < r1_end; ++r1_x)\n"
     << "    r1_mine += " << nonzero << " ? 1 : 0;\n"
     << "  r1_first[threadIdx.x] = r1_mine;\n"
     << "  __syncthreads();\n"
     << "  if (threadIdx.x == 0) {\n"
     << "    long long r1_sum = 0;\n"
     << "    for (int r1_t = 0; r1_t < " << kThreads << "; ++r1_t) {\n"
     << "      const long long r1_c = r1_first[r1_t];\n"
     << "      r1_first[r1_t] = r1_sum;\n"
     << "      r1_sum += r1_c;\n"
     << "    }\n"
     << "    r1_total = r1_sum;\n"
     << "    r1[0] = r1_sum;\n"
     << "  }\n"
     << "  __syncthreads();\n"
     << "  long long r1_column = r1_first[threadIdx.x];\n"
     << "  for (long long r1_x = r1_begin; r1_x < r1_end; ++r1_x) {\n"
     << "    if (!" << nonzero << ")\n"
     << "      continue;\n"
     << "    long long r1_rest = r1_x;\n";
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    os << "    r0[" << d * elements << "ll + r1_column] = r1_rest"
       << (d > 0 ? " % " + std::to_string(shape[d]) + "ll" : "") << ";\n";
    if (d > 0)
      os << "    r1_rest /= " << shape[d] << "ll;\n";
  }
  os << "    ++r1_column;\n"
     << "  }\n"
     << "  for (long long r1_j = r1_total + threadIdx.x; r1_j < " << elements
     << "ll; r1_j += " << kThreads << ") {\n";
  for (int64_t d = 0; d < int64_t(shape.size()); ++d)
    os << "    r0[" << d * elements << "ll + r1_j] = 0;\n";
  os << "  }\n";
  return success();
}

LogicalResult printKeepLeadingKernel(KernelWriter &w) {
  auto op = cast<KeepLeadingOp>(w.anchor);
  auto type = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = *normalizeAxis(op.getAxis(), shape.size());
  int64_t extent = shape[axis];
  int64_t outer = productOfDims(shape.take_front(axis));
  int64_t inner = productOfDims(shape.drop_front(axis + 1));
  std::string count = w.element(op.getCount(), "0");
  std::string source = w.storageElement(op.getInput(), "r1_from");
  if (count.empty() || source.empty())
    return failure();
  w.launch.grid = {std::min(KernelWriter::blocksFor(type.getNumElements(), kThreads), kMaxBlocks),
                   1, 1};
  w.launch.block = {kThreads, 1, 1};
  w.launch.scratch = true;
  raw_ostream &os = w.os;
  os << "  long long r1_n = " << count << ";\n"
     << "  r1_n = r1_n < 0 ? 0 : (r1_n > " << extent << "ll ? " << extent << "ll : r1_n);\n"
     << "  const long long r1_row = r1_n * " << inner << "ll;\n"
     << "  for (long long r1_j = (long long)blockIdx.x * " << kThreads << " + threadIdx.x; r1_j < "
     << outer << "ll * r1_row; r1_j += (long long)gridDim.x * " << kThreads << ") {\n"
     << "    const long long r1_o = r1_j / r1_row;\n"
     << "    const r1_i r1_from = (r1_i)(r1_o * " << extent * inner
     << "ll + (r1_j - r1_o * r1_row));\n"
     << "    r0[r1_j] = " << source << ";\n"
     << "  }\n"
     << "  if (blockIdx.x == 0 && threadIdx.x == 0) {\n"
     << "    long long *r1_dims = (long long *)r1_scratch;\n";
  for (auto [d, dim] : llvm::enumerate(shape))
    os << "    r1_dims[" << d
       << "] = " << (int64_t(d) == axis ? "r1_n" : std::to_string(dim) + "ll") << ";\n";
  os << "  }\n";
  return success();
}

} // namespace r1c::gpu
