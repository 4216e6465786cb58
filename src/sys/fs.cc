#include "sys/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

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

MappedFile::MappedFile(MappedFile&& o) noexcept
    : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    this->~MappedFile();
    addr_ = std::exchange(o.addr_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

Result<MappedFile> MappedFile::open(const std::string& path, uint64_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return sys_error("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat", path);
  if (!S_ISREG(st.st_mode)) return errno_error(EINVAL, "map", path);
  if (static_cast<uint64_t>(st.st_size) > max)
    return logic_error("map", path, "file larger than " + std::to_string(max) + " bytes");
  MappedFile m;
  if (st.st_size == 0) return m;  // mmap refuses a length of 0: an empty view
  // Preconditions: a regular file opened read-only; the mapping outlives the fd.
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return sys_error("mmap", path);
  m.addr_ = p;
  m.size_ = static_cast<size_t>(st.st_size);
  return m;
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
  // A file that is there already (a mount point in a read-only tree) is left as it is:
  // opening it for writing fails there. A symlink still fails below (O_NOFOLLOW).
  struct stat st;
  if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
    return {};
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

Result<long> fs_type(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return sys_error("statfs", path);
  return static_cast<long>(fs.f_type);
}

Result<long> fd_fs_type(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return sys_error("fstatfs");
  return static_cast<long>(fs.f_type);
}

Result<bool> is_mount_root(int fd) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) != 0)
    return sys_error("statx");
  if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0) return errno_error(ENOTSUP, "statx");
  return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

namespace {

Status chown_below(int dir_fd, uid_t uid, gid_t gid, int depth_left) {
  if (depth_left < 0) return errno_error(ELOOP, "chown tree", "deeper than its limit");
  ASSIGN_OR_RETURN(auto list, read_dir_fd(dir_fd));
  for (const auto& e : list) {
    if (::fchownat(dir_fd, e.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      return sys_error("fchownat", e.name);
    if (!S_ISDIR(e.mode)) continue;
    ASSIGN_OR_RETURN(UniqueFd sub, open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY));
    TRY(chown_below(sub.get(), uid, gid, depth_left - 1));
  }
  return {};
}

}  // namespace

Status chown_tree(int dir_fd, uid_t uid, gid_t gid, int max_depth) {
  if (::fchownat(dir_fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("fchownat");
  ASSIGN_OR_RETURN(UniqueFd dir, open_at(dir_fd, ".", O_RDONLY | O_DIRECTORY));
  return chown_below(dir.get(), uid, gid, max_depth);
}

namespace {

struct PrivilegeWalk {
  uid_t uid;
  gid_t gid;
  size_t max_entries;
  size_t seen = 0;
};

// Whether the entry name of dir_fd (a regular file, not followed) has file capabilities.
Result<bool> has_file_caps(int dir_fd, const std::string& name) {
  std::string at = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
  if (::lgetxattr(at.c_str(), "security.capability", nullptr, 0) >= 0) return true;
  if (errno == ENODATA || errno == ENOTSUP || errno == ENOENT) return false;
  return sys_error("lgetxattr security.capability", name);
}

Result<std::optional<std::string>> privileged_below(int dir_fd, PrivilegeWalk& w, int depth_left) {
  if (depth_left < 0) return errno_error(ELOOP, "set-ID check", "deeper than its limit");
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return sys_error("dup");
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    int e = errno;
    ::close(dup);
    return errno_error(e, "fdopendir");
  }
  std::vector<std::string> subdirs;
  std::optional<std::string> found;
  int err = 0;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (++w.seen > w.max_entries) {
      err = E2BIG;
      break;
    }
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
    if (S_ISDIR(st.st_mode)) {
      subdirs.push_back(std::move(name));
    } else if (S_ISREG(st.st_mode) && (st.st_uid == w.uid || st.st_gid == w.gid)) {
      bool privileged = (st.st_mode & (S_ISUID | S_ISGID)) != 0;
      if (!privileged) {
        auto caps = has_file_caps(dir_fd, name);
        if (!caps.ok()) {
          ::closedir(d);
          return std::move(caps).error();
        }
        privileged = *caps;
      }
      if (privileged) {
        found = std::move(name);
        break;
      }
    }
    errno = 0;
  }
  if (err == 0 && !found) err = errno;
  ::closedir(d);
  if (err == E2BIG)
    return errno_error(E2BIG, "set-ID check",
                       "more than " + std::to_string(w.max_entries) + " entries");
  if (err != 0) return errno_error(err, "readdir");
  if (found) return found;
  for (const auto& name : subdirs) {
    UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;  // gone or swapped
      return sys_error("openat", name);
    }
    ASSIGN_OR_RETURN(auto below, privileged_below(sub.get(), w, depth_left - 1));
    if (below) return std::optional<std::string>(name + "/" + *below);
  }
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<std::string>> find_privileged_file(int dir_fd, uid_t uid, gid_t gid,
                                                        size_t max_entries, int max_depth) {
  PrivilegeWalk w{uid, gid, max_entries};
  ASSIGN_OR_RETURN(struct stat st, fd_status(dir_fd));
  if (S_ISDIR(st.st_mode)) {
    // An O_PATH fd cannot be read: the directory opened again, through the fd.
    ASSIGN_OR_RETURN(UniqueFd dir, open_at(dir_fd, ".", O_RDONLY | O_DIRECTORY));
    return privileged_below(dir.get(), w, max_depth);
  }
  if (!S_ISREG(st.st_mode) || (st.st_uid != uid && st.st_gid != gid))
    return std::optional<std::string>();
  if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) return std::optional<std::string>("");
  std::string at = "/proc/self/fd/" + std::to_string(dir_fd);
  if (::getxattr(at.c_str(), "security.capability", nullptr, 0) >= 0)
    return std::optional<std::string>("");
  if (errno == ENODATA || errno == ENOTSUP) return std::optional<std::string>();
  return sys_error("getxattr security.capability");
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return sys_error("opendir", path);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  int err = errno;  // readdir's, before closedir can change it
  ::closedir(dir);
  if (err != 0) return errno_error(err, "readdir", path);
  return names;
}

Result<mode_t> file_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return sys_error("lstat", path);
  return st.st_mode;
}

