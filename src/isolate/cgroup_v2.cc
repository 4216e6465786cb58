// cgroup v2: one group in a delegated subtree. The child is cloned straight into it
// (CLONE_INTO_CGROUP: no instant outside), OOM takes the whole group (memory.oom.group),
// and cgroup.kill ends every member at once.
#include <fcntl.h>
#include <signal.h>

#include <sstream>

#include "isolate/cgroup.h"
#include "isolate/cgroup_files.h"
#include "plan/cgroup_plan.h"
#include "sys/clock.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::isolate {
namespace {

class CgroupV2 final : public Cgroup {
 public:
  explicit CgroupV2(std::string dir) : dir_(std::move(dir)) {}
  ~CgroupV2() override {
    (void)kill_all();
    (void)remove();
  }
  CgroupMode mode() const override { return CgroupMode::kV2; }
  int clone_fd() const override { return fd_.get(); }
  std::vector<int> join_fds() const override { return {}; }

  Result<uint64_t> cpu_usage_ns() override {
    ASSIGN_OR_RETURN(uint64_t us, read_key(dir_ + "/cpu.stat", "usage_usec"));
    return us * 1000;
  }

  Result<CgroupUsage> usage() override {
    CgroupUsage u;
    ASSIGN_OR_RETURN(uint64_t user, read_key(dir_ + "/cpu.stat", "user_usec"));
    ASSIGN_OR_RETURN(uint64_t sys, read_key(dir_ + "/cpu.stat", "system_usec"));
    u.cpu_user_ns = user * 1000;
    u.cpu_system_ns = sys * 1000;
    auto peak = read_u64(dir_ + "/memory.peak");  // 5.19+
    u.peak_memory_bytes = peak.ok() ? *peak : 0;
    auto oom = read_key(dir_ + "/memory.events", "oom_kill");
    u.oom_kills = oom.ok() ? *oom : 0;
    return u;
  }

  Status kill_all() override {
    if (removed_) return {};
    auto populated = [&] {
      auto p = read_key(dir_ + "/cgroup.events", "populated");
      return p.ok() && *p != 0;  // a group that is gone has no members
    };
    if (!populated()) return {};
    auto st = sys::write_file(dir_ + "/cgroup.kill", "1");
    if (!st.ok() && st.error().err == ENOENT) {
      // Before 5.14: freeze, then kill each member.
      TRY(sys::write_file(dir_ + "/cgroup.freeze", "1"));
      ASSIGN_OR_RETURN(auto pids, read_pids(dir_ + "/cgroup.procs"));
      for (pid_t p : pids) TRY(sys::kill_pid(p, SIGKILL));
      TRY(sys::write_file(dir_ + "/cgroup.freeze", "0"));
    } else if (!st.ok()) {
      return std::move(st).error();
    }
    if (!sys::poll_until(5000, [&] { return !populated(); }))
      return logic_error("kill cgroup", dir_, "members left after cgroup.kill");
    return {};
  }

  Status remove() override {
    if (removed_) return {};
    fd_.reset();
    TRY(remove_group_tree(dir_));
    removed_ = true;
    return {};
  }

  std::vector<std::string> paths() const override { return {dir_}; }
  void disown() { removed_ = true; }

  Status open() {
    ASSIGN_OR_RETURN(fd_, sys::open_path(dir_, O_RDONLY | O_DIRECTORY));
    return {};
  }

 private:
  std::string dir_;
  UniqueFd fd_;
  bool removed_ = false;
};

// The parent must hand the controllers down: enable those missing in its
// subtree_control. A parent that has processes of its own cannot (the v2 "no internal
// processes" rule): that needs a delegated parent, named with --cgroup-parent.
Status enable_controllers(const std::string& parent, const std::vector<std::string>& wanted) {
  ASSIGN_OR_RETURN(std::string available, sys::read_small_file(parent + "/cgroup.controllers"));
  ASSIGN_OR_RETURN(std::string enabled, sys::read_small_file(parent + "/cgroup.subtree_control"));
  auto has = [](const std::string& list, const std::string& c) {
    std::istringstream in(list);
    std::string w;
    while (in >> w)
      if (w == c) return true;
    return false;
  };
  for (const auto& c : wanted) {
    if (has(enabled, c)) continue;
    if (!has(available, c))
      return logic_error("cgroup v2", parent, "the " + c + " controller is not delegated here");
    auto st = sys::write_file(parent + "/cgroup.subtree_control", "+" + c);
    if (!st.ok() && st.error().err == EBUSY)
      return logic_error("enable " + c + " controller in", parent,
                         "it has processes of its own; name a delegated parent with "
                         "--cgroup-parent");
    TRY(st);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Cgroup>> create_cgroup_v2(const CgroupRequest& req) {
  std::string parent_dir = req.root + parent_in(req, "");
  TRY(enable_controllers(parent_dir, plan::v2_controllers(req.limits)));
  auto cg = std::make_unique<CgroupV2>(parent_dir + "/" + req.name);
  ASSIGN_OR_RETURN(bool created, sys::make_dir(cg->paths()[0], 0755));
  // Only a group this start made is its own: one that exists may be another cordon's
  // (whose slot lock this one cannot see), and is neither reused nor touched.
  if (!created) {
    cg->disown();
    return group_in_use(cg->paths()[0]);
  }
  TRY(apply_writes(plan::cgroup_writes_v2(req.limits),
                   [&](const std::string&) { return cg->paths()[0]; }));
  if (req.delegate) TRY(delegate_group(cg->paths()[0], req.delegate_uid, req.delegate_gid));
  TRY(cg->open());
  return std::unique_ptr<Cgroup>(std::move(cg));
}

}  // namespace cordon::isolate
