// A fixed set of worker threads that run the tasks of one parallel_for at a
// time, with the calling thread taking part.
#ifndef R1RT_SRC_THREADPOOL_H
#define R1RT_SRC_THREADPOOL_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace r1rt {

class ThreadPool {
public:
  // `threads` counts the caller: 1 starts no worker.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  size_t threads() const { return workers.size() + 1; }

  // Runs task(data, i) for i in [0, count) and returns when all are done.
  // Not reentrant: one parallel_for at a time (a session runs one request
  // at a time).
  void parallelFor(void (*task)(void *, int64_t), void *data, int64_t count);

  // The signature generated code calls through r1c_host_context_t.
  static void parallelForEntry(void *pool, void (*task)(void *, int64_t), void *data,
                               int64_t count);

private:
  void work();
  void runTasks(void (*job)(void *, int64_t), void *jobData, int64_t jobCount);
  // Spins until `done()` or a while has passed; returns `done()`.
  template <typename Predicate>
  static bool spinUntil(Predicate done, std::chrono::microseconds limit);

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, finished;
  // The current job; `generation` tells workers a new one started. Written
  // under `mutex`; the atomics are also read without it, while spinning.
  void (*task)(void *, int64_t) = nullptr;
  void *data = nullptr;
  int64_t count = 0;
  std::atomic<int64_t> next{0};
  std::atomic<uint64_t> generation{0};
  std::atomic<size_t> busy{0};
  std::atomic<bool> stopping{false};
};

} // namespace r1rt

#endif // R1RT_SRC_THREADPOOL_H
