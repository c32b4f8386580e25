//===- GemmTemplate.cpp - Register-blocked host matmul from its variant ----===//
//
// The loop nest of a #r1k.host_gemm variant, as BLIS and MLAS lay it out:
// each task owns an MC x NC block of C (per batch); it walks K in KC steps,
// and for each step runs the micro-kernel over NR-wide panels of B (outer)
// and MR-row groups of A (inner), so one KC x NR panel of B stays in L1
// while the MC x KC block of A streams from L2. The micro-kernel keeps MR x
// NR sums in MR * NR / vector registers, loads NR / vector vectors of B and
// broadcasts MR elements of A per step of k, one FMA per register.
//
// Every size is static, so the only tails are the last row group of M and
// the last panel of N, each emitted as its own micro-kernel. B is read as
// the variant says: packed at compile time (NR-wide panels, zero-padded,
// one per panel over all of K), packed per task into the stack, or in
// place. The fused body runs over the task's block once its sums are
// final, while the block is still in L2. 16-bit floats are widened on load
// and rounded once on the final store; the select pass gives them one K
// step, so no partial sum is rounded. A widening product (16-bit operands,
// f32 result) keeps its f32 sums in C.
//
// With dot = dpbf16 the micro-kernel steps through pairs of k with
// vdpbf16ps: every packed panel holds row pairs, the two bf16 of a column
// side by side in one 32-bit lane (an odd K's last pair padded with zero),
// and A's pair of a row is one 32-bit broadcast.
//
// With dot = dpbusd (r1.matmul_integer and r1.conv_integer with a constant
// 8-bit weight) the same loop nest steps through quads of k with vpdpbusd
// into i32 sums: the panels hold k-quads (four bytes of a column per
// lane), A's quad of a row is one 32-bit broadcast. vpdpbusd takes one
// operand's bytes unsigned and the other's signed, so the weight is stored
// signed (a u8 weight flipped, w - 128, when packed) and the activation
// read unsigned (an i8 one flipped, a + 128, as it is read or gathered);
// the zero points then move with them, and sum_k (A' - za')(B' - zb') =
// sum A'B' - za' sum_k B' - zb' sum_k A' + K za' zb' is the sums plus
// terms compiled per output column or channel, less the activation's own
// sums (one more vpdpbusd against ones) where the weight's zero point is
// not 0. The terms are added as the sums are stored: one K step.
//
// Convolution is the same GEMM per (image, group): A is the weight as ONNX
// stores it ([filters, channels x taps]), B the im2col matrix of the image
// ([channels x taps, output positions]), gathered straight into the packed
// panels with zeros for the pads, so it never exists whole; the bias
// starts the sums.
//
//===----------------------------------------------------------------------===//
#include "codegen/host/GemmTemplate.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/PoolWindow.h"
#include "dialects/R1K/IR/IntegerGemmLayout.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

using namespace mlir;

namespace r1c {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

using BatchIndices = ArrayRef<llvm::Value *>;

/// Whether an 8-bit convolution's K runs tap-major (k = tap * C + channel,
/// C its group's channels) rather than as ONNX lays the weight out
/// (channel-major): with C a multiple of 4, each k-quad is four channels
/// of one tap, which the im2col gather reads with one tap's masks and
/// offsets and stores as one interleaved vector.
bool channelQuads(int64_t groupChannels) { return groupChannels % 4 == 0; }

/// Rows of k that one 32-bit lane of a packed panel holds.
int64_t dotGroup(r1k::HostGemmAttr variant) {
  switch (variant.getDot()) {
  case r1k::HostDot::dpbf16:
    return 2;
  case r1k::HostDot::dpbusd:
    return 4;
  case r1k::HostDot::fma:
    break;
  }
  return 1;
}
using OffsetFn = std::function<llvm::Value *(BatchIndices)>;

/// The type packers move B's elements as: 16-bit floats as their bits,
/// since x86 without AVX512-BF16 has no bf16 vectors, and LLVM widens a
/// select or masked load of them through calls to a runtime library.
llvm::Type *packingType(llvm::Type *storage) {
  return storage->getPrimitiveSizeInBits() == 16 ? llvm::Type::getInt16Ty(storage->getContext())
                                                 : storage;
}

/// Stores rows of B into a packed panel of NR columns: row after row, or,
/// for vdpbf16ps (vpdpbusd), groups of 2 (4) rows with the rows' elements
/// of a column side by side in one 32-bit lane, row r's at position r % 2
/// (r % 4) of it.
struct PanelWriter {
  KernelBuilder &kb;
  llvm::Type *storage;
  int64_t nr, width;
  /// Rows per 32-bit lane: 1, 2 or 4.
  int64_t group = 1;
  /// An 8-bit activation's bytes: where set, lanes outside `inside` store
  /// this value (a convolution's pad reads the zero point), and with
  /// `flip` each byte is stored xor 0x80 (i8 as u8, for vpdpbusd).
  llvm::Value *padValue = nullptr;
  bool flip = false;

  /// Row `row` (from the panel's first), columns v * W to v * W + W - 1;
  /// `inside`, when given, the lanes that read B rather than its padding.
  void store(llvm::Value *value, llvm::Value *panel, llvm::Value *row, int64_t v,
             llvm::Value *inside = nullptr) {
    llvm::IRBuilder<> &b = kb.b;
    llvm::Align align(storage->getPrimitiveSizeInBits() / 8);
    value = prepare(value, inside);
    if (group == 1) {
      b.CreateAlignedStore(
          value,
          b.CreateInBoundsGEP(storage, panel,
                              b.CreateAdd(b.CreateMul(row, kb.i64(nr)), kb.i64(v * width))),
          align);
      return;
    }
    // Each element `group` times, into the lanes of its position in the
    // group: one masked store.
    SmallVector<int> repeated;
    SmallVector<llvm::Constant *> positions;
    for (int64_t lane = 0; lane < group * width; ++lane) {
      repeated.push_back(int(lane / group));
      positions.push_back(b.getInt8(lane % group));
    }
    llvm::Value *first = b.CreateUDiv(row, kb.i64(group));
    llvm::Value *target = b.CreateInBoundsGEP(
        storage, panel,
        b.CreateAdd(b.CreateMul(first, kb.i64(group * nr)), kb.i64(group * v * width)));
    llvm::Value *position = b.CreateTrunc(b.CreateURem(row, kb.i64(group)), b.getInt8Ty());
    b.CreateMaskedStore(b.CreateShuffleVector(value, value, repeated), target, align,
                        b.CreateICmpEQ(llvm::ConstantVector::get(positions),
                                       b.CreateVectorSplat(group * width, position)));
  }

  /// `value` as stored: the pad value outside `inside`, flipped.
  llvm::Value *prepare(llvm::Value *value, llvm::Value *inside) {
    llvm::IRBuilder<> &b = kb.b;
    if (padValue && inside)
      value = b.CreateSelect(inside, value, b.CreateVectorSplat(width, padValue));
    if (flip)
      value = b.CreateXor(value, b.CreateVectorSplat(width, b.getInt8(0x80)));
    return value;
  }

  /// Four rows from `row` (a multiple of 4) at once, for group = 4: their
  /// bytes interleaved in registers, one whole store rather than four
  /// masked ones.
  void storeQuad(ArrayRef<llvm::Value *> values, ArrayRef<llvm::Value *> inside, llvm::Value *panel,
                 llvm::Value *row, int64_t v) {
    llvm::IRBuilder<> &b = kb.b;
    SmallVector<int> pairs, all, interleaved;
    for (int64_t i = 0; i < 2 * width; ++i)
      pairs.push_back(int(i));
    for (int64_t i = 0; i < 4 * width; ++i) {
      all.push_back(int(i));
      interleaved.push_back(int((i % 4) * width + i / 4));
    }
    SmallVector<llvm::Value *> prepared;
    for (auto [value, lanes] : llvm::zip(values, inside))
      prepared.push_back(prepare(value, lanes));
    llvm::Value *joined =
        b.CreateShuffleVector(b.CreateShuffleVector(prepared[0], prepared[1], pairs),
                              b.CreateShuffleVector(prepared[2], prepared[3], pairs), all);
    llvm::Value *target = b.CreateInBoundsGEP(
        storage, panel, b.CreateAdd(b.CreateMul(row, kb.i64(nr)), kb.i64(4 * v * width)));
    b.CreateAlignedStore(b.CreateShuffleVector(joined, interleaved), target, llvm::Align(1));
  }

  /// Zeros rows `kLen` up to the end of its group: the pad of a K that is
  /// not a whole number of groups, which the dot instruction multiplies by
  /// A's zero pad (and which a convolution's column sums add).
  void padRows(llvm::Value *panel, llvm::Value *kLen) {
    if (group == 1)
      return;
    llvm::IRBuilder<> &b = kb.b;
    llvm::Value *end = b.CreateAnd(b.CreateAdd(kLen, kb.i64(group - 1)), kb.i64(-group));
    auto *type = llvm::FixedVectorType::get(storage, width);
    // Zero as stored: no pad value, no flip.
    PanelWriter plain{kb, storage, nr, width, group};
    kb.loop(b.CreateSub(end, kLen), [&](llvm::Value *i) {
      for (int64_t v = 0; v < nr / width; ++v)
        plain.store(llvm::Constant::getNullValue(type), panel, b.CreateAdd(kLen, i), v);
    });
  }
};

/// The zero points of an 8-bit GEMM (dot = dpbusd), in the bytes as
/// vpdpbusd reads them (A' and B', the unsigned ones flipped from i8 or
/// the signed ones from u8): the exact sum is
///   sum_k A'B' + columnTerm[c] - columnZero[c] * sum_k A'[r]
///              + rowTerm[r] - rowZero[r] * sum_k B'[c],
/// the terms of the weight's zero point and sums compiled into i32 arrays
/// (a matmul's per column, padded to whole panels; a convolution's per
/// output channel), the activation's sums (when its partner's zero point
/// is not 0) counted by the micro-kernel, as vpdpbusd against ones.
struct QuantizedTerms {
  /// Whether B holds the unsigned bytes (a convolution's activation),
  /// else A (a matmul's).
  bool bUnsigned = false;
  /// A matmul's i8 activation: each quad of A read is flipped to u8.
  bool flipA = false;
  llvm::Value *columnTerm = nullptr, *columnZero = nullptr;
  llvm::Value *rowTerm = nullptr, *rowZero = nullptr;
  /// Where a batch's rows start in rowTerm and rowZero (a group's filters).
  OffsetFn rowOffset;
};

/// How one GEMM-shaped anchor reads its operands and where its sums go.
/// A is row-major M x K, C row-major M x N, per batch index.
struct GemmOperands {
  int64_t m = 1, n = 1, k = 1;
  /// The batch dims the tasks iterate over, outermost first.
  SmallVector<int64_t> batch;
  llvm::Value *a = nullptr, *c = nullptr;
  OffsetFn aOffset, cOffset;
  /// pack_b = compile_time: the packed panels; none: row-major B at
  /// bOffset, `n` elements a row.
  llvm::Value *b = nullptr;
  OffsetFn bOffset;
  /// pack_b = per_call: the kernel's scratch, where the packing phase
  /// writes every batch's panels and the tasks read them.
  llvm::Value *scratch = nullptr;
  /// pack_b = run_time and per_call: writes rows k0..k0+kLen of the NR
  /// columns from column0 of a batch's B to `panel`, NR elements a row,
  /// zero past N and where B reads padding.
  std::function<void(BatchIndices, llvm::Value *k0, llvm::Value *kLen, llvm::Value *column0,
                     llvm::Value *panel)>
      packPanel;
  /// How packPanel stores its rows (and pads an odd K for pairs).
  PanelWriter *writer = nullptr;
  /// Sums start at rowBias[rowBiasOffset + row] (a convolution's bias).
  llvm::Value *rowBias = nullptr;
  OffsetFn rowBiasOffset;
  /// Elements between rows of A: K, or with dpbusd a convolution's packed
  /// weight rows of whole k-quads.
  int64_t aStride = 0;
  /// dot = dpbusd: the zero points' terms.
  const QuantizedTerms *quantized = nullptr;
  /// The result's indices of C[row, column], for the fused body.
  std::function<SmallVector<llvm::Value *>(BatchIndices, llvm::Value *row, llvm::Value *column)>
      resultIndices;
};

class GemmEmitter {
public:
  /// `element`: A's and B's element type; `resultElement`: C's (the same,
  /// or f32 for a widening product); `biasElement`: the row bias's.
  GemmEmitter(KernelBuilder &kb, const GemmOperands &operands, r1k::HostGemmAttr variant,
              Type element, Type resultElement, Type biasElement)
      : kb(kb), b(kb.b), variant(variant), g(operands),
        storage(getScalarType(b.getContext(), element)),
        resultStorage(getScalarType(b.getContext(), resultElement)),
        biasStorage(getScalarType(b.getContext(), biasElement)), f32(b.getFloatTy()),
        vectorType(llvm::FixedVectorType::get(f32, variant.getVector())),
        storageVector(llvm::FixedVectorType::get(storage, variant.getVector())) {}

