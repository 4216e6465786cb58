#include "plan/launch_plan.h"

#include <sched.h>
#include <sys/resource.h>

#include "plan/caps_plan.h"

namespace cordon::plan {

std::vector<std::string> build_env(const spec::SandboxSpec& spec, const CallerEnv& caller) {
  std::vector<std::pair<std::string, std::string>> vars = {{"PATH", spec::kDefaultPath},
                                                           {"HOME", spec::home_dir(spec)}};
  if (!caller.term.empty()) vars.emplace_back("TERM", caller.term);
  if (!caller.lang.empty()) vars.emplace_back("LANG", caller.lang);
  // --boot: systemd's container detection (systemd.io CONTAINER_INTERFACE).
  if (spec.boot) vars.emplace_back("container", "cordon");
  for (const auto& kv : spec.env) {
    bool replaced = false;
    for (auto& v : vars) {
      if (v.first == kv.first) {
        v.second = kv.second;
        replaced = true;
      }
    }
    if (!replaced) vars.push_back(kv);
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

std::vector<RlimitSetting> plan_rlimits(const spec::Limits& limits) {
  std::vector<RlimitSetting> r = {{RLIMIT_NOFILE, limits.nofile}, {RLIMIT_CORE, 0}};
  if (limits.fsize_bytes != 0) r.push_back({RLIMIT_FSIZE, limits.fsize_bytes});
  if (limits.stack_bytes != 0) r.push_back({RLIMIT_STACK, limits.stack_bytes});
  return r;
}

LaunchPlan compile(const spec::SandboxSpec& spec, const CallerEnv& caller, bool has_time_ns) {
  LaunchPlan p;
  // The cgroup namespace is not made here: the child unshares it once it sits in its
  // own cgroup, so that its cgroup root is the sandbox's group and not the caller's.
  p.clone_flags =
      CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  p.namespaces = {"user", "mnt", "pid", "ipc", "uts", "net", "cgroup"};
  if (spec.network.mode == spec::NetMode::kEgress) {
    p.clone_flags &= ~static_cast<uint64_t>(CLONE_NEWNET);
    p.egress = true;
  } else if (caller.netns_prepared) {
    p.clone_flags &= ~static_cast<uint64_t>(CLONE_NEWNET);
    p.netns_prepared = true;
  }
  if (has_time_ns) {
    p.clone_flags |= CLONE_NEWTIME;
    p.time_ns = true;
    p.namespaces.push_back("time");
  }
  p.mounts = plan_mounts(spec);
  p.argv = spec.argv;
  p.envp = build_env(spec, caller);
  p.workdir = spec.workdir.empty() ? spec::home_dir(spec) : spec.workdir;
  p.hostname = spec.hostname;
  p.uid = spec.uid;
  p.gid = spec.gid;
  p.caps = granted_caps(spec);
  p.rlimits = plan_rlimits(spec.limits);
  p.limits = spec.limits;
  p.cgroup_parent = spec.cgroup_parent;
  p.no_cgroup = spec.no_cgroup;
  p.tty = spec.tty;
  p.boot = spec.boot;
  p.stop_grace_ns = spec.stop_grace_ns;
  p.slot_base = spec.slot_base;
  return p;
}

}  // namespace cordon::plan
