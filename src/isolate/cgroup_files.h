// Reading and writing cgroupfs files, shared by the v1 and v2 backends.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "plan/cgroup_plan.h"

namespace cordon::isolate {

Result<uint64_t> read_u64(const std::string& path);
// The value of "key N" in a flat keyed file (memory.events, cpu.stat, memory.oom_control).
Result<uint64_t> read_key(const std::string& path, const std::string& key);
// The PIDs listed in a cgroup.procs file.
Result<std::vector<pid_t>> read_pids(const std::string& path);
// Applies writes into dir_of(controller)/file of a new group; optional files that do not
// exist are skipped, and so are the kernel's defaults.
Status apply_writes(const std::vector<plan::CgroupWrite>& writes,
                    const std::function<std::string(const std::string&)>& dir_of);
// EBUSY for a group that exists already (create_cgroup's refusal).
Error group_in_use(const std::string& dir);
// rmdir, retrying while the kernel still frees the last members (EBUSY).
Status remove_group_dir(const std::string& dir);
// remove_group_dir of dir and, first, of every group below it, deepest first: a group
// delegated to a sandbox's init (--boot) holds the groups the init made.
Status remove_group_tree(const std::string& dir);
// --boot: hands the group at dir to uid:gid (root inside the sandbox, on the host), as
// systemd's delegation contract asks: the directory, cgroup.procs, cgroup.threads and
// cgroup.subtree_control. Its other files (the limits) stay the host's.
Status delegate_group(const std::string& dir, uid_t uid, gid_t gid);

}  // namespace cordon::isolate
