// Processes: clone3 with a pidfd, fork and vfork, exec and _exit, waiting, pidfds,
// signalling, sessions, prctl, rlimits, fd-range close, helper processes. Where a call is
// meant for a child between fork/clone and exec it says so, and allocates nothing on its
// success path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
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
  int code = 0;          // exit code, or the signal number when signaled
  uint64_t user_ns = 0;  // CPU time of the child and of every descendant it reaped
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

// --- Identity ---

pid_t self_pid() noexcept;    // getpid(2)
pid_t parent_pid() noexcept;  // getppid(2): 0 when the parent is outside our PID namespace

// Field 22 of /proc/PID/stat: its start time in clock ticks since boot. With the PID it
// names one process for good (a PID can be reused; the pair cannot). 0: no such process.
uint64_t process_start_time(pid_t pid);
// The children of a process (/proc/PID/task/PID/children): none when it is gone.
std::vector<pid_t> child_pids(pid_t pid);

// pidfd_open(2): a handle on process pid that signals only it, even after its PID is
// reused (pidfd_kill). Take it while the process is known to be alive.
Result<UniqueFd> pidfd_open(pid_t pid);

// --- New processes ---

// fork(2): 0 in the child, its PID in the parent. Precondition as clone3_fork's.
Result<pid_t> fork_process();
// vfork(2), and child(arg) in the child, which borrows the caller's memory and stack until
// it execs or _exits (the caller is suspended meanwhile). child must end in exec or
// exit_now; if it returns, the child _exits with 127. In the child only async-signal-safe,
// allocation-free code: the caller's heap is shared. Returns the child's PID once it has
// exec'd or exited.
Result<pid_t> vfork_run(void (*child)(void*) noexcept, void* arg) noexcept;
// execve(2) of file. Returns only on failure, with its errno. Async-signal-safe.
int exec(const char* file, char* const argv[], char* const envp[]) noexcept;
// _exit(2): ends the process now, no atexit handlers, no stdio flush. The way out of a
// child after fork/clone/vfork.
[[noreturn]] void exit_now(int status) noexcept;

// fork + execv(argv[0], argv): a helper process (the daemon's launcher). In the child,
// before the exec, only async-signal-safe calls: the caller may have threads. The child
// gets parent_death_signal when the calling thread ends (so call it from a thread that
// lives as long as the helper should), and the signal mask is emptied.
Result<pid_t> spawn(const std::vector<std::string>& argv, int parent_death_signal);
// posix_spawn(3) of argv[0] (a path, not searched) with the caller's environment: stdin
// from /dev/null, stdout onto stdout_fd (or /dev/null when < 0), stderr onto stderr_fd
// (or /dev/null when < 0).
Result<pid_t> spawn_quiet(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd = -1);
// posix_spawn(3) of argv[0] in a new session (POSIX_SPAWN_SETSID): stdin from /dev/null,
// stdout and stderr onto out_fd, the signal mask emptied. A process that outlives its
// caller (an instance's supervisor); the caller reaps it only if it waits for it.
Result<pid_t> spawn_detached(const std::vector<std::string>& argv, int out_fd);

// --- Waiting and signalling ---

// waitpid(2) once (pid -1: any child; options: WNOHANG, ...): the PID reaped, 0 with
// WNOHANG when none is ready. EINTR comes back as an error. Allocation-free on success.
Result<pid_t> wait_child(pid_t pid, int* status, int options) noexcept;
// waitpid(pid) until it is reaped, retrying EINTR; the status is dropped. An error (the
// PID is not our child) ends the wait too.
void reap(pid_t pid) noexcept;

// --- Sessions ---

// setsid(2): a new session and process group, without a controlling terminal.
Status new_session() noexcept;
// setpgid(0, 0): a process group of the caller's own.
Status own_process_group() noexcept;

}  // namespace cordon::sys
