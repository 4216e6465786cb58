// The command's side of the start: cwd, and execve with a PATH search that uses the
// sandbox's PATH (execvp would use the supervisor's).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::isolate {

// chdir into dir, creating it first when it does not exist and the tree is writable.
Status change_workdir(const std::string& dir);

// The command's execve, built before the seccomp filter is loaded (the PATH search's
// candidates, the pointer arrays): under the filter only the execve calls run. It points
// into argv and envp, which must outlive it.
struct ExecCall {
  std::vector<std::string> candidates;  // argv[0] itself when it has a '/'
  std::vector<char*> av;
  std::vector<char*> ev;
  bool search = false;  // a PATH search: the most telling errno of all candidates
};
ExecCall prepare_exec(const std::vector<std::string>& argv, const std::vector<std::string>& envp);

// Execs each candidate in turn; returns only on failure, with the errno of the most
// telling attempt (EACCES over ENOENT, as execvp does). Allocates nothing.
int run_exec(const ExecCall& call) noexcept;

// Exit status for an exec failure: 127 when not found, 126 when not executable.
int exec_failure_status(int err);

}  // namespace cordon::isolate
