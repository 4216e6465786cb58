// A job's folder on the host, under the state folder:
//   jobs/ID/workspace   a tmpfs of the job's disk size while it runs, bound at /workspace
//   jobs/ID/files       what the job left there, copied out when it ended
//   jobs/ID/stdout.log, stderr.log, result.json, input.tar (an upload, until it starts)
// The workspace is a tmpfs so that a job cannot fill the host's disk: its size is the
// job's disk limit, and its pages are charged to the sandbox's memory cgroup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "service/model.h"

namespace cordon::service {

struct JobFiles {
  std::string dir;
  std::string workspace() const { return dir + "/workspace"; }
  std::string files() const { return dir + "/files"; }
  std::string stdout_log() const { return dir + "/stdout.log"; }
  std::string stderr_log() const { return dir + "/stderr.log"; }
  std::string result() const { return dir + "/result.json"; }
  std::string input_tar() const { return dir + "/input.tar"; }
};

// The mounted workspace of a running job; unmounted at destruction.
class Workspace {
 public:
  // Mounts the tmpfs (size bytes, nosuid, nodev) and writes the input files and the
  // unpacked upload into it; the files are the host root's, as their modes say.
  static Result<Workspace> prepare(const JobFiles& files, uint64_t size,
                                   const std::vector<InputFile>& inputs);
  Workspace(Workspace&& o) noexcept : path_(std::move(o.path_)), size_(o.size_) { o.path_.clear(); }
  Workspace& operator=(Workspace&&) = delete;
  ~Workspace();

  // Copies what the job left (regular files and folders; links and the rest skipped) to
  // `to`. Nothing the job made is followed: every open is relative and O_NOFOLLOW. At
  // most the job's disk limit in all (sparse files are not expanded past it).
  Status collect(const std::string& to);

 private:
  Workspace(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  std::string path_;
  uint64_t size_;  // the job's disk limit: also what may be copied out
};

// Removes a folder tree without following symlinks (a job's folder, at retention).
Status remove_tree(const std::string& path);

// What a job keeps on the host's disk: its logs, result and the files it left.
uint64_t stored_size(const JobFiles& files);

}  // namespace cordon::service
