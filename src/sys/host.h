// Read-only probes of the host for `cordon doctor`: what a file system is, what a
// directory holds, whether a device node is there, which Landlock ABI the kernel has.
// Nothing here changes the host.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::sys {

// statfs(2)'s f_type of the file system holding path (CGROUP2_SUPER_MAGIC, ...).
// Needs search permission on every directory of path; ENOENT when it is absent.
Result<long> fs_type(const std::string& path);

// The names in a directory, "." and ".." left out, in readdir order (not sorted).
Result<std::vector<std::string>> list_dir(const std::string& path);

// lstat(2)'s st_mode of path (a symlink is not followed); ENOENT when it is absent.
Result<mode_t> file_mode(const std::string& path);

// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the highest Landlock
// ABI the kernel supports (1 and up). No precondition: it creates nothing. ENOSYS: a
// kernel without Landlock; EOPNOTSUPP: built in but not enabled at boot (lsm=).
Result<int> landlock_abi_version();

}  // namespace cordon::sys
