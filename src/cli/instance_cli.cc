#include "cli/instance_cli.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "cli/exec_cli.h"
#include "engine/result_json.h"
#include "engine/run.h"
#include "image/store.h"
#include "instance/disk.h"
#include "instance/instance.h"
#include "isolate/id_slot.h"
#include "isolate/sandbox_state.h"
#include "sys/clock.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/signals.h"

namespace cordon::cli {

namespace {

using instance::InstanceRecord;
using instance::Instances;
using nlohmann::json;

const std::vector<OptionGroup>& groups() {
  static const std::vector<OptionGroup> g = {
      {"Create (cordon instance create NAME --image REF [OPTIONS] [-- COMMAND...])",
       {{"--image", true, "REF", "the image of the store it runs (pinned by its ID)"},
        {"--store", true, "DIR",
         "the image store (default $CORDON_IMAGE_STORE, else /var/lib/cordon/store)"},
        {"--disk", true, "SIZE",
         "its disk: the writable layer's quota (default 2G, at least 256M)"},
        {"--memory", true, "SIZE", "memory limit (default 512M)"},
        {"--cpus", true, "N", "CPU quota (default 1)"},
        {"--pids", true, "N", "processes and threads (default 512)"},
        {"--env", true, "K=V", "a variable of its command; repeatable"},
        {"--stop-grace", true, "DURATION",
         "stop: from SIGTERM (systemd's halt with --boot) to the kill (default 30s)"},
        {"--boot", false, "",
         "a system container: its command (default /sbin/init) is PID 1 and boots\n"
         "the image (systemd), as cordon run --boot; stop halts it"}}},
      {"Every command",
       {{"--instances", true, "DIR",
         "where instances live (default $CORDON_INSTANCES, else /var/lib/cordon/instances)"},
        {"--time", true, "DURATION",
         "stop, restart: how long to wait for the instance to end before its\n"
         "supervisor is killed (default: its --stop-grace and 15s more)"},
        {"--json", false, "", "ls, info, create: JSON on stdout"},
        kHelpOption}},
  };
  return g;
}

std::string usage_text() {
  return help_text(
      "cordon instance create|start|stop|restart|ls|info|console|rm|snapshot ... [OPTIONS]",
      "System containers: a named sandbox on an image that lives on, with its own disk\n"
      "(a writable layer with a quota, kept across runs), its own ID slot for its whole\n"
      "life, and its limits. Commands:\n"
      "  create NAME --image REF [-- COMMAND...]   COMMAND default: the image's Entrypoint+Cmd\n"
      "  start NAME | stop NAME | restart NAME | rm NAME\n"
      "  ls | info NAME | console NAME (what its command wrote)\n"
      "  exec NAME [-t] [--user U[:G]] [--env K=V] [--workdir DIR] -- COMMAND...\n"
      "  shell NAME   a login shell in it, on a terminal (exec -t of bash or sh)\n"
      "  file push HOST_PATH NAME:PATH | file pull NAME:PATH HOST_PATH [--user U[:G]]\n"
      "               copy a file into or out of a running instance (as its user)\n"
      "  snapshot create|restore|rm NAME SNAP | snapshot ls NAME   (of a stopped instance)\n"
      "  autostart   start every instance that was running (at boot)\n",
      groups(),
      "0 done; 64 usage; 66 no such instance or image; 73 the name is taken; 75 running\n"
      "(stop it first) or not running; 125 a step failed.\n");
}

int fail(const Error& e) {
  log(LogLevel::kError, e.to_string());
  switch (e.err) {
    case ENOENT:
      return kExitInput;
    case EEXIST:
      return kExitCantCreate;
    case EBUSY:
      return 75;  // EX_TEMPFAIL: the instance is in the other state
    case EINVAL:
      return kExitUsage;
    default:
      return kExitSetupFailed;
  }
}

int usage_error(const std::string& what) {
  log(LogLevel::kError, what + " (cordon instance --help)");
  return kExitUsage;
}

json record_json(const Instances& in, const InstanceRecord& r) {
  auto pid = in.running(r.name);
  return {{"name", r.name},
          {"state", pid ? "running" : "stopped"},
          {"supervisor_pid", pid ? json(*pid) : json(nullptr)},
          {"image", r.image_ref},
          {"image_id", r.image_id},
          {"slot_base", r.slot_base},
          {"disk_bytes", r.disk_bytes},
          {"memory_bytes", r.limits.memory_bytes},
          {"cpus", static_cast<double>(r.limits.cpu_millis) / 1000},
          {"pids", r.limits.pids},
          {"command", r.command},
          {"boot", r.boot},
          {"autostart", r.want_running},
          {"created", r.created}};
}

// Polls until cond holds or deadline_ms pass: states another process reaches.
// An instance's console: the sandbox's stdout and stderr (and the supervisor's own lines)
// through a pipe into console.log, which is started afresh when it reaches kConsoleCap
// (the full one kept as console.log.1): a long-lived instance neither fills the host's
// disk with its output nor is killed at an output limit.
constexpr uint64_t kConsoleCap = 16ull << 20;

class Console {
 public:
  // Redirects this process's fds 1 and 2 into the pipe; out: the open console.log.
  static Result<std::unique_ptr<Console>> start(const std::string& path) {
    auto c = std::unique_ptr<Console>(new Console);
    c->path_ = path;
    ASSIGN_OR_RETURN(c->log_,
                     sys::open_path(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ASSIGN_OR_RETURN(c->first_log_,
                     sys::open_path(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ASSIGN_OR_RETURN(auto st, sys::fd_status(c->log_.get()));
    c->size_ = static_cast<uint64_t>(st.st_size);
    ASSIGN_OR_RETURN(auto p, sys::make_pipe());
    TRY(sys::dup_onto(p.second.get(), 1, "stdout"));
    TRY(sys::dup_onto(p.second.get(), 2, "stderr"));
    c->read_ = std::move(p.first);
    // The pump takes no signal: SIGTERM is the supervisor's (the engine forwards it to the
    // sandbox), and one delivered to this thread would end the whole supervisor.
    c->thread_ = std::thread([raw = c.get()] {
      sigset_t all;
      sigfillset(&all);
      (void)sys::block_in_thread(all);
      raw->pump();
    });
    return c;
  }
  // Closes the pipe's write ends (fds 1 and 2 onto the log as it was opened first, a
  // description of its own: the pump may be replacing log_ at the same time) and waits.
  ~Console() {
    (void)sys::dup_onto(first_log_.get(), 1, "stdout");
    (void)sys::dup_onto(first_log_.get(), 2, "stderr");
    if (thread_.joinable()) thread_.join();
  }

 private:
  Console() = default;
  void pump() {
    char buf[16384];
    for (;;) {
      auto n = sys::read_fd(read_.get(), buf, sizeof(buf));
      if (!n.ok() && n.error().err == EINTR) continue;
      if (!n.ok() || *n == 0) return;
      if (size_ + *n > kConsoleCap) rotate();
      if (sys::write_all(log_.get(), std::string_view(buf, *n), path_).ok()) size_ += *n;
    }
  }
  void rotate() {
    if (!sys::rename_path(path_, path_ + ".1").ok()) return;
    auto fresh = sys::open_path(path_, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (!fresh.ok()) return;
    log_ = std::move(fresh).value();
    size_ = 0;
  }
  std::string path_;
  UniqueFd log_, read_, first_log_;
  uint64_t size_ = 0;
  std::thread thread_;
};

// The supervisor: holds run.lock, mounts the disk, runs the instance's sandbox to its end
// with stdout and stderr on console.log (set up by start), unmounts.
int supervise(const Instances& in, const std::string& name) {
  std::optional<UniqueFd> lock;
  // A reader of the state (ls, info) holds the lock shared for an instant: try a while.
  for (int i = 0; i < 100 && !lock; ++i) {
    auto got = instance::take_run_lock(in, name);
    if (!got.ok()) return fail(got.error());
    lock = std::move(got).value();
    if (!lock) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!lock) return 0;                                         // another supervisor runs it
  (void)sys::unlink_path(in.dir(name) + "/last-result.json");  // of an earlier run
  auto console = Console::start(in.console_log(name));
  if (!console.ok()) return fail(console.error());
  auto rec = in.load(name);
  if (!rec.ok()) return fail(rec.error());
  if (auto m = instance::mount_disk(in.disk_image(name), in.mountpoint(name)); !m.ok())
    return fail(m.error());
  auto spec = in.sandbox_spec(*rec);
  if (!spec.ok()) {
    (void)instance::unmount_disk(in.mountpoint(name));
    return fail(spec.error());
  }
  // The slot is the instance's own: busy means its last run's sandbox is still going
  // away (a supervisor killed: PID 1 holds the slot until its parent-death signal has
  // ended it). Wait for that, not longer than a grace.
  // Registered under its own name, for `cordon instance exec` (cordon exec inst.NAME).
  // A name still held is its last run's sandbox going away (a supervisor killed): wait.
  auto registered =
      isolate::reserve_name(isolate::kDefaultStateDir, instance::registered_name(name));
  for (int i = 0; i < 600 && !registered.ok() && registered.error().err == EEXIST; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    registered = isolate::reserve_name(isolate::kDefaultStateDir, instance::registered_name(name));
  }
  if (!registered.ok()) {
    (void)instance::unmount_disk(in.mountpoint(name));
    return fail(registered.error());
  }
  engine::RunResult r;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    r = engine::run(*spec, plan::CallerEnv{}, &*registered);
    bool busy = r.error && isolate::slot_in_use(*r.error);
    if (!busy || std::chrono::steady_clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string last = in.dir(name) + "/last-result.json";
  (void)sys::unlink_path(last);
  (void)sys::write_new_file(last, engine::result_to_json(r) + "\n", 0600);
  if (r.error) log(LogLevel::kError, "instance " + name + ": " + r.error->to_string());
  (void)instance::unmount_disk(in.mountpoint(name));
  return r.exit_status();
}

int start(const Instances& in, const std::string& name) {
  auto rec = in.load(name);
  if (!rec.ok()) return fail(rec.error());
  if (in.running(name)) {
    std::printf("%s is already running\n", name.c_str());
    return 0;
  }
  rec->want_running = true;
  if (auto s = in.save(*rec); !s.ok()) return fail(s.error());
  auto self = sys::real_path("/proc/self/exe");
  if (!self.ok()) return fail(self.error());
  auto console =
      sys::open_path(in.console_log(name), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (!console.ok()) return fail(console.error());
  auto pid = sys::spawn_detached({*self, "instance", "_supervise", name, "--instances", in.root()},
                                 console->get());
  if (!pid.ok()) return fail(pid.error());
  // Up once its sandbox's PID 1 runs (registered for exec); a supervisor that ended
  // first says why in last-result.json (or, before a run, in the console log).
  bool ended = false;
  auto is_up = [&] {
    return isolate::find_sandbox(isolate::kDefaultStateDir, instance::registered_name(name)).ok();
  };
  bool up = sys::poll_until(120000, [&] {
    int status = 0;
    auto w = sys::wait_child(*pid, &status, WNOHANG);
    if (w.ok() && *w == *pid) ended = true;
    return ended || is_up();
  });
  if (up && !ended) {
    std::printf("started %s\n", name.c_str());
    return 0;
  }
  std::string why = "see " + in.console_log(name);
  auto last = sys::read_small_file(in.dir(name) + "/last-result.json");
  if (last.ok()) {
    auto j = json::parse(*last, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      why = j["error"].get<std::string>();
    else if (j.is_object() && j.contains("reason"))
      why = "its command ended at once (" + j["reason"].dump() + ", exit status " +
            j.value("exit_status", json(nullptr)).dump() + ")";
  }
  log(LogLevel::kError, "instance " + name + " did not stay up: " + why);
  return kExitSetupFailed;
}

// wait_ns: how long to wait for the instance to end before its supervisor is killed; 0:
// its stop grace and 15 s more (the supervisor kills the sandbox at the grace itself).
int stop(const Instances& in, const std::string& name, uint64_t wait_ns, bool keep_wanted) {
  auto rec = in.load(name);
  if (!rec.ok()) return fail(rec.error());
  uint64_t grace_ns = wait_ns != 0 ? wait_ns : rec->stop_grace_ns + 15ull * 1000000000;
  if (!keep_wanted && rec->want_running) {
    rec->want_running = false;
    if (auto s = in.save(*rec); !s.ok()) return fail(s.error());
  }
  auto pid = in.running(name);
  // A supervisor that has the lock but has not written its PID yet: wait for it.
  if (pid && *pid == 0)
    sys::poll_until(5000, [&] { return !(pid = in.running(name)) || *pid > 0; });
  if (!pid) {
    std::printf("%s is not running\n", name.c_str());
    return 0;
  }
  if (*pid <= 0) return fail(logic_error("stop", name, "its supervisor's PID is not known"));
  // The supervisor forwards SIGTERM to the sandbox; past the grace it is killed, and its
  // sandbox with it (PID 1's parent-death signal).
  (void)sys::kill_pid(*pid, SIGTERM);
  if (!sys::poll_until(grace_ns / 1000000, [&] { return !in.running(name); })) {
    log(LogLevel::kWarn, "instance " + name + " did not stop within the grace: killed");
    (void)sys::kill_pid(*pid, SIGKILL);
    if (!sys::poll_until(30000, [&] { return !in.running(name); })) {
      log(LogLevel::kError, "instance " + name + " is still running");
      return kExitSetupFailed;
    }
  }
  std::printf("stopped %s\n", name.c_str());
  return 0;
}

int snapshot(const Instances& in, const std::vector<std::string>& ops, bool as_json) {
  if (ops.size() < 2) return usage_error("snapshot create|restore|rm NAME SNAP, snapshot ls NAME");
  const std::string& op = ops[0];
  const std::string& name = ops[1];
  auto rec = in.load(name);
  if (!rec.ok()) return fail(rec.error());
  // run.lock held throughout: a start meanwhile starts nothing (it would run on the layer
  // a restore replaces), and only one of them mounts the disk.
  auto held = instance::take_run_lock(in, name);
  if (!held.ok()) return fail(held.error());
  if (!*held)
    return fail(
        Error{EBUSY, "snapshot", name, "it is running: snapshots are of a stopped instance"});
  if (op != "ls" && ops.size() != 3) return usage_error("snapshot " + op + " NAME SNAP");
  if (auto m = instance::mount_disk(in.disk_image(name), in.mountpoint(name)); !m.ok())
    return fail(m.error());
  Status done;
  auto t0 = std::chrono::steady_clock::now();
  if (op == "create") {
    done = instance::snapshot_upper(in.mountpoint(name), ops[2]);
  } else if (op == "restore") {
    done = instance::restore_upper(in.mountpoint(name), ops[2]);
  } else if (op == "rm") {
    done = instance::delete_snapshot(in.mountpoint(name), ops[2]);
  } else if (op == "ls") {
    auto l = instance::list_snapshots(in.mountpoint(name));
    (void)instance::unmount_disk(in.mountpoint(name));
    if (!l.ok()) return fail(l.error());
    std::sort(l->begin(), l->end());
    if (as_json) {
      std::printf("%s\n", json(*l).dump().c_str());
    } else {
      for (const auto& s : *l) std::printf("%s\n", s.c_str());
    }
    return 0;
  } else {
    (void)instance::unmount_disk(in.mountpoint(name));
    return usage_error("snapshot " + op + ": expected create, restore, ls or rm");
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  (void)instance::unmount_disk(in.mountpoint(name));
  if (!done.ok()) return fail(done.error());
  std::printf("%s %s of %s (%.1f ms)\n",
              op == "create"    ? "created"
              : op == "restore" ? "restored"
                                : "removed",
              ops[2].c_str(), name.c_str(), ms);
  return 0;
}

}  // namespace

// exec and shell: `cordon exec` into the instance's running sandbox, registered by its
// supervisor as inst.NAME. args: what follows the instance's name.
int exec_in(const std::string& root, const std::string& name, std::vector<std::string> args,
            bool shell) {
  auto in = Instances::open(root, /*create=*/false);
  if (!in.ok()) return fail(in.error());
  if (auto rec = in->load(name); !rec.ok()) return fail(rec.error());
  if (!in->running(name))
    return fail(Error{ENOENT, "exec", name, "not running (cordon instance start " + name + ")"});
  std::vector<std::string> options, command;
  auto dash = std::find(args.begin(), args.end(), "--");
  options.assign(args.begin(), dash);
  if (dash != args.end()) command.assign(dash + 1, args.end());
  if (shell) {
    if (!command.empty()) return usage_error("shell NAME takes no command (exec NAME -- CMD does)");
    options.insert(options.begin(), "-t");
    // A login shell: bash where the image has it, else sh.
    command = {"/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l"};
  } else if (command.empty()) {
    return usage_error("exec NAME [OPTIONS] -- COMMAND [ARG...]");
  }
  std::vector<std::string> exec_args = options;
  exec_args.push_back(instance::registered_name(name));
  exec_args.push_back("--");
  exec_args.insert(exec_args.end(), command.begin(), command.end());
  return exec_main(exec_args);
}

// file push HOST_PATH NAME:PATH | file pull NAME:PATH HOST_PATH [--user U[:G]]: through
// `cordon exec` into the running instance, a process of its own reading (cat) or writing
// (a shell's redirection) the file, in its mount namespace, as its user: a symlink the
// guest planted resolves in the guest's tree, never the host's, and what is written is
// the instance's (docs/instances.md, "Files").
static int file_transfer(const std::string& root, std::vector<std::string> ops) {
  std::vector<std::string> options;
  for (size_t i = 0; i + 1 < ops.size(); ++i) {
    if (ops[i] != "--user") continue;
    options = {"--user", ops[i + 1]};
    ops.erase(ops.begin() + static_cast<long>(i), ops.begin() + static_cast<long>(i) + 2);
    break;
  }
  const char* use = "file push HOST_PATH NAME:PATH | file pull NAME:PATH HOST_PATH";
  if (ops.size() != 3 || (ops[0] != "push" && ops[0] != "pull")) return usage_error(use);
  bool push = ops[0] == "push";
  const std::string& remote = push ? ops[2] : ops[1];
  const std::string& local = push ? ops[1] : ops[2];
  size_t colon = remote.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= remote.size() ||
      remote[colon + 1] != '/')
    return usage_error(std::string(use) + " (PATH: absolute, in the instance)");
  std::string name = remote.substr(0, colon), path = remote.substr(colon + 1);
  if (sys::effective_uid() != 0) {
    log(LogLevel::kError, "cordon instance file needs root (it enters the instance)");
    return kExitNoPerm;
  }
  auto fd = push ? sys::open_path(local, O_RDONLY | O_CLOEXEC)
                 : sys::open_path(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (!fd.ok()) return fail(fd.error());
  if (auto s = sys::dup_onto(fd->get(), push ? 0 : 1, push ? "stdin" : "stdout"); !s.ok())
    return fail(s.error());
  std::vector<std::string> args = options;
  if (push) {
    args.insert(args.end(), {"--", "/bin/sh", "-c", "cat > \"$1\"", "sh", path});
  } else {
    args.insert(args.end(), {"--", "cat", "--", path});
  }
  int st = exec_in(root, name, args, false);
  // A pull that failed leaves no partial file behind.
  if (st != 0 && !push) (void)sys::unlink_path(local);
  return st;
}

int instance_main(const std::vector<std::string>& all) {
  // exec and shell take `cordon exec`'s options (-t, --user, --env, --workdir) after NAME;
  // --instances may come anywhere before "--".
  {
    std::vector<std::string> rest = all;
    std::string flag;
    for (size_t i = 0; i < rest.size() && rest[i] != "--"; ++i) {
      if (rest[i] != "--instances" || i + 1 >= rest.size()) continue;
      flag = rest[i + 1];
      rest.erase(rest.begin() + static_cast<long>(i), rest.begin() + static_cast<long>(i) + 2);
      break;
    }
    const bool file = !rest.empty() && rest[0] == "file";
    if (file ||
        (rest.size() >= 2 && (rest[0] == "exec" || rest[0] == "shell") && rest[1][0] != '-')) {
      auto root = sys::path_setting(flag, "CORDON_INSTANCES", instance::kDefaultRoot);
      if (!root.ok()) return fail(root.error());
      if (file) return file_transfer(*root, std::vector<std::string>(rest.begin() + 1, rest.end()));
      return exec_in(*root, rest[1], std::vector<std::string>(rest.begin() + 2, rest.end()),
                     rest[0] == "shell");
    }
  }
  // NAME and the other words are operands; what follows "--" is create's COMMAND.
  std::vector<std::string> args = all, command;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] != "--") continue;
    args.assign(all.begin(), all.begin() + static_cast<long>(i));
    command.assign(all.begin() + static_cast<long>(i) + 1, all.end());
    break;
  }
  static const std::vector<OptionSpec> specs = all_options(groups());
  auto p = parse_args(args, specs);
  if (!p.ok()) return usage_error(p.error().to_string());
  if (p->help || p->operands.empty()) {
    std::fputs(usage_text().c_str(), p->help ? stdout : stderr);
    return p->help ? 0 : kExitUsage;
  }
  if (sys::effective_uid() != 0) {
    log(LogLevel::kError, "cordon instance needs root (it mounts disks and starts sandboxes)");
    return kExitNoPerm;
  }
  const std::string cmd = p->operands[0];
  std::vector<std::string> ops(p->operands.begin() + 1, p->operands.end());
  bool as_json = p->has("--json");
  auto root = sys::path_setting(p->get("--instances"), "CORDON_INSTANCES", instance::kDefaultRoot);
  if (!root.ok()) return fail(root.error());
  auto in = Instances::open(*root, /*create=*/true);
  if (!in.ok()) return fail(in.error());
  uint64_t grace_ns = 0;  // stop: the instance's own grace, and some
  if (p->has("--time")) {
    auto g = parse_duration_ns(p->get("--time"));
    if (!g.ok()) return usage_error("--time " + p->get("--time") + ": " + g.error().to_string());
    grace_ns = *g;
  }
  auto one = [&](const char* what) -> std::optional<std::string> {
    if (ops.size() != 1) return std::nullopt;
    (void)what;
    return ops[0];
  };

  if (cmd == "create") {
    if (ops.size() != 1 || !p->has("--image")) return usage_error("create NAME --image REF");
    instance::CreateRequest req;
    req.name = ops[0];
    req.image_ref = p->get("--image");
    auto store = sys::path_setting(p->get("--store"), "CORDON_IMAGE_STORE", image::kDefaultStore);
    if (!store.ok()) return fail(store.error());
    req.store = *store;
    req.command = command;
    req.boot = p->has("--boot");
    if (p->has("--stop-grace")) {
      auto g = parse_duration_ns(p->get("--stop-grace"));
      if (!g.ok()) return usage_error("--stop-grace " + p->get("--stop-grace"));
      req.stop_grace_ns = *g;
    }
    for (const auto& [flag, field] : std::vector<std::pair<const char*, uint64_t*>>{
             {"--disk", &req.disk_bytes}, {"--memory", &req.limits.memory_bytes}}) {
      if (!p->has(flag)) continue;
      auto v = parse_size(p->get(flag));
      if (!v.ok()) return usage_error(std::string(flag) + ": " + v.error().to_string());
      *field = *v;
    }
    if (p->has("--cpus")) {
      auto v = parse_milli(p->get("--cpus"));
      if (!v.ok() || *v > UINT32_MAX) return usage_error("--cpus " + p->get("--cpus"));
      req.limits.cpu_millis = static_cast<uint32_t>(*v);
    }
    if (p->has("--pids")) {
      auto v = parse_uint(p->get("--pids"), 1, UINT32_MAX);
      if (!v.ok()) return usage_error("--pids " + p->get("--pids"));
      req.limits.pids = *v;
    }
    for (const auto& e : p->all("--env")) {
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0) return usage_error("--env " + e + ": expected K=V");
      req.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
    auto rec = in->create(req);
    if (!rec.ok()) return fail(rec.error());
    if (as_json) {
      std::printf("%s\n", record_json(*in, *rec).dump().c_str());
    } else {
      std::printf("created %s (%s, disk %s)\n", rec->name.c_str(),
                  rec->image_id.substr(7, 12).c_str(), format_size(rec->disk_bytes).c_str());
    }
    return 0;
  }
  if (cmd == "_supervise" && one("")) return supervise(*in, ops[0]);
  if (cmd == "start" && one("")) return start(*in, ops[0]);
  if (cmd == "stop" && one("")) return stop(*in, ops[0], grace_ns, false);
  if (cmd == "restart" && one("")) {
    int st = stop(*in, ops[0], grace_ns, true);
    return st != 0 ? st : start(*in, ops[0]);
  }
  if (cmd == "rm" && one("")) {
    if (auto s = in->remove(ops[0]); !s.ok()) return fail(s.error());
    std::printf("removed %s\n", ops[0].c_str());
    return 0;
  }
  if (cmd == "info" && one("")) {
    auto rec = in->load(ops[0]);
    if (!rec.ok()) return fail(rec.error());
    json j = record_json(*in, *rec);
    std::printf("%s\n", as_json ? j.dump().c_str() : j.dump(2).c_str());
    return 0;
  }
  if (cmd == "console" && one("")) {
    if (auto rec = in->load(ops[0]); !rec.ok()) return fail(rec.error());
    auto text = sys::read_small_file(in->console_log(ops[0]), 64 << 20);
    if (!text.ok() && text.error().err != ENOENT) return fail(text.error());
    if (text.ok()) std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
  }
  if (cmd == "ls" && ops.empty()) {
    auto l = in->list();
    if (!l.ok()) return fail(l.error());
    json out = json::array();
    for (const auto& r : *l) out.push_back(record_json(*in, r));
    if (as_json) {
      std::printf("%s\n", out.dump().c_str());
      return 0;
    }
    std::printf("%-20s %-8s %-40s %s\n", "NAME", "STATE", "IMAGE", "DISK");
    for (const auto& j : out)
      std::printf("%-20s %-8s %-40s %s\n", j["name"].get<std::string>().c_str(),
                  j["state"].get<std::string>().c_str(), j["image"].get<std::string>().c_str(),
                  format_size(j["disk_bytes"].get<uint64_t>()).c_str());
    return 0;
  }
  if (cmd == "snapshot") return snapshot(*in, ops, as_json);
  if (cmd == "autostart" && ops.empty()) {
    auto l = in->list();
    if (!l.ok()) return fail(l.error());
    int worst = 0;
    for (const auto& r : *l)
      if (r.want_running && !in->running(r.name)) worst = std::max(worst, start(*in, r.name));
    return worst;
  }
  return usage_error("'" + cmd + "' with " + std::to_string(ops.size()) + " operand(s)");
}

}  // namespace cordon::cli
