// plan/seccomp_policy.h: the built-in policies, profiles as policies, and the compiled
// programs, checked by running them on calls with plan::run_filter (the kernel's
// semantics, without loading anything).
#include "plan/seccomp_policy.h"
#include "plan/seccomp_builtin.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace cordon::plan {
namespace {

constexpr uint32_t kAllowRet = SECCOMP_RET_ALLOW;
constexpr uint32_t kKillProcess = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

seccomp_data call(int nr, std::vector<uint64_t> args = {}, uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  d.instruction_pointer = 0x401000;
  for (size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
  return d;
}

const SeccompProgram& default_program() {
  static const SeccompProgram p = [] {
    auto r = compile(default_policy());
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? r.value() : SeccompProgram{};
  }();
  return p;
}

const SeccompProgram& strict_program() {
  static const SeccompProgram p = [] {
    auto r = compile(strict_policy());
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? r.value() : SeccompProgram{};
  }();
  return p;
}

uint32_t run_default(int nr, std::vector<uint64_t> args = {}) {
  return run_filter(default_program().filter, call(nr, std::move(args)));
}

// ---- the compiled programs ----

TEST(SeccompCompile, BuiltinsFitTheKernelLimit) {
  for (const SeccompProgram* p : {&default_program(), &strict_program()}) {
    EXPECT_GT(p->filter.size(), 10u);
    EXPECT_LE(p->filter.size(), static_cast<size_t>(BPF_MAXINSNS));
    EXPECT_FALSE(p->report);
    EXPECT_TRUE(p->answers.empty());
    EXPECT_TRUE(p->skipped.empty());
  }
  EXPECT_EQ(default_program().policy, "default");
  EXPECT_EQ(strict_program().policy, "strict");
}

TEST(SeccompCompile, Deterministic) {
  auto again = compile(default_policy());
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->filter.size(), default_program().filter.size());
  for (size_t i = 0; i < again->filter.size(); ++i) {
    EXPECT_EQ(again->filter[i].code, default_program().filter[i].code);
    EXPECT_EQ(again->filter[i].k, default_program().filter[i].k);
  }
}

// ---- the default policy ----

TEST(SeccompDefault, EveryKnownSyscallIsClassified) {
  // Every syscall of libseccomp's x86_64 table up to futex_requeue (456, Linux 6.7) has
  // a rule: allowed, allowed with conditions, or denied with a reason. Newer ones get
  // ENOSYS (below).
  std::set<std::string> named;
  for (const auto& r : default_policy().rules) named.insert(r.name);
  for (int nr = 0; nr <= 456; ++nr) {
    std::string name = syscall_name(nr);
    if (name.rfind("syscall_", 0) == 0) continue;  // a hole in the table
    EXPECT_TRUE(named.count(name)) << name << " (" << nr << ") is not in the default policy";
  }
}

TEST(SeccompDefault, DenialsHaveReasons) {
  for (const auto& r : default_policy().rules) {
    if (r.action.kind != spec::SeccompActionKind::kAllow) {
      EXPECT_FALSE(r.reason.empty()) << r.name;
    }
  }
}

TEST(SeccompDefault, IssueDenyListIsEperm) {
  for (int nr : {SYS_keyctl,
                 SYS_add_key,
                 SYS_request_key,
                 SYS_bpf,
                 SYS_perf_event_open,
                 SYS_userfaultfd,
                 SYS_io_uring_setup,
                 SYS_io_uring_enter,
                 SYS_io_uring_register,
                 SYS_kexec_load,
                 SYS_kexec_file_load,
                 SYS_init_module,
                 SYS_finit_module,
                 SYS_delete_module,
                 SYS_mount,
                 SYS_umount2,
                 SYS_fsopen,
                 SYS_fsconfig,
                 SYS_fsmount,
                 SYS_fspick,
                 SYS_move_mount,
                 SYS_open_tree,
                 SYS_mount_setattr,
                 SYS_pivot_root,
                 SYS_setns,
                 SYS_open_by_handle_at,
                 SYS_swapon,
                 SYS_swapoff,
                 SYS_reboot,
                 SYS_settimeofday,
                 SYS_clock_settime,
                 SYS_clock_adjtime,
                 SYS_adjtimex,
                 SYS_acct,
                 SYS_quotactl,
                 SYS_syslog,
                 SYS_iopl,
                 SYS_ioperm,
                 SYS_modify_ldt}) {
    EXPECT_EQ(run_default(nr), kEperm) << syscall_name(nr);
  }
}

TEST(SeccompDefault, WorkloadSyscallsAreAllowed) {
  for (int nr : {SYS_read, SYS_write, SYS_openat, SYS_mmap, SYS_futex, SYS_execve, SYS_fork,
                 SYS_vfork, SYS_wait4, SYS_ptrace, SYS_rt_sigaction, SYS_connect, SYS_bind,
                 SYS_epoll_pwait, SYS_getrandom, SYS_rseq, SYS_close_range, SYS_faccessat2}) {
    EXPECT_EQ(run_default(nr), kAllowRet) << syscall_name(nr);
  }
}

TEST(SeccompDefault, CloneAndUnshareWithoutNamespaces) {
  uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  EXPECT_EQ(run_default(SYS_clone, {thread}), kAllowRet);
  EXPECT_EQ(run_default(SYS_clone, {SIGCHLD}), kAllowRet);
  EXPECT_EQ(run_default(SYS_clone, {CLONE_VM | CLONE_VFORK | SIGCHLD}), kAllowRet);
  EXPECT_EQ(run_default(SYS_unshare, {CLONE_FILES}), kAllowRet);
  for (uint64_t ns :
       std::vector<uint64_t>{CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                             CLONE_NEWNET, CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */}) {
    EXPECT_EQ(run_default(SYS_clone, {ns | SIGCHLD}), kEperm) << ns;
    EXPECT_EQ(run_default(SYS_unshare, {ns}), kEperm) << ns;
  }
  // clone3's flags are in memory: ENOSYS, and glibc falls back to clone.
  EXPECT_EQ(run_default(SYS_clone3, {0, 88}), kEnosys);
}

TEST(SeccompDefault, SocketFamilies) {
  for (uint64_t f : {AF_UNIX, AF_INET, AF_INET6}) {
    EXPECT_EQ(run_default(SYS_socket, {f, SOCK_STREAM, 0}), kAllowRet) << f;
  }
  EXPECT_EQ(run_default(SYS_socket, {AF_NETLINK, SOCK_RAW, 0 /* ROUTE */}), kAllowRet);
  EXPECT_EQ(run_default(SYS_socket, {AF_NETLINK, SOCK_RAW, 9 /* AUDIT */}), kEperm);
  EXPECT_EQ(run_default(SYS_socket, {AF_NETLINK, SOCK_RAW, 16 /* GENERIC */}), kEperm);
  for (uint64_t f : {0ul, 3ul, 9ul, 15ul, 17ul, 38ul, 40ul, 44ul, 45ul, 1000ul}) {
    EXPECT_EQ(run_default(SYS_socket, {f, SOCK_RAW, 0}), kEperm) << f;
  }
  // The family is an int to the kernel, but only exact values are allowed.
  EXPECT_EQ(run_default(SYS_socket, {(1ull << 32) | AF_UNIX, SOCK_STREAM, 0}), kEperm);
  EXPECT_EQ(run_default(SYS_socketpair, {AF_UNIX, SOCK_STREAM, 0}), kAllowRet);
  EXPECT_EQ(run_default(SYS_socketpair, {AF_INET, SOCK_STREAM, 0}), kEperm);
}

TEST(SeccompDefault, IoctlTerminalInjectionAndLineDisciplines) {
  EXPECT_EQ(run_default(SYS_ioctl, {0, TIOCSTI}), kEperm);
  EXPECT_EQ(run_default(SYS_ioctl, {0, TIOCLINUX}), kEperm);
  EXPECT_EQ(run_default(SYS_ioctl, {0, TIOCSETD}), kEperm);
  EXPECT_EQ(run_default(SYS_ioctl, {0, (1ull << 32) | TIOCSETD}), kEperm);
  EXPECT_EQ(run_default(SYS_ioctl, {0, TIOCGETD}), kAllowRet);
  // The kernel reads the command as an unsigned int: high bits change nothing.
  EXPECT_EQ(run_default(SYS_ioctl, {0, (1ull << 32) | TIOCSTI}), kEperm);
  EXPECT_EQ(run_default(SYS_ioctl, {0, 0xffffffff00000000ull | TIOCLINUX}), kEperm);
  for (uint64_t cmd : std::vector<uint64_t>{TCGETS, TCSETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX,
                                            0, 0xffffffff, TIOCSTI + 1}) {
    EXPECT_EQ(run_default(SYS_ioctl, {1, cmd}), kAllowRet) << cmd;
  }
  // Property: allowed exactly when the low 32 bits are neither command.
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint64_t cmd = rng();
    if (i % 4 == 1) cmd = (cmd & ~0xffffffffull) | TIOCSTI;
    if (i % 4 == 2) cmd = (cmd & ~0xffffull) | 0x5400;  // near the tty commands
    if (i % 8 == 3) cmd = (cmd & ~0xffffffffull) | TIOCSETD;
    uint32_t low = static_cast<uint32_t>(cmd);
    uint32_t want = low == TIOCSTI || low == TIOCLINUX || low == TIOCSETD ? kEperm : kAllowRet;
    ASSERT_EQ(run_default(SYS_ioctl, {3, cmd}), want) << std::hex << cmd;
  }
}

