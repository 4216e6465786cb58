// One sandbox run to completion, and its result: the domain object that the CLI prints
// and (later) the service stores.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "base/result.h"
#include "plan/launch_plan.h"
#include "spec/spec.h"

namespace cordon::isolate {
class Registration;  // isolate/sandbox_state.h
}  // namespace cordon::isolate

namespace cordon::engine {

// The exit statuses of `cordon run` are base/exit_codes.h's.

// The fixed set of reasons a run ends for (docs/result.md).
enum class Reason { kExited, kSignaled, kOom, kWallTime, kCpuTime, kOutputLimit, kSetupFailed };
enum class Failure { kNone, kInvalid, kInput, kSetup, kExec };

struct RunResult {
  Reason reason = Reason::kSetupFailed;
  Failure failure = Failure::kNone;
  int exit_code = 0;           // kExited, and exec failures (126/127)
  int signal = 0;              // kSignaled
  std::optional<Error> error;  // what failed, for kSetupFailed
  uint64_t wall_ns = 0;
  uint64_t uid_base = 0;
  uint64_t gid_base = 0;
  bool id_fallback = false;  // the slot came from the fallback range, not /etc/subuid
  int cgroup_version = 0;    // 1 or 2; 0 when no cgroup was made
  std::vector<std::string> cgroup_paths;
  // Accounting, read from the cgroup at the end.
  uint64_t peak_memory_bytes = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t oom_kills = 0;
  uint64_t output_bytes = 0;          // delivered
  uint64_t output_dropped_bytes = 0;  // taken from the sandbox, not delivered by the deadline
  bool stdout_mid_line = false;       // the command's stdout ended without a newline
  // --seccomp-report: each (syscall, errno) the filter denied, most frequent first.
  struct Denial {
    std::string syscall;
    int err = 0;
    uint64_t count = 0;
  };
  std::vector<Denial> seccomp_denials;
  std::optional<Error> seccomp_report_error;  // the report broke off early
  spec::SandboxSpec spec;                     // as applied
  plan::LaunchPlan plan;                      // what was applied
  bool prestarted = false;
  // --boot: a stop was asked (SIGTERM to cordon, the wall-time limit), and whether the
  // sandbox had to be killed at the end of the grace; stop_ns: from the stop to the end.
  bool stop_requested = false;
  bool stop_killed = false;
  uint64_t stop_ns = 0;  // run in a sandbox started ahead of the command (warm pool)
  // What the start applied, as the sandbox's processes reported it (all false when it
  // failed before, or was refused): the result claims only these.
  struct Applied {
    bool mounts = false;      // mount plan, pivot_root, old root detached
    bool privileges = false;  // setsid, rlimits, IDs, capabilities, no_new_privs
    bool seccomp = false;     // the filter loaded in the command's process
    bool exec = false;        // the command's execve succeeded: the command ran
  };
  Applied applied;
  // Where the time went, step by step ("prepare" first, then isolate/timeline.h's steps).
  std::vector<std::pair<std::string, uint64_t>> timings_ns;

  // The status `cordon run` exits with.
  int exit_status() const;
};

// name: `cordon run --name`, reserved by the caller (isolate/sandbox_state.h), which must
// be the process that supervises the sandbox; completed once PID 1 runs, removed at the end.
RunResult run(spec::SandboxSpec spec, const plan::CallerEnv& caller,
              isolate::Registration* name = nullptr);
// What run() would refuse before it creates anything (an invalid spec, a missing host
// path, a profile that does not parse), with nothing started: error set and exit_status()
// as run's (64, 66) when refused; no error and exit_status() 0 when a start would go on.
RunResult check(spec::SandboxSpec spec, const plan::CallerEnv& caller);

// A sandbox started ahead of its command (the launcher's warm pool): every step of a
// start is done, PID 1 waits for the command. It serves one command at most; destroyed
// unused, it ends like any sandbox (killed, its cgroup removed, its slot released).
class Prestarted;
struct PrestartedDeleter {
  void operator()(Prestarted* p) const;
};
using PrestartedPtr = std::unique_ptr<Prestarted, PrestartedDeleter>;
// spec's argv is a placeholder; what matters is the sandbox it describes.
Result<PrestartedPtr> prestart(spec::SandboxSpec spec, const plan::CallerEnv& caller);
// Runs request's command in it, with this process's stdin, stdout and stderr. nullopt
// when this sandbox cannot serve it (not spec::same_sandbox, or a command too large to
// send): the prestarted sandbox is gone, and the caller runs the request with run().
std::optional<RunResult> run_prestarted(PrestartedPtr p, spec::SandboxSpec request,
                                        const plan::CallerEnv& caller);

const char* reason_name(Reason r);

}  // namespace cordon::engine
