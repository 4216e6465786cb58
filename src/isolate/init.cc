#include "isolate/init.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/exit_codes.h"
#include "isolate/exec.h"
#include "isolate/pty.h"
#include "isolate/seccomp.h"
#include "isolate/sync.h"
#include "sys/process.h"
#include "sys/signals.h"

namespace cordon::isolate {
namespace {

volatile sig_atomic_t g_command_pid = 0;

void forward(int sig) {
  if (g_command_pid > 0) (void)sys::send_signal(g_command_pid, sig);
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

// What the command's process needs, in the frame of run_init (which vfork lends it).
struct CommandArgs {
  const plan::LaunchPlan* plan;
  const std::vector<std::string>* argv;
  const std::vector<std::string>* envp;
  int sync_fd;
  const Timeline* timeline;
};

// The command's process, between vfork and execve: it ends in one or the other.
void command_child(void* p) noexcept {
  const CommandArgs& a = *static_cast<const CommandArgs*>(p);
  sigset_t none;
  sigemptyset(&none);
  a.timeline->mark(Mark::kCommandForked);
  (void)sys::set_signal_mask(SIG_SETMASK, none);
  // -t: a session of the command's own, the sandbox's terminal its controlling one (so
  // that its Ctrl-C reaches the command's foreground group, not PID 1).
  if (a.plan->tty) {
    Status st = take_sandbox_terminal();
    if (!st.ok()) {
      send_error(a.sync_fd, Phase::kSetupError, st.error());
      sys::exit_now(kExitSetupFailed);
    }
  }
  // Built before the filter: under it, nothing of cordon's but the execve calls runs
  // until one succeeds, so a process the filter kills died at its execve.
  ExecCall call = prepare_exec(*a.argv, *a.envp);
  // The filter is the last step before exec: nothing of cordon's own runs under it but
  // the PATH search and, in report mode, the hand-off of its listener.
  if (a.plan->seccomp) {
    Status st = load_seccomp(*a.plan->seccomp, a.sync_fd);
    if (!st.ok()) {
      send_error(a.sync_fd, Phase::kSetupError, st.error());
      sys::exit_now(kExitSetupFailed);
    }
  }
  a.timeline->mark(Mark::kSeccompLoaded);
  a.timeline->mark(Mark::kExec);
  int err = run_exec(call);
  // On the shared page first: the filter may deny the report on the socket below.
  a.timeline->note_exec_errno(err);
  a.timeline->mark(Mark::kExecFailed);
  send_error(a.sync_fd, Phase::kExecError, errno_error(err, "execve", (*a.argv)[0]));
  sys::exit_now(exec_failure_status(err));
}

}  // namespace

void block_forwarded_signals() noexcept {
  sigset_t set = forwarded_set();
  (void)sys::set_signal_mask(SIG_SETMASK, set);
}

void exec_as_init(const plan::LaunchPlan& plan, const std::vector<std::string>& argv,
                  const std::vector<std::string>& envp, int sync_fd,
                  const Timeline& timeline) noexcept {
  // The forwarded signals were held blocked during the setup; the init sets up its own
  // handlers, and a signal it has none for is ignored by a PID namespace's init.
  sigset_t none;
  sigemptyset(&none);
  (void)sys::set_signal_mask(SIG_SETMASK, none);
  timeline.mark(Mark::kCommandForked);  // no fork: PID 1 is the command's process
  ExecCall call = prepare_exec(argv, envp);
  if (plan.seccomp) {
    Status st = load_seccomp(*plan.seccomp, sync_fd);
    if (!st.ok()) {
      send_error(sync_fd, Phase::kSetupError, st.error());
      sys::exit_now(kExitSetupFailed);
    }
  }
  timeline.mark(Mark::kSeccompLoaded);
  timeline.mark(Mark::kExec);
  int err = run_exec(call);
  timeline.note_exec_errno(err);
  timeline.mark(Mark::kExecFailed);
  send_error(sync_fd, Phase::kExecError, errno_error(err, "execve", argv[0]));
  sys::exit_now(exec_failure_status(err));
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
  CommandArgs args{&plan, &argv, &envp, sync_fd, &timeline};
  auto forked = sys::vfork_run(command_child, &args);
  if (!forked.ok()) {
    send_error(sync_fd, Phase::kSetupError, errno_error(forked.error().err, "vfork", "command"));
    return kExitSetupFailed;
  }
  pid_t pid = *forked;

  // Nobody inside may ptrace PID 1 or read its fds (it holds the sync socket and the slot lock).
  (void)sys::set_not_dumpable();
  g_command_pid = pid;
  struct sigaction sa = {};
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  for (int s : kForwarded) (void)sys::set_signal_action(s, sa);
  (void)sys::set_signal_mask(SIG_SETMASK, none);  // what came during setup is forwarded now

  for (;;) {
    int status = 0;
    auto r = sys::wait_child(-1, &status, 0);
    if (!r.ok()) {
      if (r.error().err == EINTR) continue;
      send_error(sync_fd, Phase::kSetupError, errno_error(r.error().err, "waitpid", "command"));
      return kExitSetupFailed;
    }
    if (*r != pid) continue;  // an orphan, reaped
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