Result<struct stat> path_status(const std::string& path, bool follow) {
  struct stat st;
  if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0)
    return sys_error(follow ? "stat" : "lstat", path);
  return st;
}

Result<struct stat> fd_status(int fd) noexcept {
  struct stat st;
  if (::fstat(fd, &st) != 0) return sys_error("fstat");
  return st;
}

Result<std::string> read_link_at(int dir_fd, const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlinkat(dir_fd, path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return sys_error("readlink", path);
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::string> real_path(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return sys_error("realpath", path);
  return std::string(real);
}

Status access_path(const std::string& path, int mode) {
  if (::access(path.c_str(), mode) != 0) return sys_error("access", path);
  return {};
}

Status chmod_path(const std::string& path, mode_t mode) {
  if (::chmod(path.c_str(), mode) != 0) return sys_error("chmod", path);
  return {};
}

Result<std::string> make_temp_dir(const std::string& tmpl) {
  std::string dir = tmpl;
  if (::mkdtemp(dir.data()) == nullptr) return sys_error("mkdtemp", tmpl);
  return dir;
}

mode_t set_umask(mode_t mask) noexcept {
  return ::umask(mask);
}

Result<std::string> current_dir() {
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return sys_error("getcwd");
  return std::string(buf);
}

Result<std::string> path_setting(const std::string& flag, const char* env, const char* fallback) {
  std::string v = flag;
  if (v.empty()) {
    const char* e = std::getenv(env);
    v = e != nullptr && *e != '\0' ? e : fallback;
  }
  if (v.empty() || v[0] == '/') return v;
  ASSIGN_OR_RETURN(std::string cwd, current_dir());
  return (cwd == "/" ? "" : cwd) + "/" + v;
}

Status change_dir(const std::string& dir) noexcept {
  if (::chdir(dir.c_str()) != 0) return sys_error("chdir", dir);
  return {};
}

}  // namespace cordon::sys
