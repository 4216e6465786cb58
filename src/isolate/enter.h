// `cordon exec`: a new process in a running sandbox, confined exactly as its command is.
//
// Three processes take part:
//  - the caller's (host side): stays in the host's namespaces and cgroup; relays the
//    command's output (pipes, or the master of a terminal of the sandbox's devpts with -t)
//    and forwards the caller's termination signals; holds the caller's terminal in raw
//    mode with -t and restores it on every path.
//  - the entering process: cloned into the sandbox's cgroup (CLONE_INTO_CGROUP on v2; on
//    v1 it waits until the caller's process wrote it into each group), then, before it
//    joins any namespace, made non-dumpable (PR_SET_DUMPABLE 0), so that nothing inside
//    can ptrace it or open its /proc files (its memory and fds are the host's: the
//    CVE-2019-5736 class). It joins every namespace of PID 1 in one setns(pidfd) call,
//    forks the command's process and waits for it. It never enters the PID namespace
//    itself (setns of a PID namespace applies to children), so nothing inside sees it.
//  - the command's process, PID N of the sandbox's PID namespace: stdio (and -t's
//    terminal, opened on the sandbox's /dev/ptmx), the spec's rlimits, a new session,
//    the IDs asked for, the spec's capability sets and no_new_privs (isolate/caps.h), the
//    spec's seccomp filter, chdir, every fd but 0-2 closed, execve. The target is exec'd
//    directly from the sandbox's filesystem: cordon's binary is never reachable inside.
// PID 1 is named by a pidfd opened first and checked against its start time after, so a
// recycled PID is never entered.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/launch_plan.h"
#include "plan/seccomp_policy.h"

namespace cordon::isolate {

struct EnterTarget {
  pid_t pid1 = 0;
  uint64_t pid1_start = 0;  // /proc/PID/stat field 22, as the sandbox's registry has it
  int cgroup_version = 0;   // 1, 2, or 0: no cgroup
  std::vector<std::string> cgroup_paths;
};

struct EnterRequest {
  std::vector<std::string> argv;
  std::vector<std::string> envp;  // "K=V"
  std::string workdir;            // absolute, inside
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<int> caps;  // the bounding set, as plan::LaunchPlan::caps
  std::vector<plan::RlimitSetting> rlimits;
  const plan::SeccompProgram* seccomp = nullptr;  // nullptr: unconfined
  bool tty = false;
  int stdin_fd = 0;  // the caller's
  int stdout_fd = 1;
  int stderr_fd = 2;
};

struct EnterOutcome {
  enum class Kind { kExited, kSignaled, kSetupFailed, kExecFailed, kKilled };
  Kind kind = Kind::kSetupFailed;
  int code = 0;  // exit code, signal number, or 126/127 for kExecFailed
  Error error;   // kSetupFailed, kExecFailed
  // The exit status for the caller: the command's, 128+N, 126/127, 125.
  int exit_status() const;
};

// Runs request's command in the sandbox of target and waits for it. An error: nothing was
// started (ESRCH: PID 1 is gone or is another process now). registry_lock: the lock
// under which target was read (find_sandbox), released once the entering process is in
// the sandbox's cgroup: a supervisor that removes its entry (under the same lock) before
// it empties its cgroup then finds every entering process in it.
Result<EnterOutcome> enter(const EnterTarget& target, const EnterRequest& request,
                           UniqueFd registry_lock = {});

// The group an entering process joins in a cgroup2 hierarchy. `registered` is the
// sandbox's group (a path under the hierarchy's mount); `pid1_group` is PID 1's group as
// the "0::" line of /proc/PID/cgroup names it (relative to the hierarchy's root). A
// booted init moves itself deeper and enables controllers in the group it was given
// (systemd: init.scope), after which no process may join that group ("no internal
// processes"): the entering process then joins PID 1's own group. Never a group outside
// `registered`: anything else (PID 1 elsewhere, "." or ".." parts) gives `registered`.
std::string v2_join_path(const std::string& registered, const std::string& pid1_group);

}  // namespace cordon::isolate
