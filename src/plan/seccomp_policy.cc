#include "plan/seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

#include "base/defer.h"
#include "base/unique_fd.h"
#include "sys/fd.h"
#include "sys/fs.h"

// The policies name x86_64's syscalls and the filters admit x86_64 alone.
#ifndef __x86_64__
#error "cordon's seccomp policies are written for x86_64"
#endif

namespace cordon::plan {
namespace {

using spec::SeccompAction;
using spec::SeccompActionKind;
using spec::SeccompArg;
using spec::SeccompCmpOp;

constexpr SeccompAction kAllow{SeccompActionKind::kAllow, 0};
constexpr SeccompAction kEperm{SeccompActionKind::kErrno, EPERM};
constexpr SeccompAction kEnosys{SeccompActionKind::kErrno, ENOSYS};

// The namespace flags of clone(2) and unshare(2). CLONE_NEWTIME (0x80) shares its bit
// with clone's exit signal, where no valid signal sets it; refusing it there is harmless.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | 0x80;
constexpr uint64_t kLow32 = 0xffffffffu;

SeccompArg eq(uint32_t index, uint64_t value) {
  return {index, value, 0, SeccompCmpOp::kEq};
}
SeccompArg masked(uint32_t index, uint64_t mask, uint64_t value) {
  return {index, mask, value, SeccompCmpOp::kMaskedEq};
}

// (mask, value) pairs over the low 32 bits whose union is every value but `excluded`:
// the leaves missing from the binary trie of `excluded`. A BPF rule cannot say "not
// this and not that" on one argument, and an ioctl command or a personality is an
// unsigned int to the kernel, which drops the high half of the register: comparing the
// low 32 bits only is what makes TIOCSTI|(1<<32) no way around the rule (the flatpak
// bypass of CVE-2019-10063).
void complement(int bit, uint32_t prefix, const std::vector<uint32_t>& set,
                std::vector<std::pair<uint32_t, uint32_t>>* out) {
  if (bit < 0) return;
  uint32_t mask = static_cast<uint32_t>(kLow32 << bit);
  for (uint32_t b : {0u, 1u}) {
    std::vector<uint32_t> child;
    for (uint32_t v : set) {
      if (((v >> bit) & 1u) == b) child.push_back(v);
    }
    uint32_t p = prefix | (b << bit);
    if (child.empty()) {
      out->emplace_back(mask, p);
    } else {
      complement(bit - 1, p, child, out);
    }
  }
}

void allow_unless_low32_in(SeccompPolicy* p, const char* name, uint32_t index,
                           std::vector<uint32_t> excluded) {
  std::vector<std::pair<uint32_t, uint32_t>> parts;
  complement(31, 0, excluded, &parts);
  for (auto [mask, value] : parts)
    p->rules.push_back({name, kAllow, {masked(index, mask, value)}, {}});
}

// Names separated by spaces: the lists read as the tables in docs/seccomp.md.
std::vector<std::string> split(std::string_view names) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < names.size()) {
    size_t end = names.find(' ', pos);
    if (end == std::string_view::npos) end = names.size();
    if (end > pos) out.emplace_back(names.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void allow(SeccompPolicy* p, std::string_view names) {
  for (auto& n : split(names)) p->rules.push_back({std::move(n), kAllow, {}, {}});
}

void deny(SeccompPolicy* p, SeccompAction action, std::string_view names, const char* reason) {
  for (auto& n : split(names)) p->rules.push_back({std::move(n), action, {}, reason});
}

// clone and unshare without a namespace flag; with one, the default (EPERM).
void allow_without_namespaces(SeccompPolicy* p, const char* name) {
  p->rules.push_back({name, kAllow, {masked(0, kNamespaceFlags, 0)}, {}});
}

}  // namespace

SeccompPolicy default_policy() {
  SeccompPolicy p;
  p.name = "default";
  p.default_action = kEperm;
  // Files, directories, extended attributes, inotify.
  allow(&p,
        "read write open close stat fstat lstat lseek pread64 pwrite64 readv writev preadv "
        "pwritev preadv2 pwritev2 access faccessat faccessat2 dup dup2 dup3 fcntl flock fsync "
        "fdatasync sync syncfs sync_file_range truncate ftruncate fallocate getdents "
        "getdents64 getcwd chdir fchdir rename renameat renameat2 mkdir mkdirat rmdir creat "
        "link linkat unlink unlinkat symlink symlinkat readlink readlinkat chmod fchmod "
        "fchmodat fchmodat2 chown fchown lchown fchownat umask openat openat2 newfstatat "
        "statx statfs fstatfs utime utimes futimesat utimensat mknod mknodat sendfile splice "
        "tee vmsplice copy_file_range readahead fadvise64 close_range name_to_handle_at "
        "setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr "
        "flistxattr removexattr lremovexattr fremovexattr inotify_init inotify_init1 "
        "inotify_add_watch inotify_rm_watch cachestat");
  // Waiting, events, pipes.
  allow(&p,
        "poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait "
        "epoll_pwait epoll_pwait2 eventfd eventfd2 pipe pipe2 signalfd signalfd4 "
        "timerfd_create timerfd_settime timerfd_gettime");
  // Memory.
  allow(&p,
        "mmap mprotect munmap brk mremap msync mincore madvise mlock mlock2 munlock mlockall "
        "munlockall remap_file_pages membarrier memfd_create pkey_mprotect pkey_alloc "
        "pkey_free mbind set_mempolicy get_mempolicy set_mempolicy_home_node map_shadow_stack");
  // Processes, threads, scheduling, tracing of the sandbox's own processes (the PID
  // namespace and the ptrace access checks bound whom), self-restriction.
  allow(&p,
        "fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill getpid "
        "getppid gettid getpgid setpgid getpgrp getsid setsid set_tid_address set_robust_list "
        "get_robust_list futex futex_waitv futex_wake futex_wait futex_requeue rseq "
        "arch_prctl prctl sched_yield sched_getaffinity sched_setaffinity sched_getparam "
        "sched_setparam sched_getscheduler sched_setscheduler sched_get_priority_max "
        "sched_get_priority_min sched_rr_get_interval sched_getattr sched_setattr getpriority "
        "setpriority ioprio_get ioprio_set getrlimit setrlimit prlimit64 getrusage times "
        "ptrace process_vm_readv process_vm_writev kcmp pidfd_open pidfd_send_signal "
        "pidfd_getfd process_madvise process_mrelease seccomp landlock_create_ruleset "
        "landlock_add_rule landlock_restrict_self");
  allow_without_namespaces(&p, "clone");
  allow_without_namespaces(&p, "unshare");
  // Identity: without capabilities these only move among the IDs a process already has.
  allow(&p,
        "getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid "
        "setregid setresuid setresgid setgroups setfsuid setfsgid capget capset");
  // Signals and time.
  allow(&p,
        "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait "
        "rt_sigqueueinfo rt_tgsigqueueinfo rt_sigsuspend sigaltstack pause alarm getitimer "
        "setitimer restart_syscall nanosleep clock_nanosleep clock_gettime clock_getres "
        "gettimeofday time timer_create timer_settime timer_gettime timer_getoverrun "
        "timer_delete");
  // Sockets: unix, inet, inet6, and netlink for NETLINK_ROUTE only (interfaces and
  // addresses, as getaddrinfo and `ip` read them).
  allow(&p,
        "connect accept accept4 bind listen sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg "
        "shutdown getsockname getpeername setsockopt getsockopt");
  for (uint64_t family : {AF_UNIX, AF_INET, AF_INET6}) {
    p.rules.push_back({"socket", kAllow, {eq(0, family)}, {}});
  }
  p.rules.push_back({"socket", kAllow, {eq(0, AF_NETLINK), eq(2, 0 /* NETLINK_ROUTE */)}, {}});
  p.rules.push_back({"socketpair", kAllow, {eq(0, AF_UNIX)}, {}});
  // System V IPC and POSIX message queues: the IPC namespace is the sandbox's own.
  allow(&p,
        "shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv msgctl "
        "mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr");
  allow(&p, "uname sysinfo getrandom getcpu");
  // Every ioctl but the two that push input into a terminal, and the one that changes a
  // terminal's line discipline (which loads the discipline's module on demand where
  // dev.tty.ldisc_autoload is 1: rarely used kernel code, a known source of exploits).
  allow_unless_low32_in(&p, "ioctl", 1, {TIOCSTI, TIOCLINUX, TIOCSETD});
  // personality: PER_LINUX (0) and the query 0xffffffff only.
  p.rules.push_back({"personality", kAllow, {masked(0, kLow32, 0)}, {}});
  p.rules.push_back({"personality", kAllow, {masked(0, kLow32, 0xffffffff)}, {}});

  // Denied. The reasons are repeated in docs/seccomp.md.
  deny(&p, kEperm, "keyctl add_key request_key",
       "the kernel keyrings are not namespaced: keys would be shared with the host and other "
       "sandboxes");
  deny(&p, kEperm, "bpf", "loads programs into the kernel: a large attack surface");
  deny(&p, kEperm, "perf_event_open",
       "performance counters observe the host and other tenants, and are a frequent source of "
       "kernel bugs");
  deny(&p, kEperm, "userfaultfd",
       "lets a process stall the kernel at a chosen page fault, a building block of kernel "
       "exploits");
  deny(&p, kEperm, "io_uring_setup io_uring_enter io_uring_register",
       "a second system call interface that seccomp cannot see into, and a frequent source of "
       "privilege escalations");
  deny(&p, kEperm, "kexec_load kexec_file_load", "loads a new kernel");
  deny(&p, kEperm, "init_module finit_module delete_module", "loads or unloads kernel modules");
  deny(&p, kEperm,
       "mount umount2 fsopen fsconfig fsmount fspick move_mount open_tree mount_setattr pivot_root",
       "cordon builds the sandbox's mount tree and fixes it; mounting in a user namespace "
       "reaches filesystem code that is rarely hardened");
  deny(&p, kEperm, "setns",
       "joining or making namespaces: a new user namespace grants capabilities over new "
       "objects, the usual first step of an escape (clone and unshare without namespace flags "
       "stay allowed)");
  deny(&p, kEperm, "open_by_handle_at",
       "opens a file by handle, past the mount tree (the 'shocker' container escape)");
  deny(&p, kEperm, "swapon swapoff", "the host's swap");
  deny(&p, kEperm, "reboot", "reboots the host, or ends the PID namespace");
  deny(&p, kEperm, "settimeofday clock_settime clock_adjtime adjtimex", "the clock is the host's");
  deny(&p, kEperm, "acct", "host-wide process accounting");
  deny(&p, kEperm, "quotactl quotactl_fd", "disk quotas are the host's");
  deny(&p, kEperm, "syslog",
       "the kernel log shows the host's addresses and other tenants' activity");
  deny(&p, kEperm, "iopl ioperm", "direct access to I/O ports");
  deny(&p, kEperm, "modify_ldt set_thread_area get_thread_area",
       "16-bit and 32-bit segments: a 64-bit program does not need them, and they were a "
       "source of kernel bugs");
  deny(&p, kEperm, "chroot",
       "needs CAP_SYS_CHROOT, which is not among the capabilities the sandbox gets");
  deny(&p, kEperm, "sethostname setdomainname",
       "cordon sets the hostname; the sandbox holds no capability to change it");
  deny(&p, kEperm, "vhangup", "hangs up the terminal; needs CAP_SYS_TTY_CONFIG");
  deny(&p, kEperm, "fanotify_init fanotify_mark",
       "filesystem-wide event monitoring, meant for privileged scanners");
  deny(&p, kEperm, "migrate_pages move_pages",
       "moves other processes' memory between NUMA nodes: a host placement decision");
  deny(&p, kEperm, "ustat sysfs", "obsolete; ustat reports on host filesystems by device number");
  // ENOSYS where libc must fall back, or where the kernel itself has nothing.
  deny(&p, kEnosys, "clone3",
       "its flags sit in memory, where a filter cannot check them for namespace flags; ENOSYS "
       "makes glibc fall back to clone, whose flags are checked");
  deny(&p, kEnosys, "io_setup io_destroy io_getevents io_submit io_cancel io_pgetevents",
       "native AIO contexts come from one host-wide pool (fs.aio-max-nr) with no share per "
       "user or namespace: one sandbox could take them all; ENOSYS, as on kernels built "
       "without AIO, makes libaio users fall back to threads");
  deny(&p, kEnosys, "memfd_secret",
       "secret memory, taken out of the kernel's direct map: rarely used; ENOSYS as on "
       "kernels without it");
  deny(&p, kEnosys,
       "_sysctl uselib nfsservctl create_module get_kernel_syms query_module lookup_dcookie "
       "afs_syscall tuxcall security vserver putpmsg getpmsg epoll_ctl_old epoll_wait_old",
       "removed from or never implemented by current kernels: ENOSYS, as the kernel answers");
  return p;
}

SeccompPolicy strict_policy() {
  SeccompPolicy p;
  p.name = "strict";
  p.default_action = kEperm;
  // I/O on inherited fds and on files opened read-only; metadata of files.
  allow(&p,
        "read write readv writev pread64 pwrite64 preadv pwritev lseek close fstat stat lstat "
        "newfstatat statx fcntl dup dup2 dup3 getdents64 getcwd readlink readlinkat access "
        "faccessat faccessat2 fadvise64 poll ppoll select pselect6 sendmsg recvmsg");
  // O_TMPFILE needs O_WRONLY or O_RDWR; its O_DIRECTORY bit must stay free for opendir.
  constexpr uint64_t kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  p.rules.push_back({"open", kAllow, {masked(1, kWriteFlags, 0)}, {}});
  p.rules.push_back({"openat", kAllow, {masked(2, kWriteFlags, 0)}, {}});
  // Memory, threads (clone with CLONE_THREAD and no namespace flag), signals, time.
  allow(&p,
        "mmap munmap mprotect mremap madvise brk futex set_robust_list set_tid_address rseq "
        "arch_prctl prlimit64 getrlimit membarrier exit exit_group execve gettid getpid "
        "getppid getpgrp tgkill sched_yield sched_getaffinity rt_sigaction rt_sigprocmask "
        "rt_sigreturn sigaltstack clock_gettime clock_getres clock_nanosleep nanosleep "
        "gettimeofday time getuid geteuid getgid getegid getrandom uname sysinfo");
  p.rules.push_back(
      {"clone", kAllow, {masked(0, CLONE_THREAD | kNamespaceFlags, CLONE_THREAD)}, {}});
  // isatty() and the terminal's size.
  for (uint32_t cmd : {TCGETS, TIOCGWINSZ, FIONREAD}) {
    p.rules.push_back({"ioctl", kAllow, {masked(1, kLow32, cmd)}, {}});
  }
  deny(&p, kEnosys, "clone3", "glibc falls back to clone, whose flags are checked");
  return p;
}

namespace {

// The calls that give a file its mode, and where their flags and mode are.
struct ModeCall {
  const char* name;
  int flags_index;  // -1: the call always creates or changes a mode
  uint32_t mode_index;
};
constexpr ModeCall kModeCalls[] = {
    {"chmod", -1, 1},     {"fchmod", -1, 1}, {"fchmodat", -1, 2},
    {"fchmodat2", -1, 2}, {"mknod", -1, 1},  {"mknodat", -1, 2},
    {"creat", -1, 1},     {"open", 1, 2},    {"openat", 2, 3},
};
constexpr uint64_t kSetIdBits = 06000;                  // S_ISUID | S_ISGID
constexpr uint64_t kTmpfileBit = 020000000;             // __O_TMPFILE (O_TMPFILE less O_DIRECTORY)
constexpr uint64_t kModeFlags = O_CREAT | kTmpfileBit;  // the flags that make open use its mode
constexpr const char* kSetIdReason =
    "an owner-mapped writable bind: a set-user-ID or set-group-ID file made there would be "
    "the owner's on the host";

bool denies(const SeccompAction& a) {
  return a.kind != SeccompActionKind::kAllow && a.kind != SeccompActionKind::kLog;
}

// Narrows an allowing rule to calls whose argument index has none of mask's bits: a new
// condition, or (libseccomp takes one comparison per argument) the rule's own condition
// on that argument merged with it. False: no call the rule admits is left, or the merge
// cannot be expressed (the rule is then dropped, which is stricter).
bool add_clear_bits(SeccompPolicyRule* r, uint32_t index, uint64_t mask) {
  auto it = std::find_if(r->args.begin(), r->args.end(),
                         [&](const SeccompArg& a) { return a.index == index; });
  if (it == r->args.end()) {
    r->args.push_back(masked(index, mask, 0));
    return true;
  }
  const uint64_t lowest = mask & (~mask + 1);  // below it, no value has a bit of mask
  switch (it->op) {
    case SeccompCmpOp::kMaskedEq:  // (arg & value) == value_two
      if ((it->value_two & it->value & mask) != 0 || (it->value_two & ~it->value) != 0)
        return false;
      it->value |= mask;
      it->value_two &= ~mask;
      return true;
    case SeccompCmpOp::kEq:
      return (it->value & mask) == 0;
    case SeccompCmpOp::kLt:
      return it->value <= lowest;
    case SeccompCmpOp::kLe:
      return it->value < lowest;
    default:
      return false;
  }
}

}  // namespace

SeccompPolicy refuse_set_id_files(SeccompPolicy p) {
  std::vector<SeccompPolicyRule> out;
  for (auto& r : p.rules) {
    if (r.name == "openat2") continue;  // replaced below
    const ModeCall* m = nullptr;
    for (const auto& c : kModeCalls) m = r.name == c.name ? &c : m;
    if (m == nullptr || denies(r.action)) {
      out.push_back(std::move(r));
      continue;
    }
    // Allowed only where no set-ID bit is asked, or (open, openat) where nothing is
    // created: two rules, either one admits. A condition the profile already puts on the
    // same argument is kept, merged with the new one.
    SeccompPolicyRule c = r;
    if (add_clear_bits(&c, m->mode_index, kSetIdBits)) out.push_back(std::move(c));
    if (m->flags_index >= 0) {
      SeccompPolicyRule f = r;
      if (add_clear_bits(&f, static_cast<uint32_t>(m->flags_index), kModeFlags))
        out.push_back(std::move(f));
    }
  }
  // Under a default that admits, the refusals are rules of their own.
  if (!denies(p.default_action)) {
    for (const auto& m : kModeCalls) {
      for (uint64_t bit : {uint64_t{S_ISUID}, uint64_t{S_ISGID}}) {
        if (m.flags_index < 0) {
          out.push_back({m.name, kEperm, {masked(m.mode_index, bit, bit)}, kSetIdReason});
          continue;
        }
        for (uint64_t flag : {uint64_t{O_CREAT}, kTmpfileBit})
          out.push_back({m.name,
                         kEperm,
                         {masked(static_cast<uint32_t>(m.flags_index), flag, flag),
                          masked(m.mode_index, bit, bit)},
                         kSetIdReason});
      }
    }
  }
  out.push_back({"openat2",
                 kEnosys,
                 {},
                 "its mode sits in memory, where the set-ID rule cannot read it; ENOSYS makes "
                 "libc use openat"});
  p.rules = std::move(out);
  return p;
}

Result<ProfileContext> profile_context_for_kernel(std::string_view release) {
  ProfileContext ctx;
  auto number = [&](size_t* pos, uint32_t* out) {
    size_t start = *pos;
    uint64_t v = 0;
    while (*pos < release.size() && release[*pos] >= '0' && release[*pos] <= '9' &&
           *pos - start < 6) {
      v = v * 10 + static_cast<uint64_t>(release[*pos] - '0');
      ++*pos;
    }
    *out = static_cast<uint32_t>(v);
    return *pos > start;
  };
  size_t pos = 0;
  if (!number(&pos, &ctx.kernel_major) || pos >= release.size() || release[pos] != '.' ||
      (++pos, !number(&pos, &ctx.kernel_minor)))
    return logic_error("seccomp profile", "kernel release",
                       "cannot read a version from '" + std::string(release) + "'");
  return ctx;
}

namespace {

// Docker's rule filters, resolved for cordon: architecture amd64, the sandbox's caps,
// the running kernel.
bool is_our_arch(const std::string& a) {
  return a == "amd64" || a == "x86_64";
}

bool has_cap(const ProfileContext& ctx, const std::string& cap) {
  return std::find(ctx.caps.begin(), ctx.caps.end(), cap) != ctx.caps.end();
}

bool kernel_at_least(const ProfileContext& ctx, std::pair<uint32_t, uint32_t> v) {
  return std::pair(ctx.kernel_major, ctx.kernel_minor) >= v;
}

bool rule_applies(const spec::SeccompRule& r, const ProfileContext& ctx) {
  const auto& in = r.includes;
  for (const auto& c : in.caps) {
    if (!has_cap(ctx, c)) return false;
  }
  if (!in.arches.empty() && std::none_of(in.arches.begin(), in.arches.end(), is_our_arch))
    return false;
  if (in.min_kernel && !kernel_at_least(ctx, *in.min_kernel)) return false;
  const auto& ex = r.excludes;
  for (const auto& c : ex.caps) {
    if (has_cap(ctx, c)) return false;
  }
  if (std::any_of(ex.arches.begin(), ex.arches.end(), is_our_arch)) return false;
  if (ex.min_kernel && kernel_at_least(ctx, *ex.min_kernel)) return false;
  return true;
}

}  // namespace

Result<SeccompPolicy> policy_from_profile(const spec::SeccompProfile& profile,
                                          const ProfileContext& ctx) {
  SeccompPolicy p;
  p.name = "file";
  p.default_action = profile.default_action;
  p.log_flag = profile.log_flag;
  for (const auto& r : profile.syscalls) {
    if (!rule_applies(r, ctx)) continue;
    bool repeated = false;
    for (size_t i = 0; i < r.args.size(); ++i) {
      for (size_t j = i + 1; j < r.args.size(); ++j) repeated |= r.args[i].index == r.args[j].index;
    }
    for (const auto& name : r.names) {
      if (!repeated) {
        p.rules.push_back({name, r.action, r.args, {}});
        continue;
      }
      for (const auto& a : r.args) p.rules.push_back({name, r.action, {a}, {}});
    }
  }
  return p;
}

namespace {

Error compile_error(std::string object, std::string detail) {
  return logic_error("seccomp compile", std::move(object), std::move(detail));
}

uint32_t to_scmp(const SeccompAction& a) {
  switch (a.kind) {
    case SeccompActionKind::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompActionKind::kErrno:
      return SCMP_ACT_ERRNO(a.errno_ret);
    case SeccompActionKind::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompActionKind::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompActionKind::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompActionKind::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_scmp(SeccompCmpOp op) {
  switch (op) {
    case SeccompCmpOp::kNe:
      return SCMP_CMP_NE;
    case SeccompCmpOp::kLt:
      return SCMP_CMP_LT;
    case SeccompCmpOp::kLe:
      return SCMP_CMP_LE;
    case SeccompCmpOp::kEq:
      return SCMP_CMP_EQ;
    case SeccompCmpOp::kGe:
      return SCMP_CMP_GE;
    case SeccompCmpOp::kGt:
      return SCMP_CMP_GT;
    case SeccompCmpOp::kMaskedEq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

bool is_denial(const SeccompAction& a) {
  return a.kind != SeccompActionKind::kAllow && a.kind != SeccompActionKind::kLog;
}

// The child sends the listener over the sync socket after loading the filter. If that
// sendmsg were notified, it would wait for a supervisor that has no listener yet.
Status check_report_handoff(const SeccompPolicy& policy) {
  bool unconditional_allow = !is_denial(policy.default_action);
  for (const auto& r : policy.rules) {
    if (r.name != "sendmsg") continue;
    if (is_denial(r.action))
      return compile_error("--seccomp-report",
                           "the profile denies sendmsg, which hands the "
                           "notification listener to the supervisor");
    if (r.args.empty()) unconditional_allow = true;
  }
  if (!unconditional_allow)
    return compile_error("--seccomp-report",
                         "the profile must allow sendmsg without conditions "
                         "(it hands the notification listener to the "
                         "supervisor)");
  return {};
}

// A few instructions before libseccomp's program: a syscall numbered above every
// syscall the policy names fails with ENOSYS (runc does the same), so that libc falls
// back to an older call instead of failing on EPERM. Other architectures and x32
// numbers go straight to libseccomp's program, which kills them.
std::vector<sock_filter> newer_syscalls_prefix(uint32_t max_nr) {
  constexpr uint32_t kData = offsetof(seccomp_data, nr);
  constexpr uint32_t kArch = offsetof(seccomp_data, arch);
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kData),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max_nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
}

// libseccomp 2.5 exports a program only to an fd (2.6 adds seccomp_export_bpf_mem): an
// anonymous memory file, read back at once. Nothing outside this process is touched.
Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  auto fd = sys::memory_file("cordon-seccomp");
  if (!fd.ok()) return errno_error(fd.error().err, "memfd_create", "seccomp program");
  int rc = seccomp_export_bpf(ctx, fd->get());
  if (rc < 0) return errno_error(-rc, "seccomp_export_bpf");
  auto st = sys::stat_fd(fd->get());
  if (!st.ok()) return errno_error(st.error().err, "fstat", "seccomp program");
  uint64_t size = st->size;
  if (size == 0 || size % sizeof(sock_filter) != 0 || size > 2 * BPF_MAXINSNS * sizeof(sock_filter))
    return compile_error("program", "libseccomp exported " + std::to_string(size) + " bytes");
  std::vector<sock_filter> prog(size / sizeof(sock_filter));
  auto got = sys::read_at(fd->get(), reinterpret_cast<char*>(prog.data()), size, 0);
  if (!got.ok()) return errno_error(got.error().err, "pread", "seccomp program");
  if (*got != size) return errno_error(EIO, "pread", "seccomp program");
  return prog;
}

}  // namespace

Result<SeccompProgram> compile(const SeccompPolicy& policy, const CompileOptions& options) {
  if (options.report) TRY(check_report_handoff(policy));
  const uint32_t def = to_scmp(policy.default_action);
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) return compile_error(policy.name, "seccomp_init failed");
  Defer release([ctx] { seccomp_release(ctx); });
  // x32 and i386 calls: kill the process. A 64-bit program never makes them by accident,
  // and a 32-bit one dies at its first call with SIGSYS instead of running on with every
  // call failing.
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // A binary tree over the syscall numbers: about log2(350) jumps to find a rule.
  if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc != 0) return errno_error(-rc, "seccomp_attr_set", policy.name);

  SeccompProgram out;
  out.policy = policy.name;
  out.log = policy.log_flag;
  int max_nr = -1;
  for (const auto& r : policy.rules) {
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR && is_denial(r.action) && !is_denial(policy.default_action))
      return compile_error(r.name, "unknown to libseccomp " + std::to_string(SCMP_VER_MAJOR) + "." +
                                       std::to_string(SCMP_VER_MINOR) +
                                       ": the rule that denies it cannot be enforced");
    // Dropping an allow (or a denial under a denying default) only makes the filter
    // stricter. A negative number other than the error is libseccomp's pseudo-syscall:
    // a name of another architecture.
    if (nr < 0) {
      if (std::find(out.skipped.begin(), out.skipped.end(), r.name) == out.skipped.end())
        out.skipped.push_back(r.name);
      continue;
    }
    max_nr = std::max(max_nr, nr);
    const uint32_t act = to_scmp(r.action);
    if (act == def) continue;  // libseccomp refuses a rule that repeats the default
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& a : r.args) {
      scmp_arg_cmp c{};
      c.arg = a.index;
      c.op = to_scmp(a.op);
      c.datum_a = a.value;
      c.datum_b = a.op == SeccompCmpOp::kMaskedEq ? a.value_two : 0;
      cmps.push_back(c);
    }
    rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc != 0) return errno_error(-rc, "seccomp_rule_add", r.name);
  }

  ASSIGN_OR_RETURN(std::vector<sock_filter> body, export_program(ctx));
  std::vector<sock_filter> plain;
  bool enosys_default = def == SCMP_ACT_ERRNO(ENOSYS);
  if (is_denial(policy.default_action) && !enosys_default && max_nr >= 0)
    plain = newer_syscalls_prefix(static_cast<uint32_t>(max_nr));
  plain.insert(plain.end(), body.begin(), body.end());
  if (plain.size() > BPF_MAXINSNS)
    return compile_error(policy.name, std::to_string(plain.size()) +
                                          " instructions, above the kernel's limit of " +
                                          std::to_string(BPF_MAXINSNS));
  out.filter = plain;
  if (options.report) {
    out.report = true;
    // The same decisions, with every errno turned into a notification. Only returns of
    // a constant exist in libseccomp's output; anything else means we misread it.
    for (auto& insn : out.filter) {
      if (BPF_CLASS(insn.code) != BPF_RET) continue;
      if (BPF_RVAL(insn.code) != BPF_K)
        return compile_error(policy.name, "unexpected return instruction");
      if ((insn.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) insn.k = SECCOMP_RET_USER_NOTIF;
    }
    out.answers = std::move(plain);
  }
  return out;
}

