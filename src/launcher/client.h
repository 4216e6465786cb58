// A caller of the launcher (server.h): `cordon run --launcher SOCKET ...`, and the daemon.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "launcher/wire.h"

namespace cordon::launcher {

struct CallOptions {
  std::array<int, 3> stdio = {0, 1, 2};  // the sandbox's stdin, stdout and stderr
  // Called with the supervisor's PID and a pidfd of it (invalid if the launcher could
  // not make one) once it runs the request.
  std::function<void(pid_t, UniqueFd)> on_started;
};

// Sends the request and waits for the sandbox to end. Returns its exit status (as
// `cordon run` would exit) and its result. The supervisor ending without a reply (killed)
// is ECONNRESET.
Result<Reply> run_via(const std::string& socket_path, const Request& request,
                    const CallOptions& options = {});

}  // namespace cordon::launcher
