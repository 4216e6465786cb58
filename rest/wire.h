// The API's wire types: jobs, tenants and tokens as JSON. The domain types
// (service/model.h) are not sent as they are: these choose what a client sees.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "service/model.h"

namespace cordon::rest {

// RFC 3339 in UTC with milliseconds ("2026-11-29T19:30:00.123Z"); null for 0.
nlohmann::json timestamp(int64_t ms);
// for_operator false: the host's paths in the result (cgroups, the workspace's folder)
// are left out, since a tenant has no business knowing the host's layout.
nlohmann::json job_json(const service::Job& job, const std::string& tenant_name, bool for_operator);
nlohmann::json tenant_json(const service::Tenant& t);
nlohmann::json token_json(const service::TokenInfo& t);

}  // namespace cordon::rest
