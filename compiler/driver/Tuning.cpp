//===- Tuning.cpp - Measured variant selection for host kernels (--tune) ---===//
//
// Each distinct GEMM problem (target, shapes, where B comes from) is timed
// once: its kernel is copied into a module of its own, once per candidate,
// compiled and linked in-process as the artifact's host code is, loaded from
// a memfd and run on one thread. Candidates are the cost model's best few,
// so tuning refines the model rather than searching blindly, and a problem
// already in the database is not measured again.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Tuning.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/HostTarget.h"
#include "codegen/llvm/SharedObjectLinker.h"
#include "dialects/R1/IR/R1Ops.h"
#include "passes/HostGemmCostModel.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/ScopeExit.h"

#include <algorithm>
#include <map>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir;

namespace r1c {
namespace {

/// How many of the model's best candidates each problem times.
constexpr size_t kCandidatesPerProblem = 4;
/// Each candidate runs at least this often and this long.
constexpr int kMinRuns = 5;
constexpr double kMinSeconds = 0.02;

using EntryPoint = void (*)(void *const *, void *const *, void *, int64_t *, const void *);

/// A kernel copied into a function of its own, with `variant` chosen: its
/// constant inputs are copied along, the others become arguments.
OwningOpRef<ModuleOp> isolateKernel(r1k::KernelOp kernel, const std::string &variantKey,
                                    Attribute variant) {
  OpBuilder builder(kernel.getContext());
  OwningOpRef<ModuleOp> module = ModuleOp::create(kernel.getLoc());
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argumentTypes;
  for (Value input : kernel.getInputs())
    if (!input.getDefiningOp<r1::ConstantOp>())
      argumentTypes.push_back(input.getType());
  auto func = builder.create<func::FuncOp>(
      kernel.getLoc(), "main", builder.getFunctionType(argumentTypes, kernel.getResultTypes()));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);
  IRMapping mapping;
  unsigned next = 0;
  for (Value input : kernel.getInputs()) {
    if (auto constant = input.getDefiningOp<r1::ConstantOp>())
      mapping.map(input, builder.clone(*constant)->getResult(0));
    else
      mapping.map(input, body->getArgument(next++));
  }
  auto copy = cast<r1k::KernelOp>(builder.clone(*kernel, mapping));
  copy.setVariantsAttr(builder.getDictionaryAttr(builder.getNamedAttr(variantKey, variant)));
  builder.create<func::ReturnOp>(kernel.getLoc(), copy.getResults());
  return module;
}

int64_t byteSize(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.getNumElements() * std::max<int64_t>(1, tensor.getElementTypeBitWidth() / 8);
}

/// Median milliseconds of one run of `module`'s entry point, or a negative
/// value with `error` set.
double timeModule(ModuleOp module, const std::string &cpu, const std::string &variantKey,
                  std::string &error) {
  PassManager pm(module.getContext());
  pm.nest<func::FuncOp>().addPass(r1::createPlanMemory());
  if (failed(pm.run(module))) {
    error = "planning a tuning kernel failed";
    return -1;
  }
  func::FuncOp func = *module.getOps<func::FuncOp>().begin();
  llvm::LLVMContext llvmContext;
  HostModuleInfo info;
  info.symbolPrefix = "r1c_tune";
  info.isas = {{cpu, variantKey}};
  std::unique_ptr<llvm::Module> llvmModule =
      emitHostModule({HostEntryPoint{func, info.symbolPrefix, ""}}, llvmContext, info);
  if (!llvmModule) {
    error = "emitting a tuning kernel failed";
    return -1;
  }
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream objectStream(object);
  std::vector<char> shared;
  if (!emitHostObject(*llvmModule, cpu, objectStream, error) ||
      !linkSharedObject(llvm::StringRef(object.data(), object.size()), {"-z", "noexecstack"},
                        "a tuning kernel", shared, error))
    return -1;
  int fd = memfd_create("r1c-tune", MFD_CLOEXEC);
  if (fd < 0 || write(fd, shared.data(), shared.size()) != ssize_t(shared.size())) {
    error = "cannot load a tuning kernel: memfd failed";
    if (fd >= 0)
      close(fd);
    return -1;
  }
  auto closeFd = llvm::make_scope_exit([&] { close(fd); });
  void *library = dlopen(("/proc/self/fd/" + std::to_string(fd)).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    error = std::string("cannot load a tuning kernel: ") + dlerror();
    return -1;
  }
  auto closeLibrary = llvm::make_scope_exit([&] { dlclose(library); });
  auto run = reinterpret_cast<EntryPoint>(dlsym(library, "r1c_tune_run"));
  auto *arenaSize = static_cast<const int64_t *>(dlsym(library, "r1c_tune_arena_size"));
  if (!run || !arenaSize) {
    error = "a tuning kernel lacks its entry point";
    return -1;
  }
  // Inputs of small, normal floats: the time does not depend on values, but
  // subnormals would slow it.
  std::vector<std::vector<float>> buffers;
  std::vector<void *> inputs, outputs;
  for (Type type : func.getArgumentTypes()) {
    buffers.emplace_back((byteSize(type) + 3) / 4, 0.01f);
    inputs.push_back(buffers.back().data());
  }
  for (Type type : func.getResultTypes()) {
    buffers.emplace_back((byteSize(type) + 3) / 4, 0.0f);
    outputs.push_back(buffers.back().data());
  }
  std::vector<float> arena((*arenaSize + 63) / 4 + 16);
  void *alignedArena = reinterpret_cast<void *>(
      (reinterpret_cast<uintptr_t>(arena.data()) + 63) / 64 * 64);
  run(inputs.data(), outputs.data(), alignedArena, nullptr, nullptr);
  std::vector<double> times;
  auto clock = std::chrono::steady_clock::now;
  auto started = clock();
  while (int(times.size()) < kMinRuns ||
         std::chrono::duration<double>(clock() - started).count() < kMinSeconds) {
    auto before = clock();
    run(inputs.data(), outputs.data(), alignedArena, nullptr, nullptr);
    times.push_back(std::chrono::duration<double, std::milli>(clock() - before).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

} // namespace

bool tuneHostKernels(ArrayRef<func::FuncOp> functions, const std::string &cpu,
                     r1k::TargetAttr target, bool packWeights, TuningDatabase &database,
                     llvm::function_ref<void(const std::string &)> report, std::string &error) {
  std::string variantKey = target.getVariantKey();
  // The first kernel of each problem not measured yet.
  llvm::MapVector<std::string, std::pair<r1k::KernelOp, GemmProblem>,
                  std::map<std::string, unsigned>>
      problems;
  for (func::FuncOp func : functions)
    func.walk([&](r1k::KernelOp kernel) {
      std::optional<GemmProblem> problem = getGemmProblem(kernel, packWeights);
      if (!problem)
        return;
      std::string key = tuningKey(variantKey, *problem);
      if (!database.lookup(key))
        problems.insert({key, {kernel, *problem}});
    });
  size_t index = 0;
  for (auto &[key, entry] : problems) {
    auto [kernel, problem] = entry;
    report("tuning " + kernel.getName().str() + " (problem " + std::to_string(++index) + " of " +
           std::to_string(problems.size()) + ")");
    std::vector<GemmCandidate> ranked = rankHostGemmCandidates(problem, target);
    TunedVariant best;
    for (size_t c = 0; c < std::min(kCandidatesPerProblem, ranked.size()); ++c) {
      const GemmCandidate &candidate = ranked[c];
      auto variant =
          r1k::HostGemmAttr::get(kernel.getContext(), candidate.mr, candidate.nr, candidate.vector,
                                 candidate.kc, candidate.mc, candidate.nc, candidate.packB,
                                 candidate.packA, candidate.mInner, candidate.dot,
                                 /*transposed=*/false);
      OwningOpRef<ModuleOp> module = isolateKernel(kernel, variantKey, variant);
      double milliseconds = timeModule(*module, cpu, variantKey, error);
      if (milliseconds < 0)
        return false;
      if (c == 0)
        best.modelMilliseconds = milliseconds;
      if (c == 0 || milliseconds < best.milliseconds) {
        best.variant = candidate;
        best.milliseconds = milliseconds;
      }
    }
    database.record(key, best);
  }
  return true;
}

} // namespace r1c
