#include "engine/run.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "engine/container/container_backend.h"
#include "engine/inside_paths.h"
#include "isolate/exec.h"
#include "isolate/sync.h"
#include "plan/seccomp_policy.h"

namespace cordon::engine {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kExited:
      return "exited";
    case Reason::kSignaled:
      return "signaled";
    case Reason::kOom:
      return "oom";
    case Reason::kWallTime:
      return "wall-time";
    case Reason::kCpuTime:
      return "cpu-time";
    case Reason::kOutputLimit:
      return "output-limit";
    case Reason::kSetupFailed:
      return "setup-failed";
  }
  return "setup-failed";
}

int RunResult::exit_status() const {
  switch (reason) {
    case Reason::kExited:
      return exit_code;
    case Reason::kSignaled:
      return 128 + signal;
    case Reason::kOom:
      return kExitOom;
    case Reason::kWallTime:
      return kExitWallTime;
    case Reason::kCpuTime:
      return kExitCpuTime;
    case Reason::kOutputLimit:
      return kExitOutputLimit;
    case Reason::kSetupFailed:
      break;
  }
  switch (failure) {
    case Failure::kInvalid:
      return kExitUsage;
    case Failure::kInput:
      return kExitInput;
    case Failure::kExec:
      return exit_code;
    default:
      return kExitSetupFailed;
  }
}

