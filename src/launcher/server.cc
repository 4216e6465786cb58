#include "launcher/server.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>

#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "engine/result_json.h"
#include "engine/run.h"
#include "launcher/netns_pool.h"
#include "launcher/wire.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/signals.h"
#include "sys/socket.h"

namespace cordon::launcher {
namespace {


sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
  return set;
}

// A reply the caller may never read (it hung up): nothing to do about a failed send.
void send_reply(int conn, const Reply& reply) {
  (void)send_message(conn, encode_reply(reply));
}

// A request refused before any sandbox was tried: the status, and why in the place of a
// result, so that the caller can say it.
void refuse(int conn, int32_t status, const Error& why) {
  nlohmann::json j = {{"error", why.to_string()}};
  send_reply(conn, Reply{status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

// The sandbox a warm supervisor starts ahead: `cordon run`'s defaults. The command is a
// placeholder: the request's replaces it.
const spec::SandboxSpec& warm_spec() {
  static const spec::SandboxSpec spec = [] {
    spec::SandboxSpec s;
    s.argv = {"/bin/true"};
    return s;
  }();
  return spec;
}

plan::CallerEnv caller_env(const Request& req, bool netns_prepared) {
  return plan::CallerEnv{req.term, req.lang, netns_prepared};
}

// A forked supervisor's first steps: the launcher's signal handling undone, and into the
// pooled network namespace for good (the sandbox's clone then leaves CLONE_NEWNET out).
// Returns whether it is in one; a failure to enter is fatal.
bool enter_supervisor(UniqueFd netns, const sigset_t& old_mask) {
  (void)sys::set_signal_mask(SIG_SETMASK, old_mask);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sys::set_default_action(s);
  // A process group of its own: what others send to the launcher's group (a terminal's
  // Ctrl-C, a tool signalling its group) reaches its sandbox only through the launcher.
  (void)sys::own_process_group();
  if (!netns.valid()) return false;
  Status entered = sys::set_ns(netns.get(), CLONE_NEWNET);
  if (!entered.ok()) {
    log(LogLevel::kError, "launcher: pooled network namespace: " + entered.error().to_string());
    sys::exit_now(kExitSetupFailed);
  }
  return true;
}

// Takes the caller's stdio, says it started, runs, and replies with the status and the
// result. Ends the process.
template <typename Run>
[[noreturn]] void serve_request(int conn, std::vector<UniqueFd>& fds, Run run) {
  for (int i = 0; i < 3; ++i) {
    if (!sys::dup_onto(fds[i].get(), i, "stdio").ok()) sys::exit_now(kExitSetupFailed);
  }
  fds.clear();
  (void)sys::change_dir("/");
  Reply reply{kExitSetupFailed, ""};
  auto hung_up = sys::signal_on_hangup(conn, SIGHUP);
  // With a pidfd of this supervisor: the caller may signal it later without the risk
  // of a reused PID, even if it has exited by the time the message is read.
  std::string started = encode_started(static_cast<int32_t>(sys::self_pid()));
  auto self = sys::pidfd_open(sys::self_pid());
  std::vector<int> pidfd;
  if (self.ok()) pidfd.push_back(self->get());
  if (hung_up.ok() && !*hung_up &&
      sys::send_msg(conn, started.data(), started.size(), pidfd).ok()) {
    if (self.ok()) self->reset();  // sent: not this process's to keep
    engine::RunResult r = run();
    reply = Reply{r.exit_status(), engine::result_to_json(r)};
  }
  std::fflush(stdout);
  std::fflush(stderr);
  send_reply(conn, reply);
  sys::exit_now(0);
}

// A warm supervisor: starts its sandbox, then waits for the one request the launcher
// hands it (the request's bytes; fds: the caller's connection, stdin, stdout, stderr).
// An EOF (the launcher stopped or died) ends the unused sandbox.
[[noreturn]] void warm_main(UniqueFd sock, UniqueFd netns, const sigset_t& old_mask) {
  bool prepared = enter_supervisor(std::move(netns), old_mask);
  Request placeholder;
  auto started = engine::prestart(warm_spec(), caller_env(placeholder, prepared));
  if (!started.ok())
    log(LogLevel::kError, "launcher: warm sandbox: " + started.error().to_string());
  std::vector<UniqueFd> fds;
  auto bytes = recv_message(sock.get(), kMaxRequestBytes, &fds);
  Result<Request> req = bytes.ok() && !bytes->empty() && fds.size() == 4
                            ? decode_request(*bytes)
                            : Result<Request>(errno_error(EPROTO, "warm request", "none"));
  if (!req.ok()) {
    // Unused: its sandbox ends like any other (killed, its cgroup removed, its slot
    // released) before this process does.
    if (!started.ok()) sys::exit_now(kExitSetupFailed);
    std::move(started).value().reset();
    sys::exit_now(0);
  }
  UniqueFd conn = std::move(fds[0]);
  fds.erase(fds.begin());
  serve_request(conn.get(), fds, [&]() -> engine::RunResult {
    // Its sandbox could not start, or cannot serve this request after all (gone now): a
    // cold start, in a network namespace of its own (the pooled one was the warm one's).
    if (started.ok()) {
      auto r = engine::run_prestarted(std::move(started).value(), req->spec,
                                      caller_env(*req, prepared));
      if (r) return std::move(*r);
    }
    return engine::run(req->spec, caller_env(*req, false));
  });
}

class Launcher {
 public:
  explicit Launcher(const ServeOptions& o) : o_(o) {}

  Status run() {
    warm_target_ = o_.warm;
    sigset_t set = handled_signals();
    TRY(sys::set_signal_mask(SIG_BLOCK, set, &old_mask_));
    ASSIGN_OR_RETURN(signals_, sys::signal_fd(set, SFD_CLOEXEC));
    size_t slash = o_.socket_path.rfind('/');
    if (slash != std::string::npos && slash > 0)
      TRY(sys::make_dirs(o_.socket_path.substr(0, slash), 0755));
    ASSIGN_OR_RETURN(pool_, NetnsPool::create(o_.netns_pool));
    ASSIGN_OR_RETURN(listener_, sys::listen_unix(o_.socket_path, o_.mode));
    if (o_.ready) o_.ready(o_.socket_path);
    Status st = loop();
    (void)sys::unlink_path(o_.socket_path);
    listener_.reset();
    stop_children();
    (void)sys::set_signal_mask(SIG_SETMASK, old_mask_);
    return st;
  }

 private:
  Status loop() {
    for (;;) {
      struct pollfd p[2] = {{listener_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
      // Idle and a pool is short: fill it now, not when a caller waits. A warm
      // supervisor is a fork here (its sandbox starts in parallel); a namespace first
      // when there is none to give it.
      bool warm_short = warm_.size() < warm_target_;
      auto polled = sys::poll_fds(p, 2, warm_short || pool_.wants_more() ? 0 : -1);
      if (!polled.ok()) {
        if (polled.error().err == EINTR) continue;
        return std::move(polled).error();
      }
      int n = *polled;
      if (n == 0) {
        if (warm_short && (pool_.ready() > 0 || o_.netns_pool == 0)) {
          spawn_warm();
          continue;
        }
        // A failure here may leave us outside our own namespace: stop serving.
        TRY(pool_.fill_one());
        continue;
      }
      if (p[1].revents & POLLIN) {
        signalfd_siginfo si;
        while (sys::read_signal(signals_.get(), &si)) {
          if (si.ssi_signo == SIGCHLD) reap();
          if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) return {};
          struct pollfd again = {signals_.get(), POLLIN, 0};
          auto more = sys::poll_fds(&again, 1, 0);
          if (!more.ok() || *more <= 0) break;
        }
      }
      if (p[0].revents & POLLIN) accept_one();
    }
  }

  void accept_one() {
    auto conn = sys::accept_conn(listener_.get());
    if (!conn.ok()) {
      log(LogLevel::kWarn, "launcher: " + conn.error().to_string());
      return;
    }
    // The socket's mode admits callers; only the launcher's own UID may start sandboxes
    // (they run with the launcher's privileges).
    auto uid = sys::peer_uid(conn->get());
    if (!uid.ok() || *uid != sys::effective_uid()) {
      log(LogLevel::kWarn, "launcher: refused a caller of another UID");
      return;
    }
    std::vector<UniqueFd> fds;
    // A caller that connects and sends nothing must not hold the single thread.
    (void)sys::set_recv_timeout(conn->get(), 1000);
    auto bytes = recv_message(conn->get(), kMaxRequestBytes, &fds);
    if (bytes.ok() && bytes->empty()) return;  // connected and hung up: a probe of whether it listens
    Result<Request> req = bytes.ok() ? decode_request(*bytes) : Result<Request>(bytes.error());
    if (req.ok() && fds.size() != 3)
      req = errno_error(EPROTO, "launcher request", "needs exactly 3 fds");
    if (!req.ok()) {
      log(LogLevel::kWarn, "launcher: " + req.error().to_string());
      refuse(conn->get(), kExitUsage, req.error());
      return;
    }
    if (hand_to_warm(*req, *bytes, conn->get(), fds)) return;
    UniqueFd netns = pool_.take();  // this sandbox's alone: the pool forgets it
    auto forked = sys::fork_process();
    if (!forked.ok()) {
      int err = forked.error().err;
      log(LogLevel::kError, std::string("launcher: fork: ") + std::strerror(err));
      refuse(conn->get(), kExitSetupFailed, errno_error(err, "fork", "supervisor"));
      return;
    }
    pid_t pid = *forked;
    if (pid == 0) {
      close_in_child();
      bool prepared = enter_supervisor(std::move(netns), old_mask_);
      serve_request(conn->get(), fds, [&] { return engine::run(req->spec, caller_env(*req, prepared)); });
    }
    children_.insert(pid);
  }

  // A child must hold none of the launcher's fds but its own.
  void close_in_child() {
    listener_.reset();
    signals_.reset();
    warm_.clear();
    pool_ = NetnsPool();  // namespaces meant for other sandboxes, and the launcher's own
  }

  void spawn_warm() {
    auto pair = sys::seqpacket_pair();
    if (!pair.ok()) {
      log(LogLevel::kWarn, "launcher: warm pool: " + pair.error().to_string());
      warm_target_ = 0;
      return;
    }
    UniqueFd netns = pool_.take();
    auto forked = sys::fork_process();
    if (!forked.ok()) {
      log(LogLevel::kWarn,
          std::string("launcher: warm pool: fork: ") + std::strerror(forked.error().err));
      if (++warm_failures_ >= 3) warm_target_ = 0;
      return;
    }
    pid_t pid = *forked;
    if (pid == 0) {
      close_in_child();
      pair->first.reset();
      warm_main(std::move(pair->second), std::move(netns), old_mask_);
    }
    children_.insert(pid);
    warm_.push_back(Warm{pid, std::move(pair->first)});
  }

  // A request the warm profile fits goes to the oldest warm supervisor, with the
  // caller's connection and fds; it is forgotten here. False: serve it cold.
  bool hand_to_warm(const Request& req, const std::string& bytes, int conn,
                    const std::vector<UniqueFd>& fds) {
    if (!spec::same_sandbox(req.spec, warm_spec())) return false;
    while (!warm_.empty()) {
      Warm w = std::move(warm_.front());
      warm_.pop_front();
      Status sent =
          send_message(w.sock.get(), bytes, {conn, fds[0].get(), fds[1].get(), fds[2].get()});
      if (sent.ok()) {
        warm_served_.insert(w.pid);
        return true;
      }
      // That one died (its start failed): try the next.
    }
    return false;
  }

  void reap() {
    for (;;) {
      auto reaped = sys::wait_child(-1, nullptr, WNOHANG);
      if (!reaped.ok() || *reaped <= 0) return;
      pid_t pid = *reaped;
      children_.erase(pid);
      if (warm_served_.erase(pid) > 0) {
        warm_failures_ = 0;
        continue;
      }
      for (auto it = warm_.begin(); it != warm_.end(); ++it) {
        if (it->pid != pid) continue;
        // A warm supervisor that ended unused could not start its sandbox: after a few
        // in a row, stop trying (cold starts still work and say why).
        warm_.erase(it);
        if (++warm_failures_ >= 3 && warm_target_ > 0) {
          log(LogLevel::kWarn, "launcher: warm sandboxes keep failing to start; pool off");
          warm_target_ = 0;
        }
        break;
      }
    }
  }

  // Unused warm supervisors see their socket close and end their sandboxes; each other
  // supervisor forwards SIGTERM to its sandbox and removes what it made.
  void stop_children() {
    std::vector<pid_t> unused;
    for (const Warm& w : warm_) {
      children_.erase(w.pid);
      unused.push_back(w.pid);
    }
    warm_.clear();
    for (pid_t pid : unused) sys::reap(pid);
    for (pid_t pid : children_) (void)sys::kill_pid(pid, SIGTERM);
    for (pid_t pid : children_) sys::reap(pid);
    children_.clear();
  }

  const ServeOptions& o_;
  sigset_t old_mask_;
  UniqueFd signals_;
  UniqueFd listener_;
  NetnsPool pool_;
  std::set<pid_t> children_;
  struct Warm {
    pid_t pid;
    UniqueFd sock;  // the launcher's end; closing it ends the unused supervisor
  };
  std::deque<Warm> warm_;
  std::set<pid_t> warm_served_;  // handed a request: their end is not a failure
  size_t warm_target_ = 0;
  int warm_failures_ = 0;
};

}  // namespace

Status serve(const ServeOptions& options) {
  Launcher l(options);
  return l.run();
}

}  // namespace cordon::launcher
