// The client commands of the daemon, `cordon job` and `cordon tenant`, as main() reaches
// them: the command word, possibly after global options (`cordon --url URL job ls`).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::client {

// Whether main() should hand the command line to run(): "job", "tenant", or a global
// option (--url, --socket, --ca, --token-file) in front of one of them.
bool handles(std::string_view first_arg);

// args: the whole command line after "cordon". Returns the exit code: 0, 1 (the daemon
// refused), 64 (usage), 69 (unreachable), or a job's exit status (--wait, --follow).
// getenv: the environment (client::Getenv; this header includes nothing of curl, so
// that main() need not see it).
int run(const std::vector<std::string>& args,
        const std::function<const char*(const char*)>& getenv);

}  // namespace cordon::client
