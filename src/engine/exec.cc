#include "engine/exec.h"

#include "base/exit_codes.h"
#include "isolate/enter.h"
#include "spec/spec_json.h"
#include "sys/clock.h"
#include "sys/ns.h"
#include "sys/process.h"

namespace cordon::engine {
namespace {

constexpr uint64_t kPollNs = 10'000'000;

ExecResult failed(int status, Error e) {
  return ExecResult{status, std::move(e)};
}

// The named sandbox once its command runs: PID 1 forks the command only after its whole
// setup (mounts, pivot_root, IDs), so a sandbox still starting is waited for, as long as
// its supervisor lives.
// Returns with the registry's lock in *lock (see isolate::enter).
// A booted sandbox's PID 1 is its init, which may never fork: waited for 30 s at most.
Result<isolate::SandboxState> running_sandbox(const ExecRequest& req, UniqueFd* lock) {
  for (uint64_t waited = 0;; waited += kPollNs) {
    auto s = isolate::find_sandbox(req.state_dir, req.name, lock);
    if (s.ok() && !sys::child_pids(s->pid1).empty()) return s;
    if (!s.ok() && s.error().err != EAGAIN) return s;
    if (s.ok() && s->spec.value("boot", false) && waited >= 30ull * 1000000000)
      return logic_error("exec", req.name, "its init has started nothing in 30 s; try again");
    lock->reset();
    sys::sleep_ns(kPollNs);
  }
}

}  // namespace

ExecResult exec(const ExecRequest& req, const plan::CallerEnv& caller) {
  UniqueFd registry_lock;
  auto found = running_sandbox(req, &registry_lock);
  if (!found.ok()) {
    if (found.error().err == ENOENT)
      return failed(kExitInput, logic_error("exec", req.name,
                                            "no running sandbox has this name (cordon run "
                                            "--name " +
                                                req.name + " starts one)"));
    return failed(kExitSetupFailed, std::move(found).error());
  }
  const isolate::SandboxState& st = *found;
  auto parsed = spec::spec_from_json(st.spec);
  if (!parsed.ok()) return failed(kExitSetupFailed, std::move(parsed).error());
  spec::SandboxSpec spec = std::move(parsed).value();
  // The sandbox's spec, with this command, its environment, IDs and directory.
  // The sandbox's working directory unless told otherwise, whatever the user.
  std::string workdir = spec.workdir.empty() ? spec::home_dir(spec) : spec.workdir;
  spec.argv = req.argv;
  spec.env.insert(spec.env.end(), req.env.begin(), req.env.end());
  if (req.uid) spec.uid = *req.uid;
  if (req.gid) spec.gid = *req.gid;
  spec.workdir = req.workdir ? *req.workdir : workdir;
  if (Status v = spec::validate(spec); !v.ok()) return failed(kExitUsage, std::move(v).error());
  plan::LaunchPlan plan = plan::compile(spec, caller, sys::kernel_has_ns("time"));

  isolate::EnterTarget target{st.pid1, st.pid1_start, st.cgroup_version, st.cgroup_paths};
  isolate::EnterRequest r;
  r.argv = plan.argv;
  r.envp = plan.envp;
  r.workdir = plan.workdir;
  r.uid = plan.uid;
  r.gid = plan.gid;
  r.caps = plan.caps;
  r.rlimits = plan.rlimits;
  r.seccomp = st.seccomp ? &*st.seccomp : nullptr;
  r.tty = req.tty;
  auto outcome = isolate::enter(target, r, std::move(registry_lock));
  if (!outcome.ok()) {
    if (outcome.error().err == ESRCH)
      return failed(kExitInput, logic_error("exec", req.name, "the sandbox has ended"));
    return failed(kExitSetupFailed, std::move(outcome).error());
  }
  // PID 1 ended between the lookup and the setns (its namespaces went with it).
  if (outcome->kind == isolate::EnterOutcome::Kind::kSetupFailed && outcome->error.err == ESRCH &&
      outcome->error.step == "setns")
    return failed(kExitInput, logic_error("exec", req.name, "the sandbox has ended"));
  ExecResult res{outcome->exit_status(), std::nullopt};
  using Kind = isolate::EnterOutcome::Kind;
  if (outcome->kind == Kind::kSetupFailed || outcome->kind == Kind::kExecFailed)
    res.error = outcome->error;
  return res;
}

}  // namespace cordon::engine
