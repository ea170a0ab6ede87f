// WASI end-to-end: stdin. Reads lines until the end of input and prints each in upper case.
#include <ctype.h>
#include <stdio.h>

int main(void) {
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, stdin)) {
    for (char* p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
    printf("%d: %s", ++n, line);
  }
  printf("%d lines\n", n);
  return 0;
}
