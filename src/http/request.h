// HTTP/1.1 requests, parsed incrementally from untrusted bytes (the daemon's API, on its
// Unix socket and on TCP). Every part is bounded (Limits); a request that breaks a bound
// or the grammar is refused with the status to answer (400, 413, 414, 431, 501, 505).
// Bodies come with Content-Length only: chunked request bodies are refused (411).
// fuzz/http_request_fuzz.cc.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cordon::http {

struct Limits {
  size_t max_request_line = 8192;
  size_t max_header_bytes = 32 * 1024;  // all header lines together
  size_t max_headers = 100;
  size_t max_body = 1 << 20;
};

struct Request {
  std::string method;  // as sent (methods are case-sensitive)
  std::string target;  // the request target as sent: path and query
  std::string path;    // the target's path, percent-decoded
  std::string query;   // after '?', raw
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 default unless "Connection: close"

  // The first header of that (lowercase) name, or empty.
  std::string header(std::string_view name) const;
  // One query parameter, percent-decoded; empty if absent.
  std::string query_param(std::string_view name) const;
};

class RequestParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit RequestParser(Limits limits = {}) : limits_(limits) {}

  // Feeds bytes; *consumed is how many were used (the rest belong to the next request).
  State feed(std::string_view data, size_t* consumed);
  State state() const { return state_; }
  Request& request() { return req_; }
  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }
  // Ready for the next request on the same connection.
  void reset();
  // A lower body limit for some requests, decided once the head is parsed (before any
  // byte of the body is taken): returns the most this request may send.
  void set_body_limit(std::function<size_t(const Request&)> fn) { body_limit_ = std::move(fn); }

 private:
  State fail(int status, std::string reason);
  State parse_head();

  Limits limits_;
  std::function<size_t(const Request&)> body_limit_;
  State state_ = State::kNeedMore;
  std::string head_;  // request line and headers, until the blank line
  bool head_done_ = false;
  size_t body_len_ = 0;
  Request req_;
  int error_status_ = 0;
  std::string error_reason_;
};

// Percent-decoding of a path or query component; false on a bad escape or a NUL.
bool percent_decode(std::string_view in, std::string* out, bool plus_is_space);

}  // namespace cordon::http
