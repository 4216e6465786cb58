// Small file operations used during setup.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// Read a file of at most max bytes (procfs and sysfs files, config files).
Result<std::string> read_small_file(const std::string& path, size_t max = 1 << 20);
// open(O_WRONLY) + one write; for procfs/cgroupfs control files.
Status write_file(const std::string& path, const std::string& content);
// mkdir -p: the leaf gets mode, missing parents 0755 (subject to the umask).
Status make_dirs(const std::string& path, mode_t mode);
// Create an empty regular file (a bind-mount target) if it does not exist.
Status touch(const std::string& path, mode_t mode);
Status symlink(const std::string& target, const std::string& linkpath);
// rmdir(2); ENOENT is success (already gone).
Status remove_dir(const std::string& path);
// mkdir(2) of one directory; false when it already existed.
Result<bool> make_dir(const std::string& path, mode_t mode);
Status chown_path(const std::string& path, uid_t uid, gid_t gid);
Result<UniqueFd> open_path(const std::string& path, int flags, mode_t mode = 0);
// flock(LOCK_EX|LOCK_NB): true when taken, false when another holder has it.
Result<bool> try_lock(int fd);

}  // namespace cordon::sys
