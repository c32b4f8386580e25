//===- AttentionPrinter.cpp - Fused online-softmax attention on GPUs ------===//
//
// The host's attention (codegen/host/AttentionTemplate.cpp) in the order
// FlashAttention-2 gives it on a GPU: a block per (batch, head, block of
// query rows), grid x walking the query blocks from the last (with a
// causal mask they see the most keys, so they start first), y the heads, z
// the batch. The block stages its rows of Q in dynamic shared memory, then
// walks the keys a tile at a time: the tile's scores, scaled and masked as
// on the host, raise each row's running maximum, the row's sum and output
// are rescaled by e^(old - new maximum), and the tile's probabilities
// times its values are added to the output. Maxima and sums stay in
// registers; the scores and probabilities never reach global memory.
// Rows end divided by their sum (a row whose scores are all -inf has none
// and gives zeros), and the fused body runs on each element as it is
// stored. Two templates, chosen by the kernel's #r1k.gpu_attention:
//
// - matrix (f16, bf16 on mma.sync m16n8k16): warps of 16 query rows. Q,
//   and K and V through `stages` buffers, move by cp.async in 16-byte
//   chunks (zero-filled past the operands), into rows padded by 16 bytes so
//   the eight rows one ldmatrix reads fall in distinct bank groups. Q's
//   fragments (ldmatrix) times K's (ldmatrix: K's rows are B's columns)
//   give a tile's scores in accumulators; a lane's accumulators of two
//   neighbouring 8-key pieces are, rounded to 16 bits and packed in pairs,
//   exactly its A fragment of those 16 keys for the second product, so the
//   probabilities never leave the registers; V's fragments come from
//   ldmatrix.trans. A row's maximum and sum are shared by the four lanes
//   holding it (two shuffles), its sum only at the end.
// - matrix on AMD (f16, bf16 on v_mfma_f32_32x32x8): both products
//   transposed, keys x queries, then value columns x queries, waves of 32
//   query rows. A lane is one query (the instruction's column) and one half
//   of its k, so it holds that query's scores of 16 keys a 32-key tile
//   (the other 16 in the lane 32 away: one shuffle for the maximum), and
//   four neighbouring keys of them, packed in pairs, are exactly its B
//   operand of the second product. Q's operands stay in registers for the
//   whole walk; K is staged as stored, V transposed (a value column's keys
//   along a row), both read with one ds_read per instruction or two.
// - FMA (f32, and head dims that are no multiple of 8): warps of a few
//   query rows; a lane
//   takes the tile's keys lane, lane + warp, ... for the scores (Q read as
//   broadcasts, K's rows padded by one element) and the value columns
//   lane, lane + warp, ... for the output, the probabilities passing
//   through shared memory between the two. One buffer holds K, then V.
//
// With a gate (#r1.attention_gate, whose block is the query block), the
// block first finds its kept key blocks as the host does: the mean of its
// staged query rows, each visible key block's score (the mean over its keys
// of their dot product with it, from K in global memory), then one warp
// keeps the first `global` blocks, those within `window` of the block's own
// and the best-scored others; the walk then takes the kept blocks' tiles
// only, in order. A gate threshold keeps, before the best-scored ones, every
// block some query of the block is estimated to give at least that share
// of its weight: two passes over the visible blocks, each block's moments
// (mean key, variance, log of its weight) computed into shared memory and
// every thread estimating its query row's share, the first pass for each
// row's largest estimate and their sum, the second for the shares. With
// `rest = mean` each block left out then joins the softmax as one key (its
// mean key and value, a variance term and the log of its weight), computed
// by the block into shared memory and added by each lane to its rows.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GpuAttentionLayout.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

/// Grid y and z (heads, batch) are at most 65535 on both vendors.
constexpr int64_t kMaxGridYZ = 65535;
/// The mma.sync template's rows a warp (one m16 tile), and the 16-bit
/// elements of one 16-byte chunk.
constexpr int64_t kMmaRows = 16, kChunkElements = 8;
/// The MFMA template's rows a wave (one 32 x 32 tile).
constexpr int64_t kMfmaRows = 32;
constexpr double kLog2e = 1.4426950408889634;

class AttentionPrinter {
public:
  AttentionPrinter(KernelWriter &w, AttentionOp op, r1k::GpuAttentionAttr variant)
      : w(w), os(w.os), op(op), variant(variant), dims(op.getDims()),
        element(getElementTypeOrSelf(op.getQuery().getType())),
        f32(Float32Type::get(op.getContext())), storage(KernelWriter::storageType(element)),
        warpSize(w.target.getWarpSize()), layout(r1k::getGpuAttentionLayout(op, variant, warpSize)),
        gate(op.getGateAttr()), queryBlock(variant.getQueryBlock()),
        keyBlock(variant.getKeyBlock()), warps(variant.getWarps()), stages(variant.getStages()),
        threads(warps * warpSize) {
    q = op.getStrides(0);
    k = op.getStrides(1);
    v = op.getStrides(2);
    o = op.getStrides(3);
    maskStrides = op.getMaskStrides();
  }

  LogicalResult print();

private:
  LogicalResult unprintable(StringRef needs) {
    return op.emitOpError("has GPU attention variant ")
           << variant << ", which the template cannot print (it needs " << needs << ")";
  }
  std::string idx(int64_t value) const { return w.index(value); }
  /// Query blocks, and the tiles a gate's key block is walked in.
  int64_t queryBlocks() const { return (dims.queries + queryBlock - 1) / queryBlock; }
  int64_t tilesPerGateBlock() const { return (gate.getBlock() + keyBlock - 1) / keyBlock; }
  /// The operand element at `offset` (a kernel input), as f32.
  std::string load(Value operand, StringRef offset) { return w.element(operand, offset); }

  /// Whether the gate estimates the blocks it leaves out (rest = mean).
  bool estimates() const { return gate && gate.getEstimateRest(); }
  /// The weight of key `key` (an expression) in a left-out block's
  /// estimate, under a mask the same for every query: 0 or 1 for a keep
  /// mask, e^bias for a bias, 1 without a mask.
  std::string keyWeight(StringRef key);
  /// The blocks the gate left out, each as one key: per block the mean key,
  /// variance and mean value in shared memory, then `update` (the
  /// template's part) adds it to each of the lane's rows with
  /// printEstimateStep.
  void printEstimates(const std::function<LogicalResult()> &update, LogicalResult &result);
  /// One left-out block added to a row: its score `score` (natural units)
  /// moves the row's maximum `max`, rescales its sum `sum` (to which the
  /// lane adds the block's weight only where `owner` holds: each row's sum
  /// is split among the lanes holding it) and its outputs (`output` over
  /// `outputLoops`, value column `column`), which add the mean value.
  void printEstimateStep(StringRef indent, StringRef score, StringRef max, StringRef sum,
                         StringRef owner,
                         const std::vector<std::pair<std::string, int64_t>> &outputLoops,
                         StringRef output, StringRef column);
  void printSetup();
  void printTileBounds(StringRef indent, StringRef iteration);
  void printTileCount();
  /// The gate: r1_kept and r1_nkept, from the staged rows of Q, whose
  /// element (row, column) as f32 is `queryTile(row, column)`.
  void printGate(const std::function<std::string(StringRef, StringRef)> &queryTile);
  /// The gate's threshold: sets r1_gflag of every visible block that some
  /// query of the block is estimated to give at least the threshold's share
  /// of its weight, and clears the others'.
  void printThreshold(const std::function<std::string(StringRef, StringRef)> &queryTile);
  /// Statements (at `indent`, inside a loop over blocks r1_g) that put
  /// block r1_g's moments where r1_ek, r1_evar, r1_elog and, with `values`,
  /// r1_ev point: its mean key, its keys' variance, its mean value and the
  /// log of its weight, the keys weighed as the mask weighs them.
  void printBlockMoments(StringRef indent, bool values);
  /// Whether the gate has a threshold.
  bool thresholds() const { return gate && gate.getThresholdShare() > 0; }
  /// Whether scores stay unscaled products until the exponential, which
  /// then scales them (no float mask to add, a positive scale, so the
  /// maximum is the same score's).
  bool rawScores();
  /// The factor that turns a score into the exponent of 2: log2(e), times
  /// the scale for raw scores.
  std::string exponentScale();
  /// Statements that make the f32 dot product in `var` the score of query
  /// row `row` and key `key` of the tile: scaled (unless raw), masked, -inf
  /// past the tile's keys (r1_klimit). `rowOffset` is the mask's offset of
  /// the row. Without `edge` (a tile inside the keys and before the rows'
  /// diagonal) the causal order and the keys' end are not checked.
  void printScore(StringRef indent, StringRef var, StringRef row, StringRef key,
                  StringRef rowOffset, bool edge = true);
  /// Statements that set `var` to the mask's offset of row `row` (rows
  /// past the queries read the last one's, as on the host); none without a
  /// mask.
  void printMaskRow(StringRef indent, StringRef var, StringRef row);
  /// Unrolled loops over (variable, count) pairs, innermost last, around
  /// one statement.
  using Loops = std::vector<std::pair<std::string, int64_t>>;
  void printLoops(StringRef indent, const Loops &loops, StringRef statement);
  /// The online-softmax step of one row: its scores (`score`, over
  /// `scoreLoops`: a lane's of the tile) raise the row's running maximum
  /// `max` (over the lanes that hold the row: `shuffles` are the XOR masks
  /// that reach them), the row's
  /// sum `sum` (this lane's part) and its outputs (`output` over
  /// `outputLoops`) are rescaled, and the scores become probabilities.
  void printSoftmax(StringRef indent, const Loops &scoreLoops, StringRef score,
                    ArrayRef<int64_t> shuffles, StringRef max, StringRef sum,
                    const Loops &outputLoops, StringRef output);
  /// Stores `value` (and `next`, the element after it, when not empty) as
  /// the result at row `row`, column `column`, through the fused body.
  LogicalResult printOutput(StringRef indent, StringRef row, StringRef column, StringRef value,
                            StringRef next = "");

