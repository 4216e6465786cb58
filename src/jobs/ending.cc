#include "jobs/ending.h"

#include "base/exit_codes.h"

namespace cordon::jobs {

JobEnd job_end(const RunOutcome& o, const Interference& d) {
  // Its supervisor was killed by the daemon before it reported: the sandbox went down with
  // SIGKILL, as the daemon knows; not a setup failure.
  if (o.supervisor_lost && d.killed)
    return {d.cancelled ? JobState::kCancelled : JobState::kFailed, d.kill_reason, kExitKilled};
  if (d.cancelled) {
    // Nothing ran (the launcher was away), or its supervisor went without a result by no
    // doing of the daemon: no status of its own.
    if (o.launcher_unreachable || o.supervisor_lost)
      return {JobState::kCancelled, d.cancel_reason, kNoExitStatus};
    return {JobState::kCancelled, d.cancel_reason, o.exit_status};
  }
  if (o.supervisor_lost) return {JobState::kFailed, o.reason, kNoExitStatus};
  return {o.exit_status == kExitOk ? JobState::kSucceeded : JobState::kFailed, o.reason,
          o.exit_status};
}

}  // namespace cordon::jobs
