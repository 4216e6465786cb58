#include "service/workspace.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/extract.h"
#include "archive/tar.h"
#include "sys/daemon.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace cordon::service {
namespace {

constexpr size_t kMaxCollectEntries = 100000;
constexpr int kMaxDepth = 64;

Status copy_file(int from_dir, int to_dir, const std::string& name, mode_t mode) {
  ASSIGN_OR_RETURN(UniqueFd in, sys::open_at(from_dir, name, O_RDONLY | O_NONBLOCK));
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return sys_error("fstat", name);
  if (!S_ISREG(st.st_mode)) return {};  // swapped for something else meanwhile: skipped
  ASSIGN_OR_RETURN(UniqueFd out,
                   sys::open_at(to_dir, name, O_WRONLY | O_CREAT | O_EXCL, mode & 0777));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", name);
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return sys_error("write", name);
      }
      off += w;
    }
  }
  return {};
}

Status copy_tree(int from_dir, int to_dir, int depth, size_t* entries) {
  if (depth > kMaxDepth) return {};
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(from_dir));
  for (const auto& e : list) {
    if (++*entries > kMaxCollectEntries)
      return errno_error(E2BIG, "collect workspace", "too many files");
    if (S_ISREG(e.mode)) {
      TRY(copy_file(from_dir, to_dir, e.name, e.mode));
    } else if (S_ISDIR(e.mode)) {
      auto sub_in = sys::open_at(from_dir, e.name, O_RDONLY | O_DIRECTORY);
      if (!sub_in.ok()) continue;  // gone, or no longer a folder
      TRY(sys::mkdir_at(to_dir, e.name, 0755));
      ASSIGN_OR_RETURN(UniqueFd sub_out, sys::open_at(to_dir, e.name, O_RDONLY | O_DIRECTORY));
      TRY(copy_tree(sub_in->get(), sub_out.get(), depth + 1, entries));
    }
  }
  return {};
}

Status remove_at(int dir_fd, int depth) {
  if (depth > kMaxDepth * 2) return errno_error(ELOOP, "remove tree", "too deep");
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(dir_fd));
  for (const auto& e : list) {
    if (S_ISDIR(e.mode)) {
      auto sub = sys::open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY);
      if (sub.ok()) TRY(remove_at(sub->get(), depth + 1));
      if (::unlinkat(dir_fd, e.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return sys_error("rmdir", e.name);
    } else if (::unlinkat(dir_fd, e.name.c_str(), 0) != 0 && errno != ENOENT) {
      return sys_error("unlink", e.name);
    }
  }
  return {};
}

}  // namespace

Result<Workspace> Workspace::prepare(const JobFiles& files, uint64_t size,
                                     const std::vector<InputFile>& inputs) {
  std::string path = files.workspace();
  TRY(sys::make_dirs(path, 0700));
  TRY(sys::mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
                 "size=" + std::to_string(size) + ",mode=0777"));
  Workspace ws(path);  // unmounts on every failure below
  ASSIGN_OR_RETURN(UniqueFd dir, sys::open_path(path, O_RDONLY | O_DIRECTORY));
  std::vector<archive::TarEntry> entries;
  for (const auto& f : inputs)
    entries.push_back({f.path, archive::TarEntry::Type::kFile, f.mode, f.content});
  TRY(archive::extract(dir.get(), entries));
  auto tar = sys::read_small_file(files.input_tar(), 1ull << 30);
  if (tar.ok()) {
    archive::TarLimits limits;
    limits.max_total_bytes = size;  // as at upload time (the tenant's job_disk), at most
    limits.max_file_bytes = size;
    ASSIGN_OR_RETURN(auto from_tar, archive::parse_tar(*tar, limits));
    TRY(archive::extract(dir.get(), from_tar));
    ::unlink(files.input_tar().c_str());
  }
  return ws;
}

Workspace::~Workspace() {
  if (!path_.empty()) (void)sys::unmount_detach(path_);
}

Status Workspace::collect(const std::string& to) {
  TRY(sys::make_dirs(to, 0755));
  ASSIGN_OR_RETURN(UniqueFd from, sys::open_path(path_, O_RDONLY | O_DIRECTORY));
  ASSIGN_OR_RETURN(UniqueFd dest, sys::open_path(to, O_RDONLY | O_DIRECTORY));
  size_t entries = 0;
  return copy_tree(from.get(), dest.get(), 0, &entries);
}

Status remove_tree(const std::string& path) {
  auto dir = sys::open_path(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir.ok()) return dir.error().err == ENOENT ? Status{} : Status(dir.error());
  TRY(remove_at(dir->get(), 0));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return sys_error("rmdir", path);
  return {};
}

uint64_t logs_size(const JobFiles& files) {
  uint64_t total = 0;
  for (const auto& p : {files.stdout_log(), files.stderr_log()}) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace cordon::service
