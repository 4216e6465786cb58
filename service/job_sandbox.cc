#include "service/job_args.h"

namespace cordon::service {
namespace {

std::string ms(uint64_t ns) {
  return std::to_string((ns + 999999) / 1000000) + "ms";
}

std::string cpus(uint32_t millis) {
  std::string frac = std::to_string(millis % 1000);
  return std::to_string(millis / 1000) + "." + std::string(3 - frac.size(), '0') + frac;
}

}  // namespace

std::vector<std::string> job_args(const JobSpec& s, const JobPaths& p, const RunSettings& r) {
  std::vector<std::string> a = {
      "--result-file",  p.result_file,
      "--bind",         p.workspace + ":" + kWorkspaceInside + ":rw",
      "--workdir",      kWorkspaceInside,
      "--memory",       std::to_string(s.memory),
      "--pids",         std::to_string(s.pids),
      "--cpus",         cpus(s.cpu_millis),
      "--disk",         std::to_string(s.disk),
      "--time",         ms(s.timeout_ns),
      "--output-limit", std::to_string(s.output),
      "--seccomp",      s.seccomp,
  };
  if (s.cpu_time_ns != 0) a.insert(a.end(), {"--cpu-time", ms(s.cpu_time_ns)});
  if (!p.image.empty()) a.insert(a.end(), {"--rootfs", p.image});
  if (!r.cgroup_parent.empty()) a.insert(a.end(), {"--cgroup-parent", r.cgroup_parent});
  for (const auto& [k, v] : s.env) a.insert(a.end(), {"--env", k + "=" + v});
  a.push_back("--");
  a.insert(a.end(), s.command.begin(), s.command.end());
  return a;
}

}  // namespace cordon::service
