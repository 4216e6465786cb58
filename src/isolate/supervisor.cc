#include "isolate/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "isolate/exec.h"
#include "isolate/output.h"
#include "isolate/pty.h"
#include "isolate/seccomp.h"
#include "isolate/sync.h"
#include "sys/clock.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/pty.h"

namespace cordon::isolate {

uint64_t monotonic_ns() {
  return sys::monotonic_ns();
}

namespace {

// How often CPU time is read at most; the overshoot of --cpu-time is below this times
// the CPUs the sandbox may use.
constexpr uint64_t kCpuCheckNs = 50'000'000;

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
      // PID 1 reports the command's process's status also when that process failed
      // before its exec (the seccomp filter could not be loaded): the error stands.
      if (out->kind == Outcome::Kind::kExecFailed) break;
      if (out->kind == Outcome::Kind::kSetupFailed && !out->error.step.empty()) break;
      out->kind = m.signaled ? Outcome::Kind::kSignaled : Outcome::Kind::kExited;
      out->code = m.code;
      break;
    case Phase::kMapsWritten:
    case Phase::kSeccompListener:  // handled by Supervision::on_sync
    case Phase::kTerminal:
      break;
  }
}

// Everything that decides when the sandbox ends.
class Supervision {
 public:
  Supervision(Sandbox& sb, Cgroup& cg, const spec::Limits& limits, SignalForwarder& signals,
              const SuperviseOptions& o)
      : sb_(sb),
        cg_(cg),
        limits_(limits),
        signals_(signals),
        // -t: the output pipes are not the command's (the terminal's master is, once it
        // comes); nothing writes to them.
        // --boot: the console is the only output, as with -t.
        pump_(o.tty || o.boot ? UniqueFd() : std::move(sb.stdout_read),
              o.tty || o.boot ? UniqueFd() : std::move(sb.stderr_read), o.stdout_dest,
              o.stderr_dest, limits.output_bytes),
        seccomp_(o.seccomp),
        wall_deadline_(o.start_ns + limits.wall_ns),
        boot_(o.boot),
        stop_grace_ns_(o.stop_grace_ns) {
    if (o.tty) tty_.emplace(o.stdin_src);
  }

