// Small file operations used during setup.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

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

// openat2(2) of path beneath dir_fd with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: no component may be a symlink (not even one that
// stays inside), an absolute path or a ".." that climbs above dir_fd fails (EXDEV), and so
// does crossing a mount. For trees that someone else may have written (a tenant's archive,
// a workspace a sandbox wrote). O_CLOEXEC is added; mode is used only with O_CREAT or
// O_TMPFILE (openat2 refuses a mode otherwise). Precondition: dir_fd is a directory (an
// O_PATH fd will do). Linux >= 5.6.
Result<UniqueFd> open_beneath(int dir_fd, const std::string& path, int flags, mode_t mode = 0);
// openat2(2) of path (absolute, or relative to the cwd) with RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS: no component may be a symlink, the last one included (ELOOP), so
// what is opened is what the path names, whoever can write along it. For host paths that
// cordon mounts into a sandbox (the image, --bind sources). O_CLOEXEC is added.
Result<UniqueFd> open_no_symlinks(const std::string& path, int flags);
// faccessat2(fd, "", mode, AT_EMPTY_PATH): may the caller read/write (R_OK, W_OK, X_OK) the
// object fd names (an O_PATH fd will do)? path names it in the error. Linux >= 5.8.
Status access_fd(int fd, int mode, const std::string& path);
// mkdirat(2) of the last component of path in its parent, the parent opened with
// open_beneath; so neither the parent chain nor the new name may be a symlink (mkdirat does
// not follow a last component: a planted symlink there fails with EEXIST). An existing
// entry is an error with errno EEXIST, for the caller to decide. The mode is subject to the
// umask. Precondition: the last component is not empty, "." or "..".
Status mkdir_beneath(int dir_fd, const std::string& path, mode_t mode);
// write(2) until all of data is written (retrying short writes and EINTR). path names the
// file in the error.
Status write_all(int fd, std::string_view data, const std::string& path);
// A new regular file (O_EXCL, not through a symlink) holding data.
Status write_new_file(const std::string& path, std::string_view data, mode_t mode);
// fchmod(2): the exact mode, whatever the umask was at creation. Precondition: fd is not an
// O_PATH fd (fchmod refuses those with EBADF).
Status set_mode(int fd, mode_t mode, const std::string& path);

}  // namespace cordon::sys
