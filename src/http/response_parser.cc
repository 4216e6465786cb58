#include "http/response_parser.h"

#include <algorithm>
#include <cctype>

#include "http/grammar.h"

namespace cordon::http {
namespace {

// Splits a comma-separated header value into trimmed, non-empty elements.
std::vector<std::string_view> elements(std::string_view v) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = v.find(',');
    std::string_view e = trim(v.substr(0, comma));
    if (!e.empty()) out.push_back(e);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

ResponseParser::State ResponseParser::fail(std::string reason) {
  state_ = State::kError;
  error_ = std::move(reason);
  return state_;
}

ResponseParser::State ResponseParser::done() {
  phase_ = Phase::kDone;
  state_ = State::kDone;
  line_.clear();
  return state_;
}

ResponseParser::State ResponseParser::parse_head() {
  std::string_view head(line_);
  head.remove_suffix(4);  // the blank line's "\r\n\r\n"
  std::vector<std::string_view> lines;
  while (true) {
    size_t eol = head.find("\r\n");
    lines.push_back(head.substr(0, eol));
    if (eol == std::string_view::npos) break;
    head.remove_prefix(eol + 2);
  }
  for (std::string_view l : lines)
    for (char c : l)
      if (c == '\r' || c == '\n' || c == '\0') return fail("a control character in the head");

  // "HTTP/1.x NNN reason"
  std::string_view status_line = lines[0];
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    return fail("bad status line");
  int status = 0;
  for (char c : status_line.substr(9, 3)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return fail("bad status code");
    status = status * 10 + (c - '0');
  }
  if (status < 100 || status > 599) return fail("bad status code");
  bool http10 = status_line[7] == '0';

  ClientResponse resp;
  resp.status = status;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t')) return fail("folded header line");
    size_t colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("bad header line");
    std::string_view name = l.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail("bad header name");
    resp.headers.emplace_back(lower(name), std::string(trim(l.substr(colon + 1))));
  }

  // An interim response (100 Continue, 103 Early Hints) precedes the real one.
  if (status >= 100 && status < 200) {
    if (status == 101) return fail("switching protocols is not supported");
    line_.clear();
    return State::kNeedMore;
  }

  close_ = http10;
  std::string te, cl;
  bool have_cl = false;
  for (const auto& [k, v] : resp.headers) {
    if (k == "connection") {
      for (std::string_view opt : elements(v)) {
        std::string o = lower(opt);
        if (o == "close") close_ = true;
        if (o == "keep-alive" && http10) close_ = false;
      }
    } else if (k == "transfer-encoding") {
      te += te.empty() ? v : "," + v;
    } else if (k == "content-length") {
      // Several Content-Lengths (or a list) are fine only when they all agree.
      for (std::string_view e : elements(v)) {
        if (have_cl && e != cl) return fail("conflicting Content-Length");
        cl = std::string(e);
        have_cl = true;
      }
      if (v.empty() || !have_cl) return fail("empty Content-Length");
    }
  }
  resp_ = std::move(resp);
  line_.clear();
  if (no_body_ || status == 204 || status == 304) return done();
  if (!te.empty()) {
    // Transfer-Encoding wins over Content-Length; chunked must be the last coding, and
    // anything else runs until the close.
    auto codings = elements(te);
    if (!codings.empty() && lower(codings.back()) == "chunked") {
      if (std::count_if(codings.begin(), codings.end(),
                        [](std::string_view c) { return lower(c) == "chunked"; }) > 1)
        return fail("chunked applied twice");
      phase_ = Phase::kChunkSize;
      return State::kNeedMore;
    }
    close_ = true;
    phase_ = Phase::kUntilClose;
    return State::kNeedMore;
  }
  if (have_cl) {
    uint64_t n = 0;
    for (char c : cl) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return fail("bad Content-Length");
      if (n > kMaxBodySize / 10) return fail("Content-Length too large");
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n > kMaxBodySize) return fail("Content-Length too large");
    if (n == 0) return done();
    remaining_ = n;
    phase_ = Phase::kLength;
    return State::kNeedMore;
  }
  close_ = true;
  phase_ = Phase::kUntilClose;
  return State::kNeedMore;
}

