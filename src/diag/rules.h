// The rules of `cordon doctor`, one function per group of findings (one file each);
// diagnose() in report.cc calls them in order. Pure: they read HostFacts only.
#pragma once

#include <string>
#include <vector>

#include "diag/host_facts.h"
#include "diag/report.h"

namespace cordon::diag::rules {

using Findings = std::vector<Finding>;

// kernel.release and kernel.cve-*: the version and the table of kernel_cves.h.
void kernel(const HostFacts& f, Findings* out);
// features.*: what sandboxes need of the kernel (user and time namespaces, idmapped
// mounts, user xattrs on tmpfs for --rootfs).
void features(const HostFacts& f, Findings* out);
// cgroup.*: the mode, and what the backend cordon would use needs of it.
void cgroup(const HostFacts& f, Findings* out);
// ids.*: the host ID ranges of the slots, as isolate/id_slot.cc picks them.
void ids(const HostFacts& f, Findings* out);
// sysctl.*: kernel attack surface that unprivileged processes reach.
void sysctl(const HostFacts& f, Findings* out);
// cpu.*, mm.*, lsm.*, vm.*: side channels between tenants, security modules, the VM tier.
void platform(const HostFacts& f, Findings* out);

struct CgroupLayout {
  std::string mode;     // "v2", "v1", "hybrid", "none"
  std::string backend;  // "v2", "v1", "none": what isolate/cgroup.cc detect_cgroup_mode picks
};
CgroupLayout cgroup_layout(const HostFacts& f);

// Shared wording.
Finding make(std::string id, Status status, std::string seen, std::string why = {},
             std::string fix = {});
// "PATH: <error>" for a probe that could not be read.
std::string unreadable(const std::string& path, const Probe& p);
// "NAME = VALUE in /etc/sysctl.d/90-cordon.conf, then sysctl --system"
std::string sysctl_fix(const std::string& name, const std::string& value);

}  // namespace cordon::diag::rules
