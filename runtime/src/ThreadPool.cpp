// Workers take task indices from one atomic counter, so uneven tasks
// balance themselves; a job of many small tasks (a depthwise convolution
// has one per channel, a few tens of nanoseconds each) hands them out a
// run at a time, since every take moves the counter's cache line between
// cores. Between jobs they spin a while before they sleep on
// a condition variable: a model runs its kernels' phases back to back, and
// a wake-up through the kernel costs tens of microseconds per phase, which
// at two threads is a sizeable share of a ResNet-50. The caller spins the
// same way for the workers to finish.
#include "ThreadPool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace r1rt {

namespace {

/// How long a worker spins for the next job before it sleeps: longer than
/// a phase's tasks take on the other threads (measured on ResNet-50, 1 ms
/// was too short: a worker that sleeps wakes late for the next phase), short
/// enough not to burn a core long between requests.
constexpr auto kWorkerSpin = std::chrono::microseconds(5000);
/// How long the caller spins for the workers' last tasks.
constexpr auto kCallerSpin = std::chrono::microseconds(200);
/// Runs of tasks per thread a job is cut into: enough for uneven tasks to
/// even out, few enough that taking one costs little beside its tasks.
constexpr int64_t kRunsPerThread = 8;

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

} // namespace

template <typename Predicate>
bool ThreadPool::spinUntil(Predicate done, std::chrono::microseconds limit) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (done())
      return true;
    pause();
    // The clock only now and then: it costs more than a check.
    if (i % 256 == 0 && std::chrono::steady_clock::now() - start > limit)
      return done();
  }
}

ThreadPool::ThreadPool(size_t threads) {
  for (size_t i = 1; i < threads; ++i)
    workers.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::runTasks(void (*job)(void *, int64_t), void *jobData, int64_t jobCount) {
  int64_t run = std::max<int64_t>(1, jobCount / (int64_t(threads()) * kRunsPerThread));
  for (int64_t first = next.fetch_add(run); first < jobCount; first = next.fetch_add(run))
    for (int64_t i = first, end = std::min(first + run, jobCount); i < end; ++i)
      job(jobData, i);
}

void ThreadPool::work() {
  uint64_t seen = 0;
  while (true) {
    spinUntil([&] { return stopping.load() || generation.load() != seen; }, kWorkerSpin);
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [&] { return stopping || generation != seen; });
    if (stopping)
      return;
    // The job's fields are read under the lock: a worker that wakes late
    // joins whichever job is current, and is counted in `busy` before the
    // caller can return from it.
    seen = generation;
    ++busy;
    auto job = task;
    void *jobData = data;
    int64_t jobCount = count;
    lock.unlock();
    runTasks(job, jobData, jobCount);
    lock.lock();
    if (--busy == 0)
      finished.notify_all();
  }
}

void ThreadPool::parallelFor(void (*newTask)(void *, int64_t), void *newData, int64_t newCount) {
  if (workers.empty() || newCount <= 1) {
    for (int64_t i = 0; i < newCount; ++i)
      newTask(newData, i);
    return;
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    // A worker that joined the last job after the caller saw it done may
    // still be leaving it, with that job's fields: it must be out before
    // `next` restarts.
    finished.wait(lock, [&] { return busy == 0; });
    task = newTask;
    data = newData;
    count = newCount;
    next.store(0);
    ++generation;
  }
  wake.notify_all();
  runTasks(newTask, newData, newCount);
  // Every task is taken; those a worker took are done when no worker is
  // busy (a worker counts itself busy before it takes any).
  if (spinUntil([&] { return busy.load() == 0; }, kCallerSpin))
    return;
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return busy == 0; });
}

void ThreadPool::parallelForEntry(void *pool, void (*task)(void *, int64_t), void *data,
                                  int64_t count) {
  static_cast<ThreadPool *>(pool)->parallelFor(task, data, count);
}

} // namespace r1rt
