// Workers sleep on a condition variable between jobs and take task indices
// from one atomic counter, so uneven tasks balance themselves.
#include "ThreadPool.h"

namespace r1rt {

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
  for (int64_t i = next.fetch_add(1); i < jobCount; i = next.fetch_add(1))
    job(jobData, i);
}

void ThreadPool::work() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
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
    std::lock_guard<std::mutex> lock(mutex);
    task = newTask;
    data = newData;
    count = newCount;
    next.store(0);
    ++generation;
  }
  wake.notify_all();
  runTasks(newTask, newData, newCount);
  // Every worker that joined this job must leave it before the next one
  // reuses the fields.
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return busy == 0; });
}

void ThreadPool::parallelForEntry(void *pool, void (*task)(void *, int64_t), void *data,
                                  int64_t count) {
  static_cast<ThreadPool *>(pool)->parallelFor(task, data, count);
}

} // namespace r1rt
