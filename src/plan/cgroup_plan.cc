#include "plan/cgroup_plan.h"

#include <algorithm>

#include "base/text.h"

namespace cordon::plan {
namespace {

std::string quota_us(const spec::Limits& l) {
  return std::to_string(static_cast<uint64_t>(l.cpu_millis) * kCpuPeriodUs / 1000);
}

uint64_t memory_swap_total(const spec::Limits& l) {
  return l.memory_swap_bytes ? *l.memory_swap_bytes : l.memory_bytes;
}

std::string device(const spec::IoLimit& io) {
  return std::to_string(io.major) + ":" + std::to_string(io.minor);
}

}  // namespace

std::vector<std::string> v1_all_controllers() {
  return {"memory", "pids", "cpu", "cpuacct", "freezer", "blkio"};
}

std::vector<std::string> v1_controllers(const spec::Limits& l) {
  std::vector<std::string> v = {"memory", "pids", "cpu", "cpuacct", "freezer"};
  if (!l.io.empty()) v.push_back("blkio");
  return v;
}

std::vector<CgroupWrite> cgroup_writes_v1(const spec::Limits& l) {
  std::vector<CgroupWrite> w = {
      // The memory limit first: memsw may not be set below it.
      {"memory", "memory.limit_in_bytes", std::to_string(l.memory_bytes)},
      // Without swap accounting (swapaccount=0) there is no memsw file; swappiness 0
      // then keeps the group out of swap as far as v1 can.
      {"memory", "memory.memsw.limit_in_bytes", std::to_string(memory_swap_total(l)), true},
      // v1 keeps socket buffers out of the group's usage and charges them only once this
      // is written: without it, loopback TCP connections held 250 MiB beside a 32 MiB
      // limit. A counter of its own, bounded like memory (v2 counts them in memory.max).
      {"memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(l.memory_bytes)},
      {"pids", "pids.max", std::to_string(l.pids)},
      {"cpu", "cpu.cfs_period_us", std::to_string(kCpuPeriodUs), false, true},
      {"cpu", "cpu.cfs_quota_us", quota_us(l)},
      // v1 shares: 1024 is the default weight of 100.
      {"cpu", "cpu.shares", std::to_string(std::max<uint64_t>(2, l.cpu_weight * 1024ull / 100)),
       false, l.cpu_weight == spec::kDefaultCpuWeight},
  };
  if (!l.memory_swap_bytes) w.push_back({"memory", "memory.swappiness", "0", true});
  for (const auto& io : l.io) {
    if (io.read_bps != 0)
      w.push_back({"blkio", "blkio.throttle.read_bps_device",
                   device(io) + " " + std::to_string(io.read_bps)});
    if (io.write_bps != 0)
      w.push_back({"blkio", "blkio.throttle.write_bps_device",
                   device(io) + " " + std::to_string(io.write_bps)});
  }
  return w;
}

std::vector<std::string> v2_controllers(const spec::Limits& l) {
  std::vector<std::string> c = {"memory", "pids", "cpu"};
  if (!l.io.empty()) c.push_back("io");
  return c;
}

std::vector<CgroupWrite> cgroup_writes_v2(const spec::Limits& l) {
  std::vector<CgroupWrite> w = {
      {"", "memory.max", std::to_string(l.memory_bytes)},
      {"", "memory.swap.max", std::to_string(memory_swap_total(l) - l.memory_bytes), true},
      // On OOM the whole sandbox goes, not one process picked by the kernel.
      {"", "memory.oom.group", "1"},
      {"", "pids.max", std::to_string(l.pids)},
      {"", "cpu.max", quota_us(l) + " " + std::to_string(kCpuPeriodUs)},
      {"", "cpu.weight", std::to_string(l.cpu_weight)},
  };
  for (const auto& io : l.io) {
    std::string v = device(io);
    v += " rbps=" + (io.read_bps ? std::to_string(io.read_bps) : std::string("max"));
    v += " wbps=" + (io.write_bps ? std::to_string(io.write_bps) : std::string("max"));
    w.push_back({"", "io.max", v});
  }
  return w;
}

std::string cgroup_name(uint64_t slot_uid_base) {
  return "cordon-" + std::to_string(slot_uid_base);
}

std::map<std::string, std::string> parse_proc_cgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : split_lines(text)) {
    auto f = split3(line, ':');  // "ID:controllers:path"
    if (!f) continue;
    std::string_view controllers = (*f)[1];
    std::string path((*f)[2]);
    if (controllers.empty()) {
      out[""] = path;
      continue;
    }
    size_t start = 0;
    while (start <= controllers.size()) {
      size_t comma = controllers.find(',', start);
      if (comma == std::string_view::npos) comma = controllers.size();
      out[std::string(controllers.substr(start, comma - start))] = path;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace cordon::plan
