// wasm.sieve: n rounds of the sieve of Eratosthenes below 2^20; byte loads and stores in tight loops.
#include <stdint.h>

enum { limit = 1 << 20 };
static uint8_t composite[limit];

uint32_t run(uint32_t n) {
  uint32_t total = 0;
  for (uint32_t round = 0; round < n; ++round) {
    for (uint32_t i = 0; i < limit; ++i) composite[i] = 0;
    uint32_t primes = 0;
    for (uint32_t i = 2; i < limit; ++i) {
      if (composite[i]) continue;
      ++primes;
      for (uint32_t j = i * 2; j < limit; j += i) composite[j] = 1;
    }
    total += primes;
  }
  return total;
}
