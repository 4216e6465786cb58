// A job's sandbox: the one mapping from a validated job (JobSpec, the REST API's form) to
// the engine's spec (spec::SandboxSpec), given where the job's files are on the host.
// Pure. The launcher runs the spec as it is: no command line in between.
#pragma once

#include <string>

#include "jobs/model.h"
#include "spec/spec.h"

namespace cordon::jobs {

struct JobPaths {
  std::string workspace;  // host folder bound read-write at /workspace
  std::string image;      // the rootfs image folder; empty: the host view
};

inline constexpr const char* kWorkspaceInside = "/workspace";

// cgroup_parent: the daemon's setting (empty: the daemon's own cgroup).
spec::SandboxSpec job_sandbox(const JobSpec& job, const JobPaths& paths,
                              const std::string& cgroup_parent);

}  // namespace cordon::jobs
