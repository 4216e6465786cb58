#include "sys/fs_at.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

namespace cordon::sys {

Status make_node_at(int dir_fd, const std::string& name, mode_t mode, dev_t dev) {
  if (::mknodat(dir_fd, name.c_str(), mode, dev) != 0) return sys_error("mknodat", name);
  return {};
}

Status symlink_at(const std::string& target, int dir_fd, const std::string& name) {
  if (::symlinkat(target.c_str(), dir_fd, name.c_str()) != 0) return sys_error("symlinkat", name);
  return {};
}

Status link_fd_at(int fd, int dir_fd, const std::string& name) {
  if (::linkat(fd, "", dir_fd, name.c_str(), AT_EMPTY_PATH) != 0) return sys_error("linkat", name);
  return {};
}

Status chown_at(int dir_fd, const std::string& name, uid_t uid, gid_t gid) {
  if (::fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("fchownat", name);
  return {};
}

Status set_times_at(int dir_fd, const std::string& name, int64_t sec, long nsec) {
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(sec);
  ts[0].tv_nsec = ts[1].tv_nsec = nsec;
  if (::utimensat(dir_fd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat", name);
  return {};
}

Status set_xattr_fd(int fd, const std::string& name, std::string_view value) {
  if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
    return sys_error("fsetxattr", name);
  return {};
}

Result<std::optional<std::string>> get_xattr_fd(int fd, const std::string& name, size_t max) {
  std::string v(max, '\0');
  ssize_t n = ::fgetxattr(fd, name.c_str(), v.data(), v.size());
  if (n < 0) {
    if (errno == ENODATA) return std::optional<std::string>();
    return sys_error("fgetxattr", name);
  }
  v.resize(static_cast<size_t>(n));
  return std::optional<std::string>(std::move(v));
}

Result<bool> lock_file(int fd, bool exclusive, bool block) {
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (block ? 0 : LOCK_NB);
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !block) return false;
    return sys_error("flock");
  }
  return true;
}

Status sync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return sys_error("fsync", path);
  return {};
}

}  // namespace cordon::sys
