// libFuzzer target for what stays ours of the daemon's request parsing (http/request.h;
// Beast parses the rest): the head scan over any bytes in a split the input chooses, then
// the target and the query of what it scanned. Nothing may crash, read out of bounds or
// grow without bound; a refusal is a 4xx status.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cordon::http::Limits limits;
  limits.max_request_line = 256;
  limits.max_header_bytes = 1024;
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = all.empty() ? 0 : data[0] % (all.size() + 1);
  using State = cordon::http::HeadScan::State;
  cordon::http::HeadScan scan(limits);
  State st = scan.scan(all.substr(0, split));
  if (st == State::kNeedMore) st = scan.scan(all);
  if (st == State::kError && (scan.error_status() < 400 || scan.error_status() > 499)) std::abort();
  if (st == State::kDone) {
    if (scan.head_size() > all.size() || scan.head_size() < 4) std::abort();
    if (all.substr(scan.head_size() - 4, 4) != "\r\n\r\n") std::abort();
  }
  // The request line's target, as Beast would hand it over.
  std::string_view line = all.substr(0, all.find("\r\n"));
  size_t sp = line.find(' ');
  std::string_view target = sp == std::string_view::npos ? line : line.substr(sp + 1);
  target = target.substr(0, target.find(' '));
  std::string path, query, why;
  int s = cordon::http::split_target(target, &path, &query, &why);
  if (s != 0 && s != 400) std::abort();
  if (s == 0) {
    if (path.empty() || path.find('\0') != std::string::npos) std::abort();
    cordon::http::Request r;
    r.query = query;
    (void)r.query_param("state");
    (void)r.query_param(path);
  }
  return 0;
}
