// Reading what a job left, for whoever serves it (the REST API): its logs and the files
// copied out of its workspace, opened here, where the job's folder is known, and read by
// the caller from the descriptor. A file is always opened beneath the job's folder,
// never following a symlink out of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "jobs/refusal.h"
#include "jobs/workspace.h"

namespace cordon::jobs {

enum class LogStream { kStdout, kStderr };

// The log, or an empty fd while it does not exist yet (a queued job's).
UniqueFd open_log(const JobFiles& files, LogStream stream);

struct OutputFile {
  UniqueFd fd;
  uint64_t size = 0;
};

// A regular file the job left at path (relative, valid_relative_path), or a refusal:
// kInvalid for a bad path, kNotFound for what is not there or not a regular file.
std::optional<OutputFile> open_output_file(const JobFiles& files, const std::string& path,
                                           Refusal* refusal);

// One entry the job left: a regular file or a folder (what collection keeps).
struct OutputEntry {
  std::string path;  // relative to the workspace
  bool is_dir = false;
  uint64_t size = 0;  // files: bytes (a sparse file's apparent size)
  uint32_t mode = 0;  // permission bits
};

// Every file and folder the job left, parents before their contents and names in byte
// order; nothing followed (what is neither is left out). At most max_entries: E2BIG
// beyond (collection kept no more than the tenant's job_files).
Result<std::vector<OutputEntry>> list_output_files(const JobFiles& files, size_t max_entries);

}  // namespace cordon::jobs
