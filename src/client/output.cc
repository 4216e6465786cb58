#include "client/output.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/log.h"
#include "sys/fs.h"

namespace cordon::client {

int usage_error(const std::string& message) {
  log(LogLevel::kError, message);
  return kExitUsage;
}

int usage_error(const Error& e) {
  // A usage error's step is "usage": the option and what is wrong with it say it all.
  if (e.step == "usage") return usage_error(e.path + ": " + e.detail);
  return usage_error(e.to_string());
}

int unreachable(const Connection& c, const Error& e) {
  log(LogLevel::kError, "cannot reach the daemon at " + c.target().where + ": " + e.to_string());
  return kExitUnreachable;
}

int local_error(const Error& e) {
  log(LogLevel::kError, e.to_string());
  return kExitRefused;
}

int refused(const Reply& r) {
  std::string line = std::to_string(r.status);
  const auto& j = r.json;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    std::string field = e.value("field", "");
    if (!field.empty()) line += " " + field + ":";
    line += " " + e.value("message", "");
  } else {
    // Not the daemon's error shape (a proxy's page?): its first line, bounded.
    std::string body = r.body.substr(0, std::min(r.body.find('\n'), size_t{200}));
    line += " " + (body.empty() ? std::string("(no message)") : body);
  }
  log(LogLevel::kError, line);
  return kExitRefused;
}

int failed(const Connection& c, const Result<Reply>& r) {
  if (!r.ok()) return unreachable(c, r.error());
  return refused(r.value());
}

void print_json(const nlohmann::json& j) {
  std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  write_stdout(s);
}

int print_done(const nlohmann::json& j, bool as_json, const std::string& line) {
  if (as_json) {
    print_json(j);
  } else {
    write_stdout(line + "\n");
  }
  return kExitOk;
}

bool write_stdout(std::string_view bytes) {
  std::fflush(stdout);  // anything printf'd before comes first
  return sys::write_all(STDOUT_FILENO, bytes, "stdout").ok();
}

void Table::print() const {
  std::vector<size_t> width;
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  write_stdout(out);
}

std::string short_time(const nlohmann::json& ts) {
  if (!ts.is_string()) return "-";
  std::string s = ts.get<std::string>();
  if (s.size() >= 19 && s[10] == 'T') {
    s = s.substr(0, 19);
    s[10] = ' ';
  }
  return s;
}

std::string command_text(const nlohmann::json& command, size_t max) {
  std::string out;
  if (command.is_array()) {
    for (const auto& a : command) {
      std::string arg = a.is_string() ? a.get<std::string>() : a.dump();
      bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
      if (!out.empty()) out += ' ';
      if (plain) {
        out += arg;
      } else {
        out += '\'';
        for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
      }
    }
  }
  for (char& c : out)
    if (c == '\n' || c == '\t') c = ' ';  // one row per job
  if (max > 3 && out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace cordon::client
