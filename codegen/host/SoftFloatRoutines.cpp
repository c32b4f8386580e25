//===- SoftFloatRoutines.cpp - Float conversions LLVM may call by name ----===//

#include "codegen/host/SoftFloatRoutines.h"
#include "codegen/host/ScalarOps.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace llvm;

namespace r1c {
namespace {

/// The name x86's instruction selection calls for fptrunc float to bfloat
/// (RTLIB::FPROUND_F32_BF16), float in and bfloat out in xmm0 as GCC's
/// libgcc defines it.
constexpr const char *kTruncateF32ToBF16 = "__truncsfbf2";

bool holdsBFloat(const Module &module) {
  auto isBFloat = [](const Type *type) { return type->getScalarType()->isBFloatTy(); };
  for (const Function &function : module)
    for (const Instruction &inst : instructions(function)) {
      if (isBFloat(inst.getType()))
        return true;
      for (const Value *operand : inst.operands())
        if (isBFloat(operand->getType()))
          return true;
    }
  return false;
}

} // namespace

void defineSoftFloatRoutines(Module &module) {
  if (module.getFunction(kTruncateF32ToBF16) || !holdsBFloat(module))
    return;
  LLVMContext &context = module.getContext();
  auto *type = FunctionType::get(Type::getBFloatTy(context), {Type::getFloatTy(context)}, false);
  Function *truncate =
      Function::Create(type, GlobalValue::WeakAnyLinkage, kTruncateF32ToBF16, module);
  truncate->setVisibility(GlobalValue::HiddenVisibility);
  truncate->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> b(BasicBlock::Create(context, "entry", truncate));
  // Integer arithmetic only: an fptrunc here would call this very routine.
  b.CreateRet(emitFloatTruncate(b, truncate->getArg(0), b.getBFloatTy()));
  // Nothing in the IR calls it (only instruction selection will): keep it.
  appendToCompilerUsed(module, {truncate});
}

} // namespace r1c
