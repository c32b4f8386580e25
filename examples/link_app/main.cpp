// Links a model compiled with `r1c --target=host -o small_mlp` into an
// application: include the generated header, allocate the arena once, call
// the entry point. This is the whole integration; no runtime library needed.
//
//   r1c small_mlp.onnx --target=host -o small_mlp
//   c++ -I. main.cpp small_mlp.o -o app && ./app
#include "small_mlp.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main() {
  // The model: x f32[4,32] -> probs f32[4,10] (see small_mlp.h).
  std::vector<float> x(4 * 32), probs(4 * 10, NAN);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(0.1f * float(i));

  void *arena = std::aligned_alloc(64, (small_mlp_arena_size + 63) / 64 * 64 + 64);
  void *inputs[] = {x.data()};
  void *outputs[] = {probs.data()};
  small_mlp_run(inputs, outputs, arena, /*output_dims=*/nullptr, /*context=*/nullptr);
  std::free(arena);

  // Each row is a softmax: positive and summing to 1.
  int status = 0;
  for (int row = 0; row < 4; ++row) {
    float sum = 0;
    int best = 0;
    for (int k = 0; k < 10; ++k) {
      sum += probs[row * 10 + k];
      if (probs[row * 10 + k] > probs[row * 10 + best])
        best = k;
    }
    std::printf("row %d: class %d (p = %.4f), probabilities sum to %.6f\n", row, best,
                probs[row * 10 + best], sum);
    if (!(std::fabs(sum - 1.0f) < 1e-5f))
      status = 1;
  }
  return status;
}
