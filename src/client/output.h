// What the client prints and how it exits: the daemon's JSON as it is (--json) or aligned
// columns for people; one line per error on stderr; the exit codes scripts rely on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace cordon::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;       // the daemon said no (4xx, 5xx), or a local failure
inline constexpr int kExitUsage = 64;        // EX_USAGE
inline constexpr int kExitUnreachable = 69;  // EX_UNAVAILABLE: no daemon there

// "cordon: MESSAGE" on stderr; each returns the exit code that goes with it.
int usage_error(const std::string& message);
int usage_error(const Error& e);
int unreachable(const Connection& c, const Error& e);
int local_error(const Error& e);
// The daemon's {"error": {status, message, field}} as "cordon: 422 limits.memory: ...".
int refused(const Reply& r);

// Either a transport failure (69) or a refusal (1): the exit code of a Reply that is not ok.
int failed(const Connection& c, const Result<Reply>& r);

void print_json(const nlohmann::json& j);
// What a command that changes something prints: the daemon's JSON with --json (as_json),
// else one line of text; returns kExitOk.
int print_done(const nlohmann::json& j, bool as_json, const std::string& line);
// Bytes as they are (logs, files); false when stdout is gone.
bool write_stdout(std::string_view bytes);

// Columns padded to their widest cell; the last one is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-29T19:30:00.123Z" -> "2026-11-29 19:30:00"; "-" for null.
std::string short_time(const nlohmann::json& ts);
// A command line for display: arguments with spaces or quotes single-quoted; cut at max.
std::string command_text(const nlohmann::json& command, size_t max = 0);
// A JSON scalar for display: strings bare, null as "-".
std::string scalar_text(const nlohmann::json& v);

}  // namespace cordon::client
