// PID 1 of the sandbox: forks the command, reaps every orphan, forwards the supervisor's
// termination signals to the command, and reports how the command ended. When PID 1
// exits, the kernel kills everything left in the PID namespace: no daemon outlives
// the command.
#pragma once

#include "plan/launch_plan.h"

namespace cordon::isolate {

// Returns the exit status for PID 1 (the command's, or 128+signal).
int run_init(const plan::LaunchPlan& plan, int sync_fd) noexcept;

}  // namespace cordon::isolate