  /// Copies 16 bytes word by word, which the compilers merge into one
  /// access and keep in registers (a whole 16-byte aggregate copied under a
  /// condition can pass through the stack): into `dst` (a r1_vec<unsigned,
  /// 4>) from the r1_vec at `address`, or, with an empty `dst`, from the
  /// r1_vec `src` into the one at `address`.
  void printWords(StringRef indent, StringRef dst, StringRef src, StringRef address);
  LogicalResult printMma(const MatrixInstruction &mi);
  LogicalResult printMfma(const MatrixInstruction &mi);
  void printCopy(StringRef indent, StringRef tile, Value operand, StringRef base, int64_t stride,
                 int64_t rows, int64_t columns, int64_t chunks, int64_t sharedStride,
                 StringRef rowOk);
  LogicalResult printFma();

  KernelWriter &w;
  raw_ostream &os;
  AttentionOp op;
  r1k::GpuAttentionAttr variant;
  AttentionOp::Dims dims;
  Type element, f32;
  std::string storage;
  int64_t warpSize;
  r1k::GpuAttentionLayout layout;
  AttentionGateAttr gate;
  int64_t queryBlock, keyBlock, warps, stages, threads;
  AttentionOp::Strides q{}, k{}, v{}, o{};
  /// The mask's strides along batch, heads, queries and keys (0 where it
  /// is broadcast).
  std::array<int64_t, 4> maskStrides = {0, 0, 0, 0};
  int64_t &maskRowStride = maskStrides[2], &maskKeyStride = maskStrides[3];
};

LogicalResult AttentionPrinter::print() {
  for (Value operand : {op.getQuery(), op.getKey(), op.getValue()})
    if (!isa<BlockArgument>(operand))
      return op.emitOpError("reads an operand GPU attention cannot stage (only kernel inputs)");
  if (dims.heads > kMaxGridYZ || dims.batch > kMaxGridYZ)
    return op.emitOpError("has ") << dims.batch << " batches of " << dims.heads
                                  << " heads; GPU code launches at most " << kMaxGridYZ
                                  << " of each";
  if (gate && gate.getBlock() != queryBlock)
    return unprintable("query blocks of the gate's block");
  if (estimates() && maskRowStride != 0)
    return op.emitOpError("estimates the key blocks its gate leaves out (rest = mean) under a "
                          "mask that differs between queries; r1c-select-attention-gate drops "
                          "them there");
  // The threshold's estimates take a query row a thread.
  if (thresholds() && threads < queryBlock)
    return unprintable("a thread per query row for the gate's threshold");
  w.launch.grid = {queryBlocks(), dims.heads, dims.batch};
  w.launch.block = {threads, 1, 1};
  w.launch.sharedBytes = layout.totalBytes;
  if (!variant.getMatrix())
    return printFma();
  std::optional<MatrixInstruction> mi = w.target.getMatrixInstruction(element);
  if (warpSize == 64) {
    if (!mi || mi->m != 32 || mi->n != 32 || mi->k != 8 || queryBlock != kMfmaRows * warps ||
        keyBlock % 32 != 0 || stages != 1 || dims.headDim % kChunkElements != 0 ||
        dims.valueDim % kChunkElements != 0)
      return unprintable("v_mfma_f32_32x32x8 for its element type, waves of 32 query rows, key "
                         "tiles of a multiple of 32, one stage and head dims that are multiples "
                         "of 8");
    return printMfma(*mi);
  }
  if (!mi || mi->fragmentFunction.empty() || mi->m != 16 || mi->n != 8 || mi->k != 16 ||
      warpSize != 32 || queryBlock != kMmaRows * warps || keyBlock % 16 != 0 || stages < 2 ||
      dims.headDim % kChunkElements != 0 || dims.valueDim % kChunkElements != 0)
    return unprintable("mma.sync m16n8k16 for its element type, warps of 16 query rows, key "
                       "tiles of a multiple of 16, two or more stages and head dims that are "
                       "multiples of 8");
  return printMma(*mi);
}

/// r1_row0 and r1_rows (the block's query rows), r1_b, r1_h and r1_kvh, and
/// where the block's rows of each operand start.
void AttentionPrinter::printSetup() {
  os << "  const int r1_lane = threadIdx.x % " << warpSize << ", r1_warp = threadIdx.x / "
     << warpSize << ";\n"
     << "  const int r1_row0 = (" << queryBlocks() - 1 << " - (int)blockIdx.x) * " << queryBlock
     << ";\n"
     << "  const int r1_rows = " << dims.queries << " - r1_row0 < " << queryBlock << " ? "
     << dims.queries << " - r1_row0 : " << queryBlock << ";\n"
     << "  const int r1_h = blockIdx.y;\n"
     << "  const r1_i r1_b = blockIdx.z;\n";
  if (op.getTiledKvHeads())
    os << "  const int r1_kvh = r1_h % " << dims.kvHeads << ";\n";
  else
    os << "  const int r1_kvh = r1_h / " << dims.heads / dims.kvHeads << ";\n";
  os << "  const r1_i r1_qbase = r1_b * " << idx(q.batch) << " + (r1_i)r1_h * " << idx(q.head)
     << " + (r1_i)r1_row0 * " << idx(q.position) << ";\n"
     << "  const r1_i r1_kbase = r1_b * " << idx(k.batch) << " + (r1_i)r1_kvh * " << idx(k.head)
     << ";\n"
     << "  const r1_i r1_vbase = r1_b * " << idx(v.batch) << " + (r1_i)r1_kvh * " << idx(v.head)
     << ";\n"
     << "  const r1_i r1_obase = r1_b * " << idx(o.batch) << " + (r1_i)r1_h * " << idx(o.head)
     << ";\n";
  if (op.getMask())
    os << "  const r1_i r1_mbase = r1_b * " << idx(maskStrides[0]) << " + (r1_i)r1_h * "
       << idx(maskStrides[1]) << ";\n";
}

/// r1_key0 and r1_klimit: the first key of tile `iteration` of the walk and
/// the end of the keys it may weigh (the keys' end; with a gate, its key
/// block's end).
void AttentionPrinter::printTileBounds(StringRef indent, StringRef iteration) {
  if (!gate) {
    os << indent << "const int r1_key0 = (" << iteration << ") * " << keyBlock << ";\n"
       << indent << "const int r1_klimit = " << dims.keys << ";\n";
    return;
  }
  int64_t per = tilesPerGateBlock();
  os << indent << "const int r1_g = r1_kept[(" << iteration << ") / " << per << "];\n"
     << indent << "const int r1_key0 = r1_g * " << gate.getBlock() << " + ((" << iteration << ") % "
     << per << ") * " << keyBlock << ";\n"
     << indent << "const int r1_klimit = (r1_g + 1) * " << gate.getBlock() << " < " << dims.keys
     << " ? (r1_g + 1) * " << gate.getBlock() << " : " << dims.keys << ";\n";
}

/// r1_tiles: the tiles the walk takes. With a causal mask, keys after the
/// block's last query are never seen.
void AttentionPrinter::printTileCount() {
  if (gate) {
    os << "  const int r1_tiles = *r1_nkept * " << tilesPerGateBlock() << ";\n";
    return;
  }
  if (!op.getCausal()) {
    os << "  const int r1_tiles = " << (dims.keys + keyBlock - 1) / keyBlock << ";\n";
    return;
  }
  os << "  const int r1_seen = r1_row0 + r1_rows < " << dims.keys
     << " ? r1_row0 + r1_rows : " << dims.keys << ";\n"
     << "  const int r1_tiles = (r1_seen + " << keyBlock - 1 << ") / " << keyBlock << ";\n";
}