  void emit(const FusedBody &fused);
  /// emit for a transposed variant: GEMM rows are C's columns (a
  /// convolution's positions, read from the per-call panels), GEMM columns
  /// C's rows (its output channels, the weight's compile-time panels).
  void emitTransposed(const FusedBody &fused);
  /// pack_b = per_call: the phase before the tasks, which packs all of B
  /// into the scratch, split into tasks of whole panels and K ranges.
  void emitPerCallPacking();

private:
  /// The product of the batch dims the tasks iterate over.
  int64_t batches() const {
    int64_t count = 1;
    for (int64_t dim : g.batch)
      count *= dim;
    return count;
  }
  /// `full`, or `last` when `index` is the last of `blocks`: a block's
  /// static size, the last one shorter.
  llvm::Value *lastOr(llvm::Value *index, int64_t blocks, int64_t full, int64_t last) {
    if (full == last)
      return kb.i64(full);
    return b.CreateSelect(b.CreateICmpEQ(index, kb.i64(blocks - 1)), kb.i64(last), kb.i64(full));
  }
  /// The batch indices of linear batch `linear`, outermost first.
  SmallVector<llvm::Value *> batchIndices(llvm::Value *linear);
  /// Where the per-call panels of batch `linear` start in the scratch.
  llvm::Value *perCallPanels(llvm::Value *linear);

  /// Where the micro-kernel reads its panel of B: `base` at k = 0 of the
  /// panel's first column, `stride` elements between rows of k.
  struct Panel {
    llvm::Value *base;
    int64_t stride;
    /// Columns that exist; loads past them are masked (in-place B only).
    int64_t loadColumns;
  };

  /// Where the micro-kernel reads A: element (r, k) at base + r * rowStride
  /// + k * kStride (A in place: K and 1; packed: 1 and MR).
  struct ATile {
    llvm::Value *base;
    int64_t rowStride, kStride;
  };

  /// C[rows, columns] (+)= A[rows, k0:k0+kLen] * panel: from zero (or the
  /// row bias at `bias`) when `first`, else from C.
  void emitMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel, llvm::Value *cTile,
                       llvm::Value *bias, llvm::Value *kLen, llvm::Value *first);
  /// The same with vdpbf16ps over pairs of k (dot = dpbf16): full 16-lane
  /// vectors throughout, since the panels are zero past N.
  /// `transposed`: the sums start at the bias per column (`bias` at the
  /// block's first column), from zero without one, over one K step, and
  /// the block is stored as C^T (storeTransposed).
  void emitDotMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel, llvm::Value *cTile,
                          llvm::Value *bias, llvm::Value *kLen, llvm::Value *first,
                          bool transposed = false);
  /// The same with vpdpbusd over quads of k (dot = dpbusd): i32 sums from
  /// zero over all of K, then the zero points' terms (QuantizedTerms) for
  /// C's `row` and `column`, `rowTerms` the batch's offset in the row terms.
  /// `transposed`: the block is stored as C^T (storeTransposed).
  void emitByteDotMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel,
                              llvm::Value *cTile, llvm::Value *kLen, llvm::Value *row,
                              llvm::Value *rowTerms, llvm::Value *column, bool transposed = false);
  /// Stores the `rows` x `columns` block `sums` (rows of 16-lane vectors,
  /// i32 or f32, at most 8 rows) as its transpose: column j of the block
  /// becomes C's row j from `cTile`, `rows` elements, C's rows g.n apart.
  void storeTransposed(ArrayRef<llvm::Value *> sums, int64_t rows, int64_t columns,
                       llvm::Value *cTile);
  /// The block's sums into `sums`: the row bias (or zero) when `first`,
  /// else C's partial sums.
  void emitLoadSums(ArrayRef<llvm::Value *> sums, int64_t rows, int64_t columns, llvm::Value *cTile,
                    llvm::Value *bias, llvm::Value *first,
                    const std::function<int64_t(int64_t)> &widthOf);
  /// Rows of k per 32-bit lane of a packed panel: 2 for dpbf16, 4 for
  /// dpbusd, else 1.
  int64_t group() const { return dotGroup(variant); }
  /// Rows of k a packed panel holds for `k` rows of B: whole groups.
  int64_t panelRows(int64_t k) const { return (k + group() - 1) / group() * group(); }
  llvm::Value *panelRows(llvm::Value *k) {
    return group() == 1 ? k : b.CreateAnd(b.CreateAdd(k, kb.i64(group() - 1)), kb.i64(-group()));
  }
  /// A[row0:row0+MC, k0:k0+kLen] (`groups` MR-row groups, rows past M left
  /// unread) into `packed`: group g at g * kLen * MR, k-major, MR a step.
  void emitPackA(llvm::Value *aRows, llvm::Value *kLen, llvm::Value *groups, llvm::Value *lastRows,
                 llvm::Value *packed);
  /// B[k0:k0+kLen, `panels` NR-wide panels from firstColumn] into `packed`,
  /// zero past N: run-time packing.
  void emitPackBlock(BatchIndices batch, llvm::Value *k0, llvm::Value *kLen,
                     llvm::Value *firstColumn, llvm::Value *panels, llvm::Value *packed);

  llvm::Value *entryAlloca(llvm::Type *type, int64_t count = 1);
  /// `width` lanes (0: the variant's vector), the first `lanes` of them on.
  llvm::Value *mask(int64_t lanes, int64_t width = 0);
  /// `width` elements of type `stored` (A's and B's when null) as f32.
  llvm::Value *loadVector(llvm::Value *pointer, int64_t lanes, int64_t width = 0,
                          llvm::Type *stored = nullptr);
  /// f32 lanes into C, in the result's type.
  void storeVector(llvm::Value *value, llvm::Value *pointer, int64_t lanes, int64_t width = 0);
  /// The lanes a micro-kernel's vector of `lanes` useful columns computes:
  /// the variant's width, or half of it (at least 8) for a tail that fits
  /// there, which a CPU that splits 512-bit FMAs in two (Zen 4) runs in
  /// half the time.
  int64_t tailWidth(int64_t lanes) const;
  llvm::Value *gep(llvm::Value *base, llvm::Value *offset) {
    return b.CreateInBoundsGEP(storage, base, offset);
  }
  llvm::Value *gepC(llvm::Value *base, llvm::Value *offset) {
    return b.CreateInBoundsGEP(resultStorage, base, offset);
  }

  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  r1k::HostGemmAttr variant;
  const GemmOperands &g;
  llvm::Type *storage, *resultStorage, *biasStorage, *f32;
  llvm::FixedVectorType *vectorType, *storageVector;
};

llvm::Value *GemmEmitter::entryAlloca(llvm::Type *type, int64_t count) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
  llvm::AllocaInst *slot = entry.CreateAlloca(type, entry.getInt64(count));
  slot->setAlignment(llvm::Align(64));
  return slot;
}

llvm::Value *GemmEmitter::mask(int64_t lanes, int64_t width) {
  SmallVector<llvm::Constant *> bits;
  for (int64_t lane = 0; lane < (width ? width : variant.getVector()); ++lane)
    bits.push_back(b.getInt1(lane < lanes));
  return llvm::ConstantVector::get(bits);
}

int64_t GemmEmitter::tailWidth(int64_t lanes) const {
  int64_t width = variant.getVector();
  while (width > 8 && lanes <= width / 2)
    width /= 2;
  return width;
}

llvm::Value *GemmEmitter::loadVector(llvm::Value *pointer, int64_t lanes, int64_t width,
                                     llvm::Type *element) {
  width = width ? width : variant.getVector();
  element = element ? element : storage;
  auto *stored = llvm::FixedVectorType::get(element, width);
  llvm::Align align(element->getPrimitiveSizeInBits() / 8);
  llvm::Value *value = lanes >= width
                           ? static_cast<llvm::Value *>(b.CreateAlignedLoad(stored, pointer, align))
                           : b.CreateMaskedLoad(stored, pointer, align, mask(lanes, width),
                                                llvm::Constant::getNullValue(stored));
  return element == f32 ? value : b.CreateFPExt(value, llvm::FixedVectorType::get(f32, width));
}

void GemmEmitter::storeVector(llvm::Value *value, llvm::Value *pointer, int64_t lanes,
                              int64_t width) {
  width = width ? width : variant.getVector();
  if (resultStorage != f32)
    value = emitFloatTruncate(b, value, llvm::FixedVectorType::get(resultStorage, width));
  llvm::Align align(resultStorage->getPrimitiveSizeInBits() / 8);
  if (lanes >= width)
    b.CreateAlignedStore(value, pointer, align);
  else
    b.CreateMaskedStore(value, pointer, align, mask(lanes, width));
}

