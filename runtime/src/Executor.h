// What runs a session's entry points: the host code of the artifact, or
// its GPU code on a device. The session picks the entry (shape bucket),
// pads and trims; an executor runs one entry on buffers of exactly the
// entry's dims, all in host memory.
#ifndef R1RT_SRC_EXECUTOR_H
#define R1RT_SRC_EXECUTOR_H

#include "HostPlan.h"
#include "r1c/runtime.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace r1rt {

// A graph input or output as the metadata declares it.
struct TensorInfo {
  std::string name;
  r1rt_dtype_t dtype;
  std::vector<int64_t> dims; // -1 for symbolic
};

class Executor {
public:
  virtual ~Executor() = default;
  // The entry points, one per shape bucket.
  virtual const std::vector<PlanEntry> &entries() const = 0;
  // Runs entry `entry`: inputs and outputs at the entry's dims (outputs
  // with dims computed from data hold room for their most elements, and
  // their dims are written to `outputDims`, rank after rank).
  virtual r1rt_status_t run(size_t entry, const void *const *inputs, void *const *outputs,
                            int64_t *outputDims) = 0;
  // Bytes of scratch memory held now (on the device for a GPU).
  virtual size_t arenaBytes() const = 0;
  // Host threads for kernels; GPU executors accept and ignore it.
  virtual r1rt_status_t setThreads(size_t threads) = 0;
  // Scratch memory the caller owns (r1rt_session_set_arena); NULL: the
  // executor's own again. Host executors only: GPU arenas are device memory.
  virtual r1rt_status_t setArena(void *data, size_t bytes);
  // What runs the code: "host (host-x86-64-v4)", "CUDA device 0: NVIDIA
  // H200 (sm_90, cubin for sm_90)".
  virtual const std::string &description() const = 0;
};

// Every entry takes and makes the dims the metadata declares static
// (r1rt_session_run sizes its buffers by the metadata alone); DATA_LOSS
// naming the first that does not.
r1rt_status_t checkEntriesMatchModel(const std::vector<PlanEntry> &entries,
                                     const std::vector<TensorInfo> &inputs,
                                     const std::vector<TensorInfo> &outputs);

// The host code best suited to this CPU. R1RT_UNAVAILABLE when the
// artifact has none this CPU runs.
r1rt_status_t createHostExecutor(r1rt_model_t model, const std::vector<TensorInfo> &inputs,
                                 const std::vector<TensorInfo> &outputs,
                                 std::unique_ptr<Executor> &executor);

// State that the sessions of one model share, such as the weights on a
// GPU: the first session to ask for `key` makes it with `create`, and it
// lives while any session holds it (the model need not outlive it). Safe
// to call from several threads; makers of one key take turns.
r1rt_status_t modelSharedState(r1rt_model_t model, const std::string &key,
                               const std::function<r1rt_status_t(std::shared_ptr<void> &)> &create,
                               std::shared_ptr<void> &out);

// The artifact's CUDA or HIP code on GPU `ordinal` (`kind` is
// R1RT_DEVICE_CUDA or R1RT_DEVICE_HIP). R1RT_UNAVAILABLE, saying why, when
// the artifact has no such code, the driver or device is missing, or no
// section fits the device.
r1rt_status_t createDeviceExecutor(r1rt_model_t model, r1rt_device_t kind, int ordinal,
                                   bool useGraphs, const std::vector<TensorInfo> &inputs,
                                   const std::vector<TensorInfo> &outputs,
                                   std::unique_ptr<Executor> &executor);

} // namespace r1rt

#endif // R1RT_SRC_EXECUTOR_H
