// cgroup v1: a group per controller hierarchy. The supervisor places the child's PID in
// every group before the child goes on, so nothing runs unaccounted; the freezer stops
// every member before the kill so that none can fork away from it.
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>

#include <climits>
#include <map>

#include "isolate/cgroup.h"
#include "isolate/cgroup_files.h"
#include "plan/cgroup_plan.h"
#include "sys/clock.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::isolate {
namespace {

class CgroupV1 final : public Cgroup {
 public:
  ~CgroupV1() override {
    (void)kill_all();
    (void)remove();
  }
  CgroupMode mode() const override { return CgroupMode::kV1; }
  int clone_fd() const override { return -1; }

  std::vector<int> join_fds() const override {
    std::vector<int> fds;
    for (const auto& fd : tasks_) fds.push_back(fd.get());
    return fds;
  }

  Result<uint64_t> cpu_usage_ns() override { return read_u64(dir("cpuacct") + "/cpuacct.usage"); }

  Result<CgroupUsage> usage() override {
    CgroupUsage u;
    // cpuacct.usage is exact (what --cpu-time is checked against); the user/system split
    // comes from tick samples and can sum to less. The split is scaled to the exact total.
    ASSIGN_OR_RETURN(uint64_t total, read_u64(dir("cpuacct") + "/cpuacct.usage"));
    ASSIGN_OR_RETURN(uint64_t user, read_u64(dir("cpuacct") + "/cpuacct.usage_user"));
    ASSIGN_OR_RETURN(uint64_t sys, read_u64(dir("cpuacct") + "/cpuacct.usage_sys"));
    u.cpu_user_ns =
        user + sys == 0
            ? total
            : static_cast<uint64_t>(static_cast<long double>(total) * user / (user + sys));
    u.cpu_system_ns = total - u.cpu_user_ns;
    ASSIGN_OR_RETURN(u.peak_memory_bytes, read_u64(dir("memory") + "/memory.max_usage_in_bytes"));
    auto oom = read_key(dir("memory") + "/memory.oom_control", "oom_kill");
    u.oom_kills = oom.ok() ? *oom : 0;  // kernels before 4.13 do not count
    return u;
  }

  Status kill_all() override {
    if (removed_ || dir("freezer").empty()) return {};
    std::string procs = dir("freezer") + "/cgroup.procs";
    ASSIGN_OR_RETURN(std::vector<pid_t> pids, read_pids(procs));
    if (pids.empty()) return {};
    // Frozen members cannot fork or exit, so the list read now is complete and its PIDs
    // cannot be recycled before the kill lands.
    std::string state = dir("freezer") + "/freezer.state";
    TRY(sys::write_file(state, "FROZEN"));
    sys::poll_until(1000, [&] {
      auto s = sys::read_small_file(state, 64);
      return s.ok() && s->rfind("FROZEN", 0) == 0;
    });
    ASSIGN_OR_RETURN(pids, read_pids(procs));
    for (pid_t p : pids) TRY(sys::kill_pid(p, SIGKILL));
    TRY(sys::write_file(state, "THAWED"));
    if (!sys::poll_until(5000, [&] {
          auto left = read_pids(procs);
          return left.ok() && left->empty();
        }))
      return logic_error("kill cgroup", dir("freezer"), "members left after SIGKILL");
    return {};
  }

  Status remove() override {
    if (removed_) return {};
    tasks_.clear();
    for (const auto& d : unique_dirs_) TRY(remove_group_tree(d));
    removed_ = true;
    return {};
  }

  std::vector<std::string> paths() const override { return unique_dirs_; }

  // Creates (or takes over) the group in one hierarchy; a controller sharing a hierarchy
  // with one already done (cpu,cpuacct) shares its directory.
  Status create_in(const std::string& controller, const std::string& root,
                   const std::string& parent, const std::string& name) {
    std::string mount = root + "/" + controller;
    auto real = sys::real_path(mount);
    if (!real.ok()) return errno_error(real.error().err, "cgroup v1 controller", mount);
    std::string d = *real + parent + "/" + name;
    for (const auto& [c, existing] : dirs_) {
      if (existing == d) {
        dirs_[controller] = d;
        return {};
      }
    }
    // Only a group this start made is its own: one that exists may be another cordon's
    // (whose slot lock this one cannot see), and is neither reused nor recorded, so that
    // this object's end kills and removes nothing of it.
    ASSIGN_OR_RETURN(bool created, sys::make_dir(d, 0755));
    if (!created) return group_in_use(d);
    dirs_[controller] = d;
    unique_dirs_.push_back(d);
    ASSIGN_OR_RETURN(UniqueFd tasks, sys::open_path(d + "/tasks", O_WRONLY));
    tasks_.push_back(std::move(tasks));
    return {};
  }

  // --boot on a v1 host: the group in the cgroup2 hierarchy at mount (a hybrid host's
  // "unified" one), delegated to uid:gid, joined through its cgroup.procs by the child.
  Status create_unified(const std::string& mount, const std::string& parent,
                        const std::string& name, uid_t uid, gid_t gid) {
    auto type = sys::fs_type(mount);
    if (!type.ok() || *type != CGROUP2_SUPER_MAGIC)
      return logic_error("boot cgroup", mount,
                         "no cgroup2 hierarchy here: an init needs one (a hybrid host's "
                         "unified mount, or a cgroup v2 host)");
    std::string d = mount + parent + "/" + name;
    ASSIGN_OR_RETURN(bool created, sys::make_dir(d, 0755));
    if (!created) return group_in_use(d);
    unique_dirs_.push_back(d);
    TRY(delegate_group(d, uid, gid));
    ASSIGN_OR_RETURN(UniqueFd procs, sys::open_path(d + "/cgroup.procs", O_WRONLY));
    tasks_.push_back(std::move(procs));
    return {};
  }

  std::string dir(const std::string& controller) const {
    auto it = dirs_.find(controller);
    return it == dirs_.end() ? std::string() : it->second;
  }

 private:
  std::map<std::string, std::string> dirs_;
  std::vector<std::string> unique_dirs_;
  std::vector<UniqueFd> tasks_;  // one per unique dir, for join_fds()
  bool removed_ = false;
};

}  // namespace

Result<std::unique_ptr<Cgroup>> create_cgroup_v1(const CgroupRequest& req) {
  auto cg = std::make_unique<CgroupV1>();
  for (const auto& c : plan::v1_controllers(req.limits))
    TRY(cg->create_in(c, req.root, parent_in(req, c), req.name));
  TRY(apply_writes(plan::cgroup_writes_v1(req.limits),
                   [&](const std::string& c) { return cg->dir(c); }));
  if (req.delegate)
    TRY(cg->create_unified(req.root + "/unified", parent_in(req, ""), req.name, req.delegate_uid,
                           req.delegate_gid));
  return std::unique_ptr<Cgroup>(std::move(cg));
}

}  // namespace cordon::isolate
