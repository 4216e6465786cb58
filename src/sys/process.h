// Process syscalls: clone3 with a pidfd, waiting on pidfds, prctl, fd-range close.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

struct CloneResult {
  pid_t pid = 0;   // 0 in the child
  UniqueFd pidfd;  // the parent's handle on the child (invalid in the child)
};

// clone3 with CLONE_PIDFD and exit signal SIGCHLD, fork-like (no shared VM).
// flags: namespace flags (CLONE_NEW*), CLONE_INTO_CGROUP if cgroup_fd >= 0.
// Precondition: the caller is single-threaded, or the child only runs
// async-signal-safe code until exec.
Result<CloneResult> clone3_fork(uint64_t flags, int cgroup_fd = -1);

// waitid(P_PIDFD): reaps the child. Returns the raw wait status (as waitpid's).
struct ExitInfo {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when signaled
  uint64_t user_ns = 0;    // CPU time of the child and of every descendant it reaped
  uint64_t system_ns = 0;
};
Result<ExitInfo> wait_pidfd(int pidfd);

// pidfd_send_signal(2): signals exactly the process the pidfd names, never a recycled pid.
Status pidfd_kill(int pidfd, int sig);

// kill(2) by PID: only for PIDs read from a frozen cgroup, which cannot be recycled while
// frozen members hold them. ESRCH (already gone) is success.
Status kill_pid(pid_t pid, int sig);

// PR_SET_PDEATHSIG. Cleared by the kernel on credential changes: set it after them.
Status set_parent_death_signal(int sig);
// PR_SET_DUMPABLE 0: nobody without CAP_SYS_PTRACE can ptrace or read /proc/PID/fd.
Status set_not_dumpable();
Status set_no_new_privs();

// setrlimit(2) with soft = hard = value.
Status set_rlimit(int resource, uint64_t value);
// getrlimit(2) and setrlimit(2) with both values as they are.
struct Rlimit {
  uint64_t soft, hard;  // RLIM_INFINITY as is
};
Result<Rlimit> get_rlimit(int resource);
Status set_rlimit(int resource, const Rlimit& limit);

// Whether the calling thread carries PF_NPROC_EXCEEDED (the flags field of
// /proc/thread-self/stat): the kernel sets it when a UID change made the thread's new
// user count more processes than its RLIMIT_NPROC, and clears it on the next change (or
// fork). Needs /proc mounted.
Result<bool> nproc_exceeded();

// Close every fd >= 3 except those in keep (any order).
Status close_fds_except(std::vector<int> keep);

}  // namespace cordon::sys