void AttentionPrinter::printGate(
    const std::function<std::string(StringRef, StringRef)> &queryTile) {
  int64_t block = gate.getBlock(), blocks = layout.gateBlocks;
  os << "  // The gate: blocks of " << block << " keys, " << gate.getKeepRatio()
     << " of the visible ones kept, the first " << gate.getGlobal() << " and those within "
     << gate.getWindow() << " of the block's own always.\n"
     << "  float *const r1_gq = reinterpret_cast<float *>(r1_smem + " << layout.meanQuery << ");\n"
     << "  float *const r1_gscore = reinterpret_cast<float *>(r1_smem + " << layout.blockScores
     << ");\n"
     << "  int *const r1_gflag = reinterpret_cast<int *>(r1_smem + " << layout.keptFlags << ");\n"
     << "  int *const r1_kept = reinterpret_cast<int *>(r1_smem + " << layout.keptList << ");\n"
     << "  int *const r1_nkept = reinterpret_cast<int *>(r1_smem + " << layout.keptCount << ");\n";
  if (op.getCausal())
    os << "  const int r1_gvisible = ((r1_row0 + r1_rows < " << dims.keys
       << " ? r1_row0 + r1_rows : " << dims.keys << ") + " << block - 1 << ") / " << block << ";\n";
  else
    os << "  const int r1_gvisible = " << blocks << ";\n";
  // The block's mean query (the scale does not change the ranking).
  os << "  for (int r1_d = threadIdx.x; r1_d < " << dims.headDim << "; r1_d += " << threads
     << ") {\n"
     << "    float r1_sum = 0.0f;\n"
     << "    for (int r1_r = 0; r1_r < r1_rows; ++r1_r)\n"
     << "      r1_sum += " << queryTile("r1_r", "r1_d") << ";\n"
     << "    r1_gq[r1_d] = r1_sum * (1.0f / r1_rows);\n"
     << "  }\n"
     << "  __syncthreads();\n";
  // Each visible key block's score: a warp per block, its lanes along the
  // head dim summing each column of the block's keys.
  os << "  for (int r1_g = r1_warp; r1_g < r1_gvisible; r1_g += " << warps << ") {\n"
     << "    const int r1_first = r1_g * " << block << ";\n"
     << "    const int r1_count = " << dims.keys << " - r1_first < " << block << " ? " << dims.keys
     << " - r1_first : " << block << ";\n"
     << "    float r1_part = 0.0f;\n";
  // With `rest = mean` the means weigh each key as its estimate will (a
  // block no key of which weighs has no mean: its score is -inf).
  std::string keyAt =
      load(op.getKey(), ("r1_kbase + (r1_i)(r1_first + r1_j) * " + idx(k.position) + " + r1_d"));
  if (estimates())
    os << "    float r1_weight = 0.0f;\n"
       << "    for (int r1_j = 0; r1_j < r1_count; ++r1_j)\n"
       << "      r1_weight += " << keyWeight("r1_first + r1_j") << ";\n";
  os << "    for (int r1_d = r1_lane; r1_d < " << dims.headDim << "; r1_d += " << warpSize
     << ") {\n"
     << "      float r1_column = 0.0f;\n"
     << "      for (int r1_j = 0; r1_j < r1_count; ++r1_j)\n"
     << "        r1_column += "
     << (estimates() ? keyWeight("r1_first + r1_j") + " * " + keyAt : keyAt) << ";\n"
     << "      r1_part += r1_column * r1_gq[r1_d];\n"
     << "    }\n";
  w.printWarpReduce("    ", "r1_part",
                    [](StringRef a, StringRef b) { return (a + " + " + b).str(); });
  os << "    if (r1_lane == 0)\n";
  if (estimates())
    os << "      r1_gscore[r1_g] = r1_weight > 0.0f ? r1_part / r1_weight : "
       << KernelWriter::lowest(f32) << ";\n";
  else
    os << "      r1_gscore[r1_g] = r1_part / r1_count;\n";
  os << "  }\n"
     << "  __syncthreads();\n";
  if (thresholds())
    printThreshold(queryTile);
  // One warp picks: lane l owns blocks l, l + warp, ..., so only it reads
  // or writes their flags; each further block is the best-scored one not
  // yet kept (the lowest of equal scores), found by a shuffle tree.
  os << "  if (r1_warp == 0) {\n"
     << "    const int r1_own = r1_row0 / " << block << ";\n"
     << "    int r1_forced = 0;\n"
     << "    for (int r1_g = r1_lane; r1_g < r1_gvisible; r1_g += " << warpSize << ") {\n"
     << "      const int r1_f = r1_g < " << gate.getGlobal()
     << " || (r1_g - r1_own >= " << -gate.getWindow() << " && r1_g - r1_own <= " << gate.getWindow()
     << ")" << (thresholds() ? " || r1_gflag[r1_g]" : "") << ";\n"
     << "      r1_gflag[r1_g] = r1_f;\n"
     << "      r1_forced += r1_f;\n"
     << "    }\n";
  w.printWarpReduce("    ", "r1_forced",
                    [](StringRef a, StringRef b) { return (a + " + " + b).str(); });
  // ceil(keep * visible), between 1 and the visible blocks, in double as
  // AttentionGateAttr::getKeptBlocks computes it.
  os << "    int r1_wanted = (int)ceil(" << llvm::format("%.17g", gate.getKeepRatio())
     << " * (double)r1_gvisible - 1e-9);\n"
     << "    r1_wanted = r1_wanted < 1 ? 1 : r1_wanted > r1_gvisible ? r1_gvisible : r1_wanted;\n"
     << "    for (int r1_n = r1_forced; r1_n < r1_wanted; ++r1_n) {\n"
     << "      float r1_best = " << KernelWriter::lowest(f32) << ";\n"
     << "      int r1_at = -1;\n"
     << "      for (int r1_g = r1_lane; r1_g < r1_gvisible; r1_g += " << warpSize << ")\n"
     << "        if (!r1_gflag[r1_g] && (r1_at < 0 || r1_gscore[r1_g] > r1_best)) {\n"
     << "          r1_best = r1_gscore[r1_g];\n"
     << "          r1_at = r1_g;\n"
     << "        }\n"
     << "      for (int r1_m = " << warpSize / 2 << "; r1_m > 0; r1_m >>= 1) {\n"
     << "        const float r1_ob = r1_shfl_xor(r1_best, r1_m);\n"
     << "        const int r1_oa = r1_shfl_xor(r1_at, r1_m);\n"
     << "        if (r1_oa >= 0 && (r1_at < 0 || r1_ob > r1_best || (r1_ob == r1_best && r1_oa < "
        "r1_at))) {\n"
     << "          r1_best = r1_ob;\n"
     << "          r1_at = r1_oa;\n"
     << "        }\n"
     << "      }\n"
     << "      if (r1_at >= 0 && r1_at % " << warpSize << " == r1_lane)\n"
     << "        r1_gflag[r1_at] = 1;\n"
     << "    }\n"
     << "  }\n"
     << "  __syncthreads();\n"
     << "  if (threadIdx.x == 0) {\n"
     << "    int r1_n = 0;\n"
     << "    for (int r1_g = 0; r1_g < r1_gvisible; ++r1_g)\n"
     << "      if (r1_gflag[r1_g])\n"
     << "        r1_kept[r1_n++] = r1_g;\n"
     << "    *r1_nkept = r1_n;\n"
     << "  }\n"
     << "  __syncthreads();\n";
}

std::string AttentionPrinter::keyWeight(StringRef key) {
  Value mask = op.getMask();
  if (!mask)
    return "1.0f";
  std::string value = load(mask, ("r1_mbase + (r1_i)(" + key + ") * " + idx(maskKeyStride)).str());
  if (getElementTypeOrSelf(mask.getType()).isInteger(1))
    return "(" + value + " ? 1.0f : 0.0f)";
  return "expf(" + value + ")";
}

void AttentionPrinter::printBlockMoments(StringRef indent, bool values) {
  int64_t d = dims.headDim, block = gate.getBlock();
  std::string in = indent.str();
  std::string keyAt =
      load(op.getKey(), ("r1_kbase + (r1_i)(r1_first + r1_j) * " + idx(k.position) + " + r1_c"));
  os << in << "const int r1_first = r1_g * " << block << ";\n"
     << in << "const int r1_count = " << dims.keys << " - r1_first < " << block << " ? "
     << dims.keys << " - r1_first : " << block << ";\n"
     << in << "__syncthreads();\n"
     << in << "for (int r1_c = threadIdx.x; r1_c < " << (values ? d + dims.valueDim : d)
     << "; r1_c += " << threads << ") {\n"
     << in << "  float r1_w = 0.0f, r1_sum = 0.0f, r1_squares = 0.0f;\n"
     << in << "  for (int r1_j = 0; r1_j < r1_count; ++r1_j) {\n"
     << in << "    const float r1_kw = " << keyWeight("r1_first + r1_j") << ";\n";
  if (values)
    os << in << "    const float r1_x = r1_c < " << d << " ? " << keyAt << " : "
       << load(op.getValue(), ("r1_vbase + (r1_i)(r1_first + r1_j) * " + idx(v.position) +
                               " + (r1_c - " + std::to_string(d) + ")"))
       << ";\n";
  else
    os << in << "    const float r1_x = " << keyAt << ";\n";
  os << in << "    r1_w += r1_kw;\n"
     << in << "    r1_sum += r1_kw * r1_x;\n"
     << in << "    r1_squares += r1_kw * r1_x * r1_x;\n"
     << in << "  }\n"
     << in
     << "  const float r1_inv = r1_w > 0.0f ? 1.0f / r1_w : 0.0f, r1_mean = r1_sum * r1_inv;\n";
  if (values)
    os << in << "  if (r1_c < " << d << ") {\n"
       << in << "    r1_ek[r1_c] = r1_mean;\n"
       << in << "    r1_evar[r1_c] = fmaxf(r1_squares * r1_inv - r1_mean * r1_mean, 0.0f);\n"
       << in << "  } else {\n"
       << in << "    r1_ev[r1_c - " << d << "] = r1_mean;\n"
       << in << "  }\n";
  else
    os << in << "  r1_ek[r1_c] = r1_mean;\n"
       << in << "  r1_evar[r1_c] = fmaxf(r1_squares * r1_inv - r1_mean * r1_mean, 0.0f);\n";
  os << in << "  if (r1_c == 0)\n"
     << in << "    *r1_elog = r1_w > 0.0f ? logf(r1_w) : " << KernelWriter::lowest(f32) << ";\n"
     << in << "}\n"
     << in << "__syncthreads();\n";
}

void AttentionPrinter::printThreshold(
    const std::function<std::string(StringRef, StringRef)> &queryTile) {
  int64_t d = dims.headDim;
  std::string lowest = KernelWriter::lowest(f32);
  // Query r's estimate of block g's log weight is what the block's estimate
  // key would score: q . mean + (q^2 / 2) . variance + log(weight), q
  // scaled; its share is e^estimate over the sum of them across the
  // visible blocks. The moments go where the estimates' will, one block at
  // a time, so the threshold needs no more shared memory than they do; a
  // thread holds its row's largest estimate and their sum, so they are
  // computed twice: once for the sum, once for the shares.
  os << "  // The threshold: a block is kept when some query of the block is estimated to\n"
     << "  // give it at least " << llvm::format("%g", gate.getThresholdShare())
     << " of its weight.\n"
     << "  {\n"
     << "    float *const r1_ek = reinterpret_cast<float *>(r1_smem + " << layout.estimate << ");\n"
     << "    float *const r1_evar = r1_ek + " << d << ", *const r1_elog = r1_ek + "
     << 2 * d + dims.valueDim << ";\n"
     << "    const bool r1_tvalid = threadIdx.x < r1_rows;\n"
     << "    float r1_tmax = " << lowest << ", r1_tsum = 0.0f;\n"
     << "    for (int r1_g = threadIdx.x; r1_g < r1_gvisible; r1_g += " << threads << ")\n"
     << "      r1_gflag[r1_g] = 0;\n"
     << "    for (int r1_pass = 0; r1_pass < 2; ++r1_pass)\n"
     << "      for (int r1_g = 0; r1_g < r1_gvisible; ++r1_g) {\n";
  printBlockMoments("        ", /*values=*/false);
  os << "        if (!r1_tvalid)\n"
     << "          continue;\n"
     << "        float r1_e = 0.0f;\n"
     << "        for (int r1_d = 0; r1_d < " << d << "; ++r1_d) {\n"
     << "          const float r1_qd = " << queryTile("threadIdx.x", "r1_d") << " * "
     << KernelWriter::literal(f32, op.getScale().convertToDouble()) << ";\n"
     << "          r1_e = fmaf(r1_qd, r1_ek[r1_d], fmaf(0.5f * r1_qd * r1_qd, r1_evar[r1_d], "
        "r1_e));\n"
     << "        }\n"
     << "        r1_e += *r1_elog;\n"
     // An online sum: rescaled when the largest estimate grows; a block
     // without weight (-inf) adds nothing, and a row none of whose blocks
     // weighs keeps a sum of 0, which gives no shares.
     << "        if (r1_pass == 0) {\n"
     << "          if (r1_e > r1_tmax) {\n"
     << "            r1_tsum = r1_tsum * expf(r1_tmax - r1_e) + 1.0f;\n"
     << "            r1_tmax = r1_e;\n"
     << "          } else if (r1_e > " << lowest << ") {\n"
     << "            r1_tsum += expf(r1_e - r1_tmax);\n"
     << "          }\n"
     // Every thread whose row reaches the share writes the same 1; the
     // flags are read after the barrier below.
     << "        } else if (r1_tsum > 0.0f && expf(r1_e - r1_tmax) >= "
     << KernelWriter::literal(f32, gate.getThresholdShare()) << " * r1_tsum) {\n"
     << "          r1_gflag[r1_g] = 1;\n"
     << "        }\n"
     << "      }\n"
     << "  }\n"
     << "  __syncthreads();\n";
}

