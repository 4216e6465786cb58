#include "sys/fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace cordon::sys {

Result<std::string> read_small_file(const std::string& path, size_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max)
      return logic_error("read", path, "file larger than " + std::to_string(max) + " bytes");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_file(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", path);
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n < 0) return sys_error("write", path);
  if (static_cast<size_t>(n) != content.size()) return logic_error("write", path, "short write");
  return {};
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (path.empty() || path == "/") return {};
  // The leaf first: its parents usually exist, and one syscall is the common case.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return sys_error("mkdir", path);
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) TRY(make_dirs(path.substr(0, slash), 0755));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return sys_error("mkdir", path);
  return {};
}

Status touch(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return sys_error("create", path);
  ::close(fd);
  return {};
}

Status symlink(const std::string& target, const std::string& linkpath) {
  if (::symlink(target.c_str(), linkpath.c_str()) != 0 && errno != EEXIST)
    return sys_error("symlink", linkpath);
  return {};
}

Status remove_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return sys_error("rmdir", path);
  return {};
}

Result<bool> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return true;
  if (errno == EEXIST) return false;
  return sys_error("mkdir", path);
}

Status chown_path(const std::string& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) return sys_error("chown", path);
  return {};
}

Result<UniqueFd> open_path(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("open", path);
  return UniqueFd(fd);
}

Result<bool> try_lock(int fd) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  if (errno == EWOULDBLOCK) return false;
  return sys_error("flock");
}

namespace {

Result<UniqueFd> openat2(int dir_fd, const std::string& path, int flags, mode_t mode,
                         uint64_t resolve) {
  struct open_how how;
  std::memset(&how, 0, sizeof(how));
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) how.mode = mode;
  how.resolve = resolve;
  // EAGAIN: the kernel saw a rename or mount race during a ".." walk and could not prove the
  // walk stayed where it must; the documented answer is to try again.
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EAGAIN || attempt == 8) return sys_error("openat2", path);
  }
}

}  // namespace

Result<UniqueFd> open_beneath(int dir_fd, const std::string& path, int flags, mode_t mode) {
  return openat2(dir_fd, path, flags, mode,
                 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
}

Result<UniqueFd> open_no_symlinks(const std::string& path, int flags) {
  return openat2(AT_FDCWD, path, flags, 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

Status access_fd(int fd, int mode, const std::string& path) {
  if (::syscall(SYS_faccessat2, fd, "", mode, AT_EMPTY_PATH) != 0) return sys_error("access", path);
  return {};
}

Status mkdir_beneath(int dir_fd, const std::string& path, mode_t mode) {
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == "..")
    return logic_error("mkdir", path, "the last component must be a name");
  ASSIGN_OR_RETURN(UniqueFd parent_fd, open_beneath(dir_fd, parent, O_PATH | O_DIRECTORY));
  if (::mkdirat(parent_fd.get(), leaf.c_str(), mode) != 0) return sys_error("mkdir", path);
  return {};
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status write_new_file(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error("create", path);
  return write_all(fd.get(), data, path);
}

Status set_mode(int fd, mode_t mode, const std::string& path) {
  if (::fchmod(fd, mode) != 0) return sys_error("chmod", path);
  return {};
}

}  // namespace cordon::sys
