#include "rest/wire.h"

#include <time.h>

#include <cstdio>

#include "service/job_request.h"

namespace cordon::rest {

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

json job_json(const service::Job& j, const std::string& tenant_name, bool for_operator) {
  using service::JobState;
  json ts = json::object();
  ts["queued"] = timestamp(j.created_ms);
  if (j.started_ms > 0) ts["running"] = timestamp(j.started_ms);
  if (service::is_terminal(j.state) && j.ended_ms > 0)
    ts[service::state_name(j.state)] = timestamp(j.ended_ms);
  json limits = {
      {"memory", j.spec.memory}, {"cpus", static_cast<double>(j.spec.cpu_millis) / 1000},
      {"pids", j.spec.pids},     {"disk", j.spec.disk},
      {"output", j.spec.output}, {"cpu_time_ms", j.spec.cpu_time_ns / 1000000},
  };
  json out = {
      {"id", j.id},
      {"tenant", tenant_name},
      {"state", service::state_name(j.state)},
      {"timestamps", ts},
      {"command", j.spec.command},
      {"rootfs", j.spec.rootfs.empty() ? json(nullptr) : json(j.spec.rootfs)},
      {"seccomp", j.spec.seccomp},
      {"timeout_ms", j.spec.timeout_ns / 1000000},
      {"limits", limits},
      {"exit_status", service::is_terminal(j.state) ? json(j.exit_status) : json(nullptr)},
      {"reason", j.reason.empty() ? json(nullptr) : json(j.reason)},
      {"files_expired", j.files_expired},
  };
  json result = j.result_json.empty() ? json(nullptr) : json::parse(j.result_json, nullptr, false);
  if (result.is_discarded()) result = nullptr;
  if (!for_operator && result.is_object()) {
    if (result.contains("cgroup") && result["cgroup"].is_object()) result["cgroup"].erase("paths");
    if (result.contains("isolation") && result["isolation"].contains("binds"))
      for (auto& b : result["isolation"]["binds"])
        if (b.is_object()) b.erase("source");
  }
  out["result"] = result;
  return out;
}

json tenant_json(const service::Tenant& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", timestamp(t.created_ms)},
          {"quota", service::quota_to_json(t.quota)}};
}

json token_json(const service::TokenInfo& t) {
  return {{"id", t.id}, {"created_at", timestamp(t.created_ms)}};
}

}  // namespace cordon::rest