// chunk-size [ chunk-ext ] CRLF, where chunk-ext is ";" and then anything printable.
ResponseParser::State ResponseParser::parse_chunk_size() {
  std::string_view l(line_);
  if (l.size() < 2 || l.substr(l.size() - 2) != "\r\n") return fail("chunk-size line without CRLF");
  l.remove_suffix(2);
  uint64_t size = 0;
  size_t i = 0;
  for (; i < l.size() && hex_digit(l[i]) >= 0; ++i) {
    if (size > (kMaxBodySize >> 4)) return fail("chunk size too large");
    size = (size << 4) | static_cast<uint64_t>(hex_digit(l[i]));
  }
  if (i == 0) return fail("bad chunk size");
  while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
  if (i < l.size()) {
    if (l[i] != ';') return fail("bad chunk size");
    for (; i < l.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(l[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return fail("bad chunk extension");
    }
  }
  line_.clear();
  if (size == 0) {
    phase_ = Phase::kTrailers;
  } else {
    remaining_ = size;
    phase_ = Phase::kChunkData;
  }
  return State::kNeedMore;
}

ResponseParser::State ResponseParser::feed(std::string_view data, size_t* consumed,
                                           std::string* body) {
  size_t pos = 0;
  while (state_ == State::kNeedMore && pos < data.size()) {
    std::string_view rest = data.substr(pos);
    switch (phase_) {
      case Phase::kHead: {
        size_t old = line_.size();
        // One byte past the bound, so that a head of exactly max_head bytes still ends.
        line_.append(rest.substr(0, max_head_ + 1 - std::min(old, max_head_ + 1)));
        size_t end = line_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
        if (end == std::string::npos || end + 4 > max_head_) {
          if (line_.size() > max_head_ || (end != std::string::npos && end + 4 > max_head_))
            return *consumed = pos, fail("status line and headers too large");
          pos += line_.size() - old;
          break;
        }
        line_.resize(end + 4);
        pos += line_.size() - old;
        parse_head();
        break;
      }
      case Phase::kLength:
      case Phase::kChunkData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(rest.size(), remaining_));
        body->append(rest.substr(0, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          if (phase_ == Phase::kLength) {
            done();
          } else {
            phase_ = Phase::kChunkEnd;
          }
        }
        break;
      }
      case Phase::kChunkSize: {
        size_t eol = rest.find('\n');
        size_t take = eol == std::string_view::npos ? rest.size() : eol + 1;
        if (line_.size() + take > kMaxChunkLine)
          return *consumed = pos, fail("chunk-size line too long");
        line_.append(rest.substr(0, take));
        pos += take;
        if (eol != std::string_view::npos) parse_chunk_size();
        break;
      }
      case Phase::kChunkEnd: {
        line_.push_back(rest[0]);
        ++pos;
        if (line_ != std::string_view("\r\n").substr(0, line_.size()))
          return *consumed = pos, fail("chunk data not followed by CRLF");
        if (line_.size() == 2) {
          line_.clear();
          phase_ = Phase::kChunkSize;
        }
        break;
      }
      case Phase::kTrailers: {
        // Trailers are read (to find the end) and dropped: nothing here needs them.
        line_.push_back(rest[0]);
        ++pos;
        if (line_.size() > max_head_) return *consumed = pos, fail("trailers too large");
        std::string_view t(line_);
        if (t == "\r\n" || (t.size() >= 4 && t.substr(t.size() - 4) == "\r\n\r\n")) done();
        break;
      }
      case Phase::kUntilClose:
        body->append(rest);
        pos = data.size();
        break;
      case Phase::kDone:
        break;
    }
  }
  *consumed = pos;
  return state_;
}

ResponseParser::State ResponseParser::finish() {
  if (state_ != State::kNeedMore) return state_;
  if (phase_ == Phase::kUntilClose) return done();
  return fail(phase_ == Phase::kHead && line_.empty()
                  ? "the server closed the connection without a response"
                  : "the server closed the connection before the response was complete");
}

}  // namespace cordon::http