void GemmEmitter::emitMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel,
                                  llvm::Value *cTile, llvm::Value *bias, llvm::Value *kLen,
                                  llvm::Value *first) {
  int64_t width = variant.getVector();
  int64_t usedVectors = ceilDiv(columns, width);
  auto lanesOf = [&](int64_t v) { return std::min(width, columns - v * width); };
  // The last vector of a tail computes only as many lanes as it needs.
  auto widthOf = [&](int64_t v) { return tailWidth(lanesOf(v)); };
  auto typeOf = [&](int64_t v) { return llvm::FixedVectorType::get(f32, widthOf(v)); };
  // Sums in stack slots that SROA turns into registers: every index is static.
  SmallVector<llvm::Value *> sums;
  for (int64_t i = 0; i < rows * usedVectors; ++i)
    sums.push_back(entryAlloca(typeOf(i % usedVectors)));
  emitLoadSums(sums, rows, columns, cTile, bias, first, widthOf);
  kb.loop(kLen, [&](llvm::Value *kk) {
    SmallVector<llvm::Value *> bVectors;
    llvm::Value *bRow = gep(panel.base, b.CreateMul(kk, kb.i64(panel.stride)));
    for (int64_t v = 0; v < usedVectors; ++v)
      bVectors.push_back(loadVector(gep(bRow, kb.i64(v * width)),
                                    std::min(widthOf(v), panel.loadColumns - v * width),
                                    widthOf(v)));
    for (int64_t r = 0; r < rows; ++r) {
      llvm::Value *aValue = b.CreateLoad(
          storage, gep(a.base, b.CreateAdd(kb.i64(r * a.rowStride),
                                           b.CreateMul(kk, kb.i64(a.kStride)))));
      if (storage != f32)
        aValue = b.CreateFPExt(aValue, f32);
      llvm::Value *broadcast = b.CreateVectorSplat(width, aValue);
      for (int64_t v = 0; v < usedVectors; ++v) {
        llvm::Value *slot = sums[r * usedVectors + v];
        llvm::Type *type = typeOf(v);
        llvm::Value *sum = b.CreateLoad(type, slot);
        llvm::Value *lanes =
            widthOf(v) == width ? broadcast : b.CreateVectorSplat(widthOf(v), aValue);
        b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::fma, {type}, {lanes, bVectors[v], sum}),
                      slot);
      }
    }
  });
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < usedVectors; ++v)
      storeVector(b.CreateLoad(typeOf(v), sums[r * usedVectors + v]),
                  gepC(cTile, kb.i64(r * g.n + v * width)), lanesOf(v), widthOf(v));
}

void GemmEmitter::emitLoadSums(ArrayRef<llvm::Value *> sums, int64_t rows, int64_t columns,
                               llvm::Value *cTile, llvm::Value *bias, llvm::Value *first,
                               const std::function<int64_t(int64_t)> &widthOf) {
  int64_t width = variant.getVector();
  int64_t usedVectors = ceilDiv(columns, width);
  auto lanesOf = [&](int64_t v) { return std::min(width, columns - v * width); };
  auto typeOf = [&](int64_t v) { return llvm::FixedVectorType::get(f32, widthOf(v)); };
  kb.ifElse(
      first,
      [&] {
        for (int64_t r = 0; r < rows; ++r) {
          llvm::Value *value = nullptr;
          if (bias) {
            value = b.CreateLoad(biasStorage, b.CreateInBoundsGEP(biasStorage, bias, kb.i64(r)));
            value = biasStorage == f32 ? value : b.CreateFPExt(value, f32);
          }
          for (int64_t v = 0; v < usedVectors; ++v)
            b.CreateStore(value ? b.CreateVectorSplat(widthOf(v), value)
                                : llvm::Constant::getNullValue(typeOf(v)),
                          sums[r * usedVectors + v]);
        }
      },
      [&] {
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t v = 0; v < usedVectors; ++v)
            b.CreateStore(loadVector(gepC(cTile, kb.i64(r * g.n + v * width)), lanesOf(v),
                                     widthOf(v), resultStorage),
                          sums[r * usedVectors + v]);
      });
}

void GemmEmitter::emitDotMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel,
                                     llvm::Value *cTile, llvm::Value *bias, llvm::Value *kLen,
                                     llvm::Value *first, bool transposed) {
  int64_t width = variant.getVector(), nr = variant.getNr();
  int64_t usedVectors = ceilDiv(columns, width);
  auto lanesOf = [&](int64_t v) { return std::min(width, columns - v * width); };
  auto *sumType = llvm::FixedVectorType::get(f32, width);
  auto *pairType = llvm::FixedVectorType::get(b.getBFloatTy(), 2 * width);
  SmallVector<llvm::Value *> sums;
  for (int64_t i = 0; i < rows * usedVectors; ++i)
    sums.push_back(entryAlloca(sumType));
  if (transposed) {
    for (int64_t v = 0; v < usedVectors; ++v) {
      llvm::Value *start =
          bias ? loadVector(b.CreateInBoundsGEP(biasStorage, bias, kb.i64(v * width)), lanesOf(v),
                            width, biasStorage)
               : llvm::Constant::getNullValue(sumType);
      for (int64_t r = 0; r < rows; ++r)
        b.CreateStore(start, sums[r * usedVectors + v]);
    }
  } else {
    emitLoadSums(sums, rows, columns, cTile, bias, first, [&](int64_t) { return width; });
  }
  // One step: B's row pair `pair` against each row's pair of A, read by
  // `aPair` as an i32 (two bf16, the first in the low half).
  auto step = [&](llvm::Value *pair, const std::function<llvm::Value *(int64_t)> &aPair) {
    SmallVector<llvm::Value *> bVectors;
    llvm::Value *bRow = gep(panel.base, b.CreateMul(pair, kb.i64(2 * nr)));
    for (int64_t v = 0; v < usedVectors; ++v)
      bVectors.push_back(
          b.CreateAlignedLoad(pairType, gep(bRow, kb.i64(2 * v * width)), llvm::Align(2)));
    for (int64_t r = 0; r < rows; ++r) {
      llvm::Value *broadcast = b.CreateBitCast(b.CreateVectorSplat(width, aPair(r)), pairType);
      for (int64_t v = 0; v < usedVectors; ++v) {
        llvm::Value *slot = sums[r * usedVectors + v];
        llvm::Value *sum = b.CreateLoad(sumType, slot);
        b.CreateStore(b.CreateIntrinsic(llvm::Intrinsic::x86_avx512bf16_dpbf16ps_512, {},
                                        {sum, broadcast, bVectors[v]}),
                      slot);
      }
    }
  };
  auto aAt = [&](int64_t r, llvm::Value *k) {
    return gep(a.base, b.CreateAdd(kb.i64(r * a.rowStride), b.CreateMul(k, kb.i64(a.kStride))));
  };
  kb.loop(b.CreateLShr(kLen, kb.i64(1)), [&](llvm::Value *pair) {
    llvm::Value *k = b.CreateShl(pair, kb.i64(1));
    step(pair,
         [&](int64_t r) { return b.CreateAlignedLoad(b.getInt32Ty(), aAt(r, k), llvm::Align(2)); });
  });
  // An odd K's last element pairs with B's zero pad; A's element after it
  // (the next row, or past A) is never read.
  kb.ifElse(
      b.CreateTrunc(kLen, b.getInt1Ty()),
      [&] {
        llvm::Value *pair = b.CreateLShr(kLen, kb.i64(1));
        llvm::Value *k = b.CreateSub(kLen, kb.i64(1));
        step(pair, [&](int64_t r) {
          return b.CreateZExt(b.CreateAlignedLoad(b.getInt16Ty(), aAt(r, k), llvm::Align(2)),
                              b.getInt32Ty());
        });
      },
      [] {});
  if (transposed) {
    SmallVector<llvm::Value *> finals;
    for (llvm::Value *slot : sums)
      finals.push_back(b.CreateLoad(sumType, slot));
    return storeTransposed(finals, rows, columns, cTile);
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < usedVectors; ++v)
      storeVector(b.CreateLoad(sumType, sums[r * usedVectors + v]),
                  gepC(cTile, kb.i64(r * g.n + v * width)), lanesOf(v), width);
}

void GemmEmitter::emitByteDotMicroKernel(int64_t rows, int64_t columns, ATile a, Panel panel,
                                         llvm::Value *cTile, llvm::Value *kLen, llvm::Value *row,
                                         llvm::Value *rowTerms, llvm::Value *column,
                                         bool transposed) {
  const QuantizedTerms &q = *g.quantized;
  int64_t width = variant.getVector(), nr = variant.getNr();
  int64_t usedVectors = ceilDiv(columns, width);
  auto lanesOf = [&](int64_t v) { return std::min(width, columns - v * width); };
  llvm::Type *i32 = b.getInt32Ty();
  auto *sumType = llvm::FixedVectorType::get(i32, width);
  auto zeroed = [&] {
    llvm::Value *slot = entryAlloca(sumType);
    b.CreateStore(llvm::Constant::getNullValue(sumType), slot);
    return slot;
  };
  SmallVector<llvm::Value *> sums, rowSums, columnSums;
  for (int64_t i = 0; i < rows * usedVectors; ++i)
    sums.push_back(zeroed());
  // The activation's sums over k, where its partner's zero point needs
  // them: A's per row (every lane the same), B's per column.
  if (q.columnZero)
    for (int64_t r = 0; r < rows; ++r)
      rowSums.push_back(zeroed());
  if (q.rowZero)
    for (int64_t v = 0; v < usedVectors; ++v)
      columnSums.push_back(zeroed());
  llvm::Value *ones = b.CreateVectorSplat(width, b.getInt32(0x01010101));
  // vpdpbusd: each i32 lane += the four products of `bytes`' unsigned
  // bytes and `signedBytes`' signed ones, exactly.
  auto accumulate = [&](llvm::Value *slot, llvm::Value *bytes, llvm::Value *signedBytes) {
    llvm::Value *sum = b.CreateLoad(sumType, slot);
    b.CreateStore(
        b.CreateIntrinsic(llvm::Intrinsic::x86_avx512_vpdpbusd_512, {}, {sum, bytes, signedBytes}),
        slot);
  };
  // One step: B's quad `quad` against each row's quad of A, an i32.
  auto step = [&](llvm::Value *quad, const std::function<llvm::Value *(int64_t)> &aQuad) {
    SmallVector<llvm::Value *> bVectors;
    llvm::Value *bRow = gep(panel.base, b.CreateMul(quad, kb.i64(4 * nr)));
    for (int64_t v = 0; v < usedVectors; ++v)
      bVectors.push_back(
          b.CreateAlignedLoad(sumType, gep(bRow, kb.i64(4 * v * width)), llvm::Align(4)));
    for (auto [v, slot] : llvm::enumerate(columnSums))
      accumulate(slot, bVectors[v], ones);
    for (int64_t r = 0; r < rows; ++r) {
      llvm::Value *broadcast = b.CreateVectorSplat(width, aQuad(r));
      if (!rowSums.empty())
        accumulate(rowSums[r], broadcast, ones);
      for (int64_t v = 0; v < usedVectors; ++v) {
        llvm::Value *slot = sums[r * usedVectors + v];
        if (q.bUnsigned)
          accumulate(slot, bVectors[v], broadcast);
        else
          accumulate(slot, broadcast, bVectors[v]);
      }
    }
  };
  auto aAt = [&](int64_t r, llvm::Value *k) {
    return gep(a.base, b.CreateAdd(kb.i64(r * a.rowStride), b.CreateMul(k, kb.i64(a.kStride))));
  };
  auto flipped = [&](llvm::Value *quad, uint32_t bytes) {
    return q.flipA ? b.CreateXor(quad, b.getInt32(bytes)) : quad;
  };
  kb.loop(b.CreateLShr(kLen, kb.i64(2)), [&](llvm::Value *quad) {
    llvm::Value *k = b.CreateShl(quad, kb.i64(2));
    step(quad, [&](int64_t r) {
      return flipped(b.CreateAlignedLoad(i32, aAt(r, k), llvm::Align(1)), 0x80808080u);
    });
  });
  // K's last quad, when K is not a multiple of 4 (kLen is all of K): A in
  // place has only its first bytes (a packed A has all four, the rest
  // zero); B's pad rows are zero.
  if (int64_t tail = g.k % 4) {
    llvm::Value *quad = kb.i64(g.k / 4), *k = kb.i64(g.k / 4 * 4);
    step(quad, [&](int64_t r) -> llvm::Value * {
      if (a.rowStride % 4 == 0 && a.rowStride >= panelRows(g.k))
        return b.CreateAlignedLoad(i32, aAt(r, k), llvm::Align(1));
      llvm::Value *value = b.getInt32(0);
      for (int64_t j = 0; j < tail; ++j) {
        llvm::Value *byte = b.CreateLoad(b.getInt8Ty(), gep(aAt(r, k), kb.i64(j)));
        value = b.CreateOr(value, b.CreateShl(b.CreateZExt(byte, i32), b.getInt32(8 * j)));
      }
      return flipped(value, 0x80808080u >> (8 * (4 - tail)));
    });
  }
  // The zero points' terms, then the sums into C.
  auto termVector = [&](llvm::Value *array, int64_t v) {
    return b.CreateAlignedLoad(
        sumType, b.CreateInBoundsGEP(i32, array, b.CreateAdd(column, kb.i64(v * width))),
        llvm::Align(4));
  };
  auto termSplat = [&](llvm::Value *array, int64_t r) {
    llvm::Value *at = b.CreateAdd(rowTerms, b.CreateAdd(row, kb.i64(r)));
    return b.CreateVectorSplat(width, b.CreateLoad(i32, b.CreateInBoundsGEP(i32, array, at)));
  };
  SmallVector<llvm::Value *> finals;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < usedVectors; ++v) {
      llvm::Value *sum = b.CreateLoad(sumType, sums[r * usedVectors + v]);
      if (q.columnTerm)
        sum = b.CreateAdd(sum, termVector(q.columnTerm, v));
      if (q.columnZero)
        sum = b.CreateSub(
            sum, b.CreateMul(termVector(q.columnZero, v), b.CreateLoad(sumType, rowSums[r])));
      if (q.rowTerm)
        sum = b.CreateAdd(sum, termSplat(q.rowTerm, r));
      if (q.rowZero)
        sum = b.CreateSub(
            sum, b.CreateMul(termSplat(q.rowZero, r), b.CreateLoad(sumType, columnSums[v])));
      if (transposed) {
        finals.push_back(sum);
        continue;
      }
      llvm::Value *target = gepC(cTile, kb.i64(r * g.n + v * width));
      if (lanesOf(v) >= width)
        b.CreateAlignedStore(sum, target, llvm::Align(4));
      else
        b.CreateMaskedStore(sum, target, llvm::Align(4), mask(lanesOf(v), width));
    }
  if (transposed)
    storeTransposed(finals, rows, columns, cTile);
}

