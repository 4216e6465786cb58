#include "instance/disk.h"

#include <btrfsutil.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>

#include "sys/fs.h"
#include "sys/loop.h"
#include "sys/mount.h"
#include "sys/process.h"

namespace cordon::instance {

namespace {

Error btrfs_error(enum btrfs_util_error e, const std::string& step, const std::string& path) {
  return Error{errno != 0 ? errno : EIO, step, path, btrfs_util_strerror(e)};
}

Status run_tool(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(pid_t pid, sys::spawn_quiet(argv, -1));
  int status = 0;
  for (;;) {
    auto r = sys::wait_child(pid, &status, 0);
    if (r.ok()) break;
    if (r.error().err != EINTR) return std::move(r).error();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return logic_error(
        "run " + argv[0], argv.back(),
        "failed (status " +
            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  return {};
}

std::string find_mkfs() {
  for (const char* p : {"/usr/sbin/mkfs.btrfs", "/sbin/mkfs.btrfs", "/usr/bin/mkfs.btrfs"})
    if (sys::access_path(p, X_OK).ok()) return p;
  return "";
}

}  // namespace

bool valid_snapshot_name(const std::string& n) {
  if (n.empty() || n.size() > 63) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

bool disk_mounted(const std::string& mountpoint) {
  auto fd = sys::open_no_symlinks(mountpoint, O_PATH | O_DIRECTORY);
  if (!fd.ok()) return false;
  auto root = sys::is_mount_root(fd->get());
  auto type = sys::fd_fs_type(fd->get());
  return root.ok() && *root && type.ok() && *type == 0x9123683e;  // BTRFS_SUPER_MAGIC
}

Status mount_disk(const std::string& image_path, const std::string& mountpoint) {
  if (disk_mounted(mountpoint)) return {};
  TRY(sys::make_dirs(mountpoint, 0700));
  ASSIGN_OR_RETURN(UniqueFd file, sys::open_no_symlinks(image_path, O_RDWR | O_CLOEXEC));
  ASSIGN_OR_RETURN(sys::LoopDevice loop, sys::attach_loop(file.get(), image_path));
  // The loop device holds the file from here; it goes with the unmount (autoclear).
  return sys::mount(loop.path, mountpoint, "btrfs", MS_NOSUID | MS_NODEV | MS_NOATIME);
}

Status unmount_disk(const std::string& mountpoint) {
  if (!disk_mounted(mountpoint)) return {};
  return sys::unmount_detach(mountpoint);
}

Status make_disk(const std::string& image_path, uint64_t bytes, const std::string& mountpoint,
                 uint32_t owner_uid, uint32_t owner_gid) {
  if (bytes < kMinDiskBytes)
    return Error{EINVAL, "instance disk", image_path,
                 "at least " + std::to_string(kMinDiskBytes >> 20) + "M"};
  std::string mkfs = find_mkfs();
  if (mkfs.empty())
    return Error{ENOENT, "instance disk", "mkfs.btrfs",
                 "not installed (Debian's btrfs-progs; scripts/setup.sh installs it)"};
  {
    ASSIGN_OR_RETURN(UniqueFd f,
                     sys::open_path(image_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    TRY(sys::truncate_fd(f.get(), bytes, image_path));
  }
  auto made = [&]() -> Status {
    TRY(run_tool({mkfs, "-q", "-f", image_path}));
    TRY(mount_disk(image_path, mountpoint));
    std::string layer = mountpoint + "/" + kLayer;
    auto e = btrfs_util_create_subvolume(layer.c_str(), 0, nullptr, nullptr);
    if (e != BTRFS_UTIL_OK) return btrfs_error(e, "create subvolume", layer);
    TRY(sys::chmod_path(layer, 0755));
    TRY(sys::make_dirs(layer + "/upper", 0755));
    TRY(sys::make_dirs(layer + "/work", 0755));
    TRY(sys::make_dirs(mountpoint + "/snapshots", 0700));
    // The overlay's layers are the instance root's; upper's root directory shows as "/".
    TRY(sys::chown_path(layer + "/upper", owner_uid, owner_gid));
    TRY(sys::chown_path(layer + "/work", owner_uid, owner_gid));
    return {};
  }();
  if (!made.ok()) {
    (void)unmount_disk(mountpoint);
    (void)sys::unlink_path(image_path);
  }
  return made;
}

Status snapshot_upper(const std::string& mountpoint, const std::string& name) {
  if (!valid_snapshot_name(name))
    return Error{EINVAL, "snapshot", name, "a name is [A-Za-z0-9][A-Za-z0-9_.-]{0,62}"};
  std::string dst = mountpoint + "/snapshots/" + name;
  if (sys::path_status(dst, false).ok()) return Error{EEXIST, "snapshot", name, "already exists"};
  auto e = btrfs_util_create_snapshot((mountpoint + "/" + kLayer).c_str(), dst.c_str(),
                                      BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY, nullptr, nullptr);
  if (e != BTRFS_UTIL_OK) return btrfs_error(e, "create snapshot", dst);
  return {};
}

Status restore_upper(const std::string& mountpoint, const std::string& name) {
  if (!valid_snapshot_name(name)) return Error{EINVAL, "restore", name, "not a snapshot name"};
  std::string src = mountpoint + "/snapshots/" + name;
  if (!sys::path_status(src, false).ok()) return Error{ENOENT, "restore", name, "no such snapshot"};
  // The new layer is made beside the old one, then swapped in: a failure keeps the old.
  std::string fresh = mountpoint + "/" + kLayer + ".restoring";
  (void)btrfs_util_delete_subvolume(fresh.c_str(), BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
  auto e = btrfs_util_create_snapshot(src.c_str(), fresh.c_str(), 0, nullptr, nullptr);
  if (e != BTRFS_UTIL_OK) return btrfs_error(e, "restore snapshot", src);
  // Swapped by renames, the old one deleted last: a failure on the way leaves a layer/.
  // (What the snapshot has of work/ needs nothing: overlayfs empties it at each mount.)
  std::string layer = mountpoint + "/" + kLayer, old = layer + ".old";
  (void)btrfs_util_delete_subvolume(old.c_str(), BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
  TRY(sys::rename_path(layer, old));
  if (auto moved = sys::rename_path(fresh, layer); !moved.ok()) {
    (void)sys::rename_path(old, layer);
    return moved;
  }
  e = btrfs_util_delete_subvolume(old.c_str(), BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
  if (e != BTRFS_UTIL_OK) return btrfs_error(e, "delete subvolume", old);
  return {};
}

Status delete_snapshot(const std::string& mountpoint, const std::string& name) {
  if (!valid_snapshot_name(name)) return Error{EINVAL, "delete snapshot", name, "not a name"};
  std::string p = mountpoint + "/snapshots/" + name;
  if (!sys::path_status(p, false).ok())
    return Error{ENOENT, "delete snapshot", name, "no such snapshot"};
  auto e = btrfs_util_delete_subvolume(p.c_str(), BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
  if (e != BTRFS_UTIL_OK) return btrfs_error(e, "delete snapshot", p);
  return {};
}

Result<std::vector<std::string>> list_snapshots(const std::string& mountpoint) {
  return sys::list_dir(mountpoint + "/snapshots");
}

}  // namespace cordon::instance
