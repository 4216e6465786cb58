// A job's `cordon run` arguments: pure, from its validated spec and where its files are
// on the host. The launcher runs them exactly as `cordon run` would.
#pragma once

#include <string>
#include <vector>

#include "service/model.h"

namespace cordon::service {

struct JobPaths {
  std::string workspace;    // host folder bound read-write at /workspace
  std::string result_file;  // where the run writes its JSON result
  std::string image;        // the rootfs image folder; empty: the host view
};

struct RunSettings {
  std::string cgroup_parent;  // empty: the daemon's own cgroup
};

inline constexpr const char* kWorkspaceInside = "/workspace";

std::vector<std::string> job_args(const JobSpec& spec, const JobPaths& paths,
                                  const RunSettings& settings);

}  // namespace cordon::service
