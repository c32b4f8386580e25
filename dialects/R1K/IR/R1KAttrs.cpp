//===- R1KAttrs.cpp - Targets and kernel variants of r1k --------------------===//
#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::r1k;

#include "dialects/R1K/IR/R1KEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/R1K/IR/R1KAttrs.cpp.inc"

void R1KDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/R1K/IR/R1KAttrs.cpp.inc"
      >();
}

bool TargetAttr::hasFeature(StringRef feature) const {
  ArrayAttr features = getFeatures();
  return features && llvm::any_of(features, [&](Attribute attr) {
           auto name = llvm::dyn_cast<StringAttr>(attr);
           return name && name.getValue() == feature;
         });
}

StringRef TargetAttr::getMatrixOp(Type element) const {
  // The suffix of the entry per input type; f32 only ever as TF32.
  StringRef suffix = element.isF16()    ? ".f16"
                     : element.isBF16() ? ".bf16"
                     : element.isF32()  ? ".tf32"
                                        : "";
  ArrayAttr ops = getMatrixOps();
  if (suffix.empty() || !ops)
    return "";
  for (Attribute attr : ops)
    if (auto name = llvm::dyn_cast<StringAttr>(attr); name && name.getValue().ends_with(suffix))
      return name.getValue();
  return "";
}

LogicalResult HostGemmAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t mr,
                                   int64_t nr, int64_t vector, int64_t kc, int64_t mc, int64_t nc,
                                   Packing packB, bool packA, bool, HostDot dot, bool transposed) {
  if (mr < 1 || nr < 1 || vector < 1 || kc < 1 || mc < 1 || nc < 1)
    return emitError() << "host_gemm sizes must be positive";
  if (nr % vector != 0)
    return emitError() << "host_gemm nr (" << nr << ") must be a multiple of vector (" << vector
                       << ")";
  if (mc % mr != 0 || nc % nr != 0)
    return emitError() << "host_gemm mc must be a multiple of mr and nc of nr";
  // vdpbf16ps reads B's k-pairs from packed panels and A's in place, 16
  // f32 lanes a vector; a K step splits no pair.
  if (dot == HostDot::dpbf16 && (packB == Packing::none || packA || vector != 16 || kc % 2 != 0))
    return emitError() << "host_gemm dot = dpbf16 needs B packed, A in place, vector = 16 "
                          "and an even kc";
  // vpdpbusd likewise, in k-quads; a K step splits no quad.
  if (dot == HostDot::dpbusd && (packB == Packing::none || packA || vector != 16 || kc % 4 != 0))
    return emitError() << "host_gemm dot = dpbusd needs B packed, A in place, vector = 16 "
                          "and kc a multiple of 4";
  // The transposing store is written for blocks of 8 positions, which
  // never straddle an im2col panel.
  if (transposed && (dot == HostDot::fma || packB != Packing::per_call || mr != 8 || nr % mr))
    return emitError() << "host_gemm transposed needs dot = dpbusd or dpbf16, pack_b = per_call, "
                          "mr = 8 and nr a multiple of mr";
  return success();
}

LogicalResult GpuGemmAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  GpuGemmInstruction instruction, int64_t threads, int64_t blockM,
                                  int64_t blockN, int64_t blockK, int64_t warpM, int64_t warpN,
                                  int64_t threadM, int64_t threadN, int64_t stages,
                                  int64_t splitK) {
  if (threads < 1 || blockM < 1 || blockN < 1 || blockK < 1 || stages < 1 || splitK < 1)
    return emitError() << "gpu_gemm threads, block sizes, stages and split_k must be positive";
  bool matrix = instruction == GpuGemmInstruction::mma || instruction == GpuGemmInstruction::mfma ||
                instruction == GpuGemmInstruction::wgmma;
  if (matrix) {
    if (warpM < 1 || warpN < 1 || threadM != 0 || threadN != 0)
      return emitError() << "gpu_gemm with " << stringifyGpuGemmInstruction(instruction)
                         << " needs a warp tile (warp_m, warp_n) and no thread tile";
    if (blockM % warpM != 0 || blockN % warpN != 0)
      return emitError() << "gpu_gemm block " << blockM << "x" << blockN
                         << " is not a whole number of " << warpM << "x" << warpN << " warp tiles";
    // One warp per warp tile, of 32 lanes (NVIDIA) or 64 (AMD); wgmma's
    // tiles are a warpgroup's, of 128 threads.
    int64_t warps = (blockM / warpM) * (blockN / warpN);
    if (instruction == GpuGemmInstruction::wgmma) {
      if (threads != 128 * warps)
        return emitError() << "gpu_gemm threads (" << threads << ") must be one warpgroup of 128 "
                           << "per warp tile (" << warps << " tiles)";
      return success();
    }
    if (threads != 32 * warps && threads != 64 * warps)
      return emitError() << "gpu_gemm threads (" << threads << ") must be one warp of 32 or 64 "
                         << "lanes per warp tile (" << warps << " tiles)";
    return success();
  }
  if (threadM < 1 || threadN < 1 || warpM != 0 || warpN != 0)
    return emitError() << "gpu_gemm with " << stringifyGpuGemmInstruction(instruction)
                       << " needs a thread tile (thread_m, thread_n) and no warp tile";
  if (blockM * blockN != threads * threadM * threadN)
    return emitError() << "gpu_gemm block " << blockM << "x" << blockN << " is not " << threads
                       << " threads of " << threadM << "x" << threadN << " outputs";
  return success();
}

