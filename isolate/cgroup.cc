#include "isolate/cgroup.h"

#include <linux/magic.h>
#include <sys/statfs.h>

namespace cordon::isolate {

Result<CgroupMode> detect_cgroup_mode(const std::string& root) {
  struct statfs fs;
  if (::statfs(root.c_str(), &fs) != 0) return sys_error("statfs", root);
  if (fs.f_type == CGROUP2_SUPER_MAGIC) return CgroupMode::kV2;
  std::string memory = root + "/memory";
  if (::statfs(memory.c_str(), &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC) return CgroupMode::kV1;
  return logic_error("detect cgroups", root,
                     "neither a cgroup2 mount nor v1 hierarchies (memory) found");
}

namespace {

class NoCgroup final : public Cgroup {
 public:
  CgroupMode mode() const override { return CgroupMode::kNone; }
  int clone_fd() const override { return -1; }
  Status add(pid_t) override { return {}; }
  Result<uint64_t> cpu_usage_ns() override { return uint64_t{0}; }
  Result<CgroupUsage> usage() override { return CgroupUsage{}; }
  Status kill_all() override { return {}; }
  Status remove() override { return {}; }
  std::vector<std::string> paths() const override { return {}; }
};

}  // namespace

std::unique_ptr<Cgroup> no_cgroup() { return std::make_unique<NoCgroup>(); }

Result<std::unique_ptr<Cgroup>> create_cgroup(const CgroupRequest& request, CgroupMode mode) {
  return mode == CgroupMode::kV2 ? create_cgroup_v2(request) : create_cgroup_v1(request);
}

}  // namespace cordon::isolate
