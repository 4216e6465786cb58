// Creating entries by (directory fd, name), for trees built from untrusted archives (image
// layers): every call acts on the one name in dir_fd and never follows a symlink there,
// and dir_fd itself comes from open_beneath (fs.h), so no component on the way was one.
// Also flock(2) in both modes and fsync(2), for the image store's lock and atomic writes.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon::sys {

// mknodat(2): a device node or fifo named name in dir_fd (mode holds the type bits).
Status make_node_at(int dir_fd, const std::string& name, mode_t mode, dev_t dev);
// symlinkat(2): name in dir_fd becomes a symlink holding target (never resolved here).
Status symlink_at(const std::string& target, int dir_fd, const std::string& name);
// linkat(fd, "", dir_fd, name, AT_EMPTY_PATH): a hard link to the object fd names (an O_PATH
// fd opened with open_beneath will do). Needs CAP_DAC_READ_SEARCH.
Status link_fd_at(int fd, int dir_fd, const std::string& name);
// fchownat(2) with AT_SYMLINK_NOFOLLOW: a symlink itself is changed.
Status chown_at(int dir_fd, const std::string& name, uid_t uid, gid_t gid);
// utimensat(2) with AT_SYMLINK_NOFOLLOW: atime and mtime to the given times.
Status set_times_at(int dir_fd, const std::string& name, int64_t sec, long nsec);
// fsetxattr(2) on an fd that is not O_PATH.
Status set_xattr_fd(int fd, const std::string& name, std::string_view value);
// fgetxattr(2) on an fd that is not O_PATH: the value, or nullopt when it has none
// (ENODATA). At most max bytes (ERANGE beyond).
Result<std::optional<std::string>> get_xattr_fd(int fd, const std::string& name, size_t max = 256);
// flock(2): LOCK_EX (exclusive) or LOCK_SH, waiting (block) or not. Returns false when
// !block and another holder has it.
Result<bool> lock_file(int fd, bool exclusive, bool block);
// fsync(2).
Status sync_fd(int fd, const std::string& path);

}  // namespace cordon::sys
