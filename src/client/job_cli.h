// `cordon job ...`: jobs on the daemon, over its REST API.
#pragma once

#include <string>
#include <vector>

#include "client/connection.h"

namespace cordon::client {

// args: after "job". Returns the exit code (output.h; the job's own for --wait/--follow).
int run_job_cli(const std::vector<std::string>& args, const Getenv& getenv);

}  // namespace cordon::client
