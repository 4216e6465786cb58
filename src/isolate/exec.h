// The command's side of the start: cwd, and execve with a PATH search that uses the
// sandbox's PATH (execvp would use the supervisor's).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::isolate {

// chdir into dir, creating it first when it does not exist and the tree is writable.
Status change_workdir(const std::string& dir);

// Exec argv with envp; returns only on failure, with the errno of the most telling
// attempt (EACCES over ENOENT, as execvp does).
Error exec_command(const std::vector<std::string>& argv, const std::vector<std::string>& envp);

// Exit status for an exec failure: 127 when not found, 126 when not executable.
int exec_failure_status(int err);

}  // namespace cordon::isolate
