// Waiting for a job: polling its state until it ends, and following its log as it grows.
// Shared by `job submit --wait/--follow` and `job logs --follow`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "client/connection.h"

namespace cordon::client {

// GET /v1/jobs/ID until the state is terminal; the final job, or the Reply that was not ok
// (as an exit code in *exit_code, the error already printed).
bool wait_for_end(Connection& c, const std::string& id, nlohmann::json* job, int* exit_code);

// Streams the job's log (stream: "stdout" or "stderr") to out until the job ends. A broken
// stream is picked up again, skipping what was already written. Returns an exit code: 0,
// or the error's (printed).
int follow_log(Connection& c, const std::string& id, const std::string& stream,
               bool (*out)(std::string_view));

// Streams both logs at once, each as it is written, until the job ends: its stdout to
// ours and its stderr to our stderr, on a connection each (to c's daemon). The first
// failure's exit code, or 0.
int follow_both(const Connection& c, const std::string& id);

// Bytes onto our stderr; false when it is gone.
bool to_stderr(std::string_view s);

// The job's exit status as this process's: `cordon run`'s status, or 1 (with a line on
// stderr) for a job that ended without one (cancelled while queued, lost).
int job_exit_code(const nlohmann::json& job);

bool is_terminal(const std::string& state);

}  // namespace cordon::client
