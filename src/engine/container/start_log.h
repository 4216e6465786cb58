// `cordon run -v`: one line on stderr per step of a start, with its time since the start
// (from the marks of isolate/timeline.h, which the sandbox's processes write on a shared
// page: nothing between clone and exec logs by itself); `-vv` adds the details (the ID
// maps, the cgroup and the limits written, the mount plan, the seccomp program). Lines
// are written by the supervisor only, and never while the command's output is pumped:
// the steps before the clone as they happen, the others once the sandbox has ended, in
// the order of their times. Silent below LogLevel::kInfo (base/log.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "isolate/cgroup.h"
#include "isolate/timeline.h"
#include "plan/launch_plan.h"

namespace cordon::backend {

// What the lines name, known to the supervisor.
struct StartFacts {
  const plan::LaunchPlan* plan = nullptr;
  int64_t slot_index = -1;  // the slot's number among the configured ones
  uint64_t uid_base = 0;
  uint64_t gid_base = 0;
  isolate::CgroupMode cgroup_mode = isolate::CgroupMode::kNone;
  std::vector<std::string> cgroup_paths;
  pid_t pid1 = 0;  // host PID of the sandbox's PID 1
};

class StartLog {
 public:
  // The marks recorded so far and not logged yet, in the order of their times; `until`:
  // only marks up to it (the steps before the clone, logged as they happen).
  void flush(const isolate::Timeline& t, const StartFacts& f,
             isolate::Mark until = isolate::Mark::kCount);
  // The command's stderr (the same fd) ended mid-line: the next line starts a new one.
  void newline_first() { newline_first_ = true; }

 private:
  uint64_t logged_ = 0;  // bit per Mark
  uint64_t last_ns_ = 0;
  bool newline_first_ = false;
};

}  // namespace cordon::backend
