#include "client/job_view.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/parse.h"
#include "client/output.h"

namespace cordon::client {
namespace {

using nlohmann::json;

constexpr size_t kCommandWidth = 60;

std::string limits_text(const json& l) {
  if (!l.is_object()) return "-";
  std::string out;
  auto add = [&](const std::string& k, const std::string& v) {
    out += (out.empty() ? "" : " ") + k + "=" + v;
  };
  auto size = [&](const char* k) {
    if (l.contains(k) && l[k].is_number_unsigned()) add(k, format_size(l[k].get<uint64_t>()));
  };
  size("memory");
  if (l.contains("cpus")) add("cpus", scalar_text(l["cpus"]));
  if (l.contains("pids")) add("pids", scalar_text(l["pids"]));
  size("disk");
  size("output");
  if (l.value("cpu_time_ms", 0) > 0)
    add("cpu_time", std::to_string(l["cpu_time_ms"].get<int64_t>()) + "ms");
  return out;
}

std::string ms_text(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fms", v.get<double>());
  return buf;
}

// What the job used, as a judge reads it (the job's accounting).
std::string used_text(const json& a) {
  if (!a.is_object()) return "-";
  std::string mem = a.value("peak_memory_bytes", json()).is_number_unsigned()
                        ? format_size(a["peak_memory_bytes"].get<uint64_t>())
                        : "-";
  return "peak_memory=" + mem + " cpu_time=" + ms_text(a.value("cpu_time_ms", json())) +
         " wall_time=" + ms_text(a.value("wall_time_ms", json()));
}

std::string stdin_text(const json& s) {
  if (s.is_object() && s.contains("file")) return "file " + scalar_text(s["file"]);
  if (s.is_object() && s.contains("bytes")) return scalar_text(s["bytes"]) + " bytes inline";
  return "-";
}

}  // namespace

void print_file_table(const json& files) {
  Table t({"MODE", "SIZE", "PATH"});
  if (files.is_array()) {
    for (const auto& f : files) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", f.value("mode", 0u) & 07777u);
      bool dir = f.value("type", std::string()) == "dir";
      t.add({mode, dir ? "-" : scalar_text(f.value("size", json())),
             scalar_text(f.value("path", json())) + (dir ? "/" : "")});
    }
  }
  t.print();
}

void print_job(const json& job) {
  std::vector<std::pair<std::string, std::string>> rows;
  const json ts = job.value("timestamps", json::object());
  rows.emplace_back("id", scalar_text(job.value("id", json())));
  rows.emplace_back("tenant", scalar_text(job.value("tenant", json())));
  rows.emplace_back("state", scalar_text(job.value("state", json())));
  rows.emplace_back("exit", scalar_text(job.value("exit_status", json())));
  rows.emplace_back("reason", scalar_text(job.value("reason", json())));
  rows.emplace_back("command", command_text(job.value("command", json::array())));
  rows.emplace_back("created", short_time(ts.value("queued", json())));
  rows.emplace_back("started", short_time(ts.value("running", json())));
  for (const char* end : {"succeeded", "failed", "cancelled", "lost"})
    if (ts.contains(end)) rows.emplace_back("ended", short_time(ts[end]));
  rows.emplace_back("rootfs", scalar_text(job.value("rootfs", json())));
  if (job.contains("image") && !job["image"].is_null())
    rows.emplace_back("image", scalar_text(job["image"]) + " (" +
                                   scalar_text(job.value("image_id", json())) + ")");
  rows.emplace_back("seccomp", scalar_text(job.value("seccomp", json())));
  int64_t timeout_ms = job.value("timeout_ms", int64_t{0});
  rows.emplace_back("timeout", timeout_ms % 1000 == 0 ? std::to_string(timeout_ms / 1000) + "s"
                                                      : std::to_string(timeout_ms) + "ms");
  rows.emplace_back("limits", limits_text(job.value("limits", json())));
  rows.emplace_back("stdin", stdin_text(job.value("stdin", json())));
  rows.emplace_back("used", used_text(job.value("accounting", json())));
  if (job.value("files_expired", false))
    rows.emplace_back("files", "expired (removed by retention or the log quota)");
  std::string out;
  for (const auto& [k, v] : rows) out += k + ":" + std::string(10 - k.size(), ' ') + v + "\n";
  write_stdout(out);
}

void print_job_table(const json& jobs) {
  // TENANT too: the operator lists every tenant's jobs.
  Table t({"ID", "TENANT", "STATE", "EXIT", "CREATED", "COMMAND"});
  if (jobs.is_array()) {
    for (const auto& j : jobs) {
      const json ts = j.value("timestamps", json::object());
      t.add({scalar_text(j.value("id", json())), scalar_text(j.value("tenant", json())),
             scalar_text(j.value("state", json())), scalar_text(j.value("exit_status", json())),
             short_time(ts.value("queued", json())),
             command_text(j.value("command", json::array()), kCommandWidth)});
    }
  }
  t.print();
}

}  // namespace cordon::client
