//===- HostEmitter.cpp - Plan-phase IR to an LLVM module for x86-64 -------===//
//
// Each kernel becomes `void PREFIX_kN(void **args)`: args holds the kernel's
// input pointers then its result pointer. The anchor writes the result
// buffer; the fused elementwise body then runs over it in one loop nest,
// reading the anchor's element back from registers' reach (the same
// address), so a kernel makes one pass over its output after the anchor.
// Loops are plain scalar loop nests with unit-stride inner loops; LLVM's O3
// vectorizes them for the chosen CPU. Tuned templates replace them anchor
// by anchor (docs/design/host-codegen.md).
//
//===----------------------------------------------------------------------===//
#include "codegen/host/HostEmitter.h"
#include "codegen/host/Anchors.h"
#include "codegen/host/AttentionTemplate.h"
#include "codegen/host/CpuDispatch.h"
#include "codegen/host/DepthwiseConvTemplate.h"
#include "codegen/host/GemmTemplate.h"
#include "codegen/host/HostTarget.h"
#include "codegen/host/IntegerGemmTemplate.h"
#include "codegen/host/KernelBuilder.h"
#include "codegen/host/PackedWeights.h"
#include "codegen/host/SafetensorsWriter.h"
#include "codegen/host/ScalarOps.h"
#include "codegen/host/SoftFloatRoutines.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/GemmDims.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Verifier.h"

#include <cstring>

using namespace mlir;
using namespace mlir::r1;
using llvm::IRBuilder;

