// The typed parent/child protocol over a SOCK_SEQPACKET pair. Each phase is one
// message; a failure carries errno, the step and the path, so the parent can say
// exactly what could not be applied.
//
//   parent -> child   kMapsWritten   (+ the detached host trees of the mount plan, in order)
//   child  -> parent  kSetupError    a setup step failed; the child exits
//   child  -> parent  kExecError     execve of the command failed (not found, not executable)
//   child  -> parent  kSeccompListener  (--seccomp-report) the filter's notification fd
//   child  -> parent  kTerminal      (-t) the master of the sandbox's pseudo-terminal
//   parent -> child   command        (prestarted sandboxes only) the command, its
//                                    environment and its stdin, once a caller asks
//   init   -> parent  kExited        the command ended: exit code or signal
// The socket is close-on-exec, so the command itself never holds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::isolate {

enum class Phase : uint32_t {
  kMapsWritten = 1,
  kSetupError = 2,
  kExecError = 3,
  kExited = 4,
  kSeccompListener = 5,
  kTerminal = 6,
};

struct SyncMsg {
  Phase phase;
  int32_t err;       // errno for kSetupError/kExecError
  int32_t code;      // kExited: exit code or signal number
  int32_t signaled;  // kExited: 1 when killed by a signal
  char step[96];
  char path[512];
};

Status send_phase(int sock, Phase phase, const std::vector<int>& fds = {});
// Best effort: used on the child's failure path, where there is nobody to report to.
void send_error(int sock, Phase phase, const Error& e) noexcept;
void send_exit(int sock, bool signaled, int code) noexcept;
// Waits for one message; an EOF (the peer died) is an error.
Result<SyncMsg> recv_phase(int sock, std::vector<UniqueFd>* fds_out = nullptr);
Error to_error(const SyncMsg& m);

// The command of a prestarted sandbox (plan::LaunchPlan::late_command): sent once, when a
// caller's request arrives. Bounded: a larger one is not sent (the caller starts cold).
inline constexpr size_t kMaxCommandBytes = 128 * 1024;
struct Command {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  UniqueFd stdin_fd;
};
// Whether argv and envp fit in one command message.
bool command_fits(const std::vector<std::string>& argv, const std::vector<std::string>& envp);
Status send_command(int sock, const std::vector<std::string>& argv,
                    const std::vector<std::string>& envp, int stdin_fd);
Result<Command> recv_command(int sock);

}  // namespace cordon::isolate