void AttentionPrinter::printEstimates(const std::function<LogicalResult()> &update,
                                      LogicalResult &result) {
  int64_t d = dims.headDim, dv = dims.valueDim;
  os << "  // The blocks the gate left out, each as one key: its mean key and value\n"
     << "  // (weighted as the mask weighs its keys), scored q . mean + q^2 . variance / 2\n"
     << "  // (the mean of e^(q . k) over its keys, to second order) + log(weight).\n"
     << "  float *const r1_ek = reinterpret_cast<float *>(r1_smem + " << layout.estimate << ");\n"
     << "  float *const r1_evar = r1_ek + " << d << ", *const r1_ev = r1_ek + " << 2 * d
     << ", *const r1_elog = r1_ek + " << 2 * d + dv << ";\n"
     << "  for (int r1_g = 0; r1_g < r1_gvisible; ++r1_g) {\n"
     << "    if (r1_gflag[r1_g])\n"
     << "      continue;\n";
  printBlockMoments("    ", /*values=*/true);
  os << "    if (*r1_elog == " << KernelWriter::lowest(f32) << ")\n"
     << "      continue;\n";
  result = update();
  os << "  }\n";
}

void AttentionPrinter::printEstimateStep(
    StringRef indent, StringRef score, StringRef max, StringRef sum, StringRef owner,
    const std::vector<std::pair<std::string, int64_t>> &outputLoops, StringRef output,
    StringRef column) {
  std::string c = exponentScale(), inner = (indent + "  ").str();
  // In the units of the walk's scores (unscaled where they are raw).
  std::string units =
      rawScores() ? " * " + KernelWriter::literal(f32, 1.0 / op.getScale().convertToDouble()) : "";
  os << indent << "{\n"
     << inner << "const float r1_u = (" << score << ")" << units << ";\n"
     << inner << "const float r1_mnew = fmaxf(" << max << ", r1_u);\n"
     << inner << "const float r1_shift = r1_mnew * " << c << ";\n"
     << inner << "const float r1_rescale = r1_exp2(" << max << " * " << c << " - r1_shift);\n"
     << inner << "const float r1_p = r1_exp2(fmaf(r1_u, " << c << ", -r1_shift));\n"
     << inner << max << " = r1_mnew;\n"
     << inner << sum << " = " << sum << " * r1_rescale + (" << owner << " ? r1_p : 0.0f);\n";
  std::string col = column.str();
  printLoops(inner, outputLoops,
             output.str() + " = " + output.str() + " * r1_rescale + (" + col + " < " +
                 std::to_string(dims.valueDim) + " ? r1_p * r1_ev[" + col + "] : 0.0f);");
  os << indent << "}\n";
}

void AttentionPrinter::printMaskRow(StringRef indent, StringRef var, StringRef row) {
  if (!op.getMask())
    return;
  os << indent << "const r1_i " << var << " = r1_mbase + (r1_i)((" << row << ") < " << dims.queries
     << " ? (" << row << ") : " << dims.queries - 1 << ") * " << idx(maskRowStride) << ";\n";
}

bool AttentionPrinter::rawScores() {
  return op.getScale().convertToDouble() > 0 &&
         !(op.getMask() && !getElementTypeOrSelf(op.getMask().getType()).isInteger(1));
}

std::string AttentionPrinter::exponentScale() {
  double scale = rawScores() ? op.getScale().convertToDouble() : 1.0;
  return KernelWriter::literal(f32, scale * kLog2e);
}

void AttentionPrinter::printScore(StringRef indent, StringRef var, StringRef row, StringRef key,
                                  StringRef rowOffset, bool edge) {
  double maskedScore = op.getMaskedScore().convertToDouble();
  if (rawScores()) {
    // The masked score in the units of an unscaled product, kept finite
    // where it is: a row of masked scores only weighs its keys equally.
    maskedScore /= op.getScale().convertToDouble();
    if (std::isfinite(op.getMaskedScore().convertToDouble()))
      maskedScore = std::clamp<double>(maskedScore, -std::numeric_limits<float>::max(),
                                       std::numeric_limits<float>::max());
  } else {
    os << indent << var << " *= " << KernelWriter::literal(f32, op.getScale().convertToDouble())
       << ";\n";
  }
  std::string masked = KernelWriter::literal(f32, maskedScore);
  if (Value mask = op.getMask()) {
    std::string at = (rowOffset + " + (r1_i)(" + key + ") * " + idx(maskKeyStride)).str();
    std::string value = load(mask, at);
    // Keys past the last are -inf below; their mask is not read.
    if (getElementTypeOrSelf(mask.getType()).isInteger(1))
      os << indent << var << " = (" << key << ") < " << dims.keys << " && " << value << " ? " << var
         << " : " << masked << ";\n";
    else
      os << indent << "if ((" << key << ") < " << dims.keys << ")\n"
         << indent << "  " << var << " += " << value << ";\n";
  }
  if (!edge)
    return;
  if (op.getCausal())
    os << indent << var << " = (" << key << ") <= (" << row << ") ? " << var << " : " << masked
       << ";\n";
  os << indent << var << " = (" << key << ") < r1_klimit ? " << var << " : "
     << KernelWriter::lowest(f32) << ";\n";
}

void AttentionPrinter::printLoops(StringRef indent, const Loops &loops, StringRef statement) {
  std::string at = indent.str();
  for (const auto &[var, count] : loops) {
    os << at << "#pragma unroll\n"
       << at << "for (int " << var << " = 0; " << var << " < " << count << "; ++" << var << ")\n";
    at += "  ";
  }
  os << at << statement << "\n";
}

void AttentionPrinter::printSoftmax(StringRef indent, const Loops &scoreLoops, StringRef score,
                                    ArrayRef<int64_t> shuffles, StringRef max, StringRef sum,
                                    const Loops &outputLoops, StringRef output) {
  std::string inner = (indent + "  ").str();
  os << indent << "{\n" << inner << "float r1_mx = " << KernelWriter::lowest(f32) << ";\n";
  printLoops(inner, scoreLoops, ("r1_mx = fmaxf(r1_mx, " + score + ");").str());
  for (int64_t m : shuffles)
    os << inner << "r1_mx = fmaxf(r1_mx, r1_shfl_xor(r1_mx, " << m << "));\n";
  // e^(x - max) as 2^(x c - max c), c the exponent's scale: one FMA and
  // one exp2 a score. A row whose scores are all -inf so far subtracts 0,
  // not -inf.
  std::string c = exponentScale();
  os << inner << "const float r1_mnew = fmaxf(" << max << ", r1_mx);\n"
     << inner << "const float r1_shift = r1_mnew == " << KernelWriter::lowest(f32)
     << " ? 0.0f : r1_mnew * " << c << ";\n"
     << inner << "const float r1_rescale = r1_exp2(" << max << " * " << c << " - r1_shift);\n"
     << inner << max << " = r1_mnew;\n"
     << inner << "float r1_ps = 0.0f;\n";
  printLoops(
      inner, scoreLoops,
      (score + " = r1_exp2(fmaf(" + score + ", " + c + ", -r1_shift)), r1_ps += " + score + ";")
          .str());
  os << inner << sum << " = " << sum << " * r1_rescale + r1_ps;\n";
  printLoops(inner, outputLoops, (output + " *= r1_rescale;").str());
  os << indent << "}\n";
}

LogicalResult AttentionPrinter::printOutput(StringRef indent, StringRef row, StringRef column,
                                            StringRef value, StringRef next) {
  std::string at =
      ("r1_obase + (r1_i)(" + row + ") * " + idx(o.position) + " + (" + column + ")").str();
  // The anchor's value is the attention in its element type.
  if (next.empty())
    return w.printStore(indent, KernelWriter::roundTo(element, value), at);
  return w.printStorePair(indent, KernelWriter::roundTo(element, value),
                          KernelWriter::roundTo(element, next), at);
}

/// cp.async of one tile's rows into shared memory at `tile` (a shared
/// address): `rows` rows of `columns` elements (a multiple of 8, the rest
/// of `chunks` chunks a row zero), row r at `base` + r * `stride` of
/// `operand`, present where `rowOk` (of r1_r) holds.
void AttentionPrinter::printCopy(StringRef indent, StringRef tile, Value operand, StringRef base,
                                 int64_t stride, int64_t rows, int64_t columns, int64_t chunks,
                                 int64_t sharedStride, StringRef rowOk) {
  int64_t total = rows * chunks, perThread = (total + threads - 1) / threads;
  std::string name = KernelWriter::inputName(cast<BlockArgument>(operand).getArgNumber());
  std::string inner = (indent + "  ").str();
  os << indent << "#pragma unroll\n"
     << indent << "for (int r1_l = 0; r1_l < " << perThread << "; ++r1_l) {\n"
     << inner << "const int r1_c = threadIdx.x + " << threads << " * r1_l;\n";
  if (total % threads != 0)
    os << inner << "if (r1_c >= " << total << ")\n" << inner << "  break;\n";
  os << inner << "const int r1_r = r1_c / " << chunks << ", r1_d = " << kChunkElements
     << " * (r1_c % " << chunks << ");\n"
     << inner << "const bool r1_ok = " << rowOk
     << (columns < chunks * kChunkElements ? " && r1_d < " + std::to_string(columns) : "") << ";\n"
     << inner << "r1_cp_async16(" << tile << " + 2 * (r1_r * " << sharedStride << " + r1_d), "
     << name << " + (r1_ok ? " << base << " + (r1_i)r1_r * " << idx(stride)
     << " + r1_d : 0), r1_ok ? 16 : 0);\n"
     << indent << "}\n";
}

