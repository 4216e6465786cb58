#include "isolate/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "sys/fs.h"
#include "sys/mount.h"

namespace cordon::isolate {
namespace {

using plan::MountOp;
using plan::MountStep;

bool exists(const std::string& path) {
  return sys::path_status(path, /*follow=*/false).ok();
}

// Creates a directory or an empty file at target to mount onto, matching the source.
Status make_mount_point(int source_fd, const std::string& target) {
  auto st = sys::fd_status(source_fd);
  if (!st.ok()) return errno_error(st.error().err, "stat", target);
  if (S_ISDIR(st->st_mode)) return sys::make_dirs(target, 0755);
  std::string parent = target.substr(0, target.rfind('/'));
  TRY(sys::make_dirs(parent, 0755));
  return sys::touch(target, 0644);
}

uint64_t bind_attrs(const MountStep& s) {
  uint64_t a = MOUNT_ATTR_NOSUID;
  if (!s.writable) a |= MOUNT_ATTR_RDONLY;
  a |= s.is_device ? MOUNT_ATTR_NOEXEC : MOUNT_ATTR_NODEV;
  return a;
}

// Attaches a detached tree fd at target, creating the mount point.
Status attach(int tree_fd, const std::string& target) {
  TRY(make_mount_point(tree_fd, target));
  return sys::move_mount_fd(tree_fd, target);
}

// A host path, resolved inside the host's root so that its symlinks cannot point out of it.
Status bind_host(const MountStep& s, int host_root) {
  auto src = sys::open_in_root(host_root, s.source);
  if (!src.ok()) {
    if (s.optional && src.error().err == ENOENT) return {};
    return std::move(src).error();
  }
  ASSIGN_OR_RETURN(UniqueFd tree, sys::open_tree_clone_fd(src->get(), /*recursive=*/true));
  TRY(sys::mount_setattr(tree.get(), "", {bind_attrs(s), 0, -1}, /*recursive=*/true));
  return attach(tree.get(), s.target);
}

// /bin on a merged-/usr host is a symlink to usr/bin: recreate the link, bind anything else.
// The plan's host view paths are top-level ("/bin"), so one readlinkat below the root
// handle sees them as they are.
Status mirror_host(const MountStep& s, int host_root) {
  std::string rel = s.source.substr(1);
  auto link = sys::read_link_at(host_root, rel);
  if (link.ok()) return sys::symlink(*link, s.target);
  int err = link.error().err;
  if (err == ENOENT && s.optional) return {};
  if (err != EINVAL) return errno_error(err, "readlink", s.source);  // EINVAL: not a symlink
  return bind_host(s, host_root);
}

// A staged entry: lstat, a mount point, one bind. The staged mount is read-only, nosuid
// and nodev, and a plain bind keeps the flags of the mount it copies.
Status bind_from_stage(const MountStep& s, int host_root) {
  auto st = sys::path_status(s.source, /*follow=*/false);
  if (!st.ok()) {
    if (st.error().err == ENOENT && s.optional) return {};
    return errno_error(st.error().err, "stat", s.host_path);
  }
  if (S_ISLNK(st->st_mode)) {
    // resolv.conf and friends point elsewhere on the host: resolve them in the host's root.
    MountStep host = s;
    host.source = s.host_path;
    return bind_host(host, host_root);
  }
  if (S_ISDIR(st->st_mode)) {
    TRY(sys::make_dirs(s.target, 0755));
  } else {
    TRY(sys::touch(s.target, 0644));
  }
  // Recursive for the same reason as the staging: a directory entry may have locked
  // mounts below it.
  return sys::bind_mount(s.source, s.target, /*recursive=*/true);
}

// The hosts file with the sandbox's own name added. The copy lives in the scratch tmpfs,
// outside every directory the new root binds from it, and is bound read-only. A host file
// that cannot be copied (unreadable, larger than 1 MiB, larger than the disk limit) stays
// as it was bound: the name is a convenience, not worth a failed start.
Status hosts_file(const MountStep& s) {
  auto host = sys::read_small_file(s.target, 1 << 20);
  if (!host.ok() && host.error().err != ENOENT) return {};
  std::string text = host.ok() ? *host : "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "127.0.1.1\t" + s.data + "\n";
  if (!sys::write_new_file(s.source, text, 0644).ok()) {
    (void)sys::unlink_path(s.source);
    return {};
  }
  if (!host.ok()) TRY(sys::touch(s.target, 0644));
  TRY(sys::bind_mount(s.source, s.target, /*recursive=*/false));
  return sys::mount_setattr(
      AT_FDCWD, s.target, {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1}, false);
}

// A file cordon writes (data), bound read-only on target: a symlink there (an image's
// resolv.conf often points into /run) is replaced, a missing file made. Unlike the hosts
// file, a failure fails the start: the sandbox would be left without its resolver.
Status text_file(const MountStep& s) {
  TRY(sys::write_new_file(s.source, s.data, 0644));
  auto mode = sys::file_mode(s.target);
  if (mode.ok() && S_ISLNK(*mode)) TRY(sys::unlink_path(s.target));
  if (!mode.ok() || S_ISLNK(*mode)) TRY(sys::touch(s.target, 0644));
  TRY(sys::bind_mount(s.source, s.target, /*recursive=*/false));
  return sys::mount_setattr(
      AT_FDCWD, s.target, {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1}, false);
}

Status apply_step(const MountStep& s, int host_root, const MountContext& ctx, size_t* next_tree) {
  constexpr unsigned long kNoSuidDev = MS_NOSUID | MS_NODEV;
  switch (s.op) {
    case MountOp::kTmpfs:
      return sys::mount("tmpfs", s.target, "tmpfs", kNoSuidDev, s.data);
    case MountOp::kBindHost:
      return bind_host(s, host_root);
    case MountOp::kMirrorHost:
      return mirror_host(s, host_root);
    case MountOp::kStageHost: {
      // Recursive: where something is mounted below the host's /etc (Docker and
      // Kubernetes mount /etc/hosts, /etc/resolv.conf and /etc/hostname so), those mounts
      // are locked to ours in our user namespace, and the kernel refuses a copy without
      // them (EINVAL). The entries then show what the host's processes see.
      ASSIGN_OR_RETURN(UniqueFd src, sys::open_in_root(host_root, s.source));
      ASSIGN_OR_RETURN(UniqueFd tree, sys::open_tree_clone_fd(src.get(), /*recursive=*/true));
      TRY(sys::mount_setattr(tree.get(), "", {bind_attrs(s), 0, -1}, /*recursive=*/true));
      return sys::move_mount_fd(tree.get(), s.target);
    }
    case MountOp::kBindFromStage:
      return bind_from_stage(s, host_root);
    case MountOp::kBindStaged:
      TRY(sys::bind_mount(s.source, s.target, /*recursive=*/false));
      return sys::mount_setattr(AT_FDCWD, s.target, {bind_attrs(s), 0, -1}, false);
    case MountOp::kProc:
      return sys::mount("proc", s.target, "proc", kNoSuidDev | MS_NOEXEC);
    case MountOp::kDevpts:
      return sys::mount("devpts", s.target, "devpts", MS_NOSUID | MS_NOEXEC, s.data);
    case MountOp::kMqueue:
      return sys::mount("mqueue", s.target, "mqueue", kNoSuidDev | MS_NOEXEC);
    case MountOp::kMaskFile:
      if (!exists(s.target)) return {};
      TRY(sys::bind_mount(s.source, s.target, /*recursive=*/false));
      return sys::mount_setattr(AT_FDCWD, s.target,
                                {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, -1},
                                false);
    case MountOp::kMaskDir:
      if (!exists(s.target)) return {};
      return sys::mount("tmpfs", s.target, "tmpfs", kNoSuidDev | MS_NOEXEC | MS_RDONLY,
                        "size=4096,nr_inodes=1,mode=0555");
    case MountOp::kReadOnly:
      if (!exists(s.target)) return {};
      TRY(sys::bind_mount(s.target, s.target, /*recursive=*/true));
      return sys::mount_setattr(AT_FDCWD, s.target,
                                {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, -1},
                                true);
    case MountOp::kSymlink:
      return sys::symlink(s.source, s.target);
    case MountOp::kMkdir:
      TRY(sys::make_dirs(s.target, s.mode));
      TRY(sys::chmod_path(s.target, s.mode));
      if (s.chown) return sys::chown_path(s.target, ctx.uid, ctx.gid);
      return {};
    case MountOp::kAttachTree: {
      if (ctx.trees == nullptr || *next_tree >= ctx.trees->size())
        return logic_error("attach", s.target, "the parent passed too few mounts");
      return attach((*ctx.trees)[(*next_tree)++].get(), s.target);
    }
    case MountOp::kOverlay:
      return sys::mount("overlay", s.target, "overlay", kNoSuidDev, s.data);
    case MountOp::kSetReadOnly:
      return sys::mount_setattr(AT_FDCWD, s.target, {MOUNT_ATTR_RDONLY, 0, -1}, false);
    case MountOp::kHostsFile:
      return hosts_file(s);
    case MountOp::kTextFile:
      return text_file(s);
    case MountOp::kFile:
      return sys::touch(s.target, s.mode);
    case MountOp::kSysfs:
      // Allowed in a user namespace that owns the network namespace (ours made it);
      // read-only, as the host's sysfs objects are not the sandbox's to change.
      return sys::mount("sysfs", s.target, "sysfs", kNoSuidDev | MS_NOEXEC | MS_RDONLY);
    case MountOp::kCgroup2:
      // The root of our cgroup namespace: the sandbox's own group, delegated to root inside.
      return sys::mount("cgroup2", s.target, "cgroup2", kNoSuidDev | MS_NOEXEC);
  }
  return logic_error("mount plan", s.target, "unknown step");
}

}  // namespace

Result<UniqueFd> enter_staging() {
  // Nothing we mount may propagate back to the host's namespace.
  TRY(sys::make_rprivate("/"));
  return sys::open_path("/", O_PATH | O_DIRECTORY);
}

namespace {

// Whether path is kStagingNew or below it.
bool in_new_root(const std::string& path) {
  std::string root = plan::kStagingNew;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

// Once an image is the new root, its symlinks are under it: a step whose target goes
// through one would follow it in this mount namespace, where the host's tree is still "/"
// (an image's /home -> /var/tmp made cordon create /var/tmp/user on the host). Such a
// target is refused: what exists of it must have no symlink in any component. Nothing else
// runs in the sandbox yet and the layers are the store's, so nothing changes the tree
// between this check and the step.
Status no_symlink_on_the_way(const std::string& target) {
  std::string p = target;
  for (;;) {
    auto fd = sys::open_no_symlinks(p, O_PATH | O_CLOEXEC);
    if (fd.ok()) return {};
    if (fd.error().err == ELOOP)
      return logic_error("image root", p.substr(std::string(plan::kStagingNew).size()),
                         "is or goes through a symlink in the image, and cordon makes or "
                         "mounts nothing through one");
    if (fd.error().err != ENOENT && fd.error().err != ENOTDIR) return std::move(fd).error();
    size_t slash = p.rfind('/');
    if (slash == std::string::npos || slash == 0) return {};
    p.resize(slash);
  }
}

}  // namespace

Status apply_mounts(const plan::MountPlan& plan, int host_root, const MountContext& ctx) {
  size_t next_tree = 0;
  bool image_root = false;  // the overlay of an image is mounted at kStagingNew
  for (const auto& s : plan.steps) {
    if (image_root && in_new_root(s.target)) TRY(no_symlink_on_the_way(s.target));
    TRY(apply_step(s, host_root, ctx, &next_tree));
    if (s.op == MountOp::kOverlay && s.target == plan::kStagingNew) image_root = true;
  }
  return {};
}

Status enter_new_root() {
  return sys::pivot_into(plan::kStagingNew);
}

}  // namespace cordon::isolate
