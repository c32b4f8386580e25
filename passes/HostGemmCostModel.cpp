//===- HostGemmCostModel.cpp - Candidates and scores for host matmuls -----===//
//
// The model counts cycles of one core and then shares them among the
// target's cores:
//
// - the micro-kernel: per step of k an MR x NR block issues MR * NR / W
//   FMAs, NR / W vector loads and MR broadcasts; a step takes the longest
//   of its FMAs at the target's FMA rate, its loads at 1.75 a cycle, and the
//   FMA latency (each accumulator is updated once a step), so small blocks
//   are charged for the chains they cannot keep in flight;
// - tails: the last row group and panel run their own, narrower blocks;
// - caches: A streams from L2, and so does a KC x NR panel of B that does
//   not fit half of L1, at L2's bandwidth; an MC x KC block of A beyond
//   half of L2 comes from memory;
// - traffic: sums that leave registers between K steps, packing B at run
//   time (per task, or once per call into scratch that every M block then
//   reads back), and B read in place with a stride that maps rows onto few
//   cache sets;
// - threads: blocks are tasks; a target with C cores finishes after
//   ceil(tasks / C) rounds, plus the cost of starting them. They are numbered so that consecutive ones share
//   the block of the operand that would otherwise stream from memory more
//   often (m_inner: B's; else A's).
//
// The constants are what Zen 4/5 and Sapphire Rapids cores have in common;
// measured tuning (--tune) corrects what they miss.
//
//===----------------------------------------------------------------------===//
#include "passes/HostGemmCostModel.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

constexpr double kFmaLatency = 4;
/// vdpbf16ps: one instruction per pair of k, a little longer in flight.
constexpr double kDotLatency = 6;
/// Loads a step issues per cycle: below the two ports, as blocks of one
/// vector (a broadcast per FMA) measure slower than the ports predict.
constexpr double kLoadsPerCycle = 1.75;
/// Bytes a core moves per cycle from L2, and from L3 or memory.
constexpr double kL2BytesPerCycle = 32;
constexpr double kMemoryBytesPerCycle = 8;
constexpr double kL3BytesPerCycle = 16;
/// Cycles of a micro-kernel call beyond its steps: loading and storing the
/// block's sums, and the loop around it.
constexpr double kCallCycles = 24;
/// Cycles per element of a convolution's im2col panels, written by a
/// masked row load per output row a vector spans with the masks made once
/// per tap, as measured on 3x3 convolutions over 14 x 14 images (Zen 5).
constexpr double kIm2colCyclesPerElement = 0.4;
/// Ways of an L1 data cache set (Zen 4/5 and Golden Cove: 12).
constexpr int64_t kL1Ways = 12;
/// Cycles from handing tasks to the thread pool until the last one ends
/// beyond their work: waking the workers and waiting for the slowest. A
/// GEMM of a few microseconds runs faster as one task.
constexpr double kParallelStartCycles = 8000;
/// Run-time packing keeps its KC x NC block of B, and its MC x KC block of
/// A, on the stack.
constexpr int64_t kMaxStackPackABytes = 192 * 1024;
constexpr int64_t kMaxStackPackBytes = 256 * 1024;
/// Per-call packing writes all of B to arena scratch; beyond this it
/// would stream from memory every M block.
constexpr int64_t kMaxPerCallPackBytes = 16 << 20;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// Cycles of one step of k for a rows x vectors block.
/// Cycles of one step of k for a rows x vectors block. `l2Bytes`: what
/// the step reads from L2 rather than L1 (A's elements, and B's vectors
/// when their panel does not stay in L1), which L2 must deliver in time.
double stepCycles(int64_t rows, int64_t vectors, double fmaPerCycle, double l2Bytes,
                  double latency = kFmaLatency) {
  double fmas = double(rows * vectors) / fmaPerCycle;
  double loads = double(rows + vectors) / kLoadsPerCycle;
  return std::max({fmas, loads, latency, l2Bytes / kL2BytesPerCycle});
}

/// Block sizes to try along one dim: multiples of `unit`, the whole
/// (rounded) extent among them, none above it.
std::vector<int64_t> blockSizes(int64_t extent, int64_t unit, std::initializer_list<int64_t> sizes) {
  int64_t whole = roundUp(extent, unit);
  std::vector<int64_t> result;
  for (int64_t size : sizes) {
    int64_t rounded = std::max(unit, size / unit * unit);
    if (rounded < whole && !llvm::is_contained(result, rounded))
      result.push_back(rounded);
  }
  result.push_back(whole);
  return result;
}

