#include "http/request.h"

#include "http/grammar.h"

namespace cordon::http {

bool percent_decode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string Request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    size_t eq = part.find('=');
    std::string key;
    if (percent_decode(part.substr(0, eq), &key, true) && key == name) {
      std::string value;
      if (eq != std::string_view::npos && percent_decode(part.substr(eq + 1), &value, true))
        return value;
      return {};
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

HeadScan::State HeadScan::fail(int status, std::string reason) {
  state_ = State::kError;
  status_ = status;
  reason_ = std::move(reason);
  return state_;
}

HeadScan::State HeadScan::scan(std::string_view buf) {
  if (state_ != State::kNeedMore) return state_;
  const size_t max_head = limits_.max_request_line + limits_.max_header_bytes + 4;
  size_t end = std::min(buf.size(), max_head);
  for (size_t i = scanned_; i < end; ++i) {
    if (buf[i] != '\n') continue;
    // Every line ends with CRLF: a bare LF is refused, never taken as a line's end
    // (a proxy in front could read the lines otherwise than this daemon does).
    if (i == 0 || buf[i - 1] != '\r') return fail(400, "bare LF line ending: lines end with CRLF");
    if (line_end_ == std::string_view::npos) {
      line_end_ = i - 1;
      if (line_end_ > limits_.max_request_line) return fail(414, "request line too long");
    }
    if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
      head_size_ = i + 1;
      // The header lines (after the request line's CRLF, before the blank line).
      size_t fields = head_size_ >= line_end_ + 4 ? head_size_ - line_end_ - 4 : 0;
      if (fields > limits_.max_header_bytes) return fail(431, "headers too large");
      return state_ = State::kDone;
    }
  }
  scanned_ = end;
  if (line_end_ == std::string_view::npos && end > limits_.max_request_line)
    return fail(414, "request line too long");
  if (end >= max_head) return fail(431, "headers too large");
  return state_;
}

int split_target(std::string_view target, std::string* path, std::string* query,
                 std::string* reason) {
  if (target.empty() || target[0] != '/') {
    *reason = "the target must be an absolute path";
    return 400;
  }
  for (size_t i = 0; i < target.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c == 0x7f) {
      *reason = "bad character in target";
      return 400;
    }
    if (c == '%' &&
        (i + 2 >= target.size() || hex_digit(target[i + 1]) < 0 || hex_digit(target[i + 2]) < 0)) {
      *reason = "bad percent-encoding in target";
      return 400;
    }
  }
  size_t q = target.find('?');
  if (!percent_decode(target.substr(0, q), path, false)) {
    *reason = "bad percent-encoding in path";
    return 400;
  }
  query->clear();
  if (q != std::string_view::npos) *query = std::string(target.substr(q + 1));
  return 0;
}

int version_status(std::string_view head) {
  std::string_view line = head.substr(0, head.find("\r\n"));
  size_t sp = line.rfind(' ');
  std::string_view v = sp == std::string_view::npos ? line : line.substr(sp + 1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool formed = v.size() == 8 && v.substr(0, 5) == "HTTP/" && digit(v[5]) && v[6] == '.' &&
                digit(v[7]) && line.find(' ') != sp;
  return formed ? 505 : 400;
}

int check_fields(const std::vector<std::pair<std::string, std::string>>& headers,
                 std::string* reason) {
  int auth = 0, length = 0;
  for (const auto& [k, v] : headers) {
    if (k == "authorization" && ++auth > 1) {
      // Which one would be believed? A proxy and this daemon could pick differently.
      *reason = "more than one Authorization";
      return 400;
    }
    if (k == "content-length" && ++length > 1) {
      *reason = "more than one Content-Length";
      return 400;
    }
    if (k == "transfer-encoding") {
      *reason = "send the body with a Content-Length";
      return 411;
    }
  }
  return 0;
}

}  // namespace cordon::http
