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
#include "jobs/model.h"

namespace cordon::jobs {

struct JobFiles {
  std::string dir;
  std::string workspace() const { return dir + "/workspace"; }
  std::string files() const { return dir + "/files"; }
  std::string stdout_log() const { return dir + "/stdout.log"; }
  std::string stderr_log() const { return dir + "/stderr.log"; }
  std::string input_tar() const { return dir + "/input.tar"; }
};

// What a folder tree holds on the filesystem it is on: its entries (each one inode: files,
// folders and anything else) and the bytes allocated to them (st_blocks, not st_size: a
// sparse file's holes take nothing, while a folder or an empty file takes an inode and
// often a block). What the tenant's storage quotas (log_bytes, max_files) count.
struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  DiskUsage& operator+=(const DiskUsage& o) {
    bytes += o.bytes;
    entries += o.entries;
    return *this;
  }
  DiskUsage& operator-=(const DiskUsage& o) {
    bytes -= o.bytes;
    entries -= o.entries;
    return *this;
  }
};

// How much of a workspace may be kept when a job ends.
struct CollectLimits {
  uint64_t max_bytes = 0;    // data copied, all files together (the job's disk limit)
  uint64_t max_entries = 0;  // entries in the workspace (the tenant's job_files)
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
  // `to`. Nothing the job made is followed: every open is relative and O_NOFOLLOW. Sparse
  // files stay sparse: only their data is copied, and the copy is given the same size.
  // All or nothing: a workspace of more than limits.max_entries entries (of any kind), or
  // of more data than limits.max_bytes, is refused before anything is copied, with an
  // error that says which limit.
  Status collect(const std::string& to, const CollectLimits& limits);

 private:
  Workspace(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  std::string path_;
  uint64_t size_;  // the job's disk limit
};

// Removes a folder tree without following symlinks (a job's folder, at retention).
Status remove_tree(const std::string& path);

// What a job keeps on the host's disk: its folder with its logs, result and the files it
// left, folders and all.
DiskUsage stored_usage(const JobFiles& files);

}  // namespace cordon::jobs
