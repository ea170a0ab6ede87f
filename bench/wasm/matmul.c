// wasm.matmul: C = A * B on n x n doubles (n <= 384; wasm_bench uses 300, where the native column walk
// has no cache-set conflicts, unlike 256 or 320); f64 loads, multiplies and adds. The entries
// are small multiples of 1/4, so every sum is exact and native, Node and Phantom agree bit for bit.
#include <stdint.h>

enum { max_n = 384 };
static double a[max_n * max_n], b[max_n * max_n], c[max_n * max_n];

uint32_t run(uint32_t n) {
  if (n > max_n) n = max_n;
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      a[i * n + j] = (double)((i * 7 + j * 3) % 11) / 4.0 - 1.0;
      b[i * n + j] = (double)((i * 5 + j * 13) % 9) / 4.0 - 1.0;
    }
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      double sum = 0;
      for (uint32_t k = 0; k < n; ++k) sum += a[i * n + k] * b[k * n + j];
      c[i * n + j] = sum;
    }
  double total = 0;
  for (uint32_t i = 0; i < n * n; ++i) total += c[i] * (double)(i % 3 + 1);
  return (uint32_t)(int64_t)(total * 16.0);
}