namespace r1c {
namespace {

int64_t storageBytes(RankedTensorType type) {
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

/// One function of a kernel, run as `tasks` independent tasks.
struct KernelPhase {
  llvm::Function *function;
  int64_t tasks;
};

/// The arena offset of `value`'s storage when a kernel result (through
/// views) owns it.
std::optional<int64_t> arenaOffsetOf(Value value) {
  while (value.getDefiningOp() && isView(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  auto producer = value.getDefiningOp<r1k::KernelOp>();
  if (!producer || !producer.getResultOffsets())
    return std::nullopt;
  int64_t offset = (*producer.getResultOffsets())[cast<OpResult>(value).getResultNumber()];
  return offset < 0 ? std::nullopt : std::optional<int64_t>(offset);
}

/// The inputs of `kernel` that the memory plan gave its (only) result's
/// buffer: the same arena offset and size, through views.
SmallVector<unsigned> inPlaceInputs(r1k::KernelOp kernel) {
  SmallVector<unsigned> inputs;
  std::optional<ArrayRef<int64_t>> offsets = kernel.getResultOffsets();
  if (kernel.getNumResults() != 1 || !offsets || offsets->front() < 0)
    return inputs;
  auto resultType = dyn_cast<RankedTensorType>(kernel.getResult(0).getType());
  for (auto [index, input] : llvm::enumerate(kernel.getInputs())) {
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    if (!resultType || !inputType || !resultType.hasStaticShape() || inputType != resultType)
      continue;
    if (arenaOffsetOf(input) == offsets->front())
      inputs.push_back(index);
  }
  return inputs;
}

/// Per kernel argument (inputs, then results): whether nothing else the
/// kernel reaches overlaps it, so that its phase may mark it noalias. The
/// plan gives live buffers disjoint bytes; only an input whose storage a
/// result reuses, and that result, may overlap. Inputs among themselves
/// may share bytes (two views of one tensor): they are only read.
SmallVector<bool> disjointArguments(r1k::KernelOp kernel, ArrayRef<unsigned> redirected) {
  unsigned inputCount = kernel.getInputs().size();
  SmallVector<bool> disjoint(inputCount + kernel.getNumResults(), true);
  std::optional<ArrayRef<int64_t>> offsets = kernel.getResultOffsets();
  for (auto [index, input] : llvm::enumerate(kernel.getInputs())) {
    std::optional<int64_t> offset = arenaOffsetOf(input);
    if (!offset || !offsets || llvm::is_contained(redirected, index))
      continue;
    for (auto [result, resultOffset] : llvm::enumerate(*offsets))
      if (resultOffset == *offset) {
        disjoint[index] = false;
        disjoint[inputCount + result] = false;
      }
  }
  return disjoint;
}

/// Whether `value`'s dims are computed at run time, from data.
bool hasDataDependentShape(Value value) {
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  return tensor && !tensor.hasStaticShape() && r1k::getDataDependentShapeBound(value);
}

class Emitter {
public:
  Emitter(llvm::LLVMContext &context, const HostModuleInfo &info)
      : context(context), info(info),
        module(std::make_unique<llvm::Module>(info.symbolPrefix, context)), b(context), kb(b) {}

  /// Emits the kernels of the plan-phase `func` for level `isa` and the
  /// function that runs them in order: STEM_run itself when the module has
  /// one level, else STEM_run.LEVEL, which addEntry's dispatcher calls.
  /// Levels come lowest first, so that a helper function the levels share
  /// is marked with the baseline's CPU.
  LogicalResult addLevelEntry(func::FuncOp func, const std::string &stem, const HostIsaBuild &isa);
  /// STEM_arena_size, and with several levels STEM_run, which calls the
  /// best level's STEM_run.LEVEL that the CPU runs.
  void addEntry(func::FuncOp func, const std::string &stem);
  std::unique_ptr<llvm::Module> finish(Operation *at);

private:
  /// A function of the level being emitted: marked with its CPU in a
  /// module of several levels.
  llvm::Function *createFunction(llvm::FunctionType *type, llvm::GlobalValue::LinkageTypes linkage,
                                 const llvm::Twine &name);
  bool isFat() const { return info.isas.size() > 1; }
  /// The name of STEM_run's code for `isa`.
  std::string levelEntryName(const std::string &stem, const HostIsaBuild &isa) const {
    return isFat() ? stem + "_run." + isa.cpu : stem + "_run";
  }
  FailureOr<SmallVector<KernelPhase>> emitKernel(r1k::KernelOp kernel, const std::string &stem);
  /// Runs `phase` of a kernel on `args`: one call, or `parallel_for` from
  /// the context (when there is one) over its tasks.
  void emitPhaseCall(const KernelPhase &phase, llvm::Value *args, llvm::Value *hostContext);
  /// The fused body over the whole result, after the anchor.
  LogicalResult emitEpilogue(r1k::KernelOp kernel, Operation *anchor,
                             ArrayRef<llvm::Value *> pointers, llvm::Value *out);
  /// The fused body at one element of the result, in place over `out` (the
  /// anchor's value read from `stagedAnchor` when the phase has one).
  /// `linearOffset`, when given, is the element's offset in the result,
  /// used for it and for the inputs of the result's shape, so their
  /// addresses stay affine where the indices came from divisions.
  LogicalResult emitBodyAt(r1k::KernelOp kernel, Operation *anchor,
                           ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                           ArrayRef<llvm::Value *> indices,
                           llvm::Value *linearOffset = nullptr);
  /// A matmul or convolution kernel with a host_gemm variant: the template, with the body
  /// fused per block when it can be. Sets `bodyFused`.
  LogicalResult emitGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                               r1k::HostGemmAttr variant, ArrayRef<llvm::Value *> pointers,
                               llvm::Value *out, llvm::Value *scratch, GemmPhase phase,
                               bool fused, bool &bodyFused);
  /// An integer matmul or convolution with a host_gemm<dot = dpbusd>
  /// variant: its weight packed when compiling, the template with the
  /// body fused per block when it can be. Sets `bodyFused`.
  LogicalResult emitQuantizedGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                                        r1k::HostGemmAttr variant, ArrayRef<llvm::Value *> pointers,
                                        llvm::Value *out, llvm::Value *scratch, GemmPhase phase,
                                        bool fused, bool &bodyFused);
  /// An integer matmul or convolution with a host_integer_gemm variant:
  /// `phase` packing its operands, or computing its sums with the body
  /// fused per block.
  LogicalResult emitIntegerGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                                      r1k::HostIntegerGemmAttr variant,
                                      ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                      llvm::Value *scratch, GemmPhase phase, bool fused);
  /// A depthwise convolution with a host_depthwise_conv variant, its body
  /// fused per output plane.
  LogicalResult emitDepthwiseAnchor(r1k::KernelOp kernel, ConvOp conv,
                                    r1k::HostDepthwiseConvAttr variant,
                                    ArrayRef<llvm::Value *> pointers, llvm::Value *out, bool fused);
  /// A fused attention with a host_attention variant, its body fused per
  /// output row.
  LogicalResult emitAttentionAnchor(r1k::KernelOp kernel, AttentionOp attention,
                                    r1k::HostAttentionAttr variant,
                                    ArrayRef<llvm::Value *> pointers, llvm::Value *out, bool fused);
  /// B of a pack_b = compile_time GEMM, packed into its panels once per
  /// weight and panel width. With `transposed`, `constant` holds the N x K
  /// matrix (a transposed convolution's weight) and its transpose is packed.
  llvm::Value *packedWeightPointer(ConstantOp constant, int64_t k, int64_t n, int64_t nr,
                                   bool pairs, bool transposed = false);
  /// The input of `kernel` that its GEMM reads from the packed copy
  /// (pack_b = compile_time at the current level): the entry point passes
  /// null for it, so a weight read only packed is not kept in the code too.
  std::optional<unsigned> packedWeightInput(r1k::KernelOp kernel) const;
  llvm::Value *weightPointer(ConstantOp constant);
  /// --weights=external: `context->weights`, loaded once per entry point,
  /// and a top-level weight at its offset from it.
  llvm::Value *loadWeightsBase(llvm::Value *hostContext);
  llvm::Value *externalWeightPointer(ConstantOp constant, llvm::Value *base);
  void emitOutputDims(func::ReturnOp ret, llvm::Value *outputDims,
                      const DenseMap<Value, llvm::Value *> &runtimeDims);

  llvm::LLVMContext &context;
  const HostModuleInfo &info;
  /// The level whose code is being emitted.
  const HostIsaBuild *currentIsa = nullptr;
  /// Where the phase being emitted keeps its anchor's result when the fused
  /// body changes the element type (r1k::getAnchorStagingBytes): the start
  /// of its scratch. Null when the anchor writes the kernel's result.
  llvm::Value *stagedAnchor = nullptr;
  /// Where the anchor of the phase being emitted writes its result: the
  /// staging scratch, or the kernel's result `out`.
  llvm::Value *anchorResult(llvm::Value *out) const { return stagedAnchor ? stagedAnchor : out; }
  std::unique_ptr<llvm::Module> module;
  IRBuilder<> b;
  KernelBuilder kb;
  /// By value, so entries specialized from one model share each weight.
  DenseMap<Attribute, llvm::GlobalVariable *> weights;
  DenseMap<std::pair<Attribute, int64_t>, llvm::GlobalVariable *> packedWeights;
  /// 8-bit weights packed for vpdpbusd, by value and panel width (0: a
  /// convolution's rows).
  DenseMap<std::pair<Attribute, int64_t>, llvm::GlobalVariable *> packedByteWeights;
  /// Their zero points' terms, by anchor and panel width.
  DenseMap<std::pair<Operation *, int64_t>, llvm::GlobalVariable *> quantizedTerms;
};

llvm::Function *Emitter::createFunction(llvm::FunctionType *type,
                                        llvm::GlobalValue::LinkageTypes linkage,
                                        const llvm::Twine &name) {
  auto *function = llvm::Function::Create(type, linkage, name, module.get());
  if (isFat()) {
    LlvmCpu cpu = getLlvmCpu(currentIsa->cpu);
    function->addFnAttr("target-cpu", cpu.cpu);
    if (!cpu.features.empty())
      function->addFnAttr("target-features", cpu.features);
  }
  return function;
}

llvm::Value *Emitter::weightPointer(ConstantOp constant) {
  llvm::GlobalVariable *&global = weights[constant.getValue()];
  if (!global) {
    std::vector<char> scratch;
    ArrayRef<char> bytes = weightBytes(constant.getValue(), scratch);
    auto *data = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(bytes.data(), bytes.size()), bytes.size(), b.getInt8Ty());
    global = new llvm::GlobalVariable(*module, data->getType(), /*isConstant=*/true,
                                      llvm::GlobalValue::PrivateLinkage, data,
                                      info.symbolPrefix + "_weight");
    // Aligned for vector loads of whole rows.
    global->setAlignment(llvm::Align(64));
  }
  return global;
}

llvm::Value *Emitter::loadWeightsBase(llvm::Value *hostContext) {
  // `weights` is the context's first field.
  llvm::LoadInst *base =
      b.CreateAlignedLoad(b.getPtrTy(), hostContext, llvm::Align(8), "weights");
  // The side file's data starts aligned (SafetensorsWriter) and the runtime
  // maps it page-aligned: tell LLVM, for aligned vector loads.
  base->setMetadata(llvm::LLVMContext::MD_align,
                    llvm::MDNode::get(context, llvm::ConstantAsMetadata::get(
                                                   b.getInt64(kSafetensorsDataAlignment))));
  base->setMetadata(llvm::LLVMContext::MD_nonnull, llvm::MDNode::get(context, {}));
  return base;
}

llvm::Value *Emitter::externalWeightPointer(ConstantOp constant, llvm::Value *base) {
  auto offset = info.externalWeights->offsets.find(constant.getValue());
  assert(offset != info.externalWeights->offsets.end() && "weight missing from the layout");
  return b.CreateInBoundsGEP(b.getInt8Ty(), base, b.getInt64(offset->second));
}

LogicalResult Emitter::emitBodyAt(r1k::KernelOp kernel, Operation *anchor,
                                  ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                  ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
  Block &body = kernel.getBody().front();
  auto resultType = cast<RankedTensorType>(kernel.getResult(0).getType());
  Value yielded = body.getTerminator()->getOperand(0);
  LogicalResult status = success();
  DenseMap<Value, llvm::Value *> scalars;
  llvm::Value *outOffset =
      linearOffset ? linearOffset : kb.offset(indices, resultType.getShape());
  // Reads each value of the body at this element, emitting what it needs.
  std::function<llvm::Value *(Value)> scalarOf = [&](Value value) -> llvm::Value * {
    if (llvm::Value *known = scalars.lookup(value))
      return known;
    llvm::Value *result = nullptr;
    Type element = getElementTypeOf(value);
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto type = cast<RankedTensorType>(value.getType());
      ArrayRef<int64_t> shape = type.getShape();
      // An input whose dims were computed from data has the (static)
      // result's dims: the model declares them, and elementwise ops do not
      // broadcast a computed shape.
      if (!type.hasStaticShape() && type.getRank() == resultType.getRank())
        shape = resultType.getShape();
      // An input overwritten in place is read at the very offset the result
      // is stored to, so LLVM sees that each element is read before it is
      // written and vectorizes without an overlap check.
      bool sameLayout = shape == resultType.getShape();
      llvm::Value *at = sameLayout && (pointers[arg.getArgNumber()] == out || linearOffset)
                            ? outOffset
                            : kb.broadcastOffset(indices, shape);
      result = kb.load(pointers[arg.getArgNumber()], at, element);
    } else if (anchor && value.getDefiningOp() == anchor) {
      result = kb.load(anchorResult(out), outOffset, element);
    } else if (auto constant = value.getDefiningOp<ConstantOp>()) {
      auto dense = cast<DenseElementsAttr>(constant.getValue());
      Attribute splat = dense.getSplatValue<Attribute>();
      if (auto f = dyn_cast<FloatAttr>(splat))
        result = llvm::ConstantFP::get(getScalarType(context, element), f.getValueAsDouble());
      else
        result = llvm::ConstantInt::get(getScalarType(context, element),
                                        cast<IntegerAttr>(splat).getValue());
    } else {
      Operation *op = value.getDefiningOp();
      SmallVector<llvm::Value *> operands;
      for (Value operand : op->getOperands())
        operands.push_back(scalarOf(operand));
      if (llvm::is_contained(operands, nullptr))
        return nullptr;
      result = emitElementwiseScalar(b, op, operands);
      if (!result) {
        op->emitOpError("has no host code generation yet for element type ") << element;
        status = failure();
        return nullptr;
      }
    }
    scalars[value] = result;
    return result;
  };
  if (llvm::Value *value = scalarOf(yielded))
    kb.store(value, out, outOffset, resultType.getElementType());
  return status;
}

