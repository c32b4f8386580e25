//===- CpuDispatch.cpp - Which ISA build of a fat host module runs --------===//
#include "codegen/host/CpuDispatch.h"

#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Module.h"

#include <vector>

namespace r1c {
namespace {

/// What a level above the baseline needs of the CPU, and the levels below
/// it that R1C_MAX_CPU_ISA may name to hold the code there.
struct LevelCheck {
  const char *level, *function;
  /// cpuid leaf 7 (subleaf 0) EBX and ECX, and leaf 7 subleaf 1 EAX.
  uint32_t leaf7Ebx, leaf7Ecx, leaf7Sub1Eax;
  std::vector<const char *> below;
};

// AVX512F (EBX 16), DQ (17), CD (28), BW (30), VL (31); x86-64-v4-dl adds
// AVX512_VNNI (ECX 11) and AVX512_BF16 (subleaf 1 EAX 5).
constexpr uint32_t kAvx512Ebx = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
const LevelCheck kLevelChecks[] = {
    {"x86-64-v4", "r1c.cpu_runs_x86_64_v4", kAvx512Ebx, 0, 0, {"x86-64-v3"}},
    {"x86-64-v4-dl",
     "r1c.cpu_runs_x86_64_v4_dl",
     kAvx512Ebx,
     1u << 11,
     1u << 5,
     {"x86-64-v3", "x86-64-v4"}},
};

const LevelCheck *findLevel(const std::string &cpu) {
  for (const LevelCheck &check : kLevelChecks)
    if (cpu == check.level)
      return &check;
  return nullptr;
}

/// cpuid(leaf, subleaf) as {eax, ebx, ecx, edx}.
llvm::Value *cpuid(llvm::IRBuilder<> &b, uint32_t leaf, uint32_t subleaf) {
  llvm::Type *i32 = b.getInt32Ty();
  auto *result = llvm::StructType::get(b.getContext(), {i32, i32, i32, i32});
  auto *type = llvm::FunctionType::get(result, {i32, i32}, false);
  auto *instruction = llvm::InlineAsm::get(
      type, "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx},~{dirflag},~{fpsr},~{flags}",
      /*hasSideEffects=*/false);
  return b.CreateCall(type, instruction, {b.getInt32(leaf), b.getInt32(subleaf)});
}

/// The low half of XCR0: which register states the OS saves. Spelled as
/// bytes so that the baseline level's assembler never has to know xgetbv.
llvm::Value *xcr0(llvm::IRBuilder<> &b) {
  llvm::Type *i32 = b.getInt32Ty();
  auto *result = llvm::StructType::get(b.getContext(), {i32, i32});
  auto *type = llvm::FunctionType::get(result, {i32}, false);
  auto *instruction = llvm::InlineAsm::get(type, ".byte 0x0f, 0x01, 0xd0",
                                           "={ax},={dx},{cx},~{dirflag},~{fpsr},~{flags}",
                                           /*hasSideEffects=*/true);
  return b.CreateExtractValue(b.CreateCall(type, instruction, {b.getInt32(0)}), 0);
}

llvm::Value *allBitsSet(llvm::IRBuilder<> &b, llvm::Value *word, uint32_t mask) {
  return b.CreateICmpEQ(b.CreateAnd(word, b.getInt32(mask)), b.getInt32(mask));
}

/// bool r1c.cpu_runs_LEVEL(): cpuid once, then the cached answer. The
/// cache is written with the same value by whichever thread gets there, so
/// relaxed atomics suffice.
llvm::Function *getOrEmitCheck(llvm::Module &module, const LevelCheck &check) {
  const char *kCheckName = check.function;
  if (llvm::Function *existing = module.getFunction(kCheckName))
    return existing;
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> b(context);
  auto *function = llvm::Function::Create(llvm::FunctionType::get(b.getInt1Ty(), false),
                                          llvm::GlobalValue::InternalLinkage, kCheckName, module);
  function->addFnAttr(llvm::Attribute::NoUnwind);
  function->addFnAttr(llvm::Attribute::NoInline);
  // 0: not asked yet, 1: no, 2: yes.
  auto *cache = new llvm::GlobalVariable(module, b.getInt8Ty(), /*isConstant=*/false,
                                         llvm::GlobalValue::InternalLinkage, b.getInt8(0),
                                         std::string(kCheckName) + ".cache");
  auto block = [&](const char *name) { return llvm::BasicBlock::Create(context, name, function); };
  llvm::BasicBlock *entry = block("entry"), *ask = block("ask"), *leaf1 = block("leaf1"),
                   *leaf7 = block("leaf7"), *capped = block("capped"), *compare = block("compare"),
                   *no = block("no"), *yes = block("yes");

  b.SetInsertPoint(entry);
  llvm::LoadInst *known = b.CreateAlignedLoad(b.getInt8Ty(), cache, llvm::Align(1));
  known->setAtomic(llvm::AtomicOrdering::Monotonic);
  llvm::BasicBlock *answer = block("answer");
  b.CreateCondBr(b.CreateICmpEQ(known, b.getInt8(0)), ask, answer);
  b.SetInsertPoint(answer);
  b.CreateRet(b.CreateICmpEQ(known, b.getInt8(2)));

  // Leaf 7 must exist; leaf 1's OSXSAVE guards xgetbv.
  b.SetInsertPoint(ask);
  llvm::Value *maxLeaf = b.CreateExtractValue(cpuid(b, 0, 0), 0);
  b.CreateCondBr(b.CreateICmpUGE(maxLeaf, b.getInt32(7)), leaf1, no);
  b.SetInsertPoint(leaf1);
  llvm::Value *features1 = b.CreateExtractValue(cpuid(b, 1, 0), 2);
  b.CreateCondBr(allBitsSet(b, features1, 1u << 27), leaf7, no);
  // XCR0: SSE, AVX, opmask, upper ZMM halves and ZMM16-31 states (0xe6);
  // leaf 7 EBX: AVX512F (16), DQ (17), CD (28), BW (30), VL (31).
  b.SetInsertPoint(leaf7);
  llvm::Value *leaf7Registers = cpuid(b, 7, 0);
  llvm::Value *supported =
      b.CreateAnd(allBitsSet(b, xcr0(b), 0xe6),
                  allBitsSet(b, b.CreateExtractValue(leaf7Registers, 1), check.leaf7Ebx));
  if (check.leaf7Ecx)
    supported = b.CreateAnd(supported,
                            allBitsSet(b, b.CreateExtractValue(leaf7Registers, 2), check.leaf7Ecx));
  if (check.leaf7Sub1Eax) {
    // Subleaf 1 exists where leaf 7's EAX (its last subleaf) is 1 or more.
    llvm::Value *subleaves = b.CreateExtractValue(leaf7Registers, 0);
    llvm::Value *sub1 = b.CreateExtractValue(cpuid(b, 7, 1), 0);
    supported = b.CreateAnd(supported, b.CreateAnd(b.CreateICmpUGE(subleaves, b.getInt32(1)),
                                                   allBitsSet(b, sub1, check.leaf7Sub1Eax)));
  }
  b.CreateCondBr(supported, capped, no);

  // R1C_MAX_CPU_ISA naming a lower level keeps that level's build.
  b.SetInsertPoint(capped);
  llvm::FunctionCallee getenv = module.getOrInsertFunction(
      "getenv", llvm::FunctionType::get(b.getPtrTy(), {b.getPtrTy()}, false));
  llvm::Value *cap = b.CreateCall(getenv, {b.CreateGlobalStringPtr(kMaxCpuIsaVariable)});
  b.CreateCondBr(b.CreateIsNull(cap), yes, compare);
  b.SetInsertPoint(compare);
  llvm::FunctionCallee strcmp = module.getOrInsertFunction(
      "strcmp", llvm::FunctionType::get(b.getInt32Ty(), {b.getPtrTy(), b.getPtrTy()}, false));
  llvm::Value *isBelow = b.getFalse();
  for (const char *lower : check.below)
    isBelow = b.CreateOr(
        isBelow,
        b.CreateICmpEQ(b.CreateCall(strcmp, {cap, b.CreateGlobalStringPtr(lower)}), b.getInt32(0)));
  b.CreateCondBr(isBelow, no, yes);

  for (auto [at, value] : {std::pair{no, 1}, std::pair{yes, 2}}) {
    b.SetInsertPoint(at);
    b.CreateAlignedStore(b.getInt8(value), cache, llvm::Align(1))
        ->setAtomic(llvm::AtomicOrdering::Monotonic);
    b.CreateRet(b.getInt1(value == 2));
  }
  return function;
}

} // namespace

bool canDispatchTo(const std::string &cpu) { return findLevel(cpu) != nullptr; }

llvm::Value *emitCpuRuns(llvm::IRBuilder<> &b, const std::string &cpu) {
  const LevelCheck *check = findLevel(cpu);
  assert(check && "no run-time check for this level");
  llvm::Module &module = *b.GetInsertBlock()->getModule();
  return b.CreateCall(getOrEmitCheck(module, *check), {});
}

} // namespace r1c
