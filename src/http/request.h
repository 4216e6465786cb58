// HTTP/1.1 requests as the API layer sees them, and the few checks on a request's head
// that stay ours on top of Boost.Beast's parser (server.cc): Beast frames the message and
// parses the fields; these refuse what Beast lets through and this daemon does not want
// (bare-LF line endings, a request line past its limit, a second Authorization or
// Content-Length, a target that is not an absolute path or is badly percent-encoded).
// Pure functions of bytes: fuzz/http_head_fuzz.cc, tests/unit/http_request_test.cc.
#pragma once

#include <cstddef>
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

// Percent-decoding of a path or query component; false on a bad escape or a NUL.
bool percent_decode(std::string_view in, std::string* out, bool plus_is_space);

// Scans the bytes of a request's head as they arrive, before Beast parses them: the
// head's end ("\r\n\r\n") and what is refused on the raw bytes. Bytes already scanned are
// not scanned again (a client that sends one byte at a time costs linear time).
class HeadScan {
 public:
  enum class State { kNeedMore, kDone, kError };
  explicit HeadScan(Limits limits = {}) : limits_(limits) {}

  // buf: every byte of the request received so far (from its first byte on; it may hold
  // bytes past the head). kDone once the head's end is in buf: head_size() is its length.
  State scan(std::string_view buf);
  size_t head_size() const { return head_size_; }
  int error_status() const { return status_; }
  const std::string& error_reason() const { return reason_; }

 private:
  State fail(int status, std::string reason);

  Limits limits_;
  size_t scanned_ = 0;
  size_t line_end_ = std::string_view::npos;  // the request line's CRLF, once seen
  size_t head_size_ = 0;
  State state_ = State::kNeedMore;
  int status_ = 0;
  std::string reason_;
};

// Checks a request target and splits it: an absolute path (origin-form), no control
// character or space, every '%' followed by two hex digits (in the query too), no NUL
// in the decoded path. 0 and *path, *query set; or the status to refuse with (400).
int split_target(std::string_view target, std::string* path, std::string* query,
                 std::string* reason);

// When Beast refuses a request line's version: 505 for a well-formed "HTTP/d.d" of
// another version, 400 for anything else. head: the request's bytes from its start.
int version_status(std::string_view head);

// Checks the parsed fields (names lowercased): at most one Authorization, one
// Content-Length; no Transfer-Encoding (411: bodies come with a Content-Length). 0 or a
// status.
int check_fields(const std::vector<std::pair<std::string, std::string>>& headers,
                 std::string* reason);

}  // namespace cordon::http
