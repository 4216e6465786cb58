// `cordon daemon`: the multi-tenant job service. The recipe of a start, top to bottom in
// run_daemon(): configuration, folders, the launcher (exec'd, so that the multithreaded
// daemon never clones a sandbox itself), the state database, recovery, the API on the
// Unix socket (and TCP with TLS), then serving until SIGTERM, and a graceful stop.
#pragma once

#include <string>
#include <vector>

namespace cordon::daemon {

// argv after `cordon daemon`; the exit status.
int run_daemon(const std::vector<std::string>& args);

}  // namespace cordon::daemon
