#include "diag/host_reader.h"

#include <linux/magic.h>
#include <sys/stat.h>

#include "diag/cgroup_mounts.h"
#include "plan/cgroup_plan.h"
#include "sys/fs.h"
#include "sys/landlock.h"
#include "sys/ns.h"
#include "sys/seccomp.h"

namespace cordon::diag {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

Probe read_probe(const std::string& path) {
  auto text = sys::read_small_file(path);
  if (text.ok()) return Probe::value(trim(std::move(text).value()));
  if (text.error().err == ENOENT) return Probe::absent();
  return Probe::error(text.error().to_string());
}

CgroupFs cgroup_fs(const std::string& path) {
  auto type = sys::fs_type(path);
  if (!type.ok()) return CgroupFs::kAbsent;
  if (*type == CGROUP2_SUPER_MAGIC) return CgroupFs::kCgroup2;
  if (*type == CGROUP_SUPER_MAGIC) return CgroupFs::kCgroup1;
  return CgroupFs::kOther;
}

void read_cgroups(HostFacts* f) {
  f->cgroup_root = cgroup_fs(kCgroupRoot);
  for (const auto& c : plan::v1_all_controllers())
    f->v1_hierarchies[c] = cgroup_fs(std::string(kCgroupRoot) + "/" + c);
  Probe mountinfo = read_probe("/proc/self/mountinfo");
  if (mountinfo.ok()) f->cgroup_mounts = parse_cgroup_mounts(mountinfo.text);
  if (f->cgroup_root != CgroupFs::kCgroup2) return;
  Probe self = read_probe("/proc/self/cgroup");
  if (!self.ok()) return;
  auto paths = plan::parse_proc_cgroup(self.text);
  auto it = paths.find("");
  if (it == paths.end()) return;
  f->v2_path = it->second;
  std::string dir = std::string(kCgroupRoot) + (f->v2_path == "/" ? "" : f->v2_path);
  f->v2_controllers = read_probe(dir + "/cgroup.controllers");
  f->v2_subtree_control = read_probe(dir + "/cgroup.subtree_control");
  f->v2_procs = read_probe(dir + "/cgroup.procs");
}

void read_cpu_vulnerabilities(HostFacts* f) {
  const std::string dir = "/sys/devices/system/cpu/vulnerabilities";
  auto names = sys::list_dir(dir);
  if (!names.ok()) return;
  f->cpu_vulnerabilities_read = true;
  for (const auto& n : *names) {
    Probe p = read_probe(dir + "/" + n);
    if (p.ok()) f->cpu_vulnerabilities[n] = p.text;
  }
}

}  // namespace

HostFacts read_host_facts() {
  HostFacts f;
  auto release = sys::kernel_release();
  f.kernel_release =
      release.ok() ? Probe::value(*release) : Probe::error(release.error().to_string());

  read_cgroups(&f);

  f.subuid = read_probe("/etc/subuid");
  f.subgid = read_probe("/etc/subgid");
  f.passwd = read_probe("/etc/passwd");
  f.group = read_probe("/etc/group");

  for (const auto& name : sysctl_names()) {
    std::string path = "/proc/sys/" + name;
    for (size_t i = std::string("/proc/sys/").size(); i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    f.sysctls[name] = read_probe(path);
  }

  f.smt_active = read_probe("/sys/devices/system/cpu/smt/active");
  f.smt_control = read_probe("/sys/devices/system/cpu/smt/control");
  f.ksm_run = read_probe("/sys/kernel/mm/ksm/run");
  read_cpu_vulnerabilities(&f);

  f.lsm = read_probe("/sys/kernel/security/lsm");
  f.apparmor_enabled = read_probe("/sys/module/apparmor/parameters/enabled");
  f.selinux_enforce = read_probe("/sys/fs/selinux/enforce");
  auto landlock = sys::landlock_abi_version();
  f.landlock_abi = landlock.ok() ? Probe::value(std::to_string(*landlock))
                                 : Probe::error(landlock.error().to_string());

  f.user_ns = sys::kernel_has_ns("user");
  f.time_ns = sys::kernel_has_ns("time");
  auto kvm = sys::file_mode("/dev/kvm");
  if (kvm.ok()) f.kvm = S_ISCHR(*kvm) ? DeviceNode::kCharDevice : DeviceNode::kOther;
  return f;
}

}  // namespace cordon::diag
