#include "jobs/job_sandbox.h"

namespace cordon::jobs {

spec::SandboxSpec job_sandbox(const JobSpec& j, const JobPaths& p,
                              const std::string& cgroup_parent) {
  spec::SandboxSpec s;
  s.argv = j.command;
  s.env = j.env;
  if (!p.image.empty()) s.rootfs = p.image;
  // The workspace is a tmpfs the daemon made for this job alone: its tree (the input
  // files, the upload) is handed to the sandbox's user at the start, so that the job can
  // write in every folder it was given.
  spec::BindMount workspace;
  workspace.source = p.workspace;
  workspace.target = kWorkspaceInside;
  workspace.writable = true;
  workspace.owner = spec::BindOwner::kPlain;
  workspace.owned_by_sandbox = true;
  s.binds.push_back(std::move(workspace));
  s.workdir = kWorkspaceInside;
  s.disk_bytes = j.disk;
  s.limits.memory_bytes = j.memory;
  s.limits.pids = j.pids;
  s.limits.cpu_millis = j.cpu_millis;
  s.limits.wall_ns = j.timeout_ns;
  s.limits.cpu_time_ns = j.cpu_time_ns;
  s.limits.output_bytes = j.output;
  s.seccomp.kind = j.seccomp == "strict" ? spec::SeccompChoice::Kind::kStrict
                                         : spec::SeccompChoice::Kind::kDefault;
  s.cgroup_parent = cgroup_parent;
  return s;
}

}  // namespace cordon::jobs
