#include "service/workspace.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

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
  ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(in.get()));
  if (!S_ISREG(st.mode)) return {};  // swapped for something else meanwhile: skipped
  ASSIGN_OR_RETURN(UniqueFd out,
                   sys::open_at(to_dir, name, O_WRONLY | O_CREAT | O_EXCL, mode & 0777));
  std::string buf(65536, '\0');
  for (uint64_t off = 0;;) {
    ASSIGN_OR_RETURN(size_t n, sys::read_at(in.get(), buf.data(), buf.size(), off));
    if (n == 0) return {};
    TRY(sys::write_all(out.get(), std::string_view(buf.data(), n), name));
    off += n;
  }
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
    }
    TRY(sys::unlink_at(dir_fd, e.name, S_ISDIR(e.mode)));
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
    TRY(sys::unlink_path(files.input_tar()));
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
  return sys::remove_dir(path);
}

uint64_t logs_size(const JobFiles& files) {
  uint64_t total = 0;
  for (const auto& p : {files.stdout_log(), files.stderr_log()}) {
    auto fd = sys::open_path(p, O_RDONLY | O_NOFOLLOW);
    auto st = fd.ok() ? sys::stat_fd(fd->get()) : Result<sys::DirEntry>(fd.error());
    if (st.ok()) total += st->size;
  }
  return total;
}

}  // namespace cordon::service
