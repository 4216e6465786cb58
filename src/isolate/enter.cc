#include "isolate/enter.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "base/exit_codes.h"
#include "base/text.h"
#include "isolate/caps.h"
#include "isolate/exec.h"
#include "isolate/output.h"
#include "isolate/pty.h"
#include "isolate/rlimits.h"
#include "isolate/seccomp.h"
#include "isolate/signals.h"
#include "isolate/sync.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/ns.h"
#include "sys/process.h"
#include "sys/pty.h"
#include "sys/signals.h"
#include "sys/socket.h"

namespace cordon::isolate {

int EnterOutcome::exit_status() const {
  switch (kind) {
    case Kind::kExited:
    case Kind::kExecFailed:
      return code;
    case Kind::kSignaled:
    case Kind::kKilled:
      return kExitSignalBase + code;
    case Kind::kSetupFailed:
      break;
  }
  return kExitSetupFailed;
}

namespace {

// What the entering process and the command's process need; everything is computed and
// opened on the host side before the clone.
struct EnterArgs {
  const EnterRequest* req;
  int pidfd;
  uint64_t ns_flags;
  int sync_fd;  // the child's end
  int out_fd;   // the write ends of the output pipes (-1 with -t)
  int err_fd;
  pid_t caller_pid;  // the caller's process, our parent
};

Error at(const char* step, Error e) {
  if (e.step.empty()) e.step = step;
  return e;
}

// The command's process: PID N inside, still privileged in the sandbox's user namespace.
Status command_setup(const EnterArgs& a) {
  const EnterRequest& r = *a.req;
  // Nothing of the host's but the caller's stdin, our pipes and the sync socket: not PID
  // 1's pidfd, not the cgroup's fds.
  std::vector<int> keep = {a.sync_fd};
  for (int fd : {r.stdin_fd, a.out_fd, a.err_fd}) keep.push_back(fd);
  TRY(sys::close_fds_except(keep));
  // Root of the sandbox's user namespace, as PID 1 is before it drops its privileges:
  // our host IDs (unmapped inside) would own what we make (the terminal's slave), and
  // the capabilities of the namespace stay (the IDs we leave are no root of it). Each ID
  // change resets the dumpable flag to fs.suid_dumpable: cleared again after each, so
  // that nothing inside can ptrace this process before its execve.
  TRY(sys::set_ids(0, 0));
  TRY(sys::set_not_dumpable());
  TRY(sys::clear_groups());
  if (r.tty) {
    // On the sandbox's devpts: /dev/ptmx resolves in the sandbox's root now.
    TRY(open_exec_terminal(a.sync_fd, r.uid, r.gid));
    TRY(take_sandbox_terminal());
  } else {
    TRY(sys::dup_onto(r.stdin_fd, STDIN_FILENO, "stdin"));
    TRY(sys::dup_onto(a.out_fd, STDOUT_FILENO, "stdout"));
    TRY(sys::dup_onto(a.err_fd, STDERR_FILENO, "stderr"));
    // No controlling terminal: the caller's terminal (if stdin is one) takes no TIOCSTI.
    TRY(sys::new_session());
  }
  // Fds 0-2 and the sync socket (close-on-exec) only from here on.
  TRY(sys::close_fds_except({a.sync_fd}));
  TRY(apply_rlimits(r.rlimits));
  // As the sandbox's command does: before the privileges go (created when missing).
  TRY(change_workdir(r.workdir));
  TRY(drop_privileges(r.uid, r.gid, r.caps));
  TRY(sys::set_not_dumpable());  // until the execve, which sets it as for any exec
  return {};
}

[[noreturn]] void command_main(const EnterArgs& a) noexcept {
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sys::set_default_action(sig);
  }
  (void)sys::set_signal_mask(SIG_SETMASK, none);
  Status st = command_setup(a);
  if (!st.ok()) {
    send_error(a.sync_fd, Phase::kSetupError, at("setup", std::move(st).error()));
    sys::exit_now(kExitSetupFailed);
  }
  ExecCall call = prepare_exec(a.req->argv, a.req->envp);
  if (a.req->seccomp != nullptr) {
    st = load_filter(*a.req->seccomp, nullptr);
    if (!st.ok()) {
      send_error(a.sync_fd, Phase::kSetupError, at("seccomp", std::move(st).error()));
      sys::exit_now(kExitSetupFailed);
    }
  }
  int err = run_exec(call);
  send_error(a.sync_fd, Phase::kExecError, errno_error(err, "execve", a.req->argv[0]));
  sys::exit_now(exec_failure_status(err));
}

// After the command's end, how many more reads of what it left in the pipes at most (a
// process it left behind that writes without pause cannot hold the exec).
constexpr int kMaxDrainRounds = 256;

volatile sig_atomic_t g_command_pid = 0;

void forward(int sig) {
  if (g_command_pid > 0) (void)sys::send_signal(g_command_pid, sig);
}

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The entering process: cgroup, not dumpable, the namespaces, the fork.
Status enter_setup(const EnterArgs& a) {
  // Nothing before we are in the sandbox's cgroup: cloned into it on v2, written into
  // each group by the caller's process on v1, which then says go.
  ASSIGN_OR_RETURN(SyncMsg go, recv_phase(a.sync_fd));
  if (go.phase != Phase::kMapsWritten) return logic_error("sync", "", "unexpected phase");
  // If the caller's process dies, so does this one (the command goes on, as a process of
  // the sandbox's, which ends with it).
  TRY(sys::set_parent_death_signal(SIGKILL));
  // Before any namespace: root inside must never be able to ptrace this process or open
  // its /proc files (its memory, its fds and its executable are the host's).
  TRY(sys::set_not_dumpable());
  TRY(sys::set_ns(a.pidfd, static_cast<int>(a.ns_flags)));
  // The credential change of setns resets the flag to fs.suid_dumpable, which a host may
  // have set to 1: cleared again, whatever the host's setting. It clears the parent-death
  // signal too: set again, then the caller's process must still be our parent.
  TRY(sys::set_not_dumpable());
  TRY(sys::set_parent_death_signal(SIGKILL));
  if (sys::parent_pid() != a.caller_pid) return logic_error("enter", "", "the caller is gone");
  return {};
}

[[noreturn]] void entering_main(const EnterArgs& a) noexcept {
  // Held until the command's process is known: none is lost before it can be forwarded.
  sigset_t fwd, none;
  sigemptyset(&fwd);
  sigemptyset(&none);
  for (int s : kForwarded) sigaddset(&fwd, s);
  (void)sys::set_signal_mask(SIG_SETMASK, fwd);
  Status st = enter_setup(a);
  if (!st.ok()) {
    send_error(a.sync_fd, Phase::kSetupError, at("enter", std::move(st).error()));
    sys::exit_now(kExitSetupFailed);
  }
  auto forked = sys::fork_process();
  if (!forked.ok()) {
    send_error(a.sync_fd, Phase::kSetupError, at("fork", forked.error()));
    sys::exit_now(kExitSetupFailed);
  }
  if (*forked == 0) command_main(a);
  pid_t pid = *forked;
  g_command_pid = pid;
  // Only the sync socket is kept: the command's status goes back through it.
  (void)sys::close_fds_except({a.sync_fd});
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) sys::close_fd(fd);
  struct sigaction sa = {};
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  for (int s : kForwarded) (void)sys::set_signal_action(s, sa);
  (void)sys::set_signal_mask(SIG_SETMASK, none);
  for (;;) {
    int status = 0;
    auto r = sys::wait_child(pid, &status, 0);
    if (!r.ok() && r.error().err == EINTR) continue;
    if (!r.ok()) {
      send_error(a.sync_fd, Phase::kSetupError, errno_error(r.error().err, "waitpid", "command"));
      sys::exit_now(kExitSetupFailed);
    }
    if (WIFSIGNALED(status)) {
      send_exit(a.sync_fd, true, WTERMSIG(status));
    } else {
      send_exit(a.sync_fd, false, WEXITSTATUS(status));
    }
    sys::exit_now(0);
  }
}