void GemmEmitter::storeTransposed(ArrayRef<llvm::Value *> sums, int64_t rows, int64_t columns,
                                  llvm::Value *cTile) {
  int64_t width = variant.getVector();
  assert(width == 16 && rows <= 8 && "the network transposes 8 rows of 16 lanes");
  int64_t usedVectors = ceilDiv(columns, width);
  llvm::Type *sumType = sums.front()->getType();
  // Interleaves within each 128-bit lane (unpcklps/unpckhps, then
  // unpcklpd/unpckhpd): after both, lane l of quarter i of the result
  // holds column 4l + i of four rows.
  auto interleave = [&](llvm::Value *x, llvm::Value *y, bool high, bool pairs) {
    SmallVector<int> order;
    for (int l = 0; l < 4; ++l) {
      int first = 4 * l + (high ? 2 : 0);
      if (pairs)
        order.append({first, first + 1, 16 + first, 17 + first});
      else
        order.append({first, 16 + first, first + 1, 17 + first});
    }
    return b.CreateShuffleVector(x, y, order);
  };
  // Columns 4l + i of rows 4h .. 4h + 3, for i = 0..3, in lane l.
  auto quarters = [&](ArrayRef<llvm::Value *> four) -> std::array<llvm::Value *, 4> {
    llvm::Value *low01 = interleave(four[0], four[1], false, false);
    llvm::Value *high01 = interleave(four[0], four[1], true, false);
    llvm::Value *low23 = interleave(four[2], four[3], false, false);
    llvm::Value *high23 = interleave(four[2], four[3], true, false);
    return {interleave(low01, low23, false, true), interleave(low01, low23, true, true),
            interleave(high01, high23, false, true), interleave(high01, high23, true, true)};
  };
  llvm::Value *zero = llvm::Constant::getNullValue(sumType);
  llvm::Value *rowMask = mask(rows, 8);
  for (int64_t v = 0; v < usedVectors; ++v) {
    SmallVector<llvm::Value *> block;
    for (int64_t r = 0; r < 8; ++r)
      block.push_back(r < rows ? sums[r * usedVectors + v] : zero);
    std::array<llvm::Value *, 4> top = quarters(ArrayRef(block).take_front(4));
    std::array<llvm::Value *, 4> bottom = quarters(ArrayRef(block).drop_front(4));
    for (int64_t j = 0; j < std::min(width, columns - v * width); ++j) {
      int l = int(j / 4);
      llvm::Value *column =
          b.CreateShuffleVector(top[j % 4], bottom[j % 4],
                                ArrayRef<int>{4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3, 16 + 4 * l,
                                              17 + 4 * l, 18 + 4 * l, 19 + 4 * l});
      llvm::Value *target = gepC(cTile, kb.i64((v * width + j) * g.n));
      if (rows == 8)
        b.CreateAlignedStore(column, target, llvm::Align(4));
      else
        b.CreateMaskedStore(column, target, llvm::Align(4), rowMask);
    }
  }
}

void GemmEmitter::emitPackA(llvm::Value *aRows, llvm::Value *kLen, llvm::Value *groups,
                            llvm::Value *lastRows, llvm::Value *packed) {
  int64_t mr = variant.getMr();
  kb.loop(groups, [&](llvm::Value *group) {
    // The last group of the block may have fewer rows than MR.
    llvm::Value *rows = b.CreateSelect(b.CreateICmpEQ(group, b.CreateSub(groups, kb.i64(1))),
                                       lastRows, kb.i64(mr));
    llvm::Value *source = gep(aRows, b.CreateMul(group, kb.i64(mr * g.k)));
    llvm::Value *target = gep(packed, b.CreateMul(b.CreateMul(group, kLen), kb.i64(mr)));
    kb.loop(rows, [&](llvm::Value *r) {
      llvm::Value *row = gep(source, b.CreateMul(r, kb.i64(g.k)));
      kb.loop(kLen, [&](llvm::Value *kk) {
        b.CreateStore(b.CreateLoad(storage, gep(row, kk)),
                      gep(target, b.CreateAdd(b.CreateMul(kk, kb.i64(mr)), r)));
      });
    });
  });
}

void GemmEmitter::emitPackBlock(BatchIndices batch, llvm::Value *k0, llvm::Value *kLen,
                                llvm::Value *firstColumn, llvm::Value *panels,
                                llvm::Value *packed) {
  int64_t nr = variant.getNr();
  kb.loop(panels, [&](llvm::Value *panel) {
    llvm::Value *column0 = b.CreateAdd(firstColumn, b.CreateMul(panel, kb.i64(nr)));
    llvm::Value *target = gep(packed, b.CreateMul(b.CreateMul(panel, panelRows(kLen)), kb.i64(nr)));
    g.packPanel(batch, k0, kLen, column0, target);
    g.writer->padRows(target, kLen);
  });
}

SmallVector<llvm::Value *> GemmEmitter::batchIndices(llvm::Value *linear) {
  SmallVector<llvm::Value *> indices(g.batch.size());
  for (int64_t d = int64_t(g.batch.size()) - 1; d >= 0; --d) {
    indices[d] = d == 0 ? linear : b.CreateURem(linear, kb.i64(g.batch[d]));
    if (d > 0)
      linear = b.CreateUDiv(linear, kb.i64(g.batch[d]));
  }
  return indices;
}

llvm::Value *GemmEmitter::perCallPanels(llvm::Value *linear) {
  int64_t nr = variant.getNr();
  return gep(g.scratch, b.CreateMul(linear, kb.i64(ceilDiv(g.n, nr) * panelRows(g.k) * nr)));
}

/// Tasks the per-call packing phase aims for, so that it spreads over the
/// cores when B has few panels; a K range keeps at least this many rows.
constexpr int64_t kPackingTasks = 16, kMinPackingRows = 32;

void GemmEmitter::emitPerCallPacking() {
  int64_t nr = variant.getNr();
  int64_t panels = ceilDiv(g.n, nr);
  int64_t batchCount = batches();
  int64_t ranges = std::clamp<int64_t>(ceilDiv(kPackingTasks, batchCount * panels), 1,
                                       std::max<int64_t>(1, g.k / kMinPackingRows));
  // Ranges of whole pairs (quads) for the dot instructions: only the last
  // may end in a pad.
  int64_t rows = panelRows(ceilDiv(g.k, ranges));
  ranges = ceilDiv(g.k, rows);
  kb.loop(batchCount * panels * ranges, [&](llvm::Value *task) {
    llvm::Value *range = b.CreateURem(task, kb.i64(ranges));
    llvm::Value *rest = b.CreateUDiv(task, kb.i64(ranges));
    llvm::Value *panel = b.CreateURem(rest, kb.i64(panels));
    llvm::Value *linear = b.CreateUDiv(rest, kb.i64(panels));
    llvm::Value *k0 = b.CreateMul(range, kb.i64(rows));
    llvm::Value *kLen = rows * ranges == g.k
                            ? kb.i64(rows)
                            : b.CreateSelect(b.CreateICmpEQ(range, kb.i64(ranges - 1)),
                                             kb.i64(g.k - (ranges - 1) * rows), kb.i64(rows));
    llvm::Value *target =
        gep(perCallPanels(linear),
            b.CreateMul(b.CreateAdd(b.CreateMul(panel, kb.i64(panelRows(g.k))), k0), kb.i64(nr)));
    g.packPanel(batchIndices(linear), k0, kLen, b.CreateMul(panel, kb.i64(nr)), target);
    g.writer->padRows(target, kLen);
  });
}

