//===- ContractionPrinter.cpp - matmul as a batched tiled GEMM -------------===//
//
// numpy matmul: 1-D operands become a row (lhs) or a column (rhs), batch
// dims broadcast. Block z walks the batch; each operand's batch offset is
// its broadcast offset, as on the host. The product itself is the GEMM
// template of GemmPrinter.cpp.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/GemmDims.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {

LogicalResult printMatMulKernel(KernelWriter &w) {
  auto op = cast<MatMulOp>(w.anchor);
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto c = cast<RankedTensorType>(op.getType());
  // The operands share one type (the verifier's rule), which the templates
  // stage and multiply; the result is that type or, for 16-bit operands,
  // f32: the templates' accumulators are f32 either way, so only the store
  // differs.
  Type element = a.getElementType();
  Type resultElement = c.getElementType();
  // The GEMM as the host reads it too: A's batch dims fold into M when B
  // is one matrix for all of them.
  r1k::GemmDims dims = r1k::getGemmDims(op);
  int64_t m = dims.m, k = dims.k, n = dims.n;
  ArrayRef<int64_t> aBatch = dims.aBatch, bBatch = dims.bBatch, batch = dims.batch;

  // The GEMM the variant was chosen for (the same dims, read once for
  // both).
  r1k::GpuGemmShape shape = *r1k::getGpuGemmShape(op);
  GemmProblem p;
  p.batch = shape.batch;
  p.m = shape.m;
  p.n = shape.n;
  p.k = shape.k;
  p.element = element;
  p.printSetup = [&](raw_ostream &os, StringRef indent) {
    os << indent << "const r1_i r1_abase = ("
       << KernelWriter::broadcastOffset(batch, aBatch, "r1_b") << ") * " << w.index(m * k) << ";\n"
       << indent << "const r1_i r1_bbase = ("
       << KernelWriter::broadcastOffset(batch, bBatch, "r1_b") << ") * " << w.index(k * n) << ";\n"
       << indent << "const r1_i r1_cbase = r1_b * " << w.index(m * n) << ";\n";
  };
  p.loadA = [&](raw_ostream &os, StringRef indent, StringRef row, StringRef col, StringRef dst) {
    os << indent << dst << " = "
       << w.storageElement(op.getLhs(),
                           ("r1_abase + " + row + " * " + w.index(k) + " + " + col).str())
       << ";\n";
  };
  p.loadB = [&](raw_ostream &os, StringRef indent, StringRef row, StringRef col, StringRef dst) {
    os << indent << dst << " = "
       << w.storageElement(op.getRhs(),
                           ("r1_bbase + " + row + " * " + w.index(n) + " + " + col).str())
       << ";\n";
  };
  // Both operands are kernel inputs whose rows lie one after another.
  auto addressOf = [&](Value operand, StringRef base,
                       int64_t rowLength) -> std::function<std::string(StringRef, StringRef)> {
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg)
      return nullptr;
    return [&w, name = KernelWriter::inputName(arg.getArgNumber()), base = base.str(),
            length = w.index(rowLength)](StringRef row, StringRef col) {
      return ("&" + name + "[" + base + " + " + row + " * " + length + " + " + col + "]").str();
    };
  };
  p.addressA = addressOf(op.getLhs(), "r1_abase", k);
  p.addressB = addressOf(op.getRhs(), "r1_bbase", n);
  p.store = [&](StringRef indent, StringRef row, StringRef col, StringRef acc) {
    // The anchor's value is the product in its result's element type.
    return w.printStore(indent, KernelWriter::roundTo(resultElement, acc),
                        ("r1_cbase + " + row + " * " + w.index(n) + " + " + col).str());
  };
  // 16-bit results in rows of even length: two neighbours of a row are one
  // aligned 32-bit word.
  if (KernelWriter::storageBytes(w.resultType().getElementType()) == 2 && n % 2 == 0 &&
      w.kernel.getNumResults() == 1)
    p.storePair = [&](StringRef indent, StringRef row, StringRef col, StringRef acc,
                      StringRef nextAcc) {
      return w.printStorePair(indent, KernelWriter::roundTo(resultElement, acc),
                              KernelWriter::roundTo(resultElement, nextAcc),
                              ("r1_cbase + " + row + " * " + w.index(n) + " + " + col).str());
    };
  return printGemm(w, p);
}

} // namespace r1c::gpu
