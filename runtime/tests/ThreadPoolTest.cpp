// Unit tests of the host thread pool: every task of a job runs exactly
// once, whatever the thread count and however the job's tasks are cut
// into runs.
#include "ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> runs;
  explicit Counts(int64_t count) : runs(count) {}
  static void task(void *data, int64_t index) {
    static_cast<Counts *>(data)->runs[index].fetch_add(1);
  }
};

TEST(ThreadPool, RunsEveryTaskOnce) {
  for (size_t threads : {1, 2, 3, 8})
    for (int64_t count : {0, 1, 2, 7, 16, 17, 960, 1001}) {
      r1rt::ThreadPool pool(threads);
      // Jobs back to back, as a model's phases run.
      for (int job = 0; job < 3; ++job) {
        Counts counts(count);
        pool.parallelFor(Counts::task, &counts, count);
        for (int64_t i = 0; i < count; ++i)
          ASSERT_EQ(counts.runs[i].load(), 1)
              << "task " << i << " of " << count << " on " << threads << " threads, job " << job;
      }
    }
}

} // namespace
