#include "isolate/init.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/exit_codes.h"
#include "isolate/exec.h"
#include "isolate/seccomp.h"
#include "isolate/sync.h"
#include "sys/process.h"

namespace cordon::isolate {
namespace {

volatile sig_atomic_t g_command_pid = 0;

void forward(int sig) {
  if (g_command_pid > 0) ::kill(g_command_pid, sig);
}

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  return set;
}

// Loads the filter; in report mode hands the listener to the supervisor, which answers
// every denied call from then on, and closes our copy.
Status load_seccomp(const plan::SeccompProgram& program, int sync_fd) {
  UniqueFd listener;
  TRY(load_filter(program, &listener));
  if (listener.valid()) TRY(send_phase(sync_fd, Phase::kSeccompListener, {listener.get()}));
  return {};
}

}  // namespace

void block_forwarded_signals() noexcept {
  sigset_t set = forwarded_set();
  ::sigprocmask(SIG_SETMASK, &set, nullptr);
}

int run_init(const plan::LaunchPlan& plan, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp, int sync_fd, const Timeline& timeline) noexcept {
  // The forwarded signals are still blocked (block_forwarded_signals): none is lost or
  // acted on by the command before it has its own dispositions.
  sigset_t none;
  sigemptyset(&none);

  // vfork: the command's process borrows our memory until its execve instead of copying
  // our page tables (a fork costs 3-4x as much, on the critical path of every start). We
  // are suspended meanwhile, so the child's allocations cannot race ours; its signal
  // mask and seccomp filter are its own (per task), and it ends in execve or _exit.
  pid_t pid = ::vfork();
  if (pid < 0) {
    send_error(sync_fd, Phase::kSetupError, sys_error("vfork", "command"));
    return kExitSetupFailed;
  }
  if (pid == 0) {
    timeline.mark(Mark::kCommandForked);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // The filter is the last step before exec: nothing of cordon's own runs under it but
    // the PATH search and, in report mode, the hand-off of its listener.
    if (plan.seccomp) {
      Status st = load_seccomp(*plan.seccomp, sync_fd);
      if (!st.ok()) {
        send_error(sync_fd, Phase::kSetupError, st.error());
        ::_exit(kExitSetupFailed);
      }
    }
    timeline.mark(Mark::kSeccompLoaded);
    timeline.mark(Mark::kExec);
    Error e = exec_command(argv, envp);
    send_error(sync_fd, Phase::kExecError, e);
    ::_exit(exec_failure_status(e.err));
  }

  // Nobody inside may ptrace PID 1 or read its fds (it holds the sync socket and the slot lock).
  (void)sys::set_not_dumpable();
  g_command_pid = pid;
  struct sigaction sa = {};
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  for (int s : kForwarded) ::sigaction(s, &sa, nullptr);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // what came during setup is forwarded now

  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(-1, &status, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      send_error(sync_fd, Phase::kSetupError, sys_error("waitpid", "command"));
      return kExitSetupFailed;
    }
    if (r != pid) continue;  // an orphan, reaped
    timeline.mark(Mark::kCommandEnded);
    if (WIFSIGNALED(status)) {
      send_exit(sync_fd, true, WTERMSIG(status));
      return 128 + WTERMSIG(status);
    }
    send_exit(sync_fd, false, WEXITSTATUS(status));
    return WEXITSTATUS(status);
  }
}

}  // namespace cordon::isolate
