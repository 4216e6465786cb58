// The page cursors of GET /v1/jobs ("next", sent back as "after"): opaque, and good for
// one caller only. A cursor holds the position of a page's last job (its submission
// order, which counts every tenant's jobs) encrypted and authenticated with a key of the
// daemon (AES-256-GCM), bound to the caller's scope (a tenant's id, or the operator). So
// it tells a tenant nothing of how many jobs others submit, and a cursor made for another
// scope or with another key, altered, or made up, is refused. Pure but for OpenSSL's
// cipher; untrusted input (fuzz/cursor_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cordon::api {

inline constexpr size_t kCursorKeyBytes = 32;
inline constexpr size_t kCursorNonceBytes = 12;
// base64url (no padding) of the nonce, 8 bytes of ciphertext and a 16-byte tag.
inline constexpr size_t kCursorChars = 48;

// The cursor of position for scope, under key (kCursorKeyBytes) with a nonce of
// kCursorNonceBytes random bytes (never used twice with one key). "" when the key or the
// nonce has the wrong size, or position is negative.
std::string encode_cursor(std::string_view key, int64_t position, std::string_view scope,
                          std::string_view nonce);

// The position in cursor, or nullopt unless it is exactly a cursor that encode_cursor made
// for this scope under this key. Anything but kCursorChars characters of base64url is
// refused before any decryption.
std::optional<int64_t> decode_cursor(std::string_view key, std::string_view cursor,
                                     std::string_view scope);

}  // namespace cordon::api
