// What the cgroup of a sandbox gets written, for each backend, as plain data. Pure:
// isolate/cgroup_v1.cc and isolate/cgroup_v2.cc apply it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.h"

namespace cordon::plan {

struct CgroupWrite {
  std::string controller;  // v1: the hierarchy ("memory", "pids", ...); v2: empty
  std::string file;
  std::string value;
  bool optional = false;  // skipped when the kernel does not have the file
  // The value a group has when the kernel makes it: a write to skip (every cgroupfs write
  // counts in a sandbox's start time; groups are never reused).
  bool kernel_default = false;
};

inline constexpr uint64_t kCpuPeriodUs = 100000;

// v1: one group per hierarchy, and each costs a migration of the child (a write to
// cgroup.procs), so only those needed: memory, pids, cpu, cpuacct (CPU accounting: the
// rusage of PID 1 loses the processes that the end of the PID namespace reaps) and
// freezer (to stop everything before a kill) always; blkio for io limits.
std::vector<std::string> v1_controllers(const spec::Limits& limits);
// Every v1 hierarchy a sandbox may have joined, whatever its limits (for cleaning up).
std::vector<std::string> v1_all_controllers();
std::vector<CgroupWrite> cgroup_writes_v1(const spec::Limits& limits);

// v2: one group; the controllers it needs enabled in its parent's subtree_control.
std::vector<std::string> v2_controllers(const spec::Limits& limits);
std::vector<CgroupWrite> cgroup_writes_v2(const spec::Limits& limits);

// The group's name: unique while the slot is held, so two live sandboxes never collide,
// and a group left by a crashed supervisor is found again by the next holder.
std::string cgroup_name(uint64_t slot_uid_base);

// /proc/self/cgroup: controller -> path ("" is the v2 hierarchy; a v1 line naming
// several controllers, "cpu,cpuacct", gives each of them).
std::map<std::string, std::string> parse_proc_cgroup(std::string_view text);

}  // namespace cordon::plan
