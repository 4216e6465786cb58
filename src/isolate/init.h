// PID 1 of the sandbox: forks the command, reaps every orphan, forwards the supervisor's
// termination signals to the command, and reports how the command ended. When PID 1
// exits, the kernel kills everything left in the PID namespace: no daemon outlives
// the command.
#pragma once

#include <string>
#include <vector>

#include "isolate/timeline.h"
#include "plan/launch_plan.h"

namespace cordon::isolate {

// The signals PID 1 forwards are blocked from the child's first instruction: a PID
// namespace's init drops a signal from outside for which it has no handler, so one sent
// while the sandbox is set up would be lost; blocked, it waits for run_init's handlers.
void block_forwarded_signals() noexcept;

// Returns the exit status for PID 1 (the command's, or 128+signal).
int run_init(const plan::LaunchPlan& plan, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp, int sync_fd, const Timeline& timeline) noexcept;

// --boot: the command replaces PID 1 (execve as PID 1 of the PID namespace): the seccomp
// filter is loaded, every signal unblocked and the command exec'd. From then on the
// supervisor follows PID 1 itself (its pidfd), not PID 1's reports: the sync socket closes
// at the exec. Returns only by exiting, after reporting the failure on sync_fd.
[[noreturn]] void exec_as_init(const plan::LaunchPlan& plan, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, int sync_fd,
                               const Timeline& timeline) noexcept;

}  // namespace cordon::isolate
