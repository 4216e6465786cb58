// The child's half of a sandbox start: everything between clone and exec, run inside
// the new namespaces. It never returns: it execs the command or exits.
#pragma once

#include <vector>

#include "isolate/timeline.h"
#include "plan/launch_plan.h"

namespace cordon::isolate {

struct ChildArgs {
  const plan::LaunchPlan* plan;
  int sync_fd;    // the child's end of the sync socket
  int keep_fd;    // the ID slot's lock: held until the sandbox's init exits
  int stdout_fd;  // write ends of the supervisor's output pipes
  int stderr_fd;
  const std::vector<int>* cgroup_join_fds;  // v1: "tasks" files to write "0" into, first
  const Timeline* timeline;                 // the start's step marks (shared page)
};

[[noreturn]] void child_main(const ChildArgs& args) noexcept;

}  // namespace cordon::isolate
