//===- SelectPrecision.cpp - The number format of each op -----------------===//
//
// Decide, then apply: this pass writes r1.precision on the ops that compute
// in a lower format; r1c-apply-precision gives them those formats. The
// policy comes from `r1c --precision`.
//
//===----------------------------------------------------------------------===//
#include "dialects/R1/IR/R1Ops.h"
#include "passes/IntegerQuantization.h"
#include "passes/Passes.h"
#include "passes/PrecisionRules.h"

namespace mlir::r1 {
#define GEN_PASS_DEF_SELECTPRECISION
#include "passes/Passes.h.inc"
} // namespace mlir::r1

using namespace mlir;
using namespace mlir::r1;

namespace {

struct SelectPrecisionPass : r1::impl::SelectPrecisionBase<SelectPrecisionPass> {
  using SelectPrecisionBase::SelectPrecisionBase;

  void runOnOperation() override {
    // auto: the search that --precision=auto runs marked the ops itself.
    if (policy == "fp32" || policy == "auto")
      return;
    std::optional<LoweredFormat> format = parseLoweredFormat(policy);
    if (!format) {
      getOperation().emitError() << "--precision: unknown format '" << policy
                                 << "' (expected fp32, bf16, fp16, int8 or auto)";
      return signalPassFailure();
    }
    // Float formats: products in the lower format, sums in f32, what the
    // matrix units of every target (AVX512-BF16 dot products, tensor
    // cores, MFMA) compute. The result keeps the f32 sums: the fused
    // epilogue (bias, activation, residual) then works on them, and a user
    // that computes in the lower format casts it, a cast the producer's
    // kernel absorbs. f16 leaves an op f32 where a weight or a calibrated
    // activation is past its range (bf16 has f32's). int8: contractions
    // with a weight and a calibrated activation multiply 8-bit integers and
    // sum in i32. Everything else stays f32.
    PrecisionAttr precision = getLoweredPrecision(&getContext(), *format);
    getOperation().walk([&](Operation *op) {
      if (!canLowerTo(op, *format))
        return;
      op->setAttr(PrecisionAttr::kName, precision);
      if (*format == LoweredFormat::Int8)
        markInt8Choices(op, int8Smoothing, int8BiasCorrection, /*shareActivation=*/true);
    });
  }
};

} // namespace