void score(GemmCandidate &candidate, const GemmProblem &p, r1k::TargetAttr target) {
  double fmaPerCycle = std::max<int64_t>(1, target.getFmaPerCycle());
  int64_t vectors = candidate.nr / candidate.vector;
  int64_t fullGroups = p.m / candidate.mr, rowTail = p.m % candidate.mr;
  int64_t panels = ceilDiv(p.n, candidate.nr);
  int64_t kBlocks = ceilDiv(p.k, candidate.kc);
  int64_t mBlocks = ceilDiv(p.m, candidate.mc), nBlocks = ceilDiv(p.n, candidate.nc);
  std::string notes;
  llvm::raw_string_ostream log(notes);

  // A streams from L2; a KC x NR panel of B that fits half of L1 stays
  // there for the block's row groups, else it streams from L2 as well.
  double panelBytes = double(candidate.kc) * candidate.nr * p.elementBytes;
  bool panelInL1 = panelBytes <= target.getL1Bytes() / 2.0;
  // A step of vdpbf16ps takes a pair of k: half the steps, each reading
  // twice the elements.
  bool pairs = candidate.dot == r1k::HostDot::dpbf16;
  int64_t kSteps = pairs ? ceilDiv(p.k, 2) : p.k;
  double latency = pairs ? kDotLatency : kFmaLatency;
  auto l2BytesOf = [&](int64_t rows) {
    return double(rows + (panelInL1 ? 0 : candidate.nr)) * p.elementBytes * (pairs ? 2 : 1);
  };
  if (!panelInL1)
    log << "B panel " << int64_t(panelBytes / 1024) << " KiB streams from L2; ";
  double perPanelStep =
      fullGroups *
          stepCycles(candidate.mr, vectors, fmaPerCycle, l2BytesOf(candidate.mr), latency) +
      (rowTail ? stepCycles(rowTail, vectors, fmaPerCycle, l2BytesOf(rowTail), latency) : 0);
  double cycles = double(p.batch) * kSteps * panels * perPanelStep;
  double calls = double(p.batch) * kBlocks * ceilDiv(p.m, candidate.mr) * panels;
  cycles += calls * (kCallCycles + candidate.mr * vectors);

  // Cache fit of the A block (L2).
  double aBlockBytes = double(candidate.mc) * candidate.kc * p.elementBytes;
  if (aBlockBytes > target.getL2Bytes() / 2.0) {
    double extra = double(p.batch) * p.m * p.k * p.elementBytes * panels / kMemoryBytesPerCycle /
                   std::max<int64_t>(1, candidate.nc / candidate.nr);
    cycles += extra;
    log << "A block " << int64_t(aBlockBytes / 1024) << " KiB > L2/2; ";
  }
  // A read in place: the MR rows a step broadcasts from lie a row apart;
  // a row of a multiple of 4 KiB puts them all in one L1 set, and more rows
  // than the set has ways evict each other every step. Packed: one stream,
  // at the price of a copy of A per N block.
  int64_t rowBytes = p.k * p.elementBytes;
  if (candidate.packA) {
    cycles += 2.0 * p.batch * nBlocks * p.m * p.k * p.elementBytes / kL2BytesPerCycle;
    log << "packs A per task; ";
  } else if (rowBytes % 4096 == 0 && candidate.mr > kL1Ways) {
    cycles *= 1 + 0.1 * (candidate.mr - kL1Ways);
    log << "A rows alias in L1 (" << rowBytes << " B apart); ";
  } else if (rowBytes % 1024 == 0 && candidate.mr > 2 * kL1Ways) {
    cycles *= 1 + 0.05 * (candidate.mr - 2 * kL1Ways);
    log << "A rows share L1 sets; ";
  }
  // Sums that round-trip through C between K steps.
  if (kBlocks > 1) {
    cycles += double(p.batch) * p.m * p.n * 8 * (kBlocks - 1) / kL2BytesPerCycle;
    log << kBlocks << " K steps; ";
  }
  switch (candidate.packB) {
  case r1k::Packing::run_time: {
    // Each M block packs its B columns again: a copy of rows, or a gather
    // of a convolution's windows, element by element.
    double elements = double(p.batch) * mBlocks * p.k * roundUp(p.n, candidate.nr);
    cycles += p.inPlaceB ? 2 * elements * p.elementBytes / kL2BytesPerCycle
                         : elements * kIm2colCyclesPerElement;
    log << "packs B per task" << (p.inPlaceB ? "" : " (gathered)") << "; ";
    break;
  }
  case r1k::Packing::none: {
    // Rows of B one stride apart: a stride of a multiple of 1 KiB maps the
    // panel's rows onto a few L1 sets, and they evict each other.
    int64_t strideBytes = p.n * p.elementBytes;
    double penalty = strideBytes % 1024 == 0 && candidate.kc > 16 ? 0.5 : 0.1;
    if (p.k * strideBytes <= target.getL1Bytes() / 2)
      penalty = 0;
    cycles *= 1 + penalty;
    if (penalty > 0)
      log << "B in place, stride " << strideBytes << " B; ";
    break;
  }
  case r1k::Packing::per_call: {
    // Every M block reads the packed panels back, from L2 when they fit
    // half of it, else from L3.
    double bytes = double(p.batch) * p.k * roundUp(p.n, candidate.nr) * p.elementBytes;
    double perCycle = bytes <= target.getL2Bytes() / 2.0 ? kL2BytesPerCycle : kL3BytesPerCycle;
    cycles += mBlocks * bytes / perCycle;
    log << "packs B once per call (" << int64_t(bytes / 1024) << " KiB); ";
    break;
  }
  case r1k::Packing::compile_time:
    break;
  }
  // Threads: whole rounds of tasks.
  int64_t tasks = p.batch * mBlocks * nBlocks;
  int64_t cores = std::max<int64_t>(1, target.getCores());
  double rounds = double(ceilDiv(tasks, cores));
  double balanced = cycles / cores;
  candidate.cycles = cycles / tasks * rounds;
  if (candidate.cycles > balanced * 1.001)
    log << tasks << " tasks on " << cores << " cores; ";
  if (tasks > 1 && cores > 1)
    candidate.cycles += kParallelStartCycles;
  if (candidate.packB == r1k::Packing::per_call) {
    // The packing phase: one copy, or one gather, of B, its panels split
    // among the cores.
    double elements = double(p.batch) * p.k * roundUp(p.n, candidate.nr);
    double pack = p.inPlaceB ? 2 * elements * p.elementBytes / kL2BytesPerCycle
                             : elements * kIm2colCyclesPerElement;
    candidate.cycles += pack / cores + (cores > 1 ? kParallelStartCycles : 0);
  }
  candidate.notes = notes;
}

} // namespace

