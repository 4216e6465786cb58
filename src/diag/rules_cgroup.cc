// cgroup.*: the cgroup layout, and what the backend `cordon run` would pick needs of it
// (isolate/cgroup.cc detects the backend the same way: a cgroup2 root, else a v1 memory
// hierarchy).
#include <algorithm>

#include "diag/rules.h"
#include "plan/cgroup_plan.h"
#include "spec/spec.h"

namespace cordon::diag::rules {
namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find_first_of(" \n\t", i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

bool v1_present(const HostFacts& f, const std::string& controller) {
  auto it = f.v1_hierarchies.find(controller);
  return it != f.v1_hierarchies.end() && it->second == CgroupFs::kCgroup1;
}

void v2_delegation(const HostFacts& f, Findings* out) {
  const std::string id = "cgroup.v2_delegation";
  std::vector<std::string> needed = plan::v2_controllers(spec::Limits{});
  std::string why =
      "a sandbox's group is made under the caller's cgroup (or --cgroup-parent), and its "
      "memory, pids and cpu limits need those controllers enabled in that parent's "
      "cgroup.subtree_control";
  std::string delegate_fix =
      "run cordon from a delegated cgroup (a systemd unit with Delegate=yes), or pass "
      "--cgroup-parent PATH naming one whose cgroup.subtree_control has " +
      join(needed);
  if (f.v2_path.empty()) {
    out->push_back(make(id, Status::kWarn, "the caller's cgroup is not in /proc/self/cgroup", why,
                        "check /proc/self/cgroup for a \"0::PATH\" line"));
    return;
  }
  std::string dir = std::string(kRoot) + (f.v2_path == "/" ? "" : f.v2_path);
  if (!f.v2_controllers.ok()) {
    out->push_back(make(id, Status::kWarn,
                        unreadable(dir + "/cgroup.controllers", f.v2_controllers), why,
                        delegate_fix));
    return;
  }
  std::vector<std::string> available = words(f.v2_controllers.text);
  std::vector<std::string> missing;
  for (const auto& c : needed)
    if (!has(available, c)) missing.push_back(c);
  std::string io = has(available, "io") ? ""
                                        : "; io is not available (--io-read-bps and "
                                          "--io-write-bps cannot be used)";
  if (!missing.empty()) {
    out->push_back(make(id, Status::kFail,
                        dir + " lacks " + join(missing) + " (its cgroup.controllers: " +
                            (available.empty() ? "none" : join(available)) + ")" + io,
                        why + ": its parent did not hand them down", delegate_fix));
    return;
  }
  std::vector<std::string> enabled =
      f.v2_subtree_control.ok() ? words(f.v2_subtree_control.text) : std::vector<std::string>{};
  bool all_enabled = std::all_of(needed.begin(), needed.end(),
                                 [&](const std::string& c) { return has(enabled, c); });
  if (all_enabled) {
    out->push_back(make(id, Status::kOk, dir + " hands " + join(needed) + " down" + io));
    return;
  }
  bool own_processes = f.v2_procs.ok() && !words(f.v2_procs.text).empty();
  if (f.v2_path != "/" && own_processes) {
    out->push_back(make(id, Status::kWarn,
                        dir + " has " + join(needed) +
                            " but not in cgroup.subtree_control, and has "
                            "processes of its own (this one among them)" +
                            io,
                        why +
                            "; cgroup v2 enables a controller for children only in a group without "
                            "processes of its own, so a sandbox started from here fails to start",
                        delegate_fix));
    return;
  }
  out->push_back(make(id, Status::kOk,
                      dir + " has " + join(needed) + "; cordon enables them for its groups" + io));
}

void v1_controllers(const HostFacts& f, Findings* out) {
  std::vector<std::string> needed = plan::v1_controllers(spec::Limits{});
  std::vector<std::string> present, missing;
  for (const auto& c : needed) (v1_present(f, c) ? present : missing).push_back(c);
  std::string why =
      "cordon's v1 backend makes a group in each hierarchy: memory, pids, cpu (limits), "
      "cpuacct (CPU accounting) and freezer (to stop every process before the kill); blkio "
      "for --io-read-bps and --io-write-bps";
  if (!missing.empty()) {
    out->push_back(make("cgroup.v1_controllers", Status::kFail,
                        "no v1 hierarchy at " + std::string(kRoot) + "/{" + join(missing) +
                            "}; present: " + (present.empty() ? "none" : join(present)),
                        why,
                        "mount each missing hierarchy, e.g. mount -t cgroup -o freezer "
                        "cgroup /sys/fs/cgroup/freezer"));
    return;
  }
  if (!v1_present(f, "blkio")) {
    out->push_back(make("cgroup.v1_controllers", Status::kWarn,
                        join(needed) + " present; no blkio hierarchy", why,
                        "mount -t cgroup -o blkio cgroup /sys/fs/cgroup/blkio"));
    return;
  }
  out->push_back(make("cgroup.v1_controllers", Status::kOk,
                      join(needed) + " blkio: each at " + std::string(kRoot) + "/NAME"));
}

void v1_favordynmods(const HostFacts& f, Findings* out) {
  for (const auto& m : f.cgroup_mounts) {
    if (has(m.options, "favordynmods")) {
      out->push_back(make("cgroup.v1_favordynmods", Status::kOk,
                          "favordynmods is set (on " + m.mount_point + ")"));
      return;
    }
  }
  out->push_back(
      make("cgroup.v1_favordynmods", Status::kInfo, "favordynmods is not set on any cgroup mount",
           "writing another process's PID into a group takes the kernel's global threadgroup "
           "lock, whose write side waits for an RCU grace period (milliseconds) unless "
           "favordynmods is set. cordon's start does not take it: its child moves its own thread "
           "into each group (isolate/cgroup.h, join_fds), which the kernel lets skip the lock. "
           "Other migrations on the host (systemd, other runtimes) still pay it; favordynmods "
           "makes them cheap, at the cost of slightly slower forks and exits",
           "mount the v1 hierarchies with -o favordynmods when they are first mounted (a remount "
           "cannot change it), or boot with cgroup_favordynmods=true, or build the kernel with "
           "CONFIG_CGROUP_FAVOR_DYNMODS=y"));
}

}  // namespace

CgroupLayout cgroup_layout(const HostFacts& f) {
  if (f.cgroup_root == CgroupFs::kCgroup2) return {"v2", "v2"};
  bool any_v1 = std::any_of(f.cgroup_mounts.begin(), f.cgroup_mounts.end(),
                            [](const CgroupMount& m) { return !m.v2; }) ||
                std::any_of(f.v1_hierarchies.begin(), f.v1_hierarchies.end(),
                            [](const auto& h) { return h.second == CgroupFs::kCgroup1; });
  bool any_v2 = std::any_of(f.cgroup_mounts.begin(), f.cgroup_mounts.end(),
                            [](const CgroupMount& m) { return m.v2; });
  std::string backend = v1_present(f, "memory") ? "v1" : "none";
  if (any_v1) return {any_v2 ? "hybrid" : "v1", backend};
  return {"none", "none"};
}

void cgroup(const HostFacts& f, Findings* out) {
  CgroupLayout layout = cgroup_layout(f);
  std::vector<std::string> v2_elsewhere;
  for (const auto& m : f.cgroup_mounts)
    if (m.v2 && m.mount_point != kRoot) v2_elsewhere.push_back(m.mount_point);
  if (layout.backend == "none") {
    out->push_back(
        make("cgroup.mode", Status::kFail,
             "neither a cgroup2 mount at /sys/fs/cgroup nor a v1 memory hierarchy at "
             "/sys/fs/cgroup/memory",
             "the memory, pids and CPU limits of a sandbox, and killing all of its processes at "
             "the end, need a cgroup; without one only `cordon run --no-cgroup` starts",
             "mount -t cgroup2 cgroup2 /sys/fs/cgroup"));
    return;
  }
  if (layout.mode == "v2") {
    out->push_back(make("cgroup.mode", Status::kOk,
                        "cgroup v2 at /sys/fs/cgroup: cordon uses its v2 backend"));
    v2_delegation(f, out);
    return;
  }
  std::string seen = layout.mode == "hybrid"
                         ? "hybrid: v1 hierarchies, and cgroup2 at " + join(v2_elsewhere) +
                               " (not used by cordon); cordon uses its v1 backend"
                         : "cgroup v1: cordon uses its v1 backend";
  out->push_back(
      make("cgroup.mode", Status::kInfo, seen,
           "v1 works, with a group per controller; v2 lets cordon clone the sandbox straight "
           "into its group (CLONE_INTO_CGROUP), kill it with cgroup.kill, and end it as a whole "
           "on OOM (memory.oom.group)",
           "to move to v2: boot with systemd.unified_cgroup_hierarchy=1 (systemd hosts)"));
  v1_controllers(f, out);
  v1_favordynmods(f, out);
}

}  // namespace cordon::diag::rules
