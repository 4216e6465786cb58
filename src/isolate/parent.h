// The supervisor's side of a sandbox start: the recipe of DESIGN.md section 3, parent
// side. supervisor.h follows the sandbox to its end.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"
#include "isolate/cgroup.h"
#include "isolate/id_slot.h"
#include "isolate/timeline.h"
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

  // Read ends of the sandbox's stdout and stderr, taken by the supervisor.
  UniqueFd stdout_read;
  UniqueFd stderr_read;

 private:
  pid_t pid_ = 0;
  UniqueFd pidfd_;
  UniqueFd sync_;
};

// Starts the sandbox of plan in slot, inside cgroup (created with its limits already).
// The start's steps are marked on timeline, from both sides of the clone.
// netns_fd: with plan.egress, the network namespace the sandbox is cloned into (this
// process enters it for the clone and returns to its own at once).
Result<Sandbox> launch(const plan::LaunchPlan& plan, const IdSlot& slot, Cgroup& cgroup,
                       const Timeline& timeline, int netns_fd = -1);

}  // namespace cordon::isolate