void GemmEmitter::emit(const FusedBody &fused) {
  if (variant.getTransposed())
    return emitTransposed(fused);
  int64_t m = g.m, n = g.n, k = g.k;
  int64_t mr = variant.getMr(), nr = variant.getNr(), kc = std::min(variant.getKc(), k);
  int64_t mc = std::min(variant.getMc(), ceilDiv(m, mr) * mr);
  int64_t nc = std::min(variant.getNc(), ceilDiv(n, nr) * nr);
  int64_t mBlocks = ceilDiv(m, mc), nBlocks = ceilDiv(n, nc), kBlocks = ceilDiv(k, kc);
  int64_t rowGroups = ceilDiv(m, mr), panelsTotal = ceilDiv(n, nr);
  int64_t rowTail = m % mr, columnTail = n % nr;
  int64_t batchCount = batches();
  r1k::Packing packing = variant.getPackB();
  int64_t aStride = g.aStride ? g.aStride : k;
  // The zero points' terms are added as the final sums are stored: one K
  // step (the select pass gives dpbusd kc >= K).
  assert((!g.quantized || kBlocks == 1) && "dpbusd needs one K step");
  llvm::Value *packed =
      packing == r1k::Packing::run_time ? entryAlloca(storage, nc * panelRows(kc)) : nullptr;
  llvm::Value *packedA = variant.getPackA() ? entryAlloca(storage, mc * kc) : nullptr;

  kb.loop(batchCount * mBlocks * nBlocks, [&](llvm::Value *task) {
    // Consecutive tasks share the block of A (N fastest) or of B (M fastest).
    bool mInner = variant.getMInner();
    int64_t fastest = mInner ? mBlocks : nBlocks, next = mInner ? nBlocks : mBlocks;
    llvm::Value *fast = b.CreateURem(task, kb.i64(fastest));
    llvm::Value *rest = b.CreateUDiv(task, kb.i64(fastest));
    llvm::Value *slow = b.CreateURem(rest, kb.i64(next));
    llvm::Value *linearBatch = b.CreateUDiv(rest, kb.i64(next));
    llvm::Value *mBlock = mInner ? fast : slow, *nBlock = mInner ? slow : fast;
    SmallVector<llvm::Value *> indices = batchIndices(linearBatch);
    llvm::Value *perCall =
        packing == r1k::Packing::per_call ? perCallPanels(linearBatch) : nullptr;
    llvm::Value *aBase = g.aOffset(indices);
    llvm::Value *cBase = g.cOffset(indices);
    llvm::Value *bBase = packing == r1k::Packing::none ? g.bOffset(indices) : nullptr;
    llvm::Value *biasBase =
        g.rowBias ? b.CreateInBoundsGEP(biasStorage, g.rowBias, g.rowBiasOffset(indices)) : nullptr;
    llvm::Value *rowTerms =
        g.quantized && g.quantized->rowOffset ? g.quantized->rowOffset(indices) : kb.i64(0);
    llvm::Value *row0 = b.CreateMul(mBlock, kb.i64(mc));
    llvm::Value *column0 = b.CreateMul(nBlock, kb.i64(nc));
    llvm::Value *groups =
        lastOr(mBlock, mBlocks, mc / mr, rowGroups - (mBlocks - 1) * (mc / mr));
    llvm::Value *panels =
        lastOr(nBlock, nBlocks, nc / nr, panelsTotal - (nBlocks - 1) * (nc / nr));

    kb.loop(kBlocks, [&](llvm::Value *kBlock) {
      llvm::Value *k0 = b.CreateMul(kBlock, kb.i64(kc));
      llvm::Value *kLen = lastOr(kBlock, kBlocks, kc, k - (kBlocks - 1) * kc);
      llvm::Value *first = b.CreateICmpEQ(kBlock, kb.i64(0));
      if (packed)
        emitPackBlock(indices, k0, kLen, column0, panels, packed);
      if (packedA) {
        int64_t lastBlockRows = m - (mBlocks - 1) * mc;
        int64_t lastGroupRows = lastBlockRows - (ceilDiv(lastBlockRows, mr) - 1) * mr;
        emitPackA(gep(g.a, b.CreateAdd(aBase, b.CreateAdd(b.CreateMul(row0, kb.i64(k)), k0))),
                  kLen, groups, lastOr(mBlock, mBlocks, mr, lastGroupRows), packedA);
      }
      kb.loop(panels, [&](llvm::Value *p) {
        llvm::Value *globalPanel = b.CreateAdd(b.CreateMul(nBlock, kb.i64(nc / nr)), p);
        llvm::Value *column = b.CreateAdd(column0, b.CreateMul(p, kb.i64(nr)));
        auto panelFor = [&](int64_t columns) -> Panel {
          switch (packing) {
          case r1k::Packing::compile_time:
            return {gep(g.b,
                        b.CreateMul(b.CreateAdd(b.CreateMul(globalPanel, kb.i64(panelRows(k))), k0),
                                    kb.i64(nr))),
                    nr, nr};
          case r1k::Packing::run_time:
            return {gep(packed, b.CreateMul(b.CreateMul(p, panelRows(kLen)), kb.i64(nr))), nr, nr};
          case r1k::Packing::per_call:
            return {gep(perCall,
                        b.CreateMul(b.CreateAdd(b.CreateMul(globalPanel, kb.i64(panelRows(k))), k0),
                                    kb.i64(nr))),
                    nr, nr};
          case r1k::Packing::none:
            break;
          }
          return {gep(g.b, b.CreateAdd(bBase, b.CreateAdd(b.CreateMul(k0, kb.i64(n)), column))),
                  n, columns};
        };
        kb.loop(groups, [&](llvm::Value *group) {
          llvm::Value *row = b.CreateAdd(row0, b.CreateMul(group, kb.i64(mr)));
          ATile aTile =
              packedA
                  ? ATile{gep(packedA, b.CreateMul(b.CreateMul(group, kLen), kb.i64(mr))), 1, mr}
                  : ATile{gep(g.a, b.CreateAdd(aBase,
                                               b.CreateAdd(b.CreateMul(row, kb.i64(aStride)), k0))),
                          aStride, 1};
          llvm::Value *cTile =
              gepC(g.c, b.CreateAdd(cBase, b.CreateAdd(b.CreateMul(row, kb.i64(n)), column)));
          llvm::Value *bias = biasBase ? b.CreateInBoundsGEP(biasStorage, biasBase, row) : nullptr;
          auto forRows = [&](int64_t columns) {
            Panel panel = panelFor(columns);
            auto kernel = [&](int64_t rows) {
              if (g.quantized)
                emitByteDotMicroKernel(rows, columns, aTile, panel, cTile, kLen, row, rowTerms,
                                       column);
              else if (dotGroup(variant) == 2)
                emitDotMicroKernel(rows, columns, aTile, panel, cTile, bias, kLen, first);
              else
                emitMicroKernel(rows, columns, aTile, panel, cTile, bias, kLen, first);
            };
            if (!rowTail)
              return kernel(mr);
            llvm::Value *lastGroup = b.CreateICmpEQ(
                b.CreateAdd(b.CreateMul(mBlock, kb.i64(mc / mr)), group), kb.i64(rowGroups - 1));
            kb.ifElse(lastGroup, [&] { kernel(rowTail); }, [&] { kernel(mr); });
          };
          if (!columnTail)
            return forRows(nr);
          kb.ifElse(
              b.CreateICmpEQ(globalPanel, kb.i64(panelsTotal - 1)),
              [&] { forRows(columnTail); }, [&] { forRows(nr); });
        });
      });
    });

    if (fused) {
      // The block's sums are final: its body runs while it is in cache.
      llvm::Value *rows = lastOr(mBlock, mBlocks, mc, m - (mBlocks - 1) * mc);
      llvm::Value *columns = lastOr(nBlock, nBlocks, nc, n - (nBlocks - 1) * nc);
      kb.loop(rows, [&](llvm::Value *r) {
        llvm::Value *row = b.CreateAdd(row0, r);
        llvm::Value *rowBase = b.CreateAdd(cBase, b.CreateMul(row, kb.i64(n)));
        kb.loop(columns, [&](llvm::Value *col) {
          llvm::Value *column = b.CreateAdd(column0, col);
          fused(g.resultIndices(indices, row, column), b.CreateAdd(rowBase, column));
        });
      });
    }
  });
}

void GemmEmitter::emitTransposed(const FusedBody &fused) {
  // In GEMM terms: rows are positions (C's columns, g.n of them), columns
  // output channels (C's rows, g.m), one K step.
  int64_t rowsTotal = g.n, columnsTotal = g.m, k = g.k;
  int64_t mr = variant.getMr(), nr = variant.getNr();
  int64_t mc = std::min(variant.getMc(), ceilDiv(rowsTotal, mr) * mr);
  int64_t nc = std::min(variant.getNc(), ceilDiv(columnsTotal, nr) * nr);
  int64_t mBlocks = ceilDiv(rowsTotal, mc), nBlocks = ceilDiv(columnsTotal, nc);
  int64_t rowGroups = ceilDiv(rowsTotal, mr), panelsTotal = ceilDiv(columnsTotal, nr);
  int64_t rowTail = rowsTotal % mr, columnTail = columnsTotal % nr;
  int64_t kGroup = group();
  assert(k % kGroup == 0 && nr % mr == 0 && "a transposed GEMM reads whole k-groups");
  int64_t batchCount = batches();
  kb.loop(batchCount * mBlocks * nBlocks, [&](llvm::Value *task) {
    // Channel blocks fastest: consecutive tasks read one block of panels.
    llvm::Value *nBlock = b.CreateURem(task, kb.i64(nBlocks));
    llvm::Value *rest = b.CreateUDiv(task, kb.i64(nBlocks));
    llvm::Value *mBlock = b.CreateURem(rest, kb.i64(mBlocks));
    llvm::Value *linearBatch = b.CreateUDiv(rest, kb.i64(mBlocks));
    SmallVector<llvm::Value *> indices = batchIndices(linearBatch);
    llvm::Value *positions = perCallPanels(linearBatch);
    llvm::Value *cBase = g.cOffset(indices);
    llvm::Value *biasBase =
        g.rowBias ? b.CreateInBoundsGEP(biasStorage, g.rowBias, g.rowBiasOffset(indices)) : nullptr;
    llvm::Value *row0 = b.CreateMul(mBlock, kb.i64(mc));
    llvm::Value *column0 = b.CreateMul(nBlock, kb.i64(nc));
    llvm::Value *groups = lastOr(mBlock, mBlocks, mc / mr, rowGroups - (mBlocks - 1) * (mc / mr));
    llvm::Value *panels = lastOr(nBlock, nBlocks, nc / nr, panelsTotal - (nBlocks - 1) * (nc / nr));
    kb.loop(panels, [&](llvm::Value *p) {
      llvm::Value *globalPanel = b.CreateAdd(b.CreateMul(nBlock, kb.i64(nc / nr)), p);
      llvm::Value *column = b.CreateAdd(column0, b.CreateMul(p, kb.i64(nr)));
      // The weight (g.a, A of the untransposed product) in its panels.
      Panel weights{gep(g.a, b.CreateMul(globalPanel, kb.i64(panelRows(k) * nr))), nr, nr};
      kb.loop(groups, [&](llvm::Value *group) {
        llvm::Value *row = b.CreateAdd(row0, b.CreateMul(group, kb.i64(mr)));
        // Position `row` is column row % NR of im2col panel row / NR: its
        // group of k (quad, pair) lies at k * NR + group * column, the next
        // position's group right after it.
        llvm::Value *panelBase =
            b.CreateMul(b.CreateUDiv(row, kb.i64(nr)), kb.i64(panelRows(k) * nr));
        llvm::Value *within = b.CreateMul(b.CreateURem(row, kb.i64(nr)), kb.i64(kGroup));
        ATile a{gep(positions, b.CreateAdd(panelBase, within)), kGroup, nr};
        llvm::Value *cTile =
            gepC(g.c, b.CreateAdd(cBase, b.CreateAdd(b.CreateMul(column, kb.i64(g.n)), row)));
        auto forRows = [&](int64_t columns) {
          auto kernel = [&](int64_t rows) {
            if (g.quantized)
              return emitByteDotMicroKernel(rows, columns, a, weights, cTile, kb.i64(k), column,
                                            kb.i64(0), column, /*transposed=*/true);
            llvm::Value *bias =
                biasBase ? b.CreateInBoundsGEP(biasStorage, biasBase, column) : nullptr;
            emitDotMicroKernel(rows, columns, a, weights, cTile, bias, kb.i64(k), b.getTrue(),
                               /*transposed=*/true);
          };
          if (!rowTail)
            return kernel(mr);
          llvm::Value *lastGroup = b.CreateICmpEQ(
              b.CreateAdd(b.CreateMul(mBlock, kb.i64(mc / mr)), group), kb.i64(rowGroups - 1));
          kb.ifElse(
              lastGroup, [&] { kernel(rowTail); }, [&] { kernel(mr); });
        };
        if (!columnTail)
          return forRows(nr);
        kb.ifElse(
            b.CreateICmpEQ(globalPanel, kb.i64(panelsTotal - 1)), [&] { forRows(columnTail); },
            [&] { forRows(nr); });
      });
    });
    if (!fused)
      return;
    // The block's sums are final: its body runs over C's rows (channels),
    // positions innermost, while they are in cache.
    llvm::Value *channels = lastOr(nBlock, nBlocks, nc, columnsTotal - (nBlocks - 1) * nc);
    llvm::Value *positionsInBlock = lastOr(mBlock, mBlocks, mc, rowsTotal - (mBlocks - 1) * mc);
    kb.loop(channels, [&](llvm::Value *c) {
      llvm::Value *channel = b.CreateAdd(column0, c);
      llvm::Value *rowBase = b.CreateAdd(cBase, b.CreateMul(channel, kb.i64(g.n)));
      kb.loop(positionsInBlock, [&](llvm::Value *r) {
        llvm::Value *position = b.CreateAdd(row0, r);
        fused(g.resultIndices(indices, channel, position), b.CreateAdd(rowBase, position));
      });
    });
  });
}