LogicalResult Emitter::emitEpilogue(r1k::KernelOp kernel, Operation *anchor,
                                    ArrayRef<llvm::Value *> pointers, llvm::Value *out) {
  auto resultType = cast<RankedTensorType>(kernel.getResult(0).getType());
  LogicalResult status = success();
  kb.loopNest(resultType.getShape(), [&](ArrayRef<llvm::Value *> indices) {
    if (failed(emitBodyAt(kernel, anchor, pointers, out, indices)))
      status = failure();
  });
  return status;
}

llvm::Value *Emitter::packedWeightPointer(ConstantOp constant, int64_t k, int64_t n, int64_t nr,
                                          bool pairs, bool transposed) {
  // Levels share a packed copy of one layout: a width, in rows or in
  // pairs, of the matrix or its transpose.
  int64_t layout = 4 * nr + (pairs ? 1 : 0) + (transposed ? 2 : 0);
  llvm::GlobalVariable *&global = packedWeights[{constant.getValue(), layout}];
  if (!global) {
    std::vector<char> scratch, rowMajor;
    ArrayRef<char> bytes = weightBytes(constant.getValue(), scratch);
    int64_t elementBytes = bytes.size() / (k * n);
    if (transposed) {
      rowMajor.resize(bytes.size());
      for (int64_t row = 0; row < n; ++row)
        for (int64_t column = 0; column < k; ++column)
          std::memcpy(&rowMajor[(column * n + row) * elementBytes],
                      &bytes[(row * k + column) * elementBytes], elementBytes);
      bytes = rowMajor;
    }
    std::vector<char> packed = packGemmPanels(bytes, k, n, nr, elementBytes, pairs);
    auto *data = llvm::ConstantDataArray::getRaw(llvm::StringRef(packed.data(), packed.size()),
                                                 packed.size(), b.getInt8Ty());
    global = new llvm::GlobalVariable(*module, data->getType(), /*isConstant=*/true,
                                      llvm::GlobalValue::PrivateLinkage, data,
                                      info.symbolPrefix + "_packed_weight");
    global->setAlignment(llvm::Align(64));
  }
  return global;
}

std::optional<unsigned> Emitter::packedWeightInput(r1k::KernelOp kernel) const {
  return r1c::packedWeightInput(kernel, currentIsa->variantKey);
}

LogicalResult Emitter::emitDepthwiseAnchor(r1k::KernelOp kernel, ConvOp conv,
                                           r1k::HostDepthwiseConvAttr variant,
                                           ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                           bool fused) {
  auto pointerOf = [&](Value operand) -> llvm::Value * {
    auto arg = dyn_cast_or_null<BlockArgument>(operand);
    return arg ? pointers[arg.getArgNumber()] : nullptr;
  };
  llvm::Value *input = pointerOf(conv.getInput()), *weight = pointerOf(conv.getWeight());
  llvm::Value *bias = pointerOf(conv.getBias());
  if (!input || !weight || (conv.getBias() && !bias))
    return conv.emitOpError("has a host_depthwise_conv variant its operands do not allow");
  LogicalResult status = success();
  FusedBody body;
  if (fused)
    body = [&](ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
      if (failed(emitBodyAt(kernel, conv, pointers, out, indices, linearOffset)))
        status = failure();
    };
  emitDepthwiseConv(kb, conv, variant, input, weight, bias, anchorResult(out), body);
  return status;
}

LogicalResult Emitter::emitIntegerGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                                             r1k::HostIntegerGemmAttr variant,
                                             ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                             llvm::Value *scratch, GemmPhase phase, bool fused) {
  if (!scratch)
    return kernel.emitOpError("packs an integer GEMM but has no scratch in the memory plan");
  // Kernel inputs, or the zero points copied into the kernel as constants.
  auto pointerOf = [&](Value operand) -> llvm::Value * {
    if (auto arg = dyn_cast<BlockArgument>(operand))
      return pointers[arg.getArgNumber()];
    if (auto constant = operand.getDefiningOp<ConstantOp>())
      return weightPointer(constant);
    return nullptr;
  };
  IntegerGemmBuffers buffers{pointerOf(anchor->getOperand(0)),
                             pointerOf(anchor->getOperand(1)),
                             pointerOf(anchor->getOperand(2)),
                             pointerOf(anchor->getOperand(3)),
                             anchorResult(out),
                             scratch};
  if (!buffers.lhs || !buffers.rhs || !buffers.lhsZero || !buffers.rhsZero)
    return anchor->emitOpError("has a host_integer_gemm variant its operands do not allow");
  if (phase == GemmPhase::packing) {
    emitIntegerGemmPacking(kb, anchor, variant, buffers);
    return success();
  }
  LogicalResult status = success();
  FusedBody body;
  if (fused)
    body = [&](ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
      if (failed(emitBodyAt(kernel, anchor, pointers, out, indices, linearOffset)))
        status = failure();
    };
  emitIntegerGemm(kb, anchor, variant, buffers, body);
  return status;
}

LogicalResult Emitter::emitAttentionAnchor(r1k::KernelOp kernel, AttentionOp attention,
                                           r1k::HostAttentionAttr variant,
                                           ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                           bool fused) {
  // Kernel inputs, or constants copied into the kernel (a splat mask).
  auto pointerOf = [&](Value operand) -> llvm::Value * {
    if (auto arg = dyn_cast_or_null<BlockArgument>(operand))
      return pointers[arg.getArgNumber()];
    if (auto constant = operand ? operand.getDefiningOp<ConstantOp>() : ConstantOp())
      return weightPointer(constant);
    return nullptr;
  };
  llvm::Value *query = pointerOf(attention.getQuery()), *key = pointerOf(attention.getKey());
  llvm::Value *value = pointerOf(attention.getValue()), *mask = pointerOf(attention.getMask());
  if (!query || !key || !value || (attention.getMask() && !mask))
    return attention.emitOpError("has a host_attention variant its operands do not allow");
  LogicalResult status = success();
  FusedBody body;
  if (fused)
    body = [&](ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
      if (failed(emitBodyAt(kernel, attention, pointers, out, indices, linearOffset)))
        status = failure();
    };
  emitAttention(kb, attention, variant, query, key, value, mask, anchorResult(out), body);
  return status;
}

