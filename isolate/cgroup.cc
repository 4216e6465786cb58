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

Result<std::unique_ptr<Cgroup>> create_cgroup(const CgroupRequest& request, CgroupMode mode) {
  return mode == CgroupMode::kV2 ? create_cgroup_v2(request) : create_cgroup_v1(request);
}

}  // namespace cordon::isolate
