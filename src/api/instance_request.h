// The bodies of the instance routes (docs/api.md, "Instances"), parsed and validated:
// untrusted input, bounded (the body by the admission's jobs::kMaxJobBody, each string and
// array here), unknown fields refused, every error naming its field
// (fuzz/instance_request_fuzz.cc). What they give are the options of a
// `cordon instance` command line: never shell text, and no value that could be taken
// for an option.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::api {

inline constexpr size_t kTenantIdChars = 18;  // "t-" and 16 hex digits
// A tenant's name of an instance: its host name TENANT_ID-NAME is at most 58 characters.
inline constexpr size_t kMaxInstanceName = 58 - kTenantIdChars - 1;
inline constexpr size_t kMaxArgs = 256;
inline constexpr size_t kMaxArgBytes = 4096;
inline constexpr uint64_t kMaxExecTimeoutMs = 600000;  // 10 minutes
inline constexpr uint64_t kDefaultExecTimeoutMs = 60000;

struct RequestError {
  int status = 400;
  std::string message;
  std::string field;
};

// POST /v1/instances.
struct InstanceCreate {
  std::string name;  // as the tenant gave it
  std::string image;
  std::vector<std::string> options;  // of `cordon instance create`, after NAME
  std::vector<std::string> command;  // after "--" (has_command: "--" is given)
  bool has_command = false;
  // What it holds, counted against the tenant's quota (the CLI's defaults when absent).
  uint64_t disk = 0, memory = 0, cpu_millis = 0;
};
// max_pids: the tenant's job_pids (more is 422).
std::optional<InstanceCreate> parse_instance_create(std::string_view body, uint64_t max_pids,
                                                    RequestError* error);

// POST /v1/instances/{name}/exec.
struct InstanceExec {
  std::vector<std::string> options;  // of `cordon instance exec NAME` (--user, --workdir, --env)
  std::vector<std::string> command;
  uint64_t timeout_ms = kDefaultExecTimeoutMs;
  std::string stdin_data;
};
std::optional<InstanceExec> parse_instance_exec(std::string_view body, RequestError* error);

// [a-z0-9][a-z0-9-]*, at most kMaxInstanceName characters.
bool valid_short_name(const std::string& n);
// A command-line value: at most kMaxArgBytes, no NUL.
bool valid_arg(const std::string& a);

}  // namespace cordon::api
