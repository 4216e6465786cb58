// The API's wire types: jobs, tenants and tokens as JSON. The domain types
// (service/model.h) are not sent as they are: these choose what a client sees.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "jobs/model.h"

namespace cordon::api {

// RFC 3339 in UTC with milliseconds ("2026-11-29T19:30:00.123Z"); null for 0.
nlohmann::json timestamp(int64_t ms);
// Host paths that a job's reason or its result's error may name, each with the text a
// tenant sees in its place (the longest first: the first that matches is replaced).
using Redactions = std::vector<std::pair<std::string, std::string>>;

// A job as the API answers it. Host facts stay with the operator: with for_operator
// false, the result keeps only what describes the sandbox as its tenant sees it (no ID
// slot with its host UID and GID base, no cgroup paths, no host path of a bind or an
// image), and every host path of `redact` in the reason and the result's error is
// replaced.
nlohmann::json job_json(const jobs::Job& job, const std::string& tenant_name, bool for_operator,
                        const Redactions& redact = {});
nlohmann::json tenant_json(const jobs::Tenant& t);
nlohmann::json token_json(const jobs::TokenInfo& t);

}  // namespace cordon::api