/// Vectors of W lanes for the packers: lane indices, masks and masked
/// memory access in the storage type.
struct VectorLanes {
  KernelBuilder &kb;
  int64_t width;

  VectorLanes(KernelBuilder &kb, int64_t width) : kb(kb), width(width) {}

  llvm::Value *splat32(int64_t value) {
    return kb.b.CreateVectorSplat(width, kb.b.getInt32(value));
  }
  /// <column0 + v * W + lane> as i32 lanes.
  llvm::Value *columns(llvm::Value *column0, int64_t v) {
    SmallVector<llvm::Constant *> iota;
    for (int64_t lane = 0; lane < width; ++lane)
      iota.push_back(kb.b.getInt32(v * width + lane));
    llvm::Value *first = kb.b.CreateTrunc(column0, kb.b.getInt32Ty());
    return kb.b.CreateAdd(kb.b.CreateVectorSplat(width, first), llvm::ConstantVector::get(iota));
  }
  llvm::Value *below(llvm::Value *lanes, int64_t bound) {
    return kb.b.CreateICmpULT(lanes, splat32(bound));
  }
  /// Masked-off lanes keep `passthru` (zero when null).
  llvm::Value *maskedLoad(llvm::Type *element, llvm::Value *pointer, llvm::Value *mask,
                          llvm::Value *passthru = nullptr) {
    auto *type = llvm::FixedVectorType::get(element, width);
    return kb.b.CreateMaskedLoad(type, pointer, llvm::Align(element->getPrimitiveSizeInBits() / 8),
                                 mask, passthru ? passthru : llvm::Constant::getNullValue(type));
  }
  llvm::Value *maskedGather(llvm::Type *element, llvm::Value *base, llvm::Value *offsets,
                            llvm::Value *mask) {
    auto *type = llvm::FixedVectorType::get(element, width);
    llvm::Value *pointers = kb.b.CreateInBoundsGEP(element, base, offsets);
    return kb.b.CreateMaskedGather(type, pointers,
                                   llvm::Align(element->getPrimitiveSizeInBits() / 8), mask,
                                   llvm::Constant::getNullValue(type));
  }
  void store(llvm::Value *value, llvm::Value *pointer) {
    llvm::Type *element = cast<llvm::VectorType>(value->getType())->getElementType();
    kb.b.CreateAlignedStore(value, pointer, llvm::Align(element->getPrimitiveSizeInBits() / 8));
  }
};

/// Row-major offset of `indices` (aligned right) in dims `shape`, with
/// dims of 1 broadcast.
llvm::Value *broadcastOffsetOf(KernelBuilder &kb, BatchIndices indices, ArrayRef<int64_t> shape) {
  return shape.empty() ? kb.i64(0) : kb.broadcastOffset(indices, shape);
}

} // namespace

std::vector<char> packGemmPanels(ArrayRef<char> bytes, int64_t k, int64_t n, int64_t nr,
                                 int64_t elementBytes, bool pairs) {
  int64_t panels = ceilDiv(n, nr);
  int64_t rows = pairs ? (k + 1) / 2 * 2 : k;
  // Zero past N (the micro-kernel loads whole vectors of the last panel)
  // and in an odd K's pad row.
  std::vector<char> packed(panels * rows * nr * elementBytes, 0);
  for (int64_t panel = 0; panel < panels; ++panel)
    for (int64_t row = 0; row < k; ++row) {
      int64_t columns = std::min(nr, n - panel * nr);
      const char *source = &bytes[(row * n + panel * nr) * elementBytes];
      if (!pairs) {
        std::memcpy(&packed[((panel * rows + row) * nr) * elementBytes], source,
                    columns * elementBytes);
        continue;
      }
      // Row pair j holds column c's two elements at (j * NR + c) * 2 + row % 2.
      char *pair = &packed[((panel * rows + row / 2 * 2) * nr) * elementBytes];
      for (int64_t c = 0; c < columns; ++c)
        std::memcpy(pair + (c * 2 + row % 2) * elementBytes, source + c * elementBytes,
                    elementBytes);
    }
  return packed;
}

bool canFuseIntoGemm(Operation *op) {
  r1k::GemmDims dims = r1k::getGemmDims(op);
  return cast<RankedTensorType>(op->getResult(0).getType()).getRank() ==
         int64_t(dims.batch.size() + dims.rowDims.size()) + 1;
}

