// The service's domain: tenants, their quotas, jobs and their states. Plain values; the
// wire format (rest/) and the store (store.h) each convert to and from these.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon::jobs {

// queued -> running -> succeeded | failed | cancelled | lost; queued -> cancelled.
enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kLost };
const char* state_name(JobState s);
std::optional<JobState> parse_state(std::string_view name);
inline bool is_terminal(JobState s) {
  return s != JobState::kQueued && s != JobState::kRunning;
}

// What a tenant may use. The per-job maxima bound what one job may ask for (422 beyond);
// the running totals bound the sum over its running jobs (the job waits, or 429).
struct Quota {
  uint32_t max_running = 4;          // sandboxes at once
  uint64_t max_memory = 4ull << 30;  // sum of running jobs' memory limits
  uint32_t max_cpu_millis = 4000;    // sum of running jobs' CPU quotas
  uint32_t max_queued = 1000;        // jobs waiting
  uint64_t job_memory = 1ull << 30;  // largest of one job
  uint32_t job_cpu_millis = 2000;
  uint32_t job_pids = 1024;
  uint64_t job_timeout_ns = 3600ull * 1000000000ull;
  uint64_t job_disk = 1ull << 30;     // its workspace and writable layers
  uint64_t job_output = 64ull << 20;  // stdout and stderr together
  uint32_t rate_per_minute = 600;     // submissions; a burst of as many is allowed
  bool queue_when_busy = true;        // over a running total: wait (true) or 429
  uint64_t log_bytes = 4ull << 30;    // bytes its finished jobs keep on disk; oldest go first
  uint64_t max_files = 200000;        // entries (inodes) its finished jobs keep; oldest go first
  uint64_t job_files = 10000;         // entries one job's workspace may leave to be kept
  // Instances (docs/instances.md, "Through the daemon"): refused at creation past these.
  uint32_t max_instances = 4;              // instances it has, running or not
  uint64_t instances_disk = 16ull << 30;   // sum of their disks
  uint64_t instances_memory = 4ull << 30;  // sum of their memory limits
  uint32_t instances_cpu_millis = 4000;    // sum of their CPU quotas
  bool operator==(const Quota&) const = default;
};

struct Tenant {
  std::string id;    // "t-" and 16 hex digits
  std::string name;  // unique, [a-z0-9][a-z0-9._-]*
  Quota quota;
  int64_t created_ms = 0;
};

struct TokenInfo {
  std::string id;         // "k-" and 16 hex digits: names the token for revocation
  std::string tenant_id;  // empty: an operator token
  int64_t created_ms = 0;
};

struct InputFile {
  std::string path;  // relative, normalized
  std::string content;
  uint32_t mode = 0644;
};

// What a job asks for, validated (job_request.h). Limits are already within the
// tenant's maxima and filled with defaults.
struct JobSpec {
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<InputFile> files;
  std::string upload;  // an upload's id whose tar is unpacked into the workspace
  std::string rootfs;  // an image name under the images folder; empty: the host view
  // An image of the daemon's store (never with rootfs): as the tenant named it, and the ID
  // it resolved to at submission, which is what the job runs (a name moved meanwhile does
  // not change the job).
  std::string image;
  std::string image_id;             // sha256:HEX
  std::string seccomp = "default";  // default | strict
  uint64_t memory = 0;
  uint32_t cpu_millis = 0;
  uint32_t pids = 0;
  uint64_t disk = 0;
  uint64_t timeout_ns = 0;
  uint64_t cpu_time_ns = 0;  // 0: none
  uint64_t output = 0;
  // The command's stdin: the bytes given inline, or a file of the workspace (an input
  // file or one of the upload's), or neither (/dev/null).
  std::string stdin_content;
  bool has_stdin_content = false;
  uint64_t stdin_bytes = 0;  // of the inline stdin, kept after its content is dropped
  std::string stdin_file;    // a relative path in the workspace; empty: none
};

// A job's exit_status until it ended, and after an end without one: cancelled while
// queued, lost, or its supervisor gone without a result. null in the API.
inline constexpr int kNoExitStatus = -1;

struct Job {
  std::string id;  // "j-" and 24 hex digits: unguessable, so ids reveal nothing
  std::string tenant_id;
  int64_t seq = 0;  // submission order
  JobSpec spec;
  JobState state = JobState::kQueued;
  int64_t created_ms = 0, started_ms = 0, ended_ms = 0;
  std::string reason;  // why it ended: the run's reason, "cancelled", "lost: ..."
  // As `cordon run` exits (base/exit_codes.h); kNoExitStatus until it ended, or if none.
  int exit_status = kNoExitStatus;
  std::string result_json;        // `cordon run --json`'s result, when the sandbox ran
  pid_t supervisor_pid = 0;       // while running
  uint64_t supervisor_start = 0;  // its start time (/proc/PID/stat), against PID reuse
  bool files_expired = false;     // logs and workspace removed (retention, quota)
};

// Wall-clock milliseconds since the epoch: what records hold.
int64_t now_ms();

}  // namespace cordon::jobs