namespace {

// Whether the filter kills (or traps: SIGSYS) an execve of x86_64.
bool filter_kills_execve(const plan::LaunchPlan& plan) {
  if (!plan.seccomp) return false;
  struct seccomp_data call = {};
  call.nr = __NR_execve;
  call.arch = AUDIT_ARCH_X86_64;
  uint32_t action = plan::run_filter(plan.seccomp->filter, call) & SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD ||
         action == SECCOMP_RET_TRAP;
}

// A command whose process ended before its execve succeeded never ran: its end is a
// failure to start it (reason setup-failed), not the command's own exit or signal. Its
// process marks the timeline just before execve and again when execve returns; under the
// filter nothing else of cordon's runs in between. Sets r and returns true for such an end.
bool command_never_ran(RunResult& r, const isolate::Outcome& o, const backend::Progress& p) {
  using Kind = isolate::Outcome::Kind;
  if (o.kind != Kind::kExited && o.kind != Kind::kSignaled) return false;
  const std::string command = r.plan.argv.empty() ? "command" : r.plan.argv[0];
  if (p.exec_returned) {
    // Every execve failed, and the report of it on the sync socket did not arrive (the
    // filter denied it, or killed the process as it sent it).
    r.failure = Failure::kExec;
    r.exit_code = isolate::exec_failure_status(p.exec_errno);
    r.error = errno_error(p.exec_errno, "execve", command);
    if (o.kind == Kind::kSignaled) {
      r.error->err = 0;
      r.error->detail = std::string(strerror(p.exec_errno)) +
                        " (then its process was killed by signal " + std::to_string(o.code) + ", " +
                        strsignal(o.code) + ", as it reported that)";
    }
    return true;
  }
  if (o.kind != Kind::kSignaled) return false;
  if (p.exec_called && o.code == SIGSYS && filter_kills_execve(r.plan)) {
    // Killed at its execve: the kernel runs the filter before the call does anything.
    r.failure = Failure::kExec;
    r.exit_code = kExitNotExecutable;
    r.error = logic_error("execve", command,
                          "killed by the seccomp filter (SIGSYS): the profile does not allow "
                          "execve, so the command never ran");
    return true;
  }
  if (!p.exec_called) {
    r.failure = Failure::kSetup;
    r.error = logic_error("start command", command,
                          "its process was killed by signal " + std::to_string(o.code) + " (" +
                              strsignal(o.code) + ") before its execve");
    return true;
  }
  return false;
}

// The end of a run, from what the backend saw.
void fill_result(RunResult& r, const backend::Execution& ex) {
  r.wall_ns = ex.end_ns - ex.start_ns;
  r.timings_ns.insert(r.timings_ns.end(), ex.steps.begin(), ex.steps.end());
  r.uid_base = ex.uid_base;
  r.gid_base = ex.gid_base;
  r.id_fallback = ex.uid_fallback || ex.gid_fallback;
  switch (ex.cgroup_mode) {
    case isolate::CgroupMode::kV1:
      r.cgroup_version = 1;
      break;
    case isolate::CgroupMode::kV2:
      r.cgroup_version = 2;
      break;
    case isolate::CgroupMode::kNone:
      r.cgroup_version = 0;
      break;
  }
  r.cgroup_paths = ex.cgroup_paths;
  r.peak_memory_bytes = ex.usage.peak_memory_bytes;
  // The cgroup counts every process; without one, PID 1's rusage is the best there is.
  bool cgroup = ex.cgroup_mode != isolate::CgroupMode::kNone;
  r.cpu_user_ns = cgroup ? ex.usage.cpu_user_ns : ex.outcome.cpu_user_ns;
  r.cpu_system_ns = cgroup ? ex.usage.cpu_system_ns : ex.outcome.cpu_system_ns;
  r.oom_kills = ex.usage.oom_kills;
  r.output_bytes = ex.outcome.output_bytes;
  r.output_dropped_bytes = ex.outcome.output_dropped_bytes;
  r.stdout_mid_line = ex.outcome.stdout_mid_line;
  r.stop_requested = ex.outcome.stop_requested;
  r.stop_killed = ex.outcome.stop_killed;
  r.stop_ns = ex.outcome.stop_ns;
  for (const auto& d : ex.outcome.seccomp_denials)
    r.seccomp_denials.push_back({d.name, d.err, d.count});
  if (!ex.outcome.seccomp_error.step.empty()) r.seccomp_report_error = ex.outcome.seccomp_error;
  using Kind = isolate::Outcome::Kind;
  const isolate::Outcome& o = ex.outcome;
  const backend::Progress& p = ex.progress;
  r.applied.mounts = p.mounts;
  r.applied.privileges = p.privileges;
  r.applied.seccomp = p.seccomp;
  r.applied.exec = p.exec_called && !p.exec_returned;
  // A limit the supervisor enforced explains the end before anything else does.
  switch (o.limit) {
    case isolate::LimitHit::kWallTime:
      r.reason = Reason::kWallTime;
      return;
    case isolate::LimitHit::kCpuTime:
      r.reason = Reason::kCpuTime;
      return;
    case isolate::LimitHit::kOutput:
      r.reason = Reason::kOutputLimit;
      return;
    case isolate::LimitHit::kNone:
      break;
  }
  // The OOM killer's SIGKILL: of the command (v1 picks a process), or of the whole group
  // with PID 1 (v2, memory.oom.group).
  bool killed = o.kind == Kind::kKilled || (o.kind == Kind::kSignaled && o.code == SIGKILL);
  if (r.oom_kills > 0 && killed) {
    r.reason = Reason::kOom;
    return;
  }
  if (command_never_ran(r, o, p)) return;
  switch (o.kind) {
    case Kind::kExited:
      r.reason = Reason::kExited;
      r.exit_code = o.code;
      break;
    case Kind::kSignaled:
      r.reason = Reason::kSignaled;
      r.signal = o.code;
      break;
    case Kind::kExecFailed:
      r.failure = Failure::kExec;
      r.exit_code = o.code;
      r.error = o.error;
      break;
    case Kind::kSetupFailed:
      r.failure = Failure::kSetup;
      r.error = o.error;
      break;
    case Kind::kKilled:
      // PID 1 died without a word: reported as the signal that killed it.
      r.reason = Reason::kSignaled;
      r.signal = o.code != 0 ? o.code : SIGKILL;
      break;
  }
}

// backend::prepare, its duration recorded as the "prepare" step.
Result<backend::Prepared> timed_prepare(spec::SandboxSpec spec, const plan::CallerEnv& caller,
                                        std::vector<std::pair<std::string, uint64_t>>* timings) {
  const auto start = std::chrono::steady_clock::now();
  auto prepared = backend::prepare(std::move(spec), caller);
  timings->emplace_back("prepare", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count());
  return prepared;
}

// The end of a run: the backend's failure as a setup failure, or the execution.
void end_with(RunResult& r, Result<backend::Execution> ex) {
  if (!ex.ok()) {
    r.failure = Failure::kSetup;
    r.error = ex.error();
    return;
  }
  fill_result(r, *ex);
}

}  // namespace

