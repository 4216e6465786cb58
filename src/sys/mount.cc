#include "sys/mount.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace cordon::sys {

Status mount(const std::string& source, const std::string& target, const std::string& fstype,
             unsigned long flags, const std::string& data) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
              fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    return sys_error("mount " + (fstype.empty() ? source : fstype) + " on", target);
  return {};
}

Status bind_mount(const std::string& source, const std::string& target, bool recursive) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | (recursive ? MS_REC : 0),
              nullptr) != 0)
    return sys_error("bind " + source + " on", target);
  return {};
}

Status make_rprivate(const std::string& path) {
  if (::mount(nullptr, path.c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return sys_error("make mounts private", path);
  return {};
}

Status mount_setattr(int dirfd, const std::string& path, const MountAttrs& attrs, bool recursive) {
  struct mount_attr a;
  std::memset(&a, 0, sizeof(a));
  a.attr_set = attrs.set;
  a.attr_clr = attrs.clear;
  if (attrs.userns_fd >= 0) a.userns_fd = static_cast<uint64_t>(attrs.userns_fd);
  unsigned int flags = (recursive ? AT_RECURSIVE : 0) | (path.empty() ? AT_EMPTY_PATH : 0);
  if (::syscall(SYS_mount_setattr, dirfd, path.c_str(), flags, &a, sizeof(a)) != 0)
    return sys_error("mount_setattr", path.empty() ? "<fd>" : path);
  return {};
}

Result<UniqueFd> open_tree_clone_fd(int fd, bool recursive) {
  long r = ::syscall(
      SYS_open_tree, fd, "",
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
  if (r < 0) return sys_error("open_tree", "<fd>");
  return UniqueFd(static_cast<int>(r));
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path) {
  struct open_how how;
  std::memset(&how, 0, sizeof(how));
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
  if (fd < 0) return sys_error("open", path);
  return UniqueFd(static_cast<int>(fd));
}

Status move_mount_fd(int fd, const std::string& target) {
  if (::syscall(SYS_move_mount, fd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return sys_error("move_mount onto", target);
  return {};
}

Status pivot_into(const std::string& new_root) {
  if (::chdir(new_root.c_str()) != 0) return sys_error("chdir", new_root);
  // pivot_root(".", "."): the old root ends up stacked under the new one at "/", so one
  // lazy umount of "." removes it without needing a directory to park it in.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return sys_error("pivot_root", new_root);
  if (::umount2(".", MNT_DETACH) != 0) return sys_error("detach old root", "/");
  if (::chdir("/") != 0) return sys_error("chdir", "/");
  return {};
}

Status unmount_detach(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return sys_error("umount2", path);
  return {};
}

}  // namespace cordon::sys
