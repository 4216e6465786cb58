// cordon-audit-battery: shared types and helpers. See docs/audit.md.
//
// Every attempt returns an Outcome: stopped (the isolation held), escaped (the attempt
// succeeded: a failure of the sandbox) or skipped (a host fact is missing, or the
// verdict is decided outside). Attempts are written so that they cannot damage the host
// even when the battery runs unconfined as root: they prove access (open for writing and
// close, invalid arguments checked after the permission checks, NULL buffers) instead of
// using it, create only files named cordon-audit-escape-* and remove them, and signal
// only the PIDs named in the host facts, with signal 0 and SIGCONT.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace audit {

enum class Verdict { kStopped, kEscaped, kSkipped };

struct Outcome {
  Verdict verdict = Verdict::kSkipped;
  std::string evidence;
};

Outcome stopped(std::string evidence);
Outcome escaped(std::string evidence);
Outcome skipped(std::string evidence);

// What the orchestrator tells the battery to aim at (key=value lines).
struct Facts {
  std::optional<pid_t> host_pid;
  std::string host_secret_path;
  std::optional<int> host_tcp_port;
  std::string host_abstract_socket;
  std::optional<pid_t> victim_pid_host;
  std::string victim_name;
  std::string victim_secret;
};

// Parses a facts file; on error returns nullopt and sets *error.
std::optional<Facts> load_facts(const std::string& path, std::string* error);

struct InheritedFd {
  int fd;
  std::string target;  // readlink of /proc/self/fd/N
};

struct Context {
  Facts facts;
  std::vector<InheritedFd> inherited;  // fds >= 3 open when main() started
  std::string self_exe;                // readlink /proc/self/exe
};

struct Attempt {
  const char* id;
  const char* what;  // one line for --list
  Outcome (*run)(const Context&);
  // Runs after the attempt's line is printed (an output flood, a spin, a sleep: the host
  // judges them, and may kill the sandbox meanwhile).
  void (*after)(const Context&) = nullptr;
};

struct Category {
  const char* name;
  bool opt_in;  // run only when named with --category
  std::vector<Attempt> attempts;
};

// One function per category file.
const Category& host_fs_category();
const Category& processes_category();
const Category& privilege_category();
const Category& kernel_category();
const Category& devices_category();
const Category& proc_sys_category();
const Category& terminal_category();
const Category& fds_cwd_category();
const Category& proc_exe_category();
const Category& network_category();
std::vector<const Category*> resources_categories();
// The hidden mode of the daemon left behind (resources-daemon).
int daemon_main(int seconds);

// --- helpers (common.cc) ---

// "ENOENT", or "errno N".
std::string err_name(int err);
// "KILL", or "signal N".
std::string sig_name(int sig);
// One line, no tabs, at most 240 bytes.
std::string clean(const std::string& s);

// Reads at most max bytes; nullopt (errno in *err) when it cannot be opened or read.
std::optional<std::string> read_text(const std::string& path, size_t max = 65536,
                                     int* err = nullptr);
// open(path, flags) then close at once; 0 on success, else the errno.
int try_open(const std::string& path, int flags);
// The value after "Key:" in /proc/self/status, trimmed.
std::string status_field(const std::string& key);
// The numeric entries of /proc.
std::vector<pid_t> visible_pids();
// True when the battery runs in a user namespace other than the host's (uid_map is not
// the identity map): the guard of the resource attempts.
bool in_user_namespace();
// readlink(path), or "" (errno in *err).
std::string read_link(const std::string& path, int* err = nullptr);

// Runs fn in a forked child. The child's Outcome comes back through a pipe; when the child
// dies without reporting, on_death(status) decides (status as from waitpid, or -1 on a
// timeout, after which the child was killed). The child never returns into main().
Outcome in_child(const std::function<Outcome()>& fn,
                 const std::function<Outcome(int status)>& on_death, int timeout_ms = 10000);
// The death of a child as text: "killed:SYS", "exit 3", "timeout".
std::string death_text(int status);

// Names of files the battery may create; always under a directory it owns or removes.
std::string escape_name(const std::string& dir, const std::string& id);

}  // namespace audit
