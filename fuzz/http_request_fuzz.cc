// libFuzzer target for http::RequestParser (see fuzz/README.md): any bytes, split at a
// point the input chooses, end in a complete request within the limits, a refusal with
// a 4xx/5xx status, or a wait for more; nothing may crash or grow without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cordon::http::Limits limits;
  limits.max_body = 4096;
  cordon::http::RequestParser p(limits);
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = all.empty() ? 0 : data[0] % (all.size() + 1);
  size_t used = 0;
  auto st = p.feed(all.substr(0, split), &used);
  if (st == cordon::http::RequestParser::State::kNeedMore && used == split) {
    size_t more = 0;
    st = p.feed(all.substr(split), &more);
  }
  using State = cordon::http::RequestParser::State;
  if (st == State::kError && (p.error_status() < 400 || p.error_status() > 599)) std::abort();
  if (st == State::kDone) {
    const auto& r = p.request();
    if (r.body.size() > limits.max_body || r.headers.size() > limits.max_headers) std::abort();
    if (r.target.empty() || r.target[0] != '/') std::abort();
  }
  return 0;
}
