// seccomp_probe: a static program run inside sandboxes. It calls every syscall that
// cordon's default seccomp profile denies, directly with syscall(2) and harmless
// arguments (invalid fds, NULL pointers, impossible sizes: nothing it calls can change
// the host even when it runs unconfined as root), and prints one line per attempt:
//
//   keyctl EPERM
//   clone3 ENOSYS
//   x32-getpid killed:SYS
//
// "ok" means the call succeeded; "killed:SIG" that the attempt (run in a child of its
// own) died of that signal. Calls that could change the probe itself (new namespaces,
// a personality, another ABI) run in a forked child.
//
//   seccomp_probe            the denied calls
//   seccomp_probe --allowed  calls the default profile allows (threads, fork, sockets...)
//   --check                  also compare with what the default profile gives; exit 1 and
//                            print "MISMATCH" lines on stderr when anything differs
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace {

constexpr long kX32Bit = 0x40000000;
constexpr long kNrMseal = 462;  // Linux 6.10: newer than the profile knows

struct Attempt {
  const char* name;
  const char* expect;  // under the default profile
  long (*call)();
  bool in_child;  // run in a forked child (it may change or kill the probe)
  // What a kernel without the call's entry answers instead, as closed a door (nullptr:
  // none). A kernel built or booted without IA32 emulation faults int 0x80 (SIGSEGV)
  // before any filter sees it.
  const char* expect_without_entry = nullptr;
};

std::string describe(long r, int err) {
  if (r >= 0) return "ok";
  const char* n = strerrorname_np(err);
  return n != nullptr ? n : "errno" + std::to_string(err);
}

// Runs the call in a child; the child reports through its exit status: 0 for success,
// the errno otherwise, or dies of a signal.
std::string in_child(long (*call)()) {
  pid_t pid = fork();
  if (pid < 0) return std::string("fork-failed:") + strerrorname_np(errno);
  if (pid == 0) {
    errno = 0;
    long r = call();
    _exit(r >= 0 ? 0 : (errno > 0 && errno < 255 ? errno : 255));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    const char* s = sigabbrev_np(WTERMSIG(status));
    return std::string("killed:") + (s != nullptr ? s : std::to_string(WTERMSIG(status)));
  }
  int code = WEXITSTATUS(status);
  return code == 0 ? "ok" : describe(-1, code);
}

std::string run(const Attempt& a) {
  if (a.in_child) return in_child(a.call);
  errno = 0;
  long r = a.call();
  return describe(r, errno);
}

// A clone that would create a process: the child leaves at once.
long reap(long r) {
  if (r == 0) _exit(0);
  if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, __WALL);
  return r;
}

long clone3_with(uint64_t flags) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  return reap(syscall(SYS_clone3, &args, sizeof(args)));
}

