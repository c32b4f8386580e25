//===- KernelCompiler.cpp - Compile many kernels, each distinct one once --===//
#include "codegen/gpu/KernelCompiler.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace r1c::gpu {

size_t KernelCompiler::add(const GpuCompiler &compiler, llvm::StringRef arch,
                           const std::string &source, const std::string &fileName) {
  // The whole text is the key: equal keys are equal programs, with no
  // reliance on a hash never colliding.
  std::string key =
      std::to_string(reinterpret_cast<uintptr_t>(&compiler)) + "\n" + arch.str() + "\n" + source;
  auto [it, inserted] = jobOf.try_emplace(key, jobs.size());
  if (inserted)
    jobs.push_back(Job{&compiler, arch.str(), source, fileName, {}, false});
  return it->second;
}

void KernelCompiler::run(unsigned threads, llvm::function_ref<void(size_t, size_t)> progress) {
  // One queue per compiler, the most limited first.
  std::map<const GpuCompiler *, std::deque<size_t>> queues;
  size_t total = 0;
  for (size_t i = 0; i < jobs.size(); ++i)
    if (!jobs[i].done) {
      queues[jobs[i].compiler].push_back(i);
      ++total;
    }
  std::vector<const GpuCompiler *> order;
  for (auto &[compiler, queue] : queues)
    order.push_back(compiler);
  auto limit = [](const GpuCompiler *c) {
    unsigned max = c->getMaxParallelCompiles();
    return max == 0 ? ~0u : max;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const GpuCompiler *a, const GpuCompiler *b) { return limit(a) < limit(b); });
  std::map<const GpuCompiler *, unsigned> running;
  size_t finished = 0;
  std::mutex mutex;
  std::condition_variable changed;
  auto work = [&] {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      // The first queue with work whose compiler has room.
      std::deque<size_t> *queue = nullptr;
      const GpuCompiler *chosen = nullptr;
      bool pending = false;
      for (const GpuCompiler *compiler : order) {
        std::deque<size_t> &candidate = queues[compiler];
        pending |= !candidate.empty();
        if (!candidate.empty() && running[compiler] < limit(compiler)) {
          queue = &candidate;
          chosen = compiler;
          break;
        }
      }
      if (!queue) {
        if (!pending)
          return;
        changed.wait(lock);
        continue;
      }
      Job &job = jobs[queue->front()];
      queue->pop_front();
      ++running[chosen];
      lock.unlock();
      job.result.ok = job.compiler->compile(job.source, job.fileName, job.arch, job.result.code,
                                            job.result.log);
      job.done = true;
      lock.lock();
      --running[chosen];
      progress(++finished, total);
      changed.notify_all();
    }
  };
  unsigned count = std::max(1u, std::min<unsigned>(threads, total));
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < count; ++i)
    workers.emplace_back(work);
  work();
  for (std::thread &worker : workers)
    worker.join();
}

} // namespace r1c::gpu
