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
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1/IR/ShapeInference.h"
#include "dialects/R1K/IR/R1KDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Verifier.h"

using namespace mlir;
using namespace mlir::r1;
using llvm::IRBuilder;

namespace r1c {
namespace {

using LoopBody = llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>)>;

/// Emits `for (i = 0; i < count; ++i) body(i)` at the builder's position.
void emitLoop(IRBuilder<> &b, int64_t count, llvm::function_ref<void(llvm::Value *)> body) {
  llvm::Function *function = b.GetInsertBlock()->getParent();
  llvm::BasicBlock *before = b.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(b.getContext(), "loop", function);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(b.getContext(), "loop.end", function);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode *index = b.CreatePHI(b.getInt64Ty(), 2, "i");
  index->addIncoming(b.getInt64(0), before);
  body(index);
  llvm::Value *next = b.CreateAdd(index, b.getInt64(1), "", /*HasNUW=*/true, /*HasNSW=*/true);
  index->addIncoming(next, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpSLT(next, b.getInt64(count)), header, exit);
  b.SetInsertPoint(exit);
}

/// Nested loops over every index of `shape`, innermost dim last.
void emitLoopNest(IRBuilder<> &b, ArrayRef<int64_t> shape, LoopBody body,
                  SmallVector<llvm::Value *> indices = {}) {
  if (indices.size() == shape.size())
    return body(indices);
  emitLoop(b, shape[indices.size()], [&](llvm::Value *i) {
    SmallVector<llvm::Value *> inner = indices;
    inner.push_back(i);
    emitLoopNest(b, shape, body, inner);
  });
}

/// Linear element offset in a tensor of `shape` broadcast to the rank of
/// `indices` (aligned right; dims of 1 repeat).
llvm::Value *broadcastOffset(IRBuilder<> &b, ArrayRef<llvm::Value *> indices,
                             ArrayRef<int64_t> shape) {
  llvm::Value *offset = b.getInt64(0);
  int64_t stride = 1;
  size_t skip = indices.size() - shape.size();
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] != 1)
      offset = b.CreateAdd(offset, b.CreateMul(indices[d + skip], b.getInt64(stride)));
    stride *= shape[d];
  }
  return offset;
}

int64_t storageBytes(RankedTensorType type) {
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

/// The bytes of a constant as the runtime stores them (booleans one byte each).
std::vector<char> constantBytes(ElementsAttr value) {
  auto type = cast<RankedTensorType>(value.getType());
  std::vector<char> bytes(storageBytes(type));
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob()) {
      ArrayRef<char> data = blob->getData();
      std::copy_n(data.begin(), std::min(data.size(), bytes.size()), bytes.begin());
    }
    return bytes;
  }
  auto dense = cast<DenseElementsAttr>(value);
  if (type.getElementType().isInteger(1)) {
    for (auto [i, flag] : llvm::enumerate(dense.getValues<bool>()))
      bytes[i] = flag;
    return bytes;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    size_t element = bytes.size() / std::max<int64_t>(1, type.getNumElements());
    for (size_t offset = 0; offset + element <= bytes.size(); offset += element)
      std::copy_n(raw.begin(), element, bytes.begin() + offset);
    return bytes;
  }
  std::copy_n(raw.begin(), std::min(raw.size(), bytes.size()), bytes.begin());
  return bytes;
}

class Emitter {
public:
  Emitter(llvm::LLVMContext &context, const HostModuleInfo &info)
      : context(context), info(info),
        module(std::make_unique<llvm::Module>(info.symbolPrefix, context)), b(context) {}

  std::unique_ptr<llvm::Module> run(func::FuncOp func);

private:
  llvm::Function *emitKernel(r1k::KernelOp kernel);
  LogicalResult emitAnchor(Operation *anchor, ArrayRef<llvm::Value *> pointers,
                           llvm::Value *out, const DenseMap<Value, unsigned> &argIndex);
  LogicalResult emitMatMul(MatMulOp op, llvm::Value *lhs, llvm::Value *rhs, llvm::Value *out);
  LogicalResult emitEpilogue(r1k::KernelOp kernel, Operation *anchor,
                             ArrayRef<llvm::Value *> pointers, llvm::Value *out);
  llvm::Value *load(llvm::Value *base, llvm::Value *offset, Type element) {
    llvm::Type *storage = getStorageType(context, element);
    llvm::Value *value = b.CreateLoad(storage, b.CreateGEP(storage, base, offset));
    return element.isInteger(1) ? b.CreateICmpNE(value, b.getInt8(0)) : value;
  }
  void store(llvm::Value *value, llvm::Value *base, llvm::Value *offset, Type element) {
    llvm::Type *storage = getStorageType(context, element);
    if (element.isInteger(1))
      value = b.CreateZExt(value, storage);
    b.CreateStore(value, b.CreateGEP(storage, base, offset));
  }
  llvm::Value *weightPointer(ConstantOp constant);

