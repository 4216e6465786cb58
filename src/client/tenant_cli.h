// `cordon tenant ...`: the operator's tenants and their tokens, over the REST API.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace cordon::client {

// args: after "tenant". Returns the exit code (output.h).
int run_tenant_cli(const std::vector<std::string>& args, const Getenv& getenv);

// --quota KEY=VALUE...: numbers stay numbers, true/false are booleans, anything else is a
// string for the daemon to parse ("4G", "30s").
Result<nlohmann::json> quota_object(const std::vector<std::string>& pairs);

}  // namespace cordon::client
