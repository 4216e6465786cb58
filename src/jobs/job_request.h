// The bodies tenants and the operator send, parsed and validated: a job submission
// (POST /v1/jobs) and a tenant's settings (POST/PATCH /v1/tenants). Untrusted input:
// bounded, unknown fields refused, every error names its field
// (fuzz/job_request_fuzz.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "jobs/model.h"
#include "jobs/refusal.h"

namespace cordon::jobs {

// A refusal's kind: kInvalid for what is malformed or unknown (a duplicate key
// included), kTooLarge for a body over its size, kNeverFits for a well-formed value over
// the tenant's maxima. Its field: the JSON path of the culprit ("limits.memory",
// "files[2].path"). Messages give values in the units the caller writes ("0.01", "256M",
// "30s").
template <typename T>
struct Parsed {
  std::optional<T> value;
  Refusal error;
  bool ok() const { return value.has_value(); }
};

inline constexpr size_t kMaxJobBody = 1 << 20;  // JSON; larger inputs come as a tar upload
inline constexpr size_t kMaxInlineFiles = 1000;
inline constexpr size_t kMaxFilePath = 1024;
inline constexpr size_t kMaxFileDepth = 32;
// Inline stdin is bounded by the body (kMaxJobBody) already; larger input comes as a file
// of an upload ({"stdin": {"file": PATH}}).
inline constexpr size_t kMaxInlineStdin = kMaxJobBody;

// A job submission within quota's per-job maxima; absent limits get the defaults
// (cordon run's, lowered to the tenant's maximum).
Parsed<JobSpec> parse_job_request(std::string_view body, const Quota& quota);

// A tenant's name and quota: the fields given override base (PATCH), the rest stay.
struct TenantRequest {
  std::string name;  // empty when not given
  Quota quota;
};
Parsed<TenantRequest> parse_tenant_request(std::string_view body, const Quota& base,
                                           bool name_required);

// The quota as its wire object: the names and units parse_tenant_request reads.
nlohmann::json quota_to_json(const Quota& q);

// A relative path of a file inside a workspace: no "..", ".", empty component, NUL or
// leading '/'; within kMaxFilePath and kMaxFileDepth.
bool valid_relative_path(std::string_view path);
// A tenant or image name: [a-z0-9][a-z0-9._-]{0,62}.
bool valid_name(std::string_view name);

// Tenant ids and tenant names are disjoint, so that a route's {tenant} (an id or a name)
// names one tenant only: an id is kTenantIdPrefix and 16 hex digits, and a name is a
// valid_name that does not start with kTenantIdPrefix.
inline constexpr std::string_view kTenantIdPrefix = "t-";
bool is_tenant_id_form(std::string_view s);  // starts with kTenantIdPrefix
bool valid_tenant_name(std::string_view name);

}  // namespace cordon::jobs