LogicalResult Emitter::emitQuantizedGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                                               r1k::HostGemmAttr variant,
                                               ArrayRef<llvm::Value *> pointers, llvm::Value *out,
                                               llvm::Value *scratch, GemmPhase phase, bool fused,
                                               bool &bodyFused) {
  std::string why;
  std::optional<r1k::QuantizedWeight> weight = r1k::getQuantizedWeight(kernel, anchor, why);
  auto activation = dyn_cast<BlockArgument>(anchor->getOperand(0));
  if (!weight || !activation)
    return anchor->emitOpError("has a host_gemm<dot = dpbusd> variant, but ")
           << (weight ? "its activation is not a kernel input" : why);
  bool conv = isa<ConvIntegerOp>(anchor);
  // The zero points' terms are added as the final sums are stored.
  if (variant.getKc() < r1k::getGemmDims(anchor).k)
    return anchor->emitOpError("has a host_gemm<dot = dpbusd> variant whose kc (")
           << variant.getKc() << ") splits K; vpdpbusd sums all of K in one step";
  if (conv && !scratch)
    return kernel.emitOpError("packs B once per call but has no scratch in the memory plan");
  std::vector<char> bytesScratch;
  // A convolution's weight in rows of whole quads (0), else in panels.
  int64_t panelWidth = conv && !variant.getTransposed() ? 0 : variant.getNr();
  QuantizedPacking packing =
      packQuantizedWeight(anchor, *weight, weightBytes(weight->value, bytesScratch), panelWidth);
  // Levels and phases share a packed weight of one layout; the terms,
  // which depend on the activation's zero point too, are the anchor's own.
  llvm::GlobalVariable *&packed = packedByteWeights[{weight->value, panelWidth}];
  if (!packed && (conv || variant.getPackB() == r1k::Packing::compile_time)) {
    auto *data =
        llvm::ConstantDataArray::getRaw(llvm::StringRef(packing.bytes.data(), packing.bytes.size()),
                                        packing.bytes.size(), b.getInt8Ty());
    packed = new llvm::GlobalVariable(*module, data->getType(), /*isConstant=*/true,
                                      llvm::GlobalValue::PrivateLinkage, data,
                                      info.symbolPrefix + "_packed_weight");
    packed->setAlignment(llvm::Align(64));
  }
  llvm::GlobalVariable *&terms = quantizedTerms[{anchor, panelWidth}];
  if (!terms) {
    auto *data = llvm::ConstantDataArray::get(context, ArrayRef<int32_t>(packing.terms));
    terms = new llvm::GlobalVariable(*module, data->getType(), /*isConstant=*/true,
                                     llvm::GlobalValue::PrivateLinkage, data,
                                     info.symbolPrefix + "_quantized_terms");
    terms->setAlignment(llvm::Align(64));
  }
  // A matmul whose weight lies in the side file packs it per call.
  llvm::Value *weightBytes = packed;
  if (!conv && variant.getPackB() == r1k::Packing::per_call) {
    Value operand = anchor->getOperand(1);
    if (auto arg = dyn_cast<BlockArgument>(operand))
      weightBytes = pointers[arg.getArgNumber()];
    else
      weightBytes = weightPointer(operand.getDefiningOp<ConstantOp>());
  }
  QuantizedGemmOperands operands{pointers[activation.getArgNumber()],
                                 weightBytes,
                                 terms,
                                 weight->activationSigned,
                                 weight->weightSigned,
                                 weight->activationZero,
                                 packing.weightZeros};
  LogicalResult status = success();
  FusedBody body;
  bodyFused = fused && (conv || canFuseIntoGemm(anchor));
  if (bodyFused)
    body = [&](ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
      if (failed(emitBodyAt(kernel, anchor, pointers, out, indices, linearOffset)))
        status = failure();
    };
  emitQuantizedGemm(kb, anchor, variant, operands, anchorResult(out), scratch, phase, body);
  return status;
}

LogicalResult Emitter::emitGemmAnchor(r1k::KernelOp kernel, Operation *anchor,
                                      r1k::HostGemmAttr variant, ArrayRef<llvm::Value *> pointers,
                                      llvm::Value *out, llvm::Value *scratch, GemmPhase phase,
                                      bool fused, bool &bodyFused) {
  if (isa<MatMulIntegerOp, ConvIntegerOp>(anchor))
    return emitQuantizedGemmAnchor(kernel, anchor, variant, pointers, out, scratch, phase, fused,
                                   bodyFused);
  if (variant.getPackB() == r1k::Packing::per_call && !scratch)
    return kernel.emitOpError("packs B once per call but has no scratch in the memory plan");
  // Operands are kernel inputs (block arguments); B packed at compile time
  // is read from the packed copy of the weight outside the kernel instead.
  auto pointerOf = [&](Value operand) -> llvm::Value * {
    auto arg = dyn_cast_or_null<BlockArgument>(operand);
    return arg ? pointers[arg.getArgNumber()] : nullptr;
  };
  LogicalResult status = success();
  FusedBody body;
  auto runBody = [&](ArrayRef<llvm::Value *> indices, llvm::Value *linearOffset) {
    if (failed(emitBodyAt(kernel, anchor, pointers, out, indices, linearOffset)))
      status = failure();
  };
  if (auto conv = dyn_cast<ConvOp>(anchor)) {
    llvm::Value *input = pointerOf(conv.getInput()), *weight = pointerOf(conv.getWeight());
    llvm::Value *bias = pointerOf(conv.getBias());
    // Transposed: the weight's rows (output channels) are B's columns,
    // packed when compiling.
    if (variant.getTransposed()) {
      auto arg = dyn_cast<BlockArgument>(conv.getWeight());
      auto constant =
          arg ? kernel.getInputs()[arg.getArgNumber()].getDefiningOp<ConstantOp>() : ConstantOp();
      if (!constant)
        return conv.emitOpError("has a transposed host_gemm variant, but its weight is not a "
                                "constant");
      r1k::GemmDims dims = r1k::getGemmDims(conv);
      weight = packedWeightPointer(constant, dims.k, dims.m, variant.getNr(),
                                   variant.getDot() == r1k::HostDot::dpbf16, /*transposed=*/true);
    }
    if (!input || !weight || (conv.getBias() && !bias) ||
        variant.getPackB() == r1k::Packing::compile_time)
      return conv.emitOpError("has a host_gemm variant its operands do not allow");
    bodyFused = fused;
    if (bodyFused)
      body = runBody;
    emitConvGemm(kb, conv, variant, input, weight, bias, anchorResult(out), scratch, phase, body);
    return status;
  }
  auto matmul = cast<MatMulOp>(anchor);
  llvm::Value *a = pointerOf(matmul.getLhs()), *bMatrix = pointerOf(matmul.getRhs());
  if (variant.getPackB() == r1k::Packing::compile_time) {
    auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
    auto weight = arg ? kernel.getInputs()[arg.getArgNumber()].getDefiningOp<ConstantOp>()
                      : ConstantOp();
    auto type = cast<RankedTensorType>(matmul.getRhs().getType());
    if (!weight || type.getRank() != 2)
      return kernel.emitOpError("has a host_gemm variant that packs B at compile time, but B "
                                "is not a 2-D constant weight");
    bMatrix = packedWeightPointer(weight, type.getDimSize(0), type.getDimSize(1), variant.getNr(),
                                  variant.getDot() == r1k::HostDot::dpbf16);
  }
  if (!a || !bMatrix)
    return matmul.emitOpError("reads an operand that is not a kernel input");
  bodyFused = fused && canFuseIntoGemm(matmul);
  if (bodyFused)
    body = runBody;
  emitGemm(kb, matmul, variant, a, bMatrix, anchorResult(out), scratch, phase, body);
  return status;
}

