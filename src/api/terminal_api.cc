// GET /v1/instances/{name}/exec upgraded to a WebSocket: a command in the running
// instance on a terminal (docs/api.md, "Exec on a terminal"). The daemon opens a
// pseudo-terminal pair, runs `cordon instance exec -t NAME -- CMD` on its slave (the
// slave its controlling terminal, so that a resize reaches it as SIGWINCH), and the server
// bridges the master to the WebSocket (http/response.h's WebSocketBridge): binary
// messages are terminal bytes both ways, a text message {"resize":{"cols":C,"rows":R}}
// sets the master's window size, and the command's exit status is the last text message
// ({"exit_status": N}) before the close.
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "base/parse.h"
#include "instance/instance.h"
#include "sys/fd.h"
#include "sys/process.h"
#include "sys/pty.h"

namespace cordon::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxArgs = 256;
constexpr size_t kMaxArgBytes = 4096;

// A window size from the client: cols and rows within 1..1000.
std::optional<struct winsize> window(const json& v) {
  if (!v.is_object() || !v.contains("cols") || !v.contains("rows") ||
      !v["cols"].is_number_unsigned() || !v["rows"].is_number_unsigned())
    return std::nullopt;
  uint64_t cols = v["cols"].get<uint64_t>(), rows = v["rows"].get<uint64_t>();
  if (cols < 1 || cols > 1000 || rows < 1 || rows > 1000) return std::nullopt;
  struct winsize ws {};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  return ws;
}

}  // namespace

http::Response Api::exec_terminal(const Call& c) {
  std::string host = instance_host_name(c);
  if (host.empty() || options_.instances_root.empty() || !instance_exists(host))
    return http::error(404, "no such instance");
  // The command: ?command= a JSON array of strings (default: a login shell).
  std::vector<std::string> command = {
      "/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l"};
  if (std::string text = c.req.query_param("command"); !text.empty()) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_array() || j.empty() || j.size() > kMaxArgs)
      return http::error(400, "a JSON array of strings", "command");
    command.clear();
    for (const auto& a : j) {
      if (!a.is_string() || a.get<std::string>().size() > kMaxArgBytes ||
          a.get<std::string>().find('\0') != std::string::npos)
        return http::error(400, "a JSON array of strings", "command");
      command.push_back(a.get<std::string>());
    }
  }
  std::string user = c.req.query_param("user");
  if (!user.empty() && (user[0] == '-' || user.size() > 256))
    return http::error(400, "U[:G] (names or IDs of the instance)", "user");
  struct winsize size {};
  size.ws_col = 80;
  size.ws_row = 24;
  if (!c.req.query_param("cols").empty() || !c.req.query_param("rows").empty()) {
    auto cols = parse_uint(c.req.query_param("cols"), 1, 1000);
    auto rows = parse_uint(c.req.query_param("rows"), 1, 1000);
    if (!cols.ok() || !rows.ok()) return http::error(400, "cols and rows: 1-1000", "cols");
    size.ws_col = static_cast<unsigned short>(*cols);
    size.ws_row = static_cast<unsigned short>(*rows);
  }
  auto in = instance::Instances::open(options_.instances_root, /*create=*/true);
  if (!in.ok()) return http::error(500, "instances: " + in.error().to_string());
  if (!in->running(host)) return http::error(409, "it is not running (POST .../start)");
  // A place among the terminals open at once, held until the command has ended.
  std::shared_ptr<void> place = terminals_.take(c.caller.tenant ? c.caller.tenant->id : "");
  if (!place) {
    http::Response busy =
        http::error(429, "too many terminals open (at most " +
                             std::to_string(options_.max_terminals_per_tenant) + " per tenant, " +
                             std::to_string(options_.max_terminals) + " in all)");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }

  auto master = sys::open_pty_master("/dev/ptmx");
  if (!master.ok()) return http::error(500, "terminal: " + master.error().to_string());
  auto number = sys::pty_number(master->get());
  auto slave = number.ok() ? sys::open_pty_peer(master->get()) : Result<UniqueFd>(number.error());
  if (!slave.ok()) return http::error(500, "terminal: " + slave.error().to_string());
  (void)sys::set_window_size(master->get(), size);
  std::string pts = "/dev/pts/" + std::to_string(*number);
  // The shell, a session leader without a terminal (spawn_detached's setsid), opens the
  // slave by its path: it becomes the session's controlling terminal. Then it execs the
  // CLI with the terminal on 0, 1 and 2. The paths are "$0" and "$@", never shell text.
  std::vector<std::string> argv = {
      "/bin/sh",  "-c",          "exec \"$@\" <>\"$0\" >&0 2>&0", pts,    options_.cordon_binary,
      "instance", "--instances", options_.instances_root,         "exec", host,
      "-t"};
  if (!user.empty()) argv.insert(argv.end(), {"--user", user});
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  auto pid = sys::spawn_detached(argv, slave->get());
  if (!pid.ok()) return http::error(500, "exec: " + pid.error().to_string());
  slave->reset();  // the child's now: the master reads EIO once the child's are all closed

  auto bridge = std::make_shared<http::WebSocketBridge>();
  int master_fd = master->get();
  auto fd_for_resize = std::make_shared<UniqueFd>(std::move(master).value());
  // The bridge gets a descriptor of its own; fd_for_resize keeps one for the ioctls.
  auto dup = sys::duplicate_fd(master_fd);
  if (!dup.ok()) {
    (void)sys::kill_pid(*pid, SIGKILL);
    sys::reap(*pid);
    return http::error(500, "terminal: " + dup.error().to_string());
  }
  bridge->fd = dup->release();
  bridge->on_text = [fd_for_resize](const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("resize")) return;
    if (auto ws = window(j["resize"])) (void)sys::set_window_size(fd_for_resize->get(), *ws);
  };
  pid_t child = *pid;
  bridge->on_end = [child, fd_for_resize, place](bool client_gone) -> std::string {
    // A client gone: the command goes too (the CLI killed, its command with it: an
    // entered process has a parent-death SIGKILL).
    if (client_gone) (void)sys::kill_pid(child, SIGKILL);
    int status = 0;
    for (;;) {
      auto w = sys::wait_child(child, &status, 0);
      if (w.ok() || w.error().err != EINTR) break;
    }
    fd_for_resize->reset();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return json{{"exit_status", code}}.dump();
  };
  http::Response r;
  r.websocket = std::move(bridge);
  return r;
}

}  // namespace cordon::api