  llvm::LLVMContext &context;
  const HostModuleInfo &info;
  std::unique_ptr<llvm::Module> module;
  IRBuilder<> b;
  DenseMap<Operation *, llvm::GlobalVariable *> weights;
};

llvm::Value *Emitter::weightPointer(ConstantOp constant) {
  llvm::GlobalVariable *&global = weights[constant];
  if (!global) {
    std::vector<char> bytes = constantBytes(constant.getValue());
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

LogicalResult Emitter::emitMatMul(MatMulOp op, llvm::Value *lhs, llvm::Value *rhs,
                                  llvm::Value *out) {
  auto a = cast<RankedTensorType>(op.getLhs().getType());
  auto bType = cast<RankedTensorType>(op.getRhs().getType());
  auto c = cast<RankedTensorType>(op.getType());
  Type element = a.getElementType();
  if (a.getRank() < 2 || bType.getRank() < 2 || !isa<FloatType>(element))
    return op.emitOpError("host code generation supports float matmul of rank 2 or more only");
  int64_t m = a.getShape()[a.getRank() - 2], k = a.getShape().back(), n = bType.getShape().back();
  ArrayRef<int64_t> batch = c.getShape().drop_back(2);
  ArrayRef<int64_t> aBatch = a.getShape().drop_back(2), bBatch = bType.getShape().drop_back(2);
  llvm::Type *scalar = getScalarType(context, element);
  emitLoopNest(b, batch, [&](ArrayRef<llvm::Value *> indices) {
    llvm::Value *aBase = b.CreateMul(broadcastOffset(b, indices, aBatch), b.getInt64(m * k));
    llvm::Value *bBase = b.CreateMul(broadcastOffset(b, indices, bBatch), b.getInt64(k * n));
    llvm::Value *cBase = b.CreateMul(broadcastOffset(b, indices, batch), b.getInt64(m * n));
    emitLoop(b, m, [&](llvm::Value *row) {
      llvm::Value *cRow = b.CreateAdd(cBase, b.CreateMul(row, b.getInt64(n)));
      emitLoop(b, n, [&](llvm::Value *col) {
        store(llvm::ConstantFP::get(scalar, 0.0), out, b.CreateAdd(cRow, col), element);
      });
      // k outside, n inside: the inner loop is a unit-stride axpy.
      emitLoop(b, k, [&](llvm::Value *kk) {
        llvm::Value *aValue = load(
            lhs, b.CreateAdd(aBase, b.CreateAdd(b.CreateMul(row, b.getInt64(k)), kk)), element);
        llvm::Value *bRow = b.CreateAdd(bBase, b.CreateMul(kk, b.getInt64(n)));
        emitLoop(b, n, [&](llvm::Value *col) {
          llvm::Value *offset = b.CreateAdd(cRow, col);
          llvm::Value *sum = b.CreateFAdd(
              load(out, offset, element),
              b.CreateFMul(aValue, load(rhs, b.CreateAdd(bRow, col), element)));
          store(sum, out, offset, element);
        });
      });
    });
  });
  return success();
}

LogicalResult Emitter::emitAnchor(Operation *anchor, ArrayRef<llvm::Value *> pointers,
                                  llvm::Value *out, const DenseMap<Value, unsigned> &argIndex) {
  auto pointerOf = [&](Value v) { return pointers[argIndex.lookup(v)]; };
  if (auto matmul = dyn_cast<MatMulOp>(anchor))
    return emitMatMul(matmul, pointerOf(matmul.getLhs()), pointerOf(matmul.getRhs()), out);
  return anchor->emitOpError("has no host code generation yet");
}

LogicalResult Emitter::emitEpilogue(r1k::KernelOp kernel, Operation *anchor,
                                    ArrayRef<llvm::Value *> pointers, llvm::Value *out) {
  Block &body = kernel.getBody().front();
  auto resultType = cast<RankedTensorType>(kernel.getResult(0).getType());
  Value yielded = body.getTerminator()->getOperand(0);
  if (anchor && yielded == anchor->getResult(0))
    return success(); // nothing fused after the anchor
  LogicalResult status = success();
  emitLoopNest(b, resultType.getShape(), [&](ArrayRef<llvm::Value *> indices) {
    DenseMap<Value, llvm::Value *> scalars;
    llvm::Value *outOffset = broadcastOffset(b, indices, resultType.getShape());
    // Reads each value of the body at this element, emitting what it needs.
    std::function<llvm::Value *(Value)> scalarOf = [&](Value value) -> llvm::Value * {
      if (llvm::Value *known = scalars.lookup(value))
        return known;
      llvm::Value *result = nullptr;
      Type element = getElementTypeOf(value);
      if (auto arg = dyn_cast<BlockArgument>(value)) {
        auto shape = cast<RankedTensorType>(value.getType()).getShape();
        result = load(pointers[arg.getArgNumber()], broadcastOffset(b, indices, shape), element);
      } else if (anchor && value.getDefiningOp() == anchor) {
        result = load(out, outOffset, element);
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
      store(value, out, outOffset, resultType.getElementType());
  });
  return status;
}

llvm::Function *Emitter::emitKernel(r1k::KernelOp kernel) {
  if (kernel.getNumResults() != 1) {
    kernel.emitOpError("with several results has no host code generation yet");
    return nullptr;
  }
  auto *type = llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, false);
  auto *function = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                          info.symbolPrefix + "_" + kernel.getName().str(),
                                          module.get());
  function->addFnAttr(llvm::Attribute::NoUnwind);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", function));
  Block &body = kernel.getBody().front();
  SmallVector<llvm::Value *> pointers;
  DenseMap<Value, unsigned> argIndex;
  for (unsigned i = 0; i <= body.getNumArguments(); ++i) {
    llvm::Value *slot = b.CreateGEP(b.getPtrTy(), function->getArg(0), b.getInt64(i));
    pointers.push_back(b.CreateLoad(b.getPtrTy(), slot));
  }
  for (BlockArgument arg : body.getArguments())
    argIndex[arg] = arg.getArgNumber();
  llvm::Value *out = pointers.pop_back_val();

  Operation *anchor = nullptr;
  for (Operation &op : body.without_terminator())
    if (!isElementwiseOp(&op) && !isa<ConstantOp>(op)) {
      anchor = &op;
      break;
    }
  if (anchor && anchor->getResult(0).getType() != kernel.getResult(0).getType() &&
      anchor->getResult(0) != body.getTerminator()->getOperand(0)) {
    kernel.emitOpError("fuses a body that changes the element type; not supported on host yet");
    return nullptr;
  }
  if (anchor && failed(emitAnchor(anchor, pointers, out, argIndex)))
    return nullptr;
  if (failed(emitEpilogue(kernel, anchor, pointers, out)))
    return nullptr;
  b.CreateRetVoid();
  return function;
}

std::unique_ptr<llvm::Module> Emitter::run(func::FuncOp func) {
  auto arenaAttr = func->getAttrOfType<IntegerAttr>("r1k.arena_size");
  if (!arenaAttr) {
    func.emitOpError("has no memory plan; host code generation starts from the plan phase");
    return nullptr;
  }
  for (Type type : func.getArgumentTypes())
    if (!cast<RankedTensorType>(type).hasStaticShape()) {
      func.emitOpError("has a dynamic input dim; host code generation needs static shapes "
                       "for now");
      return nullptr;
    }

  // Kernels first: the entry point calls them.
  DenseMap<Operation *, llvm::Function *> kernelFunctions;
  for (auto kernel : func.getOps<r1k::KernelOp>()) {
    llvm::Function *function = emitKernel(kernel);
    if (!function)
      return nullptr;
    kernelFunctions[kernel] = function;
  }

  auto *entryType = llvm::FunctionType::get(
      b.getVoidTy(), {b.getPtrTy(), b.getPtrTy(), b.getPtrTy()}, false);
  auto *entry = llvm::Function::Create(entryType, llvm::GlobalValue::ExternalLinkage,
                                       info.symbolPrefix + "_run", module.get());
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  llvm::Value *inputs = entry->getArg(0), *outputs = entry->getArg(1), *arena = entry->getArg(2);
  DenseMap<Value, llvm::Value *> pointers;
  for (BlockArgument arg : func.getArguments())
    pointers[arg] = b.CreateLoad(
        b.getPtrTy(), b.CreateGEP(b.getPtrTy(), inputs, b.getInt64(arg.getArgNumber())));

  for (Operation &op : func.getBody().front()) {
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      pointers[constant] = weightPointer(constant);
    } else if (isa<ReshapeOp, SqueezeOp, UnsqueezeOp, FlattenOp>(op)) {
      pointers[op.getResult(0)] = pointers.lookup(op.getOperand(0));
    } else if (auto kernel = dyn_cast<r1k::KernelOp>(op)) {
      int64_t offset = kernel->getAttrOfType<DenseI64ArrayAttr>("result_offsets")[0];
      if (offset < 0) {
        kernel.emitOpError("has a result of dynamic size; not supported on host yet");
        return nullptr;
      }
      llvm::Value *result = b.CreateGEP(b.getInt8Ty(), arena, b.getInt64(offset));
      unsigned count = kernel.getInputs().size() + 1;
      llvm::Value *args = b.CreateAlloca(b.getPtrTy(), b.getInt64(count));
      for (auto [i, input] : llvm::enumerate(kernel.getInputs()))
        b.CreateStore(pointers.lookup(input), b.CreateGEP(b.getPtrTy(), args, b.getInt64(i)));
      b.CreateStore(result, b.CreateGEP(b.getPtrTy(), args, b.getInt64(count - 1)));
      b.CreateCall(kernelFunctions.lookup(kernel), {args});
      pointers[kernel.getResult(0)] = result;
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        llvm::Value *target = b.CreateLoad(
            b.getPtrTy(), b.CreateGEP(b.getPtrTy(), outputs, b.getInt64(i)));
        int64_t bytes = storageBytes(cast<RankedTensorType>(value.getType()));
        b.CreateMemCpy(target, llvm::MaybeAlign(1), pointers.lookup(value), llvm::MaybeAlign(1),
                       bytes);
      }
    } else if (!isa<NoneOp>(op)) {
      op.emitOpError("is outside any kernel; host code generation cannot place it");
      return nullptr;
    }
  }
  b.CreateRetVoid();

  new llvm::GlobalVariable(*module, b.getInt64Ty(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           b.getInt64(arenaAttr.getInt()), info.symbolPrefix + "_arena_size");
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (llvm::verifyModule(*module, &errorStream)) {
    func.emitOpError("produced invalid LLVM IR: ") << error;
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

std::unique_ptr<llvm::Module> emitHostModule(ModuleOp module, llvm::LLVMContext &context,
                                             const HostModuleInfo &info) {
  auto funcs = module.getOps<func::FuncOp>();
  if (funcs.empty()) {
    module.emitError("has no function to compile");
    return nullptr;
  }
  return Emitter(context, info).run(*funcs.begin());
}

std::string emitHostHeader(ModuleOp module, const HostModuleInfo &info) {
  func::FuncOp func = *module.getOps<func::FuncOp>().begin();
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
  os << "/* Inputs (inputs[i] points at a dense, row-major buffer):\n";
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    os << " *   " << i << ": " << nameOf(func.getArgAttrDict(i)) << " "
       << describeTensor(func.getArgumentTypes()[i]) << "\n";
  os << " * Outputs (written to outputs[i]):\n";
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    os << " *   " << i << ": " << nameOf(func.getResultAttrDict(i)) << " "
       << describeTensor(func.getResultTypes()[i]) << "\n";
  os << " */\n\n"
     << "/* Bytes of scratch memory " << info.symbolPrefix << "_run needs (64-byte aligned). */\n"
     << "extern const int64_t " << info.symbolPrefix << "_arena_size;\n\n"
     << "/* Runs the model; `arena` must hold " << info.symbolPrefix
     << "_arena_size bytes and not be shared\n * with a concurrent call. */\n"
     << "void " << info.symbolPrefix
     << "_run(void *const *inputs, void *const *outputs, void *arena);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

} // namespace r1c
