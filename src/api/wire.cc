#include "api/wire.h"

#include <time.h>

#include <cstdio>

#include "jobs/job_request.h"

namespace cordon::api {

using nlohmann::json;

json timestamp(int64_t ms) {
  if (ms <= 0) return nullptr;
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

namespace {

std::string redacted(std::string text, const Redactions& redact) {
  for (const auto& [host, shown] : redact) {
    if (host.empty()) continue;
    for (size_t at = text.find(host); at != std::string::npos;
         at = text.find(host, at + shown.size()))
      text.replace(at, host.size(), shown);
  }
  return text;
}

// The fields of a `cordon run` result that describe the sandbox as its tenant sees it.
// Anything else (id_slot: the host's UIDs and GIDs; whatever a later version adds) stays
// with the operator.
constexpr const char* kTenantResultFields[] = {
    "reason",       "exit_status", "exit_code",  "signal",     "error",
    "wall_time_ms", "command",     "prestarted", "namespaces", "seccomp",
    "accounting",   "limits",      "cgroup",     "isolation",  "timings_us",
};

json tenant_result(const json& full, const Redactions& redact) {
  json out = json::object();
  for (const char* k : kTenantResultFields)
    if (full.contains(k)) out[k] = full[k];
  if (out.contains("error") && out["error"].is_string())
    out["error"] = redacted(out["error"].get<std::string>(), redact);
  if (out.contains("cgroup") && out["cgroup"].is_object())  // the version, not the host's paths
    out["cgroup"] = json{{"version", out["cgroup"].value("version", json(nullptr))}};
  if (out.contains("seccomp") && out["seccomp"].is_object() && out["seccomp"].contains("file"))
    out["seccomp"]["file"] = nullptr;
  if (out.contains("isolation") && out["isolation"].is_object()) {
    json& iso = out["isolation"];
    if (iso.contains("binds") && iso["binds"].is_array())
      for (auto& b : iso["binds"])
        if (b.is_object()) b.erase("source");
    if (iso.contains("root") && iso["root"].is_object()) iso["root"].erase("path");
  }
  if (out.contains("limits") && out["limits"].is_object() && out["limits"].contains("io"))
    out["limits"].erase("io");  // host block devices
  return out;
}

// What a judge reads, from the result's accounting (docs/result.md), at the top of the
// job: null until the sandbox reported. cpu_time_ms is user and system together.
json job_accounting(const json& result) {
  if (!result.is_object() || !result.contains("accounting") || !result["accounting"].is_object())
    return nullptr;
  const json& a = result["accounting"];
  auto num = [&](const char* k) {
    return a.contains(k) && a[k].is_number() ? a[k] : json(nullptr);
  };
  json out = {{"wall_time_ms", num("wall_time_ms")},
              {"cpu_user_ms", num("cpu_user_ms")},
              {"cpu_system_ms", num("cpu_system_ms")},
              {"peak_memory_bytes", num("peak_memory_bytes")},
              {"oom_kills", num("oom_kills")}};
  if (out["cpu_user_ms"].is_number() && out["cpu_system_ms"].is_number())
    out["cpu_time_ms"] = out["cpu_user_ms"].get<double>() + out["cpu_system_ms"].get<double>();
  else
    out["cpu_time_ms"] = nullptr;
  return out;
}

json stdin_json(const jobs::JobSpec& s) {
  if (s.has_stdin_content) return {{"bytes", s.stdin_bytes}};
  if (!s.stdin_file.empty()) return {{"file", s.stdin_file}};
  return nullptr;
}

}  // namespace

json job_json(const jobs::Job& j, const std::string& tenant_name, bool for_operator,
              const Redactions& redact) {
  using jobs::JobState;
  json ts = json::object();
  ts["queued"] = timestamp(j.created_ms);
  if (j.started_ms > 0) ts["running"] = timestamp(j.started_ms);
  if (jobs::is_terminal(j.state) && j.ended_ms > 0)
    ts[jobs::state_name(j.state)] = timestamp(j.ended_ms);
  json limits = {
      {"memory", j.spec.memory}, {"cpus", static_cast<double>(j.spec.cpu_millis) / 1000},
      {"pids", j.spec.pids},     {"disk", j.spec.disk},
      {"output", j.spec.output}, {"cpu_time_ms", j.spec.cpu_time_ns / 1000000},
  };
  json out = {
      {"id", j.id},
      {"tenant", tenant_name},
      {"state", jobs::state_name(j.state)},
      {"timestamps", ts},
      {"command", j.spec.command},
      {"rootfs", j.spec.rootfs.empty() ? json(nullptr) : json(j.spec.rootfs)},
      {"image", j.spec.image.empty() ? json(nullptr) : json(j.spec.image)},
      {"image_id", j.spec.image_id.empty() ? json(nullptr) : json(j.spec.image_id)},
      {"seccomp", j.spec.seccomp},
      {"timeout_ms", j.spec.timeout_ns / 1000000},
      {"stdin", stdin_json(j.spec)},
      {"limits", limits},
      {"exit_status", jobs::is_terminal(j.state) && j.exit_status != jobs::kNoExitStatus
                          ? json(j.exit_status)
                          : json(nullptr)},
      {"reason", j.reason.empty() ? json(nullptr)
                 : for_operator   ? json(j.reason)
                                  : json(redacted(j.reason, redact))},
      {"files_expired", j.files_expired},
  };
  json result = j.result_json.empty() ? json(nullptr) : json::parse(j.result_json, nullptr, false);
  if (result.is_discarded()) result = nullptr;
  out["accounting"] = job_accounting(result);
  if (!for_operator && result.is_object()) result = tenant_result(result, redact);
  out["result"] = result;
  return out;
}

json tenant_json(const jobs::Tenant& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", timestamp(t.created_ms)},
          {"quota", jobs::quota_to_json(t.quota)}};
}

json token_json(const jobs::TokenInfo& t) {
  return {{"id", t.id}, {"created_at", timestamp(t.created_ms)}};
}

}  // namespace cordon::api
