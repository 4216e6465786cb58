/* Workloads for bench/inside_overhead.py: the cost of running *inside* a sandbox (seccomp
 * filter, namespaces, the writable layer) rather than of starting one. Each mode times its
 * own loop with CLOCK_MONOTONIC, so process and sandbox start are not in the figure, and
 * prints one line of JSON on stdout. Built static (gcc -O2 -static) so that it runs the
 * same inside any sandbox, whatever the image holds.
 *
 *   inside_load syscalls N         N raw getppid() calls, then N 64-byte reads of /dev/zero
 *   inside_load forkexec N PATH    N times fork + execve(PATH) + waitpid
 *   inside_load files N DIR        in DIR: create+write 4 KiB N files, stat them, unlink them
 *
 * Every call's result is checked; on failure the program says what failed on stderr and
 * exits 1 (2 on a usage error). bench/syscall_loop.c does the same for one syscall at a
 * time; it stays for bench/syscall_overhead.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE 64
#define FILE_SIZE 4096

extern char** environ;

static const char* prog = "inside_load";

static void usage(FILE* out) {
  fprintf(out,
          "usage: %s syscalls N\n"
          "       %s forkexec N PATH\n"
          "       %s files N DIR\n"
          "\n"
          "syscalls  N raw getppid() calls (syscall(SYS_getppid): no libc cache), then N\n"
          "          64-byte reads of /dev/zero; ns per call of each\n"
          "forkexec  N times fork, execve(PATH) with no arguments, waitpid; PATH must exit 0;\n"
          "          us per iteration\n"
          "files     in DIR (which must exist): N times open(O_CREAT|O_EXCL), write 4 KiB,\n"
          "          close; then stat each; then unlink each; us per file for each phase,\n"
          "          and DIR's filesystem type\n"
          "\n"
          "Prints one line of JSON on stdout. Exit status: 0 ok, 1 a call failed (the\n"
          "message is on stderr), 2 usage error.\n",
          prog, prog, prog);
}

static void die(const char* what) {
  fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
  exit(1);
}

static double now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long parse_count(const char* s) {
  char* end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 100000000L) {
    fprintf(stderr, "%s: N must be an integer from 1 to 100000000, not '%s'\n", prog, s);
    exit(2);
  }
  return n;
}

static int mode_syscalls(long n) {
  char buf[READ_SIZE];
  int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open /dev/zero");

  double t0 = now_ns();
  for (long i = 0; i < n; ++i)
    if (syscall(SYS_getppid) < 0) die("getppid"); /* glibc's getppid is not cached, but be sure */
  double t1 = now_ns();
  for (long i = 0; i < n; ++i) {
    ssize_t got = read(fd, buf, sizeof(buf));
    if (got != (ssize_t)sizeof(buf)) {
      if (got >= 0) errno = EIO;
      die("read /dev/zero");
    }
  }
  double t2 = now_ns();
  if (close(fd) != 0) die("close /dev/zero");

  printf("{\"mode\":\"syscalls\",\"n\":%ld,\"getppid_ns\":%.2f,\"read_ns\":%.2f}\n", n,
         (t1 - t0) / n, (t2 - t1) / n);
  return 0;
}

static int mode_forkexec(long n, const char* path) {
  char* const child_argv[] = {(char*)path, NULL};
  if (access(path, X_OK) != 0) die(path); /* a clear message before the loop */

  double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      execve(path, child_argv, environ);
      /* Only async-signal-safe calls here: say why in one write, then go. */
      const char msg[] = "inside_load: execve failed in the child\n";
      ssize_t ignored = write(2, msg, sizeof(msg) - 1);
      (void)ignored;
      _exit(127);
    }
    int status;
    pid_t got;
    do got = waitpid(pid, &status, 0);
    while (got < 0 && errno == EINTR);
    if (got != pid) die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (WIFSIGNALED(status))
        fprintf(stderr, "%s: %s killed by signal %d\n", prog, path, WTERMSIG(status));
      else
        fprintf(stderr, "%s: %s exited %d\n", prog, path, WEXITSTATUS(status));
      return 1;
    }
  }
  double t1 = now_ns();

  printf("{\"mode\":\"forkexec\",\"n\":%ld,\"path\":\"", n);
  for (const char* p = path; *p; ++p) /* JSON string: escape what must be */
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if ((unsigned char)*p < 0x20) printf("\\u%04x", (unsigned char)*p);
    else putchar(*p);
  printf("\",\"iter_us\":%.2f}\n", (t1 - t0) / n / 1e3);
  return 0;
}

