// What `cordon doctor` knows of the host: plain values, read by host_reader.cc and judged
// by the pure rules (rules_*.cc). Nothing here is interpreted yet, so that tests can
// fabricate any host, and a reader that fails records the failure instead of a guess.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cordon::diag {

// One value read from the host: a file's content (trailing whitespace trimmed), or why
// there is none. "Absent" (ENOENT) and "could not read" are different findings: a sysctl
// file that does not exist says something about the kernel, EACCES does not.
struct Probe {
  enum class State { kAbsent, kValue, kError };
  State state = State::kAbsent;
  std::string text;  // kValue: the value; kError: the error ("open X: Permission denied")

  static Probe value(std::string v) { return {State::kValue, std::move(v)}; }
  static Probe absent() { return {State::kAbsent, {}}; }
  static Probe error(std::string e) { return {State::kError, std::move(e)}; }
  bool ok() const { return state == State::kValue; }
};

// A cgroup file system in /proc/self/mountinfo.
struct CgroupMount {
  std::string mount_point;
  bool v2 = false;                   // cgroup2; otherwise a v1 hierarchy
  std::vector<std::string> options;  // super options: "rw", "memory", "favordynmods", ...
};

// What statfs says is at a cgroup path.
enum class CgroupFs { kAbsent, kCgroup2, kCgroup1, kOther };

// What lstat says is at a device path.
enum class DeviceNode { kAbsent, kCharDevice, kOther };

struct HostFacts {
  Probe kernel_release;  // uname -r

  // cgroups: what cordon's backend detection looks at (isolate/cgroup.h), and more.
  CgroupFs cgroup_root = CgroupFs::kAbsent;        // /sys/fs/cgroup
  std::map<std::string, CgroupFs> v1_hierarchies;  // controller -> /sys/fs/cgroup/NAME
  std::vector<CgroupMount> cgroup_mounts;          // every cgroup and cgroup2 mount
  // On v2, the caller's cgroup ("0::PATH" of /proc/self/cgroup) and its files.
  std::string v2_path;
  Probe v2_controllers, v2_subtree_control, v2_procs;

  // ID ranges and the host's own users and groups.
  Probe subuid, subgid, passwd, group;

  // Sysctls by dotted name (kernel.kptr_restrict), for every name of sysctl_names().
  std::map<std::string, Probe> sysctls;

  // Cross-tenant side channels.
  Probe smt_active, smt_control;          // /sys/devices/system/cpu/smt/{active,control}
  Probe ksm_run;                          // /sys/kernel/mm/ksm/run
  bool cpu_vulnerabilities_read = false;  // the directory below could be listed
  std::map<std::string, std::string> cpu_vulnerabilities;  // file -> its one line

  // Linux security modules.
  Probe lsm;               // /sys/kernel/security/lsm ("lockdown,capability,landlock,...")
  Probe apparmor_enabled;  // /sys/module/apparmor/parameters/enabled ("Y")
  Probe selinux_enforce;   // /sys/fs/selinux/enforce
  Probe landlock_abi;      // "7", or the error of landlock_create_ruleset

  // Kernel features cordon uses.
  bool user_ns = false;                  // /proc/self/ns/user
  bool time_ns = false;                  // /proc/self/ns/time
  DeviceNode kvm = DeviceNode::kAbsent;  // /dev/kvm, for the VM tier (planned)
};

// The sysctls the reader fetches and the rules judge (dotted names).
const std::vector<std::string>& sysctl_names();

}  // namespace cordon::diag
