#include "audit/orchestrator.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "base/text.h"
#include "base/unique_fd.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/socket.h"

namespace cordon::audit {
namespace {

std::string token() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

// What the battery aims at, alive for the whole audit and removed after it.
class Targets {
 public:
  Status open() {
    ASSIGN_OR_RETURN(dir_, sys::make_temp_dir("/tmp/cordon-audit-XXXXXX"));
    // World-readable on purpose: only the sandbox's view can keep it out of reach.
    TRY(sys::chmod_path(dir_, 0755));
    secret_ = dir_ + "/secret";
    TRY(write(secret_, "cordon-audit-host-secret-" + token() + "\n"));
    ASSIGN_OR_RETURN(tcp_, sys::listen_tcp("127.0.0.1", 0));
    ASSIGN_OR_RETURN(port_, sys::bound_port(tcp_.get()));
    abstract_ = "cordon-audit-" + token();
    ASSIGN_OR_RETURN(unix_, sys::listen_abstract(abstract_));
    victim_secret_ = "cordon-audit-victim-secret-" + token();
    TRY(write(dir_ + "/victim-secret", victim_secret_ + "\n"));
    return {};
  }
  ~Targets() {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static Status write(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) return sys_error("write", path);
    return {};
  }
  // The facts file the battery reads (inside: /audit-facts/facts).
  Status facts(pid_t victim) {
    std::string f = "host_pid=" + std::to_string(sys::self_pid()) +
                    "\nhost_secret_path=" + secret_ + "\nhost_tcp_port=" + std::to_string(port_) +
                    "\nhost_abstract_socket=" + abstract_ + "\n";
    if (victim > 0)
      f += "victim_pid_host=" + std::to_string(victim) +
           "\nvictim_name=sleep\nvictim_secret=" + victim_secret_ + "\n";
    return write(dir_ + "/facts", f);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, secret_, abstract_, victim_secret_;
  UniqueFd tcp_, unix_;
  int port_ = 0;
};

struct Child {
  pid_t pid = -1;
  UniqueFd out;  // stdout, when captured
};

// Spawns argv with stdin from /dev/null, stdout captured (or to /dev/null), stderr dropped.
// stderr_fd: where its stderr goes (-1: dropped).
Result<Child> spawn(const std::vector<std::string>& argv, bool capture, int stderr_fd = -1) {
  std::pair<UniqueFd, UniqueFd> pipe;
  if (capture) {
    ASSIGN_OR_RETURN(pipe, sys::make_pipe());
  }
  auto pid = sys::spawn_quiet(argv, capture ? pipe.second.get() : -1, stderr_fd);
  pipe.second.reset();  // the child's copy is the only writer
  if (!pid.ok()) return std::move(pid).error();
  Child c;
  c.pid = *pid;
  c.out = std::move(pipe.first);
  return c;
}

struct Finished {
  int status = -1;  // exit status, 128+N for a signal
  std::string out;
};

Finished finish(Child& c) {
  Finished f;
  char buf[65536];
  for (;;) {
    if (!c.out.valid()) break;
    auto n = sys::read_fd(c.out.get(), buf, sizeof(buf));
    if (!n.ok() || *n == 0) break;
    f.out.append(buf, *n);
  }
  int ws = 0;
  (void)sys::wait_child(c.pid, &ws, 0);
  f.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  return f;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  auto text = sys::read_small_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                                   "/children");
  if (!text.ok()) return out;
  std::istringstream in(*text);
  pid_t c;
  while (in >> c) out.push_back(c);
  return out;
}

std::string comm_of(pid_t pid) {
  auto c = sys::read_small_file("/proc/" + std::to_string(pid) + "/comm");
  return c.ok() ? *c : std::string();
}

bool has_option(const std::vector<std::string>& opts, const std::string& name) {
  for (const auto& o : opts)
    if (o == name || o.rfind(name + "=", 0) == 0) return true;
  return false;
}

// An image's Entrypoint would wrap the command (`sh -c` runs its first word only, and
// drops the rest of its arguments): with --image, the battery and the victim's command are
// the whole command.
void add_no_entrypoint(const std::vector<std::string>& run_options,
                       std::vector<std::string>* argv) {
  if (has_option(run_options, "--image")) argv->insert(argv->end(), {"--entrypoint", ""});
}

// The victim: another sandbox with the same settings, a secret at /secret and a
// long-lived process whose host PID the battery is told.
class Victim {
 public:
  Status start(const Options& o, const std::string& dir) {
    std::vector<std::string> argv = {o.cordon, "run"};
    argv.insert(argv.end(), o.run_options.begin(), o.run_options.end());
    add_no_entrypoint(o.run_options, &argv);
    argv.insert(argv.end(), {"--bind", dir + "/victim-secret:/secret", "--", "sleep", "3600"});
    // Its stderr in a file, to tell why should it end before its process appears.
    const std::string err_path = dir + "/victim.err";
    ASSIGN_OR_RETURN(UniqueFd err,
                     sys::open_path(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ASSIGN_OR_RETURN(child_, spawn(argv, false, err.get()));
    err.reset();
    // A busy machine (or an image's layers to mount) can take seconds: wait for the
    // process itself, or for its `cordon run` to end, with a deadline far past either.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (pid_ <= 0) {
      std::vector<pid_t> todo = children_of(child_.pid);
      for (size_t k = 0; k < todo.size(); ++k) {
        if (comm_of(todo[k]) == "sleep\n") pid_ = todo[k];
        for (pid_t g : children_of(todo[k])) todo.push_back(g);
      }
      if (pid_ > 0) break;
      int ws = 0;
      auto done = sys::wait_child(child_.pid, &ws, WNOHANG);
      if (done.ok() && *done == child_.pid) {
        child_.pid = -1;
        int status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        auto said = sys::read_small_file(err_path, 4096);
        return logic_error("start victim sandbox", "",
                           "its cordon run ended with status " + std::to_string(status) + ": " +
                               (said.ok() ? *said : std::string()));
      }
      if (std::chrono::steady_clock::now() > deadline)
        return logic_error("start victim sandbox", "", "its process did not appear in 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
  }
  ~Victim() {
    if (child_.pid <= 0) return;
    (void)sys::kill_pid(child_.pid, SIGTERM);
    (void)finish(child_);
  }
  pid_t pid() const { return pid_; }

 private:
  Child child_;
  pid_t pid_ = -1;
};

// "category\tid\tverdict\tevidence" lines of the battery.
std::vector<Row> parse_battery(const std::string& out,
                               const std::map<std::string, std::string>& attempts) {
  std::vector<Row> rows;
  for (std::string_view line : split_lines(out)) {
    std::vector<std::string> f;
    size_t start = 0;
    while (f.size() < 3) {
      size_t tab = line.find('\t', start);
      if (tab == std::string_view::npos) break;
      f.emplace_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    if (f.size() < 3 || f[0] == "summary") continue;
    Row r{f[0], f[1], "", "refused or unreachable", f[2], std::string(line.substr(start))};
    auto it = attempts.find(r.category + "/" + r.id);
    if (it != attempts.end()) r.attempt = it->second;
    rows.push_back(std::move(r));
  }
  return rows;
}

// --list: category/id -> what the attempt does.
std::map<std::string, std::string> list_attempts(const std::string& battery) {
  std::map<std::string, std::string> m;
  auto c = spawn({battery, "--list"}, true);
  if (!c.ok()) return m;
  Finished f = finish(*c);
  for (std::string_view line : split_lines(f.out)) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      size_t tab = line.find('\t', start);
      if (tab == std::string_view::npos) break;
      parts.emplace_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    if (parts.size() == 3) m[parts[0] + "/" + parts[1]] = std::string(line.substr(start));
  }
  return m;
}

// Runs the battery inside a sandbox with the audited options plus extra ones.
Result<Finished> in_sandbox(const Options& o, const Targets& t,
                            const std::vector<std::string>& extra,
                            const std::vector<std::string>& battery_args,
                            const std::string& result_file) {
  std::string bdir = std::filesystem::path(o.battery).parent_path();
  std::string bname = std::filesystem::path(o.battery).filename();
  std::vector<std::string> argv = {o.cordon, "run", "--result-file", result_file};
  argv.insert(argv.end(), o.run_options.begin(), o.run_options.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  add_no_entrypoint(o.run_options, &argv);
  argv.insert(argv.end(), {"--bind", bdir + ":/audit", "--bind", t.dir() + ":/audit-facts", "--",
                           "/audit/" + bname, "--host-facts", "/audit-facts/facts"});
  argv.insert(argv.end(), battery_args.begin(), battery_args.end());
  ASSIGN_OR_RETURN(Child c, spawn(argv, true));
  return finish(c);
}

std::string reason_of(const std::string& result_file) {
  auto text = sys::read_small_file(result_file);
  if (!text.ok()) return "no result";
  size_t k = text->find("\"reason\":\"");
  if (k == std::string::npos) return "no reason";
  size_t end = text->find('"', k + 10);
  return text->substr(k + 10, end - k - 10);
}

// The resource attempts that only the host can judge.
void judge_resources(const Options& o, const Targets& t, Scorecard* card) {
  std::string result = t.dir() + "/result.json";
  // Fork bomb, memory bomb, disk fill: the battery reports; a sandbox ended by a limit
  // before it could is a limit holding too.
  auto r = in_sandbox(o, t, {}, {"--category", "resources"}, result);
  if (r.ok()) {
    auto rows = parse_battery(r->out, {});
    std::string reason = reason_of(result);
    for (const char* id : {"fork-bomb", "memory-bomb", "disk-fill"}) {
      bool seen = false;
      for (auto& row : rows) seen = seen || row.id == id;
      if (!seen)
        rows.push_back(
            {"resources", id, "", "", "stopped", "the sandbox was ended first, reason " + reason});
    }
    for (auto& row : rows) {
      row.safe = "stopped at a limit";
      card->rows.push_back(row);
    }
  }
  struct HostJudged {
    const char* category;
    const char* id;
    const char* attempt;
    std::vector<std::string> bound;  // the audit's own bound where the settings have none
    const char* option;
    const char* reason;
  };
  const HostJudged judged[] = {
      {"resources-output",
       "output-flood",
       "256 MiB to stdout",
       {"--output-limit", "1M"},
       "--output-limit",
       "output-limit"},
      {"resources-cpu",
       "cpu-spin",
       "spin on the CPU for 30 s",
       {"--cpu-time", "1s"},
       "--cpu-time",
       "cpu-time"},
      {"resources-wall", "wall-sleep", "sleep 60 s", {"--time", "2s"}, "--time", "wall-time"},
  };
  for (const auto& h : judged) {
    std::vector<std::string> extra;
    if (!has_option(o.run_options, h.option)) extra = h.bound;
    auto f = in_sandbox(o, t, extra, {"--category", h.category}, result);
    std::string reason = f.ok() ? reason_of(result) : f.error().to_string();
    bool held = reason == h.reason;
    card->rows.push_back(
        {h.category, h.id, h.attempt, std::string("killed: ") + h.reason,
         held ? "stopped" : "escaped",
         "reason " + reason +
             (extra.empty() ? "" : " (audit bound " + extra[0] + " " + extra[1] + ")")});
  }
  // A daemon left behind: after the sandbox ends, no such process may exist on the host.
  (void)in_sandbox(o, t, {"--time", "5s"}, {"--category", "resources-daemon"}, result);
  int left = 0;
  auto entries = sys::list_dir("/proc");
  for (const std::string& name : entries.ok() ? *entries : std::vector<std::string>()) {
    if (name[0] < '0' || name[0] > '9') continue;
    auto cmd = sys::read_small_file("/proc/" + name + "/cmdline", 4096);
    if (cmd.ok() && cmd->find("cordon-audit-daemon") != std::string::npos) {
      ++left;
      (void)sys::kill_pid(std::atoi(name.c_str()), SIGKILL);  // ours, and it must not stay
    }
  }
  card->rows.push_back({"resources-daemon", "daemon", "a double-forked daemon in its own session",
                        "none left after the end", left == 0 ? "stopped" : "escaped",
                        left == 0 ? "none left" : std::to_string(left) + " left (killed)"});
}

}  // namespace

Result<std::string> find_battery(const std::string& cordon) {
  if (const char* env = std::getenv("CORDON_AUDIT_BATTERY")) return std::string(env);
  std::filesystem::path dir = std::filesystem::path(cordon).parent_path();
  for (const auto& p : {dir / "cordon-audit-battery",
                        std::filesystem::path("/usr/lib/cordon/cordon-audit-battery")}) {
    if (sys::access_path(p, X_OK).ok()) return std::filesystem::weakly_canonical(p).string();
  }
  return logic_error("find the battery", "cordon-audit-battery",
                     "not next to cordon nor in /usr/lib/cordon; set CORDON_AUDIT_BATTERY");
}

Result<Scorecard> run_audit(const Options& o) {
  Targets targets;
  TRY(targets.open());
  Victim victim;
  TRY(victim.start(o, targets.dir()));
  TRY(targets.facts(victim.pid()));
  auto attempts = list_attempts(o.battery);
  Scorecard card;
  ASSIGN_OR_RETURN(Finished main, in_sandbox(o, targets, {}, {}, targets.dir() + "/main.json"));
  card.rows = parse_battery(main.out, attempts);
  if (card.rows.empty())
    return logic_error("run the battery", o.battery,
                       "no verdict came back (status " + std::to_string(main.status) + ")");
  if (o.resources) judge_resources(o, targets, &card);
  for (const auto& r : card.rows) {
    card.stopped += r.verdict == "stopped";
    card.escaped += r.verdict == "escaped";
    card.skipped += r.verdict == "skipped";
  }
  return card;
}

}  // namespace cordon::audit
