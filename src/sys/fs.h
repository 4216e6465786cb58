// Files, directories and paths: small file I/O, creating and removing entries, stat,
// walking a directory, symlink-free opens (openat2), the umask and the cwd.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// Read a file of at most max bytes (procfs and sysfs files, config files).
Result<std::string> read_small_file(const std::string& path, size_t max = 1 << 20);
// A regular file of at most max bytes mapped read-only (MAP_PRIVATE), unmapped when the
// object goes: a large file's bytes without holding a copy on the heap. The caller
// must own the file: truncating it while it is mapped makes a read SIGBUS.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  static Result<MappedFile> open(const std::string& path, uint64_t max);
  std::string_view bytes() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};
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

// --- Files by fd, and directories a sandbox wrote (the service's workspaces) ---

struct DirEntry {
  std::string name;
  mode_t mode = 0;         // fstatat(AT_SYMLINK_NOFOLLOW): a symlink is S_IFLNK, never followed
  uint64_t size = 0;       // st_size: the apparent size (a sparse file's holes count)
  uint64_t allocated = 0;  // st_blocks * 512: what the entry holds on its filesystem
};

// fstat(2): the file's type, mode, size and allocated bytes.
Result<DirEntry> stat_fd(int fd);
// pread(2), retried on EINTR: up to len bytes at offset (0 at the end of the file).
Result<size_t> read_at(int fd, char* buf, size_t len, uint64_t offset);
// pwrite(2) until all of data is written at offset (short writes and EINTR retried).
Status write_at(int fd, std::string_view data, uint64_t offset, const std::string& path);
// lseek(2) SEEK_DATA: the start of the next data at or after offset, or nullopt when only
// a hole is left (ENXIO). A filesystem without hole support reports the whole file as data.
Result<std::optional<uint64_t>> next_data(int fd, uint64_t offset);
// lseek(2) SEEK_HOLE: the start of the next hole at or after offset (the end of the file
// counts as one).
Result<uint64_t> next_hole(int fd, uint64_t offset);
// ftruncate(2): the file's size becomes size (growing it leaves a hole).
Status truncate_fd(int fd, uint64_t size, const std::string& path);
// unlinkat(2) of one name in dir_fd (AT_REMOVEDIR for a folder); ENOENT is success.
Status unlink_at(int dir_fd, const std::string& name, bool is_dir);
// rename(2) and unlink(2) of paths cordon made itself; unlink_path: ENOENT is success.
Status rename_path(const std::string& from, const std::string& to);
Status unlink_path(const std::string& path);

// The entries of an open directory ("." and ".." left out). More than max_entries:
// E2BIG, without reading the rest (a folder a sandbox filled need not sit in memory).
Result<std::vector<DirEntry>> read_dir_fd(int dir_fd, size_t max_entries = SIZE_MAX);

// openat(dir_fd, name) of one component with O_NOFOLLOW (name must hold no '/').
Result<UniqueFd> open_at(int dir_fd, const std::string& name, int flags, mode_t mode = 0);
// mkdirat(dir_fd, name, mode).
Status mkdir_at(int dir_fd, const std::string& name, mode_t mode);

// --- Paths (read-only probes: `cordon doctor`, preflight, cgroups) ---

// statfs(2)'s f_type of the file system holding path (CGROUP2_SUPER_MAGIC, ...).
// Needs search permission on every directory of path; ENOENT when it is absent.
Result<long> fs_type(const std::string& path);
// The names in a directory, "." and ".." left out, in readdir order (not sorted).
Result<std::vector<std::string>> list_dir(const std::string& path);
// lstat(2)'s st_mode of path (a symlink is not followed); ENOENT when it is absent.
Result<mode_t> file_mode(const std::string& path);
// stat(2) (follow) or lstat(2) of path; the error names step and path.
Result<struct stat> path_status(const std::string& path, bool follow);
// fstat(2) of fd; the error is "fstat".
Result<struct stat> fd_status(int fd) noexcept;
// readlinkat(2) of path in dir_fd (AT_FDCWD: the cwd): the link's text, at most 4095
// bytes. EINVAL: not a symlink.
Result<std::string> read_link_at(int dir_fd, const std::string& path);
// realpath(3): path with every symlink, "." and ".." resolved (it must exist).
Result<std::string> real_path(const std::string& path);
// access(2) of path with mode (R_OK, W_OK, X_OK), as the real UID.
Status access_path(const std::string& path, int mode);

// fstatfs(2)'s f_type of the file system an fd (O_PATH will do) is on.
Result<long> fd_fs_type(int fd);
// Whether the object an fd names is the root of a mount (statx STATX_ATTR_MOUNT_ROOT).
Result<bool> is_mount_root(int fd);

// --- Changing the tree ---

// Every entry of the directory tree at dir_fd, and that directory itself, chowned to
// uid:gid, following nothing: directories are opened one name at a time with O_NOFOLLOW
// below dir_fd, and each entry is changed with fchownat(AT_SYMLINK_NOFOLLOW) (a symlink
// is itself changed, never what it points to). A tree deeper than max_depth: ELOOP,
// with what was above it changed already.
Status chown_tree(int dir_fd, uid_t uid, gid_t gid, int max_depth);

// The first regular file below dir_fd (submounts included, nothing followed: directories
// are opened one name at a time with O_NOFOLLOW) that could lend privilege to whoever
// writes it: owned by uid or of group gid, and set-UID, set-GID (with or without group
// exec) or carrying a security.capability xattr. Its path relative to dir_fd, or nullopt
// when there is none. More than max_entries entries in all: E2BIG; deeper than
// max_depth: ELOOP (the walk stops there, without a verdict). Entries that vanish during
// the walk are skipped. dir_fd may be O_PATH; a regular file there is checked itself (its
// path then is "").
Result<std::optional<std::string>> find_privileged_file(int dir_fd, uid_t uid, gid_t gid,
                                                        size_t max_entries, int max_depth);

// chmod(2): the exact mode, whatever the umask was (a symlink is followed).
Status chmod_path(const std::string& path, mode_t mode);
// mkdtemp(3) of a template ending in XXXXXX: the directory made (mode 0700).
Result<std::string> make_temp_dir(const std::string& tmpl);
// umask(2): the previous mask. Async-signal-safe.
mode_t set_umask(mode_t mask) noexcept;
// getcwd(3): the working directory (ENAMETOOLONG past PATH_MAX; ENOENT when it was
// removed).
Result<std::string> current_dir();
// chdir(2). Allocation-free on success.
Status change_dir(const std::string& dir) noexcept;
// A directory setting as a command line means it: `flag` when given (non-empty), else the
// environment variable `env` when set and non-empty, else `fallback`; a relative one is
// made absolute against the working directory, since whoever uses it may run elsewhere.
Result<std::string> path_setting(const std::string& flag, const char* env, const char* fallback);

}  // namespace cordon::sys