// The host-wide AIO pool is not the sandbox's: ENOSYS, as without AIO in the kernel.
TEST(SeccompDefault, NativeAioIsEnosys) {
  for (int nr : {SYS_io_setup, SYS_io_destroy, SYS_io_getevents, SYS_io_submit, SYS_io_cancel,
                 SYS_io_pgetevents}) {
    EXPECT_EQ(run_default(nr, {4096, 0}), kEnosys) << nr;
  }
}

TEST(SeccompDefault, Personality) {
  EXPECT_EQ(run_default(SYS_personality, {PER_LINUX}), kAllowRet);
  EXPECT_EQ(run_default(SYS_personality, {0xffffffff}), kAllowRet);
  EXPECT_EQ(run_default(SYS_personality, {0xffffffffffffffffull}), kAllowRet);
  for (uint64_t p : std::vector<uint64_t>{PER_LINUX32, ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC,
                                          UNAME26, 0xfffffffe}) {
    EXPECT_EQ(run_default(SYS_personality, {p}), kEperm) << p;
  }
}

TEST(SeccompDefault, SideDoorsKill) {
  // x32: the same arch, the syscall number with __X32_SYSCALL_BIT.
  EXPECT_EQ(run_default(0x40000000 | SYS_getpid), kKillProcess);
  EXPECT_EQ(run_default(0x40000000 | SYS_keyctl), kKillProcess);
  // int 0x80 from 64-bit code: the i386 table.
  for (int nr : {20 /* i386 getpid */, 1, 0}) {
    EXPECT_EQ(run_filter(default_program().filter, call(nr, {}, AUDIT_ARCH_I386)), kKillProcess);
  }
  EXPECT_EQ(run_filter(default_program().filter, call(SYS_getpid, {}, AUDIT_ARCH_AARCH64)),
            kKillProcess);
}

