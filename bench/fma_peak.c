/* Single-core float32 FMA peak probe: GFLOP/s per vector ISA the CPU has (AVX-512, AVX2).

   bench/host_vs_onnxruntime.py builds it with `gcc -O2 -march=native` at bench time and
   reports GEMM throughput as a share of what one core can do at best. Usage: fma_peak [CPU]
   (pins to CPU, default the first one this process may run on). Prints one line per ISA:

     avx512f zmm: 16 chains, 123.45 GFLOP/s on cpu 0

   An FMA has a latency of 4-6 cycles and 2 issue ports on current x86 cores, so a loop of
   dependent FMAs runs at a fraction of peak; the probe keeps latency x throughput (8-12)
   independent accumulator chains in flight, each a register, so that only issue limits it.
   AVX-512 has 32 vector registers: 16 chains plus the two operands fit. AVX2 has 16: 12
   chains plus the operands fit without spilling, still above 8-12. */
#define _GNU_SOURCE
#include <immintrin.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Written through so the compiler keeps the loops: their result is otherwise unused. */
static volatile float sink;
/* Read through so the operands are not constants the compiler could fold with. */
static volatile float mul_in = 0.999999f, add_in = 1e-7f;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The chains are separate named variables, not an array with an inner loop: -O2 does not
   unroll a 16-trip loop completely, and an array indexed in a loop may live in memory. */
#define CHAINS12(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
#define CHAINS16(F) CHAINS12(F) F(12) F(13) F(14) F(15)

/* acc = acc * b + c converges to c / (1 - b), about 0.1: no overflow, no denormals, whose
   slow path would measure microcode instead of the FMA units. */
__attribute__((target("avx512f"))) static void fma_avx512(long iterations) {
  __m512 b = _mm512_set1_ps(mul_in), c = _mm512_set1_ps(add_in);
#define DECL(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP(i) acc##i = _mm512_fmadd_ps(acc##i, b, c);
#define SUM(i) sum = _mm512_add_ps(sum, acc##i);
  CHAINS16(DECL)
  for (long n = 0; n < iterations; ++n) {
    CHAINS16(STEP)
  }
  __m512 sum = _mm512_setzero_ps();
  CHAINS16(SUM)
  sink = _mm512_reduce_add_ps(sum);
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx2,fma"))) static void fma_avx2(long iterations) {
  __m256 b = _mm256_set1_ps(mul_in), c = _mm256_set1_ps(add_in);
#define DECL(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define STEP(i) acc##i = _mm256_fmadd_ps(acc##i, b, c);
#define SUM(i) sum = _mm256_add_ps(sum, acc##i);
  CHAINS12(DECL)
  for (long n = 0; n < iterations; ++n) {
    CHAINS12(STEP)
  }
  __m256 sum = _mm256_setzero_ps();
  CHAINS12(SUM)
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  sink = lanes[0] + lanes[7];
#undef DECL
#undef STEP
#undef SUM
}

/* Best GFLOP/s over several trials: on a shared machine other work only ever slows a
   trial down, so the fastest one is closest to what the core can do. */
static double measure(void (*kernel)(long), int chains, int lanes) {
  /* Grow the trial until it takes 50 ms; this also warms the core up to its vector
     clock, which some CPUs lower for wide FMAs only after they start. */
  long iterations = 1 << 16;
  for (;;) {
    double start = now_s();
    kernel(iterations);
    if (now_s() - start >= 0.05)
      break;
    iterations *= 2;
  }
  double best = 0;
  for (int trial = 0; trial < 7; ++trial) {
    double start = now_s();
    kernel(iterations);
    double seconds = now_s() - start;
    /* Two flops (multiply and add) per lane per FMA. */
    double gflops = 2.0 * chains * lanes * (double)iterations / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  return best;
}

int main(int argc, char **argv) {
  /* One core: the figure is per-core peak, and a migration mid-trial would time two. */
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    perror("fma_peak: sched_getaffinity");
    return 1;
  }
  int cpu = -1;
  if (argc > 1) {
    cpu = atoi(argv[1]);
  } else {
    for (int i = 0; i < CPU_SETSIZE && cpu < 0; ++i)
      if (CPU_ISSET(i, &allowed))
        cpu = i;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (cpu < 0 || sched_setaffinity(0, sizeof one, &one) != 0) {
    fprintf(stderr, "fma_peak: cannot pin to cpu %d\n", cpu);
    return 1;
  }
  __builtin_cpu_init();
  int any = 0;
  if (__builtin_cpu_supports("avx512f")) {
    printf("avx512f zmm: 16 chains, %.2f GFLOP/s on cpu %d\n", measure(fma_avx512, 16, 16), cpu);
    any = 1;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    printf("avx2 ymm: 12 chains, %.2f GFLOP/s on cpu %d\n", measure(fma_avx2, 12, 8), cpu);
    any = 1;
  }
  if (!any) {
    fprintf(stderr, "fma_peak: this CPU has neither AVX-512F nor AVX2 with FMA\n");
    return 1;
  }
  return 0;
}
