// Running the daemon's own binary (`cordon instance ...`) for the instance routes: a
// child in a session of its own, stdin from bytes given, stdout and stderr into files of
// a scratch folder (so that no pipe fills while the handler waits), each read back up to
// a bound; killed at a deadline or when an output passes twice its bound. The daemon
// never enters or clones a sandbox itself: the child does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::api {

struct SubprocessLimits {
  uint64_t timeout_ms = 60000;
  size_t max_stdout = 1 << 20;
  size_t max_stderr = 1 << 20;
  std::string stdin_data;
};

struct SubprocessResult {
  int status = -1;  // its exit status, 128+N when killed by signal N
  bool timed_out = false;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string out, err;
};

// argv[0]: a path. scratch: a folder of root's (0700) where the run's files are made and
// removed again.
Result<SubprocessResult> run_subprocess(const std::string& scratch,
                                        const std::vector<std::string>& argv,
                                        const SubprocessLimits& limits);

// Removes what runs of a process that ended mid-run (killed) left in scratch. Call it
// before any run starts.
void remove_leftover_runs(const std::string& scratch);

}  // namespace cordon::api