LogicalResult AttentionPrinter::printMma(const MatrixInstruction &mi) {
  int64_t headPieces = layout.headColumns / 16, valuePieces = layout.valueColumns / 16;
  int64_t keyPieces = keyBlock / 16;
  int64_t qs = layout.queryStride, ks = layout.keyStride, vs = layout.valueStride;
  std::string pack = element.isBF16() ? "r1_pack_bf16x2" : "r1_pack_f16x2";
  std::string mma = mi.fragmentFunction;
  os << "  // " << mi.instruction << " for both products: " << warps
     << " warps of 16 query rows, keys in tiles of " << keyBlock << " through " << stages
     << " stages of cp.async; the probabilities stay in registers.\n"
     << "  R1_DYNAMIC_SHARED(r1_smem);\n"
     << "  const r1_shared_ptr r1_qshared = r1_shared_address(r1_smem);\n"
     << "  const r1_shared_ptr r1_kshared = r1_qshared + " << layout.key
     << ", r1_vshared = r1_qshared + " << layout.value << ";\n";
  printSetup();

  // Q's rows, zero past the queries; without a gate they land with the
  // first tile.
  printCopy("  ", "r1_qshared", op.getQuery(), "r1_qbase", q.position, queryBlock, dims.headDim,
            layout.headColumns / kChunkElements, qs, "r1_r < r1_rows");
  if (gate) {
    os << "  r1_cp_async_commit();\n"
       << "  r1_cp_async_wait<0>();\n"
       << "  __syncthreads();\n";
    std::string tile = "reinterpret_cast<const " + storage + " *>(r1_smem)";
    printGate([&](StringRef row, StringRef column) {
      return KernelWriter::fromStorage(element, tile + "[" + row.str() + " * " +
                                                    std::to_string(qs) + " + " + column.str() +
                                                    "]");
    });
  }
  printTileCount();

  // A tile's K and V rows into stage `stage`, zero past its keys.
  auto copyTile = [&](StringRef indent, StringRef stage) {
    std::string offset = ("(" + stage + ") * " + Twine(layout.stageBytes)).str();
    printCopy(indent, "r1_kshared + " + offset, op.getKey(),
              "r1_kbase + (r1_i)r1_key0 * " + idx(k.position), k.position, keyBlock, dims.headDim,
              layout.headColumns / kChunkElements, ks, "r1_key0 + r1_r < r1_klimit");
    printCopy(indent, "r1_vshared + " + offset, op.getValue(),
              "r1_vbase + (r1_i)r1_key0 * " + idx(v.position), v.position, keyBlock, dims.valueDim,
              layout.valueColumns / kChunkElements, vs, "r1_key0 + r1_r < r1_klimit");
  };
  // Prologue: tiles 0 .. stages - 2, one commit group each.
  os << "  #pragma unroll\n"
     << "  for (int r1_s = 0; r1_s < " << stages - 1 << "; ++r1_s) {\n"
     << "    if (r1_s < r1_tiles) {\n";
  printTileBounds("      ", "r1_s");
  copyTile("      ", "r1_s");
  os << "    }\n"
     << "    r1_cp_async_commit();\n"
     << "  }\n";

  // Where each lane's ldmatrix rows start (bytes): Q's A fragments (lane
  // l: row l % 16 of the warp's, chunk l / 16 of each 16-wide piece); K's
  // B fragments, two 8-key pieces at once (lane l: key l % 8 + 8 (l / 16),
  // chunk (l / 8) % 2), since K's rows are B's columns; V's with .trans
  // (lane l: key l % 16, chunk l / 16 of each 16-column pair).
  os << "  const int r1_qr = 16 * r1_warp;\n"
     << "  const int r1_qfrag = 2 * ((r1_qr + r1_lane % 16) * " << qs << " + 8 * (r1_lane / 16));\n"
     << "  const int r1_kfrag = 2 * (((r1_lane & 7) + 8 * (r1_lane >> 4)) * " << ks
     << " + 8 * ((r1_lane >> 3) & 1));\n"
     << "  const int r1_vfrag = 2 * ((r1_lane % 16) * " << vs << " + 8 * (r1_lane / 16));\n"
     << "  float r1_o[" << valuePieces * 2 << "][4];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_x = 0; r1_x < " << valuePieces * 2 << "; ++r1_x)\n"
     << "    #pragma unroll\n"
     << "    for (int r1_e = 0; r1_e < 4; ++r1_e)\n"
     << "      r1_o[r1_x][r1_e] = 0.0f;\n"
     << "  float r1_m[2] = {" << KernelWriter::lowest(f32) << ", " << KernelWriter::lowest(f32)
     << "}, r1_l[2] = {0.0f, 0.0f};\n";

  // Tile t: wait for its group, put tile t + stages - 1 in flight into the
  // stage tile t - 1 used (every warp is past it at the barrier), compute.
  os << "  for (int r1_it = 0; r1_it < r1_tiles; ++r1_it) {\n"
     << "    r1_cp_async_wait<" << stages - 2 << ">();\n"
     << "    __syncthreads();\n"
     << "    {\n"
     << "      const int r1_next = r1_it + " << stages - 1 << ";\n"
     << "      if (r1_next < r1_tiles) {\n";
  printTileBounds("        ", "r1_next");
  copyTile("        ", "r1_next % " + std::to_string(stages));
  os << "      }\n"
     << "      r1_cp_async_commit();\n"
     << "    }\n";
  printTileBounds("    ", "r1_it");
  if (op.getCausal())
    os << "    // Keys after the warp's last row: all masked.\n"
       << "    if (r1_key0 > r1_row0 + r1_qr + 15)\n"
       << "      continue;\n";
  os << "    const r1_shared_ptr r1_ks = r1_kshared + (r1_it % " << stages << ") * "
     << layout.stageBytes << ", r1_vs = r1_vshared + (r1_it % " << stages << ") * "
     << layout.stageBytes << ";\n";

  // Scores: Q (16 x 16 pieces of the head dim) times K^T.
  os << "    float r1_s[" << keyPieces * 2 << "][4];\n"
     << "    #pragma unroll\n"
     << "    for (int r1_n = 0; r1_n < " << keyPieces * 2 << "; ++r1_n)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_e = 0; r1_e < 4; ++r1_e)\n"
     << "        r1_s[r1_n][r1_e] = 0.0f;\n"
     << "    #pragma unroll\n"
     << "    for (int r1_kk = 0; r1_kk < " << headPieces << "; ++r1_kk) {\n"
     << "      unsigned r1_qa[4];\n"
     << "      r1_ldmatrix_x4(r1_qa, r1_qshared + r1_qfrag + 32 * r1_kk);\n"
     << "      #pragma unroll\n"
     << "      for (int r1_np = 0; r1_np < " << keyPieces << "; ++r1_np) {\n"
     << "        unsigned r1_kb[4];\n"
     << "        r1_ldmatrix_x4(r1_kb, r1_ks + r1_kfrag + r1_np * " << 2 * 16 * ks
     << " + 32 * r1_kk);\n"
     << "        " << mma << "(r1_s[2 * r1_np], r1_qa, &r1_kb[0]);\n"
     << "        " << mma << "(r1_s[2 * r1_np + 1], r1_qa, &r1_kb[2]);\n"
     << "      }\n"
     << "    }\n";

  // Masks and the online softmax: accumulator e of piece n is row
  // g + 8 (e / 2), key 8 n + 2 t + e % 2 (g = lane / 4, t = lane % 4); the
  // four lanes of a g hold a row between them.
  os << "    #pragma unroll\n"
     << "    for (int r1_hh = 0; r1_hh < 2; ++r1_hh) {\n"
     << "      const int r1_qi = r1_row0 + r1_qr + (r1_lane >> 2) + 8 * r1_hh;\n";
  printMaskRow("      ", "r1_mrow", "r1_qi");
  auto maskTile = [&](StringRef indent, bool edge) {
    std::string inner = (indent + "    ").str();
    os << indent << "#pragma unroll\n"
       << indent << "for (int r1_n = 0; r1_n < " << keyPieces * 2 << "; ++r1_n)\n"
       << indent << "  #pragma unroll\n"
       << indent << "  for (int r1_e = 0; r1_e < 2; ++r1_e) {\n"
       << inner << "const int r1_key = r1_key0 + 8 * r1_n + 2 * (r1_lane & 3) + r1_e;\n"
       << inner << "float r1_x = r1_s[r1_n][2 * r1_hh + r1_e];\n";
    printScore(inner, "r1_x", "r1_qi", "r1_key", "r1_mrow", edge);
    os << inner << "r1_s[r1_n][2 * r1_hh + r1_e] = r1_x;\n" << indent << "  }\n";
  };
  // Only a tile past the keys' end (or its gate block's), or one that
  // crosses the warp's diagonal, needs the comparisons per key.
  std::vector<std::string> edges;
  if (gate || dims.keys % keyBlock != 0)
    edges.push_back("r1_key0 + " + std::to_string(keyBlock) + " > r1_klimit");
  if (op.getCausal())
    edges.push_back("r1_key0 + " + std::to_string(keyBlock - 1) + " > r1_row0 + r1_qr");
  if (edges.empty()) {
    maskTile("      ", false);
  } else {
    os << "      if (" << llvm::join(edges, " || ") << ") {\n";
    maskTile("        ", true);
    os << "      } else {\n";
    maskTile("        ", false);
    os << "      }\n";
  }
  printSoftmax("      ", {{"r1_n", keyPieces * 2}, {"r1_e", 2}}, "r1_s[r1_n][2 * r1_hh + r1_e]",
               {1, 2}, "r1_m[r1_hh]", "r1_l[r1_hh]", {{"r1_x", valuePieces * 2}, {"r1_e", 2}},
               "r1_o[r1_x][2 * r1_hh + r1_e]");
  os << "    }\n";

  // Output += P V: the accumulators of pieces 2 kk and 2 kk + 1 (keys
  // 16 kk .. 16 kk + 15), packed in pairs, are the A fragment of those
  // keys: register 0 row g keys 2t, 2t + 1; 1 row g + 8; 2 and 3 the same
  // eight keys on.
  os << "    #pragma unroll\n"
     << "    for (int r1_kk = 0; r1_kk < " << keyPieces << "; ++r1_kk) {\n"
     << "      const unsigned r1_pa[4] = {" << pack << "(r1_s[2 * r1_kk][0], r1_s[2 * r1_kk][1]), "
     << pack << "(r1_s[2 * r1_kk][2], r1_s[2 * r1_kk][3]), " << pack
     << "(r1_s[2 * r1_kk + 1][0], r1_s[2 * r1_kk + 1][1]), " << pack
     << "(r1_s[2 * r1_kk + 1][2], r1_s[2 * r1_kk + 1][3])};\n"
     << "      #pragma unroll\n"
     << "      for (int r1_x = 0; r1_x < " << valuePieces << "; ++r1_x) {\n"
     << "        unsigned r1_vb[4];\n"
     << "        r1_ldmatrix_x4_trans(r1_vb, r1_vs + r1_vfrag + r1_kk * " << 2 * 16 * vs
     << " + 32 * r1_x);\n"
     << "        " << mma << "(r1_o[2 * r1_x], r1_pa, &r1_vb[0]);\n"
     << "        " << mma << "(r1_o[2 * r1_x + 1], r1_pa, &r1_vb[2]);\n"
     << "      }\n"
     << "    }\n"
     << "  }\n";

  if (estimates()) {
    LogicalResult result = success();
    printEstimates(
        [&] {
          os << "    const " << storage << " *const r1_qt = reinterpret_cast<const " << storage
             << " *>(r1_smem);\n"
             << "    #pragma unroll\n"
             << "    for (int r1_hh = 0; r1_hh < 2; ++r1_hh) {\n"
             << "      const int r1_qrow = r1_qr + (r1_lane >> 2) + 8 * r1_hh;\n"
             << "      float r1_t = *r1_elog;\n"
             << "      for (int r1_d = 0; r1_d < " << dims.headDim << "; ++r1_d) {\n"
             << "        const float r1_qx = "
             << KernelWriter::literal(f32, op.getScale().convertToDouble()) << " * "
             << KernelWriter::fromStorage(element,
                                          "r1_qt[r1_qrow * " + std::to_string(qs) + " + r1_d]")
             << ";\n"
             << "        r1_t += r1_qx * r1_ek[r1_d] + 0.5f * r1_qx * r1_qx * r1_evar[r1_d];\n"
             << "      }\n";
          printEstimateStep("      ", "r1_t", "r1_m[r1_hh]", "r1_l[r1_hh]", "(r1_lane & 3) == 0",
                            {{"r1_x", valuePieces * 2}, {"r1_e", 2}},
                            "r1_o[r1_x][2 * r1_hh + r1_e]", "8 * r1_x + 2 * (r1_lane & 3) + r1_e");
          os << "    }\n";
          return success();
        },
        result);
    if (failed(result))
      return failure();
  }

  // Each row's sum over its four lanes, then the rows divided by it; a
  // lane stores its two neighbouring columns at once.
  for (int hh = 0; hh < 2; ++hh) {
    os << "  {\n"
       << "    float r1_sum = r1_l[" << hh << "];\n"
       << "    r1_sum += r1_shfl_xor(r1_sum, 1);\n"
       << "    r1_sum += r1_shfl_xor(r1_sum, 2);\n"
       << "    const float r1_inv = r1_sum > 0.0f ? 1.0f / r1_sum : 0.0f;\n"
       << "    const int r1_row = r1_row0 + r1_qr + (r1_lane >> 2) + " << 8 * hh << ";\n"
       << "    if (r1_row < " << dims.queries << ") {\n"
       << "      #pragma unroll\n"
       << "      for (int r1_x = 0; r1_x < " << dims.valueDim / 8 << "; ++r1_x) {\n"
       << "        const int r1_col = 8 * r1_x + 2 * (r1_lane & 3);\n";
    if (failed(printOutput("        ", "r1_row", "r1_col",
                           "r1_o[r1_x][" + std::to_string(2 * hh) + "] * r1_inv",
                           "r1_o[r1_x][" + std::to_string(2 * hh + 1) + "] * r1_inv")))
      return failure();
    os << "      }\n"
       << "    }\n"
       << "  }\n";
  }
  return success();
}

