// WASI end-to-end: clocks, a sleep (poll_oneoff), randomness. Prints only what is the same on every
// run: whether each check held.
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  long long wall = ns(CLOCK_REALTIME);
  printf("realtime after 2020: %s\n", wall > 1577836800LL * 1000000000LL ? "yes" : "no");
  long long a = ns(CLOCK_MONOTONIC);
  struct timespec d = {0, 30 * 1000 * 1000};
  nanosleep(&d, NULL);
  long long b = ns(CLOCK_MONOTONIC);
  printf("slept at least 30 ms: %s\n", b - a >= 30000000LL ? "yes" : "no");
  printf("slept less than 5 s: %s\n", b - a < 5000000000LL ? "yes" : "no");
  usleep(1000);
  printf("monotonic never back: %s\n", ns(CLOCK_MONOTONIC) >= b ? "yes" : "no");
  unsigned char r1[32], r2[32], zero[32] = {0};
  getentropy(r1, sizeof r1);
  getentropy(r2, sizeof r2);
  printf("random: %s\n", memcmp(r1, r2, 32) && memcmp(r1, zero, 32) ? "two different draws" : "BROKEN");
  return 0;
}