LogicalResult HostDepthwiseConvAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                            int64_t vector, int64_t vectors) {
  if (vector < 1 || vectors < 1)
    return emitError() << "host_depthwise_conv sizes must be positive";
  return success();
}

LogicalResult HostIntegerGemmAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                          int64_t lanes, int64_t mr, int64_t vectors, int64_t mc) {
  if (lanes != 4 && lanes != 8 && lanes != 16)
    return emitError() << "host_integer_gemm lanes must be 4, 8 or 16 (a vector of i32), not "
                       << lanes;
  if (mr < 1 || vectors < 1 || mc < 1)
    return emitError() << "host_integer_gemm sizes must be positive";
  if (mc % mr != 0)
    return emitError() << "host_integer_gemm mc (" << mc << ") must be a multiple of mr (" << mr
                       << ")";
  return success();
}

LogicalResult HostAttentionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        int64_t vector, int64_t rows, int64_t queryBlock,
                                        int64_t keyBlock) {
  if (vector < 1 || rows < 1 || queryBlock < 1 || keyBlock < 1)
    return emitError() << "host_attention sizes must be positive";
  if (keyBlock % vector != 0)
    return emitError() << "host_attention key_block " << keyBlock
                       << " is not a multiple of the vector " << vector;
  return success();
}

LogicalResult GpuAttentionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                       int64_t queryBlock, int64_t keyBlock, int64_t warps, bool,
                                       int64_t stages) {
  if (queryBlock < 1 || keyBlock < 1 || warps < 1 || stages < 1)
    return emitError() << "gpu_attention sizes and stages must be positive";
  if (queryBlock % warps != 0)
    return emitError() << "gpu_attention query_block " << queryBlock
                       << " is not a whole number of rows for each of " << warps << " warps";
  // Key tiles feed 16-wide matrix steps, or lanes of a warp.
  if (keyBlock % 16 != 0)
    return emitError() << "gpu_attention key_block " << keyBlock << " is not a multiple of 16";
  return success();
}

void mlir::r1k::setVariant(KernelOp kernel, StringRef target, Attribute variant) {
  NamedAttrList variants(kernel.getVariantsAttr() ? kernel.getVariantsAttr()
                                                  : DictionaryAttr::get(kernel.getContext()));
  variants.set(target, variant);
  kernel.setVariantsAttr(variants.getDictionary(kernel.getContext()));
}

SmallVector<TargetAttr> mlir::r1k::getTargets(ModuleOp module) {
  SmallVector<TargetAttr> targets;
  if (ArrayAttr list = R1KDialect::TargetsAttrHelper(module.getContext()).getAttr(module))
    for (Attribute attr : list)
      if (auto target = dyn_cast<TargetAttr>(attr))
        targets.push_back(target);
  return targets;
}

void mlir::r1k::setTargets(ModuleOp module, ArrayRef<TargetAttr> targets) {
  SmallVector<Attribute> list(targets.begin(), targets.end());
  R1KDialect::TargetsAttrHelper(module.getContext())
      .setAttr(module, ArrayAttr::get(module.getContext(), list));
}

IntegerAttr mlir::r1k::getArenaSize(Operation *func) {
  return R1KDialect::ArenaSizeAttrHelper(func->getContext()).getAttr(func);
}

void mlir::r1k::setArenaSize(Operation *func, int64_t bytes) {
  R1KDialect::ArenaSizeAttrHelper(func->getContext())
      .setAttr(func, Builder(func->getContext()).getI64IntegerAttr(bytes));
}
