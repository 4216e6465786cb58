#!/bin/sh
# Raw system calls outside src/sys/ (docs/architecture.md, "Raw syscalls live in sys/"):
# every `::name(` whose name is a Linux syscall or a libc function that is one thin
# syscall (opendir, realpath, posix_spawn, isatty, ...), and every `syscall(`.
# src/audit/battery/ is left out by design: the probe battery makes raw calls to test the
# sandbox's boundary. Run from the repository's root.
#   tools/raw_syscalls.sh            one line per call (file:line:match)
#   tools/raw_syscalls.sh | wc -l    the count
#   tools/raw_syscalls.sh --check    fails on any call outside sys/, but those of base/
#                                    (below sys/, by design: UniqueFd's close, the
#                                    logger's write)
# ("Class<T>::send(" is a member call, not a syscall: a '>' before "::" is no match.)
names='_exit|accept4?|access|bind|capset|chdir|chmod|chown|clock_gettime|clock_nanosleep|clone3?|close|closedir|connect|dup[23]?|epoll_[a-z_]+|eventfd|execve?|execvpe?|faccessat2?|fchdir|fchmod|fchown|fcntl|flock|fork|fstat|fstatat|fsync|ftruncate|getcwd|getegid|geteuid|getgid|getpid|getppid|getrandom|getrlimit|getsockname|getsockopt|getuid|inotify_[a-z_]+|ioctl|isatty|kill|listen|lseek|lstat|memfd_create|mkdir|mkdirat|mkdtemp|mkfifo|mknod|mmap|mount|mprotect|munmap|nanosleep|open|openat2?|opendir|pidfd_[a-z_]+|pipe2?|pivot_root|poll|ppoll|posix_spawnp?|prctl|pread|pthread_sigmask|pwrite|raise|read|readdir|readlink|readlinkat|realpath|recv|recvfrom|recvmsg|rename|renameat2?|rmdir|sched_[a-z_]+|seccomp|select|send|sendmsg|sendto|setgroups|sethostname|setns|setpgid|setres[ug]id|setrlimit|setsid|setsockopt|shutdown|sigaction|signal|signalfd|sigprocmask|sigsuspend|sigtimedwait|sleep|socket|socketpair|stat|statfs|statx|symlink|symlinkat|syscall|tcgetattr|tcsetattr|truncate|umask|umount2?|uname|unlink|unlinkat|unshare|usleep|vfork|wait|wait4|waitid|waitpid|write|writev'

calls() {
  grep -rnoE --include='*.cc' --include='*.h' "(^|[^A-Za-z0-9_>])(::($names)|syscall)\(" src |
    grep -vE '^src/(sys|audit/battery)/'
}

if [ "$1" = "--check" ]; then
  found=$(calls | grep -vE "^src/base/")
  [ -z "$found" ] && exit 0
  echo "$found"
  echo "raw syscalls outside src/sys/: call a sys/ wrapper (docs/architecture.md)"
  exit 1
fi
calls
