#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <thread>

#include "api/api.h"
#include "api/cursor.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "daemon/config.h"
#include "http/server.h"
#include "http/tls.h"
#include "jobs/service.h"
#include "jobs/store.h"
#include "jobs/tokens.h"
#include "sys/clock.h"
#include "sys/creds.h"
#include "sys/fs.h"
#include "sys/heap.h"
#include "sys/process.h"
#include "sys/random.h"
#include "sys/signals.h"
#include "sys/socket.h"

namespace cordon::daemon {
namespace {

constexpr int kHeapArenas = 2;

constexpr const char* kUsage = R"(Usage: cordon daemon [--config FILE] [--KEY VALUE]...

The multi-tenant job service: a REST API (docs/api.md) on a Unix socket, and on TCP
with TLS when configured. Tenants submit jobs with their tokens; each job runs in a
sandbox of its own, started by a launcher process that the daemon runs.

Options:
  --config FILE     the configuration (default /etc/cordon/cordon.toml; a missing
                    default file means defaults)
  --KEY VALUE       any configuration key, overriding the file (e.g. --max-running 16;
                    dashes or underscores); --default-quota.FIELD VALUE for a field of
                    the [default_quota] table
  --print-config    print the effective configuration as a configuration file (TOML) and exit
  -h, --help        this help

Keys: %s

SIGTERM or SIGINT stops it: no new job is taken, running jobs get stop_grace to end,
then are killed (recorded as cancelled); queued jobs run at the next start.
)";

struct Flags {
  std::string config = kDefaultConfig;
  bool config_given = false;
  bool print = false;
  bool help = false;
  std::vector<std::pair<std::string, std::string>> overrides;
};

Result<Flags> parse_flags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      f.help = true;
      continue;
    }
    if (a == "--print-config") {
      f.print = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) return logic_error("daemon", a, "not an option (see --help)");
    std::string key = a.substr(2), value;
    size_t eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key.resize(eq);
    } else {
      if (i + 1 >= args.size()) return logic_error("daemon", a, "needs a value");
      value = args[++i];
    }
    for (char& c : key)
      if (c == '-') c = '_';
    if (key == "config") {
      f.config = value;
      f.config_given = true;
      continue;
    }
    f.overrides.emplace_back(key, value);
  }
  return f;
}

Result<Config> load_config(const Flags& f) {
  Config c;
  TRY(load_file(&c, f.config, !f.config_given));
  for (const auto& [k, v] : f.overrides) TRY(set_key(&c, k, v));
  if (!c.listen.empty() && !c.plain_tcp && (c.tls_cert.empty() || c.tls_key.empty()))
    return logic_error(
        "config", "listen",
        "TCP needs tls_cert and tls_key (or plain_tcp = true, sending tokens in clear)");
  return c;
}

// The daemon's launcher, exec'd: `cordon launcher` on a socket of this daemon's own,
// with no warm pool (jobs bind their workspaces, so none would fit one).
class LauncherProcess {
 public:
  explicit LauncherProcess(const Config& c)
      : socket_(c.run_dir + "/launcher-" + std::to_string(sys::self_pid()) + ".sock"),
        netns_pool_(c.netns_pool) {}
  ~LauncherProcess() { stop(); }

  const std::string& socket() const { return socket_; }

  Status start() {
    std::vector<std::string> argv = {
        "/proc/self/exe", "launcher", "--socket",     socket_,
        "--mode",         "0600",     "--netns-pool", std::to_string(netns_pool_),
        "--warm",         "0"};
    // SIGTERM when this (the main) thread ends: the launcher never outlives the daemon.
    ASSIGN_OR_RETURN(pid_, sys::spawn(argv, SIGTERM));
    for (int i = 0; i < 500; ++i) {  // up to 5 s for its socket
      if (sys::connect_unix(socket_).ok()) return {};
      int st;
      if (auto r = sys::wait_child(pid_, &st, WNOHANG); r.ok() && *r == pid_) {
        pid_ = 0;
        return logic_error("launcher", socket_, "exited at start (its error is above)");
      }
      sys::sleep_ns(10000000);
    }
    return logic_error("launcher", socket_, "did not listen within 5 s");
  }