TEST(SeccompDefault, NewerSyscallsAreEnosys) {
  EXPECT_EQ(run_default(457), kEnosys);   // statmount
  EXPECT_EQ(run_default(462), kEnosys);   // mseal
  EXPECT_EQ(run_default(1000), kEnosys);  // not yet anything
  EXPECT_EQ(run_default(0x3fffffff), kEnosys);
  // Removed from the kernel: ENOSYS, as the kernel answers.
  EXPECT_EQ(run_default(SYS__sysctl), kEnosys);
  EXPECT_EQ(run_default(SYS_memfd_secret), kEnosys);
  // A hole in the table below the newest known syscall: the default, EPERM.
  EXPECT_EQ(run_default(400), kEperm);
}

// ---- strict ----

TEST(SeccompStrict, ComputationOnly) {
  const auto& f = strict_program().filter;
  auto run = [&](int nr, std::vector<uint64_t> args = {}) { return run_filter(f, call(nr, args)); };
  EXPECT_EQ(run(SYS_read), kAllowRet);
  EXPECT_EQ(run(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_CLOEXEC}), kAllowRet);
  EXPECT_EQ(
      run(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_DIRECTORY | O_CLOEXEC}),
      kAllowRet);
  EXPECT_EQ(run(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0, O_WRONLY}), kEperm);
  EXPECT_EQ(run(SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY | O_CREAT}), kEperm);
  EXPECT_EQ(run(SYS_open, {0, O_RDWR}), kEperm);
  EXPECT_EQ(run(SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}), kAllowRet);
  EXPECT_EQ(run(SYS_clone, {SIGCHLD}), kEperm);
  EXPECT_EQ(run(SYS_clone, {CLONE_THREAD | CLONE_NEWUSER}), kEperm);
  EXPECT_EQ(run(SYS_fork), kEperm);
  EXPECT_EQ(run(SYS_socket, {AF_INET, SOCK_STREAM, 0}), kEperm);
  EXPECT_EQ(run(SYS_ioctl, {1, TCGETS}), kAllowRet);
  EXPECT_EQ(run(SYS_ioctl, {1, TIOCSTI}), kEperm);
  EXPECT_EQ(run(SYS_clone3), kEnosys);
  EXPECT_EQ(run(SYS_getpid, {}), kAllowRet);
  EXPECT_EQ(run_filter(f, call(20, {}, AUDIT_ARCH_I386)), kKillProcess);
}

