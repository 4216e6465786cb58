#include "launcher/server.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "base/log.h"
#include "base/unique_fd.h"
#include "launcher/netns_pool.h"
#include "launcher/wire.h"
#include "sys/fs.h"
#include "sys/ns.h"
#include "sys/socket.h"

namespace cordon::launcher {
namespace {

constexpr int kUsageStatus = 64;   // engine::kExitUsage: a request that does not parse
constexpr int kSetupStatus = 125;  // engine::kExitSetupFailed

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
  return set;
}

// In the forked supervisor: become the caller's `cordon run` and run it.
[[noreturn]] void serve_one(const ServeOptions& o, int conn, const Request& req,
                            std::vector<UniqueFd>& fds, UniqueFd netns, const sigset_t& old_mask) {
  // Only the caller's connection and its three fds stay; the listener and the signalfd
  // were closed by the caller of this function.
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) ::signal(s, SIG_DFL);
  for (int i = 0; i < 3; ++i) {
    if (::dup2(fds[i].get(), i) < 0) ::_exit(kSetupStatus);
  }
  fds.clear();
  ::clearenv();
  for (const auto& e : req.env) ::putenv(::strdup(e.c_str()));  // the process's for good
  int status = kSetupStatus;
  // Into the pooled namespace for good: the sandbox's clone then leaves CLONE_NEWNET out.
  const bool prepared = netns.valid();
  Status entered = prepared ? sys::set_ns(netns.get(), CLONE_NEWNET) : Status();
  netns.reset();
  if (!entered.ok()) {
    log(LogLevel::kError, "launcher: pooled network namespace: " + entered.error().to_string());
  } else if (::chdir(req.cwd.c_str()) != 0) {
    log(LogLevel::kError, "launcher: chdir " + req.cwd + ": " + std::strerror(errno));
  } else {
    auto hung_up = sys::signal_on_hangup(conn, SIGHUP);
    if (hung_up.ok() && !*hung_up) status = o.run(req.args, prepared);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::string reply = encode_reply(status);
  (void)sys::send_msg(conn, reply.data(), reply.size());
  ::_exit(0);
}

class Launcher {
 public:
  explicit Launcher(const ServeOptions& o) : o_(o) {}

  Status run() {
    sigset_t set = handled_signals();
    if (::sigprocmask(SIG_BLOCK, &set, &old_mask_) != 0) return sys_error("sigprocmask");
    signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!signals_.valid()) return sys_error("signalfd");
    size_t slash = o_.socket_path.rfind('/');
    if (slash != std::string::npos && slash > 0)
      TRY(sys::make_dirs(o_.socket_path.substr(0, slash), 0755));
    ASSIGN_OR_RETURN(pool_, NetnsPool::create(o_.netns_pool));
    ASSIGN_OR_RETURN(listener_, sys::listen_unix(o_.socket_path, o_.mode));
    if (o_.ready) o_.ready(o_.socket_path);
    Status st = loop();
    ::unlink(o_.socket_path.c_str());
    listener_.reset();
    stop_children();
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    return st;
  }

 private:
  Status loop() {
    for (;;) {
      struct pollfd p[2] = {{listener_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
      // Idle and the pool is short: make a namespace now, not when a caller waits.
      int n = ::poll(p, 2, pool_.wants_more() ? 0 : -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("poll");
      }
      if (n == 0) {
        // A failure here may leave us outside our own namespace: stop serving.
        TRY(pool_.fill_one());
        continue;
      }
      if (p[1].revents & POLLIN) {
        signalfd_siginfo si;
        while (::read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
          if (si.ssi_signo == SIGCHLD) reap();
          if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) return {};
          struct pollfd again = {signals_.get(), POLLIN, 0};
          if (::poll(&again, 1, 0) <= 0) break;
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
    if (!uid.ok() || *uid != ::geteuid()) {
      log(LogLevel::kWarn, "launcher: refused a caller of another UID");
      return;
    }
    std::string buf(kMaxRequestBytes + 1, '\0');
    std::vector<UniqueFd> fds;
    auto n = sys::recv_msg(conn->get(), buf.data(), buf.size(), &fds);
    Result<Request> req = n.ok() ? decode_request(std::string_view(buf.data(), *n))
                                 : Result<Request>(n.error());
    if (req.ok() && fds.size() != 3)
      req = errno_error(EPROTO, "launcher request", "needs exactly 3 fds");
    if (!req.ok()) {
      log(LogLevel::kWarn, "launcher: " + req.error().to_string());
      std::string reply = encode_reply(kUsageStatus);
      (void)sys::send_msg(conn->get(), reply.data(), reply.size());
      return;
    }
    UniqueFd netns = pool_.take();  // this sandbox's alone: the pool forgets it
    pid_t pid = ::fork();
    if (pid < 0) {
      log(LogLevel::kError, std::string("launcher: fork: ") + std::strerror(errno));
      std::string reply = encode_reply(kSetupStatus);
      (void)sys::send_msg(conn->get(), reply.data(), reply.size());
      return;
    }
    if (pid == 0) {
      listener_.reset();
      signals_.reset();
      serve_one(o_, conn->get(), *req, fds, std::move(netns), old_mask_);
    }
    children_.insert(pid);
  }

  void reap() {
    for (;;) {
      pid_t pid = ::waitpid(-1, nullptr, WNOHANG);
      if (pid <= 0) return;
      children_.erase(pid);
    }
  }

  // Each supervisor forwards SIGTERM to its sandbox and removes what it made.
  void stop_children() {
    for (pid_t pid : children_) ::kill(pid, SIGTERM);
    for (pid_t pid : children_) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    children_.clear();
  }

  const ServeOptions& o_;
  sigset_t old_mask_;
  UniqueFd signals_;
  UniqueFd listener_;
  NetnsPool pool_;
  std::set<pid_t> children_;
};

}  // namespace

Status serve(const ServeOptions& options) {
  if (options.run == nullptr) return logic_error("launcher", "", "no run function");
  Launcher l(options);
  return l.run();
}

}  // namespace cordon::launcher
