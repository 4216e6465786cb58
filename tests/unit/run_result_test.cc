// engine/run.h: the status `cordon run` exits with, for each way a run can end.
#include "engine/run.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/result_json.h"

namespace cordon::engine {
namespace {

RunResult result(Reason reason, Failure failure, int exit_code = 0, int signal = 0) {
  RunResult r;
  r.reason = reason;
  r.failure = failure;
  r.exit_code = exit_code;
  r.signal = signal;
  return r;
}

TEST(RunResultExitStatus, DocumentedConstants) {
  EXPECT_EQ(kExitUsage, 64);
  EXPECT_EQ(kExitInput, 66);
  EXPECT_EQ(kExitSetupFailed, 125);
  EXPECT_EQ(kExitNotExecutable, 126);
  EXPECT_EQ(kExitNotFound, 127);
}

TEST(RunResultExitStatus, ExitedIsTheCommandsOwnCode) {
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 0).exit_status(), 0);
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 1).exit_status(), 1);
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 3).exit_status(), 3);
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 255).exit_status(), 255);
  // The command's own 125..127 pass through unchanged.
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 127).exit_status(), 127);
  // The signal field does not matter for an exit.
  EXPECT_EQ(result(Reason::kExited, Failure::kNone, 7, 9).exit_status(), 7);
}

TEST(RunResultExitStatus, SignaledIs128PlusSignal) {
  EXPECT_EQ(result(Reason::kSignaled, Failure::kNone, 0, 9).exit_status(), 137);
  EXPECT_EQ(result(Reason::kSignaled, Failure::kNone, 0, 15).exit_status(), 143);
  EXPECT_EQ(result(Reason::kSignaled, Failure::kNone, 0, 1).exit_status(), 129);
  EXPECT_EQ(result(Reason::kSignaled, Failure::kNone, 0, 31).exit_status(), 159);
  EXPECT_EQ(result(Reason::kSignaled, Failure::kNone, 5, 2).exit_status(), 130);
}

TEST(RunResultExitStatus, InvalidSpecIsUsage) {
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kInvalid).exit_status(), kExitUsage);
}

TEST(RunResultExitStatus, InputFailureIsNoInput) {
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kInput).exit_status(), kExitInput);
}

TEST(RunResultExitStatus, SetupFailure) {
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kSetup).exit_status(), kExitSetupFailed);
  // The exit_code field is not used for a setup failure.
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kSetup, 3).exit_status(), kExitSetupFailed);
}

TEST(RunResultExitStatus, ExecFailureCarriesItsCode) {
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kExec, kExitNotExecutable).exit_status(), 126);
  EXPECT_EQ(result(Reason::kSetupFailed, Failure::kExec, kExitNotFound).exit_status(), 127);
}

TEST(RunResultExitStatus, DefaultResultIsASetupFailure) {
  RunResult r;
  EXPECT_EQ(r.reason, Reason::kSetupFailed);
  EXPECT_EQ(r.failure, Failure::kNone);
  EXPECT_EQ(r.exit_status(), kExitSetupFailed);
}

TEST(RunResultExitStatus, ReasonOverridesFailure) {
  // A command that ran reports its own status whatever the failure field says.
  EXPECT_EQ(result(Reason::kExited, Failure::kInvalid, 0).exit_status(), 0);
  EXPECT_EQ(result(Reason::kSignaled, Failure::kSetup, 0, 9).exit_status(), 137);
}

TEST(ReasonName, DistinctNonEmpty) {
  std::string a = reason_name(Reason::kExited);
  std::string b = reason_name(Reason::kSignaled);
  std::string c = reason_name(Reason::kSetupFailed);
  EXPECT_FALSE(a.empty());
  EXPECT_FALSE(b.empty());
  EXPECT_FALSE(c.empty());
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace cordon::engine

namespace cordon::engine {
namespace {

// The result claims the isolation steps the start applied, not those it planned.
TEST(RunResultJson, ClaimsOnlyWhatWasApplied) {
  RunResult r = result(Reason::kSetupFailed, Failure::kSetup);
  r.plan.seccomp = plan::SeccompProgram{};
  auto j = nlohmann::json::parse(result_to_json(r));
  EXPECT_EQ(j["isolation"]["pivot_root"], false);
  EXPECT_EQ(j["isolation"]["old_root_detached"], false);
  EXPECT_EQ(j["isolation"]["no_new_privs"], false);
  EXPECT_EQ(j["isolation"]["setsid"], false);
  EXPECT_EQ(j["seccomp"]["loaded"], false);
  r.applied.mounts = true;
  j = nlohmann::json::parse(result_to_json(r));
  EXPECT_EQ(j["isolation"]["pivot_root"], true);
  EXPECT_EQ(j["isolation"]["no_new_privs"], false);
  r.applied.privileges = true;
  r.applied.seccomp = true;
  j = nlohmann::json::parse(result_to_json(r));
  EXPECT_EQ(j["isolation"]["no_new_privs"], true);
  EXPECT_EQ(j["seccomp"]["loaded"], true);
  r.plan.seccomp.reset();  // unconfined: nothing to load
  j = nlohmann::json::parse(result_to_json(r));
  EXPECT_EQ(j["seccomp"]["loaded"], false);
}

}  // namespace
}  // namespace cordon::engine
