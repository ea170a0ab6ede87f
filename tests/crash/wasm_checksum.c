/* A long computation for the WebAssembly kill test (tests/crash/wasm_kill_test.cc), built twice from
 * this one source: to wasm32-wasi (run by Phantom, killed again and again) and natively (the expected
 * output). It mixes a pseudo-random stream into a 256 KiB table and an FNV-1a checksum over it, and
 * prints one line per step, so the test can see progress and compare every line.
 * Usage: wasm_checksum STEPS [ROUNDS]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t table[1 << 16];

int main(int argc, char** argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 100;
  int rounds = argc > 2 ? atoi(argv[2]) : 4;
  uint64_t checksum = 1469598103934665603ull;
  uint32_t x = 12345;
  for (int step = 1; step <= steps; ++step) {
    for (int round = 0; round < rounds; ++round) {
      for (uint32_t i = 0; i < (1u << 16); ++i) {
        x = x * 1103515245u + 12345u;
        table[(i * 40503u) & 0xffffu] ^= x >> 7;
        checksum = (checksum ^ table[i]) * 1099511628211ull;
      }
    }
    printf("step %d of %d: %016llx\n", step, steps, (unsigned long long)checksum);
    fflush(stdout);
  }
  printf("result %016llx\n", (unsigned long long)checksum);
  return 0;
}