void AttentionPrinter::printWords(StringRef indent, StringRef dst, StringRef src,
                                  StringRef address) {
  std::string type = dst.empty() ? "r1_vec<unsigned, 4>" : "const r1_vec<unsigned, 4>";
  os << indent << "{\n"
     << indent << "  " << type << " *const r1_at = reinterpret_cast<" << type << " *>(" << address
     << ");\n"
     << indent << "  #pragma unroll\n"
     << indent << "  for (int r1_w = 0; r1_w < 4; ++r1_w)\n";
  if (dst.empty())
    os << indent << "    r1_at->v[r1_w] = " << src << ".v[r1_w];\n";
  else
    os << indent << "    " << dst << ".v[r1_w] = r1_at->v[r1_w];\n";
  os << indent << "}\n";
}

LogicalResult AttentionPrinter::printMfma(const MatrixInstruction &mi) {
  int64_t headGroups = layout.headColumns / 16, valueTiles = layout.valueColumns / 32;
  int64_t keyTiles = keyBlock / 32;
  int64_t ks = layout.keyStride, vs = layout.valueStride, d = dims.headDim;
  std::string pack = element.isBF16() ? "r1_pack_bf16x2" : "r1_pack_f16x2";
  std::string mfma = mi.function;
  std::string qIn = KernelWriter::inputName(cast<BlockArgument>(op.getQuery()).getArgNumber());
  std::string kIn = KernelWriter::inputName(cast<BlockArgument>(op.getKey()).getArgNumber());
  std::string vIn = KernelWriter::inputName(cast<BlockArgument>(op.getValue()).getArgNumber());
  os << "  // " << mi.instruction << " for both products, transposed (keys x queries, then "
     << "value columns x queries): " << warps << " waves of 32 query rows, keys in tiles of "
     << keyBlock << "; the probabilities stay in registers.\n"
     << "  R1_DYNAMIC_SHARED(r1_smem);\n"
     << "  " << storage << " *const r1_ks = reinterpret_cast<" << storage << " *>(r1_smem);\n"
     << "  " << storage << " *const r1_vt = reinterpret_cast<" << storage << " *>(r1_smem + "
     << layout.value << ");\n";
  printSetup();
  // A lane is query r1_qi (its column of every product) and half r1_hf of
  // the instruction's k. Its Q operands stay in registers: for each 16 of
  // the head dim, 8 (half r1_hf) of its row, of which the first four feed
  // one MFMA and the next four the next; K's are read the same way, so each
  // pair of instructions sums all 16.
  os << "  const int r1_j = r1_lane % 32, r1_hf = r1_lane / 32;\n"
     << "  const int r1_qi = r1_row0 + 32 * r1_warp + r1_j;\n"
     << "  r1_vec<unsigned, 4> r1_qb[" << headGroups << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_g = 0; r1_g < " << headGroups << "; ++r1_g) {\n"
     << "    const int r1_d = 16 * r1_g + 8 * r1_hf;\n"
     << "    r1_qb[r1_g] = r1_vec<unsigned, 4>{{0u, 0u, 0u, 0u}};\n"
     << "    if (r1_qi < " << dims.queries
     << (layout.headColumns != d ? " && r1_d < " + std::to_string(d) : "") << ")\n";
  printWords("      ", "r1_qb[r1_g]", "",
             qIn + " + r1_qbase + (r1_i)(32 * r1_warp + r1_j) * " + idx(q.position) + " + r1_d");
  os << "  }\n";
  if (gate)
    printGate([&](StringRef row, StringRef column) {
      return load(op.getQuery(), "r1_qbase + (r1_i)(" + row.str() + ") * " + idx(q.position) +
                                     " + " + column.str());
    });
  printTileCount();
  os << "  r1_mfma_acc r1_o[" << valueTiles << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_x = 0; r1_x < " << valueTiles << "; ++r1_x)\n"
     << "    #pragma unroll\n"
     << "    for (int r1_e = 0; r1_e < 16; ++r1_e)\n"
     << "      r1_o[r1_x].v[r1_e] = 0.0f;\n"
     << "  float r1_m = " << KernelWriter::lowest(f32) << ", r1_l = 0.0f;\n";
  printMaskRow("  ", "r1_mrow", "r1_qi");
  os << "  for (int r1_it = 0; r1_it < r1_tiles; ++r1_it) {\n";
  printTileBounds("    ", "r1_it");
  // K as stored (16 bytes a thread, zero past the tile's keys); V
  // transposed: a thread takes 8 value columns of two neighbouring keys and
  // stores each column's pair as one word.
  int64_t kChunks = keyBlock * (layout.headColumns / kChunkElements);
  int64_t vUnits = (keyBlock / 2) * (layout.valueColumns / kChunkElements);
  os << "    __syncthreads();\n"
     << "    for (int r1_c = threadIdx.x; r1_c < " << kChunks << "; r1_c += " << threads << ") {\n"
     << "      const int r1_r = r1_c / " << layout.headColumns / kChunkElements
     << ", r1_d = 8 * (r1_c % " << layout.headColumns / kChunkElements << ");\n"
     << "      const bool r1_ok = r1_key0 + r1_r < r1_klimit"
     << (layout.headColumns != d ? " && r1_d < " + std::to_string(d) : "") << ";\n"
     << "      r1_vec<unsigned, 4> r1_kx = {{0u, 0u, 0u, 0u}};\n"
     << "      if (r1_ok)\n";
  printWords("        ", "r1_kx", "",
             kIn + " + r1_kbase + (r1_i)(r1_key0 + r1_r) * " + idx(k.position) + " + r1_d");
  printWords("      ", "", "r1_kx", "r1_ks + r1_r * " + std::to_string(ks) + " + r1_d");
  os << "    }\n"
     << "    for (int r1_u = threadIdx.x; r1_u < " << vUnits << "; r1_u += " << threads << ") {\n"
     << "      const int r1_kp = r1_u % " << keyBlock / 2 << ", r1_c = 8 * (r1_u / " << keyBlock / 2
     << ");\n"
     << "      const int r1_key = r1_key0 + 2 * r1_kp;\n"
     << "      const bool r1_in = "
     << (layout.valueColumns != dims.valueDim ? "r1_c < " + std::to_string(dims.valueDim)
                                              : std::string("true"))
     << ";\n"
     << "      r1_vec<unsigned, 4> r1_v0 = {{0u, 0u, 0u, 0u}}, r1_v1 = r1_v0;\n"
     << "      if (r1_in && r1_key < r1_klimit)\n";
  printWords("        ", "r1_v0", "",
             vIn + " + r1_vbase + (r1_i)r1_key * " + idx(v.position) + " + r1_c");
  os << "      if (r1_in && r1_key + 1 < r1_klimit)\n";
  printWords("        ", "r1_v1", "",
             vIn + " + r1_vbase + (r1_i)(r1_key + 1) * " + idx(v.position) + " + r1_c");
  os << "      #pragma unroll\n"
     << "      for (int r1_e = 0; r1_e < 4; ++r1_e) {\n"
     << "        *reinterpret_cast<unsigned *>(r1_vt + (r1_c + 2 * r1_e) * " << vs
     << " + 2 * r1_kp) = (r1_v0.v[r1_e] & 0xffffu) | (r1_v1.v[r1_e] << 16);\n"
     << "        *reinterpret_cast<unsigned *>(r1_vt + (r1_c + 2 * r1_e + 1) * " << vs
     << " + 2 * r1_kp) = (r1_v0.v[r1_e] >> 16) | (r1_v1.v[r1_e] & 0xffff0000u);\n"
     << "      }\n"
     << "    }\n"
     << "    __syncthreads();\n";
  if (op.getCausal())
    os << "    // Keys after the wave's last row: all masked.\n"
       << "    if (r1_key0 > r1_row0 + 32 * r1_warp + 31)\n"
       << "      continue;\n";

  // Scores, transposed: key tile t's keys are the rows (A: K), this lane's
  // query the column (B: Q).
  os << "    r1_mfma_acc r1_s[" << keyTiles << "];\n"
     << "    #pragma unroll\n"
     << "    for (int r1_t = 0; r1_t < " << keyTiles << "; ++r1_t)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_e = 0; r1_e < 16; ++r1_e)\n"
     << "        r1_s[r1_t].v[r1_e] = 0.0f;\n"
     << "    #pragma unroll\n"
     << "    for (int r1_g = 0; r1_g < " << headGroups << "; ++r1_g)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_t = 0; r1_t < " << keyTiles << "; ++r1_t) {\n"
     << "        const r1_vec<unsigned, 4> r1_ka = *reinterpret_cast<const r1_vec<unsigned, 4> *>("
     << "r1_ks + (32 * r1_t + r1_j) * " << ks << " + 16 * r1_g + 8 * r1_hf);\n"
     << "        " << mfma
     << "(r1_s[r1_t], r1_ka.v[0], r1_ka.v[1], r1_qb[r1_g].v[0], r1_qb[r1_g].v[1]);\n"
     << "        " << mfma
     << "(r1_s[r1_t], r1_ka.v[2], r1_ka.v[3], r1_qb[r1_g].v[2], r1_qb[r1_g].v[3]);\n"
     << "      }\n";

  // Element e of tile t is key 32 t + 8 (e / 4) + 4 r1_hf + e % 4 of this
  // lane's query; the query's other keys are in the lane 32 away.
  auto maskTile = [&](StringRef indent, bool edge) {
    std::string inner = (indent + "    ").str();
    os << indent << "#pragma unroll\n"
       << indent << "for (int r1_t = 0; r1_t < " << keyTiles << "; ++r1_t)\n"
       << indent << "  #pragma unroll\n"
       << indent << "  for (int r1_e = 0; r1_e < 16; ++r1_e) {\n"
       << inner
       << "const int r1_key = r1_key0 + 32 * r1_t + 8 * (r1_e / 4) + 4 * r1_hf + r1_e % 4;\n"
       << inner << "float r1_x = r1_s[r1_t].v[r1_e];\n";
    printScore(inner, "r1_x", "r1_qi", "r1_key", "r1_mrow", edge);
    os << inner << "r1_s[r1_t].v[r1_e] = r1_x;\n" << indent << "  }\n";
  };
  std::vector<std::string> edges;
  if (gate || dims.keys % keyBlock != 0)
    edges.push_back("r1_key0 + " + std::to_string(keyBlock) + " > r1_klimit");
  if (op.getCausal())
    edges.push_back("r1_key0 + " + std::to_string(keyBlock - 1) + " > r1_row0 + 32 * r1_warp");
  if (edges.empty()) {
    maskTile("    ", false);
  } else {
    os << "    if (" << llvm::join(edges, " || ") << ") {\n";
    maskTile("      ", true);
    os << "    } else {\n";
    maskTile("      ", false);
    os << "    }\n";
  }
  printSoftmax("    ", {{"r1_t", keyTiles}, {"r1_e", 16}}, "r1_s[r1_t].v[r1_e]", {32}, "r1_m",
               "r1_l", {{"r1_x", valueTiles}, {"r1_e", 16}}, "r1_o[r1_x].v[r1_e]");

  // Output^T += V^T P^T: elements 4 c .. 4 c + 3 of a score tile are keys
  // 8 c + 4 r1_hf .. + 3 of this lane's query, packed in pairs exactly B's
  // operand for those eight keys; A is V^T's row of value column j.
  os << "    #pragma unroll\n"
     << "    for (int r1_t = 0; r1_t < " << keyTiles << "; ++r1_t)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_c = 0; r1_c < 4; ++r1_c) {\n"
     << "        const unsigned r1_p0 = " << pack
     << "(r1_s[r1_t].v[4 * r1_c], r1_s[r1_t].v[4 * r1_c + 1]), r1_p1 = " << pack
     << "(r1_s[r1_t].v[4 * r1_c + 2], r1_s[r1_t].v[4 * r1_c + 3]);\n"
     << "        #pragma unroll\n"
     << "        for (int r1_x = 0; r1_x < " << valueTiles << "; ++r1_x) {\n"
     << "          const r1_vec<unsigned, 2> r1_va = *reinterpret_cast<const r1_vec<unsigned, 2> "
        "*>("
     << "r1_vt + (32 * r1_x + r1_j) * " << vs << " + 32 * r1_t + 8 * r1_c + 4 * r1_hf);\n"
     << "          " << mfma << "(r1_o[r1_x], r1_va.v[0], r1_va.v[1], r1_p0, r1_p1);\n"
     << "        }\n"
     << "      }\n"
     << "  }\n";

  if (estimates()) {
    LogicalResult result = success();
    printEstimates(
        [&] {
          // This lane's half of the query's head dim is in its operand
          // registers; the lane 32 away has the other half.
          os << "    float r1_t = 0.0f;\n"
             << "    #pragma unroll\n"
             << "    for (int r1_g = 0; r1_g < " << headGroups << "; ++r1_g)\n"
             << "      #pragma unroll\n"
             << "      for (int r1_w = 0; r1_w < 8; ++r1_w) {\n"
             << "        const int r1_d = 16 * r1_g + 8 * r1_hf + r1_w;\n"
             << "        const unsigned r1_word = r1_qb[r1_g].v[r1_w / 2];\n"
             << "        const float r1_qx = "
             << KernelWriter::literal(f32, op.getScale().convertToDouble()) << " * "
             << KernelWriter::fromStorage(
                    element, "(unsigned short)(r1_w % 2 ? r1_word >> 16 : r1_word & 0xffffu)")
             << ";\n"
             << "        if (r1_d < " << d << ")\n"
             << "          r1_t += r1_qx * r1_ek[r1_d] + 0.5f * r1_qx * r1_qx * r1_evar[r1_d];\n"
             << "      }\n"
             << "    r1_t += r1_shfl_xor(r1_t, 32) + *r1_elog;\n";
          printEstimateStep("    ", "r1_t", "r1_m", "r1_l", "r1_hf == 0",
                            {{"r1_x", valueTiles}, {"r1_e", 16}}, "r1_o[r1_x].v[r1_e]",
                            "32 * r1_x + 8 * (r1_e / 4) + 4 * r1_hf + r1_e % 4");
          return success();
        },
        result);
    if (failed(result))
      return failure();
  }

  // The query's sum over both halves; element e of value tile x is value
  // column 32 x + 8 (e / 4) + 4 r1_hf + e % 4: four neighbours, stored in
  // pairs.
  os << "  const float r1_sum = r1_l + r1_shfl_xor(r1_l, 32);\n"
     << "  const float r1_inv = r1_sum > 0.0f ? 1.0f / r1_sum : 0.0f;\n"
     << "  if (r1_qi < " << dims.queries << ")\n"
     << "    #pragma unroll\n"
     << "    for (int r1_x = 0; r1_x < " << valueTiles << "; ++r1_x)\n"
     << "      #pragma unroll\n"
     << "      for (int r1_e = 0; r1_e < 16; r1_e += 2) {\n"
     << "        const int r1_col = 32 * r1_x + 8 * (r1_e / 4) + 4 * r1_hf + r1_e % 4;\n";
  std::string indent = "        ";
  if (layout.valueColumns != dims.valueDim) {
    os << "        if (r1_col < " << dims.valueDim << ") {\n";
    indent = "          ";
  }
  if (failed(printOutput(indent, "r1_qi", "r1_col", "r1_o[r1_x].v[r1_e] * r1_inv",
                         "r1_o[r1_x].v[r1_e + 1] * r1_inv")))
    return failure();
  if (layout.valueColumns != dims.valueDim)
    os << "        }\n";
  os << "      }\n";
  return success();
}

