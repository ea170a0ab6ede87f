// WASI end-to-end: arguments, environment, stdout and stderr, the exit code (proc_exit).
// Run with arguments "one" "two words" and GREETING=hello; exits with 7.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char* greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  printf("MISSING=%s\n", getenv("MISSING") ? "set" : "(unset)");
  fflush(stdout);  // stdout is fully buffered on a pipe (node), line-buffered on the console: same order
  fprintf(stderr, "to stderr\n");
  fflush(stderr);
  printf("exiting with 7\n");
  return 7;
}