/// Output elements below which a phase runs as one task: waking threads
/// costs more than it saves.
constexpr int64_t kMinParallelElements = 1 << 14;
/// A GEMM's tasks are its variant's blocks: the select pass weighed
/// starting threads against the work when it sized them.
constexpr int64_t kTasksFromVariant = -1;

FailureOr<SmallVector<KernelPhase>> Emitter::emitKernel(r1k::KernelOp kernel,
                                                        const std::string &stem) {
  Block &body = kernel.getBody().front();
  Operation *anchor = nullptr;
  for (Operation &op : body.without_terminator())
    if (!isElementwise(&op) && !isa<ConstantOp>(op)) {
      anchor = &op;
      break;
    }
  Operation *yield = body.getTerminator();
  bool fused = anchor && yield->getOperand(0) != anchor->getResult(0);
  bool dataDependent = llvm::any_of(kernel.getResults(), hasDataDependentShape);
  if (fused && dataDependent)
    return kernel.emitOpError("fuses a body after an anchor whose dims are computed at run "
                              "time; not supported on host yet");
  // A body that changes the element type cannot run in place over the
  // result: the anchor's result is staged in scratch first.
  int64_t stagingBytes = fused ? r1k::getAnchorStagingBytes(kernel) : 0;
  if (fused && !stagingBytes && anchor->getResult(0).getType() != kernel.getResult(0).getType())
    return kernel.emitOpError("fuses a body whose result is not its anchor's shape; not "
                              "supported on host");
  if (stagingBytes && !kernel.getScratchOffset())
    return kernel.emitOpError("stages its anchor's result but has no scratch in the memory plan");
  if ((!anchor || fused) && kernel.getNumResults() != 1)
    return kernel.emitOpError("with several results and a fused body has no host code yet");

  // Each phase is `void f(void **args, int64_t task)`. args: the kernel's
  // inputs, then its results, then an int64 array per result whose dims the
  // kernel computes, which receives them, then its scratch if it has one.
  bool hasScratch = kernel.getScratchOffset().has_value();
  unsigned count = body.getNumArguments() + kernel.getNumResults() +
                   llvm::count_if(kernel.getResults(), hasDataDependentShape) + hasScratch;
  llvm::Value *scratch = nullptr;
  auto *type = llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy(), b.getInt64Ty()}, false);
  SmallVector<llvm::Type *> bodyParams(count, b.getPtrTy());
  bodyParams.push_back(b.getInt64Ty());
  auto *bodyType = llvm::FunctionType::get(b.getVoidTy(), bodyParams, false);
  SmallVector<unsigned> redirected = inPlaceInputs(kernel);
  SmallVector<bool> disjoint = disjointArguments(kernel, redirected);
  SmallVector<llvm::Value *> pointers, results;
  // A phase is a wrapper that loads its pointers from `args` and calls
  // the phase's body with them as arguments, noalias where the plan keeps
  // them apart. Inlined, the body's loads and stores carry scopes that
  // tell LLVM which buffers are distinct, so it vectorizes the loops that
  // read one buffer and write another without run-time overlap checks.
  struct PhaseFunction {
    llvm::Function *wrapper, *body;
  };
  auto begin = [&](const std::string &name) -> PhaseFunction {
    llvm::Function *wrapper = createFunction(type, llvm::GlobalValue::InternalLinkage, name);
    wrapper->addFnAttr(llvm::Attribute::NoUnwind);
    // Kept out of the entry point: inlining hundreds of loop nests into one
    // function makes LLVM's loop analyses quadratic in the model's size, for
    // no gain (a call per kernel costs nothing next to its loops).
    wrapper->addFnAttr(llvm::Attribute::NoInline);
    llvm::Function *function =
        createFunction(bodyType, llvm::GlobalValue::InternalLinkage, name + ".body");
    function->addFnAttr(llvm::Attribute::NoUnwind);
    function->addFnAttr(llvm::Attribute::AlwaysInline);
    b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", wrapper));
    SmallVector<llvm::Value *> loaded;
    for (unsigned i = 0; i < count; ++i)
      loaded.push_back(b.CreateLoad(
          b.getPtrTy(), b.CreateGEP(b.getPtrTy(), wrapper->getArg(0), b.getInt64(i))));
    loaded.push_back(wrapper->getArg(1));
    b.CreateCall(function, loaded);
    b.CreateRetVoid();

    b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", function));
    pointers.clear();
    results.clear();
    scratch = hasScratch ? function->getArg(count - 1) : nullptr;
    // The staged anchor result comes first in the scratch, panels after it.
    stagedAnchor = stagingBytes ? scratch : nullptr;
    if (stagingBytes)
      scratch = b.CreateInBoundsGEP(b.getInt8Ty(), scratch, b.getInt64(stagingBytes));
    for (unsigned i = 0; i < count - hasScratch; ++i) {
      // The dims arrays past the results are the kernel's own.
      if (i >= disjoint.size() || disjoint[i])
        function->addParamAttr(i, llvm::Attribute::NoAlias);
      (i < body.getNumArguments() ? pointers : results).push_back(function->getArg(i));
    }
    // An input the plan overwrites in place is read through the result's
    // pointer: the loops then see one buffer, which they vectorize, where
    // two pointers that overlap would fail LLVM's run-time overlap check and
    // run the scalar loop.
    for (unsigned input : redirected)
      pointers[input] = results.front();
    return {wrapper, function};
  };
  // Emits one phase split into tasks when it is large enough and its loops
  // allow it, else as one task. `elements` < 0: as many tasks as the
  // loops give, which a variant's blocks have already sized for the cores.
  auto emitPhase = [&](const std::string &name, int64_t elements,
                       llvm::function_ref<LogicalResult()> emitBody) -> FailureOr<KernelPhase> {
    if (!dataDependent && (elements < 0 || elements >= kMinParallelElements)) {
      PhaseFunction phase = begin(name);
      KernelBuilder::TaskSplit split;
      split.index = phase.body->getArg(count);
      kb.split = &split;
      LogicalResult emitted = emitBody();
      kb.split = nullptr;
      if (failed(emitted))
        return failure();
      if (split.valid && split.count > 1) {
        b.CreateRetVoid();
        return KernelPhase{phase.wrapper, split.count};
      }
      phase.wrapper->eraseFromParent();
      phase.body->eraseFromParent();
    }
    PhaseFunction phase = begin(name);
    if (failed(emitBody()))
      return failure();
    b.CreateRetVoid();
    return KernelPhase{phase.wrapper, 1};
  };

  std::string name = stem + "_" + kernel.getName().str();
  int64_t elements = 0;
  if (auto result = dyn_cast<RankedTensorType>(kernel.getResult(0).getType()))
    elements = result.hasStaticShape() ? result.getNumElements() : 0;
  SmallVector<KernelPhase> phases;
  bool bodyFused = false;
  auto gemm = isa_and_nonnull<MatMulOp, ConvOp, MatMulIntegerOp, ConvIntegerOp>(anchor)
                  ? r1k::getVariant<r1k::HostGemmAttr>(kernel, currentIsa->variantKey)
                  : r1k::HostGemmAttr();
  auto depthwise = isa_and_nonnull<ConvOp>(anchor)
                       ? r1k::getVariant<r1k::HostDepthwiseConvAttr>(kernel, currentIsa->variantKey)
                       : r1k::HostDepthwiseConvAttr();
  auto attention = isa_and_nonnull<AttentionOp>(anchor)
                       ? r1k::getVariant<r1k::HostAttentionAttr>(kernel, currentIsa->variantKey)
                       : r1k::HostAttentionAttr();
  auto integerGemm = isa_and_nonnull<MatMulIntegerOp, ConvIntegerOp>(anchor)
                         ? r1k::getVariant<r1k::HostIntegerGemmAttr>(kernel, currentIsa->variantKey)
                         : r1k::HostIntegerGemmAttr();
  if (integerGemm) {
    for (GemmPhase gemmPhase : {GemmPhase::packing, GemmPhase::compute}) {
      bool packing = gemmPhase == GemmPhase::packing;
      // Packing is one task; the sums split into the variant's blocks.
      FailureOr<KernelPhase> phase = emitPhase(
          packing ? name + "_pack" : name, packing ? 0 : kTasksFromVariant, [&]() -> LogicalResult {
            return emitIntegerGemmAnchor(kernel, anchor, integerGemm, pointers, results.front(),
                                         scratch, gemmPhase, fused);
          });
      if (failed(phase))
        return failure();
      phases.push_back(*phase);
    }
    bodyFused = fused;
  }
  if (attention) {
    FailureOr<KernelPhase> phase = emitPhase(name, elements, [&]() -> LogicalResult {
      return emitAttentionAnchor(kernel, cast<AttentionOp>(anchor), attention, pointers,
                                 results.front(), fused);
    });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
    bodyFused = fused;
  }
  if (depthwise) {
    FailureOr<KernelPhase> phase = emitPhase(name, elements, [&]() -> LogicalResult {
      return emitDepthwiseAnchor(kernel, cast<ConvOp>(anchor), depthwise, pointers,
                                 results.front(), fused);
    });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
    bodyFused = fused;
  }
  if (gemm && gemm.getPackB() == r1k::Packing::per_call) {
    bool unused = false;
    int64_t panelElements = r1k::getPerCallPanelElements(r1k::getGemmDims(anchor), gemm);
    FailureOr<KernelPhase> phase =
        emitPhase(name + "_pack", panelElements, [&]() -> LogicalResult {
          return emitGemmAnchor(kernel, anchor, gemm, pointers, results.front(), scratch,
                                GemmPhase::packing, fused, unused);
        });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
  }
  if (gemm) {
    FailureOr<KernelPhase> phase = emitPhase(name, kTasksFromVariant, [&]() -> LogicalResult {
      return emitGemmAnchor(kernel, anchor, gemm, pointers, results.front(), scratch,
                            GemmPhase::compute, fused, bodyFused);
    });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
  } else if (anchor && !depthwise && !attention && !integerGemm) {
    // Operands of the anchor: kernel inputs, or constants copied into the body.
    auto anchorOperands = [&] {
      SmallVector<llvm::Value *> operands;
      for (Value operand : anchor->getOperands()) {
        if (auto arg = dyn_cast<BlockArgument>(operand))
          operands.push_back(pointers[arg.getArgNumber()]);
        else if (auto constant = operand.getDefiningOp<ConstantOp>())
          operands.push_back(weightPointer(constant));
        else
          operands.push_back(nullptr);
      }
      return operands;
    };
    // A scatter copies its data in a phase that may split into tasks; its
    // updates then run in order, as one task.
    bool scatter = isa<ScatterElementsOp, ScatterNDOp>(anchor);
    if (scatter) {
      FailureOr<KernelPhase> copy = emitPhase(name + "_copy", elements, [&] {
        return emitScatterCopy(kb, anchor, anchorOperands(), results);
      });
      if (failed(copy))
        return failure();
      phases.push_back(*copy);
    }
    // Non-maximum suppression visits (batch, class) pairs in order and
    // writes their rows one after another, and non_zero places each
    // element by the count before it: one task too.
    bool sequential = scatter || isa<NonMaxSuppressionOp, NonZeroOp>(anchor);
    FailureOr<KernelPhase> phase =
        emitPhase(name, sequential ? 0 : elements, [&]() -> LogicalResult {
          SmallVector<llvm::Value *> operands = anchorOperands();
          kb.scratch = scratch;
          LogicalResult emitted = stagedAnchor ? emitAnchor(kb, anchor, operands, {stagedAnchor})
                                               : emitAnchor(kb, anchor, operands, results);
          kb.scratch = nullptr;
          return emitted;
        });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
  }
  if (!anchor || (fused && !bodyFused)) {
    FailureOr<KernelPhase> phase =
        emitPhase(anchor ? name + "_epilogue" : name, elements, [&] {
          return emitEpilogue(kernel, anchor, pointers, results.front());
        });
    if (failed(phase))
      return failure();
    phases.push_back(*phase);
  }
  return phases;
}