namespace {

// What a start refuses before it creates anything: an invalid spec, then what the
// preparation finds (host paths, the seccomp profile). Null when r holds the refusal.
std::optional<backend::Prepared> prepared_or_refused(spec::SandboxSpec spec,
                                                     const plan::CallerEnv& caller, RunResult& r) {
  r.spec = spec;
  if (auto v = spec::validate(spec); !v.ok()) {
    r.failure = Failure::kInvalid;
    r.error = v.error();
    return std::nullopt;
  }
  auto prepared = timed_prepare(std::move(spec), caller, &r.timings_ns);
  if (!prepared.ok()) {
    // A host path that is missing or unreadable fails with its errno; a profile that
    // does not parse or compile is bad input of the usage kind.
    r.failure = prepared.error().err != 0 ? Failure::kInput : Failure::kInvalid;
    r.error = prepared.error();
    return std::nullopt;
  }
  // Mistakes the start would find half-way (exit 125, naming cordon's staging paths).
  auto problem = check_inside_paths(prepared->spec);
  if (!problem) problem = check_cgroup_parent(prepared->spec);
  if (problem) {
    r.failure = problem->missing_input ? Failure::kInput : Failure::kInvalid;
    r.error = std::move(problem->error);
    return std::nullopt;
  }
  return std::move(prepared).value();
}

}  // namespace

RunResult check(spec::SandboxSpec spec, const plan::CallerEnv& caller) {
  RunResult r;
  if (prepared_or_refused(std::move(spec), caller, r)) r.reason = Reason::kExited;
  return r;
}

RunResult run(spec::SandboxSpec spec, const plan::CallerEnv& caller, isolate::Registration* name) {
  RunResult r;
  auto prepared = prepared_or_refused(std::move(spec), caller, r);
  if (!prepared) return r;
  r.spec = prepared->spec;
  r.plan = prepared->plan;
  prepared->registration = name;
  end_with(r, backend::run(*prepared));
  return r;
}

class Prestarted {
 public:
  backend::Prepared prepared;
  std::vector<std::pair<std::string, uint64_t>> timings_ns;
  backend::StartedPtr started;  // last: ends before what it points to
};

void PrestartedDeleter::operator()(Prestarted* p) const {
  delete p;
}

Result<PrestartedPtr> prestart(spec::SandboxSpec spec, const plan::CallerEnv& caller) {
  TRY(spec::validate(spec));
  PrestartedPtr p(new Prestarted);
  ASSIGN_OR_RETURN(p->prepared, timed_prepare(std::move(spec), caller, &p->timings_ns));
  p->prepared.plan.late_command = true;
  ASSIGN_OR_RETURN(p->started, backend::start(p->prepared));
  return p;
}

std::optional<RunResult> run_prestarted(PrestartedPtr p, spec::SandboxSpec request,
                                        const plan::CallerEnv& caller) {
  if (!spec::validate(request).ok() || !spec::same_sandbox(request, p->prepared.spec))
    return std::nullopt;
  std::vector<std::string> envp = plan::build_env(request, caller);
  if (!isolate::command_fits(request.argv, envp)) return std::nullopt;
  RunResult r;
  r.spec = p->prepared.spec;
  r.spec.argv = request.argv;
  r.spec.env = request.env;
  r.plan = p->prepared.plan;
  r.plan.argv = request.argv;
  r.plan.envp = envp;
  r.timings_ns = p->timings_ns;
  r.prestarted = true;
  // PID 1 gone while it waited: the caller starts cold instead.
  if (!backend::send_command(*p->started, request.argv, envp, STDIN_FILENO).ok())
    return std::nullopt;
  end_with(r, backend::finish(std::move(p->started)));
  return r;
}

}  // namespace cordon::engine
