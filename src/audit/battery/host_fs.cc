// host-fs: reach a host file from inside. The sandbox must see no host file but the
// read-only, nosuid, nodev paths its spec names.
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "battery.h"

namespace audit {
namespace {

const char kNoSecret[] = "no host_secret_path in the host facts";
const char kNoSuchPath[] = "/nonexistent-cordon-audit";

// Reads a file; "" and *err on failure.
bool readable(const std::string& path, size_t* bytes, int* err) {
  auto s = read_text(path, 4096, err);
  if (!s) return false;
  *bytes = s->size();
  return true;
}

// A file the battery created: in the sandbox's own writable layer (its tmpfs, or an
// image's overlay upper), or in a host directory?
bool own_writable_layer(const std::string& dir) {
  struct statfs st;
  if (::statfs(dir.c_str(), &st) != 0) return false;
  bool layer = st.f_type == TMPFS_MAGIC || st.f_type == OVERLAYFS_SUPER_MAGIC;
  return layer && in_user_namespace();
}

// Creates dir/cordon-audit-escape-ID-PID exclusively, then removes it.
Outcome create_in(const std::string& dir, const std::string& id) {
  std::string path = escape_name(dir, id);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return stopped(err_name(errno) + " creating " + path);
  ::close(fd);
  ::unlink(path.c_str());
  if (own_writable_layer(dir))
    return stopped("created and removed " + path + ": the sandbox's own writable layer");
  return escaped("created (and removed) " + path);
}

Outcome read_host_secret(const Context& c) {
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  size_t n = 0;
  int err = 0;
  if (readable(c.facts.host_secret_path, &n, &err))
    return escaped("read " + std::to_string(n) + " bytes of " + c.facts.host_secret_path);
  return stopped(err_name(err));
}

Outcome write_etc(const Context&) {
  return create_in("/etc", "write-etc");
}

Outcome write_usr(const Context&) {
  return create_in("/usr", "write-usr");
}

Outcome write_exe_dir(const Context& c) {
  if (c.self_exe.empty()) return skipped("readlink /proc/self/exe failed");
  std::string dir = c.self_exe.substr(0, c.self_exe.rfind('/'));
  if (dir.empty()) dir = "/";
  return create_in(dir, "write-exe-dir");
}

Outcome proc1_root(const Context& c) {
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  std::string p = "/proc/1/root" + c.facts.host_secret_path;
  size_t n = 0;
  int err = 0;
  if (readable(p, &n, &err)) return escaped("read " + std::to_string(n) + " bytes of " + p);
  return stopped(err_name(err) + " on " + p);
}

// Every visible process's root: one of them may be the host's.
Outcome proc_root_scan(const Context& c) {
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  std::vector<pid_t> pids = visible_pids();
  std::string errs;
  for (pid_t pid : pids) {
    std::string p = "/proc/" + std::to_string(pid) + "/root" + c.facts.host_secret_path;
    size_t n = 0;
    int err = 0;
    if (readable(p, &n, &err)) return escaped("read " + std::to_string(n) + " bytes of " + p);
    std::string e = err_name(err);
    if (errs.find(e) == std::string::npos) errs += (errs.empty() ? "" : ",") + e;
  }
  return stopped(std::to_string(pids.size()) + " roots tried: " + errs);
}

// chroot("/..") (the classic way out of a chroot begins with a chroot of one's own). In a
// child: a successful chroot changes only the child's root.
Outcome chroot_dotdot(const Context& c) {
  std::string secret = c.facts.host_secret_path;
  return in_child(
      [secret] {
        if (::chroot("/..") != 0) return stopped(err_name(errno));
        for (int i = 0; i < 64; ++i) {
          if (::chdir("..") != 0) break;
        }
        std::string more;
        if (::chroot(".") == 0 && !secret.empty()) {
          size_t n = 0;
          int err = 0;
          more = readable(secret, &n, &err) ? ", host secret readable after chroot(\".\")"
                                            : ", then secret " + err_name(err);
        }
        return escaped("chroot(\"/..\") allowed (CAP_SYS_CHROOT)" + more);
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

// pivot_root with paths that do not exist: the permission check comes first, so EPERM
// means refused; any other errno means the call was allowed to look the paths up.
Outcome pivot_root_attempt(const Context&) {
  return in_child(
      [] {
        if (::syscall(SYS_pivot_root, kNoSuchPath, kNoSuchPath) == 0)
          return escaped("pivot_root succeeded");
        int e = errno;
        if (e == EPERM || e == ENOSYS) return stopped(err_name(e));
        return escaped(err_name(e) + ": pivot_root passed its permission check (paths invalid)");
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

// A symlink planted in /tmp that points at the host's secret: inside, it resolves in the
// sandbox's own root, and the sandbox's /tmp is not the host's.
Outcome symlink_tmp(const Context& c) {
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  std::string link = escape_name("/tmp", "symlink");
  if (::symlink(c.facts.host_secret_path.c_str(), link.c_str()) != 0)
    return stopped(err_name(errno) + " creating the link in /tmp");
  size_t n = 0;
  int err = 0;
  bool ok = readable(link, &n, &err);
  ::unlink(link.c_str());
  if (ok) return escaped("the host secret is readable through " + link);
  return stopped(err_name(err) + " through the link: the sandbox's /tmp and root are private");
}

// open_by_handle_at (the "shocker" escape): a file handle names an inode of a filesystem
// directly, past the mount tree. The handle is forged as shocker did: inode 2, the root
// directory of an ext2/3/4 filesystem, through the mount of /usr (a host filesystem in
// the default view). Opened read-only; nothing is read.
Outcome open_by_handle(const Context&) {
  int mount_fd = ::open("/usr", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mount_fd < 0) mount_fd = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mount_fd < 0) return stopped("open /usr: " + err_name(errno));
  struct {
    struct file_handle h;
    unsigned char bytes[128];
  } fh;
  memset(&fh, 0, sizeof(fh));
  fh.h.handle_bytes = 8;
  fh.h.handle_type = 1;  // FILEID_INO32_GEN
  unsigned int ino_gen[2] = {2, 0};
  memcpy(fh.h.f_handle, ino_gen, sizeof(ino_gen));
  int fd = static_cast<int>(
      ::syscall(SYS_open_by_handle_at, mount_fd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int e = errno;
  ::close(mount_fd);
  if (fd >= 0) {
    std::string where = read_link("/proc/self/fd/" + std::to_string(fd));
    ::close(fd);
    return escaped("opened inode 2 by handle: " + where);
  }
  if (e == EPERM || e == ENOSYS || e == EACCES) return stopped(err_name(e));
  // ESTALE, EINVAL...: the permission check passed, only the forged handle was wrong.
  return escaped(err_name(e) + ": open_by_handle_at passed its permission check");
}

}  // namespace

const Category& host_fs_category() {
  static const Category c = {
      "host-fs",
      false,
      {
          {"read-host-secret", "read host_secret_path (a host file)", read_host_secret},
          {"write-etc", "create a file in /etc", write_etc},
          {"write-usr", "create a file in /usr", write_usr},
          {"write-exe-dir", "create a file next to the battery (a read-only bind)", write_exe_dir},
          {"proc1-root", "read /proc/1/root/<host_secret_path>", proc1_root},
          {"proc-root-scan", "read /proc/*/root/<host_secret_path> for every visible PID",
           proc_root_scan},
          {"chroot-dotdot", "chroot(\"/..\") then the classic chdir(..) walk", chroot_dotdot},
          {"pivot-root", "pivot_root (with paths that do not exist)", pivot_root_attempt},
          {"symlink-tmp", "a symlink in /tmp to host_secret_path, then read it", symlink_tmp},
          {"open-by-handle", "open_by_handle_at of a forged handle (shocker)", open_by_handle},
      },
  };
  return c;
}

}  // namespace audit