/// Host code needs every tensor static and of an element type it can
/// compute in; reports the first value that is not, at its op (the node).
LogicalResult checkTypes(func::FuncOp func, llvm::LLVMContext &context) {
  auto check = [&](Value value, Operation *at) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(value.getType());
    if (!tensor)
      return isa<NoneType>(value.getType()) ? success()
                                            : at->emitOpError("has an unranked tensor; host "
                                                              "code needs static shapes"),
             failure();
    if (!tensor.hasStaticShape() && !hasDataDependentShape(value))
      return at->emitOpError("has a tensor with a dynamic dim (")
             << tensor << "); host code needs static shapes for now";
    if (!getScalarType(context, tensor.getElementType()))
      return at->emitOpError("uses element type ")
             << tensor.getElementType() << ", which has no host code yet";
    return success();
  };
  for (BlockArgument arg : func.getArguments())
    if (failed(check(arg, func)))
      return failure();
  WalkResult result = func.walk([&](Operation *op) {
    for (Value value : op->getResults())
      if (failed(check(value, op)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// void STEM_run(inputs, outputs, arena, output_dims, context).
llvm::FunctionType *entryPointType(llvm::LLVMContext &context) {
  auto *pointer = llvm::PointerType::getUnqual(context);
  return llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                 {pointer, pointer, pointer, pointer, pointer}, false);
}

LogicalResult Emitter::addLevelEntry(func::FuncOp func, const std::string &stem,
                                     const HostIsaBuild &level) {
  currentIsa = &level;
  if (!r1k::getArenaSize(func)) {
    return func.emitOpError("has no memory plan; host code generation starts from the plan "
                            "phase");
  }
  if (failed(checkTypes(func, context)))
    return failure();

  // Kernels first: the entry point calls them. Each level's functions are
  // named apart.
  std::string symbols = isFat() ? stem + "." + level.cpu : stem;
  DenseMap<Operation *, SmallVector<KernelPhase>> kernelPhases;
  for (auto kernel : func.getOps<r1k::KernelOp>()) {
    FailureOr<SmallVector<KernelPhase>> phases = emitKernel(kernel, symbols);
    if (failed(phases))
      return failure();
    kernelPhases[kernel] = std::move(*phases);
  }

  llvm::Function *entry = createFunction(entryPointType(context),
                                         isFat() ? llvm::GlobalValue::InternalLinkage
                                                 : llvm::GlobalValue::ExternalLinkage,
                                         levelEntryName(stem, level));
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  llvm::Value *inputs = entry->getArg(0), *outputs = entry->getArg(1), *arena = entry->getArg(2);
  llvm::Value *outputDims = entry->getArg(3), *hostContext = entry->getArg(4);
  DenseMap<Value, llvm::Value *> pointers;
  // Dims computed at run time, by value: int64 arrays on the stack.
  DenseMap<Value, llvm::Value *> runtimeDims;
  for (BlockArgument arg : func.getArguments())
    pointers[arg] = b.CreateLoad(
        b.getPtrTy(), b.CreateGEP(b.getPtrTy(), inputs, b.getInt64(arg.getArgNumber())));

  // In the entry block, so it dominates every use whatever branches follow.
  llvm::Value *weightsBase = nullptr;
  if (info.externalWeights && !func.getOps<ConstantOp>().empty())
    weightsBase = loadWeightsBase(hostContext);

  for (Operation &op : func.getBody().front()) {
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      // A weight the layout leaves out is read only packed (isReadOnlyPacked):
      // its constant here has no use left and does not stay in the code.
      bool laidOut = weightsBase && info.externalWeights->offsets.count(constant.getValue());
      pointers[constant] =
          laidOut ? externalWeightPointer(constant, weightsBase) : weightPointer(constant);
    } else if (isView(&op)) {
      if (runtimeDims.count(op.getOperand(0)))
        return op.emitOpError("reshapes a tensor whose dims are computed at run time; not "
                              "supported on host yet");
      pointers[op.getResult(0)] = pointers.lookup(op.getOperand(0));
    } else if (auto kernel = dyn_cast<r1k::KernelOp>(op)) {
      ArrayRef<int64_t> offsets = *kernel.getResultOffsets();
      unsigned inputCount = kernel.getInputs().size();
      unsigned dimsCount = llvm::count_if(kernel.getResults(), hasDataDependentShape);
      llvm::Value *args =
          b.CreateAlloca(b.getPtrTy(), b.getInt64(inputCount + kernel.getNumResults() + dimsCount +
                                                  kernel.getScratchOffset().has_value()));
      std::optional<unsigned> packed = packedWeightInput(kernel);
      for (auto [i, input] : llvm::enumerate(kernel.getInputs())) {
        llvm::Value *pointer =
            packed == i ? llvm::ConstantPointerNull::get(b.getPtrTy()) : pointers.lookup(input);
        b.CreateStore(pointer, b.CreateGEP(b.getPtrTy(), args, b.getInt64(i)));
      }
      for (auto [i, result] : llvm::enumerate(kernel.getResults())) {
        if (offsets[i] < 0) {
          return kernel.emitOpError("has a result of dynamic size; not supported on host yet");
        }
        llvm::Value *pointer = b.CreateGEP(b.getInt8Ty(), arena, b.getInt64(offsets[i]));
        b.CreateStore(pointer, b.CreateGEP(b.getPtrTy(), args, b.getInt64(inputCount + i)));
        pointers[result] = pointer;
      }
      unsigned nextDims = inputCount + kernel.getNumResults();
      for (Value result : kernel.getResults()) {
        if (!hasDataDependentShape(result))
          continue;
        int64_t rank = cast<RankedTensorType>(result.getType()).getRank();
        llvm::Value *dims = b.CreateAlloca(b.getInt64Ty(), b.getInt64(std::max<int64_t>(rank, 1)));
        b.CreateStore(dims, b.CreateGEP(b.getPtrTy(), args, b.getInt64(nextDims++)));
        runtimeDims[result] = dims;
      }
      if (std::optional<uint64_t> scratch = kernel.getScratchOffset())
        b.CreateStore(b.CreateGEP(b.getInt8Ty(), arena, b.getInt64(*scratch)),
                      b.CreateGEP(b.getPtrTy(), args, b.getInt64(nextDims)));
      for (const KernelPhase &phase : kernelPhases.lookup(kernel))
        emitPhaseCall(phase, args, hostContext);
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      emitOutputDims(ret, outputDims, runtimeDims);
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        llvm::Value *target = b.CreateLoad(
            b.getPtrTy(), b.CreateGEP(b.getPtrTy(), outputs, b.getInt64(i)));
        auto type = cast<RankedTensorType>(value.getType());
        llvm::Value *bytes;
        if (llvm::Value *dims = runtimeDims.lookup(value)) {
          bytes = b.getInt64(std::max<int64_t>(1, (type.getElementTypeBitWidth() + 7) / 8));
          for (int64_t d = 0; d < type.getRank(); ++d)
            bytes = b.CreateMul(bytes, b.CreateLoad(b.getInt64Ty(),
                                                    b.CreateGEP(b.getInt64Ty(), dims,
                                                                b.getInt64(d))));
        } else {
          bytes = b.getInt64(storageBytes(type));
        }
        b.CreateMemCpy(target, llvm::MaybeAlign(1), pointers.lookup(value), llvm::MaybeAlign(1),
                       bytes);
      }
    } else if (!isa<NoneOp>(op)) {
      return op.emitOpError("is outside any kernel; host code generation cannot place it");
    }
  }
  b.CreateRetVoid();
  return success();
}

void Emitter::addEntry(func::FuncOp func, const std::string &stem) {
  new llvm::GlobalVariable(*module, b.getInt64Ty(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           b.getInt64(r1k::getArenaSize(func).getInt()), stem + "_arena_size");
  if (!isFat())
    return;
  // The best level first; the lowest runs where no other does.
  currentIsa = &info.isas.front();
  llvm::Function *entry =
      createFunction(entryPointType(context), llvm::GlobalValue::ExternalLinkage, stem + "_run");
  SmallVector<llvm::Value *> args;
  for (llvm::Argument &arg : entry->args())
    args.push_back(&arg);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  for (const HostIsaBuild &level : llvm::reverse(info.isas)) {
    llvm::Function *code = module->getFunction(levelEntryName(stem, level));
    if (&level == &info.isas.front()) {
      b.CreateCall(code, args);
      b.CreateRetVoid();
      break;
    }
    llvm::BasicBlock *run = llvm::BasicBlock::Create(context, "run." + level.cpu, entry);
    llvm::BasicBlock *next = llvm::BasicBlock::Create(context, "below." + level.cpu, entry);
    b.CreateCondBr(emitCpuRuns(b, level.cpu), run, next);
    b.SetInsertPoint(run);
    b.CreateCall(code, args);
    b.CreateRetVoid();
    b.SetInsertPoint(next);
  }
}

void Emitter::emitOutputDims(func::ReturnOp ret, llvm::Value *outputDims,
                             const DenseMap<Value, llvm::Value *> &runtimeDims) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *store = llvm::BasicBlock::Create(context, "output_dims", function);
  llvm::BasicBlock *after = llvm::BasicBlock::Create(context, "outputs", function);
  b.CreateCondBr(b.CreateIsNull(outputDims), after, store);
  b.SetInsertPoint(store);
  int64_t slot = 0;
  for (Value value : ret.getOperands()) {
    auto type = cast<RankedTensorType>(value.getType());
    llvm::Value *dims = runtimeDims.lookup(value);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      llvm::Value *dim = b.getInt64(type.getDimSize(d));
      if (dims)
        dim = b.CreateLoad(b.getInt64Ty(), b.CreateGEP(b.getInt64Ty(), dims, b.getInt64(d)));
      b.CreateStore(dim, b.CreateGEP(b.getInt64Ty(), outputDims, b.getInt64(slot++)));
    }
  }
  b.CreateBr(after);
  b.SetInsertPoint(after);
}