// ---- report mode ----

TEST(SeccompReport, NotifiesWhereThePlainProgramFails) {
  auto r = compile(default_policy(), {.report = true});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->report);
  EXPECT_EQ(r->answers.size(), default_program().filter.size());
  EXPECT_EQ(r->filter.size(), default_program().filter.size());
  struct Case {
    seccomp_data data;
    int err;  // 0: not an errno
  };
  std::vector<Case> cases = {
      {call(SYS_keyctl), EPERM},
      {call(SYS_clone3), ENOSYS},
      {call(462), ENOSYS},
      {call(SYS_socket, {AF_PACKET, SOCK_RAW, 0}), EPERM},
      {call(SYS_ioctl, {0, TIOCSTI}), EPERM},
      {call(SYS_getpid), 0},
      {call(SYS_ioctl, {0, TCGETS}), 0},
      {call(0x40000000 | SYS_getpid), 0},
      {call(20, {}, AUDIT_ARCH_I386), 0},
  };
  for (const auto& c : cases) {
    uint32_t plain = run_filter(default_program().filter, c.data);
    uint32_t notify = run_filter(r->filter, c.data);
    if (c.err != 0) {
      EXPECT_EQ(plain, SECCOMP_RET_ERRNO | static_cast<uint32_t>(c.err)) << c.data.nr;
      EXPECT_EQ(notify, SECCOMP_RET_USER_NOTIF) << c.data.nr;
      EXPECT_EQ(answer_errno(*r, c.data), c.err) << c.data.nr;
    } else {
      EXPECT_EQ(notify, plain) << c.data.nr;
    }
  }
  // No errno is left in the notifying program.
  for (const auto& insn : r->filter) {
    if (BPF_CLASS(insn.code) == BPF_RET) {
      EXPECT_NE(insn.k & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ERRNO);
    }
  }
}

