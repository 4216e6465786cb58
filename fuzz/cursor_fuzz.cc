// libFuzzer target for the page cursors of GET /v1/jobs (rest/cursor.h; see
// fuzz/README.md). The bytes are a cursor as a client sends it back in "after": it must be
// refused unless it is exactly what encode_cursor made, and then only for its own scope.
// From the input's first 8 bytes, a position is also encoded and must decode to itself,
// for its scope only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/cursor.h"

namespace {

const std::string kKey(cordon::api::kCursorKeyBytes, 'k');
const std::string kNonce(cordon::api::kCursorNonceBytes, 'n');

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cordon::api::decode_cursor;
  using cordon::api::encode_cursor;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Arbitrary bytes: refused, or (only if they are a cursor of this key) a position >= 0.
  for (std::string_view scope : {"tenant t-0123456789abcdef", "operator"}) {
    auto pos = decode_cursor(kKey, bytes, scope);
    if (pos && (*pos < 0 || size != cordon::api::kCursorChars)) std::abort();
  }
  if (size < 8) return 0;
  uint64_t raw = 0;
  for (size_t i = 0; i < 8; ++i) raw = (raw << 8) | data[i];
  const auto position = static_cast<int64_t>(raw);
  std::string_view scope = bytes.substr(8);
  std::string cursor = encode_cursor(kKey, position, scope, kNonce);
  if (position < 0) {
    if (!cursor.empty()) std::abort();
    return 0;
  }
  if (cursor.size() != cordon::api::kCursorChars) std::abort();
  auto back = decode_cursor(kKey, cursor, scope);
  if (!back || *back != position) std::abort();
  if (decode_cursor(kKey, cursor, std::string(scope) + "x")) std::abort();
  std::string other_key(cordon::api::kCursorKeyBytes, 'j');
  if (decode_cursor(other_key, cursor, scope)) std::abort();
  // Any one character changed: refused.
  std::string altered = cursor;
  altered[data[0] % altered.size()] = altered[data[0] % altered.size()] == 'A' ? 'B' : 'A';
  if (decode_cursor(kKey, altered, scope)) std::abort();
  return 0;
}
