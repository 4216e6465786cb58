#include "service/workspace.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>

#include "archive/extract.h"
#include "archive/tar.h"
#include "sys/daemon.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace cordon::service {
namespace {

constexpr size_t kMaxCollectEntries = 100000;
constexpr int kMaxDepth = 64;

// budget: the bytes still allowed on the host's disk. A sparse file holds far less on
// the tmpfs than its size, and copying it would write every hole out: the copy stops at
// the job's disk limit, whatever the files' sizes claim.
Status copy_file(int from_dir, int to_dir, const std::string& name, mode_t mode, uint64_t* budget) {
  ASSIGN_OR_RETURN(UniqueFd in, sys::open_at(from_dir, name, O_RDONLY | O_NONBLOCK));
  ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(in.get()));
  if (!S_ISREG(st.mode)) return {};  // swapped for something else meanwhile: skipped
  if (st.size > *budget)
    return errno_error(EFBIG, "collect workspace", name + ": over the job's disk limit in all");
  *budget -= st.size;
  ASSIGN_OR_RETURN(UniqueFd out,
                   sys::open_at(to_dir, name, O_WRONLY | O_CREAT | O_EXCL, mode & 0777));
  std::string buf(65536, '\0');
  for (uint64_t off = 0; off < st.size;) {
    ASSIGN_OR_RETURN(size_t n, sys::read_at(in.get(), buf.data(),
                                            std::min<uint64_t>(buf.size(), st.size - off), off));
    if (n == 0) return {};
    TRY(sys::write_all(out.get(), std::string_view(buf.data(), n), name));
    off += n;
  }
  return {};
}

Status copy_tree(int from_dir, int to_dir, int depth, size_t* entries, uint64_t* budget) {
  if (depth > kMaxDepth) return {};
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(from_dir));
  for (const auto& e : list) {
    if (++*entries > kMaxCollectEntries)
      return errno_error(E2BIG, "collect workspace", "too many files");
    if (S_ISREG(e.mode)) {
      TRY(copy_file(from_dir, to_dir, e.name, e.mode, budget));
    } else if (S_ISDIR(e.mode)) {
      auto sub_in = sys::open_at(from_dir, e.name, O_RDONLY | O_DIRECTORY);
      if (!sub_in.ok()) continue;  // gone, or no longer a folder
      TRY(sys::mkdir_at(to_dir, e.name, 0755));
      ASSIGN_OR_RETURN(UniqueFd sub_out, sys::open_at(to_dir, e.name, O_RDONLY | O_DIRECTORY));
      TRY(copy_tree(sub_in->get(), sub_out.get(), depth + 1, entries, budget));
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
  // tmpfs reads size=0 as "no limit": never that.
  if (size == 0) return errno_error(EINVAL, "workspace", "a disk limit of 0");
  TRY(sys::make_dirs(path, 0700));
  TRY(sys::mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
                 "size=" + std::to_string(size) + ",mode=0777"));
  Workspace ws(path, size);  // unmounts on every failure below
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
    TRY(archive::extract(dir.get(), from_tar));  // the tar stays until the job has ended
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
  uint64_t budget = size_;
  return copy_tree(from.get(), dest.get(), 0, &entries, &budget);
}

Status remove_tree(const std::string& path) {
  auto dir = sys::open_path(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir.ok()) return dir.error().err == ENOENT ? Status{} : Status(dir.error());
  TRY(remove_at(dir->get(), 0));
  return sys::remove_dir(path);
}

static uint64_t tree_size(int dir_fd, int depth) {
  if (depth > kMaxDepth) return 0;
  auto list = sys::read_dir_fd(dir_fd);
  if (!list.ok()) return 0;
  uint64_t total = 0;
  for (const auto& e : *list) {
    if (S_ISREG(e.mode)) total += e.size;
    if (!S_ISDIR(e.mode)) continue;
    if (auto sub = sys::open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY); sub.ok())
      total += tree_size(sub->get(), depth + 1);
  }
  return total;
}

uint64_t stored_size(const JobFiles& files) {
  auto dir = sys::open_path(files.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  return dir.ok() ? tree_size(dir->get(), 0) : 0;
}

}  // namespace cordon::service
