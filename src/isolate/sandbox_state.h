// The registry of named sandboxes: while a sandbox started with `cordon run --name NAME`
// lives, DIR/NAME.json (DIR: /run/cordon/sandboxes, 0700; the file 0600, root's) holds what
// `cordon exec` needs to enter it: the supervisor's and PID 1's host PIDs with their start
// times (a PID alone may name a recycled process), the slot, the cgroup's directories and
// the spec as applied.
//
// A name is reserved before the sandbox starts (a file with only the supervisor's PID),
// completed once PID 1 runs, and removed when the sandbox ends, on every path of the
// supervisor (the Registration's destructor). A supervisor killed with SIGKILL leaves its
// file behind: a file whose supervisor or PID 1 is gone, or whose start time differs, is
// stale: the next reservation of any name, or lookup of that name, removes it. Every change is made
// under an flock of DIR/.lock, and each file is replaced atomically (a temporary renamed
// over it), so a reader never sees half a file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/seccomp_policy.h"

namespace cordon::isolate {

inline constexpr const char* kDefaultStateDir = "/run/cordon/sandboxes";

// [a-z0-9][a-z0-9_.-]{0,62}. The error names the flag (what) and the value.
Status validate_sandbox_name(const std::string& name, const std::string& what);

struct SandboxState {
  std::string name;
  pid_t supervisor_pid = 0;
  uint64_t supervisor_start = 0;  // /proc/PID/stat field 22
  pid_t pid1 = 0;                 // host PID of the sandbox's PID 1; 0 while starting
  uint64_t pid1_start = 0;
  uint64_t uid_base = 0;
  uint64_t gid_base = 0;
  int cgroup_version = 0;  // 1, 2, or 0 without a cgroup
  std::vector<std::string> cgroup_paths;
  nlohmann::json spec;  // spec::to_json of the spec as applied
  // The seccomp filter the command loaded, instruction for instruction (with
  // --seccomp-report, its plain twin: the same denials, as errnos), so that an entering
  // process loads exactly it whatever a profile file says by then. nullopt: unconfined.
  std::optional<plan::SeccompProgram> seccomp;
};

nlohmann::json state_to_json(const SandboxState& s);
Result<SandboxState> state_from_json(const nlohmann::json& j);

// Whether the processes a state names are those alive now (PID and start time).
bool state_is_live(const SandboxState& s);

// A name held by this process: removes its file when destroyed.
class Registration {
 public:
  Registration() = default;
  Registration(Registration&& o) noexcept { *this = std::move(o); }
  Registration& operator=(Registration&& o) noexcept;
  ~Registration();

  // Writes the complete state (PID 1 running) over the reservation, atomically.
  Status publish(const SandboxState& state);
  // Removes the file now (idempotent).
  void remove();
  bool held() const { return !path_.empty(); }

 private:
  friend Result<Registration> reserve_name(const std::string& dir, const std::string& name);
  std::string dir_;
  std::string path_;
  std::string name_;
};

// Reserves NAME for this process (the supervisor): EEXIST when a live sandbox has it.
// Every stale file of DIR is swept first. Creates DIR (0700) when missing.
Result<Registration> reserve_name(const std::string& dir, const std::string& name);

// The live sandbox named NAME: ENOENT when there is none (no file, or a stale one, which
// is removed), EAGAIN when it is still starting.
Result<SandboxState> find_sandbox(const std::string& dir, const std::string& name);
// The same, with the registry's lock kept in *lock on success (isolate::enter releases it
// once it is in the sandbox's cgroup).
Result<SandboxState> find_sandbox(const std::string& dir, const std::string& name, UniqueFd* lock);

}  // namespace cordon::isolate
