// When each step of one sandbox start happened, for the breakdown in the result
// ("timings_us", docs/result.md) and bench/. The marks live in a shared anonymous page,
// so the supervisor, the sandbox's PID 1 and the command's process up to its execve
// write on one clock (CLOCK_MONOTONIC) across the clone. The command itself never sees
// the page: execve drops it. Nothing of the sandbox's isolation is decided on these
// values; they tell the result (and -v) how far a start got: which steps were applied,
// whether the command's execve was reached and whether it returned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::sys {
class SharedPage;
}

namespace cordon::isolate {

enum class Mark : int {
  kStart,            // supervisor: the run begins
  kSlotTaken,        // supervisor: the ID slot is locked
  kCgroupReady,      // supervisor: the cgroup exists with its limits
  kCloned,           // supervisor: clone3 returned
  kMapsWritten,      // supervisor: ID maps written, host trees sent
  kChildStarted,     // child: first instruction after clone
  kMapsReceived,     // child: the go from the supervisor arrived
  kMountsDone,       // child: pivoted into the new root
  kSetupDone,        // child: privileges dropped, about to fork the command
  kCommandReceived,  // child: the command is known (at once, unless prestarted)
  kCommandForked,    // command's process: first instruction after the fork
  kSeccompLoaded,    // command's process: filter loaded
  kExec,             // command's process: calling execve
  kExecFailed,       // command's process: execve returned (every attempt of the PATH search)
  kCommandEnded,     // PID 1: the command's process reaped
  kExited,           // supervisor: the sandbox's end observed
  kTornDown,         // supervisor: cgroup removed, slot released
  kCount,
};

class Timeline {
 public:
  // A timeline that records nothing (for callers that do not want one).
  Timeline();
  Timeline(Timeline&&) noexcept;
  Timeline& operator=(Timeline&&) noexcept;
  ~Timeline();
  static Result<Timeline> create();

  // Async-signal-safe: safe between clone and exec.
  void mark(Mark m) const noexcept;
  uint64_t at(Mark m) const noexcept;
  // The errno of a failed execve, recorded with kExecFailed: the command's process reports
  // it on the sync socket too, but a seccomp filter may deny that report.
  void note_exec_errno(int err) const noexcept;
  int exec_errno() const noexcept;

  // The start's steps in order, each as (name, nanoseconds); a step whose marks were
  // not both recorded is left out.
  std::vector<std::pair<std::string, uint64_t>> steps() const;

 private:
  std::unique_ptr<sys::SharedPage> page_;  // null: records nothing
};

}  // namespace cordon::isolate