TEST(SeccompReport, NeedsSendmsgForTheHandOff) {
  SeccompPolicy p = strict_policy();
  EXPECT_TRUE(compile(p, {.report = true}).ok());
  std::erase_if(p.rules, [](const SeccompPolicyRule& r) { return r.name == "sendmsg"; });
  auto r = compile(p, {.report = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "--seccomp-report");
  EXPECT_TRUE(compile(p).ok());  // without the report, nothing to hand off
  p.rules.push_back({"sendmsg", {spec::SeccompActionKind::kErrno, EPERM}, {}, "test"});
  EXPECT_FALSE(compile(p, {.report = true}).ok());
}

// ---- profiles ----

spec::SeccompProfile profile(const std::string& json) {
  auto r = spec::parse_oci_profile(json);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : spec::SeccompProfile{};
}

SeccompProgram compile_profile(const std::string& json, ProfileContext ctx = {{}, 6, 1}) {
  auto pol = policy_from_profile(profile(json), ctx);
  EXPECT_TRUE(pol.ok());
  auto r = compile(pol.value());
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : SeccompProgram{};
}

TEST(SeccompProfilePolicy, DockerRuleFilters) {
  const std::string json = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "syscalls": [
      {"names": ["read", "write", "chown32", "exit_group"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"names": ["uname"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm"]}},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 1, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
       "includes": {"arches": ["s390x"]}},
      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
    ]})";
  SeccompProgram p = compile_profile(json);
  EXPECT_EQ(p.skipped, (std::vector<std::string>{"chown32"}));  // i386 only
  auto run = [&](int nr, std::vector<uint64_t> args = {}) {
    return run_filter(p.filter, call(nr, args));
  };
  EXPECT_EQ(run(SYS_read), kAllowRet);
  EXPECT_EQ(run(SYS_ptrace), kAllowRet);
  EXPECT_EQ(run(SYS_uname), kEperm);  // needs Linux 99.0
  EXPECT_EQ(run(SYS_arch_prctl), kAllowRet);
  EXPECT_EQ(run(SYS_mount), kEperm);  // needs CAP_SYS_ADMIN
  EXPECT_EQ(run(SYS_clone, {SIGCHLD}), kAllowRet);
  EXPECT_EQ(run(SYS_clone, {CLONE_NEWUSER | SIGCHLD}), kEperm);
  EXPECT_EQ(run(SYS_clone, {SIGCHLD, CLONE_NEWUSER}), kAllowRet);  // the s390 rule is gone
  EXPECT_EQ(run(SYS_clone3), kEnosys);
  EXPECT_EQ(run(SYS_getpid), kEperm);
  // Newer than every syscall the profile names: ENOSYS. The side doors stay closed.
  EXPECT_EQ(run(455), kEnosys);
  EXPECT_EQ(run(0x40000000 | SYS_read), kKillProcess);
  EXPECT_EQ(run_filter(p.filter, call(3, {}, AUDIT_ARCH_I386)), kKillProcess);

  // With CAP_SYS_ADMIN (not possible today, the context says which caps the sandbox has).
  SeccompProgram admin = compile_profile(json, {{"CAP_SYS_ADMIN"}, 6, 1});
  EXPECT_EQ(run_filter(admin.filter, call(SYS_mount)), kAllowRet);
  // The clone rule excludes CAP_SYS_ADMIN: clone has no rule left, the default denies.
  EXPECT_EQ(run_filter(admin.filter, call(SYS_clone, {SIGCHLD})), kEperm);
}

TEST(SeccompProfilePolicy, DenyListProfile) {
  SeccompProgram p = compile_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS"},
      {"names": ["uname"], "action": "SCMP_ACT_TRAP"},
      {"names": ["getppid"], "action": "SCMP_ACT_LOG"},
      {"names": ["kill"], "action": "SCMP_ACT_KILL"}
    ]})");
  auto run = [&](int nr) { return run_filter(p.filter, call(nr)); };
  EXPECT_EQ(run(SYS_mkdir), SECCOMP_RET_ERRNO | 13u);
  EXPECT_EQ(run(SYS_reboot), kKillProcess);
  EXPECT_EQ(run(SYS_uname), SECCOMP_RET_TRAP);
  EXPECT_EQ(run(SYS_getppid), SECCOMP_RET_LOG);
  EXPECT_EQ(run(SYS_kill), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(run(SYS_getpid), kAllowRet);
  EXPECT_EQ(run(460), kAllowRet);  // the default allows: no ENOSYS stub
  // X86 and X32 in "architectures" open nothing.
  EXPECT_EQ(run(0x40000000 | SYS_getpid), kKillProcess);
  EXPECT_EQ(run_filter(p.filter, call(20, {}, AUDIT_ARCH_I386)), kKillProcess);
}