  // Restarts it if it died (jobs dispatched meanwhile fail and say so).
  void reap() {
    if (pid_ <= 0) return;
    int st;
    if (auto r = sys::wait_child(pid_, &st, WNOHANG); !r.ok() || *r != pid_) return;
    log(LogLevel::kError, "the launcher exited (status " + std::to_string(st) + "): restarting it");
    pid_ = 0;
    if (auto s = start(); !s.ok()) log(LogLevel::kError, s.error().to_string());
  }

  void stop() {
    if (pid_ <= 0) return;
    (void)sys::kill_pid(pid_, SIGTERM);
    int st;
    (void)sys::wait_child(pid_, &st, 0);
    pid_ = 0;
  }

 private:
  std::string socket_;
  uint32_t netns_pool_;
  pid_t pid_ = 0;
};

Result<std::string> operator_hash(const Config& c) {
  if (c.operator_token_file.empty()) return std::string();
  ASSIGN_OR_RETURN(std::string token, sys::read_small_file(c.operator_token_file, 4096));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.size() < 32)
    return logic_error("config", "operator_token_file", "the token must be at least 32 characters");
  return jobs::token_hash(token);
}

// The key of the API's page cursors (rest/cursor.h): made once, kept with the state (mode
// 0600, written whole and renamed into place), so that a cursor outlives a restart.
Result<std::string> cursor_key(const std::string& state_dir) {
  std::string path = state_dir + "/cursor.key";
  auto key = sys::read_small_file(path, 4096);
  if (key.ok()) {
    if (key->size() != api::kCursorKeyBytes)
      return logic_error("cursor key", path, "not 32 bytes: remove it to have a new one made");
    return std::move(key).value();
  }
  if (key.error().err != ENOENT) return std::move(key).error();
  ASSIGN_OR_RETURN(std::string fresh, sys::random_bytes(api::kCursorKeyBytes));
  std::string tmp = path + ".new";
  {
    ASSIGN_OR_RETURN(UniqueFd fd, sys::open_path(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    TRY(sys::write_all(fd.get(), fresh, tmp));
  }
  TRY(sys::rename_path(tmp, path));
  return fresh;
}

// Every connection is a file descriptor: the soft limit up to the hard one, so that the
// connection caps, not the default 1024, bound them.
void raise_fd_limit(uint32_t max_connections) {
  auto rl = sys::get_rlimit(RLIMIT_NOFILE);
  if (!rl.ok()) return;
  if (rl->soft < rl->hard) {
    if (!sys::set_rlimit(RLIMIT_NOFILE, sys::Rlimit{rl->hard, rl->hard}).ok())
      log(LogLevel::kWarn, "could not raise RLIMIT_NOFILE to its hard limit");
    if (auto now = sys::get_rlimit(RLIMIT_NOFILE); now.ok()) rl = now;
  }
  // The jobs, the store and the launcher need descriptors of their own besides.
  if (rl->soft < static_cast<uint64_t>(max_connections) + 1024)
    log(LogLevel::kWarn, "RLIMIT_NOFILE (" + std::to_string(rl->soft) +
                             ") is below max_connections + 1024: connections beyond it wait "
                             "in the listen queue");
}

int ms(uint64_t ns) {
  return static_cast<int>(std::min<uint64_t>(ns / 1000000, INT32_MAX));
}

Status listen_all(const Config& c, http::Server& server) {
  ASSIGN_OR_RETURN(UniqueFd unix_fd, sys::listen_unix(c.socket, c.socket_mode, SOCK_STREAM));
  if (!c.socket_group.empty()) {
    auto gid = sys::group_id(c.socket_group);
    if (!gid.ok()) return logic_error("config", "socket_group", "no group " + c.socket_group);
    TRY(sys::chown_path(c.socket, 0, *gid));
  }
  TRY(server.add_listener(std::move(unix_fd), true));
  if (c.listen.empty()) return {};
  size_t colon = c.listen.rfind(':');
  if (colon == std::string::npos) return logic_error("config", "listen", "HOST:PORT is required");
  std::string host = c.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_uint(c.listen.substr(colon + 1), 0, 65535);  // 0: the kernel picks one
  if (!port.ok()) return logic_error("config", "listen", "a port 0-65535 is required");
  std::shared_ptr<http::TlsContext> tls;
  if (!c.tls_cert.empty()) {
    ASSIGN_OR_RETURN(tls, http::tls_server_context(c.tls_cert, c.tls_key));
  }
  ASSIGN_OR_RETURN(UniqueFd tcp, sys::listen_tcp(host, static_cast<int>(*port)));
  ASSIGN_OR_RETURN(int bound, sys::bound_port(tcp.get()));
  TRY(server.add_listener(std::move(tcp), false, tls));
  std::fprintf(stderr, "cordon daemon: listening on %s:%d (%s)\n", host.c_str(), bound,
               tls ? "TLS" : "plain TCP");
  return {};
}

int fail(const Error& e) {
  log(LogLevel::kError, e.to_string());
  return kExitSetupFailed;
}

}  // namespace

int run_daemon(const std::vector<std::string>& args) {
  auto flags = parse_flags(args);
  if (!flags.ok()) {
    log(LogLevel::kError, flags.error().to_string());
    return kExitUsage;
  }
  if (flags->help) {
    std::string keys;
    for (const auto& k : daemon::keys()) keys += (keys.empty() ? "" : ", ") + k;
    std::printf(kUsage, keys.c_str());
    return 0;
  }
  auto config = load_config(*flags);
  if (!config.ok()) {
    log(LogLevel::kError, config.error().to_string());
    return kExitUsage;
  }
  if (flags->print) {
    std::printf("%s\n", describe(*config).c_str());
    return 0;
  }
  const Config& c = *config;
  // Before any thread: the HTTP workers share a few heap arenas instead of one each, so
  // that what one reply needed is not kept apart, fragmented, in every worker's arena.
  sys::limit_heap_arenas(kHeapArenas);
  raise_fd_limit(c.max_connections);
  if (sys::effective_uid() != 0)
    return fail(logic_error("daemon", "", "must run as root (it starts sandboxes)"));
  auto op_hash = operator_hash(c);
  if (!op_hash.ok()) return fail(op_hash.error());

  // Signals: blocked in every thread from here, waited for by this one.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE}) sigaddset(&sigs, s);
  (void)sys::block_in_thread(sigs);

  for (const auto& [dir, mode] : {std::pair{c.run_dir, 0755}, std::pair{c.state_dir, 0700}}) {
    if (auto st = sys::make_dirs(dir, static_cast<mode_t>(mode)); !st.ok()) return fail(st.error());
  }
  // Before any thread: the launcher is exec'd by this thread, which lives to the end.
  LauncherProcess launcher(c);
  if (auto st = launcher.start(); !st.ok()) return fail(st.error());

  auto store = jobs::Store::open(c.state_dir + "/cordon.db");
  if (!store.ok()) return fail(store.error());
  auto key = cursor_key(c.state_dir);
  if (!key.ok()) return fail(key.error());

  jobs::ServiceConfig sc;
  sc.state_dir = c.state_dir;
  sc.runner.launcher_socket = launcher.socket();
  sc.runner.images_dir = c.images_dir;
  sc.runner.image_store = c.image_store;
  sc.runner.settings.cgroup_parent = c.cgroup_parent;
  sc.max_running = c.max_running;
  sc.retention_ms = static_cast<int64_t>(c.retention_ns / 1000000);
  sc.cancel_grace_ms = static_cast<int64_t>(c.cancel_grace_ns / 1000000);
  sc.max_upload = c.max_upload;
  sc.default_quota = c.default_quota;
  jobs::Service service(sc, **store);
  if (auto st = service.start(); !st.ok()) return fail(st.error());

  api::ApiOptions ao;
  ao.operator_token_hash = *op_hash;
  ao.root_is_operator = true;
  ao.max_followers_per_tenant = static_cast<int>(c.max_followers_per_tenant);
  ao.max_followers = static_cast<int>(c.max_followers);
  ao.max_terminals_per_tenant = static_cast<int>(c.max_terminals_per_tenant);
  ao.max_terminals = static_cast<int>(c.max_terminals);
  // Never every handler thread: one at least stays for the other calls.
  ao.max_instance_calls_per_tenant = static_cast<int>(c.max_instance_calls_per_tenant);
  ao.max_instance_calls = static_cast<int>(
      std::min<uint32_t>(c.max_instance_calls, std::max<uint32_t>(c.workers, 2) - 1));
  ao.cursor_key = *key;
  ao.max_upload = c.max_upload;
  ao.instances_root = c.state_dir + "/instances";
  ao.scratch_dir = c.state_dir + "/scratch";
  auto self = sys::real_path("/proc/self/exe");
  if (!self.ok()) return fail(self.error());
  ao.cordon_binary = *self;
  api::Api api(service, ao);
  http::ServerOptions so;
  so.workers = static_cast<int>(c.workers);
  so.idle_timeout_ms = ms(c.idle_timeout_ns);
  so.header_timeout_ms = ms(c.header_timeout_ns);
  so.request_deadline_ms = ms(c.request_timeout_ns);
  so.write_timeout_ms = ms(c.write_timeout_ns);
  so.max_requests_per_connection = static_cast<int>(c.max_requests_per_connection);
  so.max_connections = static_cast<int>(c.max_connections);
  so.max_connections_per_peer = static_cast<int>(c.max_connections_per_peer);
  so.limits.max_body = std::max<size_t>(c.max_upload, jobs::kMaxJobBody);
  so.admit = [&api](const http::Request& head, const http::Peer& peer) {
    return api.admit(head, peer);
  };
  http::Server server(
      so, [&api](const http::Request& r, const http::Peer& p) { return api.handle(r, p); });
  if (auto st = listen_all(c, server); !st.ok()) {
    service.stop(0);
    return fail(st.error());
  }
  std::fprintf(stderr, "cordon daemon: listening on %s\n", c.socket.c_str());
  // Instances that were running (autostart) are started again, while the API serves;
  // those still running (their supervisors outlive a daemon) are left as they are.
  std::thread autostart([&api] { api.autostart_instances(); });

  uint64_t served = 0;
  for (;;) {
    int sig = sys::wait_signal(sigs, 1000);
    if (sig == SIGTERM || sig == SIGINT) break;
    launcher.reap();
    // After requests, what their replies took and freed goes back to the kernel: the
    // daemon's RSS returns to what it holds, rather than the peak of its busiest second.
    if (server.served() != served) {
      served = server.served();
      sys::release_free_heap();
    }
  }
  std::fprintf(stderr, "cordon daemon: stopping (grace %llu ms)\n",
               static_cast<unsigned long long>(c.stop_grace_ns / 1000000));
  // Requests are still answered while the jobs get their grace (submissions 503, a
  // follower's stream ends when the service says it stops; a client can watch its jobs
  // end). Then every connection is closed, whatever its client does.
  service.stop(static_cast<int64_t>(c.stop_grace_ns / 1000000));
  autostart.join();
  server.stop();
  launcher.stop();
  (void)sys::unlink_path(c.socket);
  return 0;
}

}  // namespace cordon::daemon