long int80_getpid() {
  long ret;
  // The i386 entry from 64-bit code: eax = 20 is getpid in the i386 table.
  asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  if (ret < 0) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

long sock(int family, int type, int protocol) {
  long fd = syscall(SYS_socket, family, type, protocol);
  if (fd >= 0) close(static_cast<int>(fd));
  return fd;
}

const char kBadPath[] = "/nonexistent-cordon-probe";

const Attempt kDenied[] = {
    {"keyctl", "EPERM", [] { return syscall(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0); }, false},
    {"add_key", "EPERM", [] { return syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0); },
     false},
    {"request_key", "EPERM", [] { return syscall(SYS_request_key, nullptr, nullptr, nullptr, 0); },
     false},
    {"bpf", "EPERM", [] { return syscall(SYS_bpf, -1, nullptr, 0); }, false},
    {"perf_event_open", "EPERM", [] { return syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); },
     false},
    {"userfaultfd", "EPERM", [] { return syscall(SYS_userfaultfd, ~0); }, false},
    {"io_uring_setup", "EPERM", [] { return syscall(SYS_io_uring_setup, 0, nullptr); }, false},
    {"io_uring_enter", "EPERM", [] { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0); },
     false},
    {"io_uring_register", "EPERM", [] { return syscall(SYS_io_uring_register, -1, 0, nullptr, 0); },
     false},
    {"kexec_load", "EPERM", [] { return syscall(SYS_kexec_load, 0, 0, nullptr, 0xffffffffL); },
     false},
    {"kexec_file_load", "EPERM",
     [] { return syscall(SYS_kexec_file_load, -1, -1, 0, nullptr, ~0UL); }, false},
    {"init_module", "EPERM", [] { return syscall(SYS_init_module, nullptr, 0, nullptr); }, false},
    {"finit_module", "EPERM", [] { return syscall(SYS_finit_module, -1, "", 0); }, false},
    {"delete_module", "EPERM",
     [] { return syscall(SYS_delete_module, "cordon_probe_none", O_NONBLOCK); }, false},
    {"mount", "EPERM", [] { return syscall(SYS_mount, nullptr, nullptr, nullptr, 0, nullptr); },
     false},
    {"umount2", "EPERM", [] { return syscall(SYS_umount2, kBadPath, 0); }, false},
    {"fsopen", "EPERM", [] { return syscall(SYS_fsopen, "cordon-probe-none", 0); }, false},
    {"fsconfig", "EPERM", [] { return syscall(SYS_fsconfig, -1, 0, nullptr, nullptr, 0); }, false},
    {"fsmount", "EPERM", [] { return syscall(SYS_fsmount, -1, 0, 0); }, false},
    {"fspick", "EPERM", [] { return syscall(SYS_fspick, -1, "", 0); }, false},
    {"move_mount", "EPERM", [] { return syscall(SYS_move_mount, -1, "", -1, "", 0); }, false},
    {"open_tree", "EPERM", [] { return syscall(SYS_open_tree, -1, "", 0); }, false},
    {"mount_setattr", "EPERM", [] { return syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0); },
     false},
    {"pivot_root", "EPERM", [] { return syscall(SYS_pivot_root, kBadPath, kBadPath); }, false},
    {"unshare-newuser", "EPERM", [] { return syscall(SYS_unshare, CLONE_NEWUSER); }, true},
    {"unshare-newns", "EPERM", [] { return syscall(SYS_unshare, CLONE_NEWNS); }, true},
    {"setns", "EPERM", [] { return syscall(SYS_setns, -1, 0); }, false},
    {"clone-newuser", "EPERM",
     [] { return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)); }, true},
    {"clone-newnet", "EPERM",
     [] { return reap(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0)); }, true},
    {"clone3-newns", "ENOSYS", [] { return clone3_with(CLONE_NEWNS); }, true},
    {"clone3", "ENOSYS", [] { return clone3_with(0); }, true},
    {"open_by_handle_at", "EPERM", [] { return syscall(SYS_open_by_handle_at, -1, nullptr, 0); },
     false},
    {"swapon", "EPERM", [] { return syscall(SYS_swapon, nullptr, 0); }, false},
    {"swapoff", "EPERM", [] { return syscall(SYS_swapoff, nullptr); }, false},
    // An invalid magic: even a privileged, unfiltered caller gets EINVAL.
    {"reboot", "EPERM", [] { return syscall(SYS_reboot, 0, 0, 0, nullptr); }, false},
    {"settimeofday", "EPERM", [] { return syscall(SYS_settimeofday, nullptr, nullptr); }, false},
    {"clock_settime", "EPERM", [] { return syscall(SYS_clock_settime, CLOCK_REALTIME, nullptr); },
     false},
    {"clock_adjtime", "EPERM", [] { return syscall(SYS_clock_adjtime, CLOCK_REALTIME, nullptr); },
     false},
    {"adjtimex", "EPERM", [] { return syscall(SYS_adjtimex, nullptr); }, false},
    {"acct", "EPERM", [] { return syscall(SYS_acct, reinterpret_cast<char*>(1)); }, false},
    {"quotactl", "EPERM", [] { return syscall(SYS_quotactl, 0, nullptr, 0, nullptr); }, false},
    {"quotactl_fd", "EPERM", [] { return syscall(SYS_quotactl_fd, -1, 0, 0, nullptr); }, false},
    {"syslog", "EPERM", [] { return syscall(SYS_syslog, 10 /* SIZE_BUFFER */, nullptr, 0); },
     false},
    {"iopl", "EPERM", [] { return syscall(SYS_iopl, 4); }, false},
    {"ioperm", "EPERM", [] { return syscall(SYS_ioperm, 0x10000, 1, 1); }, false},
    {"modify_ldt", "EPERM",
     [] {
       static char buf[16];
       return syscall(SYS_modify_ldt, 0, buf, sizeof(buf));
     },
     false},
    {"set_thread_area", "EPERM", [] { return syscall(SYS_set_thread_area, nullptr); }, false},
    {"personality-linux32", "EPERM", [] { return syscall(SYS_personality, PER_LINUX32); }, true},
    {"personality-addr-no-randomize", "EPERM",
     [] { return syscall(SYS_personality, ADDR_NO_RANDOMIZE); }, true},
    // fd -1: allowed, these fail with EBADF and touch no terminal.
    {"ioctl-tiocsti", "EPERM",
     [] {
       static char c = 'x';
       return syscall(SYS_ioctl, -1, TIOCSTI, &c);
     },
     false},
    {"ioctl-tiocsti-high-bits", "EPERM",
     [] {
       static char c = 'x';
       return syscall(SYS_ioctl, -1, (1UL << 32) | TIOCSTI, &c);
     },
     false},
    {"ioctl-tioclinux", "EPERM",
     [] {
       static char c = 0;
       return syscall(SYS_ioctl, -1, TIOCLINUX, &c);
     },
     false},
    {"ioctl-tiocsetd", "EPERM",
     [] {
       static int ldisc = 0;
       return syscall(SYS_ioctl, -1, TIOCSETD, &ldisc);
     },
     false},
    // A zero-size context: refused with EINVAL even where the kernel would take others.
    {"io_setup", "ENOSYS",
     [] {
       static unsigned long ctx = 0;
       return syscall(SYS_io_setup, 0, &ctx);
     },
     false},
    {"io_submit", "ENOSYS", [] { return syscall(SYS_io_submit, 0, 0, nullptr); }, false},
    {"socket-packet", "EPERM", [] { return sock(AF_PACKET, SOCK_RAW, 0); }, false},
    {"socket-vsock", "EPERM", [] { return sock(AF_VSOCK, SOCK_STREAM, 0); }, false},
    {"socket-alg", "EPERM", [] { return sock(AF_ALG, SOCK_SEQPACKET, 0); }, false},
    {"socket-key", "EPERM", [] { return sock(AF_KEY, SOCK_RAW, 2); }, false},
    {"socket-bluetooth", "EPERM", [] { return sock(AF_BLUETOOTH, SOCK_RAW, 0); }, false},
    {"socket-netlink-audit", "EPERM", [] { return sock(AF_NETLINK, SOCK_RAW, 9); }, false},
    {"socket-netlink-generic", "EPERM", [] { return sock(AF_NETLINK, SOCK_RAW, 16); }, false},
    {"socket-netlink-netfilter", "EPERM", [] { return sock(AF_NETLINK, SOCK_RAW, 12); }, false},
    {"socket-unix-high-bits", "EPERM",
     [] {
       long fd = syscall(SYS_socket, (1UL << 32) | AF_UNIX, SOCK_STREAM, 0);
       if (fd >= 0) close(static_cast<int>(fd));
       return fd;
     },
     false},
    {"socketpair-inet", "EPERM",
     [] {
       int sv[2];
       return syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv);
     },
     false},
    {"chroot", "EPERM", [] { return syscall(SYS_chroot, kBadPath); }, false},
    {"sethostname", "EPERM", [] { return syscall(SYS_sethostname, nullptr, 1000000); }, false},
    {"fanotify_init", "EPERM", [] { return syscall(SYS_fanotify_init, ~0U, 0); }, false},
    {"migrate_pages", "EPERM", [] { return syscall(SYS_migrate_pages, -1, 0, nullptr, nullptr); },
     false},
    {"memfd_secret", "ENOSYS", [] { return syscall(SYS_memfd_secret, ~0U); }, false},
    {"lookup_dcookie", "ENOSYS", [] { return syscall(SYS_lookup_dcookie, 0, nullptr, 0); }, false},
    {"mseal-newer", "ENOSYS", [] { return syscall(kNrMseal, 0, 0, ~0UL); }, false},
    {"x32-getpid", "killed:SYS", [] { return syscall(kX32Bit | SYS_getpid); }, true},
    {"int80-getpid", "killed:SYS", int80_getpid, true, "killed:SEGV"},
};

