/* A syscall-heavy loop for bench/syscall_overhead.py: N calls of one syscall, timed inside
 * the program (so process start is not in the figure), printed as nanoseconds per call.
 * Static, so that it runs the same inside any sandbox. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: syscall_loop getpid|read-zero N\n");
    return 2;
  }
  long n = atol(argv[2]);
  char buf[64];
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) return 1;
  double t0 = now_ns();
  if (strcmp(argv[1], "getpid") == 0) {
    for (long i = 0; i < n; ++i) syscall(SYS_getpid); /* not glibc's cached getpid */
  } else if (strcmp(argv[1], "read-zero") == 0) {
    for (long i = 0; i < n; ++i)
      if (read(fd, buf, sizeof(buf)) != sizeof(buf)) return 1;
  } else {
    return 2;
  }
  printf("%.1f\n", (now_ns() - t0) / n);
  return 0;
}
