#include "isolate/cgroup.h"

#include <linux/magic.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <map>

#include "isolate/cgroup_files.h"
#include "plan/cgroup_plan.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::isolate {

Result<CgroupMode> detect_cgroup_mode(const std::string& root) {
  ASSIGN_OR_RETURN(long type, sys::fs_type(root));
  if (type == CGROUP2_SUPER_MAGIC) return CgroupMode::kV2;
  auto memory = sys::fs_type(root + "/memory");
  if (memory.ok() && *memory == CGROUP_SUPER_MAGIC) return CgroupMode::kV1;
  return logic_error("detect cgroups", root,
                     "neither a cgroup2 mount nor v1 hierarchies (memory) found");
}

namespace {

class NoCgroup final : public Cgroup {
 public:
  CgroupMode mode() const override { return CgroupMode::kNone; }
  int clone_fd() const override { return -1; }
  std::vector<int> join_fds() const override { return {}; }
  Result<uint64_t> cpu_usage_ns() override { return uint64_t{0}; }
  Result<CgroupUsage> usage() override { return CgroupUsage{}; }
  Status kill_all() override { return {}; }
  Status remove() override { return {}; }
  std::vector<std::string> paths() const override { return {}; }
};

// The parent directory of the sandbox groups, in each hierarchy a sandbox may use.
Result<std::vector<std::string>> parent_dirs(const CgroupRequest& req, CgroupMode mode) {
  if (mode == CgroupMode::kV2) return std::vector<std::string>{req.root + parent_in(req, "")};
  std::vector<std::string> dirs;
  for (const auto& c : plan::v1_all_controllers())
    dirs.push_back(req.root + "/" + c + parent_in(req, c));
  return dirs;
}

// A stale group goes only when empty: members mean a live sandbox, whose holder this
// cordon does not see (another mount namespace or runtime directory), and are never
// killed from here. The next sweep tries again.
Status remove_if_empty(const std::string& dir) {
  auto pids = read_pids(dir + "/cgroup.procs");
  if (!pids.ok() || !pids->empty()) return {};
  Status st = sys::remove_dir(dir);
  if (!st.ok() && st.error().err == EBUSY) {
    // v2: a --boot group holds the groups its init made. Nothing in the whole subtree
    // (cgroup.events "populated 0"): they go, deepest first. Else someone joined meanwhile.
    auto populated = read_key(dir + "/cgroup.events", "populated");
    if (populated.ok() && *populated == 0) return remove_group_tree(dir);
    return {};
  }
  return st;
}

}  // namespace

Status load_caller_cgroups(CgroupRequest* req, const std::string& proc_self_cgroup) {
  if (req->parent.empty()) {
    ASSIGN_OR_RETURN(std::string text, sys::read_small_file(proc_self_cgroup));
    req->caller = plan::parse_proc_cgroup(text);
  }
  req->caller_loaded = true;
  return {};
}

std::string parent_in(const CgroupRequest& req, const std::string& hierarchy) {
  std::string p = req.parent;
  if (p.empty()) {
    auto it = req.caller.find(hierarchy);
    p = it == req.caller.end() ? "/" : it->second;
  }
  return p == "/" ? std::string() : p;
}

Status sweep_stale_groups(const CgroupRequest& req, CgroupMode mode,
                          const std::function<bool(uint64_t)>& slot_is_free) {
  if (mode == CgroupMode::kNone) return {};
  if (!req.caller_loaded) return logic_error("sweep cgroups", req.name, "caller not loaded");
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, parent_dirs(req, mode));
  // The names are listed in one hierarchy (the memory one on v1, which a group joins
  // first) and removed from all: one readdir per start, not one per hierarchy.
  auto names = sys::list_dir(dirs[0]);
  if (!names.ok()) return {};  // a missing hierarchy is create_cgroup()'s error to report
  std::vector<std::string> stale;
  for (const std::string& entry : *names) {
    std::string_view name = entry;
    if (name.rfind("cordon-", 0) != 0) continue;
    if (name == req.name) {
      if (req.sweep_own) stale.emplace_back(name);  // removed only if empty
      continue;
    }
    uint64_t base = 0;
    std::string_view digits = name.substr(7);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), base);
    if (ec != std::errc() || p != digits.data() + digits.size()) continue;
    if (slot_is_free(base)) stale.emplace_back(name);
  }
  for (const auto& name : stale) {
    for (const auto& parent : dirs) TRY(remove_if_empty(parent + "/" + name));
    // A v1 host's --boot group in the unified cgroup2 hierarchy (cgroup.h), with the
    // groups its init made: it goes once the v1 groups, which held the same processes,
    // are gone. A failure leaves it for the next sweep.
    std::string unified = req.root + "/unified" + parent_in(req, "") + "/" + name;
    if (mode == CgroupMode::kV1 && !sys::path_status(dirs[0] + "/" + name, false).ok() &&
        sys::path_status(unified, false).ok())
      (void)remove_group_tree(unified);
  }
  return {};
}

std::unique_ptr<Cgroup> no_cgroup() {
  return std::make_unique<NoCgroup>();
}

Result<std::unique_ptr<Cgroup>> create_cgroup(const CgroupRequest& request, CgroupMode mode) {
  // Without the caller's cgroups every group would land at the root: refuse, not guess.
  if (!request.caller_loaded)
    return logic_error("create cgroup", request.name, "the caller's cgroups were not loaded");
  return mode == CgroupMode::kV2 ? create_cgroup_v2(request) : create_cgroup_v1(request);
}

}  // namespace cordon::isolate
