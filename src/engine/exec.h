// `cordon exec`: a command in a running named sandbox (`cordon run --name`), with the
// confinement of the sandbox's own command: its user, mount, PID, IPC, UTS, network,
// cgroup and time namespaces, its cgroup, its rlimits, the capability sets its spec gives
// the user, no_new_privs and its seccomp filter (isolate/enter.h says how it enters).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "isolate/sandbox_state.h"
#include "plan/launch_plan.h"

namespace cordon::engine {

struct ExecRequest {
  std::string name;
  std::vector<std::string> argv;
  // Added to the sandbox's environment (PATH, HOME, TERM and LANG of the exec's caller,
  // the sandbox's --env entries), a later entry replacing an earlier one of its name.
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<uid_t> uid;  // default: the sandbox's user and group
  std::optional<gid_t> gid;
  std::optional<std::string> workdir;  // default: the sandbox's working directory
  bool tty = false;
  std::string state_dir = isolate::kDefaultStateDir;
};

struct ExecResult {
  int status = 0;  // the command's; 128+N; 126/127; 125 setup failed; 66 no such sandbox
  std::optional<Error> error;
};

ExecResult exec(const ExecRequest& request, const plan::CallerEnv& caller);

}  // namespace cordon::engine
