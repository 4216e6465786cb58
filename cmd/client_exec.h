// `cordon job` and `cordon tenant` in the static cordon: handed to the dynamic
// cordon-client (cmd/client_main.cc), which links libcurl.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon::cmd {

// Whether the command line is the client's: "job", "tenant", or one of the client's global
// options (--url, --socket, --ca, --token-file, also as --opt=value) before them.
bool is_client_command(std::string_view first_arg);

// Where cordon-client is: beside this executable (/proc/self/exe), else in
// /usr/lib/cordon, else on PATH. An error says where it was looked for.
Result<std::string> find_client();

// Execs cordon-client with args (the command line after "cordon"); returns only on
// failure: the exit code, the error printed (69, as for any service that is missing).
int exec_client(const std::vector<std::string>& args);

}  // namespace cordon::cmd
