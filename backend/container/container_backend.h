// The container backend: a sandbox made of namespaces on the host's kernel. Two calls, so
// that what is wrong with the input is told apart from what failed while starting:
// prepare() checks the spec against the host and compiles the plan (nothing is created),
// run() starts the sandbox and supervises it to its end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "isolate/cgroup.h"
#include "isolate/supervisor.h"
#include "plan/launch_plan.h"
#include "spec/spec.h"

namespace cordon::backend {

struct Prepared {
  spec::SandboxSpec spec;  // with host paths made canonical
  plan::LaunchPlan plan;
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
};

Result<Prepared> prepare(spec::SandboxSpec spec, const plan::CallerEnv& caller);
Result<Execution> run(const Prepared& prepared);

}  // namespace cordon::backend
