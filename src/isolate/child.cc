// Runs as the sandbox's first process (PID 1 of its PID namespace), fully privileged
// inside its own user namespace and unprivileged outside. Each step below is one call;
// the order is the recipe of DESIGN.md section 3, child side.
#include "isolate/child.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "base/exit_codes.h"
#include "isolate/caps.h"
#include "isolate/exec.h"
#include "isolate/init.h"
#include "isolate/mounts.h"
#include "isolate/pty.h"
#include "isolate/rlimits.h"
#include "isolate/sync.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/mount.h"
#include "sys/net.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/signals.h"

namespace cordon::isolate {
namespace {

// A credential change clears the parent-death signal: set it again, then make sure the
// supervisor did not die in between (its end of the sync socket would be closed), or
// this PID 1 would run on without anyone to stop it.
Status rearm_parent_death(int sync_fd) {
  TRY(sys::set_parent_death_signal(SIGKILL));
  struct pollfd p = {sync_fd, POLLRDHUP, 0};
  auto ready = sys::poll_fds(&p, 1, 0);
  if (ready.ok() && *ready > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
    return logic_error("supervisor", "", "gone during setup");
  return {};
}

// Step names for errors that do not come from one syscall.
Error at(const char* step, Error e) {
  if (e.step.empty()) e.step = step;
  return e;
}

Status setup(const ChildArgs& a) {
  const plan::LaunchPlan& p = *a.plan;
  // First of all, into the sandbox's cgroups (v1; on v2 we were cloned into it): nothing
  // runs, and no memory is charged, outside the limits. The fds were opened by the
  // supervisor, whose credentials the kernel checks.
  for (int fd : *a.cgroup_join_fds) {
    auto n = sys::write_fd(fd, "0", 1);
    if (!n.ok()) return errno_error(n.error().err, "join cgroup", "tasks");
    if (*n != 1) return sys_error("join cgroup", "tasks");
    sys::close_fd(fd);
  }
  // If the supervisor dies from here on, so do we (and, as PID 1, the whole sandbox).
  TRY(sys::set_parent_death_signal(SIGKILL));
  // Wait until the parent has written our ID maps; an EOF means it died first.
  std::vector<UniqueFd> trees;
  ASSIGN_OR_RETURN(SyncMsg go, recv_phase(a.sync_fd, &trees));
  a.timeline->mark(Mark::kMapsReceived);
  if (go.phase != Phase::kMapsWritten) return logic_error("sync", "", "unexpected phase");
  // The command writes into the supervisor's pipes, which count against the output limit.
  TRY(sys::dup_onto(a.stdout_fd, STDOUT_FILENO, "stdout"));
  TRY(sys::dup_onto(a.stderr_fd, STDERR_FILENO, "stderr"));
  // Nothing the caller left open may reach the sandbox (CVE-2024-21626: a leaked fd of a
  // host directory used as the cwd). The received trees are closed after mounting.
  std::vector<int> keep = {a.sync_fd, a.keep_fd};
  for (const auto& t : trees) keep.push_back(t.get());
  TRY(sys::close_fds_except(keep));
  // Become root of the user namespace: until now we carried the slot's base UID (the
  // namespace's owner, mapped to 0 now) and the caller's GIDs, unmapped inside.
  TRY(sys::set_ids(0, 0));
  TRY(rearm_parent_death(a.sync_fd));
  TRY(sys::clear_groups());
  // No user namespace may be made inside ours, whatever the seccomp profile (unconfined
  // or a permissive file): a nested one would give its creator every capability over
  // fresh mount and network namespaces, kernel surface that ours keeps out of reach.
  // The limit is our user namespace's own; the host's /proc is still the one we see.
  TRY(sys::write_file("/proc/sys/user/max_user_namespaces", "0"));
  // The cgroup namespace is made now that we sit in the sandbox's own cgroup.
  TRY(sys::unshare(CLONE_NEWCGROUP));

  sys::set_umask(0);
  {
    ASSIGN_OR_RETURN(UniqueFd host_root, enter_staging());
    TRY(apply_mounts(p.mounts, host_root.get(), MountContext{&trees, p.uid, p.gid}));
    trees.clear();
  }
  TRY(enter_new_root());
  a.timeline->mark(Mark::kMountsDone);
  sys::set_umask(022);

  TRY(sys::set_hostname(p.hostname));
  // A prepared namespace came with loopback up, and we hold no capability over it.
  if (!p.netns_prepared && !p.egress) TRY(sys::loopback_up());
  // A new session: the caller's terminal is no longer our controlling terminal, so
  // TIOCSTI cannot push keystrokes into it.
  TRY(sys::new_session());
  // -t: the command's terminal, made on the sandbox's own devpts; from here on the
  // sandbox holds nothing of the caller's stdio (isolate/pty.h).
  // --boot: the same terminal is the init's console, bound at /dev/console (an empty
  // file of the plan's /dev): what the init and its services write there reaches the
  // supervisor, which relays it to the caller's stdout (a terminal with -t).
  if (p.tty || p.boot) TRY(open_sandbox_terminal(a.sync_fd, p.uid, p.gid));
  if (p.boot) TRY(sys::bind_mount("/dev/pts/0", "/dev/console", /*recursive=*/false));
  TRY(change_workdir(p.workdir));
  TRY(apply_rlimits(p.rlimits));
  TRY(drop_privileges(p.uid, p.gid, p.caps, p.boot));
  TRY(rearm_parent_death(a.sync_fd));
  a.timeline->mark(Mark::kSetupDone);
  return {};
}

}  // namespace

void child_main(const ChildArgs& a) noexcept {
  a.timeline->mark(Mark::kChildStarted);
  // Start clean of the supervisor's signal state (exec keeps ignored signals ignored and
  // the mask as it is), but for the signals PID 1 will forward: held until it can.
  block_forwarded_signals();
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sys::set_default_action(sig);
  }
  auto st = setup(a);
  if (!st.ok()) {
    send_error(a.sync_fd, Phase::kSetupError, at("setup", std::move(st).error()));
    sys::exit_now(kExitSetupFailed);
  }
  // Prestarted: ready; the command, its environment and its stdin come with a caller.
  std::vector<std::string> argv = a.plan->argv, envp = a.plan->envp;
  if (a.plan->late_command) {
    auto cmd = recv_command(a.sync_fd);
    Status in = cmd.ok() ? sys::dup_onto(cmd->stdin_fd.get(), STDIN_FILENO, "stdin") : Status();
    if (!cmd.ok() || !in.ok()) {
      send_error(a.sync_fd, Phase::kSetupError,
                 at("receive command", cmd.ok() ? in.error() : cmd.error()));
      sys::exit_now(kExitSetupFailed);
    }
    argv = std::move(cmd->argv);
    envp = std::move(cmd->envp);
  }
  a.timeline->mark(Mark::kCommandReceived);
  // --boot: the command (the image's init) becomes PID 1 itself, and reaps for itself.
  if (a.plan->boot) exec_as_init(*a.plan, argv, envp, a.sync_fd, *a.timeline);
  // PID 1 stays as a small reaper; the command runs as its child (see init.h).
  sys::exit_now(run_init(*a.plan, argv, envp, a.sync_fd, *a.timeline));
}

}  // namespace cordon::isolate
