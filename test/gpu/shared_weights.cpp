//===- shared_weights.cpp - Sessions of one model on one GPU, at once -----===//
//
// Runs SESSIONS sessions of an artifact on DEVICE (cuda or hip), each on
// its own thread and all at once, on the same inputs (a fixed pattern per
// element type), and checks that every session's outputs equal the first's
// byte for byte. run_on_fake_gpu.py runs it on the fake driver and counts
// the weight uploads in its event log: the sessions share one.
//
// Usage: r1c-shared-weights ARTIFACT cuda|hip SESSIONS
//===----------------------------------------------------------------------===//
#include "r1c/runtime.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

bool check(r1rt_status_t status, const char *what) {
  if (!status)
    return true;
  std::fprintf(stderr, "error: %s: %s\n", what, r1rt_status_message(status));
  r1rt_status_release(status);
  return false;
}

/// A tensor's bytes; symbolic dims take size 1.
std::vector<unsigned char> buffer(const r1rt_tensor_info_t &info) {
  size_t count = 1;
  for (int32_t d = 0; d < info.rank; ++d)
    count *= info.dims[d] < 0 ? 1 : size_t(info.dims[d]);
  return std::vector<unsigned char>(count * r1rt_dtype_size(info.dtype));
}

/// Values in [-1, 1] for f32; small integers' bytes otherwise (f16 and bf16
/// read them as small finite numbers).
void fill(std::vector<unsigned char> &bytes, r1rt_dtype_t dtype) {
  if (dtype == R1RT_DTYPE_FLOAT) {
    for (size_t i = 0; i < bytes.size() / 4; ++i) {
      float value = std::sin(0.37f * float(i));
      std::memcpy(&bytes[4 * i], &value, 4);
    }
    return;
  }
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = (i % 2) ? 0x30 : static_cast<unsigned char>(i * 7);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ARTIFACT cuda|hip SESSIONS\n", argv[0]);
    return 2;
  }
  r1rt_session_options_t options;
  r1rt_session_options_init(&options);
  options.device = std::string(argv[2]) == "hip" ? R1RT_DEVICE_HIP : R1RT_DEVICE_CUDA;
  int sessions = std::atoi(argv[3]);
  r1rt_model_t model = nullptr;
  if (sessions < 1 || !check(r1rt_model_create_from_file(argv[1], &model), "loading the model"))
    return 1;

  size_t inputCount = 0, outputCount = 0;
  check(r1rt_model_input_count(model, &inputCount), "input count");
  check(r1rt_model_output_count(model, &outputCount), "output count");
  std::vector<std::vector<unsigned char>> inputs(inputCount);
  std::vector<const void *> inputPointers;
  for (size_t i = 0; i < inputCount; ++i) {
    r1rt_tensor_info_t info;
    check(r1rt_model_input_info(model, i, &info), "input info");
    inputs[i] = buffer(info);
    fill(inputs[i], info.dtype);
    inputPointers.push_back(inputs[i].data());
  }
  // outputs[s][k]: session s's output k.
  std::vector<std::vector<std::vector<unsigned char>>> outputs(sessions);
  std::vector<r1rt_session_t> handles(sessions, nullptr);
  bool ok = true;
  for (int s = 0; s < sessions && ok; ++s) {
    ok = check(r1rt_session_create_with_options(model, &options, &handles[s]), "a session");
    for (size_t k = 0; k < outputCount && ok; ++k) {
      r1rt_tensor_info_t info;
      check(r1rt_model_output_info(model, k, &info), "output info");
      outputs[s].push_back(buffer(info));
    }
  }
  std::vector<int> results(sessions, 0);
  if (ok) {
    std::vector<std::thread> threads;
    for (int s = 0; s < sessions; ++s)
      threads.emplace_back([&, s] {
        std::vector<void *> pointers;
        for (std::vector<unsigned char> &output : outputs[s])
          pointers.push_back(output.data());
        results[s] = check(r1rt_session_run(handles[s], inputPointers.data(), inputCount,
                                            pointers.data(), outputCount),
                           "a run");
      });
    for (std::thread &thread : threads)
      thread.join();
  }
  for (int s = 0; s < sessions && ok; ++s) {
    ok = results[s] != 0;
    if (ok && outputs[s] != outputs[0]) {
      std::fprintf(stderr, "error: session %d's outputs differ from session 0's\n", s);
      ok = false;
    }
  }
  for (r1rt_session_t session : handles)
    r1rt_session_release(session);
  r1rt_model_release(model);
  if (ok)
    std::printf("%d sessions agree\n", sessions);
  return ok ? 0 : 1;
}