TEST(SeccompProfilePolicy, RepeatedArgIndexIsAnOr) {
  // Two conditions on argument 0: runc adds one rule per condition.
  SeccompProgram p = compile_profile(R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
               {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
     {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
               {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]})");
  auto run = [&](int nr, std::vector<uint64_t> args) {
    return run_filter(p.filter, call(nr, args));
  };
  EXPECT_EQ(run(SYS_personality, {0}), kAllowRet);
  EXPECT_EQ(run(SYS_personality, {8}), kAllowRet);
  EXPECT_EQ(run(SYS_personality, {9}), kEperm);
  EXPECT_EQ(run(SYS_socket, {2, 1}), kAllowRet);  // different indexes: AND
  EXPECT_EQ(run(SYS_socket, {2, 2}), kEperm);
}

TEST(SeccompProfilePolicy, UnknownNames) {
  // A name libseccomp does not know, in an allow rule: dropped (stricter), and listed.
  SeccompProgram p = compile_profile(R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_EQ(p.skipped, (std::vector<std::string>{"no_such_syscall"}));
  // In a rule that denies under an allowing default it cannot be enforced: an error.
  auto pol = policy_from_profile(profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]})"),
                                 {{}, 6, 1});
  ASSERT_TRUE(pol.ok());
  auto r = compile(pol.value());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "no_such_syscall");
}

TEST(SeccompProfilePolicy, KernelVersion) {
  auto c = profile_context_for_kernel("6.1.0-18-amd64");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kernel_major, 6u);
  EXPECT_EQ(c->kernel_minor, 1u);
  EXPECT_TRUE(c->caps.empty());
  c = profile_context_for_kernel("6.18.44-fc-v669");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kernel_minor, 18u);
  EXPECT_FALSE(profile_context_for_kernel("").ok());
  EXPECT_FALSE(profile_context_for_kernel("six.one").ok());
  EXPECT_FALSE(profile_context_for_kernel("6").ok());
}

// ---- the interpreter ----

TEST(SeccompRunFilter, MalformedProgramsKill) {
  EXPECT_EQ(run_filter({}, call(0)), kKillProcess);
  // A load outside seccomp_data, a jump past the end, a fall off the end.
  EXPECT_EQ(run_filter({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4096),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
                       call(0)),
            kKillProcess);
  EXPECT_EQ(run_filter({BPF_JUMP(BPF_JMP | BPF_JA, 100, 0, 0)}, call(0)), kKillProcess);
  EXPECT_EQ(run_filter({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)}, call(0)), kKillProcess);
  EXPECT_EQ(
      run_filter({BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 0), BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
                 call(0)),
      kKillProcess);
  // Scratch memory and the accumulator as the return value.
  EXPECT_EQ(run_filter({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_ST, 3),
                        BPF_STMT(BPF_LD | BPF_W | BPF_IMM, 0),
                        BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 3), BPF_STMT(BPF_MISC | BPF_TXA, 0),
                        BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
                        BPF_STMT(BPF_RET | BPF_A, 0)},
                       call(7)),
            SECCOMP_RET_ERRNO | 7u);
}

TEST(SeccompNames, Resolve) {
  EXPECT_EQ(syscall_name(SYS_getpid), "getpid");
  EXPECT_EQ(syscall_name(462), "mseal");
  EXPECT_EQ(syscall_name(100000), "syscall_100000");
  EXPECT_EQ(syscall_name(-5), "syscall_-5");
}

}  // namespace
}  // namespace cordon::plan