Operation *getContractionAnchor(r1k::KernelOp kernel) {
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (isa<MatMulOp, ConvOp>(op))
      return &op;
  return nullptr;
}

/// A convolution runs as a GEMM when each group's filters and taps make
/// one worth blocking: a depthwise convolution (one filter a group, nine
/// taps) keeps its direct loop nest.
constexpr int64_t kMinConvGemmRows = 8, kMinConvGemmDepth = 8;

std::optional<GemmProblem> getGemmProblem(r1k::KernelOp kernel, bool packWeights) {
  Operation *anchor = getContractionAnchor(kernel);
  if (!anchor)
    return std::nullopt;
  auto result = cast<RankedTensorType>(anchor->getResult(0).getType());
  // The operands' element type; the result's is the same, or f32 sums of
  // 16-bit operands.
  Type element = getElementTypeOrSelf(anchor->getOperand(0).getType());
  Type resultElement = result.getElementType();
  if (!result.hasStaticShape() || !(element.isF32() || element.isF16() || element.isBF16()) ||
      !isContractionResultElement(element, resultElement))
    return std::nullopt;
  // The templates address operands as kernel inputs; a splat constant
  // copied into the body keeps the reference loop nest.
  if (!llvm::all_of(anchor->getOperands(),
                    [](Value operand) { return !operand || isa<BlockArgument>(operand); }))
    return std::nullopt;
  GemmProblem problem;
  r1k::GemmDims dims;
  if (auto conv = dyn_cast<ConvOp>(anchor)) {
    // A bias has the operands' element type or the result's.
    for (Value operand : conv->getOperands())
      if (operand && getElementTypeOrSelf(operand.getType()) != element &&
          getElementTypeOrSelf(operand.getType()) != resultElement)
        return std::nullopt;
    dims = r1k::getGemmDims(conv);
    if (dims.m < kMinConvGemmRows || dims.k < kMinConvGemmDepth)
      return std::nullopt;
    // B is the image, gathered at run time; in place when pointwise.
    problem.inPlaceB = llvm::all_of(conv.getStrides(), [](int64_t s) { return s == 1; }) &&
                       llvm::all_of(conv.getPads(), [](int64_t p) { return p == 0; }) &&
                       dims.k == int64_t(cast<RankedTensorType>(conv.getInput().getType()).getDimSize(1) /
                                     conv.getGroup());
  } else {
    auto matmul = cast<MatMulOp>(anchor);
    if (getElementTypeOrSelf(matmul.getLhs().getType()) != element ||
        getElementTypeOrSelf(matmul.getRhs().getType()) != element)
      return std::nullopt;
    dims = r1k::getGemmDims(matmul);
    // B packed at compile time: a 2-D weight outside the kernel.
    auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
    problem.packableWeight =
        packWeights && arg && cast<RankedTensorType>(matmul.getRhs().getType()).getRank() == 2 &&
        kernel.getInputs()[arg.getArgNumber()].getDefiningOp<ConstantOp>();
  }
  problem.m = dims.m;
  problem.n = dims.n;
  problem.k = dims.k;
  problem.batch = 1;
  for (int64_t dim : dims.batch)
    problem.batch *= dim;
  problem.elementBytes = element.getIntOrFloatBitWidth() / 8;
  // Partial sums kept in C between K steps would round to a 16-bit result.
  problem.widened = resultElement.getIntOrFloatBitWidth() == 16;
  problem.bf16Operands = element.isBF16();
  return problem;
}