namespace {

/// emitGemm for an r1.matmul, or with `quantized` an r1.matmul_integer;
/// `flipB`: B's bytes are packed per call xor 0x80 (a u8 weight as i8).
template <typename MatMulLike>
void emitMatMulGemm(KernelBuilder &kb, MatMulLike op, r1k::HostGemmAttr variant, llvm::Value *a,
                    llvm::Value *bMatrix, llvm::Value *c, llvm::Value *scratch, GemmPhase phase,
                    const FusedBody &fused, const QuantizedTerms *quantized, bool flipB = false) {
  r1k::GemmDims dims = r1k::getGemmDims(op);
  llvm::IRBuilder<> &b = kb.b;
  Type element = getElementTypeOrSelf(op.getLhs().getType());
  Type resultElement = cast<RankedTensorType>(op.getType()).getElementType();
  llvm::Type *storage = getScalarType(b.getContext(), element);
  llvm::Type *bits = packingType(storage);
  PanelWriter writer{kb, bits, variant.getNr(), variant.getVector(), dotGroup(variant)};
  writer.flip = flipB;
  GemmOperands g;
  g.writer = &writer;
  g.quantized = quantized;
  g.m = dims.m;
  g.n = dims.n;
  g.k = dims.k;
  g.batch = dims.batch;
  g.a = a;
  g.b = bMatrix;
  g.c = c;
  int64_t m = dims.m, n = dims.n, k = dims.k;
  g.aOffset = [&](BatchIndices i) {
    return b.CreateMul(broadcastOffsetOf(kb, i, dims.aBatch), kb.i64(m * k));
  };
  g.bOffset = [&](BatchIndices i) {
    return b.CreateMul(broadcastOffsetOf(kb, i, dims.bBatch), kb.i64(k * n));
  };
  g.cOffset = [&](BatchIndices i) {
    return b.CreateMul(broadcastOffsetOf(kb, i, dims.batch), kb.i64(m * n));
  };
  VectorLanes lanes(kb, variant.getVector());
  g.packPanel = [&](BatchIndices i, llvm::Value *k0, llvm::Value *kLen, llvm::Value *column0,
                    llvm::Value *panel) {
    // Whole rows of the panel, the lanes past N masked off (and zeroed).
    SmallVector<llvm::Value *> masks;
    for (int64_t v = 0; v < variant.getNr() / variant.getVector(); ++v)
      masks.push_back(lanes.below(lanes.columns(column0, v), n));
    llvm::Value *start = b.CreateAdd(g.bOffset(i), column0);
    kb.loop(kLen, [&](llvm::Value *kk) {
      llvm::Value *row = b.CreateAdd(start, b.CreateMul(b.CreateAdd(k0, kk), kb.i64(n)));
      for (auto [v, mask] : llvm::enumerate(masks)) {
        llvm::Value *source = b.CreateInBoundsGEP(
            storage, bMatrix, b.CreateAdd(row, kb.i64(v * variant.getVector())));
        writer.store(lanes.maskedLoad(bits, source, mask), panel, kk, v);
      }
    });
  };
  // A row of a folded M is (A's batch indices, row of M).
  g.resultIndices = [&b, &kb, rowDims = dims.rowDims](BatchIndices i, llvm::Value *row,
                                                      llvm::Value *column) {
    SmallVector<llvm::Value *> at(i);
    SmallVector<llvm::Value *> rowIndices(rowDims.size());
    for (size_t d = rowDims.size(); d-- > 0;) {
      rowIndices[d] = d == 0 ? row : b.CreateURem(row, kb.i64(rowDims[d]));
      if (d > 0)
        row = b.CreateUDiv(row, kb.i64(rowDims[d]));
    }
    at.append(rowIndices);
    at.push_back(column);
    return at;
  };
  g.scratch = scratch;
  GemmEmitter emitter(kb, g, variant, element, resultElement, resultElement);
  if (phase == GemmPhase::packing)
    emitter.emitPerCallPacking();
  else
    emitter.emit(fused);
}

/// emitConvGemm for an r1.conv, or with `quantized` an r1.conv_integer
/// (no bias): A, the weight, in rows of `aStride` elements; the im2col
/// bytes written by `writer` settings from `configure`.
template <typename ConvLike>
void emitConvLikeGemm(KernelBuilder &kb, ConvLike op, r1k::HostGemmAttr variant, llvm::Value *input,
                      llvm::Value *weight, llvm::Value *bias, llvm::Value *out,
                      llvm::Value *scratch, GemmPhase phase, const FusedBody &fused,
                      const QuantizedTerms *quantized, int64_t aStride,
                      const std::function<void(PanelWriter &)> &configure) {
  r1k::GemmDims dims = r1k::getGemmDims(op);
  llvm::IRBuilder<> &b = kb.b;
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  Type element = inType.getElementType(), resultElement = outType.getElementType();
  Type biasElement = resultElement;
  if constexpr (std::is_same_v<ConvLike, r1::ConvOp>)
    if (op.getBias())
      biasElement = getElementTypeOrSelf(op.getBias().getType());
  llvm::Type *storage = getScalarType(b.getContext(), element);
  llvm::Type *bits = packingType(storage);
  PanelWriter writer{kb, bits, variant.getNr(), variant.getVector(), dotGroup(variant)};
  if (configure)
    configure(writer);
  SmallVector<r1::WindowDim> window =
      r1::windowDims(inType.getShape(), outType.getShape(), weightType.getShape().drop_front(2),
                     op.getStrides(), op.getPads(), op.getDilations());
  int64_t group = op.getGroup(), channels = inType.getDimSize(1);
  int64_t groupChannels = channels / group;
  int64_t inPlane = 1, taps = 1;
  for (const r1::WindowDim &dim : window) {
    inPlane *= dim.input;
    taps *= dim.kernel;
  }
  int64_t m = dims.m, n = dims.n, k = dims.k;
  if (!aStride)
    aStride = k;
  GemmOperands g;
  g.writer = &writer;
  g.quantized = quantized;
  g.aStride = aStride;
  g.m = m;
  g.n = n;
  g.k = k;
  g.batch = dims.batch; // (image, group)
  g.a = weight;
  g.c = out;
  g.b = input;
  g.rowBias = bias;
  // Group g's filters are rows g*m.. of the weight, its sums rows g*m.. of
  // the image's output.
  g.aOffset = [&](BatchIndices i) { return b.CreateMul(i[1], kb.i64(m * aStride)); };
  g.cOffset = [&](BatchIndices i) {
    return b.CreateMul(b.CreateAdd(b.CreateMul(i[0], kb.i64(group)), i[1]), kb.i64(m * n));
  };
  g.rowBiasOffset = [&](BatchIndices i) { return b.CreateMul(i[1], kb.i64(m)); };
  // A pointwise convolution's B is the image's channels as they lie.
  g.bOffset = [&](BatchIndices i) {
    return b.CreateMul(b.CreateAdd(b.CreateMul(i[0], kb.i64(channels)),
                                   b.CreateMul(i[1], kb.i64(groupChannels))),
                       kb.i64(inPlane));
  };
  // An 8-bit convolution whose groups have whole quads of channels runs K
  // tap-major, four channels of a tap a quad (channelQuads).
  bool tapMajor = quantized && writer.group == 4 && channelQuads(groupChannels);
  // The windows the gather walks: an 8-bit pointwise convolution with unit
  // strides and no pads reads its plane as one row of N positions, so a
  // vector of columns is one load, not one per output row it spans (the
  // float GEMM reads such a B in place instead).
  SmallVector<r1::WindowDim> gather = window;
  if (quantized && llvm::all_of(window, [](const r1::WindowDim &dim) {
        return dim.kernel == 1 && dim.stride == 1 && dim.padBegin == 0 && dim.input == dim.output;
      }))
    gather = {r1::WindowDim{inPlane, inPlane, 1, 1, 0, 0, 1}};
  // im2col, a vector of columns at a time: each column's window origin
  // per spatial dim is computed once per panel; each row (channel, taps)
  // adds its tap offsets, masks lanes that fall in the pads or past N, and
  // loads the rest.
  VectorLanes lanes(kb, variant.getVector());
  g.packPanel = [&](BatchIndices i, llvm::Value *k0, llvm::Value *kLen, llvm::Value *column0,
                    llvm::Value *panel) {
    int64_t vectors = variant.getNr() / variant.getVector();
    int64_t width = variant.getVector(), rowLength = gather.back().output;
    int64_t lastStride = gather.back().stride;
    // With a stride of 1 or 2 along the last dim, the lanes of a vector
    // that share an output row (a segment) read adjacent elements (or every
    // other one) of one input row: a masked load per segment, rather than a
    // gather of W scattered elements. A vector spans at most `segments`
    // output rows.
    bool rowLoads = lastStride == 1 || lastStride == 2;
    // (One when the output is a single row: lanes past it are past N.)
    int64_t segments = !rowLoads        ? 0
                       : rowLength >= n ? 1
                                        : (width - 1 + rowLength - 1) / rowLength + 1;
    struct Segment {
      llvm::Value *lanes;  // <W x i1>: the vector's lanes in this output row
      llvm::Value *origin; // i32: the plane offset of its first lane's window
      llvm::Value *first;  // i64: its first lane
    };
    struct ColumnVector {
      llvm::Value *valid;
      SmallVector<llvm::Value *> origins; // per spatial dim, <W x i32>
      SmallVector<Segment> segments;
    };
    SmallVector<ColumnVector> columns;
    for (int64_t v = 0; v < vectors; ++v) {
      llvm::Value *position = lanes.columns(column0, v);
      ColumnVector column{lanes.below(position, n), {}, {}};
      column.origins.resize(gather.size());
      llvm::Value *originOffset = lanes.splat32(0);
      int64_t stride = 1;
      for (int64_t d = int64_t(gather.size()) - 1; d >= 0; --d) {
        const r1::WindowDim &dim = gather[d];
        llvm::Value *o = b.CreateURem(position, lanes.splat32(dim.output));
        position = b.CreateUDiv(position, lanes.splat32(dim.output));
        column.origins[d] = b.CreateSub(b.CreateMul(o, lanes.splat32(dim.stride)),
                                        lanes.splat32(dim.padBegin));
        originOffset =
            b.CreateAdd(originOffset, b.CreateMul(column.origins[d], lanes.splat32(stride)));
        stride *= dim.input;
      }
      // Segment j starts where output row j of the vector does: lane 0, then
      // every rowLength lanes after the first row's end.
      llvm::Value *first = b.CreateAdd(column0, kb.i64(v * width));
      llvm::Value *toRowEnd = b.CreateSub(kb.i64(rowLength), b.CreateURem(first, kb.i64(rowLength)));
      llvm::Value *iota = lanes.columns(kb.i64(0), 0);
      auto laneAt = [&](int64_t j) -> llvm::Value * {
        return j == 0 ? kb.i64(0) : b.CreateAdd(toRowEnd, kb.i64((j - 1) * rowLength));
      };
      for (int64_t j = 0; j < segments; ++j) {
        llvm::Value *begin = laneAt(j), *end = laneAt(j + 1);
        auto splat = [&](llvm::Value *lane) {
          // Clamped to W, so that lanes past the vector stay out of range.
          llvm::Value *clamped = b.CreateSelect(b.CreateICmpULT(lane, kb.i64(width)), lane,
                                                kb.i64(width));
          return b.CreateVectorSplat(width, b.CreateTrunc(clamped, b.getInt32Ty()));
        };
        llvm::Value *inSegment =
            b.CreateAnd(b.CreateICmpUGE(iota, splat(begin)), b.CreateICmpULT(iota, splat(end)));
        llvm::Value *lane = b.CreateSelect(b.CreateICmpULT(begin, kb.i64(width)), begin,
                                           kb.i64(width - 1));
        column.segments.push_back(
            {inSegment, b.CreateExtractElement(originOffset, lane), lane});
      }
      columns.push_back(column);
    }
    llvm::Value *imageBase = g.bOffset(i);
    SmallVector<int> even, lowOwners, highOwners;
    SmallVector<llvm::Constant *> evenLanes;
    for (int64_t e = 0; e < width; ++e) {
      even.push_back(2 * e);
      lowOwners.push_back(e / 2);
      highOwners.push_back((width + e) / 2);
      evenLanes.push_back(b.getInt1(e % 2 == 0));
    }
    llvm::Value *evenMask = llvm::ConstantVector::get(evenLanes);
    // Rows are (channel, tap) pairs, k = channel * taps + tap. Which lanes a
    // row reads, and from where in its channel's plane, depend on the tap
    // alone: the masks and offsets are made once per tap, and the rows of
    // every channel of that tap reuse them.
    kb.loop(taps, [&](llvm::Value *tapIndex) {
      llvm::Value *tap = b.CreateTrunc(tapIndex, b.getInt32Ty());
      SmallVector<llvm::Value *> tapOffsets(gather.size());
      llvm::Value *tapOffset = b.getInt32(0);
      int64_t stride = 1;
      for (int64_t d = int64_t(gather.size()) - 1; d >= 0; --d) {
        tapOffsets[d] = b.CreateMul(b.CreateURem(tap, b.getInt32(gather[d].kernel)),
                                    b.getInt32(gather[d].dilation));
        tap = b.CreateUDiv(tap, b.getInt32(gather[d].kernel));
        tapOffset = b.CreateAdd(tapOffset, b.CreateMul(tapOffsets[d], b.getInt32(stride)));
        stride *= gather[d].input;
      }
      struct TapRead {
        llvm::Value *mask;   // lanes inside the image and below N
        llvm::Value *offset; // <W x i32> plane offsets, for a gather only
        SmallVector<std::pair<llvm::Value *, llvm::Value *>> segments; // (mask, i64 start)
      };
      SmallVector<TapRead> reads;
      for (const ColumnVector &column : columns) {
        TapRead read{column.valid, lanes.splat32(0), {}};
        int64_t stride = 1;
        for (int64_t d = int64_t(gather.size()) - 1; d >= 0; --d) {
          llvm::Value *source =
              b.CreateAdd(column.origins[d], b.CreateVectorSplat(width, tapOffsets[d]));
          // Unsigned: a source in the leading pad is negative.
          read.mask =
              b.CreateAnd(read.mask, b.CreateICmpULT(source, lanes.splat32(gather[d].input)));
          if (!rowLoads)
            read.offset = b.CreateAdd(read.offset, b.CreateMul(source, lanes.splat32(stride)));
          stride *= gather[d].input;
        }
        // Lane l of a segment starting at lane a reads the element
        // (l - a) * stride after the segment's first source. That source may
        // lie in the leading pad, before the plane: a plain GEP, and the
        // masked-off lanes are never read.
        for (const Segment &segment : column.segments)
          read.segments.push_back(
              {b.CreateAnd(read.mask, segment.lanes),
               b.CreateSub(b.CreateSExt(b.CreateAdd(segment.origin, tapOffset), b.getInt64Ty()),
                           b.CreateMul(segment.first, kb.i64(lastStride)))});
        reads.push_back(std::move(read));
      }
      // Row `read` of the tap in channel plane `plane`.
      auto loadRow = [&](llvm::Value *plane, const TapRead &read) -> llvm::Value * {
        if (!rowLoads)
          return lanes.maskedGather(bits, plane, read.offset, read.mask);
        llvm::Value *value = nullptr;
        for (auto [segmentMask, start] : read.segments) {
          llvm::Value *pointer = b.CreateGEP(storage, plane, start);
          if (lastStride == 1) {
            // Each segment's lanes load over the ones before.
            value = lanes.maskedLoad(bits, pointer, segmentMask, value);
            continue;
          }
          // Stride 2: lane i reads element 2i of 2W adjacent ones; the odd
          // ones are never read.
          llvm::Value *low = lanes.maskedLoad(
              bits, pointer, b.CreateAnd(b.CreateShuffleVector(segmentMask, lowOwners), evenMask));
          llvm::Value *high = lanes.maskedLoad(
              bits, b.CreateGEP(storage, pointer, kb.i64(width)),
              b.CreateAnd(b.CreateShuffleVector(segmentMask, highOwners), evenMask));
          llvm::Value *loaded = b.CreateShuffleVector(low, high, even);
          value = value ? b.CreateSelect(segmentMask, loaded, value) : loaded;
        }
        return value;
      };
      auto planeOf = [&](llvm::Value *channel) {
        return b.CreateInBoundsGEP(storage, input,
                                   b.CreateAdd(imageBase, b.CreateMul(channel, kb.i64(inPlane))));
      };
      if (tapMajor) {
        // This tap's rows are tap * C .. tap * C + C - 1; those in [k0, k0
        // + kLen), whole quads (k0, kLen and C are multiples of 4).
        llvm::Value *tapStart = b.CreateMul(tapIndex, kb.i64(groupChannels));
        auto clampChannels = [&](llvm::Value *value) {
          value = b.CreateSelect(b.CreateICmpSLT(value, kb.i64(0)), kb.i64(0), value);
          return b.CreateSelect(b.CreateICmpSGT(value, kb.i64(groupChannels)),
                                kb.i64(groupChannels), value);
        };
        llvm::Value *first = clampChannels(b.CreateSub(k0, tapStart));
        llvm::Value *end = clampChannels(b.CreateSub(b.CreateAdd(k0, kLen), tapStart));
        kb.loop(b.CreateLShr(b.CreateSub(end, first), kb.i64(2)), [&](llvm::Value *q) {
          llvm::Value *channel = b.CreateAdd(first, b.CreateShl(q, kb.i64(2)));
          llvm::Value *row = b.CreateSub(b.CreateAdd(tapStart, channel), k0);
          for (auto [v, read] : llvm::enumerate(reads)) {
            SmallVector<llvm::Value *> values, inside;
            for (int64_t i = 0; i < 4; ++i) {
              values.push_back(loadRow(planeOf(b.CreateAdd(channel, kb.i64(i))), read));
              inside.push_back(read.mask);
            }
            writer.storeQuad(values, inside, panel, row, v);
          }
        });
        return;
      }
      // The channels whose row of this tap lies in [k0, k0 + kLen).
      llvm::Value *firstChannel =
          b.CreateUDiv(b.CreateSub(b.CreateAdd(k0, kb.i64(taps - 1)), tapIndex), kb.i64(taps));
      llvm::Value *endChannel =
          b.CreateUDiv(b.CreateSub(b.CreateAdd(b.CreateAdd(k0, kLen), kb.i64(taps - 1)), tapIndex),
                       kb.i64(taps));
      kb.loop(b.CreateSub(endChannel, firstChannel), [&](llvm::Value *c) {
        llvm::Value *channel = b.CreateAdd(firstChannel, c);
        llvm::Value *row =
            b.CreateSub(b.CreateAdd(b.CreateMul(channel, kb.i64(taps)), tapIndex), k0);
        llvm::Value *plane = planeOf(channel);
        for (auto [v, read] : llvm::enumerate(reads))
          writer.store(loadRow(plane, read), panel, row, v, read.mask);
      });
    });
  };
  g.resultIndices = [&](BatchIndices i, llvm::Value *row, llvm::Value *column) {
    SmallVector<llvm::Value *> at = {i[0], b.CreateAdd(b.CreateMul(i[1], kb.i64(m)), row)};
    // column < N: the outermost spatial index needs no remainder, which
    // leaves the body's offsets affine in the column, so its loop vectorizes.
    SmallVector<llvm::Value *> spatial(window.size());
    for (int64_t d = int64_t(window.size()) - 1; d > 0; --d) {
      spatial[d] = b.CreateURem(column, kb.i64(window[d].output));
      column = b.CreateUDiv(column, kb.i64(window[d].output));
    }
    spatial.front() = column;
    at.append(spatial);
    return at;
  };
  g.scratch = scratch;
  GemmEmitter emitter(kb, g, variant, element, resultElement, biasElement);
  if (phase == GemmPhase::packing)
    emitter.emitPerCallPacking();
  else
    emitter.emit(fused);
}

} // namespace