void* thread_main(void*) {
  return nullptr;
}

// Calls the default profile allows; "ok" or, for the fd -1 calls, EBADF.
const Attempt kAllowed[] = {
    {"getpid", "ok", [] { return syscall(SYS_getpid); }, false},
    {"pthread_create", "ok",
     [] {
       pthread_t t;
       int e = pthread_create(&t, nullptr, thread_main, nullptr);
       if (e != 0) {
         errno = e;
         return -1L;
       }
       return static_cast<long>(pthread_join(t, nullptr));
     },
     false},
    {"fork", "ok",
     [] {
       pid_t p = fork();
       if (p == 0) _exit(0);
       return p < 0 ? -1L : static_cast<long>(waitpid(p, nullptr, 0));
     },
     false},
    {"unshare-files", "ok", [] { return syscall(SYS_unshare, CLONE_FILES); }, true},
    {"socket-inet", "ok", [] { return sock(AF_INET, SOCK_STREAM, 0); }, false},
    {"socket-inet6", "ok", [] { return sock(AF_INET6, SOCK_DGRAM, 0); }, false},
    {"socket-unix", "ok", [] { return sock(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }, false},
    {"socket-netlink-route", "ok", [] { return sock(AF_NETLINK, SOCK_RAW, 0); }, false},
    {"socketpair-unix", "ok",
     [] {
       int sv[2];
       long r = syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
       if (r == 0) {
         close(sv[0]);
         close(sv[1]);
       }
       return r;
     },
     false},
    {"personality-query", "ok", [] { return syscall(SYS_personality, 0xffffffffUL); }, false},
    {"personality-linux", "ok", [] { return syscall(SYS_personality, PER_LINUX); }, true},
    {"ioctl-tcgets", "EBADF",
     [] {
       struct termios t;
       return syscall(SYS_ioctl, -1, TCGETS, &t);
     },
     false},
    {"mmap", "ok",
     [] {
       void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
       if (p == MAP_FAILED) return -1L;
       return static_cast<long>(munmap(p, 4096));
     },
     false},
    {"memfd_create", "ok",
     [] {
       long fd = syscall(SYS_memfd_create, "probe", 0);
       if (fd >= 0) close(static_cast<int>(fd));
       return fd;
     },
     false},
    {"ptrace-traceme", "ok",
     [] {
       pid_t p = fork();
       if (p == 0) _exit(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? 0 : 1);
       int status = 0;
       if (p < 0 || waitpid(p, &status, 0) < 0) return -1L;
       if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
         errno = EPERM;
         return -1L;
       }
       return 0L;
     },
     false},
    {"prctl-get-name", "ok",
     [] {
       static char name[32];
       return syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
     },
     false},
};

}  // namespace

int main(int argc, char** argv) {
  bool allowed = false, check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--allowed") {
      allowed = true;
    } else if (a == "--check") {
      check = true;
    } else {
      fprintf(stderr, "usage: seccomp_probe [--allowed] [--check]\n");
      return 2;
    }
  }
  // Line by line even into a pipe, so that a killed attempt loses nothing.
  setvbuf(stdout, nullptr, _IOLBF, 0);
  int mismatches = 0;
  auto go = [&](const Attempt* list, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      std::string got = run(list[i]);
      printf("%s %s\n", list[i].name, got.c_str());
      bool closed_by_kernel =
          list[i].expect_without_entry != nullptr && got == list[i].expect_without_entry;
      if (check && got != list[i].expect && !closed_by_kernel) {
        fprintf(stderr, "MISMATCH %s: got %s, expected %s\n", list[i].name, got.c_str(),
                list[i].expect);
        ++mismatches;
      }
    }
  };
  if (allowed) {
    go(kAllowed, sizeof(kAllowed) / sizeof(kAllowed[0]));
  } else {
    go(kDenied, sizeof(kDenied) / sizeof(kDenied[0]));
  }
  return mismatches == 0 ? 0 : 1;
}