  Result<Outcome> run() {
    while (running() || sync_open_ || pump_.open()) {
      struct pollfd pfd[8] = {
          {sync_open_ ? sb_.sync_fd() : -1, POLLIN, 0},
          {pump_.poll_fd(OutputPump::kOut), pump_.poll_events(OutputPump::kOut), 0},
          {pump_.poll_fd(OutputPump::kErr), pump_.poll_events(OutputPump::kErr), 0},
          {signals_.fd(), POLLIN, 0},
          {reporter_ ? reporter_->fd() : -1, POLLIN, 0},
          {tty_ ? tty_->poll_fd() : -1, tty_ ? tty_->poll_events() : short(0), 0},
          {tty_ ? tty_->resize_fd() : -1, POLLIN, 0},
          {boot_ && !pid1_gone_ ? sb_.pidfd() : -1, POLLIN, 0}};
      auto polled = sys::poll_fds(pfd, 8, timeout_ms());
      if (!polled.ok() && polled.error().err != EINTR) return std::move(polled).error();
      int n = polled.ok() ? *polled : -1;
      if (n > 0) {
        if (pfd[7].revents & (POLLIN | POLLHUP)) on_pid1_gone();
        if (pfd[3].revents & POLLIN) {
          // --boot: a termination signal is a stop, not a signal for the init to die of.
          if (boot_) {
            if (signals_.drain()) stop();
          } else {
            signals_.forward_to(sb_.pidfd());
          }
        }
        // A denied call waits for its answer: serve the listener first.
        if (pfd[4].revents & POLLIN) answer_denied_call();
        if (pfd[4].revents & (POLLHUP | POLLERR)) close_reporter();
        for (auto s : {OutputPump::kOut, OutputPump::kErr}) {
          if (pfd[1 + s].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) TRY(pump_.on_ready(s));
        }
        if (pump_.over_limit()) hit(LimitHit::kOutput);
        // A resize before the input that came with it: what is typed after a resize
        // reaches a terminal of the new size.
        if (pfd[6].revents & POLLIN) tty_->on_resize();
        if (pfd[5].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) tty_->on_ready();
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
          std::vector<UniqueFd> fds;
          auto m = recv_phase(sb_.sync_fd(), &fds);
          if (m.ok()) {
            TRY(on_sync(*m, std::move(fds)));
          } else {
            sync_open_ = false;  // EOF: PID 1 and everyone who held the socket are gone
          }
        }
      }
      check_time();
    }
    ASSIGN_OR_RETURN(sys::ExitInfo pid1, sys::wait_pidfd(sb_.pidfd()));
    sb_.mark_reaped();
    bool reported = out_.kind != Outcome::Kind::kSetupFailed || !out_.error.step.empty();
    if (!reported && boot_) {
      // The init was PID 1 itself: its own end is the command's.
      out_.kind = pid1.signaled ? Outcome::Kind::kSignaled : Outcome::Kind::kExited;
      out_.code = pid1.code;
    } else if (!reported) {
      out_.kind = Outcome::Kind::kKilled;
      out_.code = pid1.signaled ? pid1.code : 0;
    }
    close_reporter();
    out_.output_bytes = pump_.bytes() - pump_.dropped_bytes();
    out_.output_dropped_bytes = pump_.dropped_bytes();
    out_.stdout_mid_line = pump_.mid_line(OutputPump::kOut);
    out_.stderr_mid_line = pump_.mid_line(OutputPump::kErr);
    out_.cpu_user_ns = pid1.user_ns;
    out_.cpu_system_ns = pid1.system_ns;
    return out_;
  }

 private:
  // Whether PID 1 is still there: its reports on the sync socket say so, but under
  // --boot the socket closes at its exec and only its pidfd tells.
  bool running() const { return boot_ ? !pid1_gone_ : sync_open_; }

  void on_pid1_gone() {
    pid1_gone_ = true;
    console_peer_.reset();  // the relay ends at the master's EIO, with what is left read
    if (out_.stop_requested) out_.stop_ns = monotonic_ns() - stop_at_;
  }

  // --boot: systemd's halt (SIGRTMIN+3, systemd(1)); the sandbox is killed if the init
  // has not ended by the grace. Once only: a second signal changes nothing.
  void stop() {
    if (out_.stop_requested || !running()) return;
    out_.stop_requested = true;
    stop_at_ = monotonic_ns();
    stop_deadline_ = stop_at_ + stop_grace_ns_;
    send_halt();
  }

  // The kernel drops a signal that a PID namespace's init neither handles nor blocks, so
  // the halt is sent once PID 1 would take it: caught (SigCgt of its status) or blocked
  // (SigBlk: systemd blocks its signals and reads them from a signalfd). A stop asked
  // while the sandbox is still set up, or before systemd has got that far, is held until
  // then (check_time tries again) rather than lost.
  void send_halt() {
    if (halt_sent_ || !init_takes(SIGRTMIN + 3)) return;
    halt_sent_ = sys::pidfd_kill(sb_.pidfd(), SIGRTMIN + 3).ok();
  }

  bool init_takes(int sig) const {
    auto status = sys::read_small_file("/proc/" + std::to_string(sb_.pid()) + "/status", 1 << 16);
    if (!status.ok()) return false;
    unsigned long long mask = 0;
    for (const char* key : {"\nSigBlk:", "\nSigCgt:"}) {
      size_t at = status->find(key);
      if (at == std::string::npos) return false;
      mask |= std::strtoull(status->c_str() + at + 8, nullptr, 16);
    }
    return (mask >> (sig - 1)) & 1;
  }

  // Ends the sandbox: every member of the cgroup (frozen first on v1), then PID 1, whose
  // exit takes the PID namespace with it. The first limit hit is the one reported.
  void hit(LimitHit what) {
    if (out_.limit != LimitHit::kNone) return;
    out_.limit = what;
    kill_sandbox();
  }

  void kill_sandbox() {
    auto st = cg_.kill_all();
    if (!st.ok()) out_.kill_error = std::move(st).error();
    (void)sys::pidfd_kill(sb_.pidfd(), SIGKILL);
  }

  void check_time() {
    uint64_t now = monotonic_ns();
    // Output a destination has not taken by the deadline is not waited for any longer:
    // a stopped terminal or a reader that never reads cannot hold the supervisor.
    if (now >= wall_deadline_ && pump_.holding()) pump_.drop_held();
    // The limits apply to a running sandbox: once PID 1 has gone, there is nothing to end.
    if (!running()) return;
    if (out_.stop_requested && !halt_sent_) send_halt();
    if (out_.stop_requested && !out_.stop_killed && now >= stop_deadline_) {
      out_.stop_killed = true;
      return kill_sandbox();
    }
    if (out_.limit != LimitHit::kNone) return;
    if (now >= wall_deadline_) {
      if (!boot_) return hit(LimitHit::kWallTime);
      // --boot: the limit is a stop first; the init halts, or is killed after the grace.
      if (out_.stop_requested) return;
      out_.limit = LimitHit::kWallTime;
      return stop();
    }
    if (limits_.cpu_time_ns != 0 && now >= next_cpu_check_) {
      auto used = cg_.cpu_usage_ns();
      if (used.ok() && *used >= limits_.cpu_time_ns) return hit(LimitHit::kCpuTime);
      // Check again before the rest could be used up at the sandbox's CPU quota.
      uint64_t left = used.ok() ? limits_.cpu_time_ns - *used : kCpuCheckNs;
      uint64_t at_quota = left * 1000 / std::max<uint32_t>(limits_.cpu_millis, 1);
      next_cpu_check_ = now + std::clamp<uint64_t>(at_quota, 1'000'000, kCpuCheckNs);
    }
  }

  Status on_sync(const SyncMsg& m, std::vector<UniqueFd> fds) {
    if (m.phase == Phase::kTerminal) return on_terminal(std::move(fds));
    if (m.phase != Phase::kSeccompListener) {
      record(m, &out_);
      return {};
    }
    if (fds.size() != 1 || seccomp_ == nullptr || reporter_) return {};
    auto r = SeccompReporter::create(std::move(fds[0]), *seccomp_);
    if (r.ok()) {
      reporter_.emplace(std::move(r).value());
    } else {
      out_.seccomp_error = std::move(r).error();  // the listener closes: calls get ENOSYS
    }
    return {};
  }

  // -t: the master of the sandbox's terminal, once: its output is the command's stdout,
  // the caller's stdin goes into it.
  Status on_terminal(std::vector<UniqueFd> fds) {
    if (fds.size() != 1 || !(tty_ || boot_) || terminal_attached_) return {};
    // --boot: a slave of our own keeps the console alive while the init has none open
    // (systemd closes its stdio and reopens /dev/console): without one, the master reads
    // EIO, which ends the relay, and a later open of /dev/console fails with EIO. Closed
    // once PID 1 has ended.
    if (boot_) {
      ASSIGN_OR_RETURN(console_peer_, sys::open_pty_peer(fds[0].get()));
    }
    if (!tty_) {
      // --boot without -t: the console's output only; nothing is typed into it.
      pump_.set_source(OutputPump::kOut, std::move(fds[0]));
      terminal_attached_ = true;
      return {};
    }
    ASSIGN_OR_RETURN(UniqueFd copy, sys::duplicate_fd(fds[0].get()));
    pump_.set_source(OutputPump::kOut, std::move(fds[0]));
    tty_->attach(std::move(copy));
    terminal_attached_ = true;
    return {};
  }

  void answer_denied_call() {
    auto st = reporter_->handle_one();
    if (!st.ok()) {
      // Never leave the listener unserved: closing it makes the kernel fail further
      // notified calls instead of blocking them.
      out_.seccomp_error = std::move(st).error();
      close_reporter();
    }
  }

  void close_reporter() {
    if (!reporter_) return;
    out_.seccomp_denials = reporter_->denials();
    reporter_.reset();
  }

  int timeout_ms() const {
    uint64_t now = monotonic_ns();
    uint64_t until = wall_deadline_;
    if (out_.stop_requested && !out_.stop_killed) {
      // Until the halt is sent, PID 1's handlers are looked at every 10 ms.
      until = halt_sent_ ? stop_deadline_ : std::min(stop_deadline_, now + 10'000'000);
    } else if (out_.limit != LimitHit::kNone || (!running() && now >= wall_deadline_)) {
      // Only waiting for the end now (the last writers of the output to go), and for held
      // output until the deadline: no limit left to check at once, so no busy loop.
      until = now + 100'000'000;
      if (pump_.holding()) until = std::min(until, wall_deadline_);
    } else if (limits_.cpu_time_ns != 0 && running()) {
      until = std::min(until, next_cpu_check_);
    }
    if (until <= now) return 0;
    return static_cast<int>(std::min<uint64_t>((until - now + 999'999) / 1'000'000, 60'000));
  }

  Sandbox& sb_;
  Cgroup& cg_;
  const spec::Limits& limits_;
  SignalForwarder& signals_;
  OutputPump pump_;
  std::optional<TerminalRelay> tty_;  // -t: the caller's terminal in raw mode until the end
  bool terminal_attached_ = false;
  const plan::SeccompProgram* seccomp_;
  std::optional<SeccompReporter> reporter_;
  Outcome out_;
  uint64_t wall_deadline_;
  uint64_t next_cpu_check_ = 0;
  bool sync_open_ = true;
  bool boot_ = false;
  uint64_t stop_grace_ns_ = 0;
  bool pid1_gone_ = false;
  UniqueFd console_peer_;  // --boot: see on_terminal
  uint64_t stop_at_ = 0;
  uint64_t stop_deadline_ = 0;
  bool halt_sent_ = false;
};

}  // namespace

Result<Outcome> supervise(Sandbox& sandbox, Cgroup& cgroup, const spec::Limits& limits,
                          SignalForwarder& signals, const SuperviseOptions& options) {
  Supervision s(sandbox, cgroup, limits, signals, options);
  return s.run();
}

}  // namespace cordon::isolate
