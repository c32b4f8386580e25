//===- NonMaxSuppressionPrinter.cpp - non_max_suppression in two launches -===//
//
// The host's two passes (codegen/host/NonMaxSuppressionAnchors.cpp) over the
// same scratch lists (r1k::NmsScratchLayout), as two launches:
//   - "select": a thread per (batch, class) pair heaps its candidates, pops
//     them best first (ties to the lower box index), keeps a box unless a
//     kept one overlaps it by more than the IoU threshold, and stores the
//     count it kept;
//   - then a thread per result row finds its pair by walking the counts and
//     writes (b, c, box), or -1 past the last selected box.
// Pairs are few (batches times classes) and each thread's work is what the
// host does for its pair; the IoU arithmetic is the reference's, though a
// GPU compiler may contract a product and a sum into one rounding.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelWriter.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/GemmDims.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c::gpu {
namespace {

constexpr int64_t kThreads = 64;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

} // namespace

LogicalResult printNonMaxSuppressionKernel(KernelWriter &w) {
  auto op = cast<NonMaxSuppressionOp>(w.anchor);
  r1k::NmsScratchLayout layout = r1k::getNmsScratchLayout(op);
  int64_t pairs = layout.batches * layout.classes, n = layout.boxes;
  int64_t rows = cast<RankedTensorType>(op.getType()).getDimSize(0);
  // A pair never keeps more than fit in the result.
  int64_t bound = std::min(n, rows);
  std::string maxOutput = w.element(op.getMaxOutputBoxesPerClass(), "0");
  std::string iou = w.element(op.getIouThreshold(), "0");
  std::string threshold = op.getScoreThreshold() ? w.element(op.getScoreThreshold(), "0") : "";
  std::string score = w.element(op.getScores(), "r1_srow + r1_x");
  std::string coordinate = w.element(op.getBoxes(), "r1_brow + (r1_i)r1_x * 4 + r1_k");
  if (maxOutput.empty() || iou.empty() || score.empty() || coordinate.empty() ||
      (op.getScoreThreshold() && threshold.empty()))
    return failure();
  raw_ostream &os = w.os;
  // The counts, then the lists; the layout shared with the host.
  std::string work = "  int *r1_work = (int *)r1_scratch;\n";

  // Launch 1: a thread per pair.
  w.launch.grid = {std::min(KernelWriter::blocksFor(pairs, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  w.launch.scratch = true;
  os << work << "  for (r1_i r1_p = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_p < "
     << w.index(pairs) << "; r1_p += (r1_i)gridDim.x * " << kThreads << ") {\n"
     << "    long long r1_limit = " << maxOutput << ";\n"
     << "    // Rows past the result's are dropped; a negative maximum keeps none.\n"
     << "    r1_limit = r1_limit > 0 ? r1_limit : 0;\n"
     << "    r1_limit = r1_limit < " << bound << "ll ? r1_limit : " << bound << "ll;\n"
     << "    const float r1_iou = " << iou << ";\n"
     << "    int *r1_list = r1_work + " << w.index(layout.listAt(0)) << " + r1_p * " << w.index(n)
     << ";\n"
     << "    const r1_i r1_srow = r1_p * " << w.index(n) << ";\n"
     << "    const r1_i r1_brow = (r1_p / " << w.index(layout.classes) << ") * " << w.index(n * 4)
     << ";\n"
     << "    auto r1_score = [&](int r1_x) -> float { return " << score << "; };\n"
     << "    // Whether box x is visited before box y: a higher score, or an equal\n"
     << "    // one and a lower index.\n"
     << "    auto r1_before = [&](int r1_x, int r1_y) -> bool {\n"
     << "      const float r1_sx = r1_score(r1_x), r1_sy = r1_score(r1_y);\n"
     << "      return r1_sx > r1_sy || (r1_sx == r1_sy && r1_x < r1_y);\n"
     << "    };\n"
     << "    auto r1_sift = [&](long long r1_s, long long r1_size) {\n"
     << "      const int r1_entry = r1_list[r1_s];\n"
     << "      while (2 * r1_s + 1 < r1_size) {\n"
     << "        long long r1_c = 2 * r1_s + 1;\n"
     << "        if (r1_c + 1 < r1_size && r1_before(r1_list[r1_c + 1], r1_list[r1_c]))\n"
     << "          ++r1_c;\n"
     << "        if (!r1_before(r1_list[r1_c], r1_entry))\n"
     << "          break;\n"
     << "        r1_list[r1_s] = r1_list[r1_c];\n"
     << "        r1_s = r1_c;\n"
     << "      }\n"
     << "      r1_list[r1_s] = r1_entry;\n"
     << "    };\n"
     << "    // x_min, x_max, y_min, y_max of box x.\n"
     << "    auto r1_extents = [&](int r1_x, float *r1_e) {\n"
     << "      float r1_v[4];\n"
     << "      for (int r1_k = 0; r1_k < 4; ++r1_k)\n"
     << "        r1_v[r1_k] = " << coordinate << ";\n";
  if (op.getCenterPointBox())
    os << "      const float r1_hw = r1_v[2] / 2.0f, r1_hh = r1_v[3] / 2.0f;\n"
       << "      r1_e[0] = r1_v[0] - r1_hw;\n"
       << "      r1_e[1] = r1_v[0] + r1_hw;\n"
       << "      r1_e[2] = r1_v[1] - r1_hh;\n"
       << "      r1_e[3] = r1_v[1] + r1_hh;\n";
  else
    os << "      // [y1, x1, y2, x2], either corner first.\n"
       << "      r1_e[0] = r1_v[1] >= r1_v[3] ? r1_v[3] : r1_v[1];\n"
       << "      r1_e[1] = r1_v[1] >= r1_v[3] ? r1_v[1] : r1_v[3];\n"
       << "      r1_e[2] = r1_v[0] >= r1_v[2] ? r1_v[2] : r1_v[0];\n"
       << "      r1_e[3] = r1_v[0] >= r1_v[2] ? r1_v[0] : r1_v[2];\n";
  os << "    };\n"
     << "    // Whether kept box k suppresses candidate c (the reference's exits).\n"
     << "    auto r1_suppresses = [&](const float *r1_c, const float *r1_k) -> bool {\n"
     << "      const float r1_left = r1_k[0] > r1_c[0] ? r1_k[0] : r1_c[0];\n"
     << "      const float r1_right = r1_k[1] < r1_c[1] ? r1_k[1] : r1_c[1];\n"
     << "      const float r1_bottom = r1_k[2] > r1_c[2] ? r1_k[2] : r1_c[2];\n"
     << "      const float r1_top = r1_k[3] < r1_c[3] ? r1_k[3] : r1_c[3];\n"
     << "      if (r1_right <= r1_left || r1_top <= r1_bottom)\n"
     << "        return false;\n"
     << "      const float r1_inter = (r1_right - r1_left) * (r1_top - r1_bottom);\n"
     << "      const float r1_a1 = (r1_c[1] - r1_c[0]) * (r1_c[3] - r1_c[2]);\n"
     << "      const float r1_a2 = (r1_k[1] - r1_k[0]) * (r1_k[3] - r1_k[2]);\n"
     << "      const float r1_union = r1_a1 + r1_a2 - r1_inter;\n"
     << "      if (r1_inter <= 0.0f || r1_a1 <= 0.0f || r1_a2 <= 0.0f || r1_union <= 0.0f)\n"
     << "        return false;\n"
     << "      return r1_inter / r1_union > r1_iou;\n"
     << "    };\n"
     << "    long long r1_m = 0;\n"
     << "    for (int r1_x = 0; r1_x < " << n << "; ++r1_x)\n";
  if (op.getScoreThreshold())
    os << "      if (r1_score(r1_x) > " << threshold << ")\n  ";
  os << "      r1_list[r1_m++] = r1_x;\n"
     << "    for (long long r1_h = r1_m / 2 - 1; r1_h >= 0; --r1_h)\n"
     << "      r1_sift(r1_h, r1_m);\n"
     << "    // Each pop shrinks the heap by one, so the kept boxes, stored from\n"
     << "    // the list's end, never meet it.\n"
     << "    long long r1_kept = 0;\n"
     << "    for (long long r1_size = r1_m - 1; r1_size >= 0 && r1_kept < r1_limit; --r1_size) {\n"
     << "      const int r1_best = r1_list[0];\n"
     << "      r1_list[0] = r1_list[r1_size];\n"
     << "      r1_sift(0, r1_size);\n"
     << "      float r1_ce[4], r1_ke[4];\n"
     << "      r1_extents(r1_best, r1_ce);\n"
     << "      bool r1_suppressed = false;\n"
     << "      for (long long r1_j = 0; r1_j < r1_kept && !r1_suppressed; ++r1_j) {\n"
     << "        r1_extents(r1_list[" << n - 1 << " - r1_j], r1_ke);\n"
     << "        r1_suppressed = r1_suppresses(r1_ce, r1_ke);\n"
     << "      }\n"
     << "      if (!r1_suppressed)\n"
     << "        r1_list[" << n - 1 << " - r1_kept++] = r1_best;\n"
     << "    }\n"
     << "    r1_work[r1_p] = (int)r1_kept;\n"
     << "  }\n";
  w.endLaunch("select");

  // Launch 2: a thread per row.
  w.launch.grid = {std::min(KernelWriter::blocksFor(rows, kThreads), kMaxBlocks), 1, 1};
  w.launch.block = {kThreads, 1, 1};
  w.launch.scratch = true;
  if (rows == 0)
    return success();
  os << work << "  for (r1_i r1_r = (r1_i)blockIdx.x * " << kThreads << " + threadIdx.x; r1_r < "
     << w.index(rows) << "; r1_r += (r1_i)gridDim.x * " << kThreads << ") {\n"
     << "    long long r1_b = -1, r1_c = -1, r1_box = -1, r1_start = 0;\n"
     << "    for (long long r1_p = 0; r1_p < " << pairs << "ll; ++r1_p) {\n"
     << "      const long long r1_count = r1_work[r1_p];\n"
     << "      if (r1_r < r1_start + r1_count) {\n"
     << "        r1_b = r1_p / " << layout.classes << "ll;\n"
     << "        r1_c = r1_p % " << layout.classes << "ll;\n"
     << "        r1_box = r1_work[" << layout.listAt(0) << "ll + r1_p * " << n << "ll + " << n - 1
     << "ll - (r1_r - r1_start)];\n"
     << "        break;\n"
     << "      }\n"
     << "      r1_start += r1_count;\n"
     << "    }\n"
     << "    r0[r1_r * 3] = r1_b;\n"
     << "    r0[r1_r * 3 + 1] = r1_c;\n"
     << "    r0[r1_r * 3 + 2] = r1_box;\n"
     << "  }\n";
  return success();
}

} // namespace r1c::gpu
