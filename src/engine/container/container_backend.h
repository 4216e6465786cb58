// The container backend: a sandbox made of namespaces on the host's kernel. Two calls, so
// that what is wrong with the input is told apart from what failed while starting:
// prepare() checks the spec against the host and compiles the plan (nothing is created),
// run() starts the sandbox and supervises it to its end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/store.h"
#include "isolate/cgroup.h"
#include "isolate/sandbox_state.h"
#include "isolate/supervisor.h"
#include "plan/launch_plan.h"
#include "spec/spec.h"

namespace cordon::backend {

struct Prepared {
  spec::SandboxSpec spec;  // with its host paths checked (isolate/preflight.h)
  plan::LaunchPlan plan;
  // A store image's layers in use: the store's gc.lock held shared until the sandbox is
  // gone (the last copy of this), so that `cordon image prune` cannot remove them.
  std::shared_ptr<image::StoreLock> layers_in_use;
  // `cordon run --name`: the name, reserved by the caller (the supervisor's process);
  // completed once PID 1 runs, removed before the sandbox is torn down. Not owned.
  isolate::Registration* registration = nullptr;
};

// How far a start got, as the sandbox's processes marked it (isolate/timeline.h): the
// result claims only what happened.
struct Progress {
  bool mounts = false;         // the mount plan applied, pivoted into the new root
  bool privileges = false;     // session, rlimits, IDs, capabilities, no_new_privs
  bool seccomp = false;        // the command's process loaded the filter
  bool exec_called = false;    // it called execve
  bool exec_returned = false;  // every execve failed (exec_errno)
  int exec_errno = 0;
};

struct Execution {
  isolate::Outcome outcome;
  isolate::CgroupUsage usage;
  isolate::CgroupMode cgroup_mode = isolate::CgroupMode::kNone;
  std::vector<std::string> cgroup_paths;
  uint64_t uid_base = 0;
  uint64_t gid_base = 0;
  bool uid_fallback = false;
  bool gid_fallback = false;
  uint64_t start_ns = 0;  // CLOCK_MONOTONIC, just before the slot is taken
  uint64_t end_ns = 0;    // after PID 1 is reaped, the cgroup removed and the slot released
  std::vector<std::pair<std::string, uint64_t>> steps;  // the start's breakdown (timeline.h)
  Progress progress;
};

Result<Prepared> prepare(spec::SandboxSpec spec, const plan::CallerEnv& caller);
Result<Execution> run(const Prepared& prepared);

// run() in two halves, for sandboxes started ahead (plan.late_command): start() does
// everything up to the command, finish() supervises to the end. A Started that is
// destroyed unfinished kills its sandbox, removes its cgroup and releases its slot.
class Started;
struct StartedDeleter {
  void operator()(Started* s) const;
};
using StartedPtr = std::unique_ptr<Started, StartedDeleter>;
// prepared must outlive the Started.
Result<StartedPtr> start(const Prepared& prepared);
// The command of a prestarted sandbox; the wall-time limit counts from here.
Status send_command(Started& started, const std::vector<std::string>& argv,
                    const std::vector<std::string>& envp, int stdin_fd);
Result<Execution> finish(StartedPtr started);

}  // namespace cordon::backend
