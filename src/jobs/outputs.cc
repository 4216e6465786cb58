#include "jobs/outputs.h"

#include <fcntl.h>
#include <sys/stat.h>

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

}  // namespace cordon::jobs
