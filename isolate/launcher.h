// The supervisor's side of a sandbox: start it (the recipe of DESIGN.md section 3,
// parent side) and supervise it to its end.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"
#include "isolate/id_slot.h"
#include "plan/launch_plan.h"

namespace cordon::isolate {

// A started sandbox. Owns its PID 1: destroying a Sandbox that has not been waited for
// kills it (and so everything inside) and reaps it.
class Sandbox {
 public:
  Sandbox() = default;
  Sandbox(pid_t pid, UniqueFd pidfd, UniqueFd sync)
      : pid_(pid), pidfd_(std::move(pidfd)), sync_(std::move(sync)) {}
  Sandbox(Sandbox&&) noexcept = default;
  Sandbox& operator=(Sandbox&&) noexcept = default;
  ~Sandbox();

  pid_t pid() const { return pid_; }  // host PID of the sandbox's PID 1
  int pidfd() const { return pidfd_.get(); }
  int sync_fd() const { return sync_.get(); }
  void mark_reaped() { pidfd_.reset(); }

 private:
  pid_t pid_ = 0;
  UniqueFd pidfd_;
  UniqueFd sync_;
};

Result<Sandbox> launch(const plan::LaunchPlan& plan, const IdSlot& slot);

struct Outcome {
  enum class Kind { kExited, kSignaled, kSetupFailed, kExecFailed };
  Kind kind = Kind::kSetupFailed;
  int code = 0;  // exit code, or signal number for kSignaled
  Error error;   // for kSetupFailed and kExecFailed
};

// Forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the sandbox while it runs, waits for its
// end and reaps it.
Result<Outcome> supervise(Sandbox& sandbox);

}  // namespace cordon::isolate
