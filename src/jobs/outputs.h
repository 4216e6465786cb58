// Reading what a job left, for whoever serves it (the REST API): its logs and the files
// copied out of its workspace, opened here, where the job's folder is known, and read by
// the caller from the descriptor. A file is always opened beneath the job's folder,
// never following a symlink out of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace cordon::jobs
