// How a job ends (jobs/ending.h) and how its exit status goes on the wire (api/wire.h):
// the record says what happened, a kill by the daemon is never "setup failed", and a job
// with no status of its own says null, never a made-up number.
#include <gtest/gtest.h>

#include "api/wire.h"
#include "base/exit_codes.h"
#include "jobs/ending.h"

namespace cordon::jobs {
namespace {

RunOutcome reported(int status, const std::string& reason) {
  RunOutcome o;
  o.exit_status = status;
  o.reason = reason;
  o.result_json = "{}";
  return o;
}

RunOutcome supervisor_lost() {
  RunOutcome o;
  o.supervisor_lost = true;
  o.reason = "killed";
  return o;
}

Interference cancelled_by_user() {
  return {true, "cancelled", false, ""};
}

Interference killed_after_grace() {
  return {true, "cancelled", true, "cancelled: killed after cancel_grace"};
}

TEST(JobEnd, TheValuesAreDistinctFromEveryOtherExitStatus) {
  EXPECT_EQ(kExitKilled, 137);  // 128 + SIGKILL, as a shell reports it
  for (int other : {kExitOk, kExitUsage, kExitInput, kExitOom, kExitOutputLimit, kExitCpuTime,
                    kExitWallTime, kExitSetupFailed, kExitNotExecutable, kExitNotFound}) {
    EXPECT_NE(kExitKilled, other);
    EXPECT_NE(kNoExitStatus, other);
  }
}

TEST(JobEnd, AReportedRunKeepsItsOwnStatusAndReason) {
  JobEnd ok = job_end(reported(0, "exited"), {});
  EXPECT_EQ(ok.state, JobState::kSucceeded);
  EXPECT_EQ(ok.reason, "exited");
  EXPECT_EQ(ok.exit_status, 0);
  JobEnd failed = job_end(reported(kExitWallTime, "wall-time"), {});
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.reason, "wall-time");
  EXPECT_EQ(failed.exit_status, kExitWallTime);
  JobEnd setup = job_end(reported(kExitSetupFailed, "setup-failed: launcher: x"), {});
  EXPECT_EQ(setup.state, JobState::kFailed);
  EXPECT_EQ(setup.exit_status, kExitSetupFailed);
}

TEST(JobEnd, CancelledAndEndedOnSigtermKeepsTheSandboxsStatus) {
  JobEnd e = job_end(reported(kExitSignalBase + SIGTERM, "signaled"), cancelled_by_user());
  EXPECT_EQ(e.state, JobState::kCancelled);
  EXPECT_EQ(e.reason, "cancelled");
  EXPECT_EQ(e.exit_status, 143);
}

TEST(JobEnd, KilledAfterTheGraceIsSigkillNotSetupFailed) {
  JobEnd e = job_end(supervisor_lost(), killed_after_grace());
  EXPECT_EQ(e.state, JobState::kCancelled);
  EXPECT_EQ(e.reason, "cancelled: killed after cancel_grace");
  EXPECT_EQ(e.exit_status, kExitKilled);
  EXPECT_NE(e.exit_status, kExitSetupFailed);
}

TEST(JobEnd, KilledAtTheDaemonsStopSaysSo) {
  Interference stop{true, "daemon-stop: ended as the daemon stopped", true,
                    "daemon-stop: killed after the grace period"};
  JobEnd e = job_end(supervisor_lost(), stop);
  EXPECT_EQ(e.state, JobState::kCancelled);
  EXPECT_EQ(e.reason, "daemon-stop: killed after the grace period");
  EXPECT_EQ(e.exit_status, kExitKilled);
  // It reported just before the kill: its own status, the stop's reason.
  JobEnd raced = job_end(reported(0, "exited"), stop);
  EXPECT_EQ(raced.state, JobState::kCancelled);
  EXPECT_EQ(raced.reason, "daemon-stop: ended as the daemon stopped");
  EXPECT_EQ(raced.exit_status, 0);
}

TEST(JobEnd, KilledAfterTheSigkillWasSentButReportedFirstKeepsItsStatus) {
  // The kill lost the race: the run's reply came first, and it says how it ended.
  JobEnd e = job_end(reported(kExitSignalBase + SIGTERM, "signaled"), killed_after_grace());
  EXPECT_EQ(e.state, JobState::kCancelled);
  EXPECT_EQ(e.reason, "cancelled");
  EXPECT_EQ(e.exit_status, 143);
}

TEST(JobEnd, ASupervisorKilledByOthersHasNoStatus) {
  JobEnd e = job_end(supervisor_lost(), {});
  EXPECT_EQ(e.state, JobState::kFailed);
  EXPECT_EQ(e.reason, "killed");
  EXPECT_EQ(e.exit_status, kNoExitStatus);
  JobEnd c = job_end(supervisor_lost(), cancelled_by_user());
  EXPECT_EQ(c.state, JobState::kCancelled);
  EXPECT_EQ(c.exit_status, kNoExitStatus);
}

TEST(JobEnd, CancelledBeforeTheLauncherWasReachedNeverRan) {
  RunOutcome o;
  o.launcher_unreachable = true;
  o.exit_status = kExitSetupFailed;
  o.reason = "setup-failed: launcher: connect";
  JobEnd e = job_end(o, cancelled_by_user());
  EXPECT_EQ(e.state, JobState::kCancelled);
  EXPECT_EQ(e.reason, "cancelled");
  EXPECT_EQ(e.exit_status, kNoExitStatus);
}

TEST(JobWire, NoExitStatusIsNullAndAStatusIsItsNumber) {
  Job j;
  j.id = "j-000000000000000000000001";
  j.spec.command = {"true"};
  j.state = JobState::kRunning;
  EXPECT_TRUE(api::job_json(j, "t", false)["exit_status"].is_null());
  for (JobState s : {JobState::kCancelled, JobState::kLost, JobState::kFailed}) {
    j.state = s;
    j.exit_status = kNoExitStatus;
    EXPECT_TRUE(api::job_json(j, "t", false)["exit_status"].is_null()) << state_name(s);
  }
  j.state = JobState::kCancelled;
  j.exit_status = kExitKilled;
  EXPECT_EQ(api::job_json(j, "t", false)["exit_status"], 137);
  j.state = JobState::kSucceeded;
  j.exit_status = kExitOk;
  EXPECT_EQ(api::job_json(j, "t", true)["exit_status"], 0);
}

}  // namespace
}  // namespace cordon::jobs