LogicalResult AttentionPrinter::printFma() {
  int64_t rows = queryBlock / warps, keysPerLane = keyBlock / warpSize;
  int64_t columns = layout.valueColumns / warpSize;
  int64_t ks = layout.keyStride, vs = layout.valueStride, d = dims.headDim;
  if (stages != 1 || keyBlock % warpSize != 0)
    return unprintable("one stage and key tiles of a whole number of keys a lane");
  os << "  // FMA: " << warps << " warps of " << rows << " query rows; a lane takes " << keysPerLane
     << " of each tile's " << keyBlock << " keys for the scores and " << columns
     << " value columns for the output.\n"
     << "  R1_DYNAMIC_SHARED(r1_smem);\n"
     << "  float *const r1_qs = reinterpret_cast<float *>(r1_smem);\n"
     << "  float *const r1_kv = reinterpret_cast<float *>(r1_smem + " << layout.key << ");\n"
     << "  float *const r1_pt = reinterpret_cast<float *>(r1_smem + " << layout.probabilities
     << ");\n";
  printSetup();
  os << "  for (int r1_e = threadIdx.x; r1_e < " << queryBlock * d << "; r1_e += " << threads
     << ") {\n"
     << "    const int r1_r = r1_e / " << d << ", r1_d = r1_e % " << d << ";\n"
     << "    r1_qs[r1_e] = r1_r < r1_rows ? "
     << load(op.getQuery(), ("r1_qbase + (r1_i)r1_r * " + idx(q.position) + " + r1_d"))
     << " : 0.0f;\n"
     << "  }\n"
     << "  __syncthreads();\n";
  if (gate)
    printGate([&](StringRef row, StringRef column) {
      return ("r1_qs[" + row + " * " + Twine(d) + " + " + column + "]").str();
    });
  printTileCount();
  os << "  const int r1_qr = " << rows << " * r1_warp;\n"
     << "  float r1_o[" << rows << "][" << columns << "], r1_m[" << rows << "], r1_l[" << rows
     << "];\n"
     << "  #pragma unroll\n"
     << "  for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
     << "    r1_m[r1_r] = " << KernelWriter::lowest(f32) << ";\n"
     << "    r1_l[r1_r] = 0.0f;\n"
     << "    #pragma unroll\n"
     << "    for (int r1_x = 0; r1_x < " << columns << "; ++r1_x)\n"
     << "      r1_o[r1_r][r1_x] = 0.0f;\n"
     << "  }\n"
     << "  for (int r1_it = 0; r1_it < r1_tiles; ++r1_it) {\n";
  printTileBounds("    ", "r1_it");
  os << "    for (int r1_e = threadIdx.x; r1_e < " << keyBlock * d << "; r1_e += " << threads
     << ") {\n"
     << "      const int r1_j = r1_e / " << d << ", r1_d = r1_e % " << d << ";\n"
     << "      r1_kv[r1_j * " << ks << " + r1_d] = r1_key0 + r1_j < r1_klimit ? "
     << load(op.getKey(), ("r1_kbase + (r1_i)(r1_key0 + r1_j) * " + idx(k.position) + " + r1_d"))
     << " : 0.0f;\n"
     << "    }\n"
     << "    __syncthreads();\n";
  // A warp whose rows all come before the tile's keys skips it (the
  // barriers still see every thread).
  if (op.getCausal())
    os << "    const bool r1_live = r1_key0 <= r1_row0 + r1_qr + " << rows - 1 << ";\n";
  else
    os << "    const bool r1_live = true;\n";
  os << "    if (r1_live) {\n"
     << "      float r1_s[" << rows << "][" << keysPerLane << "];\n"
     << "      #pragma unroll\n"
     << "      for (int r1_r = 0; r1_r < " << rows << "; ++r1_r)\n"
     << "        #pragma unroll\n"
     << "        for (int r1_i2 = 0; r1_i2 < " << keysPerLane << "; ++r1_i2)\n"
     << "          r1_s[r1_r][r1_i2] = 0.0f;\n"
     << "      for (int r1_d = 0; r1_d < " << d << "; ++r1_d) {\n"
     << "        float r1_kx[" << keysPerLane << "];\n"
     << "        #pragma unroll\n"
     << "        for (int r1_i2 = 0; r1_i2 < " << keysPerLane << "; ++r1_i2)\n"
     << "          r1_kx[r1_i2] = r1_kv[(r1_lane + " << warpSize << " * r1_i2) * " << ks
     << " + r1_d];\n"
     << "        #pragma unroll\n"
     << "        for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
     << "          const float r1_qx = r1_qs[(r1_qr + r1_r) * " << d << " + r1_d];\n"
     << "          #pragma unroll\n"
     << "          for (int r1_i2 = 0; r1_i2 < " << keysPerLane << "; ++r1_i2)\n"
     << "            r1_s[r1_r][r1_i2] += r1_qx * r1_kx[r1_i2];\n"
     << "        }\n"
     << "      }\n";
  os << "      #pragma unroll\n"
     << "      for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
     << "        const int r1_qi = r1_row0 + r1_qr + r1_r;\n";
  printMaskRow("        ", "r1_mrow", "r1_qi");
  os << "        #pragma unroll\n"
     << "        for (int r1_i2 = 0; r1_i2 < " << keysPerLane << "; ++r1_i2) {\n"
     << "          const int r1_key = r1_key0 + r1_lane + " << warpSize << " * r1_i2;\n"
     << "          float r1_x = r1_s[r1_r][r1_i2];\n";
  printScore("          ", "r1_x", "r1_qi", "r1_key", "r1_mrow");
  os << "          r1_s[r1_r][r1_i2] = r1_x;\n"
     << "        }\n";
  std::vector<int64_t> wholeWarp;
  for (int64_t m = 1; m < warpSize; m *= 2)
    wholeWarp.push_back(m);
  printSoftmax("        ", {{"r1_i2", keysPerLane}}, "r1_s[r1_r][r1_i2]", wholeWarp, "r1_m[r1_r]",
               "r1_l[r1_r]", {{"r1_x", columns}}, "r1_o[r1_r][r1_x]");
  os << "      }\n";
  os << "      #pragma unroll\n"
     << "      for (int r1_r = 0; r1_r < " << rows << "; ++r1_r)\n"
     << "        #pragma unroll\n"
     << "        for (int r1_i2 = 0; r1_i2 < " << keysPerLane << "; ++r1_i2)\n"
     << "          r1_pt[(r1_qr + r1_r) * " << keyBlock << " + r1_lane + " << warpSize
     << " * r1_i2] = r1_s[r1_r][r1_i2];\n"
     << "    }\n"
     << "    __syncthreads();\n";
  // V replaces K in the buffer, zero past the tile's keys and the value's
  // columns.
  os << "    for (int r1_e = threadIdx.x; r1_e < " << keyBlock * vs << "; r1_e += " << threads
     << ") {\n"
     << "      const int r1_j = r1_e / " << vs << ", r1_c = r1_e % " << vs << ";\n"
     << "      r1_kv[r1_e] = r1_key0 + r1_j < r1_klimit"
     << (vs != dims.valueDim ? " && r1_c < " + std::to_string(dims.valueDim) : "") << " ? "
     << load(op.getValue(), ("r1_vbase + (r1_i)(r1_key0 + r1_j) * " + idx(v.position) + " + r1_c"))
     << " : 0.0f;\n"
     << "    }\n"
     << "    __syncthreads();\n"
     << "    if (r1_live)\n"
     << "      for (int r1_j = 0; r1_j < " << keyBlock << "; ++r1_j) {\n"
     << "        float r1_vx[" << columns << "];\n"
     << "        #pragma unroll\n"
     << "        for (int r1_x = 0; r1_x < " << columns << "; ++r1_x)\n"
     << "          r1_vx[r1_x] = r1_kv[r1_j * " << vs << " + r1_lane + " << warpSize
     << " * r1_x];\n"
     << "        #pragma unroll\n"
     << "        for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
     << "          const float r1_p = r1_pt[(r1_qr + r1_r) * " << keyBlock << " + r1_j];\n"
     << "          #pragma unroll\n"
     << "          for (int r1_x = 0; r1_x < " << columns << "; ++r1_x)\n"
     << "            r1_o[r1_r][r1_x] += r1_p * r1_vx[r1_x];\n"
     << "        }\n"
     << "      }\n"
     << "    __syncthreads();\n"
     << "  }\n";

  if (estimates()) {
    LogicalResult result = success();
    printEstimates(
        [&] {
          os << "    #pragma unroll\n"
             << "    for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
             << "      float r1_t = *r1_elog;\n"
             << "      for (int r1_d = 0; r1_d < " << d << "; ++r1_d) {\n"
             << "        const float r1_qx = "
             << KernelWriter::literal(f32, op.getScale().convertToDouble())
             << " * r1_qs[(r1_qr + r1_r) * " << d << " + r1_d];\n"
             << "        r1_t += r1_qx * r1_ek[r1_d] + 0.5f * r1_qx * r1_qx * r1_evar[r1_d];\n"
             << "      }\n";
          printEstimateStep("      ", "r1_t", "r1_m[r1_r]", "r1_l[r1_r]", "r1_lane == 0",
                            {{"r1_x", columns}}, "r1_o[r1_r][r1_x]",
                            "r1_lane + " + std::to_string(warpSize) + " * r1_x");
          os << "    }\n";
          return success();
        },
        result);
    if (failed(result))
      return failure();
  }

  // Each row's sum over the warp, then the rows divided by it.
  os << "  #pragma unroll\n"
     << "  for (int r1_r = 0; r1_r < " << rows << "; ++r1_r) {\n"
     << "    float r1_sum = r1_l[r1_r];\n";
  w.printWarpReduce("    ", "r1_sum",
                    [](StringRef a, StringRef b) { return (a + " + " + b).str(); });
  os << "    const float r1_inv = r1_sum > 0.0f ? 1.0f / r1_sum : 0.0f;\n"
     << "    const int r1_row = r1_row0 + r1_qr + r1_r;\n"
     << "    if (r1_row < " << dims.queries << ") {\n"
     << "      #pragma unroll\n"
     << "      for (int r1_x = 0; r1_x < " << columns << "; ++r1_x) {\n"
     << "        const int r1_col = r1_lane + " << warpSize << " * r1_x;\n";
  std::string indent = "        ";
  if (layout.valueColumns != dims.valueDim) {
    os << "        if (r1_col < " << dims.valueDim << ") {\n";
    indent = "          ";
  }
  if (failed(printOutput(indent, "r1_row", "r1_col", "r1_o[r1_r][r1_x] * r1_inv")))
    return failure();
  if (layout.valueColumns != dims.valueDim)
    os << "        }\n";
  os << "      }\n"
     << "    }\n"
     << "  }\n";
  return success();
}

} // namespace

LogicalResult printAttentionKernel(KernelWriter &w) {
  auto op = cast<AttentionOp>(w.anchor);
  auto variant =
      r1k::getVariant<r1k::GpuAttentionAttr>(w.kernel, w.target.getDescription().getVariantKey());
  if (!variant) {
    if (AttentionGateAttr gate = op.getGateAttr(); gate && gate.getBlock() > 128)
      return op.emitOpError("has a gate of blocks of ")
             << gate.getBlock() << " rows; GPU attention takes gates of at most 128";
    return op.emitOpError("has no GPU attention variant for ")
           << w.target.getArch() << " in kernel '" << w.kernel.getName()
           << "' (r1c-select-variants writes one for every GPU target)";
  }
  return AttentionPrinter(w, op, variant).print();
}

} // namespace r1c::gpu