uint32_t run_filter(const std::vector<sock_filter>& prog, const seccomp_data& call) {
  // Classic BPF as seccomp admits it: 32-bit loads from seccomp_data, scratch memory,
  // ALU, forward jumps, returns. Every jump goes forward, so this ends in len steps.
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  const auto* data = reinterpret_cast<const unsigned char*>(&call);
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    const uint32_t k = f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v = 0;
        if (BPF_MODE(f.code) == BPF_ABS) {
          if (BPF_SIZE(f.code) != BPF_W || k % 4 != 0 || k + 4 > sizeof(call))
            return SECCOMP_RET_KILL_PROCESS;
          std::memcpy(&v, data + k, 4);
        } else if (BPF_MODE(f.code) == BPF_IMM) {
          v = k;
        } else if (BPF_MODE(f.code) == BPF_MEM) {
          if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
          v = mem[k];
        } else if (BPF_MODE(f.code) == BPF_LEN) {
          v = sizeof(call);
        } else {
          return SECCOMP_RET_KILL_PROCESS;
        }
        (BPF_CLASS(f.code) == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        mem[k] = BPF_CLASS(f.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        uint32_t src = BPF_SRC(f.code) == BPF_X ? x : k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            a += src;
            break;
          case BPF_SUB:
            a -= src;
            break;
          case BPF_MUL:
            a *= src;
            break;
          case BPF_DIV:
            if (src == 0) return SECCOMP_RET_KILL_PROCESS;
            a /= src;
            break;
          case BPF_MOD:
            if (src == 0) return SECCOMP_RET_KILL_PROCESS;
            a %= src;
            break;
          case BPF_AND:
            a &= src;
            break;
          case BPF_OR:
            a |= src;
            break;
          case BPF_XOR:
            a ^= src;
            break;
          case BPF_LSH:
            a = src >= 32 ? 0 : a << src;
            break;
          case BPF_RSH:
            a = src >= 32 ? 0 : a >> src;
            break;
          case BPF_NEG:
            a = 0 - a;
            break;
          default:
            return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      }
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += k;
          break;
        }
        uint32_t src = BPF_SRC(f.code) == BPF_X ? x : k;
        bool taken;
        switch (BPF_OP(f.code)) {
          case BPF_JEQ:
            taken = a == src;
            break;
          case BPF_JGT:
            taken = a > src;
            break;
          case BPF_JGE:
            taken = a >= src;
            break;
          case BPF_JSET:
            taken = (a & src) != 0;
            break;
          default:
            return SECCOMP_RET_KILL_PROCESS;
        }
        pc += taken ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) {
          x = a;
        } else {
          a = x;
        }
        break;
      default:
        return SECCOMP_RET_KILL_PROCESS;
    }
  }
  return SECCOMP_RET_KILL_PROCESS;  // fell off the end: the kernel refuses such a program
}

int answer_errno(const SeccompProgram& program, const seccomp_data& call) {
  uint32_t ret = run_filter(program.answers, call);
  if ((ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO) return ENOSYS;
  // The kernel caps the errno of SECCOMP_RET_ERRNO at MAX_ERRNO.
  int err = static_cast<int>(ret & SECCOMP_RET_DATA);
  return std::clamp(err, 1, 4095);
}

std::string syscall_name(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  if (name == nullptr) {
    // Newer than libseccomp 2.5.4's table (Linux 6.8 to 6.17), for the report only.
    static constexpr const char* kNewer[] = {
        "statmount",        "listmount",     "lsm_get_self_attr", "lsm_set_self_attr",
        "lsm_list_modules", "mseal",         "setxattrat",        "getxattrat",
        "listxattrat",      "removexattrat", "open_tree_attr",    "file_getattr",
        "file_setattr"};
    constexpr int kFirst = 457;
    if (nr >= kFirst && nr < kFirst + static_cast<int>(std::size(kNewer)))
      return kNewer[nr - kFirst];
    return "syscall_" + std::to_string(nr);
  }
  std::string s(name);
  std::free(name);
  return s;
}

}  // namespace cordon::plan
