// How a job that was handed to the launcher ends: its state, reason and exit status, from
// what its run returned and what the daemon did to it meanwhile (a cancel, a SIGKILL).
// Pure: the record says what happened, never "setup failed" for a kill.
#pragma once

#include <string>

#include "jobs/model.h"
#include "jobs/runner.h"

namespace cordon::jobs {

// What the daemon did to a running job.
struct Interference {
  bool cancelled = false;     // cancelled, or the daemon is stopping
  std::string cancel_reason;  // its reason when the run still reported ("cancelled", ...)
  bool killed = false;        // the daemon sent its supervisor SIGKILL
  std::string kill_reason;    // its reason when the run ended unreported after that kill
};

struct JobEnd {
  JobState state = JobState::kFailed;
  std::string reason;
  int exit_status = kNoExitStatus;
};

// Not for a run that never reached the launcher and was not cancelled: that one is queued
// again (Service::finish).
JobEnd job_end(const RunOutcome& outcome, const Interference& by_daemon);

}  // namespace cordon::jobs
