// WASI end-to-end: names that try to leave the preopened directory "/" never do: ".." above it is
// "/" itself, as on POSIX (so "../x" is "/x", which does not exist), and an absolute name handed to
// path_open itself is refused (ERRNO_NOTCAPABLE).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  int fd = open("../../../../etc/passwd", O_RDONLY);
  printf("../../../../etc/passwd: %s\n", fd >= 0 ? "opened" : strerror(errno));
  __wasi_fd_t out;
  __wasi_errno_t e = __wasi_path_open(3, 0, "../x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out);
  printf("raw ../x: %s\n", e != 0 ? "refused" : "opened");
  e = __wasi_path_open(3, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out);
  printf("raw /etc/passwd: %s\n", e != 0 ? "refused" : "opened");
  return 0;
}
