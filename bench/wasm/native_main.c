// The native side of wasm_bench: calls a kernel's run(n) `reps` times, timed with CLOCK_MONOTONIC, and
// prints "<result> <median ms>". run() is in another translation unit, so no call can be folded away.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint32_t run(uint32_t n);

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N REPS\n", argv[0]);
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[1], 0, 10);
  int reps = atoi(argv[2]);
  double ms[64];
  uint32_t result = 0;
  if (reps < 1 || reps > 64) return 2;
  for (int i = 0; i < reps; ++i) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    result = run(n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  }
  qsort(ms, (size_t)reps, sizeof ms[0], by_value);
  printf("%u %.3f\n", result, ms[reps / 2]);
  return 0;
}
