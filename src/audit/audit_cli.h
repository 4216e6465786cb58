// `cordon audit [--json] [--no-resources] [RUN OPTIONS]`: the scorecard on the command line.
#pragma once

#include <string>
#include <vector>

namespace cordon::audit {

// Exit status: 0 when every attempt was stopped, 1 when one escaped, 64 on a usage
// error, 125 when the audit itself could not run.
int run_audit_cli(const std::vector<std::string>& args);

}  // namespace cordon::audit
