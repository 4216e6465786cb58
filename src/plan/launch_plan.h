// The complete, compiled plan of one sandbox start: everything the launcher needs,
// computed before clone so that the child only applies data.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/mount_plan.h"
#include "plan/seccomp_policy.h"
#include "spec/spec.h"

namespace cordon::plan {

struct CallerEnv {
  std::string term;  // TERM of the caller, copied when set
  std::string lang;  // LANG of the caller, copied when set
  // The caller has put this process into a fresh network namespace of its own, made
  // ahead with only loopback up (the launcher's pool): the sandbox takes it instead of
  // making one. It is owned by the host's user namespace, so the sandbox has no
  // capability over it at all.
  bool netns_prepared = false;
};

// setrlimit(2) inside: soft and hard set alike, so the sandbox cannot raise them.
struct RlimitSetting {
  int resource;  // RLIMIT_*
  uint64_t value;
};

struct LaunchPlan {
  uint64_t clone_flags = 0;     // CLONE_NEW* made by clone3
  bool time_ns = false;         // CLONE_NEWTIME included
  bool netns_prepared = false;  // no CLONE_NEWNET: the caller's fresh netns (CallerEnv)
  // --net egress: no CLONE_NEWNET either; the supervisor makes the network namespace
  // (owned by the host's user namespace) and cordon-net wires it before the clone
  // (net/keeper.h); isolate::launch clones into it.
  bool egress = false;
  // Prestarted: PID 1 sets everything up, then waits for the command (isolate/sync.h)
  // instead of running argv/envp, which are then only placeholders.
  bool late_command = false;
  std::vector<std::string> namespaces;  // names, for the result
  MountPlan mounts;
  std::vector<std::string> argv;
  std::vector<std::string> envp;  // "K=V"
  std::string workdir;
  std::string hostname;
  uid_t uid = 0;
  gid_t gid = 0;
  // The bounding set (plan/caps_plan.h): root inside keeps it as permitted and
  // effective; empty: no capability at all, and root's special treatment locked off.
  std::vector<int> caps;
  std::vector<RlimitSetting> rlimits;
  spec::Limits limits;  // what the supervisor enforces (time, output) and the cgroup gets
  std::string cgroup_parent;
  bool no_cgroup = false;
  // -t: PID 1 makes a pseudo-terminal on the sandbox's devpts (/dev/pts, in every mount
  // plan), hands its master to the supervisor and gives the slave to the command
  // (isolate/pty.h).
  bool tty = false;
  // --boot: the command is exec'd as PID 1 itself (no reaper of cordon's), with a console
  // (/dev/console, a terminal of the sandbox's devpts whose master the supervisor relays
  // to stdout); a stop is SIGRTMIN+3 to it, SIGKILL of the sandbox after stop_grace_ns.
  bool boot = false;
  uint64_t stop_grace_ns = 0;
  std::optional<uint64_t> slot_base;  // the spec's fixed ID slot, if any
  // The compiled filter, loaded by the command's process as the last step before exec;
  // nullopt only for --seccomp unconfined.
  std::optional<SeccompProgram> seccomp;
};

// RLIMIT_NOFILE from the limits, RLIMIT_CORE 0 (no core dumps), and RLIMIT_FSIZE when the
// limits set one.
std::vector<RlimitSetting> plan_rlimits(const spec::Limits& limits);

// has_time_ns: whether the running kernel has time namespaces (the caller probes it).
LaunchPlan compile(const spec::SandboxSpec& spec, const CallerEnv& caller, bool has_time_ns);

// The environment: PATH, HOME, TERM and LANG (when the caller has them), then --env entries
// in order, a later one replacing an earlier one of the same name.
std::vector<std::string> build_env(const spec::SandboxSpec& spec, const CallerEnv& caller);

}  // namespace cordon::plan
