// What a running sandbox uses now, read from its cgroup: for the metrics of a tenant's
// memory and CPU in use (not only the limits it was granted).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon::jobs {

// Where the counters of the cgroup a /proc/PID/cgroup text names are (pure).
struct UsageFiles {
  std::string memory;  // bytes in use: memory.current (v2), memory.usage_in_bytes (v1)
  std::string cpu;     // CPU time: cpu.stat's usage_usec (v2), cpuacct.usage in ns (v1)
  bool v2 = false;
};
std::optional<UsageFiles> usage_files(std::string_view proc_cgroup,
                                      const std::string& root = "/sys/fs/cgroup");

struct Usage {
  uint64_t memory_bytes = 0;
  uint64_t cpu_ns = 0;
};
// The sandbox under a supervisor: its PID 1 is the supervisor's child. nullopt when it
// is not running (yet, or any more).
std::optional<Usage> sandbox_usage(pid_t supervisor);

// CPU time from a `cordon run` result's accounting, in ns (0 when absent).
uint64_t result_cpu_ns(const std::string& result_json);

}  // namespace cordon::jobs