void Emitter::emitPhaseCall(const KernelPhase &phase, llvm::Value *args,
                            llvm::Value *hostContext) {
  if (phase.tasks == 1) {
    b.CreateCall(phase.function, {args, b.getInt64(0)});
    return;
  }
  // r1c_host_context_t: {weights, parallel_for, pool}.
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *parallel = llvm::BasicBlock::Create(context, "parallel", function);
  llvm::BasicBlock *serial = llvm::BasicBlock::Create(context, "serial", function);
  llvm::BasicBlock *done = llvm::BasicBlock::Create(context, "phase.done", function);
  llvm::BasicBlock *haveContext = llvm::BasicBlock::Create(context, "context", function);
  b.CreateCondBr(b.CreateIsNull(hostContext), serial, haveContext);
  b.SetInsertPoint(haveContext);
  llvm::Value *parallelFor =
      b.CreateLoad(b.getPtrTy(), b.CreateGEP(b.getPtrTy(), hostContext, b.getInt64(1)));
  b.CreateCondBr(b.CreateIsNull(parallelFor), serial, parallel);
  b.SetInsertPoint(parallel);
  llvm::Value *pool =
      b.CreateLoad(b.getPtrTy(), b.CreateGEP(b.getPtrTy(), hostContext, b.getInt64(2)));
  auto *parallelForType = llvm::FunctionType::get(
      b.getVoidTy(), {b.getPtrTy(), b.getPtrTy(), b.getPtrTy(), b.getInt64Ty()}, false);
  b.CreateCall(parallelForType, parallelFor,
               {pool, phase.function, args, b.getInt64(phase.tasks)});
  b.CreateBr(done);
  b.SetInsertPoint(serial);
  kb.loop(phase.tasks, [&](llvm::Value *task) { b.CreateCall(phase.function, {args, task}); });
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

std::unique_ptr<llvm::Module> Emitter::finish(Operation *at) {
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (llvm::verifyModule(*module, &errorStream)) {
    at->emitOpError("produced invalid LLVM IR: ") << error;
    return nullptr;
  }
  return std::move(module);
}

std::string describeTensor(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << tensor.getElementType() << "[";
  llvm::interleave(tensor.getShape(), os, ",");
  os << "]";
  return text;
}

} // namespace

