// Parent side of a sandbox start. Runs in a single-threaded supervisor with the caller's
// host privileges; the child half is in child.cc.
#include "isolate/launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "isolate/child.h"
#include "isolate/exec.h"
#include "isolate/host_trees.h"
#include "isolate/sync.h"
#include "plan/id_range.h"
#include "sys/creds.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/socket.h"

namespace cordon::isolate {

Sandbox::~Sandbox() {
  if (!pidfd_.valid()) return;
  (void)sys::pidfd_kill(pidfd_.get(), SIGKILL);
  (void)sys::wait_pidfd(pidfd_.get());
}

Result<Sandbox> launch(const plan::LaunchPlan& plan, const IdSlot& slot) {
  ASSIGN_OR_RETURN(auto pair, sys::seqpacket_pair());
  auto [parent_end, child_end] = std::move(pair);

  // [limits] the cgroup is created and its limits written before the clone (issue 3).
  ASSIGN_OR_RETURN(sys::CloneResult c, sys::clone3_fork(plan.clone_flags));
  if (c.pid == 0) {
    parent_end.reset();
    child_main(ChildArgs{&plan, child_end.get(), slot.lock_fd()});
  }
  child_end.reset();
  Sandbox sb(c.pid, std::move(c.pidfd), std::move(parent_end));

  // The child waits, unprivileged everywhere, until its IDs are mapped to the slot.
  TRY(sys::write_id_map(c.pid, "uid_map", plan::id_map_line(slot.uid_base())));
  TRY(sys::write_id_map(c.pid, "gid_map", plan::id_map_line(slot.gid_base())));
  // [network] a granted network would be wired here; by default the netns has lo only.
  std::vector<UniqueFd> trees;
  if (plan.mounts.tree_count() > 0) {
    ASSIGN_OR_RETURN(UniqueFd userns, sys::open_ns(c.pid, "user"));
    ASSIGN_OR_RETURN(trees, open_host_trees(plan.mounts, userns.get()));
  }
  std::vector<int> fds;
  for (const auto& t : trees) fds.push_back(t.get());
  TRY(send_phase(sb.sync_fd(), Phase::kMapsWritten, fds));
  return sb;
}

namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Blocks the forwarded signals and reads them from a signalfd; restores the mask when done.
class SignalForwarder {
 public:
  SignalForwarder() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwardedSignals) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, &old_);
    fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~SignalForwarder() {
    fd_.reset();
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  int fd() const { return fd_.get(); }
  void forward_to(int pidfd) {
    struct signalfd_siginfo si;
    while (::read(fd_.get(), &si, sizeof(si)) == sizeof(si))
      (void)sys::pidfd_kill(pidfd, static_cast<int>(si.ssi_signo));
  }

 private:
  sigset_t old_;
  UniqueFd fd_;
};

void record(const SyncMsg& m, Outcome* out) {
  switch (m.phase) {
    case Phase::kSetupError:
      if (out->kind != Outcome::Kind::kExecFailed) {
        out->kind = Outcome::Kind::kSetupFailed;
        out->error = to_error(m);
      }
      break;
    case Phase::kExecError:
      out->kind = Outcome::Kind::kExecFailed;
      out->error = to_error(m);
      out->code = exec_failure_status(m.err);
      break;
    case Phase::kExited:
      if (out->kind == Outcome::Kind::kExecFailed) break;
      out->kind = m.signaled ? Outcome::Kind::kSignaled : Outcome::Kind::kExited;
      out->code = m.code;
      break;
    case Phase::kMapsWritten:
      break;
  }
}

}  // namespace

Result<Outcome> supervise(Sandbox& sb) {
  SignalForwarder signals;
  Outcome out;
  // The sync socket reaches EOF once PID 1 and every process that still held it are gone;
  // the command never holds it (close-on-exec).
  for (;;) {
    struct pollfd pfd[2] = {{sb.sync_fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    int n = ::poll(pfd, signals.fd() >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("poll");
    }
    if (pfd[1].revents & POLLIN) signals.forward_to(sb.pidfd());
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto m = recv_phase(sb.sync_fd());
      if (!m.ok()) break;  // EOF
      record(*m, &out);
    }
  }
  ASSIGN_OR_RETURN(sys::ExitInfo pid1, sys::wait_pidfd(sb.pidfd()));
  sb.mark_reaped();
  if (out.kind == Outcome::Kind::kSetupFailed && out.error.step.empty()) {
    // PID 1 died without a word: killed from outside before it could report.
    out.error =
        logic_error("sandbox", "",
                    pid1.signaled ? "PID 1 was killed by signal " + std::to_string(pid1.code)
                                  : "PID 1 exited early");
  }
  return out;
}

}  // namespace cordon::isolate
