//===- KernelCompiler.h - Compile many kernels, each distinct one once -*- C++ -*-===//
//
// Kernels that print the same source for the same architecture (the layers
// of a transformer, the shape buckets of a batch dim) share one compile:
// requests are keyed by compiler, architecture and source text. Distinct
// sources compile on several threads.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_GPU_KERNELCOMPILER_H
#define R1C_CODEGEN_GPU_KERNELCOMPILER_H

#include "codegen/gpu/GpuCompiler.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"

#include <vector>

namespace r1c::gpu {

class KernelCompiler {
public:
  struct Result {
    bool ok = false;
    CompiledCode code;
    std::string log;
  };

  /// Asks for `source` compiled by `compiler` for `arch`, named `fileName`
  /// in messages; returns the job that will hold the result (the same job
  /// as an earlier identical request).
  size_t add(const GpuCompiler &compiler, llvm::StringRef arch, const std::string &source,
             const std::string &fileName);

  /// Distinct jobs so far.
  size_t size() const { return jobs.size(); }

  /// Runs every job not yet run, `threads` at a time, no more at once per
  /// compiler than it allows; jobs of a limited compiler go first, so its
  /// turn-taking overlaps the others' work. `progress(done, total)` is
  /// called after each job, from one thread at a time.
  void run(unsigned threads, llvm::function_ref<void(size_t, size_t)> progress);

  const Result &result(size_t job) const { return jobs[job].result; }

private:
  struct Job {
    const GpuCompiler *compiler;
    std::string arch, source, fileName;
    Result result;
    bool done = false;
  };
  std::vector<Job> jobs;
  llvm::StringMap<size_t> jobOf;
};

} // namespace r1c::gpu

#endif // R1C_CODEGEN_GPU_KERNELCOMPILER_H
