// A caller of the launcher (server.h): `cordon run --launcher SOCKET ...`.
#pragma once

#include <string>

#include "base/result.h"
#include "launcher/wire.h"

namespace cordon::launcher {

// Sends the request with this process's stdin, stdout and stderr and waits for the
// sandbox to end. Returns its exit status (as `cordon run` would exit).
Result<int> run_via(const std::string& socket_path, const Request& request);

}  // namespace cordon::launcher
