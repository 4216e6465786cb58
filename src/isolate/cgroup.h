// A sandbox's cgroup, behind one interface with a backend per hierarchy (DESIGN.md
// section 6): v2 (one group, CLONE_INTO_CGROUP, cgroup.kill) and v1 (a group per
// controller, the PID placed in each before the child goes on, freezer before the kill).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "spec/spec.h"

namespace cordon::isolate {

enum class CgroupMode { kV1, kV2, kNone };

struct CgroupUsage {
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t oom_kills = 0;
};

class Cgroup {
 public:
  virtual ~Cgroup() = default;
  virtual CgroupMode mode() const = 0;
  // v2: a directory fd for clone3's CLONE_INTO_CGROUP; v1: -1.
  virtual int clone_fd() const = 0;
  // v1: write-only fds of each group's "tasks" file, opened by the supervisor, into which
  // the child writes "0" to join its groups itself, before it does anything else. Moving
  // one's own thread skips the kernel's global threadgroup lock, whose write side waits
  // for an RCU grace period (1-20 ms here) when a supervisor writes another PID into
  // cgroup.procs. v2: none (the child is cloned in).
  virtual std::vector<int> join_fds() const = 0;
  // CPU time used so far by everything in the group, for --cpu-time.
  virtual Result<uint64_t> cpu_usage_ns() = 0;
  virtual Result<CgroupUsage> usage() = 0;
  // Kills every process in the group and waits until it is empty.
  virtual Status kill_all() = 0;
  // Removes the group (every controller's on v1). Idempotent.
  virtual Status remove() = 0;
  // The group's directories, for the result and for tests.
  virtual std::vector<std::string> paths() const = 0;
};

struct CgroupRequest {
  std::string name;    // plan::cgroup_name(slot)
  std::string parent;  // empty: the caller's own cgroup
  spec::Limits limits;
  std::string root = "/sys/fs/cgroup";
  // The caller's cgroup in each hierarchy ("" is v2's), filled by load_caller_cgroups().
  std::map<std::string, std::string> caller = {};
  bool caller_loaded = false;
  // --boot: the group is delegated to the sandbox's root (delegate_uid:delegate_gid on
  // the host), and on a v1 host a group of the same name is made also in the cgroup2
  // hierarchy mounted at ROOT/unified (the one the init sees at /sys/fs/cgroup), joined
  // by the child with its v1 groups and removed with them. The v1 groups keep the limits.
  bool delegate = false;
  uid_t delegate_uid = 0;
  gid_t delegate_gid = 0;
  // A fixed slot (an instance's): an empty group of its own name, left by a run whose
  // supervisor was killed, is swept too (there is no other slot to try).
  bool sweep_own = false;
};

// Reads the caller's cgroups (/proc/self/cgroup) into the request, once per start; with a
// named parent there is nothing to read.
Status load_caller_cgroups(CgroupRequest* request,
                           const std::string& proc_self_cgroup = "/proc/self/cgroup");

// The cgroup path under which the sandbox's group goes in `hierarchy` ("" on v2): the
// named parent, else the caller's own cgroup there; "" for the root.
std::string parent_in(const CgroupRequest& request, const std::string& hierarchy);

// v2 when root is a cgroup2 mount; v1 when it holds v1 hierarchies (a hybrid host's
// nearly empty "unified" v2 mount is not used).
Result<CgroupMode> detect_cgroup_mode(const std::string& root);

// Creates the group with its limits written. It must be new: a group of the same name
// may be a live sandbox's whose holder this cordon does not see (another runtime
// directory), so it is refused with EBUSY, never reused or killed; a crashed start's
// leftover is removed by the sweep of a later start that does not hold its slot.
Result<std::unique_ptr<Cgroup>> create_cgroup(const CgroupRequest& request, CgroupMode mode);

// A supervisor killed with SIGKILL cannot remove its group. Such a group, named after a
// slot whose lock nobody holds any more, is removed by a later start in the same parent,
// in every hierarchy, if it is empty; one with members is left alone (it may be the live
// sandbox of a cordon that does not share this one's locks).
// slot_is_free(base) says whether the slot of "cordon-BASE" is free.
Status sweep_stale_groups(const CgroupRequest& request, CgroupMode mode,
                          const std::function<bool(uint64_t)>& slot_is_free);

// No cgroup at all (--no-cgroup): nothing is limited or accounted, and kill_all() is left
// to PID 1's death, which ends the PID namespace.
std::unique_ptr<Cgroup> no_cgroup();

// Backends (cgroup_v1.cc, cgroup_v2.cc).
Result<std::unique_ptr<Cgroup>> create_cgroup_v1(const CgroupRequest& request);
Result<std::unique_ptr<Cgroup>> create_cgroup_v2(const CgroupRequest& request);

}  // namespace cordon::isolate
