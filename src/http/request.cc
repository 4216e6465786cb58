#include "http/request.h"

#include <algorithm>
#include <cctype>

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

RequestParser::State RequestParser::fail(int status, std::string reason) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
  return state_;
}

void RequestParser::reset() {
  *this = RequestParser(limits_);
}

RequestParser::State RequestParser::feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (state_ != State::kNeedMore) return state_;
  if (!head_done_) {
    // Up to and including the blank line that ends the head.
    const size_t max_head = limits_.max_request_line + limits_.max_header_bytes + 4;
    size_t before = head_.size();  // < max_head: reaching it fails below
    size_t take = std::min(data.size(), max_head - before);
    head_.append(data.substr(0, take));
    size_t end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) {
      *consumed = take;
      size_t line_end = head_.find("\r\n");
      if (line_end == std::string::npos && head_.size() > limits_.max_request_line)
        return fail(414, "request line too long");
      if (head_.size() >= max_head) return fail(431, "headers too large");
      return state_;
    }
    *consumed = end + 4 - before;
    head_.resize(end + 2);  // keep the last header's CRLF
    head_done_ = true;
    if (parse_head() == State::kError) return state_;
    data.remove_prefix(*consumed);
  }
  size_t want = body_len_ - req_.body.size();
  size_t take = std::min(want, data.size());
  req_.body.append(data.substr(0, take));
  *consumed += take;
  if (req_.body.size() == body_len_) state_ = State::kDone;
  return state_;
}

RequestParser::State RequestParser::parse_head() {
  std::string_view h = head_;
  size_t eol = h.find("\r\n");
  std::string_view line = h.substr(0, eol);
  if (line.size() > limits_.max_request_line) return fail(414, "request line too long");
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char))
    return fail(400, "malformed method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return fail(505, "HTTP version not supported");
  if (target.empty() || target[0] != '/') return fail(400, "the target must be an absolute path");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail(400, "bad character in target");
  req_.method = std::string(method);
  req_.target = std::string(target);
  size_t q = target.find('?');
  if (!percent_decode(target.substr(0, q), &req_.path, false))
    return fail(400, "bad percent-encoding in path");
  if (q != std::string_view::npos) req_.query = std::string(target.substr(q + 1));
  req_.keep_alive = version == "HTTP/1.1";

  std::string_view rest = h.substr(eol + 2);
  if (rest.size() > limits_.max_header_bytes) return fail(431, "headers too large");
  bool have_length = false;
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view hl = rest.substr(0, e);
    rest.remove_prefix(e + 2);
    size_t colon = hl.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail(400, "malformed header line");
    std::string_view name = hl.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char))
      return fail(400, "malformed header name");
    std::string_view value = trim(hl.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return fail(400, "bad character in a header value");
    if (req_.headers.size() >= limits_.max_headers) return fail(431, "too many headers");
    req_.headers.emplace_back(lower(name), std::string(value));
    const std::string& key = req_.headers.back().first;
    if (key == "content-length") {
      if (have_length) return fail(400, "more than one Content-Length");
      if (value.empty() || value.size() > 19 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(400, "malformed Content-Length");
      body_len_ = std::stoull(std::string(value));
      have_length = true;
      if (body_len_ > limits_.max_body) return fail(413, "body too large");
    } else if (key == "transfer-encoding") {
      return fail(411, "send the body with a Content-Length");
    } else if (key == "connection") {
      std::string v = lower(value);
      if (v == "close") req_.keep_alive = false;
      if (v == "keep-alive") req_.keep_alive = true;
    }
  }
  // The limit for this request, now that its method, path and headers are known (a
  // route that takes large bodies, for callers that may send them).
  if (body_limit_ && body_len_ > body_limit_(req_)) return fail(413, "body too large");
  req_.body.reserve(body_len_);
  return state_;
}

}  // namespace cordon::http