std::vector<GemmCandidate> rankHostGemmCandidates(const GemmProblem &p,
                                                  r1k::TargetAttr target) {
  int64_t vectorBits = target.getVectorBits() ? target.getVectorBits() : 256;
  int64_t width = vectorBits / 32;
  int64_t registers = target.getVectorRegisters() ? target.getVectorRegisters() : 16;
  std::vector<GemmCandidate> candidates;
  // Per call last: on a tie, the packing that needs no scratch.
  std::vector<r1k::Packing> packings = {r1k::Packing::run_time, r1k::Packing::per_call};
  if (p.inPlaceB)
    packings.insert(packings.begin(), r1k::Packing::none);
  if (p.packableWeight)
    packings.insert(packings.begin(), r1k::Packing::compile_time);
  // vdpbf16ps where the target has it for bf16 operands, listed first so
  // that a tie keeps it; FMAs everywhere.
  std::vector<r1k::HostDot> dots = {r1k::HostDot::fma};
  if (p.bf16Operands && width == 16 && target.hasFeature("avx512bf16"))
    dots.insert(dots.begin(), r1k::HostDot::dpbf16);
  for (r1k::HostDot dot : dots) {
    bool pairs = dot == r1k::HostDot::dpbf16;
    // K steps of whole pairs for vdpbf16ps; all of K when partial sums
    // would round to a 16-bit result.
    int64_t unit = pairs ? 2 : 1;
    std::vector<int64_t> kSteps = p.widened ? std::vector<int64_t>{roundUp(p.k, unit)}
                                            : blockSizes(p.k, unit, {128, 256, 384, 512});
    int64_t panelRows = roundUp(p.k, unit);
    for (int64_t vectors = 1; vectors <= 4; ++vectors) {
      // Accumulators, the B vectors and one broadcast must fit the registers.
      int64_t maxRows = (registers - vectors - 1) / vectors;
      if (maxRows < 1)
        continue;
      int64_t nr = vectors * width;
      for (int64_t mr = maxRows; mr >= std::max<int64_t>(1, maxRows / 2); --mr) {
        for (int64_t kc : kSteps)
          for (int64_t mc : blockSizes(p.m, mr, {64, 128, 256}))
            for (int64_t nc : blockSizes(p.n, nr, {128, 256, 512, 1024}))
              for (r1k::Packing packB : packings)
                for (bool packA : {false, true}) {
                  // vdpbf16ps reads B's pairs from panels and A in place.
                  if (pairs && (packB == r1k::Packing::none || packA))
                    continue;
                  if (packB == r1k::Packing::run_time &&
                      nc * kc * p.elementBytes > kMaxStackPackBytes)
                    continue;
                  if (packB == r1k::Packing::per_call &&
                      p.batch * panelRows * roundUp(p.n, nr) * p.elementBytes >
                          kMaxPerCallPackBytes)
                    continue;
                  if (packA && mc * kc * p.elementBytes > kMaxStackPackABytes)
                    continue;
                  GemmCandidate candidate{mr, nr, width, kc, mc, nc, packB, packA};
                  candidate.dot = dot;
                  // Whichever operand would stream from memory again more
                  // often is the one whose block the consecutive tasks share.
                  int64_t mBlocks = ceilDiv(p.m, mc), nBlocks = ceilDiv(p.n, nc);
                  candidate.mInner =
                      mBlocks > 1 && nBlocks > 1 &&
                      double(nBlocks - 1) * p.m * p.k < double(mBlocks - 1) * p.k * p.n;
                  score(candidate, p, target);
                  candidates.push_back(std::move(candidate));
                }
      }
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const GemmCandidate &a, const GemmCandidate &b) {
                     return a.cycles < b.cycles;
                   });
  return candidates;
}

} // namespace r1c