void emitGemm(KernelBuilder &kb, r1::MatMulOp op, r1k::HostGemmAttr variant, llvm::Value *a,
              llvm::Value *bMatrix, llvm::Value *c, llvm::Value *scratch, GemmPhase phase,
              const FusedBody &fused) {
  emitMatMulGemm(kb, op, variant, a, bMatrix, c, scratch, phase, fused, nullptr);
}

void emitConvGemm(KernelBuilder &kb, r1::ConvOp op, r1k::HostGemmAttr variant, llvm::Value *input,
                  llvm::Value *weight, llvm::Value *bias, llvm::Value *out, llvm::Value *scratch,
                  GemmPhase phase, const FusedBody &fused) {
  emitConvLikeGemm(kb, op, variant, input, weight, bias, out, scratch, phase, fused, nullptr, 0,
                   nullptr);
}

void emitQuantizedGemm(KernelBuilder &kb, Operation *anchor, r1k::HostGemmAttr variant,
                       const QuantizedGemmOperands &operands, llvm::Value *c, llvm::Value *scratch,
                       GemmPhase phase, const FusedBody &fused) {
  llvm::IRBuilder<> &b = kb.b;
  r1k::GemmDims dims = r1k::getGemmDims(anchor);
  QuantizedTerms terms;
  if (auto matmul = dyn_cast<r1::MatMulIntegerOp>(anchor)) {
    // A: the activation, read in place; B: the weight's panels, packed
    // when compiling or, from a weight in the side file, once per call.
    int64_t columns = ceilDiv(dims.n, variant.getNr()) * variant.getNr();
    terms.flipA = operands.activationSigned;
    terms.columnTerm = operands.terms;
    if (operands.weightZeros)
      terms.columnZero = b.CreateInBoundsGEP(b.getInt32Ty(), operands.terms, kb.i64(columns));
    emitMatMulGemm(kb, matmul, variant, operands.activation, operands.weight, c, scratch, phase,
                   fused, &terms, !operands.weightSigned);
    return;
  }
  // A: the weight in rows of whole quads; B: the image's im2col bytes,
  // gathered per call, flipped to u8 and padded with the zero point.
  auto conv = cast<r1::ConvIntegerOp>(anchor);
  int64_t outputs = cast<RankedTensorType>(conv.getWeight().getType()).getDimSize(0);
  if (variant.getTransposed()) {
    // The weight's panels are B and the activation's bytes the broadcast
    // side, already u8 in the panels; its terms are per column.
    assert(!operands.weightZeros && "a transposed convolution keeps no activation sums");
    terms.columnTerm = operands.terms;
  } else {
    terms.bUnsigned = true;
    terms.rowTerm = operands.terms;
    if (operands.weightZeros)
      terms.rowZero = b.CreateInBoundsGEP(b.getInt32Ty(), operands.terms, kb.i64(outputs));
  }
  terms.rowOffset = [&](BatchIndices i) { return b.CreateMul(i[1], kb.i64(dims.m)); };
  emitConvLikeGemm(kb, conv, variant, operands.activation, operands.weight, nullptr, c, scratch,
                   phase, fused, &terms, (dims.k + 3) / 4 * 4, [&](PanelWriter &writer) {
                     writer.padValue = b.getInt8(uint8_t(operands.activationZero));
                     writer.flip = operands.activationSigned;
                   });
}

QuantizedPacking packQuantizedWeight(Operation *anchor, const r1k::QuantizedWeight &weight,
                                     ArrayRef<char> bytes, int64_t nr) {
  r1k::GemmDims dims = r1k::getGemmDims(anchor);
  bool conv = isa<r1::ConvIntegerOp>(anchor);
  // A transposed convolution's weight lies in panels, as a matmul's B.
  bool rows = conv && nr == 0;
  int64_t k = dims.k, quads = (k + 3) / 4;
  // The bytes vpdpbusd reads: a u8 weight flipped to i8 (w - 128), and
  // the zero points moved with them.
  uint8_t weightFlip = weight.weightSigned ? 0 : 0x80;
  int64_t activationZero = weight.activationZero + (weight.activationSigned ? 128 : 0);
  int64_t zeroShift = weight.weightSigned ? 0 : 128;
  int64_t outputs = conv ? dims.m * dims.batch[1] : ceilDiv(dims.n, nr) * nr;
  QuantizedPacking packed;
  int64_t columns = conv ? outputs : dims.n;
  packed.bytes.assign(rows ? outputs * quads * 4 : ceilDiv(columns, nr) * quads * 4 * nr, 0);
  std::vector<int64_t> sums(outputs, 0);
  // A convolution's K as the im2col gather writes it: channel-major as
  // ONNX lays it out, or tap-major (channelQuads).
  int64_t groupChannels = 1, taps = 1;
  if (auto convOp = dyn_cast<r1::ConvIntegerOp>(anchor)) {
    groupChannels = cast<RankedTensorType>(convOp.getWeight().getType()).getDimSize(1);
    taps = k / groupChannels;
  }
  bool tapMajor = conv && channelQuads(groupChannels);
  // Weight element (k, output) of the row-major bytes, as signed bytes.
  for (int64_t o = 0; o < columns; ++o)
    for (int64_t kk = 0; kk < k; ++kk) {
      uint8_t raw = uint8_t(bytes[conv ? o * k + kk : kk * dims.n + o]) ^ weightFlip;
      sums[o] += int8_t(raw);
      // A convolution's row o of whole quads; in panels, panel o / NR, its
      // quad q / 4, lane o % NR, byte q % 4 for q the k as B lays it out.
      int64_t q = tapMajor ? (kk % taps) * groupChannels + kk / taps : kk;
      int64_t at =
          rows ? o * quads * 4 + q : ((o / nr) * quads * nr + (q / 4) * nr + o % nr) * 4 + q % 4;
      packed.bytes[at] = char(raw);
    }
  // term = -za' sum_k w' + K za' zw', then zw', per output.
  packed.terms.assign(2 * outputs, 0);
  for (int64_t o = 0; o < columns; ++o) {
    int64_t zero = weight.weightZeroAt(o) - zeroShift;
    packed.terms[o] = int32_t(-activationZero * sums[o] + k * activationZero * zero);
    packed.terms[outputs + o] = int32_t(zero);
    packed.weightZeros |= zero != 0;
  }
  return packed;
}

} // namespace r1c
