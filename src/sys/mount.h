// Mount syscalls, classic and new API. Every call here needs CAP_SYS_ADMIN in the
// user namespace that owns the caller's mount namespace, except where noted.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// mount(2). data may be empty.
Status mount(const std::string& source, const std::string& target, const std::string& fstype,
             unsigned long flags, const std::string& data = {});
// Recursive bind of source on target (target must exist).
Status bind_mount(const std::string& source, const std::string& target, bool recursive = true);
// Make every mount under path private (recursive), so nothing propagates to the host.
Status make_rprivate(const std::string& path);

// mount_setattr(2) attribute bits (linux/mount.h MOUNT_ATTR_*).
struct MountAttrs {
  uint64_t set = 0;
  uint64_t clear = 0;
  int userns_fd = -1;  // with MOUNT_ATTR_IDMAP
};
// mount_setattr on a path (dirfd-relative or absolute), recursively when asked.
// Only changes the bits named: locked flags of the original mount stay as they are.
Status mount_setattr(int dirfd, const std::string& path, const MountAttrs& attrs, bool recursive);

// open_tree(OPEN_TREE_CLONE[|AT_RECURSIVE]) of the object an fd refers to (AT_EMPTY_PATH):
// a detached copy of its mount, from that object down.
Result<UniqueFd> open_tree_clone_fd(int fd, bool recursive);
// openat2(RESOLVE_IN_ROOT): path resolved as if root_fd were "/", so absolute and ".."
// symlinks of a host tree stay inside it. Returns an O_PATH fd.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path);
// move_mount of a detached tree (fd) onto target.
Status move_mount_fd(int fd, const std::string& target);

// umount2(MNT_DETACH | UMOUNT_NOFOLLOW): the mount leaves the tree now, and is freed once
// unused.
Status unmount_detach(const std::string& path);

// pivot_root(".", ".") inside new_root, then detach the old root: afterwards "/" is new_root
// and nothing of the old root is reachable. Precondition: new_root is a mount point.
Status pivot_into(const std::string& new_root);

}  // namespace cordon::sys
