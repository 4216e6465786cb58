#include "jobs/usage.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::jobs {
namespace {

std::optional<uint64_t> number_in(const std::string& path, std::string_view key = {}) {
  auto text = sys::read_small_file(path, 1 << 16);
  if (!text.ok()) return std::nullopt;
  size_t at = 0;
  if (!key.empty()) {  // "key value" lines (cpu.stat)
    at = text->find(std::string(key) + " ");
    if (at == std::string::npos) return std::nullopt;
    at += key.size() + 1;
  }
  char* end = nullptr;
  uint64_t v = std::strtoull(text->c_str() + at, &end, 10);
  if (end == text->c_str() + at) return std::nullopt;
  return v;
}

// A counter file of a sandbox's own group: its folder is named cordon-BASE (the name
// plan/cgroup_plan.h gives every sandbox's group).
bool in_sandbox_group(const std::string& counter_file) {
  size_t file = counter_file.rfind('/');
  if (file == std::string::npos || file == 0) return false;
  size_t dir = counter_file.rfind('/', file - 1);
  if (dir == std::string::npos) return false;
  return counter_file.compare(dir + 1, 7, "cordon-") == 0;
}

}  // namespace

std::optional<UsageFiles> usage_files(std::string_view text, const std::string& root) {
  std::string mem_v1, cpu_v1, unified;
  std::string cpu_dir;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // ID:CONTROLLERS:PATH
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view ctrl = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (path.find("..") != std::string::npos) continue;
    if (ctrl.empty()) unified = path;
    size_t pos = 0;
    while (pos <= ctrl.size()) {
      size_t comma = ctrl.find(',', pos);
      if (comma == std::string_view::npos) comma = ctrl.size();
      std::string_view c = ctrl.substr(pos, comma - pos);
      if (c == "memory") mem_v1 = root + "/memory" + path + "/memory.usage_in_bytes";
      if (c == "cpuacct") cpu_v1 = root + "/" + std::string(ctrl) + path + "/cpuacct.usage";
      pos = comma + 1;
    }
  }
  if (!mem_v1.empty() && !cpu_v1.empty()) return UsageFiles{mem_v1, cpu_v1, false};
  if (mem_v1.empty() && !unified.empty())
    return UsageFiles{root + unified + "/memory.current", root + unified + "/cpu.stat", true};
  return std::nullopt;
}

std::optional<Usage> sandbox_usage(pid_t supervisor) {
  auto children = sys::child_pids(supervisor);
  if (children.empty()) return std::nullopt;
  auto text =
      sys::read_small_file("/proc/" + std::to_string(children.front()) + "/cgroup", 1 << 16);
  if (!text.ok()) return std::nullopt;
  auto files = usage_files(*text);
  if (!files) return std::nullopt;
  // Until PID 1 has joined its sandbox's groups (its first act on cgroup v1), it is in
  // the supervisor's: whose counters are the host's or the daemon's, not the tenant's.
  if (!in_sandbox_group(files->memory) || !in_sandbox_group(files->cpu)) return std::nullopt;
  auto mem = number_in(files->memory);
  auto cpu = files->v2 ? number_in(files->cpu, "usage_usec") : number_in(files->cpu);
  if (!mem || !cpu) return std::nullopt;
  return Usage{*mem, files->v2 ? *cpu * 1000 : *cpu};
}

uint64_t result_cpu_ns(const std::string& result_json) {
  auto j = nlohmann::json::parse(result_json, nullptr, false);
  if (!j.is_object() || !j.contains("accounting") || !j["accounting"].is_object()) return 0;
  const auto& a = j["accounting"];
  double ms = 0;
  for (const char* k : {"cpu_user_ms", "cpu_system_ms"})
    if (a.contains(k) && a[k].is_number()) ms += a[k].get<double>();
  return ms > 0 ? static_cast<uint64_t>(ms * 1e6) : 0;
}

}  // namespace cordon::jobs
