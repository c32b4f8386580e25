/* Runs a model that r1c_add_model compiled into this application two ways: the
 * linked entry point (small_mlp.h, no runtime involved) and the runtime
 * (libr1rt) on the artifact beside it. Both must give the same softmax rows. */
#include "small_mlp.h"

#include "r1c/runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { kBatch = 4, kFeatures = 32, kClasses = 10 };

static int fail(r1rt_status_t status) {
  fprintf(stderr, "runtime: %s\n", r1rt_status_message(status));
  r1rt_status_release(status);
  return 1;
}

/* Through the runtime: load the artifact, open a session, run with shapes. */
static int run_with_runtime(const float *x, float *probs) {
  r1rt_model_t model = NULL;
  r1rt_session_t session = NULL;
  r1rt_status_t status = r1rt_model_create_from_file(SMALL_MLP_ARTIFACT, &model);
  if (status)
    return fail(status);
  status = r1rt_session_create(model, &session);
  if (!status) {
    r1rt_tensor_t input = {0}, output = {0};
    input.data = (void *)x;
    input.bytes = sizeof(float) * kBatch * kFeatures;
    input.dtype = R1RT_DTYPE_FLOAT;
    input.rank = 2;
    input.dims[0] = kBatch;
    input.dims[1] = kFeatures;
    output.data = probs;
    output.bytes = sizeof(float) * kBatch * kClasses;
    status = r1rt_session_run_tensors(session, &input, 1, &output, 1);
  }
  r1rt_session_release(session);
  r1rt_model_release(model);
  return status ? fail(status) : 0;
}

int main(void) {
  float x[kBatch * kFeatures], linked[kBatch * kClasses], viaRuntime[kBatch * kClasses];
  int i, row, k, status = 0;
  for (i = 0; i < kBatch * kFeatures; ++i)
    x[i] = (float)sin(0.1 * i);
  for (i = 0; i < kBatch * kClasses; ++i)
    linked[i] = viaRuntime[i] = NAN;

  /* Linked code: the arena is the caller's, 64-byte aligned. */
  {
    size_t bytes = ((size_t)small_mlp_arena_size + 63) / 64 * 64 + 64;
    void *arena = aligned_alloc(64, bytes);
    void *inputs[1], *outputs[1];
    inputs[0] = x;
    outputs[0] = linked;
    small_mlp_run(inputs, outputs, arena, NULL, NULL);
    free(arena);
  }
  if (run_with_runtime(x, viaRuntime))
    return 1;

  for (row = 0; row < kBatch; ++row) {
    float sum = 0;
    int best = 0;
    for (k = 0; k < kClasses; ++k) {
      float p = linked[row * kClasses + k];
      sum += p;
      if (p > linked[row * kClasses + best])
        best = k;
      if (!(fabsf(p - viaRuntime[row * kClasses + k]) <= 1e-6f)) {
        fprintf(stderr, "row %d class %d: linked %g, runtime %g\n", row, k, p,
                viaRuntime[row * kClasses + k]);
        status = 1;
      }
    }
    printf("row %d: class %d (p = %.4f), probabilities sum to %.6f\n", row, best,
           linked[row * kClasses + best], sum);
    if (!(fabsf(sum - 1.0f) < 1e-5f))
      status = 1;
  }
  printf("%s: linked code and libr1rt %s\n", r1rt_version_string(), status ? "DISAGREE" : "agree");
  return status;
}
