// What the service (service/) needs of the kernel beyond a sandbox's start: random
// secrets, the identity of a process across restarts, unmounting, and walking a
// directory a sandbox wrote without following what it planted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

struct DirEntry {
  std::string name;
  mode_t mode = 0;         // fstatat(AT_SYMLINK_NOFOLLOW): a symlink is S_IFLNK, never followed
  uint64_t size = 0;       // st_size: the apparent size (a sparse file's holes count)
  uint64_t allocated = 0;  // st_blocks * 512: what the entry holds on its filesystem
};

// getrandom(2) from the kernel's CSPRNG; blocks only before the pool is seeded at boot.
Result<std::string> random_bytes(size_t n);

// Field 22 of /proc/PID/stat: its start time in clock ticks since boot. With the PID it
// names one process for good (a PID can be reused; the pair cannot). 0: no such process.
uint64_t process_start_time(pid_t pid);

// pidfd_open(2): a handle on process pid that signals only it, even after its PID is
// reused (sys/process.h's pidfd_kill). Take it while the process is known to be alive.
Result<UniqueFd> pidfd_open(pid_t pid);

// fork + execv(argv[0], argv): a helper process (the daemon's launcher). In the child,
// before the exec, only async-signal-safe calls: the caller may have threads. The child
// gets parent_death_signal when the calling thread ends (so call it from a thread that
// lives as long as the helper should), and the signal mask is emptied.
Result<pid_t> spawn(const std::vector<std::string>& argv, int parent_death_signal);

// A group's ID from /etc/group (read directly: the static binary has no NSS modules).
Result<gid_t> group_id(const std::string& name);

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
// rename(2) and unlink(2) of paths the service made itself.
Status rename_path(const std::string& from, const std::string& to);
Status unlink_path(const std::string& path);

// The children of a process (/proc/PID/task/PID/children): none when it is gone.
std::vector<pid_t> child_pids(pid_t pid);

// umount2(MNT_DETACH): the mount leaves the tree now, and is freed once unused.
Status unmount_detach(const std::string& path);

// The entries of an open directory ("." and ".." left out). More than max_entries:
// E2BIG, without reading the rest (a folder a sandbox filled need not sit in memory).
Result<std::vector<DirEntry>> read_dir_fd(int dir_fd, size_t max_entries = SIZE_MAX);

// openat(dir_fd, name) of one component with O_NOFOLLOW (name must hold no '/').
Result<UniqueFd> open_at(int dir_fd, const std::string& name, int flags, mode_t mode = 0);
// mkdirat(dir_fd, name, mode).
Status mkdir_at(int dir_fd, const std::string& name, mode_t mode);

}  // namespace cordon::sys