void record(const SyncMsg& m, EnterOutcome* out, bool* reported) {
  switch (m.phase) {
    case Phase::kSetupError:
      if (out->kind == EnterOutcome::Kind::kExecFailed) break;
      out->kind = EnterOutcome::Kind::kSetupFailed;
      out->error = to_error(m);
      *reported = true;
      break;
    case Phase::kExecError:
      out->kind = EnterOutcome::Kind::kExecFailed;
      out->error = to_error(m);
      out->code = exec_failure_status(m.err);
      *reported = true;
      break;
    case Phase::kExited:
      if (*reported) break;  // the command's process failed before its exec
      out->kind = m.signaled ? EnterOutcome::Kind::kSignaled : EnterOutcome::Kind::kExited;
      out->code = m.code;
      *reported = true;
      break;
    default:
      break;
  }
}

// The namespaces to join: every one of PID 1's that is not ours already (all of them
// for a sandbox; the time namespace only where the kernel has one). Joining one that is
// ours would fail: after the switch to the sandbox's user namespace we hold no
// capability over the host's.
Result<uint64_t> namespace_flags(pid_t pid1) {
  static constexpr std::pair<const char*, int> kNamespaces[] = {
      {"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID}, {"ipc", CLONE_NEWIPC},
      {"uts", CLONE_NEWUTS},  {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
      {"time", CLONE_NEWTIME}};
  uint64_t flags = CLONE_NEWUSER;
  for (const auto& [name, flag] : kNamespaces) {
    if (std::string(name) == "time" && !sys::kernel_has_ns("time")) continue;
    ASSIGN_OR_RETURN(uint64_t theirs, sys::ns_id(pid1, name));
    ASSIGN_OR_RETURN(uint64_t ours, sys::ns_id(sys::self_pid(), name));
    if (theirs != ours) flags |= static_cast<uint64_t>(flag);
  }
  return flags;
}

// PID 1's group in the cgroup2 hierarchy ("0::" of /proc/PID/cgroup), "" if it has none.
std::string pid1_v2_group(pid_t pid1) {
  auto text = sys::read_small_file("/proc/" + std::to_string(pid1) + "/cgroup", 64 << 10);
  if (!text.ok()) return {};
  for (std::string_view line : split_lines(*text))
    if (line.substr(0, 3) == "0::") return std::string(line.substr(3));
  return {};
}

bool is_cgroup2(const std::string& path) {
  auto magic = sys::fs_type(path);
  return magic.ok() && *magic == CGROUP2_SUPER_MAGIC;
}

}  // namespace

std::string v2_join_path(const std::string& registered, const std::string& pid1_group) {
  if (registered.empty() || pid1_group.empty() || pid1_group[0] != '/') return registered;
  for (size_t i = 0; i < registered.size(); ++i) {
    if (registered[i] != '/') continue;
    std::string_view tail = std::string_view(registered).substr(i);
    if (pid1_group == tail) return registered;
    if (pid1_group.size() <= tail.size() || pid1_group.compare(0, tail.size(), tail) != 0 ||
        pid1_group[tail.size()] != '/')
      continue;
    // Below the sandbox's group: every further part a plain name.
    std::string deeper = pid1_group.substr(tail.size());
    for (size_t start = 1; start <= deeper.size();) {
      size_t end = std::min(deeper.find('/', start), deeper.size());
      std::string_view part = std::string_view(deeper).substr(start, end - start);
      if (part.empty() || part == "." || part == "..") return registered;
      start = end + 1;
    }
    return registered + deeper;
  }
  return registered;
}

Result<EnterOutcome> enter(const EnterTarget& target, const EnterRequest& req,
                           UniqueFd registry_lock) {
  if (req.argv.empty()) return logic_error("enter", "", "no command");
  // The pidfd first, the start time after: if the PID named another process by then, the
  // pidfd names that one and the times differ.
  ASSIGN_OR_RETURN(UniqueFd pidfd, sys::pidfd_open(target.pid1));
  if (target.pid1_start == 0 || sys::process_start_time(target.pid1) != target.pid1_start)
    return errno_error(ESRCH, "enter", "PID " + std::to_string(target.pid1));

  // In a cgroup2 hierarchy (a v2 host's, or a v1 host's unified one of a booted sandbox),
  // the group PID 1 is in, at or below the sandbox's (v2_join_path).
  const std::string pid1_group = pid1_v2_group(target.pid1);
  UniqueFd cgroup_dir;
  std::vector<UniqueFd> join;
  if (target.cgroup_version == 2 && !target.cgroup_paths.empty()) {
    ASSIGN_OR_RETURN(cgroup_dir, sys::open_path(v2_join_path(target.cgroup_paths[0], pid1_group),
                                                O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  } else if (target.cgroup_version == 1) {
    // cgroup.procs, which v1 groups have too: a booted sandbox has a v2 group beside its v1
    // ones (the unified hierarchy), which has no tasks file.
    for (const auto& p : target.cgroup_paths) {
      std::string group = is_cgroup2(p) ? v2_join_path(p, pid1_group) : p;
      ASSIGN_OR_RETURN(UniqueFd fd,
                       sys::open_path(group + "/cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
      join.push_back(std::move(fd));
    }
  }
  // Read after the start time was checked: they are the sandbox's PID 1's.
  ASSIGN_OR_RETURN(uint64_t ns_flags, namespace_flags(target.pid1));
  ASSIGN_OR_RETURN(auto sync, sys::seqpacket_pair());
  std::optional<std::pair<UniqueFd, UniqueFd>> out, err;
  if (!req.tty) {
    ASSIGN_OR_RETURN(out, sys::make_pipe());
    ASSIGN_OR_RETURN(err, sys::make_pipe());
  }
  // From here on the caller's Ctrl-C and SIGTERM go to the command, not to us.
  SignalForwarder signals;
  EnterArgs args{&req,
                 pidfd.get(),
                 ns_flags,
                 sync.second.get(),
                 out ? out->second.get() : -1,
                 err ? err->second.get() : -1,
                 sys::self_pid()};
  ASSIGN_OR_RETURN(sys::CloneResult c, sys::clone3_fork(0, cgroup_dir.get()));
  if (c.pid == 0) {
    // Nothing of the host's beyond what the entering process needs goes into the
    // sandbox's namespaces with it: the registry's lock and the v1 groups' cgroup.procs
    // are closed here, not left to the command's exec (raw closes: this child never
    // returns, so no destructor runs, and frees nothing after a fork).
    sync.first.reset();
    if (out) out->first.reset();
    if (err) err->first.reset();
    if (registry_lock.valid()) sys::close_fd(registry_lock.get());
    for (const auto& fd : join) sys::close_fd(fd.get());
    entering_main(args);
  }
  sync.second.reset();
  cgroup_dir.reset();
  // v1: the entering process into each group, by its host PID, before it may go on.
  for (const auto& fd : join) {
    std::string pid = std::to_string(c.pid);
    Status w = sys::write_all(fd.get(), pid, "cgroup.procs");
    if (!w.ok()) {
      (void)sys::pidfd_kill(c.pidfd.get(), SIGKILL);
      (void)sys::wait_pidfd(c.pidfd.get());
      return at("join cgroup", std::move(w).error());
    }
  }
  join.clear();
  // In the cgroup now: the registry may let the sandbox's supervisor remove its entry
  // (and then empty the cgroup, this process included).
  registry_lock.reset();
  Status go = send_phase(sync.first.get(), Phase::kMapsWritten);
  if (!go.ok()) {
    (void)sys::pidfd_kill(c.pidfd.get(), SIGKILL);
    (void)sys::wait_pidfd(c.pidfd.get());
    return std::move(go).error();
  }
  if (out) out->second.reset();
  if (err) err->second.reset();

  // The output is the caller's stdout and stderr, through a pump that never blocks us;
  // with -t the terminal's master is the only output, and the caller's stdin its input.
  OutputPump pump(out ? std::move(out->first) : UniqueFd(),
                  err ? std::move(err->first) : UniqueFd(), req.stdout_fd, req.stderr_fd,
                  UINT64_MAX);
  std::optional<TerminalRelay> tty;
  if (req.tty) tty.emplace(req.stdin_fd);
  EnterOutcome outcome;
  bool reported = false, sync_open = true;
  // The end is the command's process's, as for docker exec: processes it left behind
  // may hold the pipes (or the terminal) for as long as the sandbox lives. Once it is
  // gone, what is already in them is delivered, and no more is waited for.
  int drain_rounds = 0;
  while (sync_open || pump.open()) {
    if (!sync_open && ++drain_rounds > kMaxDrainRounds) break;
    struct pollfd pfd[6] = {{sync_open ? sync.first.get() : -1, POLLIN, 0},
                            {pump.poll_fd(OutputPump::kOut), pump.poll_events(OutputPump::kOut), 0},
                            {pump.poll_fd(OutputPump::kErr), pump.poll_events(OutputPump::kErr), 0},
                            {signals.fd(), POLLIN, 0},
                            {tty ? tty->poll_fd() : -1, tty ? tty->poll_events() : short(0), 0},
                            {tty ? tty->resize_fd() : -1, POLLIN, 0}};
    auto polled = sys::poll_fds(pfd, 6, sync_open || pump.holding() ? -1 : 0);
    if (!polled.ok()) {
      if (polled.error().err == EINTR) continue;
      (void)sys::pidfd_kill(c.pidfd.get(), SIGKILL);
      (void)sys::wait_pidfd(c.pidfd.get());
      return std::move(polled).error();
    }
    if (!sync_open && *polled == 0) break;  // drained
    if (pfd[3].revents & POLLIN) signals.forward_to(c.pidfd.get());
    for (auto s : {OutputPump::kOut, OutputPump::kErr}) {
      if (pfd[1 + s].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) (void)pump.on_ready(s);
    }
    if (pfd[5].revents & POLLIN) tty->on_resize();
    if (pfd[4].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) tty->on_ready();
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      std::vector<UniqueFd> fds;
      auto m = recv_phase(sync.first.get(), &fds);
      if (!m.ok()) {
        sync_open = false;  // EOF: the entering process and the command's are gone
        continue;
      }
      if (m->phase == Phase::kTerminal && tty && fds.size() == 1) {
        auto copy = sys::duplicate_fd(fds[0].get());
        if (copy.ok()) {
          pump.set_source(OutputPump::kOut, std::move(fds[0]));
          tty->attach(std::move(copy).value());
        }
        continue;
      }
      record(*m, &outcome, &reported);
    }
  }
  ASSIGN_OR_RETURN(sys::ExitInfo entering, sys::wait_pidfd(c.pidfd.get()));
  if (!reported) {
    // Killed before it could report: the sandbox ended (its cgroup killed) meanwhile.
    outcome.kind = EnterOutcome::Kind::kKilled;
    outcome.code = entering.signaled ? entering.code : SIGKILL;
  }
  return outcome;
}

}  // namespace cordon::isolate
