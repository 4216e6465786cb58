#include "jobs/outputs.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "jobs/job_request.h"
#include "sys/fs.h"

namespace cordon::jobs {

UniqueFd open_log(const JobFiles& files, LogStream stream) {
  const std::string path = stream == LogStream::kStdout ? files.stdout_log() : files.stderr_log();
  auto fd = sys::open_path(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  return fd.ok() ? std::move(fd).value() : UniqueFd();
}

std::optional<OutputFile> open_output_file(const JobFiles& files, const std::string& path,
                                           Refusal* refusal) {
  if (!valid_relative_path(path)) {
    *refusal = {Refused::kInvalid, "path", "not a relative path"};
    return std::nullopt;
  }
  *refusal = {Refused::kNotFound, "", "no such file"};
  auto dir = sys::open_path(files.files(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!dir.ok()) return std::nullopt;
  // What the job left is the job's: never followed out of its folder.
  auto fd = sys::open_beneath(dir->get(), path, O_RDONLY | O_NONBLOCK);
  if (!fd.ok()) return std::nullopt;
  auto st = sys::stat_fd(fd->get());
  if (!st.ok() || !S_ISREG(st->mode)) {
    refusal->message = "not a regular file";
    return std::nullopt;
  }
  *refusal = {};
  return OutputFile{std::move(fd).value(), st->size};
}

namespace {

constexpr int kMaxListDepth = 64;  // as deep as collection copies

Status list_at(int dir_fd, const std::string& prefix, int depth, size_t max_entries,
               std::vector<OutputEntry>* out) {
  if (depth > kMaxListDepth) return {};
  ASSIGN_OR_RETURN(auto list, sys::read_dir_fd(dir_fd, max_entries - out->size()));
  std::sort(list.begin(), list.end(),
            [](const sys::DirEntry& a, const sys::DirEntry& b) { return a.name < b.name; });
  for (const auto& e : list) {
    if (!S_ISREG(e.mode) && !S_ISDIR(e.mode)) continue;
    if (out->size() >= max_entries) return errno_error(E2BIG, "list files");
    const std::string path = prefix.empty() ? e.name : prefix + "/" + e.name;
    out->push_back({path, S_ISDIR(e.mode), S_ISDIR(e.mode) ? 0 : e.size,
                    static_cast<uint32_t>(e.mode & 0777)});
    if (!S_ISDIR(e.mode)) continue;
    auto sub = sys::open_at(dir_fd, e.name, O_RDONLY | O_DIRECTORY);
    if (sub.ok()) TRY(list_at(sub->get(), path, depth + 1, max_entries, out));
  }
  return {};
}

}  // namespace

Result<std::vector<OutputEntry>> list_output_files(const JobFiles& files, size_t max_entries) {
  std::vector<OutputEntry> out;
  auto dir = sys::open_path(files.files(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (!dir.ok()) {
    if (dir.error().err == ENOENT) return out;  // nothing was kept
    return dir.error();
  }
  TRY(list_at(dir->get(), "", 0, max_entries, &out));
  return out;
}

}  // namespace cordon::jobs
