#include "sys/daemon.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "sys/fs.h"

namespace cordon::sys {

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sys_error("getrandom");
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

uint64_t process_start_time(pid_t pid) {
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat.ok()) return 0;
  // The command name (field 2) is in parentheses and may hold anything: count fields
  // from the last ')'.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  size_t pos = close + 1;
  for (int field = 3; field < 22; ++field) {
    pos = stat->find(' ', pos + 1);
    if (pos == std::string::npos) return 0;
  }
  return std::strtoull(stat->c_str() + pos + 1, nullptr, 10);
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd.valid()) return sys_error("pidfd_open", std::to_string(pid));
  return fd;
}

Result<pid_t> spawn(const std::vector<std::string>& argv, int parent_death_signal) {
  if (argv.empty()) return errno_error(EINVAL, "spawn");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", argv[0]);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, parent_death_signal);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

Result<gid_t> group_id(const std::string& name) {
  ASSIGN_OR_RETURN(std::string text, read_small_file("/etc/group", 4 << 20));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    // name:password:gid:members
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    size_t c = b == std::string::npos ? b : line.find(':', b + 1);
    if (c == std::string::npos || line.compare(0, a, name) != 0 || a != name.size()) continue;
    char* stop = nullptr;
    unsigned long gid = std::strtoul(line.c_str() + b + 1, &stop, 10);
    if (stop != line.c_str() + c) continue;
    return static_cast<gid_t>(gid);
  }
  return errno_error(ENOENT, "group", name);
}

Result<DirEntry> stat_fd(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return sys_error("fstat");
  return DirEntry{"", st.st_mode, static_cast<uint64_t>(st.st_size),
                  static_cast<uint64_t>(st.st_blocks) * 512};
}

Result<size_t> read_at(int fd, char* buf, size_t len, uint64_t offset) {
  for (;;) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return sys_error("pread");
  }
}

Status write_at(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("pwrite", path);
    if (n == 0) return errno_error(EIO, "pwrite", path);
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<std::optional<uint64_t>> next_data(int fd, uint64_t offset) {
  off_t at = ::lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
  if (at < 0 && errno == ENXIO) return std::optional<uint64_t>();
  if (at < 0) return sys_error("lseek SEEK_DATA");
  return std::optional<uint64_t>(static_cast<uint64_t>(at));
}

Result<uint64_t> next_hole(int fd, uint64_t offset) {
  off_t at = ::lseek(fd, static_cast<off_t>(offset), SEEK_HOLE);
  if (at < 0) return sys_error("lseek SEEK_HOLE");
  return static_cast<uint64_t>(at);
}

Status truncate_fd(int fd, uint64_t size, const std::string& path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return sys_error("ftruncate", path);
  return {};
}

Status unlink_at(int dir_fd, const std::string& name, bool is_dir) {
  if (::unlinkat(dir_fd, name.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    return sys_error(is_dir ? "rmdir" : "unlink", name);
  return {};
}

Status rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return sys_error("rename", from);
  return {};
}

Status unlink_path(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error("unlink", path);
  return {};
}

std::vector<pid_t> child_pids(pid_t pid) {
  std::string p = std::to_string(pid);
  auto text = read_small_file("/proc/" + p + "/task/" + p + "/children", 1 << 16);
  std::vector<pid_t> out;
  if (!text.ok()) return out;
  const char* s = text->c_str();
  char* end = nullptr;
  for (long v = std::strtol(s, &end, 10); end != s; v = std::strtol(s, &end, 10)) {
    if (v > 0) out.push_back(static_cast<pid_t>(v));
    s = end;
  }
  return out;
}

Status unmount_detach(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return sys_error("umount2", path);
  return {};
}

Result<std::vector<DirEntry>> read_dir_fd(int dir_fd, size_t max_entries) {
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return sys_error("dup");
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    int e = errno;
    ::close(dup);
    return errno_error(e, "fdopendir");
  }
  ::rewinddir(d);
  std::vector<DirEntry> out;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
    if (out.size() >= max_entries) {
      ::closedir(d);
      return errno_error(E2BIG, "readdir", "more than " + std::to_string(max_entries) + " entries");
    }
    out.push_back({name, st.st_mode, static_cast<uint64_t>(st.st_size),
                   static_cast<uint64_t>(st.st_blocks) * 512});
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errno_error(err, "readdir");
  return out;
}

Result<UniqueFd> open_at(int dir_fd, const std::string& name, int flags, mode_t mode) {
  if (name.empty() || name.find('/') != std::string::npos || name == "..")
    return errno_error(EINVAL, "openat", name);
  UniqueFd fd(::openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error("openat", name);
  return fd;
}

Status mkdir_at(int dir_fd, const std::string& name, mode_t mode) {
  if (::mkdirat(dir_fd, name.c_str(), mode) != 0) return sys_error("mkdirat", name);
  return {};
}

}  // namespace cordon::sys
