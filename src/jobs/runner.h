// Runs one job to its end through the launcher (launcher/server.h): prepares its
// workspace, sends its sandbox spec with its log files as stdout and stderr and its
// stdin (inline bytes, a workspace file, or /dev/null), waits, and collects what it left. Runs on a
// thread of its own; the daemon itself never clones a sandbox.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/unique_fd.h"
#include "jobs/model.h"
#include "jobs/workspace.h"

namespace cordon::jobs {

struct RunSettings {
  std::string cgroup_parent;  // empty: the daemon's own cgroup
};

struct RunnerEnv {
  std::string launcher_socket;
  std::string images_dir;
  std::string image_store;  // the image store (`cordon image`) a job's "image" names one of
  RunSettings settings;
};

struct RunOutcome {
  int exit_status = kNoExitStatus;    // none when the sandbox never reported
  std::string reason;                 // the result's reason, or what went wrong around the run
  std::string result_json;            // empty when the sandbox never reported
  bool supervisor_lost = false;       // it ended without a reply (killed): no exit status
  bool launcher_unreachable = false;  // nothing was started: the job may be tried again
  int64_t sandbox_start_us = -1;      // the sandbox's own start, from its result's timings
  std::string collect_error;          // why what the job left was not kept (in full); empty: kept
};

// on_started: the supervisor's PID and a pidfd of it, once it runs the job. max_entries:
// the most entries of its workspace that may be kept (CollectLimits).
RunOutcome run_job(const Job& job, const JobFiles& files, const RunnerEnv& env,
                   uint64_t max_entries, const std::function<void(pid_t, UniqueFd)>& on_started);

}  // namespace cordon::jobs