std::unique_ptr<llvm::Module> emitHostModule(ArrayRef<HostEntryPoint> entries,
                                             llvm::LLVMContext &context,
                                             const HostModuleInfo &info) {
  assert(!entries.empty() && "a host module needs an entry point");
  assert(!info.isas.empty() && "a host module needs a level to build for");
  Emitter emitter(context, info);
  for (const HostIsaBuild &isa : info.isas) {
    if (&isa != &info.isas.front() && !canDispatchTo(isa.cpu)) {
      func::FuncOp(entries.front().function).emitOpError("cannot build host code for '")
          << isa.cpu << "' beside a lower level: its code has no run-time check";
      return nullptr;
    }
    for (const HostEntryPoint &entry : entries)
      if (failed(emitter.addLevelEntry(entry.function, entry.stem, isa)))
        return nullptr;
  }
  for (const HostEntryPoint &entry : entries)
    emitter.addEntry(entry.function, entry.stem);
  std::unique_ptr<llvm::Module> module = emitter.finish(entries.front().function);
  if (module)
    defineSoftFloatRoutines(*module);
  return module;
}

/// r1c_host_context_t as runtime/include/r1c/host_abi.h has it, so OUT.h
/// stands alone; the guard lets both be included.
constexpr const char *kHostContextDeclaration = R"(#ifndef R1C_HOST_CONTEXT_DEFINED
#define R1C_HOST_CONTEXT_DEFINED
/* What the code may need from its caller; NULL means one thread and weights
 * inside the code (see r1c/host_abi.h). */
typedef struct r1c_host_context_s {
  const void *weights; /* --weights=external: the side file after its header */
  void (*parallel_for)(void *pool, void (*task)(void *data, int64_t index), void *data,
                       int64_t count);
  void *pool;
} r1c_host_context_t;
#endif
)";

std::string emitHostHeader(ArrayRef<HostEntryPoint> entries, const HostModuleInfo &info) {
  std::string guard = info.symbolPrefix;
  for (char &c : guard)
    c = std::toupper(static_cast<unsigned char>(c));
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by r1c; do not edit. Regenerate with r1c --target=host. */\n"
     << "#ifndef " << guard << "_H\n#define " << guard << "_H\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  auto nameOf = [](DictionaryAttr attrs) {
    auto name = attrs ? attrs.getAs<StringAttr>("r1.name") : StringAttr();
    return name ? name.getValue().str() : std::string("?");
  };
  os << kHostContextDeclaration << "\n";
  if (info.externalWeights && info.weightsInArtifact)
    os << "/* The weights are not in this code but in the artifact's WEIGHTS section,\n"
       << " * which its GPU code reads too (r1c --target with host and GPU targets).\n"
       << " * Every call needs a context whose `weights` points at that section's bytes\n"
       << " * (r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, \"weights\", ...)),\n"
       << " * 64-byte aligned, and the bytes must stay while the code runs. */\n\n";
  else if (info.externalWeights)
    os << "/* The weights are not in this code (r1c --weights=external) but in\n"
       << " * " << info.weightsFile << ". Every call needs a context whose `weights` points at\n"
       << " * that file's bytes after its header: at byte 8 + N of the file, N being the\n"
       << " * little-endian uint64 it starts with. That address must be 64-byte aligned\n"
       << " * (map the whole file with mmap), and the bytes must stay while the code runs. */\n\n";
  if (entries.size() > 1)
    os << "/* One entry point per shape bucket; each takes exactly the shapes it lists. */\n\n";
  for (const HostEntryPoint &entry : entries) {
    func::FuncOp func = entry.function;
    const std::string &stem = entry.stem;
    if (!entry.sizes.empty())
      os << "/* " << entry.sizes << " */\n";
    os << "/* Inputs (inputs[i] points at a dense, row-major buffer):\n";
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      os << " *   " << i << ": " << nameOf(func.getArgAttrDict(i)) << " "
         << describeTensor(func.getArgumentTypes()[i]) << "\n";
    os << " * Outputs (written to outputs[i]):\n";
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      os << " *   " << i << ": " << nameOf(func.getResultAttrDict(i)) << " "
         << describeTensor(func.getResultTypes()[i]) << "\n";
    os << " */\n\n"
       << "/* Bytes of scratch memory " << stem << "_run needs (64-byte aligned). */\n"
       << "extern const int64_t " << stem << "_arena_size;\n\n"
       << "/* Runs the model; `arena` must hold " << stem
       << "_arena_size bytes and not be shared\n"
       << " * with a concurrent call. `output_dims` may be NULL; otherwise it receives the\n"
       << " * dims of every output, output after output. "
       << (info.externalWeights
               ? "`context` must\n * not be NULL: it points at the weights (see above). */\n"
               : "`context` may be NULL (see\n * r1c_host_context_t). */\n")
       << "void " << stem
       << "_run(void *const *inputs, void *const *outputs, void *arena, int64_t *output_dims,\n"
       << "     const r1c_host_context_t *context);\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

} // namespace r1c
