// `cordon job submit`: the body, an upload first when asked, then the job's id or JSON,
// and with --wait or --follow the job's own exit status.
#pragma once

#include <string>
#include <vector>

#include "client/connection.h"

namespace cordon::client {

std::string submit_help();  // its --help
int job_submit(const std::vector<std::string>& args, const Getenv& getenv);

}  // namespace cordon::client
