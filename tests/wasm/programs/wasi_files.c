// WASI end-to-end: files in the preopened directory "/" (the world's sandbox): create, write, append,
// seek, read, stat, list, rename, delete, directories, and names that try to leave it.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s: %s\n", what, strerror(errno));
    exit(1);
  }
}

static int by_name(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void list(const char* path) {
  DIR* d = opendir(path);
  check(d != NULL, "opendir");
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], by_name);
  printf("%s:", path);
  for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");
}

int main(void) {
  check(mkdir("work", 0755) == 0, "mkdir work");
  FILE* f = fopen("work/a.txt", "w");
  check(f != NULL, "fopen w");
  fprintf(f, "first line\n");
  fclose(f);
  f = fopen("/work/a.txt", "a");  // absolute names reach the same directory
  check(f != NULL, "fopen a");
  fprintf(f, "second line\n");
  fclose(f);

  int fd = open("work/a.txt", O_RDWR);
  check(fd >= 0, "open");
  struct stat st;
  check(fstat(fd, &st) == 0, "fstat");
  printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  check(lseek(fd, 6, SEEK_SET) == 6, "lseek");
  char buf[64] = {0};
  ssize_t n = read(fd, buf, 4);
  printf("read %zd: %s\n", n, buf);
  check(lseek(fd, 0, SEEK_CUR) == 10, "tell");
  check(pwrite(fd, "FIRST", 5, 0) == 5, "pwrite");
  check(lseek(fd, -5, SEEK_END) == (off_t)st.st_size - 5, "lseek end");
  close(fd);

  f = fopen("work/a.txt", "r");
  check(f != NULL, "fopen r");
  while (fgets(buf, sizeof buf, f)) printf("line: %s", buf);
  fclose(f);

  check(mkdir("work/sub", 0755) == 0, "mkdir sub");
  f = fopen("work/sub/b.txt", "w");
  check(f != NULL, "fopen b");
  fputs("bee", f);
  fclose(f);
  list("work");
  list("/work/sub");
  check(stat("work/sub", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");

  check(rename("work/sub/b.txt", "work/c.txt") == 0, "rename");
  list("work");
  printf("stat missing: %s\n", stat("work/sub/b.txt", &st) == 0 ? "exists" : strerror(errno));
  printf("rmdir non-empty work: %s\n", rmdir("work") == 0 ? "removed" : strerror(errno));
  check(rmdir("work/sub") == 0, "rmdir sub");
  check(unlink("work/c.txt") == 0, "unlink");
  printf("unlink again: %s\n", unlink("work/c.txt") == 0 ? "removed" : strerror(errno));
  printf("open missing: %s\n", open("nope.txt", O_RDONLY) >= 0 ? "opened" : strerror(errno));
  printf("excl existing: %s\n", open("work/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0 ? "opened" : strerror(errno));
  list("work");
  list("/");
  return 0;
}
