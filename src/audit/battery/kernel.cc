// kernel: the syscalls the default seccomp profile denies (docs/seccomp.md). Each is
// called with arguments that are harmless even for an unconfined root: invalid
// operations, NULL pointers, paths that do not exist, impossible flags, chosen wherever
// the kernel checks them after its permission check. stopped: EPERM or ENOSYS, the
// filter's answers (and the kernel's for a caller without the capability); escaped: the
// call succeeded or failed later, inside the syscall's own code, which the filter is
// there to keep out of reach. Calls that could change the battery itself (namespaces,
// personality, another ABI) run in a child; the x32 and int 0x80 entries must kill it
// with SIGSYS.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "battery.h"

namespace audit {
namespace {

constexpr long kX32Bit = 0x40000000;
const char kNoSuchPath[] = "/nonexistent-cordon-audit";

Outcome judge(long r, int err) {
  if (r >= 0) return escaped("succeeded (" + std::to_string(r) + ")");
  if (err == EPERM || err == ENOSYS) return stopped(err_name(err));
  return escaped(err_name(err) + ": reached the syscall's code");
}

Outcome call(long (*fn)()) {
  errno = 0;
  long r = fn();
  return judge(r, errno);
}

// In a child; a signal is a stop when it is SIGSYS (the filter's kill).
Outcome call_in_child(long (*fn)()) {
  return in_child(
      [fn] {
        errno = 0;
        long r = fn();
        return judge(r, errno);
      },
      [](int st) {
        if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
          return stopped("killed:SYS (the filter)");
        return stopped("child " + death_text(st) + ": the call did not complete");
      });
}

// A clone that creates a process: the new child leaves at once.
long reap(long r) {
  if (r == 0) _exit(0);
  if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, __WALL);
  return r;
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

#define DIRECT(id, what, expr)                                                            \
  {                                                                                       \
    id, what, [](const Context&) { return call([] { return static_cast<long>(expr); }); } \
  }
#define CHILD(id, what, expr)                                                                      \
  {                                                                                                \
    id, what, [](const Context&) { return call_in_child([] { return static_cast<long>(expr); }); } \
  }

}  // namespace

const Category& kernel_category() {
  static const Category c = {
      "kernel",
      false,
      {
          DIRECT("keyctl", "keyctl with an invalid operation",
                 syscall(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0)),
          DIRECT("add_key", "add_key with NULL strings",
                 syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0)),
          DIRECT("request_key", "request_key with NULL strings",
                 syscall(SYS_request_key, nullptr, nullptr, nullptr, 0)),
          DIRECT("bpf", "bpf with an invalid command", syscall(SYS_bpf, -1, nullptr, 0)),
          DIRECT("perf_event_open", "perf_event_open with a NULL attr",
                 syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0)),
          DIRECT("userfaultfd", "userfaultfd with invalid flags", syscall(SYS_userfaultfd, ~0)),
          DIRECT("io_uring_setup", "io_uring_setup with 0 entries and NULL params",
                 syscall(SYS_io_uring_setup, 0, nullptr)),
          // Invalid flags and too many segments: never loads or unloads an image.
          DIRECT("kexec_load", "kexec_load with invalid flags",
                 syscall(SYS_kexec_load, 0, 0xffff, nullptr, 0xffff0000UL)),
          DIRECT("init_module", "init_module of an empty image",
                 syscall(SYS_init_module, nullptr, 0, "")),
          DIRECT("mount", "mount on a path that does not exist",
                 syscall(SYS_mount, "none", kNoSuchPath, "tmpfs", 0, nullptr)),
          DIRECT("umount2", "umount2 of a path that does not exist",
                 syscall(SYS_umount2, kNoSuchPath, 0)),
          DIRECT("fsopen", "fsopen with invalid flags", syscall(SYS_fsopen, "tmpfs", ~0U)),
          DIRECT("open_tree", "open_tree of an empty path", syscall(SYS_open_tree, -1, "", 0)),
          DIRECT("move_mount", "move_mount of empty paths",
                 syscall(SYS_move_mount, -1, "", -1, "", 0)),
          DIRECT("setns", "setns of an invalid fd", syscall(SYS_setns, -1, 0)),
          CHILD("unshare-newns", "unshare(CLONE_NEWNS)", syscall(SYS_unshare, CLONE_NEWNS)),
          CHILD("unshare-newnet", "unshare(CLONE_NEWNET)", syscall(SYS_unshare, CLONE_NEWNET)),
          CHILD("clone-newuser", "clone(CLONE_NEWUSER)",
                reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0))),
          DIRECT("swapon", "swapon of a path that does not exist",
                 syscall(SYS_swapon, kNoSuchPath, 0)),
          // Invalid magic: checked right after CAP_SYS_BOOT, so even root gets EINVAL.
          DIRECT("reboot", "reboot with an invalid magic", syscall(SYS_reboot, 0, 0, 0, nullptr)),
          // NULL time and zone: root gets 0 and the clock is unchanged.
          DIRECT("settimeofday", "settimeofday(NULL, NULL)",
                 syscall(SYS_settimeofday, nullptr, nullptr)),
          // An invalid name pointer: never switches accounting off.
          DIRECT("acct", "acct with an invalid pointer",
                 syscall(SYS_acct, reinterpret_cast<char*>(1))),
          DIRECT("quotactl", "quotactl with no device",
                 syscall(SYS_quotactl, 0, nullptr, 0, nullptr)),
          DIRECT("syslog", "syslog(SYSLOG_ACTION_SIZE_BUFFER)",
                 syscall(SYS_syslog, 10, nullptr, 0)),
          // Level 1 is not 3: even when granted it opens no port.
          CHILD("iopl", "iopl(1)", syscall(SYS_iopl, 1)),
          CHILD("ioperm", "ioperm of port 0xffff (no I/O is done)",
                syscall(SYS_ioperm, 0xffff, 1, 1)),
          DIRECT("modify_ldt", "modify_ldt read", ([] {
                   static char buf[16];
                   return syscall(SYS_modify_ldt, 0, buf, sizeof(buf));
                 }())),
          CHILD("personality-linux32", "personality(PER_LINUX32)",
                syscall(SYS_personality, PER_LINUX32)),
          CHILD("x32-getpid", "getpid through the x32 ABI (nr | 0x40000000)",
                syscall(kX32Bit | SYS_getpid)),
          CHILD("int80-getpid", "getpid through int 0x80 (the i386 entry)", int80_getpid()),
      },
  };
  return c;
}

}  // namespace audit