namespace cordon::plan {
namespace {

// The table compiled at build time is what compiling now gives: it cannot go stale.
TEST(SeccompBuiltin, MatchesAFreshCompile) {
  for (const auto& policy : {default_policy(), strict_policy()}) {
    for (bool report : {false, true}) {
      auto fresh = compile(policy, CompileOptions{report});
      ASSERT_TRUE(fresh.ok()) << fresh.error().to_string();
      auto built = builtin_seccomp(policy.name, report);
      ASSERT_TRUE(built.has_value()) << policy.name;
      ASSERT_EQ(built->filter.size(), fresh->filter.size()) << policy.name << " " << report;
      for (size_t i = 0; i < built->filter.size(); ++i) {
        EXPECT_EQ(built->filter[i].code, fresh->filter[i].code) << i;
        EXPECT_EQ(built->filter[i].jt, fresh->filter[i].jt) << i;
        EXPECT_EQ(built->filter[i].jf, fresh->filter[i].jf) << i;
        EXPECT_EQ(built->filter[i].k, fresh->filter[i].k) << i;
      }
      EXPECT_EQ(built->answers.size(), fresh->answers.size());
      EXPECT_EQ(built->report, fresh->report);
      EXPECT_EQ(built->policy, fresh->policy);
      EXPECT_EQ(built->skipped, fresh->skipped);
    }
  }
  EXPECT_FALSE(builtin_seccomp("file", false).has_value());
}

// ---- the set-ID rule (owner-mapped writable binds) ----

SeccompProgram compiled(const SeccompPolicy& p) {
  auto r = compile(p);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : SeccompProgram{};
}

// What the set-ID rule must refuse and admit, on a program of any default.
void check_set_id_rule(const SeccompProgram& prog, uint32_t allowed) {
  auto run = [&](int nr, std::vector<uint64_t> args) {
    return run_filter(prog.filter, call(nr, args));
  };
  constexpr uint64_t kTmpfile = 020000000;
  for (uint64_t bits : {04755ull, 02755ull, 06000ull, 04000ull | (1ull << 32)}) {
    SCOPED_TRACE(bits);
    EXPECT_EQ(run(SYS_chmod, {0, bits}), kEperm);
    EXPECT_EQ(run(SYS_fchmod, {3, bits}), kEperm);
    EXPECT_EQ(run(SYS_fchmodat, {3, 0, bits}), kEperm);
    EXPECT_EQ(run(452 /* fchmodat2 */, {3, 0, bits, 0}), kEperm);
    EXPECT_EQ(run(SYS_mknod, {0, S_IFREG | bits, 0}), kEperm);
    EXPECT_EQ(run(SYS_mknodat, {3, 0, S_IFREG | bits, 0}), kEperm);
    EXPECT_EQ(run(SYS_creat, {0, bits}), kEperm);
    EXPECT_EQ(run(SYS_open, {0, O_WRONLY | O_CREAT, bits}), kEperm);
    EXPECT_EQ(run(SYS_openat, {3, 0, O_WRONLY | O_CREAT | O_EXCL, bits}), kEperm);
    EXPECT_EQ(run(SYS_openat, {3, 0, O_RDWR | kTmpfile | O_DIRECTORY, bits}), kEperm);
    // Without a creation flag the mode is not used: any value passes.
    EXPECT_EQ(run(SYS_openat, {3, 0, O_RDONLY, bits}), allowed);
    EXPECT_EQ(run(SYS_open, {0, O_WRONLY | O_TRUNC, bits}), allowed);
  }
  for (uint64_t mode : {0755ull, 0644ull, 01777ull, 0ull}) {
    SCOPED_TRACE(mode);
    EXPECT_EQ(run(SYS_chmod, {0, mode}), allowed);
    EXPECT_EQ(run(SYS_fchmod, {3, mode}), allowed);
    EXPECT_EQ(run(SYS_fchmodat, {3, 0, mode}), allowed);
    EXPECT_EQ(run(SYS_creat, {0, mode}), allowed);
    EXPECT_EQ(run(SYS_openat, {3, 0, O_WRONLY | O_CREAT, mode}), allowed);
    EXPECT_EQ(run(SYS_mknodat, {3, 0, S_IFIFO | mode, 0}), allowed);
  }
  // openat2's mode is in memory: ENOSYS, so that libc uses openat.
  EXPECT_EQ(run(SYS_openat2, {3, 0, 0, 24}), kEnosys);
}

TEST(SeccompSetId, DefaultPolicyRefusesSetIdModes) {
  SeccompProgram prog = compiled(refuse_set_id_files(default_policy()));
  check_set_id_rule(prog, kAllowRet);
  // The rest of the policy is as it was.
  EXPECT_EQ(run_filter(prog.filter, call(SYS_getpid)), kAllowRet);
  EXPECT_EQ(run_filter(prog.filter, call(SYS_mount)), kEperm);
  EXPECT_EQ(run_filter(prog.filter, call(SYS_io_uring_setup)), kEperm);
  // Without the rule, the default policy admits them all.
  EXPECT_EQ(run_default(SYS_chmod, {0, 04755}), kAllowRet);
  EXPECT_EQ(run_default(SYS_openat2, {3, 0, 0, 24}), kAllowRet);
}

TEST(SeccompSetId, PermissiveProfileGetsRulesOfItsOwn) {
  SeccompPolicy p;
  p.name = "file";
  p.default_action = {spec::SeccompActionKind::kAllow, 0};
  p.rules.push_back({"chmod", {spec::SeccompActionKind::kAllow, 0}, {}, {}});
  p.rules.push_back({"mount", {spec::SeccompActionKind::kErrno, EPERM}, {}, {}});
  SeccompProgram prog = compiled(refuse_set_id_files(p));
  check_set_id_rule(prog, kAllowRet);
  EXPECT_EQ(run_filter(prog.filter, call(SYS_mount)), kEperm);
}

// A profile that already compares chmod's mode keeps its comparison: chmod 0700 stays
// allowed, and the set-ID bits are refused as well as the profile's own.
TEST(SeccompSetId, ProfileConditionOnTheModeIsKept) {
  SeccompPolicy p;
  p.name = "file";
  p.default_action = {spec::SeccompActionKind::kErrno, EPERM};
  p.rules.push_back({"getpid", {spec::SeccompActionKind::kAllow, 0}, {}, {}});
  p.rules.push_back({"chmod",
                     {spec::SeccompActionKind::kAllow, 0},
                     {{1, 01000, 0, spec::SeccompCmpOp::kMaskedEq}},
                     {}});
  p.rules.push_back({"fchmod",
                     {spec::SeccompActionKind::kAllow, 0},
                     {{1, 0700, 0, spec::SeccompCmpOp::kEq}},
                     {}});
  p.rules.push_back({"mknod",
                     {spec::SeccompActionKind::kAllow, 0},
                     {{1, 04755, 0, spec::SeccompCmpOp::kEq}},
                     {}});
  p.rules.push_back(
      {"creat", {spec::SeccompActionKind::kAllow, 0}, {{1, 0644, 0, spec::SeccompCmpOp::kNe}}, {}});
  // Before: chmod 0700 is allowed by the profile.
  EXPECT_EQ(run_filter(compiled(p).filter, call(SYS_chmod, {0, 0700})), kAllowRet);
  SeccompProgram prog = compiled(refuse_set_id_files(p));
  auto run = [&](int nr, std::vector<uint64_t> args) {
    return run_filter(prog.filter, call(nr, args));
  };
  EXPECT_EQ(run(SYS_chmod, {0, 0700}), kAllowRet);
  EXPECT_EQ(run(SYS_chmod, {0, 0755}), kAllowRet);
  EXPECT_EQ(run(SYS_chmod, {0, 01755}), kEperm);  // the profile's own condition
  EXPECT_EQ(run(SYS_chmod, {0, 04755}), kEperm);
  EXPECT_EQ(run(SYS_chmod, {0, 02755}), kEperm);
  EXPECT_EQ(run(SYS_fchmod, {3, 0700}), kAllowRet);
  EXPECT_EQ(run(SYS_fchmod, {3, 0755}), kEperm);
  // A rule that admits only a set-ID mode, or compares in a way the set-ID condition
  // cannot join, is dropped: stricter.
  EXPECT_EQ(run(SYS_mknod, {0, 04755, 0}), kEperm);
  EXPECT_EQ(run(SYS_creat, {0, 0600}), kEperm);
  EXPECT_EQ(run(SYS_getpid, {}), kAllowRet);
}

TEST(SeccompSetId, StrictPolicyStaysStrict) {
  SeccompProgram prog = compiled(refuse_set_id_files(strict_policy()));
  auto run = [&](int nr, std::vector<uint64_t> args) {
    return run_filter(prog.filter, call(nr, args));
  };
  EXPECT_EQ(run(SYS_openat, {3, 0, O_RDONLY, 0}), kAllowRet);
  EXPECT_EQ(run(SYS_openat, {3, 0, O_WRONLY | O_CREAT, 0644}), kEperm);
  EXPECT_EQ(run(SYS_chmod, {0, 0644}), kEperm);
}

}  // namespace
}  // namespace cordon::plan
