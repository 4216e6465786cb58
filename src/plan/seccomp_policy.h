// Seccomp policies as data, and their compilation to a BPF program before clone.
//
// A policy is a default action and one rule per syscall name (with optional argument
// conditions). The built-in ones are below: `default` (an allowlist of what compilers,
// interpreters, test suites, shells and servers use; every denial with its reason) and
// `strict` (computation on inherited fds and read-only files, threads, no processes or
// sockets). An OCI profile (spec/seccomp_profile.h) becomes a policy through
// policy_from_profile(). docs/seccomp.md explains every entry.
//
// compile() turns a policy into the bytes the child loads, with libseccomp, in the
// parent: the child does not allocate or parse anything, it only calls seccomp(2).
// Every program:
//   - admits only x86_64 calls: an x32 call (syscall nr with __X32_SYSCALL_BIT) or the
//     i386 entry (int 0x80, AUDIT_ARCH_I386) kills the process (SIGSYS);
//   - answers a syscall newer than every syscall the policy names with ENOSYS (when the
//     policy's default is a denial), so that libc falls back to an older call;
//   - in report mode, returns SECCOMP_RET_USER_NOTIF wherever the plain program returns
//     an errno: the supervisor counts the call and answers it with the errno the plain
//     program gives (answer_errno), so the workload sees exactly what it would without
//     the report.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "spec/seccomp_profile.h"

namespace cordon::plan {

struct SeccompPolicyRule {
  std::string name;  // the syscall, as libseccomp names it
  spec::SeccompAction action;
  std::vector<spec::SeccompArg> args;  // ANDed; at most one condition per argument index
  std::string reason;                  // why a built-in denial is there (empty for allows)
};

struct SeccompPolicy {
  std::string name;  // "default", "strict" or "file"
  spec::SeccompAction default_action;
  std::vector<SeccompPolicyRule> rules;
  bool log_flag = false;  // SECCOMP_FILTER_FLAG_LOG: the kernel logs every non-allow action
};

SeccompPolicy default_policy();
SeccompPolicy strict_policy();
// --boot with the default profile: default_policy() with the mount family, setns, chroot,
// sethostname/setdomainname allowed, and clone/unshare with every namespace flag but
// CLONE_NEWUSER (seccomp_boot.cc). The host stays out of reach as in the default:
// keyrings, bpf, perf, modules, kexec, open_by_handle_at, reboot remain denied.
SeccompPolicy boot_policy();

// The set-ID rule, for a sandbox with an owner-mapped writable bind (docs/threat-model.md):
// what it creates there belongs on the host to a real user, so it must never make a
// set-user-ID or set-group-ID file. The policy is changed so that chmod, fchmod,
// fchmodat, fchmodat2, mknod and mknodat with S_ISUID or S_ISGID in their mode, and
// creat, and open and openat with O_CREAT or O_TMPFILE and one of those bits, fail with
// EPERM; openat2, whose mode sits in memory where a filter cannot read it, fails with
// ENOSYS (libc then uses openat). The other calls of those names stay as the policy
// had them. A rule that already compares the mode (or the flags) keeps its comparison,
// merged with the new one: a masked or equal comparison and a "less than" below the
// set-ID bits are kept; another comparison on that argument cannot take the extra
// condition, and the rule is dropped (stricter).
SeccompPolicy refuse_set_id_files(SeccompPolicy policy);

// What Docker's includes/excludes are resolved against: the sandbox's capabilities
// inside (none today) and the running kernel's version. The architecture is amd64.
struct ProfileContext {
  std::vector<std::string> caps;  // "CAP_..." held inside the sandbox
  uint32_t kernel_major = 0;
  uint32_t kernel_minor = 0;
};

// "6.1.0-18-amd64" (uname -r) -> {6, 1}.
Result<ProfileContext> profile_context_for_kernel(std::string_view release);

// An OCI profile as a policy. Docker's rule filters are applied: a rule is kept when
// every `includes` field matches (caps all held, amd64 among arches, kernel >= minKernel)
// and no `excludes` field does. A rule whose args repeat an index becomes one rule per
// arg (an OR), as runc reads it; otherwise its args are ANDed.
Result<SeccompPolicy> policy_from_profile(const spec::SeccompProfile& profile,
                                          const ProfileContext& ctx);

struct SeccompProgram {
  std::vector<sock_filter> filter;  // what the child loads
  bool report = false;              // filter returns USER_NOTIF for every denial
  // Report mode: the plain program (errnos instead of USER_NOTIF), which the supervisor
  // runs on each notification to find the errno to answer. Empty otherwise.
  std::vector<sock_filter> answers;
  std::string policy;  // the policy's name, for the result
  bool log = false;    // load with SECCOMP_FILTER_FLAG_LOG
  // Names of the policy that are not syscalls of x86_64 (i386-only names such as
  // chown32 in Docker's profile) or that libseccomp does not know; their rules were
  // dropped (only allow and log rules may be: see compile()).
  std::vector<std::string> skipped;
};

struct CompileOptions {
  bool report = false;  // --seccomp-report
};

// The program for `policy`. Fails (and never weakens the policy) when a rule that denies
// names a syscall libseccomp does not know, when the program exceeds the kernel's 4096
// instructions, and in report mode when sendmsg is not allowed unconditionally: the
// child hands the notification listener to the supervisor with sendmsg after loading.
Result<SeccompProgram> compile(const SeccompPolicy& policy, const CompileOptions& options = {});

// Runs a seccomp BPF program on one call, as the kernel would: returns SECCOMP_RET_*.
// A malformed program (a jump out of range, no return) yields SECCOMP_RET_KILL_PROCESS.
uint32_t run_filter(const std::vector<sock_filter>& program, const seccomp_data& call);

// Report mode: the errno (positive) the supervisor answers a notified call with.
int answer_errno(const SeccompProgram& program, const seccomp_data& call);

// "getpid" for 39 on x86_64; "syscall_N" for a number libseccomp does not name.
std::string syscall_name(int nr);

}  // namespace cordon::plan
