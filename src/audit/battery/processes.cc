// processes: see, signal, trace or read a process outside the sandbox (a host process, or
// a process of another sandbox: the victim). Signals go only to the PIDs of the host
// facts: signal 0 first (existence), then SIGCONT, which does nothing to a running
// process. Tracing is PTRACE_SEIZE, which does not stop the tracee, from a child that
// exits at once (the kernel detaches).
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "battery.h"

namespace audit {
namespace {

const char kNoHostPid[] = "no host_pid in the host facts";
const char kNoVictim[] = "no victim_pid_host in the host facts";

std::string comm_of(pid_t pid) {
  auto s = read_text("/proc/" + std::to_string(pid) + "/comm", 64);
  if (!s) return "?";
  while (!s->empty() && s->back() == '\n') s->pop_back();
  return *s;
}

Outcome visible(std::optional<pid_t> pid, const char* missing) {
  if (!pid) return skipped(missing);
  std::vector<pid_t> pids = visible_pids();
  std::string count = std::to_string(pids.size()) + " PIDs visible";
  for (pid_t p : pids) {
    if (p == *pid)
      return escaped("/proc/" + std::to_string(p) + " is visible (comm " + comm_of(p) + "); " +
                     count);
  }
  return stopped("not in /proc; " + count);
}

Outcome signal_pid(std::optional<pid_t> pid, const char* missing) {
  if (!pid) return skipped(missing);
  if (::kill(*pid, 0) != 0)
    return stopped("kill(" + std::to_string(*pid) + ", 0): " + err_name(errno));
  if (::kill(*pid, SIGCONT) != 0) return escaped("signal 0 delivered; SIGCONT: " + err_name(errno));
  return escaped("signal 0 and SIGCONT delivered to " + std::to_string(*pid));
}

Outcome trace_pid(std::optional<pid_t> pid, const char* missing) {
  if (!pid) return skipped(missing);
  pid_t target = *pid;
  return in_child(
      [target] {
        if (::ptrace(PTRACE_SEIZE, target, nullptr, nullptr) != 0) return stopped(err_name(errno));
        return escaped("PTRACE_SEIZE of " + std::to_string(target) + " succeeded (detached)");
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

Outcome environ_of(std::optional<pid_t> pid, const char* missing) {
  if (!pid) return skipped(missing);
  int err = 0;
  auto s = read_text("/proc/" + std::to_string(*pid) + "/environ", 65536, &err);
  if (!s) return stopped(err_name(err));
  return escaped("read " + std::to_string(s->size()) + " bytes of /proc/" + std::to_string(*pid) +
                 "/environ");
}

// PID 1 of the sandbox is cordon's init; a host's PID 1 (systemd, init) means the PID
// namespace is the host's.
Outcome pid1_identity(const Context&) {
  int err = 0;
  auto s = read_text("/proc/1/comm", 64, &err);
  if (!s) return stopped("/proc/1/comm: " + err_name(err));
  std::string comm = *s;
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  if (comm.rfind("cordon", 0) == 0) return stopped("PID 1 is " + comm);
  return escaped("PID 1 is " + comm + ", not cordon's init: the host's PID namespace?");
}

Outcome host_visible(const Context& c) {
  return visible(c.facts.host_pid, kNoHostPid);
}
Outcome host_signal(const Context& c) {
  return signal_pid(c.facts.host_pid, kNoHostPid);
}
Outcome host_ptrace(const Context& c) {
  return trace_pid(c.facts.host_pid, kNoHostPid);
}
Outcome host_environ(const Context& c) {
  return environ_of(c.facts.host_pid, kNoHostPid);
}
Outcome victim_visible(const Context& c) {
  return visible(c.facts.victim_pid_host, kNoVictim);
}
Outcome victim_signal(const Context& c) {
  return signal_pid(c.facts.victim_pid_host, kNoVictim);
}
Outcome victim_ptrace(const Context& c) {
  return trace_pid(c.facts.victim_pid_host, kNoVictim);
}
Outcome victim_environ(const Context& c) {
  return environ_of(c.facts.victim_pid_host, kNoVictim);
}

// Any visible process named like the victim (the sandbox's own processes are the
// battery and cordon's init).
Outcome victim_comm_scan(const Context& c) {
  if (c.facts.victim_name.empty()) return skipped("no victim_name in the host facts");
  std::vector<pid_t> pids = visible_pids();
  std::string found;
  for (pid_t p : pids) {
    if (p != ::getpid() && comm_of(p) == c.facts.victim_name) found += " " + std::to_string(p);
  }
  if (!found.empty()) return escaped("processes named " + c.facts.victim_name + ":" + found);
  return stopped("no process named " + c.facts.victim_name + " among " +
                 std::to_string(pids.size()) + " visible");
}

bool holds_secret(const std::string& path, const std::string& secret, int* err) {
  auto s = read_text(path, 1 << 20, err);
  return s && s->find(secret) != std::string::npos;
}

// The victim's /secret, through its /proc/PID/root or any visible root.
Outcome victim_root_secret(const Context& c) {
  if (c.facts.victim_secret.empty()) return skipped("no victim_secret in the host facts");
  std::vector<pid_t> pids = visible_pids();
  if (c.facts.victim_pid_host) pids.insert(pids.begin(), *c.facts.victim_pid_host);
  std::string errs;
  for (pid_t p : pids) {
    if (p == ::getpid()) continue;
    std::string path = "/proc/" + std::to_string(p) + "/root/secret";
    int err = 0;
    if (holds_secret(path, c.facts.victim_secret, &err))
      return escaped("the victim's secret is in " + path);
    std::string e = err == 0 ? "no-match" : err_name(err);
    if (errs.find(e) == std::string::npos) errs += (errs.empty() ? "" : ",") + e;
  }
  return stopped(std::to_string(pids.size()) + " roots tried: " + errs);
}

// Our own /secret holding the victim's secret: the two sandboxes share a root.
Outcome own_root_secret(const Context& c) {
  if (c.facts.victim_secret.empty()) return skipped("no victim_secret in the host facts");
  int err = 0;
  if (holds_secret("/secret", c.facts.victim_secret, &err))
    return escaped("/secret in this sandbox's root holds the victim's secret");
  return stopped(err == 0 ? "/secret does not hold it" : "/secret: " + err_name(err));
}

// System V IPC objects: the sandbox's IPC namespace starts empty; objects listed here are
// someone else's.
Outcome sysv_ipc(const Context&) {
  int total = 0;
  std::string seen;
  for (const char* kind : {"shm", "msg", "sem"}) {
    auto s = read_text(std::string("/proc/sysvipc/") + kind, 1 << 20);
    if (!s) continue;
    std::istringstream in(*s);
    std::string line;
    int n = -1;  // the header
    while (std::getline(in, line)) ++n;
    if (n > 0) {
      total += n;
      seen += std::string(" ") + kind + "=" + std::to_string(n);
    }
  }
  if (total > 0) return escaped("System V IPC objects of others visible:" + seen);
  return stopped("no System V IPC object visible");
}

}  // namespace

const Category& processes_category() {
  static const Category c = {
      "processes",
      false,
      {
          {"pid1-identity", "PID 1 is cordon's init, not the host's", pid1_identity},
          {"host-pid-visible", "host_pid in /proc", host_visible},
          {"host-pid-signal", "kill(host_pid, 0) then SIGCONT", host_signal},
          {"host-pid-ptrace", "PTRACE_SEIZE of host_pid", host_ptrace},
          {"host-pid-environ", "read /proc/<host_pid>/environ", host_environ},
          {"victim-visible", "victim_pid_host in /proc", victim_visible},
          {"victim-signal", "kill(victim, 0) then SIGCONT", victim_signal},
          {"victim-ptrace", "PTRACE_SEIZE of the victim", victim_ptrace},
          {"victim-environ", "read /proc/<victim>/environ", victim_environ},
          {"victim-comm-scan", "a process named victim_name in /proc", victim_comm_scan},
          {"victim-root-secret", "victim_secret in /proc/*/root/secret", victim_root_secret},
          {"own-root-secret", "victim_secret in this sandbox's /secret", own_root_secret},
          {"sysv-ipc", "System V IPC objects of others in /proc/sysvipc", sysv_ipc},
      },
  };
  return c;
}

}  // namespace audit
