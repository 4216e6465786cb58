// HTTP/1.1 responses: every one carries a Content-Length (no chunked bodies yet) and a
// JSON error body names what was wrong, so clients never parse prose.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cordon::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

const char* reason_phrase(int status);
std::string serialize(const Response& r, bool keep_alive);
// {"error": {"status": N, "message": "...", "field": "..."}} (field only when given).
Response error(int status, const std::string& message, const std::string& field = "");

}  // namespace cordon::http