/* Filesystem magic numbers (linux/magic.h) of the filesystems a writable layer is on. */
static const char* fs_name(long type) {
  switch ((unsigned long)type) {
    case 0x01021994UL: return "tmpfs";
    case 0xEF53UL: return "ext4";
    case 0x794c7630UL: return "overlay";
    case 0x58465342UL: return "xfs";
    case 0x9123683EUL: return "btrfs";
    case 0x2fc12fc1UL: return "zfs";
    case 0x65735546UL: return "fuse";
    case 0x6969UL: return "nfs";
    case 0x01021997UL: return "9p";
    case 0x858458f6UL: return "ramfs";
    default: return NULL;
  }
}

static char* names; /* n paths of name_len bytes each, built before the clock starts */
static size_t name_len;
#define NAME(i) (names + (size_t)(i) * name_len)
static long created; /* files created so far, removed by cleanup() on the way out */

static void cleanup(void) {
  for (long i = 0; i < created; ++i) unlink(NAME(i));
}

static int mode_files(long n, const char* dir) {
  struct stat st;
  if (stat(dir, &st) != 0) die(dir);
  if (!S_ISDIR(st.st_mode)) {
    fprintf(stderr, "%s: %s is not a directory\n", prog, dir);
    return 1;
  }
  struct statfs sfs;
  if (statfs(dir, &sfs) != 0) die("statfs");
  char fs[32];
  const char* known = fs_name(sfs.f_type);
  if (known) snprintf(fs, sizeof(fs), "%s", known);
  else snprintf(fs, sizeof(fs), "0x%lx", (unsigned long)sfs.f_type);

  name_len = strlen(dir) + 48; /* "/il." + two longs + NUL */
  names = calloc(n, name_len);
  if (!names) die("calloc");
  long pid = (long)getpid();
  for (long i = 0; i < n; ++i) snprintf(NAME(i), name_len, "%s/il.%ld.%ld", dir, pid, i);
  atexit(cleanup); /* a failed run leaves no files behind */
  static char data[FILE_SIZE];
  memset(data, 'x', sizeof(data));

  double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    int fd = open(NAME(i), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) die(NAME(i));
    created = i + 1;
    ssize_t put = write(fd, data, sizeof(data));
    if (put != (ssize_t)sizeof(data)) {
      if (put >= 0) errno = ENOSPC;
      die("write");
    }
    if (close(fd) != 0) die("close");
  }
  double t1 = now_ns();
  for (long i = 0; i < n; ++i) {
    if (stat(NAME(i), &st) != 0) die(NAME(i));
    if (st.st_size != FILE_SIZE) {
      fprintf(stderr, "%s: %s has %lld bytes, not %d\n", prog, NAME(i),
              (long long)st.st_size, FILE_SIZE);
      return 1;
    }
  }
  double t2 = now_ns();
  for (long i = 0; i < n; ++i)
    if (unlink(NAME(i)) != 0) die(NAME(i));
  double t3 = now_ns();
  created = 0;

  printf("{\"mode\":\"files\",\"n\":%ld,\"fs\":\"%s\",\"create_us\":%.3f,\"stat_us\":%.3f,"
         "\"unlink_us\":%.3f}\n",
         n, fs, (t1 - t0) / n / 1e3, (t2 - t1) / n / 1e3, (t3 - t2) / n / 1e3);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  const char* mode = argc >= 2 ? argv[1] : "";
  int ret;
  if (strcmp(mode, "syscalls") == 0 && argc == 3) {
    ret = mode_syscalls(parse_count(argv[2]));
  } else if (strcmp(mode, "forkexec") == 0 && argc == 4) {
    ret = mode_forkexec(parse_count(argv[2]), argv[3]);
  } else if (strcmp(mode, "files") == 0 && argc == 4) {
    ret = mode_files(parse_count(argv[2]), argv[3]);
  } else {
    usage(stderr);
    return 2;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) die("stdout");
  return ret;
}
