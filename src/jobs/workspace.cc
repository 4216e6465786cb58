#include "jobs/workspace.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>

#include "archive/extract.h"
#include "archive/tar.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace cordon::jobs {
namespace {

constexpr int kMaxDepth = 64;

// The entries of a workspace and the data its regular files hold, walked without
// following anything; E2BIG as soon as there are more than max_entries. Folders deeper
// than kMaxDepth are neither walked nor copied.
Status measure_tree(int dir_fd, int depth, uint64_t max_entries, DiskUsage* seen) {
  if (depth > kMaxDepth) return {};
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(dir_fd, max_entries - seen->entries));
  seen->entries += list.size();
  for (const auto& e : list) {
    if (S_ISREG(e.mode)) seen->bytes += e.allocated;
    if (!S_ISDIR(e.mode)) continue;
    auto sub = sys::open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY);
    if (sub.ok()) TRY(measure_tree(sub->get(), depth + 1, max_entries, seen));
  }
  return {};
}

// Copies the data of a regular file, and only its data: the holes of a sparse file stay
// holes in the copy (SEEK_DATA/SEEK_HOLE), and the copy gets the same size. budget: the
// data bytes still allowed on the host's disk.
Status copy_file(int from_dir, int to_dir, const std::string& name, mode_t mode, uint64_t* budget) {
  ASSIGN_OR_RETURN(UniqueFd in, sys::open_at(from_dir, name, O_RDONLY | O_NONBLOCK));
  ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(in.get()));
  if (!S_ISREG(st.mode)) return {};  // swapped for something else meanwhile: skipped
  ASSIGN_OR_RETURN(UniqueFd out,
                   sys::open_at(to_dir, name, O_WRONLY | O_CREAT | O_EXCL, mode & 0777));
  std::string buf(65536, '\0');
  for (uint64_t off = 0; off < st.size;) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> data, sys::next_data(in.get(), off));
    if (!data || *data >= st.size) break;  // only a hole is left
    ASSIGN_OR_RETURN(uint64_t hole, sys::next_hole(in.get(), *data));
    hole = std::min(hole, st.size);
    for (off = *data; off < hole;) {
      ASSIGN_OR_RETURN(size_t n, sys::read_at(in.get(), buf.data(),
                                              std::min<uint64_t>(buf.size(), hole - off), off));
      if (n == 0) return sys::truncate_fd(out.get(), st.size, name);
      if (n > *budget)
        return logic_error("collect workspace", name, "over the job's disk limit in all");
      *budget -= n;
      TRY(sys::write_at(out.get(), std::string_view(buf.data(), n), off, name));
      off += n;
    }
  }
  return sys::truncate_fd(out.get(), st.size, name);
}

Status copy_tree(int from_dir, int to_dir, int depth, uint64_t* entries_left, uint64_t* budget) {
  if (depth > kMaxDepth) return {};
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(from_dir, *entries_left));
  *entries_left -= list.size();
  for (const auto& e : list) {
    if (S_ISREG(e.mode)) {
      TRY(copy_file(from_dir, to_dir, e.name, e.mode, budget));
    } else if (S_ISDIR(e.mode)) {
      auto sub_in = sys::open_at(from_dir, e.name, O_RDONLY | O_DIRECTORY);
      if (!sub_in.ok()) continue;  // gone, or no longer a folder
      TRY(sys::mkdir_at(to_dir, e.name, 0755));
      ASSIGN_OR_RETURN(UniqueFd sub_out, sys::open_at(to_dir, e.name, O_RDONLY | O_DIRECTORY));
      TRY(copy_tree(sub_in->get(), sub_out.get(), depth + 1, entries_left, budget));
    }
  }
  return {};
}

// Every entry under dir_fd, counted with the blocks it holds; nothing followed.
void usage_at(int dir_fd, int depth, DiskUsage* total) {
  if (depth > kMaxDepth + 4) return;
  auto list = sys::read_dir_fd(dir_fd);
  if (!list.ok()) return;
  for (const auto& e : *list) {
    total->entries += 1;
    total->bytes += e.allocated;
    if (!S_ISDIR(e.mode)) continue;
    if (auto sub = sys::open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY); sub.ok())
      usage_at(sub->get(), depth + 1, total);
  }
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
  // Mapped, not read: an upload may unpack to 1 GiB, and jobs start side by side.
  auto tar = sys::MappedFile::open(files.input_tar(), 1ull << 30);
  if (tar.ok()) {
    archive::TarLimits limits;
    limits.max_total_bytes = size;  // as at upload time (the tenant's job_disk), at most
    limits.max_file_bytes = size;
    ASSIGN_OR_RETURN(auto from_tar, archive::parse_tar(tar->bytes(), limits));
    TRY(archive::extract(dir.get(), from_tar));  // the tar stays until the job has ended
  }
  return ws;
}

Workspace::~Workspace() {
  if (!path_.empty()) (void)sys::unmount_detach(path_);
}

Status Workspace::collect(const std::string& to, const CollectLimits& limits) {
  ASSIGN_OR_RETURN(UniqueFd from, sys::open_path(path_, O_RDONLY | O_DIRECTORY));
  // Measured first, so that a workspace over a limit leaves nothing behind rather than
  // an arbitrary part of itself.
  DiskUsage seen;
  if (auto st = measure_tree(from.get(), 0, limits.max_entries, &seen); !st.ok()) {
    if (st.error().err != E2BIG) return st.error();
    return logic_error("quota job_files", "",
                       "the job left more than " + std::to_string(limits.max_entries) +
                           " files and folders; none was kept");
  }
  if (seen.bytes > limits.max_bytes)
    return logic_error("disk limit", "",
                       "the job left " + std::to_string(seen.bytes) + " bytes of data, over " +
                           std::to_string(limits.max_bytes) + "; none was kept");
  TRY(sys::make_dirs(to, 0755));
  ASSIGN_OR_RETURN(UniqueFd dest, sys::open_path(to, O_RDONLY | O_DIRECTORY));
  uint64_t entries_left = limits.max_entries;
  uint64_t budget = limits.max_bytes;
  return copy_tree(from.get(), dest.get(), 0, &entries_left, &budget);
}

Status remove_tree(const std::string& path) {
  auto dir = sys::open_path(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir.ok()) return dir.error().err == ENOENT ? Status{} : Status(dir.error());
  TRY(remove_at(dir->get(), 0));
  return sys::remove_dir(path);
}

DiskUsage stored_usage(const JobFiles& files) {
  DiskUsage total;
  auto dir = sys::open_path(files.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir.ok()) return total;
  if (auto st = sys::stat_fd(dir->get()); st.ok()) total += DiskUsage{st->allocated, 1};
  usage_at(dir->get(), 0, &total);
  return total;
}

}  // namespace cordon::jobs
